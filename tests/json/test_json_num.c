/* json number tests: values equal strtod's on hand-picked hard cases and on
 * many random decimal strings (fast path and fallback), locale independence,
 * and the SPEC.md section 1 conversions (integer, double, text). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <locale.h>
#include <math.h>

#include <cmocka.h>

#include "json_log.h"

/* Scans {"a":<val>} and applies the conversions inside the callback, where
 * the value's pointers are valid. */
typedef struct conv {
    int seen;
    json_value v;
    int rc_i, rc_d, rc_t;
    int64_t i;
    double d;
    char text[256];
    uint32_t tlen;
    bool tnull;
} conv;

static int conv_record(void *ctx, const json_value *v, json_pos pos) {
    (void)pos;
    conv *c = ctx;
    sl_str t = {0};
    c->seen++;
    c->v = v[0];
    c->rc_i = json_to_int64(&v[0], &c->i);
    c->rc_d = json_to_double(&v[0], &c->d);
    c->rc_t = json_to_text(&v[0], &t);
    c->tnull = t.ptr == NULL;
    c->tlen = t.len;
    if (t.ptr && t.len < sizeof c->text) memcpy(c->text, t.ptr, t.len);
    return 0;
}

static int conv_reject(void *ctx, json_pos pos, const char *r, const char *raw, size_t n) {
    (void)ctx, (void)pos, (void)raw, (void)n;
    fail_msg("unexpected reject: %s", r);
    return 0;
}

static conv run(const char *val) {
    static const char *const keys[] = {"a"};
    json_fields *f = json_fields_new(keys, 1);
    json_scanner *s = json_scanner_new(f);
    conv c;
    memset(&c, 0, sizeof c);
    char *in = val ? sl_sprintf("{\"a\":%s}", val) : sl_sprintf("{}");
    json_callbacks cb = {conv_record, conv_reject};
    json_scan(s, (const uint8_t *)in, strlen(in), &cb, &c);
    assert_int_equal(c.seen, 1);
    free(in);
    json_scanner_free(s);
    json_fields_free(f);
    return c;
}

static void expect_int(const char *val, int rc, int64_t want) {
    conv c = run(val);
    if (c.rc_i != rc)
        fail_msg("json_to_int64(%s) = %d, want %d", val ? val : "missing", c.rc_i, rc);
    if (rc == 1 && c.i != want) fail_msg("json_to_int64(%s) gave %lld", val, (long long)c.i);
}

static void expect_dbl(const char *val, int rc, double want) {
    conv c = run(val);
    if (c.rc_d != rc)
        fail_msg("json_to_double(%s) = %d, want %d", val ? val : "missing", c.rc_d, rc);
    if (rc == 1 && memcmp(&c.d, &want, sizeof want) != 0)
        fail_msg("json_to_double(%s) gave %.17g", val, c.d);
}

static void expect_text(const char *val, int rc, const char *want) {
    conv c = run(val);
    if (c.rc_t != rc) fail_msg("json_to_text(%s) = %d, want %d", val ? val : "missing", c.rc_t, rc);
    if (rc == 1) {
        assert_false(c.tnull);
        assert_int_equal(c.tlen, strlen(want));
        assert_memory_equal(c.text, want, c.tlen);
    }
}

static void t_to_int64(void **st) {
    (void)st;
    expect_int("39", 1, 39);
    expect_int("\"39\"", 1, 39);
    expect_int("\" 39\\t\"", 1, 39);
    expect_int("1.541078e+12", 1, INT64_C(1541078000000));
    expect_int("\"1.541078e+12\"", 1, INT64_C(1541078000000));
    expect_int("1540991795796.0", 1, INT64_C(1540991795796));
    expect_int("39.0", 1, 39);
    expect_int("-0", 1, 0);
    expect_int("1e18", 1, INT64_C(1000000000000000000));
    expect_int("9223372036854775807", 1, INT64_MAX);
    expect_int("-9223372036854775808", 1, INT64_MIN);
    expect_int("\"-9223372036854775808\"", 1, INT64_MIN);
    expect_int("-9223372036854775808.0", 1, INT64_MIN);
    expect_int("9223372036854775808", -1, 0);
    expect_int("-9223372036854775809", -1, 0);
    expect_int("12345678901234567890", -1, 0);
    expect_int("9223372036854775807.0", -1, 0); /* the double is 2^63 */
    expect_int("9.3e18", -1, 0);
    expect_int("-9.3e18", -1, 0);
    expect_int("1e400", -1, 0);
    expect_int("1.5", -1, 0);
    expect_int("\"1.5\"", -1, 0);
    expect_int("\"\"", 0, 0);
    expect_int("\"  \"", 0, 0);
    expect_int("null", 0, 0);
    expect_int(NULL, 0, 0);
    expect_int("true", -1, 0);
    expect_int("false", -1, 0);
    expect_int("[1]", -1, 0);
    expect_int("{}", -1, 0);
    expect_int("\"abc\"", -1, 0);
    expect_int("\"39x\"", -1, 0);
    expect_int("\"+39\"", -1, 0);
    expect_int("\"039\"", -1, 0);
    expect_int("\"0x10\"", -1, 0);
    expect_int("\"NaN\"", -1, 0);
    expect_int("\"3 9\"", -1, 0);
}

