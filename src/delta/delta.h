/* delta: Delta Lake transaction logs (protocol reader 1, writer 2) for
 * tables whose Parquet files the caller writes.
 *
 * Knows nothing of Sparkify: a table is a location (local path or s3://),
 * a schema given as Parquet column definitions with the partition columns
 * named among them, and the data files the caller wrote, with their
 * statistics from the Parquet writer (pq_writer_close_stats).
 *
 * Writing: delta_commit renders a version (commitInfo; protocol and
 * metaData in version 0; add, remove, txn) and creates
 * _delta_log/<20 digits>.json only if absent (io_create_if_absent): when
 * another writer took the version it returns DELTA_TAKEN and writes
 * nothing more. Every 10th version it then writes the checkpoint
 * (<version>.checkpoint.parquet, the V1 layout Spark writes, and
 * _last_checkpoint).
 *
 * Reading: delta_snapshot_load replays the log (the newest checkpoint not
 * newer than the version asked for, then the JSON commits after it) into
 * the file set, metadata, protocol and txn versions of any version, and
 * keeps every version's commitInfo for history. delta_vacuum_plan says
 * which data files no version within a retention period references. */
#ifndef SONGLAKE_DELTA_H
#define SONGLAKE_DELTA_H

#include "io/io.h"
#include "parquet/parquet.h"

/* delta_commit results besides -1 (error) */
enum { DELTA_COMMITTED = 0, DELTA_TAKEN = 1 };

/* The table's schema: every column in table order (partition columns too,
 * with the type their values have), and which of them partition the
 * files, in directory order. */
typedef struct delta_schema {
    const pq_column_def *cols;
    size_t ncols;
    const char *const *partition_cols;
    size_t npartition;
} delta_schema;

/* Spark's schemaString of the schema: {"type":"struct","fields":[...]}. */
int delta_schema_string(const delta_schema *s, sl_buf *out, sl_err *err);

/* The stats JSON of one data file: numRecords, and for each of the file's
 * columns (the table's non-partition columns) nullCount, and minValues and
 * maxValues as true bounds: numbers exact (doubles in the shortest form
 * that reads back; no bound for a column holding NaN, none past an
 * infinity), timestamps as "YYYY-MM-DDTHH:MM:SS.mmmZ" (min floored, max
 * ceiled to the millisecond, as Delta keeps milliseconds), strings exact up
 * to 32 characters and longer ones cut as Spark cuts them (min: the first
 * 32 characters; max: those then a character above anything that could
 * follow), booleans nullCount only (Spark collects no bounds for them). */
void delta_stats_json(const pq_column_def *file_cols, const pq_file_stats *st, uint64_t rows,
                      sl_buf *out);

/* One data file a version adds. */
typedef struct delta_add {
    const char *path;                    /* relative to the table, as on disk (not URI-encoded) */
    const char *const *partition_values; /* one per partition column; NULL: null */
    uint64_t size;
    int64_t modification_time; /* ms since the epoch */
    const char *stats;         /* delta_stats_json's, or NULL */
    uint64_t rows;             /* for commitInfo's counts */
} delta_add;

/* One version to commit. */
typedef struct delta_commit {
    const char *operation; /* "WRITE" (default) or "RESTORE" */
    const char *mode;      /* WRITE: "Overwrite" or "Append" */
    const char *run_id;    /* commitInfo.runId, NULL for none */
    const char *app_id;    /* txn appId; NULL: "songlake" */
    int64_t txn_version;   /* txn version (the run number); < 0: no txn action */
    int64_t timestamp;     /* ms since the epoch (commitInfo, deletionTimestamp); 0: now */
    const char *table_id;  /* version 0's metaData.id; NULL: one derived from the schema */
    const delta_add *adds;
    size_t nadds;
    /* files of the previous version this one drops, by path as in delta_add */
    const char *const *removes;
    size_t nremoves;
    bool remove_all;         /* drop every file of the previous version (overwrite) */
    int64_t restore_version; /* RESTORE: the version whose files it restores */
} delta_commit;

/* ---- snapshots ---------------------------------------------------------- */
typedef struct delta_file {
    char *path;              /* decoded, relative to the table */
    char **partition_values; /* one per partition column; NULL: null */
    uint64_t size;
    int64_t modification_time;
    char *stats; /* JSON, or NULL */
} delta_file;

typedef struct delta_tombstone {
    char *path;
    char **partition_values; /* NULL when the remove did not say */
    uint64_t size;
    int64_t deletion_timestamp;
} delta_tombstone;

