/* json scanner: a file image -> one callback per top-level record.
 *
 * One pass, no DOM, no allocation per record. Each key of the record object
 * is first compared, as its whole text '"key":' (one masked 16-byte
 * compare), with the key at the same place in the previous record, since
 * logs repeat their layout; otherwise it is scanned and looked up in a
 * small hash of the requested keys (length and first/last byte). The value
 * of a requested key is captured (strings decoded only when they hold
 * escapes, and not at all for raw keys; numbers parsed by json_num.c),
 * every other value is skipped with full validation by an iterative walker
 * bounded by JSON_MAX_DEPTH.
 * The common values (short plain strings, numbers of at most 19 digits
 * without exponent, null) are recognised inline first; anything else,
 * errors included, goes to the general paths, so what is accepted and
 * every value and error reported are the same either way
 * (tests/json/test_json_ref.c checks this against the scanner before those
 * fast paths). String bodies are scanned and decoded by json_str.c. Only
 * the slots a record leaves unset are reset to missing before on_record.
 *
 * Errors: the record is rejected with a reason, and scanning resumes at the
 * next line after the error; when the offending byte is the first thing on
 * its line (a record cut short, the next record starting on the following
 * line), scanning resumes at that line instead, so one truncated NDJSON line
 * costs one record. The input is never read past len. */
#include "json/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json_internal.h"

#define JSON_MAX_DEPTH 512
#define NO_OFF JSTR_NO_OFF

struct json_fields {
    size_t n;
    char **keys;
    uint32_t *lens;
    int32_t *chain;       /* next key in the same bucket */
    int32_t *dup_next;    /* the same key requested again */
    uint8_t *raw;         /* json_fields_set_raw: strings not decoded */
    uint64_t (*w)[2];     /* keys of <= 16 bytes as two zero-padded words */
    uint64_t mask[17][2]; /* mask[n]: the first n bytes of 16 */
    int32_t head[256];
};

struct json_scanner {
    const json_fields *f;
    json_value *vals;
    uint32_t *soff;     /* offset into scratch of a decoded string, or NO_OFF */
    sl_buf scratch;     /* decoded strings of the current record */
    sl_buf keybuf;      /* a decoded key with escapes */
    jlex lex;           /* input end, last error */
    const uint8_t *rec; /* current record start */
    uint64_t nl;        /* newlines before the scanning point */
    /* the k-th key of the previous record as its text '"key":' (at most 16
     * bytes, zero-padded, with the mask of its length) and its slot: logs
     * repeat their key order, so most keys are recognised by one compare */
    struct key_pred {
        uint64_t a, b, ma, mb;
        size_t n;
        int32_t slot;
    } pred[32];
    json_value blank; /* a missing value */
    /* with at most 64 keys: the slots captured in the current record, and
     * those that may hold a value (reset to blank only when stale) */
    uint64_t set, dirty;
    uint64_t decoded; /* of set: the slots whose string is in scratch */
    bool any_dup;     /* a key requested twice */
    jstr_memo *memo;  /* raw keys: escaped bodies already validated */
    uint8_t stack[JSON_MAX_DEPTH];
};

/* ---- fields ---------------------------------------------------------- */
static unsigned key_hash(const uint8_t *k, size_t n) {
    if (!n) return 0;
    return (unsigned)(n * 31 + k[0] * 7 + k[n - 1]) & 255;
}

