/* Test helper: see json_log.h. */
#include "json_log.h"

#include <stdlib.h>
#include <string.h>

typedef struct logctx {
    sl_buf out;
    size_t nkeys;
    int seen, stop_after;
} logctx;

static void put_bytes(sl_buf *b, const char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f)
            sl_buf_putc(b, c);
        else
            sl_buf_printf(b, "\\x%02X", c);
    }
}

static int on_record(void *ctx, const json_value *v, json_pos pos) {
    logctx *c = ctx;
    sl_buf_printf(&c->out, "R%llu:%llu", (unsigned long long)pos.line,
                  (unsigned long long)pos.byte);
    for (size_t i = 0; i < c->nkeys; i++) {
        sl_buf_putc(&c->out, ' ');
        switch (v[i].type) {
        case JSON_MISSING: sl_buf_putc(&c->out, '-'); break;
        case JSON_NULL: sl_buf_putc(&c->out, 'n'); break;
        case JSON_TRUE: sl_buf_putc(&c->out, 't'); break;
        case JSON_FALSE: sl_buf_putc(&c->out, 'f'); break;
        case JSON_NUMBER:
            sl_buf_putc(&c->out, '#');
            put_bytes(&c->out, v[i].str, v[i].len);
            sl_buf_printf(&c->out, "=%.17g", v[i].num);
            break;
        case JSON_STRING_ESCAPED: { /* a raw key's: rendered as its text */
            sl_buf d = {0};
            json_unescape(&v[i], &d);
            sl_buf_putc(&c->out, '"');
            put_bytes(&c->out, (const char *)d.data, d.len);
            sl_buf_putc(&c->out, '"');
            sl_buf_free(&d);
            break;
        }
        case JSON_STRING:
            sl_buf_putc(&c->out, '"');
            put_bytes(&c->out, v[i].str, v[i].len);
            sl_buf_putc(&c->out, '"');
            break;
        case JSON_ARRAY:
        case JSON_OBJECT:
            sl_buf_putc(&c->out, v[i].type == JSON_ARRAY ? '[' : '{');
            put_bytes(&c->out, v[i].str, v[i].len);
            sl_buf_putc(&c->out, v[i].type == JSON_ARRAY ? ']' : '}');
            break;
        }
    }
    sl_buf_putc(&c->out, '\n');
    return ++c->seen == c->stop_after ? 7 : 0;
}

static int on_reject(void *ctx, json_pos pos, const char *reason, const char *raw, size_t n) {
    logctx *c = ctx;
    sl_buf_printf(&c->out, "X%llu:%llu %s |", (unsigned long long)pos.line,
                  (unsigned long long)pos.byte, reason);
    put_bytes(&c->out, raw, n);
    sl_buf_append(&c->out, "|\n", 2);
    return 0;
}

char *json_log(const char *const *keys, size_t nkeys, const void *buf, size_t len, int stop_after,
               int *rc) {
    logctx c = {{0}, nkeys, 0, stop_after};
    json_fields *f = json_fields_new(keys, nkeys);
    json_scanner *s = json_scanner_new(f);
    json_callbacks cb = {on_record, on_reject};
    int r = json_scan(s, buf, len, &cb, &c);
    if (rc) *rc = r;
    json_scanner_free(s);
    json_fields_free(f);
    sl_buf_putc(&c.out, 0);
    return (char *)c.out.data;
}

char *json_log_str(const char *const *keys, size_t nkeys, const char *text) {
    size_t len = strlen(text);
    char *copy = sl_malloc(len ? len : 1);
    memcpy(copy, text, len);
    char *out = json_log(keys, nkeys, copy, len, 0, NULL);
    free(copy);
    return out;
}
