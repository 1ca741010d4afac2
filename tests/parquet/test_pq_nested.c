/* Nested columns: the tree writer's definition and repetition levels
 * against levels worked out by hand (the format's Dremel encoding), read
 * back by our reader (pq_reader_read_leaf, and pq_reader_read_column for
 * leaves that do not repeat); the writer's refusals of rows that do not fit
 * the schema; a file of DuckDB's with a list; and the flat writer's exact
 * per-file statistics (pq_writer_close_stats). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parquet/parquet.h"

static int buf_write(void *ctx, const void *p, size_t n, sl_err *err) {
    (void)err;
    sl_buf_append(ctx, p, n);
    return 0;
}

/* id INT64; m MAP<STRING, STRING?>?; l LIST<LIST<INT64>?>? */
static const pq_node SCHEMA[] = {
    {.name = "id", .type = PQ_INT64},
    {.name = "m", .kind = PQ_NODE_MAP, .nullable = true},
    {.name = "k", .type = PQ_STRING},
    {.name = "v", .type = PQ_STRING, .nullable = true},
    {.name = "l", .kind = PQ_NODE_LIST, .nullable = true},
    {.name = "e", .kind = PQ_NODE_LIST, .nullable = true},
    {.name = "e", .type = PQ_INT64},
};

static void s(pq_tree_writer *w, const char *v) {
    pq_tree_str(w, v, strlen(v));
}

/* r0: m null, l null; r1: m {}, l []; r2: m {a: "1", b: null},
 * l [[1, 2], [], null]; r3: m {c: "x"}, l [[3]] */
static void write_rows(pq_tree_writer *w, size_t page_bytes) {
    (void)page_bytes;
    sl_err err = {{0}};
    pq_tree_i64(w, 1);
    pq_tree_null(w);
    pq_tree_null(w);
    assert_int_equal(pq_tree_row_end(w, &err), 0);

    pq_tree_i64(w, 2);
    pq_tree_begin(w);
    pq_tree_end(w);
    pq_tree_begin(w);
    pq_tree_end(w);
    assert_int_equal(pq_tree_row_end(w, &err), 0);

    pq_tree_i64(w, 3);
    pq_tree_begin(w);
    s(w, "a"), s(w, "1");
    s(w, "b"), pq_tree_null(w);
    pq_tree_end(w);
    pq_tree_begin(w);
    pq_tree_begin(w), pq_tree_i64(w, 1), pq_tree_i64(w, 2), pq_tree_end(w);
    pq_tree_begin(w), pq_tree_end(w);
    pq_tree_null(w);
    pq_tree_end(w);
    assert_int_equal(pq_tree_row_end(w, &err), 0);

    pq_tree_i64(w, 4);
    pq_tree_begin(w);
    s(w, "c"), s(w, "x");
    pq_tree_end(w);
    pq_tree_begin(w);
    pq_tree_begin(w), pq_tree_i64(w, 3), pq_tree_end(w);
    pq_tree_end(w);
    assert_int_equal(pq_tree_row_end(w, &err), 0);
}

static void write_file(sl_buf *b, pq_codec codec, size_t page_bytes, size_t rg_rows) {
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.codec = codec;
    o.page_bytes = page_bytes;
    o.row_group_rows = rg_rows;
    sl_err err = {{0}};
    pq_tree_writer *w =
        pq_tree_open(SCHEMA, sizeof SCHEMA / sizeof *SCHEMA, &o, (pq_sink){buf_write, b}, &err);
    assert_non_null(w);
    write_rows(w, page_bytes);
    pq_file_info info;
    assert_int_equal(pq_tree_close(w, &info, &err), 0);
    assert_int_equal(info.rows, 4);
    assert_int_equal(info.bytes, b->len);
}

/* The levels of every row group, concatenated. */
static void leaf(pq_reader *r, const char *path, int max_def, int max_rep, const char *defs,
                 const char *reps, const char *const *strs, const int64_t *ints) {
    long c = pq_reader_find_column(r, path);
    assert_true(c >= 0);
    int d, p;
    assert_int_equal(pq_reader_column_levels(r, (size_t)c, &d, &p), 0);
    assert_int_equal(d, max_def);
    assert_int_equal(p, max_rep);
    char gd[64] = "", gr[64] = "";
    size_t k = 0, nv = 0;
    sl_err err = {{0}};
    for (size_t g = 0; g < pq_reader_num_row_groups(r); g++) {
        pq_leaf_data ld;
        assert_int_equal(pq_reader_read_leaf(r, g, (size_t)c, &ld, &err), 0);
        for (size_t i = 0; i < ld.n; i++, k++) {
            gd[k] = (char)('0' + ld.def[i]);
            gr[k] = (char)('0' + ld.rep[i]);
        }
        for (size_t i = 0; i < ld.values.n; i++, nv++) {
            assert_int_equal(ld.values.valid[i], 1);
            if (strs)
                assert_memory_equal(ld.values.v.str[i].ptr, strs[nv], strlen(strs[nv]));
            else
                assert_int_equal(ld.values.v.i64[i], ints[nv]);
        }
        pq_leaf_data_free(&ld);
    }
    gd[k] = gr[k] = 0;
    assert_string_equal(gd, defs);
    assert_string_equal(gr, reps);
}

