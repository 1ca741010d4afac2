/* Unit tests for sl_imap (int64 -> uint32) against sl_map on the same keys:
 * inserts and lookups through several growths, keys that differ only in
 * high bits, 0, negative and extreme keys, misses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int64_t key_of(size_t i) {
    switch (i % 5) {
    case 0: return (int64_t)next();
    case 1: return (int64_t)(next() % 3000);       /* repeats */
    case 2: return (int64_t)((next() % 64) << 40); /* high bits only */
    case 3: return -(int64_t)(next() % 100);
    default: return i % 2 ? INT64_MIN : INT64_MAX;
    }
}

static void test_against_sl_map(void **st) {
    (void)st;
    sl_imap m;
    sl_map ref;
    sl_imap_init(&m);
    sl_map_init(&ref);
    assert_null(sl_imap_get(&m, 0)); /* empty */
    enum { N = 60000 };
    int64_t *keys = malloc(N * sizeof *keys);
    for (size_t i = 0; i < N; i++) keys[i] = key_of(i);
    for (size_t i = 0; i < N; i++) {
        int64_t k = keys[i];
        bool ins, rins;
        uint32_t *v = sl_imap_upsert(&m, k, &ins);
        uint32_t *r = sl_map_upsert(&ref, (const char *)&k, sizeof k, &rins);
        assert_int_equal(ins, rins);
        if (ins) {
            assert_int_equal(*v, 0);
            *v = *r = (uint32_t)i + 1;
        }
        assert_int_equal(*v, *r);
    }
    assert_int_equal(m.len, ref.count);
    for (size_t i = 0; i < N; i++) { /* the same keys again, and misses */
        int64_t k = keys[i];
        uint32_t *v = sl_imap_get(&m, k), *r = sl_map_get(&ref, (const char *)&k, sizeof k);
        assert_non_null(v);
        assert_int_equal(*v, *r);
        int64_t miss = (int64_t)((next() | 1) * 7919u); /* wraps unsigned: no signed overflow */
        uint32_t *mv = sl_imap_get(&m, miss), *mr = sl_map_get(&ref, (const char *)&miss, 8);
        assert_true((mv == NULL) == (mr == NULL));
    }
    free(keys);
    sl_imap_free(&m);
    sl_map_free(&ref);
    assert_null(sl_imap_get(&m, 5)); /* freed: empty again */
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_against_sl_map)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
