/* dist: MPI collectives for the build, with a one-rank fallback.
 * Byte exchanges use 64-bit counts split into chunks below INT_MAX, since MPI
 * counts are ints. */
#include "dist/dist_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef SONGLAKE_HAVE_MPI
#include <mpi.h>
#endif

static int g_rank = 0, g_size = 1;
static bool g_active = false;
/* every rank's host name, DIST_HOST_MAX bytes each, for messages */
#define DIST_HOST_MAX 64
static char *g_hosts;

const char *dist_host(int rank) {
    if (!g_hosts || rank < 0 || rank >= g_size) return "?";
    return g_hosts + (size_t)rank * DIST_HOST_MAX;
}

double dist_default_timeout(void) {
    const char *e = getenv("SONGLAKE_MPI_TIMEOUT");
    char *end;
    double v = e ? strtod(e, &end) : 0;
    if (e && end != e && *end == 0 && v >= 0) return v;
    return DIST_DEFAULT_TIMEOUT;
}

void dist_set_timeout(double seconds) {
    dist_watch_set_timeout(seconds);
}

bool dist_compiled(void) {
#ifdef SONGLAKE_HAVE_MPI
    return true;
#else
    return false;
#endif
}

/* Launched by an MPI launcher? (Open MPI, MPICH/Hydra, Slurm PMI) */
static bool launched_by_mpi(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK",
                                       "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i])) return true;
    return false;
}

void dist_init(int *argc, char ***argv) {
#ifdef SONGLAKE_HAVE_MPI
    if (!launched_by_mpi()) return;
    int provided;
    dist_watch_block_signals(true);
    MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    g_active = true;
    char me[DIST_HOST_MAX] = {0};
    if (gethostname(me, sizeof me - 1) < 0) strcpy(me, "?");
    g_hosts = sl_calloc((size_t)g_size, DIST_HOST_MAX);
    MPI_Allgather(me, DIST_HOST_MAX, MPI_CHAR, g_hosts, DIST_HOST_MAX, MPI_CHAR, MPI_COMM_WORLD);
    if (g_size > 1 && provided >= MPI_THREAD_MULTIPLE)
        dist_watch_start(g_rank, g_size, dist_host, dist_default_timeout());
    else
        dist_watch_block_signals(false);
#else
    (void)argc;
    (void)argv;
    (void)launched_by_mpi;
#endif
}

void dist_finalize(void) {
#ifdef SONGLAKE_HAVE_MPI
    if (g_active) {
        dist_watch_stop();
        MPI_Finalize();
    }
#endif
    g_active = false;
    free(g_hosts);
    g_hosts = NULL;
}

void dist_abort(int code) {
#ifdef SONGLAKE_HAVE_MPI
    if (g_active) MPI_Abort(MPI_COMM_WORLD, code);
#endif
    exit(code);
}

bool dist_active(void) {
    return g_active && g_size > 1;
}
int dist_rank(void) {
    return g_rank;
}
int dist_size(void) {
    return g_size;
}

bool dist_all_ok(bool ok) {
#ifdef SONGLAKE_HAVE_MPI
    if (g_active) {
        int in = ok ? 1 : 0, out = 0;
        MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        return out == 1;
    }
#endif
    return ok;
}

