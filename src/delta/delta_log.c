/* delta_log: reading a table's log into the snapshot of a version, and the
 * vacuum plan.
 *
 * The log is listed once (_delta_log/: N.json commits and classic
 * N.checkpoint.parquet checkpoints; other names, such as multi-part or
 * UUID checkpoints and .crc files, are ignored). Version v is the newest
 * checkpoint not newer than v, then the commits after it up to v, each of
 * which must be there. Actions are reconciled as the protocol says: the
 * latest protocol and metaData win, a path's latest add or remove wins
 * (a removed path becomes a tombstone), the latest txn version of an app
 * wins. Commit lines are parsed with the json scanner (json.h), the action
 * objects again with a scanner per action type. */
#include <stdlib.h>
#include <string.h>

#include "delta/delta_internal.h"
#include "json/json.h"

typedef struct rfile {
    char *path;
    char **pvals;        /* NULL until resolved from pv_text */
    const char *pv_text; /* partitionValues object of a JSON action, resolved at the end */
    uint64_t size;
    int64_t ts; /* modificationTime / deletionTimestamp */
    char *stats;
    bool live; /* in the file set (else a tombstone) */
    bool has_pv;
} rfile;

struct delta_replay {
    sl_arena *a;
    sl_map index; /* path -> entry in files */
    sl_vec files; /* rfile */
    sl_vec txns;  /* delta_txn */
    int reader, writer;
    char *id, *schema;
    char **pcols;
    size_t npart;
    int64_t created;
    bool have_meta, have_protocol;
    sl_vec history; /* delta_version_info */
};

sl_arena *delta_replay_arena(delta_replay *r) {
    return r->a;
}

char *delta_replay_strndup(delta_replay *r, const char *s, size_t n) {
    return sl_arena_strndup(r->a, s, n);
}

char **delta_replay_partition_cols(delta_replay *r, size_t *n) {
    *n = r->npart;
    return r->pcols;
}

static rfile *entry(delta_replay *r, const char *path) {
    bool inserted;
    uint32_t *slot = sl_map_upsert(&r->index, path, strlen(path), &inserted);
    if (inserted) {
        *slot = (uint32_t)r->files.len;
        rfile *f = sl_vec_push(&r->files);
        f->path = sl_arena_strndup(r->a, path, strlen(path));
    }
    return &SL_VEC_AT(&r->files, rfile, *slot);
}

void delta_replay_add(delta_replay *r, const char *path, char **pvals, uint64_t size, int64_t mtime,
                      const char *stats) {
    rfile *f = entry(r, path);
    f->pvals = pvals;
    f->pv_text = NULL;
    f->has_pv = true;
    f->size = size;
    f->ts = mtime;
    f->stats = stats ? sl_arena_strndup(r->a, stats, strlen(stats)) : NULL;
    f->live = true;
}

void delta_replay_remove(delta_replay *r, const char *path, char **pvals, uint64_t size,
                         int64_t deletion_ts) {
    rfile *f = entry(r, path);
    if (pvals || !f->has_pv) f->pvals = pvals, f->pv_text = NULL, f->has_pv = pvals != NULL;
    if (size) f->size = size;
    f->ts = deletion_ts;
    f->stats = NULL;
    f->live = false;
}

void delta_replay_txn(delta_replay *r, const char *app_id, int64_t version) {
    for (size_t i = 0; i < r->txns.len; i++) {
        delta_txn *t = &SL_VEC_AT(&r->txns, delta_txn, i);
        if (!strcmp(t->app_id, app_id)) {
            t->version = version;
            return;
        }
    }
    delta_txn *t = sl_vec_push(&r->txns);
    t->app_id = sl_arena_strndup(r->a, app_id, strlen(app_id));
    t->version = version;
}

void delta_replay_protocol(delta_replay *r, int reader, int writer) {
    r->reader = reader;
    r->writer = writer;
    r->have_protocol = true;
}

void delta_replay_metadata(delta_replay *r, const char *id, const char *schema_string,
                           char **partition_cols, size_t npart, int64_t created_time) {
    r->id = id ? sl_arena_strndup(r->a, id, strlen(id)) : NULL;
    r->schema = schema_string ? sl_arena_strndup(r->a, schema_string, strlen(schema_string)) : NULL;
    r->pcols = partition_cols;
    r->npart = npart;
    r->created = created_time;
    r->have_meta = true;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *delta_path_decode(delta_replay *r, const char *s, size_t n) {
    char *o = sl_arena_alloc(r->a, n + 1), *q = o;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hex_digit(s[i + 1])) >= 0 &&
            (lo = hex_digit(s[i + 2])) >= 0) {
            *q++ = (char)(hi * 16 + lo);
            i += 2;
        } else {
            *q++ = s[i];
        }
    }
    *q = 0;
    return o;
}

