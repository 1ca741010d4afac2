/* lake_delta: the five tables as Delta Lake tables (SPEC section 6).
 *
 * The Parquet files are written as for --format parquet, but straight into
 * the live table directories under names unique to the run (io direct
 * stages); nothing is renamed over or deleted. Committing a run:
 *
 *   1. every table's files made durable (io_stage_commit of the direct
 *      stage: a sync, nothing published);
 *   2. one Delta version per table, created only if absent, from the
 *      snapshot loaded when the lake was opened: an overwrite run removes
 *      every file of that snapshot and adds its own. A version another
 *      writer took first stops the run (lake_conflict: exit 3) and commits
 *      nothing more;
 *   3. the star record _songlake/star/<20 digits>.json, created only if
 *      absent, naming the run and each table's version: the commit point.
 *
 * A run killed between 2 and 3 leaves table versions no star record names;
 * lake_prepare, which every command runs on a lake before anything else,
 * rolls them back with a RESTORE version of the file set the last star
 * names. _songlake itself is still replaced whole (report.json,
 * rejects.jsonl), so the star records are carried into its stage first
 * (lake_delta_keep_stars). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delta/delta.h"
#include "lake/lake_internal.h"

/* ---- full schemas: SPEC section 2 order, partition columns included ---- */
static const pq_column_def SONGPLAYS_FULL[] = {
    {"songplayId", PQ_INT64, false},
    {"user_id", PQ_INT64, true},
    {"start_time", PQ_TIMESTAMP_US, false},
    {"level", PQ_STRING, true},
    {"song_id", PQ_STRING, true},
    {"artist_id", PQ_STRING, true},
    {"sessionId", PQ_INT64, true},
    {"userAgent", PQ_STRING, true},
    {"month", PQ_INT32, true},
    {"year", PQ_INT32, true},
};
static const pq_column_def SONGS_FULL[] = {
    {"title", PQ_STRING, true},    {"artist_id", PQ_STRING, false}, {"year", PQ_INT32, true},
    {"duration", PQ_DOUBLE, true}, {"song_id", PQ_STRING, false},
};
static const pq_column_def TIME_FULL[] = {
    {"timestamp", PQ_TIMESTAMP_US, false},
    {"hour", PQ_INT32, true},
    {"day", PQ_INT32, true},
    {"week", PQ_INT32, true},
    {"weekday", PQ_INT32, true},
    {"month", PQ_INT32, true},
    {"year", PQ_INT32, true},
};
static const char *const YEAR_MONTH[] = {"year", "month"};
static const char *const YEAR_ARTIST[] = {"year", "artist_id"};

static delta_schema table_schema(int t) {
    size_t n;
    const pq_column_def *cols = lake_table_cols(t, &n);
    switch (t) {
    case LAKE_SONGPLAYS: return (delta_schema){SONGPLAYS_FULL, 10, YEAR_MONTH, 2};
    case LAKE_SONGS: return (delta_schema){SONGS_FULL, 5, YEAR_ARTIST, 2};
    case LAKE_TIME: return (delta_schema){TIME_FULL, 7, YEAR_MONTH, 2};
    default: return (delta_schema){cols, n, NULL, 0};
    }
}

struct lake_delta {
    delta_snapshot snap[LAKE_NTABLES]; /* the latest versions when opened */
    int64_t star;                      /* the number of the star record this run writes */
    bool conflict;
};

static char *table_uri(const char *root, int t) {
    return sl_path_join(root, lake_table_name(t));
}

static bool exists(const char *uri, const io_config *cfg, sl_err *err, int *rc) {
    sl_buf b = {0};
    bool ex = false;
    *rc = io_read_raw(uri, cfg, &b, &ex, err);
    sl_buf_free(&b);
    return *rc == 0 && ex;
}

/* ---- star records -------------------------------------------------------- */
static bool star_name(const char *name, int64_t *v) {
    if (strlen(name) != 25 || strcmp(name + 20, ".json") != 0) return false;
    int64_t x = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9' || x > (INT64_MAX - 9) / 10) return false;
        x = x * 10 + (name[i] - '0');
    }
    *v = x;
    return true;
}

