/* Unit tests for parquet/encode.c: the RLE / bit-packed hybrid encoder
 * against examples computed by hand from the Parquet encodings spec and
 * against a value-at-a-time reference on random inputs, the dictionary
 * (dedup, first-seen order, PLAIN page body, size limit, growth, keys that
 * collide in slot and tag) and the table of strings by address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pqw_test.h"

/* Encodes with pqw_rle_encode and, for 0/1 values of width 1, checks that
 * pqw_rle_encode_levels writes the same bytes. */
static void rle(sl_buf *out, int bw, const uint32_t *v, size_t n) {
    out->len = 0;
    pqw_rle_encode(out, bw, v, n);
    bool levels = bw == 1;
    for (size_t i = 0; i < n; i++) levels = levels && v[i] <= 1;
    if (!levels) return;
    uint8_t *l = malloc(n + 1);
    for (size_t i = 0; i < n; i++) l[i] = (uint8_t)v[i];
    sl_buf b = {0};
    pqw_rle_encode_levels(&b, l, n);
    assert_int_equal(b.len, out->len);
    if (n) assert_memory_equal(b.data, out->data, b.len);
    sl_buf_free(&b);
    free(l);
}

static void test_bit_width(void **state) {
    (void)state;
    assert_int_equal(pqw_bit_width(0), 0);
    assert_int_equal(pqw_bit_width(1), 1);
    assert_int_equal(pqw_bit_width(2), 2);
    assert_int_equal(pqw_bit_width(7), 3);
    assert_int_equal(pqw_bit_width(8), 4);
    assert_int_equal(pqw_bit_width(UINT32_MAX), 32);
}

/* The spec's bit-packing example: 0..7 with bit width 3 packs to
 * 10001000 11000110 11111010; one group of 8 -> header (1 << 1) | 1. */
static void test_spec_bitpacked(void **state) {
    (void)state;
    sl_buf b = {0};
    const uint32_t v[] = {0, 1, 2, 3, 4, 5, 6, 7};
    rle(&b, 3, v, 8);
    ASSERT_BYTES(&b, 0x03, 0x88, 0xC6, 0xFA);
    sl_buf_free(&b);
}

static void test_rle_runs(void **state) {
    (void)state;
    sl_buf b = {0};
    uint32_t v[600];
    /* 10 x 4, width 3: header 10 << 1 = 0x14, value in ceil(3/8) = 1 byte */
    for (int i = 0; i < 10; i++) v[i] = 4;
    rle(&b, 3, v, 10);
    ASSERT_BYTES(&b, 0x14, 0x04);
    /* exactly 8 equal values are a run too */
    for (int i = 0; i < 8; i++) v[i] = 1;
    rle(&b, 1, v, 8);
    ASSERT_BYTES(&b, 0x10, 0x01);
    /* 300 x 0x1234 with width 13: header 600 = varint 0xD8 0x04, value in 2 bytes LE */
    for (int i = 0; i < 300; i++) v[i] = 0x1234;
    rle(&b, 13, v, 300);
    ASSERT_BYTES(&b, 0xD8, 0x04, 0x34, 0x12);
    /* a short tail is a literal run padded with zeros: 1,0,1 -> 0b00000101 */
    const uint32_t t[] = {1, 0, 1};
    rle(&b, 1, t, 3);
    ASSERT_BYTES(&b, 0x03, 0x05);
    /* fewer than 8 equal values: still a run when nothing else is pending */
    const uint32_t t2[] = {1, 1, 1};
    rle(&b, 1, t2, 3);
    ASSERT_BYTES(&b, 0x06, 0x01);
    sl_buf_free(&b);
}

