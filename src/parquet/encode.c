/* encode: value encodings of the Parquet writer.
 *
 * - RLE / bit-packed hybrid (definition levels, dictionary indices): the
 *   run-detection algorithm of parquet-mr and Arrow, so our pages look like
 *   theirs: 8 equal values in a row start an RLE run; other values are
 *   bit-packed in groups of 8, LSB first, with a one-byte run header reserved
 *   up front and patched when the run ends (<= 63 groups per run).
 * - The dictionary: distinct values kept PLAIN-encoded back to back (that
 *   buffer IS the dictionary page body) plus an open-addressing index keyed by
 *   sl_hash. No per-value malloc: three arrays that grow geometrically. */
#include "parquet/pq_write_internal.h"

#include <stdlib.h>

#include <string.h>

/* Worst case of pqw_rle_encode*: per 8 values a literal group (bw bytes and
 * a share of a header) or a run (<= 10 header bytes + 4 value bytes), plus
 * slack for the word-wide stores below. */
static uint8_t *rle_reserve(sl_buf *out, size_t n, int bw) {
    sl_buf_reserve(out, (n / 8 + 2) * (size_t)(bw + 15) + 16);
    return out->data + out->len;
}

static uint8_t *put_run(uint8_t *o, uint64_t count, uint32_t v, int value_bytes) {
    uint64_t h = count << 1;
    while (h >= 0x80) {
        *o++ = (uint8_t)(h | 0x80);
        h >>= 7;
    }
    *o++ = (uint8_t)h;
    for (int i = 0; i < value_bytes; i++, v >>= 8) *o++ = (uint8_t)v;
    return o;
}

/* Bit-packs 8 values LSB first into bw bytes (may write up to 16 bytes:
 * rle_reserve leaves room). */
static uint8_t *pack8(uint8_t *o, const uint32_t *v, int bw) {
    if (bw <= 16) { /* two words of 4 values, joined at bit 4 * bw */
        uint64_t lo = 0, hi = 0;
        for (int k = 0; k < 4; k++) {
            lo |= (uint64_t)v[k] << (k * bw);
            hi |= (uint64_t)v[k + 4] << (k * bw);
        }
        int sh = 4 * bw;
        uint64_t w0 = sh < 64 ? lo | hi << sh : lo, w1 = sh < 64 ? hi >> (64 - sh) : hi;
        memcpy(o, &w0, 8); /* little-endian, as the rest of the writer */
        memcpy(o + 8, &w1, 8);
        return o + bw;
    }
    uint64_t acc = 0;
    int nb = 0;
    for (int k = 0; k < 8; k++) {
        acc |= (uint64_t)v[k] << nb;
        nb += bw;
        if (nb >= 32) {
            uint32_t lo = (uint32_t)acc;
            memcpy(o, &lo, 4);
            o += 4;
            acc >>= 32;
            nb -= 32;
        }
    }
    for (; nb > 0; nb -= 8, acc >>= 8) *o++ = (uint8_t)acc;
    return o;
}

/* The literal runs of both encoders: `ind` is the reserved header byte of
 * the open run (NULL if none), `groups` its bit-packed groups so far. */
typedef struct lit_run {
    uint8_t *ind;
    uint32_t groups;
} lit_run;

static uint8_t *lit_begin_group(lit_run *l, uint8_t *o) {
    if (!l->ind) l->ind = o++;
    return o;
}

static void lit_end_group(lit_run *l) {
    if (++l->groups == 63) { /* a one-byte header holds at most 63 groups */
        *l->ind = (uint8_t)((63u << 1) | 1);
        l->ind = NULL;
        l->groups = 0;
    }
}

static void lit_close(lit_run *l) {
    if (l->ind) *l->ind = (uint8_t)((l->groups << 1) | 1);
    l->ind = NULL;
    l->groups = 0;
}

