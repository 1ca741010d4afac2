/* parquet: a writer and a reader for flat Parquet tables.
 *
 * Knows nothing of Sparkify. The writer streams: columns arrive in batches,
 * are buffered for at most one row group, encoded into pages and handed to a
 * sink (a file descriptor, an S3 upload, a memory buffer). The reader takes a
 * whole file image in memory (or a local path) and validates every offset
 * against the file size before using it. */
#ifndef SONGLAKE_PARQUET_H
#define SONGLAKE_PARQUET_H

#include "core/core.h"

typedef enum pq_type {
    PQ_BOOLEAN = 0,
    PQ_INT32,
    PQ_INT64,
    PQ_DOUBLE,
    PQ_STRING,       /* BYTE_ARRAY + STRING logical type (UTF8 converted type) */
    PQ_TIMESTAMP_US, /* INT64 + TIMESTAMP(isAdjustedToUTC=true, MICROS) */
    PQ_BYTE_ARRAY,   /* plain BYTE_ARRAY, reader only (other writers) */
    PQ_FLOAT,        /* reader only */
    PQ_OTHER         /* anything else the reader meets: reported, not decoded */
} pq_type;

typedef enum pq_codec {
    PQ_CODEC_UNCOMPRESSED = 0,
    PQ_CODEC_SNAPPY = 1,
    PQ_CODEC_GZIP = 2,
    PQ_CODEC_ZSTD = 6, /* values are the format's CompressionCodec numbers */
} pq_codec;

/* "snappy", "zstd", "gzip", "none"/"uncompressed" -> codec; -1 if unknown. */
int pq_codec_parse(const char *name);
const char *pq_codec_name(pq_codec c);
const char *pq_type_name(pq_type t);
/* Bytes of one value slot of type t in a pq_column_batch (1 for BOOLEAN,
 * 4 INT32, 8 INT64/DOUBLE/TIMESTAMP, sizeof(sl_str) STRING): for callers
 * that lay out or offset batch arrays generically. */
size_t pq_value_size(pq_type t);

typedef struct pq_column_def {
    const char *name;
    pq_type type;
    bool nullable; /* OPTIONAL when true, REQUIRED otherwise */
} pq_column_def;

typedef struct pq_writer_opts {
    pq_codec codec;         /* default SNAPPY */
    int compression_level;  /* 0 = codec default */
    size_t row_group_bytes; /* default 128 MiB (uncompressed estimate) */
    size_t row_group_rows;  /* default 1,048,576 */
    size_t page_bytes;      /* default 1 MiB */
    size_t dict_max_bytes;  /* dictionary page limit before PLAIN fallback; default 1 MiB */
    bool no_dictionary;     /* default false: dictionary-encode when it pays */
    const char *created_by; /* default "songlake version X" */
} pq_writer_opts;
void pq_writer_opts_default(pq_writer_opts *o);

/* Where encoded bytes go. write() must take all bytes or fail. */
typedef struct pq_sink {
    int (*write)(void *ctx, const void *buf, size_t len, sl_err *err);
    void *ctx;
} pq_sink;
/* A sink writing to a file descriptor (ctx is the fd cast via intptr_t). */
pq_sink pq_sink_fd(int fd);

/* One column's values for a batch of rows. `valid` is NULL when every row is
 * non-null, else one byte per row (0 = null). Value slots of null rows are
 * ignored (they must exist: arrays are indexed by row). */
typedef struct pq_column_batch {
    const uint8_t *valid;
    union {
        const uint8_t *b;   /* PQ_BOOLEAN: 0/1 per row */
        const int32_t *i32; /* PQ_INT32 */
        const int64_t *i64; /* PQ_INT64, PQ_TIMESTAMP_US */
        const double *f64;  /* PQ_DOUBLE */
        const sl_str *str;  /* PQ_STRING */
    } v;
    /* PQ_STRING: every address in str holds the same bytes for the writer's
     * whole life (say, strings of a catalog), so values may be remembered by
     * address across calls. Otherwise only within one pq_writer_write. */
    bool stable;
} pq_column_batch;

typedef struct pq_writer pq_writer;

/* Result of a closed file. */
typedef struct pq_file_info {
    uint64_t rows;
    uint64_t bytes; /* total bytes written to the sink */
    uint32_t row_groups;
} pq_file_info;

pq_writer *pq_writer_open(const pq_column_def *cols, size_t ncols, const pq_writer_opts *opts,
                          pq_sink sink, sl_err *err);
/* Appends nrows rows; cols has one batch per column in schema order. */
int pq_writer_write(pq_writer *w, const pq_column_batch *cols, size_t nrows, sl_err *err);
/* Flushes the last row group, writes the footer, frees the writer. */
int pq_writer_close(pq_writer *w, pq_file_info *info, sl_err *err);
/* Frees the writer without writing anything more. */
void pq_writer_abort(pq_writer *w);

