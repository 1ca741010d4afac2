/* Private interface of the Parquet WRITER: the thrift compact encoder, the
 * RLE/bit-packed hybrid encoder, the dictionary table, page compression and
 * column statistics. Split out so unit tests can drive each piece against
 * hand-computed bytes. Every symbol is prefixed pqw_ so it cannot collide
 * with the reader's private symbols in the same library. */
#ifndef SONGLAKE_PQ_WRITE_INTERNAL_H
#define SONGLAKE_PQ_WRITE_INTERNAL_H

#include "parquet/parquet.h"

#include <string.h>

/* ---- parquet.thrift enum values the writer uses ---------------------- */
enum {
    PQW_T_BOOLEAN = 0,
    PQW_T_INT32 = 1,
    PQW_T_INT64 = 2,
    PQW_T_DOUBLE = 5,
    PQW_T_BYTE_ARRAY = 6
};
enum { PQW_ENC_PLAIN = 0, PQW_ENC_RLE = 3, PQW_ENC_RLE_DICTIONARY = 8 };
enum { PQW_PAGE_DATA = 0, PQW_PAGE_DICTIONARY = 2 };
enum { PQW_REP_REQUIRED = 0, PQW_REP_OPTIONAL = 1 };
enum { PQW_CONV_UTF8 = 0, PQW_CONV_TIMESTAMP_MICROS = 10 };

/* ---- thrift compact protocol encoder --------------------------------- */
/* Compact type ids (thrift compact protocol spec). */
enum {
    PQW_TC_BOOL_TRUE = 1,
    PQW_TC_BOOL_FALSE = 2,
    PQW_TC_BYTE = 3,
    PQW_TC_I16 = 4,
    PQW_TC_I32 = 5,
    PQW_TC_I64 = 6,
    PQW_TC_DOUBLE = 7,
    PQW_TC_BINARY = 8,
    PQW_TC_LIST = 9,
    PQW_TC_SET = 10,
    PQW_TC_MAP = 11,
    PQW_TC_STRUCT = 12
};
#define PQW_TC_MAX_DEPTH 32

/* Appends to `out`. Field ids are delta-encoded against the previous field
 * of the same struct, so the encoder keeps one "last id" per open struct. */
typedef struct pqw_thrift {
    sl_buf *out;
    int depth;
    int16_t last[PQW_TC_MAX_DEPTH];
} pqw_thrift;

