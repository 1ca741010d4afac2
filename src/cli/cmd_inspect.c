/* songlake inspect: what a lake, a table, a glob or a file holds, read back
 * through songlake's own Parquet reader. Targets are listed by io/ like
 * build's inputs (local or s3://, directories walked, globs expanded,
 * names starting with '.' or '_' skipped: _SUCCESS, _delta_log,
 * _songlake), the Parquet files grouped into tables by stripping the
 * Hive-style key=value directories that partition them, and per table:
 * the partition columns with their inferred types (as Spark infers them),
 * files, rows, bytes, row groups, codecs, the schema and each column's
 * null count and min/max over all row groups; --head N the first rows;
 * --json all of it as one document. A file given alone, with --file-meta,
 * gets the per-row-group description of pq_inspect. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_config.h"
#include "cli/cli_opts.h"
#include "io/io.h"
#include "lake/lake.h"
#include "parquet/parquet.h"

enum { O_JSON = 1, O_HEAD, O_FILE_META };

static const cli_opt OPTS[] = {
    {O_JSON, "json", NULL, NULL, 0, NULL, NULL, "one JSON document on stdout, for machines"},
    {O_HEAD, "head", "N", NULL, 0, NULL, NULL,
     "also print the first N rows of each table (partition columns\n"
     "from the paths; nested columns that cannot be read show as null)"},
    {O_FILE_META, "file-meta", NULL, NULL, 0, NULL, NULL,
     "per file: every row group's column chunks (codec, encodings,\n"
     "sizes, values, nulls, min/max), as parquet-tools meta"},
    {CLI_OPT_CONFIG, "config", "FILE", NULL, 0, NULL, NULL,
     "dl.cfg-style file for S3 settings and [AWS] credentials, as build's"},
    CLI_S3_READ_OPTS,
};

const cli_cmd CLI_CMD_INSPECT = {
    .name = "inspect",
    .summary = "describe a lake, a table, a glob or a Parquet file (local or S3):\n"
               "schema, partitions, files, rows, bytes, codecs, statistics",
    .synopsis = "[options] TARGET ...",
    .description = "A TARGET is a Parquet file, a table directory, a whole lake (the --out of\n"
                   "build), a glob ('lake/songs/year=2005/**') or an s3:// URI of any of these.\n"
                   "Its Parquet files are grouped into tables by stripping the Hive-style\n"
                   "key=value directories under the table, and each table is described: the\n"
                   "partition columns and their types (integers when every value is one, as\n"
                   "Spark infers them), files, rows, bytes, row groups and codecs, the schema\n"
                   "(physical and logical type, repetition) with each column's null count and\n"
                   "min/max over all row groups. A nested schema (structs, lists, maps) is shown\n"
                   "in full; its values are not previewed.",
    .opts = OPTS,
    .nopts = sizeof OPTS / sizeof OPTS[0],
    .positional = "TARGET",
    .footer = "Exit status: 0 on success; 1 if a target lists no Parquet file or a file\n"
              "cannot be read (the others are still described); 2 on a usage error.",
};

typedef struct iopts {
    bool json, file_meta;
    long head;
    io_config io;
    cli_strings own;
} iopts;

static const char *apply(void *ctx, const cli_opt *opt, const char *val) {
    iopts *o = ctx;
    switch (opt->id) {
    case O_JSON: o->json = !strcmp(val, "true"); return NULL;
    case O_FILE_META: o->file_meta = !strcmp(val, "true"); return NULL;
    case O_HEAD: {
        char *end;
        errno = 0;
        long n = strtol(val, &end, 10);
        if (errno || *end || !*val || n < 0 || n > 1000000) return "a number of rows, 0 to 1000000";
        o->head = n;
        return NULL;
    }
    case CLI_OPT_CONFIG: return NULL;
    default: return cli_apply_s3(&o->io, &o->own, opt->name, val);
    }
}

/* ---- the model --------------------------------------------------------- */
typedef struct ival { /* one min or max, owned */
    bool set;
    int64_t i;
    double f;
    char *s;
    size_t n;
} ival;

typedef struct icol {
    char *name;
    pq_column_info info;
    pq_type type;
    bool nulls_known;
    uint64_t nulls;
    ival min, max;
} icol;

