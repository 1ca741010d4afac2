/* json scanner tests: grammar, records, rejects with their reasons and
 * positions, resume-after-error, and robustness on cut or hostile input.
 * Expected logs are written by hand from SPEC.md section 1 (see json_log.h
 * for the notation). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json_log.h"

static const char *const K3[] = {"a", "b", "c"};

#define CHECK(input, expected)                                                                     \
    do {                                                                                           \
        char *got_ = json_log_str(K3, 3, (input));                                                 \
        assert_string_equal(got_, (expected));                                                     \
        free(got_);                                                                                \
    } while (0)

/* like CHECK for inputs holding NUL bytes */
#define CHECKN(input, n, expected)                                                                 \
    do {                                                                                           \
        char *copy_ = malloc(n);                                                                   \
        memcpy(copy_, (input), (n));                                                               \
        char *got_ = json_log(K3, 3, copy_, (n), 0, NULL);                                         \
        assert_string_equal(got_, (expected));                                                     \
        free(got_);                                                                                \
        free(copy_);                                                                               \
    } while (0)

static void t_empty(void **st) {
    (void)st;
    CHECK("", "");
    CHECK("  \n\r\n\t ", "");
    CHECK("\xEF\xBB\xBF", "");
    CHECK("\xEF\xBB\xBF \n", "");
    char *got = json_log(K3, 3, NULL, 0, 0, NULL);
    assert_string_equal(got, "");
    free(got);
}

static void t_values(void **st) {
    (void)st;
    CHECK("{\"a\":1,\"b\":\"x\",\"c\":null}\n{\"b\":true,\"a\":false}\n{}",
          "R1:0 #1=1 \"x\" n\nR2:25 f t -\nR3:46 - - -\n");
    CHECK("{\"a\":[1,{\"x\":[]}],\"b\":{\"k\":\"v\"},\"c\":-0}",
          "R1:0 [[1,{\"x\":[]}]] {{\"k\":\"v\"}} #-0=-0\n");
    CHECK("{ \"a\" : \"\" , \"b\" : [ ] ,\"c\":{ }\t}", "R1:0 \"\" [[ ]] {{ }}\n");
    /* unknown keys of every kind are skipped (and validated) */
    CHECK("{\"z\":{\"deep\":[1,2,{\"q\":\"\\\"}\"}]},\"a\":2,\"y\":\"\\u00e9\",\"x\":[true,null]}",
          "R1:0 #2=2 - -\n");
}

static void t_bom(void **st) {
    (void)st;
    CHECK("\xEF\xBB\xBF{\"a\":1}", "R1:3 #1=1 - -\n");
    /* only at the start of the file */
    CHECK("{\"a\":1}\n\xEF\xBB\xBF{\"a\":2}",
          "R1:0 #1=1 - -\n"
          "X2:8 unexpected character 0xEF at byte 0 of record |\\xEF\\xBB\\xBF{\"a\":2}|\n");
}

static void t_crlf(void **st) {
    (void)st;
    CHECK("{\"a\":1}\r\n{\"a\":2}\r\n{\"a\":\r\n3}\r\n",
          "R1:0 #1=1 - -\nR2:9 #2=2 - -\nR3:18 #3=3 - -\n");
    CHECK("{\"a\":x}\r\n{\"a\":2}\r\n",
          "X1:0 unexpected character 'x' at byte 5 of record |{\"a\":x}|\nR2:9 #2=2 - -\n");
}

static void t_pretty(void **st) {
    (void)st;
    CHECK("{\n  \"a\": 1,\n  \"b\": [\n    1, 2\n  ]\n}\n{\n  \"a\": 2\n}\n",
          "R1:0 #1=1 [[\\x0A    1, 2\\x0A  ]] -\nR7:36 #2=2 - -\n");
}

static void t_concat(void **st) {
    (void)st;
    CHECK("{\"a\":1}{\"a\":2} {\"a\":3}", "R1:0 #1=1 - -\nR1:7 #2=2 - -\nR1:15 #3=3 - -\n");
}