json_fields *json_fields_new(const char *const *keys, size_t nkeys) {
    if (nkeys > INT32_MAX) return NULL;
    json_fields *f = sl_calloc(1, sizeof *f);
    f->n = nkeys;
    f->keys = sl_calloc(nkeys ? nkeys : 1, sizeof *f->keys);
    f->lens = sl_calloc(nkeys ? nkeys : 1, sizeof *f->lens);
    f->chain = sl_calloc(nkeys ? nkeys : 1, sizeof *f->chain);
    f->dup_next = sl_calloc(nkeys ? nkeys : 1, sizeof *f->dup_next);
    f->w = sl_calloc(nkeys ? nkeys : 1, sizeof *f->w);
    f->raw = sl_calloc(nkeys ? nkeys : 1, 1);
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

void json_fields_free(json_fields *f) {
    if (!f) return;
    for (size_t i = 0; i < f->n; i++) free(f->keys[i]);
    free(f->keys);
    free(f->lens);
    free(f->chain);
    free(f->dup_next);
    free(f->w);
    free(f->raw);
    free(f);
}

void json_fields_set_raw(json_fields *f, size_t i) {
    if (i < f->n) f->raw[i] = 1;
}

void json_unescape(const json_value *v, sl_buf *out) {
    const uint8_t *p = (const uint8_t *)v->str, *q = p + v->len;
    jlex l = {.end = q};
    jstr_decode_into(&l, out, p, q); /* validated when scanned: cannot fail */
}

/* The requested key equal to [k, k+n), or -1. end: the input's end (keys
 * of <= 16 bytes are compared as two words when 16 bytes can be read). */
static inline int32_t key_find(const json_fields *f, const uint8_t *k, size_t n,
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

json_scanner *json_scanner_new(const json_fields *f) {
    json_scanner *s = sl_calloc(1, sizeof *s);
    for (size_t j = 0; j < sizeof s->pred / sizeof *s->pred; j++) /* never matches */
        s->pred[j].a = s->pred[j].b = UINT64_MAX;
    s->f = f;
    s->vals = sl_calloc(f->n ? f->n : 1, sizeof *s->vals);
    s->soff = sl_calloc(f->n ? f->n : 1, sizeof *s->soff);
    s->blank.type = JSON_MISSING;
    for (size_t i = 0; i < f->n; i++) s->any_dup |= f->dup_next[i] >= 0;
    for (size_t i = 0; i < f->n; i++) s->soff[i] = NO_OFF; /* vals: all blank */
    return s;
}

uint64_t json_scanner_newlines(const json_scanner *s) {
    return s->nl;
}

void json_scanner_free(json_scanner *s) {
    if (!s) return;
    free(s->vals);
    free(s->soff);
    jstr_memo_free(s->memo);
    sl_buf_free(&s->scratch);
    sl_buf_free(&s->keybuf);
    free(s);
}

/* ---- errors ---------------------------------------------------------- */
static const uint8_t *fail(json_scanner *s, const uint8_t *at, const char *reason) {
    return jlex_fail(&s->lex, at, reason);
}

/* "unexpected character" or, at the end of the input, "truncated record" */
static const uint8_t *unexpected(json_scanner *s, const uint8_t *at) {
    if (at >= s->lex.end) return fail(s, s->lex.end, "truncated record");
    s->lex.err_at = at;
    unsigned long long off = (unsigned long long)(at - s->rec);
    if (*at >= 0x21 && *at < 0x7f && *at != '\'')
        snprintf(s->lex.reason, sizeof s->lex.reason,
                 "unexpected character '%c' at byte %llu of record", *at, off);
    else
        snprintf(s->lex.reason, sizeof s->lex.reason,
                 "unexpected character 0x%02X at byte %llu of record", *at, off);
    return NULL;
}

/* ---- lexing ---------------------------------------------------------- */
/* Whitespace is the only place a newline can be outside an error (strings
 * reject raw control bytes), so lines are counted here and nowhere else on
 * the good path. */
static inline const uint8_t *skip_ws(json_scanner *s, const uint8_t *p) {
    const uint8_t *end = s->lex.end;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
        s->nl += *p == '\n';
        p++;
    }
    return p;
}

static const uint8_t *scan_body(json_scanner *s, const uint8_t *p, bool *esc, sl_buf *out,
                                uint32_t *off) {
    return jstr_body(&s->lex, p, p, esc, out, off);
}

static const uint8_t *scan_string(json_scanner *s, const uint8_t *p, bool *esc) {
    return scan_body(s, p, esc, NULL, NULL);
}

/* scan_string with the one-look fast path inlined */
static inline const uint8_t *scan_str(json_scanner *s, const uint8_t *p, bool *esc) {
    const uint8_t *cont, *q = jstr_first_look(&s->lex, p, &cont);
    return q ? q : jstr_body(&s->lex, p, cont, esc, NULL, NULL);
}

/* ---- values ---------------------------------------------------------- */
static const uint8_t *scan_literal(json_scanner *s, const uint8_t *p, const char *lit, size_t n) {
    size_t have = (size_t)(s->lex.end - p);
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

static const uint8_t *bad_number(json_scanner *s, const uint8_t *at) {
    if (at >= s->lex.end) return fail(s, s->lex.end, "truncated record");
    return fail(s, at, "number out of grammar");
}

/* Skips one value of any kind at p (p < end), validating it. depth: the
 * nesting depth p is at. Iterative: the open brackets live in s->stack. */
static const uint8_t *skip_value(json_scanner *s, const uint8_t *p, int depth) {
    const uint8_t *end = s->lex.end;
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

/* "null" at p, ended as scan_literal wants: its end, else NULL (undecided) */
static inline const uint8_t *null_fast(const json_scanner *s, const uint8_t *p) {
    if (s->lex.end - p < 5 || memcmp(p, "null", 4) != 0) return NULL;
    uint8_t c = p[4];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return NULL;
    return p + 4;
}

/* skip_value at depth 1 with the common plain strings, short numbers and
 * nulls inline; anything else (and every error) goes to skip_value. */
static inline const uint8_t *skip_member(json_scanner *s, const uint8_t *p) {
    const uint8_t *q;
    if (*p == '"') {
        bool esc;
        const uint8_t *cont;
        if ((q = jstr_first_look(&s->lex, p + 1, &cont))) return q;
        return jstr_body(&s->lex, p + 1, cont, &esc, NULL, NULL);
    }
    if (jnum_digit(*p) || *p == '-') {
        jnum n;
        if ((q = jnum_scan_short(p, s->lex.end, &n))) return q;
    } else if (*p == 'n' && (q = null_fast(s, p))) {
        return q;
    }
    return skip_value(s, p, 1);
}

/* the slots set in the record being parsed, kept in registers */
typedef struct rec_bits {
    uint64_t set, decoded; /* see json_scanner; bit i & 63 (only used with <= 64 keys) */
} rec_bits;

/* Captures the value at p into slot i (and its duplicates). */
static inline const uint8_t *capture(json_scanner *s, const uint8_t *p, int32_t i, rec_bits *rb) {
    json_value *v = &s->vals[i];
    const uint8_t *q;
    uint32_t off = NO_OFF;
    /* num is reset only when a record starts (a key repeated with a number
     * then a string keeps the number's num): with the slot's first value in
     * this record, it is that of the blank one */
    uint64_t bit = UINT64_C(1) << (i & 63);
    if (!(rb->set & bit)) v->num = 0; /* (with > 64 keys, all were reset) */
    switch (*p) {
    case '"': {
        bool esc = false;
        const uint8_t *cont;
        uint64_t stamp = 0;
        q = jstr_first_look(&s->lex, p + 1, &cont);
        if (!q && cont == p + 17) /* a title or a name of 16 to 31 bytes */
            q = jstr_first_look(&s->lex, cont, &cont);
        if (!q) {
            if (s->f->raw[i]) {
                if ((q = jstr_memo_find(s->memo, &s->lex, p + 1, cont, &stamp)))
                    esc = true;
                else if ((q = jstr_body(&s->lex, p + 1, cont, &esc, NULL, NULL)) && esc)
                    stamp = jstr_memo_put(&s->memo, p + 1, q - 1);
            } else
                q = jstr_decode(&s->lex, p + 1, &esc, &s->scratch, &off);
            if (!q) return NULL;
        }
        if ((uint64_t)(q - p) > UINT32_MAX) return fail(s, p, "string longer than 4 GiB");
        v->type = esc && off == NO_OFF ? JSON_STRING_ESCAPED : JSON_STRING;
        v->memo = stamp;
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
        if (!(q = jnum_scan_short(p, s->lex.end, &n))) {
            if (!(q = jnum_scan(p, s->lex.end, &n, &at))) return bad_number(s, at);
            if ((uint64_t)(q - p) > UINT32_MAX) return fail(s, p, "number longer than 4 GiB");
        }
        v->type = JSON_NUMBER;
        if (!jnum_value_fast(&n, &v->num)) v->num = jnum_value(&n, p, (size_t)(q - p));
        v->str = (const char *)p;
        v->len = (uint32_t)(q - p);
        break;
    }
    case 'n':
        if ((q = null_fast(s, p))) {
            v->type = JSON_NULL;
            v->str = (const char *)p;
            v->len = 4;
            break;
        }
        /* fall through */
    case '{':
    case '[':
    case 't':
    case 'f':
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
    rb->set |= bit;
    if (off != NO_OFF)
        rb->decoded |= bit;
    else
        rb->decoded &= ~bit;
    if (s->any_dup)
        for (int32_t j = s->f->dup_next[i]; j >= 0; j = s->f->dup_next[j]) {
            s->vals[j] = *v;
            s->soff[j] = off;
            bit = UINT64_C(1) << (j & 63);
            rb->set |= bit;
            rb->decoded = off != NO_OFF ? rb->decoded | bit : rb->decoded & ~bit;
        }
    return q;
}

/* A key not recognised by its prediction kp (NULL past the 32nd key): p at
 * its opening quote. Returns the byte after its ':', *slot its slot or -1,
 * and makes it kp's prediction when it can be one. */
static const uint8_t *key_slow(json_scanner *s, const uint8_t *p, struct key_pred *kp,
                               int32_t *slot) {
    const uint8_t *end = s->lex.end;
    const json_fields *f = s->f;
    if (p >= end || *p != '"') return unexpected(s, p);
    bool esc = false;
    const uint8_t *k = p + 1;
    if (!(p = scan_str(s, k, &esc))) return NULL;
    int32_t i;
    size_t n = (size_t)(p - 1 - k);
    if (!esc) {
        i = key_find(f, k, n, end);
        /* '"key":' of at most 16 bytes, readable as 16 */
        if (kp && n + 3 <= 16 && end - (k - 1) >= 16 && p < end && *p == ':') {
            memcpy(&kp->a, k - 1, 8);
            memcpy(&kp->b, k + 7, 8);
            kp->ma = f->mask[n + 3][0];
            kp->mb = f->mask[n + 3][1];
            kp->a &= kp->ma;
            kp->b &= kp->mb;
            kp->n = n + 3;
            kp->slot = i;
        }
    } else {
        s->keybuf.len = 0;
        jstr_decode_into(&s->lex, &s->keybuf, k, p - 1);
        i = key_find(f, s->keybuf.data, s->keybuf.len, s->keybuf.data + s->keybuf.len);
    }
    *slot = i;
    if (p < end && *p == ':') return p + 1;
    p = skip_ws(s, p);
    if (p >= end || *p != ':') return unexpected(s, p);
    return p + 1;
}

/* parse_record's members */
static inline const uint8_t *parse_members(json_scanner *s, const uint8_t *p, rec_bits *rb) {
    const uint8_t *end = s->lex.end;
    p = skip_ws(s, p + 1);
    if (p < end && *p == '}') return p + 1;
    for (size_t kth = 0;; kth++) {
        int32_t i = -1;
        struct key_pred *kp = kth < sizeof s->pred / sizeof *s->pred ? &s->pred[kth] : NULL;
        uint64_t a, b;
        if (kp && end - p >= 16 && (memcpy(&a, p, 8), memcpy(&b, p + 8, 8), 1) &&
            (a & kp->ma) == kp->a && (b & kp->mb) == kp->b) {
            i = kp->slot; /* the same bytes as a checked plain key and its ':' */
            p += kp->n;
        } else if (!(p = key_slow(s, p, kp, &i))) {
            return NULL;
        }
        if (p >= end || *p <= ' ') {
            p = skip_ws(s, p);
            if (p >= end) return unexpected(s, p);
        }
        p = i >= 0 ? capture(s, p, i, rb) : skip_member(s, p);
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

/* Parses the record object at p ('{'), filling s->vals, s->set and
 * s->decoded. */
static const uint8_t *parse_record(json_scanner *s, const uint8_t *p) {
    rec_bits rb = {0, 0};
    p = parse_members(s, p, &rb);
    s->set = rb.set;
    s->decoded = rb.decoded;
    return p;
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
    json_scanner *s;
    const uint8_t *buf;
    json_pos pos; /* of the current record */
    const json_callbacks *cb;
    void *ctx;
} scan_state;

static int reject(scan_state *st, const char *reason, const uint8_t *rend) {
    if (!st->cb->on_reject) return 0;
    const uint8_t *rec = st->buf + st->pos.byte;
    if (rend < rec) rend = rec; /* resumed at the offending byte's own line */
    while (rend > rec && (rend[-1] == '\n' || rend[-1] == '\r')) rend--;
    return st->cb->on_reject(st->ctx, st->pos, reason, (const char *)rec, (size_t)(rend - rec));
}

/* After a syntax error in the record at rec: where scanning resumes. sep:
 * the error is the byte after a top-level array's element (rec is that
 * byte), which may start its own line like any other. */
static const uint8_t *resume_point(const json_scanner *s, const uint8_t *buf, const uint8_t *rec,
                                   bool sep) {
    const uint8_t *e = s->lex.err_at, *end = s->lex.end;
    if (e >= end) return end;
    const uint8_t *q = e, *lo = sep ? buf : rec;
    while (q > lo && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r')) q--;
    if ((q > rec || sep) && q > buf && q[-1] == '\n')
        return q; /* the record was cut at a line end */
    const uint8_t *nl = memchr(e, '\n', (size_t)(end - e));
    return nl ? nl + 1 : end;
}

/* Clears the values a record before left that this one did not set. */
static void clear_stale(json_scanner *s) {
    for (uint64_t stale = s->dirty & ~s->set; stale; stale &= stale - 1) {
        int i = __builtin_ctzll(stale);
        s->vals[i] = s->blank;
        s->soff[i] = NO_OFF;
    }
    s->dirty = s->set;
}

static int emit_record(scan_state *st) {
    json_scanner *s = st->s;
    if (s->f->n <= 64) {
        clear_stale(s);
        for (uint64_t b = s->decoded; b; b &= b - 1) {
            int i = __builtin_ctzll(b);
            s->vals[i].str = (const char *)s->scratch.data + s->soff[i];
        }
    } else {
        for (size_t i = 0; i < s->f->n; i++)
            if (s->soff[i] != NO_OFF) s->vals[i].str = (const char *)s->scratch.data + s->soff[i];
    }
    if (!st->cb->on_record) return 0;
    return st->cb->on_record(st->ctx, s->vals, st->pos);
}

enum { ARR_NONE, ARR_FIRST, ARR_ELEM, ARR_SEP, ARR_RECOVER };

/* Whether the '{' at p starts a line that follows a line ending in '}'
 * (blank lines and trailing blanks between): the places where etl cuts a
 * file into chunks. No valid value spans one, so an open top-level array
 * ends there (docs/json.md): a chunk always starts outside any array, and a
 * stray '[' costs no more than its own lines. */
static bool at_cut(const uint8_t *buf, const uint8_t *p) {
    bool nl = false;
    while (p > buf && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\r' || p[-1] == '\n'))
        nl |= *--p == '\n';
    return nl && p > buf && p[-1] == '}';
}

/* The reject for a top-level array still open at a cut: at its '[', raw the
 * rest of that line. */
static int array_cut(scan_state *st, const uint8_t *open, json_pos at) {
    if (!st->cb->on_reject) return 0;
    const uint8_t *nl = memchr(open, '\n', (size_t)(st->s->lex.end - open));
    const uint8_t *e = nl ? nl : st->s->lex.end;
    while (e > open && e[-1] == '\r') e--;
    return st->cb->on_reject(st->ctx, at,
                             "top-level array not closed before a line starting a new record",
                             (const char *)open, (size_t)(e - open));
}

int json_scan(json_scanner *s, const uint8_t *buf, size_t len, const json_callbacks *cb,
              void *ctx) {
    return json_scan_until(s, buf, len, len, cb, ctx);
}

int json_scan_until(json_scanner *s, const uint8_t *buf, size_t len, size_t stop,
                    const json_callbacks *cb, void *ctx) {
    static const uint8_t empty[1];
    if (!buf) buf = empty, len = 0;
    if (stop > len) stop = len;
    const uint8_t *p = buf, *end = buf + len, *lim = buf + stop;
    scan_state st = {s, buf, {1, 0, false}, cb, ctx};
    s->lex.end = end;
    s->nl = 0;
    if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) p += 3;
    int arr = ARR_NONE, rc = 0;
    const uint8_t *arr_open = NULL; /* the open top-level array's '[' */
    json_pos arr_pos = {0, 0, false};
    for (;;) {
        if (lim < end) { /* a piece: no record starts at or after stop */
            s->lex.end = lim;
            p = skip_ws(s, p);
            s->lex.end = end;
            if (p >= lim) { /* stop is a cut: an array open here ends (at_cut) */
                if (arr == ARR_SEP || arr == ARR_RECOVER) rc = array_cut(&st, arr_open, arr_pos);
                /* a record that failed at the '{' after a cut resumed past
                 * stop: its blank lines are the next piece's to count */
                if (p > lim) s->nl -= count_nl(lim, p);
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
            if (s->f->n > 64)
                for (size_t i = 0; i < s->f->n; i++) {
                    s->vals[i] = s->blank;
                    s->soff[i] = NO_OFF;
                }
            s->scratch.len = 0;
            s->lex.nul = false;
            q = parse_record(s, p);
            if (!q) {
                s->dirty |= s->set; /* values of the rejected record */
                goto syntax;
            }
            if (element) arr = ARR_SEP;
            p = q;
            st.pos.nul = s->lex.nul;
            if ((rc = emit_record(&st))) return rc;
            st.pos.nul = false;
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
        if (q > s->lex.err_at) s->nl += count_nl(s->lex.err_at, q);
        if ((rc = reject(&st, s->lex.reason, q))) return rc;
        p = q;
        if (arr != ARR_NONE) arr = ARR_RECOVER;
    }
}
