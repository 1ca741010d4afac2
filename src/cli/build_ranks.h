/* The parts of `songlake build` that coordinate MPI ranks (docs/mpi.md):
 * which input files a rank reads, the catalog / users / time shuffles, and
 * what the leader (rank 0) gathers before it publishes. With one rank every
 * dist_* collective is the identity. Private to cli/. */
#ifndef SONGLAKE_CLI_BUILD_RANKS_H
#define SONGLAKE_CLI_BUILD_RANKS_H

#include "etl/etl.h"
#include "io/io.h"
#include "lake/lake.h"

typedef struct rank_ctx {
    int rank, size;
    bool failed_here; /* this rank's err holds the cause */
} rank_ctx;

/* [lo, hi) of the files whose first byte falls in this rank's byte share. */
void ranks_my_range(const io_list *l, int rank, int size, size_t *lo, size_t *hi);
/* A sync point: true when every rank is still fine. */
bool ranks_all_ok(rank_ctx *rc, int local_rc);
/* After this rank parsed its song files: the catalog shuffles, each rank
 * writes its share, song rejects to the leader, every song to every rank. */
int ranks_combine_catalog(rank_ctx *rc, etl *e, lake *lk, sl_err *err);
/* After the events: users and time shuffles, rejects and stats to the leader. */
int ranks_combine_events(rank_ctx *rc, etl *e, lake *lk, sl_err *err);
/* After every rank closed its files: the leader learns them all. */
int ranks_gather_files(rank_ctx *rc, lake *lk, sl_err *err);

#endif