/* ---- JSON commits --------------------------------------------------------- */

enum { A_ADD, A_REMOVE, A_META, A_PROTOCOL, A_TXN, A_COMMIT, NACTIONS };
static const char *const ACTIONS[] = {"add", "remove", "metaData", "protocol", "txn", "commitInfo"};
static const char *const ADD_KEYS[] = {"path",  "partitionValues",  "size", "modificationTime",
                                       "stats", "deletionTimestamp"};
static const char *const META_KEYS[] = {"id", "schemaString", "partitionColumns", "createdTime"};
static const char *const PROTO_KEYS[] = {"minReaderVersion", "minWriterVersion"};
static const char *const TXN_KEYS[] = {"appId", "version"};
static const char *const COMMIT_KEYS[] = {"timestamp", "operation", "operationParameters", "runId",
                                          "operationMetrics"};
static const char *const PARAM_KEYS[] = {"mode"};
static const char *const METRIC_KEYS[] = {"numFiles", "numRestoredFiles", "numRemovedFiles",
                                          "numOutputRows"};
static const char *const ONE_KEY[] = {"v"};

typedef struct scanners {
    json_fields *f[9];
    json_scanner *s[9];
} scanners;
enum { S_TOP, S_ADD, S_META, S_PROTO, S_TXN, S_COMMIT, S_PARAM, S_METRIC, S_ONE };

static void scanners_init(scanners *sc) {
    const char *const *keys[] = {ACTIONS,     ADD_KEYS,   META_KEYS,   PROTO_KEYS, TXN_KEYS,
                                 COMMIT_KEYS, PARAM_KEYS, METRIC_KEYS, ONE_KEY};
    size_t n[] = {NACTIONS, 6, 4, 2, 2, 5, 1, 4, 1};
    for (int i = 0; i < 9; i++) {
        sc->f[i] = json_fields_new(keys[i], n[i]);
        sc->s[i] = json_scanner_new(sc->f[i]);
    }
}

static void scanners_free(scanners *sc) {
    for (int i = 0; i < 9; i++) {
        json_scanner_free(sc->s[i]);
        json_fields_free(sc->f[i]);
    }
}

typedef struct one_ctx {
    json_value *vals;
    size_t nkeys;
    sl_arena *a; /* copies of string values */
    bool seen;
} one_ctx;

static int one_record(void *ctx, const json_value *vals, json_pos pos) {
    (void)pos;
    one_ctx *o = ctx;
    if (o->seen) return 1;
    o->seen = true;
    for (size_t i = 0; i < o->nkeys; i++) {
        o->vals[i] = vals[i];
        if (vals[i].str) o->vals[i].str = sl_arena_strndup(o->a, vals[i].str, vals[i].len);
    }
    return 0;
}

static int one_reject(void *ctx, json_pos pos, const char *reason, const char *raw, size_t n) {
    (void)ctx, (void)pos, (void)raw, (void)n, (void)reason;
    return 2;
}

/* Scans one object's text for the scanner's keys into vals (strings copied
 * into a); -1 when it is not one valid object. */
static int scan_object(json_scanner *s, const json_value *obj, json_value *vals, size_t nkeys,
                       sl_arena *a) {
    memset(vals, 0, nkeys * sizeof *vals);
    if (obj->type != JSON_OBJECT) return -1;
    one_ctx o = {vals, nkeys, a, false};
    json_callbacks cb = {one_record, one_reject};
    int rc = json_scan(s, (const uint8_t *)obj->str, obj->len, &cb, &o);
    return rc == 2 || !o.seen ? -1 : 0;
}

static int64_t int_of(const json_value *v, int64_t dflt) {
    int64_t x;
    return json_to_int64(v, &x) == 1 ? x : dflt;
}

static const char *str_of(const json_value *v) {
    return v->type == JSON_STRING ? v->str : NULL;
}

