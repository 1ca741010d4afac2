/* lake internals shared by lake.c (schemas, part files, songplays,
 * rejects, publishing) and lake_dims.c (the songs, artists, users and time
 * tables): the lake's state and the part-file steps. Private to lake/. */
#ifndef SONGLAKE_LAKE_INTERNAL_H
#define SONGLAKE_LAKE_INTERNAL_H

#include <pthread.h>

#include "lake/lake.h"

/* ---- colset: one batch of rows, column-wise -------------------------- */
#define BATCH_ROWS 8192

typedef struct colset {
    const pq_column_def *defs;
    size_t ncols, n, cap; /* cap grows from 64 to BATCH_ROWS: most song
                             partitions hold one or two rows */
    void *vals[8];
    uint8_t *valid[8];
    sl_arena strings;
} colset;

static inline void put_i64(colset *cs, size_t c, int64_t v, bool ok) {
    ((int64_t *)cs->vals[c])[cs->n] = ok ? v : 0;
    cs->valid[c][cs->n] = ok;
}
static inline void put_i32(colset *cs, size_t c, int32_t v, bool ok) {
    ((int32_t *)cs->vals[c])[cs->n] = ok ? v : 0;
    cs->valid[c][cs->n] = ok;
}
static inline void put_f64(colset *cs, size_t c, double v, bool ok) {
    ((double *)cs->vals[c])[cs->n] = ok ? v : 0;
    cs->valid[c][cs->n] = ok;
}
static inline void put_str(colset *cs, size_t c, sl_str s) {
    sl_str *d = &((sl_str *)cs->vals[c])[cs->n];
    if (!s.ptr) {
        d->ptr = "";
        d->len = 0;
        cs->valid[c][cs->n] = 0;
        return;
    }
    d->ptr = s.len ? sl_arena_strndup(&cs->strings, s.ptr, s.len) : "";
    d->len = s.len;
    cs->valid[c][cs->n] = 1;
}

/* ---- part files -------------------------------------------------------- */
/* Songplays keep at most this many files open (each buffers up to one row
 * group); a row for another month closes the least recently used one, and
 * the rows of a month seen again later are spilled (lake_spill.c) and
 * written at the end as its second file, part-00000-c001, as Spark numbers
 * them: at most two files per month. Logs sorted by day touch one or two
 * months at a time and never spill. */
#define LAKE_SP_MAX_OPEN 4

typedef struct part {
    char *dir; /* partition directory relative to the table ("" if none) */
    uint64_t last_use;
    io_writer *iow;
    pq_writer *pw;
    colset cs;
    uint64_t rows;
    int table;       /* delta: whose columns the stats are of */
    bool want_stats; /* delta: the file's exact stats for its add action */
} part;

typedef struct table_state {
    io_stage *stage;
    sl_buf manifest; /* JSON array entries */
    lake_table_stats stats;
} table_state;

/* Column scratch for one run of songplays of a month: values are laid out
 * column-wise pointing at the caller's strings (no copy) and handed to the
 * Parquet writer, which keeps what it needs. */
typedef struct sp_scratch {
    size_t cap;
    int64_t *i64[4]; /* songplayId, user_id, start_time, sessionId */
    uint8_t *ok[6];  /* user_id, level, song_id, artist_id, sessionId, userAgent */
    sl_str *str[4];  /* level, song_id, artist_id, userAgent */
} sp_scratch;

struct lake {
    io_store *store;
    lake_opts opts;
    pq_writer_opts pqo;
    table_state t[LAKE_NTABLES];
    io_stage *meta; /* _songlake */
    io_writer *rejects;
    pthread_mutex_t rej_mu;
    uint64_t nrejects;
    lake_reason *reasons; /* lake_reasons.c, with rej_mu */
    size_t nreasons;
    uint64_t rej_bytes;              /* written to rejects.jsonl */
    bool rej_full;                   /* max_rejects_bytes reached: no more lines */
    part sp_parts[LAKE_SP_MAX_OPEN]; /* songplays files open, one per (year, month) */
    size_t sp_nparts;
    uint64_t sp_tick; /* for least-recently-used closing */
    sl_map sp_files;  /* "year=Y/month=M" -> files opened so far */
    sp_scratch sp_scratch;
    struct lake_spill *spill; /* rows of months whose file was closed */
    bool finished;
    sl_buf rej_mem;           /* follower: rejects lines until lake_take_rejects */
    struct lake_delta *delta; /* delta mode (lake_delta.c), else NULL */
};

void lake_reasons_count(lake *lk, const char *reason, size_t n, uint64_t count);
void lake_reasons_count_lines(lake *lk, const uint8_t *p, size_t n);
void lake_reasons_free(lake *lk);

/* A closed file: what its manifest entry needs. */
typedef struct closed_file {
    char *name;
    uint64_t rows, bytes;
    char *stats; /* delta: the add action's stats JSON (malloc'd), else NULL */
} closed_file;

/* partition.c: "year=Y/month=M", the directory of a songplays or time row. */
void lake_month_dir(char *dir, size_t n, int32_t year, int32_t month);

int lake_part_open(lake *lk, int table, part *p, const char *dir, sl_err *err);
/* Closes p's Parquet writer and file (no shared state: callable from
 * several threads at once on different parts). Frees p either way. */
int lake_part_finish(part *p, closed_file *out, sl_err *err);
/* Adds a closed file to its table's manifest and stats; frees f->name. */
void lake_manifest_add(lake *lk, int table, closed_file *f);
int lake_part_close(lake *lk, int table, part *p, sl_err *err);
/* lake.c for lake_spill.c: opens the month's next songplays file; writes
 * rows to it (stable: the strings outlive the part, as catalog ones do). */
int lake_songplays_open_next(lake *lk, const char *dir, part *p, sl_err *err);
int lake_songplays_write(lake *lk, part *p, const lake_songplay *rows, size_t n, bool stable,
                         sl_err *err);
/* lake_spill.c */
typedef struct lake_spill lake_spill;
bool lake_spill_has(const lake *lk, const char *dir);
int lake_spill_rows(lake *lk, const char *dir, const lake_songplay *rows, size_t n, sl_err *err);
int lake_spill_finish(lake *lk, sl_err *err);
void lake_spill_free(lake *lk);
void lake_part_discard(part *p);
int lake_part_row_done(part *p, sl_err *err);

/* ---- Delta tables (lake_delta.c, SPEC section 6) ------------------------ */
/* The file columns of a table (partition columns are path-only). */
const pq_column_def *lake_table_cols(int table, size_t *ncols);
/* Replaces lake_commit_tables in delta mode: one version per table, then
 * the star record. */
int lake_delta_commit_tables(lake *lk, sl_err *err);
/* Before _songlake is replaced: the star records go into its stage, so
 * the new _songlake keeps them. */
int lake_delta_keep_stars(lake *lk, sl_err *err);
/* lake_open in delta mode: the tables' latest snapshots and the next star. */
int lake_delta_open(lake *lk, sl_err *err);
void lake_delta_free(lake *lk);
/* <root>/<name> is a Delta table songlake made (its version 0's
 * commitInfo.engineInfo says so): for lake_check_owned. */
bool lake_delta_is_ours(const char *root, const io_config *cfg, const char *name);

#endif
