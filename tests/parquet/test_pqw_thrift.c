/* Unit tests for parquet/thrift_enc.c: the thrift compact protocol encoder
 * against bytes computed by hand from the compact protocol spec (varints,
 * zigzag, field-id deltas and the long form, bools in the type nibble,
 * short and long list headers, nested structs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pqw_test.h"

static void test_varint(void **state) {
    (void)state;
    sl_buf b = {0};
    pqw_put_uvarint(&b, 0);
    pqw_put_uvarint(&b, 1);
    pqw_put_uvarint(&b, 127);
    pqw_put_uvarint(&b, 128);
    pqw_put_uvarint(&b, 300);
    pqw_put_uvarint(&b, (uint64_t)1 << 32);
    ASSERT_BYTES(&b, 0x00, 0x01, 0x7F, 0x80, 0x01, 0xAC, 0x02, 0x80, 0x80, 0x80, 0x80, 0x10);
    b.len = 0;
    pqw_put_uvarint(&b, UINT64_MAX); /* 64 bits = 9 x 7 + 1 */
    ASSERT_BYTES(&b, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01);
    sl_buf_free(&b);
}

static void test_zigzag(void **state) {
    (void)state;
    assert_int_equal(pqw_zigzag64(0), 0);
    assert_int_equal(pqw_zigzag64(-1), 1);
    assert_int_equal(pqw_zigzag64(1), 2);
    assert_int_equal(pqw_zigzag64(-2), 3);
    assert_int_equal(pqw_zigzag64(2147483647), 4294967294u);
    assert_int_equal(pqw_zigzag64(-2147483647 - 1), 4294967295u);
    assert_true(pqw_zigzag64(INT64_MIN) == UINT64_MAX);
    assert_true(pqw_zigzag64(INT64_MAX) == UINT64_MAX - 1);
}

static void test_fields(void **state) {
    (void)state;
    sl_buf b = {0};
    pqw_thrift t;
    pqw_tc_init(&t, &b);
    pqw_tc_struct_begin(&t);
    pqw_tc_field_i32(&t, 1, 1);          /* delta 1, I32 (5): 0x15, zigzag(1) = 2 */
    pqw_tc_field_i64(&t, 3, -1);         /* delta 2, I64 (6): 0x26, zigzag(-1) = 1 */
    pqw_tc_field_binary(&t, 4, "ab", 2); /* delta 1, BINARY (8): 0x18, len 2 */
    pqw_tc_field_bool(&t, 5, true);      /* delta 1, TRUE (1) */
    pqw_tc_field_bool(&t, 6, false);     /* delta 1, FALSE (2) */
    pqw_tc_field_i32(&t, 20, 5);         /* delta 14: 0xE5, zigzag(5) = 10 */
    pqw_tc_field_i32(&t, 40, 0);         /* delta 20 > 15: long form 0x05, zigzag(40) = 80 */
    pqw_tc_field_i16(&t, 2, 7);          /* id goes down: long form 0x04, zigzag(2) = 4, 14 */
    pqw_tc_struct_end(&t);
    ASSERT_BYTES(&b, 0x15, 0x02, 0x26, 0x01, 0x18, 0x02, 'a', 'b', 0x11, 0x12, 0xE5, 0x0A, 0x05,
                 0x50, 0x00, 0x04, 0x04, 0x0E, 0x00);
    assert_int_equal(t.depth, 0);
    sl_buf_free(&b);
}

static void test_nested_struct(void **state) {
    (void)state;
    sl_buf b = {0};
    pqw_thrift t;
    pqw_tc_init(&t, &b);
    pqw_tc_struct_begin(&t);
    pqw_tc_field_i32(&t, 1, -3); /* 0x15, zigzag(-3) = 5 */
    pqw_tc_field_struct(&t, 2);  /* delta 1, STRUCT (12): 0x1C */
    pqw_tc_field_i32(&t, 1, 3);  /* inner ids restart at 0: 0x15 0x06 */
    pqw_tc_field_struct(&t, 8);  /* delta 7: 0x7C */
    pqw_tc_struct_end(&t);       /* empty struct: just the stop */
    pqw_tc_struct_end(&t);       /* inner stop */
    pqw_tc_field_i32(&t, 3, 1);  /* outer delta from 2 is 1: 0x15 0x02 */
    pqw_tc_struct_end(&t);
    ASSERT_BYTES(&b, 0x15, 0x05, 0x1C, 0x15, 0x06, 0x7C, 0x00, 0x00, 0x15, 0x02, 0x00);
    sl_buf_free(&b);
}

static void test_lists(void **state) {
    (void)state;
    sl_buf b = {0};
    pqw_thrift t;
    pqw_tc_init(&t, &b);
    pqw_tc_struct_begin(&t);
    pqw_tc_field_list(&t, 1, PQW_TC_I32, 3); /* 0x19, then size 3 << 4 | I32 = 0x35 */
    pqw_tc_i32(&t, 1);
    pqw_tc_i32(&t, -1);
    pqw_tc_i32(&t, 64);                         /* zigzag 128: 0x80 0x01 */
    pqw_tc_field_list(&t, 2, PQW_TC_BINARY, 1); /* 0x19, 0x18 */
    pqw_tc_binary(&t, "x", 1);
    pqw_tc_field_list(&t, 3, PQW_TC_STRUCT, 2); /* 0x19, 0x2C */
    for (int i = 0; i < 2; i++) {
        pqw_tc_struct_begin(&t);
        pqw_tc_field_i32(&t, 1, i); /* 0x15 zigzag(i) */
        pqw_tc_struct_end(&t);
    }
    pqw_tc_field_list(&t, 4, PQW_TC_STRUCT, 0); /* 0x19, 0x0C */
    pqw_tc_struct_end(&t);
    ASSERT_BYTES(&b, 0x19, 0x35, 0x02, 0x01, 0x80, 0x01, 0x19, 0x18, 0x01, 'x', 0x19, 0x2C, 0x15,
                 0x00, 0x00, 0x15, 0x02, 0x00, 0x19, 0x0C, 0x00);

    /* 14 elements still fit the short header; 15 need the long form */
    b.len = 0;
    pqw_tc_init(&t, &b);
    pqw_tc_struct_begin(&t);
    pqw_tc_field_list(&t, 1, PQW_TC_I32, 14);
    pqw_tc_struct_end(&t);
    ASSERT_BYTES(&b, 0x19, 0xE5, 0x00);
    b.len = 0;
    pqw_tc_init(&t, &b);
    pqw_tc_struct_begin(&t);
    pqw_tc_field_list(&t, 1, PQW_TC_I32, 300);
    pqw_tc_struct_end(&t);
    ASSERT_BYTES(&b, 0x19, 0xF5, 0xAC, 0x02, 0x00);
    sl_buf_free(&b);
}

static void test_large_values(void **state) {
    (void)state;
    sl_buf b = {0};
    pqw_thrift t;
    pqw_tc_init(&t, &b);
    pqw_tc_struct_begin(&t);
    pqw_tc_field_i64(&t, 1, INT64_MIN); /* zigzag = 2^64 - 1: ten bytes */
    pqw_tc_field_i32(&t, 2, INT32_MIN); /* zigzag = 2^32 - 1: five bytes */
    pqw_tc_struct_end(&t);
    ASSERT_BYTES(&b, 0x16, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x15, 0xFF,
                 0xFF, 0xFF, 0xFF, 0x0F, 0x00);
    sl_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint), cmocka_unit_test(test_zigzag),
        cmocka_unit_test(test_fields), cmocka_unit_test(test_nested_struct),
        cmocka_unit_test(test_lists),  cmocka_unit_test(test_large_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
