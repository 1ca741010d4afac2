/* json strings: string bodies scanned, validated and decoded for the
 * scanner (json_scan.c).
 *
 * Bodies are skipped 16 bytes at a time with SSE2 (a portable loop
 * elsewhere), stopping only at '"', '\\', control bytes and non-ASCII
 * bytes, which are then validated (UTF-8 by the Unicode table 3-7 rules: no
 * overlongs, no surrogates, nothing above U+10FFFF). The common two-byte
 * escapes ("\\/" in user agents) are decoded inline; a captured string with
 * escapes is decoded as it is scanned, 16 bytes stored at a time. A raw
 * key's escaped bodies are only validated, and remembered (jstr_memo) so a
 * repeat is recognised by its bytes. The input is never read past l->end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json_internal.h"

#define MEMO_SLOTS ((size_t)1 << JSTR_MEMO_BITS)
#define MEMO_MIN 32 /* shorter bodies are validated about as fast */
#define MEMO_MAX 1024

const uint8_t *jlex_fail(jlex *l, const uint8_t *at, const char *reason) {
    l->err_at = at;
    snprintf(l->reason, sizeof l->reason, "%s", reason);
    return NULL;
}

/* 1 for bytes that end a run of plain string bytes */
static const uint8_t STR_STOP[256] = {['"'] = 1, ['\\'] = 1,
#define R8(x)                                                                                      \
    [x] = 1, [x + 1] = 1, [x + 2] = 1, [x + 3] = 1, [x + 4] = 1, [x + 5] = 1, [x + 6] = 1,         \
    [x + 7] = 1
#define R32(x) R8(x), R8(x + 8), R8(x + 16), R8(x + 24)
                                      R32(0),    R32(0x80),  R32(0xa0),
                                      R32(0xc0), R32(0xe0)
#undef R32
#undef R8
};

static inline const uint8_t *find_stop(const uint8_t *p, const uint8_t *end) {
#ifdef __SSE2__
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* signed compare: bytes >= 0x80 are negative, so < 0x20 too */
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
                                 _mm_cmplt_epi8(v, sp));
        int bits = _mm_movemask_epi8(m);
        if (bits) return p + __builtin_ctz((unsigned)bits);
        p += 16;
    }
#endif
    while (p < end && !STR_STOP[*p]) p++;
    return p;
}

/* Length of the valid UTF-8 sequence at p, or 0. */
static size_t utf8_seq(const uint8_t *p, const uint8_t *end) {
    uint8_t c = p[0];
    size_t n;
    uint8_t lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f; /* UTF-16 surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f; /* > U+10FFFF */
    } else
        return 0;
    if ((size_t)(end - p) < n) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xc0) != 0x80) return 0;
    return n;
}