/* Exact statistics of one column over a whole closed file (every row
 * group), for table formats that keep per-file statistics (delta/). Unlike
 * the footer's, strings are never dropped for length: min_s/max_s are the
 * exact smallest and largest values (bytewise). */
typedef struct pq_col_stats {
    pq_type type;
    uint64_t null_count;
    bool has_nan;         /* DOUBLE: some value was NaN (NaN is in no min/max) */
    bool has_min_max;     /* false when every value was null (or NaN) */
    int64_t min_i, max_i; /* BOOLEAN (0/1), INT32, INT64, TIMESTAMP_US (micros) */
    double min_f, max_f;  /* DOUBLE */
    sl_str min_s, max_s;  /* STRING, NUL-terminated copies */
} pq_col_stats;
typedef struct pq_file_stats {
    size_t ncols; /* the writer's columns, in schema order */
    pq_col_stats *cols;
    sl_arena mem;
} pq_file_stats;
/* pq_writer_close that also fills *stats (free with pq_file_stats_free;
 * zeroed on failure). */
int pq_writer_close_stats(pq_writer *w, pq_file_info *info, pq_file_stats *stats, sl_err *err);
void pq_file_stats_free(pq_file_stats *s);

/* ---- nested schemas: the tree writer ---------------------------------- */
/* Structs, lists and maps (the Delta checkpoint's schema, say), written with
 * definition and repetition levels as the format's nested encoding says.
 * Rows are given as a sequence of calls in schema order (a record
 * shredder); pages are PLAIN with RLE levels, cut between rows, so it suits
 * metadata-sized tables rather than bulk data (use pq_writer for flat). */
typedef enum pq_node_kind {
    PQ_NODE_LEAF = 0,
    PQ_NODE_STRUCT, /* followed by its nfields field subtrees */
    PQ_NODE_LIST,   /* followed by its element's subtree */
    PQ_NODE_MAP     /* followed by its key (a REQUIRED leaf) and its value subtree */
} pq_node_kind;

/* One node of the schema, the nodes in pre-order; top-level fields follow
 * each other. Lists are written in the three-level layout
 * (<name> (LIST) { repeated group list { element } }), maps as
 * <name> (MAP) { repeated group key_value { key; value } }: the element's,
 * key's and value's own names are ignored. */
typedef struct pq_node {
    const char *name;
    pq_node_kind kind;
    pq_type type;     /* LEAF: BOOLEAN, INT32, INT64, DOUBLE, STRING, TIMESTAMP_US */
    bool nullable;    /* OPTIONAL (a list element or map value: may be null) */
    uint32_t nfields; /* STRUCT */
} pq_node;

typedef struct pq_tree_writer pq_tree_writer;
pq_tree_writer *pq_tree_open(const pq_node *nodes, size_t nnodes, const pq_writer_opts *opts,
                             pq_sink sink, sl_err *err);
/* A row is the top-level fields in order, each given by one of:
 * - a value (a leaf of that type; TIMESTAMP_US takes pq_tree_i64),
 * - pq_tree_null (a nullable field: a leaf or a whole struct/list/map),
 * - pq_tree_begin ... pq_tree_end (a present struct: its fields; a list:
 *   its elements, each given the same way; a map: key, value, key, ...).
 * pq_tree_end of a struct, and pq_tree_row_end for the row, make the fields
 * not given null (an error for a REQUIRED one). A mistake is remembered and
 * reported by the next pq_tree_row_end (which then drops that row) and
 * makes the file fail at close. */
void pq_tree_null(pq_tree_writer *w);
void pq_tree_bool(pq_tree_writer *w, bool v);
void pq_tree_i32(pq_tree_writer *w, int32_t v);
void pq_tree_i64(pq_tree_writer *w, int64_t v);
void pq_tree_f64(pq_tree_writer *w, double v);
void pq_tree_str(pq_tree_writer *w, const char *p, size_t n);
void pq_tree_begin(pq_tree_writer *w);
void pq_tree_end(pq_tree_writer *w);
int pq_tree_row_end(pq_tree_writer *w, sl_err *err);
int pq_tree_close(pq_tree_writer *w, pq_file_info *info, sl_err *err);
void pq_tree_abort(pq_tree_writer *w);

/* ---- reader ---------------------------------------------------------- */
typedef struct pq_reader pq_reader;

/* Decoded values of one column chunk. Memory owned by the struct. */
typedef struct pq_column_data {
    pq_type type;
    size_t n;       /* rows */
    uint8_t *valid; /* always present: 1 byte per row, 0 = null */
    union {
        uint8_t *b;
        int32_t *i32;
        int64_t *i64;
        double *f64;
        float *f32;
        sl_str *str; /* point into `heap` */
    } v;
    sl_arena heap;
} pq_column_data;
void pq_column_data_free(pq_column_data *d);

/* Opens from memory; the reader does not copy `data`, which must outlive it. */
pq_reader *pq_reader_open_mem(const uint8_t *data, size_t len, sl_err *err);
/* Opens a local file (reads it into memory, owned by the reader). */
pq_reader *pq_reader_open_file(const char *path, sl_err *err);
void pq_reader_close(pq_reader *r);

