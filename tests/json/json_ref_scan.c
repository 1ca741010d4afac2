/* The reference scanner: a frozen copy of src/json/json_scan.c as it was
 * before its speed work (commit 4029869), with its public names prefixed
 * ref_. The differential tests (test_json_ref.c, fuzz_json_ref.c) check that
 * the fast scanner reports exactly what this one does. Do not edit to
 * follow src/json: it is the oracle. Its original header comment follows. */
/* json scanner: a file image -> one callback per top-level record.
 *
 * One pass, no DOM, no allocation per record. Each key of the record object
 * is first compared (as two 64-bit words) with the key at the same place in
 * the previous record, since logs repeat their layout; otherwise it is
 * looked up in a small hash of the requested keys (length and first/last
 * byte). The value of a requested key is captured (strings decoded only
 * when they hold escapes, numbers parsed by json_num.c), every other value
 * is skipped with full validation by an iterative walker bounded by
 * JSON_MAX_DEPTH. String bodies are skipped 16 bytes at a time with SSE2
 * (a portable loop elsewhere), stopping only at '"', '\\', control bytes
 * and non-ASCII bytes, which are then validated (UTF-8 by the Unicode
 * table 3-7 rules: no overlongs, no surrogates, nothing above U+10FFFF).
 *
 * Errors: the record is rejected with a reason, and scanning resumes at the
 * next line after the error; when the offending byte is the first thing on
 * its line (a record cut short, the next record starting on the following
 * line), scanning resumes at that line instead, so one truncated NDJSON line
 * costs one record. The input is never read past len. */
#include "json_ref_scan.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "json_ref_internal.h"

#define JSON_MAX_DEPTH 512
#define NO_OFF UINT32_MAX

struct ref_json_fields {
    size_t n;
    char **keys;
    uint32_t *lens;
    int32_t *chain;       /* next key in the same bucket */
    int32_t *dup_next;    /* the same key requested again */
    uint64_t (*w)[2];     /* keys of <= 16 bytes as two zero-padded words */
    uint64_t mask[17][2]; /* mask[n]: the first n bytes of 16 */
    int32_t head[256];
};

struct ref_json_scanner {
    const ref_json_fields *f;
    json_value *vals;
    uint32_t *soff;           /* offset into scratch of a decoded string, or NO_OFF */
    sl_buf scratch;           /* decoded strings of the current record */
    sl_buf keybuf;            /* a decoded key with escapes */
    const uint8_t *end, *rec; /* input end, current record start */
    const uint8_t *err_at;
    uint64_t nl; /* newlines before the scanning point */
    /* the k-th key of the previous record and its slot: logs repeat their
     * key order, so most keys are recognised by one compare */
    struct key_pred {
        uint64_t a, b;
        size_t n;
        int32_t slot;
    } pred[32];
    char reason[160];
    uint8_t stack[JSON_MAX_DEPTH];
};

/* ---- fields ---------------------------------------------------------- */
static unsigned key_hash(const uint8_t *k, size_t n) {
    if (!n) return 0;
    return (unsigned)(n * 31 + k[0] * 7 + k[n - 1]) & 255;
}