static void test_literal_then_run(void **state) {
    (void)state;
    sl_buf b = {0};
    /* 8 alternating values (one literal group), then 16 zeros (a run) */
    uint32_t v[24];
    for (int i = 0; i < 8; i++) v[i] = (uint32_t)i & 1;
    for (int i = 8; i < 24; i++) v[i] = 0;
    rle(&b, 1, v, 24);
    /* literal: 0,1,0,1,0,1,0,1 -> 0b10101010; run: 16 << 1 = 0x20, value 0 */
    ASSERT_BYTES(&b, 0x03, 0xAA, 0x20, 0x00);
    /* a run, then 8 literals: 9 x 1 (run 0x12 0x01), then 2,3,2,3,2,3,2,3 in 2 bits */
    for (int i = 0; i < 9; i++) v[i] = 1;
    for (int i = 9; i < 17; i++) v[i] = 2 + ((uint32_t)(i - 9) & 1);
    rle(&b, 2, v, 17);
    /* 2,3,2,3 in 2 bits LSB first: 10 11 10 11 -> 0b11101110 = 0xEE per 4 values */
    ASSERT_BYTES(&b, 0x12, 0x01, 0x03, 0xEE, 0xEE);
    sl_buf_free(&b);
}

static void test_long_literal(void **state) {
    (void)state;
    /* a literal run holds at most 63 groups: 512 alternating bits become
     * 63 groups (header 63 << 1 | 1 = 0x7F) and 1 group (0x03) */
    sl_buf b = {0};
    uint32_t v[512];
    for (int i = 0; i < 512; i++) v[i] = (uint32_t)i & 1;
    rle(&b, 1, v, 512);
    assert_int_equal(b.len, 1 + 63 + 1 + 1);
    assert_int_equal(b.data[0], 0x7F);
    for (int i = 1; i <= 63; i++) assert_int_equal(b.data[i], 0xAA);
    assert_int_equal(b.data[64], 0x03);
    assert_int_equal(b.data[65], 0xAA);
    sl_buf_free(&b);
}

static void test_wide_values(void **state) {
    (void)state;
    /* width 20: 8 values pack into 20 bytes; check by unpacking */
    sl_buf b = {0};
    uint32_t v[8];
    for (int i = 0; i < 8; i++) v[i] = (uint32_t)(0xABCDE + i * 0x11111) & 0xFFFFF;
    rle(&b, 20, v, 8);
    assert_int_equal(b.len, 1 + 20);
    assert_int_equal(b.data[0], 0x03);
    for (int i = 0; i < 8; i++) {
        uint32_t got = 0;
        for (int k = 0; k < 20; k++) {
            int bit = i * 20 + k;
            got |= (uint32_t)((b.data[1 + bit / 8] >> (bit % 8)) & 1) << k;
        }
        assert_int_equal(got, v[i]);
    }
    sl_buf_free(&b);
}

static void test_dict_strings(void **state) {
    (void)state;
    pqw_dict d;
    pqw_dict_init(&d, 0);
    bool ins;
    assert_int_equal(pqw_dict_put(&d, "paid", 4, 1 << 20, &ins), 0);
    assert_true(ins);
    assert_int_equal(pqw_dict_put(&d, "free", 4, 1 << 20, &ins), 1);
    assert_true(ins);
    assert_int_equal(pqw_dict_put(&d, "paid", 4, 1 << 20, &ins), 0);
    assert_false(ins);
    assert_int_equal(pqw_dict_put(&d, "", 0, 1 << 20, &ins), 2);
    assert_true(ins);
    assert_int_equal(pqw_dict_put(&d, "", 0, 1 << 20, &ins), 2);
    assert_false(ins);
    assert_int_equal(d.count, 3);
    /* the PLAIN dictionary page body: 4-byte LE length + bytes, first-seen order */
    ASSERT_BYTES(&d.plain, 4, 0, 0, 0, 'p', 'a', 'i', 'd', 4, 0, 0, 0, 'f', 'r', 'e', 'e', 0, 0, 0,
                 0);
    size_t len;
    const uint8_t *e = pqw_dict_entry(&d, 1, &len);
    assert_int_equal(len, 8);
    assert_memory_equal(e + 4, "free", 4);
    /* limit: a new value that would pass max_bytes is refused, known ones are found */
    assert_int_equal(pqw_dict_put(&d, "toolong", 7, 25, &ins), -1);
    assert_false(ins);
    assert_int_equal(d.count, 3);
    assert_int_equal(pqw_dict_put(&d, "free", 4, 25, &ins), 1);
    assert_int_equal(pqw_dict_put(&d, "abc", 3, 27, &ins), 3); /* 20 + 4 + 3 = 27 fits */
    pqw_dict_clear(&d);
    assert_int_equal(d.count, 0);
    assert_int_equal(d.plain.len, 0);
    assert_int_equal(pqw_dict_put(&d, "free", 4, 1 << 20, &ins), 0);
    assert_true(ins);
    pqw_dict_free(&d);
}