/* The star record numbers under root, sorted (malloc'd). */
static int list_stars(const char *root, const io_config *cfg, int64_t **out, size_t *n,
                      sl_err *err) {
    *out = NULL;
    *n = 0;
    char *dir = sl_path_join(root, "_songlake/star");
    io_list l = {0};
    sl_err lerr;
    if (io_list_inputs(dir, cfg, &l, &lerr) < 0) {
        /* nothing there is a lake without stars; anything else an error */
        char *first = sl_path_join(dir, "00000000000000000000.json");
        int rc;
        bool ex = exists(first, cfg, err, &rc);
        free(first);
        free(dir);
        if (rc < 0) return -1;
        if (ex) return sl_err_set(err, "%s", lerr.msg);
        return 0;
    }
    size_t dl = strlen(dir);
    *out = sl_calloc(l.n + 1, sizeof **out);
    for (size_t i = 0; i < l.n; i++) {
        const char *u = l.files[i].uri;
        int64_t v;
        if (!strncmp(u, dir, dl) && u[dl] == '/' && star_name(u + dl + 1, &v)) (*out)[(*n)++] = v;
    }
    io_list_free(&l);
    free(dir);
    return 0;
}

static char *star_uri(const char *root, int64_t n) {
    char rel[64];
    snprintf(rel, sizeof rel, "_songlake/star/%020lld.json", (long long)n);
    return sl_path_join(root, rel);
}

int lake_star_versions(const char *root, const io_config *cfg, int64_t *star,
                       int64_t versions[LAKE_NTABLES], sl_err *err) {
    *star = -1;
    for (int t = 0; t < LAKE_NTABLES; t++) versions[t] = -1;
    int64_t *stars;
    size_t n;
    if (list_stars(root, cfg, &stars, &n, err) < 0) return -1;
    int64_t last = -1;
    for (size_t i = 0; i < n; i++)
        if (stars[i] > last) last = stars[i];
    free(stars);
    if (last < 0) return 0;
    char *uri = star_uri(root, last);
    sl_buf b = {0};
    bool ex = false;
    int rc = io_read_raw(uri, cfg, &b, &ex, err);
    if (rc == 0 && !ex) rc = sl_err_set(err, "%s: star record vanished while reading it", uri);
    if (rc == 0) {
        sl_buf_putc(&b, 0);
        const char *tables = strstr((const char *)b.data, "\"tables\":{");
        for (int t = 0; rc == 0 && t < LAKE_NTABLES; t++) {
            char key[32];
            snprintf(key, sizeof key, "\"%s\":", lake_table_name(t));
            const char *p = tables ? strstr(tables, key) : NULL;
            char *end = NULL;
            long long v = p ? strtoll(p + strlen(key), &end, 10) : -1;
            if (!p || end == p + strlen(key) || v < 0)
                rc = sl_err_set(err, "%s: not a songlake star record (no version of %s)", uri,
                                lake_table_name(t));
            else
                versions[t] = v;
        }
    }
    if (rc == 0) *star = last;
    sl_buf_free(&b);
    free(uri);
    return rc;
}

/* ---- lake_prepare: format, probe, rollback ------------------------------- */
static int is_delta_lake(const char *root, const io_config *cfg, bool *delta, bool *parquet,
                         sl_err *err) {
    *delta = *parquet = false;
    int rc = 0;
    for (int t = 0; t < LAKE_NTABLES && rc == 0; t++) {
        char *tu = table_uri(root, t);
        char *log0 = sl_path_join(tu, "_delta_log/00000000000000000000.json");
        char *succ = sl_path_join(tu, "_SUCCESS");
        if (exists(log0, cfg, err, &rc)) *delta = true;
        if (rc == 0 && exists(succ, cfg, err, &rc)) *parquet = true;
        free(log0), free(succ), free(tu);
    }
    return rc;
}

/* Whether cur holds the files of version `named` (-1: none), by path. */
static bool same_files(const char *tu, const io_config *cfg, const delta_snapshot *cur,
                       int64_t named, sl_err *err, int *rc) {
    *rc = 0;
    if (named < 0) return cur->nfiles == 0;
    delta_snapshot t;
    if (delta_snapshot_load(tu, cfg, named, &t, err) < 0) {
        *rc = -1;
        return true;
    }
    bool same = t.nfiles == cur->nfiles;
    for (size_t i = 0; same && i < t.nfiles; i++)
        same = strcmp(t.files[i].path, cur->files[i].path) == 0; /* both sorted */
    delta_snapshot_free(&t);
    return same;
}