/* ["a","b"]: each string decoded by the scanner as {"v": <it>}. */
static int string_array(scanners *sc, const json_value *v, sl_arena *a, char ***out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (v->type != JSON_ARRAY) return -1;
    const char *p = v->str, *end = v->str + v->len;
    size_t cap = 0;
    char **items = NULL;
    for (p++; p < end; p++) {
        if (*p != '"') continue;
        const char *q = p + 1;
        while (q < end && *q != '"') q += *q == '\\' ? 2 : 1;
        if (q >= end) return -1;
        sl_buf wrap = {0};
        sl_buf_printf(&wrap, "{\"v\":%.*s}", (int)(q + 1 - p), p);
        json_value obj = {
            .type = JSON_OBJECT, .str = (const char *)wrap.data, .len = (uint32_t)wrap.len};
        json_value one;
        int rc = scan_object(sc->s[S_ONE], &obj, &one, 1, a);
        sl_buf_free(&wrap);
        if (rc < 0 || one.type != JSON_STRING) return -1;
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            char **grown = sl_arena_alloc(a, cap * sizeof *grown);
            if (*n) memcpy(grown, items, *n * sizeof *grown);
            items = grown;
        }
        items[(*n)++] = (char *)one.str;
        p = q;
    }
    *out = items;
    return 0;
}

typedef struct commit_ctx {
    delta_replay *r;
    scanners *sc;
    int64_t version;
    delta_version_info *info;
    const char *file;
    bool failed;
    sl_err *err;
} commit_ctx;

static int bad(commit_ctx *c, json_pos pos, const char *what) {
    sl_err_set(c->err, "%s line %llu: %s", c->file, (unsigned long long)pos.line, what);
    c->failed = true;
    return 1;
}

static int on_action(void *ctx, const json_value *v, json_pos pos) {
    commit_ctx *c = ctx;
    delta_replay *r = c->r;
    json_value f[6];
    if (v[A_ADD].type == JSON_OBJECT || v[A_REMOVE].type == JSON_OBJECT) {
        bool add = v[A_ADD].type == JSON_OBJECT;
        if (scan_object(c->sc->s[S_ADD], &v[add ? A_ADD : A_REMOVE], f, 6, r->a) < 0 ||
            !str_of(&f[0]))
            return bad(c, pos, add ? "an add without a path" : "a remove without a path");
        char *path = delta_path_decode(r, f[0].str, f[0].len);
        if (add) {
            if (f[1].type != JSON_OBJECT) return bad(c, pos, "an add without partitionValues");
            delta_replay_add(r, path, NULL, (uint64_t)int_of(&f[2], 0), int_of(&f[3], 0),
                             str_of(&f[4]));
        } else {
            delta_replay_remove(r, path, NULL, (uint64_t)int_of(&f[2], 0), int_of(&f[5], 0));
        }
        if (f[1].type == JSON_OBJECT) { /* resolved once the partition columns are known */
            rfile *e = entry(r, path);
            e->pv_text = sl_arena_strndup(r->a, f[1].str, f[1].len);
            e->has_pv = true;
        }
    }
    if (v[A_META].type == JSON_OBJECT) {
        if (scan_object(c->sc->s[S_META], &v[A_META], f, 4, r->a) < 0 || !str_of(&f[1]))
            return bad(c, pos, "a metaData without schemaString");
        char **cols;
        size_t n;
        if (string_array(c->sc, &f[2], r->a, &cols, &n) < 0)
            return bad(c, pos, "metaData.partitionColumns is not an array of strings");
        delta_replay_metadata(r, str_of(&f[0]), f[1].str, cols, n, int_of(&f[3], 0));
    }
    if (v[A_PROTOCOL].type == JSON_OBJECT) {
        if (scan_object(c->sc->s[S_PROTO], &v[A_PROTOCOL], f, 2, r->a) < 0)
            return bad(c, pos, "a bad protocol action");
        delta_replay_protocol(r, (int)int_of(&f[0], 0), (int)int_of(&f[1], 0));
    }
    if (v[A_TXN].type == JSON_OBJECT) {
        if (scan_object(c->sc->s[S_TXN], &v[A_TXN], f, 2, r->a) < 0 || !str_of(&f[0]))
            return bad(c, pos, "a txn without appId");
        delta_replay_txn(r, f[0].str, int_of(&f[1], -1));
    }
    if (v[A_COMMIT].type == JSON_OBJECT && c->info) {
        if (scan_object(c->sc->s[S_COMMIT], &v[A_COMMIT], f, 5, r->a) < 0)
            return bad(c, pos, "a bad commitInfo");
        delta_version_info *h = c->info;
        h->timestamp = int_of(&f[0], 0);
        h->operation = (char *)str_of(&f[1]);
        h->run_id = (char *)str_of(&f[3]);
        json_value p[4];
        if (scan_object(c->sc->s[S_PARAM], &f[2], p, 1, r->a) == 0) h->mode = (char *)str_of(&p[0]);
        if (scan_object(c->sc->s[S_METRIC], &f[4], p, 4, r->a) == 0) {
            h->files_added = int_of(&p[0], int_of(&p[1], -1));
            h->files_removed = int_of(&p[2], -1);
            h->rows = int_of(&p[3], -1);
        }
    }
    return 0;
}