static void check_file(const sl_buf *b) {
    sl_err err = {{0}};
    pq_reader *r = pq_reader_open_mem(b->data, b->len, &err);
    assert_non_null(r);
    assert_int_equal(pq_reader_num_columns(r), 4);
    assert_string_equal(pq_reader_column(r, 0)->name, "id");
    assert_string_equal(pq_reader_column(r, 1)->name, "m.key_value.key");
    assert_string_equal(pq_reader_column(r, 2)->name, "m.key_value.value");
    assert_string_equal(pq_reader_column(r, 3)->name, "l.list.element.list.element");
    assert_false(pq_reader_column(r, 0)->nullable);
    assert_true(pq_reader_column(r, 1)->nullable);
    static const char *const keys[] = {"a", "b", "c"}, *const vals[] = {"1", "x"};
    static const int64_t ids[] = {1, 2, 3, 4}, ls[] = {1, 2, 3};
    leaf(r, "id", 0, 0, "0000", "0000", NULL, ids);
    leaf(r, "m.key_value.key", 2, 1, "01222", "00010", keys, NULL);
    leaf(r, "m.key_value.value", 3, 1, "01323", "00010", vals, NULL);
    leaf(r, "l.list.element.list.element", 4, 2, "0144324", "0002110", NULL, ls);
    /* a leaf that does not repeat reads per row; one that does refuses */
    pq_column_data d;
    int64_t row = 0;
    for (size_t g = 0; g < pq_reader_num_row_groups(r); g++) {
        assert_int_equal(pq_reader_read_column(r, g, 0, &d, &err), 0);
        for (size_t i = 0; i < d.n; i++) assert_int_equal(d.v.i64[i], ++row);
        pq_column_data_free(&d);
        assert_int_equal(pq_reader_read_column(r, g, 1, &d, &err), -1);
        assert_non_null(strstr(err.msg, "repeated"));
    }
    assert_int_equal(row, 4);
    pq_reader_close(r);
}

static void test_levels(void **state) {
    (void)state;
    pq_codec codecs[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_ZSTD, PQ_CODEC_GZIP};
    for (size_t c = 0; c < 4; c++) {
        /* one page, a page per row (page_bytes 1), a row group per row */
        size_t pages[] = {0, 1, 0}, groups[] = {0, 0, 1};
        for (size_t v = 0; v < 3; v++) {
            sl_buf b = {0};
            write_file(&b, codecs[c], pages[v], groups[v]);
            check_file(&b);
            sl_buf_free(&b);
        }
    }
}

