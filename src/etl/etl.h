/* etl: the Sparkify rules of SPEC.md. Song files -> songs and artists (first
 * record of each key wins) and the match index; event logs -> songplays
 * (matched, numbered in input order), users (latest event) and time
 * (distinct start times). Knows nothing of where bytes come from: files are
 * fetched through a callback, parsed in parallel, and merged strictly in
 * input order so results never depend on the thread count. */
#ifndef SONGLAKE_ETL_H
#define SONGLAKE_ETL_H

#include "core/core.h"
#include "lake/lake.h"

/* Reads file i (decompressed) into out. Called from worker threads. */
typedef int (*etl_fetch_fn)(void *ctx, size_t i, sl_buf *out, sl_err *err);

/* Optional, instead of fetching: maps file i read-only (returns 1, or 0 when
 * it must be fetched, -1 on error). A mapped file is parsed in chunks of
 * about opts.chunk_bytes cut between NDJSON records, so memory and the work
 * per task stay bounded however big a file is; release drops the pages of a
 * merged chunk, unmap ends the mapping. Called from the merging thread. */
typedef struct etl_mapper {
    int (*map)(void *ctx, size_t i, const uint8_t **data, size_t *len, sl_err *err);
    void (*release)(void *ctx, const uint8_t *data, size_t off, size_t n);
    void (*unmap)(void *ctx, const uint8_t *data, size_t len);
} etl_mapper;

typedef struct etl_source_stats {
    uint64_t files, bytes; /* bytes after decompression */
    uint64_t read, accepted, rejected;
} etl_source_stats;

typedef struct etl_phase_times {
    double read, parse; /* summed over the workers */
    double merge;       /* the calling thread merging tasks in input order, */
    double encode;      /* of which encoding songplays rows */
} etl_phase_times;

typedef struct etl_opts {
    int threads;
    uint64_t max_rejects; /* UINT64_MAX = unlimited */
    /* progress callback (may be NULL): called from the merging thread */
    void (*progress)(void *ctx, uint64_t files_done, uint64_t bytes_done);
    void *progress_ctx;
    size_t chunk_bytes; /* mapped files: bytes per parse task (0 = 8 MiB) */
} etl_opts;

typedef struct etl etl;
etl *etl_new(lake *lk, const etl_opts *opts);
void etl_free(etl *e);
/* Mapper (and its ctx) for the following runs; NULL: always fetch. */
void etl_set_mapper(etl *e, const etl_mapper *m, void *ctx);

/* Songs first (the match index needs them), then events. sources[i] names
 * file i in rejects. */
int etl_run_songs(etl *e, size_t nfiles, char *const *sources, etl_fetch_fn fetch, void *fctx,
                  sl_err *err);
int etl_run_events(etl *e, size_t nfiles, char *const *sources, etl_fetch_fn fetch, void *fctx,
                   sl_err *err);
/* Writes users and time, and songs and artists after etl_run_songs (they
 * are written here, alongside time, not when the songs are read). */
int etl_finish(etl *e, sl_err *err);

const etl_source_stats *etl_song_stats(const etl *e);
const etl_source_stats *etl_event_stats(const etl *e);
const etl_phase_times *etl_times(const etl *e);
uint64_t etl_matched_plays(const etl *e);

/* ---- distributed runs (docs/mpi.md) ---------------------------------- */
/* Parses the event files only to count the songplays they yield (no rows,
 * rejects or stats), so each rank learns its songplayId offset. */
int etl_count_plays(etl *e, size_t nfiles, char *const *sources, etl_fetch_fn fetch, void *fctx,
                    uint64_t *count, sl_err *err);
/* The next songplay gets id base + 1. */
void etl_set_songplay_base(etl *e, uint64_t base);
/* The users/time shuffle: this rank's latest event per user and distinct
 * start times as bytes, split into out[0..nparts) by the rank that owns each
 * key (a hash of userId / start time). The owner clears its own and merges
 * what every rank sent it in rank order (= input order), which keeps SPEC's
 * "latest, ties to the later record" rule exact; etl_finish then writes that
 * rank's share of users and time. */
void etl_export_users(const etl *e, sl_buf *out, int nparts);
void etl_clear_users(etl *e);
int etl_merge_users(etl *e, const uint8_t *p, size_t n, sl_err *err);
void etl_export_times(const etl *e, sl_buf *out, int nparts);
void etl_clear_times(etl *e);
int etl_merge_times(etl *e, const uint8_t *p, size_t n, sl_err *err);
/* etl_run_songs in steps, for a catalog split over ranks: parse this rank's
 * song files (first-wins within them), shuffle song records by song_id and
 * artist records by artist_id to their owner ranks (clear, then merge in rank
 * order = input order, so the first record wins exactly), write this rank's
 * share of songs and artists, then gather every rank's songs (export with
 * nparts 1, dist_allgather, clear, merge) and build the match index. */
int etl_parse_songs(etl *e, size_t nfiles, char *const *sources, etl_fetch_fn fetch, void *fctx,
                    sl_err *err);
void etl_export_songs(const etl *e, sl_buf *out, int nparts);
void etl_clear_songs(etl *e);
int etl_merge_songs(etl *e, const uint8_t *p, size_t n, sl_err *err);
void etl_export_artists(const etl *e, sl_buf *out, int nparts);
void etl_clear_artists(etl *e);
int etl_merge_artists(etl *e, const uint8_t *p, size_t n, sl_err *err);
int etl_write_catalog(etl *e, sl_err *err);
void etl_build_match_index(etl *e);
/* Replace the song / event statistics with the sums over all ranks. */
void etl_absorb_song_stats(etl *e, const etl_source_stats *s);
void etl_absorb_event_stats(etl *e, const etl_source_stats *s, uint64_t matched);

#endif
