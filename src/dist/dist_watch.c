/* dist_watch: the watchdog that turns a lost rank into a bounded failure
 * (docs/mpi.md, "Faults").
 *
 * A rank blocked in a collective cannot tell a slow peer (a bigger shard, a
 * slow S3 prefix) from a dead one: TCP says nothing about a peer that is
 * gone while nothing is sent to it, and a host whose link is cut leaves every
 * rank and mpirun waiting forever. A deadline on each collective would fail
 * honest runs whose shards are uneven, so liveness is checked apart from the
 * work: a thread in every rank exchanges heartbeats with rank 0 on a
 * communicator of its own (a star: rank 0 hears every rank, every rank hears
 * rank 0), every timeout/6 seconds. A peer silent for the timeout is lost:
 * the thread prints one line naming it (rank and host) and ends the job with
 * MPI_Abort, then _exit()s should the abort itself hang (its host may be the
 * one that cannot reach mpirun). A rank about to finalize says goodbye, so a
 * leader still busy after the last collective (a PostgreSQL load) does not
 * take the others' silence for a loss.
 *
 * The same thread takes SIGTERM and SIGINT (blocked in every other thread,
 * which inherit the mask set before any is created): the rank prints what
 * stopped it and exits non-zero at once, which mpirun turns into the end of
 * the job. Nothing is committed by a rank that stops this way before its
 * leader publishes; the leader's publish survives a kill at any moment
 * (io/local.c), and the next run removes the staging leftovers.
 *
 * Needs MPI_THREAD_MULTIPLE (Open MPI provides it); without it there is no
 * watchdog, and Open MPI's own keepalive (src/dist/mca-params.conf) is the
 * only bound. */
#include "dist/dist_internal.h"

#include <time.h>

#ifdef SONGLAKE_HAVE_MPI
#include <mpi.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { BEAT = 0, BYE = 1 };
#define TAG 0x5157
#define POLL_NS (50 * 1000 * 1000L)

static struct {
    MPI_Comm comm;
    int rank, size;
    const char *(*host)(int);
    pthread_t thread;
    bool running;
    _Atomic bool stop;
    _Atomic double timeout;
    sigset_t sigs;
} w;

/* a peer this rank watches: when it was last heard from, and whether it
 * said goodbye (then it is not watched any more) */
typedef struct peer {
    int rank;
    double last;
    bool gone;
    uint8_t in, out;
    MPI_Request rreq, sreq;
} peer;

static void *exit_later(void *arg) {
    (void)arg;
    sleep(10);
    _exit(1);
}

/* Ends this process, and through mpirun the job, whatever MPI manages. */
static void end_job(int code) {
    fflush(stderr);
    pthread_t t;
    pthread_create(&t, NULL, exit_later, NULL);
    MPI_Abort(MPI_COMM_WORLD, code);
    _exit(code);
}

/* One line, printed once by the rank that saw the silence. */
static void say_lost(const peer *p, double silent) {
    fprintf(stderr,
            "songlake: error: lost rank %d on host %s: no heartbeat for %.0f s (host down, hung "
            "or cut off; --mpi-timeout %.0f); ending the job, the previous lake is unchanged "
            "(seen by rank %d on %s)\n",
            p->rank, w.host(p->rank), silent, atomic_load(&w.timeout), w.rank, w.host(w.rank));
    fflush(stderr);
}

static void post_recv(peer *p) {
    MPI_Irecv(&p->in, 1, MPI_BYTE, p->rank, TAG, w.comm, &p->rreq);
}

static void send_to(peer *p, uint8_t what) {
    if (p->sreq != MPI_REQUEST_NULL) {
        int done = 0;
        MPI_Test(&p->sreq, &done, MPI_STATUS_IGNORE);
        if (!done) return; /* the last one is still on its way: no pile-up */
    }
    p->out = what;
    MPI_Isend(&p->out, 1, MPI_BYTE, p->rank, TAG, w.comm, &p->sreq);
}