ref_json_fields *ref_json_fields_new(const char *const *keys, size_t nkeys) {
    if (nkeys > INT32_MAX) return NULL;
    ref_json_fields *f = sl_calloc(1, sizeof *f);
    f->n = nkeys;
    f->keys = sl_calloc(nkeys ? nkeys : 1, sizeof *f->keys);
    f->lens = sl_calloc(nkeys ? nkeys : 1, sizeof *f->lens);
    f->chain = sl_calloc(nkeys ? nkeys : 1, sizeof *f->chain);
    f->dup_next = sl_calloc(nkeys ? nkeys : 1, sizeof *f->dup_next);
    f->w = sl_calloc(nkeys ? nkeys : 1, sizeof *f->w);
    for (int i = 0; i < 256; i++) f->head[i] = -1;
    for (size_t n = 0; n <= 16; n++) {
        uint8_t m[16] = {0};
        memset(m, 0xff, n);
        memcpy(f->mask[n], m, 16);
    }
    for (size_t i = 0; i < nkeys; i++) {
        size_t len = strlen(keys[i]);
        f->keys[i] = sl_strndup(keys[i], len);
        f->lens[i] = (uint32_t)len;
        f->chain[i] = f->dup_next[i] = -1;
        if (len <= 16) memcpy(f->w[i], keys[i], len);
        unsigned h = key_hash((const uint8_t *)keys[i], len);
        int32_t *link = &f->head[h];
        while (*link >= 0 && !(f->lens[*link] == len && !memcmp(f->keys[*link], keys[i], len)))
            link = &f->chain[*link];
        if (*link < 0) {
            *link = (int32_t)i;
            continue;
        }
        int32_t j = *link; /* requested twice: captured into both slots */
        while (f->dup_next[j] >= 0) j = f->dup_next[j];
        f->dup_next[j] = (int32_t)i;
    }
    return f;
}

void ref_json_fields_free(ref_json_fields *f) {
    if (!f) return;
    for (size_t i = 0; i < f->n; i++) free(f->keys[i]);
    free(f->keys);
    free(f->lens);
    free(f->chain);
    free(f->dup_next);
    free(f->w);
    free(f);
}

/* The requested key equal to [k, k+n), or -1. end: the input's end (keys
 * of <= 16 bytes are compared as two words when 16 bytes can be read). */
static inline int32_t key_find(const ref_json_fields *f, const uint8_t *k, size_t n,
                               const uint8_t *end) {
    int32_t i = f->head[key_hash(k, n)];
    if (i < 0) return -1;
    if (n <= 16 && end - k >= 16) {
        uint64_t a, b;
        memcpy(&a, k, 8);
        memcpy(&b, k + 8, 8);
        a &= f->mask[n][0];
        b &= f->mask[n][1];
        for (; i >= 0; i = f->chain[i])
            if (f->lens[i] == n && f->w[i][0] == a && f->w[i][1] == b) return i;
        return -1;
    }
    for (; i >= 0; i = f->chain[i])
        if (f->lens[i] == n && !memcmp(f->keys[i], k, n)) return i;
    return -1;
}

ref_json_scanner *ref_json_scanner_new(const ref_json_fields *f) {
    ref_json_scanner *s = sl_calloc(1, sizeof *s);
    for (size_t j = 0; j < sizeof s->pred / sizeof *s->pred; j++) s->pred[j].n = SIZE_MAX;
    s->f = f;
    s->vals = sl_calloc(f->n ? f->n : 1, sizeof *s->vals);
    s->soff = sl_calloc(f->n ? f->n : 1, sizeof *s->soff);
    return s;
}

uint64_t ref_json_scanner_newlines(const ref_json_scanner *s) {
    return s->nl;
}

void ref_json_scanner_free(ref_json_scanner *s) {
    if (!s) return;
    free(s->vals);
    free(s->soff);
    sl_buf_free(&s->scratch);
    sl_buf_free(&s->keybuf);
    free(s);
}

/* ---- errors ---------------------------------------------------------- */
static const uint8_t *fail(ref_json_scanner *s, const uint8_t *at, const char *reason) {
    s->err_at = at;
    snprintf(s->reason, sizeof s->reason, "%s", reason);
    return NULL;
}

/* "unexpected character" or, at the end of the input, "truncated record" */
static const uint8_t *unexpected(ref_json_scanner *s, const uint8_t *at) {
    if (at >= s->end) return fail(s, s->end, "truncated record");
    s->err_at = at;
    unsigned long long off = (unsigned long long)(at - s->rec);
    if (*at >= 0x21 && *at < 0x7f && *at != '\'')
        snprintf(s->reason, sizeof s->reason, "unexpected character '%c' at byte %llu of record",
                 *at, off);
    else
        snprintf(s->reason, sizeof s->reason, "unexpected character 0x%02X at byte %llu of record",
                 *at, off);
    return NULL;
}