static void t_array(void **st) {
    (void)st;
    CHECK("[{\"a\":1},\n {\"a\":2}, 3, [], {\"a\":\"x\"}]\n[]\n[\n]",
          "R1:1 #1=1 - -\nR2:11 #2=2 - -\nX2:20 not an object |3|\nX2:23 not an object |[]|\n"
          "R2:27 \"x\" - -\n");
    CHECK("[{\"a\":1}", "R1:1 #1=1 - -\nX1:8 truncated record: top-level array not closed ||\n");
    CHECK("[{\"a\":1},]", "R1:1 #1=1 - -\nX1:9 unexpected character ']' at byte 0 of record |]|\n");
    CHECK("[{\"a\":1} {\"a\":2}]",
          "R1:1 #1=1 - -\nX1:9 unexpected character '{' at byte 0 of record |{\"a\":2}]|\n");
    /* an error inside an element: resume at the next line, still in the array */
    CHECK("[\n{\"a\":1},\n{\"a\":?},\n{\"a\":3}\n]",
          "R2:2 #1=1 - -\nX3:11 unexpected character '?' at byte 5 of record |{\"a\":?},|\n"
          "R4:20 #3=3 - -\n");
}

static void t_not_object(void **st) {
    (void)st;
    CHECK("1\n\"s\"\ntrue\nnull [1]",
          "X1:0 record is not a JSON object |1|\nX2:2 record is not a JSON object |\"s\"|\n"
          "X3:6 record is not a JSON object |true|\nX4:11 record is not a JSON object |null|\n"
          "X4:17 not an object |1|\n");
}

static void t_repeated(void **st) {
    (void)st;
    CHECK("{\"a\":1,\"a\":\"two\",\"b\":null,\"b\":3}", "R1:0 \"two\" #3=3 -\n");
    CHECK("{\"a\":1,\"a\":null}", "R1:0 n - -\n");
    CHECK("{\"a\":\"\\n1\",\"a\":\"\\t2\",\"b\":\"\\r3\"}", "R1:0 \"\\x092\" \"\\x0D3\" -\n");
}

static void t_escapes(void **st) {
    (void)st;
    CHECK("{\"a\":\"q\\\"b\\\\s\\/"
          "f\\bf\\fn\\nr\\rt\\tu\\u0041\\u00e9\\u20AC\\ud83d\\ude00\\u0000z\"}",
          "R1:0 \"q\"b\\s/f\\x08f\\x0Cn\\x0Ar\\x0Dt\\x09uA\\xC3\\xA9\\xE2\\x82\\xAC"
          "\\xF0\\x9F\\x98\\x80\\x00z\" - -\n");
    /* keys are matched after decoding */
    CHECK("{\"\\u0061\":1,\"\\\\u0062\":2}", "R1:0 #1=1 - -\n");
    CHECK("{\"a\":\"\\uDBFF\\uDFFF\"}", "R1:0 \"\\xF4\\x8F\\xBF\\xBF\" - -\n");
}

static void t_bad_escapes(void **st) {
    (void)st;
    CHECK("{\"a\":\"\\x\"}\n"
          "{\"a\":\"\\u12G4\"}\n"
          "{\"a\":\"\\ud800\"}\n"
          "{\"a\":\"\\udc00\"}\n"
          "{\"a\":\"\\ud800\\u0041\"}\n"
          "{\"a\":\"\\ud800x\"}\n"
          "{\"a\":\"ok\"}",
          "X1:0 invalid escape |{\"a\":\"\\x\"}|\n"
          "X2:11 invalid escape |{\"a\":\"\\u12G4\"}|\n"
          "X3:26 invalid escape: lone surrogate |{\"a\":\"\\ud800\"}|\n"
          "X4:41 invalid escape: lone surrogate |{\"a\":\"\\udc00\"}|\n"
          "X5:56 invalid escape: lone surrogate |{\"a\":\"\\ud800\\u0041\"}|\n"
          "X6:77 invalid escape: lone surrogate |{\"a\":\"\\ud800x\"}|\n"
          "R7:93 \"ok\" - -\n");
    /* in keys and skipped values too */
    CHECK("{\"\\q\":1}", "X1:0 invalid escape |{\"\\q\":1}|\n");
    CHECK("{\"z\":[\"\\ud800\"]}", "X1:0 invalid escape: lone surrogate |{\"z\":[\"\\ud800\"]}|\n");
    CHECK("{\"a\":\"\\u00", "X1:0 unterminated string |{\"a\":\"\\u00|\n");
    CHECK("{\"a\":\"\\ud800\\u", "X1:0 unterminated string |{\"a\":\"\\ud800\\u|\n");
}

