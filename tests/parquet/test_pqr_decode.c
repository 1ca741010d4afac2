/* Unit tests of the reader's value decoders against the examples of the
 * Parquet encodings spec (RLE / bit-packed hybrid, DELTA_BINARY_PACKED,
 * DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY), PLAIN, dictionary indexes,
 * BYTE_STREAM_SPLIT, and truncated or out-of-range input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "parquet/pq_read_internal.h"

static void test_rle_spec_bitpacked(void **state) {
    (void)state;
    /* spec: values 0..7 bit-packed with width 3 -> 10001000 11000110 11111010 */
    static const uint8_t b[] = {0x03, 0x88, 0xc6, 0xfa};
    sl_err err = {{0}};
    pq_rle d;
    assert_int_equal(pq_rle_init(&d, b, sizeof b, 3, &err), 0);
    uint32_t out[8];
    assert_int_equal(pq_rle_get(&d, out, 8, &err), 0);
    for (uint32_t i = 0; i < 8; i++) assert_int_equal(out[i], i);
    assert_int_equal(pq_rle_get(&d, out, 1, &err), -1);
    assert_non_null(strstr(err.msg, "ends early"));
}

static void test_rle_runs(void **state) {
    (void)state;
    /* 100 x 5 (RLE, width 3), then 8 bit-packed values, then 300 x 1 */
    static const uint8_t b[] = {0xc8, 0x01, 0x05, 0x03, 0x88, 0xc6, 0xfa, 0xd8, 0x04, 0x01};
    sl_err err = {{0}};
    pq_rle d;
    pq_rle_init(&d, b, sizeof b, 3, &err);
    uint32_t out[408];
    /* read in odd slices that straddle runs */
    assert_int_equal(pq_rle_get(&d, out, 99, &err), 0);
    assert_int_equal(pq_rle_get(&d, out + 99, 5, &err), 0);
    assert_int_equal(pq_rle_get(&d, out + 104, 304, &err), 0);
    for (int i = 0; i < 100; i++) assert_int_equal(out[i], 5);
    for (int i = 0; i < 8; i++) assert_int_equal(out[100 + i], i);
    for (int i = 108; i < 408; i++) assert_int_equal(out[i], 1);
    /* discarding values works too */
    pq_rle_init(&d, b, sizeof b, 3, &err);
    assert_int_equal(pq_rle_get(&d, NULL, 102, &err), 0);
    assert_int_equal(pq_rle_get(&d, out, 1, &err), 0);
    assert_int_equal(out[0], 2);
}

static void test_rle_width0_and_errors(void **state) {
    (void)state;
    sl_err err = {{0}};
    pq_rle d;
    static const uint8_t zero[] = {0x14}; /* 10 x 0, no value bytes */
    pq_rle_init(&d, zero, 1, 0, &err);
    uint32_t out[10];
    assert_int_equal(pq_rle_get(&d, out, 10, &err), 0);
    for (int i = 0; i < 10; i++) assert_int_equal(out[i], 0);
    assert_int_equal(pq_rle_init(&d, zero, 1, 33, &err), -1);
    assert_non_null(strstr(err.msg, "bit width"));
    static const uint8_t trunc_hdr[] = {0x80};
    pq_rle_init(&d, trunc_hdr, 1, 8, &err);
    assert_int_equal(pq_rle_get(&d, out, 1, &err), -1);
    assert_non_null(strstr(err.msg, "run header"));
    static const uint8_t trunc_val[] = {0x04, 0x01}; /* width 16 needs 2 value bytes */
    pq_rle_init(&d, trunc_val, 2, 16, &err);
    assert_int_equal(pq_rle_get(&d, out, 1, &err), -1);
    assert_non_null(strstr(err.msg, "run value"));
    /* a bit-packed run cut short yields only the values its bytes hold */
    static const uint8_t cut[] = {0x05, 0xff}; /* 16 values of width 1 declared, 8 present */
    pq_rle_init(&d, cut, 2, 1, &err);
    assert_int_equal(pq_rle_get(&d, out, 8, &err), 0);
    assert_int_equal(pq_rle_get(&d, out, 1, &err), -1);
}

