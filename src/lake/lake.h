/* lake: the five tables of SPEC.md section 2 in one place. Their schemas,
 * partition paths (Hive escaping), per-partition Parquet writers, the rejects
 * file, the report, and publishing (each table through an io stage, _SUCCESS
 * with a manifest written last). The only module that knows table names. */
#ifndef SONGLAKE_LAKE_H
#define SONGLAKE_LAKE_H

#include "core/core.h"
#include "io/io.h"
#include "parquet/parquet.h"

#include <stdio.h>

/* Row types, one per table, in SPEC column order. Strings are slices that
 * only need to live for the duration of the call that takes them. A null
 * string has ptr == NULL; null numbers use the has_ flags. */
typedef struct lake_songplay {
    int64_t songplay_id;
    int64_t user_id;
    bool has_user_id;
    int64_t start_time_us;
    sl_str level, song_id, artist_id;
    int64_t session_id;
    bool has_session_id;
    sl_str user_agent;
    int32_t month, year; /* partition columns, from start_time */
} lake_songplay;

typedef struct lake_user {
    int64_t user_id;
    sl_str first_name, last_name, gender, level;
} lake_user;

typedef struct lake_song {
    sl_str title, artist_id; /* artist_id is also a partition column */
    int32_t year;
    bool has_year;
    double duration;
    bool has_duration;
    sl_str song_id;
} lake_song;

typedef struct lake_artist {
    sl_str artist_id, name, location;
    double latitude, longitude;
    bool has_latitude, has_longitude;
} lake_artist;

typedef struct lake_time {
    int64_t ts_us;
    int32_t hour, day, week, weekday, month, year;
} lake_time;

/* Fills the time parts of t from t->ts_us (UTC; ISO week; weekday 1=Sunday). */
void lake_time_parts(lake_time *t);

/* Hive/Spark partition value escaping (SPEC section 2). A NULL or empty
 * value becomes __HIVE_DEFAULT_PARTITION__. Appends to out. */
void lake_escape_partition(sl_buf *out, const char *v, size_t n);
/* Length lake_escape_partition would append. */
size_t lake_escaped_len(const char *v, size_t n);
#define LAKE_MAX_DIR_NAME 255
/* Whether the partition directory "<column>=<escaped v>" fits a file name
 * (LAKE_MAX_DIR_NAME bytes): a value that does not cannot be written, so
 * its record is rejected (etl). */
bool lake_partition_fits(const char *column, const char *v, size_t n);
/* The inverse (for readers): %XX -> byte. Returns malloc'd string, or NULL
 * for __HIVE_DEFAULT_PARTITION__. */
char *lake_unescape_partition(const char *v, size_t n);

typedef struct lake_opts {
    pq_codec codec;
    size_t row_group_rows; /* 0 = parquet default */
    size_t row_group_bytes;
    int threads;
    const char *part_prefix; /* file name prefix, default "part-00000" (MPI: per rank) */
    /* A follower (MPI rank > 0, docs/mpi.md) writes its songplays, users and
     * time files into the leader's stage; its songs/artists writes are no-ops
     * and its rejects stay in memory for lake_take_rejects. It never
     * publishes. */
    bool follower;
    /* rejects.jsonl stops growing at this size (0 = 256 MiB); every reject
     * is still counted */
    uint64_t max_rejects_bytes;
    /* --format delta (SPEC section 6): tables written in place as Delta
     * tables (part_prefix must then be unique to the run), committed as one
     * version each plus the star record. run_id names the run in the log. */
    bool delta;
    const char *run_id;
    const io_config *io; /* for the Delta log (S3 settings) */
} lake_opts;

typedef struct lake_table_stats {
    uint64_t rows, files, bytes;
} lake_table_stats;

enum { LAKE_SONGPLAYS, LAKE_USERS, LAKE_SONGS, LAKE_ARTISTS, LAKE_TIME, LAKE_NTABLES };
const char *lake_table_name(int table);

typedef struct lake lake;

/* Opens stages for all five tables and _songlake under the store. */
lake *lake_open(io_store *store, const lake_opts *opts, sl_err *err);

/* songplays arrive in songplayId order and are streamed to per-month files.
 * song_id and artist_id must point at strings that stay unchanged until
 * lake_finish (the catalog's): the writer remembers them by address. */
int lake_append_songplays(lake *lk, const lake_songplay *rows, size_t n, sl_err *err);
/* Dimension tables are written whole once known; rows are sorted here by
 * their key (and songs grouped by partition), so any input order works. */
int lake_write_songs(lake *lk, lake_song *rows, size_t n, sl_err *err);
int lake_write_artists(lake *lk, lake_artist *rows, size_t n, sl_err *err);
int lake_write_users(lake *lk, lake_user *rows, size_t n, sl_err *err);
int lake_write_time(lake *lk, lake_time *rows, size_t n, sl_err *err);
/* The same from bare start times (microseconds), sorted here in place: the
 * time parts are computed while writing, so memory stays 8 bytes a row. */
int lake_write_time_us(lake *lk, int64_t *ts_us, size_t n, sl_err *err);

/* Rejects: one JSON line each in _songlake/rejects.jsonl (raw cut at 64 KiB).
 * Thread-safe. */
int lake_add_reject(lake *lk, const char *source, uint64_t line, uint64_t byte, const char *reason,
                    const char *raw, size_t rawlen, sl_err *err);
uint64_t lake_reject_count(const lake *lk);
/* Rejects by reason class (numbers in the reason replaced by N), most
 * frequent first; valid until the next reject or lake_free. */