typedef struct ipart {
    char *name;
    bool all_int, any_null;
    sl_vec values; /* char*, distinct */
} ipart;

typedef struct ifile {
    char *uri;
    uint64_t bytes, rows, rgs;
} ifile;

typedef struct itable {
    char *path; /* the table directory */
    sl_vec files;
    ipart *parts;
    size_t nparts;
    icol *cols;
    size_t ncols;
    bool have_schema;
    size_t schema_differs;
    uint64_t rows, bytes, rgs;
    const char *codecs[8];
    size_t ncodecs;
    sl_vec head; /* rows: char** of JSON values, ncols + nparts each */
} itable;

static void ival_free(ival *v) {
    free(v->s);
}

/* The directory of uri and the number of bytes of its key=value tail. */
static size_t dir_len(const char *uri) {
    const char *s = strrchr(uri, '/');
    return s ? (size_t)(s - uri) : 0;
}

/* Splits the file's directory into the table directory and its partition
 * segments (key=value, outermost first). */
static size_t table_len(const char *uri, const char **segs, size_t *nseg, size_t max) {
    size_t end = dir_len(uri);
    size_t n = 0;
    const char *tmp[64];
    while (end > 0) {
        size_t start = end;
        while (start > 0 && uri[start - 1] != '/') start--;
        const char *eq = memchr(uri + start, '=', end - start);
        if (!eq || eq == uri + start || n == 64) break;
        tmp[n++] = uri + start;
        if (start == 0) {
            end = 0;
            break;
        }
        end = start - 1;
    }
    *nseg = n < max ? n : max;
    for (size_t i = 0; i < *nseg; i++) segs[i] = tmp[n - 1 - i];
    return end;
}

