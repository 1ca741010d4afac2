/* build steps: what a run does, one function per step, called in order by
 * both drivers (build_local.c for one process, build_ranks.c for MPI ranks).
 * Reading goes through io (a batch reader; local uncompressed files mapped
 * and parsed in chunks), the rules are etl's, the tables lake's. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build/build_internal.h"
#include "dist/dist.h"
#include "sinks/sinks.h"

/* Local uncompressed files of 1 MiB and more are mapped, not copied, and
 * parsed in chunks of 8 MiB (etl_mapper). SONGLAKE_MAP_MIN_BYTES and
 * SONGLAKE_CHUNK_BYTES change both, for tests. */
static size_t env_size(const char *name, size_t dflt) {
    const char *v = getenv(name);
    char *end;
    unsigned long long n = v && *v ? strtoull(v, &end, 10) : 0;
    return v && *v && !*end && n ? (size_t)n : dflt;
}

void build_begin(build_state *s, const build_opts *o, int rank, int size) {
    memset(s, 0, sizeof *s);
    s->t0 = sl_now();
    s->o = o;
    s->rank = rank;
    s->size = size;
    s->leader = rank == 0;
    /* with MPI the limit is on the sum over ranks, checked by the leader */
    s->etl_max_rejects = size > 1 ? UINT64_MAX : o->max_rejects;
    s->pr.on = o->progress && s->leader;
    if (size > 1) s->part_prefix = sl_sprintf("part-%05d", rank);
    s->sum.rank = rank;
    s->sum.ranks = size;
}

char *build_make_run_id(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char t[32];
    strftime(t, sizeof t, "%Y%m%dT%H%M%SZ", &tm);
    unsigned r = (unsigned)(ts.tv_nsec ^ ((unsigned)getpid() << 12));
    return sl_sprintf("%s-%06x", t, r & 0xFFFFFF);
}

static build_input input_of(const io_list *l) {
    build_input in = {l->n, 0};
    for (size_t i = 0; i < l->n; i++) in.bytes += l->files[i].size;
    return in;
}

int build_plan(build_state *s, sl_err *err) {
    int rc = 0;
    if (io_list_inputs(s->o->songs, &s->o->io, &s->songs, err) < 0)
        rc = sl_err_prefix(err, "--songs");
    else if (io_list_inputs(s->o->logs, &s->o->io, &s->logs, err) < 0)
        rc = sl_err_prefix(err, "--logs");
    s->pt.list = sl_now() - s->t0;
    s->sum.songs_in = input_of(&s->songs);
    s->sum.logs_in = input_of(&s->logs);
    if (rc == 0) /* --verbose (cli) shows the steps */
        sl_log(SL_LOG_DEBUG,
               "listed %zu song files (%llu bytes) and %zu log files (%llu bytes) in %.3f s",
               s->songs.n, (unsigned long long)s->sum.songs_in.bytes, s->logs.n,
               (unsigned long long)s->sum.logs_in.bytes, s->pt.list);
    return rc;
}

int build_open(build_state *s, sl_err *err) {
    const build_opts *o = s->o;
    io_config cfg = o->io;
    if (!s->leader) cfg.stage_follower = true; /* it writes into the leader's stages */
    /* nothing is written before these pass: the output neither is "/" nor
     * holds or lies in an input, and every table under it is one songlake
     * wrote (exit 2 otherwise, issue 15) */
    const char *const ins[] = {o->songs, o->logs}, *const what[] = {"--songs", "--logs"};
    int rc = s->leader ? lake_check_locations(o->out, ins, what, 2, err) : 0;
    if (rc == 0) {
        s->store = io_store_open(o->out, &cfg, s->run_id, err);
        if (!s->store) return sl_err_prefix(err, "--out");
    }
    if (rc == 0 && s->leader && io_store_cleanup(s->store, err) < 0) return -1;
    /* delta: format check, probe, rollback of an unfinished run (SPEC 6) */
    if (rc == 0 && s->leader) rc = lake_prepare(s->store, &o->io, o->delta, err);
    if (rc == 0 && s->leader) rc = lake_check_owned(s->store, err);
    if (rc == LAKE_REFUSED) s->refused = true;
    if (rc) return -1;
    if (o->delta) { /* Delta: names unique to the run, as Spark's */
        free(s->part_prefix);
        s->part_prefix = sl_sprintf("part-%05d-%s", s->rank, s->run_id);
    }
    lake_opts lo = {.codec = o->codec,
                    .threads = o->threads,
                    .row_group_rows = o->row_group_rows,
                    .part_prefix = s->part_prefix,
                    .follower = !s->leader,
                    .max_rejects_bytes = env_size("SONGLAKE_MAX_REJECTS_BYTES", 0),
                    .delta = o->delta,
                    .run_id = s->run_id,
                    .io = &o->io};
    s->lk = lake_open(s->store, &lo, err);
    if (s->lk) sl_log(SL_LOG_DEBUG, "writing %s (run %s)", o->out, s->run_id);
    return s->lk ? 0 : -1;
}