/* ---- lexing ---------------------------------------------------------- */
/* Whitespace is the only place a newline can be outside an error (strings
 * reject raw control bytes), so lines are counted here and nowhere else on
 * the good path. */
static inline const uint8_t *skip_ws(ref_json_scanner *s, const uint8_t *p) {
    const uint8_t *end = s->end;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
        s->nl += *p == '\n';
        p++;
    }
    return p;
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
static const uint8_t *scan_escape(ref_json_scanner *s, const uint8_t *p, long *cp) {
    const uint8_t *end = s->end;
    if (end - p < 2) return fail(s, end, "unterminated string");
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
    default: return fail(s, p, "invalid escape");
    }
    if (end - p < 6) return fail(s, end, "unterminated string");
    long u = hex4(p + 2);
    if (u < 0) return fail(s, p, "invalid escape");
    if (u >= 0xdc00 && u <= 0xdfff) return fail(s, p, "invalid escape: lone surrogate");
    if (u < 0xd800 || u > 0xdbff) {
        *cp = u;
        return p + 6;
    }
    if (end - p < 12) { /* cut short: a pair can only still be coming if "\\u" follows */
        if ((end - p >= 7 && p[6] != '\\') || (end - p >= 8 && p[7] != 'u')) goto lone;
        return fail(s, end, "unterminated string");
    }
    if (p[6] != '\\' || p[7] != 'u') goto lone;
    long lo = hex4(p + 8);
    if (lo < 0) return fail(s, p + 6, "invalid escape");
    if (lo < 0xdc00 || lo > 0xdfff) goto lone;
    *cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
    return p + 12;
lone:
    return fail(s, p, "invalid escape: lone surrogate");
}

static size_t utf8_put(uint8_t *o, long cp);

/* p: just after the opening quote. Returns the byte after the closing
 * quote, or NULL. Validates escapes, control bytes and UTF-8. *esc: whether
 * the body holds escapes. With out, the body is also decoded into out from
 * the first escape on (plain strings are not copied), *off saying where it
 * starts (NO_OFF: no escape, the value is the input's bytes). */
static const uint8_t *scan_body(ref_json_scanner *s, const uint8_t *p, bool *esc, sl_buf *out,
                                uint32_t *off) {
    const uint8_t *end = s->end, *run = p;
    for (;;) {
        p = find_stop(p, end);
        if (p >= end) return fail(s, end, "unterminated string");
        uint8_t c = *p;
        if (c == '"') {
            if (out && *esc) sl_buf_append(out, run, (size_t)(p - run));
            return p + 1;
        }
        if (c == '\\') {
            long cp = 0;
            const uint8_t *q = scan_escape(s, p, &cp);
            if (!q) return NULL;
            if (out) {
                if (out->len >= UINT32_MAX - 8)
                    return fail(s, p, "decoded strings longer than 4 GiB");
                if (!*esc) *off = (uint32_t)out->len;
                sl_buf_reserve(out, (size_t)(p - run) + 4);
                memcpy(out->data + out->len, run, (size_t)(p - run));
                out->len += (size_t)(p - run);
                out->len += utf8_put(out->data + out->len, cp);
            }
            *esc = true;
            p = run = q;
        } else if (c < 0x20) {
            s->err_at = p;
            snprintf(s->reason, sizeof s->reason, "control character 0x%02X in string", c);
            return NULL;
        } else {
            size_t n = utf8_seq(p, end);
            if (!n) return fail(s, p, "invalid UTF-8");
            p += n;
        }
    }
}

