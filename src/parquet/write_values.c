/* write_values: a column's values into its open page (the Parquet writer's
 * inner loops; writer.c does pages, row groups and the file).
 *
 * Values are put a range of rows at a time, by loops specialised per type
 * (and by whether the batch has nulls) that decide nothing per value but
 * the dictionary lookup: for fixed-width values a hash and compare of one
 * word, inlined; for strings a lookup by address (pqw_addrs). Hash tables
 * larger than the caches are prefetched a few rows ahead. The bytes are
 * exactly those of a value-at-a-time writer: same dictionary order, same
 * PLAIN fallback point, same statistics, same page cuts. */
#include "parquet/pq_write_internal.h"

#include <string.h>

static void stats_value(pqw_col *c, const void *p, size_t n) {
    switch (c->type) {
    case PQ_BOOLEAN: pqw_stats_int(&c->stats, *(const uint8_t *)p); break;
    case PQ_INT32: {
        int32_t v;
        memcpy(&v, p, 4);
        pqw_stats_int(&c->stats, v);
        break;
    }
    case PQ_INT64:
    case PQ_TIMESTAMP_US: {
        int64_t v;
        memcpy(&v, p, 8);
        pqw_stats_int(&c->stats, v);
        break;
    }
    case PQ_DOUBLE: {
        double v;
        memcpy(&v, p, 8);
        pqw_stats_double(&c->stats, v);
        break;
    }
    default: pqw_stats_str(&c->stats, p, n);
    }
}

static void append_plain(pqw_col *c, const void *p, size_t n) {
    size_t need = n + (c->width ? 0 : 4);
    if (c->plain.cap - c->plain.len < need) sl_buf_reserve(&c->plain, need);
    uint8_t *o = c->plain.data + c->plain.len;
    if (!c->width) {
        o[0] = (uint8_t)n, o[1] = (uint8_t)(n >> 8), o[2] = (uint8_t)(n >> 16),
        o[3] = (uint8_t)(n >> 24);
        o += 4;
    }
    memcpy(o, p, n);
    c->plain.len += need;
}

void pqw_col_fall_back(pqw_col *c) {
    if (c->width && c->nidx) {
        size_t w = (size_t)c->width;
        sl_buf_reserve(&c->plain, c->nidx * w);
        uint8_t *o = c->plain.data + c->plain.len;
        for (size_t i = 0; i < c->nidx; i++, o += w)
            memcpy(o, c->dict.plain.data + (size_t)c->idx[i] * w, w);
        c->plain.len += c->nidx * w;
    } else if (!c->width) {
        for (size_t i = 0; i < c->nidx; i++) {
            size_t len;
            const uint8_t *e = pqw_dict_entry(&c->dict, c->idx[i], &len);
            sl_buf_append(&c->plain, e, len);
        }
    }
    c->nidx = 0;
    c->plain_equiv = 0;
    c->dict_mode = false;
    c->has_last = false; /* (addrs: unused until the next chunk forgets them) */
    if (c->dict_pages == 0) pqw_dict_clear(&c->dict); /* no page refers to it */
}

static void put_plain(pqw_col *c, const void *p, size_t n) {
    stats_value(c, p, n);
    append_plain(c, p, n);
}

/* ---- ranges of rows ---------------------------------------------------- */
/* Values are put a range of rows at a time, by loops specialised per type
 * (and by whether the batch has nulls) with nothing decided per value but
 * the dictionary lookup. A range ends where a page may have to close (see
 * pqw_col_rows_unchecked) and a loop returns early, after the row, when the
 * dictionary overflows: the page size is checked right after that row, as
 * if every row were checked. */
#define PQW_INLINE static inline __attribute__((always_inline))

enum { K_INT, K_DOUBLE }; /* how a fixed-width value counts in statistics */
/* Hash tables of this many slots or more (a catalog's strings, sessions)
 * miss the caches: the slot of the value PQW_PREFETCH rows ahead is fetched
 * while the current one is looked up. */
#define PQW_PREFETCH 16
#define PQW_PREFETCH_MIN_SLOTS 8192

PQW_INLINE uint64_t load_fixed(const uint8_t *p, int width) {
    uint64_t x = 0;
    memcpy(&x, p, (size_t)width);
    return x;
}

PQW_INLINE int64_t fixed_as_int(uint64_t x, int width) {
    return width == 4 ? (int64_t)(int32_t)(uint32_t)x : (int64_t)x;
}

/* Statistics of the PLAIN values [p, end): min/max in any order for
 * integers; doubles one by one (which of -0.0 and 0.0 is kept depends on
 * the order). */