static void decode_ok(pq_values_in *in, void *out) {
    sl_err err = {{0}};
    if (pq_decode_values(in, out, &err) < 0) fail_msg("decode failed: %s", err.msg);
}

static void decode_fails(pq_values_in *in, void *out, const char *needle) {
    sl_err err = {{0}};
    assert_int_equal(pq_decode_values(in, out, &err), -1);
    if (!strstr(err.msg, needle)) fail_msg("error '%s' lacks '%s'", err.msg, needle);
}

static void test_plain(void **state) {
    (void)state;
    sl_arena heap = {0};
    int32_t i32[3];
    static const uint8_t ib[] = {1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0x80};
    pq_values_in in = {.enc = PQ_ENC_PLAIN, .phys = PQ_PHYS_INT32, .p = ib, .n = 12, .count = 3};
    decode_ok(&in, i32);
    assert_int_equal(i32[0], 1);
    assert_int_equal(i32[1], -1);
    assert_int_equal(i32[2], INT32_MIN);
    in.n = 11;
    decode_fails(&in, i32, "need 12 bytes");
    uint8_t bo[10];
    static const uint8_t bb[] = {0x05, 0x02}; /* 1,0,1,0,0,0,0,0, 0,1 */
    in = (pq_values_in){.enc = PQ_ENC_PLAIN, .phys = PQ_PHYS_BOOLEAN, .p = bb, .n = 2, .count = 10};
    decode_ok(&in, bo);
    static const uint8_t want[] = {1, 0, 1, 0, 0, 0, 0, 0, 0, 1};
    assert_memory_equal(bo, want, 10);
    in.count = 17;
    decode_fails(&in, bo, "booleans");
    sl_str s[3];
    static const uint8_t sb[] = {3, 0, 0, 0, 'a', 'b', 'c', 0, 0, 0, 0, 2, 0, 0, 0, 0xc3, 0xa9};
    in = (pq_values_in){.enc = PQ_ENC_PLAIN,
                        .phys = PQ_PHYS_BYTE_ARRAY,
                        .p = sb,
                        .n = sizeof sb,
                        .count = 3,
                        .heap = &heap};
    decode_ok(&in, s);
    assert_int_equal(s[0].len, 3);
    assert_memory_equal(s[0].ptr, "abc", 3);
    assert_int_equal(s[1].len, 0);
    assert_int_equal(s[2].len, 2);
    assert_memory_equal(s[2].ptr, "\xc3\xa9", 2);
    assert_ptr_not_equal(s[0].ptr, (const char *)sb + 4); /* copied into the heap */
    in.n = sizeof sb - 1;
    decode_fails(&in, s, "runs past the page");
    in.count = 4;
    in.n = sizeof sb;
    decode_fails(&in, s, "end after 3 of 4");
    sl_arena_free(&heap);
}

static void test_dictionary_indexes(void **state) {
    (void)state;
    int64_t dict[3] = {10, 20, 30};
    /* width 2: RLE run 3 x 2, then bit-packed 0,1,2,0,... */
    static const uint8_t b[] = {0x02, 0x06, 0x02, 0x03, 0x24, 0x00};
    int64_t out[11];
    pq_values_in in = {.enc = PQ_ENC_RLE_DICTIONARY,
                       .phys = PQ_PHYS_INT64,
                       .p = b,
                       .n = sizeof b,
                       .count = 11,
                       .dict = dict,
                       .ndict = 3};
    decode_ok(&in, out);
    static const int64_t want[] = {30, 30, 30, 10, 20, 30, 10, 10, 10, 10, 10};
    assert_memory_equal(out, want, sizeof want);
    in.ndict = 2;
    decode_fails(&in, out, "dictionary index 2 out of range");
    in.ndict = 3;
    in.dict = NULL;
    decode_fails(&in, out, "without a dictionary page");
    in.dict = dict;
    in.count = 12;
    decode_fails(&in, out, "ends early");
    static const uint8_t wide[] = {33, 0x02, 0x00};
    in.p = wide;
    in.n = sizeof wide;
    decode_fails(&in, out, "bit width 33");
}

