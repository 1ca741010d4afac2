/* Unit tests of the reader's thrift compact decoder on hand-made bytes:
 * every field type, long-form field ids, skipping, and malformed input
 * (truncated varints, overlong varints, unknown types, lists longer than
 * their bytes, nesting past the depth limit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "parquet/pq_read_internal.h"

static void test_struct_fields(void **state) {
    (void)state;
    static const uint8_t b[] = {0x15, 0x0a,                   /* 1: i32 5 */
                                0x18, 0x03, 'a',  'b',  'c',  /* 2: binary "abc" */
                                0x11,                         /* 3: bool true */
                                0x1c, 0x16, 0x01, 0x00,       /* 4: struct { 1: i64 -1 } */
                                0x19, 0x35, 0x02, 0x04, 0x06, /* 5: list<i32> [1, 2, 3] */
                                0x05, 0xc8, 0x01, 0x54,       /* 100 (long form): i32 42 */
                                0x00};
    sl_err err = {{0}};
    pq_tdec d;
    pq_tdec_init(&d, b, sizeof b, "test", &err);
    int id, t;
    int64_t v;
    assert_int_equal(pq_t_struct_begin(&d), 0);
    assert_int_equal(pq_t_next_field(&d, &id, &t), 1);
    assert_int_equal(id, 1);
    assert_int_equal(pq_t_int(&d, t, &v), 0);
    assert_int_equal(v, 5);
    const uint8_t *s;
    uint32_t n;
    assert_int_equal(pq_t_next_field(&d, &id, &t), 1);
    assert_int_equal(id, 2);
    assert_int_equal(pq_t_binary(&d, t, &s, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(s, "abc", 3);
    bool bv = false;
    assert_int_equal(pq_t_next_field(&d, &id, &t), 1);
    assert_int_equal(id, 3);
    assert_int_equal(pq_t_bool(&d, t, &bv), 0);
    assert_true(bv);
    assert_int_equal(pq_t_next_field(&d, &id, &t), 1);
    assert_int_equal(id, 4);
    assert_int_equal(t, PQ_T_STRUCT);
    assert_int_equal(pq_t_struct_begin(&d), 0);
    assert_int_equal(pq_t_next_field(&d, &id, &t), 1);
    assert_int_equal(id, 1);
    assert_int_equal(pq_t_int(&d, t, &v), 0);
    assert_int_equal(v, -1);
    assert_int_equal(pq_t_next_field(&d, &id, &t), 0);
    /* back in the outer struct: the next delta is relative to field 4 */
    assert_int_equal(pq_t_next_field(&d, &id, &t), 1);
    assert_int_equal(id, 5);
    int et;
    assert_int_equal(pq_t_list(&d, t, &et, &n), 0);
    assert_int_equal(n, 3);
    for (int64_t i = 1; i <= 3; i++) {
        assert_int_equal(pq_t_int(&d, et, &v), 0);
        assert_int_equal(v, i);
    }
    assert_int_equal(pq_t_next_field(&d, &id, &t), 1);
    assert_int_equal(id, 100);
    assert_int_equal(pq_t_int(&d, t, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(pq_t_next_field(&d, &id, &t), 0);
    assert_ptr_equal(d.p, b + sizeof b);
}

static void test_skip_everything(void **state) {
    (void)state;
    static const uint8_t b[] = {
        0x13, 0x7f,                                     /* 1: byte */
        0x14, 0x02,                                     /* 2: i16 */
        0x17, 1,    2,    3,    4,    5,    6,    7, 8, /* 3: double */
        0x1b, 0x02, 0x55, 0x02, 0x04, 0x06, 0x08,       /* 4: map<i32,i32> {1:2, 3:4} */
        0x1a, 0x11, 0x01,                               /* 5: set<bool> [true] */
        0x12,                                           /* 6: bool false */
        0x1c, 0x18, 0x00, 0x00,                         /* 7: struct { 1: "" } */
        0x00};
    sl_err err = {{0}};
    pq_tdec d;
    pq_tdec_init(&d, b, sizeof b, "test", &err);
    assert_int_equal(pq_t_skip(&d, PQ_T_STRUCT, false), 0);
    assert_ptr_equal(d.p, b + sizeof b);
    assert_false(d.failed);
}

static void expect_fail(const uint8_t *b, size_t n, const char *needle) {
    sl_err err = {{0}};
    pq_tdec d;
    pq_tdec_init(&d, b, n, "test", &err);
    assert_int_equal(pq_t_skip(&d, PQ_T_STRUCT, false), -1);
    assert_true(d.failed);
    if (!strstr(err.msg, needle)) fail_msg("error '%s' lacks '%s'", err.msg, needle);
    /* sticky: later calls fail without touching the message */
    int id, t;
    assert_int_equal(pq_t_next_field(&d, &id, &t), -1);
}

static void test_malformed(void **state) {
    (void)state;
    static const uint8_t trunc_varint[] = {0x15, 0x80, 0x80};
    expect_fail(trunc_varint, sizeof trunc_varint, "truncated varint");
    static const uint8_t long_varint[] = {0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                          0xff, 0xff, 0xff, 0xff, 0x01, 0x00};
    expect_fail(long_varint, sizeof long_varint, "varint");
    static const uint8_t bad_type[] = {0x1d, 0x00};
    expect_fail(bad_type, sizeof bad_type, "unknown field type 13");
    static const uint8_t no_stop[] = {0x15, 0x02};
    expect_fail(no_stop, sizeof no_stop, "truncated");
    static const uint8_t long_string[] = {0x18, 0x10, 'a', 'b', 0x00};
    expect_fail(long_string, sizeof long_string, "runs past the end");
    static const uint8_t long_list[] = {0x19, 0xf5, 0xff, 0xff, 0xff, 0x0f, 0x00};
    expect_fail(long_list, sizeof long_list, "longer than its bytes");
    static const uint8_t bad_elem[] = {0x19, 0x1d, 0x00, 0x00};
    expect_fail(bad_elem, sizeof bad_elem, "unknown list element type");
    static const uint8_t trunc_double[] = {0x17, 1, 2, 3};
    expect_fail(trunc_double, sizeof trunc_double, "truncated double");
    static const uint8_t bad_map[] = {0x1b, 0x01, 0xd5, 0x00, 0x00};
    expect_fail(bad_map, sizeof bad_map, "unknown map element types");
    static const uint8_t i32_too_big[] = {0x15, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00};
    sl_err err = {{0}};
    pq_tdec d;
    pq_tdec_init(&d, i32_too_big, sizeof i32_too_big, "test", &err);
    int id, t;
    int64_t v;
    assert_int_equal(pq_t_struct_begin(&d), 0);
    assert_int_equal(pq_t_next_field(&d, &id, &t), 1);
    assert_int_equal(pq_t_int(&d, t, &v), -1);
    assert_non_null(strstr(err.msg, "too large"));
    /* type confusion is an error, not a misread */
    static const uint8_t str_as_int[] = {0x18, 0x01, 'x', 0x00};
    pq_tdec_init(&d, str_as_int, sizeof str_as_int, "test", &err);
    assert_int_equal(pq_t_struct_begin(&d), 0);
    assert_int_equal(pq_t_next_field(&d, &id, &t), 1);
    assert_int_equal(pq_t_int(&d, t, &v), -1);
    assert_non_null(strstr(err.msg, "expected an integer"));
}

static void test_depth_limit(void **state) {
    (void)state;
    /* nested structs: field 1 of type struct, 100 deep, then stops */
    uint8_t b[201];
    for (int i = 0; i < 100; i++) b[i] = 0x1c;
    memset(b + 100, 0, 101);
    expect_fail(b, sizeof b, "nested deeper");
    /* lists of lists nest too */
    uint8_t l[300];
    l[0] = 0x19;
    for (int i = 1; i < 299; i++) l[i] = 0x19; /* list<list<...>> of one element each */
    l[299] = 0x00;
    expect_fail(l, sizeof l, "nested deeper");
    /* at the limit it still works */
    uint8_t ok[PQ_T_MAX_DEPTH * 2];
    for (int i = 0; i < PQ_T_MAX_DEPTH - 1; i++) ok[i] = 0x1c;
    memset(ok + PQ_T_MAX_DEPTH - 1, 0, PQ_T_MAX_DEPTH + 1);
    sl_err err = {{0}};
    pq_tdec d;
    pq_tdec_init(&d, ok, PQ_T_MAX_DEPTH * 2, "test", &err);
    assert_int_equal(pq_t_skip(&d, PQ_T_STRUCT, false), 0);
}

static void test_not_parquet(void **state) {
    (void)state;
    sl_err err = {{0}};
    static const uint8_t tiny[] = "PAR1PAR1";
    assert_null(pq_reader_open_mem(tiny, 8, &err));
    assert_non_null(strstr(err.msg, "too short"));
    static const uint8_t nomagic[] = "PAR1\0\0\0\0\0\0\0\0XXXX";
    assert_null(pq_reader_open_mem(nomagic, 16, &err));
    assert_non_null(strstr(err.msg, "PAR1"));
    /* footer length larger than the file */
    static const uint8_t biglen[] = "PAR1\0\0\0\0\xff\xff\0\0PAR1";
    assert_null(pq_reader_open_mem(biglen, 16, &err));
    assert_non_null(strstr(err.msg, "footer length"));
    /* footer that is not a FileMetaData */
    static const uint8_t junk[] = "PAR1\x15\x02\x00\x00\x03\x00\x00\x00PAR1";
    assert_null(pq_reader_open_mem(junk, 16, &err));
    assert_non_null(strstr(err.msg, "footer"));
    static const uint8_t enc[] = "PAR1\0\0\0\0\0\0\0\0PARE";
    assert_null(pq_reader_open_mem(enc, 16, &err));
    assert_non_null(strstr(err.msg, "encrypted"));
    assert_null(pq_reader_open_file("/nonexistent/x.parquet", &err));
    assert_non_null(strstr(err.msg, "/nonexistent/x.parquet"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_struct_fields), cmocka_unit_test(test_skip_everything),
        cmocka_unit_test(test_malformed),     cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_not_parquet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
