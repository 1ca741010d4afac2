/* Reading one table of a built lake for the PostgreSQL loader: the _SUCCESS
 * marker and its manifest (so a reader never mixes two runs' files), the
 * Parquet files through io/ (local or S3) and songlake's reader, and the
 * partition columns recovered from Hive-style path segments. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json/json.h"
#include "lake/lake.h"
#include "sinks/pg_internal.h"

/* ---- manifest ----------------------------------------------------------- */
typedef struct manifest_ctx {
    sl_vec *files; /* pgl_file */
    const char *table_uri;
    sl_buf files_json;
    bool have_files;
    int bad;
    char reason[200];
} manifest_ctx;

static int on_manifest(void *ctx, const json_value *v, json_pos pos) {
    (void)pos;
    manifest_ctx *m = ctx;
    if (v[0].type == JSON_ARRAY) {
        m->files_json.len = 0;
        sl_buf_append(&m->files_json, v[0].str, v[0].len);
        m->have_files = true;
    }
    return 0;
}

static bool safe_rel(const char *p, size_t n) {
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

static int on_manifest_file(void *ctx, const json_value *v, json_pos pos) {
    (void)pos;
    manifest_ctx *m = ctx;
    sl_str path;
    int64_t rows = 0;
    if (json_to_text(&v[0], &path) != 1 || !safe_rel(path.ptr, path.len)) {
        snprintf(m->reason, sizeof m->reason, "a file entry has no valid relative \"path\"");
        m->bad = 1;
        return 1;
    }
    int rr = json_to_int64(&v[1], &rows);
    pgl_file *f = sl_vec_push(m->files);
    f->rel = sl_strndup(path.ptr, path.len);
    f->uri = sl_sprintf("%s/%s", m->table_uri, f->rel);
    f->rows = rr == 1 && rows >= 0 ? (uint64_t)rows : UINT64_MAX;
    return 0;
}

static int on_manifest_reject(void *ctx, json_pos pos, const char *reason, const char *raw,
                              size_t rawlen) {
    (void)pos, (void)raw, (void)rawlen;
    manifest_ctx *m = ctx;
    snprintf(m->reason, sizeof m->reason, "%s", reason);
    m->bad = 1;
    return 1;
}

static int scan_json(const char *const *keys, size_t nkeys, const uint8_t *p, size_t n,
                     int (*rec)(void *, const json_value *, json_pos), manifest_ctx *m) {
    json_fields *f = json_fields_new(keys, nkeys);
    json_scanner *s = json_scanner_new(f);
    json_callbacks cb = {rec, on_manifest_reject};
    json_scan(s, p, n, &cb, m);
    json_scanner_free(s);
    json_fields_free(f);
    return m->bad ? -1 : 0;
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

/* A marker without a manifest (Spark writes an empty _SUCCESS): every
 * Parquet file under the table directory. */
static int list_dir(const char *table_uri, const io_config *cfg, sl_vec *files, sl_err *err) {
    io_list l = {0};
    if (io_list_inputs(table_uri, cfg, &l, err) < 0) return -1;
    size_t pre = strlen(table_uri) + 1;
    for (size_t i = 0; i < l.n; i++) {
        const char *u = l.files[i].uri;
        if (!ends_with(u, ".parquet") || strlen(u) <= pre) continue;
        pgl_file *f = sl_vec_push(files);
        f->uri = sl_strdup(u);
        f->rel = sl_strdup(u + pre);
        f->rows = UINT64_MAX;
    }
    io_list_free(&l);
    return 0;
}

int pgl_open(const char *lake_uri, const pgs_table *def, const io_config *cfg, pgl_table *out,
             sl_err *err) {
    memset(out, 0, sizeof *out);
    out->def = def;
    const char *name = pgs_table_name(def);
    size_t ln = strlen(lake_uri);
    while (ln > 1 && lake_uri[ln - 1] == '/') ln--;
    char *table_uri = sl_sprintf("%.*s/%s", (int)ln, lake_uri, name);
    char *marker = sl_sprintf("%s/_SUCCESS", table_uri);
    sl_buf body = {0};
    bool exists = false;
    sl_vec files;
    sl_vec_init(&files, sizeof(pgl_file));
    int rc = -1;
    if (io_read_raw(marker, cfg, &body, &exists, err) < 0) {
        sl_err_prefix(err, "reading %s", marker);
        goto done;
    }
    if (!exists) {
        sl_err_set(err,
                   "%s: the lake has no complete table '%s' (no _SUCCESS marker): run "
                   "songlake build --out %.*s first",
                   marker, name, (int)ln, lake_uri);
        goto done;
    }
    manifest_ctx m = {.files = &files, .table_uri = table_uri};
    static const char *const top[] = {"files"};
    static const char *const per_file[] = {"path", "rows"};
    if (body.len && scan_json(top, 1, body.data, body.len, on_manifest, &m) < 0) {
        sl_err_set(err, "%s: not a songlake manifest (%s); rebuild the lake", marker, m.reason);
        goto done_m;
    }
    if (m.have_files) {
        if (scan_json(per_file, 2, m.files_json.data, m.files_json.len, on_manifest_file, &m) < 0) {
            sl_err_set(err, "%s: bad manifest (%s); rebuild the lake", marker, m.reason);
            goto done_m;
        }
    } else if (list_dir(table_uri, cfg, &files, err) < 0) {
        goto done_m;
    }
    rc = 0;
done_m:
    sl_buf_free(&m.files_json);
done:
    out->files = files.data;
    out->n = files.len;
    if (rc < 0) pgl_free(out);
    sl_buf_free(&body);
    free(marker);
    free(table_uri);
    return rc;
}

void pgl_free(pgl_table *t) {
    for (size_t i = 0; i < t->n; i++) {
        free(t->files[i].uri);
        free(t->files[i].rel);
    }
    free(t->files);
    t->files = NULL;
    t->n = 0;
}

/* ---- scanning ----------------------------------------------------------- */
typedef struct path_parts {
    size_t n;
    char *key[16];
    char *val[16]; /* NULL: __HIVE_DEFAULT_PARTITION__ */
} path_parts;

static void parts_parse(path_parts *pp, const char *rel) {
    pp->n = 0;
    const char *seg = rel;
    for (const char *s; (s = strchr(seg, '/')) != NULL && pp->n < 16; seg = s + 1) {
        const char *eq = memchr(seg, '=', (size_t)(s - seg));
        if (!eq) continue;
        pp->key[pp->n] = sl_strndup(seg, (size_t)(eq - seg));
        pp->val[pp->n] = lake_unescape_partition(eq + 1, (size_t)(s - eq - 1));
        pp->n++;
    }
}

static void parts_free(path_parts *pp) {
    for (size_t i = 0; i < pp->n; i++) {
        free(pp->key[i]);
        free(pp->val[i]);
    }
    pp->n = 0;
}

/* Finds where column c comes from: the file's column of that name (exact,
 * then ignoring case, as written by other engines) or a path segment. */
static int resolve(const pq_reader *r, const path_parts *pp, const char *name, long *file_col,
                   long *part) {
    *file_col = *part = -1;
    size_t nc = pq_reader_num_columns(r);
    for (int pass = 0; pass < 2 && *file_col < 0; pass++)
        for (size_t i = 0; i < nc; i++) {
            const char *cn = pq_reader_column(r, i)->name;
            if (pass == 0 ? !strcmp(cn, name) : !strcasecmp(cn, name)) {
                *file_col = (long)i;
                break;
            }
        }
    if (*file_col >= 0) return 0;
    for (int pass = 0; pass < 2 && *part < 0; pass++)
        for (size_t i = 0; i < pp->n; i++)
            if (pass == 0 ? !strcmp(pp->key[i], name) : !strcasecmp(pp->key[i], name)) {
                *part = (long)i;
                break;
            }
    return *part >= 0 ? 0 : -1;
}

static int scan_file(const pgl_table *t, const pgl_file *f, const bool *want, const sl_buf *img,
                     uint64_t *row0, pgl_batch_fn fn, void *ctx, sl_err *err) {
    const pgs_table *d = t->def;
    pq_reader *r = pq_reader_open_mem(img->data, img->len, err);
    if (!r) return sl_err_prefix(err, "%s", f->uri);
    path_parts pp;
    parts_parse(&pp, f->rel);
    pgl_batch b;
    memset(&b, 0, sizeof b);
    b.file = f;
    long fcol[PGS_MAX_COLS];
    int rc = -1;
    if (f->rows != UINT64_MAX && pq_reader_num_rows(r) != f->rows) {
        sl_err_set(
            err,
            "%s: holds %llu rows but the table's _SUCCESS manifest says %llu; rebuild the lake",
            f->uri, (unsigned long long)pq_reader_num_rows(r), (unsigned long long)f->rows);
        goto out;
    }
    for (size_t c = 0; c < d->ncols; c++) {
        long part;
        if (want && !want[c]) {
            fcol[c] = -1;
            continue;
        }
        if (resolve(r, &pp, d->cols[c].name, &fcol[c], &part) < 0) {
            sl_err_set(err, "%s: no column '%s' in the file nor a '%s=' segment in its path",
                       f->uri, d->cols[c].name, d->cols[c].name);
            goto out;
        }
        b.from_path[c] = part >= 0;
        b.part_val[c] = part >= 0 ? pp.val[part] : NULL;
    }
    size_t nrg = pq_reader_num_row_groups(r);
    for (size_t rg = 0; rg < nrg; rg++) {
        b.first_row = *row0;
        b.n = (size_t)pq_reader_row_group_rows(r, rg);
        int ok = 0;
        for (size_t c = 0; c < d->ncols && ok == 0; c++) {
            if (fcol[c] < 0) continue;
            ok = pq_reader_read_column(r, rg, (size_t)fcol[c], &b.data[c], err);
            if (ok < 0) sl_err_prefix(err, "%s: column %s", f->uri, d->cols[c].name);
        }
        if (ok == 0) ok = fn(ctx, &b, err);
        for (size_t c = 0; c < d->ncols; c++) {
            if (fcol[c] >= 0) pq_column_data_free(&b.data[c]);
            memset(&b.data[c], 0, sizeof b.data[c]);
        }
        if (ok < 0) goto out;
        *row0 += b.n;
    }
    rc = 0;
out:
    parts_free(&pp);
    pq_reader_close(r);
    return rc;
}

int pgl_scan(const pgl_table *t, const bool *want, const io_config *cfg, pgl_batch_fn fn, void *ctx,
             sl_err *err) {
    sl_buf img = {0};
    uint64_t row0 = 0;
    int rc = 0;
    for (size_t i = 0; i < t->n && rc == 0; i++) {
        img.len = 0;
        rc = io_read_all(t->files[i].uri, cfg, &img, err);
        if (rc < 0) {
            sl_err_prefix(err, "reading the lake");
            break;
        }
        rc = scan_file(t, &t->files[i], want, &img, &row0, fn, ctx, err);
    }
    sl_buf_free(&img);
    return rc;
}