static bool is_int(const char *s) {
    if (*s == '-') s++;
    if (!*s || strlen(s) > 18) return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

static void note_part(ipart *p, const char *v) {
    bool null = !strcmp(v, "__HIVE_DEFAULT_PARTITION__");
    if (null)
        p->any_null = true;
    else if (!is_int(v))
        p->all_int = false;
    for (size_t i = 0; i < p->values.len; i++)
        if (!strcmp(SL_VEC_AT(&p->values, char *, i), v)) return;
    if (p->values.len < 100000) *(char **)sl_vec_push(&p->values) = sl_strdup(v);
}

static int val_cmp(pq_type t, const ival *a, const ival *b) {
    switch (t) {
    case PQ_FLOAT:
    case PQ_DOUBLE: return a->f < b->f ? -1 : a->f > b->f;
    case PQ_STRING:
    case PQ_BYTE_ARRAY: {
        size_t n = a->n < b->n ? a->n : b->n;
        int c = memcmp(a->s, b->s, n);
        return c ? c : (a->n > b->n) - (a->n < b->n);
    }
    default: return a->i < b->i ? -1 : a->i > b->i;
    }
}

static void keep(pq_type t, ival *slot, const pq_stats *st, bool is_min) {
    ival v = {
        .set = true, .i = is_min ? st->min_i : st->max_i, .f = is_min ? st->min_f : st->max_f};
    const uint8_t *raw = is_min ? st->min : st->max;
    size_t n = is_min ? st->min_len : st->max_len;
    if (t == PQ_STRING || t == PQ_BYTE_ARRAY) {
        v.s = sl_calloc(n + 1, 1);
        if (n) memcpy(v.s, raw, n);
        v.n = n;
    }
    int c = slot->set ? val_cmp(t, &v, slot) : 0;
    if (!slot->set || (is_min ? c < 0 : c > 0)) {
        ival_free(slot);
        *slot = v;
    } else
        ival_free(&v);
}

/* A value as JSON: numbers, strings, ISO-8601 timestamps and dates. */
static void json_val(sl_buf *b, pq_type t, bool date, const ival *v) {
    if (!v->set) {
        sl_buf_printf(b, "null");
        return;
    }
    switch (t) {
    case PQ_BOOLEAN: sl_buf_printf(b, "%s", v->i ? "true" : "false"); return;
    case PQ_FLOAT:
    case PQ_DOUBLE:
        if (v->f != v->f || v->f - v->f != 0) {
            sl_buf_printf(b, "\"%g\"", v->f);
            return;
        }
        /* the shortest digits that read back as the same double */
        for (int prec = 15; prec <= 17; prec++) {
            char d[40];
            snprintf(d, sizeof d, "%.*g", prec, v->f);
            if (prec == 17 || strtod(d, NULL) == v->f) {
                sl_buf_printf(b, "%s", d);
                break;
            }
        }
        return;
    case PQ_STRING:
    case PQ_BYTE_ARRAY: sl_buf_json_str(b, v->s, v->n); return;
    case PQ_TIMESTAMP_US:
    case PQ_INT32:
        if (t == PQ_TIMESTAMP_US || date) {
            int64_t us = t == PQ_TIMESTAMP_US ? v->i : v->i * 86400 * 1000000;
            time_t secs = (time_t)(us / 1000000);
            int64_t frac = us % 1000000;
            if (frac < 0) frac += 1000000, secs--;
            struct tm tm;
            char d[64];
            if (!gmtime_r(&secs, &tm)) {
                sl_buf_printf(b, "%" PRId64, v->i);
                return;
            }
            if (date)
                strftime(d, sizeof d, "%Y-%m-%d", &tm);
            else {
                size_t l = strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
                snprintf(d + l, sizeof d - l, ".%06dZ", (int)frac);
            }
            sl_buf_printf(b, "\"%s\"", d);
            return;
        }
        sl_buf_printf(b, "%" PRId64, v->i);
        return;
    default: sl_buf_printf(b, "%" PRId64, v->i); return;
    }
}

static char *json_of(pq_type t, bool date, const ival *v) {
    sl_buf b = {0};
    json_val(&b, t, date, v);
    sl_buf_putc(&b, 0);
    return (char *)b.data;
}

/* The first rows of one file into t->head, until `want` rows are there. */
static void read_head(itable *t, pq_reader *r, const char *uri, size_t want) {
    const char *segs[16];
    size_t nseg;
    table_len(uri, segs, &nseg, 16);
    size_t width = t->ncols + t->nparts;
    for (size_t g = 0; g < pq_reader_num_row_groups(r) && t->head.len < want; g++) {
        size_t nrows = (size_t)pq_reader_row_group_rows(r, g);
        size_t take = want - t->head.len < nrows ? want - t->head.len : nrows;
        size_t first = t->head.len;
        for (size_t i = 0; i < take; i++)
            *(char ***)sl_vec_push(&t->head) = sl_calloc(width, sizeof(char *));
        for (size_t c = 0; c < t->ncols && c < pq_reader_num_columns(r); c++) {
            pq_column_data d = {0};
            sl_err e = {{0}};
            bool ok = t->cols[c].info.max_rep == 0 && t->cols[c].type != PQ_OTHER &&
                      pq_reader_read_column(r, g, c, &d, &e) == 0;
            for (size_t i = 0; i < take; i++) {
                ival v = {0};
                if (ok && d.valid[i]) {
                    v.set = true;
                    switch (d.type) {
                    case PQ_BOOLEAN: v.i = d.v.b[i]; break;
                    case PQ_INT32: v.i = d.v.i32[i]; break;
                    case PQ_INT64:
                    case PQ_TIMESTAMP_US: v.i = d.v.i64[i]; break;
                    case PQ_DOUBLE: v.f = d.v.f64[i]; break;
                    case PQ_FLOAT: v.f = d.v.f32[i]; break;
                    case PQ_STRING:
                    case PQ_BYTE_ARRAY:
                        v.s = (char *)d.v.str[i].ptr;
                        v.n = d.v.str[i].len;
                        break;
                    default: v.set = false;
                    }
                }
                SL_VEC_AT(&t->head, char **, first + i)
                [c] = json_of(ok ? d.type : t->cols[c].type, t->cols[c].info.date, &v);
            }
            if (ok) pq_column_data_free(&d);
        }
        for (size_t p = 0; p < t->nparts; p++) {
            char *val = NULL;
            if (p < nseg) {
                const char *eq = strchr(segs[p], '=');
                const char *end = strchr(eq, '/');
                size_t n = end ? (size_t)(end - eq - 1) : strlen(eq + 1);
                val = lake_unescape_partition(eq + 1, n);
            }
            for (size_t i = 0; i < take; i++) {
                sl_buf b = {0};
                if (!val || !strcmp(val, "__HIVE_DEFAULT_PARTITION__"))
                    sl_buf_printf(&b, "null");
                else if (t->parts[p].all_int)
                    sl_buf_printf(&b, "%s", val);
                else
                    sl_buf_json_str(&b, val, strlen(val));
                sl_buf_putc(&b, 0);
                SL_VEC_AT(&t->head, char **, first + i)[t->ncols + p] = (char *)b.data;
            }
            free(val);
        }
    }
}

static int add_file(itable *t, const io_file *f, const iopts *o, bool meta, sl_err *err) {
    sl_buf buf = {0};
    bool exists = true;
    if (io_read_raw(f->uri, &o->io, &buf, &exists, err) < 0) return -1;
    if (!exists) {
        sl_buf_free(&buf);
        return sl_err_set(err, "%s: vanished while listed", f->uri);
    }
    pq_reader *r = pq_reader_open_mem(buf.data, buf.len, err);
    if (!r) {
        sl_buf_free(&buf);
        return sl_err_prefix(err, "%s", f->uri);
    }
    size_t nc = pq_reader_num_columns(r);
    if (!t->have_schema) {
        t->have_schema = true;
        t->ncols = nc;
        t->cols = sl_calloc(nc ? nc : 1, sizeof *t->cols);
        for (size_t c = 0; c < nc; c++) {
            const pq_column_def *def = pq_reader_column(r, c);
            t->cols[c].name = sl_strdup(def->name);
            t->cols[c].type = def->type;
            t->cols[c].nulls_known = true;
            pq_reader_column_info(r, c, &t->cols[c].info);
        }
    } else {
        bool same = nc == t->ncols;
        for (size_t c = 0; same && c < nc; c++)
            same = !strcmp(pq_reader_column(r, c)->name, t->cols[c].name) &&
                   pq_reader_column(r, c)->type == t->cols[c].type;
        if (!same) t->schema_differs++;
    }
    ifile *fi = sl_vec_push(&t->files);
    fi->uri = sl_strdup(f->uri);
    fi->bytes = f->size;
    fi->rows = pq_reader_num_rows(r);
    fi->rgs = pq_reader_num_row_groups(r);
    t->rows += fi->rows;
    t->bytes += f->size;
    t->rgs += fi->rgs;
    bool same_schema = nc == t->ncols;
    for (size_t g = 0; g < fi->rgs; g++)
        for (size_t c = 0; c < nc; c++) {
            pq_chunk_info ci;
            if (pq_reader_chunk_info(r, g, c, &ci) == 0) {
                size_t k = 0;
                while (k < t->ncodecs && strcmp(t->codecs[k], ci.codec)) k++;
                if (k == t->ncodecs && k < 8) t->codecs[t->ncodecs++] = ci.codec;
            }
            if (!same_schema) continue;
            icol *col = &t->cols[c];
            pq_stats st;
            if (pq_reader_column_stats(r, g, c, &st) < 0) continue;
            if (st.has_null_count)
                col->nulls += st.null_count;
            else
                col->nulls_known = false;
            if (st.has_min_max && col->type != PQ_OTHER) {
                keep(col->type, &col->min, &st, true);
                keep(col->type, &col->max, &st, false);
            }
        }
    if (o->head > 0 && t->head.len < (size_t)o->head && same_schema)
        read_head(t, r, f->uri, (size_t)o->head);
    int rc = 0;
    if (meta && !o->json) {
        rc = pq_inspect(r, f->uri, stdout, err);
        printf("\n");
    }
    pq_reader_close(r);
    sl_buf_free(&buf);
    return rc;
}

static itable *table_for(sl_vec *tables, const char *uri) {
    const char *segs[16];
    size_t nseg;
    size_t tl = table_len(uri, segs, &nseg, 16);
    /* a file named without a directory is in "." */
    char *key = tl ? sl_sprintf("%.*s", (int)tl, uri) : sl_strdup(".");
    for (size_t i = 0; i < tables->len; i++) {
        itable *t = SL_VEC_AT(tables, itable *, i);
        if (!strcmp(t->path, key)) {
            free(key);
            return t;
        }
    }
    itable *t = sl_calloc(1, sizeof *t);
    t->path = key;
    sl_vec_init(&t->files, sizeof(ifile));
    sl_vec_init(&t->head, sizeof(char **));
    t->nparts = nseg;
    t->parts = sl_calloc(nseg ? nseg : 1, sizeof *t->parts);
    for (size_t p = 0; p < nseg; p++) {
        t->parts[p].name = sl_sprintf("%.*s", (int)(strchr(segs[p], '=') - segs[p]), segs[p]);
        t->parts[p].all_int = true;
        sl_vec_init(&t->parts[p].values, sizeof(char *));
    }
    *(itable **)sl_vec_push(tables) = t;
    return t;
}

static void note_parts(itable *t, const char *uri) {
    const char *segs[16];
    size_t nseg;
    table_len(uri, segs, &nseg, 16);
    for (size_t p = 0; p < t->nparts && p < nseg; p++) {
        const char *eq = strchr(segs[p], '='), *end = strchr(eq, '/');
        size_t n = end ? (size_t)(end - eq - 1) : strlen(eq + 1);
        char *v = lake_unescape_partition(eq + 1, n);
        note_part(&t->parts[p], v);
        free(v);
    }
}

static void table_free(itable *t) {
    for (size_t i = 0; i < t->files.len; i++) free(SL_VEC_AT(&t->files, ifile, i).uri);
    sl_vec_free(&t->files);
    for (size_t p = 0; p < t->nparts; p++) {
        for (size_t i = 0; i < t->parts[p].values.len; i++)
            free(SL_VEC_AT(&t->parts[p].values, char *, i));
        sl_vec_free(&t->parts[p].values);
        free(t->parts[p].name);
    }
    free(t->parts);
    for (size_t c = 0; c < t->ncols; c++) {
        free(t->cols[c].name);
        free(t->cols[c].info.logical);
        ival_free(&t->cols[c].min);
        ival_free(&t->cols[c].max);
    }
    free(t->cols);
    for (size_t i = 0; i < t->head.len; i++) {
        char **row = SL_VEC_AT(&t->head, char **, i);
        for (size_t c = 0; c < t->ncols + t->nparts; c++) free(row[c]);
        free(row);
    }
    sl_vec_free(&t->head);
    free(t->path);
    free(t);
}

static const char *part_type(const ipart *p) {
    return p->all_int && p->values.len ? "INT32" : "STRING";
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s && s[1] ? s + 1 : path;
}

/* The smallest and largest value of a partition column (numerically for
 * an integer column), "-" when it has none. */
static char *part_bound(const ipart *p, bool max) {
    const char *best = NULL;
    for (size_t i = 0; i < p->values.len; i++) {
        const char *v = SL_VEC_AT(&p->values, char *, i);
        if (!strcmp(v, "__HIVE_DEFAULT_PARTITION__")) continue;
        int c = !best        ? 1
                : p->all_int ? (strtoll(v, NULL, 10) > strtoll(best, NULL, 10)) -
                                   (strtoll(v, NULL, 10) < strtoll(best, NULL, 10))
                             : strcmp(v, best);
        if (!best || (max ? c > 0 : c < 0)) best = v;
    }
    return sl_strdup(best ? best : "-");
}

/* ---- output -------------------------------------------------------------- */
static void json_table(sl_buf *b, const itable *t, const iopts *o) {
    sl_buf_printf(b, "{\"name\":");
    sl_buf_json_str(b, base_name(t->path), strlen(base_name(t->path)));
    sl_buf_printf(b, ",\"path\":");
    sl_buf_json_str(b, t->path, strlen(t->path));
    sl_buf_printf(b,
                  ",\"files\":%zu,\"rows\":%" PRIu64 ",\"bytes\":%" PRIu64
                  ",\"row_groups\":%" PRIu64 ",\"codecs\":[",
                  t->files.len, t->rows, t->bytes, t->rgs);
    for (size_t k = 0; k < t->ncodecs; k++)
        sl_buf_printf(b, "%s\"%s\"", k ? "," : "", t->codecs[k]);
    sl_buf_printf(b, "],\"partition_columns\":[");
    for (size_t p = 0; p < t->nparts; p++) {
        sl_buf_printf(b, "%s{\"name\":", p ? "," : "");
        sl_buf_json_str(b, t->parts[p].name, strlen(t->parts[p].name));
        sl_buf_printf(b, ",\"type\":\"%s\",\"values\":%zu,\"has_null\":%s", part_type(&t->parts[p]),
                      t->parts[p].values.len, t->parts[p].any_null ? "true" : "false");
        for (int m = 0; m < 2; m++) {
            char *v = part_bound(&t->parts[p], m);
            sl_buf_printf(b, ",\"%s\":", m ? "max" : "min");
            if (!strcmp(v, "-"))
                sl_buf_printf(b, "null");
            else if (t->parts[p].all_int)
                sl_buf_printf(b, "%s", v);
            else
                sl_buf_json_str(b, v, strlen(v));
            free(v);
        }
        sl_buf_printf(b, "}");
    }
    sl_buf_printf(b, "],\"schema_differs_in_files\":%zu,\"columns\":[", t->schema_differs);
    for (size_t c = 0; c < t->ncols; c++) {
        const icol *col = &t->cols[c];
        sl_buf_printf(b, "%s{\"name\":", c ? "," : "");
        sl_buf_json_str(b, col->name, strlen(col->name));
        sl_buf_printf(b,
                      ",\"physical\":\"%s\",\"logical\":\"%s\",\"repetition\":\"%s\","
                      "\"read_as\":\"%s\",\"nested\":%s,\"nulls\":",
                      col->info.physical, col->info.logical, col->info.repetition,
                      pq_type_name(col->type), col->info.max_rep > 0 ? "true" : "false");
        if (col->nulls_known)
            sl_buf_printf(b, "%" PRIu64, col->nulls);
        else
            sl_buf_printf(b, "null");
        sl_buf_printf(b, ",\"min\":");
        json_val(b, col->type, col->info.date, &col->min);
        sl_buf_printf(b, ",\"max\":");
        json_val(b, col->type, col->info.date, &col->max);
        sl_buf_printf(b, "}");
    }
    sl_buf_printf(b, "],\"file_list\":[");
    for (size_t i = 0; i < t->files.len; i++) {
        const ifile *f = &SL_VEC_AT(&t->files, ifile, i);
        sl_buf_printf(b, "%s{\"path\":", i ? "," : "");
        sl_buf_json_str(b, f->uri, strlen(f->uri));
        sl_buf_printf(b, ",\"rows\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"row_groups\":%" PRIu64 "}",
                      f->rows, f->bytes, f->rgs);
    }
    sl_buf_printf(b, "]");
    if (o->head > 0) {
        sl_buf_printf(b, ",\"head\":[");
        for (size_t i = 0; i < t->head.len; i++) {
            char **row = SL_VEC_AT(&t->head, char **, i);
            sl_buf_printf(b, "%s{", i ? "," : "");
            for (size_t c = 0; c < t->ncols + t->nparts; c++) {
                const char *name = c < t->ncols ? t->cols[c].name : t->parts[c - t->ncols].name;
                if (c) sl_buf_printf(b, ",");
                sl_buf_json_str(b, name, strlen(name));
                sl_buf_printf(b, ":%s", row[c] ? row[c] : "null");
            }
            sl_buf_printf(b, "}");
        }
        sl_buf_printf(b, "]");
    }
    sl_buf_printf(b, "}");
}

/* An aligned text table: cells row-major, ncols wide, the header first. */
static void print_grid(char **cells, size_t n, size_t ncols, const char *indent) {
    size_t *w = sl_calloc(ncols, sizeof *w);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(cells[i]);
        if (l > 40) l = 40;
        if (l > w[i % ncols]) w[i % ncols] = l;
    }
    for (size_t i = 0; i < n; i++) {
        size_t c = i % ncols;
        if (c == 0) fputs(indent, stdout);
        if (c + 1 == ncols)
            printf("%.*s\n", 40, cells[i]);
        else
            printf("%-*.*s  ", (int)w[c], 40, cells[i]);
    }
    free(w);
}