static void t_control(void **st) {
    (void)st;
    CHECK("{\"a\":\"x\ty\"}\n{\"a\":\"open\n{\"a\":1}\n",
          "X1:0 control character 0x09 in string |{\"a\":\"x\\x09y\"}|\n"
          "X2:12 control character 0x0A in string |{\"a\":\"open|\n"
          "R3:23 #1=1 - -\n");
    CHECKN("{\"a\":\"\0\"}", 9, "X1:0 control character 0x00 in string |{\"a\":\"\\x00\"}|\n");
    CHECKN("{\"a\":1}\0{\"a\":2}", 15,
           "R1:0 #1=1 - -\nX1:7 unexpected character 0x00 at byte 0 of record "
           "|\\x00{\"a\":2}|\n");
    /* jansson 2.14 skips a NUL after a number (found by fuzz_json_diff); we do not */
    CHECKN("[1\0]", 4,
           "X1:1 not an object |1|\nX1:2 unexpected character 0x00 at byte 0 of record "
           "|\\x00]|\n");
}

static void t_utf8(void **st) {
    (void)st;
    CHECK("{\"a\":\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF\xEF\xBF\xBF\xC2\x80\"}",
          "R1:0 \"\\xC3\\xA9\\xE2\\x82\\xAC\\xF0\\x9F\\x98\\x80\\xF4\\x8F\\xBF\\xBF"
          "\\xEF\\xBF\\xBF\\xC2\\x80\" - -\n");
    static const char *bad[] = {"\xC0\x80",
                                "\xC1\xBF",
                                "\xE0\x80\x80",
                                "\xE0\x9F\xBF",
                                "\xED\xA0\x80",
                                "\xED\xBF\xBF",
                                "\xF0\x80\x80\x80",
                                "\xF0\x8F\xBF\xBF",
                                "\xF4\x90\x80\x80",
                                "\xF5\x80\x80\x80",
                                "\xFF",
                                "\xFE",
                                "\x80",
                                "\xBF",
                                "\xC3",
                                "\xE2\x82",
                                "\xF0\x9F\x98",
                                "\xC3\xC3\xA9",
                                "\xE2\x28\xA1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        /* in a captured value, an unknown key's value, and a key */
        const char *fmt[] = {"{\"a\":\"x%sy\"}", "{\"zz\":[\"%s\"]}", "{\"%s\":1}"};
        for (int k = 0; k < 3; k++) {
            char in[64];
            snprintf(in, sizeof in, fmt[k], bad[i]);
            char *got = json_log_str(K3, 3, in);
            assert_true(strncmp(got, "X1:0 invalid UTF-8 |", 20) == 0);
            assert_non_null(strchr(got, '\n'));
            assert_null(strchr(got, '\n')[1] ? got : NULL);
            free(got);
        }
    }
    /* cut by the end of the input inside a sequence */
    CHECK("{\"a\":\"\xE2\x82", "X1:0 invalid UTF-8 |{\"a\":\"\\xE2\\x82|\n");
    /* outside strings, non-ASCII is just an unexpected byte */
    CHECK("{\"a\":1,\xC3\xA9}",
          "X1:0 unexpected character 0xC3 at byte 7 of record |{\"a\":1,\\xC3\\xA9}|\n");
}

static void t_numbers_grammar(void **st) {
    (void)st;
    static const char *bad[] = {"01", "-01",  "1.", "1.e5",      "1e", "1e+", "-",  "1.5.3", "0x10",
                                "-a", "1e5e", "2a", "-Infinity", "00", "+1",  ".5", "1E-",   "-.5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char in[64], want[160];
        snprintf(in, sizeof in, "{\"a\":%s}", bad[i]);
        snprintf(want, sizeof want, "X1:0 number out of grammar |%s|\n", in);
        CHECK(in, want);
    }
    CHECK("{\"a\":NaN}", "X1:0 unexpected character 'N' at byte 5 of record |{\"a\":NaN}|\n");
    CHECK("{\"a\":Infinity}",
          "X1:0 unexpected character 'I' at byte 5 of record |{\"a\":Infinity}|\n");
    CHECK("{\"a\":1.", "X1:0 truncated record |{\"a\":1.|\n");
    CHECK("{\"a\":-", "X1:0 truncated record |{\"a\":-|\n");
    CHECK("{\"a\":12", "X1:0 truncated record |{\"a\":12|\n");
    CHECK("{\"a\":0,\"b\":-0.0,\"c\":1.5E+3}", "R1:0 #0=0 #-0.0=-0 #1.5E+3=1500\n");
    CHECK("{\"a\":1e-2,\"b\":100000000000000000000000,\"c\":-12.5e-1}",
          "R1:0 #1e-2=0.01 #100000000000000000000000=9.9999999999999992e+22 "
          "#-12.5e-1=-1.25\n");
    CHECK("{\"a\":1e400,\"b\":1e-400}", "R1:0 #1e400=inf #1e-400=0 -\n");
}

