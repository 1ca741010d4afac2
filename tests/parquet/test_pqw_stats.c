/* Unit tests for parquet/stats.c: the Statistics struct bytes for each type
 * and the format's edge rules: NaN excluded, a zero min written as -0.0 and
 * a zero max as +0.0, no min/max when all values are null or NaN, strings
 * compared as unsigned bytes (empty string is the least), booleans false <
 * true, legacy min/max only where signed order is the type's order,
 * oversized values left out. Expected bytes are computed by hand from parquet.thrift field ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "pqw_test.h"

/* Encodes s as field 1 of a fresh struct: header 0x1C, then Statistics. */
static void encode(const pqw_stats *s, sl_buf *b) {
    b->len = 0;
    pqw_thrift t;
    pqw_tc_init(&t, b);
    pqw_tc_struct_begin(&t);
    pqw_stats_encode(s, &t, 1);
    pqw_tc_struct_end(&t);
}

static void test_int32(void **state) {
    (void)state;
    pqw_stats s;
    pqw_stats_init(&s, PQ_INT32);
    const int32_t v[] = {3, -1, 5, 0};
    for (int i = 0; i < 4; i++) pqw_stats_int(&s, v[i]);
    s.null_count = 2;
    sl_buf b = {0};
    encode(&s, &b);
    /* 1: max (legacy) 0x18 len 4; 2: min (legacy); 3: null_count i64 0x16 zigzag(2);
     * 5: max_value delta 2 -> 0x28; 6: min_value 0x18; stop; outer stop */
    ASSERT_BYTES(&b, 0x1C, 0x18, 0x04, 0x05, 0x00, 0x00, 0x00, 0x18, 0x04, 0xFF, 0xFF, 0xFF, 0xFF,
                 0x16, 0x04, 0x28, 0x04, 0x05, 0x00, 0x00, 0x00, 0x18, 0x04, 0xFF, 0xFF, 0xFF, 0xFF,
                 0x00, 0x00);
    sl_buf_free(&b);
    pqw_stats_free(&s);
}

static void test_int64_extremes(void **state) {
    (void)state;
    pqw_stats s;
    pqw_stats_init(&s, PQ_TIMESTAMP_US);
    pqw_stats_int(&s, 0);
    pqw_stats_int(&s, INT64_MAX);
    pqw_stats_int(&s, INT64_MIN);
    assert_true(s.imin == INT64_MIN && s.imax == INT64_MAX);
    sl_buf b = {0};
    encode(&s, &b);
    ASSERT_BYTES(&b, 0x1C, 0x18, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x18, 0x08,
                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x16, 0x00, 0x28, 0x08, 0xFF, 0xFF,
                 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x18, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                 0x00, 0x80, 0x00, 0x00);
    sl_buf_free(&b);
    pqw_stats_free(&s);
}

/* min_value and max_value of an encoded DOUBLE Statistics, or false. */
static bool double_minmax(const sl_buf *b, double *mn, double *mx) {
    /* layout when present: 1C 18 08 <max> 18 08 <min> 16 nc 28 08 <max> 18 08 <min> 00 00 */
    if (b->len != 45 || b->data[1] != 0x18) return false;
    assert_int_equal(b->data[21], 0x16);
    assert_int_equal(b->data[23], 0x28);
    assert_int_equal(b->data[33], 0x18);
    memcpy(mx, b->data + 25, 8);
    memcpy(mn, b->data + 35, 8);
    double lmx, lmn; /* the legacy pair says the same */
    memcpy(&lmx, b->data + 3, 8);
    memcpy(&lmn, b->data + 13, 8);
    assert_memory_equal(&lmx, mx, 8);
    assert_memory_equal(&lmn, mn, 8);
    return true;
}

static void test_double_rules(void **state) {
    (void)state;
    pqw_stats s;
    pqw_stats_init(&s, PQ_DOUBLE);
    sl_buf b = {0};
    double mn, mx;

    /* NaN first and last is ignored; +0.0 as min is written as -0.0 */
    const double a[] = {NAN, 0.0, 3.5, NAN};
    for (int i = 0; i < 4; i++) pqw_stats_double(&s, a[i]);
    encode(&s, &b);
    assert_true(double_minmax(&b, &mn, &mx));
    assert_true(mn == 0.0 && signbit(mn));
    assert_true(mx == 3.5);

    /* only zeros: min -0.0, max +0.0 whatever came first */
    pqw_stats_reset(&s);
    pqw_stats_double(&s, -0.0);
    pqw_stats_double(&s, 0.0);
    pqw_stats_double(&s, -0.0);
    encode(&s, &b);
    assert_true(double_minmax(&b, &mn, &mx));
    assert_true(mn == 0.0 && signbit(mn));
    assert_true(mx == 0.0 && !signbit(mx));

    /* -0.0 as max becomes +0.0 */
    pqw_stats_reset(&s);
    pqw_stats_double(&s, -2.0);
    pqw_stats_double(&s, -0.0);
    encode(&s, &b);
    assert_true(double_minmax(&b, &mn, &mx));
    assert_true(mn == -2.0);
    assert_true(mx == 0.0 && !signbit(mx));

    /* infinities are ordinary values */
    pqw_stats_reset(&s);
    pqw_stats_double(&s, INFINITY);
    pqw_stats_double(&s, -INFINITY);
    pqw_stats_double(&s, 1.0);
    encode(&s, &b);
    assert_true(double_minmax(&b, &mn, &mx));
    assert_true(isinf(mn) && mn < 0 && isinf(mx) && mx > 0);

    /* all NaN: null_count only (field 3, delta 3 from 0: 0x36) */
    pqw_stats_reset(&s);
    pqw_stats_double(&s, NAN);
    pqw_stats_double(&s, -NAN);
    s.null_count = 1;
    encode(&s, &b);
    ASSERT_BYTES(&b, 0x1C, 0x36, 0x02, 0x00, 0x00);
    sl_buf_free(&b);
    pqw_stats_free(&s);
}

