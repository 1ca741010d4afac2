/* dist: running one build across many processes with MPI.
 *
 * Without MPI support compiled in, or when the binary was not started by
 * mpirun/srun, there is exactly one rank and every collective is the
 * identity, so callers need no special cases. Collectives used by the build:
 * a barrier that also agrees on success, an exclusive prefix sum, sums and
 * an all-to-all exchange of byte records. */
#ifndef SONGLAKE_DIST_H
#define SONGLAKE_DIST_H

#include "core/core.h"

/* Initialises MPI when compiled in and launched under an MPI launcher.
 * Safe to call once at start-up. */
void dist_init(int *argc, char ***argv);
void dist_finalize(void);
/* Ends every rank at once (after a failure that others cannot see). */
void dist_abort(int code);
bool dist_compiled(void); /* MPI support built in */
bool dist_active(void);   /* running with more than one rank */
int dist_rank(void);
int dist_size(void);
/* The host a rank runs on (its gethostname), for messages; "?" if unknown. */
const char *dist_host(int rank);

/* Faults (dist_watch.c, docs/mpi.md): every rank exchanges heartbeats with
 * rank 0 on a thread of its own; a rank not heard from for the timeout is
 * lost: one line names it and its host, and the job ends (MPI_Abort).
 * SIGTERM/SIGINT to a rank end the job the same way. The timeout is
 * SONGLAKE_MPI_TIMEOUT (seconds, 0 = no watchdog) or DIST_DEFAULT_TIMEOUT;
 * --mpi-timeout sets it after start-up (every rank gets the same flags). */
#define DIST_DEFAULT_TIMEOUT 25.0
double dist_default_timeout(void);
void dist_set_timeout(double seconds);

/* All ranks pass their own ok; returns true only when every rank is ok. */
bool dist_all_ok(bool ok);
/* Exclusive prefix sum over ranks (rank 0 gets 0). */
uint64_t dist_exscan_u64(uint64_t v);
/* Sums n values element-wise into every rank's array. */
void dist_sum_u64(uint64_t *v, size_t n);
/* Maximum over ranks. */
double dist_max_double(double v);

/* All-to-all exchange: send[r] holds the bytes for rank r; on return recv[r]
 * holds what rank r sent here (recv buffers are reset first). */
int dist_alltoall(sl_buf *send, sl_buf *recv, sl_err *err);
/* Every rank receives the concatenation of all ranks' bytes in rank order. */
int dist_allgather(const sl_buf *mine, sl_buf *all, sl_err *err);
/* Rank 0 receives every rank's bytes in rank order, each framed as a
 * uint64_t length (native order) then the bytes; others get nothing. */
int dist_gather0(const sl_buf *mine, sl_buf *all, sl_err *err);
/* Rank 0's string reaches every rank (*s replaced with a malloc'd copy). */
void dist_bcast_str(char **s);

#endif
