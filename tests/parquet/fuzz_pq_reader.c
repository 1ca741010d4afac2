/* libFuzzer target for the Parquet reader.
 *
 * Inputs that start with "PAR1" are file images: open, decode every column
 * of every row group, read the statistics and inspect into /dev/null.
 * Anything else drives the value decoders directly (the first bytes choose
 * encoding, physical type, count and dictionary size), because mutations of
 * a whole file rarely get through a compressed page to the decoders.
 * Errors are expected; crashes, out-of-bounds reads, leaks and runaway
 * allocations are not. The row-group limit is lowered so that a few bytes of
 * RLE declaring billions of rows are an error, not an out-of-memory. */
#include <stdlib.h>
#include <string.h>

#include "parquet/pq_read_internal.h"

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_file(const uint8_t *data, size_t size) {
    sl_err err;
    pq_reader *r = pq_reader_open_mem(data, size, &err);
    if (!r) return;
    pq_reader_set_max_rows(r, 1u << 20);
    for (size_t g = 0; g < pq_reader_num_row_groups(r); g++)
        for (size_t c = 0; c < pq_reader_num_columns(r); c++) {
            pq_column_data d;
            if (pq_reader_read_column(r, g, c, &d, &err) == 0) pq_column_data_free(&d);
            pq_leaf_data ld;
            if (pq_reader_read_leaf(r, g, c, &ld, &err) == 0) pq_leaf_data_free(&ld);
            pq_stats st;
            pq_reader_column_stats(r, g, c, &st);
        }
    pq_inspect(r, "fuzz", devnull, &err);
    pq_reader_close(r);
}

static void fuzz_decoders(const uint8_t *data, size_t size) {
    if (size < 6) return;
    static const int phys[] = {PQ_PHYS_BOOLEAN, PQ_PHYS_INT32,  PQ_PHYS_INT64,
                               PQ_PHYS_FLOAT,   PQ_PHYS_DOUBLE, PQ_PHYS_BYTE_ARRAY};
    pq_values_in in = {.enc = data[0] % 10, .phys = phys[data[1] % 6]};
    in.count = (size_t)data[2] | (size_t)data[3] << 8;
    size_t w = pq_out_width(in.phys);
    size_t ndict = data[4];
    void *dict = calloc(ndict ? ndict : 1, w);
    if (in.phys == PQ_PHYS_BYTE_ARRAY)
        for (size_t i = 0; i < ndict; i++) ((sl_str *)dict)[i] = (sl_str){"x", 1};
    in.dict = dict;
    in.ndict = ndict;
    in.p = data + 5;
    in.n = size - 5;
    sl_arena heap = {0};
    in.heap = &heap;
    in.heap_budget = 1 << 20;
    void *out = calloc(in.count ? in.count : 1, w);
    sl_err err;
    pq_decode_values(&in, out, &err);
    /* the hybrid decoder alone, at the width byte 1 asks for */
    pq_rle d;
    uint32_t lv[64];
    if (pq_rle_init(&d, in.p, in.n, data[1] % 33, &err) == 0)
        pq_rle_get(&d, lv, in.count < 64 ? in.count : 64, &err);
    free(out);
    free(dict);
    sl_arena_free(&heap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!devnull) devnull = fopen("/dev/null", "w");
    if (size >= 4 && memcmp(data, "PAR1", 4) == 0)
        fuzz_file(data, size);
    else
        fuzz_decoders(data, size);
    return 0;
}
