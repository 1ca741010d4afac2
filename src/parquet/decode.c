/* parquet reader: value decoders. RLE / bit-packed hybrid (levels,
 * dictionary indexes, RLE booleans), PLAIN, dictionary indexes,
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
 * BYTE_STREAM_SPLIT.
 *
 * Each decoder takes a bounded byte range and a value count and either
 * produces exactly that many values or fails with a message saying what ran
 * out; no read goes past the range. Output strings point into the caller's
 * arena, so page buffers can be freed after each page. */
#include <stdlib.h>
#include <string.h>

#include "parquet/pq_read_internal.h"

size_t pq_out_width(int phys) {
    switch (phys) {
    case PQ_PHYS_BOOLEAN: return 1;
    case PQ_PHYS_INT32:
    case PQ_PHYS_FLOAT: return 4;
    case PQ_PHYS_INT64:
    case PQ_PHYS_INT96: /* legacy (Spark, Impala) timestamps, decoded to micros */
    case PQ_PHYS_DOUBLE: return 8;
    case PQ_PHYS_BYTE_ARRAY: return sizeof(sl_str);
    default: return 0;
    }
}

/* Reads bw (0..64) bits at bit position pos, least significant first. The
 * caller guarantees pos + bw bits lie inside the buffer. */
static uint64_t get_bits(const uint8_t *b, uint64_t pos, int bw) {
    uint64_t v = 0;
    int got = 0;
    size_t i = (size_t)(pos >> 3);
    int off = (int)(pos & 7);
    while (got < bw) {
        v |= (uint64_t)(b[i++] >> off) << got;
        got += 8 - off;
        off = 0;
    }
    if (bw < 64) v &= ((uint64_t)1 << bw) - 1;
    return v;
}

/* get_bits with one 8-byte load when the buffer (of n bytes) allows. */
static inline uint64_t get_bits_n(const uint8_t *b, size_t n, uint64_t pos, int bw) {
    size_t i = (size_t)(pos >> 3);
    if (bw <= 56 && i + 8 <= n) {
        uint64_t v;
        memcpy(&v, b + i, 8);
        return (v >> (pos & 7)) & (((uint64_t)1 << bw) - 1);
    }
    return get_bits(b, pos, bw);
}

static int get_uvarint(const uint8_t **pp, const uint8_t *end, uint64_t *v) {
    const uint8_t *p = *pp;
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (p >= end) return -1;
        uint8_t b = *p++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            *pp = p;
            return 0;
        }
    }
    return -1;
}

/* ---- RLE / bit-packed hybrid ----------------------------------------- */
int pq_rle_init(pq_rle *d, const uint8_t *p, size_t n, int bw, sl_err *err) {
    memset(d, 0, sizeof *d);
    if (bw < 0 || bw > 32) return sl_err_set(err, "RLE bit width %d out of range 0..32", bw);
    d->p = p;
    d->end = p + n;
    d->bw = bw;
    return 0;
}

static int rle_next_run(pq_rle *d, sl_err *err) {
    uint64_t h;
    if (d->p >= d->end) return sl_err_set(err, "RLE data ends early");
    if (get_uvarint(&d->p, d->end, &h) < 0) return sl_err_set(err, "truncated RLE run header");
    if (h & 1) {
        uint64_t groups = h >> 1;
        if (groups > (1u << 28)) return sl_err_set(err, "bit-packed run too long");
        uint64_t bytes = groups * (uint64_t)d->bw, avail = (uint64_t)(d->end - d->p);
        uint64_t vals = groups * 8;
        if (bytes > avail) { /* writers may cut the last group short */
            bytes = avail;
            vals = bytes * 8 / (uint64_t)d->bw;
        }
        d->packed = true;
        d->bp = d->p;
        d->bp_end = d->p + bytes;
        d->bit = 0;
        d->left = (uint32_t)vals;
        d->p += bytes;
    } else {
        uint64_t count = h >> 1;
        if (count > UINT32_MAX) return sl_err_set(err, "RLE run too long");
        int nb = (d->bw + 7) / 8;
        if (d->end - d->p < nb) return sl_err_set(err, "truncated RLE run value");
        uint64_t v = 0;
        for (int i = 0; i < nb; i++) v |= (uint64_t)d->p[i] << (8 * i);
        d->p += nb;
        d->packed = false;
        d->value = v;
        d->left = (uint32_t)count;
    }
    return 0;
}

