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
    /* a Delta lake (SPEC section 6): the files of the version the last
     * star record names */
    char *root = sl_sprintf("%.*s", (int)ln, lake_uri), **dpaths = NULL;
    size_t nd = 0;
    bool delta = false;
    int drc = lake_star_files(root, cfg, name, &delta, &dpaths, &nd, err);
    free(root);
    if (drc < 0) goto done;
    if (delta) {
        for (size_t i = 0; i < nd; i++) {
            pgl_file *f = sl_vec_push(&files);
            f->uri = sl_sprintf("%s/%s", table_uri, dpaths[i]);
            f->rel = sl_strdup(dpaths[i]);
            f->rows = UINT64_MAX;
        }
        lake_paths_free(dpaths, nd);
        rc = 0;
        goto done;
    }
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
    lake_manifest m;
    if (lake_manifest_parse(body.data, body.len, &m, err) < 0) {
        sl_err_prefix(err, "%s", marker);
        size_t el = strlen(err->msg);
        snprintf(err->msg + el, sizeof err->msg - el, "; rebuild the lake");
        goto done;
    }
    for (size_t i = 0; i < m.n; i++) {
        pgl_file *f = sl_vec_push(&files);
        f->rel = m.files[i].rel;
        m.files[i].rel = NULL;
        f->uri = sl_sprintf("%s/%s", table_uri, f->rel);
        f->rows = m.files[i].rows;
    }
    rc = m.has_files ? 0 : list_dir(table_uri, cfg, &files, err);
    lake_manifest_free(&m);
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

enum { PGL_BATCH_ROWS = 1 << 18 };

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
    /* row groups in batches of PGL_BATCH_ROWS: a row count a file declares
     * (by a few bytes of RLE) sizes nothing beyond one batch */
    for (size_t rg = 0, at = 0; rg < nrg; at += b.n) {
        uint64_t rows = pq_reader_row_group_rows(r, rg);
        if (at >= rows) {
            rg++;
            at = 0;
            b.n = 0;
            continue;
        }
        b.first_row = *row0;
        b.n = rows - at < PGL_BATCH_ROWS ? (size_t)(rows - at) : PGL_BATCH_ROWS;
        int ok = 0;
        for (size_t c = 0; c < d->ncols && ok == 0; c++) {
            if (fcol[c] < 0) continue;
            ok = pq_reader_read_column_rows(r, rg, (size_t)fcol[c], at, b.n, &b.data[c], err);
            if (ok == 0 && b.data[c].n != b.n)
                ok = sl_err_set(err, "row group %zu holds fewer rows than it declares", rg);
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
