/* delta_checkpoint: a snapshot as <version>.checkpoint.parquet (a classic
 * V1 checkpoint: one action per row, one column per action type, the
 * struct layout Spark's checkpoints have) plus _last_checkpoint, and
 * reading such a checkpoint (ours or Spark's) back into a replay.
 *
 * In a checkpoint adds and removes have dataChange false, removes are
 * tombstones (extendedFileMetadata, partitionValues and size, no stats),
 * and tombstones older than a week (Delta's default retention for them)
 * are dropped; commitInfo is never kept. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delta/delta_internal.h"

#define LEAF(n, t, o)                                                                              \
    { .name = n, .kind = PQ_NODE_LEAF, .type = t, .nullable = o }
#define STRUCT(n, k)                                                                               \
    { .name = n, .kind = PQ_NODE_STRUCT, .nullable = true, .nfields = k }
#define STR_MAP(n)                                                                                 \
    {.name = n, .kind = PQ_NODE_MAP, .nullable = true}, LEAF("key", PQ_STRING, false),             \
        LEAF("value", PQ_STRING, true)

static const pq_node CHECKPOINT_SCHEMA[] = {
    STRUCT("txn", 3),
    LEAF("appId", PQ_STRING, true),
    LEAF("version", PQ_INT64, true),
    LEAF("lastUpdated", PQ_INT64, true),
    STRUCT("add", 7),
    LEAF("path", PQ_STRING, true),
    STR_MAP("partitionValues"),
    LEAF("size", PQ_INT64, true),
    LEAF("modificationTime", PQ_INT64, true),
    LEAF("dataChange", PQ_BOOLEAN, true),
    STR_MAP("tags"),
    LEAF("stats", PQ_STRING, true),
    STRUCT("remove", 6),
    LEAF("path", PQ_STRING, true),
    LEAF("deletionTimestamp", PQ_INT64, true),
    LEAF("dataChange", PQ_BOOLEAN, true),
    LEAF("extendedFileMetadata", PQ_BOOLEAN, true),
    STR_MAP("partitionValues"),
    LEAF("size", PQ_INT64, true),
    STRUCT("metaData", 8),
    LEAF("id", PQ_STRING, true),
    LEAF("name", PQ_STRING, true),
    LEAF("description", PQ_STRING, true),
    STRUCT("format", 2),
    LEAF("provider", PQ_STRING, true),
    STR_MAP("options"),
    LEAF("schemaString", PQ_STRING, true),
    {.name = "partitionColumns", .kind = PQ_NODE_LIST, .nullable = true},
    LEAF("element", PQ_STRING, true),
    STR_MAP("configuration"),
    LEAF("createdTime", PQ_INT64, true),
    STRUCT("protocol", 2),
    LEAF("minReaderVersion", PQ_INT32, true),
    LEAF("minWriterVersion", PQ_INT32, true),
};
#define NCHECKPOINT (sizeof CHECKPOINT_SCHEMA / sizeof *CHECKPOINT_SCHEMA)

static int buf_sink(void *ctx, const void *p, size_t n, sl_err *err) {
    (void)err;
    sl_buf_append(ctx, p, n);
    return 0;
}

static void str(pq_tree_writer *w, const char *s) {
    if (s)
        pq_tree_str(w, s, strlen(s));
    else
        pq_tree_null(w);
}

static void pv_map(pq_tree_writer *w, char *const *names, size_t n, char *const *vals) {
    pq_tree_begin(w);
    for (size_t k = 0; k < n; k++) {
        str(w, names[k]);
        str(w, vals ? vals[k] : NULL);
    }
    pq_tree_end(w);
}

static void empty_map(pq_tree_writer *w) {
    pq_tree_begin(w);
    pq_tree_end(w);
}

int delta_checkpoint_write(const char *table_uri, const io_config *cfg, const delta_snapshot *s,
                           sl_err *err) {
    if (s->version < 0) return sl_err_set(err, "%s: no version to checkpoint", table_uri);
    sl_buf file = {0};
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.codec = PQ_CODEC_SNAPPY;
    pq_tree_writer *w =
        pq_tree_open(CHECKPOINT_SCHEMA, NCHECKPOINT, &o, (pq_sink){buf_sink, &file}, err);
    if (!w) return -1;
    int rc = 0;
    uint64_t rows = 0;
    /* protocol */
    pq_tree_null(w), pq_tree_null(w), pq_tree_null(w), pq_tree_null(w);
    pq_tree_begin(w), pq_tree_i32(w, s->min_reader), pq_tree_i32(w, s->min_writer), pq_tree_end(w);
    rc = pq_tree_row_end(w, err), rows++;
    /* metaData */
    if (rc == 0) {
        pq_tree_null(w), pq_tree_null(w), pq_tree_null(w);
        pq_tree_begin(w);
        str(w, s->table_id), pq_tree_null(w), pq_tree_null(w);
        pq_tree_begin(w), str(w, "parquet"), empty_map(w), pq_tree_end(w);
        str(w, s->schema_string);
        pq_tree_begin(w);
        for (size_t k = 0; k < s->npartition; k++) str(w, s->partition_cols[k]);
        pq_tree_end(w);
        empty_map(w);
        pq_tree_i64(w, s->created_time);
        pq_tree_end(w);
        rc = pq_tree_row_end(w, err), rows++;
    }
    for (size_t i = 0; rc == 0 && i < s->ntxns; i++) {
        pq_tree_begin(w), str(w, s->txns[i].app_id), pq_tree_i64(w, s->txns[i].version),
            pq_tree_null(w), pq_tree_end(w);
        rc = pq_tree_row_end(w, err), rows++;
    }
    for (size_t i = 0; rc == 0 && i < s->nfiles; i++) {
        const delta_file *f = &s->files[i];
        sl_buf enc = {0};
        delta_path_encode(&enc, f->path);
        sl_buf_putc(&enc, 0);
        pq_tree_null(w);
        pq_tree_begin(w);
        str(w, (const char *)enc.data);
        pv_map(w, s->partition_cols, s->npartition, f->partition_values);
        pq_tree_i64(w, (int64_t)f->size), pq_tree_i64(w, f->modification_time),
            pq_tree_bool(w, false);
        pq_tree_null(w); /* tags */
        str(w, f->stats);
        pq_tree_end(w);
        rc = pq_tree_row_end(w, err), rows++;
        sl_buf_free(&enc);
    }
    int64_t expired = sl_epoch_ms() - DELTA_TOMBSTONE_RETENTION_MS;
    for (size_t i = 0; rc == 0 && i < s->ntombstones; i++) {
        const delta_tombstone *t = &s->tombstones[i];
        if (t->deletion_timestamp < expired) continue;
        sl_buf enc = {0};
        delta_path_encode(&enc, t->path);
        sl_buf_putc(&enc, 0);
        pq_tree_null(w), pq_tree_null(w);
        pq_tree_begin(w);
        str(w, (const char *)enc.data);
        pq_tree_i64(w, t->deletion_timestamp), pq_tree_bool(w, false), pq_tree_bool(w, true);
        pv_map(w, s->partition_cols, s->npartition, t->partition_values);
        pq_tree_i64(w, (int64_t)t->size);
        pq_tree_end(w);
        rc = pq_tree_row_end(w, err), rows++;
        sl_buf_free(&enc);
    }
    if (rc < 0) {
        pq_tree_abort(w);
        sl_buf_free(&file);
        return -1;
    }
    if (pq_tree_close(w, NULL, err) < 0) {
        sl_buf_free(&file);
        return -1;
    }
    char rel[64];
    delta_log_name(s->version, ".checkpoint.parquet", rel);
    char *uri = sl_path_join(table_uri, rel);
    rc = io_put_replace(uri, cfg, file.data, file.len, err);
    free(uri);
    if (rc == 0) {
        sl_buf last = {0};
        sl_buf_printf(&last,
                      "{\"version\":%lld,\"size\":%llu,\"sizeInBytes\":%zu,\"numOfAddFiles\":%zu}",
                      (long long)s->version, (unsigned long long)rows, file.len, s->nfiles);
        char *luri = sl_path_join(table_uri, "_delta_log/_last_checkpoint");
        rc = io_put_replace(luri, cfg, last.data, last.len, err);
        free(luri);
        sl_buf_free(&last);
    }
    sl_buf_free(&file);
    return rc;
}

