/* Corrupt and truncated files: every valid file (DuckDB-written files of
 * the fuzz corpus and files our writer makes in memory) is truncated at
 * every offset and has every byte flipped; the reader must answer with an
 * error or with values, never crash or read out of bounds (this runs under
 * ASan in CI, on exact-size heap copies so any over-read is caught).
 * Targeted corruptions check that messages say what is wrong and where. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parquet/pq_read_internal.h"

static FILE *devnull;

/* Opens, decodes every column of every row group and inspects. Returns 0
 * when everything succeeded, -1 on the first error (message checked). */
static int read_all(const uint8_t *data, size_t len) {
    uint8_t *copy = malloc(len ? len : 1);
    if (len) memcpy(copy, data, len);
    sl_err err = {{0}};
    pq_reader *r = pq_reader_open_mem(copy, len, &err);
    int rc = 0;
    if (!r) {
        rc = -1;
    } else {
        pq_reader_set_max_rows(r, 1u << 20);
        for (size_t g = 0; g < pq_reader_num_row_groups(r); g++)
            for (size_t c = 0; c < pq_reader_num_columns(r); c++) {
                int max_def, max_rep;
                assert_int_equal(pq_reader_column_levels(r, c, &max_def, &max_rep), 0);
                if (max_rep > 0) { /* a list's or map's leaf: its levels */
                    pq_leaf_data ld;
                    if (pq_reader_read_leaf(r, g, c, &ld, &err) < 0) {
                        assert_non_null(strstr(err.msg, "column '"));
                        rc = -1;
                        continue;
                    }
                    assert_true(ld.n >= pq_reader_row_group_rows(r, g));
                    assert_true(ld.values.n <= ld.n);
                    pq_leaf_data_free(&ld);
                    continue;
                }
                pq_column_data d;
                if (pq_reader_read_column(r, g, c, &d, &err) < 0) {
                    assert_non_null(strstr(err.msg, "column '"));
                    rc = -1;
                    continue;
                }
                assert_int_equal(d.n, pq_reader_row_group_rows(r, g));
                pq_column_data_free(&d);
            }
        assert_int_equal(pq_inspect(r, "x", devnull, &err), 0);
        pq_reader_close(r);
    }
    if (rc < 0) assert_true(strlen(err.msg) > 10);
    free(copy);
    return rc;
}

static void torture(const uint8_t *data, size_t len, const char *what) {
    if (read_all(data, len) < 0) fail_msg("%s: valid file does not read", what);
    size_t opened = 0, flips = 0, failed = 0;
    for (size_t k = 0; k < len; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        memcpy(copy, data, k);
        sl_err err = {{0}};
        pq_reader *r = pq_reader_open_mem(copy, k, &err);
        if (r) { /* only possible if the cut ends in "PAR1" by chance */
            opened++;
            pq_reader_close(r);
        }
        free(copy);
    }
    assert_true(opened <= 2);
    /* every byte inverted, every fourth byte with its low bit flipped */
    static const uint8_t pats[] = {0xff, 0x01};
    uint8_t *buf = malloc(len);
    for (size_t i = 0; i < len; i++)
        for (size_t p = 0; p < (i % 4 ? 1 : sizeof pats); p++) {
            memcpy(buf, data, len);
            buf[i] ^= pats[p];
            flips++;
            if (read_all(buf, len) < 0) failed++;
        }
    free(buf);
    /* most flips in headers and the footer are caught; values cannot be */
    assert_true(failed > flips / 10);
    print_message("%s: %zu bytes, %zu of %zu flips detected\n", what, len, failed, flips);
}

static void test_corpus_files(void **state) {
    (void)state;
    DIR *dir = opendir(PQR_CORPUS);
    assert_non_null(dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(dir))) {
        if (!strstr(e->d_name, ".parquet") || strstr(e->d_name, "decimal")) continue;
        char *path = sl_sprintf("%s/%s", PQR_CORPUS, e->d_name);
        sl_buf b = {0};
        sl_err err = {{0}};
        assert_int_equal(sl_read_file(path, &b, &err), 0);
        torture(b.data, b.len, e->d_name);
        sl_buf_free(&b);
        free(path);
        n++;
    }
    closedir(dir);
    assert_true(n >= 4);
}

static int buf_write(void *ctx, const void *p, size_t n, sl_err *err) {
    (void)err;
    sl_buf_append(ctx, p, n);
    return 0;
}

/* A small file from our writer: 3 row groups, nulls, strings, all types. */
static void writer_file(sl_buf *out, pq_codec codec, bool no_dict) {
    static const pq_column_def cols[] = {{"id", PQ_INT32, false},       {"big", PQ_INT64, true},
                                         {"d", PQ_DOUBLE, true},        {"s", PQ_STRING, true},
                                         {"ts", PQ_TIMESTAMP_US, true}, {"b", PQ_BOOLEAN, false}};
    enum { ROWS = 50 };
    int32_t id[ROWS];
    int64_t big[ROWS], ts[ROWS];
    double d[ROWS];
    sl_str s[ROWS];
    uint8_t b[ROWS], valid[ROWS];
    static const char *words[] = {"", "a", "héllo", "日本語", "song"};
    for (int i = 0; i < ROWS; i++) {
        id[i] = i;
        big[i] = (int64_t)i * 1000000007;
        ts[i] = 1541030400000000 + (int64_t)i * 1000;
        d[i] = i / 3.0;
        s[i] = (sl_str){words[i % 5], (uint32_t)strlen(words[i % 5])};
        b[i] = i % 2;
        valid[i] = i % 4 != 0;
    }
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.codec = codec;
    o.row_group_rows = 20;
    o.no_dictionary = no_dict;
    sl_err err = {{0}};
    pq_writer *w = pq_writer_open(cols, 6, &o, (pq_sink){buf_write, out}, &err);
    if (!w) fail_msg("%s", err.msg);
    pq_column_batch batch[6] = {{.v.i32 = id},
                                {.valid = valid, .v.i64 = big},
                                {.valid = valid, .v.f64 = d},
                                {.valid = valid, .v.str = s},
                                {.valid = valid, .v.i64 = ts},
                                {.v.b = b}};
    assert_int_equal(pq_writer_write(w, batch, ROWS, &err), 0);
    assert_int_equal(pq_writer_close(w, NULL, &err), 0);
}

