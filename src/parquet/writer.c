/* writer: the streaming Parquet writer (pq_writer_* of parquet.h).
 *
 * Values arrive column by column in batches. Each column keeps ONE open page
 * (definition levels, and either dictionary indices or PLAIN bytes) and the
 * finished, compressed pages of the current row group. A page closes at
 * ~page_bytes or 20,000 rows (parquet-mr's page row limit); a row group
 * closes at row_group_rows or when its uncompressed estimate reaches
 * row_group_bytes, and is then written to the sink column chunk by column
 * chunk (dictionary page first). So memory is one row group per writer and
 * the table is never held. The footer is written by pq_writer_close.
 *
 * Dictionary encoding as parquet-mr does it: a fresh dictionary per column
 * chunk; if the dictionary would pass dict_max_bytes, the open page is
 * re-encoded PLAIN and the rest of the chunk stays PLAIN (earlier pages keep
 * their RLE_DICTIONARY encoding); if the first page shows that the dictionary
 * does not pay (dictionary + indices >= PLAIN size), the chunk goes PLAIN.
 *
 * Row-group and page boundaries depend only on the values, never on how the
 * caller cut its batches, so output bytes are deterministic. */
#include "parquet/pq_write_internal.h"

#include <stdlib.h>

#include <string.h>

#define PQW_PAGE_ROW_LIMIT 20000
#define PQW_SLICE_ROWS 1024 /* row-group size is checked every this many rows */

typedef struct pqw_col {
    char *name;
    pq_type type;
    bool nullable;
    int phys;  /* parquet physical type */
    int width; /* PLAIN bytes per value; 0 for BYTE_ARRAY */
    bool dict_mode;
    bool has_last;                    /* last_idx is the dictionary index of the last value put */
    uint32_t last_idx;                /* (runs of equal values skip the hash lookup) */
    uint32_t dict_pages, plain_pages; /* data pages of the open chunk */
    pqw_dict dict;
    /* open page */
    sl_buf defs; /* one byte per row (nullable columns only) */
    uint32_t *idx;
    size_t nidx, idx_cap;
    sl_buf plain;       /* PLAIN values; BOOLEAN one byte per value until the page closes */
    size_t plain_equiv; /* PLAIN size of the dictionary-encoded values of the page */
    uint32_t page_rows;
    /* open column chunk */
    sl_buf chunk; /* finished data pages: header + compressed body */
    uint64_t chunk_uncompressed, chunk_values;
    pqw_stats stats;
    /* strings: dictionary indices by address, for one pq_writer_write call
     * (the caller's bytes cannot change during it), or for the chunk with
     * stable batches */
    pqw_addrs addrs;
    bool addrs_stable;   /* the last call's batch was stable */
    uint64_t last_fixed; /* fixed-width columns: the last value put */
} pqw_col;

struct pq_writer {
    pqw_col *cols;
    size_t ncols;
    pq_writer_opts o;
    char *created_by;
    pq_sink sink;
    pqw_compressor *comp;
    sl_buf page, zpage, hdr, colmeta; /* scratch */
    sl_buf rg_meta;                   /* encoded RowGroup structs for the footer */
    uint64_t pos;                     /* bytes handed to the sink */
    uint64_t rows;
    uint64_t rg_rows;
    uint32_t nrg;
    bool failed;
};

static int sink_put(pq_writer *w, const void *p, size_t n, sl_err *err) {
    if (!n) return 0;
    if (w->sink.write(w->sink.ctx, p, n, err) < 0) {
        w->failed = true;
        return -1;
    }
    w->pos += n;
    return 0;
}

static bool col_dict_default(const pq_writer *w, const pqw_col *c) {
    return !w->o.no_dictionary && c->type != PQ_BOOLEAN;
}

static int index_bit_width(const pqw_col *c) {
    int bw = pqw_bit_width(c->dict.count ? c->dict.count - 1 : 0);
    return bw ? bw : 1;
}

/* Uncompressed size the open page would have now. */
static size_t page_estimate(const pqw_col *c) {
    size_t v;
    if (c->dict_mode)
        v = 1 + (c->nidx * (size_t)index_bit_width(c) + 7) / 8;
    else
        v = c->type == PQ_BOOLEAN ? (c->plain.len + 7) / 8 : c->plain.len;
    return v + c->defs.len / 8;
}

/* ---- values ----------------------------------------------------------- */

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