/* ---- reading ------------------------------------------------------------ */

/* Columns of one row group read per row (leaves that do not repeat). */
typedef struct cpcol {
    pq_column_data d;
    bool have;
} cpcol;

static int col(pq_reader *r, size_t rg, const char *path, cpcol *c, sl_err *err) {
    memset(c, 0, sizeof *c);
    long i = pq_reader_find_column(r, path);
    if (i < 0) return 0; /* absent columns are null */
    if (pq_reader_read_column(r, rg, (size_t)i, &c->d, err) < 0) return -1;
    c->have = true;
    return 0;
}

static bool has(const cpcol *c, size_t row) {
    return c->have && row < c->d.n && c->d.valid[row];
}

static char *cstr(delta_replay *rp, const cpcol *c, size_t row) {
    return has(c, row) ? delta_replay_strndup(rp, c->d.v.str[row].ptr, c->d.v.str[row].len) : NULL;
}

/* A map<string,string> or list<string> leaf's entries grouped per row:
 * first[row] .. first[row + 1] index the row's pairs in keys/vals. */
typedef struct cpmap {
    size_t *first;
    char **keys, **vals;
} cpmap;

static int read_pairs(pq_reader *r, size_t rg, size_t nrows, const char *kpath, const char *vpath,
                      delta_replay *rp, cpmap *m, sl_err *err) {
    memset(m, 0, sizeof *m);
    sl_arena *a = delta_replay_arena(rp);
    m->first = sl_arena_alloc(a, (nrows + 1) * sizeof *m->first);
    memset(m->first, 0, (nrows + 1) * sizeof *m->first);
    long ki = pq_reader_find_column(r, kpath), vi = vpath ? pq_reader_find_column(r, vpath) : -1;
    if (ki < 0) return 0;
    pq_leaf_data k, v;
    memset(&v, 0, sizeof v);
    if (pq_reader_read_leaf(r, rg, (size_t)ki, &k, err) < 0) return -1;
    if (vi >= 0 && pq_reader_read_leaf(r, rg, (size_t)vi, &v, err) < 0) {
        pq_leaf_data_free(&k);
        return -1;
    }
    int kdef, krep, vdef = 0, vrep;
    pq_reader_column_levels(r, (size_t)ki, &kdef, &krep);
    if (vi >= 0) pq_reader_column_levels(r, (size_t)vi, &vdef, &vrep);
    int rc = 0;
    if (vi >= 0 && v.n != k.n) rc = sl_err_set(err, "%s and %s disagree", kpath, vpath);
    m->keys = sl_arena_alloc(a, (k.n + 1) * sizeof *m->keys);
    m->vals = sl_arena_alloc(a, (k.n + 1) * sizeof *m->vals);
    /* an entry of the repeated group is there when the key's level reaches
     * it: max_def (a required key) or max_def - 1 (a list's null element) */
    int present = vpath ? kdef : kdef - 1;
    size_t row = 0, npairs = 0, kv = 0, vv = 0;
    bool started = false;
    for (size_t e = 0; rc == 0 && e < k.n; e++) {
        if (k.rep[e] == 0) {
            if (started) row++;
            started = true;
            if (row >= nrows) {
                rc = sl_err_set(err, "%s holds more rows than its row group", kpath);
                break;
            }
            m->first[row] = npairs;
        }
        if (k.def[e] < present) continue;
        bool kset = k.def[e] == kdef;
        m->keys[npairs] =
            kset ? delta_replay_strndup(rp, k.values.v.str[kv].ptr, k.values.v.str[kv].len) : NULL;
        kv += kset;
        bool vset = vi >= 0 && v.def[e] == vdef;
        m->vals[npairs] =
            vset ? delta_replay_strndup(rp, v.values.v.str[vv].ptr, v.values.v.str[vv].len) : NULL;
        vv += vset;
        npairs++;
    }
    if (rc == 0 && nrows && row + 1 != nrows)
        rc = sl_err_set(err, "%s holds fewer rows than its row group", kpath);
    m->first[nrows] = npairs;
    pq_leaf_data_free(&k);
    pq_leaf_data_free(&v);
    return rc;
}

