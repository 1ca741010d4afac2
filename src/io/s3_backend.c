/* S3 backend of io/: listing, reading (whole objects, with a prefetching
 * batch reader) and the output store with the S3 commit protocol of
 * docs/s3.md.
 *
 * S3 has no rename, so a table is published without one: part files are
 * uploaded straight to their final names with the run id inside
 * (part-00000-<run>.snappy.parquet), so they cannot collide with the live
 * run's files; files with fixed names (rejects.jsonl, report.json) are
 * uploaded under <root>/.songlake-staging-<run>/ and copied into place at
 * commit; `_SUCCESS` (the manifest) is written last; only then are the
 * previous run's files deleted. A failed run deletes what it uploaded. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/backend.h"
#include "io/io_internal.h"
#include "io/s3_internal.h"

/* ---- a shared client for one-shot calls ---------------------------------- */
/* list_inputs and read_raw are called once per location or file (the
 * PostgreSQL loader reads a lake file by file): they share one client per
 * configuration, kept for the life of the process, instead of resolving
 * credentials and opening connections for every file. */
static pthread_mutex_t shared_mu = PTHREAD_MUTEX_INITIALIZER;
static s3_client *shared_c;
static io_config shared_cfg;

static bool str_eq(const char *a, const char *b) {
    return a == b || (a && b && !strcmp(a, b));
}

static bool cfg_eq(const io_config *a, const io_config *b) {
    return str_eq(a->access_key_id, b->access_key_id) &&
           str_eq(a->secret_access_key, b->secret_access_key) &&
           str_eq(a->session_token, b->session_token) && str_eq(a->profile, b->profile) &&
           str_eq(a->region, b->region) && str_eq(a->endpoint_url, b->endpoint_url) &&
           str_eq(a->config_file, b->config_file) && a->no_sign_request == b->no_sign_request &&
           a->max_connections == b->max_connections && a->max_attempts == b->max_attempts &&
           a->max_retry_seconds == b->max_retry_seconds &&
           a->timeout_seconds == b->timeout_seconds &&
           a->retry_base_seconds == b->retry_base_seconds && a->list_page_size == b->list_page_size;
}

static char *dup_or_null(const char *s) {
    return s ? sl_strdup(s) : NULL;
}

static s3_client *shared_client(const io_config *cfg, sl_err *err) {
    static const io_config none = {0};
    if (!cfg) cfg = &none;
    pthread_mutex_lock(&shared_mu);
    if (!shared_c || !cfg_eq(&shared_cfg, cfg)) {
        s3_client *c = s3_client_open(cfg, err);
        if (!c) {
            pthread_mutex_unlock(&shared_mu);
            return NULL;
        }
        /* a previous client may be in use by another thread: keep it */
        static sl_vec retired;
        if (shared_c) {
            if (!retired.elem) sl_vec_init(&retired, sizeof(s3_client *));
            *(s3_client **)sl_vec_push(&retired) = shared_c;
        }
        shared_c = c;
        free((char *)shared_cfg.access_key_id), free((char *)shared_cfg.secret_access_key);
        free((char *)shared_cfg.session_token), free((char *)shared_cfg.profile);
        free((char *)shared_cfg.region), free((char *)shared_cfg.endpoint_url);
        free((char *)shared_cfg.config_file);
        shared_cfg = *cfg;
        shared_cfg.access_key_id = dup_or_null(cfg->access_key_id);
        shared_cfg.secret_access_key = dup_or_null(cfg->secret_access_key);
        shared_cfg.session_token = dup_or_null(cfg->session_token);
        shared_cfg.profile = dup_or_null(cfg->profile);
        shared_cfg.region = dup_or_null(cfg->region);
        shared_cfg.endpoint_url = dup_or_null(cfg->endpoint_url);
        shared_cfg.config_file = dup_or_null(cfg->config_file);
    }
    s3_client *c = shared_c;
    pthread_mutex_unlock(&shared_mu);
    return c;
}