int pq_rle_get(pq_rle *d, uint32_t *out, size_t count, sl_err *err) {
    while (count) {
        if (d->left == 0) {
            if (rle_next_run(d, err) < 0) return -1;
            continue;
        }
        size_t take = d->left < count ? d->left : count;
        if (d->packed) {
            if (out)
                for (size_t i = 0; i < take; i++, d->bit += (uint64_t)d->bw)
                    out[i] =
                        (uint32_t)get_bits_n(d->bp, (size_t)(d->bp_end - d->bp), d->bit, d->bw);
            else
                d->bit += (uint64_t)d->bw * take;
        } else if (out) {
            for (size_t i = 0; i < take; i++) out[i] = (uint32_t)d->value;
        }
        if (out) out += take;
        d->left -= (uint32_t)take;
        count -= take;
    }
    return 0;
}

/* ---- DELTA_BINARY_PACKED --------------------------------------------- */
/* Decodes exactly `count` values (the header's total must match) as 4- or
 * 8-byte integers; *endp is set past the last miniblock read. */
static int dbp_decode(const uint8_t *p, const uint8_t *end, size_t count, int width, void *out,
                      const uint8_t **endp, sl_err *err) {
    uint64_t block, nmb, total, first;
    if (get_uvarint(&p, end, &block) < 0 || get_uvarint(&p, end, &nmb) < 0 ||
        get_uvarint(&p, end, &total) < 0 || get_uvarint(&p, end, &first) < 0)
        return sl_err_set(err, "truncated DELTA_BINARY_PACKED header");
    if (block == 0 || block % 128 || block > (1u << 20) || nmb == 0 || block % nmb ||
        (block / nmb) % 32)
        return sl_err_set(err, "bad DELTA_BINARY_PACKED block size %llu / %llu miniblocks",
                          (unsigned long long)block, (unsigned long long)nmb);
    if (total != count)
        return sl_err_set(err, "DELTA_BINARY_PACKED holds %llu values, expected %zu",
                          (unsigned long long)total, count);
    uint64_t vpm = block / nmb;
    uint64_t last = (uint64_t)((int64_t)(first >> 1) ^ -(int64_t)(first & 1));
    int32_t *o32 = out;
    int64_t *o64 = out;
    size_t i = 0;
    if (count) {
        if (width == 4)
            o32[0] = (int32_t)last;
        else
            o64[0] = (int64_t)last;
        i = 1;
    }
    while (i < count) {
        uint64_t zz;
        if (get_uvarint(&p, end, &zz) < 0)
            return sl_err_set(err, "truncated DELTA_BINARY_PACKED block");
        uint64_t min_delta = (uint64_t)((int64_t)(zz >> 1) ^ -(int64_t)(zz & 1));
        if ((uint64_t)(end - p) < nmb) return sl_err_set(err, "truncated miniblock widths");
        const uint8_t *widths = p;
        p += nmb;
        for (uint64_t m = 0; m < nmb && i < count; m++) {
            int bw = widths[m];
            if (bw > 64) return sl_err_set(err, "miniblock bit width %d > 64", bw);
            uint64_t bytes = vpm * (uint64_t)bw / 8;
            if (bytes > (uint64_t)(end - p)) return sl_err_set(err, "truncated miniblock");
            for (uint64_t j = 0; j < vpm && i < count; j++, i++) {
                last += min_delta + get_bits_n(p, (size_t)bytes, j * (uint64_t)bw, bw);
                if (width == 4)
                    o32[i] = (int32_t)(uint32_t)last;
                else
                    o64[i] = (int64_t)last;
            }
            p += bytes;
        }
    }
    *endp = p;
    return 0;
}

/* ---- byte arrays ----------------------------------------------------- */
static int plain_strings(const pq_values_in *in, sl_str *out, sl_err *err) {
    if (!in->count) return 0;
    /* one copy of the page's bytes; values point into it */
    uint8_t *copy = sl_arena_alloc(in->heap, in->n);
    memcpy(copy, in->p, in->n);
    const uint8_t *p = copy, *end = copy + in->n;
    for (size_t i = 0; i < in->count; i++) {
        if (end - p < 4)
            return sl_err_set(err, "PLAIN byte arrays end after %zu of %zu values", i, in->count);
        uint32_t len;
        memcpy(&len, p, 4);
        p += 4;
        if (len > (uint64_t)(end - p))
            return sl_err_set(err, "byte array %zu of %u bytes runs past the page", i, len);
        out[i].ptr = (const char *)p;
        out[i].len = len;
        p += len;
    }
    return 0;
}