static void t_literals(void **st) {
    (void)st;
    CHECK("{\"a\":tru}", "X1:0 unexpected character '}' at byte 8 of record |{\"a\":tru}|\n");
    CHECK("{\"a\":truex}", "X1:0 unexpected character 'x' at byte 9 of record |{\"a\":truex}|\n");
    CHECK("{\"a\":True}", "X1:0 unexpected character 'T' at byte 5 of record |{\"a\":True}|\n");
    CHECK("{\"a\":nul", "X1:0 truncated record |{\"a\":nul|\n");
    CHECK("{\"a\":true,\"b\":false,\"c\":null}", "R1:0 t f n\n");
}

static char *nested(int depth, const char *pre, const char *post) {
    size_t n = strlen(pre) + strlen(post) + 2 * (size_t)depth + 1;
    char *s = malloc(n);
    strcpy(s, pre);
    size_t o = strlen(pre);
    memset(s + o, '[', (size_t)depth);
    memset(s + o + depth, ']', (size_t)depth);
    strcpy(s + o + 2 * depth, post);
    return s;
}

static void t_depth(void **st) {
    (void)st;
    /* the record is level 1: 511 more levels fit, 512 do not */
    char *in = nested(511, "{\"a\":", "}");
    char *got = json_log_str(K3, 3, in);
    assert_true(strncmp(got, "R1:0 [[[[", 9) == 0);
    free(got);
    free(in);
    in = nested(512, "{\"z\":", "}");
    got = json_log_str(K3, 3, in);
    assert_true(strncmp(got, "X1:0 nesting deeper than 512 levels |", 37) == 0);
    free(got);
    free(in);
    /* a huge depth: rejected, no stack overflow */
    in = nested(1000000, "", "\n{\"a\":1}");
    got = json_log_str(K3, 3, in);
    assert_true(strncmp(got, "X1:1 nesting deeper than 512 levels |", 37) == 0);
    assert_non_null(strstr(got, "\nR2:2000001 #1=1 - -\n"));
    free(got);
    free(in);
}

static void t_resume(void **st) {
    (void)st;
    /* a cut NDJSON line costs only itself */
    CHECK("{\"a\":1\n{\"a\":2}\n",
          "X1:0 unexpected character '{' at byte 7 of record |{\"a\":1|\nR2:7 #2=2 - -\n");
    CHECK("{\"a\":1 x, \"b\":2}\n{\"a\":3}",
          "X1:0 unexpected character 'x' at byte 7 of record |{\"a\":1 x, \"b\":2}|\n"
          "R2:17 #3=3 - -\n");
    CHECK("{\n \"a\": 1,\n \"b\" 2\n}\n{\"a\":4}\n",
          "X1:0 unexpected character '2' at byte 16 of record |{\\x0A \"a\": 1,\\x0A \"b\" 2|\n"
          "X4:18 unexpected character '}' at byte 0 of record |}|\n"
          "R5:20 #4=4 - -\n");
    CHECK("{\"a\":\"abc", "X1:0 unterminated string |{\"a\":\"abc|\n");
    CHECK("{\"a\":1,", "X1:0 truncated record |{\"a\":1,|\n");
    CHECK("{\"a\" 1}\n\n  {\"b\":2}",
          "X1:0 unexpected character '1' at byte 5 of record |{\"a\" 1}|\nR3:11 - #2=2 -\n");
}