static void test_dict_fixed_growth(void **state) {
    (void)state;
    pqw_dict d;
    pqw_dict_init(&d, 8);
    bool ins;
    for (int64_t i = 0; i < 50000; i++) {
        int64_t v = i * 7919 - 100000;
        assert_int_equal(pqw_dict_put(&d, &v, 8, 1 << 30, &ins), i);
        assert_true(ins);
    }
    for (int64_t i = 49999; i >= 0; i -= 3) {
        int64_t v = i * 7919 - 100000;
        assert_int_equal(pqw_dict_put(&d, &v, 8, 1 << 30, &ins), i);
        assert_false(ins);
    }
    assert_int_equal(d.plain.len, 50000 * 8);
    int64_t v9;
    memcpy(&v9, d.plain.data + 9 * 8, 8);
    assert_int_equal(v9, 9 * 7919 - 100000);
    /* +0.0 and -0.0 are different bit patterns: two entries, values kept exactly */
    pqw_dict dd;
    pqw_dict_init(&dd, 8);
    double z = 0.0, nz = -0.0;
    assert_int_equal(pqw_dict_put(&dd, &z, 8, 100, &ins), 0);
    assert_int_equal(pqw_dict_put(&dd, &nz, 8, 100, &ins), 1);
    pqw_dict_free(&dd);
    pqw_dict_free(&d);
}

/* ---- the hybrid encoder against a value-at-a-time reference ---------- */
/* The streaming form of the algorithm (parquet-mr's
 * RunLengthBitPackingHybridEncoder, as the writer had it before it encoded
 * whole pages): pqw_rle_encode must give the same bytes for any input. */
typedef struct ref_rle {
    sl_buf *out;
    int bw, nbuf;
    uint32_t cur, repeat, buffered[8], literal_count;
    size_t indicator;
} ref_rle;

static void ref_flush_literal(ref_rle *e, bool update) {
    if (e->indicator == SIZE_MAX) {
        e->indicator = e->out->len;
        sl_buf_putc(e->out, 0);
    }
    if (e->nbuf > 0) {
        for (int bit = 0; bit < 8 * e->bw; bit += 8) { /* bw bytes, LSB first */
            uint8_t byte = 0;
            for (int k = 0; k < 8; k++) {
                int b = bit + k;
                byte |= (uint8_t)(((e->buffered[b / e->bw] >> (b % e->bw)) & 1) << k);
            }
            sl_buf_putc(e->out, byte);
        }
        e->nbuf = 0;
    }
    if (update) {
        e->out->data[e->indicator] = (uint8_t)((((e->literal_count + 7) / 8) << 1) | 1);
        e->indicator = SIZE_MAX;
        e->literal_count = 0;
    }
}

static void ref_flush_repeated(ref_rle *e) {
    pqw_put_uvarint(e->out, (uint64_t)e->repeat << 1);
    for (int i = 0; i < (e->bw + 7) / 8; i++) sl_buf_putc(e->out, (uint8_t)(e->cur >> (8 * i)));
    e->nbuf = 0;
    e->repeat = 0;
}