/* A RESTORE of the version the star names (or, when no star names any, of
 * the empty table) on top of the latest. */
static int roll_back(const char *root, const io_config *cfg, int t, int64_t named, sl_err *err) {
    char *tu = table_uri(root, t);
    delta_snapshot cur;
    int rc = delta_snapshot_load(tu, cfg, -1, &cur, err);
    if (rc == 0 && cur.version < named)
        rc = sl_err_set(err, "%s: the last star record names version %lld, the log ends at %lld",
                        tu, (long long)named, (long long)cur.version);
    /* a version after the named one holding its file set is an earlier
     * rollback (or a no-op): nothing to undo */
    if (rc == 0 && cur.version > named && same_files(tu, cfg, &cur, named, err, &rc)) {
        delta_snapshot_free(&cur);
        free(tu);
        return rc;
    }
    if (rc == 0 && cur.version > named) {
        int64_t v = -1;
        if (named >= 0)
            rc = delta_restore(tu, cfg, &cur, named, NULL, -1, 0, &v, err);
        else {
            delta_commit c = {.operation = "RESTORE",
                              .txn_version = -1,
                              .remove_all = true,
                              .restore_version = -1};
            rc = delta_commit_version(tu, cfg, NULL, &cur, &c, &v, err);
        }
        if (rc == DELTA_TAKEN) rc = -1;
        if (rc == 0)
            sl_log(SL_LOG_WARN,
                   "%s: version %lld of a run that did not finish rolled back (version %lld "
                   "restores version %lld)",
                   tu, (long long)cur.version, (long long)v, (long long)named);
    }
    delta_snapshot_free(&cur);
    free(tu);
    return rc;
}

int lake_prepare(io_store *store, const io_config *cfg, bool delta, sl_err *err) {
    const char *root = io_store_uri(store);
    bool d, p;
    if (is_delta_lake(root, cfg, &d, &p, err) < 0) return -1;
    if (!delta) {
        if (d)
            return sl_err_set(err,
                              "%s is a Delta lake: build it with --format delta (a Parquet build "
                              "would replace its tables and their history)",
                              root),
                   LAKE_REFUSED;
        return 0;
    }
    if (p && !d)
        return sl_err_set(err,
                          "%s is a Parquet lake: build it with --format parquet, or give "
                          "--format delta a new --out",
                          root),
               LAKE_REFUSED;
    /* Local versions are created by link(), exclusive by construction; an
     * S3-compatible store must show that it honours If-None-Match. */
    if (io_is_s3(root) && io_check_create_if_absent(root, cfg, err) < 0)
        return sl_err_prefix(err, "--format delta refused"), LAKE_REFUSED;
    int64_t star, named[LAKE_NTABLES];
    if (lake_star_versions(root, cfg, &star, named, err) < 0) return -1;
    for (int t = 0; t < LAKE_NTABLES; t++)
        if (roll_back(root, cfg, t, named[t], err) < 0) return -1;
    return 0;
}

bool lake_delta_is_ours(const char *root, const io_config *cfg, const char *name) {
    char *tu = sl_path_join(root, name);
    char *log0 = sl_path_join(tu, "_delta_log/00000000000000000000.json");
    sl_buf b = {0};
    bool ex = false;
    sl_err e;
    bool ours = io_read_raw(log0, cfg, &b, &ex, &e) == 0 && ex &&
                memmem(b.data, b.len, "\"engineInfo\":\"songlake/", 23) != NULL;
    sl_buf_free(&b);
    free(log0);
    free(tu);
    return ours;
}

/* ---- opening and committing --------------------------------------------- */
int lake_delta_open(lake *lk, sl_err *err) {
    struct lake_delta *ld = sl_calloc(1, sizeof *ld);
    lk->delta = ld;
    const char *root = io_store_uri(lk->store);
    int64_t star, named[LAKE_NTABLES];
    if (lake_star_versions(root, lk->opts.io, &star, named, err) < 0) return -1;
    ld->star = star + 1;
    for (int t = 0; t < LAKE_NTABLES; t++) {
        char *tu = table_uri(root, t);
        int rc = delta_snapshot_load(tu, lk->opts.io, -1, &ld->snap[t], err);
        free(tu);
        if (rc < 0) return -1;
    }
    return 0;
}

