/* pq_dump: prints a Parquet file through songlake's reader as JSON lines, so
 * tests can compare it value for value with what another engine reads.
 *
 *   pq_dump FILE            line 1: {"rows":N,"row_groups":G,"columns":[...]}
 *                           then one JSON array per row
 *   pq_dump --stats FILE    one line per column chunk: null count, min, max
 *
 * Links only sl_parquet and sl_core. INT64 and TIMESTAMP values are printed
 * as strings (JSON numbers lose precision above 2^53), doubles with 17
 * digits, NaN/Infinity as strings, BYTE_ARRAY as {"hex":"..."}. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/parquet.h"

static void put_double(sl_buf *b, double v) {
    if (isnan(v))
        sl_buf_printf(b, "\"NaN\"");
    else if (isinf(v))
        sl_buf_printf(b, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    else
        sl_buf_printf(b, "%.17g", v);
}

static void put_hex(sl_buf *b, const uint8_t *p, size_t n) {
    sl_buf_printf(b, "{\"hex\":\"");
    for (size_t i = 0; i < n; i++) sl_buf_printf(b, "%02x", p[i]);
    sl_buf_printf(b, "\"}");
}

static void put_value(sl_buf *b, const pq_column_data *d, size_t i) {
    if (!d->valid[i]) {
        sl_buf_printf(b, "null");
        return;
    }
    switch (d->type) {
    case PQ_BOOLEAN: sl_buf_printf(b, d->v.b[i] ? "true" : "false"); break;
    case PQ_INT32: sl_buf_printf(b, "%" PRId32, d->v.i32[i]); break;
    case PQ_INT64:
    case PQ_TIMESTAMP_US: sl_buf_printf(b, "\"%" PRId64 "\"", d->v.i64[i]); break;
    case PQ_DOUBLE: put_double(b, d->v.f64[i]); break;
    case PQ_FLOAT: put_double(b, d->v.f32[i]); break;
    case PQ_STRING: sl_buf_json_str(b, d->v.str[i].ptr, d->v.str[i].len); break;
    case PQ_BYTE_ARRAY: put_hex(b, (const uint8_t *)d->v.str[i].ptr, d->v.str[i].len); break;
    default: sl_buf_printf(b, "null"); break;
    }
}

static int dump_stats(pq_reader *r) {
    for (size_t g = 0; g < pq_reader_num_row_groups(r); g++)
        for (size_t c = 0; c < pq_reader_num_columns(r); c++) {
            pq_stats st;
            pq_reader_column_stats(r, g, c, &st);
            sl_buf b = {0};
            sl_buf_printf(&b, "{\"rg\":%zu,\"col\":", g);
            const char *name = pq_reader_column(r, c)->name;
            sl_buf_json_str(&b, name, strlen(name));
            if (st.has_null_count) sl_buf_printf(&b, ",\"nulls\":%" PRIu64, st.null_count);
            if (st.has_min_max) {
                if (st.type == PQ_DOUBLE || st.type == PQ_FLOAT) {
                    sl_buf_printf(&b, ",\"min\":");
                    put_double(&b, st.min_f);
                    sl_buf_printf(&b, ",\"max\":");
                    put_double(&b, st.max_f);
                } else if (st.type == PQ_STRING) {
                    sl_buf_printf(&b, ",\"min\":");
                    sl_buf_json_str(&b, (const char *)st.min, st.min_len);
                    sl_buf_printf(&b, ",\"max\":");
                    sl_buf_json_str(&b, (const char *)st.max, st.max_len);
                } else if (st.type != PQ_BYTE_ARRAY && st.type != PQ_OTHER) {
                    sl_buf_printf(&b, ",\"min\":\"%" PRId64 "\",\"max\":\"%" PRId64 "\"", st.min_i,
                                  st.max_i);
                }
            }
            sl_buf_printf(&b, "}\n");
            fwrite(b.data, 1, b.len, stdout);
            sl_buf_free(&b);
        }
    return 0;
}

static int dump_rows(pq_reader *r, sl_err *err) {
    size_t nc = pq_reader_num_columns(r);
    sl_buf b = {0};
    sl_buf_printf(&b, "{\"rows\":%" PRIu64 ",\"row_groups\":%zu,\"columns\":[",
                  pq_reader_num_rows(r), pq_reader_num_row_groups(r));
    for (size_t c = 0; c < nc; c++) {
        const pq_column_def *d = pq_reader_column(r, c);
        sl_buf_printf(&b, "%s{\"name\":", c ? "," : "");
        sl_buf_json_str(&b, d->name, strlen(d->name));
        sl_buf_printf(&b, ",\"type\":\"%s\",\"nullable\":%s}", pq_type_name(d->type),
                      d->nullable ? "true" : "false");
    }
    sl_buf_printf(&b, "]}\n");
    fwrite(b.data, 1, b.len, stdout);
    b.len = 0;
    pq_column_data *cols = sl_calloc(nc ? nc : 1, sizeof *cols);
    int rc = 0;
    for (size_t g = 0; g < pq_reader_num_row_groups(r) && rc == 0; g++) {
        for (size_t c = 0; c < nc && rc == 0; c++)
            rc = pq_reader_read_column(r, g, c, &cols[c], err);
        size_t n = (size_t)pq_reader_row_group_rows(r, g);
        for (size_t i = 0; i < n && rc == 0; i++) {
            sl_buf_putc(&b, '[');
            for (size_t c = 0; c < nc; c++) {
                if (c) sl_buf_putc(&b, ',');
                put_value(&b, &cols[c], i);
            }
            sl_buf_printf(&b, "]\n");
            if (b.len > (1u << 16)) {
                fwrite(b.data, 1, b.len, stdout);
                b.len = 0;
            }
        }
        for (size_t c = 0; c < nc; c++) pq_column_data_free(&cols[c]);
    }
    fwrite(b.data, 1, b.len, stdout);
    sl_buf_free(&b);
    free(cols);
    return rc;
}

int main(int argc, char **argv) {
    bool stats = argc == 3 && strcmp(argv[1], "--stats") == 0;
    if (argc != 2 && !stats) {
        fprintf(stderr, "usage: pq_dump [--stats] FILE.parquet\n");
        return 2;
    }
    sl_err err = {{0}};
    pq_reader *r = pq_reader_open_file(argv[argc - 1], &err);
    if (!r) {
        fprintf(stderr, "pq_dump: %s\n", err.msg);
        return 1;
    }
    int rc = stats ? dump_stats(r) : dump_rows(r, &err);
    if (rc < 0) fprintf(stderr, "pq_dump: %s\n", err.msg);
    pq_reader_close(r);
    return rc < 0 ? 1 : 0;
}
