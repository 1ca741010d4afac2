/* What songlake made and may replace (issue 15): reading a table's
 * _SUCCESS manifest, and the checks a build makes before it writes
 * anything: every table directory (and _songlake) under --out holds only
 * files its manifest names, and --out neither is "/" nor holds or lies in
 * an input. A refusal returns LAKE_REFUSED with one line for the user. */
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "json/json.h"
#include "lake/lake.h"
#include "lake/lake_internal.h"

/* ---- manifests ---------------------------------------------------------- */
typedef struct mctx {
    lake_manifest *m;
    sl_buf files_json;
    bool bad;
    char reason[160];
} mctx;

static int on_top(void *ctx, const json_value *v, json_pos pos) {
    (void)pos;
    mctx *c = ctx;
    if (v[0].type == JSON_ARRAY) {
        c->files_json.len = 0;
        sl_buf_append(&c->files_json, v[0].str, v[0].len);
        c->m->has_files = true;
    }
    int64_t rows;
    if (json_to_int64(&v[1], &rows) == 1 && rows >= 0) c->m->rows = (uint64_t)rows;
    return 0;
}

static int on_file(void *ctx, const json_value *v, json_pos pos) {
    (void)pos;
    mctx *c = ctx;
    lake_manifest *m = c->m;
    sl_str path;
    int64_t rows = -1, bytes = -1;
    if (json_to_text(&v[0], &path) != 1 || !lake_safe_relpath(path.ptr, path.len)) {
        snprintf(c->reason, sizeof c->reason, "a file entry has no valid relative \"path\"");
        c->bad = true;
        return 1;
    }
    if (json_to_int64(&v[1], &rows) != 1) rows = -1;
    if (json_to_int64(&v[2], &bytes) != 1) bytes = -1;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->files = sl_realloc(m->files, m->cap * sizeof *m->files);
    }
    lake_manifest_file *f = &m->files[m->n++];
    f->rel = sl_strndup(path.ptr, path.len);
    f->rows = rows >= 0 ? (uint64_t)rows : UINT64_MAX;
    f->bytes = bytes >= 0 ? (uint64_t)bytes : UINT64_MAX;
    return 0;
}

static int on_bad(void *ctx, json_pos pos, const char *reason, const char *raw, size_t rawlen) {
    (void)pos, (void)raw, (void)rawlen;
    mctx *c = ctx;
    snprintf(c->reason, sizeof c->reason, "%s", reason);
    c->bad = true;
    return 1;
}

static bool scan(const char *const *keys, size_t nkeys, const uint8_t *p, size_t n,
                 int (*rec)(void *, const json_value *, json_pos), mctx *c) {
    json_fields *f = json_fields_new(keys, nkeys);
    json_scanner *s = json_scanner_new(f);
    json_callbacks cb = {rec, on_bad};
    json_scan(s, p, n, &cb, c);
    json_scanner_free(s);
    json_fields_free(f);
    return !c->bad;
}

int lake_manifest_parse(const uint8_t *p, size_t n, lake_manifest *m, sl_err *err) {
    memset(m, 0, sizeof *m);
    mctx c = {.m = m};
    static const char *const top[] = {"files", "rows"};
    static const char *const per_file[] = {"path", "rows", "bytes"};
    int rc = 0;
    if (n && !scan(top, 2, p, n, on_top, &c))
        rc = sl_err_set(err, "not a songlake manifest (%s)", c.reason);
    else if (m->has_files && !scan(per_file, 3, c.files_json.data, c.files_json.len, on_file, &c))
        rc = sl_err_set(err, "bad manifest (%s)", c.reason);
    sl_buf_free(&c.files_json);
    if (rc < 0) lake_manifest_free(m);
    return rc;
}

void lake_manifest_free(lake_manifest *m) {
    for (size_t i = 0; i < m->n; i++) free(m->files[i].rel);
    free(m->files);
    memset(m, 0, sizeof *m);
}

bool lake_safe_relpath(const char *p, size_t n) {
    if (n == 0 || p[0] == '/') return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == 0 || p[i] == '\\') return false;
        /* a ".." segment would leave the table directory */
        if (p[i] == '.' && i + 1 < n && p[i + 1] == '.' && (i == 0 || p[i - 1] == '/') &&
            (i + 2 == n || p[i + 2] == '/'))
            return false;
    }
    return true;
}