void lake_delta_free(lake *lk) {
    struct lake_delta *ld = lk->delta;
    if (!ld) return;
    for (int t = 0; t < LAKE_NTABLES; t++) delta_snapshot_free(&ld->snap[t]);
    free(ld);
    lk->delta = NULL;
}

bool lake_conflict(const lake *lk) {
    return lk && lk->delta && lk->delta->conflict;
}

/* The manifest entries lake_manifest_add wrote:
 * {"path":S,"rows":N,"bytes":N,"stats":S}, comma-separated. */
static int hexval(char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static void put_utf8(sl_buf *b, unsigned cp) {
    char u[4];
    size_t n;
    if (cp < 0x80)
        u[0] = (char)cp, n = 1;
    else if (cp < 0x800)
        u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 63)), n = 2;
    else if (cp < 0x10000)
        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 63)),
        u[2] = (char)(0x80 | (cp & 63)), n = 3;
    else
        u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 63)),
        u[2] = (char)(0x80 | (cp >> 6 & 63)), u[3] = (char)(0x80 | (cp & 63)), n = 4;
    sl_buf_append(b, u, n);
}

static unsigned hex4(const char *p) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0) return 0xFFFFFFFFu;
        v = v << 4 | (unsigned)h;
    }
    return v;
}

/* Decodes the JSON string at *p (at its opening quote) into a NUL-ended
 * malloc'd string; *p moves past it. NULL when malformed. */
static char *json_string(const char **p, const char *end) {
    const char *s = *p;
    if (s >= end || *s != '"') return NULL;
    s++;
    sl_buf b = {0};
    while (s < end && *s != '"') {
        if (*s != '\\') {
            sl_buf_putc(&b, (uint8_t)*s++);
            continue;
        }
        if (++s >= end) break;
        char c = *s++;
        switch (c) {
        case 'b': sl_buf_putc(&b, '\b'); break;
        case 'f': sl_buf_putc(&b, '\f'); break;
        case 'n': sl_buf_putc(&b, '\n'); break;
        case 'r': sl_buf_putc(&b, '\r'); break;
        case 't': sl_buf_putc(&b, '\t'); break;
        case 'u': {
            if (end - s < 4) goto bad;
            unsigned cp = hex4(s);
            s += 4;
            if (cp == 0xFFFFFFFFu) goto bad;
            if (cp >= 0xD800 && cp < 0xDC00 && end - s >= 6 && s[0] == '\\' && s[1] == 'u') {
                unsigned lo = hex4(s + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    s += 6;
                }
            }
            put_utf8(&b, cp);
            break;
        }
        default: sl_buf_putc(&b, (uint8_t)c);
        }
    }
    if (s >= end) goto bad;
    *p = s + 1;
    sl_buf_putc(&b, 0);
    return (char *)b.data;
bad:
    sl_buf_free(&b);
    return NULL;
}

typedef struct entry {
    char *path, *stats;
    uint64_t rows, bytes;
    char *pvals[2];
} entry;

static bool entry_next(const char **p, const char *end, entry *e) {
    memset(e, 0, sizeof *e);
    const char *s = *p;
    while (s < end && (*s == ',' || *s == ' ' || *s == '\n')) s++;
    if (s >= end || *s != '{') return false;
    s++;
    while (s < end && *s != '}') {
        char *key = json_string(&s, end);
        if (!key || s >= end || *s != ':') {
            free(key);
            return false;
        }
        s++;
        if (!strcmp(key, "path") || !strcmp(key, "stats")) {
            char *v = json_string(&s, end);
            if (!v) {
                free(key);
                return false;
            }
            if (key[0] == 'p')
                free(e->path), e->path = v;
            else
                free(e->stats), e->stats = v;
        } else {
            char *q;
            unsigned long long v = strtoull(s, &q, 10);
            if (q == s) {
                free(key);
                return false;
            }
            s = q;
            if (!strcmp(key, "rows")) e->rows = v;
            if (!strcmp(key, "bytes")) e->bytes = v;
        }
        free(key);
        if (s < end && *s == ',') s++;
    }
    if (s >= end || !e->path) return false;
    *p = s + 1;
    return true;
}

