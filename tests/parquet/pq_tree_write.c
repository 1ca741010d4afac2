/* pq_tree_write: writes nested Parquet files with the tree writer for other
 * readers to check (tests/parquet/tree_interop.mjs, tree_interop.py).
 *
 * Usage: pq_tree_write <out-dir>
 *
 * Writes tree_<variant>.parquet (codecs, small pages and row groups) of one
 * schema with every shape the Delta checkpoint needs and more: optional
 * structs holding maps of strings (null values, empty maps, null maps),
 * nested structs, lists of nullable strings, lists of structs, lists of
 * lists, booleans, int32, int64, doubles, timestamps. Beside each,
 * tree_<variant>.json holds every row as the readers must give it back
 * (structs as objects, lists as arrays, maps as arrays of [key, value],
 * int64 and timestamps as decimal strings), written by the same calls that
 * write the Parquet rows so the two cannot disagree. */
#include "parquet/parquet.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const pq_node SCHEMA[] = {
    {.name = "id", .type = PQ_INT64},
    {.name = "add", .kind = PQ_NODE_STRUCT, .nullable = true, .nfields = 7},
    {.name = "path", .type = PQ_STRING, .nullable = true},
    {.name = "partitionValues", .kind = PQ_NODE_MAP, .nullable = true},
    {.name = "key", .type = PQ_STRING},
    {.name = "value", .type = PQ_STRING, .nullable = true},
    {.name = "size", .type = PQ_INT64, .nullable = true},
    {.name = "dataChange", .type = PQ_BOOLEAN, .nullable = true},
    {.name = "stats", .type = PQ_STRING, .nullable = true},
    {.name = "deletionVector", .kind = PQ_NODE_STRUCT, .nullable = true, .nfields = 2},
    {.name = "storageType", .type = PQ_STRING, .nullable = true},
    {.name = "offset", .type = PQ_INT32, .nullable = true},
    {.name = "modificationTime", .type = PQ_TIMESTAMP_US, .nullable = true},
    {.name = "tags", .kind = PQ_NODE_LIST, .nullable = true},
    {.name = "element", .type = PQ_STRING, .nullable = true},
    {.name = "points", .kind = PQ_NODE_LIST, .nullable = true},
    {.name = "element", .kind = PQ_NODE_STRUCT, .nullable = true, .nfields = 2},
    {.name = "x", .type = PQ_DOUBLE},
    {.name = "y", .type = PQ_INT32, .nullable = true},
    {.name = "matrix", .kind = PQ_NODE_LIST, .nullable = true},
    {.name = "element", .kind = PQ_NODE_LIST},
    {.name = "element", .type = PQ_INT64},
    {.name = "flag", .type = PQ_BOOLEAN},
};
#define NSCHEMA (sizeof SCHEMA / sizeof *SCHEMA)

/* Writes Parquet and JSON with the same calls. A comma is due before the
 * next JSON item when `more` is set at the current depth. */
typedef struct out {
    pq_tree_writer *w;
    sl_buf json;
    bool more[32];
    int depth;
} out;

static void sep(out *o, const char *key) {
    if (o->more[o->depth]) sl_buf_putc(&o->json, ',');
    o->more[o->depth] = true;
    if (key) {
        sl_buf_json_str(&o->json, key, strlen(key));
        sl_buf_putc(&o->json, ':');
    }
}
static void j_null(out *o, const char *k) {
    sep(o, k);
    sl_buf_printf(&o->json, "null");
    pq_tree_null(o->w);
}
static void j_str(out *o, const char *k, const char *s) {
    sep(o, k);
    sl_buf_json_str(&o->json, s, strlen(s));
    pq_tree_str(o->w, s, strlen(s));
}
static void j_i64(out *o, const char *k, int64_t v) {
    sep(o, k);
    sl_buf_printf(&o->json, "\"%lld\"", (long long)v);
    pq_tree_i64(o->w, v);
}
static void j_i32(out *o, const char *k, int32_t v) {
    sep(o, k);
    sl_buf_printf(&o->json, "%d", (int)v);
    pq_tree_i32(o->w, v);
}
static void j_f64(out *o, const char *k, double v) {
    sep(o, k);
    char b[40];
    snprintf(b, sizeof b, "%.17g", v);
    sl_buf_printf(&o->json, "%s%s", b, strpbrk(b, ".en") ? "" : ".0"); /* a float in JSON */
    pq_tree_f64(o->w, v);
}
static void j_bool(out *o, const char *k, bool v) {
    sep(o, k);
    sl_buf_printf(&o->json, v ? "true" : "false");
    pq_tree_bool(o->w, v);
}
static void j_open(out *o, const char *k, char c) {
    sep(o, k);
    sl_buf_putc(&o->json, (uint8_t)c);
    o->more[++o->depth] = false;
    pq_tree_begin(o->w);
}
static void j_close(out *o, char c) {
    sl_buf_putc(&o->json, (uint8_t)c);
    o->depth--;
    pq_tree_end(o->w);
}
/* a map entry: [key, value] in JSON, key then value in Parquet */
static void j_entry(out *o, const char *key, const char *val) {
    sep(o, NULL);
    sl_buf_putc(&o->json, '[');
    sl_buf_json_str(&o->json, key, strlen(key));
    pq_tree_str(o->w, key, strlen(key));
    sl_buf_putc(&o->json, ',');
    if (val) {
        sl_buf_json_str(&o->json, val, strlen(val));
        pq_tree_str(o->w, val, strlen(val));
    } else {
        sl_buf_printf(&o->json, "null");
        pq_tree_null(o->w);
    }
    sl_buf_putc(&o->json, ']');
}

