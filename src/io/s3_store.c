/* S3 output store: stages, writers (single PUT or multipart upload with
 * parts uploading while the Parquet writer fills the next one), the commit
 * protocol, abort, and cleanup of killed runs. See docs/s3.md for the
 * protocol and what readers see at each moment.
 *
 * Keys: <root><table>/<relpath with run id> for part files;
 *       <root>.songlake-staging-<run>/<table>/<relpath> for fixed names,
 *       copied to <root><table>/<relpath> at commit;
 *       <root><table>/_SUCCESS (manifest, x-amz-meta-songlake-run: <run>). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/s3_internal.h"

typedef struct s3_stage s3_stage;
typedef struct s3_store {
    s3_client *c;
    char *bucket, *root, *run_id, *uri;
    bool follower;     /* io_config.stage_follower: an MPI rank > 0 (docs/mpi.md) */
    s3_stage **sealed; /* waiting for s3_store_commit */
    size_t nsealed;
    uint64_t uploads_aborted; /* by cleanup: earlier runs' abandoned uploads */
} s3_store;

typedef struct staged {
    char *final_key; /* where readers find it */
    char *up_key;    /* where we uploaded it (== final_key for part files) */
    bool done;       /* upload completed */
} staged;

/* A small file's PUT in flight after writer_close returned. */
typedef struct s3_put {
    s3_req req;
    sl_buf data;
    struct s3_put *next;
} s3_put;

struct s3_stage {
    s3_store *s;
    char *prefix; /* root + table + "/" */
    char *name;
    pthread_mutex_t mu;
    sl_vec files;             /* staged */
    s3_put *puts, *puts_tail; /* oldest first */
    size_t nputs;
    bool put_failed;
    sl_err put_err;
    char *carry; /* a prefix the commit leaves alone (s3_stage_carry) */
    bool direct; /* io_stage_begin_direct: files at their final keys, as named */
};

typedef struct s3_part {
    s3_req req;
    sl_buf data;
    bool waited;
} s3_part;

typedef struct s3_writer {
    s3_stage *st;
    size_t idx; /* in st->files */
    char *final_rel, *up_key;
    sl_buf buf;
    uint64_t total;
    char *upload_id;
    s3_part **parts;
    size_t nparts, waited;
} s3_writer;

#define PARTS_IN_FLIGHT 4

