/* The start-time set (etl_set_add / etl_set_compact) must end as the sorted
 * distinct keys whatever the arrival order: in order with repeats (the
 * shortcut that never sorts), in order then one step back (the sort comes
 * back), shuffled, and in order again after a compaction. Checked against
 * qsort + unique on the same keys, through many growths of the array. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "etl/etl_internal.h"

static int cmp_i64(const void *x, const void *y) {
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static uint64_t rng = 0x853c49e6748fea9bull;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void check(const int64_t *in, size_t n) {
    i64_set s = {0};
    for (size_t i = 0; i < n; i++) etl_set_add(&s, in[i]);
    size_t m = etl_set_compact(&s);
    int64_t *want = malloc((n ? n : 1) * sizeof *want);
    memcpy(want, in, n * sizeof *in);
    qsort(want, n, sizeof *want, cmp_i64);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!k || want[k - 1] != want[i]) want[k++] = want[i];
    assert_int_equal(m, k);
    for (size_t i = 0; i < k; i++) assert_true(s.keys[i] == want[i]);
    free(want);
    free(s.keys);
}

static void test_orders(void **st) {
    (void)st;
    enum { N = 50000 };
    int64_t *v = malloc(N * sizeof *v);
    for (size_t i = 0; i < N; i++) v[i] = 1541030400000000 + (int64_t)(i / 3) * 1000; /* repeats */
    check(v, N);
    v[N / 2] = 5; /* one step back in the middle */
    check(v, N);
    v[N / 2] = v[N / 2 - 1];
    v[N - 1] = 0; /* the very last one out of order */
    check(v, N);
    for (size_t i = 0; i < N; i++) v[i] = (int64_t)(next() % 20000) - 10000; /* shuffled */
    check(v, N);
    for (size_t i = 0; i < N; i++) /* shuffled first, in order after */
        v[i] = i < 5000 ? (int64_t)(next() % 100000) : (int64_t)i * 7;
    check(v, N);
    check(v, 0);
    check(v, 1);
    free(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_orders)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