/* The row's partition values in column order. */
static char **pvals_of(delta_replay *rp, const cpmap *m, size_t row) {
    size_t npart;
    char **pcols = delta_replay_partition_cols(rp, &npart);
    if (npart == 0) return NULL;
    char **out = sl_arena_alloc(delta_replay_arena(rp), npart * sizeof *out);
    for (size_t c = 0; c < npart; c++) {
        out[c] = NULL;
        for (size_t i = m->first[row]; i < m->first[row + 1]; i++)
            if (m->keys[i] && !strcmp(m->keys[i], pcols[c])) out[c] = m->vals[i];
    }
    return out;
}

enum {
    C_TXN_APP,
    C_TXN_VER,
    C_ADD_PATH,
    C_ADD_SIZE,
    C_ADD_MTIME,
    C_ADD_STATS,
    C_REM_PATH,
    C_REM_TS,
    C_REM_SIZE,
    C_META_ID,
    C_META_SCHEMA,
    C_META_CREATED,
    C_PROTO_R,
    C_PROTO_W,
    NCOLS
};
static const char *const PATHS[NCOLS] = {"txn.appId",
                                         "txn.version",
                                         "add.path",
                                         "add.size",
                                         "add.modificationTime",
                                         "add.stats",
                                         "remove.path",
                                         "remove.deletionTimestamp",
                                         "remove.size",
                                         "metaData.id",
                                         "metaData.schemaString",
                                         "metaData.createdTime",
                                         "protocol.minReaderVersion",
                                         "protocol.minWriterVersion"};