void build_start_etl(build_state *s) {
    s->pr.start = sl_now();
    etl_opts eo = {.threads = s->o->threads,
                   .max_rejects = s->etl_max_rejects,
                   .progress = build_progress_cb,
                   .progress_ctx = &s->pr,
                   .chunk_bytes = env_size("SONGLAKE_CHUNK_BYTES", 0),
                   .max_piece_bytes = env_size("SONGLAKE_MAX_PIECE_BYTES", 0)};
    s->e = etl_new(s->lk, &eo);
}

/* ---- reading through io ----------------------------------------------- */
typedef struct fetch_ctx {
    io_batch_reader *br;
    size_t map_min; /* files this big and up are mapped (map_file) */
} fetch_ctx;

static int fetch_file(void *ctx, size_t i, sl_buf *out, sl_err *err) {
    return io_batch_get(((fetch_ctx *)ctx)->br, i, out, err);
}

static size_t map_min_bytes(void) {
    return env_size("SONGLAKE_MAP_MIN_BYTES", (size_t)1 << 20);
}
static int map_file(void *ctx, size_t i, const uint8_t **data, size_t *len, sl_err *err) {
    const fetch_ctx *fc = ctx;
    return io_batch_map(fc->br, i, fc->map_min, data, len, err);
}
static void release_range(void *ctx, const uint8_t *data, size_t off, size_t n) {
    (void)ctx;
    io_map_release(data, off, n);
}
static void unmap_file(void *ctx, const uint8_t *data, size_t len) {
    (void)ctx;
    io_unmap(data, len);
}
static void prefetch_range(void *ctx, const uint8_t *data, size_t off, size_t n) {
    (void)ctx;
    io_map_prefetch(data, off, n);
}
/* Local .gz/.zst files are read as streams and cut into chunks as they
 * inflate (memory does not follow their decompressed size). */
static int stream_open(void *ctx, size_t i, void **h, sl_err *err) {
    io_stream *st = NULL;
    int rc = io_batch_stream(((fetch_ctx *)ctx)->br, i, &st, err);
    *h = st;
    return rc;
}
static long stream_read(void *ctx, void *h, uint8_t *p, size_t n, sl_err *err) {
    (void)ctx;
    return (long)io_stream_read(h, p, n, err);
}
static void stream_close(void *ctx, void *h) {
    (void)ctx;
    io_stream_close(h);
}
static const etl_mapper MAPPER = {map_file,    release_range, unmap_file,  prefetch_range,
                                  stream_open, stream_read,   stream_close};

static char **uris_of(const io_list *l) {
    char **u = sl_calloc(l->n + 1, sizeof *u);
    for (size_t i = 0; i < l->n; i++) u[i] = l->files[i].uri;
    return u;
}

/* Runs fn (an etl pass over l), or counts l's songplays when count is set. */
static int read_files(build_state *s, build_etl_fn fn, const io_list *l, uint64_t *count,
                      sl_err *err) {
    io_batch_reader *br = io_batch_open(l, &s->o->io, s->o->threads * 4, err);
    if (!br) return -1;
    fetch_ctx fc = {br, map_min_bytes()};
    char **uris = uris_of(l);
    etl_set_mapper(s->e, &MAPPER, &fc);
    int rc = count ? etl_count_plays(s->e, l->n, uris, fetch_file, &fc, count, err)
                   : fn(s->e, l->n, uris, fetch_file, &fc, err);
    etl_set_mapper(s->e, NULL, NULL);
    free(uris);
    io_batch_close(br);
    return rc;
}