/* a JSON value as text: strings without their quotes, \" and \\ as
 * themselves (other escapes kept: control bytes stay visible) */
static char *plain(const char *json) {
    size_t n = strlen(json);
    if (n < 2 || json[0] != '"') return sl_strdup(json);
    char *out = sl_calloc(n, 1), *w = out;
    for (size_t i = 1; i + 1 < n; i++) {
        if (json[i] == '\\' && (json[i + 1] == '"' || json[i + 1] == '\\' || json[i + 1] == '/') &&
            i + 2 < n)
            i++;
        *w++ = json[i];
    }
    return out;
}

static void text_table(const itable *t, const iopts *o) {
    printf("table %s  (%s)\n", base_name(t->path), t->path);
    printf("  files %zu, rows %" PRIu64 ", bytes %" PRIu64 ", row groups %" PRIu64 ", codecs ",
           t->files.len, t->rows, t->bytes, t->rgs);
    for (size_t k = 0; k < t->ncodecs; k++) printf("%s%s", k ? "," : "", t->codecs[k]);
    printf("%s\n", t->ncodecs ? "" : "-");
    if (t->nparts) {
        printf("  partitioned by:");
        for (size_t p = 0; p < t->nparts; p++)
            printf("%s %s %s (%zu value%s%s)", p ? "," : "", t->parts[p].name,
                   part_type(&t->parts[p]), t->parts[p].values.len,
                   t->parts[p].values.len == 1 ? "" : "s",
                   t->parts[p].any_null ? ", with null" : "");
        printf("\n");
    }
    if (t->schema_differs)
        printf("  warning: %zu file(s) have another schema than the first (statistics from the "
               "first's)\n",
               t->schema_differs);
    sl_vec cells;
    sl_vec_init(&cells, sizeof(char *));
    const char *hdr[] = {"column", "physical", "logical", "repetition", "nulls", "min", "max"};
    for (int i = 0; i < 7; i++) *(char **)sl_vec_push(&cells) = sl_strdup(hdr[i]);
    for (size_t c = 0; c < t->ncols; c++) {
        const icol *col = &t->cols[c];
        char *mn = json_of(col->type, col->info.date, &col->min);
        char *mx = json_of(col->type, col->info.date, &col->max);
        char *v[] = {sl_strdup(col->name),
                     sl_strdup(col->info.physical),
                     sl_strdup(col->info.logical),
                     sl_strdup(col->info.repetition),
                     col->nulls_known ? sl_sprintf("%" PRIu64, col->nulls) : sl_strdup("-"),
                     col->min.set ? plain(mn) : sl_strdup("-"),
                     col->max.set ? plain(mx) : sl_strdup("-")};
        for (int i = 0; i < 7; i++) *(char **)sl_vec_push(&cells) = v[i];
        free(mn);
        free(mx);
    }
    for (size_t p = 0; p < t->nparts; p++) {
        char *v[] = {sl_sprintf("%s (partition)", t->parts[p].name),
                     sl_strdup("-"),
                     sl_strdup(part_type(&t->parts[p])),
                     sl_strdup("path"),
                     sl_strdup(t->parts[p].any_null ? "some" : "0"),
                     part_bound(&t->parts[p], false),
                     part_bound(&t->parts[p], true)};
        for (int i = 0; i < 7; i++) *(char **)sl_vec_push(&cells) = v[i];
    }
    printf("  schema:\n");
    print_grid(cells.data, cells.len, 7, "    ");
    for (size_t i = 0; i < cells.len; i++) free(SL_VEC_AT(&cells, char *, i));
    cells.len = 0;
    if (o->head > 0) {
        size_t w = t->ncols + t->nparts;
        for (size_t c = 0; c < w; c++)
            *(char **)sl_vec_push(&cells) =
                sl_strdup(c < t->ncols ? t->cols[c].name : t->parts[c - t->ncols].name);
        for (size_t i = 0; i < t->head.len; i++)
            for (size_t c = 0; c < w; c++)
                *(char **)sl_vec_push(&cells) = plain(SL_VEC_AT(&t->head, char **, i)[c]);
        bool nested = false;
        for (size_t c = 0; c < t->ncols; c++) nested = nested || t->cols[c].info.max_rep > 0;
        printf("  first %zu row%s%s:\n", t->head.len, t->head.len == 1 ? "" : "s",
               nested ? " (columns inside lists or maps are not previewed: null)" : "");
        if (w) print_grid(cells.data, cells.len, w, "    ");
        for (size_t i = 0; i < cells.len; i++) free(SL_VEC_AT(&cells, char *, i));
    }
    sl_vec_free(&cells);
    size_t shown = t->files.len <= 12 ? t->files.len : 10;
    printf("  files:\n");
    for (size_t i = 0; i < shown; i++) {
        const ifile *f = &SL_VEC_AT(&t->files, ifile, i);
        printf("    %12" PRIu64 " rows %12" PRIu64 " bytes  %s\n", f->rows, f->bytes, f->uri);
    }
    if (shown < t->files.len) printf("    ... %zu more (--json lists all)\n", t->files.len - shown);
}

