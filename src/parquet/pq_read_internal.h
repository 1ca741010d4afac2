/* parquet reader internals: the thrift compact decoder, the decoded footer,
 * the value decoders and decompression, shared by reader.c, read_pages.c,
 * decode.c, decompress.c and inspect.c. Not part of the module interface.
 *
 * Every byte range handed to these functions is bounded by an `end`
 * pointer; nothing here reads past it, whatever the input says. */
#ifndef SONGLAKE_PQ_READ_INTERNAL_H
#define SONGLAKE_PQ_READ_INTERNAL_H

#include <string.h>

#include "parquet/parquet.h"

/* ---- thrift compact protocol decoder --------------------------------- */
enum {
    PQ_T_STOP = 0,
    PQ_T_TRUE = 1,
    PQ_T_FALSE = 2,
    PQ_T_BYTE = 3,
    PQ_T_I16 = 4,
    PQ_T_I32 = 5,
    PQ_T_I64 = 6,
    PQ_T_DOUBLE = 7,
    PQ_T_BINARY = 8,
    PQ_T_LIST = 9,
    PQ_T_SET = 10,
    PQ_T_MAP = 11,
    PQ_T_STRUCT = 12,
};
#define PQ_T_MAX_DEPTH 32

typedef struct pq_tdec {
    const uint8_t *start, *p, *end;
    int depth;
    int16_t last[PQ_T_MAX_DEPTH + 1]; /* last field id per open struct */
    const char *what;                 /* "footer", "page header": for messages */
    sl_err *err;
    bool failed; /* sticky: every call fails after the first error */
} pq_tdec;

void pq_tdec_init(pq_tdec *d, const uint8_t *p, size_t n, const char *what, sl_err *err);
int pq_t_fail(pq_tdec *d, const char *fmt, ...) SL_PRINTF(2, 3);
int pq_t_struct_begin(pq_tdec *d);
int pq_t_struct_end(pq_tdec *d);
/* 1: a field (id, type filled), 0: STOP (struct closed), -1: error. */
int pq_t_next_field(pq_tdec *d, int *id, int *type);
/* Integers of any width (BYTE, I16, I32, I64) as int64. */
int pq_t_int(pq_tdec *d, int type, int64_t *v);
/* An integer that must fit in [lo, hi]. */
int pq_t_int_range(pq_tdec *d, int type, int64_t lo, int64_t hi, int64_t *v);
int pq_t_bool(pq_tdec *d, int type, bool *v);
int pq_t_binary(pq_tdec *d, int type, const uint8_t **p, uint32_t *n);
/* A list or set header: element type and count, count bounded by the bytes
 * left (every element takes at least one byte). */
int pq_t_list(pq_tdec *d, int type, int *etype, uint32_t *n);
/* Skips a value of `type`; in_list: bools take a byte. */
int pq_t_skip(pq_tdec *d, int type, bool in_list);
/* Skips a field; a helper for parsers' default branch. */
static inline int pq_t_skip_field(pq_tdec *d, int type) {
    return pq_t_skip(d, type, false);
}

/* ---- decoded footer -------------------------------------------------- */
enum {
    PQ_PHYS_BOOLEAN = 0,
    PQ_PHYS_INT32,
    PQ_PHYS_INT64,
    PQ_PHYS_INT96,
    PQ_PHYS_FLOAT,
    PQ_PHYS_DOUBLE,
    PQ_PHYS_BYTE_ARRAY,
    PQ_PHYS_FIXED
};
enum {
    PQ_ENC_PLAIN = 0,
    PQ_ENC_PLAIN_DICTIONARY = 2,
    PQ_ENC_RLE = 3,
    PQ_ENC_BIT_PACKED = 4,
    PQ_ENC_DELTA_BINARY_PACKED = 5,
    PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
    PQ_ENC_DELTA_BYTE_ARRAY = 7,
    PQ_ENC_RLE_DICTIONARY = 8,
    PQ_ENC_BYTE_STREAM_SPLIT = 9
};
/* logical type union member ids */
enum {
    PQ_LT_NONE = 0,
    PQ_LT_STRING = 1,
    PQ_LT_MAP = 2,
    PQ_LT_LIST = 3,
    PQ_LT_ENUM = 4,
    PQ_LT_DECIMAL = 5,
    PQ_LT_DATE = 6,
    PQ_LT_TIME = 7,
    PQ_LT_TIMESTAMP = 8,
    PQ_LT_INTEGER = 10,
    PQ_LT_UNKNOWN = 11,
    PQ_LT_JSON = 12,
    PQ_LT_BSON = 13,
    PQ_LT_UUID = 14,
    PQ_LT_FLOAT16 = 15
};
enum { PQ_UNIT_NONE = 0, PQ_UNIT_MILLIS = 1, PQ_UNIT_MICROS = 2, PQ_UNIT_NANOS = 3 };

typedef struct pq_rschema {
    const char *name;
    int phys; /* -1 for groups */
    int32_t type_length;
    int repetition; /* 0 REQUIRED, 1 OPTIONAL, 2 REPEATED, -1 absent */
    int32_t num_children;
    int converted; /* -1 absent */
    int32_t scale, precision;
    int logical;   /* PQ_LT_*, 0 absent */
    int unit;      /* PQ_UNIT_* for TIME/TIMESTAMP */
    bool utc;      /* TIME/TIMESTAMP isAdjustedToUTC */
    int bit_width; /* INTEGER */
    bool is_signed;
} pq_rschema;

