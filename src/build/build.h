/* build: one run of `songlake build`, the layer that owns it. It plans the
 * run (lists both inputs, opens and locks the output), reads and transforms
 * them through etl/, writes the tables through lake/, commits the star (one
 * function, build_commit in build_steps.c), writes report.json and, when
 * asked, loads PostgreSQL. The one-process run (build_local.c) and the MPI
 * run (build_ranks.c, docs/mpi.md) are two drivers of the same steps
 * (build_steps.c). cli/ only turns flags into a build_opts and the result
 * into an exit status. */
#ifndef SONGLAKE_BUILD_H
#define SONGLAKE_BUILD_H

#include "core/core.h"
#include "etl/etl.h"
#include "io/io.h"
#include "lake/lake.h"
#include "parquet/parquet.h"

/* What to build, as the user gave it: build_run never changes it. The
 * strings belong to the caller. */
typedef struct build_opts {
    char *songs, *logs, *out, *config;
    char *postgres, *pg_schema; /* build then load into PostgreSQL */
    int threads;
    pq_codec codec;
    uint64_t max_rejects; /* UINT64_MAX: unlimited; with MPI, on the sum over ranks */
    /* A source whose rejected share of its records is above this fails
     * the run (issue 15); 0 = the default, BUILD_DEFAULT_REJECT_RATE; 1 =
     * off. A source with records and none accepted always fails it. */
    double max_reject_rate;
    size_t row_group_rows;
    bool quiet;    /* no summary on stdout */
    bool progress; /* a progress line on stderr (the leader's, with MPI) */
    bool delta;    /* --format delta: Delta Lake tables (SPEC section 6) */
    io_config io;
} build_opts;

typedef struct build_input {
    size_t files;
    uint64_t bytes; /* as listed (compressed size for .gz/.zst) */
} build_input;

/* The outcome of a run. With MPI the totals are over every rank and final
 * on the leader (rank 0). */
typedef struct build_summary {
    int rank, ranks;
    bool published; /* the star was committed (a --postgres load may still fail) */
    build_input songs_in, logs_in;
    etl_source_stats songs, events;
    uint64_t songplays_matched, rejects;
    lake_table_stats tables[LAKE_NTABLES];
    double seconds; /* from the start to the end of the commit */
    /* the most frequent reject reasons (numbers shown as N) */
    size_t nreasons;
    struct {
        char text[160];
        uint64_t count;
    } reasons[3];
} build_summary;

/* Runs the build (MPI: on every rank, each calling it once). Returns 0 when
 * the lake is published (and loaded into PostgreSQL if asked), -1 with err
 * set to the one line to print (empty when this rank has nothing to say: a
 * follower that saw another rank fail). A failed run leaves the previous
 * lake as it was. summary may be NULL. */
int build_run(const build_opts *o, build_summary *summary, sl_err *err);
/* build_run's result when a check before writing refused the run: --out
 * is "/", holds or lies in an input, or holds something songlake did not
 * write (a usage error: exit 2). */
#define BUILD_REFUSED (-2)
#define BUILD_DEFAULT_REJECT_RATE 0.05
/* build_run's result when another writer committed a Delta version first
 * (--format delta): nothing more was committed (exit 3). */
#define BUILD_CONFLICT (-3)

#endif