static bool is_parquet(const char *uri) {
    size_t n = strlen(uri);
    return n > 8 && !strcmp(uri + n - 8, ".parquet");
}

int cmd_inspect(int argc, char **argv) {
    const cli_cmd *c = &CLI_CMD_INSPECT;
    iopts o = {0};
    cli_args pos = {0};
    cli_parse_spec s = {.cmd = c, .apply = apply, .ctx = &o, .io = &o.io, .own = &o.own};
    int rc = cli_parse(&s, argc, argv, &pos);
    if (rc < 0 && !pos.n)
        rc = cli_usage_error(c, "inspect needs a TARGET: a Parquet file, a table, a lake, a glob "
                                "or an s3:// URI (see songlake inspect --help)");
    char **targets = sl_calloc((size_t)pos.n + 1, sizeof *targets);
    for (int i = 0; rc < 0 && i < pos.n; i++) {
        const char *why = NULL;
        if (!(targets[i] = cli_uri_normalize(pos.v[i], &why)))
            rc = cli_usage_error(c, "'%s': expected %s", pos.v[i], why);
    }
    sl_vec tables;
    sl_vec_init(&tables, sizeof(itable *));
    int status = 0, ndelta = 0;
    for (int i = 0; rc < 0 && i < pos.n; i++) {
        io_list l = {0};
        sl_err err = {{0}};
        /* a Delta table or lake (SPEC section 6): its versions */
        int d = lake_inspect_delta(targets[i], &o.io, o.json, stdout, &err);
        if (d <= 0) {
            if (d < 0) status = cli_run_error(c, "%s", err.msg);
            ndelta++;
            continue;
        }
        if (io_list_inputs(targets[i], &o.io, &l, &err) < 0) {
            status = cli_run_error(c, "%s", err.msg);
            continue;
        }
        size_t found = 0;
        for (size_t k = 0; k < l.n; k++) {
            if (!is_parquet(l.files[k].uri)) continue;
            found++;
            itable *t = table_for(&tables, l.files[k].uri);
            note_parts(t, l.files[k].uri);
            /* a file named alone is also described row group by row group */
            bool meta = o.file_meta || (l.n == 1 && !strcmp(l.files[k].uri, targets[i]));
            if (add_file(t, &l.files[k], &o, meta, &err) < 0)
                status = cli_run_error(c, "%s", err.msg);
        }
        if (!found) status = cli_run_error(c, "%s: no Parquet files (*.parquet) there", targets[i]);
        io_list_free(&l);
    }
    if (rc < 0) {
        if (o.json && ndelta == pos.n) {
            /* only Delta targets: their JSON is out already */
        } else if (o.json) {
            sl_buf b = {0};
            sl_buf_printf(&b, "{\"tables\":[");
            for (size_t i = 0; i < tables.len; i++) {
                if (i) sl_buf_printf(&b, ",");
                json_table(&b, SL_VEC_AT(&tables, itable *, i), &o);
            }
            sl_buf_printf(&b, "]}\n");
            fwrite(b.data, 1, b.len, stdout);
            sl_buf_free(&b);
        } else
            for (size_t i = 0; i < tables.len; i++) {
                if (i) printf("\n");
                text_table(SL_VEC_AT(&tables, itable *, i), &o);
            }
        rc = status;
    }
    for (size_t i = 0; i < tables.len; i++) table_free(SL_VEC_AT(&tables, itable *, i));
    sl_vec_free(&tables);
    for (int i = 0; i < pos.n; i++) free(targets[i]);
    free(targets);
    free(pos.v);
    cli_strings_free(&o.own);
    return rc;
}
