/* etl internals shared by etl.c (the single-process rules) and etl_dist.c
 * (moving records between MPI ranks): the record types, the run's state and
 * the merge steps that keep SPEC's order rules. Private to etl/. */
#ifndef SONGLAKE_ETL_INTERNAL_H
#define SONGLAKE_ETL_INTERNAL_H

#include "etl/etl.h"
#include "json/json.h"

typedef struct song_rec {
    sl_str song_id, artist_id, title, artist_name, location;
    int32_t year;
    bool has_year, has_duration, has_lat, has_lon;
    double duration, lat, lon;
} song_rec;
typedef struct user_rec {
    int64_t uid, ts;
    sl_str first, last, gender, level;
    char *blob; /* global users only: the four strings, reused on update */
    size_t blob_cap;
} user_rec;
/* Distinct start times: open addressing over int64 with INT64_MIN as the
 * empty slot (ts is range-checked, so start_time_us never takes that value),
 * at most 70% full: 11-23 bytes per distinct value, and etl_finish sorts the
 * keys in place, so writing `time` needs no second copy. */
#define TS_EMPTY INT64_MIN
typedef struct i64_set {
    int64_t *keys;
    size_t cap, count;
} i64_set;

struct etl {
    lake *lk;
    etl_opts opts;
    sl_arena mem;      /* dimension strings */
    sl_vec songs;      /* song_rec, first of each song_id, input order */
    sl_map song_idx;   /* song_id -> index */
    sl_vec artists;    /* lake_artist */
    sl_map artist_idx; /* artist_id -> index */
    sl_map match_idx;  /* title\0artist_name\0duration -> song index */
    sl_vec users;      /* user_rec, strings in each one's blob */
    sl_map user_idx;   /* uid bytes -> index */
    i64_set times;     /* distinct start_time (us) */
    uint64_t songplays, matched;
    etl_source_stats song_stats, event_stats;
    etl_phase_times times_s;
    json_fields *song_fields, *event_fields;
    json_scanner **scanners; /* one per worker */
    sl_buf *wbufs;           /* one per worker: file images, reused so big
                                files do not fault fresh pages each time */
    int nscanners;
    bool count_only; /* etl_count_plays: merge nothing, count plays */
    uint64_t counted;
};

void etl_set_add(i64_set *s, int64_t k);
/* First record of each song_id / artist_id wins: callers merge in input order. */
void etl_merge_song_only(etl *e, const song_rec *s);
void etl_merge_artist_only(etl *e, const lake_artist *a);
/* Keeps u when it is the user's latest event so far (ties: u, the later). */
void etl_merge_user(etl *e, const user_rec *u);
/* Parses files in windows on the worker threads and merges them in order. */
int etl_run_files(etl *e, bool events, size_t nfiles, char *const *sources, etl_fetch_fn fetch,
                  void *fctx, sl_err *err);

#endif
