/* Unit tests for sl_sort_i64 against qsort: the radix passes (with digits
 * skipped when every key shares them), the already-sorted shortcut, signed
 * keys across zero and the extremes, duplicates with and without `unique`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

static int cmp_i64(const void *x, const void *y) {
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* sorts a copy both ways and compares */
static void check(const int64_t *in, size_t n, bool unique) {
    int64_t *got = malloc((n ? n : 1) * sizeof *got), *want = malloc((n ? n : 1) * sizeof *want);
    memcpy(got, in, n * sizeof *in);
    memcpy(want, in, n * sizeof *in);
    qsort(want, n, sizeof *want, cmp_i64);
    size_t m = n;
    if (unique && n) {
        m = 1;
        for (size_t i = 1; i < n; i++)
            if (want[i] != want[m - 1]) want[m++] = want[i];
    }
    size_t k = sl_sort_i64(got, n, unique);
    assert_int_equal(k, m);
    for (size_t i = 0; i < m; i++) assert_true(got[i] == want[i]);
    free(got);
    free(want);
}

static void test_random_wide(void **st) {
    (void)st;
    enum { N = 100000 };
    int64_t *v = malloc(N * sizeof *v);
    for (size_t i = 0; i < N; i++) v[i] = (int64_t)next();
    v[0] = INT64_MIN, v[1] = INT64_MAX, v[2] = 0, v[3] = -1, v[4] = INT64_MIN;
    check(v, N, false);
    check(v, N, true);
    free(v);
}

/* microsecond times of one month, with repeats: the high digits are equal
 * in every key and are skipped */
static void test_times_with_repeats(void **st) {
    (void)st;
    enum { N = 50000 };
    int64_t *v = malloc(N * sizeof *v);
    for (size_t i = 0; i < N; i++)
        v[i] = 1541030400000000 + (int64_t)(next() % 2000000) * 1000000 + (int64_t)(next() % 3);
    check(v, N, true);
    check(v, N, false);
    for (size_t i = 0; i < N; i++) v[i] = -v[i]; /* all negative */
    check(v, N, true);
    free(v);
}

static void test_sorted_and_nearly_sorted(void **st) {
    (void)st;
    enum { N = 30000 };
    int64_t *v = malloc(N * sizeof *v);
    for (size_t i = 0; i < N; i++) v[i] = (int64_t)(i / 3) - 5000; /* sorted, repeats */
    check(v, N, true);
    check(v, N, false);
    v[N - 1] = -999999; /* the last one out of order: the radix path */
    check(v, N, true);
    v[N - 1] = v[N - 2];
    v[0] = 1 << 20; /* the first one out of order */
    check(v, N, true);
    for (size_t i = 0; i < N; i++) v[i] = (int64_t)(N - i); /* reversed */
    check(v, N, false);
    for (size_t i = 0; i < N; i++) v[i] = 42; /* all equal */
    check(v, N, true);
    check(v, N, false);
    free(v);
}

static void test_tiny(void **st) {
    (void)st;
    int64_t one[1] = {7}, two[2] = {3, -3}, same[2] = {5, 5};
    check(one, 0, true);
    check(one, 1, true);
    check(two, 2, true);
    check(same, 2, true);
    check(same, 2, false);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_wide),
        cmocka_unit_test(test_times_with_repeats),
        cmocka_unit_test(test_sorted_and_nearly_sorted),
        cmocka_unit_test(test_tiny),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