static int on_bad_line(void *ctx, json_pos pos, const char *reason, const char *raw, size_t n) {
    (void)raw, (void)n;
    return bad(ctx, pos, reason);
}

static int replay_commit(delta_replay *r, scanners *sc, const char *file, const uint8_t *data,
                         size_t len, int64_t version, sl_err *err) {
    delta_version_info *h = sl_vec_push(&r->history);
    h->version = version;
    h->files_added = h->files_removed = h->rows = -1;
    commit_ctx c = {r, sc, version, h, file, false, err};
    json_callbacks cb = {on_action, on_bad_line};
    json_scan(sc->s[S_TOP], data, len, &cb, &c);
    return c.failed ? -1 : 0;
}

/* partitionValues objects of JSON actions, once the columns are known */
static int resolve_partition_values(delta_replay *r, scanners *sc, sl_err *err) {
    if (r->npart == 0) return 0;
    json_fields *f = json_fields_new((const char *const *)r->pcols, r->npart);
    json_scanner *s = json_scanner_new(f);
    json_value *v = sl_arena_alloc(r->a, r->npart * sizeof *v);
    int rc = 0;
    (void)sc;
    for (size_t i = 0; i < r->files.len && rc == 0; i++) {
        rfile *e = &SL_VEC_AT(&r->files, rfile, i);
        if (!e->pv_text) continue;
        json_value obj = {
            .type = JSON_OBJECT, .str = e->pv_text, .len = (uint32_t)strlen(e->pv_text)};
        if (scan_object(s, &obj, v, r->npart, r->a) < 0) {
            rc = sl_err_set(err, "%s: partitionValues is not an object", e->path);
            break;
        }
        e->pvals = sl_arena_alloc(r->a, r->npart * sizeof *e->pvals);
        for (size_t k = 0; k < r->npart; k++) {
            if (v[k].type == JSON_MISSING && e->live) {
                rc = sl_err_set(err, "%s: no partition value for %s", e->path, r->pcols[k]);
                break;
            }
            e->pvals[k] = v[k].type == JSON_STRING ? (char *)v[k].str : NULL;
        }
    }
    json_scanner_free(s);
    json_fields_free(f);
    return rc;
}

/* ---- listing and loading -------------------------------------------------- */

/* Versions of N.json and N.checkpoint.parquet under _delta_log (sorted). */
typedef struct log_list {
    int64_t *commits, *checkpoints;
    size_t ncommits, ncheckpoints;
} log_list;

static bool parse_name(const char *name, const char *suffix, int64_t *v) {
    size_t n = strlen(name), sn = strlen(suffix);
    if (n != 20 + sn || strcmp(name + 20, suffix) != 0) return false;
    int64_t x = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9') return false;
        if (x > (INT64_MAX - 9) / 10) return false;
        x = x * 10 + (name[i] - '0');
    }
    *v = x;
    return true;
}

static int list_log(const char *table, const io_config *cfg, log_list *l, bool *none, sl_err *err) {
    memset(l, 0, sizeof *l);
    *none = false;
    char *dir = sl_path_join(table, "_delta_log");
    io_list files = {0};
    sl_err lerr;
    if (io_list_inputs(dir, cfg, &files, &lerr) < 0) {
        /* no log at all is a table not yet made; anything else is an error */
        char *first = sl_path_join(table, "_delta_log/00000000000000000000.json");
        sl_buf b = {0};
        bool exists = true;
        int rc = io_read_raw(first, cfg, &b, &exists, err);
        sl_buf_free(&b);
        free(first);
        free(dir);
        if (rc == 0 && !exists) {
            *none = true;
            return 0;
        }
        return rc < 0 ? -1 : (sl_err_set(err, "%s", lerr.msg), -1);
    }
    size_t dl = strlen(dir);
    l->commits = sl_calloc(files.n + 1, sizeof *l->commits);
    l->checkpoints = sl_calloc(files.n + 1, sizeof *l->checkpoints);
    for (size_t i = 0; i < files.n; i++) {
        const char *u = files.files[i].uri;
        if (strncmp(u, dir, dl) != 0 || u[dl] != '/' || strchr(u + dl + 1, '/')) continue;
        int64_t v;
        if (parse_name(u + dl + 1, ".json", &v)) l->commits[l->ncommits++] = v;
        if (parse_name(u + dl + 1, ".checkpoint.parquet", &v))
            l->checkpoints[l->ncheckpoints++] = v;
    }
    io_list_free(&files);
    free(dir);
    if (l->ncommits == 0 && l->ncheckpoints == 0) *none = true;
    return 0;
}

