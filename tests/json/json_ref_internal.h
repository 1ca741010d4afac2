/* A frozen copy of src/json/json_internal.h as of the scanner before its
 * speed work (commit 4029869), plus its jnum_value: the number half of the
 * reference scanner in json_ref_scan.c. Do not edit to follow src/json. */
#ifndef SONGLAKE_JSON_REF_INTERNAL_H
#define SONGLAKE_JSON_REF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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
static double jnum_value(const jnum *n, const uint8_t *p, size_t len);

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

#include <float.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include "core/core.h"

/* ---- value ----------------------------------------------------------- */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void) {
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static double strtod_c(const char *s) {
    pthread_once(&c_locale_once, c_locale_init);
    if (c_locale) return strtod_l(s, NULL, c_locale);
    return strtod(s, NULL); /* newlocale failed: the process locale */
}

static const double POW10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static double jnum_value(const jnum *n, const uint8_t *p, size_t len) {
    (void)n;             /* unused when FLT_EVAL_METHOD != 0 */
#if FLT_EVAL_METHOD == 0 /* doubles are computed as doubles: no double rounding */
    if (!n->many) {
        if (n->mant == 0) return n->neg ? -0.0 : 0.0;
        if (n->mant <= (UINT64_C(1) << 53) && n->exp10 >= -22 && n->exp10 <= 22) {
            double d = (double)n->mant;
            d = n->exp10 < 0 ? d / POW10[-n->exp10] : d * POW10[n->exp10];
            return n->neg ? -d : d;
        }
    }
#endif
    char small[80];
    char *s = len < sizeof small ? small : sl_malloc(len + 1);
    memcpy(s, p, len);
    s[len] = 0;
    double d = strtod_c(s);
    if (s != small) free(s);
    return d;
}

#endif
