/* build internals: the run's state and the steps both drivers call, in
 * this order (build_local.c, build_ranks.c). Private to build/. */
#ifndef SONGLAKE_BUILD_INTERNAL_H
#define SONGLAKE_BUILD_INTERNAL_H

#include "build/build.h"

/* The progress line on a terminal (build_progress.c). */
typedef struct build_progress {
    bool on;
    const char *what;
    uint64_t total_files, total_bytes;
    double start, last;
} build_progress;
void build_progress_cb(void *ctx, uint64_t files, uint64_t bytes);
/* A step without files (writing, committing): one line, on a terminal. */
void build_progress_step(build_progress *p, const char *what);

typedef struct build_times {
    double list, songs, events, finish, publish, total;
} build_times;

typedef struct build_state {
    const build_opts *o;
    int rank, size;
    bool leader;
    bool refused;             /* a check before writing refused the run (exit 2) */
    bool conflict;            /* delta: another writer took a version (exit 3) */
    bool failed_here;         /* err holds this rank's cause */
    bool reject_trip;         /* a reject limit failed the run: keep its rejects */
    uint64_t etl_max_rejects; /* the limit etl checks as it merges (MPI: none,
                                 the leader checks the sum) */
    double t0;
    build_times pt;
    char *run_id, *report, *part_prefix;
    io_list songs, logs;
    io_store *store;
    lake *lk;
    etl *e;
    build_progress pr;
    build_summary sum; /* totals: this rank's, or with MPI every rank's */
} build_state;

/* ---- steps (build_steps.c) ---------------------------------------------- */
/* The reject limits on the totals (leader): --max-rejects (MPI; one
 * process checks it as it merges) and --max-reject-rate per source. */
int build_check_rejects(build_state *s, sl_err *err);
void build_begin(build_state *s, const build_opts *o, int rank, int size);
/* The run id: a fresh one (the leader's, given to every rank by the driver). */
char *build_make_run_id(void);
/* Lists --songs and --logs. */
int build_plan(build_state *s, sl_err *err);
/* Opens the output store and the lake on it: the leader opens (and locks)
 * the store and cleans up a previous run's leftovers; a follower opens the
 * leader's stages. */
int build_open(build_state *s, sl_err *err);
/* etl on the open lake (call on every rank, even after a failure). */
void build_start_etl(build_state *s);
/* Reads song or event files through io into etl: fn is etl_run_songs,
 * etl_parse_songs or etl_run_events. */
typedef int (*build_etl_fn)(etl *e, size_t nfiles, char *const *sources, etl_fetch_fn fetch,
                            void *fctx, sl_err *err);
int build_read(build_state *s, build_etl_fn fn, const io_list *l, sl_err *err);
/* Counts the songplays of l (MPI: a rank's songplayId offset). */
int build_count_plays(build_state *s, const io_list *l, uint64_t *count, sl_err *err);
/* Writes what etl still holds (users, time; songs and artists when read by
 * etl_run_songs) and closes every file. */
int build_write(build_state *s, sl_err *err);
/* This rank's totals from etl and lake (MPI: the driver then sums them). */
void build_collect(build_state *s);
/* Commits the star: the five tables, then report.json. The one place that
 * makes a run visible (the leader's; issue 15 replaces its inside). */
int build_commit(build_state *s, sl_err *err);
/* MPI follower, before the leader's build_commit: waits until its files
 * are complete (uploads done); writes no _SUCCESS. */
int build_complete_files(build_state *s, sl_err *err);
/* After the commit: the summary on stdout, then --postgres. */
int build_after_commit(build_state *s, sl_err *err);
/* Aborts an unpublished run, sets the message to print, frees everything. */
void build_end(build_state *s, int rc, sl_err *err);

/* ---- report.json (build_report.c) --------------------------------------- */
char *build_report_json(const build_state *s);

/* ---- the drivers ------------------------------------------------------- */
int build_drive_local(build_state *s, sl_err *err);
int build_drive_ranks(build_state *s, sl_err *err);

#endif