/* ---- listing ------------------------------------------------------------ */
int s3_list_prefix(s3_client *c, const char *bucket, const char *prefix, sl_vec *objs,
                   sl_err *err) {
    char *token = NULL;
    int rc = 0;
    do {
        sl_buf q = {0};
        if (token) {
            sl_buf_printf(&q, "continuation-token=");
            s3_uri_encode(&q, token, strlen(token), false);
            sl_buf_putc(&q, '&');
        }
        sl_buf_printf(&q, "list-type=2&max-keys=%d&prefix=", s3_client_settings(c)->list_page_size);
        s3_uri_encode(&q, prefix, strlen(prefix), false);
        sl_buf_putc(&q, 0);
        s3_req r;
        s3_req_init(&r, "GET", bucket, "", (char *)q.data);
        r.label = sl_sprintf("s3://%s/%s (listing)", bucket, prefix);
        sl_buf_free(&q);
        s3_list_page pg;
        rc = s3_run(c, &r, err);
        if (rc == 0) rc = s3_xml_list(r.resp.data, r.resp.len, &pg, err);
        if (rc < 0 && r.status < 300 && !r.curl_code) sl_err_prefix(err, "%s", r.label);
        s3_req_free(&r);
        free(token);
        token = NULL;
        if (rc < 0) break;
        for (size_t i = 0; i < pg.objs.len; i++) {
            *(s3_obj *)sl_vec_push(objs) = SL_VEC_AT(&pg.objs, s3_obj, i);
            SL_VEC_AT(&pg.objs, s3_obj, i).key = NULL;
        }
        if (pg.truncated) token = sl_strdup(pg.next_token);
        s3_list_page_free(&pg);
    } while (token);
    return rc;
}

void s3_objs_free(sl_vec *objs) {
    for (size_t i = 0; i < objs->len; i++) free(SL_VEC_AT(objs, s3_obj, i).key);
    sl_vec_free(objs);
}

static bool any_hidden(const char *rel) {
    while (*rel) {
        size_t n = strcspn(rel, "/");
        if (io_name_hidden(rel, n)) return true;
        rel += n;
        if (*rel == '/') rel++;
    }
    return false;
}

static int s3_list(const char *uri, const io_config *cfg, io_list *out, sl_err *err) {
    char *bucket, *key;
    if (s3_parse_uri(uri, &bucket, &key, err) < 0) return -1;
    s3_client *c = shared_client(cfg, err);
    if (!c) {
        free(bucket), free(key);
        return -1;
    }
    size_t klen = strlen(key), magic = strcspn(key, "*?[");
    bool glob = magic < klen;
    char *prefix;
    if (glob) {
        size_t p = magic;
        while (p && key[p - 1] != '/') p--;
        prefix = sl_strndup(key, p);
    } else
        prefix = sl_strdup(key);
    char *dir = (!glob && klen && key[klen - 1] != '/') ? sl_sprintf("%s/", key) : sl_strdup(key);
    sl_vec objs;
    sl_vec_init(&objs, sizeof(s3_obj));
    int rc = s3_list_prefix(c, bucket, prefix, &objs, err);
    size_t cap = 0, dl = strlen(dir);
    for (size_t i = 0; rc == 0 && i < objs.len; i++) {
        s3_obj *o = &SL_VEC_AT(&objs, s3_obj, i);
        size_t ol = strlen(o->key);
        bool take;
        if (ol && o->key[ol - 1] == '/')
            take = false; /* a "folder" marker made by consoles, not a file */
        else if (glob)
            take = io_glob_match_path(key, o->key);
        else if (klen && !strcmp(o->key, key))
            take = true; /* named file */
        else
            take = !strncmp(o->key, dir, dl) && o->key[dl] && !any_hidden(o->key + dl);
        if (take) io_list_push(out, &cap, sl_sprintf("s3://%s/%s", bucket, o->key), o->size);
    }
    if (rc == 0 && out->n == 0)
        rc = sl_err_set(err, "%s: no such file, directory or matching objects in the bucket", uri);
    s3_objs_free(&objs);
    free(bucket), free(key), free(prefix), free(dir);
    return rc;
}

/* ---- reading ------------------------------------------------------------ */
static int s3_read_raw(const char *uri, const io_config *cfg, sl_buf *out, bool *exists,
                       sl_err *err) {
    char *bucket, *key;
    if (s3_parse_uri(uri, &bucket, &key, err) < 0) return -1;
    s3_client *c = shared_client(cfg, err);
    int rc = -1;
    if (c) {
        s3_req r;
        s3_req_init(&r, "GET", bucket, key, NULL);
        rc = s3_run(c, &r, err);
        *exists = true;
        if (rc < 0 && r.status == 404 && !r.curl_code) {
            char code[64], msg[8];
            s3_xml_error(r.resp.data, r.resp.len, code, sizeof code, msg, sizeof msg);
            if (strcmp(code, "NoSuchBucket") != 0) *exists = false, rc = 0;
        }
        if (rc == 0 && *exists) sl_buf_append(out, r.resp.data, r.resp.len);
        s3_req_free(&r);
    }
    free(bucket), free(key);
    return rc;
}

