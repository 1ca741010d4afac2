/* Differential check of the json scanner against the reference scanner
 * (json_ref_scan.c): both scan the same bytes and everything the callbacks
 * see is rendered exactly (positions, value types, string bytes and where
 * they point, number text and the double's bits, reject reasons and raw
 * text), with the return code and json_scanner_newlines. A third scanner
 * has every key raw (json_fields_set_raw): its escaped strings, decoded
 * with json_unescape, must render exactly as the reference's. */
#ifndef SONGLAKE_TEST_JSON_REF_DIFF_H
#define SONGLAKE_TEST_JSON_REF_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "json_ref_scan.h"

typedef struct ref_pair {
    json_fields *f;
    json_scanner *s;
    json_fields *fraw; /* every key raw */
    json_scanner *sraw;
    ref_json_fields *rf;
    ref_json_scanner *rs;
    size_t nkeys;
    uint64_t raw_escaped; /* JSON_STRING_ESCAPED values the raw scanner gave, so far */
} ref_pair;

void ref_pair_init(ref_pair *p, const char *const *keys, size_t nkeys);
void ref_pair_free(ref_pair *p);
/* Scans buf[0, len) with json_scan_until(stop) on both (stop >= len: the
 * whole image through json_scan); stop_after: on_record returns 7 after
 * that many records (0: never). Returns 0 when both saw the same, else 1
 * with both renderings up to the first difference printed to stderr. */
int ref_pair_check(ref_pair *p, const uint8_t *buf, size_t len, size_t stop, int stop_after);

#endif
