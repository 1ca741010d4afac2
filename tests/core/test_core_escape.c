/* Text that reaches terminals and files (issue 16): sl_escape_name's
 * reversible form, control bytes escaped in every error message,
 * sl_buf_json_str_max cutting after escaping, sl_url_redact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

static void t_escape_name(void **state) {
    (void)state;
    sl_buf b = {0};
    sl_escape_name(&b, "a\\b\xff\x1b[2J\x7f"
                       "caf\xc3\xa9 \xe6\x97\xa5");
    assert_string_equal((char *)b.data, "a\\\\b\\xFF\\x1B[2J\\x7F"
                                        "caf\xc3\xa9 \xe6\x97\xa5");
    b.len = 0;
    sl_escape_name(&b, "\xc0\xaf\xed\xa0\x80"); /* overlong, surrogate */
    assert_string_equal((char *)b.data, "\\xC0\\xAF\\xED\\xA0\\x80");
    sl_buf_free(&b);
}

static void t_err_escaped(void **state) {
    (void)state;
    sl_err e = {{0}};
    sl_err_set(&e, "%s: bad", "x\x1b[2J\x07y\xc2\x9b.json");
    assert_string_equal(e.msg, "x\\x1B[2J\\x07y\\xC2\\x9B.json: bad"); /* C1 CSI too */
    sl_err_prefix(&e, "in \x1b");
    assert_string_equal(e.msg, "in \\x1B: x\\x1B[2J\\x07y\\xC2\\x9B.json: bad");
    sl_err_errno(&e, 2, "caf\xc3\xa9\n");
    assert_string_equal(e.msg, "caf\xc3\xa9\\x0A: No such file or directory");
}

static void t_json_max(void **state) {
    (void)state;
    sl_buf b = {0};
    sl_buf_json_str_max(&b, "\x01\x01\x01", 3, 13); /* 6 bytes each: two fit */
    assert_int_equal(b.len, 2 + 12);
    assert_memory_equal(b.data, "\"\\u0001\\u0001\"", b.len);
    b.len = 0;
    sl_buf_json_str_max(&b, "ab\xc3\xa9z", 5, 3); /* never inside a UTF-8 sequence */
    assert_memory_equal(b.data, "\"ab\"", b.len);
    b.len = 0;
    sl_buf_json_str_max(&b, "a\"b", 3, 2);
    assert_memory_equal(b.data, "\"a\"", b.len);
    b.len = 0;
    sl_buf_json_str(&b, "a\"b", 3);
    assert_memory_equal(b.data, "\"a\\\"b\"", b.len);
    sl_buf_free(&b);
}

static void t_redact(void **state) {
    (void)state;
    const char *cases[][2] = {
        {"http://user:secret@host:9000/x?a=b@c", "http://host:9000/x?a=b@c"},
        {"https://a@b@host", "https://host"},
        {"http://host:9000", "http://host:9000"},
        {"s3://bucket/key@x", "s3://bucket/key@x"},
        {"/local/path@x", "/local/path@x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *r = sl_url_redact(cases[i][0]);
        assert_string_equal(r, cases[i][1]);
        free(r);
    }
    assert_null(sl_url_redact(NULL));
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(t_escape_name),
                                       cmocka_unit_test(t_err_escaped),
                                       cmocka_unit_test(t_json_max), cmocka_unit_test(t_redact)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
