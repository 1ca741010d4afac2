/* Test helper: runs json_scan and renders what the callbacks saw as text,
 * one line per record or reject, so a test states its expectation as one
 * string. */
#ifndef SONGLAKE_TEST_JSON_LOG_H
#define SONGLAKE_TEST_JSON_LOG_H

#include "json/json.h"

/* Record lines: "R<line>:<byte> v1 v2 ..." with each value as
 *   -  missing        n  null        t / f  true / false
 *   #<text>=<%.17g>  number          "<bytes>"  string (bytes outside
 *   0x20..0x7e as \xNN)               [<text>] / {<text>}  array / object
 * Reject lines: "X<line>:<byte> <reason> |<raw>|".
 * Returns a malloc'd string (caller frees). stop_after: on_record returns
 * 7 after that many records (0: never). */
char *json_log(const char *const *keys, size_t nkeys, const void *buf, size_t len, int stop_after,
               int *rc);
/* json_log for a NUL-terminated input; the bytes are copied into an exact-size
 * heap block so that ASan catches any read past the end. */
char *json_log_str(const char *const *keys, size_t nkeys, const char *text);

#endif