static const uint8_t *scan_string(ref_json_scanner *s, const uint8_t *p, bool *esc) {
    return scan_body(s, p, esc, NULL, NULL);
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
static void decode_into(ref_json_scanner *s, sl_buf *b, const uint8_t *p, const uint8_t *q) {
    sl_buf_reserve(b, (size_t)(q - p));
    uint8_t *o = b->data + b->len;
    while (p < q) {
        const uint8_t *bs = memchr(p, '\\', (size_t)(q - p));
        if (!bs) bs = q;
        memcpy(o, p, (size_t)(bs - p));
        o += bs - p;
        if (bs == q) break;
        long cp = 0;
        p = scan_escape(s, bs, &cp);
        o += utf8_put(o, cp);
    }
    b->len = (size_t)(o - b->data);
}

/* The common short plain string: when one 16-byte look finds the closing
 * quote before any other special byte, its end; else NULL (undecided). */
static inline const uint8_t *scan_str_plain(const ref_json_scanner *s, const uint8_t *p) {
#ifdef __SSE2__
    if (s->end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                              _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                                 _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
        int bits = _mm_movemask_epi8(m);
        if (bits) {
            const uint8_t *q = p + __builtin_ctz((unsigned)bits);
            if (*q == '"') return q + 1;
        }
    }
#else
    (void)s, (void)p;
#endif
    return NULL;
}

/* scan_string with the one-look fast path inlined */
static inline const uint8_t *scan_str(ref_json_scanner *s, const uint8_t *p, bool *esc) {
    const uint8_t *q = scan_str_plain(s, p);
    return q ? q : scan_string(s, p, esc);
}

/* ---- values ---------------------------------------------------------- */
static const uint8_t *scan_literal(ref_json_scanner *s, const uint8_t *p, const char *lit,
                                   size_t n) {
    size_t have = (size_t)(s->end - p);
    size_t i = 0;
    while (i < n && i < have && p[i] == (uint8_t)lit[i]) i++;
    if (i < n) return unexpected(s, p + i);
    if (n < have) {
        uint8_t c = p[n];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            return unexpected(s, p + n);
    }
    return p + n;
}

static const uint8_t *bad_number(ref_json_scanner *s, const uint8_t *at) {
    if (at >= s->end) return fail(s, s->end, "truncated record");
    return fail(s, at, "number out of grammar");
}

/* Skips one value of any kind at p (p < end), validating it. depth: the
 * nesting depth p is at. Iterative: the open brackets live in s->stack. */
static const uint8_t *skip_value(ref_json_scanner *s, const uint8_t *p, int depth) {
    const uint8_t *end = s->end;
    int top = 0; /* brackets opened here */
    bool esc;
value:
    if (p >= end) return unexpected(s, p);
    switch (*p) {
    case '"':
        if (!(p = scan_string(s, p + 1, &esc))) return NULL;
        break;
    case '{':
    case '[':
        if (depth + top >= JSON_MAX_DEPTH) return fail(s, p, "nesting deeper than 512 levels");
        s->stack[top++] = *p++;
        p = skip_ws(s, p);
        if (p < end && *p == (s->stack[top - 1] == '{' ? '}' : ']')) {
            top--;
            p++;
            break;
        }
        if (s->stack[top - 1] == '{') goto key;
        goto value;
    case 't':
        if (!(p = scan_literal(s, p, "true", 4))) return NULL;
        break;
    case 'f':
        if (!(p = scan_literal(s, p, "false", 5))) return NULL;
        break;
    case 'n':
        if (!(p = scan_literal(s, p, "null", 4))) return NULL;
        break;
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9': {
        jnum n;
        const uint8_t *at;
        if (!(p = jnum_scan(p, end, &n, &at))) return bad_number(s, at);
        break;
    }
    case '+':
    case '.': return fail(s, p, "number out of grammar");
    default: return unexpected(s, p);
    }
    /* after a value */
    while (top > 0) {
        p = skip_ws(s, p);
        if (p >= end) return unexpected(s, p);
        uint8_t close = s->stack[top - 1] == '{' ? '}' : ']';
        if (*p == close) {
            top--;
            p++;
            continue;
        }
        if (*p != ',') return unexpected(s, p);
        p = skip_ws(s, p + 1);
        if (s->stack[top - 1] == '[') goto value;
    key:
        if (p >= end || *p != '"') return unexpected(s, p);
        if (!(p = scan_string(s, p + 1, &esc))) return NULL;
        p = skip_ws(s, p);
        if (p >= end || *p != ':') return unexpected(s, p);
        p = skip_ws(s, p + 1);
        goto value;
    }
    return p;
}

