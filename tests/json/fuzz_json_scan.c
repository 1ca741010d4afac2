/* libFuzzer: json_scan on arbitrary bytes. Beyond "no crash, no over-read"
 * (ASan), it checks what every callback promises: positions inside the
 * input and on the right line, a record starts with '{', raw text starts at
 * the record, decoded strings are valid UTF-8, a number's value is strtod of
 * its text, conversions never fail on the types they accept, and a reused
 * scanner gives the same result. Keys "artist" and "b" are raw: their
 * escaped strings must be their quoted bodies in the input and decode to
 * valid UTF-8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"

static const char *const KEYS[] = {"artist", "ts", "userId", "length", "page", "a", "b", "c", ""};
#define NK (sizeof KEYS / sizeof *KEYS)

typedef struct fctx {
    const uint8_t *data;
    size_t size;
    uint64_t events, last_byte;
} fctx;

/* Events come in input order, except the reject of a top-level array still
 * open at a cut: it is reported at its '[' once the cut is seen, after the
 * elements it held (docs/json.md, "Cuts"); back_ok lets that one go back. */
static void check_pos_at(fctx *c, json_pos pos, bool back_ok) {
    if (pos.byte > c->size || (!back_ok && pos.byte < c->last_byte)) abort();
    if (pos.byte > c->last_byte) c->last_byte = pos.byte;
    uint64_t line = 1;
    for (size_t i = 0; i < pos.byte; i++) line += c->data[i] == '\n';
    if (line != pos.line) abort();
}

static void check_pos(fctx *c, json_pos pos) {
    check_pos_at(c, pos, false);
}

static int valid_utf8(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n;) {
        uint32_t c = p[i], cp, need;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xe0) == 0xc0)
            need = 1, cp = c & 0x1f;
        else if ((c & 0xf0) == 0xe0)
            need = 2, cp = c & 0x0f;
        else if ((c & 0xf8) == 0xf0)
            need = 3, cp = c & 0x07;
        else
            return 0;
        for (uint32_t k = 1; k <= need; k++) {
            if (i + k >= n || (p[i + k] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        static const uint32_t minv[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < minv[need] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        i += need + 1;
    }
    return 1;
}

static int on_record(void *ctx, const json_value *v, json_pos pos) {
    fctx *c = ctx;
    c->events++;
    check_pos(c, pos);
    if (pos.byte >= c->size || c->data[pos.byte] != '{') abort();
    for (size_t i = 0; i < NK; i++) {
        int64_t iv;
        double dv;
        sl_str t;
        int ri = json_to_int64(&v[i], &iv), rd = json_to_double(&v[i], &dv);
        int rt = json_to_text(&v[i], &t);
        switch (v[i].type) {
        case JSON_MISSING:
        case JSON_NULL:
            if (ri || rd || rt) abort();
            break;
        case JSON_STRING:
            if (!valid_utf8((const uint8_t *)v[i].str, v[i].len) || rt != 1) abort();
            if (v[i].len == 0 && (ri != 0 || rd != 0)) abort();
            break;
        case JSON_NUMBER: {
            char buf[512];
            if (rt != 1 || v[i].len == 0) abort();
            if (v[i].len < sizeof buf) {
                memcpy(buf, v[i].str, v[i].len);
                buf[v[i].len] = 0;
                double want = strtod(buf, NULL);
                if (memcmp(&want, &v[i].num, sizeof want) != 0) abort();
                if (rd == 1 && dv != want) abort();
            }
            break;
        }
        case JSON_TRUE:
        case JSON_FALSE:
            if (ri != -1 || rd != -1 || rt != 1) abort();
            break;
        case JSON_ARRAY:
        case JSON_OBJECT:
            if (ri != -1 || rd != -1 || rt != -1) abort();
            break;
        case JSON_STRING_ESCAPED: { /* raw keys only */
            const uint8_t *u = (const uint8_t *)v[i].str;
            if (i != 0 && i != 6) abort();
            if (u <= c->data || u + v[i].len >= c->data + c->size || u[-1] != '"' ||
                u[v[i].len] != '"')
                abort();
            if (ri != -1 || rd != -1 || rt != -1) abort(); /* decode first */
            sl_buf d = {0};
            json_unescape(&v[i], &d);
            if (d.len > v[i].len || !valid_utf8(d.data, d.len)) abort();
            sl_buf_free(&d);
            break;
        }
        }
    }
    return 0;
}

static int on_reject(void *ctx, json_pos pos, const char *reason, const char *raw, size_t n) {
    fctx *c = ctx;
    c->events++;
    if (!reason || !*reason) abort();
    bool array_cut =
        !strcmp(reason, "top-level array not closed before a line starting a new record");
    if (array_cut && (pos.byte >= c->size || c->data[pos.byte] != '[')) abort();
    check_pos_at(c, pos, array_cut);
    if ((const uint8_t *)raw != c->data + pos.byte) abort();
    if (pos.byte + n > c->size) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static json_fields *f;
    static json_scanner *s;
    if (!f) {
        f = json_fields_new(KEYS, NK);
        json_fields_set_raw(f, 0); /* "artist" */
        json_fields_set_raw(f, 6); /* "b" */
        s = json_scanner_new(f);
    }
    /* an exact-size copy: the fuzzer's buffer may have slack */
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    json_callbacks cb = {on_record, on_reject};
    fctx a = {copy, size, 0, 0}, b = {copy, size, 0, 0};
    json_scan(s, copy, size, &cb, &a);
    json_scan(s, copy, size, &cb, &b);
    if (a.events != b.events) abort();
    free(copy);
    return 0;
}