static void entry_free(entry *e) {
    free(e->path);
    free(e->stats);
    for (int k = 0; k < 2; k++) free(e->pvals[k]);
}

/* The partition values of a file from its Hive directories, in the order of
 * the schema's partition columns (NULL: the default partition). */
static int partition_values(const delta_schema *s, entry *e, sl_err *err) {
    const char *p = e->path;
    for (size_t k = 0; k < s->npartition; k++) {
        const char *slash = strchr(p, '/');
        size_t cl = strlen(s->partition_cols[k]);
        if (!slash || strncmp(p, s->partition_cols[k], cl) != 0 || p[cl] != '=')
            return sl_err_set(err, "internal: %s is not under %s=", e->path, s->partition_cols[k]);
        e->pvals[k] = lake_unescape_partition(p + cl + 1, (size_t)(slash - p - cl - 1));
        p = slash + 1;
    }
    return 0;
}

static int commit_table(lake *lk, int t, int64_t ts, int64_t *version, sl_err *err) {
    struct lake_delta *ld = lk->delta;
    table_state *tst = &lk->t[t];
    delta_schema sch = table_schema(t);
    sl_vec ents;
    sl_vec_init(&ents, sizeof(entry));
    const char *p = (const char *)tst->manifest.data, *end = p + tst->manifest.len;
    int rc = 0;
    entry e;
    while (rc == 0 && p < end && entry_next(&p, end, &e)) {
        *(entry *)sl_vec_push(&ents) = e;
        rc = partition_values(&sch, &SL_VEC_AT(&ents, entry, ents.len - 1), err);
    }
    if (rc == 0 && p < end) {
        while (p < end && (*p == ' ' || *p == '\n')) p++;
        if (p < end) rc = sl_err_set(err, "internal: malformed %s file list", lake_table_name(t));
    }
    delta_add *adds = sl_calloc(ents.len + 1, sizeof *adds);
    for (size_t i = 0; rc == 0 && i < ents.len; i++) {
        entry *x = &SL_VEC_AT(&ents, entry, i);
        adds[i] = (delta_add){.path = x->path,
                              .partition_values = (const char *const *)x->pvals,
                              .size = x->bytes,
                              .modification_time = ts,
                              .stats = x->stats,
                              .rows = x->rows};
    }
    if (rc == 0) {
        char *tu = table_uri(io_store_uri(lk->store), t);
        delta_commit c = {.operation = "WRITE",
                          .mode = "Overwrite",
                          .run_id = lk->opts.run_id,
                          .txn_version = ld->star,
                          .timestamp = ts,
                          .adds = adds,
                          .nadds = ents.len,
                          .remove_all = true};
        rc = delta_commit_version(tu, lk->opts.io, &sch, &ld->snap[t], &c, version, err);
        free(tu);
        if (rc == DELTA_TAKEN) {
            ld->conflict = true;
            rc = -1;
        }
    }
    free(adds);
    for (size_t i = 0; i < ents.len; i++) entry_free(&SL_VEC_AT(&ents, entry, i));
    sl_vec_free(&ents);
    return rc;
}