/* Leaves dictionary mode for the rest of the chunk: the open page's indices
 * become PLAIN values. */
static void fall_back_to_plain(pqw_col *c) {
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
 * rows_unchecked) and a loop returns early, after the row, when the
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
PQW_INLINE size_t dict_fixed(pq_writer *w, pqw_col *c, const uint8_t *vals, const uint8_t *valid,
                             size_t i0, size_t k, int width, int kind, bool has_valid) {
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
                r = pqw_dict_add(&c->dict, p, (size_t)width, h, slot, w->o.dict_max_bytes);
                if (r < 0) { /* full: this row and the rest of the chunk go PLAIN */
                    c->nidx += (size_t)(idx - idx0);
                    fall_back_to_plain(c);
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

PQW_INLINE size_t range_fixed(pq_writer *w, pqw_col *c, const uint8_t *vals, const uint8_t *valid,
                              size_t i0, size_t k, int width, int kind) {
    if (!c->dict_mode)
        return valid ? plain_fixed(c, vals, valid, i0, k, width, kind, true)
                     : plain_fixed(c, vals, valid, i0, k, width, kind, false);
    return valid ? dict_fixed(w, c, vals, valid, i0, k, width, kind, true)
                 : dict_fixed(w, c, vals, valid, i0, k, width, kind, false);
}

static size_t range_i64(pq_writer *w, pqw_col *c, const uint8_t *vals, const uint8_t *valid,
                        size_t i0, size_t k) {
    return range_fixed(w, c, vals, valid, i0, k, 8, K_INT);
}

static size_t range_i32(pq_writer *w, pqw_col *c, const uint8_t *vals, const uint8_t *valid,
                        size_t i0, size_t k) {
    return range_fixed(w, c, vals, valid, i0, k, 4, K_INT);
}

static size_t range_f64(pq_writer *w, pqw_col *c, const uint8_t *vals, const uint8_t *valid,
                        size_t i0, size_t k) {
    return range_fixed(w, c, vals, valid, i0, k, 8, K_DOUBLE);
}

/* Dictionary indices of strings: found by address (see pqw_addrs), else
 * by hashing the bytes. */
PQW_INLINE size_t dict_str(pq_writer *w, pqw_col *c, const sl_str *str, const uint8_t *valid,
                           size_t i0, size_t k, bool has_valid) {
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
            int64_t r = pqw_dict_put(&c->dict, p, n, w->o.dict_max_bytes, &inserted);
            if (r < 0) {
                c->nidx += (size_t)(idx - idx0);
                fall_back_to_plain(c);
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

/* Puts rows [i0, i0 + k) of one column; returns how many were put. */
static size_t put_range(pq_writer *w, pqw_col *c, const pq_column_batch *b, const uint8_t *valid,
                        size_t i0, size_t k) {
    switch (c->type) {
    case PQ_INT64:
    case PQ_TIMESTAMP_US: return range_i64(w, c, (const uint8_t *)b->v.i64, valid, i0, k);
    case PQ_INT32: return range_i32(w, c, (const uint8_t *)b->v.i32, valid, i0, k);
    case PQ_DOUBLE: return range_f64(w, c, (const uint8_t *)b->v.f64, valid, i0, k);
    case PQ_STRING:
        if (c->dict_mode)
            return valid ? dict_str(w, c, b->v.str, valid, i0, k, true)
                         : dict_str(w, c, b->v.str, valid, i0, k, false);
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

/* How many rows can go before page_estimate is checked again: it cannot
 * reach page_bytes before the last of them (one row adds at most an index
 * of 32 bits, or a PLAIN value, and a level). 0 for PLAIN strings, where
 * one row can add any size. */
static size_t rows_unchecked(const pq_writer *w, const pqw_col *c) {
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
    return est < w->o.page_bytes ? (w->o.page_bytes - est) / per_row : 0;
}

/* ---- pages ------------------------------------------------------------ */

/* Starts a PageHeader in `out` (emptied); the caller adds its page-type
 * specific header and closes the struct. */
static void page_header_begin(pqw_thrift *t, sl_buf *out, int type, size_t unc, size_t comp) {
    out->len = 0;
    pqw_tc_init(t, out);
    pqw_tc_struct_begin(t);
    pqw_tc_field_i32(t, 1, type);
    pqw_tc_field_i32(t, 2, (int32_t)unc);
    pqw_tc_field_i32(t, 3, (int32_t)comp);
}

static int finish_page(pq_writer *w, pqw_col *c, sl_err *err) {
    if (c->page_rows == 0) return 0;
    if (c->dict_mode && c->dict_pages == 0) {
        /* first page of the chunk: keep the dictionary only if it pays */
        size_t enc = c->dict.plain.len + (c->nidx * (size_t)index_bit_width(c) + 7) / 8;
        if (enc >= c->plain_equiv) fall_back_to_plain(c);
    }
    sl_buf *pg = &w->page;
    pg->len = 0;
    if (c->nullable) {
        sl_buf_append(pg, "\0\0\0\0", 4);
        pqw_rle_encode_levels(pg, c->defs.data, c->defs.len);
        size_t n = pg->len - 4;
        for (int i = 0; i < 4; i++) pg->data[i] = (uint8_t)(n >> (8 * i));
    }
    int enc;
    if (c->dict_mode) {
        int bw = index_bit_width(c);
        sl_buf_putc(pg, (uint8_t)bw);
        pqw_rle_encode(pg, bw, c->idx, c->nidx);
        enc = PQW_ENC_RLE_DICTIONARY;
        c->dict_pages++;
    } else if (c->type == PQ_BOOLEAN) {
        size_t nb = (c->plain.len + 7) / 8;
        sl_buf_reserve(pg, nb);
        memset(pg->data + pg->len, 0, nb);
        for (size_t i = 0; i < c->plain.len; i++)
            if (c->plain.data[i]) pg->data[pg->len + i / 8] |= (uint8_t)(1u << (i % 8));
        pg->len += nb;
        enc = PQW_ENC_PLAIN;
        c->plain_pages++;
    } else {
        sl_buf_append(pg, c->plain.data, c->plain.len);
        enc = PQW_ENC_PLAIN;
        c->plain_pages++;
    }
    if ((uint64_t)pg->len > INT32_MAX)
        return sl_err_set(err, "column %s: page of %zu bytes exceeds the format's 2 GiB limit",
                          c->name, pg->len);
    w->zpage.len = 0;
    if (pqw_compress(w->comp, pg->data, pg->len, &w->zpage, err) < 0) return -1;

    pqw_thrift t;
    page_header_begin(&t, &w->hdr, PQW_PAGE_DATA, pg->len, w->zpage.len);
    pqw_tc_field_struct(&t, 5);
    pqw_tc_field_i32(&t, 1, (int32_t)c->page_rows);
    pqw_tc_field_i32(&t, 2, enc);
    pqw_tc_field_i32(&t, 3, PQW_ENC_RLE);
    pqw_tc_field_i32(&t, 4, PQW_ENC_RLE);
    pqw_tc_struct_end(&t); /* DataPageHeader */
    pqw_tc_struct_end(&t); /* PageHeader */

    sl_buf_append(&c->chunk, w->hdr.data, w->hdr.len);
    sl_buf_append(&c->chunk, w->zpage.data, w->zpage.len);
    c->chunk_uncompressed += w->hdr.len + pg->len;
    c->chunk_values += c->page_rows;
    c->defs.len = 0;
    c->plain.len = 0;
    c->nidx = 0;
    c->plain_equiv = 0;
    c->page_rows = 0;
    return 0;
}

/* ---- row groups ------------------------------------------------------- */

static void encode_encoding_stats(pqw_thrift *t, const pqw_col *c, bool has_dict) {
    uint32_t n = (has_dict ? 1u : 0u) + (c->dict_pages ? 1u : 0u) + (c->plain_pages ? 1u : 0u);
    pqw_tc_field_list(t, 13, PQW_TC_STRUCT, n);
    int32_t rows[3][3] = {{PQW_PAGE_DICTIONARY, PQW_ENC_PLAIN, 1},
                          {PQW_PAGE_DATA, PQW_ENC_RLE_DICTIONARY, (int32_t)c->dict_pages},
                          {PQW_PAGE_DATA, PQW_ENC_PLAIN, (int32_t)c->plain_pages}};
    bool on[3] = {has_dict, c->dict_pages > 0, c->plain_pages > 0};
    for (int i = 0; i < 3; i++) {
        if (!on[i]) continue;
        pqw_tc_struct_begin(t);
        pqw_tc_field_i32(t, 1, rows[i][0]);
        pqw_tc_field_i32(t, 2, rows[i][1]);
        pqw_tc_field_i32(t, 3, rows[i][2]);
        pqw_tc_struct_end(t);
    }
}

/* Writes one column chunk to the sink and its ColumnChunk to w->colmeta. */
static int write_chunk(pq_writer *w, pqw_col *c, uint64_t *unc_total, uint64_t *comp_total,
                       sl_err *err) {
    if (finish_page(w, c, err) < 0) return -1;
    uint64_t start = w->pos;
    uint64_t unc = c->chunk_uncompressed, comp = c->chunk.len;
    bool has_dict = c->dict_pages > 0;
    if (has_dict) {
        w->zpage.len = 0;
        if (pqw_compress(w->comp, c->dict.plain.data, c->dict.plain.len, &w->zpage, err) < 0)
            return -1;
        pqw_thrift t;
        page_header_begin(&t, &w->hdr, PQW_PAGE_DICTIONARY, c->dict.plain.len, w->zpage.len);
        pqw_tc_field_struct(&t, 7);
        pqw_tc_field_i32(&t, 1, (int32_t)c->dict.count);
        pqw_tc_field_i32(&t, 2, PQW_ENC_PLAIN);
        pqw_tc_struct_end(&t);
        pqw_tc_struct_end(&t);
        unc += w->hdr.len + c->dict.plain.len;
        comp += w->hdr.len + w->zpage.len;
        if (sink_put(w, w->hdr.data, w->hdr.len, err) < 0 ||
            sink_put(w, w->zpage.data, w->zpage.len, err) < 0)
            return -1;
    }
    uint64_t data_off = w->pos;
    if (sink_put(w, c->chunk.data, c->chunk.len, err) < 0) return -1;

    pqw_thrift t;
    pqw_tc_init(&t, &w->colmeta);
    pqw_tc_struct_begin(&t); /* ColumnChunk */
    pqw_tc_field_i64(&t, 2, (int64_t)start);
    pqw_tc_field_struct(&t, 3); /* ColumnMetaData */
    pqw_tc_field_i32(&t, 1, c->phys);
    bool plain_used = has_dict || c->plain_pages > 0;
    pqw_tc_field_list(&t, 2, PQW_TC_I32, (plain_used ? 1u : 0u) + 1u + (has_dict ? 1u : 0u));
    if (plain_used) pqw_tc_i32(&t, PQW_ENC_PLAIN);
    pqw_tc_i32(&t, PQW_ENC_RLE);
    if (has_dict) pqw_tc_i32(&t, PQW_ENC_RLE_DICTIONARY);
    pqw_tc_field_list(&t, 3, PQW_TC_BINARY, 1);
    pqw_tc_binary(&t, c->name, strlen(c->name));
    pqw_tc_field_i32(&t, 4, (int32_t)w->o.codec);
    pqw_tc_field_i64(&t, 5, (int64_t)c->chunk_values);
    pqw_tc_field_i64(&t, 6, (int64_t)unc);
    pqw_tc_field_i64(&t, 7, (int64_t)comp);
    pqw_tc_field_i64(&t, 9, (int64_t)data_off);
    if (has_dict) pqw_tc_field_i64(&t, 11, (int64_t)start);
    pqw_stats_encode(&c->stats, &t, 12);
    encode_encoding_stats(&t, c, has_dict);
    pqw_tc_struct_end(&t); /* ColumnMetaData */
    pqw_tc_struct_end(&t); /* ColumnChunk */

    *unc_total += unc;
    *comp_total += comp;
    c->chunk.len = 0;
    c->chunk_uncompressed = c->chunk_values = 0;
    c->dict_pages = c->plain_pages = 0;
    pqw_dict_clear(&c->dict);
    c->has_last = false;
    if (c->addrs.e) pqw_addrs_forget(&c->addrs);
    c->dict_mode = col_dict_default(w, c);
    pqw_stats_reset(&c->stats);
    return 0;
}

static int flush_row_group(pq_writer *w, sl_err *err) {
    if (w->rg_rows == 0) return 0;
    uint64_t start = w->pos, unc = 0, comp = 0;
    w->colmeta.len = 0;
    for (size_t j = 0; j < w->ncols; j++)
        if (write_chunk(w, &w->cols[j], &unc, &comp, err) < 0) {
            w->failed = true;
            return -1;
        }
    pqw_thrift t;
    pqw_tc_init(&t, &w->rg_meta);
    pqw_tc_struct_begin(&t);
    pqw_tc_field_list(&t, 1, PQW_TC_STRUCT, (uint32_t)w->ncols);
    sl_buf_append(&w->rg_meta, w->colmeta.data, w->colmeta.len);
    pqw_tc_field_i64(&t, 2, (int64_t)unc);
    pqw_tc_field_i64(&t, 3, (int64_t)w->rg_rows);
    pqw_tc_field_i64(&t, 5, (int64_t)start);
    pqw_tc_field_i64(&t, 6, (int64_t)comp);
    pqw_tc_field_i16(&t, 7, (int16_t)w->nrg);
    pqw_tc_struct_end(&t);
    w->nrg++;
    w->rg_rows = 0;
    return 0;
}

static size_t row_group_estimate(const pq_writer *w) {
    size_t n = 0;
    for (size_t j = 0; j < w->ncols; j++) {
        const pqw_col *c = &w->cols[j];
        n += c->chunk_uncompressed + page_estimate(c) + c->dict.plain.len;
    }
    return n;
}

/* ---- public API ------------------------------------------------------- */

static void free_writer(pq_writer *w) {
    for (size_t j = 0; j < w->ncols; j++) {
        pqw_col *c = &w->cols[j];
        free(c->name);
        pqw_dict_free(&c->dict);
        sl_buf_free(&c->defs);
        free(c->idx);
        sl_buf_free(&c->plain);
        sl_buf_free(&c->chunk);
        pqw_stats_free(&c->stats);
        pqw_addrs_free(&c->addrs);
    }
    free(w->cols);
    free(w->created_by);
    pqw_compressor_free(w->comp);
    sl_buf_free(&w->page);
    sl_buf_free(&w->zpage);
    sl_buf_free(&w->hdr);
    sl_buf_free(&w->colmeta);
    sl_buf_free(&w->rg_meta);
    free(w);
}

static int check_schema(const pq_column_def *cols, size_t ncols, sl_err *err) {
    if (!cols || ncols == 0)
        return sl_err_set(err, "parquet writer: a schema needs at least one column");
    if (ncols > 32767) return sl_err_set(err, "parquet writer: too many columns (%zu)", ncols);
    for (size_t j = 0; j < ncols; j++) {
        if (!cols[j].name || !cols[j].name[0])
            return sl_err_set(err, "parquet writer: column %zu has no name", j);
        switch (cols[j].type) {
        case PQ_BOOLEAN:
        case PQ_INT32:
        case PQ_INT64:
        case PQ_DOUBLE:
        case PQ_STRING:
        case PQ_TIMESTAMP_US: break;
        default:
            return sl_err_set(err, "parquet writer: column %s: type %s cannot be written",
                              cols[j].name, pq_type_name(cols[j].type));
        }
        for (size_t k = 0; k < j; k++)
            if (!strcmp(cols[k].name, cols[j].name))
                return sl_err_set(err, "parquet writer: duplicate column name %s", cols[j].name);
    }
    return 0;
}

pq_writer *pq_writer_open(const pq_column_def *cols, size_t ncols, const pq_writer_opts *opts,
                          pq_sink sink, sl_err *err) {
    if (check_schema(cols, ncols, err) < 0) return NULL;
    if (!sink.write) {
        sl_err_set(err, "parquet writer: no sink");
        return NULL;
    }
    pq_writer *w = sl_calloc(1, sizeof *w);
    pq_writer_opts_default(&w->o);
    if (opts) w->o = *opts;
    pq_writer_opts def;
    pq_writer_opts_default(&def);
    if (!w->o.row_group_bytes) w->o.row_group_bytes = def.row_group_bytes;
    if (!w->o.row_group_rows) w->o.row_group_rows = def.row_group_rows;
    if (!w->o.page_bytes) w->o.page_bytes = def.page_bytes;
    if (w->o.page_bytes > ((size_t)1 << 30)) w->o.page_bytes = (size_t)1 << 30;
    if (w->o.dict_max_bytes > ((size_t)1 << 30)) w->o.dict_max_bytes = (size_t)1 << 30;
    w->created_by = sl_strdup(w->o.created_by ? w->o.created_by : def.created_by);
    w->o.created_by = w->created_by;
    w->sink = sink;
    w->comp = pqw_compressor_new(w->o.codec, w->o.compression_level, err);
    if (!w->comp) {
        free_writer(w);
        return NULL;
    }
    w->ncols = ncols;
    w->cols = sl_calloc(ncols, sizeof *w->cols);
    for (size_t j = 0; j < ncols; j++) {
        pqw_col *c = &w->cols[j];
        c->name = sl_strdup(cols[j].name);
        c->type = cols[j].type;
        c->nullable = cols[j].nullable;
        switch (c->type) {
        case PQ_BOOLEAN: c->phys = PQW_T_BOOLEAN, c->width = 1; break;
        case PQ_INT32: c->phys = PQW_T_INT32, c->width = 4; break;
        case PQ_DOUBLE: c->phys = PQW_T_DOUBLE, c->width = 8; break;
        case PQ_STRING: c->phys = PQW_T_BYTE_ARRAY, c->width = 0; break;
        default: c->phys = PQW_T_INT64, c->width = 8;
        }
        pqw_dict_init(&c->dict, c->width);
        if (c->width == 0) pqw_addrs_init(&c->addrs);
        pqw_stats_init(&c->stats, c->type);
        c->dict_mode = col_dict_default(w, c);
    }
    if (sink_put(w, "PAR1", 4, err) < 0) {
        free_writer(w);
        return NULL;
    }
    return w;
}

static int check_batch(const pq_writer *w, const pq_column_batch *cols, size_t nrows, sl_err *err) {
    if (!cols) return sl_err_set(err, "parquet writer: no column batches");
    for (size_t j = 0; j < w->ncols; j++) {
        const pqw_col *c = &w->cols[j];
        if (!cols[j].v.b) return sl_err_set(err, "parquet writer: column %s: no values", c->name);
        if (c->nullable || !cols[j].valid) continue;
        for (size_t i = 0; i < nrows; i++)
            if (!cols[j].valid[i])
                return sl_err_set(err, "parquet writer: column %s is REQUIRED but row %zu is null",
                                  c->name, i);
    }
    return 0;
}

static int put_rows(pq_writer *w, pqw_col *c, const pq_column_batch *b, size_t off, size_t n,
                    sl_err *err) {
    const uint8_t *valid = c->nullable ? b->valid : NULL;
    if (c->nullable) sl_buf_reserve(&c->defs, n); /* pages only shrink it: no check per row */
    for (size_t i = off; i < off + n;) {
        size_t k = off + n - i, room = PQW_PAGE_ROW_LIMIT - c->page_rows;
        size_t safe = rows_unchecked(w, c);
        if (k > room) k = room;
        if (k > safe) k = safe ? safe : 1;
        uint8_t *defs = c->nullable ? c->defs.data + c->defs.len : NULL;
        if (valid) {
            for (size_t j = 0; j < k; j++) defs[j] = valid[i + j] != 0;
        } else if (defs) {
            memset(defs, 1, k);
        }
        size_t done = put_range(w, c, b, valid, i, k);
        if (valid) {
            size_t present = 0;
            for (size_t j = 0; j < done; j++) present += defs[j];
            c->stats.null_count += done - present;
        }
        if (c->nullable) c->defs.len += done;
        c->page_rows += (uint32_t)done;
        i += done;
        if (c->page_rows >= PQW_PAGE_ROW_LIMIT || page_estimate(c) >= w->o.page_bytes)
            if (finish_page(w, c, err) < 0) return -1;
    }
    return 0;
}

int pq_writer_write(pq_writer *w, const pq_column_batch *cols, size_t nrows, sl_err *err) {
    if (w->failed) return sl_err_set(err, "parquet writer: an earlier write failed");
    if (nrows == 0) return 0;
    if (check_batch(w, cols, nrows, err) < 0) return -1;
    for (size_t j = 0; j < w->ncols; j++) {
        pqw_col *c = &w->cols[j];
        /* an address of an earlier call may hold other bytes now, unless
         * both that call's batch and this one are stable */
        if (c->addrs.e && !(cols[j].stable && c->addrs_stable)) pqw_addrs_forget(&c->addrs);
        c->addrs_stable = cols[j].stable;
    }
    size_t done = 0;
    while (done < nrows) {
        size_t n = nrows - done;
        size_t to_check = PQW_SLICE_ROWS - (size_t)(w->rg_rows % PQW_SLICE_ROWS);
        size_t left = w->o.row_group_rows - (size_t)w->rg_rows;
        if (n > to_check) n = to_check;
        if (n > left) n = left;
        for (size_t j = 0; j < w->ncols; j++)
            if (put_rows(w, &w->cols[j], &cols[j], done, n, err) < 0) {
                w->failed = true;
                return -1;
            }
        w->rg_rows += n;
        w->rows += n;
        done += n;
        /* the size is checked only at multiples of PQW_SLICE_ROWS rows into the
         * row group, never where a caller's batch happens to end */
        bool aligned = w->rg_rows % PQW_SLICE_ROWS == 0;
        if (w->rg_rows >= w->o.row_group_rows ||
            (aligned && row_group_estimate(w) >= w->o.row_group_bytes))
            if (flush_row_group(w, err) < 0) return -1;
    }
    return 0;
}

static void encode_schema(pq_writer *w, pqw_thrift *t) {
    pqw_tc_field_list(t, 2, PQW_TC_STRUCT, (uint32_t)w->ncols + 1);
    pqw_tc_struct_begin(t);
    pqw_tc_field_binary(t, 4, "schema", 6);
    pqw_tc_field_i32(t, 5, (int32_t)w->ncols);
    pqw_tc_struct_end(t);
    for (size_t j = 0; j < w->ncols; j++) {
        const pqw_col *c = &w->cols[j];
        pqw_tc_struct_begin(t);
        pqw_tc_field_i32(t, 1, c->phys);
        pqw_tc_field_i32(t, 3, c->nullable ? PQW_REP_OPTIONAL : PQW_REP_REQUIRED);
        pqw_tc_field_binary(t, 4, c->name, strlen(c->name));
        if (c->type == PQ_STRING) {
            pqw_tc_field_i32(t, 6, PQW_CONV_UTF8);
            pqw_tc_field_struct(t, 10); /* LogicalType */
            pqw_tc_field_struct(t, 1);  /* STRING */
            pqw_tc_struct_end(t);
            pqw_tc_struct_end(t);
        } else if (c->type == PQ_TIMESTAMP_US) {
            pqw_tc_field_i32(t, 6, PQW_CONV_TIMESTAMP_MICROS);
            pqw_tc_field_struct(t, 10); /* LogicalType */
            pqw_tc_field_struct(t, 8);  /* TIMESTAMP */
            pqw_tc_field_bool(t, 1, true);
            pqw_tc_field_struct(t, 2); /* unit: TimeUnit */
            pqw_tc_field_struct(t, 2); /* MICROS */
            pqw_tc_struct_end(t);
            pqw_tc_struct_end(t);
            pqw_tc_struct_end(t);
            pqw_tc_struct_end(t);
        }
        pqw_tc_struct_end(t);
    }
}

int pq_writer_close(pq_writer *w, pq_file_info *info, sl_err *err) {
    if (w->failed) {
        free_writer(w);
        return sl_err_set(err, "parquet writer: an earlier write failed");
    }
    if (flush_row_group(w, err) < 0) {
        free_writer(w);
        return -1;
    }
    sl_buf *f = &w->colmeta;
    f->len = 0;
    pqw_thrift t;
    pqw_tc_init(&t, f);
    pqw_tc_struct_begin(&t); /* FileMetaData */
    pqw_tc_field_i32(&t, 1, 1);
    encode_schema(w, &t);
    pqw_tc_field_i64(&t, 3, (int64_t)w->rows);
    pqw_tc_field_list(&t, 4, PQW_TC_STRUCT, w->nrg);
    sl_buf_append(f, w->rg_meta.data, w->rg_meta.len);
    pqw_tc_field_binary(&t, 6, w->created_by, strlen(w->created_by));
    pqw_tc_field_list(&t, 7, PQW_TC_STRUCT, (uint32_t)w->ncols);
    for (size_t j = 0; j < w->ncols; j++) {
        pqw_tc_struct_begin(&t);    /* ColumnOrder */
        pqw_tc_field_struct(&t, 1); /* TYPE_ORDER */
        pqw_tc_struct_end(&t);
        pqw_tc_struct_end(&t);
    }
    pqw_tc_struct_end(&t);
    uint32_t n = (uint32_t)f->len;
    uint8_t tail[8] = {
        (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24), 'P', 'A', 'R', '1'};
    sl_buf_append(f, tail, 8);
    if (sink_put(w, f->data, f->len, err) < 0) {
        free_writer(w);
        return -1;
    }
    if (info) {
        info->rows = w->rows;
        info->bytes = w->pos;
        info->row_groups = w->nrg;
    }
    free_writer(w);
    return 0;
}

void pq_writer_abort(pq_writer *w) {
    if (w) free_writer(w);
}