static void test_delta_binary_packed(void **state) {
    (void)state;
    /* spec example 1: 1 2 3 4 5 (all miniblock widths 0) */
    static const uint8_t e1[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0};
    int32_t o32[8];
    pq_values_in in = {.enc = PQ_ENC_DELTA_BINARY_PACKED,
                       .phys = PQ_PHYS_INT32,
                       .p = e1,
                       .n = sizeof e1,
                       .count = 5};
    decode_ok(&in, o32);
    for (int i = 0; i < 5; i++) assert_int_equal(o32[i], i + 1);
    /* spec example 2: 7 5 3 1 2 3 4 5: min delta -2, width 2 */
    static const uint8_t e2[] = {0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 0x02, 0, 0,
                                 0,    0xc0, 0x3f, 0,    0,    0,    0,    0, 0};
    int64_t o64[8];
    in = (pq_values_in){.enc = PQ_ENC_DELTA_BINARY_PACKED,
                        .phys = PQ_PHYS_INT64,
                        .p = e2,
                        .n = sizeof e2,
                        .count = 8};
    decode_ok(&in, o64);
    static const int64_t want[] = {7, 5, 3, 1, 2, 3, 4, 5};
    assert_memory_equal(o64, want, sizeof want);
    in.count = 7;
    decode_fails(&in, o64, "holds 8 values, expected 7");
    in.count = 8;
    in.n = sizeof e2 - 1;
    decode_fails(&in, o64, "truncated miniblock");
    static const uint8_t badblock[] = {0x81, 0x01, 0x04, 0x01, 0x00};
    in.p = badblock;
    in.n = sizeof badblock;
    in.count = 1;
    decode_fails(&in, o64, "block size");
    /* the encoding on a type it does not apply to */
    in.phys = PQ_PHYS_DOUBLE;
    decode_fails(&in, o64, "unsupported encoding DELTA_BINARY_PACKED for DOUBLE");
}

static void test_delta_strings(void **state) {
    (void)state;
    sl_arena heap = {0};
    sl_str s[4];
    /* spec: Hello World Foobar ABCDEF; lengths 5 5 6 6 */
    static const uint8_t dl[] = {0x80, 0x01, 0x04, 0x04, 0x0a, 0x00, 0x01, 0,   0,
                                 0,    0x02, 0,    0,    0,    'H',  'e',  'l', 'l',
                                 'o',  'W',  'o',  'r',  'l',  'd',  'F',  'o', 'o',
                                 'b',  'a',  'r',  'A',  'B',  'C',  'D',  'E', 'F'};
    pq_values_in in = {.enc = PQ_ENC_DELTA_LENGTH_BYTE_ARRAY,
                       .phys = PQ_PHYS_BYTE_ARRAY,
                       .p = dl,
                       .n = sizeof dl,
                       .count = 4,
                       .heap = &heap};
    decode_ok(&in, s);
    static const char *w1[] = {"Hello", "World", "Foobar", "ABCDEF"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(s[i].len, strlen(w1[i]));
        assert_memory_equal(s[i].ptr, w1[i], s[i].len);
    }
    in.n = sizeof dl - 1;
    decode_fails(&in, s, "add up to 22 bytes");
    /* spec: axis axle babble babyhood; prefixes 0 2 0 3, suffixes axis le babble yhood */
    static const uint8_t db[] = {
        0x80, 0x01, 0x04, 0x04, 0x00, 0x03, 0x03, 0,    0,    0,    0x44, 0x01, 0,    0,   0,   0,
        0,    0,    0,    0,    0,    0,    0x80, 0x01, 0x04, 0x04, 0x08, 0x03, 0x03, 0,   0,   0,
        0x70, 0x00, 0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    'a',  'x', 'i', 's',
        'l',  'e',  'b',  'a',  'b',  'b',  'l',  'e',  'y',  'h',  'o',  'o',  'd'};
    in = (pq_values_in){.enc = PQ_ENC_DELTA_BYTE_ARRAY,
                        .phys = PQ_PHYS_BYTE_ARRAY,
                        .p = db,
                        .n = sizeof db,
                        .count = 4,
                        .heap = &heap,
                        .heap_budget = 1000};
    decode_ok(&in, s);
    static const char *w2[] = {"axis", "axle", "babble", "babyhood"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(s[i].len, strlen(w2[i]));
        assert_memory_equal(s[i].ptr, w2[i], s[i].len);
    }
    in.heap_budget = 10;
    decode_fails(&in, s, "expand beyond");
    /* a prefix longer than the previous value */
    uint8_t bad[sizeof db];
    memcpy(bad, db, sizeof db);
    bad[4] = 0x02; /* first prefix 1 with no previous value */
    in.p = bad;
    in.heap_budget = 1000;
    decode_fails(&in, s, "prefix length 1 of value 0");
    sl_arena_free(&heap);
}