static void t_to_double(void **st) {
    (void)st;
    expect_dbl("1.5", 1, 1.5);
    expect_dbl("\"1.5\"", 1, 1.5);
    expect_dbl("\"\\u0031.5\"", 1, 1.5);
    expect_dbl("\"-0\"", 1, -0.0);
    expect_dbl("-0", 1, -0.0);
    expect_dbl("\"1e-400\"", 1, 0.0);
    expect_dbl("182.85669", 1, strtod("182.85669", NULL));
    expect_dbl("\"\"", 0, 0);
    expect_dbl("null", 0, 0);
    expect_dbl(NULL, 0, 0);
    expect_dbl("true", -1, 0);
    expect_dbl("\"abc\"", -1, 0);
    expect_dbl("\"Infinity\"", -1, 0);
    expect_dbl("\"1e400\"", -1, 0);
    expect_dbl("1e400", -1, 0);
    expect_dbl("[1]", -1, 0);
    expect_dbl("{\"x\":1}", -1, 0);
}

static void t_to_text(void **st) {
    (void)st;
    expect_text("\"x\\ty\"", 1, "x\ty");
    expect_text("\"\"", 1, "");
    expect_text("12.50", 1, "12.50");
    expect_text("-1E+2", 1, "-1E+2");
    expect_text("true", 1, "true");
    expect_text("false", 1, "false");
    expect_text("null", 0, NULL);
    expect_text(NULL, 0, NULL);
    expect_text("[1]", -1, NULL);
    expect_text("{}", -1, NULL);
}

/* our value for text (as a JSON number in a record) and strtod's agree */
static void same_as_strtod(const char *text) {
    conv c = run(text);
    assert_int_equal(c.v.type, JSON_NUMBER);
    double want = strtod(text, NULL);
    if (memcmp(&c.v.num, &want, sizeof want) != 0)
        fail_msg("%s: got %a, strtod %a", text, c.v.num, want);
}

static void t_exact_cases(void **st) {
    (void)st;
    static const char *cases[] = {
        "0",
        "-0",
        "0.0",
        "1",
        "0.1",
        "0.2",
        "0.3",
        "1e22",
        "1e23",
        "9007199254740992",
        "9007199254740993",
        "9007199254740993.0",
        "9007199254740995",
        "2.2250738585072011e-308",
        "2.2250738585072014e-308",
        "4.9e-324",
        "2.4e-324",
        "2.5e-324",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "123456789012345678",
        "1234567890123456789",
        "12345678901234567890",
        "0.000000000000000000000000000001",
        "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203124",
        "7.2057594037927933e16",
        "3.0000000000000004",
        "1448997445238699",
        "1e-22",
        "1e-23",
        "4503599627370497.5",
        "1540991795796.0",
        "182.85669",
        "1543537327796",
        "-12.5e-1",
        "100000000000000000000000000000000000000000000000000000000000000000000000000e-75"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) same_as_strtod(cases[i]);
}

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static void t_exact_random(void **st) {
    (void)st;
    char text[128];
    for (int it = 0; it < 200000; it++) {
        size_t n = 0;
        if (next() & 1) text[n++] = '-';
        int ilen = 1 + (int)(next() % (it % 3 ? 17 : 25));
        text[n++] = (char)('1' + next() % 9);
        if (next() % 8 == 0) n--, text[n++] = '0', ilen = 1;
        for (int k = 1; k < ilen; k++) text[n++] = (char)('0' + next() % 10);
        if (next() & 1) {
            text[n++] = '.';
            int flen = 1 + (int)(next() % 20);
            for (int k = 0; k < flen; k++) text[n++] = (char)('0' + next() % 10);
        }
        if (next() % 3 == 0) {
            text[n++] = next() & 1 ? 'e' : 'E';
            if (next() & 1) text[n++] = next() & 1 ? '-' : '+';
            n += (size_t)snprintf(text + n, sizeof text - n, "%d",
                                  (int)(next() % (it % 2 ? 30 : 340)));
        }
        text[n] = 0;
        same_as_strtod(text);
        /* the same text inside a string, through json_to_double */
        char quoted[140];
        snprintf(quoted, sizeof quoted, "\"%s\"", text);
        conv c = run(quoted);
        double want = strtod(text, NULL);
        if (isfinite(want)) {
            assert_int_equal(c.rc_d, 1);
            assert_memory_equal(&c.d, &want, sizeof want);
        } else {
            assert_int_equal(c.rc_d, -1);
        }
    }
}

/* A process locale with a decimal comma must not change how numbers read. */
static void t_locale(void **st) {
    (void)st;
    static const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
                                  "fr_FR.utf8",  "de_DE",      "fr_FR"};
    const char *set = NULL;
    for (size_t i = 0; i < sizeof names / sizeof *names && !set; i++)
        set = setlocale(LC_NUMERIC, names[i]);
    if (!set) skip();                          /* no such locale installed */
    conv c = run("1.50000000000000000000001"); /* too many digits: the strtod path */
    setlocale(LC_NUMERIC, "C");
    assert_true(c.v.num == 1.5);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_to_int64),     cmocka_unit_test(t_to_double),
        cmocka_unit_test(t_to_text),      cmocka_unit_test(t_exact_cases),
        cmocka_unit_test(t_exact_random), cmocka_unit_test(t_locale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
