/* io: where bytes come from and go to, local disk or S3, behind one
 * interface. Nothing above io/ knows which backend it talks to.
 *
 * Input: list a location (file, directory, glob; local path or s3://) into a
 * sorted list of files, then read files whole, decompressed (.gz, .zst) on
 * the fly. Reading goes through a batch reader so a backend can keep many
 * requests in flight (S3) while the engine consumes files in input order.
 *
 * Output: a store rooted at a directory or s3:// prefix. Each table is
 * written through a stage; files become visible only when the stage commits
 * (local: staging directory + atomic rename exchange; S3: manifest in
 * _SUCCESS written last, previous files deleted after). */
#ifndef SONGLAKE_IO_H
#define SONGLAKE_IO_H

#include <sys/types.h>

#include "core/core.h"

/* Settings for remote backends; all optional. Secrets are never logged. */
typedef struct io_config {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token;
    const char *profile; /* AWS_PROFILE */
    const char *region;
    const char *endpoint_url; /* S3-compatible endpoint, path-style addressing */
    bool no_sign_request;
    int max_connections;        /* requests in flight; 0 = default */
    size_t multipart_threshold; /* 0 = default */
    size_t multipart_part_size; /* 0 = default */
    int max_attempts;           /* 0 = default */
    double max_retry_seconds;   /* 0 = default */
    const char *config_file;    /* dl.cfg given with --config, for [AWS] keys */
    /* S3 tuning (appended; 0 = SONGLAKE_S3_* environment, else default) */
    double timeout_seconds;       /* a request stalled this long is retried (30) */
    double retry_base_seconds;    /* first backoff step, doubled per retry (0.1) */
    int list_page_size;           /* ListObjectsV2 max-keys, 1..1000 (1000) */
    double cleanup_grace_seconds; /* orphans younger than this are kept (3600) */
    /* MPI rank > 0 (docs/mpi.md): writes files into the stages that the
     * leader (rank 0, same run id) opened; never locks or cleans up, and its
     * io_stage_commit only completes this rank's files (waits for uploads)
     * without writing _SUCCESS or deleting anything: the leader commits. */
    bool stage_follower;
    /* Local output: publish without the syncfs/fsync that make the new lake
     * durable before it replaces the old one. A killed run still leaves the
     * previous lake (renames are atomic for other processes); after a power
     * loss or kernel crash a just-published table may hold empty or partial
     * files. For scratch output; S3 is unaffected (a PUT is durable). */
    bool no_sync;
} io_config;

bool io_is_s3(const char *uri);

/* ---- input ----------------------------------------------------------- */
typedef struct io_file {
    char *uri;     /* full path or s3://bucket/key */
    uint64_t size; /* bytes as stored (compressed size for .gz/.zst) */
} io_file;

typedef struct io_list {
    io_file *files;
    size_t n;
} io_list;

/* Expands a file, directory (recursive) or glob (*, ?, [..], **). Names
 * starting with '.' or '_' are skipped. Result sorted bytewise by uri.
 * A location that matches nothing is an error naming it. */
int io_list_inputs(const char *uri, const io_config *cfg, io_list *out, sl_err *err);
void io_list_free(io_list *l);
/* Appends a file (takes uri_owned); *cap starts at 0 for an empty list. */
void io_list_push(io_list *l, size_t *cap, char *uri_owned, uint64_t size);

typedef struct io_batch_reader io_batch_reader;
/* Prepares to read files[0..n) of the list; a backend may prefetch up to
 * `lookahead` files ahead of the lowest index not yet taken. */
io_batch_reader *io_batch_open(const io_list *files, const io_config *cfg, int lookahead,
                               sl_err *err);
/* Reads file i whole and decompressed into out (out->len reset first).
 * Thread-safe; each index is requested at most once. */
int io_batch_get(io_batch_reader *br, size_t i, sl_buf *out, sl_err *err);
void io_batch_close(io_batch_reader *br);
/* Maps file i read-only instead of reading it, when it is a local regular
 * file of at least min_bytes that needs no decompression: returns 1 with
 * data and len set (release with io_unmap), 0 when the file must be read with
 * io_batch_get instead, -1 on error. The file must not shrink while mapped. */
int io_batch_map(io_batch_reader *br, size_t i, size_t min_bytes, const uint8_t **data, size_t *len,
                 sl_err *err);
/* A local compressed file (.gz, .zst) read as a stream, so memory does not
 * follow its decompressed size: returns 1 with *out set, 0 when the file
 * must be read with io_batch_get (S3, not compressed), -1 on error. */
