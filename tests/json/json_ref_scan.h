/* The reference scanner (json_ref_scan.c): the json scanner as it was
 * before its speed work, under ref_ names, for differential tests. Same
 * semantics as json.h's json_fields_new ... json_scanner_newlines. */
#ifndef SONGLAKE_TEST_JSON_REF_SCAN_H
#define SONGLAKE_TEST_JSON_REF_SCAN_H

#include "json/json.h"

typedef struct ref_json_fields ref_json_fields;
typedef struct ref_json_scanner ref_json_scanner;
ref_json_fields *ref_json_fields_new(const char *const *keys, size_t nkeys);
void ref_json_fields_free(ref_json_fields *f);
ref_json_scanner *ref_json_scanner_new(const ref_json_fields *f);
void ref_json_scanner_free(ref_json_scanner *s);
int ref_json_scan(ref_json_scanner *s, const uint8_t *buf, size_t len, const json_callbacks *cb,
                  void *ctx);
int ref_json_scan_until(ref_json_scanner *s, const uint8_t *buf, size_t len, size_t stop,
                        const json_callbacks *cb, void *ctx);
uint64_t ref_json_scanner_newlines(const ref_json_scanner *s);

#endif