static void ref_put(ref_rle *e, uint32_t v) {
    if (e->cur == v) {
        if (++e->repeat > 8) return;
    } else {
        if (e->repeat >= 8) ref_flush_repeated(e);
        e->repeat = 1;
        e->cur = v;
    }
    e->buffered[e->nbuf++] = v;
    if (e->nbuf < 8) return;
    if (e->repeat >= 8) {
        e->nbuf = 0;
        if (e->literal_count) ref_flush_literal(e, true);
        return;
    }
    e->literal_count += 8;
    ref_flush_literal(e, (e->literal_count + 7) / 8 + 1 >= 64);
    e->repeat = 0;
}

static void ref_encode(sl_buf *out, int bw, const uint32_t *v, size_t n) {
    ref_rle e = {out, bw, 0, 0, 0, {0}, 0, SIZE_MAX};
    out->len = 0;
    for (size_t i = 0; i < n; i++) ref_put(&e, v[i]);
    if (e.literal_count == 0 && e.repeat > 0 && (e.repeat == (uint32_t)e.nbuf || e.nbuf == 0)) {
        ref_flush_repeated(&e);
    } else if (e.literal_count || e.nbuf) {
        while (e.nbuf != 0 && e.nbuf < 8) e.buffered[e.nbuf++] = 0;
        e.literal_count += (uint32_t)e.nbuf;
        ref_flush_literal(&e, true);
    }
}

static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void test_rle_matches_reference(void **state) {
    (void)state;
    enum { MAXN = 3000 };
    uint32_t *v = malloc(MAXN * sizeof *v);
    sl_buf got = {0}, want = {0};
    uint64_t seed = 42;
    for (int iter = 0; iter < 3000; iter++) {
        int bw = 1 + (int)(rng_next(&seed) % 32);
        uint32_t vmax = bw == 32 ? UINT32_MAX : (1u << bw) - 1;
        size_t n = (size_t)(rng_next(&seed) % (iter % 10 == 0 ? MAXN : 40));
        /* runs of mixed lengths: short ones break groups, long ones make
         * RLE runs, a small alphabet makes runs that straddle groups */
        uint32_t alphabet = 1 + (uint32_t)(rng_next(&seed) % 4 == 0 ? 2
                                           : vmax > 1000            ? 1000
                                                                    : vmax);
        for (size_t i = 0; i < n;) {
            uint64_t r = rng_next(&seed);
            size_t len = r % 4 == 0 ? 1 + (r >> 8) % 30 : r % 16 == 1 ? 60 + (r >> 8) % 300 : 1;
            uint32_t x = (uint32_t)((r >> 20) % alphabet);
            if (x > vmax) x = vmax;
            for (size_t k = 0; k < len && i < n; k++) v[i++] = x;
        }
        ref_encode(&want, bw, v, n);
        rle(&got, bw, v, n); /* also checks the levels encoder for 0/1 values */
        assert_int_equal(got.len, want.len);
        if (n) assert_memory_equal(got.data, want.data, got.len);
    }
    sl_buf_free(&got);
    sl_buf_free(&want);
    free(v);
}