PQW_INLINE void stats_fixed_run(pqw_col *c, const uint8_t *p, const uint8_t *end, int width,
                                int kind) {
    if (p == end) return;
    if (kind == K_DOUBLE) {
        for (; p < end; p += width) {
            double d;
            memcpy(&d, p, 8);
            pqw_stats_double(&c->stats, d);
        }
        return;
    }
    int64_t mn = fixed_as_int(load_fixed(p, width), width), mx = mn;
    for (p += width; p < end; p += width) {
        int64_t v = fixed_as_int(load_fixed(p, width), width);
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    pqw_stats_int(&c->stats, mn);
    pqw_stats_int(&c->stats, mx);
}

PQW_INLINE size_t plain_fixed(pqw_col *c, const uint8_t *vals, const uint8_t *valid, size_t i0,
                              size_t k, int width, int kind, bool has_valid) {
    size_t w = (size_t)width;
    sl_buf_reserve(&c->plain, k * w);
    uint8_t *start = c->plain.data + c->plain.len, *o = start;
    if (!has_valid) {
        memcpy(o, vals + i0 * w, k * w);
        o += k * w;
    } else {
        for (size_t j = i0; j < i0 + k; j++) {
            memcpy(o, vals + j * w, w);
            o += valid[j] ? w : 0;
        }
    }
    stats_fixed_run(c, start, o, width, kind);
    c->plain.len += (size_t)(o - start);
    return k;
}

static void reserve_idx(pqw_col *c, size_t k) {
    if (c->idx_cap - c->nidx >= k) return;
    while (c->idx_cap - c->nidx < k) c->idx_cap = c->idx_cap ? c->idx_cap * 2 : 1024;
    c->idx = sl_realloc(c->idx, c->idx_cap * sizeof *c->idx);
}

/* Dictionary indices of fixed-width values: a repeat of the last value
 * skips the lookup, which is inlined (hash and compare of one word). */
PQW_INLINE size_t dict_fixed(pqw_col *c, const pq_writer_opts *o, const uint8_t *vals,
                             const uint8_t *valid, size_t i0, size_t k, int width, int kind,
                             bool has_valid) {
    reserve_idx(c, k);
    uint32_t *idx = c->idx + c->nidx, *idx0 = idx;
    uint64_t last = c->last_fixed;
    uint32_t last_idx = c->last_idx;
    bool has_last = c->has_last;
    pqw_dict *d = &c->dict;
    size_t pf_end =
        d->nslots >= PQW_PREFETCH_MIN_SLOTS && k > PQW_PREFETCH ? i0 + k - PQW_PREFETCH : 0;
    for (size_t j = i0; j < i0 + k; j++) {
        if (j < pf_end) {
            uint64_t h =
                pqw_hash_fixed(load_fixed(vals + (j + PQW_PREFETCH) * (size_t)width, width));
            __builtin_prefetch(&d->slots[h & (d->nslots - 1)]);
        }
        if (has_valid && !valid[j]) continue;
        const uint8_t *p = vals + j * (size_t)width;
        uint64_t x = load_fixed(p, width);
        if (!has_last || x != last) {
            uint64_t h = pqw_hash_fixed(x);
            size_t slot;
            int64_t r = pqw_dict_find_fixed(&c->dict, x, h, width, &slot);
            if (r < 0) {
                r = pqw_dict_add(&c->dict, p, (size_t)width, h, slot, o->dict_max_bytes);
                if (r < 0) { /* full: this row and the rest of the chunk go PLAIN */
                    c->nidx += (size_t)(idx - idx0);
                    pqw_col_fall_back(c);
                    put_plain(c, p, (size_t)width);
                    return j - i0 + 1;
                }
                stats_fixed_run(c, p, p + width, width, kind);
            }
            last = x;
            last_idx = (uint32_t)r;
            has_last = true;
        }
        *idx++ = last_idx;
    }
    size_t n = (size_t)(idx - idx0);
    c->nidx += n;
    c->plain_equiv += n * (size_t)width;
    c->last_fixed = last;
    c->last_idx = last_idx;
    c->has_last = has_last;
    return k;
}

PQW_INLINE size_t range_fixed(pqw_col *c, const pq_writer_opts *o, const uint8_t *vals,
                              const uint8_t *valid, size_t i0, size_t k, int width, int kind) {
    if (!c->dict_mode)
        return valid ? plain_fixed(c, vals, valid, i0, k, width, kind, true)
                     : plain_fixed(c, vals, valid, i0, k, width, kind, false);
    return valid ? dict_fixed(c, o, vals, valid, i0, k, width, kind, true)
                 : dict_fixed(c, o, vals, valid, i0, k, width, kind, false);
}

static size_t range_i64(pqw_col *c, const pq_writer_opts *o, const uint8_t *vals,
                        const uint8_t *valid, size_t i0, size_t k) {
    return range_fixed(c, o, vals, valid, i0, k, 8, K_INT);
}

static size_t range_i32(pqw_col *c, const pq_writer_opts *o, const uint8_t *vals,
                        const uint8_t *valid, size_t i0, size_t k) {
    return range_fixed(c, o, vals, valid, i0, k, 4, K_INT);
}

static size_t range_f64(pqw_col *c, const pq_writer_opts *o, const uint8_t *vals,
                        const uint8_t *valid, size_t i0, size_t k) {
    return range_fixed(c, o, vals, valid, i0, k, 8, K_DOUBLE);
}

/* Dictionary indices of strings: found by address (see pqw_addrs), else
 * by hashing the bytes. */
PQW_INLINE size_t dict_str(pqw_col *c, const pq_writer_opts *o, const sl_str *str,
                           const uint8_t *valid, size_t i0, size_t k, bool has_valid) {
    reserve_idx(c, k);
    uint32_t *idx = c->idx + c->nidx, *idx0 = idx;
    size_t bytes = 0;
    size_t pf_end = ((size_t)1 << c->addrs.bits) >= PQW_PREFETCH_MIN_SLOTS && k > PQW_PREFETCH
                        ? i0 + k - PQW_PREFETCH
                        : 0;
    for (size_t j = i0; j < i0 + k; j++) {
        if (j < pf_end)
            __builtin_prefetch(&c->addrs.e[pqw_addrs_home(&c->addrs, str[j + PQW_PREFETCH].ptr)]);
        if (has_valid && !valid[j]) continue;
        const char *p = str[j].len ? str[j].ptr : "";
        uint32_t n = str[j].len;
        pqw_addr_entry *e = n <= UINT16_MAX ? pqw_addrs_find(&c->addrs, p, n) : NULL;
        if (e && e->gen == c->addrs.gen) {
            *idx++ = e->idx;
        } else {
            bool inserted;
            int64_t r = pqw_dict_put(&c->dict, p, n, o->dict_max_bytes, &inserted);
            if (r < 0) {
                c->nidx += (size_t)(idx - idx0);
                pqw_col_fall_back(c);
                put_plain(c, p, n);
                return j - i0 + 1;
            }
            if (inserted) pqw_stats_str(&c->stats, p, n);
            if (e) pqw_addrs_add(&c->addrs, e, p, n, (uint32_t)r);
            *idx++ = (uint32_t)r;
        }
        bytes += (size_t)n + 4;
    }
    c->nidx += (size_t)(idx - idx0);
    c->plain_equiv += bytes;
    return k;
}

size_t pqw_col_put_range(pqw_col *c, const pq_writer_opts *o, const pq_column_batch *b,
                         const uint8_t *valid, size_t i0, size_t k) {
    switch (c->type) {
    case PQ_INT64:
    case PQ_TIMESTAMP_US: return range_i64(c, o, (const uint8_t *)b->v.i64, valid, i0, k);
    case PQ_INT32: return range_i32(c, o, (const uint8_t *)b->v.i32, valid, i0, k);
    case PQ_DOUBLE: return range_f64(c, o, (const uint8_t *)b->v.f64, valid, i0, k);
    case PQ_STRING:
        if (c->dict_mode)
            return valid ? dict_str(c, o, b->v.str, valid, i0, k, true)
                         : dict_str(c, o, b->v.str, valid, i0, k, false);
        break;
    default: break;
    }
    /* BOOLEAN and PLAIN strings, value by value */
    for (size_t j = i0; j < i0 + k; j++) {
        if (valid && !valid[j]) continue;
        if (c->type == PQ_BOOLEAN) {
            uint8_t v = b->v.b[j] != 0;
            put_plain(c, &v, 1);
        } else {
            sl_str s = b->v.str[j];
            put_plain(c, s.len ? s.ptr : "", s.len);
        }
    }
    return k;
}

/* (one row adds at most an index of 32 bits, or a PLAIN value, and a level) */
size_t pqw_col_rows_unchecked(const pqw_col *c, size_t page_bytes) {
    size_t est, per_row;
    if (c->dict_mode) {
        est = 3 + c->nidx * 4 + c->defs.len / 8;
        per_row = 5;
    } else if (c->width) {
        est = 2 + c->plain.len + c->defs.len / 8;
        per_row = (size_t)c->width + 1;
    } else {
        return 0;
    }
    return est < page_bytes ? (page_bytes - est) / per_row : 0;
}
