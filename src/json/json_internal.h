/* json internals shared by the scanner (json_scan.c) and the number parser
 * and conversions (json_num.c). Not part of the module's interface. */
#ifndef SONGLAKE_JSON_INTERNAL_H
#define SONGLAKE_JSON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What jnum_scan learned about a number while checking its grammar. */
typedef struct jnum {
    uint64_t mant;  /* first 19 significant digits as an integer */
    int64_t exp10;  /* value = mant * 10^exp10 when !many */
    bool neg;
    bool many;      /* more than 19 significant digits: mant is truncated */
    bool integer;   /* no fraction and no exponent */
} jnum;

/* Checks the JSON number grammar at p (p < end):
 *   -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
 * and that no letter, digit, '.', '+' or '-' follows. Returns the pointer
 * past the number, or NULL with *err_at at the offending byte (== end when
 * the number is cut by the end of the input). */
const uint8_t *jnum_scan(const uint8_t *p, const uint8_t *end, jnum *n, const uint8_t **err_at);

/* The nearest double to the number whose text is [p, p+len) (checked by
 * jnum_scan): exact fast path when the digits and the power of ten are
 * exact doubles (Clinger), else strtod in the "C" locale. */
double jnum_value(const jnum *n, const uint8_t *p, size_t len);

#endif