/* A struct with a nested struct: levels of leaves below optional groups. */
static void test_structs(void **state) {
    (void)state;
    static const pq_node sch[] = {
        {.name = "add", .kind = PQ_NODE_STRUCT, .nullable = true, .nfields = 2},
        {.name = "path", .type = PQ_STRING, .nullable = true},
        {.name = "dv", .kind = PQ_NODE_STRUCT, .nullable = true, .nfields = 1},
        {.name = "n", .type = PQ_INT32},
        {.name = "flag", .type = PQ_BOOLEAN, .nullable = true},
    };
    sl_buf b = {0};
    sl_err err = {{0}};
    pq_tree_writer *w = pq_tree_open(sch, 5, NULL, (pq_sink){buf_write, &b}, &err);
    assert_non_null(w);
    /* add null */
    pq_tree_null(w);
    pq_tree_bool(w, true);
    assert_int_equal(pq_tree_row_end(w, &err), 0);
    /* add {path "p", dv null}, flag left out: null */
    pq_tree_begin(w), s(w, "p"), pq_tree_null(w), pq_tree_end(w);
    assert_int_equal(pq_tree_row_end(w, &err), 0);
    /* add {path null, dv {n 7}}, flag false */
    pq_tree_begin(w), pq_tree_null(w), pq_tree_begin(w), pq_tree_i32(w, 7), pq_tree_end(w),
        pq_tree_end(w);
    pq_tree_bool(w, false);
    assert_int_equal(pq_tree_row_end(w, &err), 0);
    /* add {} : every field left out, so null */
    pq_tree_begin(w), pq_tree_end(w);
    assert_int_equal(pq_tree_row_end(w, &err), 0);
    assert_int_equal(pq_tree_close(w, NULL, &err), 0);
    pq_reader *r = pq_reader_open_mem(b.data, b.len, &err);
    assert_non_null(r);
    static const int64_t n7[] = {7};
    static const char *const p[] = {"p"};
    leaf(r, "add.path", 2, 0, "0211", "0000", p, NULL);
    leaf(r, "add.dv.n", 2, 0, "0121", "0000", NULL, n7);
    pq_column_data d;
    assert_int_equal(pq_reader_read_column(r, 0, 1, &d, &err), 0);
    assert_int_equal(d.n, 4);
    assert_int_equal(d.valid[0] + d.valid[1] + d.valid[2] + d.valid[3], 1);
    assert_int_equal(d.valid[2], 1);
    assert_int_equal(d.v.i32[2], 7);
    pq_column_data_free(&d);
    assert_int_equal(pq_reader_read_column(r, 0, 2, &d, &err), 0);
    assert_int_equal(d.valid[0], 1);
    assert_int_equal(d.v.b[0], 1);
    assert_int_equal(d.valid[1], 0);
    assert_int_equal(d.valid[2], 1);
    assert_int_equal(d.v.b[2], 0);
    pq_column_data_free(&d);
    pq_reader_close(r);
    sl_buf_free(&b);
}

static void expect_row_error(void (*fill)(pq_tree_writer *), const char *what) {
    sl_buf b = {0};
    sl_err err = {{0}};
    pq_tree_writer *w =
        pq_tree_open(SCHEMA, sizeof SCHEMA / sizeof *SCHEMA, NULL, (pq_sink){buf_write, &b}, &err);
    assert_non_null(w);
    fill(w);
    assert_int_equal(pq_tree_row_end(w, &err), -1);
    if (!strstr(err.msg, what)) fail_msg("'%s' does not say '%s'", err.msg, what);
    assert_int_equal(pq_tree_close(w, NULL, &err), -1);
    sl_buf_free(&b);
}
static void f_required_null(pq_tree_writer *w) {
    pq_tree_null(w);
}
static void f_too_many(pq_tree_writer *w) {
    pq_tree_i64(w, 1), pq_tree_null(w), pq_tree_null(w), pq_tree_null(w);
}
static void f_unclosed(pq_tree_writer *w) {
    pq_tree_i64(w, 1), pq_tree_begin(w);
}
static void f_type(pq_tree_writer *w) {
    pq_tree_str(w, "x", 1);
}
static void f_group_value(pq_tree_writer *w) {
    pq_tree_i64(w, 1), pq_tree_i64(w, 2);
}
static void f_missing_required(pq_tree_writer *w) {
    (void)w; /* id left out */
}
static void f_key_null(pq_tree_writer *w) {
    pq_tree_i64(w, 1), pq_tree_begin(w), pq_tree_null(w), pq_tree_end(w);
}

static void test_refusals(void **state) {
    (void)state;
    expect_row_error(f_required_null, "id is REQUIRED");
    expect_row_error(f_too_many, "more fields");
    expect_row_error(f_unclosed, "groups open");
    expect_row_error(f_type, "id is INT64, given STRING");
    expect_row_error(f_group_value, "m is a group");
    expect_row_error(f_missing_required, "REQUIRED field id not given");
    expect_row_error(f_key_null, "key is REQUIRED");
    /* schemas */
    sl_buf b = {0};
    sl_err err = {{0}};
    static const pq_node bad_key[] = {{.name = "m", .kind = PQ_NODE_MAP},
                                      {.name = "k", .type = PQ_STRING, .nullable = true},
                                      {.name = "v", .type = PQ_STRING}};
    assert_null(pq_tree_open(bad_key, 3, NULL, (pq_sink){buf_write, &b}, &err));
    assert_non_null(strstr(err.msg, "REQUIRED leaf"));
    static const pq_node cut[] = {{.name = "s", .kind = PQ_NODE_STRUCT, .nfields = 2},
                                  {.name = "a", .type = PQ_INT32}};
    assert_null(pq_tree_open(cut, 2, NULL, (pq_sink){buf_write, &b}, &err));
    assert_non_null(strstr(err.msg, "ends inside"));
    static const pq_node dup[] = {{.name = "a", .type = PQ_INT32}, {.name = "a", .type = PQ_INT64}};
    assert_null(pq_tree_open(dup, 2, NULL, (pq_sink){buf_write, &b}, &err));
    assert_non_null(strstr(err.msg, "duplicate"));
    sl_buf_free(&b);
}

