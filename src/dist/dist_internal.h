/* dist internals shared by dist.c and dist_watch.c. */
#ifndef SONGLAKE_DIST_INTERNAL_H
#define SONGLAKE_DIST_INTERNAL_H

#include "dist/dist.h"

double dist_clock(void); /* monotonic seconds */
void dist_watch_set_timeout(double seconds);
#ifdef SONGLAKE_HAVE_MPI
/* SIGTERM/SIGINT blocked (before MPI_Init) or unblocked (no watchdog). */
void dist_watch_block_signals(bool block);
/* Starts the heartbeat thread (after MPI_Init, MPI_THREAD_MULTIPLE). */
void dist_watch_start(int rank, int size, const char *(*host)(int), double timeout);
/* Says goodbye to the peers and joins the thread (before MPI_Finalize). */
void dist_watch_stop(void);
#endif

#endif