/* A large object is read with parallel ranged GETs ("Range: bytes=a-b",
 * answered 206) of `part` bytes, which spreads one big log file over many
 * connections (one S3 connection gives ~100 MB/s). Thresholds from the
 * environment: SONGLAKE_S3_RANGE_THRESHOLD (default 64 MiB) and
 * SONGLAKE_S3_RANGE_PART (default 8 MiB). */
static uint64_t env_bytes(const char *name, uint64_t dflt) {
    const char *v = getenv(name);
    char *end;
    unsigned long long n = v ? strtoull(v, &end, 10) : 0;
    return v && *v && !*end && n > 0 ? n : dflt;
}

static int get_ranged(s3_client *c, const char *uri, uint64_t size, uint64_t part, sl_buf *out,
                      sl_err *err) {
    char *bucket, *key;
    if (s3_parse_uri(uri, &bucket, &key, err) < 0) return -1;
    size_t n = (size_t)((size + part - 1) / part);
    s3_req *rq = sl_calloc(n, sizeof *rq);
    for (size_t k = 0; k < n; k++) {
        uint64_t a = k * part, z = a + part < size ? a + part - 1 : size - 1;
        s3_req_init(&rq[k], "GET", bucket, key, NULL);
        s3_req_add_header(&rq[k], "Range: bytes=%llu-%llu", (unsigned long long)a,
                          (unsigned long long)z);
        rq[k].has_max_body = true;
        rq[k].max_body = z - a + 1;
        s3_submit(c, &rq[k]);
    }
    int rc = 0;
    out->len = 0;
    sl_buf_reserve(out, (size_t)size + 1);
    for (size_t k = 0; k < n; k++) {
        s3_wait(c, &rq[k]);
        uint64_t want = k + 1 < n ? part : size - k * part;
        if (rc == 0 && (rq[k].curl_code || rq[k].status < 200 || rq[k].status >= 300))
            rc = s3_req_error(&rq[k], err);
        else if (rc == 0 && (rq[k].status != 206 || rq[k].resp.len != want))
            rc =
                sl_err_set(err,
                           "%s: ranged GET of bytes %llu-%llu answered %ld with %zu bytes "
                           "(the object changed while being read?)",
                           uri, (unsigned long long)(k * part),
                           (unsigned long long)(k * part + want - 1), rq[k].status, rq[k].resp.len);
        if (rc == 0) sl_buf_append(out, rq[k].resp.data, rq[k].resp.len);
        s3_req_free(&rq[k]);
    }
    free(rq);
    free(bucket), free(key);
    return rc;
}

/* Batch reader: keeps up to `window` GETs (and at most 256 MiB of objects)
 * in flight or waiting to be taken, ahead of the files the engine asks for.
 * Objects of range_threshold bytes or more are not prefetched: they are read
 * when asked for, with parallel ranged GETs. */
typedef struct s3_batch {
    s3_client *c;
    uint64_t range_threshold, range_part;
    const io_list *files;
    s3_req **reqs;  /* allocated while in flight: 8 bytes per idle file */
    uint8_t *state; /* 0 not submitted, 1 submitted, 2 taken */
    size_t next, window, pending;
    uint64_t pending_bytes;
    pthread_mutex_t mu;
} s3_batch;

#define BATCH_MAX_BYTES (256ull << 20)

static void batch_pump(s3_batch *b, size_t must) {
    while (b->next < b->files->n &&
           (b->next <= must ||
            (b->pending < b->window &&
             b->pending_bytes + b->files->files[b->next].size <= BATCH_MAX_BYTES))) {
        size_t i = b->next++;
        if (b->files->files[i].size >= b->range_threshold) continue; /* ranged, when asked */
        char *bucket = NULL, *key = NULL;
        s3_parse_uri(b->files->files[i].uri, &bucket, &key, NULL);
        b->reqs[i] = sl_malloc(sizeof(s3_req));
        s3_req_init(b->reqs[i], "GET", bucket ? bucket : "", key ? key : "", NULL);
        free(bucket), free(key);
        sl_buf_reserve(&b->reqs[i]->resp, (size_t)b->files->files[i].size + 1);
        b->reqs[i]->has_max_body = true;
        b->reqs[i]->max_body = b->files->files[i].size;
        b->state[i] = 1;
        b->pending++;
        b->pending_bytes += b->files->files[i].size;
        s3_submit(b->c, b->reqs[i]);
    }
}