static void test_writer_files(void **state) {
    (void)state;
    /* two of the eight codec x encoding combinations (time under ASan); the
     * corpus holds a zstd songlake file and DuckDB files of every codec */
    static const struct {
        pq_codec codec;
        bool no_dict;
    } files[] = {{PQ_CODEC_SNAPPY, false}, {PQ_CODEC_GZIP, true}};
    for (size_t i = 0; i < 2; i++) {
        sl_buf b = {0};
        writer_file(&b, files[i].codec, files[i].no_dict);
        char what[64];
        snprintf(what, sizeof what, "writer %s%s", pq_codec_name(files[i].codec),
                 files[i].no_dict ? " plain" : " dict");
        torture(b.data, b.len, what);
        sl_buf_free(&b);
    }
}

static void test_messages(void **state) {
    (void)state;
    sl_buf b = {0};
    writer_file(&b, PQ_CODEC_SNAPPY, false);
    sl_err err = {{0}};
    /* cut off the end: the magic is missing */
    assert_null(pq_reader_open_mem(b.data, b.len - 1, &err));
    assert_non_null(strstr(err.msg, "PAR1"));
    /* footer length beyond the file */
    uint8_t *c = malloc(b.len);
    memcpy(c, b.data, b.len);
    c[b.len - 6] = 0x7f;
    assert_null(pq_reader_open_mem(c, b.len, &err));
    assert_non_null(strstr(err.msg, "footer length"));
    /* a broken page header names the file, column, row group and offset */
    memcpy(c, b.data, b.len);
    pq_reader *r = pq_reader_open_mem(c, b.len, &err);
    assert_non_null(r);
    const pq_rchunk *ch = &r->rgs[1].cols[3];
    int64_t start = ch->dict_off > 0 ? ch->dict_off : ch->data_off;
    c[start] = 0xfd; /* field type 13: not a thrift type */
    pq_column_data d;
    assert_int_equal(pq_reader_read_column(r, 1, 3, &d, &err), -1);
    assert_non_null(strstr(err.msg, "<memory>: column 's' (row group 1): page at offset"));
    assert_non_null(strstr(err.msg, "page header"));
    /* the other row groups still read */
    assert_int_equal(pq_reader_read_column(r, 0, 3, &d, &err), 0);
    pq_column_data_free(&d);
    /* the row limit */
    pq_reader_set_max_rows(r, 5);
    assert_int_equal(pq_reader_read_column(r, 0, 0, &d, &err), -1);
    assert_non_null(strstr(err.msg, "limit"));
    pq_reader_close(r);
    free(c);
    sl_buf_free(&b);
}

static void test_unsupported_types(void **state) {
    (void)state;
    sl_err err = {{0}};
    /* a list opens (tests/parquet/test_pq_nested.c reads it); its repeated
     * leaf cannot be read one value per row */
    pq_reader *r = pq_reader_open_file(PQR_CORPUS "/duckdb_nested.parquet", &err);
    assert_non_null(r);
    pq_column_data nd;
    assert_int_equal(pq_reader_read_column(r, 0, 0, &nd, &err), -1);
    assert_non_null(strstr(err.msg, "duckdb_nested.parquet"));
    assert_non_null(strstr(err.msg, "'l.list.element' is repeated"));
    pq_reader_close(r);
    r = pq_reader_open_file(PQR_CORPUS "/duckdb_decimal.parquet", &err);
    assert_non_null(r);
    assert_int_equal(pq_reader_column(r, 0)->type, PQ_OTHER);
    assert_int_equal(pq_reader_column(r, 1)->type, PQ_INT32);
    assert_int_equal(pq_reader_column(r, 2)->type, PQ_OTHER);
    pq_column_data d;
    assert_int_equal(pq_reader_read_column(r, 0, 0, &d, &err), -1);
    assert_non_null(strstr(err.msg, "column 'dec': DECIMAL is not decoded"));
    assert_int_equal(pq_reader_read_column(r, 0, 2, &d, &err), -1);
    assert_non_null(strstr(err.msg, "unsigned 32-bit"));
    assert_int_equal(pq_reader_read_column(r, 0, 1, &d, &err), 0);
    assert_int_equal(d.n, 5);
    for (int i = 0; i < 5; i++) assert_int_equal(d.v.i32[i], i);
    pq_column_data_free(&d);
    assert_int_equal(pq_reader_read_column(r, 1, 0, &d, &err), -1);
    assert_non_null(strstr(err.msg, "no column"));
    pq_reader_close(r);
}

int main(void) {
    devnull = fopen("/dev/null", "w");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_files),
        cmocka_unit_test(test_writer_files),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_unsupported_types),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    fclose(devnull);
    return rc;
}
