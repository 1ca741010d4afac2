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
 * merged chunk, unmap ends the mapping. Called from the merging thread,
 * except prefetch. */
typedef struct etl_mapper {
    int (*map)(void *ctx, size_t i, const uint8_t **data, size_t *len, sl_err *err);
    void (*release)(void *ctx, const uint8_t *data, size_t off, size_t n);
    void (*unmap)(void *ctx, const uint8_t *data, size_t len);
    /* optional: a worker is about to parse [off, off + n) (on its thread) */
    void (*prefetch)(void *ctx, const uint8_t *data, size_t off, size_t n);
    /* Optional, tried before map: opens file i as a stream of its
     * (decompressed) bytes: 1 with *h, 0 when it must be mapped or fetched,
     * -1 on error. read: up to n bytes (> 0), 0 at the end, -1 on error. A
     * streamed file is cut into chunks as it is read, as a mapped one, so
     * memory does not follow its decompressed size. */
    int (*stream_open)(void *ctx, size_t i, void **h, sl_err *err);
    long (*stream_read)(void *ctx, void *h, uint8_t *p, size_t n, sl_err *err);
    void (*stream_close)(void *ctx, void *h);
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
    /* streamed files: the most bytes read without a chunk cut before the
     * file fails (0 = 256 MiB; docs/decisions.md "Reading big files") */
    size_t max_piece_bytes;
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

/* What the run did so far (with MPI: this rank's part; build/ sums them). */
typedef struct etl_stats {
    etl_source_stats songs, events;
    uint64_t matched; /* songplays given a song_id and artist_id */
    etl_phase_times times;
} etl_stats;
void etl_get_stats(const etl *e, etl_stats *out);

/* ---- distributed runs (docs/mpi.md, driven by build/build_ranks.c) ----- */
/* etl_run_songs in steps, for a catalog split over ranks: parse this rank's
 * song files (first-wins within them), shuffle songs and artists to their
 * owner ranks (etl_export / etl_merge), write this rank's share of songs and
 * artists, then give every rank every song (export with nparts 1,
 * dist_allgather, merge) and build the match index. */
int etl_parse_songs(etl *e, size_t nfiles, char *const *sources, etl_fetch_fn fetch, void *fctx,
                    sl_err *err);
int etl_write_catalog(etl *e, sl_err *err);
void etl_build_match_index(etl *e);
/* Parses the event files only to count the songplays they yield (no rows,
 * rejects or stats), so each rank learns its songplayId offset. */
int etl_count_plays(etl *e, size_t nfiles, char *const *sources, etl_fetch_fn fetch, void *fctx,
                    uint64_t *count, sl_err *err);
/* The next songplay gets id base + 1. */
void etl_set_songplay_base(etl *e, uint64_t base);

/* The shuffle, one export/merge pair for every kind of record a rank can
 * hold part of: songs (keyed by song_id), artists (artist_id), users (this
 * rank's latest event per userId) and start times. */
typedef enum etl_kind { ETL_SONGS, ETL_ARTISTS, ETL_USERS, ETL_TIMES } etl_kind;
/* This rank's records of kind k as bytes, appended to out[0..nparts) by the
 * rank that owns each key (a hash of the key; nparts 1: all to out[0]). */
void etl_export(const etl *e, etl_kind k, sl_buf *out, int nparts);
/* Replaces this etl's records of kind k by parts[0..nparts) merged in that
 * order, which must be rank order (= input order): SPEC's first-wins and
 * "latest, ties to the later record" rules then stay exact. Merging songs
 * drops the match index (build it again). etl_finish then writes this
 * rank's share of users and time. */
int etl_merge(etl *e, etl_kind k, const sl_buf *parts, int nparts, sl_err *err);

#endif
