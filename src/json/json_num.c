/* json numbers and the field conversions of SPEC.md section 1.
 *
 * Number grammar is checked byte by byte while the first 19 significant
 * digits are gathered into an integer. The value is then computed exactly
 * without strtod when both the digits (<= 2^53) and the power of ten
 * (|e| <= 22) are exact doubles: one IEEE multiply or divide of two exact
 * values is correctly rounded (Clinger's fast path). Everything else goes to
 * strtod_l in the "C" locale, so a process's LC_NUMERIC never changes how a
 * number reads. */
#include "json/json.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "json/json_internal.h"

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

double jnum_value(const jnum *n, const uint8_t *p, size_t len) {
    double d;
    if (jnum_value_fast(n, &d)) return d;
    char small[80];
    char *s = len < sizeof small ? small : sl_malloc(len + 1);
    memcpy(s, p, len);
    s[len] = 0;
    d = strtod_c(s);
    if (s != small) free(s);
    return d;
}

/* ---- conversions ----------------------------------------------------- */
static int is_space(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A number held in a string: the JSON number grammar, surrounding JSON
 * whitespace allowed (Spark's casts trim). Returns 1, 0 (empty or blank:
 * null), -1 (not a number). */
static int string_number(const json_value *v, jnum *n, const uint8_t **tp, size_t *tl) {
    const uint8_t *p = (const uint8_t *)v->str, *end = p + v->len;
    while (p < end && is_space(*p)) p++;
    while (end > p && is_space(end[-1])) end--;
    if (p == end) return 0;
    const uint8_t *err;
    const uint8_t *q = jnum_scan(p, end, n, &err);
    if (!q || q != end) return -1;
    *tp = p;
    *tl = (size_t)(end - p);
    return 1;
}

/* The number behind v (a NUMBER or a numeric STRING). */
static int number_of(const json_value *v, jnum *n, const uint8_t **tp, size_t *tl) {
    switch (v->type) {
    case JSON_MISSING:
    case JSON_NULL: return 0;
    case JSON_NUMBER: {
        const uint8_t *err, *p = (const uint8_t *)v->str;
        if (!p || !jnum_scan(p, p + v->len, n, &err)) return -1;
        *tp = p;
        *tl = v->len;
        return 1;
    }
    case JSON_STRING: return v->str ? string_number(v, n, tp, tl) : -1;
    default: return -1;
    }
}

/* number_of, and the number's double */
static int number_value(const json_value *v, jnum *n, double *d) {
    const uint8_t *tp = NULL;
    size_t tl = 0;
    int rc = number_of(v, n, &tp, &tl);
    if (rc == 1) *d = v->type == JSON_NUMBER ? v->num : jnum_value(n, tp, tl);
    return rc;
}

int json_to_double(const json_value *v, double *out) {
    jnum n;
    double d = 0;
    int rc = number_value(v, &n, &d);
    if (rc <= 0) return rc;
    if (!isfinite(d)) return -1; /* 1e400: out of the double range */
    *out = d;
    return 1;
}

int json_to_int64(const json_value *v, int64_t *out) {
    jnum n;
    double d = 0;
    int rc = number_value(v, &n, &d);
    if (rc <= 0) return rc;
    if (n.integer) {           /* exact, whatever its size */
        if (n.many) return -1; /* 20+ digits never fit */
        if (n.neg ? n.mant > (UINT64_C(1) << 63) : n.mant > (uint64_t)INT64_MAX) return -1;
        *out = n.neg ? (int64_t)(0 - n.mant) : (int64_t)n.mant;
        return 1;
    }
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return -1;
    int64_t i = (int64_t)d;
    if ((double)i != d) return -1; /* not integral */
    *out = i;
    return 1;
}

int json_to_text(const json_value *v, sl_str *out) {
    switch (v->type) {
    case JSON_MISSING:
    case JSON_NULL: return 0;
    case JSON_STRING:
    case JSON_NUMBER:
    case JSON_TRUE:
    case JSON_FALSE:
        out->ptr = v->str ? v->str : "";
        out->len = v->str ? v->len : 0;
        return 1;
    default: return -1;
    }
}
