/* etl_quick_i64 (the parse workers' shortcut for integer fields) must give
 * json_to_int64's answer whenever it answers: checked on edge values around
 * 2^53 and INT64, leading zeros, signs, exponents and fractions, strings
 * that hold numbers, and 200,000 random numbers written as integers, as
 * decimals and as strings, each scanned by the real json scanner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "etl/etl_internal.h"

typedef struct seen {
    uint64_t decided, agreed;
} seen;

static int on_rec(void *ctx, const json_value *v, json_pos pos) {
    (void)pos;
    seen *s = ctx;
    int64_t q = 0, slow = 0;
    if (!etl_quick_i64(&v[0], &q)) return 0;
    s->decided++;
    int rc = json_to_int64(&v[0], &slow);
    if (rc != 1 || slow != q)
        fail_msg("%.*s: quick %lld, json_to_int64 rc %d value %lld", (int)v[0].len,
                 v[0].str ? v[0].str : "", (long long)q, rc, (long long)slow);
    s->agreed++;
    return 0;
}

static seen scan(const char *doc) {
    static const char *const keys[] = {"v"};
    json_fields *f = json_fields_new(keys, 1);
    json_scanner *sc = json_scanner_new(f);
    seen s = {0};
    json_callbacks cb = {on_rec, NULL};
    json_scan(sc, (const uint8_t *)doc, strlen(doc), &cb, &s);
    json_scanner_free(sc);
    json_fields_free(f);
    return s;
}

static void test_edges(void **st) {
    (void)st;
    static const char *const vals[] = {"0",
                                       "-0",
                                       "-0.0",
                                       "0.0",
                                       "1",
                                       "-1",
                                       "1790",
                                       "\"1790\"",
                                       "\"0\"",
                                       "\"00\"",
                                       "\"0123\"",
                                       "\"-5\"",
                                       "\"+5\"",
                                       "\" 5\"",
                                       "\"5 \"",
                                       "\"\"",
                                       "\"abc\"",
                                       "\"12a\"",
                                       "1541030406018",
                                       "1541030406018.0",
                                       "1.541030406018e12",
                                       "1.5",
                                       "-2.5",
                                       "1e3",
                                       "1E+3",
                                       "\"1e3\"",
                                       "\"1.0\"",
                                       "9007199254740991",
                                       "-9007199254740991",
                                       "9007199254740992",
                                       "-9007199254740992",
                                       "9007199254740993",
                                       "9007199254740991.9",
                                       "4503599627370495.5",
                                       "4503599627370495.25",
                                       "1.0000000000000001",
                                       "0.9999999999999999999",
                                       "\"123456789012345678\"",
                                       "\"999999999999999999\"",
                                       "\"1234567890123456789\"",
                                       "\"9223372036854775807\"",
                                       "\"9223372036854775808\"",
                                       "9223372036854775807",
                                       "-9223372036854775808",
                                       "1e300",
                                       "-1e300",
                                       "123456789012345678901234567890",
                                       "null",
                                       "true",
                                       "[1]",
                                       "{\"a\":1}",
                                       "\"\\u0031\\u0032\""};
    char doc[256];
    uint64_t decided = 0;
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        snprintf(doc, sizeof doc, "{\"v\":%s}\n", vals[i]);
        decided += scan(doc).decided;
    }
    assert_true(decided >= 20); /* the shortcut is taken on most of them */
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_random(void **st) {
    (void)st;
    sl_buf b = {0};
    for (int i = 0; i < 200000; i++) {
        uint64_t r = next();
        int bits = (int)(next() % 64);
        int64_t x = (int64_t)(r >> (63 - bits)) * ((next() & 1) ? -1 : 1);
        switch (i % 4) {
        case 0: sl_buf_printf(&b, "{\"v\":%lld}\n", (long long)x); break;
        case 1:
            sl_buf_printf(&b, "{\"v\":\"%llu\"}\n", (unsigned long long)(r >> (next() % 64)));
            break;
        case 2: sl_buf_printf(&b, "{\"v\":%lld.%d}\n", (long long)x, (int)(next() % 3) * 5); break;
        default: sl_buf_printf(&b, "{\"v\":%.17g}\n", (double)x * 0.5);
        }
    }
    sl_buf_append(&b, "", 1);
    seen s = scan((const char *)b.data);
    sl_buf_free(&b);
    assert_true(s.decided > 100000);
    assert_int_equal(s.decided, s.agreed);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