/* ---- ownership ---------------------------------------------------------- */
static int rel_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Under _songlake: what any songlake version writes there. */
static bool meta_own(const char *rel) {
    static const char *const files[] = {"_SUCCESS", "report.json", "rejects.jsonl"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        if (!strcmp(rel, files[i])) return true;
    static const char *const dirs[] = {"failed/", "star/", "state/", "runs/"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
        if (!strncmp(rel, dirs[i], strlen(dirs[i]))) return true;
    return false;
}

/* S3 part files carry their run id; one not in the manifest is a killed
 * run's leftover that the store's cleanup removes. */
static bool run_leftover(const char *rel) {
    const char *b = strrchr(rel, '/');
    b = b ? b + 1 : rel;
    if (strncmp(b, "part-", 5) != 0) return false;
    /* a run id: YYYYMMDDTHHMMSSZ-xxxxxx (build_make_run_id) */
    static const char shape[] = "ddddddddTddddddZ-hhhhhh";
    for (const char *p = b; *p; p++) {
        size_t i = 0;
        for (; shape[i] && p[i]; i++) {
            char c = p[i], k = shape[i];
            bool ok = k == 'd'   ? (c >= '0' && c <= '9')
                      : k == 'h' ? ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
                                 : c == k;
            if (!ok) break;
        }
        if (!shape[i]) return true;
    }
    return false;
}

static int refuse(sl_err *err, const char *out, const char *name, const char *what) {
    sl_err_set(err,
               "%s/%s %s; songlake replaces only what it wrote: move it away, or choose "
               "another --out",
               out, name, what);
    return LAKE_REFUSED;
}

static int check_one(io_store *store, const char *name, sl_err *err) {
    const char *out = io_store_uri(store);
    io_list l;
    int what;
    if (io_store_list_table(store, name, &l, &what, err) < 0) return -1;
    int rc = 0;
    if (what == IO_TABLE_OTHER) {
        rc = refuse(err, out, name, "is not a directory songlake made (a table goes there)");
        goto done;
    }
    if (what == IO_TABLE_ABSENT || l.n == 0) goto done;
    bool meta = !strcmp(name, "_songlake");
    if (!meta && lake_delta_is_ours(out, NULL, name)) goto done; /* SPEC 6: a Delta table */
    bool has_success = false;
    for (size_t i = 0; i < l.n; i++)
        if (!strcmp(l.files[i].uri, "_SUCCESS") && l.files[i].size != UINT64_MAX)
            has_success = true;
    if (!has_success) { /* only what songlake leaves before a first publish */
        bool all_own = true;
        for (size_t i = 0; i < l.n; i++) {
            const char *rel = l.files[i].uri;
            /* _songlake: the rejects a failed run kept; a table on S3: part
             * files of a killed run (their names carry its run id) */
            bool own = meta ? !strncmp(rel, "failed/", 7) : run_leftover(rel);
            if (!own || l.files[i].size == UINT64_MAX) all_own = false;
        }
        if (all_own) goto done;
    }
    if (!has_success) {
        rc = refuse(err, out, name, "exists without a songlake manifest (_SUCCESS)");
        goto done;
    }
    char *mpath = sl_sprintf("%s/%s/_SUCCESS", out, name);
    sl_buf body = {0};
    bool exists = false;
    lake_manifest m = {0};
    rc = io_read_raw(mpath, NULL, &body, &exists, err);
    if (rc == 0 && lake_manifest_parse(body.data, body.len, &m, err) < 0)
        rc = refuse(err, out, name, "has a _SUCCESS that is not a songlake manifest");
    sl_buf_free(&body);
    free(mpath);
    if (rc < 0 || rc == LAKE_REFUSED) goto done_m;
    if (!meta && !m.has_files) {
        rc = refuse(err, out, name, "has a _SUCCESS that lists no files (not songlake's)");
        goto done_m;
    }
    char **rels = sl_malloc((m.n + 1) * sizeof *rels);
    for (size_t i = 0; i < m.n; i++) rels[i] = m.files[i].rel;
    qsort(rels, m.n, sizeof *rels, rel_cmp);
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        const char *rel = l.files[i].uri;
        if (!strcmp(rel, "_SUCCESS")) continue;
        if (meta && meta_own(rel)) continue;
        if (l.files[i].size != UINT64_MAX && bsearch(&rel, rels, m.n, sizeof *rels, rel_cmp))
            continue;
        if (!meta && run_leftover(rel)) continue;
        char *shown = sl_sprintf("%s/%s", name, rel);
        rc =
            refuse(err, out, shown, "is not a file songlake wrote (its manifest does not name it)");
        free(shown);
    }
    free(rels);
done_m:
    lake_manifest_free(&m);
done:
    io_list_free(&l);
    return rc;
}

int lake_check_owned(io_store *store, sl_err *err) {
    for (int t = 0; t <= LAKE_NTABLES; t++) {
        int rc = check_one(store, t < LAKE_NTABLES ? lake_table_name(t) : "_songlake", err);
        if (rc) return rc;
    }
    return 0;
}

int lake_check_locations(const char *out, const char *const *inputs, const char *const *what,
                         size_t n, sl_err *err) {
    if (io_location_is_root(out)) {
        sl_err_set(err, "--out %s is the file system root; give a directory for the lake", out);
        return LAKE_REFUSED;
    }
    for (size_t i = 0; i < n; i++) {
        int r = io_location_relation(out, inputs[i]);
        const char *how = r == IO_LOC_SAME       ? "is"
                          : r == IO_LOC_INSIDE   ? "lies inside"
                          : r == IO_LOC_CONTAINS ? "holds"
                                                 : NULL;
        if (!how) continue;
        sl_err_set(err,
                   "--out %s %s the %s input %s: the lake would replace or mix with its input; "
                   "choose an --out outside the inputs",
                   out, how, what[i], inputs[i]);
        return LAKE_REFUSED;
    }
    return 0;
}