int build_read(build_state *s, build_etl_fn fn, const io_list *l, sl_err *err) {
    return read_files(s, fn, l, NULL, err);
}

int build_count_plays(build_state *s, const io_list *l, uint64_t *count, sl_err *err) {
    return read_files(s, NULL, l, count, err);
}

/* ---- writing, committing ---------------------------------------------- */
int build_write(build_state *s, sl_err *err) {
    build_progress_step(&s->pr, "writing the tables");
    io_store_writeback_start(s->store); /* the bulk of the files is written from here on */
    int rc = etl_finish(s->e, err);     /* with MPI: this rank's share of users and time */
    if (rc == 0) rc = lake_finish(s->lk, err);
    io_store_writeback_stop(s->store);
    return rc;
}

void build_collect(build_state *s) {
    etl_stats st;
    etl_get_stats(s->e, &st);
    s->sum.songs = st.songs;
    s->sum.events = st.events;
    s->sum.songplays_matched = st.matched;
}

/* "123 x missing song_id, 4 x ..." for the top reasons */
static void top_reasons(lake *lk, sl_buf *b, size_t max) {
    const lake_reason *r;
    size_t n = lake_reject_reasons(lk, &r);
    for (size_t i = 0; i < n && i < max; i++)
        sl_buf_printf(b, "%s%llu x %s", i ? "; " : "", (unsigned long long)r[i].count, r[i].text);
    if (n > max) sl_buf_printf(b, "; %zu more kinds", n - max);
}

static void summary_reasons(build_state *s) {
    const lake_reason *r;
    size_t n = lake_reject_reasons(s->lk, &r);
    s->sum.nreasons = n < 3 ? n : 3;
    for (size_t i = 0; i < s->sum.nreasons; i++) {
        snprintf(s->sum.reasons[i].text, sizeof s->sum.reasons[i].text, "%s", r[i].text);
        s->sum.reasons[i].count = r[i].count;
    }
}

int build_check_rejects(build_state *s, sl_err *err) {
    if (!s->leader) return 0;
    const build_opts *o = s->o;
    uint64_t rejected = s->sum.songs.rejected + s->sum.events.rejected;
    sl_buf why = {0};
    if (rejected > o->max_rejects) {
        sl_buf_printf(&why, "%llu records rejected, more than --max-rejects %llu",
                      (unsigned long long)rejected, (unsigned long long)o->max_rejects);
    } else {
        double limit = o->max_reject_rate > 0 ? o->max_reject_rate : BUILD_DEFAULT_REJECT_RATE;
        const struct {
            const char *name, *flag;
            const etl_source_stats *st;
        } src[] = {{"songs", "--songs", &s->sum.songs}, {"events", "--logs", &s->sum.events}};
        for (size_t i = 0; i < 2 && !why.len; i++) {
            const etl_source_stats *st = src[i].st;
            if (!st->read) continue;
            double rate = (double)st->rejected / (double)st->read;
            if (st->accepted == 0)
                sl_buf_printf(&why, "%s: 0 of %llu records accepted (is %s %s the right input?)",
                              src[i].name, (unsigned long long)st->read, src[i].flag,
                              i ? o->logs : o->songs);
            else if (limit < 1 && rate > limit)
                sl_buf_printf(&why,
                              "%s: %llu of %llu records rejected (%.1f%%), above "
                              "--max-reject-rate %g%%",
                              src[i].name, (unsigned long long)st->rejected,
                              (unsigned long long)st->read, 100 * rate, 100 * limit);
        }
    }
    if (!why.len) return 0;
    s->reject_trip = true;
    sl_buf_printf(&why, "; by reason: ");
    top_reasons(s->lk, &why, 3);
    sl_buf_putc(&why, 0);
    sl_err_set(err, "%s", (char *)why.data);
    sl_buf_free(&why);
    return -1;
}