int lake_delta_commit_tables(lake *lk, sl_err *err) {
    struct lake_delta *ld = lk->delta;
    if (!ld) return sl_err_set(err, "internal: delta lake not opened");
    if (lake_finish(lk, err) < 0) return -1;
    /* 1. every data file durable before the first version names any */
    for (int t = 0; t < LAKE_NTABLES; t++) {
        io_stage *st = lk->t[t].stage;
        lk->t[t].stage = NULL;
        if (st && io_stage_seal(st, "", 0, NULL, err) < 0)
            return sl_err_prefix(err, "writing %s", lake_table_name(t));
    }
    /* 2. one version per table */
    int64_t ts = sl_epoch_ms(), v[LAKE_NTABLES];
    for (int t = 0; t < LAKE_NTABLES; t++) {
        if (commit_table(lk, t, ts, &v[t], err) < 0) {
            if (ld->conflict) {
                char why[sizeof err->msg];
                memcpy(why, err->msg, sizeof why);
                why[600] = 0;
                sl_err_set(err, "%s: %s; nothing more committed%s", lake_table_name(t), why,
                           t ? " (the next songlake command rolls back this run's versions)" : "");
            } else
                sl_err_prefix(err, "committing %s", lake_table_name(t));
            return -1;
        }
    }
    /* 3. the star record: the commit point */
    const char *root = io_store_uri(lk->store);
    sl_buf b = {0};
    sl_buf_printf(&b, "{\"star\":%lld,\"run\":", (long long)ld->star);
    const char *run = lk->opts.run_id ? lk->opts.run_id : "";
    sl_buf_json_str(&b, run, strlen(run));
    sl_buf_printf(&b, ",\"timestamp\":%lld,\"tables\":{", (long long)ts);
    for (int t = 0; t < LAKE_NTABLES; t++)
        sl_buf_printf(&b, "%s\"%s\":%lld", t ? "," : "", lake_table_name(t), (long long)v[t]);
    sl_buf_append(&b, "}}\n", 3);
    char *uri = star_uri(root, ld->star);
    int rc = io_create_if_absent(uri, lk->opts.io, b.data, b.len, err);
    if (rc == IO_EXISTS) {
        ld->conflict = true;
        rc = sl_err_set(err,
                        "%s: another writer created this star record first; nothing more "
                        "committed (the next songlake command rolls back this run's versions)",
                        uri);
    } else if (rc < 0)
        sl_err_prefix(err, "the star record");
    free(uri);
    sl_buf_free(&b);
    return rc < 0 ? -1 : 0;
}

int lake_delta_keep_stars(lake *lk, sl_err *err) {
    const char *root = io_store_uri(lk->store);
    int64_t *stars;
    size_t n;
    if (list_stars(root, lk->opts.io, &stars, &n, err) < 0) return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char *uri = star_uri(root, stars[i]);
        sl_buf b = {0};
        bool ex = false;
        rc = io_read_raw(uri, lk->opts.io, &b, &ex, err);
        if (rc == 0 && ex) {
            char rel[64];
            snprintf(rel, sizeof rel, "star/%020lld.json", (long long)stars[i]);
            rc = io_stage_put(lk->meta, rel, b.data, b.len, err);
        }
        sl_buf_free(&b);
        free(uri);
    }
    free(stars);
    return rc < 0 ? sl_err_prefix(err, "keeping the star records") : 0;
}

int lake_star_files(const char *root, const io_config *cfg, const char *name, bool *is_delta,
                    char ***paths, size_t *n, sl_err *err) {
    *is_delta = false;
    *paths = NULL;
    *n = 0;
    int t = 0;
    while (t < LAKE_NTABLES && strcmp(lake_table_name(t), name)) t++;
    if (t == LAKE_NTABLES) return sl_err_set(err, "internal: no table %s", name);
    int64_t star, v[LAKE_NTABLES];
    if (lake_star_versions(root, cfg, &star, v, err) < 0) return -1;
    if (star < 0) return 0;
    *is_delta = true;
    char *tu = table_uri(root, t);
    delta_snapshot s;
    int rc = delta_snapshot_load(tu, cfg, v[t], &s, err);
    if (rc == 0) {
        *paths = sl_calloc(s.nfiles + 1, sizeof **paths);
        for (size_t i = 0; i < s.nfiles; i++) (*paths)[i] = sl_strdup(s.files[i].path);
        *n = s.nfiles;
    }
    delta_snapshot_free(&s);
    free(tu);
    return rc < 0 ? sl_err_prefix(err, "star %lld", (long long)star) : 0;
}

void lake_paths_free(char **paths, size_t n) {
    delta_paths_free(paths, n);
}

/* ---- inspect ------------------------------------------------------------- */
static void put_opt_str(FILE *out, const char *s) {
    if (!s) {
        fputs("null", out);
        return;
    }
    sl_buf b = {0};
    sl_buf_json_str(&b, s, strlen(s));
    fwrite(b.data, 1, b.len, out);
    sl_buf_free(&b);
}