static int delta_length_strings(const pq_values_in *in, sl_str *out, const uint8_t **endp,
                                sl_err *err) {
    const uint8_t *end = in->p + in->n, *p;
    int32_t *lens = malloc(in->count ? in->count * 4 : 1);
    if (!lens) return sl_err_set(err, "out of memory");
    if (dbp_decode(in->p, end, in->count, 4, lens, &p, err) < 0) {
        free(lens);
        return sl_err_prefix(err, "lengths");
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < in->count; i++) {
        if (lens[i] < 0) {
            int v = lens[i];
            free(lens);
            return sl_err_set(err, "negative byte array length %d", v);
        }
        sum += (uint64_t)lens[i];
    }
    if (sum > (uint64_t)(end - p)) {
        free(lens);
        return sl_err_set(err, "byte array lengths add up to %llu bytes, page has %zu",
                          (unsigned long long)sum, (size_t)(end - p));
    }
    char *copy = sl_arena_alloc(in->heap, (size_t)sum);
    if (sum) memcpy(copy, p, (size_t)sum);
    for (size_t i = 0; i < in->count; i++) {
        out[i].ptr = copy;
        out[i].len = (uint32_t)lens[i];
        copy += lens[i];
    }
    free(lens);
    *endp = p + sum;
    return 0;
}

static int delta_strings(const pq_values_in *in, sl_str *out, sl_err *err) {
    const uint8_t *end = in->p + in->n, *p;
    int32_t *pre = malloc(in->count ? in->count * 4 : 1);
    if (!pre) return sl_err_set(err, "out of memory");
    if (dbp_decode(in->p, end, in->count, 4, pre, &p, err) < 0) {
        free(pre);
        return sl_err_prefix(err, "prefix lengths");
    }
    pq_values_in suf = *in;
    suf.p = p;
    suf.n = (size_t)(end - p);
    const uint8_t *endp;
    if (delta_length_strings(&suf, out, &endp, err) < 0) {
        free(pre);
        return sl_err_prefix(err, "suffixes");
    }
    size_t budget = in->heap_budget;
    sl_str prev = {"", 0};
    for (size_t i = 0; i < in->count; i++) {
        if (pre[i] < 0 || (uint32_t)pre[i] > prev.len) {
            int v = pre[i];
            free(pre);
            return sl_err_set(err, "prefix length %d of value %zu exceeds the previous value", v,
                              i);
        }
        size_t len = (size_t)pre[i] + out[i].len;
        if (len > budget) {
            free(pre);
            return sl_err_set(err, "DELTA_BYTE_ARRAY values expand beyond %zu bytes",
                              in->heap_budget);
        }
        budget -= len;
        if (pre[i]) {
            char *s = sl_arena_alloc(in->heap, len ? len : 1);
            memcpy(s, prev.ptr, (size_t)pre[i]);
            if (out[i].len) memcpy(s + pre[i], out[i].ptr, out[i].len);
            out[i].ptr = s;
            out[i].len = (uint32_t)len;
        }
        prev = out[i];
    }
    free(pre);
    return 0;
}

/* ---- entry point ----------------------------------------------------- */
static int dict_indexes(const pq_values_in *in, void *out, size_t w, sl_err *err) {
    if (!in->count) return 0;
    if (!in->dict) return sl_err_set(err, "dictionary-encoded page without a dictionary page");
    if (in->n < 1) return sl_err_set(err, "dictionary index page is empty");
    pq_rle d;
    if (pq_rle_init(&d, in->p + 1, in->n - 1, in->p[0], err) < 0) return -1;
    if (in->skip && pq_rle_get(&d, NULL, in->skip, err) < 0)
        return sl_err_prefix(err, "dictionary indexes");
    uint32_t idx[1024];
    uint8_t *o = out;
    const uint8_t *dict = in->dict;
    for (size_t done = 0; done < in->count;) {
        size_t k = in->count - done < 1024 ? in->count - done : 1024;
        if (pq_rle_get(&d, idx, k, err) < 0)
            return sl_err_prefix(err, "dictionary indexes (%zu of %zu read)", done, in->count);
        for (size_t j = 0; j < k; j++) {
            if (idx[j] >= in->ndict)
                return sl_err_set(err, "dictionary index %u out of range (dictionary has %zu)",
                                  idx[j], in->ndict);
            pq_copy_elem(o + (done + j) * w, dict + (size_t)idx[j] * w, w);
        }
        done += k;
    }
    return 0;
}

