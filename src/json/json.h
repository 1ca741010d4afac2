/* json: bytes -> records of selected fields, with rejects and reasons.
 *
 * A strict streaming scanner (no DOM): it walks a file image once, and for
 * each top-level record captures only the keys the caller asked for. Input
 * grammar per SPEC.md section 1: UTF-8 with optional BOM; any number of
 * top-level values separated by whitespace (NDJSON, concatenated,
 * pretty-printed); a top-level array contributes each element; each record
 * must be an object; a repeated key: the last one wins; after a syntax error
 * the scanner resumes at the next line. */
#ifndef SONGLAKE_JSON_H
#define SONGLAKE_JSON_H

#include "core/core.h"

typedef enum json_type {
    JSON_MISSING = 0, /* key absent from the object */
    JSON_NULL,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
    /* Only for keys marked with json_fields_set_raw: a string holding
     * escapes, given as written (str/len: the body between the quotes, fully
     * validated); json_unescape gives its text. A raw key's string without
     * escapes is a plain JSON_STRING. */
    JSON_STRING_ESCAPED
} json_type;

typedef struct json_value {
    json_type type;
    /* STRING: the decoded, UTF-8-validated value. NUMBER, TRUE, FALSE,
     * ARRAY, OBJECT: the value's JSON text as it appears in the input. */
    const char *str;
    uint32_t len;
    double num; /* NUMBER: the nearest double (as strtod) */
    /* STRING_ESCAPED of a raw key: 0, or a number the scanner gives these
     * exact bytes while it remembers them (json_str.c), so two such values
     * of one scanner with equal non-zero memo are equal without comparing
     * them (unequal ones may still be equal). Meaningless for other types. */
    uint64_t memo;
} json_value;

/* Where a record starts: 1-based line and 0-based byte offset in the
 * (decompressed) file. */
typedef struct json_pos {
    uint64_t line;
    uint64_t byte;
    /* the record holds a \u0000 escape somewhere (in any string, requested
     * or not): only then does a caller need to look for NUL bytes */
    bool nul;
} json_pos;

typedef struct json_callbacks {
    /* vals has one entry per requested key, in the order given to
     * json_fields_new. Pointers are valid only during the call. Return
     * non-zero to stop scanning (json_scan returns that value). */
    int (*on_record)(void *ctx, const json_value *vals, json_pos pos);
    /* raw: the offending record's text (from its start to the end of the
     * line where scanning resumes), not validated as UTF-8. */
    int (*on_reject)(void *ctx, json_pos pos, const char *reason, const char *raw, size_t rawlen);
} json_callbacks;

typedef struct json_fields json_fields;
json_fields *json_fields_new(const char *const *keys, size_t nkeys);
void json_fields_free(json_fields *f);
/* Key i's strings are validated but not decoded: one with escapes comes as
 * JSON_STRING_ESCAPED, for a caller that decodes only the values it has not
 * seen before (a user agent repeats on every play). */
void json_fields_set_raw(json_fields *f, size_t i);
/* Appends the text of v, a JSON_STRING_ESCAPED value, to out. (The
 * conversions below do not take JSON_STRING_ESCAPED: they return -1.) */
void json_unescape(const json_value *v, sl_buf *out);

typedef struct json_scanner json_scanner;
json_scanner *json_scanner_new(const json_fields *f);
void json_scanner_free(json_scanner *s);
/* Scans a whole file image. Never fails on any input bytes: bad records go
 * to on_reject. Returns 0, or the first non-zero callback result. */
int json_scan(json_scanner *s, const uint8_t *buf, size_t len, const json_callbacks *cb, void *ctx);
/* json_scan over a piece of NDJSON: only records that start before `stop`
 * are scanned, but they may read on to len, so a record cut at stop fails
 * exactly as it would in the whole file (buf..len is the rest of the file;
 * stop must be a cut, docs/json.md: the start of a line opening with '{'
 * after a line ending in '}', where an open top-level array ends; nothing
 * past the first '{' after stop changes the result). Positions are relative
 * to buf. */
int json_scan_until(json_scanner *s, const uint8_t *buf, size_t len, size_t stop,
                    const json_callbacks *cb, void *ctx);
/* Newlines in the buffer of the last complete json_scan (so a caller that
 * scans a file in pieces can number the lines of later pieces). */
uint64_t json_scanner_newlines(const json_scanner *s);

/* ---- conversions per SPEC.md section 1 ------------------------------ */
/* Each returns 1 when the value converted, 0 when it is null/missing (or an
 * empty string for numeric fields), -1 when it cannot be converted. */
/* Integer field: a JSON integer, an integral double, or a string holding
 * either ("39", "1.541078e+12"); must fit int64. */
int json_to_int64(const json_value *v, int64_t *out);
/* Double field: a number or a string holding a number. */
int json_to_double(const json_value *v, double *out);
/* String field: a string as is; a number or boolean keeps its JSON text;
 * arrays and objects cannot be converted. */
int json_to_text(const json_value *v, sl_str *out);

#endif