static void iso_time(int64_t ms, char out[32]) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int inspect_table(const char *tu, const io_config *cfg, const char *name, int64_t named,
                         bool json, bool first, FILE *out, sl_err *err) {
    delta_snapshot s;
    if (delta_snapshot_load_all(tu, cfg, -1, &s, err) < 0) return -1;
    if (json) {
        fprintf(out, "%s{\"table\":", first ? "" : ",");
        put_opt_str(out, name);
        fprintf(out, ",\"version\":%lld,\"star_version\":", (long long)s.version);
        if (named >= 0)
            fprintf(out, "%lld", (long long)named);
        else
            fputs("null", out);
        fprintf(out, ",\"files\":%zu,\"versions\":[", s.nfiles);
    } else {
        fprintf(out, "%s%s: Delta table, version %lld, %zu files", first ? "" : "\n", name,
                (long long)s.version, s.nfiles);
        if (named >= 0)
            fprintf(out, " (the last star record names version %lld)", (long long)named);
        fprintf(out, "\n%8s  %-20s  %-8s  %-9s  %-24s %7s %7s %10s\n", "version", "time",
                "operation", "mode", "run", "added", "removed", "rows");
    }
    for (size_t i = 0; i < s.nhistory; i++) {
        const delta_version_info *h = &s.history[i];
        char when[32];
        iso_time(h->timestamp, when);
        if (json) {
            fprintf(out, "%s{\"version\":%lld,\"timestamp\":%lld,\"time\":\"%s\",\"operation\":",
                    i ? "," : "", (long long)h->version, (long long)h->timestamp, when);
            put_opt_str(out, h->operation);
            fputs(",\"mode\":", out);
            put_opt_str(out, h->mode);
            fputs(",\"run\":", out);
            put_opt_str(out, h->run_id);
            fprintf(out, ",\"files_added\":%lld,\"files_removed\":%lld,\"rows\":%lld}",
                    (long long)h->files_added, (long long)h->files_removed, (long long)h->rows);
        } else {
            fprintf(out, "%8lld  %-20s  %-9s %-9s  %-24s %7lld %7lld %10lld%s\n",
                    (long long)h->version, when, h->operation ? h->operation : "-",
                    h->mode ? h->mode : "-", h->run_id ? h->run_id : "-", (long long)h->files_added,
                    (long long)h->files_removed, (long long)h->rows,
                    h->version == named ? "  <- star" : "");
        }
    }
    if (json) fputs("]}", out);
    delta_snapshot_free(&s);
    return 0;
}
int lake_inspect_delta(const char *uri, const io_config *cfg, bool json, FILE *out, sl_err *err) {
    size_t n = strlen(uri);
    while (n > 1 && uri[n - 1] == '/') n--;
    char *root = sl_strndup(uri, n);
    char *log0 = sl_path_join(root, "_delta_log/00000000000000000000.json");
    int rc;
    sl_err probe;
    bool table = exists(log0, cfg, &probe, &rc);
    free(log0);
    if (rc < 0) { /* a file, say: not a Delta location */
        free(root);
        return 1;
    }
    int64_t star = -1, v[LAKE_NTABLES];
    const char *name = root;
    if (rc == 0 && table) { /* one table: its lake is the parent directory */
        const char *slash = strrchr(root, '/');
        name = slash ? slash + 1 : root;
        char *lake_root = slash ? sl_strndup(root, (size_t)(slash - root)) : sl_strdup(".");
        sl_err ignored;
        if (lake_star_versions(lake_root, cfg, &star, v, &ignored) < 0) star = -1;
        free(lake_root);
    } else if (rc == 0) {
        rc = lake_star_versions(root, cfg, &star, v, err);
        if (rc == 0 && star < 0) rc = 1; /* neither: not ours to show */
    }
    if (rc == 0 && json) {
        fputs("{\"star\":", out);
        if (star >= 0)
            fprintf(out, "%lld", (long long)star);
        else
            fputs("null", out);
        fputs(",\"tables\":[", out);
    } else if (rc == 0 && !table)
        fprintf(out, "%s: Delta lake, star record %lld\n\n", root, (long long)star);
    bool shown = false;
    for (int t = 0; rc == 0 && t < LAKE_NTABLES; t++) {
        if (table && strcmp(name, lake_table_name(t))) continue;
        char *tu = table ? sl_strdup(root) : table_uri(root, t);
        rc = inspect_table(tu, cfg, lake_table_name(t), star >= 0 ? v[t] : -1, json, !shown, out,
                           err);
        shown = true;
        free(tu);
    }
    if (rc == 0 && !shown) /* a Delta table that is none of the five */
        rc = inspect_table(root, cfg, name, -1, json, true, out, err);
    if (rc == 0 && json) fputs("]}\n", out);
    free(root);
    return rc;
}

