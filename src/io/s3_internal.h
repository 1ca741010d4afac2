/* S3 internals shared by the s3_*.c files of io/: URI and key encoding, the
 * retry schedule, XML parsing of S3 responses, the credential chain, and the
 * HTTP client (one curl multi loop per client, on its own thread). Private
 * to io/; the backend ops in s3_backend.c are the only user outside tests. */
#ifndef SONGLAKE_IO_S3_INTERNAL_H
#define SONGLAKE_IO_S3_INTERNAL_H

#include "io/io.h"

/* ---- URIs and encoding (s3_util.c) ------------------------------------ */
/* Splits "s3://bucket/key" into malloc'd bucket and key ("" when absent). */
int s3_parse_uri(const char *uri, char **bucket, char **key, sl_err *err);
/* Appends s percent-encoded as SigV4 wants: unreserved bytes (A-Z a-z 0-9
 * - . _ ~) kept, '/' kept when keep_slash, everything else %XX upper-case. */
void s3_uri_encode(sl_buf *b, const char *s, size_t n, bool keep_slash);
/* Delay before retry number `attempt` (1 = first retry): full jitter over
 * min(cap, base * 2^(attempt-1)); `rnd` in [0,1). Seconds. */
double s3_backoff_delay(int attempt, double base, double cap, double rnd);
/* Retryable outcome: curl transport errors (code != 0) and HTTP 5xx (but
 * 501 NotImplemented) / 429, and 400 RequestTimeout. */
bool s3_retryable(int curl_code, long status, const char *s3_code);
/* A hint a user can act on for an S3 error code / HTTP status ("" if none). */
const char *s3_error_hint(long status, const char *s3_code);
/* Base64 of MD5 (Content-MD5 for DeleteObjects). out needs 25 bytes. */
void s3_content_md5(const void *p, size_t n, char out[25]);
/* "2026-11-25T03:06:13.000Z" -> epoch seconds (0 if unparsable). */
int64_t s3_parse_time(const char *s);
/* Inserts "-<run_id>" before the first '.' of relpath's last component. */
char *s3_name_with_run(const char *relpath, const char *run_id);
/* Extracts a run id ("YYYYMMDDTHHMMSSZ-xxxxxx" or any "-<id>" inserted by
 * s3_name_with_run) from a key's last component; NULL when none. */
char *s3_run_of_name(const char *key);
/* Whether key (under root, which ends in '/' or is "") is one that a
 * songlake build names: a part file "part-...-<run>.<ext>" or a staging
 * object "<root>.songlake-staging-<run>/...", <run> of the shape that
 * songlake's run ids have ("YYYYMMDDTHHMMSSZ-xxxxxx", 6 lower-case hex
 * digits). Copies the run id to run (24 bytes) when it is. Spark's
 * "part-00000-<uuid>-c000" and any other writer's names are not. */
bool s3_songlake_key(const char *root, const char *key, char run[24]);

/* ---- XML (s3_xml.c, expat) ---------------------------------------------- */
typedef struct s3_obj {
    char *key;
    uint64_t size;
    int64_t mtime; /* epoch seconds */
} s3_obj;
typedef struct s3_list_page {
    sl_vec objs;     /* s3_obj */
    sl_vec prefixes; /* char * (CommonPrefixes) */
    bool truncated;
    char *next_token;
} s3_list_page;
int s3_xml_list(const void *p, size_t n, s3_list_page *out, sl_err *err);
void s3_list_page_free(s3_list_page *pg);
/* <Error><Code>..<Message>..: returns 0 and fills code/message when the
 * document is an S3 error, -1 otherwise. */
int s3_xml_error(const void *p, size_t n, char *code, size_t code_sz, char *msg, size_t msg_sz);
int s3_xml_initiate(const void *p, size_t n, char **upload_id, sl_err *err);
/* ListMultipartUploadsResult: the open uploads of one page. */
typedef struct s3_upload {
    char *key, *upload_id;
    int64_t initiated; /* epoch seconds */
} s3_upload;
typedef struct s3_upload_page {
    sl_vec uploads; /* s3_upload */
    bool truncated;
    char *next_key, *next_upload_id; /* NextKeyMarker, NextUploadIdMarker */
} s3_upload_page;
int s3_xml_uploads(const void *p, size_t n, s3_upload_page *out, sl_err *err);
void s3_upload_page_free(s3_upload_page *pg);
/* DeleteResult: number of <Error> entries; the first one described in err. */
int s3_xml_delete_result(const void *p, size_t n, int *nerrors, sl_err *err);
/* Appends s with & < > " ' escaped. */
void s3_xml_escape(sl_buf *b, const char *s);