static void test_byte_stream_split_and_rle_bool(void **state) {
    (void)state;
    float f[2] = {1.5f, -2.25f}, got[2];
    uint8_t raw[8], split[8];
    memcpy(raw, f, 8);
    for (int i = 0; i < 2; i++)
        for (int b = 0; b < 4; b++) split[b * 2 + i] = raw[i * 4 + b];
    pq_values_in in = {
        .enc = PQ_ENC_BYTE_STREAM_SPLIT, .phys = PQ_PHYS_FLOAT, .p = split, .n = 8, .count = 2};
    decode_ok(&in, got);
    assert_true(got[0] == 1.5f && got[1] == -2.25f);
    in.count = 3;
    decode_fails(&in, got, "BYTE_STREAM_SPLIT");
    /* RLE booleans: 4-byte length, then 5 x true and bit-packed 0,1,0,1,... */
    static const uint8_t rb[] = {4, 0, 0, 0, 0x0a, 0x01, 0x03, 0xaa};
    uint8_t bo[13];
    in = (pq_values_in){
        .enc = PQ_ENC_RLE, .phys = PQ_PHYS_BOOLEAN, .p = rb, .n = sizeof rb, .count = 13};
    decode_ok(&in, bo);
    static const uint8_t want[] = {1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 0, 1};
    assert_memory_equal(bo, want, 13);
    in.count = 14;
    decode_fails(&in, bo, "ends early");
    /* unknown encodings are named */
    in.enc = 42;
    decode_fails(&in, bo, "unsupported encoding");
}

static void test_int96(void **state) {
    (void)state;
    /* 2018-11-01T00:00:00.000001Z: Julian day 2458424, 1000 ns into the day;
     * 1969-12-31T23:59:59.999999Z: day 2440587, 86399999999000 ns */
    uint8_t b[36] = {0};
    uint64_t ns[3] = {1000, 86399999999000ull, 86400000000000ull};
    uint32_t jd[3] = {2458424, 2440587, 2440588};
    for (int i = 0; i < 3; i++) {
        memcpy(b + i * 12, &ns[i], 8);
        memcpy(b + i * 12 + 8, &jd[i], 4);
    }
    int64_t out[3];
    pq_values_in in = {.enc = PQ_ENC_PLAIN, .phys = PQ_PHYS_INT96, .p = b, .n = 24, .count = 2};
    decode_ok(&in, out);
    assert_int_equal(out[0], 1541030400000001);
    assert_int_equal(out[1], -1);
    in.n = 23;
    decode_fails(&in, out, "INT96");
    in.n = 36;
    in.count = 3;
    decode_fails(&in, out, "more than a day");
    uint32_t far = 0xffffffffu;
    memcpy(b + 8, &far, 4);
    in.count = 1;
    decode_fails(&in, out, "overflows");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rle_spec_bitpacked),
        cmocka_unit_test(test_rle_runs),
        cmocka_unit_test(test_rle_width0_and_errors),
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_dictionary_indexes),
        cmocka_unit_test(test_delta_binary_packed),
        cmocka_unit_test(test_delta_strings),
        cmocka_unit_test(test_byte_stream_split_and_rle_bool),
        cmocka_unit_test(test_int96),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
