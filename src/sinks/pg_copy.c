/* COPY ... FROM STDIN (FORMAT binary) encoding: the PGCOPY header, then per
 * row a 16-bit field count and per field a 32-bit length (-1 = NULL) and the
 * value in network byte order. Binary skips the server's text parsing and
 * keeps doubles and timestamps exact. timestamptz is int64 microseconds
 * since 2000-01-01 00:00:00 UTC. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lake/lake.h"
#include "sinks/pg_internal.h"

/* Microseconds between 1970-01-01 and 2000-01-01 (PostgreSQL's epoch). */
#define PG_EPOCH_US INT64_C(946684800000000)

void pgc_header(sl_buf *out) {
    static const uint8_t h[19] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xFF, '\r', '\n',
                                  0,   0,   0,   0,   0,   0,   0,    0,    0};
    sl_buf_append(out, h, sizeof h);
}

void pgc_trailer(sl_buf *out) {
    static const uint8_t t[2] = {0xFF, 0xFF};
    sl_buf_append(out, t, 2);
}

static void put_be16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void put_be32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (24 - 8 * i));
}
static void put_be64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void field_null(sl_buf *o) {
    sl_buf_reserve(o, 4);
    put_be32(o->data + o->len, UINT32_MAX);
    o->len += 4;
}
static void field_i64(sl_buf *o, int64_t v) {
    sl_buf_reserve(o, 12);
    put_be32(o->data + o->len, 8);
    put_be64(o->data + o->len + 4, (uint64_t)v);
    o->len += 12;
}
static void field_i32(sl_buf *o, int32_t v) {
    sl_buf_reserve(o, 8);
    put_be32(o->data + o->len, 4);
    put_be32(o->data + o->len + 4, (uint32_t)v);
    o->len += 8;
}
static void field_f64(sl_buf *o, double v) {
    uint64_t bits;
    memcpy(&bits, &v, 8);
    sl_buf_reserve(o, 12);
    put_be32(o->data + o->len, 8);
    put_be64(o->data + o->len + 4, bits);
    o->len += 12;
}
static void field_bytes(sl_buf *o, const char *p, size_t n) {
    sl_buf_reserve(o, 4 + n);
    put_be32(o->data + o->len, (uint32_t)n);
    if (n) memcpy(o->data + o->len + 4, p, n);
    o->len += 4 + n;
}

/* A partition value converted once per batch. */
typedef struct part_value {
    bool null;
    int64_t i;
    double f;
} part_value;

static int parse_part(const pgs_col *col, const char *v, part_value *pv, const char *uri,
                      sl_err *err) {
    memset(pv, 0, sizeof *pv);
    if (!v) {
        pv->null = true;
        return 0;
    }
    char *end;
    errno = 0;
    switch (col->type) {
    case PGS_TEXT: return 0;
    case PGS_BIGINT:
    case PGS_INTEGER:
        pv->i = strtoll(v, &end, 10);
        if (!*v || *end || errno ||
            (col->type == PGS_INTEGER && (pv->i < INT32_MIN || pv->i > INT32_MAX)))
            return sl_err_set(err, "%s: path segment %s=%s is not an %s", uri, col->name, v,
                              pgs_type_sql(col->type));
        return 0;
    case PGS_DOUBLE:
        pv->f = strtod(v, &end);
        if (!*v || *end)
            return sl_err_set(err, "%s: path segment %s=%s is not a number", uri, col->name, v);
        return 0;
    case PGS_TIMESTAMPTZ: break;
    }
    return sl_err_set(err, "%s: %s cannot come from a path segment", uri, col->name);
}

static bool type_fits(pgs_type want, pq_type have) {
    switch (want) {
    case PGS_BIGINT:
    case PGS_INTEGER: return have == PQ_INT32 || have == PQ_INT64;
    case PGS_DOUBLE:
        return have == PQ_DOUBLE || have == PQ_FLOAT || have == PQ_INT32 || have == PQ_INT64;
    case PGS_TEXT: return have == PQ_STRING || have == PQ_BYTE_ARRAY;
    case PGS_TIMESTAMPTZ: return have == PQ_TIMESTAMP_US;
    }
    return false;
}

static int put_value(sl_buf *o, const pgs_col *col, const pq_column_data *d, size_t r) {
    switch (d->type) {
    case PQ_INT32:
        if (col->type == PGS_DOUBLE)
            field_f64(o, d->v.i32[r]);
        else if (col->type == PGS_BIGINT)
            field_i64(o, d->v.i32[r]);
        else
            field_i32(o, d->v.i32[r]);
        return 0;
    case PQ_INT64:
        if (col->type == PGS_DOUBLE)
            field_f64(o, (double)d->v.i64[r]);
        else if (col->type == PGS_BIGINT)
            field_i64(o, d->v.i64[r]);
        else if (d->v.i64[r] < INT32_MIN || d->v.i64[r] > INT32_MAX)
            return -1;
        else
            field_i32(o, (int32_t)d->v.i64[r]);
        return 0;
    case PQ_TIMESTAMP_US:
        if (d->v.i64[r] < INT64_MIN + PG_EPOCH_US) return -1;
        field_i64(o, d->v.i64[r] - PG_EPOCH_US);
        return 0;
    case PQ_DOUBLE: field_f64(o, d->v.f64[r]); return 0;
    case PQ_FLOAT: field_f64(o, d->v.f32[r]); return 0;
    case PQ_STRING:
    case PQ_BYTE_ARRAY: field_bytes(o, d->v.str[r].ptr, d->v.str[r].len); return 0;
    default: return -1;
    }
}