typedef struct io_stream io_stream;
int io_batch_stream(io_batch_reader *br, size_t i, io_stream **out, sl_err *err);
/* Up to n decompressed bytes into p: how many (> 0), 0 at the end, -1 on
 * error (corrupt or truncated data, a read error, io_max_decompressed). */
ssize_t io_stream_read(io_stream *s, void *p, size_t n, sl_err *err);
void io_stream_close(io_stream *s);
/* Drops the resident pages of [off, off + n) of a mapping (they are read
 * again from the page cache if touched), so memory follows the part in use. */
/* Maps in [off, off + n) of a mapping ahead of reading it (best effort). */
void io_map_prefetch(const uint8_t *data, size_t off, size_t n);
void io_map_release(const uint8_t *data, size_t off, size_t n);
void io_unmap(const uint8_t *data, size_t len);

/* Reads one file whole, decompressed by suffix. */
int io_read_all(const char *uri, const io_config *cfg, sl_buf *out, sl_err *err);
/* Reads one file whole, as stored (no decompression); *exists=false when the
 * object/file is absent (not an error). */
int io_read_raw(const char *uri, const io_config *cfg, sl_buf *out, bool *exists, sl_err *err);
/* Decompresses buf in place according to the name's suffix (.gz/.zst). */
int io_decompress_by_name(const char *name, sl_buf *buf, sl_err *err);
/* Whether io_decompress_by_name would decompress a file of this name. */
bool io_name_is_compressed(const char *name);

/* ---- small files named by version (small_files.c) ---------------------- */
/* For logs that many writers may append to (Delta's _delta_log/N.json, the
 * lake's star records): each entry is created only if its name is free. */
enum { IO_CREATED = 0, IO_EXISTS = 1 };
/* Creates the file `uri` holding (p, n) only if nothing has that name:
 * locally by exclusive creation (a fsynced temporary link()ed to the name,
 * the directory fsynced; missing parent directories are made), on S3 by PUT
 * with If-None-Match: *. IO_CREATED, IO_EXISTS when another writer took the
 * name first (nothing is written), or -1 on error. */
int io_create_if_absent(const char *uri, const io_config *cfg, const void *p, size_t n,
                        sl_err *err);
/* Writes (p, n) as `uri`, replacing what is there whole (local: rename of a
 * fsynced temporary; S3: a plain PUT). For files whose latest writer may win
 * (_last_checkpoint, a checkpoint). */
int io_put_replace(const char *uri, const io_config *cfg, const void *p, size_t n, sl_err *err);
/* Removes one file or object; an absent one is not an error. */
int io_remove(const char *uri, const io_config *cfg, sl_err *err);
/* Checks once per lake that the store under `root` honours create-only-if-
 * absent: creates a probe key under root/_songlake/, creates it again (which
 * must report IO_EXISTS), removes it. 0 when honoured; -1 with one line
 * saying why not (an S3-compatible store that ignores If-None-Match). */
int io_check_create_if_absent(const char *root, const io_config *cfg, sl_err *err);

/* ---- locations (location.c) ------------------------------------------ */
/* How location a lies relative to location b (local paths resolved through
 * symlinks, missing tails included; a glob by the part before its first
 * wildcard; S3 as bucket/key on '/' boundaries; local vs S3: apart). */
enum { IO_LOC_APART, IO_LOC_SAME, IO_LOC_INSIDE /* a inside b */, IO_LOC_CONTAINS /* a holds b */ };
int io_location_relation(const char *a, const char *b);
/* The canonical form used for that (malloc'd). */
char *io_location_canon(const char *loc);
/* A local location that is the file system root "/". */
bool io_location_is_root(const char *loc);

/* ---- output ---------------------------------------------------------- */
typedef struct io_store io_store;
typedef struct io_stage io_stage;
typedef struct io_writer io_writer;

/* Opens the output root (creating a local directory if needed). run_id is a
 * unique id of this run, used by backends that cannot rename. */
io_store *io_store_open(const char *uri, const io_config *cfg, const char *run_id, sl_err *err);
/* Removes leftovers of killed runs (local staging directories; on S3 their
 * orphaned objects, and the multipart uploads they left open). */
int io_store_cleanup(io_store *s, sl_err *err);
/* How many multipart uploads of earlier runs io_store_cleanup aborted (S3;
 * 0 elsewhere), for the build's summary and report. */