/* Waits until the last send to p is done or the clock passes until. */
static bool send_done(peer *p, double until) {
    while (p->sreq != MPI_REQUEST_NULL && dist_clock() < until) {
        int done = 0;
        MPI_Test(&p->sreq, &done, MPI_STATUS_IGNORE);
        if (!done) nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    return p->sreq == MPI_REQUEST_NULL;
}

static void *watch_main(void *arg) {
    (void)arg;
    int np = w.rank == 0 ? w.size - 1 : 1;
    peer *ps = sl_calloc((size_t)np, sizeof *ps);
    double now = dist_clock(), next_beat = now;
    for (int i = 0; i < np; i++) {
        ps[i].rank = w.rank == 0 ? i + 1 : 0;
        ps[i].last = now;
        ps[i].sreq = MPI_REQUEST_NULL;
        post_recv(&ps[i]);
    }
    struct timespec poll = {0, POLL_NS};
    double abort_at = 0; /* set once a peer is lost */
    while (!atomic_load(&w.stop)) {
        siginfo_t si;
        int sig = sigtimedwait(&w.sigs, &si, &poll);
        if (sig > 0) {
            /* mpirun sends this too when it ends the job for another cause */
            if (!abort_at)
                fprintf(stderr,
                        "songlake: rank %d on host %s: stopped by %s; nothing of this run is "
                        "published, the previous lake is unchanged\n",
                        w.rank, w.host(w.rank), sig == SIGTERM ? "SIGTERM" : "SIGINT");
            fflush(stderr);
            _exit(128 + sig);
        }
        now = dist_clock();
        double timeout = atomic_load(&w.timeout);
        if (abort_at && now >= abort_at) end_job(1);
        for (int i = 0; i < np; i++) {
            peer *p = &ps[i];
            int got = 1;
            while (!p->gone && got) {
                MPI_Test(&p->rreq, &got, MPI_STATUS_IGNORE);
                if (!got) break;
                p->last = now;
                if (p->in == BYE)
                    p->gone = true;
                else
                    post_recv(p);
            }
            if (!abort_at && !p->gone && timeout > 0 && now - p->last > timeout) {
                say_lost(p, now - p->last);
                /* Open MPI's keepalive (songlake.tune) ends a job whose
                 * host dropped off by itself: an abort before that makes
                 * mpirun send to the lost daemon and wait out TCP's
                 * retransmissions (15 min). A hung rank on a live host
                 * needs the abort: it comes one more timeout later. The
                 * others keep hearing from this rank meanwhile, so the
                 * loss is reported once. */
                abort_at = now + timeout;
            }
        }
        if (now >= next_beat) {
            for (int i = 0; i < np; i++)
                if (!ps[i].gone) send_to(&ps[i], BEAT);
            next_beat = now + (timeout > 0 ? timeout / 6 : 1.0);
        }
    }
    /* goodbye: peers stop watching this rank; its last sends get a moment */
    double until = dist_clock() + 2.0;
    for (int i = 0; i < np; i++)
        if (send_done(&ps[i], until)) send_to(&ps[i], BYE);
    for (int i = 0; i < np; i++) {
        peer *p = &ps[i];
        if (!send_done(p, until)) {
            MPI_Cancel(&p->sreq);
            MPI_Request_free(&p->sreq);
        }
        if (!p->gone) {
            MPI_Cancel(&p->rreq);
            MPI_Wait(&p->rreq, MPI_STATUS_IGNORE);
        }
    }
    free(ps);
    return NULL;
}

void dist_watch_start(int rank, int size, const char *(*host)(int), double timeout) {
    w.rank = rank;
    w.size = size;
    w.host = host;
    atomic_store(&w.timeout, timeout);
    atomic_store(&w.stop, false);
    MPI_Comm_dup(MPI_COMM_WORLD, &w.comm);
    dist_watch_block_signals(true);
    w.running = pthread_create(&w.thread, NULL, watch_main, NULL) == 0;
}

/* Called before MPI_Init: every thread created from then on (Open MPI's
 * own, the pools) inherits the mask, so only the watchdog takes them. */
void dist_watch_block_signals(bool block) {
    sigemptyset(&w.sigs);
    sigaddset(&w.sigs, SIGTERM);
    sigaddset(&w.sigs, SIGINT);
    pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &w.sigs, NULL);
}

void dist_watch_set_timeout(double seconds) {
    atomic_store(&w.timeout, seconds);
}

void dist_watch_stop(void) {
    if (!w.running) return;
    atomic_store(&w.stop, true);
    pthread_join(w.thread, NULL);
    w.running = false;
    MPI_Comm_free(&w.comm);
}

#else
void dist_watch_set_timeout(double seconds) {
    (void)seconds;
}
#endif

double dist_clock(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