/* ---- settings and credentials (s3_cred.c) ------------------------------- */
typedef struct s3_settings {
    char *akid, *secret, *token; /* NULL when anonymous */
    char *region;
    char *endpoint;          /* scheme://host[:port], no trailing slash */
    bool path_style;         /* custom endpoints; virtual-host on AWS otherwise */
    const char *cred_source; /* static description, never a secret */
    int max_connections, max_attempts, list_page_size;
    double max_retry_seconds, retry_base, timeout_seconds, cleanup_grace;
    size_t multipart_threshold, part_size;
} s3_settings;
/* Resolves credentials in AWS's order (io_config, environment, --config
 * [AWS], shared files with the profile, IMDSv2), the region and endpoint,
 * and the tuning knobs (io_config, else SONGLAKE_S3_* env, else defaults). */
int s3_settings_resolve(const io_config *cfg, s3_settings *out, sl_err *err);
void s3_settings_free(s3_settings *s);
/* Parses an INI credentials/config file section; exposed for unit tests.
 * Fills akid/secret/token/region found in [section] (keys case-insensitive,
 * values unquoted). Returns 1 when the section exists, 0 if not, -1 on a
 * read error. */
int s3_ini_section(const char *path, const char *section, bool dlcfg, s3_settings *out);

/* ---- HTTP client (s3_client.c) ------------------------------------------ */
typedef struct s3_client s3_client;
typedef struct s3_req {
    /* request */
    const char *method; /* GET PUT POST DELETE HEAD */
    char *bucket, *key; /* key without leading '/', may be "" */
    char *query;        /* canonical (sorted, encoded) query, or NULL */
    const uint8_t *body;
    size_t body_len;
    char *hdr[4]; /* extra "Name: value" headers, owned */
    char *label;  /* names the request in errors instead of s3://bucket/key */
    /* GET with has_max_body: a body (or a Content-Length) longer than
     * max_body is an error, not retried (the listing's size) */
    bool has_max_body;
    uint64_t max_body;
    /* response */
    long status;
    sl_buf resp;
    char etag[128];
    char meta_run[64];      /* x-amz-meta-songlake-run */
    int64_t content_length; /* Content-Length of the response, -1 if none */
    int curl_code;
    char curl_msg[256];
    int attempts;
    bool too_long; /* the body passed max_body: the transfer was stopped */
    /* private */
    struct s3_req_priv *priv;
    bool done;
} s3_req;

s3_client *s3_client_open(const io_config *cfg, sl_err *err);
void s3_client_close(s3_client *c);
const s3_settings *s3_client_settings(const s3_client *c);
/* Fills a request (zeroed first). key and query are copied. */
void s3_req_init(s3_req *r, const char *method, const char *bucket, const char *key,
                 const char *query);
void s3_req_add_header(s3_req *r, const char *fmt, ...) SL_PRINTF(2, 3);
void s3_req_free(s3_req *r);
/* Queues r; the client's thread retries it as needed. */
void s3_submit(s3_client *c, s3_req *r);
void s3_wait(s3_client *c, s3_req *r);
/* Submits, waits, and returns 0 on 2xx, else -1 with a message naming the
 * object, status, S3 code and a hint. */
int s3_run(s3_client *c, s3_req *r, sl_err *err);
/* The message for a finished, failed request. Returns -1. */
int s3_req_error(const s3_req *r, sl_err *err);

/* ---- listing and the output store (s3_backend.c, s3_store.c) ------------ */
/* Lists every object under prefix (all pages) into objs (s3_obj). */
int s3_list_prefix(s3_client *c, const char *bucket, const char *prefix, sl_vec *objs, sl_err *err);
void s3_objs_free(sl_vec *objs);
/* Deletes keys with DeleteObjects, 1000 per request, batches in parallel. */
int s3_delete_keys(s3_client *c, const char *bucket, char *const *keys, size_t n, sl_err *err);
void *s3_store_open(const char *uri, const io_config *cfg, const char *run_id, sl_err *err);
int s3_store_cleanup(void *s, sl_err *err);
uint64_t s3_store_uploads_aborted(void *s);
void s3_store_close(void *s);
void *s3_stage_begin(void *s, const char *name, sl_err *err);
void *s3_stage_begin_direct(void *s, const char *name, sl_err *err);
void *s3_stage_create(void *st, const char *relpath, const char **final_name, sl_err *err);
int s3_writer_write(void *w, const void *p, size_t n, sl_err *err);
int s3_writer_close(void *w, uint64_t *bytes, sl_err *err);
void s3_writer_abort(void *w);
int s3_stage_seal(void *h, const void *body, size_t n, const io_list *expect, sl_err *err);
int s3_store_commit(void *h, sl_err *err);
int s3_roll_forward(void *s, sl_err *err);
int s3_list_table(void *s, const char *name, io_list *out, int *what, sl_err *err);
int s3_stage_keep(void *st, const char *rel, const char *dest, sl_err *err);
int s3_stage_carry(void *st, const char *dir, size_t keep, sl_err *err);
void s3_stage_abort(void *st);

#endif