/* Columns are the schema's leaves in order. A leaf inside groups is named by
 * its dotted path ("add.partitionValues.key_value.key") and is nullable
 * when any node on its path is OPTIONAL. */
size_t pq_reader_num_columns(const pq_reader *r);
const pq_column_def *pq_reader_column(const pq_reader *r, size_t i);
/* The index of the column with that dotted path, or -1. */
long pq_reader_find_column(const pq_reader *r, const char *path);
/* A leaf's maximum definition and repetition levels (0, 0 for a REQUIRED
 * top-level column); -1 when i is out of range. */
int pq_reader_column_levels(const pq_reader *r, size_t i, int *max_def, int *max_rep);
uint64_t pq_reader_num_rows(const pq_reader *r);
size_t pq_reader_num_row_groups(const pq_reader *r);
uint64_t pq_reader_row_group_rows(const pq_reader *r, size_t rg);
/* Decodes column `col` of row group `rg`: one value per row, valid when the
 * leaf itself is defined (for a leaf in an optional struct, null both when
 * the struct is null and when the leaf is). Not for a repeated leaf (inside
 * a list or map): read those with pq_reader_read_leaf. */
int pq_reader_read_column(pq_reader *r, size_t rg, size_t col, pq_column_data *out, sl_err *err);
/* The same for rows [first, first + n) of the row group only (out->n of
 * them, fewer at its end): memory follows n, not the row count a file
 * declares (a few bytes of RLE can declare millions of rows). Pages wholly
 * outside the range are skipped unread; values before `first` in a page
 * that holds it are passed over (PLAIN, dictionary and RLE in place). */
int pq_reader_read_column_rows(pq_reader *r, size_t rg, size_t col, uint64_t first, size_t n,
                               pq_column_data *out, sl_err *err);

/* A leaf's level entries as stored: entry i has def[i] and rep[i] (rep 0
 * starts a row); the entries whose def is the maximum hold the values, in
 * order, densely in `values` (values.n of them, all valid). */
typedef struct pq_leaf_data {
    size_t n;
    uint8_t *def, *rep;
    pq_column_data values;
} pq_leaf_data;
int pq_reader_read_leaf(pq_reader *r, size_t rg, size_t col, pq_leaf_data *out, sl_err *err);
void pq_leaf_data_free(pq_leaf_data *d);

/* Prints schema, row groups, per-column encodings, codec, sizes and
 * statistics as a readable table (`songlake inspect`). */
int pq_inspect(const pq_reader *r, const char *name, FILE *out, sl_err *err);

/* What `songlake inspect` shows of a whole table: a leaf's declared types
 * and one column chunk's footer entry (inspect.c). */
typedef struct pq_column_info {
    const char *physical;   /* "INT64", "BYTE_ARRAY", ... */
    char *logical;          /* "TIMESTAMP(MICROS,UTC)", "STRING", "-"; free() it */
    const char *repetition; /* of the leaf: REQUIRED, OPTIONAL, REPEATED */
    int max_def, max_rep;   /* levels: max_rep > 0 inside a list or map */
    bool date;              /* INT32 DATE (days since 1970-01-01) */
} pq_column_info;
int pq_reader_column_info(const pq_reader *r, size_t col, pq_column_info *out);
typedef struct pq_chunk_info {
    const char *codec;  /* "SNAPPY", "ZSTD", "GZIP", "UNCOMPRESSED", ... */
    uint32_t encodings; /* bit per Parquet Encoding value < 32 */
    uint64_t compressed, uncompressed, values;
} pq_chunk_info;
int pq_reader_chunk_info(const pq_reader *r, size_t rg, size_t col, pq_chunk_info *out);

/* ---- reader: statistics and limits ------------------------------------ */
/* Statistics of one column chunk as stored in the footer. min/max are the
 * PLAIN bytes (no length prefix for byte arrays) and point into the file
 * image; numeric types are also decoded (timestamps in microseconds). */
typedef struct pq_stats {
    pq_type type;
    bool has_null_count;
    uint64_t null_count;
    bool has_min_max;
    const uint8_t *min, *max;
    size_t min_len, max_len;
    int64_t min_i, max_i; /* BOOLEAN, INT32, INT64, TIMESTAMP_US */
    double min_f, max_f;  /* FLOAT, DOUBLE */
} pq_stats;
/* Returns -1 when rg or col is out of range. */
int pq_reader_column_stats(const pq_reader *r, size_t rg, size_t col, pq_stats *out);
/* created_by of the footer, or "" when absent. */
const char *pq_reader_created_by(const pq_reader *r);
/* Refuses row groups with more rows than this when decoding (default
 * 1 << 28): a few bytes of RLE can declare billions of null rows. */
void pq_reader_set_max_rows(pq_reader *r, uint64_t max_rows_per_row_group);

#endif