static int rle_booleans(const pq_values_in *in, uint8_t *out, sl_err *err) {
    if (in->n < 4) return sl_err_set(err, "RLE booleans without a length prefix");
    uint32_t len;
    memcpy(&len, in->p, 4);
    if (len > in->n - 4) return sl_err_set(err, "RLE boolean length %u runs past the page", len);
    pq_rle d;
    pq_rle_init(&d, in->p + 4, len, 1, err);
    if (in->skip && pq_rle_get(&d, NULL, in->skip, err) < 0) return -1;
    uint32_t tmp[1024];
    for (size_t done = 0; done < in->count;) {
        size_t k = in->count - done < 1024 ? in->count - done : 1024;
        if (pq_rle_get(&d, tmp, k, err) < 0) return -1;
        for (size_t j = 0; j < k; j++) out[done + j] = tmp[j] != 0;
        done += k;
    }
    return 0;
}

/* INT96 timestamps: 8 bytes of nanoseconds in the day, then a 4-byte Julian
 * day, little-endian; to microseconds since 1970 (floored). */
static int plain_int96(const pq_values_in *in, int64_t *out, sl_err *err) {
    if (in->n / 12 < in->count)
        return sl_err_set(err, "PLAIN INT96: %zu values need %zu bytes, page has %zu", in->count,
                          in->count * 12, in->n);
    for (size_t i = 0; i < in->count; i++) {
        uint64_t nanos;
        uint32_t jd;
        memcpy(&nanos, in->p + i * 12, 8);
        memcpy(&jd, in->p + i * 12 + 8, 4);
        if (nanos >= 86400000000000ull)
            return sl_err_set(err, "INT96 value %zu: %llu nanoseconds is more than a day", i,
                              (unsigned long long)nanos);
        int64_t us;
        if (__builtin_mul_overflow((int64_t)jd - 2440588, (int64_t)86400000000, &us) ||
            __builtin_add_overflow(us, (int64_t)(nanos / 1000), &out[i]))
            return sl_err_set(err, "INT96 value %zu: Julian day %u overflows microseconds", i, jd);
    }
    return 0;
}

/* in->skip values passed over without being kept: encodings that can be
 * entered in the middle skip them in place (PLAIN, dictionary indexes and
 * RLE runs are skipped by count, without output); the DELTA ones, which
 * cannot, decode skip + count and keep the tail. */
static int decode_skipping(const pq_values_in *in, void *out, size_t w, sl_err *err) {
    pq_values_in t = *in;
    switch (in->enc) {
    case PQ_ENC_PLAIN:
        if (in->phys == PQ_PHYS_BYTE_ARRAY) {
            const uint8_t *p = in->p, *end = in->p + in->n;
            for (size_t i = 0; i < in->skip; i++) {
                uint32_t len;
                if (end - p < 4) return sl_err_set(err, "PLAIN byte arrays end early");
                memcpy(&len, p, 4);
                if (len > (uint64_t)(end - p - 4))
                    return sl_err_set(err, "byte array runs past the page");
                p += 4 + len;
            }
            t.p = p;
            t.n = (size_t)(end - p);
            t.skip = 0;
            return pq_decode_values(&t, out, err);
        }
        if (in->phys == PQ_PHYS_BOOLEAN) {
            if (in->n < (in->skip + in->count + 7) / 8)
                return sl_err_set(err, "PLAIN booleans: %zu values need %zu bytes, page has %zu",
                                  in->skip + in->count, (in->skip + in->count + 7) / 8, in->n);
            uint8_t *o = out;
            for (size_t i = 0, k = in->skip; i < in->count; i++, k++)
                o[i] = (in->p[k >> 3] >> (k & 7)) & 1;
            return 0;
        }
        {
            size_t sz = in->phys == PQ_PHYS_INT96 ? 12 : w;
            if (in->n / sz < in->skip)
                return sl_err_set(err, "PLAIN: %zu values need more than the page's %zu bytes",
                                  in->skip, in->n);
            t.p = in->p + in->skip * sz;
            t.n = in->n - in->skip * sz;
            t.skip = 0;
            return pq_decode_values(&t, out, err);
        }
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY:
    case PQ_ENC_RLE: break; /* below */
    case PQ_ENC_BYTE_STREAM_SPLIT: break;
    default: { /* DELTA_*: from the start */
        if (in->skip > SIZE_MAX / w - in->count) return sl_err_set(err, "too many values");
        uint8_t *all = malloc((in->skip + in->count) * w + 1);
        if (!all) return sl_err_set(err, "out of memory (%zu values)", in->skip + in->count);
        t.count = in->skip + in->count;
        t.skip = 0;
        int rc = pq_decode_values(&t, all, err);
        if (rc == 0 && in->count) memcpy(out, all + in->skip * w, in->count * w);
        free(all);
        return rc;
    }
    }
    return 1; /* handled by the caller with its own skip */
}

