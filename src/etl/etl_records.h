/* etl records: what a parse task produces (etl_parse.c, on a worker
 * thread) and the match index it reads. The parser includes only this
 * header, so it sees neither the run's state (struct etl, etl_internal.h)
 * nor anything but a const match index. Private to etl/. */
#ifndef SONGLAKE_ETL_RECORDS_H
#define SONGLAKE_ETL_RECORDS_H

#include <string.h>

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
    sl_str ua;        /* per-file users only: the user's last userAgent, interned */
    sl_str ua_raw;    /* per-file users only, while parsing: that agent as written */
    uint64_t ua_memo; /* and its json_value.memo (0: none) */
    char *blob;       /* global users only: the four strings, reused on update */
    size_t blob_cap;
} user_rec;

/* ---- one parse task's records --------------------------------------- */
typedef struct play_rec {
    int64_t ts_ms, uid, session;
    bool has_uid, has_session;
    sl_str level, ua;
    int32_t match; /* index into e->songs, -1 if none */
    int32_t year, month;
} play_rec;

typedef struct reject_rec {
    uint64_t line, byte;
    const char *reason;
    const char *raw;
    size_t rawlen;
} reject_rec;

/* One parse task: a whole fetched file, or a chunk [off, off + len) of a
 * mapped or streamed one. */
typedef struct task {
    size_t file;
    const uint8_t *map; /* the file's mapping, NULL: fetch the file */
    size_t map_len;
    uint8_t *own;   /* a streamed chunk's bytes (from off), freed after its merge */
    size_t own_len; /* the chunk and what follows its cut up to the next '{' */
    uint64_t off, len;
    bool last; /* the file's last task */
} task;

typedef struct file_result {
    task t;
    int failed;
    sl_err err;
    uint64_t bytes, read, accepted, lines;
    sl_vec rejects; /* reject_rec */
    sl_vec songs;   /* song_rec */
    sl_vec plays;   /* play_rec */
    sl_vec users;   /* user_rec, latest per user within the file */
    sl_imap user_idx;
    int64_t last_uid; /* user_idx's last answer */
    uint32_t last_ix;
    sl_map strs;    /* interned play strings (level, userAgent): equal values
                       share one address, which the Parquet dictionary uses */
    sl_map ua_esc;  /* a userAgent with escapes, as written -> index in ua_text */
    sl_vec ua_text; /* sl_str: its decoded text, interned in strs */
    sl_buf ua_buf;  /* decoding scratch */
    sl_arena mem;
    double t_read, t_parse;
} file_result;

/* The match index (etl_match.c): built by etl_build_match_index from the
 * catalog, then read without locks by every parse worker, which only ever
 * sees it as const. */
typedef struct etl_match {
    uint64_t *dur_bits;            /* bitmap by hashed duration of the catalog's songs */
    struct etl_match_slot *mslots; /* by duration: 2^mbits slots */
    sl_buf mpairs;                 /* (title, artist_name) pairs */
    int mbits;
} etl_match;

/* SPEC 2, users: a user's row comes from the latest event (largest ts; on a
 * tie, the last in input order). An event at ts that comes after the held
 * one (at held_ts) in input order replaces it: the one test both the parse
 * (within a task) and the merge (across tasks and ranks) apply. */
static inline bool etl_user_replaces(int64_t ts, int64_t held_ts) {
    return ts >= held_ts;
}
/* etl_parse.c: the json keys each record kind needs; one task's parse. */
json_fields *etl_fields_new(bool events);
void etl_parse(const etl_match *m, file_result *r, bool events, json_scanner *sc,
               const uint8_t *data, size_t len, size_t stop);
void etl_result_init(file_result *r);
void etl_result_free(file_result *r);
/* json_to_int64's answer for the common shapes, without scanning the text
 * again: a number whose double is an integer below 2^53 in size (exact, so
 * the same as the text's value: an integer literal there is exact, and any
 * other text converts through this double), and a string of 1 to 18 digits
 * without a leading zero. Returns false when undecided. */
static inline bool etl_quick_i64(const json_value *v, int64_t *out) {
    if (v->type == JSON_NUMBER) {
        double d = v->num;
        if (!(d > -9007199254740992.0 && d < 9007199254740992.0)) return false;
        int64_t i = (int64_t)d;
        if ((double)i != d) return false;
        *out = i;
        return true;
    }
    if (v->type != JSON_STRING || v->len < 1 || v->len > 18 || (v->len > 1 && v->str[0] == '0'))
        return false;
    int64_t x = 0;
    for (uint32_t k = 0; k < v->len; k++) {
        unsigned d = (unsigned char)v->str[k] - '0';
        if (d > 9) return false;
        x = x * 10 + d;
    }
    *out = x;
    return true;
}

/* etl_match.c: the match index built by etl_build_match_index (etl.h):
 * the song index a play matches, or -1. */
#define ETL_DUR_BITS 20
int32_t etl_find_match(const etl_match *m, sl_str song, sl_str artist, double length);
void etl_match_free(etl_match *m);
/* Starts loading what etl_find_match will read for this length, so the
 * cache misses overlap the rest of the record's work. */
void etl_match_prefetch(const etl_match *m, double length);

#endif