/* ---- the dictionary's inlined lookup ----------------------------------- */
/* Keys that collide in slot and tag: each is found again, none twice. */
static void test_dict_fixed_collisions(void **state) {
    (void)state;
    enum { N = 600 };
    for (int width = 4; width <= 8; width += 4) {
        pqw_dict d;
        pqw_dict_init(&d, width);
        uint64_t keys[N];
        bool ins;
        for (uint32_t k = 0; k < N; k++) {
            /* width 4: hash collisions of 4-byte keys can't be made to order,
             * so those just share the home slot's low bits by chance */
            keys[k] = width == 8 ? pqw_test_colliding(k, 20) : (uint64_t)k * 2654435761u % 100003;
            if (width == 8) assert_int_equal(pqw_hash_fixed(keys[k]) >> 32, 0xABCD1234);
            assert_int_equal(pqw_dict_put(&d, &keys[k], (size_t)width, 1 << 20, &ins), k);
            assert_true(ins);
        }
        for (uint32_t k = N; k-- > 0;) {
            size_t slot;
            uint64_t h = pqw_hash_fixed(keys[k]);
            assert_int_equal(pqw_dict_find_fixed(&d, keys[k], h, width, &slot), k);
            assert_int_equal(pqw_dict_put(&d, &keys[k], (size_t)width, 1 << 20, &ins), k);
            assert_false(ins);
        }
        uint64_t absent = width == 8 ? pqw_test_colliding(N + 7, 20) : 100004;
        size_t slot = SIZE_MAX;
        assert_int_equal(pqw_dict_find_fixed(&d, absent, pqw_hash_fixed(absent), width, &slot), -1);
        assert_int_equal(d.slots[slot], 0); /* the free slot where it would go */
        assert_int_equal(d.count, N);
        /* a full dictionary refuses the insert and stays as it was */
        assert_int_equal(pqw_dict_add(&d, &absent, (size_t)width, pqw_hash_fixed(absent), slot,
                                      d.plain.len + (size_t)width - 1),
                         -1);
        assert_int_equal(d.count, N);
        /* cleared with few entries in a large table (slot by slot) or many
         * (the whole table): no slot is left, and the keys come back new */
        for (int round = 0; round < 2; round++) {
            uint32_t m = round ? 40 : N;
            pqw_dict_clear(&d);
            for (size_t s = 0; s < d.nslots; s++) assert_int_equal(d.slots[s], 0);
            for (uint32_t k = 0; k < m; k++) {
                assert_int_equal(pqw_dict_put(&d, &keys[N - 1 - k], (size_t)width, 1 << 20, &ins),
                                 k);
                assert_true(ins);
            }
            assert_true(round == 0 || d.count * 8 < d.nslots);
        }
        pqw_dict_clear(&d);
        for (size_t s = 0; s < d.nslots; s++) assert_int_equal(d.slots[s], 0);
        pqw_dict_free(&d);
    }
}

/* ---- strings by address ------------------------------------------------ */
static void test_addrs(void **state) {
    (void)state;
    pqw_addrs a;
    pqw_addrs_init(&a);
    static char bytes[5000];
    /* more entries than the first table holds: it grows, all are found */
    for (uint32_t i = 0; i < 5000; i++) {
        pqw_addr_entry *e = pqw_addrs_find(&a, bytes + i, i % 7);
        assert_int_not_equal(e->gen, a.gen);
        pqw_addrs_add(&a, e, bytes + i, i % 7, i * 3);
    }
    assert_true(a.bits > 8);
    for (uint32_t i = 0; i < 5000; i++) {
        pqw_addr_entry *e = pqw_addrs_find(&a, bytes + i, i % 7);
        assert_int_equal(e->gen, a.gen);
        assert_int_equal(e->idx, i * 3);
        /* the same address with another length is another string */
        assert_int_not_equal(pqw_addrs_find(&a, bytes + i, i % 7 + 1)->gen, a.gen);
    }
    /* a new generation forgets everything, also after the counter wraps */
    pqw_addrs_forget(&a);
    assert_int_not_equal(pqw_addrs_find(&a, bytes + 1, 1)->gen, a.gen);
    pqw_addr_entry *e = pqw_addrs_find(&a, bytes, 0);
    pqw_addrs_add(&a, e, bytes, 0, 77);
    for (int i = 0; i < 65535; i++) {
        pqw_addrs_forget(&a);
        assert_int_not_equal(pqw_addrs_find(&a, bytes, 0)->gen, a.gen);
    }
    pqw_addrs_free(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bit_width),
        cmocka_unit_test(test_spec_bitpacked),
        cmocka_unit_test(test_rle_runs),
        cmocka_unit_test(test_literal_then_run),
        cmocka_unit_test(test_long_literal),
        cmocka_unit_test(test_wide_values),
        cmocka_unit_test(test_dict_strings),
        cmocka_unit_test(test_dict_fixed_growth),
        cmocka_unit_test(test_rle_matches_reference),
        cmocka_unit_test(test_dict_fixed_collisions),
        cmocka_unit_test(test_addrs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