int build_commit(build_state *s, sl_err *err) {
    /* the tables first, so the report can say how long that took */
    double t = sl_now();
    sl_log(SL_LOG_DEBUG, "tables written in %.3f s; committing the star", t - s->t0);
    build_progress_step(&s->pr, "committing the star");
    int rc = lake_commit_tables(s->lk, err);
    s->pt.publish = sl_now() - t;
    s->pt.total = sl_now() - s->t0;
    if (rc < 0 && lake_conflict(s->lk)) s->conflict = true; /* delta: another writer */
    if (rc < 0) return -1;
    sl_log(SL_LOG_DEBUG, "star committed in %.3f s", s->pt.publish);
    s->sum.rejects = lake_reject_count(s->lk);
    summary_reasons(s);
    for (int k = 0; k < LAKE_NTABLES; k++) s->sum.tables[k] = *lake_stats(s->lk, k);
    s->report = build_report_json(s);
    return lake_commit_report(s->lk, s->report, strlen(s->report), err);
}

int build_complete_files(build_state *s, sl_err *err) {
    return lake_commit_tables(s->lk, err); /* a follower's: completes, publishes nothing */
}

int build_after_commit(build_state *s, sl_err *err) {
    const build_opts *o = s->o;
    if (!s->leader) return 0;
    s->sum.seconds = sl_now() - s->t0;
    if (!o->postgres) return 0;
    /* the lake is published: a failed load leaves it, and PostgreSQL's
     * previous star, as they were */
    if (sink_pg_load(o->out, o->postgres, o->pg_schema, &o->io, o->quiet ? NULL : stdout, NULL,
                     err) < 0) {
        sl_err_prefix(err, "--postgres (the lake at %s is published)", o->out);
        s->failed_here = true;
        return -1;
    }
    return 0;
}

void build_end(build_state *s, int rc, sl_err *err) {
    if (rc) {
        /* one process: etl stopped on --max-rejects as it merged */
        if (s->lk && s->leader && !s->sum.published &&
            lake_reject_count(s->lk) > s->o->max_rejects && !s->reject_trip) {
            s->reject_trip = true;
            sl_buf b = {0};
            top_reasons(s->lk, &b, 3);
            sl_buf_putc(&b, 0);
            size_t n = strlen(err->msg);
            snprintf(err->msg + n, sizeof err->msg - n, "; by reason: %s", (char *)b.data);
            sl_buf_free(&b);
        }
        char *where = NULL;
        sl_err e2;
        if (s->reject_trip && s->lk && s->leader && !s->sum.published) {
            if (lake_keep_failed_rejects(s->lk, s->run_id, &where, &e2) < 0)
                sl_log(SL_LOG_WARN, "keeping the rejects of the failed run: %s", e2.msg);
            size_t n = strlen(err->msg);
            if (where)
                snprintf(err->msg + n, sizeof err->msg - n,
                         "; nothing was published; the rejects are in %s", where);
            free(where);
        }
        if (s->lk && !s->sum.published) lake_abort(s->lk);
        if (s->failed_here) {
            if (s->size > 1) sl_err_prefix(err, "rank %d", s->rank);
        } else if (s->leader) {
            sl_err_set(err, "another rank failed (see its message); the previous lake is "
                            "unchanged");
        } else {
            err->msg[0] = 0; /* that rank says why */
        }
    }
    etl_free(s->e);
    lake_free(s->lk);
    io_store_close(s->store);
    io_list_free(&s->songs);
    io_list_free(&s->logs);
    free(s->report);
    free(s->run_id);
    free(s->part_prefix);
}

int build_run(const build_opts *o, build_summary *summary, sl_err *err) {
    build_state s;
    build_begin(&s, o, dist_rank(), dist_size());
    int rc = s.size > 1 ? build_drive_ranks(&s, err) : build_drive_local(&s, err);
    if (rc < 0 && s.size == 1) s.failed_here = true;
    if (summary) *summary = s.sum;
    bool refused = s.refused, conflict = s.conflict;
    build_end(&s, rc, err);
    return rc < 0 ? (refused ? BUILD_REFUSED : conflict ? BUILD_CONFLICT : -1) : 0;
}