static int hexval(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* 4 hex digits at p (p+4 <= end checked by caller), or -1 */
static long hex4(const uint8_t *p) {
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Checks the escape at p ('\\'). Returns its end, or NULL. *cp gets the
 * code point (for \u, surrogate pairs combined) or the escaped byte. */
static const uint8_t *scan_escape(jlex *l, const uint8_t *p, long *cp) {
    const uint8_t *end = l->end;
    if (end - p < 2) return jlex_fail(l, end, "unterminated string");
    switch (p[1]) {
    case '"': *cp = '"'; return p + 2;
    case '\\': *cp = '\\'; return p + 2;
    case '/': *cp = '/'; return p + 2;
    case 'b': *cp = '\b'; return p + 2;
    case 'f': *cp = '\f'; return p + 2;
    case 'n': *cp = '\n'; return p + 2;
    case 'r': *cp = '\r'; return p + 2;
    case 't': *cp = '\t'; return p + 2;
    case 'u': break;
    default: return jlex_fail(l, p, "invalid escape");
    }
    if (end - p < 6) return jlex_fail(l, end, "unterminated string");
    long u = hex4(p + 2);
    if (u < 0) return jlex_fail(l, p, "invalid escape");
    if (u >= 0xdc00 && u <= 0xdfff) return jlex_fail(l, p, "invalid escape: lone surrogate");
    if (u < 0xd800 || u > 0xdbff) {
        *cp = u;
        l->nul |= u == 0;
        return p + 6;
    }
    if (end - p < 12) { /* cut short: a pair can only still be coming if "\\u" follows */
        if ((end - p >= 7 && p[6] != '\\') || (end - p >= 8 && p[7] != 'u')) goto lone;
        return jlex_fail(l, end, "unterminated string");
    }
    if (p[6] != '\\' || p[7] != 'u') goto lone;
    long lo = hex4(p + 8);
    if (lo < 0) return jlex_fail(l, p + 6, "invalid escape");
    if (lo < 0xdc00 || lo > 0xdfff) goto lone;
    *cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
    return p + 12;
lone:
    return jlex_fail(l, p, "invalid escape: lone surrogate");
}

static size_t utf8_put(uint8_t *o, long cp);

/* The byte a two-byte escape stands for ('/' for "\\/"), 0 for "\\u" and
 * invalid escapes (scan_escape decides those). */
static const uint8_t ESC1[256] = {['"'] = '"',  ['\\'] = '\\', ['/'] = '/',  ['b'] = '\b',
                                  ['f'] = '\f', ['n'] = '\n',  ['r'] = '\r', ['t'] = '\t'};

/* Appends [p, p+n) to out, whose room for n + 16 bytes the caller made:
 * 16 bytes at a time when the input has 16 bytes past the run (the bytes
 * past n are overwritten by what follows or left past out->len). */
static inline void copy_run(sl_buf *out, const uint8_t *p, size_t n, const uint8_t *end) {
    uint8_t *o = out->data + out->len;
#ifdef __SSE2__
    if ((size_t)(end - p) >= n + 16) {
        for (size_t i = 0; i < n; i += 16)
            _mm_storeu_si128((__m128i *)(void *)(o + i),
                             _mm_loadu_si128((const __m128i *)(const void *)(p + i)));
        out->len += n;
        return;
    }
#else
    (void)end;
#endif
    memcpy(o, p, n);
    out->len += n;
}

/* The escape at p ('\\'): its end, or NULL. *cp: as scan_escape's; *one:
 * the byte of a common two-byte escape (found inline), else 0. */
static inline const uint8_t *next_escape(jlex *l, const uint8_t *p, long *cp, uint8_t *one) {
    *one = l->end - p >= 2 ? ESC1[p[1]] : 0;
    if (*one) {
        *cp = *one;
        return p + 2;
    }
    return scan_escape(l, p, cp);
}

/* the error for the control byte at p in a string */
static const uint8_t *control_byte(jlex *l, const uint8_t *p) {
    l->err_at = p;
    snprintf(l->reason, sizeof l->reason, "control character 0x%02X in string", *p);
    return NULL;
}

/* (json_internal.h) p: just after the opening quote (run) or further on,
 * where no stop byte lies in [run, p). Returns the byte after the closing quote, or NULL.
 * Validates escapes, control bytes and UTF-8. *esc: whether the body holds
 * escapes. With out, the body is also decoded into out from the first
 * escape on (plain strings are not copied), *off saying where it starts
 * (JSTR_NO_OFF: no escape, the value is the input's bytes). */
const uint8_t *jstr_body(jlex *l, const uint8_t *run, const uint8_t *p, bool *esc, sl_buf *out,
                         uint32_t *off) {
    const uint8_t *end = l->end;
    for (;;) {
        p = find_stop(p, end);
        if (p >= end) return jlex_fail(l, end, "unterminated string");
        uint8_t c = *p;
        if (c == '"') {
            if (out && *esc) sl_buf_append(out, run, (size_t)(p - run));
            return p + 1;
        }
        if (c == '\\') {
            long cp = 0;
            uint8_t one;
            const uint8_t *q = next_escape(l, p, &cp, &one);
            if (!q) return NULL;
            if (out) {
                if (out->len >= UINT32_MAX - 8)
                    return jlex_fail(l, p, "decoded strings longer than 4 GiB");
                if (!*esc) *off = (uint32_t)out->len;
                size_t n = (size_t)(p - run);
                if (out->cap - out->len < n + 20) sl_buf_reserve(out, n + 20);
                copy_run(out, run, n, end);
                if (one)
                    out->data[out->len++] = one;
                else
                    out->len += utf8_put(out->data + out->len, cp);
            }
            *esc = true;
            p = run = q;
        } else if (c < 0x20) {
            return control_byte(l, p);
        } else {
            size_t n = utf8_seq(p, end);
            if (!n) return jlex_fail(l, p, "invalid UTF-8");
            p += n;
        }
    }
}

/* scan_body_at with out from the string's start p, decoding as it goes:
 * each 16 bytes are stored to out before they are looked at, so the bytes
 * between escapes are never copied apart; out->len moves only when the
 * string held an escape (plain ones stay in the input). Errors, *esc and
 * *off exactly as scan_body_at's. */
const uint8_t *jstr_decode(jlex *l, const uint8_t *p, bool *esc, sl_buf *out, uint32_t *off) {
    const uint8_t *end = l->end, *start = p;
    size_t len0 = out->len, o = len0, base = len0; /* base: out->len as scan_body_at has it */
    for (;;) {
        if (!*esc && o - len0 > 4096) /* a long plain string: not copied */
            return jstr_body(l, start, p, esc, out, off);
        if (out->cap - o < 32) {
            out->len = o;
            sl_buf_reserve(out, 32);
            out->len = len0;
        }
        uint8_t *d = out->data;
#ifdef __SSE2__
        if (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            _mm_storeu_si128((__m128i *)(void *)(d + o), v);
            __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                                     _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
            unsigned bits = (unsigned)_mm_movemask_epi8(m);
            if (!bits) {
                p += 16;
                o += 16;
                continue;
            }
            unsigned k = (unsigned)__builtin_ctz(bits);
            p += k;
            o += k;
        } else
#endif
        {
            if (p >= end) return jlex_fail(l, end, "unterminated string");
            if (!STR_STOP[*p]) {
                d[o++] = *p++;
                continue;
            }
        }
        uint8_t c = *p;
        if (c == '"') {
            if (*esc) {
                *off = (uint32_t)len0;
                out->len = o;
            }
            return p + 1;
        }
        if (c == '\\') {
            long cp = 0;
            uint8_t one;
            const uint8_t *q = next_escape(l, p, &cp, &one);
            if (!q) return NULL;
            if (base >= UINT32_MAX - 8) return jlex_fail(l, p, "decoded strings longer than 4 GiB");
            if (one)
                d[o++] = one;
            else
                o += utf8_put(d + o, cp);
            base = o;
            *esc = true;
            p = q;
        } else if (c < 0x20) {
            return control_byte(l, p);
        } else {
            size_t n = utf8_seq(p, end);
            if (!n) return jlex_fail(l, p, "invalid UTF-8");
            for (size_t i = 0; i < n; i++) d[o + i] = p[i];
            o += n;
            p += n;
        }
    }
}

static size_t utf8_put(uint8_t *o, long cp) {
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xc0 | (cp >> 6));
        o[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xe0 | (cp >> 12));
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (uint8_t)(0xf0 | (cp >> 18));
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes the (already validated) body [p, q) into b. Escapes never grow:
 * 2 bytes -> 1, 6 -> <= 3, 12 -> 4. */
void jstr_decode_into(jlex *l, sl_buf *b, const uint8_t *p, const uint8_t *q) {
    sl_buf_reserve(b, (size_t)(q - p));
    uint8_t *o = b->data + b->len;
    while (p < q) {
        const uint8_t *bs = memchr(p, '\\', (size_t)(q - p));
        if (!bs) bs = q;
        memcpy(o, p, (size_t)(bs - p));
        o += bs - p;
        if (bs == q) break;
        long cp = 0;
        p = scan_escape(l, bs, &cp);
        o += utf8_put(o, cp);
    }
    b->len = (size_t)(o - b->data);
}

/* ---- raw keys: validated bodies remembered ------------------------------ */
/* A raw key's escaped strings repeat (a user agent on every play), and
 * validating their escapes one by one costs as much as decoding them. A
 * body seen before is recognised by its bytes: the same bytes followed by
 * '"' lex exactly as they did then (the same escapes, the same closing
 * quote), so they are valid and escaped again. Where the body ends is
 * guessed first (the first '"' after an even run of backslashes), so that
 * the whole body picks the slot: user agents differ only in a few bytes
 * ("Windows NT 6.1" / "6.3", "Chrome/36.0.1985.125" / ".143"). The compare
 * decides; a wrong guess only misses. */
static size_t memo_slot(const uint8_t *b, size_t n) {
    /* the length and five words, at both ends: user agents differ in the
     * OS near the start and in the browser's version near the end */
    static const int at[5] = {16, 24, -24, -16, -8};
    uint64_t h = n * UINT64_C(0x9e3779b97f4a7c15);
    for (int i = 0; i < 5; i++) {
        uint64_t w;
        memcpy(&w, b + (at[i] < 0 ? (ptrdiff_t)n + at[i] : at[i]), 8);
        h = (h ^ w) * UINT64_C(0x9e3779b97f4a7c15);
    }
    return (size_t)(h >> (64 - JSTR_MEMO_BITS));
}

static bool memo_is(const struct jstr_memo_slot *m, const uint8_t *b, size_t n) {
    return m->len == n && memcmp(b, m->body, n) == 0;
}

/* The first '"' at or after p not escaped by a backslash, or NULL. */
static const uint8_t *guess_close(const uint8_t *b, const uint8_t *p, const uint8_t *end) {
    for (;;) {
#ifdef __SSE2__
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            int bits = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
            if (bits) {
                p += __builtin_ctz((unsigned)bits);
                goto found;
            }
            p += 16;
        }
#endif
        while (p < end && *p != '"') p++;
        if (p >= end) return NULL;
#ifdef __SSE2__
    found:;
#endif
        const uint8_t *k = p;
        while (k > b && k[-1] == '\\') k--;
        if (((p - k) & 1) == 0) return p;
        p++;
    }
}

/* (json_internal.h) Two ways: the slot and its neighbour. */
const uint8_t *jstr_memo_find(const jstr_memo *memo, const jlex *l, const uint8_t *b,
                              const uint8_t *p, uint64_t *stamp) {
    if (!memo) return NULL;
    const uint8_t *q = guess_close(b, p, l->end);
    size_t n = q ? (size_t)(q - b) : 0;
    if (n < MEMO_MIN || n > MEMO_MAX) return NULL;
    size_t h = memo_slot(b, n);
    const struct jstr_memo_slot *m = &memo->slot[h];
    if (!memo_is(m, b, n)) {
        m = &memo->slot[h ^ 1];
        if (!memo_is(m, b, n)) return NULL;
    }
    *stamp = m->stamp;
    return q + 1;
}

uint64_t jstr_memo_put(jstr_memo **memo, const uint8_t *b, const uint8_t *q) {
    size_t n = (size_t)(q - b);
    if (n < MEMO_MIN || n > MEMO_MAX) return 0;
    if (!*memo) *memo = sl_calloc(1, sizeof **memo);
    struct jstr_memo_slot *w = (*memo)->slot;
    size_t h = memo_slot(b, n);
    struct jstr_memo_slot *m = &w[h]; /* a free way, else the older one goes */
    if (m->len) {
        m = &w[h ^ 1];
        if (m->len) { /* both taken: the first way's moves to the second */
            struct jstr_memo_slot t = w[h ^ 1];
            w[h ^ 1] = w[h];
            w[h] = t;
            m = &w[h];
        }
    }
    if (m->cap < n) {
        m->body = sl_realloc(m->body, n);
        m->cap = (uint32_t)n;
    }
    memcpy(m->body, b, n);
    m->len = (uint32_t)n;
    m->stamp = ++(*memo)->stamps; /* 64 bits: never wraps */
    return m->stamp;
}

void jstr_memo_free(jstr_memo *memo) {
    if (!memo) return;
    for (size_t i = 0; i < MEMO_SLOTS; i++) free(memo->slot[i].body);
    free(memo);
}