int pq_decode_values(const pq_values_in *in, void *out, sl_err *err) {
    size_t w = pq_out_width(in->phys);
    if (!w) return sl_err_set(err, "physical type %s is not decoded", pq_phys_name(in->phys));
    if (in->skip) {
        int rc = decode_skipping(in, out, w, err);
        if (rc <= 0) return rc;
    }
    switch (in->enc) {
    case PQ_ENC_PLAIN:
        if (in->phys == PQ_PHYS_BYTE_ARRAY) return plain_strings(in, out, err);
        if (in->phys == PQ_PHYS_INT96) return plain_int96(in, out, err);
        if (in->phys == PQ_PHYS_BOOLEAN) {
            if (in->n < (in->count + 7) / 8)
                return sl_err_set(err, "PLAIN booleans: %zu values need %zu bytes, page has %zu",
                                  in->count, (in->count + 7) / 8, in->n);
            uint8_t *o = out;
            for (size_t i = 0; i < in->count; i++) o[i] = (in->p[i >> 3] >> (i & 7)) & 1;
            return 0;
        }
        if (in->n / w < in->count)
            return sl_err_set(err, "PLAIN: %zu values need %zu bytes, page has %zu", in->count,
                              in->count * w, in->n);
        if (in->count) memcpy(out, in->p, in->count * w);
        return 0;
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY: return dict_indexes(in, out, w, err);
    case PQ_ENC_RLE:
        if (in->phys == PQ_PHYS_BOOLEAN) return rle_booleans(in, out, err);
        break;
    case PQ_ENC_DELTA_BINARY_PACKED:
        if (in->phys == PQ_PHYS_INT32 || in->phys == PQ_PHYS_INT64) {
            const uint8_t *e;
            return dbp_decode(in->p, in->p + in->n, in->count, (int)w, out, &e, err);
        }
        break;
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
        if (in->phys == PQ_PHYS_BYTE_ARRAY) {
            const uint8_t *e;
            return delta_length_strings(in, out, &e, err);
        }
        break;
    case PQ_ENC_DELTA_BYTE_ARRAY:
        if (in->phys == PQ_PHYS_BYTE_ARRAY) return delta_strings(in, out, err);
        break;
    case PQ_ENC_BYTE_STREAM_SPLIT:
        if (in->phys != PQ_PHYS_BOOLEAN && in->phys != PQ_PHYS_BYTE_ARRAY &&
            in->phys != PQ_PHYS_INT96) {
            size_t stride = in->n / w;
            if (stride < in->skip + in->count)
                return sl_err_set(err, "BYTE_STREAM_SPLIT: %zu values need %zu bytes, page has %zu",
                                  in->skip + in->count, (in->skip + in->count) * w, in->n);
            uint8_t *o = out;
            for (size_t i = 0; i < in->count; i++)
                for (size_t b = 0; b < w; b++) o[i * w + b] = in->p[b * stride + in->skip + i];
            return 0;
        }
        break;
    default: break;
    }
    return sl_err_set(err, "unsupported encoding %s for %s values", pq_enc_name(in->enc),
                      pq_phys_name(in->phys));
}