static void log_list_free(log_list *l) {
    free(l->commits);
    free(l->checkpoints);
}

static int cmp_path(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_file(const void *a, const void *b) {
    return strcmp(((const delta_file *)a)->path, ((const delta_file *)b)->path);
}

static int cmp_tomb(const void *a, const void *b) {
    return strcmp(((const delta_tombstone *)a)->path, ((const delta_tombstone *)b)->path);
}

static int load(const char *table, const io_config *cfg, int64_t version, bool use_checkpoint,
                delta_snapshot *out, sl_err *err) {
    memset(out, 0, sizeof *out);
    out->version = -1;
    out->checkpoint_version = -1;
    log_list l;
    bool none;
    if (list_log(table, cfg, &l, &none, err) < 0) return -1;
    if (none) {
        log_list_free(&l);
        if (version >= 0) return sl_err_set(err, "%s: not a Delta table (no _delta_log)", table);
        return 0;
    }
    int64_t latest = l.ncommits ? l.commits[l.ncommits - 1] : l.checkpoints[l.ncheckpoints - 1];
    if (version < 0) version = latest;
    if (version > latest) {
        log_list_free(&l);
        return sl_err_set(err, "%s: no version %lld (the latest is %lld)", table,
                          (long long)version, (long long)latest);
    }
    int64_t cp = -1;
    for (size_t i = 0; use_checkpoint && i < l.ncheckpoints; i++)
        if (l.checkpoints[i] <= version && l.checkpoints[i] > cp) cp = l.checkpoints[i];
    /* the commits after cp must all be there */
    int64_t want = cp + 1;
    size_t first = 0;
    while (first < l.ncommits && l.commits[first] < want) first++;
    for (int64_t v = want; v <= version; v++) {
        size_t i = first + (size_t)(v - want);
        if (i >= l.ncommits || l.commits[i] != v) {
            log_list_free(&l);
            return sl_err_set(err, "%s: the log lacks version %lld (needed for version %lld)",
                              table, (long long)v, (long long)version);
        }
    }
    delta_replay r = {.a = &out->mem};
    sl_map_init(&r.index);
    sl_vec_init(&r.files, sizeof(rfile));
    sl_vec_init(&r.txns, sizeof(delta_txn));
    sl_vec_init(&r.history, sizeof(delta_version_info));
    scanners sc;
    scanners_init(&sc);
    sl_buf b = {0};
    int rc = 0;
    if (cp >= 0) {
        char rel[64];
        delta_log_name(cp, ".checkpoint.parquet", rel);
        char *uri = sl_path_join(table, rel);
        bool exists;
        rc = io_read_raw(uri, cfg, &b, &exists, err);
        if (rc == 0 && !exists) rc = sl_err_set(err, "%s: gone while reading the log", uri);
        if (rc == 0 &&
            delta_checkpoint_read(b.data ? b.data : (const uint8_t *)"", b.len, &r, err) < 0)
            rc = sl_err_prefix(err, "%s", uri);
        free(uri);
        out->checkpoint_version = cp;
    }
    for (int64_t v = cp + 1; rc == 0 && v <= version; v++) {
        char rel[64];
        delta_log_name(v, ".json", rel);
        char *uri = sl_path_join(table, rel);
        bool exists;
        rc = io_read_raw(uri, cfg, &b, &exists, err);
        if (rc == 0 && !exists) rc = sl_err_set(err, "%s: gone while reading the log", uri);
        if (rc == 0)
            rc = replay_commit(&r, &sc, uri, b.data ? b.data : (const uint8_t *)"", b.len, v, err);
        free(uri);
    }
    if (rc == 0 && (!r.have_meta || !r.have_protocol))
        rc = sl_err_set(err, "%s: version %lld has no %s", table, (long long)version,
                        r.have_meta ? "protocol" : "metaData");
    if (rc == 0) rc = resolve_partition_values(&r, &sc, err);
    if (rc == 0) {
        out->version = version;
        out->min_reader = r.reader;
        out->min_writer = r.writer;
        out->table_id = r.id;
        out->schema_string = r.schema;
        out->partition_cols = r.pcols;
        out->npartition = r.npart;
        out->created_time = r.created;
        size_t nl = 0, nt = 0;
        for (size_t i = 0; i < r.files.len; i++) nl += SL_VEC_AT(&r.files, rfile, i).live;
        nt = r.files.len - nl;
        out->files = sl_arena_alloc(&out->mem, (nl + 1) * sizeof *out->files);
        out->tombstones = sl_arena_alloc(&out->mem, (nt + 1) * sizeof *out->tombstones);
        for (size_t i = 0; i < r.files.len; i++) {
            rfile *e = &SL_VEC_AT(&r.files, rfile, i);
            if (e->live)
                out->files[out->nfiles++] =
                    (delta_file){e->path, e->pvals, e->size, e->ts, e->stats};
            else
                out->tombstones[out->ntombstones++] =
                    (delta_tombstone){e->path, e->pvals, e->size, e->ts};
        }
        qsort(out->files, out->nfiles, sizeof *out->files, cmp_file);
        qsort(out->tombstones, out->ntombstones, sizeof *out->tombstones, cmp_tomb);
        out->ntxns = r.txns.len;
        out->txns = sl_arena_alloc(&out->mem, (r.txns.len + 1) * sizeof *out->txns);
        if (r.txns.len) memcpy(out->txns, r.txns.data, r.txns.len * sizeof *out->txns);
        out->nhistory = r.history.len;
        out->history = sl_arena_alloc(&out->mem, (r.history.len + 1) * sizeof *out->history);
        if (r.history.len)
            memcpy(out->history, r.history.data, r.history.len * sizeof *out->history);
    }
    scanners_free(&sc);
    sl_buf_free(&b);
    sl_map_free(&r.index);
    sl_vec_free(&r.files);
    sl_vec_free(&r.txns);
    sl_vec_free(&r.history);
    log_list_free(&l);
    if (rc < 0) {
        delta_snapshot_free(out);
        out->version = -1;
    }
    return rc;
}

int delta_snapshot_load(const char *table_uri, const io_config *cfg, int64_t version,
                        delta_snapshot *out, sl_err *err) {
    return load(table_uri, cfg, version, true, out, err);
}

int delta_snapshot_load_all(const char *table_uri, const io_config *cfg, int64_t version,
                            delta_snapshot *out, sl_err *err) {
    return load(table_uri, cfg, version, false, out, err);
}

void delta_snapshot_free(delta_snapshot *s) {
    if (!s) return;
    sl_arena_free(&s->mem);
    memset(s, 0, sizeof *s);
    s->version = -1;
}

int64_t delta_snapshot_txn(const delta_snapshot *s, const char *app_id) {
    for (size_t i = 0; i < s->ntxns; i++)
        if (!strcmp(s->txns[i].app_id, app_id)) return s->txns[i].version;
    return -1;
}

const delta_file *delta_snapshot_find(const delta_snapshot *s, const char *path) {
    size_t lo = 0, hi = s->nfiles;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->files[mid].path, path);
        if (c == 0) return &s->files[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- vacuum --------------------------------------------------------------- */

int delta_vacuum_plan(const char *table_uri, const io_config *cfg, int64_t now_ms,
                      int64_t retain_ms, char ***paths, size_t *n, sl_err *err) {
    *paths = NULL;
    *n = 0;
    delta_snapshot s;
    /* every JSON commit when the log still starts at 0 (songlake never
     * cleans it): tombstones older than a checkpoint keeps stay known */
    if (load(table_uri, cfg, -1, false, &s, err) < 0) {
        sl_err e2;
        if (load(table_uri, cfg, -1, true, &s, &e2) < 0) return -1;
    }
    int64_t cutoff = now_ms - retain_ms;
    char **out = sl_calloc(s.ntombstones + 1, sizeof *out);
    size_t k = 0;
    for (size_t i = 0; i < s.ntombstones; i++) {
        const delta_tombstone *t = &s.tombstones[i];
        if (t->deletion_timestamp < cutoff && !delta_snapshot_find(&s, t->path))
            out[k++] = sl_strdup(t->path);
    }
    qsort(out, k, sizeof *out, cmp_path);
    delta_snapshot_free(&s);
    *paths = out;
    *n = k;
    return 0;
}

void delta_paths_free(char **paths, size_t n) {
    for (size_t i = 0; i < n; i++) free(paths[i]);
    free(paths);
}
