/* Shared by the writer's unit tests (test_pqw_*.c): compares a byte buffer
 * with bytes written out by hand in the test. Include after cmocka.h. */
#ifndef SONGLAKE_PQW_TEST_H
#define SONGLAKE_PQW_TEST_H

#include "parquet/pq_write_internal.h"

#define ASSERT_BYTES(buf, ...)                                                                     \
    do {                                                                                           \
        const uint8_t exp_[] = {__VA_ARGS__};                                                      \
        assert_int_equal((buf)->len, sizeof exp_);                                                 \
        assert_memory_equal((buf)->data, exp_, sizeof exp_);                                       \
    } while (0)

/* Fixed-width values whose dictionary hashes (pqw_hash_fixed, a bijection)
 * all share their high 32 bits and their low `low_bits` bits, so they land
 * on the same slot with the same tag in any table of up to 2^low_bits
 * slots: only the comparison of whole values tells them apart. */
static inline uint64_t pqw_test_inv_mul(uint64_t c) {
    uint64_t x = c; /* Newton's iteration for the inverse mod 2^64 of an odd c */
    for (int i = 0; i < 6; i++) x *= 2 - c * x;
    return x;
}
static inline uint64_t pqw_test_unhash(uint64_t h) {
    h ^= h >> 33; /* self-inverse for shifts of 32 bits or more */
    h *= pqw_test_inv_mul(UINT64_C(0xc4ceb9fe1a85ec53));
    h ^= h >> 33;
    h *= pqw_test_inv_mul(UINT64_C(0xff51afd7ed558ccd));
    h ^= h >> 33;
    return h;
}
static inline uint64_t pqw_test_colliding(uint32_t k, int low_bits) {
    uint64_t h = (UINT64_C(0xABCD1234) << 32) | ((uint64_t)(k + 1) << low_bits) | 0x5;
    return pqw_test_unhash(h);
}

#endif