void pqw_rle_encode(sl_buf *out, int bw, const uint32_t *v, size_t n) {
    uint8_t *o = rle_reserve(out, n, bw);
    int vbytes = (bw + 7) / 8;
    lit_run l = {NULL, 0};
    size_t i = 0;
    while (n - i >= 8) {
        uint32_t x = v[i];
        uint32_t diff = 0;
        for (int k = 1; k < 8; k++) diff |= v[i + k] ^ x;
        if (diff == 0) { /* 8 equal values start a run, as long as it lasts */
            size_t e = i + 8;
            while (e < n && v[e] == x) e++;
            lit_close(&l);
            o = put_run(o, e - i, x, vbytes);
            i = e;
            continue;
        }
        o = lit_begin_group(&l, o);
        o = pack8(o, v + i, bw);
        lit_end_group(&l);
        i += 8;
    }
    size_t r = n - i;
    if (r) {
        bool same = true;
        for (size_t k = 1; k < r; k++) same = same && v[i + k] == v[i];
        if (same && !l.ind) { /* a short tail is a run when no literal is open */
            o = put_run(o, r, v[i], vbytes);
        } else {
            uint32_t t[8] = {0};
            memcpy(t, v + i, r * sizeof *t);
            o = lit_begin_group(&l, o);
            o = pack8(o, t, bw);
            l.groups++;
        }
    }
    lit_close(&l);
    out->len = (size_t)(o - out->data);
}

#define ONES8 UINT64_C(0x0101010101010101)

void pqw_rle_encode_levels(sl_buf *out, const uint8_t *v, size_t n) {
    uint8_t *o = rle_reserve(out, n, 1);
    lit_run l = {NULL, 0};
    size_t i = 0;
    while (n - i >= 8) {
        uint64_t x;
        memcpy(&x, v + i, 8);
        if (x == 0 || x == ONES8) {
            size_t e = i + 8;
            for (uint64_t y; n - e >= 8 && (memcpy(&y, v + e, 8), y == x);) e += 8;
            while (e < n && v[e] == (uint8_t)x) e++;
            lit_close(&l);
            o = put_run(o, e - i, (uint8_t)x, 1);
            i = e;
            continue;
        }
        o = lit_begin_group(&l, o);
        *o++ = (uint8_t)((x * UINT64_C(0x0102040810204080)) >> 56); /* byte k -> bit k */
        lit_end_group(&l);
        i += 8;
    }
    size_t r = n - i;
    if (r) {
        uint8_t bits = 0;
        bool same = true;
        for (size_t k = 0; k < r; k++) {
            bits |= (uint8_t)(v[i + k] << k);
            same = same && v[i + k] == v[i];
        }
        if (same && !l.ind) {
            o = put_run(o, r, v[i], 1);
        } else {
            o = lit_begin_group(&l, o);
            *o++ = bits;
            l.groups++;
        }
    }
    lit_close(&l);
    out->len = (size_t)(o - out->data);
}

/* ---- dictionary ------------------------------------------------------- */

void pqw_dict_init(pqw_dict *d, int width) {
    memset(d, 0, sizeof *d);
    d->width = width;
}

void pqw_dict_clear(pqw_dict *d) {
    if (d->count * (size_t)8 < d->nslots) {
        /* few entries in a large table (a file of a few rows, or cleared
         * twice): empty their slots only, each found from its home slot */
        size_t mask = d->nslots - 1;
        for (uint32_t i = 0; i < d->count; i++) {
            size_t s = (size_t)d->hash[i] & mask;
            while ((uint32_t)d->slots[s] != i + 1) s = (s + 1) & mask;
            d->slots[s] = 0;
        }
    } else if (d->slots) {
        memset(d->slots, 0, d->nslots * sizeof *d->slots);
    }
    d->plain.len = 0;
    d->count = 0;
}

void pqw_dict_free(pqw_dict *d) {
    sl_buf_free(&d->plain);
    free(d->off);
    free(d->hash);
    free(d->slots);
    int w = d->width;
    pqw_dict_init(d, w);
}

#define PQW_DICT_MIN_SLOTS 64 /* small: a file may hold a few rows (it grows) */

static void dict_rehash(pqw_dict *d, size_t nslots) {
    free(d->slots);
    d->slots = sl_calloc(nslots, sizeof *d->slots);
    d->nslots = nslots;
    size_t mask = nslots - 1;
    for (uint32_t i = 0; i < d->count; i++) {
        uint64_t h = d->hash[i];
        size_t s = (size_t)h & mask;
        while (d->slots[s]) s = (s + 1) & mask;
        d->slots[s] = (h & PQW_DICT_TAG) | (i + 1);
    }
}