static uint64_t rnd(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static const char *const WORDS[] = {"",
                                    "a",
                                    "year",
                                    "2018",
                                    "\xc3\xa9t\xc3\xa9",
                                    "x y",
                                    "__HIVE_DEFAULT_PARTITION__",
                                    "\xf0\x9f\x8e\xb5"};
#define NWORDS (sizeof WORDS / sizeof *WORDS)

/* Row i: the first rows are fixed edge cases, the rest pseudo-random. */
static void write_row(out *o, uint64_t i) {
    uint64_t s = i * 7919 + 17;
    unsigned shape = i < 8 ? (unsigned)i : (unsigned)(rnd(&s) % 8);
    o->depth = 0;
    o->more[0] = false;
    sl_buf_putc(&o->json, '{');
    j_i64(o, "id", (int64_t)i * (i % 2 ? -1 : 1) * 1000003);
    if (shape == 0) { /* every nullable field null; required ones given */
        j_null(o, "add");
        j_null(o, "tags");
        j_null(o, "points");
        j_null(o, "matrix");
        j_bool(o, "flag", false);
    } else if (shape == 1) { /* present but empty groups */
        j_open(o, "add", '{');
        j_null(o, "path");
        j_open(o, "partitionValues", '[');
        j_close(o, ']');
        j_null(o, "size");
        j_null(o, "dataChange");
        j_null(o, "stats");
        j_null(o, "deletionVector");
        j_null(o, "modificationTime");
        j_close(o, '}');
        j_open(o, "tags", '[');
        j_close(o, ']');
        j_open(o, "points", '[');
        j_close(o, ']');
        j_open(o, "matrix", '[');
        j_open(o, NULL, '[');
        j_close(o, ']');
        j_close(o, ']');
        j_bool(o, "flag", true);
    } else if (shape == 2) { /* nulls inside lists and maps */
        j_open(o, "add", '{');
        j_str(o, "path", "year=2018/month=11/part-00000.snappy.parquet");
        j_open(o, "partitionValues", '[');
        j_entry(o, "year", "2018");
        j_entry(o, "month", NULL);
        j_close(o, ']');
        j_i64(o, "size", INT64_MAX);
        j_bool(o, "dataChange", true);
        j_str(o, "stats", "{\"numRecords\":3}");
        j_open(o, "deletionVector", '{');
        j_null(o, "storageType");
        j_i32(o, "offset", INT32_MIN);
        j_close(o, '}');
        j_i64(o, "modificationTime", -1);
        j_close(o, '}');
        j_open(o, "tags", '[');
        j_null(o, NULL);
        j_str(o, NULL, "");
        j_null(o, NULL);
        j_close(o, ']');
        j_open(o, "points", '[');
        j_null(o, NULL);
        j_open(o, NULL, '{');
        j_f64(o, "x", -0.5);
        j_null(o, "y");
        j_close(o, '}');
        j_close(o, ']');
        j_open(o, "matrix", '[');
        j_open(o, NULL, '[');
        j_i64(o, NULL, 1);
        j_i64(o, NULL, 2);
        j_close(o, ']');
        j_open(o, NULL, '[');
        j_close(o, ']');
        j_open(o, NULL, '[');
        j_i64(o, NULL, INT64_MIN);
        j_close(o, ']');
        j_close(o, ']');
        j_bool(o, "flag", false);
    } else { /* pseudo-random, fields left out at the end become null */
        j_open(o, "add", '{');
        j_str(o, "path", WORDS[rnd(&s) % NWORDS]);
        if (rnd(&s) % 4 == 0) {
            j_null(o, "partitionValues");
        } else {
            j_open(o, "partitionValues", '[');
            /* distinct keys: engines refuse maps with a repeated key */
            unsigned n = (unsigned)(rnd(&s) % 4), k0 = (unsigned)(rnd(&s) % NWORDS);
            for (unsigned k = 0; k < n; k++)
                j_entry(o, WORDS[(k0 + k) % NWORDS], rnd(&s) % 3 ? WORDS[rnd(&s) % NWORDS] : NULL);
            j_close(o, ']');
        }
        j_i64(o, "size", (int64_t)(rnd(&s) >> 1));
        j_bool(o, "dataChange", rnd(&s) % 2);
        if (shape == 7) {
            /* stats, deletionVector, modificationTime left null by pq_tree_end */
            o->depth--;
            sl_buf_printf(&o->json, ",\"stats\":null,\"deletionVector\":null,"
                                    "\"modificationTime\":null}");
            pq_tree_end(o->w);
        } else {
            j_str(o, "stats", WORDS[rnd(&s) % NWORDS]);
            j_open(o, "deletionVector", '{');
            j_str(o, "storageType", "u");
            j_i32(o, "offset", (int32_t)(rnd(&s) % 1000));
            j_close(o, '}');
            j_i64(o, "modificationTime", 1541030400000000 + (int64_t)(rnd(&s) % 1000000000));
            j_close(o, '}');
        }
        j_open(o, "tags", '[');
        for (unsigned k = (unsigned)(rnd(&s) % 5); k > 0; k--) {
            if (rnd(&s) % 4)
                j_str(o, NULL, WORDS[rnd(&s) % NWORDS]);
            else
                j_null(o, NULL);
        }
        j_close(o, ']');
        j_open(o, "points", '[');
        for (unsigned k = (unsigned)(rnd(&s) % 3); k > 0; k--) {
            j_open(o, NULL, '{');
            j_f64(o, "x", (double)(rnd(&s) % 1000) / 8.0);
            if (rnd(&s) % 2)
                j_i32(o, "y", (int32_t)(rnd(&s) % 100) - 50);
            else
                j_null(o, "y");
            j_close(o, '}');
        }
        j_close(o, ']');
        if (rnd(&s) % 3 == 0) {
            j_null(o, "matrix");
        } else {
            j_open(o, "matrix", '[');
            for (unsigned k = (unsigned)(rnd(&s) % 3); k > 0; k--) {
                j_open(o, NULL, '[');
                for (unsigned m = (unsigned)(rnd(&s) % 4); m > 0; m--)
                    j_i64(o, NULL, (int64_t)(rnd(&s) % 100000));
                j_close(o, ']');
            }
            j_close(o, ']');
        }
        j_bool(o, "flag", shape % 2);
    }
    sl_buf_printf(&o->json, "}\n");
}

static int fd_write(void *ctx, const void *p, size_t n, sl_err *err) {
    return sl_write_all((int)(intptr_t)ctx, p, n, err);
}

static int write_variant(const char *dir, const char *name, pq_codec codec, size_t page_bytes,
                         size_t rg_rows, uint64_t rows) {
    char *path = sl_sprintf("%s/tree_%s.parquet", dir, name);
    char *jpath = sl_sprintf("%s/tree_%s.json", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    sl_err err = {{0}};
    int rc = fd < 0 ? -1 : 0;
    pq_writer_opts opts;
    pq_writer_opts_default(&opts);
    opts.codec = codec;
    opts.page_bytes = page_bytes;
    opts.row_group_rows = rg_rows;
    out o = {0};
    if (rc == 0)
        o.w = pq_tree_open(SCHEMA, NSCHEMA, &opts, (pq_sink){fd_write, (void *)(intptr_t)fd}, &err);
    if (!o.w) rc = -1;
    for (uint64_t i = 0; rc == 0 && i < rows; i++) {
        write_row(&o, i);
        rc = pq_tree_row_end(o.w, &err);
    }
    pq_file_info info;
    if (o.w && rc == 0)
        rc = pq_tree_close(o.w, &info, &err);
    else if (o.w)
        pq_tree_abort(o.w);
    if (fd >= 0) close(fd);
    if (rc == 0) {
        int jfd = open(jpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        rc = jfd < 0 ? -1 : sl_write_all(jfd, o.json.data, o.json.len, &err);
        if (jfd >= 0) close(jfd);
    }
    if (rc < 0)
        fprintf(stderr, "pq_tree_write %s: %s\n", name, err.msg[0] ? err.msg : "cannot write");
    sl_buf_free(&o.json);
    free(path);
    free(jpath);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: pq_tree_write <out-dir>\n");
        return 2;
    }
    const char *d = argv[1];
    if (write_variant(d, "plain", PQ_CODEC_UNCOMPRESSED, 0, 0, 600) < 0 ||
        write_variant(d, "snappy_pages", PQ_CODEC_SNAPPY, 512, 0, 3000) < 0 ||
        write_variant(d, "zstd_groups", PQ_CODEC_ZSTD, 2048, 700, 3000) < 0 ||
        write_variant(d, "gzip_one", PQ_CODEC_GZIP, 0, 0, 3) < 0 ||
        write_variant(d, "empty", PQ_CODEC_SNAPPY, 0, 0, 0) < 0)
        return 1;
    return 0;
}