/* ---- deleting ----------------------------------------------------------- */
int s3_delete_keys(s3_client *c, const char *bucket, char *const *keys, size_t n, sl_err *err) {
    size_t nb = (n + 999) / 1000;
    if (!nb) return 0;
    s3_req *rs = sl_calloc(nb, sizeof *rs);
    sl_buf *bodies = sl_calloc(nb, sizeof *bodies);
    for (size_t b = 0; b < nb; b++) {
        sl_buf *x = &bodies[b];
        sl_buf_printf(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete><Quiet>true</Quiet>");
        for (size_t i = b * 1000; i < n && i < (b + 1) * 1000; i++) {
            sl_buf_printf(x, "<Object><Key>");
            s3_xml_escape(x, keys[i]);
            sl_buf_printf(x, "</Key></Object>");
        }
        sl_buf_printf(x, "</Delete>");
        char md5[25];
        s3_content_md5(x->data, x->len, md5);
        s3_req_init(&rs[b], "POST", bucket, "", "delete=");
        rs[b].label = sl_sprintf("s3://%s (deleting %zu objects)", bucket, n);
        s3_req_add_header(&rs[b], "Content-MD5: %s", md5);
        rs[b].body = x->data;
        rs[b].body_len = x->len;
        s3_submit(c, &rs[b]);
    }
    int rc = 0;
    for (size_t b = 0; b < nb; b++) {
        s3_wait(c, &rs[b]);
        int nerr = 0;
        if (rc == 0) {
            if (rs[b].curl_code || rs[b].status < 200 || rs[b].status >= 300)
                rc = s3_req_error(&rs[b], err);
            else if (s3_xml_delete_result(rs[b].resp.data, rs[b].resp.len, &nerr, err) < 0 || nerr)
                rc = sl_err_prefix(err, "s3://%s: DeleteObjects", bucket);
        }
        s3_req_free(&rs[b]);
        sl_buf_free(&bodies[b]);
    }
    free(rs), free(bodies);
    return rc;
}

/* ---- store -------------------------------------------------------------- */
void *s3_store_open(const char *uri, const io_config *cfg, const char *run_id, sl_err *err) {
    char *bucket, *key;
    if (s3_parse_uri(uri, &bucket, &key, err) < 0) return NULL;
    s3_client *c = s3_client_open(cfg, err);
    if (!c) {
        free(bucket), free(key);
        return NULL;
    }
    s3_store *s = sl_calloc(1, sizeof *s);
    s->c = c;
    s->bucket = bucket;
    size_t kl = strlen(key);
    s->root = kl && key[kl - 1] != '/' ? sl_sprintf("%s/", key) : sl_strdup(key);
    free(key);
    s->run_id = sl_strdup(run_id);
    s->uri = sl_strdup(uri);
    s->follower = cfg && cfg->stage_follower;
    /* fail early, with S3's reason, when the bucket is missing or denied */
    sl_buf q = {0};
    sl_buf_printf(&q, "list-type=2&max-keys=1&prefix=");
    s3_uri_encode(&q, s->root, strlen(s->root), false);
    sl_buf_putc(&q, 0);
    s3_req r;
    s3_req_init(&r, "GET", bucket, "", (char *)q.data);
    r.label = sl_sprintf("%s", uri);
    sl_buf_free(&q);
    int rc = s3_run(c, &r, err);
    s3_req_free(&r);
    if (rc < 0) {
        s3_store_close(s);
        return NULL;
    }
    return s;
}

static void store_sealed_free(s3_store *s, bool abort);
static void delete_staging(s3_store *s);

void s3_store_close(void *h) {
    s3_store *s = h;
    if (!s) return;
    if (s->nsealed) { /* sealed, never committed: the run failed */
        store_sealed_free(s, true);
        delete_staging(s);
    }
    s3_client_close(s->c);
    free(s->bucket), free(s->root), free(s->run_id), free(s->uri), free(s);
}

/* Lists the multipart uploads open under the root (every page) into ups.
 * -2 when the store does not implement the listing (501: s3rver). */
static int list_uploads(s3_store *s, sl_vec *ups, sl_err *err) {
    char *key_marker = NULL, *id_marker = NULL;
    int rc = 0;
    do {
        sl_buf q = {0}; /* the canonical query: parameters sorted */
        if (key_marker) {
            sl_buf_printf(&q, "key-marker=");
            s3_uri_encode(&q, key_marker, strlen(key_marker), false);
            sl_buf_putc(&q, '&');
        }
        sl_buf_printf(&q, "prefix=");
        s3_uri_encode(&q, s->root, strlen(s->root), false);
        if (id_marker && *id_marker) {
            sl_buf_printf(&q, "&upload-id-marker=");
            s3_uri_encode(&q, id_marker, strlen(id_marker), false);
        }
        sl_buf_printf(&q, "&uploads=");
        sl_buf_putc(&q, 0);
        s3_req r;
        s3_req_init(&r, "GET", s->bucket, "", (char *)q.data);
        r.label = sl_sprintf("%s (listing multipart uploads)", s->uri);
        sl_buf_free(&q);
        free(key_marker), free(id_marker);
        key_marker = id_marker = NULL;
        s3_upload_page pg;
        rc = s3_run(s->c, &r, err);
        if (rc == 0) rc = s3_xml_uploads(r.resp.data, r.resp.len, &pg, err);
        if (rc < 0 && r.status < 300 && !r.curl_code) sl_err_prefix(err, "%s", r.label);
        if (rc < 0 && r.status == 501) rc = -2;
        s3_req_free(&r);
        if (rc < 0) break;
        for (size_t i = 0; i < pg.uploads.len; i++) {
            *(s3_upload *)sl_vec_push(ups) = SL_VEC_AT(&pg.uploads, s3_upload, i);
            SL_VEC_AT(&pg.uploads, s3_upload, i) = (s3_upload){0};
        }
        if (pg.truncated) {
            key_marker = sl_strdup(pg.next_key);
            id_marker = pg.next_upload_id ? sl_strdup(pg.next_upload_id) : NULL;
        }
        s3_upload_page_free(&pg);
    } while (key_marker);
    return rc;
}

/* Aborts the multipart uploads that earlier songlake runs opened under the
 * root and never completed or aborted (a run killed mid-upload): S3 keeps
 * and bills their parts until someone does. Only uploads whose key is
 * songlake's (s3_songlake_key), of another run than this one, initiated
 * before the grace cutoff (a run in progress is left alone); never an
 * upload of another writer. Failures are warnings: the next run retries. */
static void abort_abandoned_uploads(s3_store *s, int64_t cutoff) {
    sl_vec ups;
    sl_vec_init(&ups, sizeof(s3_upload));
    sl_err e;
    int lr = list_uploads(s, &ups, &e);
    if (lr == -2) {
        sl_log(SL_LOG_DEBUG, "s3: abandoned multipart uploads not checked: %s", e.msg);
    } else if (lr < 0) {
        sl_log(SL_LOG_WARN, "s3: abandoned multipart uploads not checked: %s", e.msg);
    } else {
        s3_req *rs = sl_calloc(ups.len ? ups.len : 1, sizeof *rs);
        size_t n = 0;
        for (size_t i = 0; i < ups.len; i++) {
            s3_upload *u = &SL_VEC_AT(&ups, s3_upload, i);
            char run[24];
            if (!s3_songlake_key(s->root, u->key, run) || !strcmp(run, s->run_id) ||
                u->initiated >= cutoff)
                continue;
            sl_buf q = {0};
            sl_buf_printf(&q, "uploadId=");
            s3_uri_encode(&q, u->upload_id, strlen(u->upload_id), false);
            sl_buf_putc(&q, 0);
            s3_req_init(&rs[n], "DELETE", s->bucket, u->key, (char *)q.data);
            sl_buf_free(&q);
            s3_submit(s->c, &rs[n++]);
        }
        for (size_t i = 0; i < n; i++) {
            s3_wait(s->c, &rs[i]);
            if (!rs[i].curl_code && rs[i].status >= 200 && rs[i].status < 300)
                s->uploads_aborted++;
            else if (rs[i].status != 404) { /* 404 NoSuchUpload: gone already */
                s3_req_error(&rs[i], &e);
                sl_log(SL_LOG_WARN, "s3: abort of an abandoned upload (the next run retries): %s",
                       e.msg);
            }
            s3_req_free(&rs[i]);
        }
        free(rs);
        if (s->uploads_aborted)
            sl_log(SL_LOG_INFO,
                   "s3: aborted %llu multipart upload(s) left open by earlier runs "
                   "under %s",
                   (unsigned long long)s->uploads_aborted, s->uri);
    }
    for (size_t i = 0; i < ups.len; i++) {
        s3_upload *u = &SL_VEC_AT(&ups, s3_upload, i);
        free(u->key), free(u->upload_id);
    }
    sl_vec_free(&ups);
}

uint64_t s3_store_uploads_aborted(void *h) {
    return ((s3_store *)h)->uploads_aborted;
}

/* Deletes orphans of killed runs: part files whose run id differs from the
 * live manifest's, that are older than the live _SUCCESS and than the grace
 * period; and staging prefixes of other runs older than the grace period.
 * Then aborts the multipart uploads killed runs left open. */
int s3_store_cleanup(void *h, sl_err *err) {
    s3_store *s = h;
    if (s3_roll_forward(s, err) < 0) return -1;
    sl_vec objs;
    sl_vec_init(&objs, sizeof(s3_obj));
    if (s3_list_prefix(s->c, s->bucket, s->root, &objs, err) < 0) {
        s3_objs_free(&objs);
        return -1;
    }
    const s3_settings *st = s3_client_settings(s->c);
    int64_t now = (int64_t)time(NULL), cutoff = now - (int64_t)st->cleanup_grace;
    size_t rl = strlen(s->root);
    char *staging = sl_sprintf("%s.songlake-staging-", s->root);
    char *mine = sl_sprintf("%s%s/", staging, s->run_id);
    sl_vec del;
    sl_vec_init(&del, sizeof(char *));
    int rc = 0;
    for (size_t i = 0; i < objs.len && rc == 0; i++) {
        s3_obj *o = &SL_VEC_AT(&objs, s3_obj, i);
        if (!strncmp(o->key, staging, strlen(staging))) {
            if (strncmp(o->key, mine, strlen(mine)) && o->mtime < cutoff)
                *(char **)sl_vec_push(&del) = o->key;
            continue;
        }
        const char *rel = o->key + rl, *slash = strchr(rel, '/');
        if (!slash || strcmp(slash + 1, "_SUCCESS") != 0) continue;
        /* a live table: find its run and the time its manifest was written */
        s3_req r;
        s3_req_init(&r, "HEAD", s->bucket, o->key, NULL);
        rc = s3_run(s->c, &r, err);
        char live[64];
        snprintf(live, sizeof live, "%s", r.meta_run);
        s3_req_free(&r);
        if (rc < 0 || !live[0]) continue;
        size_t tl = (size_t)(slash - o->key) + 1;
        for (size_t j = 0; j < objs.len; j++) {
            s3_obj *f = &SL_VEC_AT(&objs, s3_obj, j);
            if (strncmp(f->key, o->key, tl) != 0) continue;
            char *run = s3_run_of_name(f->key);
            if (run && strcmp(run, live) && f->mtime < o->mtime && f->mtime < cutoff)
                *(char **)sl_vec_push(&del) = f->key;
            free(run);
        }
    }
    if (rc == 0 && del.len) {
        sl_log(SL_LOG_INFO, "s3: removing %zu file(s) left by killed runs under %s", del.len,
               s->uri);
        sl_err e;
        if (s3_delete_keys(s->c, s->bucket, (char *const *)del.data, del.len, &e) < 0)
            sl_log(SL_LOG_WARN, "s3: cleanup (the next run retries): %s", e.msg);
    }
    sl_vec_free(&del);
    free(staging), free(mine);
    s3_objs_free(&objs);
    if (rc == 0) abort_abandoned_uploads(s, cutoff);
    return rc;
}

/* ---- stages and writers ------------------------------------------------- */
void *s3_stage_begin(void *h, const char *name, sl_err *err) {
    (void)err;
    s3_store *s = h;
    s3_stage *st = sl_calloc(1, sizeof *st);
    st->s = s;
    st->name = sl_strdup(name);
    st->prefix = sl_sprintf("%s%s/", s->root, name);
    pthread_mutex_init(&st->mu, NULL);
    sl_vec_init(&st->files, sizeof(staged));
    return st;
}

/* A Delta table: files PUT at their final keys under the caller's names
 * (unique to the run); sealing only waits for the uploads. */
void *s3_stage_begin_direct(void *h, const char *name, sl_err *err) {
    s3_stage *st = s3_stage_begin(h, name, err);
    if (st) st->direct = true;
    return st;
}

void *s3_stage_create(void *h, const char *relpath, const char **final_name, sl_err *err) {
    s3_stage *st = h;
    if (!*relpath || relpath[0] == '/' || strstr(relpath, "//"))
        return sl_err_set(err, "%s: invalid file name '%s'", st->s->uri, relpath), NULL;
    s3_writer *w = sl_calloc(1, sizeof *w);
    w->st = st;
    const char *base = strrchr(relpath, '/');
    base = base ? base + 1 : relpath;
    char *fk;
    if (st->direct) {
        w->final_rel = sl_strdup(relpath);
        fk = sl_sprintf("%s%s", st->prefix, relpath);
        w->up_key = sl_strdup(fk);
    } else if (!strncmp(base, "part-", 5)) {
        w->final_rel = s3_name_with_run(relpath, st->s->run_id);
        fk = sl_sprintf("%s%s", st->prefix, w->final_rel);
        w->up_key = sl_strdup(fk);
    } else {
        w->final_rel = sl_strdup(relpath);
        fk = sl_sprintf("%s%s", st->prefix, relpath);
        w->up_key = sl_sprintf("%s.songlake-staging-%s/%s/%s", st->s->root, st->s->run_id, st->name,
                               relpath);
    }
    pthread_mutex_lock(&st->mu);
    staged *f = sl_vec_push(&st->files);
    f->final_key = fk;
    f->up_key = sl_strdup(w->up_key);
    w->idx = st->files.len - 1;
    pthread_mutex_unlock(&st->mu);
    *final_name = w->final_rel;
    return w;
}

static int part_check(s3_writer *w, s3_part *p, sl_err *err) {
    s3_wait(w->st->s->c, &p->req);
    p->waited = true;
    sl_buf_free(&p->data);
    if (p->req.curl_code || p->req.status < 200 || p->req.status >= 300)
        return s3_req_error(&p->req, err);
    if (!p->req.etag[0])
        return sl_err_set(err, "s3://%s/%s: S3 returned no ETag for a part", w->st->s->bucket,
                          w->up_key);
    return 0;
}

static int start_multipart(s3_writer *w, sl_err *err) {
    s3_req r;
    s3_req_init(&r, "POST", w->st->s->bucket, w->up_key, "uploads=");
    int rc = s3_run(w->st->s->c, &r, err);
    if (rc == 0) rc = s3_xml_initiate(r.resp.data, r.resp.len, &w->upload_id, err);
    s3_req_free(&r);
    return rc;
}

/* Hands the buffer to a new part upload; waits for the oldest part when
 * PARTS_IN_FLIGHT are already uploading. */
static int flush_part(s3_writer *w, sl_err *err) {
    if (!w->upload_id && start_multipart(w, err) < 0) return -1;
    if (w->nparts >= 10000)
        return sl_err_set(err, "s3://%s/%s: more than 10000 parts: raise the part size",
                          w->st->s->bucket, w->up_key);
    s3_part *p = sl_calloc(1, sizeof *p);
    w->parts = sl_realloc(w->parts, (w->nparts + 1) * sizeof *w->parts);
    w->parts[w->nparts++] = p;
    p->data = w->buf;
    memset(&w->buf, 0, sizeof w->buf);
    sl_buf q = {0};
    sl_buf_printf(&q, "partNumber=%zu&uploadId=", w->nparts);
    s3_uri_encode(&q, w->upload_id, strlen(w->upload_id), false);
    sl_buf_putc(&q, 0);
    s3_req_init(&p->req, "PUT", w->st->s->bucket, w->up_key, (char *)q.data);
    sl_buf_free(&q);
    p->req.body = p->data.data;
    p->req.body_len = p->data.len;
    s3_submit(w->st->s->c, &p->req);
    while (w->nparts - w->waited > PARTS_IN_FLIGHT)
        if (part_check(w, w->parts[w->waited++], err) < 0) return -1;
    return 0;
}

int s3_writer_write(void *h, const void *p, size_t n, sl_err *err) {
    s3_writer *w = h;
    sl_buf_append(&w->buf, p, n);
    w->total += n;
    const s3_settings *st = s3_client_settings(w->st->s->c);
    if ((w->upload_id || w->buf.len >= st->multipart_threshold) && w->buf.len >= st->part_size)
        return flush_part(w, err);
    return 0;
}

static void writer_free(s3_writer *w) {
    for (size_t i = 0; i < w->nparts; i++) {
        if (!w->parts[i]->waited) s3_wait(w->st->s->c, &w->parts[i]->req);
        s3_req_free(&w->parts[i]->req);
        sl_buf_free(&w->parts[i]->data);
        free(w->parts[i]);
    }
    free(w->parts);
    sl_buf_free(&w->buf);
    free(w->final_rel), free(w->up_key), free(w->upload_id), free(w);
}

static void abort_multipart(s3_writer *w) {
    if (!w->upload_id) return;
    for (size_t i = w->waited; i < w->nparts; i++) {
        s3_wait(w->st->s->c, &w->parts[i]->req);
        w->parts[i]->waited = true;
    }
    sl_buf q = {0};
    sl_buf_printf(&q, "uploadId=");
    s3_uri_encode(&q, w->upload_id, strlen(w->upload_id), false);
    sl_buf_putc(&q, 0);
    s3_req r;
    s3_req_init(&r, "DELETE", w->st->s->bucket, w->up_key, (char *)q.data);
    sl_err e;
    if (s3_run(w->st->s->c, &r, &e) < 0) sl_log(SL_LOG_WARN, "s3: abort upload: %s", e.msg);
    s3_req_free(&r);
    sl_buf_free(&q);
}

static int complete_multipart(s3_writer *w, sl_err *err) {
    if (w->buf.len && flush_part(w, err) < 0) return -1;
    while (w->waited < w->nparts)
        if (part_check(w, w->parts[w->waited++], err) < 0) return -1;
    sl_buf x = {0}, q = {0};
    sl_buf_printf(&x, "<CompleteMultipartUpload>");
    for (size_t i = 0; i < w->nparts; i++) {
        sl_buf_printf(&x, "<Part><PartNumber>%zu</PartNumber><ETag>", i + 1);
        s3_xml_escape(&x, w->parts[i]->req.etag);
        sl_buf_printf(&x, "</ETag></Part>");
    }
    sl_buf_printf(&x, "</CompleteMultipartUpload>");
    sl_buf_printf(&q, "uploadId=");
    s3_uri_encode(&q, w->upload_id, strlen(w->upload_id), false);
    sl_buf_putc(&q, 0);
    s3_req r;
    s3_req_init(&r, "POST", w->st->s->bucket, w->up_key, (char *)q.data);
    r.body = x.data;
    r.body_len = x.len;
    int rc = s3_run(w->st->s->c, &r, err);
    if (rc < 0 && r.attempts > 1) {
        /* a retry after a lost answer: the first attempt completed the
         * upload, so it is gone (S3 answers 404 NoSuchUpload, s3rver 500);
         * the object is there with all its bytes */
        s3_req hd;
        s3_req_init(&hd, "HEAD", w->st->s->bucket, w->up_key, NULL);
        sl_err e2;
        if (s3_run(w->st->s->c, &hd, &e2) == 0 && hd.content_length >= 0 &&
            (uint64_t)hd.content_length == w->total) {
            rc = 0;
            w->upload_id[0] = 0; /* nothing left to abort */
        }
        s3_req_free(&hd);
    }
    s3_req_free(&r);
    sl_buf_free(&x), sl_buf_free(&q);
    return rc;
}

/* Waits for the oldest small PUT of the stage; called with st->mu held. */
static void put_reap_one(s3_stage *st) {
    s3_put *p = st->puts;
    st->puts = p->next;
    if (!st->puts) st->puts_tail = NULL;
    st->nputs--;
    pthread_mutex_unlock(&st->mu);
    s3_wait(st->s->c, &p->req);
    pthread_mutex_lock(&st->mu);
    if ((p->req.curl_code || p->req.status < 200 || p->req.status >= 300) && !st->put_failed) {
        st->put_failed = true;
        s3_req_error(&p->req, &st->put_err);
    }
    s3_req_free(&p->req);
    sl_buf_free(&p->data);
    free(p);
}

/* Waits for every small PUT; -1 with the first failure. */
static int puts_drain(s3_stage *st, sl_err *err) {
    pthread_mutex_lock(&st->mu);
    while (st->puts) put_reap_one(st);
    int rc = st->put_failed ? -1 : 0;
    if (rc && err) *err = st->put_err;
    pthread_mutex_unlock(&st->mu);
    return rc;
}

/* Small files: the PUT goes out and writer_close returns at once, so
 * thousands of partition files upload in parallel; failures surface at
 * the latest in stage_commit, which then aborts. */
static int put_async(s3_writer *w, sl_err *err) {
    s3_stage *st = w->st;
    s3_put *p = sl_calloc(1, sizeof *p);
    p->data = w->buf;
    memset(&w->buf, 0, sizeof w->buf);
    s3_req_init(&p->req, "PUT", st->s->bucket, w->up_key, NULL);
    p->req.body = p->data.data;
    p->req.body_len = p->data.len;
    size_t limit = 2 * (size_t)s3_client_settings(st->s->c)->max_connections;
    pthread_mutex_lock(&st->mu);
    SL_VEC_AT(&st->files, staged, w->idx).done = true;
    if (st->puts_tail)
        st->puts_tail->next = p;
    else
        st->puts = p;
    st->puts_tail = p;
    st->nputs++;
    s3_submit(st->s->c, &p->req);
    while (st->nputs > limit) put_reap_one(st);
    int rc = st->put_failed ? -1 : 0;
    if (rc && err) *err = st->put_err;
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int s3_writer_close(void *h, uint64_t *bytes, sl_err *err) {
    s3_writer *w = h;
    int rc;
    if (w->upload_id) {
        rc = complete_multipart(w, err);
        if (rc < 0 && w->upload_id[0]) abort_multipart(w);
        if (rc == 0) {
            pthread_mutex_lock(&w->st->mu);
            SL_VEC_AT(&w->st->files, staged, w->idx).done = true;
            pthread_mutex_unlock(&w->st->mu);
        }
    } else
        rc = put_async(w, err);
    if (rc == 0 && bytes) *bytes = w->total;
    writer_free(w);
    return rc;
}

void s3_writer_abort(void *h) {
    s3_writer *w = h;
    if (!w) return;
    abort_multipart(w);
    writer_free(w);
}

static void stage_free(s3_stage *st) {
    for (size_t i = 0; i < st->files.len; i++) {
        staged *f = &SL_VEC_AT(&st->files, staged, i);
        free(f->final_key), free(f->up_key);
    }
    sl_vec_free(&st->files);
    pthread_mutex_destroy(&st->mu);
    free(st->carry), free(st->prefix), free(st->name), free(st);
}

static int key_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- the star's commit (docs/s3.md, "Publishing") ----------------------
 * Part files are uploaded under their final, run-id-bearing names; fixed
 * names (report.json, rejects.jsonl) and each table's _SUCCESS under
 * <root>.songlake-staging-<run>/. Sealing a stage checks every file its
 * manifest names (one listing) and uploads its _SUCCESS into staging.
 * s3_store_commit then, for the whole star:
 *   1. copies the live fixed-name files and _SUCCESS aside (.prev/), for a
 *      rollback;
 *   2. PUTs <staging>/_COMMIT: the ordered copies that publish the run (the
 *      commit point);
 *   3. copies the fixed-name files into place, then every _SUCCESS;
 *   4. deletes _COMMIT, then the previous runs' files and the staging keys.
 * A failure in 3 copies the previous bodies back (rollback) and deletes
 * _COMMIT; a kill after 2 is rolled forward by the next command's cleanup. */
#define COMMIT_MAGIC "songlake commit 1\n"

static char *staging_key(const s3_store *s, const char *rest) {
    return sl_sprintf("%s.songlake-staging-%s/%s", s->root, s->run_id, rest);
}

static void copy_init(s3_req *r, const s3_store *s, const char *src, const char *dst) {
    s3_req_init(r, "PUT", s->bucket, dst, NULL);
    sl_buf b = {0};
    sl_buf_putc(&b, '/');
    s3_uri_encode(&b, s->bucket, strlen(s->bucket), false);
    sl_buf_putc(&b, '/');
    s3_uri_encode(&b, src, strlen(src), true);
    sl_buf_putc(&b, 0);
    s3_req_add_header(r, "x-amz-copy-source: %s", (char *)b.data);
    sl_buf_free(&b);
}

typedef struct copy_op {
    char *src, *dst;
    bool absent; /* rollback: dst did not exist before, delete it */
} copy_op;

/* Runs copies [0, n) in parallel; the first failure in *err. With
 * missing_ok a 404 of the source marks the op absent instead. */
static int run_copies(s3_store *s, copy_op *ops, size_t n, bool missing_ok, sl_err *err) {
    s3_req *rs = sl_calloc(n ? n : 1, sizeof *rs);
    for (size_t i = 0; i < n; i++) {
        copy_init(&rs[i], s, ops[i].src, ops[i].dst);
        s3_submit(s->c, &rs[i]);
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        s3_wait(s->c, &rs[i]);
        if (missing_ok && !rs[i].curl_code && rs[i].status == 404)
            ops[i].absent = true;
        else if (rc == 0 && (rs[i].curl_code || rs[i].status < 200 || rs[i].status >= 300))
            rc = s3_req_error(&rs[i], err);
        s3_req_free(&rs[i]);
    }
    free(rs);
    return rc;
}

static void ops_free(copy_op *ops, size_t n) {
    for (size_t i = 0; i < n; i++) free(ops[i].src), free(ops[i].dst);
    free(ops);
}

static int put_small(s3_store *s, const char *key, const void *p, size_t n, bool meta,
                     sl_err *err) {
    s3_req r;
    s3_req_init(&r, "PUT", s->bucket, key, NULL);
    if (meta) s3_req_add_header(&r, "x-amz-meta-songlake-run: %s", s->run_id);
    r.body = p;
    r.body_len = n;
    int rc = s3_run(s->c, &r, err);
    s3_req_free(&r);
    return rc;
}

static int del_key(s3_store *s, const char *key, sl_err *err) {
    char *k = (char *)key;
    return s3_delete_keys(s->c, s->bucket, &k, 1, err);
}

static int obj_cmp(const void *a, const void *b) {
    return strcmp(((const s3_obj *)a)->key, ((const s3_obj *)b)->key);
}

int s3_stage_seal(void *h, const void *body, size_t n, const io_list *expect, sl_err *err) {
    s3_stage *st = h;
    s3_store *s = st->s;
    if (puts_drain(st, err) < 0) {
        s3_stage_abort(st);
        return -1;
    }
    if (s->follower || st->direct) {
        /* every upload of this rank is complete: the leader commits them
         * (they are in its manifest and carry this run's id); a direct
         * stage's files are published by the Delta log */
        stage_free(st);
        return 0;
    }
    int rc = 0;
    if (expect && expect->n) { /* every file the manifest names, with its size */
        sl_vec objs;
        sl_vec_init(&objs, sizeof(s3_obj));
        char *sp = sl_sprintf("%s.songlake-staging-%s/%s/", s->root, s->run_id, st->name);
        rc = s3_list_prefix(s->c, s->bucket, st->prefix, &objs, err);
        if (rc == 0) rc = s3_list_prefix(s->c, s->bucket, sp, &objs, err);
        free(sp);
        qsort(objs.data, objs.len, sizeof(s3_obj), obj_cmp);
        for (size_t i = 0; rc == 0 && i < expect->n; i++) {
            char *fk = sl_sprintf("%s%s", st->prefix, expect->files[i].uri);
            const char *up = fk;
            for (size_t j = 0; j < st->files.len; j++) {
                staged *f = &SL_VEC_AT(&st->files, staged, j);
                if (!strcmp(f->final_key, fk)) up = f->up_key;
            }
            s3_obj want = {.key = (char *)up};
            s3_obj *got = bsearch(&want, objs.data, objs.len, sizeof(s3_obj), obj_cmp);
            if (!got)
                rc = sl_err_set(err, "s3://%s/%s: named by the %s manifest but not uploaded",
                                s->bucket, up, st->name);
            else if (got->size != expect->files[i].size)
                rc = sl_err_set(err, "s3://%s/%s: %llu bytes, but the manifest records %llu",
                                s->bucket, up, (unsigned long long)got->size,
                                (unsigned long long)expect->files[i].size);
            free(fk);
        }
        s3_objs_free(&objs);
    }
    if (rc == 0) {
        char *rest = sl_sprintf("%s/_SUCCESS", st->name), *key = staging_key(s, rest);
        rc = put_small(s, key, body, n, true, err);
        free(rest), free(key);
    }
    if (rc < 0) {
        s3_stage_abort(st);
        return -1;
    }
    s->sealed = sl_realloc(s->sealed, (s->nsealed + 1) * sizeof *s->sealed);
    s->sealed[s->nsealed++] = st;
    return 0;
}

/* Parses a commit record into its copies. */
static copy_op *commit_parse(const sl_buf *b, size_t *n) {
    *n = 0;
    if (b->len < strlen(COMMIT_MAGIC) || memcmp(b->data, COMMIT_MAGIC, strlen(COMMIT_MAGIC)))
        return NULL;
    copy_op *ops = NULL;
    size_t cap = 0;
    char *txt = sl_strndup((const char *)b->data, b->len);
    for (char *line = txt + strlen(COMMIT_MAGIC); *line;) {
        char *nl = strchr(line, '\n');
        if (!nl) break;
        *nl = 0;
        char *tab = strchr(line, '\t');
        if (tab) {
            *tab = 0;
            if (*n == cap) ops = sl_realloc(ops, (cap = cap ? cap * 2 : 16) * sizeof *ops);
            ops[*n].src = sl_strdup(line);
            ops[*n].dst = sl_strdup(tab + 1);
            ops[(*n)++].absent = false;
        }
        line = nl + 1;
    }
    free(txt);
    return ops;
}

/* The copies of a commit record in order: fixed-name files first (they
 * have no manifest pointing at them yet), then every _SUCCESS. */
static int apply_commit(s3_store *s, copy_op *ops, size_t n, sl_err *err) {
    size_t k = 0;
    while (k < n &&
           strcmp(strrchr(ops[k].dst, '/') ? strrchr(ops[k].dst, '/') + 1 : ops[k].dst, "_SUCCESS"))
        k++;
    if (run_copies(s, ops, k, false, err) < 0) return -1;
    return run_copies(s, ops + k, n - k, false, err);
}

/* abort: the run did not publish; its uploads go */
static void store_sealed_free(s3_store *s, bool abort) {
    for (size_t i = 0; i < s->nsealed; i++) {
        if (abort)
            s3_stage_abort(s->sealed[i]);
        else
            stage_free(s->sealed[i]);
    }
    free(s->sealed);
    s->sealed = NULL;
    s->nsealed = 0;
}

/* After the star is live: the previous runs' files of each table and this
 * run's staging keys go; a failure leaves orphans for the next cleanup. */
static void delete_previous(s3_stage *st) {
    s3_store *s = st->s;
    size_t nf = st->files.len;
    sl_vec objs, del;
    sl_vec_init(&objs, sizeof(s3_obj));
    sl_vec_init(&del, sizeof(char *));
    sl_err e;
    char **keep = sl_malloc((nf + 1) * sizeof *keep);
    for (size_t i = 0; i < nf; i++) keep[i] = SL_VEC_AT(&st->files, staged, i).final_key;
    char *succ = sl_sprintf("%s_SUCCESS", st->prefix);
    keep[nf] = succ;
    qsort(keep, nf + 1, sizeof *keep, key_cmp);
    if (s3_list_prefix(s->c, s->bucket, st->prefix, &objs, &e) == 0) {
        for (size_t i = 0; i < objs.len; i++) {
            char *k = SL_VEC_AT(&objs, s3_obj, i).key;
            if (bsearch(&k, keep, nf + 1, sizeof *keep, key_cmp)) continue;
            if (st->carry && !strncmp(k, st->carry, strlen(st->carry))) continue;
            /* other ranks' part files of this run (MPI) are in the manifest too */
            char *run = s3_run_of_name(k);
            bool ours = run && !strcmp(run, s->run_id);
            free(run);
            if (!ours) *(char **)sl_vec_push(&del) = k;
        }
    } else
        sl_log(SL_LOG_WARN, "s3: listing the previous %s files: %s", st->name, e.msg);
    if (del.len && s3_delete_keys(s->c, s->bucket, (char *const *)del.data, del.len, &e) < 0)
        sl_log(SL_LOG_WARN, "s3: removing the previous %s files (the next run retries): %s",
               st->name, e.msg);
    free(keep), free(succ);
    sl_vec_free(&del);
    s3_objs_free(&objs);
}

static void delete_staging(s3_store *s) {
    sl_vec objs;
    sl_vec_init(&objs, sizeof(s3_obj));
    char *sp = sl_sprintf("%s.songlake-staging-%s/", s->root, s->run_id);
    sl_err e;
    if (s3_list_prefix(s->c, s->bucket, sp, &objs, &e) == 0 && objs.len) {
        char **keys = sl_malloc(objs.len * sizeof *keys);
        for (size_t i = 0; i < objs.len; i++) keys[i] = SL_VEC_AT(&objs, s3_obj, i).key;
        if (s3_delete_keys(s->c, s->bucket, keys, objs.len, &e) < 0)
            sl_log(SL_LOG_WARN, "s3: removing this run's staging (the next run retries): %s",
                   e.msg);
        free(keys);
    }
    free(sp);
    s3_objs_free(&objs);
}

int s3_store_commit(void *h, sl_err *err) {
    s3_store *s = h;
    if (s->follower || !s->nsealed) return 0;
    /* the copies that publish the run, and the saved previous bodies */
    size_t n = 0, cap = 0;
    copy_op *ops = NULL;
    for (int pass = 0; pass < 2; pass++)
        for (size_t t = 0; t < s->nsealed; t++) {
            s3_stage *st = s->sealed[t];
            if (pass == 1) {
                if (n == cap) ops = sl_realloc(ops, (cap = cap ? cap * 2 : 16) * sizeof *ops);
                char *rest = sl_sprintf("%s/_SUCCESS", st->name);
                ops[n].src = staging_key(s, rest);
                ops[n].dst = sl_sprintf("%s_SUCCESS", st->prefix);
                ops[n++].absent = false;
                free(rest);
                continue;
            }
            for (size_t i = 0; i < st->files.len; i++) {
                staged *f = &SL_VEC_AT(&st->files, staged, i);
                if (!f->done || !strcmp(f->final_key, f->up_key)) continue;
                if (n == cap) ops = sl_realloc(ops, (cap = cap ? cap * 2 : 16) * sizeof *ops);
                ops[n].src = sl_strdup(f->up_key);
                ops[n].dst = sl_strdup(f->final_key);
                ops[n++].absent = false;
            }
        }
    copy_op *prev = sl_calloc(n ? n : 1, sizeof *prev);
    size_t rl = strlen(s->root);
    for (size_t i = 0; i < n; i++) {
        char *rest = sl_sprintf(".prev/%s", ops[i].dst + rl);
        prev[i].src = sl_strdup(ops[i].dst);
        prev[i].dst = staging_key(s, rest);
        free(rest);
    }
    /* 1. the previous bodies aside */
    int rc = run_copies(s, prev, n, true, err);
    /* 2. the commit record: from here on the run is published */
    sl_buf rec = {0};
    sl_buf_append(&rec, COMMIT_MAGIC, strlen(COMMIT_MAGIC));
    for (size_t i = 0; i < n; i++) sl_buf_printf(&rec, "%s\t%s\n", ops[i].src, ops[i].dst);
    char *ckey = staging_key(s, "_COMMIT");
    if (rc == 0) rc = put_small(s, ckey, rec.data, rec.len, false, err);
    sl_buf_free(&rec);
    if (rc < 0) goto out; /* nothing live changed */
    /* 3. into place */
    if (apply_commit(s, ops, n, err) < 0) {
        /* put the previous bodies back, then forget the commit */
        sl_err e2;
        bool back = true;
        for (size_t i = 0; i < n && back; i++) {
            if (prev[i].absent) {
                back = del_key(s, ops[i].dst, &e2) == 0;
                continue;
            }
            copy_op undo = {.src = prev[i].dst, .dst = prev[i].src};
            back = run_copies(s, &undo, 1, false, &e2) == 0;
        }
        if (back && del_key(s, ckey, &e2) == 0) {
            sl_err_prefix(err, "publishing (the previous lake is restored)");
        } else {
            sl_err_prefix(err,
                          "the run was committed but could not be completed (the next songlake "
                          "command on %s completes it)",
                          s->uri);
            free(ckey);
            ops_free(ops, n), ops_free(prev, n);
            store_sealed_free(s, false); /* the roll forward needs them */
            return -1;
        }
        rc = -1;
        goto out;
    }
    /* 4. done: the record goes first, then what is no longer live */
    sl_err e;
    if (del_key(s, ckey, &e) < 0)
        sl_log(SL_LOG_WARN, "s3: removing the commit record (the next run does): %s", e.msg);
    for (size_t t = 0; t < s->nsealed; t++) delete_previous(s->sealed[t]);
out:
    store_sealed_free(s, rc < 0);
    delete_staging(s);
    free(ckey);
    ops_free(ops, n), ops_free(prev, n);
    return rc;
}

int s3_stage_keep(void *h, const char *rel, const char *dest, sl_err *err) {
    s3_stage *st = h;
    s3_store *s = st->s;
    if (s->follower) return 0;
    if (puts_drain(st, err) < 0) return -1;
    char *fk = sl_sprintf("%s%s", st->prefix, rel);
    const char *up = NULL;
    for (size_t j = 0; j < st->files.len; j++) {
        staged *f = &SL_VEC_AT(&st->files, staged, j);
        if (!strcmp(f->final_key, fk) && f->done) up = f->up_key;
    }
    free(fk);
    if (!up) return sl_err_set(err, "%s%s: not staged", st->prefix, rel);
    copy_op op = {.src = (char *)up, .dst = sl_sprintf("%s%s", st->prefix, dest)};
    int rc = run_copies(s, &op, 1, false, err);
    free(op.dst);
    return rc;
}

/* S3: the objects under <table>/<dir>/ are left in place by the commit
 * (delete_previous skips them); only entries past the last `keep` go. */
int s3_stage_carry(void *h, const char *dir, size_t keep, sl_err *err) {
    s3_stage *st = h;
    s3_store *s = st->s;
    if (s->follower) return 0;
    char *pre = sl_sprintf("%s%s/", st->prefix, dir);
    sl_vec objs;
    sl_vec_init(&objs, sizeof(s3_obj));
    int rc = s3_list_prefix(s->c, s->bucket, pre, &objs, err);
    /* entries are the first path segment below pre; objects come sorted */
    size_t nent = 0;
    char *last = NULL;
    for (size_t i = 0; rc == 0 && i < objs.len; i++) {
        const char *k = SL_VEC_AT(&objs, s3_obj, i).key + strlen(pre);
        const char *sl = strchr(k, '/');
        size_t n = sl ? (size_t)(sl - k) : strlen(k);
        if (!last || strlen(last) != n || strncmp(last, k, n)) {
            free(last);
            last = sl_strndup(k, n);
            nent++;
        }
    }
    free(last);
    last = NULL;
    sl_vec del;
    sl_vec_init(&del, sizeof(char *));
    size_t drop = nent > keep ? nent - keep : 0, seen = 0;
    for (size_t i = 0; rc == 0 && drop && i < objs.len; i++) {
        char *key = SL_VEC_AT(&objs, s3_obj, i).key;
        const char *k = key + strlen(pre), *sl = strchr(k, '/');
        size_t n = sl ? (size_t)(sl - k) : strlen(k);
        if (!last || strlen(last) != n || strncmp(last, k, n)) {
            free(last);
            last = sl_strndup(k, n);
            seen++;
        }
        if (seen <= drop) *(char **)sl_vec_push(&del) = key;
    }
    free(last);
    if (rc == 0 && del.len)
        rc = s3_delete_keys(s->c, s->bucket, (char *const *)del.data, del.len, err);
    sl_vec_free(&del);
    s3_objs_free(&objs);
    if (rc == 0) { /* remembered so delete_previous keeps them */
        free(st->carry);
        st->carry = pre;
    } else
        free(pre);
    return rc;
}

/* What is at <root><name>: keys under <name>/ (relative, with sizes), or
 * an object named <name> itself (a plain file where a table goes). */
int s3_list_table(void *h, const char *name, io_list *out, int *what, sl_err *err) {
    s3_store *s = h;
    char *pre = sl_sprintf("%s%s", s->root, name);
    size_t pl = strlen(pre);
    sl_vec objs;
    sl_vec_init(&objs, sizeof(s3_obj));
    int rc = s3_list_prefix(s->c, s->bucket, pre, &objs, err);
    size_t cap = 0;
    for (size_t i = 0; rc == 0 && i < objs.len; i++) {
        const s3_obj *o = &SL_VEC_AT(&objs, s3_obj, i);
        if (o->key[pl] == 0) {
            *what = IO_TABLE_OTHER;
            break;
        }
        if (o->key[pl] != '/' || !o->key[pl + 1]) continue;
        *what = IO_TABLE_DIR;
        io_list_push(out, &cap, sl_strdup(o->key + pl + 1), o->size);
    }
    free(pre);
    s3_objs_free(&objs);
    return rc;
}

/* Completes the commit records of killed runs (roll forward). */
int s3_roll_forward(void *h, sl_err *err) {
    s3_store *s = h;
    sl_vec objs;
    sl_vec_init(&objs, sizeof(s3_obj));
    char *pre = sl_sprintf("%s.songlake-staging-", s->root);
    char *mine = sl_sprintf("%s%s/", pre, s->run_id);
    int rc = s3_list_prefix(s->c, s->bucket, pre, &objs, err);
    for (size_t i = 0; rc == 0 && i < objs.len; i++) {
        const char *k = SL_VEC_AT(&objs, s3_obj, i).key;
        size_t kl = strlen(k);
        if (kl < 8 || strcmp(k + kl - 8, "/_COMMIT") || !strncmp(k, mine, strlen(mine))) continue;
        s3_req r;
        s3_req_init(&r, "GET", s->bucket, k, NULL);
        rc = s3_run(s->c, &r, err);
        size_t n = 0;
        copy_op *ops = rc == 0 ? commit_parse(&r.resp, &n) : NULL;
        s3_req_free(&r);
        if (rc == 0 && ops) rc = apply_commit(s, ops, n, err);
        if (rc == 0) rc = del_key(s, k, err);
        if (rc == 0)
            sl_log(SL_LOG_WARN,
                   "%s: completed the publish of a run that was killed while "
                   "publishing",
                   s->uri);
        ops_free(ops, n);
    }
    free(pre), free(mine);
    s3_objs_free(&objs);
    return rc;
}

void s3_stage_abort(void *h) {
    s3_stage *st = h;
    if (!st) return;
    puts_drain(st, NULL);
    size_t nf = st->files.len;
    char **keys = sl_malloc((nf + 1) * sizeof *keys);
    for (size_t i = 0; i < nf; i++) keys[i] = SL_VEC_AT(&st->files, staged, i).up_key;
    sl_err e;
    if (nf && s3_delete_keys(st->s->c, st->s->bucket, keys, nf, &e) < 0)
        sl_log(SL_LOG_WARN, "s3: removing the files of the failed run: %s", e.msg);
    free(keys);
    stage_free(st);
}