/* DuckDB's file: l LIST<INT64>, x INT64; rows l = [i, i + 1], x = i. */
static void test_duckdb_list(void **state) {
    (void)state;
    sl_err err = {{0}};
    pq_reader *r = pq_reader_open_file(PQR_CORPUS "/duckdb_nested.parquet", &err);
    assert_non_null(r);
    assert_string_equal(pq_reader_column(r, 0)->name, "l.list.element");
    static const int64_t v[] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 5};
    leaf(r, "l.list.element", 3, 1, "3333333333", "0101010101", NULL, v);
    static const int64_t x[] = {0, 1, 2, 3, 4};
    leaf(r, "x", 1, 0, "11111", "00000", NULL, x);
    pq_reader_close(r);
}

/* pq_writer_close_stats: exact over the whole file (several row groups),
 * long strings kept, NaN noted. */
static void test_file_stats(void **state) {
    (void)state;
    pq_column_def cols[] = {{"i", PQ_INT64, true},   {"s", PQ_STRING, true},
                            {"d", PQ_DOUBLE, false}, {"t", PQ_TIMESTAMP_US, false},
                            {"b", PQ_BOOLEAN, true}, {"n", PQ_INT32, true}};
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.row_group_rows = 3;
    sl_buf b = {0};
    sl_err err = {{0}};
    pq_writer *w = pq_writer_open(cols, 6, &o, (pq_sink){buf_write, &b}, &err);
    assert_non_null(w);
    enum { N = 10 };
    int64_t iv[N], tv[N];
    double dv[N];
    uint8_t bv[N], valid[N], none[N] = {0};
    int32_t nv[N] = {0};
    sl_str sv[N];
    char *long_s = malloc(10000);
    memset(long_s, 'z', 9999);
    long_s[9999] = 0;
    for (int i = 0; i < N; i++) {
        iv[i] = (i - 4) * 1000;
        tv[i] = 1541030400000000 + i;
        dv[i] = i == 6 ? 0.0 / 0.0 : -1.5 * i;
        bv[i] = i == 3;
        valid[i] = i % 4 != 1;
        sv[i] = (sl_str){i == 8 ? long_s : "m", i == 8 ? 9999 : 1};
    }
    sv[2] = (sl_str){"a", 1};
    pq_column_batch bt[6] = {
        {.valid = valid, .v.i64 = iv}, {.valid = valid, .v.str = sv}, {.v.f64 = dv}, {.v.i64 = tv},
        {.valid = valid, .v.b = bv},   {.valid = none, .v.i32 = nv}};
    assert_int_equal(pq_writer_write(w, bt, N, &err), 0);
    pq_file_info info;
    pq_file_stats st;
    assert_int_equal(pq_writer_close_stats(w, &info, &st, &err), 0);
    assert_int_equal(info.row_groups, 4);
    assert_int_equal(st.ncols, 6);
    /* valid: rows 1, 5, 9 null */
    assert_int_equal(st.cols[0].null_count, 3);
    assert_true(st.cols[0].has_min_max);
    assert_int_equal(st.cols[0].min_i, -4000);
    assert_int_equal(st.cols[0].max_i, 4000); /* row 8; row 9 (5000) is null */
    assert_int_equal(st.cols[1].null_count, 3);
    assert_int_equal(st.cols[1].min_s.len, 1);
    assert_memory_equal(st.cols[1].min_s.ptr, "a", 1);
    assert_int_equal(st.cols[1].max_s.len, 9999);
    assert_memory_equal(st.cols[1].max_s.ptr, long_s, 9999);
    assert_true(st.cols[2].has_nan);
    assert_true(st.cols[2].min_f == -13.5 && st.cols[2].max_f == 0.0);
    assert_int_equal(st.cols[3].min_i, 1541030400000000);
    assert_int_equal(st.cols[3].max_i, 1541030400000009);
    assert_int_equal(st.cols[3].null_count, 0);
    assert_int_equal(st.cols[4].min_i, 0);
    assert_int_equal(st.cols[4].max_i, 1);
    assert_int_equal(st.cols[5].null_count, N);
    assert_false(st.cols[5].has_min_max);
    pq_file_stats_free(&st);
    free(long_s);
    sl_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),     cmocka_unit_test(test_structs),
        cmocka_unit_test(test_refusals),   cmocka_unit_test(test_duckdb_list),
        cmocka_unit_test(test_file_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
