/* The jansson half of fuzz_json_diff (see fuzz_json_diff.c). */
#include <jansson.h>
#include <string.h>

#include "fuzz_json_diff.h"

static int is_ws(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int emit_object(json_t *obj, const char *const *keys, size_t nkeys, jd_event_fn fn,
                       void *ctx) {
    jkey k[16];
    memset(k, 0, sizeof k);
    for (size_t i = 0; i < nkeys && i < 16; i++) {
        json_t *j = json_object_getn(obj, keys[i], strlen(keys[i]));
        k[i].node = j;
        if (!j)
            k[i].kind = JK_MISSING;
        else if (json_is_null(j))
            k[i].kind = JK_NULL;
        else if (json_is_true(j))
            k[i].kind = JK_TRUE;
        else if (json_is_false(j))
            k[i].kind = JK_FALSE;
        else if (json_is_integer(j))
            k[i].kind = JK_INT, k[i].i = json_integer_value(j);
        else if (json_is_real(j))
            k[i].kind = JK_REAL, k[i].d = json_real_value(j);
        else if (json_is_string(j))
            k[i].kind = JK_STRING, k[i].s = json_string_value(j), k[i].len = json_string_length(j);
        else if (json_is_array(j))
            k[i].kind = JK_ARRAY;
        else
            k[i].kind = JK_OBJECT;
    }
    return fn(ctx, 1, k);
}

int jd_expect(const uint8_t *buf, size_t len, const char *const *keys, size_t nkeys, jd_event_fn fn,
              void *ctx) {
    size_t off = len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3) ? 3 : 0;
    /* jansson 2.14 ignores a NUL byte right after a number or a literal
     * ("[1\0]" reads as [1]); we reject it */
    for (size_t i = 1; i < len; i++)
        if (!buf[i] &&
            ((buf[i - 1] >= '0' && buf[i - 1] <= '9') || (buf[i - 1] >= 'a' && buf[i - 1] <= 'z')))
            return JD_SKIP;
    for (;;) {
        while (off < len && is_ws(buf[off])) off++;
        if (off == len) return JD_ALL_READ;
        json_error_t err;
        json_t *v = json_loadb((const char *)buf + off, len - off,
                               JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
        if (!v) {
            enum json_error_code code = json_error_code(&err);
            if (code == json_error_numeric_overflow || code == json_error_null_byte_in_key)
                return JD_SKIP;
            return JD_FAILED;
        }
        off += (size_t)err.position;
        int rc = 0;
        if (!json_is_string(v) && !json_is_array(v) && !json_is_object(v) && off < len &&
            !is_ws(buf[off]))
            rc = JD_SKIP; /* glued top-level scalars */
        else if (json_is_object(v))
            rc = emit_object(v, keys, nkeys, fn, ctx) ? JD_SKIP : 0;
        else if (json_is_array(v)) {
            for (size_t i = 0; i < json_array_size(v) && !rc; i++) {
                json_t *el = json_array_get(v, i);
                rc = (json_is_object(el) ? emit_object(el, keys, nkeys, fn, ctx) : fn(ctx, 0, NULL))
                         ? JD_SKIP
                         : 0;
            }
        } else {
            rc = fn(ctx, 0, NULL) ? JD_SKIP : 0;
        }
        json_decref(v);
        if (rc) return rc;
    }
}

int jd_same_container(const jkey *k, const char *text, size_t len) {
    json_t *again = json_loadb(text, len, JSON_ALLOW_NUL, NULL);
    int same = again && json_equal(again, (json_t *)k->node);
    json_decref(again);
    return same;
}