static void t_stop(void **st) {
    (void)st;
    const char *in = "{\"a\":1}\n{\"a\":2}\n{\"a\":3}";
    int rc = 0;
    char *got = json_log(K3, 3, in, strlen(in), 2, &rc);
    assert_int_equal(rc, 7);
    assert_string_equal(got, "R1:0 #1=1 - -\nR2:8 #2=2 - -\n");
    free(got);
}

static int count_record(void *ctx, const json_value *v, json_pos pos) {
    (void)v, (void)pos;
    ((int *)ctx)[0]++;
    return 0;
}

static int stop_on_reject(void *ctx, json_pos pos, const char *r, const char *raw, size_t n) {
    (void)pos, (void)r, (void)raw, (void)n;
    ((int *)ctx)[1]++;
    return 9;
}

/* keys are predicted from the previous record's order: changing orders,
 * look-alike keys at the same place, and records with more keys than the
 * prediction covers all resolve to the right slot */
static void t_key_order(void **st) {
    (void)st;
    sl_buf in = {0}, want = {0};
    sl_buf_printf(&in, "{\"a\":1,\"b\":2}\n{\"b\":3,\"a\":4}\n{\"aa\":5,\"a\":6}\n"
                       "{\"c\":7,\"bb\":8}\n{");
    for (int i = 0; i < 40; i++) sl_buf_printf(&in, "\"k%d\":%d,", i, i);
    sl_buf_printf(&in, "\"c\":9}\n{");
    for (int i = 0; i < 40; i++) sl_buf_printf(&in, "\"k%d\":%d,", i, i);
    sl_buf_printf(&in, "\"b\":10,\"a\":11,\"c\":12}");
    sl_buf_putc(&in, 0);
    char *got = json_log_str(K3, 3, (const char *)in.data);
    const char *nl = (const char *)in.data;
    size_t off[6] = {0};
    for (int r = 1; r < 6; r++) off[r] = (size_t)(strchr(nl + off[r - 1], '\n') - nl) + 1;
    sl_buf_printf(&want,
                  "R1:%zu #1=1 #2=2 -\nR2:%zu #4=4 #3=3 -\nR3:%zu #6=6 - -\nR4:%zu - - #7=7\n"
                  "R5:%zu - - #9=9\nR6:%zu #11=11 #10=10 #12=12\n",
                  off[0], off[1], off[2], off[3], off[4], off[5]);
    sl_buf_putc(&want, 0);
    assert_string_equal(got, (const char *)want.data);
    free(got);
    sl_buf_free(&in);
    sl_buf_free(&want);
}

/* a non-zero on_reject stops the scan too; NULL callbacks are allowed */
static void t_stop_on_reject(void **st) {
    (void)st;
    const char *in = "{\"a\":1}\n{\"a\":x}\n{\"a\":3}\n";
    json_fields *f = json_fields_new(K3, 3);
    json_scanner *s = json_scanner_new(f);
    int seen[2] = {0, 0};
    json_callbacks cb = {count_record, stop_on_reject};
    assert_int_equal(json_scan(s, (const uint8_t *)in, strlen(in), &cb, seen), 9);
    assert_int_equal(seen[0], 1);
    assert_int_equal(seen[1], 1);
    json_callbacks none = {NULL, NULL};
    assert_int_equal(json_scan(s, (const uint8_t *)in, strlen(in), &none, NULL), 0);
    json_scanner_free(s);
    json_fields_free(f);
}

/* Every prefix of a document scans without reading past its end (ASan) and
 * accounts for each started record. */
static void t_prefixes(void **st) {
    (void)st;
    const char *doc = "\xEF\xBB\xBF[{\"a\":\"x\\u00e9\\ud83d\\ude00\xC3\xA9\",\"b\":-1.5e-3,\n"
                      "\"c\":[true,false,null,{\"k\":\"v\"}]}, {\"a\":1E21}]\n"
                      "{\"b\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}\r\n";
    size_t len = strlen(doc);
    for (size_t n = 0; n <= len; n++) {
        char *copy = malloc(n ? n : 1);
        memcpy(copy, doc, n);
        char *got = json_log(K3, 3, copy, n, 0, NULL);
        if (n > 3) assert_true(got[0] == 'R' || got[0] == 'X');
        free(got);
        free(copy);
    }
    char *got = json_log_str(K3, 3, doc);
    assert_string_equal(got, "R1:4 \"x\\xC3\\xA9\\xF0\\x9F\\x98\\x80\\xC3\\xA9\" #-1.5e-3=-0.0015 "
                             "[[true,false,null,{\"k\":\"v\"}]]\n"
                             "R2:80 #1E21=1e+21 - -\n"
                             "R3:92 - \"\"\\/\\x08\\x0C\\x0A\\x0D\\x09\" -\n");
    free(got);
}