static void *s3_batch_open(const io_list *files, const io_config *cfg, int lookahead, sl_err *err) {
    s3_batch *b = sl_calloc(1, sizeof *b);
    b->c = s3_client_open(cfg, err);
    if (!b->c) {
        free(b);
        return NULL;
    }
    b->files = files;
    b->range_threshold = env_bytes("SONGLAKE_S3_RANGE_THRESHOLD", 64ull << 20);
    b->range_part = env_bytes("SONGLAKE_S3_RANGE_PART", 8ull << 20);
    b->reqs = sl_calloc(files->n, sizeof *b->reqs);
    b->state = sl_calloc(files->n, 1);
    int conns = s3_client_settings(b->c)->max_connections;
    b->window = (size_t)(lookahead > conns ? lookahead : conns);
    pthread_mutex_init(&b->mu, NULL);
    pthread_mutex_lock(&b->mu);
    batch_pump(b, 0);
    pthread_mutex_unlock(&b->mu);
    return b;
}

static int s3_batch_get(void *h, size_t i, sl_buf *out, sl_err *err) {
    s3_batch *b = h;
    pthread_mutex_lock(&b->mu);
    if (b->state[i] == 2) {
        pthread_mutex_unlock(&b->mu);
        return sl_err_set(err, "%s: read twice from one batch", b->files->files[i].uri);
    }
    batch_pump(b, i);
    if (!b->reqs[i]) { /* a large object: parallel ranged GETs */
        b->state[i] = 2;
        pthread_mutex_unlock(&b->mu);
        return get_ranged(b->c, b->files->files[i].uri, b->files->files[i].size, b->range_part, out,
                          err);
    }
    pthread_mutex_unlock(&b->mu);
    s3_req *r = b->reqs[i];
    s3_wait(b->c, r);
    int rc = 0;
    if (r->curl_code || r->status < 200 || r->status >= 300)
        rc = s3_req_error(r, err);
    else {
        free(out->data);
        *out = r->resp;
        memset(&r->resp, 0, sizeof r->resp);
    }
    pthread_mutex_lock(&b->mu);
    b->state[i] = 2;
    b->pending--;
    b->pending_bytes -= b->files->files[i].size;
    s3_req_free(r);
    free(r);
    b->reqs[i] = NULL;
    batch_pump(b, 0);
    pthread_mutex_unlock(&b->mu);
    return rc;
}

static void s3_batch_close(void *h) {
    s3_batch *b = h;
    if (!b) return;
    for (size_t i = 0; i < b->next; i++)
        if (b->state[i] == 1) {
            s3_wait(b->c, b->reqs[i]);
            s3_req_free(b->reqs[i]);
            free(b->reqs[i]);
        }
    s3_client_close(b->c);
    pthread_mutex_destroy(&b->mu);
    free(b->reqs), free(b->state), free(b);
}

const io_backend io_s3_backend = {
    .name = "s3",
    .list_inputs = s3_list,
    .read_raw = s3_read_raw,
    .batch_open = s3_batch_open,
    .batch_get = s3_batch_get,
    .batch_close = s3_batch_close,
    .store_open = s3_store_open,
    .store_cleanup = s3_store_cleanup,
    .store_uploads_aborted = s3_store_uploads_aborted,
    .store_close = s3_store_close,
    .stage_begin = s3_stage_begin,
    .stage_begin_direct = s3_stage_begin_direct,
    .stage_create = s3_stage_create,
    .writer_write = s3_writer_write,
    .writer_close = s3_writer_close,
    .writer_abort = s3_writer_abort,
    .stage_seal = s3_stage_seal,
    .store_commit = s3_store_commit,
    .list_table = s3_list_table,
    .stage_keep = s3_stage_keep,
    .stage_carry = s3_stage_carry,
    .stage_abort = s3_stage_abort,
};