typedef struct delta_txn {
    char *app_id;
    int64_t version;
} delta_txn;

/* A version's commitInfo, for history (`inspect`). */
typedef struct delta_version_info {
    int64_t version;
    int64_t timestamp;
    char *operation, *mode, *run_id;          /* NULL when absent */
    int64_t files_added, files_removed, rows; /* -1 when absent */
} delta_version_info;

typedef struct delta_snapshot {
    int64_t version; /* -1: no table yet (no log) */
    int min_reader, min_writer;
    char *table_id;
    char *schema_string;
    char **partition_cols;
    size_t npartition;
    int64_t created_time;
    delta_file *files; /* sorted by path */
    size_t nfiles;
    delta_tombstone *tombstones; /* removed, not re-added; sorted by path */
    size_t ntombstones;
    delta_txn *txns;
    size_t ntxns;
    /* commitInfo of the versions replayed from JSON (those after the
     * checkpoint used, up to `version`), oldest first */
    delta_version_info *history;
    size_t nhistory;
    int64_t checkpoint_version; /* the checkpoint it started from, -1 none */
    sl_arena mem;
} delta_snapshot;

/* Loads version `version` of the table (-1: the latest). A location
 * without _delta_log gives version -1 and no files. Errors name the file. */
int delta_snapshot_load(const char *table_uri, const io_config *cfg, int64_t version,
                        delta_snapshot *out, sl_err *err);
/* The same from every JSON commit, no checkpoint: history holds every
 * version's commitInfo (for `inspect`). */
int delta_snapshot_load_all(const char *table_uri, const io_config *cfg, int64_t version,
                            delta_snapshot *out, sl_err *err);
void delta_snapshot_free(delta_snapshot *s);
/* The txn version recorded for app_id, or -1. */
int64_t delta_snapshot_txn(const delta_snapshot *s, const char *app_id);
/* The file with that path, or NULL. */
const delta_file *delta_snapshot_find(const delta_snapshot *s, const char *path);

/* ---- writing -------------------------------------------------------------- */
/* Renders version prev->version + 1 (prev: the latest snapshot, version -1
 * for a new table; schema needed for version 0 only). */
int delta_commit_json(const delta_schema *schema, const delta_snapshot *prev, const delta_commit *c,
                      sl_buf *out, sl_err *err);
/* Renders and creates that version only if absent, then checkpoints every
 * 10th version. DELTA_COMMITTED (*version set), DELTA_TAKEN (another
 * writer created it first: nothing written; the caller stops, exit 3), -1. */
int delta_commit_version(const char *table_uri, const io_config *cfg, const delta_schema *schema,
                         const delta_snapshot *prev, const delta_commit *c, int64_t *version,
                         sl_err *err);
/* A RESTORE of version `target`'s file set on top of `cur` (the latest):
 * adds the files of target that cur lacks, removes those cur has and target
 * has not. Results as delta_commit_version. */
int delta_restore(const char *table_uri, const io_config *cfg, const delta_snapshot *cur,
                  int64_t target, const char *run_id, int64_t txn_version, int64_t timestamp,
                  int64_t *version, sl_err *err);
/* Writes the checkpoint of snapshot s (its version) and _last_checkpoint. */
int delta_checkpoint_write(const char *table_uri, const io_config *cfg, const delta_snapshot *s,
                           sl_err *err);

/* ---- vacuum ------------------------------------------------------------- */
/* The data files (paths relative to the table, decoded) that no version
 * newer than now - retain_ms references: removed by a version committed
 * before then and not in the latest snapshot. Files that no version ever
 * referenced are not listed (songlake deletes nothing it did not log).
 * Reads every JSON commit. *paths is malloc'd, free with
 * delta_paths_free. */
int delta_vacuum_plan(const char *table_uri, const io_config *cfg, int64_t now_ms,
                      int64_t retain_ms, char ***paths, size_t *n, sl_err *err);
void delta_paths_free(char **paths, size_t n);

/* ---- small helpers the caller may want ----------------------------------- */
/* _delta_log/<20 digits>.json of a version, relative to the table. */
void delta_log_name(int64_t version, const char *suffix, char out[64]);
/* Appends path URI-encoded as add.path holds it (RFC 2396: bytes outside
 * A-Z a-z 0-9 - _ . ~ ! * ' ( ) = / become %XX). */
void delta_path_encode(sl_buf *b, const char *path);

#endif
