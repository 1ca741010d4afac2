/* json internals shared by the scanner (json_scan.c) and the number parser
 * and conversions (json_num.c). Not part of the module's interface. */
#ifndef SONGLAKE_JSON_INTERNAL_H
#define SONGLAKE_JSON_INTERNAL_H

#include <float.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/core.h"

/* What jnum_scan learned about a number while checking its grammar. */
typedef struct jnum {
    uint64_t mant; /* first 19 significant digits as an integer */
    int64_t exp10; /* value = mant * 10^exp10 when !many */
    bool neg;
    bool many;    /* more than 19 significant digits: mant is truncated */
    bool integer; /* no fraction and no exponent */
} jnum;

/* Checks the JSON number grammar at p (p < end):
 *   -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
 * and that no letter, digit, '.', '+' or '-' follows. Returns the pointer
 * past the number, or NULL with *err_at at the offending byte (== end when
 * the number is cut by the end of the input). */
static inline const uint8_t *jnum_scan(const uint8_t *p, const uint8_t *end, jnum *n,
                                       const uint8_t **err_at);

/* The nearest double to the number whose text is [p, p+len) (checked by
 * jnum_scan): exact fast path when the digits and the power of ten are
 * exact doubles (Clinger), else strtod in the "C" locale. */
double jnum_value(const jnum *n, const uint8_t *p, size_t len);

/* the exact powers of ten of Clinger's fast path */
static const double JNUM_POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* jnum_value's fast path inline: 1 with *d set when it applies, else 0. */
static inline int jnum_value_fast(const jnum *n, double *d) {
#if FLT_EVAL_METHOD == 0 /* doubles are computed as doubles: no double rounding */
    if (!n->many) {
        if (n->mant == 0) {
            *d = n->neg ? -0.0 : 0.0;
            return 1;
        }
        if (n->mant <= (UINT64_C(1) << 53) && n->exp10 >= -22 && n->exp10 <= 22) {
            double v = (double)n->mant;
            v = n->exp10 < 0 ? v / JNUM_POW10[-n->exp10] : v * JNUM_POW10[n->exp10];
            *d = n->neg ? -v : v;
            return 1;
        }
    }
#else
    (void)n, (void)d;
#endif
    return 0;
}

/* ---- inline: the scanner calls this for every number -------------- */
static inline int jnum_digit(uint8_t c) {
    return c >= '0' && c <= '9';
}

/* bytes that may not directly follow a number */
static inline int jnum_glues(uint8_t c) {
    return jnum_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
           c == '+' || c == '-' || c == '_';
}

static inline void jnum_add(jnum *n, unsigned d, int *nsig, bool frac) {
    if (n->mant == 0 && d == 0) { /* leading zero: not significant */
        if (frac) n->exp10--;
        return;
    }
    if (*nsig < 19) {
        n->mant = n->mant * 10 + d;
        (*nsig)++;
        if (frac) n->exp10--;
    } else {
        n->many = true;
        if (!frac) n->exp10++;
    }
}

/* Exact digits of a number with more than 19: the first 19 significant
 * ones and the power of ten of the rest (rare; strtod gives the value). */
static inline void jnum_slow_digits(jnum *n, const uint8_t *p, const uint8_t *end) {
    int nsig = 0;
    n->mant = 0;
    n->exp10 = 0;
    n->many = false;
    while (p < end && jnum_digit(*p)) jnum_add(n, (unsigned)(*p++ - '0'), &nsig, false);
    if (p < end && *p == '.') {
        p++;
        while (p < end && jnum_digit(*p)) jnum_add(n, (unsigned)(*p++ - '0'), &nsig, true);
    }
}

/* Eight ASCII digits at p folded into their value in three multiplies
 * (little-endian only; the classic SWAR trick, as in simdjson/fast_float). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define JNUM_SWAR 1
static inline int jnum_eight_digits(const uint8_t *p, uint64_t *v) {
    uint64_t x;
    memcpy(&x, p, 8);
    if ((((x & UINT64_C(0xF0F0F0F0F0F0F0F0)) |
          (((x + UINT64_C(0x0606060606060606)) & UINT64_C(0xF0F0F0F0F0F0F0F0)) >> 4)) !=
         UINT64_C(0x3333333333333333)))
        return 0;
    x = (x & UINT64_C(0x0F0F0F0F0F0F0F0F)) * 2561 >> 8;
    x = (x & UINT64_C(0x00FF00FF00FF00FF)) * 6553601 >> 16;
    *v = (x & UINT64_C(0x0000FFFF0000FFFF)) * UINT64_C(42949672960001) >> 32;
    return 1;
}
#endif

/* digits from p on, folded into *m (wrapping past 19 digits is harmless:
 * the caller recounts) */