#define LAKE_MAX_REASONS 64
typedef struct lake_reason {
    char *text;
    uint64_t count;
} lake_reason;
size_t lake_reject_reasons(lake *lk, const lake_reason **out);
/* After a run that fails on a reject limit: its rejects move to
 * _songlake/failed/<run_id>/rejects.jsonl under the live lake (outside the
 * star's transaction; later runs keep the last LAKE_KEEP_FAILED of them).
 * *where receives the path shown to the user (malloc'd). */
#define LAKE_KEEP_FAILED 10
int lake_keep_failed_rejects(lake *lk, const char *run_id, char **where, sl_err *err);

/* Closes every file (songplays writers included) so stats are final. */
int lake_finish(lake *lk, sl_err *err);
const lake_table_stats *lake_stats(const lake *lk, int table);
/* Writes report.json (body given by the caller) and commits every table:
 * _SUCCESS last in each. After this returns 0 the new lake is published. */
int lake_publish(lake *lk, const char *report_json, size_t n, sl_err *err);
/* lake_publish in two steps, so report.json can include how long committing
 * the tables took: commit the five tables (each _SUCCESS last), then write
 * report.json and commit _songlake (rejects.jsonl, report.json). */
int lake_commit_tables(lake *lk, sl_err *err);
/* (A follower's lake_commit_tables only completes its own files, waiting for
 * uploads, before the leader publishes them; it writes no _SUCCESS.) */
int lake_commit_report(lake *lk, const char *report_json, size_t n, sl_err *err);
/* ---- Delta lakes (lake_delta.c, SPEC section 6) ------------------------ */
/* Before anything else on a lake, with its store open (locked): 0, -1, or
 * LAKE_REFUSED (exit 2) for a lake not in this format or a store that
 * cannot hold Delta tables. Checks the
 * lake's format against `delta` (a Delta lake is never overwritten as plain
 * Parquet, nor a Parquet lake as Delta), probes create-if-absent once (delta),
 * and rolls back table versions that no star record names (RESTORE). */
int lake_prepare(io_store *store, const io_config *cfg, bool delta, sl_err *err);
/* After a failed lake_commit_tables: true when another writer took a
 * version first (exit 3). */
bool lake_conflict(const lake *lk);
/* The versions the last star record names (-1 each, and *star -1, when the
 * lake has none). */
int lake_star_versions(const char *root, const io_config *cfg, int64_t *star,
                       int64_t versions[LAKE_NTABLES], sl_err *err);
/* The data files (paths relative to the table) of table `name` at the
 * version the last star record names; *is_delta false (nothing else set)
 * for a lake without star records. Free with lake_paths_free. */
int lake_star_files(const char *root, const io_config *cfg, const char *name, bool *is_delta,
                    char ***paths, size_t *n, sl_err *err);
void lake_paths_free(char **paths, size_t n);
/* songlake inspect of a Delta table directory or a Delta lake root: every
 * version (operation, mode, run, files added and removed, rows, time) of
 * each table and which the last star record names; as JSON with json.
 * 1 (nothing printed) when uri is neither. */
int lake_inspect_delta(const char *uri, const io_config *cfg, bool json, FILE *out, sl_err *err);
/* songlake vacuum: deletes (or with dry_run lists on out) the files of
 * every table that no version newer than retain_hours references. */
int lake_vacuum(io_store *store, const io_config *cfg, double retain_hours, bool dry_run, FILE *out,
                sl_err *err);

/* Discards everything this run wrote; the previous lake is untouched. */
void lake_abort(lake *lk);
void lake_free(lake *lk);

/* ---- what songlake made (lake_own.c, issue 15) -------------------------- */
/* Returned (besides 0 and -1) by the checks below: the build must not write
 * and exits 2; err holds one line naming the path and what to do. */
#define LAKE_REFUSED (-2)
typedef struct lake_manifest_file {
    char *rel;
    uint64_t rows, bytes; /* UINT64_MAX when the manifest does not say */
} lake_manifest_file;
typedef struct lake_manifest {
    lake_manifest_file *files;
    size_t n, cap;
    uint64_t rows;
    bool has_files; /* a "files" list (an empty _SUCCESS has none) */
} lake_manifest;
/* Parses a _SUCCESS body (songlake's manifest; an empty body is a manifest
 * without a file list). */
int lake_manifest_parse(const uint8_t *p, size_t n, lake_manifest *m, sl_err *err);
void lake_manifest_free(lake_manifest *m);
/* A path relative to a table that stays inside it. */
bool lake_safe_relpath(const char *p, size_t n);
/* Every table directory and _songlake under the store holds only what its
 * songlake manifest names (or nothing is there): 0, LAKE_REFUSED, -1. */
int lake_check_owned(io_store *store, sl_err *err);
/* --out is not "/" and neither holds, lies in nor is an input location. */
int lake_check_locations(const char *out, const char *const *inputs, const char *const *what,
                         size_t n, sl_err *err);

/* ---- distributed runs (docs/mpi.md) ---------------------------------- */
/* Follower: moves out the rejects lines kept in memory and their count. */
void lake_take_rejects(lake *lk, sl_buf *out, uint64_t *count);
/* Leader: appends another rank's rejects lines (rank order = input order). */
int lake_append_rejects(lake *lk, const uint8_t *p, size_t n, uint64_t count, sl_err *err);
/* After lake_finish: this rank's closed files per table (manifest entries and
 * stats) as bytes; the leader imports every rank's before lake_publish. */
void lake_export_files(const lake *lk, sl_buf *out);
int lake_import_files(lake *lk, const uint8_t *p, size_t n, sl_err *err);

#endif
