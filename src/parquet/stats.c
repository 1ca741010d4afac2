/* stats: column-chunk statistics (min_value, max_value, null_count) and
 * their Statistics encoding, following the format's ordering rules so
 * readers can prune on them:
 * - integers and timestamps compare signed; strings bytewise unsigned;
 *   booleans false < true;
 * - doubles ignore NaN; a zero min is written as -0.0 and a zero max as
 *   +0.0 (the format's rule, since -0.0 == +0.0 may hide either);
 * - no min/max when every value is null (or NaN);
 * - the legacy min/max fields (1, 2), whose order is signed, only where
 *   signed order is the type's order: BOOLEAN, INT32, INT64 (and
 *   TIMESTAMP), DOUBLE; never for strings. */
#include "parquet/pq_write_internal.h"

#include <string.h>

void pqw_stats_init(pqw_stats *s, pq_type type) {
    memset(s, 0, sizeof *s);
    s->type = type;
}

void pqw_stats_reset(pqw_stats *s) {
    s->null_count = 0;
    s->has_minmax = false;
    s->has_nan = false;
    s->smin.len = 0;
    s->smax.len = 0;
}

void pqw_stats_free(pqw_stats *s) {
    sl_buf_free(&s->smin);
    sl_buf_free(&s->smax);
}

static int bytes_cmp(const void *a, size_t an, const void *b, size_t bn) {
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return an < bn ? -1 : an > bn;
}

static void set_buf(sl_buf *b, const void *p, size_t n) {
    b->len = 0;
    sl_buf_append(b, p, n);
}

void pqw_stats_str(pqw_stats *s, const void *p, size_t n) {
    if (!s->has_minmax) {
        set_buf(&s->smin, p, n);
        set_buf(&s->smax, p, n);
        s->has_minmax = true;
        return;
    }
    if (bytes_cmp(p, n, s->smin.data, s->smin.len) < 0)
        set_buf(&s->smin, p, n);
    else if (bytes_cmp(p, n, s->smax.data, s->smax.len) > 0)
        set_buf(&s->smax, p, n);
}

void pqw_stats_merge(pqw_stats *dst, const pqw_stats *src) {
    dst->null_count += src->null_count;
    dst->has_nan |= src->has_nan;
    if (!src->has_minmax) return;
    switch (src->type) {
    case PQ_DOUBLE:
        pqw_stats_double(dst, src->dmin);
        pqw_stats_double(dst, src->dmax);
        break;
    case PQ_STRING:
        pqw_stats_str(dst, src->smin.data, src->smin.len);
        pqw_stats_str(dst, src->smax.data, src->smax.len);
        break;
    default: pqw_stats_int(dst, src->imin), pqw_stats_int(dst, src->imax);
    }
}

static void le_bytes(uint8_t *out, uint64_t v, int n) {
    for (int i = 0; i < n; i++) out[i] = (uint8_t)(v >> (8 * i));
}

void pqw_stats_encode(const pqw_stats *s, pqw_thrift *t, int16_t id) {
    uint8_t minb[8], maxb[8];
    const void *minp = minb, *maxp = maxb;
    size_t n = 0, maxn = 0;
    bool legacy = false, minmax = s->has_minmax;
    if (minmax) {
        switch (s->type) {
        case PQ_BOOLEAN:
            minb[0] = (uint8_t)s->imin;
            maxb[0] = (uint8_t)s->imax;
            n = maxn = 1;
            legacy = true; /* false < true in signed order too */
            break;
        case PQ_INT32:
            le_bytes(minb, (uint64_t)s->imin, 4);
            le_bytes(maxb, (uint64_t)s->imax, 4);
            n = maxn = 4;
            legacy = true;
            break;
        case PQ_INT64:
        case PQ_TIMESTAMP_US:
            le_bytes(minb, (uint64_t)s->imin, 8);
            le_bytes(maxb, (uint64_t)s->imax, 8);
            n = maxn = 8;
            legacy = true;
            break;
        case PQ_DOUBLE: {
            double mn = s->dmin == 0.0 ? -0.0 : s->dmin;
            double mx = s->dmax == 0.0 ? 0.0 : s->dmax;
            uint64_t u;
            memcpy(&u, &mn, 8);
            le_bytes(minb, u, 8);
            memcpy(&u, &mx, 8);
            le_bytes(maxb, u, 8);
            n = maxn = 8;
            legacy = true;
            break;
        }
        case PQ_STRING:
            minp = s->smin.data;
            maxp = s->smax.data;
            n = s->smin.len;
            maxn = s->smax.len;
            if (n > PQW_STATS_MAX_VALUE_BYTES || maxn > PQW_STATS_MAX_VALUE_BYTES) minmax = false;
            break;
        default: minmax = false;
        }
    }
    pqw_tc_field_struct(t, id);
    if (minmax && legacy) {
        pqw_tc_field_binary(t, 1, maxp, maxn);
        pqw_tc_field_binary(t, 2, minp, n);
    }
    pqw_tc_field_i64(t, 3, (int64_t)s->null_count);
    if (minmax) {
        pqw_tc_field_binary(t, 5, maxp, maxn);
        pqw_tc_field_binary(t, 6, minp, n);
    }
    pqw_tc_struct_end(t);
}