/* Captures the value at p into slot i (and its duplicates). */
static const uint8_t *capture(ref_json_scanner *s, const uint8_t *p, int32_t i) {
    json_value *v = &s->vals[i];
    const uint8_t *q;
    uint32_t off = NO_OFF;
    switch (*p) {
    case '"': {
        bool esc = false;
        q = scan_str_plain(s, p + 1);
        if (!q && !(q = scan_body(s, p + 1, &esc, &s->scratch, &off))) return NULL;
        if ((uint64_t)(q - p) > UINT32_MAX) return fail(s, p, "string longer than 4 GiB");
        v->type = JSON_STRING;
        if (off != NO_OFF) {
            v->len = (uint32_t)(s->scratch.len - off);
            v->str = NULL;
        } else {
            v->str = (const char *)p + 1;
            v->len = (uint32_t)(q - p - 2);
        }
        break;
    }
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9': {
        jnum n;
        const uint8_t *at;
        if (!(q = jnum_scan(p, s->end, &n, &at))) return bad_number(s, at);
        if ((uint64_t)(q - p) > UINT32_MAX) return fail(s, p, "number longer than 4 GiB");
        v->type = JSON_NUMBER;
        v->num = jnum_value(&n, p, (size_t)(q - p));
        v->str = (const char *)p;
        v->len = (uint32_t)(q - p);
        break;
    }
    case '{':
    case '[':
    case 't':
    case 'f':
    case 'n':
        if (!(q = skip_value(s, p, 1))) return NULL;
        if ((uint64_t)(q - p) > UINT32_MAX) return fail(s, p, "value longer than 4 GiB");
        v->type = *p == '{'   ? JSON_OBJECT
                  : *p == '[' ? JSON_ARRAY
                  : *p == 't' ? JSON_TRUE
                  : *p == 'f' ? JSON_FALSE
                              : JSON_NULL;
        v->str = (const char *)p;
        v->len = (uint32_t)(q - p);
        break;
    default: return skip_value(s, p, 1); /* reports the error */
    }
    s->soff[i] = off;
    for (int32_t j = s->f->dup_next[i]; j >= 0; j = s->f->dup_next[j]) {
        s->vals[j] = *v;
        s->soff[j] = off;
    }
    return q;
}

/* Parses the record object at p ('{'), filling s->vals. */
static const uint8_t *parse_record(ref_json_scanner *s, const uint8_t *p) {
    const uint8_t *end = s->end;
    const ref_json_fields *f = s->f;
    p = skip_ws(s, p + 1);
    if (p < end && *p == '}') return p + 1;
    for (size_t kth = 0;; kth++) {
        if (p >= end || *p != '"') return unexpected(s, p);
        bool esc = false;
        const uint8_t *k = p + 1;
        if (!(p = scan_str(s, k, &esc))) return NULL;
        int32_t i;
        size_t n = (size_t)(p - 1 - k);
        if (!esc && n <= 16 && end - k >= 16 && kth < sizeof s->pred / sizeof *s->pred) {
            struct key_pred *kp = &s->pred[kth];
            uint64_t a, b;
            memcpy(&a, k, 8);
            memcpy(&b, k + 8, 8);
            a &= f->mask[n][0];
            b &= f->mask[n][1];
            if (kp->n == n && kp->a == a && kp->b == b) {
                i = kp->slot;
            } else {
                i = key_find(f, k, n, end);
                kp->a = a, kp->b = b, kp->n = n, kp->slot = i;
            }
        } else if (!esc) {
            i = key_find(f, k, n, end);
        } else {
            s->keybuf.len = 0;
            decode_into(s, &s->keybuf, k, p - 1);
            i = key_find(f, s->keybuf.data, s->keybuf.len, s->keybuf.data + s->keybuf.len);
        }
        if (p < end && *p == ':') {
            p++;
        } else {
            p = skip_ws(s, p);
            if (p >= end || *p != ':') return unexpected(s, p);
            p++;
        }
        if (p >= end || *p <= ' ') {
            p = skip_ws(s, p);
            if (p >= end) return unexpected(s, p);
        }
        p = i >= 0 ? capture(s, p, i) : skip_value(s, p, 1);
        if (!p) return NULL;
        if (p < end && *p == ',') {
            p++;
            if (p < end && *p == '"') continue;
            p = skip_ws(s, p);
            continue;
        }
        p = skip_ws(s, p);
        if (p < end && *p == '}') return p + 1;
        if (p >= end || *p != ',') return unexpected(s, p);
        p = skip_ws(s, p + 1);
    }
}