static int read_group(pq_reader *r, size_t rg, delta_replay *rp, sl_err *err) {
    size_t nrows = (size_t)pq_reader_row_group_rows(r, rg);
    cpcol c[NCOLS];
    memset(c, 0, sizeof c);
    cpmap pc, apv, rpv;
    int rc = 0;
    for (int i = 0; i < NCOLS && rc == 0; i++) rc = col(r, rg, PATHS[i], &c[i], err);
    /* metaData first: the partition columns name the partition values */
    if (rc == 0)
        rc = read_pairs(r, rg, nrows, "metaData.partitionColumns.list.element", NULL, rp, &pc, err);
    for (size_t row = 0; rc == 0 && row < nrows; row++) {
        if (has(&c[C_META_SCHEMA], row))
            delta_replay_metadata(
                rp, cstr(rp, &c[C_META_ID], row), cstr(rp, &c[C_META_SCHEMA], row),
                pc.keys + pc.first[row], pc.first[row + 1] - pc.first[row],
                has(&c[C_META_CREATED], row) ? c[C_META_CREATED].d.v.i64[row] : 0);
        if (has(&c[C_PROTO_R], row))
            delta_replay_protocol(rp, c[C_PROTO_R].d.v.i32[row],
                                  has(&c[C_PROTO_W], row) ? c[C_PROTO_W].d.v.i32[row] : 0);
        if (has(&c[C_TXN_APP], row))
            delta_replay_txn(rp, cstr(rp, &c[C_TXN_APP], row),
                             has(&c[C_TXN_VER], row) ? c[C_TXN_VER].d.v.i64[row] : -1);
    }
    if (rc == 0)
        rc = read_pairs(r, rg, nrows, "add.partitionValues.key_value.key",
                        "add.partitionValues.key_value.value", rp, &apv, err);
    if (rc == 0)
        rc = read_pairs(r, rg, nrows, "remove.partitionValues.key_value.key",
                        "remove.partitionValues.key_value.value", rp, &rpv, err);
    for (size_t row = 0; rc == 0 && row < nrows; row++) {
        if (has(&c[C_ADD_PATH], row)) {
            const sl_str *p = &c[C_ADD_PATH].d.v.str[row];
            delta_replay_add(rp, delta_path_decode(rp, p->ptr, p->len), pvals_of(rp, &apv, row),
                             has(&c[C_ADD_SIZE], row) ? (uint64_t)c[C_ADD_SIZE].d.v.i64[row] : 0,
                             has(&c[C_ADD_MTIME], row) ? c[C_ADD_MTIME].d.v.i64[row] : 0,
                             cstr(rp, &c[C_ADD_STATS], row));
        }
        if (has(&c[C_REM_PATH], row)) {
            const sl_str *p = &c[C_REM_PATH].d.v.str[row];
            bool pv = rpv.first[row + 1] > rpv.first[row];
            delta_replay_remove(rp, delta_path_decode(rp, p->ptr, p->len),
                                pv ? pvals_of(rp, &rpv, row) : NULL,
                                has(&c[C_REM_SIZE], row) ? (uint64_t)c[C_REM_SIZE].d.v.i64[row] : 0,
                                has(&c[C_REM_TS], row) ? c[C_REM_TS].d.v.i64[row] : 0);
        }
    }
    for (int i = 0; i < NCOLS; i++)
        if (c[i].have) pq_column_data_free(&c[i].d);
    return rc;
}

int delta_checkpoint_read(const uint8_t *data, size_t len, delta_replay *rp, sl_err *err) {
    pq_reader *r = pq_reader_open_mem(data, len, err);
    if (!r) return -1;
    int rc = 0;
    for (size_t g = 0; g < pq_reader_num_row_groups(r) && rc == 0; g++)
        rc = read_group(r, g, rp, err);
    pq_reader_close(r);
    return rc;
}