typedef struct pq_rstats {
    bool has_null_count, has_min, has_max;
    int64_t null_count;
    const uint8_t *min, *max; /* point into the file image */
    uint32_t min_len, max_len;
} pq_rstats;

typedef struct pq_rchunk {
    int phys;
    int codec;
    uint32_t encodings;                                          /* bit per Encoding value < 32 */
    int64_t num_values, unc_size, comp_size, data_off, dict_off; /* dict_off -1 absent */
    pq_rstats st;
} pq_rchunk;

typedef struct pq_rgroup {
    int64_t num_rows, total_bytes, comp_bytes; /* comp_bytes -1 absent */
    pq_rchunk *cols;
} pq_rgroup;

typedef struct pq_rcol {
    pq_rschema se;
    int max_def, max_rep; /* levels of the leaf (0, 0 for a REQUIRED top-level column) */
    const char **path;    /* components from the root's child down to the leaf */
    size_t npath;
    int unit_scale;        /* timestamps: 1 micros, 1000 millis -> micros, -1000 nanos -> micros */
    const char *why_other; /* when type is PQ_OTHER */
} pq_rcol;

struct pq_reader {
    const uint8_t *data;
    size_t len;
    uint8_t *owned;
    char *name; /* path or "<memory>" */
    size_t footer_start;
    uint32_t footer_len;
    int32_t version;
    int64_t num_rows;
    const char *created_by;
    size_t ncols;
    pq_column_def *defs;
    pq_rcol *cols;
    size_t nrg;
    pq_rgroup *rgs;
    uint64_t max_rg_rows;
    sl_arena arena;
};

/* Converts a timestamp to microseconds in place (scale 1000: millis,
 * -1000: nanos, floored); -1 on overflow. */
static inline int pq_ts_scale(int64_t *v, int scale) {
    if (scale > 1) return __builtin_mul_overflow(*v, (int64_t)scale, v) ? -1 : 0;
    if (scale < 0) {
        int64_t d = -scale, q = *v / d;
        if (*v % d < 0) q--;
        *v = q;
    }
    return 0;
}

/* Bits of a level stream whose largest level is max (>= 1). */
static inline int pq_level_width(int max) {
    int b = 0;
    while (max >> b) b++;
    return b;
}

const char *pq_enc_name(int enc);
const char *pq_phys_name(int phys);
const char *pq_codec_name_any(int codec); /* any CompressionCodec number */

/* ---- value decoding (decode.c) --------------------------------------- */
/* Copies one decoded element; constant sizes let the compiler inline the
 * copy instead of calling memcpy per value. */
static inline void pq_copy_elem(uint8_t *d, const uint8_t *s, size_t w) {
    switch (w) {
    case 1: *d = *s; break;
    case 4: memcpy(d, s, 4); break;
    case 8: memcpy(d, s, 8); break;
    case 16: memcpy(d, s, 16); break;
    default: memcpy(d, s, w);
    }
}

/* RLE / bit-packed hybrid (levels, dictionary indexes, booleans). */
typedef struct pq_rle {
    const uint8_t *p, *end;
    int bw;
    uint32_t left;  /* values left in the current run */
    bool packed;    /* current run is bit-packed */
    uint64_t value; /* RLE run value */
    const uint8_t *bp, *bp_end;
    uint64_t bit; /* bit position in a bit-packed run */
} pq_rle;
int pq_rle_init(pq_rle *d, const uint8_t *p, size_t n, int bw, sl_err *err);
/* Decodes exactly `count` values into out (NULL to discard). */
int pq_rle_get(pq_rle *d, uint32_t *out, size_t count, sl_err *err);

/* Size of one decoded element of a physical type: 1 (BOOLEAN as a byte),
 * 4, 8, or sizeof(sl_str) for BYTE_ARRAY; 0 for types the reader does not
 * decode (INT96, FIXED_LEN_BYTE_ARRAY). */
size_t pq_out_width(int phys);

/* Decodes `count` non-null values of `enc` densely into `out` (elements of
 * the output type: uint8 bool, int32, int64, float, double or sl_str with
 * bytes in `heap`). `dict`/`ndict` for dictionary encodings. */
typedef struct pq_values_in {
    int enc, phys;
    const uint8_t *p;
    size_t n;
    size_t count;
    size_t skip; /* values before the `count` wanted ones, decoded past */
    const void *dict;
    size_t ndict;
    sl_arena *heap;
    size_t heap_budget; /* bytes DELTA_BYTE_ARRAY may allocate */
} pq_values_in;
int pq_decode_values(const pq_values_in *in, void *out, sl_err *err);

/* ---- decompression (decompress.c) ------------------------------------ */
/* Checks a codec and a declared size before any allocation. */
int pq_decompress_check(int codec, const uint8_t *src, size_t n, size_t dn, sl_err *err);
/* Decompresses exactly dn bytes; anything else is an error. */
int pq_decompress(int codec, const uint8_t *src, size_t n, uint8_t *dst, size_t dn, sl_err *err);

#define PQ_MAX_PAGE_BYTES ((size_t)1 << 30)

#endif
