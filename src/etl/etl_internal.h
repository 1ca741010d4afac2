/* etl internals shared by etl.c (the single-process rules), etl_match.c
 * and etl_dist.c (moving records between MPI ranks): the run's state and
 * the merge steps that keep SPEC's order rules; the records are
 * etl_records.h's. Private to etl/. */
#ifndef SONGLAKE_ETL_INTERNAL_H
#define SONGLAKE_ETL_INTERNAL_H

#include "etl/etl_records.h"

/* Start times: appended, and sorted and deduplicated in place whenever the
 * array fills (etl_set_compact), so at most twice the distinct values are
 * held and writing `time` needs no second copy. */
typedef struct i64_set {
    int64_t *keys;
    size_t cap, count;
    bool unsorted; /* keys[] is not sorted and unique (since the last sort) */
} i64_set;

struct etl {
    lake *lk;
    etl_opts opts;
    sl_arena mem;      /* dimension strings */
    sl_vec songs;      /* song_rec, first of each song_id, input order */
    sl_map song_idx;   /* song_id -> index */
    sl_vec artists;    /* lake_artist */
    sl_map artist_idx; /* artist_id -> index */
    etl_match match;   /* built from songs; read-only while events are parsed */
    sl_vec users;      /* user_rec, strings in each one's blob */
    sl_imap user_idx;  /* uid -> index */
    i64_set times;     /* distinct start_time (us) */
    uint64_t songplays, matched;
    etl_source_stats song_stats, event_stats;
    etl_phase_times times_s;
    json_fields *song_fields, *event_fields;
    json_scanner **scanners; /* one per worker */
    sl_buf *wbufs;           /* one per worker: file images, reused so big
                                files do not fault fresh pages each time */
    int nscanners;
    const etl_mapper *mapper; /* NULL: fetch every file */
    void *mapper_ctx;
    uint64_t line_base;   /* merge: lines of the current file before its chunk */
    bool count_only;      /* etl_count_plays: merge nothing, count plays */
    bool catalog_pending; /* etl_run_songs: songs and artists not written yet */
    uint64_t counted;
};

void etl_set_add(i64_set *s, int64_t k);
size_t etl_set_compact(i64_set *s); /* sorts, drops duplicates; returns the count */
/* First record of each song_id / artist_id wins: callers merge in input order. */
void etl_merge_song_only(etl *e, const song_rec *s);
void etl_merge_artist_only(etl *e, const lake_artist *a);
/* Keeps u when it is the user's latest event so far (ties: u, the later). */
void etl_merge_user(etl *e, const user_rec *u);
/* Parses files as tasks on the worker threads and merges them in input order. */
int etl_run_files(etl *e, bool events, size_t nfiles, char *const *sources, etl_fetch_fn fetch,
                  void *fctx, sl_err *err);

#endif