static inline const uint8_t *jnum_digits(const uint8_t *p, const uint8_t *end, uint64_t *m) {
#ifdef JNUM_SWAR
    uint64_t v;
    while (end - p >= 8 && jnum_eight_digits(p, &v)) {
        *m = *m * 100000000 + v;
        p += 8;
    }
#endif
    while (p < end && jnum_digit(*p)) *m = *m * 10 + (unsigned)(*p++ - '0');
    return p;
}

static inline const uint8_t *jnum_scan(const uint8_t *p, const uint8_t *end, jnum *n,
                                       const uint8_t **err_at) {
    uint64_t m = 0;
    n->neg = false;
    n->many = false;
    n->integer = true;
    if (*p == '-') {
        n->neg = true;
        p++;
    }
    const uint8_t *digits = p;
    if (p == end || !jnum_digit(*p)) goto bad;
    if (*p == '0') {
        p++;
    } else {
        p = jnum_digits(p, end, &m);
    }
    size_t nd = (size_t)(p - digits); /* digits so far, leading zero included */
    int64_t exp10 = 0;
    if (p < end && *p == '.') {
        n->integer = false;
        const uint8_t *f = ++p;
        if (p == end || !jnum_digit(*p)) goto bad;
        p = jnum_digits(p, end, &m);
        nd += (size_t)(p - f);
        exp10 = -(int64_t)(p - f);
    }
    n->mant = m;
    n->exp10 = exp10;
    if (nd > 19) jnum_slow_digits(n, digits, p); /* m wrapped (unsigned: defined) */
    if (p < end && (*p == 'e' || *p == 'E')) {
        n->integer = false;
        p++;
        bool eneg = false;
        if (p < end && (*p == '+' || *p == '-')) eneg = *p++ == '-';
        if (p == end || !jnum_digit(*p)) goto bad;
        int64_t e = 0;
        while (p < end && jnum_digit(*p)) {
            if (e < 100000000) e = e * 10 + (*p - '0'); /* saturate: strtod decides */
            p++;
        }
        n->exp10 += eneg ? -e : e;
    }
    if (p < end && jnum_glues(*p)) goto bad;
    return p;
bad:
    *err_at = p;
    return NULL;
}

/* jnum_scan's common case, for a number with at most 19 digits and no
 * exponent that is not near the end of the input (so it reads freely):
 * returns the pointer past it with *n exactly as jnum_scan fills it, or
 * NULL when undecided (then jnum_scan decides, errors included). */
#ifdef JNUM_SWAR
static const uint64_t JNUM_POW10_U[17] = {1,
                                          10,
                                          100,
                                          1000,
                                          10000,
                                          100000,
                                          1000000,
                                          10000000,
                                          100000000,
                                          1000000000,
                                          10000000000,
                                          100000000000,
                                          1000000000000,
                                          10000000000000,
                                          100000000000000,
                                          1000000000000000,
                                          10000000000000000};

/* The leading digits of the 8 bytes at p: *nd how many (0..8), returns
 * their value (garbage when none). Branch-free: bytes below '0' borrow and
 * bytes past 0x89 carry only into the bytes after the first non-digit,
 * which are shifted out. */
static inline uint64_t jnum_word(const uint8_t *p, unsigned *nd) {
    uint64_t x;
    memcpy(&x, p, 8);
    uint64_t t = x - UINT64_C(0x3030303030303030);
    uint64_t m = ((t + UINT64_C(0x7676767676767676)) | t) & UINT64_C(0x8080808080808080);
    unsigned n = m ? (unsigned)__builtin_ctzll(m) >> 3 : 8;
    *nd = n;
    t <<= (64 - 8 * n) & 63; /* the digits to the top bytes, zeros below */
    t = (t * 10 + (t >> 8)) & UINT64_C(0x00FF00FF00FF00FF);
    t = (t * 100 + (t >> 16)) & UINT64_C(0x0000FFFF0000FFFF);
    return (t * 10000 + (t >> 32)) & UINT64_C(0xFFFFFFFF);
}

/* The run of digits at p, at most 16 looked at (reads 16 bytes): its
 * value, *nd its length (16: maybe longer). */
static inline uint64_t jnum_run(const uint8_t *p, unsigned *nd) {
    unsigned a, b;
    uint64_t hi = jnum_word(p, &a);
    if (a < 8) {
        *nd = a;
        return hi;
    }
    uint64_t lo = jnum_word(p + 8, &b);
    *nd = 8 + b;
    return hi * JNUM_POW10_U[b] + (b ? lo : 0);
}

