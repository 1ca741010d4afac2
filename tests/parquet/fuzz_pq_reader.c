/* libFuzzer target for the Parquet reader: opens the input as a file image,
 * decodes every column of every row group and runs inspect into /dev/null.
 * Errors are expected; crashes, out-of-bounds reads, leaks and runaway
 * allocations are not. The row-group limit is lowered so that a few bytes of
 * RLE declaring billions of rows are an error, not an out-of-memory. */
#include <stdlib.h>
#include <string.h>

#include "parquet/parquet.h"

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!devnull) devnull = fopen("/dev/null", "w");
    sl_err err;
    pq_reader *r = pq_reader_open_mem(data, size, &err);
    if (!r) return 0;
    pq_reader_set_max_rows(r, 1u << 20);
    for (size_t g = 0; g < pq_reader_num_row_groups(r); g++)
        for (size_t c = 0; c < pq_reader_num_columns(r); c++) {
            pq_column_data d;
            if (pq_reader_read_column(r, g, c, &d, &err) == 0) pq_column_data_free(&d);
            pq_stats st;
            pq_reader_column_stats(r, g, c, &st);
        }
    pq_inspect(r, "fuzz", devnull, &err);
    pq_reader_close(r);
    return 0;
}
