/* songlake build: flags and config file, then list -> etl -> lake ->
 * publish, with a progress line on a terminal and a summary at the end. */
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/build_opts.h"
#include "cli/build_ranks.h"
#include "etl/etl.h"
#include "io/io.h"
#include "dist/dist.h"
#include "lake/lake.h"
#include "sinks/sinks.h"

/* ---- progress -------------------------------------------------------- */
typedef struct progress {
    bool on;
    const char *what;
    uint64_t total_files, total_bytes;
    double start, last;
} progress;

static void progress_cb(void *ctx, uint64_t files, uint64_t bytes) {
    progress *p = ctx;
    if (!p->on) return;
    double now = sl_now();
    if (now - p->last < 0.2 && files < p->total_files) return;
    p->last = now;
    double el = now - p->start, mb = (double)bytes / 1e6;
    double rate = el > 0 ? mb / el : 0;
    double frac = p->total_files ? (double)files / (double)p->total_files : 1;
    double eta = frac > 0 ? el / frac - el : 0;
    fprintf(stderr, "\r%-6s %llu/%llu files  %.1f MB  %.1f MB/s  ETA %.0fs   ", p->what,
            (unsigned long long)files, (unsigned long long)p->total_files, mb, rate, eta);
    if (files >= p->total_files) fprintf(stderr, "\n");
}

/* ---- fetching through io --------------------------------------------- */
typedef struct fetch_ctx {
    io_batch_reader *br;
    size_t map_min; /* files this big and up are mapped (map_file) */
} fetch_ctx;

static int fetch_file(void *ctx, size_t i, sl_buf *out, sl_err *err) {
    return io_batch_get(((fetch_ctx *)ctx)->br, i, out, err);
}

/* Local uncompressed files of 1 MiB and more are mapped, not copied, and
 * parsed in chunks of 8 MiB (etl_mapper). SONGLAKE_MAP_MIN_BYTES and
 * SONGLAKE_CHUNK_BYTES change both, for tests. */