static inline bool entry_equals(const pqw_dict *d, uint32_t i, const void *p, size_t n) {
    if (d->width)
        return memcmp(d->plain.data + (size_t)i * (size_t)d->width, p, (size_t)d->width) == 0;
    return d->off[i + 1] - d->off[i] == n + 4 && memcmp(d->plain.data + d->off[i] + 4, p, n) == 0;
}

int64_t pqw_dict_add(pqw_dict *d, const void *p, size_t n, uint64_t h, size_t slot,
                     size_t max_bytes) {
    size_t prefix = d->width ? 0 : 4;
    if (d->plain.len + n + prefix > max_bytes) return -1;
    if (d->nslots == 0) {
        dict_rehash(d, PQW_DICT_MIN_SLOTS);
        slot = (size_t)h & (d->nslots - 1); /* the table is empty */
    }
    if (d->count + 1 >= d->cap) {
        d->cap = d->cap ? d->cap * 2 : 1024;
        d->off = sl_realloc(d->off, ((size_t)d->cap + 1) * sizeof *d->off);
        d->hash = sl_realloc(d->hash, (size_t)d->cap * sizeof *d->hash);
    }
    uint32_t i = d->count++;
    d->off[i] = (uint32_t)d->plain.len;
    if (prefix) {
        uint8_t len4[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
        sl_buf_append(&d->plain, len4, 4);
    }
    sl_buf_append(&d->plain, p, n);
    d->off[i + 1] = (uint32_t)d->plain.len;
    d->hash[i] = h;
    d->slots[slot] = (h & PQW_DICT_TAG) | (i + 1);
    if ((size_t)d->count * 2 > d->nslots) dict_rehash(d, d->nslots * 2);
    return i;
}

int64_t pqw_dict_put(pqw_dict *d, const void *p, size_t n, size_t max_bytes, bool *inserted) {
    *inserted = false;
    if (d->width == 8 || d->width == 4) {
        uint64_t x = 0;
        memcpy(&x, p, (size_t)d->width);
        size_t slot;
        uint64_t h = pqw_hash_fixed(x);
        int64_t i = d->width == 8 ? pqw_dict_find_fixed(d, x, h, 8, &slot)
                                  : pqw_dict_find_fixed(d, x, h, 4, &slot);
        if (i >= 0) return i;
        i = pqw_dict_add(d, p, n, h, slot, max_bytes);
        *inserted = i >= 0;
        return i;
    }
    uint64_t h = sl_hash(p, n);
    uint64_t tag = h & PQW_DICT_TAG;
    size_t slot = 0;
    if (d->nslots) {
        size_t mask = d->nslots - 1;
        for (slot = (size_t)h & mask; d->slots[slot]; slot = (slot + 1) & mask) {
            uint64_t e = d->slots[slot];
            if ((e & PQW_DICT_TAG) == tag && entry_equals(d, (uint32_t)e - 1, p, n))
                return (uint32_t)e - 1;
        }
    }
    int64_t i = pqw_dict_add(d, p, n, h, slot, max_bytes);
    *inserted = i >= 0;
    return i;
}

/* ---- strings by address ---------------------------------------------- */

void pqw_addrs_init(pqw_addrs *a) {
    a->bits = 6; /* small: a file may hold a few rows (it grows) */
    a->e = sl_calloc((size_t)1 << a->bits, sizeof *a->e);
    a->count = 0;
    a->gen = 1;
}

void pqw_addrs_free(pqw_addrs *a) {
    free(a->e);
    a->e = NULL;
}

void pqw_addrs_forget(pqw_addrs *a) {
    a->count = 0;
    if (++a->gen == 0) { /* wrapped: old entries would look current */
        memset(a->e, 0, ((size_t)1 << a->bits) * sizeof *a->e);
        a->gen = 1;
    }
}

void pqw_addrs_add(pqw_addrs *a, pqw_addr_entry *slot, const void *p, uint32_t n, uint32_t idx) {
    *slot = (pqw_addr_entry){p, idx, (uint16_t)n, a->gen};
    if (++a->count * 2 <= (1u << a->bits)) return;
    pqw_addr_entry *old = a->e;
    size_t nold = (size_t)1 << a->bits;
    a->bits++;
    a->e = sl_calloc((size_t)1 << a->bits, sizeof *a->e);
    for (size_t i = 0; i < nold; i++)
        if (old[i].gen == a->gen) *pqw_addrs_find(a, old[i].p, old[i].n) = old[i];
    free(old);
}
