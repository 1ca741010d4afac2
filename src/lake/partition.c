/* Partition paths and time parts: the small pure functions of SPEC section 2
 * that decide where a row lands, kept apart from the writers so they can be
 * tested alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lake/lake_internal.h"

static const char HIVE_DEFAULT[] = "__HIVE_DEFAULT_PARTITION__";

/* Bytes Hive and Spark escape in partition values (ExternalCatalogUtils). */
static bool needs_escape(unsigned char c) {
    if (c < 0x20 || c == 0x7F) return true;
    return strchr("\"#%'*/:=?\\{[]^", c) != NULL && c != 0;
}

void lake_escape_partition(sl_buf *out, const char *v, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    if (!v || n == 0) {
        sl_buf_append(out, HIVE_DEFAULT, sizeof HIVE_DEFAULT - 1);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (needs_escape(c)) {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            sl_buf_append(out, e, 3);
        } else {
            sl_buf_putc(out, c);
        }
    }
}

size_t lake_escaped_len(const char *v, size_t n) {
    if (!v || n == 0) return sizeof HIVE_DEFAULT - 1;
    size_t len = n;
    for (size_t i = 0; i < n; i++) len += needs_escape((unsigned char)v[i]) ? 2 : 0;
    return len;
}

bool lake_partition_fits(const char *column, const char *v, size_t n) {
    return strlen(column) + 1 + lake_escaped_len(v, n) <= LAKE_MAX_DIR_NAME;
}

/* The one spelling of a (year, month) partition (songplays and time). */
void lake_month_dir(char *dir, size_t n, int32_t year, int32_t month) {
    snprintf(dir, n, "year=%d/month=%d", (int)year, (int)month);
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *lake_unescape_partition(const char *v, size_t n) {
    if (n == sizeof HIVE_DEFAULT - 1 && memcmp(v, HIVE_DEFAULT, n) == 0) return NULL;
    char *o = sl_malloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        int h, l;
        if (v[i] == '%' && i + 2 < n && (h = hexval(v[i + 1])) >= 0 &&
            (l = hexval(v[i + 2])) >= 0) {
            o[j++] = (char)(h * 16 + l);
            i += 2;
        } else {
            o[j++] = v[i];
        }
    }
    o[j] = 0;
    return o;
}

/* Days since 1970-01-01 -> civil date (proleptic Gregorian), after Howard
 * Hinnant's days_from_civil inverse. */
static void civil_from_days(int64_t z, int32_t *y, int32_t *m, int32_t *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int32_t)(yy + (mm <= 2));
    *m = (int32_t)mm;
    *d = (int32_t)dd;
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int64_t floordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* ISO-8601 weekday 1=Monday..7=Sunday of a day number (1970-01-01 was a
 * Thursday). */
static int iso_wday(int64_t days) {
    int64_t w = (days + 3) % 7; /* 0 = Monday */
    if (w < 0) w += 7;
    return (int)w + 1;
}

static int iso_weeks_in_year(int64_t y) {
    /* A year has 53 ISO weeks when Jan 1 is a Thursday, or a Wednesday in a
     * leap year. */
    int jan1 = iso_wday(days_from_civil(y, 1, 1));
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return (jan1 == 4 || (leap && jan1 == 3)) ? 53 : 52;
}

/* Everything but the hour depends on the day alone, and logs are time
 * ordered: the last day's fields are kept per thread, and a time in that
 * day costs one compare and one division (songplays' year and month come
 * from here too, once per play). */
static _Thread_local struct {
    bool ok;
    bool has_start; /* start_us is the day's first microsecond (it fits int64) */
    int64_t days, start_us;
    int32_t year, month, day, week, weekday;
} day_cache;

#define US_PER_DAY INT64_C(86400000000)
#define US_PER_HOUR INT64_C(3600000000)

static void from_cache(lake_time *t) {
    t->year = day_cache.year;
    t->month = day_cache.month;
    t->day = day_cache.day;
    t->weekday = day_cache.weekday;
    t->week = day_cache.week;
}

void lake_time_parts(lake_time *t) {
    /* unsigned: the exact difference, as ts_us >= start_us */
    if (day_cache.ok && day_cache.has_start && t->ts_us >= day_cache.start_us &&
        (uint64_t)t->ts_us - (uint64_t)day_cache.start_us < (uint64_t)US_PER_DAY) {
        t->hour =
            (int32_t)(((uint64_t)t->ts_us - (uint64_t)day_cache.start_us) / (uint64_t)US_PER_HOUR);
        from_cache(t);
        return;
    }
    int64_t secs = floordiv(t->ts_us, 1000000);
    int64_t days = floordiv(secs, 86400);
    int64_t sod = secs - days * 86400;
    t->hour = (int32_t)(sod / 3600);
    if (!day_cache.ok || day_cache.days != days) {
        int32_t y, m, d;
        civil_from_days(days, &y, &m, &d);
        int wd = iso_wday(days);
        int64_t doy = days - days_from_civil(y, 1, 1) + 1;
        int64_t week = (doy - wd + 10) / 7;
        if (week < 1)
            week = iso_weeks_in_year(y - 1);
        else if (week > iso_weeks_in_year(y))
            week = 1;
        day_cache.ok = true;
        day_cache.days = days;
        day_cache.has_start = days > INT64_MIN / US_PER_DAY && days < INT64_MAX / US_PER_DAY;
        day_cache.start_us = day_cache.has_start ? days * US_PER_DAY : 0;
        day_cache.year = y;
        day_cache.month = m;
        day_cache.day = d;
        day_cache.weekday = wd % 7 + 1; /* Spark dayofweek: 1 = Sunday */
        day_cache.week = (int32_t)week;
    }
    from_cache(t);
}