/* ---- vacuum -------------------------------------------------------------- */
/* The start time (ms) of the run that wrote a data file, from its name
 * part-NNNNN-<YYYYMMDDTHHMMSSZ>-<hex>[-cNNN].<ext>; -1 when the name is not
 * one songlake gives. */
static int64_t run_time_of(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strncmp(base, "part-", 5) != 0) return -1;
    const char *p = base + 5;
    while (*p >= '0' && *p <= '9') p++;
    if (*p != '-') return -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *e = strptime(p + 1, "%Y%m%dT%H%M%SZ-", &tm);
    if (!e || !strstr(e, ".parquet")) return -1;
    return (int64_t)timegm(&tm) * 1000;
}

static int path_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Data files in the table directory that no version ever named, written by
 * a run that started before the cut: a killed or conflicting run's. A run
 * still writing (none locally: vacuum holds the lake's lock) started after
 * the cut unless the retention is shorter than the run. */
static int orphans(const char *tu, const io_config *cfg, int64_t cut, sl_vec *out, sl_err *err) {
    delta_snapshot s;
    if (delta_snapshot_load_all(tu, cfg, -1, &s, err) < 0) return -1;
    size_t nk = s.nfiles + s.ntombstones;
    char **known = sl_calloc(nk + 1, sizeof *known);
    for (size_t i = 0; i < s.nfiles; i++) known[i] = s.files[i].path;
    for (size_t i = 0; i < s.ntombstones; i++) known[s.nfiles + i] = s.tombstones[i].path;
    qsort(known, nk, sizeof *known, path_cmp);
    io_list l = {0};
    sl_err lerr;
    int rc = 0;
    if (io_list_inputs(tu, cfg, &l, &lerr) == 0) { /* (an empty table lists nothing) */
        size_t tl = strlen(tu);
        for (size_t i = 0; i < l.n; i++) {
            const char *u = l.files[i].uri;
            if (strncmp(u, tu, tl) || u[tl] != '/') continue;
            const char *rel = u + tl + 1;
            int64_t t = run_time_of(rel);
            if (t < 0 || t >= cut || bsearch(&rel, known, nk, sizeof *known, path_cmp)) continue;
            *(char **)sl_vec_push(out) = sl_strdup(rel);
        }
    }
    io_list_free(&l);
    free(known);
    delta_snapshot_free(&s);
    return rc;
}

int lake_vacuum(io_store *store, const io_config *cfg, double retain_hours, bool dry_run, FILE *out,
                sl_err *err) {
    const char *root = io_store_uri(store);
    int64_t now = sl_epoch_ms(), retain = (int64_t)(retain_hours * 3600.0 * 1000.0);
    size_t total = 0, norphans = 0;
    for (int t = 0; t < LAKE_NTABLES; t++) {
        char *tu = table_uri(root, t);
        char **paths = NULL;
        size_t n = 0;
        sl_vec orph;
        sl_vec_init(&orph, sizeof(char *));
        int rc = delta_vacuum_plan(tu, cfg, now, retain, &paths, &n, err);
        if (rc == 0) rc = orphans(tu, cfg, now - retain, &orph, err);
        for (size_t i = 0; rc == 0 && i < n + orph.len; i++) {
            const char *rel = i < n ? paths[i] : SL_VEC_AT(&orph, char *, i - n);
            char *u = sl_path_join(tu, rel);
            if (out)
                fprintf(out, "%s%s/%s%s\n", dry_run ? "would delete " : "deleted ",
                        lake_table_name(t), rel, i < n ? "" : " (no version names it)");
            if (!dry_run) rc = io_remove(u, cfg, err);
            free(u);
        }
        total += n + orph.len;
        norphans += orph.len;
        delta_paths_free(paths, n);
        delta_paths_free((char **)orph.data, orph.len);
        free(tu);
        if (rc < 0) return sl_err_prefix(err, "vacuum %s", lake_table_name(t));
    }
    if (out)
        fprintf(out,
                "%s %zu file(s) that no version of the last %g hours references (%zu that no "
                "version ever named, of runs that did not finish)\n",
                dry_run ? "would delete" : "deleted", total, retain_hours, norphans);
    return 0;
}
