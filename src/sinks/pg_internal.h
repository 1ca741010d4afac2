/* sinks (PostgreSQL) private interface between the files of this folder:
 * the PostgreSQL form of the five tables (pg_schema.c), reading a table of a
 * lake (pg_lake.c) and the COPY BINARY encoder (pg_copy.c). Not for other
 * modules: sinks.h is the folder's interface. */
#ifndef SONGLAKE_SINKS_PG_INTERNAL_H
#define SONGLAKE_SINKS_PG_INTERNAL_H

#include <libpq-fe.h>

#include "core/core.h"
#include "io/io.h"
#include "parquet/parquet.h"

/* ---- schema (pg_schema.c) -------------------------------------------- */
typedef enum pgs_type { PGS_BIGINT, PGS_INTEGER, PGS_TEXT, PGS_DOUBLE, PGS_TIMESTAMPTZ } pgs_type;

#define PGS_MAX_COLS 10

typedef struct pgs_col {
    const char *name; /* SPEC name; PostgreSQL folds it to lower case */
    pgs_type type;
    bool not_null;
} pgs_col;

typedef struct pgs_table {
    int lake_id; /* LAKE_SONGPLAYS ... */
    const pgs_col *cols;
    size_t ncols;
} pgs_table;

/* In load order: dimensions first, so a constraint error names the table
 * whose key is missing after all of them are in. */
extern const pgs_table PGS_TABLES[5];
const char *pgs_table_name(const pgs_table *t);
const char *pgs_type_sql(pgs_type t);
/* CREATE TABLE <qschema>.<table> (...) with NOT NULLs and no keys. */
void pgs_create_sql(sl_buf *out, const pgs_table *t, const char *qschema);
/* Keys, foreign keys and indexes, in the order they must be added; '@'
 * stands for the (quoted) schema. NULL-terminated. */
extern const char *const PGS_AFTER_LOAD[];
/* Appends tmpl with every '@' replaced by qschema. */
void pgs_subst(sl_buf *out, const char *tmpl, const char *qschema);

/* ---- lake tables (pg_lake.c) ----------------------------------------- */
typedef struct pgl_file {
    char *uri;     /* full path or s3:// URI of the Parquet file */
    char *rel;     /* path relative to the table directory */
    uint64_t rows; /* from the manifest; UINT64_MAX when unknown */
} pgl_file;

typedef struct pgl_table {
    const pgs_table *def;
    pgl_file *files;
    size_t n;
} pgl_table;

/* Reads <lake>/<table>/_SUCCESS and the files it lists (or, for a marker
 * without a manifest, lists the table directory). A missing marker is an
 * error naming the table and telling to run songlake build. */
int pgl_open(const char *lake_uri, const pgs_table *def, const io_config *cfg, pgl_table *out,
             sl_err *err);
void pgl_free(pgl_table *t);

/* One row group of one file, its columns in the pgs_table's order. A column
 * comes from the file (data) or from the file's path (part_val; NULL for
 * __HIVE_DEFAULT_PARTITION__). */
typedef struct pgl_batch {
    const pgl_file *file;
    uint64_t first_row; /* 0-based index of the batch's first row in the table */
    size_t n;
    bool from_path[PGS_MAX_COLS];
    pq_column_data data[PGS_MAX_COLS];
    const char *part_val[PGS_MAX_COLS];
} pgl_batch;

typedef int (*pgl_batch_fn)(void *ctx, const pgl_batch *b, sl_err *err);
/* Calls fn for every row group of every file in order. want (may be NULL =
 * all) selects the columns to decode; others are left empty. */
int pgl_scan(const pgl_table *t, const bool *want, const io_config *cfg, pgl_batch_fn fn, void *ctx,
             sl_err *err);

/* ---- COPY BINARY (pg_copy.c) ------------------------------------------ */
/* Appends the PGCOPY header / trailer. */
void pgc_header(sl_buf *out);
void pgc_trailer(sl_buf *out);
/* Appends rows [from, to) of the batch as binary COPY tuples. Fails on a
 * value the column cannot hold (null in NOT NULL, a type that does not fit),
 * naming file, row and column. */
int pgc_encode(sl_buf *out, const pgs_table *t, const pgl_batch *b, size_t from, size_t to,
               sl_err *err);
/* The text PostgreSQL prints for column c of row r (with TimeZone UTC,
 * DateStyle ISO), for matching a key in an error DETAIL; "" for null. */
void pgc_value_text(sl_buf *out, const pgs_table *t, const pgl_batch *b, size_t c, size_t r);

/* ---- what songlake may replace (pg_own.c) ----------------------------- */
typedef struct pgo_plan {
    bool replace[5]; /* indexed like PGS_TABLES: songlake's table is there, to drop */
    bool adopted[5]; /* ... without the mark, taken over by --adopt */
} pgo_plan;

/* Inside the load's transaction, before anything changes: every star name
 * in `schema` is absent or songlake's own table (marked, or with adopt an
 * unmarked table with exactly songlake's columns), no other relation holds
 * the name of one of songlake's indexes, and nothing songlake did not make
 * depends on a table to be replaced. Locks the tables to be replaced (ACCESS
 * SHARE). Fails with one line naming the first offending object. */
int pgo_check(PGconn *c, const char *schema, bool adopt, pgo_plan *plan, sl_err *err);
/* COMMENT ON TABLE <qschema>.<t> IS 'songlake star table: <t>' (no NUL). */
void pgo_mark_sql(sl_buf *out, const pgs_table *t, const char *qschema);

#endif