int pgc_encode(sl_buf *out, const pgs_table *t, const pgl_batch *b, size_t from, size_t to,
               sl_err *err) {
    part_value pv[PGS_MAX_COLS];
    for (size_t c = 0; c < t->ncols; c++) {
        const pgs_col *col = &t->cols[c];
        if (b->from_path[c]) {
            if (parse_part(col, b->part_val[c], &pv[c], b->file->uri, err) < 0) return -1;
            if (pv[c].null && col->not_null)
                return sl_err_set(err, "%s: NOT NULL column %s is %s in the path", b->file->uri,
                                  col->name, "__HIVE_DEFAULT_PARTITION__");
        } else if (!type_fits(col->type, b->data[c].type)) {
            return sl_err_set(err, "%s: column %s is %s in the file; %s needs a %s", b->file->uri,
                              col->name, pq_type_name(b->data[c].type), pgs_table_name(t),
                              pgs_type_sql(col->type));
        }
    }
    for (size_t r = from; r < to; r++) {
        sl_buf_reserve(out, 2);
        put_be16(out->data + out->len, (uint16_t)t->ncols);
        out->len += 2;
        for (size_t c = 0; c < t->ncols; c++) {
            const pgs_col *col = &t->cols[c];
            if (b->from_path[c]) {
                if (pv[c].null)
                    field_null(out);
                else if (col->type == PGS_TEXT)
                    field_bytes(out, b->part_val[c], strlen(b->part_val[c]));
                else if (col->type == PGS_BIGINT)
                    field_i64(out, pv[c].i);
                else if (col->type == PGS_INTEGER)
                    field_i32(out, (int32_t)pv[c].i);
                else
                    field_f64(out, pv[c].f);
                continue;
            }
            const pq_column_data *d = &b->data[c];
            if (!d->valid[r]) {
                if (col->not_null)
                    return sl_err_set(err,
                                      "%s: row %zu: NOT NULL column %s is null; rebuild the lake",
                                      b->file->uri, r + 1, col->name);
                field_null(out);
            } else if (put_value(out, col, d, r) < 0) {
                return sl_err_set(err, "%s: row %zu: column %s: value out of range for %s",
                                  b->file->uri, r + 1, col->name, pgs_type_sql(col->type));
            }
        }
    }
    return 0;
}

/* ---- text form, for finding a key named in an error DETAIL ------------- */
static void text_ts(sl_buf *o, int64_t us) {
    int64_t frac = us % 1000000;
    if (frac < 0) frac += 1000000;
    int64_t sod = ((us - frac) / 1000000) % 86400;
    if (sod < 0) sod += 86400;
    lake_time t = {.ts_us = us}; /* the lake's UTC calendar: date and hour */
    lake_time_parts(&t);
    sl_buf_printf(o, "%04d-%02d-%02d %02d:%02d:%02d", (int)t.year, (int)t.month, (int)t.day,
                  (int)t.hour, (int)(sod / 60 % 60), (int)(sod % 60));
    if (frac) {
        char f[8];
        snprintf(f, sizeof f, "%06d", (int)frac);
        size_t n = 6;
        while (f[n - 1] == '0') n--;
        sl_buf_printf(o, ".%.*s", (int)n, f);
    }
    sl_buf_printf(o, "+00");
}

/* Shortest text that reads back as the same double, as float8out prints. */
static void text_f64(sl_buf *o, double v) {
    char s[40];
    if (isnan(v) || isinf(v)) {
        sl_buf_printf(o, "%s", isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
        return;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(s, sizeof s, "%.*g", p, v);
        if (strtod(s, NULL) == v) break;
    }
    sl_buf_printf(o, "%s", s);
}

void pgc_value_text(sl_buf *out, const pgs_table *t, const pgl_batch *b, size_t c, size_t r) {
    if (b->from_path[c]) {
        if (b->part_val[c]) sl_buf_printf(out, "%s", b->part_val[c]);
        return;
    }
    const pq_column_data *d = &b->data[c];
    if (!d->valid[r]) return;
    switch (d->type) {
    case PQ_INT32: sl_buf_printf(out, "%" PRId32, d->v.i32[r]); break;
    case PQ_INT64: sl_buf_printf(out, "%" PRId64, d->v.i64[r]); break;
    case PQ_TIMESTAMP_US: text_ts(out, d->v.i64[r]); break;
    case PQ_DOUBLE: text_f64(out, d->v.f64[r]); break;
    case PQ_FLOAT: text_f64(out, d->v.f32[r]); break;
    case PQ_STRING:
    case PQ_BYTE_ARRAY: sl_buf_append(out, d->v.str[r].ptr, d->v.str[r].len); break;
    default: break;
    }
    (void)t;
}
