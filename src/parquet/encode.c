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

void pqw_rle_init(pqw_rle *e, sl_buf *out, int bit_width) {
    memset(e, 0, sizeof *e);
    e->out = out;
    e->bit_width = bit_width;
    e->indicator = SIZE_MAX;
}

/* Bit-packs e->buffered[0..nbuf) (nbuf is 8 except at the very end, where
 * the group is zero-padded to 8 first) LSB first. */
static void pack_group(pqw_rle *e) {
    int bw = e->bit_width;
    uint8_t tmp[32];
    memset(tmp, 0, (size_t)bw);
    uint64_t acc = 0;
    int nbits = 0;
    size_t o = 0;
    for (int i = 0; i < e->nbuf; i++) {
        acc |= (uint64_t)e->buffered[i] << nbits;
        nbits += bw;
        while (nbits >= 8) {
            tmp[o++] = (uint8_t)acc;
            acc >>= 8;
            nbits -= 8;
        }
    }
    if (nbits > 0) tmp[o++] = (uint8_t)acc;
    sl_buf_append(e->out, tmp, (size_t)bw); /* 8 values x bw bits = bw bytes */
    e->nbuf = 0;
}

static void flush_literal(pqw_rle *e, bool update_indicator) {
    if (e->indicator == SIZE_MAX) {
        e->indicator = e->out->len;
        sl_buf_putc(e->out, 0);
    }
    if (e->nbuf > 0) pack_group(e);
    if (update_indicator) {
        uint32_t groups = (e->literal_count + 7) / 8;
        e->out->data[e->indicator] = (uint8_t)((groups << 1) | 1);
        e->indicator = SIZE_MAX;
        e->literal_count = 0;
    }
}

static void flush_repeated(pqw_rle *e) {
    pqw_put_uvarint(e->out, (uint64_t)e->repeat << 1);
    uint32_t v = e->cur;
    for (int i = 0; i < (e->bit_width + 7) / 8; i++) {
        sl_buf_putc(e->out, (uint8_t)v);
        v >>= 8;
    }
    e->nbuf = 0;
    e->repeat = 0;
}

static void flush_buffered(pqw_rle *e, bool done) {
    if (e->repeat >= 8) {
        /* the buffered values belong to the repeated run now */
        e->nbuf = 0;
        if (e->literal_count != 0) flush_literal(e, true);
        return;
    }
    e->literal_count += (uint32_t)e->nbuf;
    uint32_t groups = (e->literal_count + 7) / 8;
    flush_literal(e, done || groups + 1 >= (1u << 6));
    e->repeat = 0;
}

void pqw_rle_put_slow(pqw_rle *e, uint32_t v) {
    if (e->cur == v) {
        e->repeat++;
        if (e->repeat > 8) return; /* fast path: continuing an RLE run */
    } else {
        if (e->repeat >= 8) flush_repeated(e);
        e->repeat = 1;
        e->cur = v;
    }
    e->buffered[e->nbuf++] = v;
    if (e->nbuf == 8) flush_buffered(e, false);
}

void pqw_rle_flush(pqw_rle *e) {
    if (e->literal_count > 0 || e->repeat > 0 || e->nbuf > 0) {
        bool all_repeat = e->literal_count == 0 && (e->repeat == (uint32_t)e->nbuf || e->nbuf == 0);
        if (e->repeat > 0 && all_repeat) {
            flush_repeated(e);
        } else {
            while (e->nbuf != 0 && e->nbuf < 8) e->buffered[e->nbuf++] = 0;
            e->literal_count += (uint32_t)e->nbuf;
            flush_literal(e, true);
            e->repeat = 0;
        }
    }
    e->literal_count = 0;
    e->nbuf = 0;
    e->repeat = 0;
}

/* ---- dictionary ------------------------------------------------------- */

void pqw_dict_init(pqw_dict *d, int width) {
    memset(d, 0, sizeof *d);
    d->width = width;
}

void pqw_dict_clear(pqw_dict *d) {
    d->plain.len = 0;
    d->count = 0;
    if (d->slots) memset(d->slots, 0, d->nslots * sizeof *d->slots);
}

void pqw_dict_free(pqw_dict *d) {
    sl_buf_free(&d->plain);
    free(d->off);
    free(d->hash);
    free(d->slots);
    int w = d->width;
    pqw_dict_init(d, w);
}

static void dict_rehash(pqw_dict *d, size_t nslots) {
    free(d->slots);
    d->slots = sl_calloc(nslots, sizeof *d->slots);
    d->nslots = nslots;
    size_t mask = nslots - 1;
    for (uint32_t i = 0; i < d->count; i++) {
        uint64_t h = d->hash[i];
        size_t s = (size_t)h & mask;
        while (d->slots[s]) s = (s + 1) & mask;
        d->slots[s] = (h & 0xFFFFFFFF00000000ull) | (i + 1);
    }
}

/* Fixed-width values hash with a 64-bit finalizer (murmur3's fmix64):
 * as good as XXH3 for 4/8-byte keys and cheaper than a call. */
static inline uint64_t hash_fixed(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static inline bool entry_equals(const pqw_dict *d, uint32_t i, const void *p, size_t n) {
    switch (d->width) {
    case 8: return memcmp(d->plain.data + (size_t)i * 8, p, 8) == 0;
    case 4: return memcmp(d->plain.data + (size_t)i * 4, p, 4) == 0;
    case 0:
        return d->off[i + 1] - d->off[i] == n + 4 &&
               memcmp(d->plain.data + d->off[i] + 4, p, n) == 0;
    default: return memcmp(d->plain.data + d->off[i], p, n) == 0;
    }
}

int64_t pqw_dict_put(pqw_dict *d, const void *p, size_t n, size_t max_bytes, bool *inserted) {
    *inserted = false;
    if (d->nslots == 0) dict_rehash(d, 1024);
    uint64_t h;
    if (d->width == 8 || d->width == 4) {
        uint64_t x = 0;
        memcpy(&x, p, (size_t)d->width);
        h = hash_fixed(x);
    } else {
        h = sl_hash(p, n);
    }
    uint64_t tag = h & 0xFFFFFFFF00000000ull;
    size_t mask = d->nslots - 1;
    size_t s = (size_t)h & mask;
    for (;;) {
        uint64_t e = d->slots[s];
        if (!e) break;
        if ((e & 0xFFFFFFFF00000000ull) == tag) {
            uint32_t i = (uint32_t)e - 1;
            if (entry_equals(d, i, p, n)) return i;
        }
        s = (s + 1) & mask;
    }
    size_t prefix = d->width ? 0 : 4;
    if (d->plain.len + n + prefix > max_bytes) return -1;
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
    d->slots[s] = tag | (i + 1);
    *inserted = true;
    if ((size_t)d->count * 2 > d->nslots) dict_rehash(d, d->nslots * 2);
    return i;
}
