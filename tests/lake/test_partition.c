/* Unit tests for lake/partition.c: Hive escaping of partition values and
 * the UTC time parts of SPEC section 2 (ISO week, weekday 1 = Sunday). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lake/lake_internal.h"

static char *esc(const char *v) {
    sl_buf b = {0};
    lake_escape_partition(&b, v, v ? strlen(v) : 0);
    sl_buf_putc(&b, 0);
    return (char *)b.data;
}

static void test_escape(void **state) {
    (void)state;
    char *s = esc("AR/../x");
    assert_string_equal(s, "AR%2F..%2Fx");
    free(s);
    s = esc("a\"#%'*/:=?\\{[]^z");
    assert_string_equal(s, "a%22%23%25%27%2A%2F%3A%3D%3F%5C%7B%5B%5D%5Ez");
    free(s);
    s = esc("tab\there\x7f");
    assert_string_equal(s, "tab%09here%7F");
    free(s);
    s = esc("caf\xc3\xa9 ok-_.~");
    assert_string_equal(s, "caf\xc3\xa9 ok-_.~");
    free(s);
    s = esc("");
    assert_string_equal(s, "__HIVE_DEFAULT_PARTITION__");
    free(s);
    s = esc(NULL);
    assert_string_equal(s, "__HIVE_DEFAULT_PARTITION__");
    free(s);
    /* ".." alone has no byte to escape but is one segment inside
     * "artist_id=..", never a path component of its own */
    s = esc("..");
    assert_string_equal(s, "..");
    free(s);
}

static void test_unescape(void **state) {
    (void)state;
    const char *vals[] = {"AR/../x", "a\"#%'*/:=?\\{[]^z", "tab\there", "100%", "plain"};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char *e = esc(vals[i]);
        char *u = lake_unescape_partition(e, strlen(e));
        assert_string_equal(u, vals[i]);
        free(u);
        free(e);
    }
    assert_null(lake_unescape_partition("__HIVE_DEFAULT_PARTITION__", 26));
    char *u = lake_unescape_partition("50%", 3); /* malformed escape kept as is */
    assert_string_equal(u, "50%");
    free(u);
}

typedef struct tcase {
    int64_t ts_ms;
    int32_t year, month, day, hour, week, weekday;
} tcase;

static void test_time_parts(void **state) {
    (void)state;
    const tcase cases[] = {
        /* 2018-11-15 00:30:15.796 UTC, Thursday, ISO week 46 */
        {1542241815796LL, 2018, 11, 15, 0, 46, 5},
        /* 1970-01-01 00:00:00, Thursday, week 1 */
        {0, 1970, 1, 1, 0, 1, 5},
        /* 1969-12-31 23:59:59.999, Wednesday, ISO week 1 of 1970 */
        {-1, 1969, 12, 31, 23, 1, 4},
        /* 2021-01-01 12:00, Friday, ISO week 53 of 2020 */
        {1609502400000LL, 2021, 1, 1, 12, 53, 6},
        /* 2018-12-31 Monday: ISO week 1 of 2019 */
        {1546214400000LL, 2018, 12, 31, 0, 1, 2},
        /* 2016-02-29 23:00 leap day, Monday, week 9 */
        {1456786800000LL, 2016, 2, 29, 23, 9, 2},
        /* 2018-11-04 Sunday: week 44, weekday 1 */
        {1541289600000LL, 2018, 11, 4, 0, 44, 1},
        /* 2018-11-03 Saturday: weekday 7 */
        {1541203200000LL, 2018, 11, 3, 0, 44, 7},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lake_time t = {.ts_us = cases[i].ts_ms * 1000};
        lake_time_parts(&t);
        assert_int_equal(t.year, cases[i].year);
        assert_int_equal(t.month, cases[i].month);
        assert_int_equal(t.day, cases[i].day);
        assert_int_equal(t.hour, cases[i].hour);
        assert_int_equal(t.week, cases[i].week);
        assert_int_equal(t.weekday, cases[i].weekday);
    }
}

/* "artist_id=" + the escaped value must fit 255 bytes: 245 plain bytes do,
 * 246 do not; an escaped byte counts 3. The songplays and time partitions
 * are spelled once, by lake_month_dir. */
static void test_dir_names(void **state) {
    (void)state;
    char v[300];
    memset(v, 'a', sizeof v);
    assert_true(lake_partition_fits("artist_id", v, 245));
    assert_false(lake_partition_fits("artist_id", v, 246));
    v[0] = '/'; /* %2F */
    assert_true(lake_partition_fits("artist_id", v, 243));
    assert_false(lake_partition_fits("artist_id", v, 244));
    assert_true(lake_partition_fits("artist_id", NULL, 0)); /* __HIVE_DEFAULT_PARTITION__ */
    char dir[64];
    lake_month_dir(dir, sizeof dir, 2018, 11);
    assert_string_equal(dir, "year=2018/month=11");
    lake_month_dir(dir, sizeof dir, -1, 1);
    assert_string_equal(dir, "year=-1/month=1");
}

/* lake_time_parts keeps the last day: a time reached through that cache
 * (after another time of the same day) gets the parts it gets alone
 * (after a time of a distant day), at day edges, before 1970 and at the
 * ends of int64. */
static void parts_after(int64_t before, int64_t ts, lake_time *out) {
    lake_time b = {.ts_us = before};
    lake_time_parts(&b);
    *out = (lake_time){.ts_us = ts};
    lake_time_parts(out);
}

static void test_time_parts_cache(void **state) {
    (void)state;
    const int64_t D = INT64_C(86400000000);
    const int64_t base[] = {0,
                            1541105830000000,
                            -1,
                            -D,
                            -D - 1,
                            951782400 * INT64_C(1000000),
                            INT64_MIN,
                            INT64_MAX,
                            INT64_MIN + D,
                            INT64_MAX - D};
    const int64_t off[] = {0, 1, -1, 3599999999, 3600000000, D - 1, D, -D, D / 2};
    uint64_t x = 88172645463325252u;
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
        for (size_t j = 0; j < sizeof off / sizeof off[0]; j++)
            for (int k = 0; k < 50; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                int64_t ts, near;
                if (__builtin_add_overflow(base[i], off[j], &ts)) continue;
                int64_t step = (int64_t)(x % (uint64_t)D) - D / 2;
                if (__builtin_add_overflow(ts, step, &near)) near = ts;
                lake_time alone, cached;
                int64_t far = ts > 0 ? ts - 3 * D : ts + 3 * D;
                parts_after(far, ts, &alone);
                parts_after(near, ts, &cached);
                assert_int_equal(alone.hour, cached.hour);
                assert_int_equal(alone.day, cached.day);
                assert_int_equal(alone.week, cached.week);
                assert_int_equal(alone.weekday, cached.weekday);
                assert_int_equal(alone.month, cached.month);
                assert_int_equal(alone.year, cached.year);
            }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),           cmocka_unit_test(test_unescape),
        cmocka_unit_test(test_time_parts),       cmocka_unit_test(test_dir_names),
        cmocka_unit_test(test_time_parts_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