static size_t env_size(const char *name, size_t dflt) {
    const char *v = getenv(name);
    char *end;
    unsigned long long n = v && *v ? strtoull(v, &end, 10) : 0;
    return v && *v && !*end && n ? (size_t)n : dflt;
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
static const etl_mapper MAPPER = {map_file, release_range, unmap_file};

static char **uris_of(const io_list *l) {
    char **u = sl_calloc(l->n + 1, sizeof *u);
    for (size_t i = 0; i < l->n; i++) u[i] = l->files[i].uri;
    return u;
}

static uint64_t list_bytes(const io_list *l) {
    uint64_t b = 0;
    for (size_t i = 0; i < l->n; i++) b += l->files[i].size;
    return b;
}

typedef int (*etl_run_fn)(etl *e, size_t nfiles, char *const *sources, etl_fetch_fn fetch,
                          void *fctx, sl_err *err);

static int run_source(etl *e, etl_run_fn fn, const io_list *l, const build_opts *o, sl_err *err) {
    io_batch_reader *br = io_batch_open(l, &o->io, o->threads * 4, err);
    if (!br) return -1;
    fetch_ctx fc = {br, map_min_bytes()};
    char **uris = uris_of(l);
    etl_set_mapper(e, &MAPPER, &fc);
    int rc = fn(e, l->n, uris, fetch_file, &fc, err);
    etl_set_mapper(e, NULL, NULL);
    free(uris);
    io_batch_close(br);
    return rc;
}

/* ---- report ---------------------------------------------------------- */
static void json_kv_str(sl_buf *b, const char *k, const char *v, bool comma) {
    sl_buf_printf(b, "%s\"%s\":", comma ? "," : "", k);
    if (v)
        sl_buf_json_str(b, v, strlen(v));
    else
        sl_buf_append(b, "null", 4);
}

static void source_json(sl_buf *b, const char *name, const io_list *l, const etl_source_stats *s) {
    sl_buf_printf(b,
                  "\"%s\":{\"files\":%zu,\"bytes\":%llu,\"bytes_decompressed\":%llu,"
                  "\"records_read\":%llu,\"accepted\":%llu,\"rejected\":%llu}",
                  name, l->n, (unsigned long long)list_bytes(l), (unsigned long long)s->bytes,
                  (unsigned long long)s->read, (unsigned long long)s->accepted,
                  (unsigned long long)s->rejected);
}

typedef struct phase_times {
    double list, songs, events, finish, publish, total;
} phase_times;

static char *report_json(const build_opts *o, const char *run_id, const io_list *songs,
                         const io_list *logs, etl *e, lake *lk, const phase_times *pt) {
    sl_buf b = {0};
    sl_buf_append(&b, "{", 1);
    json_kv_str(&b, "tool", "songlake", false);
    json_kv_str(&b, "version", SONGLAKE_VERSION, true);
    json_kv_str(&b, "run_id", run_id, true);
    sl_buf_append(&b, ",\"options\":{", 12);
    json_kv_str(&b, "songs", o->songs, false);
    json_kv_str(&b, "logs", o->logs, true);
    json_kv_str(&b, "out", o->out, true);
    json_kv_str(&b, "config", o->config, true);
    json_kv_str(&b, "compression", pq_codec_name(o->codec), true);
    sl_buf_printf(&b, ",\"sync\":%s", o->io.no_sync ? "false" : "true");
    sl_buf_printf(&b, ",\"threads\":%d,\"ranks\":%d", o->threads, dist_size());
    uint64_t maxrej = dist_size() > 1 ? o->max_rejects_global : o->max_rejects;
    if (maxrej == UINT64_MAX)
        sl_buf_append(&b, ",\"max_rejects\":null", 19);
    else
        sl_buf_printf(&b, ",\"max_rejects\":%llu", (unsigned long long)maxrej);
    json_kv_str(&b, "endpoint_url", o->io.endpoint_url, true);
    json_kv_str(&b, "region", o->io.region, true);
    sl_buf_append(&b, "},\"inputs\":{", 12);
    source_json(&b, "songs", songs, etl_song_stats(e));
    sl_buf_append(&b, ",", 1);
    source_json(&b, "logs", logs, etl_event_stats(e));
    sl_buf_printf(&b, "},\"rejects\":%llu,\"songplays_matched\":%llu,\"tables\":{",
                  (unsigned long long)lake_reject_count(lk),
                  (unsigned long long)etl_matched_plays(e));
    for (int t = 0; t < LAKE_NTABLES; t++) {
        const lake_table_stats *s = lake_stats(lk, t);
        sl_buf_printf(&b, "%s\"%s\":{\"rows\":%llu,\"files\":%llu,\"bytes\":%llu}", t ? "," : "",
                      lake_table_name(t), (unsigned long long)s->rows, (unsigned long long)s->files,
                      (unsigned long long)s->bytes);
    }
    const etl_phase_times *et = etl_times(e);
    sl_buf_printf(&b,
                  "},\"seconds\":{\"list\":%.3f,\"songs\":%.3f,\"events\":%.3f,"
                  "\"read_cpu\":%.3f,\"parse_cpu\":%.3f,\"transform\":%.3f,"
                  "\"encode_songplays\":%.3f,\"finish\":%.3f,\"publish\":%.3f,\"total\":%.3f}}\n",
                  pt->list, pt->songs, pt->events, et->read, et->parse, et->merge - et->encode,
                  et->encode, pt->finish, pt->publish, pt->total);
    sl_buf_putc(&b, 0);
    return (char *)b.data;
}

static void print_summary(FILE *f, const io_list *songs, const io_list *logs, etl *e, lake *lk,
                          double secs, const char *out) {
    fprintf(f, "%-10s %12s %8s %14s\n", "table", "rows", "files", "bytes");
    for (int t = 0; t < LAKE_NTABLES; t++) {
        const lake_table_stats *s = lake_stats(lk, t);
        fprintf(f, "%-10s %12llu %8llu %14llu\n", lake_table_name(t), (unsigned long long)s->rows,
                (unsigned long long)s->files, (unsigned long long)s->bytes);
    }
    const etl_source_stats *ss = etl_song_stats(e), *es = etl_event_stats(e);
    fprintf(f, "\n%-10s %8s %12s %12s %12s %12s\n", "input", "files", "MB", "read", "accepted",
            "rejected");
    fprintf(f, "%-10s %8zu %12.1f %12llu %12llu %12llu\n", "songs", songs->n,
            (double)list_bytes(songs) / 1e6, (unsigned long long)ss->read,
            (unsigned long long)ss->accepted, (unsigned long long)ss->rejected);
    fprintf(f, "%-10s %8zu %12.1f %12llu %12llu %12llu\n", "events", logs->n,
            (double)list_bytes(logs) / 1e6, (unsigned long long)es->read,
            (unsigned long long)es->accepted, (unsigned long long)es->rejected);
    fprintf(f, "\n%s published in %.2f s", out, secs);
    if (ss->rejected + es->rejected) fprintf(f, "; rejects in %s/_songlake/rejects.jsonl", out);
    fprintf(f, "\n");
}

static char *make_run_id(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char t[32];
    strftime(t, sizeof t, "%Y%m%dT%H%M%SZ", &tm);
    unsigned r = (unsigned)(ts.tv_nsec ^ ((unsigned)getpid() << 12));
    return sl_sprintf("%s-%06x", t, r & 0xFFFFFF);
}

int build_run(build_opts *o) {
    sl_err err = {{0}};
    double t0 = sl_now();
    phase_times pt = {0};
    io_list songs = {0}, logs = {0};
    io_store *store = NULL;
    lake *lk = NULL;
    etl *e = NULL;
    char *run_id = NULL, *report = NULL, *prefix = NULL;
    rank_ctx rk = {dist_rank(), dist_size(), false};
    bool leader = rk.rank == 0, published = false, refused = false;
    int rc = 1;

    if (leader) run_id = make_run_id();
    dist_bcast_str(&run_id);
    if (rk.size > 1) {
        o->max_rejects_global = o->max_rejects; /* checked on the sum, by the leader */
        o->max_rejects = UINT64_MAX;
        o->progress = o->progress && leader;
    }
    int lr = rk.failed_here ? -1 : 0;
    if (lr == 0 && io_list_inputs(o->songs, &o->io, &songs, &err) < 0)
        lr = sl_err_prefix(&err, "--songs");
    if (lr == 0 && io_list_inputs(o->logs, &o->io, &logs, &err) < 0)
        lr = sl_err_prefix(&err, "--logs");
    pt.list = sl_now() - t0;
    /* the leader opens (and locks) the store and the stages first */
    if (leader && lr == 0) {
        /* nothing is written before these pass: the output neither is "/"
         * nor holds or lies in an input, and every table under it is one
         * songlake wrote (exit 2 otherwise, issue 15) */
        const char *const ins[] = {o->songs, o->logs}, *const what[] = {"--songs", "--logs"};
        lr = lake_check_locations(o->out, ins, what, 2, &err);
        if (lr == 0 && !(store = io_store_open(o->out, &o->io, run_id, &err)))
            lr = sl_err_prefix(&err, "--out");
        else if (lr == 0 && io_store_cleanup(store, &err) < 0)
            lr = -1;
        else if (lr == 0)
            lr = lake_check_owned(store, &err);
        refused = lr == LAKE_REFUSED;
    }
    if (rk.size > 1) prefix = sl_sprintf("part-%05d", rk.rank);
    lake_opts lo = {.codec = o->codec,
                    .threads = o->threads,
                    .row_group_rows = o->row_group_rows,
                    .part_prefix = prefix,
                    .follower = !leader};
    if (leader && lr == 0 && !(lk = lake_open(store, &lo, &err))) lr = -1;
    if (!ranks_all_ok(&rk, lr)) goto out;
    if (!leader) {
        io_config fc = o->io;
        fc.stage_follower = true;
        store = io_store_open(o->out, &fc, run_id, &err);
        lr = store ? 0 : sl_err_prefix(&err, "--out");
        if (lr == 0 && !(lk = lake_open(store, &lo, &err))) lr = -1;
    }
    progress pr = {.on = o->progress, .start = sl_now()};
    etl_opts eo = {.threads = o->threads,
                   .max_rejects = o->max_rejects,
                   .progress = progress_cb,
                   .progress_ctx = &pr,
                   .chunk_bytes = env_size("SONGLAKE_CHUNK_BYTES", 0)};
    if (lr == 0) e = etl_new(lk, &eo);
    double t1 = sl_now();
    pr.what = "songs";
    pr.total_files = songs.n;
    if (rk.size == 1) {
        if (lr == 0) lr = run_source(e, etl_run_songs, &songs, o, &err);
    } else { /* this rank's share of the catalog, then the shuffle */
        size_t a = 0, z = 0;
        ranks_my_range(&songs, rk.rank, rk.size, &a, &z);
        io_list share = {songs.files + a, z - a};
        if (lr == 0) lr = run_source(e, etl_parse_songs, &share, o, &err);
        if (!ranks_all_ok(&rk, lr)) goto out;
        lr = ranks_combine_catalog(&rk, e, lk, &err);
    }
    if (!ranks_all_ok(&rk, lr)) goto out;
    double t2 = sl_now();
    pt.songs = t2 - t1;

    size_t lo_i = 0, hi_i = logs.n;
    if (rk.size > 1) ranks_my_range(&logs, rk.rank, rk.size, &lo_i, &hi_i);
    io_list mine = {logs.files + lo_i, hi_i - lo_i};
    if (rk.size > 1) { /* songplayIds: this rank's offset among all ranks */
        uint64_t count = 0;
        io_batch_reader *br = io_batch_open(&mine, &o->io, o->threads * 4, &err);
        lr = br ? 0 : -1;
        if (br) {
            fetch_ctx fc = {br, map_min_bytes()};
            char **uris = uris_of(&mine);
            etl_set_mapper(e, &MAPPER, &fc);
            lr = etl_count_plays(e, mine.n, uris, fetch_file, &fc, &count, &err);
            etl_set_mapper(e, NULL, NULL);
            free(uris);
            io_batch_close(br);
        }
        if (!ranks_all_ok(&rk, lr)) goto out;
        etl_set_songplay_base(e, dist_exscan_u64(count));
    }
    pr.what = "events";
    pr.total_files = mine.n;
    pr.start = t2;
    lr = run_source(e, etl_run_events, &mine, o, &err);
    if (!ranks_all_ok(&rk, lr)) goto out;
    double t3 = sl_now();
    pt.events = t3 - t2;

    if (rk.size > 1) {
        lr = ranks_combine_events(&rk, e, lk, &err);
        uint64_t rejected = etl_song_stats(e)->rejected + etl_event_stats(e)->rejected;
        if (lr == 0 && leader && rejected > o->max_rejects_global)
            lr =
                sl_err_set(&err,
                           "%llu records rejected, more than --max-rejects %llu; fix the input "
                           "or raise --max-rejects",
                           (unsigned long long)rejected, (unsigned long long)o->max_rejects_global);
        if (!ranks_all_ok(&rk, lr)) goto out;
    }
    io_store_writeback_start(store); /* the bulk of the files is written from here on */
    lr = etl_finish(e, &err);        /* each rank writes its share of users and time */
    if (lr == 0) lr = lake_finish(lk, &err);
    io_store_writeback_stop(store);
    /* a follower's files are complete (uploads done) before the leader
     * writes any _SUCCESS that names them */
    if (lr == 0 && !leader) lr = lake_commit_tables(lk, &err);
    if (!ranks_all_ok(&rk, lr)) goto out;
    if (rk.size > 1) {
        lr = ranks_gather_files(&rk, lk, &err);
        if (!ranks_all_ok(&rk, lr)) goto out;
    }
    double t4 = sl_now();
    pt.finish = t4 - t3;
    pt.total = t4 - t0;
    if (leader) { /* the tables first, so the report can say how long that took */
        lr = lake_commit_tables(lk, &err);
        pt.publish = sl_now() - t4;
        pt.total = sl_now() - t0;
        if (lr == 0) {
            report = report_json(o, run_id, &songs, &logs, e, lk, &pt);
            lr = lake_commit_report(lk, report, strlen(report), &err);
        }
    }
    published = ranks_all_ok(&rk, lr);
    if (!published) goto out;
    if (leader && !o->quiet) print_summary(stdout, &songs, &logs, e, lk, sl_now() - t0, o->out);
    if (leader && o->postgres) {
        /* the lake is published: a failed load leaves it, and PostgreSQL's
         * previous star, as they were */
        if (sink_pg_load(o->out, o->postgres, o->pg_schema, &o->io, o->quiet ? NULL : stdout, NULL,
                         &err) < 0) {
            sl_err_prefix(&err, "--postgres (the lake at %s is published)", o->out);
            rk.failed_here = true;
            goto out;
        }
    }
    rc = 0;
out:
    if (rc) {
        if (lk && !published) lake_abort(lk);
        if (rk.failed_here) {
            if (rk.size > 1)
                fprintf(stderr, "songlake: error: rank %d: %s\n", rk.rank, err.msg);
            else
                fprintf(stderr, "songlake: error: %s\n", err.msg);
        } else if (leader) {
            fprintf(stderr, "songlake: error: another rank failed (see its message); the previous "
                            "lake is unchanged\n");
        }
    }
    if (rc && refused) rc = 2;
    etl_free(e);
    lake_free(lk);
    io_store_close(store);
    io_list_free(&songs);
    io_list_free(&logs);
    free(report);
    free(run_id);
    free(prefix);
    return rc;
}

int cmd_build(int argc, char **argv) {
    build_opts o;
    int rc = build_opts_parse(&o, argc, argv);
    if (rc >= 0) return rc; /* --help (0) or a usage error (2) */
    rc = build_run(&o);
    build_opts_free(&o);
    return rc;
}
