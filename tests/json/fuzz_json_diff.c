/* libFuzzer: our scanner against jansson on the same bytes.
 *
 * jansson reads the input as a sequence of top-level values
 * (JSON_DISABLE_EOF_CHECK, one value at a time), and from those values we
 * derive what SPEC.md section 1 says our scanner must report: an object is
 * a record, an array contributes each element (a non-object element is a
 * reject), any other value is a reject. When jansson reads every value, our
 * events must be exactly those, and each record's values for KEYS must
 * match jansson's: same type, strings byte-equal, numbers equal as doubles
 * (integers also equal through json_to_int64), arrays and objects equal
 * when our captured text is parsed again by jansson. When jansson fails,
 * the events of the values it read before failing must be a prefix of ours,
 * and we must report at least one reject after them.
 *
 * Inputs skipped, where the two differ by design:
 * - a leading UTF-8 BOM: we skip it, jansson rejects it (it is stripped
 *   before jansson sees the input, so these inputs are still compared);
 * - integers beyond json_int_t and reals beyond DBL_MAX: jansson fails
 *   ("numeric overflow"), we parse to the nearest double / infinity;
 * - "\u0000" in an object key: jansson does not support it, we do
 *   (JSON_ALLOW_NUL makes jansson accept it in string values, which we
 *   compare);
 * - nesting deeper than our 512 levels (jansson allows 2048);
 * - a top-level number or literal directly followed by a non-space byte
 *   ("1true", "1-2"): jansson reads two values, we require a separator;
 * - a NUL byte right after a number or literal: jansson 2.14 ignores it
 *   ("[1\0]" reads as [1]), we reject it (found by this fuzzer).
 * Duplicate keys are compared: both keep the last value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_json_diff.h"
#include "json/json.h"

static const char *const KEYS[] = {"a", "b", "c", "ts", "", "\xC3\xA9"};
#define NK (sizeof KEYS / sizeof *KEYS)
#define MAXEV 256

typedef struct ev {
    int record;  /* 1 record, 0 reject */
    int nesting; /* a reject for depth */
    json_value v[NK];
    char *text[NK]; /* copies of v[i].str */
    int64_t i64[NK];
    int i64rc[NK];
} ev;

typedef struct ours {
    ev ev[MAXEV];
    int n, k;
    int overflow;
} ours;

static int on_record(void *ctx, const json_value *v, json_pos pos) {
    (void)pos;
    ours *o = ctx;
    if (o->n == MAXEV) return o->overflow = 1;
    ev *e = &o->ev[o->n++];
    e->record = 1;
    for (size_t i = 0; i < NK; i++) {
        e->v[i] = v[i];
        e->text[i] = malloc(v[i].len + 1);
        if (v[i].len) memcpy(e->text[i], v[i].str, v[i].len);
        e->i64rc[i] = json_to_int64(&v[i], &e->i64[i]);
    }
    return 0;
}

static int on_reject(void *ctx, json_pos pos, const char *reason, const char *raw, size_t n) {
    (void)pos, (void)raw, (void)n;
    ours *o = ctx;
    if (o->n == MAXEV) return o->overflow = 1;
    ev *e = &o->ev[o->n++];
    memset(e, 0, sizeof *e);
    e->nesting = strncmp(reason, "nesting", 7) == 0;
    return 0;
}

static void fail_diff(const char *what, int k, size_t key) {
    fprintf(stderr, "json_diff: %s (event %d, key %zu)\n", what, k, key);
    abort();
}

/* jansson's next expected event against ours */
static int expect(void *ctx, int record, const jkey *jk) {
    ours *o = ctx;
    int k = o->k++;
    if (k >= o->n) fail_diff("jansson read a value we did not report", k, 0);
    const ev *e = &o->ev[k];
    if (!record) {
        if (e->record) fail_diff("we accepted a value that is not an object", k, 0);
        return 0;
    }
    if (!e->record) fail_diff("we rejected an object jansson reads", k, 0);
    for (size_t i = 0; i < NK; i++) {
        const json_value *v = &e->v[i];
        const jkey *j = &jk[i];
        int same;
        switch (v->type) {
        case JSON_MISSING: same = j->kind == JK_MISSING; break;
        case JSON_NULL: same = j->kind == JK_NULL; break;
        case JSON_TRUE: same = j->kind == JK_TRUE; break;
        case JSON_FALSE: same = j->kind == JK_FALSE; break;
        case JSON_STRING:
            same = j->kind == JK_STRING && j->len == v->len && !memcmp(j->s, e->text[i], v->len);
            break;
        case JSON_NUMBER:
            if (j->kind == JK_INT) /* exact through json_to_int64, nearest as a double */
                same = e->i64rc[i] == 1 && e->i64[i] == j->i && v->num == (double)j->i;
            else
                same = j->kind == JK_REAL && v->num == j->d;
            break;
        case JSON_ARRAY:
        case JSON_OBJECT:
            same = j->kind == (v->type == JSON_ARRAY ? JK_ARRAY : JK_OBJECT) &&
                   jd_same_container(j, e->text[i], v->len);
            break;
        default: same = 0;
        }
        if (!same) fail_diff("values differ", k, i);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static json_fields *f;
    static json_scanner *s;
    static ours o;
    if (!f) {
        f = json_fields_new(KEYS, NK);
        s = json_scanner_new(f);
    }
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    o.n = o.k = o.overflow = 0;
    json_callbacks cb = {on_record, on_reject};
    json_scan(s, copy, size, &cb, &o);
    int skip = o.overflow;
    for (int i = 0; i < o.n; i++) skip |= o.ev[i].nesting;
    if (!skip) {
        int st = jd_expect(copy, size, KEYS, NK, expect, &o);
        if (st == JD_ALL_READ && o.k != o.n)
            fail_diff("we reported more than jansson read", o.k, 0);
        if (st == JD_FAILED) {
            int rejects = 0;
            for (int i = o.k; i < o.n; i++) rejects += !o.ev[i].record;
            if (!rejects) fail_diff("jansson failed where we rejected nothing", o.k, 0);
        }
    }
    for (int i = 0; i < o.n; i++)
        for (size_t j = 0; j < NK && o.ev[i].record; j++) free(o.ev[i].text[j]);
    free(copy);
    return 0;
}