void pqw_tc_init(pqw_thrift *t, sl_buf *out);
void pqw_put_uvarint(sl_buf *b, uint64_t v);
static inline uint64_t pqw_zigzag64(int64_t v) {
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
/* A struct at top level or as a list element; pair with pqw_tc_struct_end. */
void pqw_tc_struct_begin(pqw_thrift *t);
void pqw_tc_struct_end(pqw_thrift *t); /* writes the stop field */
void pqw_tc_field_i16(pqw_thrift *t, int16_t id, int16_t v);
void pqw_tc_field_i32(pqw_thrift *t, int16_t id, int32_t v);
void pqw_tc_field_i64(pqw_thrift *t, int16_t id, int64_t v);
void pqw_tc_field_bool(pqw_thrift *t, int16_t id, bool v);
void pqw_tc_field_binary(pqw_thrift *t, int16_t id, const void *p, size_t n);
/* Opens a nested struct field; close it with pqw_tc_struct_end. */
void pqw_tc_field_struct(pqw_thrift *t, int16_t id);
/* Writes a list field header; then write `n` elements of `elem_type`. */
void pqw_tc_field_list(pqw_thrift *t, int16_t id, int elem_type, uint32_t n);
void pqw_tc_i32(pqw_thrift *t, int32_t v);                  /* list element */
void pqw_tc_binary(pqw_thrift *t, const void *p, size_t n); /* list element */

/* ---- RLE / bit-packed hybrid encoder ---------------------------------- */
/* The algorithm of parquet-mr and Arrow, over a whole page's values at once:
 * cut into groups of 8 (counted from the end of the last run); a group of 8
 * equal values starts an RLE run that lasts as long as the value repeats,
 * other groups are bit-packed (at most 63 groups per run header, so the
 * header is one reserved byte patched afterwards); a last partial group is a
 * run if its values are equal and no bit-packed run is open, else it is
 * bit-packed padded with zeros. Appends to out. */
void pqw_rle_encode(sl_buf *out, int bit_width, const uint32_t *v, size_t n);
/* The same for definition levels: one byte per value, each 0 or 1, width 1. */
void pqw_rle_encode_levels(sl_buf *out, const uint8_t *v, size_t n);
/* Bits needed for values in [0, max_value]. */
static inline int pqw_bit_width(uint32_t max_value) {
    return max_value ? 32 - __builtin_clz(max_value) : 0;
}

/* ---- dictionary ------------------------------------------------------- */
/* Distinct values in first-seen order, stored PLAIN-encoded back to back
 * (exactly the dictionary page body) with an open-addressing hash index. */
typedef struct pqw_dict {
    sl_buf plain;
    uint32_t *off;  /* count + 1 offsets into plain */
    uint64_t *hash; /* per entry, for rehashing */
    uint32_t count, cap;
    uint64_t *slots; /* (high 32 hash bits << 32) | (entry index + 1); 0 = empty */
    size_t nslots;   /* power of two */
    int width;       /* fixed value width in bytes; 0 = BYTE_ARRAY (4-byte length prefix) */
} pqw_dict;
#define PQW_DICT_TAG UINT64_C(0xFFFFFFFF00000000)
void pqw_dict_init(pqw_dict *d, int width);
void pqw_dict_clear(pqw_dict *d);
void pqw_dict_free(pqw_dict *d);
/* Index of the value (p, n) (for BYTE_ARRAY the bytes without prefix),
 * inserting it. Returns -1 without inserting when the insert would grow the
 * dictionary past max_bytes (the caller falls back to PLAIN). *inserted tells
 * whether it is new. */
int64_t pqw_dict_put(pqw_dict *d, const void *p, size_t n, size_t max_bytes, bool *inserted);

/* The two halves of pqw_dict_put for fixed-width values, so a caller's loop
 * can inline the lookup: the hash of a 4/8-byte value (zero-extended to a
 * word; murmur3's fmix64, as good as XXH3 for such keys and cheaper), */
static inline uint64_t pqw_hash_fixed(uint64_t x) {
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}
/* the index of x (hash h) in a dictionary of that width, or -1 with *slot
 * the free slot where it goes, */
static inline int64_t pqw_dict_find_fixed(const pqw_dict *d, uint64_t x, uint64_t h, int width,
                                          size_t *slot) {
    size_t s = 0;
    if (d->nslots) {
        size_t mask = d->nslots - 1;
        uint64_t tag = h & PQW_DICT_TAG;
        for (s = (size_t)h & mask; d->slots[s]; s = (s + 1) & mask) {
            uint64_t e = d->slots[s];
            if ((e & PQW_DICT_TAG) != tag) continue;
            uint32_t i = (uint32_t)e - 1;
            uint64_t y = 0;
            memcpy(&y, d->plain.data + (size_t)i * (size_t)width, (size_t)width);
            if (y == x) return i;
        }
    }
    *slot = s;
    return -1;
}
/* and the insert at that slot (any slot with an empty table): the new index,
 * or -1 as for pqw_dict_put. */
int64_t pqw_dict_add(pqw_dict *d, const void *p, size_t n, uint64_t h, size_t slot,
                     size_t max_bytes);
static inline const uint8_t *pqw_dict_entry(const pqw_dict *d, uint32_t i, size_t *len) {
    *len = d->off[i + 1] - d->off[i];
    return d->plain.data + d->off[i];
}

/* ---- strings by address --------------------------------------------- */
/* Dictionary indices of strings remembered by the address of their bytes
 * (the caller promises the bytes at an address do not change while an entry
 * lives), so a repeated string skips hashing and comparing its bytes. An
 * open-addressing table whose entries belong to a generation: starting a new
 * one forgets all entries at once; it grows, so nothing is evicted. */
typedef struct pqw_addr_entry {
    const void *p;
    uint32_t idx;
    uint16_t n;   /* strings longer than UINT16_MAX are not remembered */
    uint16_t gen; /* never 0: 0 marks a slot that never held an entry */
} pqw_addr_entry;
typedef struct pqw_addrs {
    pqw_addr_entry *e;
    int bits;       /* 2^bits slots */
    uint32_t count; /* entries of the current generation */
    uint16_t gen;
} pqw_addrs;
void pqw_addrs_init(pqw_addrs *a);
void pqw_addrs_free(pqw_addrs *a);
void pqw_addrs_forget(pqw_addrs *a); /* starts a new generation */
/* The entry of (p, n) (n <= UINT16_MAX), or the free slot where it goes
 * (then e->gen != a->gen). */
static inline size_t pqw_addrs_home(const pqw_addrs *a, const void *p) {
    return (size_t)(((uint64_t)(uintptr_t)p * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - a->bits));
}
static inline pqw_addr_entry *pqw_addrs_find(const pqw_addrs *a, const void *p, uint32_t n) {
    size_t mask = ((size_t)1 << a->bits) - 1;
    size_t s = pqw_addrs_home(a, p);
    for (;; s = (s + 1) & mask) {
        pqw_addr_entry *e = &a->e[s];
        if (e->gen != a->gen || (e->p == p && e->n == n)) return e;
    }
}
/* Fills the free slot found by pqw_addrs_find (it may grow the table). */
void pqw_addrs_add(pqw_addrs *a, pqw_addr_entry *slot, const void *p, uint32_t n, uint32_t idx);

/* ---- compression ------------------------------------------------------ */
typedef struct pqw_compressor pqw_compressor;
pqw_compressor *pqw_compressor_new(pq_codec codec, int level, sl_err *err);
void pqw_compressor_free(pqw_compressor *c);
/* Appends the compressed form of (p, n) to out (a plain copy for
 * UNCOMPRESSED). */
int pqw_compress(pqw_compressor *c, const void *p, size_t n, sl_buf *out, sl_err *err);

/* ---- statistics ------------------------------------------------------- */
/* Statistics values larger than this are not written (as Arrow does), so a
 * footer never carries a 64 KiB string twice. */
#define PQW_STATS_MAX_VALUE_BYTES 4096

typedef struct pqw_stats {
    pq_type type;
    uint64_t null_count;
    bool has_minmax;    /* false while no non-null (non-NaN) value was seen */
    bool has_nan;       /* DOUBLE: a NaN was seen (it is in no min/max) */
    int64_t imin, imax; /* BOOLEAN, INT32, INT64, TIMESTAMP */
    double dmin, dmax;  /* DOUBLE, NaN never stored */
    sl_buf smin, smax;  /* STRING */
} pqw_stats;
void pqw_stats_init(pqw_stats *s, pq_type type);
void pqw_stats_reset(pqw_stats *s);
void pqw_stats_free(pqw_stats *s);
static inline void pqw_stats_int(pqw_stats *s, int64_t v) {
    if (!s->has_minmax) {
        s->imin = s->imax = v;
        s->has_minmax = true;
    } else if (v < s->imin) {
        s->imin = v;
    } else if (v > s->imax) {
        s->imax = v;
    }
}
static inline void pqw_stats_double(pqw_stats *s, double v) {
    if (v != v) { /* NaN is not ordered: excluded from min/max */
        s->has_nan = true;
        return;
    }
    if (!s->has_minmax) {
        s->dmin = s->dmax = v;
        s->has_minmax = true;
    } else if (v < s->dmin) {
        s->dmin = v;
    } else if (v > s->dmax) {
        s->dmax = v;
    }
}
void pqw_stats_str(pqw_stats *s, const void *p, size_t n);
/* Folds src (a closed chunk's statistics) into dst (the file's). */
void pqw_stats_merge(pqw_stats *dst, const pqw_stats *src);
/* Writes the Statistics struct as field `id` of the current struct. */
void pqw_stats_encode(const pqw_stats *s, pqw_thrift *t, int16_t id);

/* ---- the file being written (write_file.c; writer.c, tree_writer.c) --- */
typedef struct pqw_file {
    pq_writer_opts o; /* defaults filled in */
    char *created_by;
    pq_sink sink;
    pqw_compressor *comp;
    sl_buf page, zpage, hdr, colmeta; /* scratch */
    sl_buf rg_meta;                   /* encoded RowGroup structs for the footer */
    uint64_t pos;                     /* bytes handed to the sink */
    uint64_t rows, rg_rows;
    uint32_t nrg;
    bool failed;
} pqw_file;
/* Fills the options' defaults, opens the compressor, writes "PAR1". On
 * failure the caller still frees f. */
int pqw_file_open(pqw_file *f, const pq_writer_opts *opts, pq_sink sink, sl_err *err);
void pqw_file_free(pqw_file *f);
int pqw_file_put(pqw_file *f, const void *p, size_t n, sl_err *err);
/* Starts a PageHeader in `out` (emptied); the caller adds its page-type
 * specific header and closes the struct. */
void pqw_page_header_begin(pqw_thrift *t, sl_buf *out, int type, size_t unc, size_t comp);
/* A whole PageHeader of a V1 data page with RLE levels. */
void pqw_data_page_header(pqw_thrift *t, sl_buf *out, size_t unc, size_t comp, uint32_t nvalues,
                          int enc);
/* Appends the RowGroup of the f->rg_rows rows whose ncols ColumnChunk
 * structs are in f->colmeta; counts it. */
void pqw_file_row_group(pqw_file *f, size_t ncols, uint64_t start, uint64_t unc, uint64_t comp);
/* A leaf SchemaElement's converted and logical type (STRING, TIMESTAMP). */
void pqw_leaf_type(pqw_thrift *t, pq_type type);
/* Writes the footer (schema() writes FileMetaData field 2) and fills info. */
typedef void (*pqw_schema_fn)(void *ctx, pqw_thrift *t);
int pqw_file_finish(pqw_file *f, size_t nleaves, pqw_schema_fn schema, void *ctx,
                    pq_file_info *info, sl_err *err);

/* ---- a column being written (writer.c, write_values.c) --------------- */
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
    pqw_stats fstats; /* the whole file's: every chunk's stats folded in */
    /* strings: dictionary indices by address, for one pq_writer_write call
     * (the caller's bytes cannot change during it), or for the chunk with
     * stable batches */
    pqw_addrs addrs;
    bool addrs_stable;   /* the last call's batch was stable */
    uint64_t last_fixed; /* fixed-width columns: the last value put */
} pqw_col;

/* Puts rows [i0, i0 + k) of batch b (valid: b->valid for a nullable column,
 * else NULL; the levels are the caller's) into the open page; returns how
 * many were put: fewer when the dictionary filled, after the row that made
 * the column go PLAIN. */
size_t pqw_col_put_range(pqw_col *c, const pq_writer_opts *o, const pq_column_batch *b,
                         const uint8_t *valid, size_t i0, size_t k);
/* How many rows can be put before the page estimate must be checked again:
 * it cannot reach page_bytes before the last of them. 0 for PLAIN strings,
 * where one row can add any size. */
size_t pqw_col_rows_unchecked(const pqw_col *c, size_t page_bytes);
/* Leaves dictionary mode for the rest of the chunk: the open page's indices
 * become PLAIN values. */
void pqw_col_fall_back(pqw_col *c);

#endif