static void test_all_null(void **state) {
    (void)state;
    const pq_type types[] = {PQ_BOOLEAN, PQ_INT32, PQ_INT64, PQ_DOUBLE, PQ_STRING, PQ_TIMESTAMP_US};
    sl_buf b = {0};
    for (int k = 0; k < 6; k++) {
        pqw_stats s;
        pqw_stats_init(&s, types[k]);
        s.null_count = 300; /* zigzag 600: 0xD8 0x04 */
        encode(&s, &b);
        ASSERT_BYTES(&b, 0x1C, 0x36, 0xD8, 0x04, 0x00, 0x00);
        pqw_stats_free(&s);
    }
    sl_buf_free(&b);
}

static void test_strings(void **state) {
    (void)state;
    pqw_stats s;
    pqw_stats_init(&s, PQ_STRING);
    pqw_stats_str(&s, "b", 1);
    pqw_stats_str(&s, "\xc3\xa9", 2); /* > "z" as unsigned bytes */
    pqw_stats_str(&s, "", 0);         /* the least of all */
    pqw_stats_str(&s, "ab", 2);
    pqw_stats_str(&s, "z", 1);
    sl_buf b = {0};
    encode(&s, &b);
    /* no legacy fields for unsigned order: 3 null_count 0; 5 max 0x28; 6 min 0x18 len 0 */
    ASSERT_BYTES(&b, 0x1C, 0x36, 0x00, 0x28, 0x02, 0xC3, 0xA9, 0x18, 0x00, 0x00, 0x00);

    /* a prefix sorts first: "ab" < "abc" */
    pqw_stats_reset(&s);
    pqw_stats_str(&s, "abc", 3);
    pqw_stats_str(&s, "ab", 2);
    encode(&s, &b);
    ASSERT_BYTES(&b, 0x1C, 0x36, 0x00, 0x28, 0x03, 'a', 'b', 'c', 0x18, 0x02, 'a', 'b', 0x00, 0x00);

    /* oversized min or max: min/max are left out, null_count stays */
    pqw_stats_reset(&s);
    char *big = malloc(PQW_STATS_MAX_VALUE_BYTES + 1);
    memset(big, 'q', PQW_STATS_MAX_VALUE_BYTES + 1);
    pqw_stats_str(&s, "a", 1);
    pqw_stats_str(&s, big, PQW_STATS_MAX_VALUE_BYTES + 1);
    encode(&s, &b);
    ASSERT_BYTES(&b, 0x1C, 0x36, 0x00, 0x00, 0x00);
    /* exactly the limit is still written */
    pqw_stats_reset(&s);
    pqw_stats_str(&s, big, PQW_STATS_MAX_VALUE_BYTES);
    encode(&s, &b);
    assert_int_equal(b.len, 1 + 2 + 2 * (1 + 2 + PQW_STATS_MAX_VALUE_BYTES) + 2);
    free(big);
    sl_buf_free(&b);
    pqw_stats_free(&s);
}

static void test_boolean(void **state) {
    (void)state;
    pqw_stats s;
    pqw_stats_init(&s, PQ_BOOLEAN);
    pqw_stats_int(&s, 1);
    pqw_stats_int(&s, 0);
    pqw_stats_int(&s, 1);
    sl_buf b = {0};
    encode(&s, &b);
    /* legacy max (1) and min (2) too: signed order is the boolean order */
    ASSERT_BYTES(&b, 0x1C, 0x18, 0x01, 0x01, 0x18, 0x01, 0x00, 0x16, 0x00, 0x28, 0x01, 0x01, 0x18,
                 0x01, 0x00, 0x00, 0x00);
    pqw_stats_reset(&s);
    pqw_stats_int(&s, 1);
    encode(&s, &b);
    ASSERT_BYTES(&b, 0x1C, 0x18, 0x01, 0x01, 0x18, 0x01, 0x01, 0x16, 0x00, 0x28, 0x01, 0x01, 0x18,
                 0x01, 0x01, 0x00, 0x00);
    sl_buf_free(&b);
    pqw_stats_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int32),        cmocka_unit_test(test_int64_extremes),
        cmocka_unit_test(test_double_rules), cmocka_unit_test(test_all_null),
        cmocka_unit_test(test_strings),      cmocka_unit_test(test_boolean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