/* Decoded strings stay valid while scratch grows during the record. */
static void t_scratch(void **st) {
    (void)st;
    sl_buf in = {0}, want = {0};
    sl_buf_printf(&in, "{\"a\":\"\\n");
    for (int i = 0; i < 3000; i++) sl_buf_putc(&in, 'x');
    sl_buf_printf(&in, "\",\"b\":\"\\t");
    for (int i = 0; i < 70000; i++) sl_buf_putc(&in, 'y');
    sl_buf_printf(&in, "\",\"c\":\"\\u0041\"}");
    sl_buf_putc(&in, 0);
    sl_buf_printf(&want, "R1:0 \"\\x0A");
    for (int i = 0; i < 3000; i++) sl_buf_putc(&want, 'x');
    sl_buf_printf(&want, "\" \"\\x09");
    for (int i = 0; i < 70000; i++) sl_buf_putc(&want, 'y');
    sl_buf_printf(&want, "\" \"A\"\n");
    sl_buf_putc(&want, 0);
    CHECK((const char *)in.data, (const char *)want.data);
    sl_buf_free(&in);
    sl_buf_free(&want);
}

static void t_fields(void **st) {
    (void)st;
    static const char *const dup[] = {"a", "", "a", "bb"};
    char *got = json_log_str(dup, 4, "{\"bb\":\"\\u0062\",\"a\":\"\\n\",\"\":5}");
    assert_string_equal(got, "R1:0 \"\\x0A\" #5=5 \"\\x0A\" \"b\"\n");
    free(got);
    got = json_log_str(NULL, 0, "{\"a\":1}\n[{}]");
    assert_string_equal(got, "R1:0\nR2:9\n");
    free(got);
}

/* Deterministic mutations of a real event line: every outcome is a record
 * or a reject, never a crash or an over-read. */
static void t_mutations(void **st) {
    (void)st;
    const char *line =
        "{\"artist\":\"Stephen Lynch\",\"auth\":\"Logged In\",\"itemInSession\":0,"
        "\"length\":182.85669,\"page\":\"NextSong\",\"registration\":1540991795796.0,"
        "\"userAgent\":\"Mozilla\\/5.0 (compatible)\",\"userId\":\"91\",\"ts\":1543537327796}\n";
    static const char *const keys[] = {"artist", "length", "ts", "userId", "userAgent"};
    size_t len = strlen(line);
    uint64_t x = 88172645463325252u;
    char *buf = malloc(len);
    for (int it = 0; it < 20000; it++) {
        memcpy(buf, line, len);
        for (int m = 0; m < 1 + it % 3; m++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[x % len] = (char)(x >> 32);
        }
        char *got = json_log(keys, 5, buf, len, 0, NULL);
        assert_true(got[0] == 'R' || got[0] == 'X' || got[0] == 0);
        free(got);
    }
    free(buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_empty),
        cmocka_unit_test(t_values),
        cmocka_unit_test(t_bom),
        cmocka_unit_test(t_crlf),
        cmocka_unit_test(t_pretty),
        cmocka_unit_test(t_concat),
        cmocka_unit_test(t_array),
        cmocka_unit_test(t_not_object),
        cmocka_unit_test(t_repeated),
        cmocka_unit_test(t_escapes),
        cmocka_unit_test(t_bad_escapes),
        cmocka_unit_test(t_control),
        cmocka_unit_test(t_utf8),
        cmocka_unit_test(t_numbers_grammar),
        cmocka_unit_test(t_literals),
        cmocka_unit_test(t_depth),
        cmocka_unit_test(t_resume),
        cmocka_unit_test(t_stop),
        cmocka_unit_test(t_stop_on_reject),
        cmocka_unit_test(t_key_order),
        cmocka_unit_test(t_prefixes),
        cmocka_unit_test(t_scratch),
        cmocka_unit_test(t_fields),
        cmocka_unit_test(t_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
