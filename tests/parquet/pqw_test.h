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

#endif