uint64_t io_store_uploads_aborted(const io_store *s);
void io_store_close(io_store *s);
const char *io_store_uri(const io_store *s);
/* Starts making what is being written durable in the background, so that
 * the sync each commit does before publishing finds little left to do and
 * the end of a run does not wait on one core: on local disk a thread syncs
 * the file system every 50 ms while the last tables are written. A no-op
 * with no_sync and on S3. Commits sync exactly as before; this only moves
 * the write-back earlier. Stopped by _stop or io_store_close. */
void io_store_writeback_start(io_store *s);
void io_store_writeback_stop(io_store *s);

/* Starts writing table `name` (a directory under the root). */
io_stage *io_stage_begin(io_store *s, const char *name, sl_err *err);
/* Starts writing files straight into table `name` (Delta tables, SPEC
 * section 6): each file is created at its final path, which must be free
 * (callers give names unique to the run); commit makes them durable and
 * does nothing else (no _SUCCESS, nothing replaced or deleted: the Delta
 * log publishes them); abort removes the files this stage created. */
io_stage *io_stage_begin_direct(io_store *s, const char *name, sl_err *err);
/* Creates a file at relpath under the table, e.g.
 * "year=2018/month=11/part-00000.snappy.parquet". A backend that cannot
 * rename may insert the run id into the final name (see io_writer_name). */
io_writer *io_stage_create(io_stage *st, const char *relpath, sl_err *err);
int io_writer_write(io_writer *w, const void *p, size_t n, sl_err *err);
/* Completes the file; *bytes receives its size. Frees w. */
int io_writer_close(io_writer *w, uint64_t *bytes, sl_err *err);
/* Discards the file. Frees w. */
void io_writer_abort(io_writer *w);
/* Final relative path the file will have after commit. */
const char *io_writer_name(const io_writer *w);
/* Convenience: writes a whole small file through the stage. */
int io_stage_put(io_stage *st, const char *relpath, const void *p, size_t n, sl_err *err);
/* Seals the table: checks that every file of `expect` (uri = relative path,
 * size; may be NULL) is staged with that size, then writes _SUCCESS with
 * `success_body` (the manifest) into the staged table. Nothing is visible
 * yet: io_store_commit publishes every sealed stage of the store at once.
 * Frees st (the store keeps the staged table) on success and on failure
 * (which discards the stage). */
int io_stage_seal(io_stage *st, const void *success_body, size_t n, const io_list *expect,
                  sl_err *err);
/* Publishes every sealed stage as one transaction (docs/design.md,
 * "Publishing"): after a commit record all of them replace the previous
 * tables, or, on failure, none does. A run killed after the commit record
 * is completed by the next io_store_cleanup or io_lake_recover. */
int io_store_commit(io_store *s, sl_err *err);
/* Moves the closed staged file `rel` to <table>/<dest> of the live lake at
 * once, outside the star's transaction (the rejects of a failed run). */
int io_stage_keep(io_stage *st, const char *rel, const char *dest, sl_err *err);
/* Carries <table>/<dir>/ of the live table into the staged one: its last
 * `keep` entries (by name; local: hard links, S3: the objects stay, older
 * entries are deleted). */
int io_stage_carry(io_stage *st, const char *dir, size_t keep, sl_err *err);
/* io_stage_seal with no expectations, then io_store_commit. */
int io_stage_commit(io_stage *st, const void *success_body, size_t n, sl_err *err);
/* What is at <root>/<name> now: *what = IO_TABLE_ABSENT, IO_TABLE_DIR (out
 * lists every entry below it: files with their size, anything that is not
 * a regular file with size UINT64_MAX, an empty directory as "dir/"; uri is
 * relative to the table) or IO_TABLE_OTHER (something that is not a
 * directory). S3: keys under <name>/; an object named <name> is OTHER. */
enum { IO_TABLE_ABSENT, IO_TABLE_DIR, IO_TABLE_OTHER };
int io_store_list_table(io_store *s, const char *name, io_list *out, int *what, sl_err *err);
/* Before a reader reads the lake at `root` (load-postgres, inspect):
 * completes the commit of a run killed while publishing (roll forward from
 * its commit record). When a run is writing the lake now, waits (up to
 * 30 s) until no commit is in progress. Local lakes; S3 readers follow the
 * manifests. */
int io_lake_recover(const char *root, const io_config *cfg, sl_err *err);
/* Changes whenever a run publishes the lake at `root` (local: the inodes of
 * the table directories; S3: 0, always), so a reader can tell that all it
 * read came from one run. */
uint64_t io_lake_generation(const char *root, const io_config *cfg);
/* Removes everything the stage wrote; the previous table is untouched.
 * Frees st. */
void io_stage_abort(io_stage *st);

#endif
