/* The differential fuzzer's two halves: jansson's json.h and ours both
 * define json_type and JSON_NULL..., so each lives in its own file and they
 * meet through these neutral types. */
#ifndef SONGLAKE_FUZZ_JSON_DIFF_H
#define SONGLAKE_FUZZ_JSON_DIFF_H

#include <stddef.h>
#include <stdint.h>

enum { JK_MISSING, JK_NULL, JK_TRUE, JK_FALSE, JK_INT, JK_REAL, JK_STRING, JK_ARRAY, JK_OBJECT };

typedef struct jkey {
    int kind;
    const char *s; /* JK_STRING */
    size_t len;
    int64_t i;  /* JK_INT */
    double d;   /* JK_REAL */
    void *node; /* jansson's value */
} jkey;

/* one expected event: a record (keys filled, one per requested key) or a
 * reject; returns non-zero to stop */
typedef int (*jd_event_fn)(void *ctx, int record, const jkey *keys);

enum { JD_ALL_READ, JD_FAILED, JD_SKIP };
/* Reads buf as a sequence of top-level values with jansson and reports the
 * events SPEC.md section 1 implies. */
int jd_expect(const uint8_t *buf, size_t len, const char *const *keys, size_t nkeys, jd_event_fn fn,
              void *ctx);
/* Does text parse (with jansson) to a value equal to k->node? */
int jd_same_container(const jkey *k, const char *text, size_t len);

#endif