static inline const uint8_t *jnum_scan_short(const uint8_t *p, const uint8_t *end, jnum *n) {
    if (end - p < 40) return NULL; /* reads at most 33 bytes */
    const uint8_t *q = p + (*p == '-');
    unsigned nd, nf = 0;
    uint64_t m = jnum_run(q, &nd);
    if (nd == 0 || nd == 16 || (*q == '0' && nd > 1)) return NULL;
    q += nd;
    int64_t exp10 = 0;
    bool integer = true;
    if (*q == '.') {
        uint64_t f = jnum_run(q + 1, &nf);
        if (nf == 0 || nf == 16 || nd + nf > 19) return NULL;
        m = m * JNUM_POW10_U[nf] + f;
        q += 1 + nf;
        exp10 = -(int64_t)nf;
        integer = false;
    }
    if (jnum_glues(*q)) return NULL; /* an exponent, or an error: jnum_scan's */
    n->mant = m;
    n->exp10 = exp10;
    n->neg = *p == '-';
    n->many = false;
    n->integer = integer;
    return q;
}
#else /* big-endian: jnum_scan does it all */
static inline const uint8_t *jnum_scan_short(const uint8_t *p, const uint8_t *end, jnum *n) {
    (void)p, (void)end, (void)n;
    return NULL;
}
#endif

/* ---- strings (json_str.c) ----------------------------------------- */
#define JSTR_NO_OFF UINT32_MAX

/* The scanner's input end and its last error. */
typedef struct jlex {
    const uint8_t *end;
    const uint8_t *err_at;
    bool nul; /* a \u0000 escape was seen (json_pos.nul) */
    char reason[160];
} jlex;

/* Records the error (err_at, reason); returns NULL. */
const uint8_t *jlex_fail(jlex *l, const uint8_t *at, const char *reason);
/* A string body from run (just after its opening quote), going on at p (no
 * stop byte in [run, p)): the byte after its closing quote, or NULL on an
 * error. Validates escapes, control bytes and UTF-8. *esc: whether it holds
 * escapes. With out, the body is decoded into out from the first escape on
 * (plain strings are not copied), *off saying where (JSTR_NO_OFF: no
 * escape, the value is the input's bytes). */
const uint8_t *jstr_body(jlex *l, const uint8_t *run, const uint8_t *p, bool *esc, sl_buf *out,
                         uint32_t *off);
/* jstr_body with out from the body's start p, decoding as it scans. */
const uint8_t *jstr_decode(jlex *l, const uint8_t *p, bool *esc, sl_buf *out, uint32_t *off);
/* Decodes the (already validated) body [p, q) into b. */
void jstr_decode_into(jlex *l, sl_buf *b, const uint8_t *p, const uint8_t *q);

/* Escaped string bodies of raw keys already validated, found again by
 * their bytes (json_str.c explains why that is sound). */
#define JSTR_MEMO_BITS 10
typedef struct jstr_memo {
    struct jstr_memo_slot {
        uint8_t *body;
        uint32_t len, cap;
        uint64_t stamp; /* new for every body put: json_value.memo */
    } slot[1u << JSTR_MEMO_BITS];
    uint64_t stamps; /* the last stamp given */
} jstr_memo;
/* b: just after an opening quote, no stop byte in [b, p). The byte after
 * the closing quote when [b, closing quote) is a remembered body, else
 * NULL. memo may be NULL (nothing remembered yet). */
const uint8_t *jstr_memo_find(const jstr_memo *memo, const jlex *l, const uint8_t *b,
                              const uint8_t *p, uint64_t *stamp);
/* Remembers [b, q), a body just validated, holding escapes; returns its
 * stamp. */
uint64_t jstr_memo_put(jstr_memo **memo, const uint8_t *b, const uint8_t *q);
void jstr_memo_free(jstr_memo *memo);

/* The string body at p (after the opening quote): its end when the closing
 * quote comes before any other special byte in the first 16, with *cont
 * NULL; else NULL with *cont where jstr_body goes on (no stop byte
 * before it). Inline: most keys and values are short plain strings. (A
 * 32-byte look measured no faster on event logs.) */
static inline const uint8_t *jstr_first_look(const jlex *l, const uint8_t *p,
                                             const uint8_t **cont) {
#ifdef __SSE2__
    if (l->end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i q = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
        __m128i m = _mm_or_si128(_mm_or_si128(q, _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                                 _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (!bits) {
            *cont = p + 16;
            return NULL;
        }
        unsigned first = bits & (0u - bits);
        if (first & (unsigned)_mm_movemask_epi8(q)) return p + __builtin_ctz(first) + 1;
        *cont = p + __builtin_ctz(first);
        return NULL;
    }
#else
    (void)l;
#endif
    *cont = p;
    return NULL;
}

#endif