uint64_t dist_exscan_u64(uint64_t v) {
#ifdef SONGLAKE_HAVE_MPI
    if (g_active) {
        uint64_t out = 0;
        MPI_Exscan(&v, &out, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
        return g_rank == 0 ? 0 : out;
    }
#endif
    (void)v;
    return 0;
}

void dist_sum_u64(uint64_t *v, size_t n) {
#ifdef SONGLAKE_HAVE_MPI
    if (g_active && n)
        MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
#else
    (void)v;
    (void)n;
#endif
}

double dist_max_double(double v) {
#ifdef SONGLAKE_HAVE_MPI
    if (g_active) {
        double out;
        MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        return out;
    }
#endif
    return v;
}

#ifdef SONGLAKE_HAVE_MPI
/* Sends and receives with point-to-point messages in chunks, so sizes are
 * 64-bit; simpler than Alltoallv with derived types and fine for the sizes
 * a build exchanges (dimension keys). */
#define CHUNK (1 << 30)
static int exchange(sl_buf *send, sl_buf *recv, bool to_all_same, sl_err *err) {
    uint64_t *scount = sl_calloc((size_t)g_size, sizeof *scount);
    uint64_t *rcount = sl_calloc((size_t)g_size, sizeof *rcount);
    for (int r = 0; r < g_size; r++) scount[r] = to_all_same ? send[0].len : send[r].len;
    MPI_Alltoall(scount, 1, MPI_UINT64_T, rcount, 1, MPI_UINT64_T, MPI_COMM_WORLD);
    MPI_Request *reqs = sl_calloc((size_t)g_size * 64, sizeof *reqs);
    int nreq = 0;
    for (int r = 0; r < g_size; r++) {
        recv[r].len = 0;
        sl_buf_reserve(&recv[r], rcount[r]);
        recv[r].len = rcount[r];
    }
    int rc = 0;
    for (int r = 0; r < g_size && rc == 0; r++) {
        const sl_buf *s = to_all_same ? &send[0] : &send[r];
        for (uint64_t off = 0; off < rcount[r]; off += CHUNK) {
            int n = (int)(rcount[r] - off < CHUNK ? rcount[r] - off : CHUNK);
            MPI_Irecv(recv[r].data + off, n, MPI_BYTE, r, 7, MPI_COMM_WORLD, &reqs[nreq++]);
        }
        for (uint64_t off = 0; off < s->len; off += CHUNK) {
            int n = (int)(s->len - off < CHUNK ? s->len - off : CHUNK);
            MPI_Isend(s->data + off, n, MPI_BYTE, r, 7, MPI_COMM_WORLD, &reqs[nreq++]);
        }
        if (nreq > g_size * 64 - 8) rc = sl_err_set(err, "MPI exchange too large");
    }
    MPI_Waitall(nreq, reqs, MPI_STATUSES_IGNORE);
    free(reqs);
    free(scount);
    free(rcount);
    return rc;
}
#endif

int dist_alltoall(sl_buf *send, sl_buf *recv, sl_err *err) {
#ifdef SONGLAKE_HAVE_MPI
    if (g_active) return exchange(send, recv, false, err);
#endif
    (void)err;
    recv[0].len = 0;
    sl_buf_append(&recv[0], send[0].data, send[0].len);
    return 0;
}

int dist_allgather(const sl_buf *mine, sl_buf *all, sl_err *err) {
    all->len = 0;
#ifdef SONGLAKE_HAVE_MPI
    if (g_active) {
        sl_buf *recv = sl_calloc((size_t)g_size, sizeof *recv);
        sl_buf one = *mine;
        int rc = exchange(&one, recv, true, err);
        for (int r = 0; r < g_size; r++) {
            if (rc == 0) sl_buf_append(all, recv[r].data, recv[r].len);
            sl_buf_free(&recv[r]);
        }
        free(recv);
        return rc;
    }
#endif
    (void)err;
    sl_buf_append(all, mine->data, mine->len);
    return 0;
}

int dist_gather0(const sl_buf *mine, sl_buf *all, sl_err *err) {
    all->len = 0;
#ifdef SONGLAKE_HAVE_MPI
    if (g_active) {
        sl_buf *recv = sl_calloc((size_t)g_size, sizeof *recv);
        sl_buf *sends = sl_calloc((size_t)g_size, sizeof *sends);
        sends[0] = *mine;
        int rc = exchange(sends, recv, false, err);
        for (int r = 0; r < g_size; r++) {
            if (rc == 0 && g_rank == 0) {
                uint64_t n = recv[r].len;
                sl_buf_append(all, &n, sizeof n);
                sl_buf_append(all, recv[r].data, recv[r].len);
            }
            sl_buf_free(&recv[r]);
        }
        free(sends);
        free(recv);
        return rc;
    }
#endif
    (void)err;
    uint64_t n = mine->len;
    sl_buf_append(all, &n, sizeof n);
    sl_buf_append(all, mine->data, mine->len);
    return 0;
}

void dist_bcast_str(char **s) {
#ifdef SONGLAKE_HAVE_MPI
    if (!g_active) return;
    uint64_t n = g_rank == 0 ? strlen(*s) : 0;
    MPI_Bcast(&n, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    if (g_rank != 0) {
        free(*s);
        *s = sl_calloc(n + 1, 1);
    }
    MPI_Bcast(*s, (int)n, MPI_CHAR, 0, MPI_COMM_WORLD);
#else
    (void)s;
#endif
}