/* ---- the file loop --------------------------------------------------- */
/* newlines in [p, end): only for bytes skipped after an error */
static uint64_t count_nl(const uint8_t *p, const uint8_t *end) {
    uint64_t n = 0;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
        n++;
        p++;
    }
    return n;
}

typedef struct scan_state {
    ref_json_scanner *s;
    const uint8_t *buf;
    json_pos pos; /* of the current record */
    const json_callbacks *cb;
    void *ctx;
} scan_state;

static int reject(scan_state *st, const char *reason, const uint8_t *rend) {
    if (!st->cb->on_reject) return 0;
    const uint8_t *rec = st->buf + st->pos.byte;
    if (rend < rec) rend = rec;
    while (rend > rec && (rend[-1] == '\n' || rend[-1] == '\r')) rend--;
    return st->cb->on_reject(st->ctx, st->pos, reason, (const char *)rec, (size_t)(rend - rec));
}

/* After a syntax error in the record at rec: where scanning resumes. */
static const uint8_t *resume_point(const ref_json_scanner *s, const uint8_t *buf,
                                   const uint8_t *rec, bool sep) {
    const uint8_t *e = s->err_at, *end = s->end;
    if (e >= end) return end;
    const uint8_t *q = e, *lo = sep ? buf : rec;
    while (q > lo && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r')) q--;
    if ((q > rec || sep) && q > buf && q[-1] == '\n') return q; /* cut at a line end */
    const uint8_t *nl = memchr(e, '\n', (size_t)(end - e));
    return nl ? nl + 1 : end;
}

static int emit_record(scan_state *st) {
    ref_json_scanner *s = st->s;
    for (size_t i = 0; i < s->f->n; i++)
        if (s->soff[i] != NO_OFF) s->vals[i].str = (const char *)s->scratch.data + s->soff[i];
    if (!st->cb->on_record) return 0;
    return st->cb->on_record(st->ctx, s->vals, st->pos);
}

enum { ARR_NONE, ARR_FIRST, ARR_ELEM, ARR_SEP, ARR_RECOVER };

/* docs/json.md "Cuts": an open top-level array ends at one */
static bool at_cut(const uint8_t *buf, const uint8_t *p) {
    bool nl = false;
    while (p > buf && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\r' || p[-1] == '\n'))
        nl |= *--p == '\n';
    return nl && p > buf && p[-1] == '}';
}

static int array_cut(scan_state *st, const uint8_t *open, json_pos at) {
    if (!st->cb->on_reject) return 0;
    const uint8_t *nl = memchr(open, '\n', (size_t)(st->s->end - open));
    const uint8_t *e = nl ? nl : st->s->end;
    while (e > open && e[-1] == '\r') e--;
    return st->cb->on_reject(st->ctx, at,
                             "top-level array not closed before a line starting a new record",
                             (const char *)open, (size_t)(e - open));
}

int ref_json_scan(ref_json_scanner *s, const uint8_t *buf, size_t len, const json_callbacks *cb,
                  void *ctx) {
    return ref_json_scan_until(s, buf, len, len, cb, ctx);
}

int ref_json_scan_until(ref_json_scanner *s, const uint8_t *buf, size_t len, size_t stop,
                        const json_callbacks *cb, void *ctx) {
    static const uint8_t empty[1];
    if (!buf) buf = empty, len = 0;
    if (stop > len) stop = len;
    const uint8_t *p = buf, *end = buf + len, *lim = buf + stop;
    scan_state st = {s, buf, {1, 0, false}, cb, ctx};
    s->end = end;
    s->nl = 0;
    if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) p += 3;
    int arr = ARR_NONE, rc = 0;
    const uint8_t *arr_open = NULL;
    json_pos arr_pos = {0, 0, false};
    for (;;) {
        if (lim < end) { /* a piece: no record starts at or after stop */
            s->end = lim;
            p = skip_ws(s, p);
            s->end = end;
            if (p >= lim) {
                if (arr == ARR_SEP || arr == ARR_RECOVER) rc = array_cut(&st, arr_open, arr_pos);
                if (p > lim) s->nl -= count_nl(lim, p); /* newlines before stop only */
                return rc;
            }
        }
        p = skip_ws(s, p);
        if (p >= end) {
            if (arr != ARR_NONE && arr != ARR_RECOVER) {
                st.pos.line = 1 + s->nl;
                st.pos.byte = (uint64_t)(p - buf);
                rc = reject(&st, "truncated record: top-level array not closed", p);
            }
            return rc;
        }
        const uint8_t *rec = s->rec = p, *q;
        st.pos.line = 1 + s->nl;
        st.pos.byte = (uint64_t)(p - buf);
        if ((arr == ARR_SEP || arr == ARR_RECOVER) && *p == '{' && at_cut(buf, p)) {
            if ((rc = array_cut(&st, arr_open, arr_pos))) return rc;
            arr = ARR_NONE;
        }
        bool element = arr != ARR_NONE, sep = arr == ARR_SEP;
        if (arr == ARR_SEP || arr == ARR_RECOVER) {
            if (*p == ']') {
                arr = ARR_NONE;
                p++;
                continue;
            }
            if (*p == ',') {
                p = skip_ws(s, p + 1);
                arr = ARR_ELEM;
                continue;
            }
            if (arr == ARR_SEP) {
                unexpected(s, p);
                goto syntax;
            }
        } else if (arr == ARR_FIRST && *p == ']') {
            arr = ARR_NONE;
            p++;
            continue;
        } else if (arr == ARR_NONE && *p == '[') {
            arr = ARR_FIRST;
            arr_open = p;
            arr_pos = st.pos;
            p++;
            continue;
        }
        if (*p == '{') {
            for (size_t i = 0; i < s->f->n; i++) {
                s->vals[i].type = JSON_MISSING;
                s->vals[i].str = NULL;
                s->vals[i].len = 0;
                s->vals[i].num = 0;
                s->soff[i] = NO_OFF;
            }
            s->scratch.len = 0;
            q = parse_record(s, p);
            if (!q) goto syntax;
            if (element) arr = ARR_SEP;
            p = q;
            if ((rc = emit_record(&st))) return rc;
            continue;
        }
        q = skip_value(s, p, element ? 1 : 0);
        if (!q) goto syntax;
        if (element) arr = ARR_SEP;
        p = q;
        rc = reject(&st, element ? "not an object" : "record is not a JSON object", q);
        if (rc) return rc;
        continue;
    syntax:
        q = resume_point(s, buf, rec, sep);
        if (q > s->err_at) s->nl += count_nl(s->err_at, q);
        if ((rc = reject(&st, s->reason, q))) return rc;
        p = q;
        if (arr != ARR_NONE) arr = ARR_RECOVER;
    }
}
