/* S3 HTTP client: one thread per client drives a curl multi handle, so many
 * requests are in flight over reused connections while callers on any
 * thread submit requests and wait for them (or keep several in flight, as
 * the batch reader and multipart writer do).
 *
 * Signing is libcurl's own SigV4 (CURLOPT_AWS_SIGV4, "aws:amz:<region>:s3").
 * curl 7.88 signs the path and query exactly as given, so we hand it keys
 * encoded as SigV4 wants (s3_uri_encode) and queries already sorted; it
 * signs every header we add, and takes the payload hash from the
 * x-amz-content-sha256 header we set to UNSIGNED-PAYLOAD (bodies stream
 * from memory and TLS protects them in transit).
 *
 * Retries: transport errors (resets, timeouts, truncated bodies), 5xx, 429
 * and SlowDown are retried on a fresh easy handle after a full-jitter
 * exponential backoff, bounded by attempts and total seconds. What still
 * fails is reported with the object, HTTP status, S3 error code and a hint. */
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/s3_internal.h"

struct s3_req_priv {
    CURL *easy;
    struct curl_slist *hdrs;
    size_t body_off;
    double not_before, first_start;
    s3_req *next;
    char err[CURL_ERROR_SIZE];
};

struct s3_client {
    s3_settings st;
    pthread_t thr;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    CURLM *multi;
    s3_req *qhead, *qtail;
    int active;
    bool stop;
    uint64_t rng;
    char *sigv4;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

const s3_settings *s3_client_settings(const s3_client *c) {
    return &c->st;
}

void s3_req_init(s3_req *r, const char *method, const char *bucket, const char *key,
                 const char *query) {
    memset(r, 0, sizeof *r);
    r->method = method;
    r->bucket = sl_strdup(bucket);
    r->key = sl_strdup(key ? key : "");
    r->query = query ? sl_strdup(query) : NULL;
    r->priv = sl_calloc(1, sizeof *r->priv);
}

void s3_req_add_header(s3_req *r, const char *fmt, ...) {
    for (int i = 0; i < 4; i++)
        if (!r->hdr[i]) {
            va_list ap;
            va_start(ap, fmt);
            char tmp[1024];
            vsnprintf(tmp, sizeof tmp, fmt, ap);
            va_end(ap);
            r->hdr[i] = sl_strdup(tmp);
            return;
        }
}

void s3_req_free(s3_req *r) {
    free(r->bucket), free(r->key), free(r->query), free(r->label);
    for (int i = 0; i < 4; i++) free(r->hdr[i]);
    sl_buf_free(&r->resp);
    free(r->priv);
    memset(r, 0, sizeof *r);
}

/* ---- one attempt on a fresh easy handle -------------------------------- */
static size_t on_write(char *p, size_t sz, size_t n, void *ud) {
    s3_req *r = ud;
    uint64_t cap = r->max_body;
    if (r->has_max_body) { /* an error body (XML) may be longer than a small object */
        long st = 0;
        curl_easy_getinfo(r->priv->easy, CURLINFO_RESPONSE_CODE, &st);
        if (st < 200 || st >= 300) cap = cap > (1u << 20) ? cap : (1u << 20);
    }
    if (r->has_max_body && ((uint64_t)r->resp.len + sz * n > cap ||
                            (r->content_length > 0 && (uint64_t)r->content_length > cap))) {
        r->too_long = true;
        return 0; /* stops the transfer (CURLE_WRITE_ERROR) */
    }
    sl_buf_append(&r->resp, p, sz * n);
    return sz * n;
}

static size_t on_read(char *p, size_t sz, size_t n, void *ud) {
    s3_req *r = ud;
    size_t left = r->body_len - r->priv->body_off, k = sz * n < left ? sz * n : left;
    if (k) memcpy(p, r->body + r->priv->body_off, k);
    r->priv->body_off += k;
    return k;
}

static int on_seek(void *ud, curl_off_t off, int origin) {
    s3_req *r = ud;
    if (origin != SEEK_SET || off < 0 || (size_t)off > r->body_len) return CURL_SEEKFUNC_FAIL;
    r->priv->body_off = (size_t)off;
    return CURL_SEEKFUNC_OK;
}

static void header_value(const char *p, size_t n, size_t name_len, char *dst, size_t dsz) {
    const char *v = p + name_len;
    size_t vn = n - name_len;
    while (vn && (*v == ' ' || *v == '\t')) v++, vn--;
    while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' ')) vn--;
    if (vn >= dsz) vn = dsz - 1;
    memcpy(dst, v, vn);
    dst[vn] = 0;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud) {
    s3_req *r = ud;
    size_t len = sz * n;
    if (len > 5 && !strncasecmp(p, "ETag:", 5))
        header_value(p, len, 5, r->etag, sizeof r->etag);
    else if (len > 23 && !strncasecmp(p, "x-amz-meta-songlake-run:", 24))
        header_value(p, len, 24, r->meta_run, sizeof r->meta_run);
    else if (len > 15 && !strncasecmp(p, "Content-Length:", 15)) {
        char v[32];
        header_value(p, len, 15, v, sizeof v);
        r->content_length = strtoll(v, NULL, 10);
    }
    return len;
}

static char *req_url(const s3_client *c, const s3_req *r) {
    sl_buf u = {0};
    const char *ep = c->st.endpoint;
    /* dotted bucket names do not match the *.s3 TLS certificate: path style */
    if (c->st.path_style || strchr(r->bucket, '.')) {
        sl_buf_printf(&u, "%s/", ep);
        s3_uri_encode(&u, r->bucket, strlen(r->bucket), false);
    } else {
        const char *host = strstr(ep, "://") + 3;
        sl_buf_printf(&u, "%.*s%s.%s", (int)(host - ep), ep, r->bucket, host);
    }
    sl_buf_putc(&u, '/');
    s3_uri_encode(&u, r->key, strlen(r->key), true);
    if (r->query && *r->query) sl_buf_printf(&u, "?%s", r->query);
    sl_buf_putc(&u, 0);
    return (char *)u.data;
}

/* Time bounds of one attempt (issue 16): connecting, and a transfer that
 * moves less than S3_MIN_BYTES_PER_S over a window of timeout_seconds, are
 * timeouts, retried as any other (a body trickled at 2 bytes/s used to pass
 * the old 1 byte/s floor forever). Size bounds are max_body's (on_write). */
#define S3_MIN_BYTES_PER_S 1024L
static void set_transfer_bounds(CURL *e, const s3_client *c) {
    long t = (long)ceil(c->st.timeout_seconds);
    if (t < 1) t = 1;
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->st.timeout_seconds * 1000));
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, S3_MIN_BYTES_PER_S);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, t);
}

static void start_attempt(s3_client *c, s3_req *r) {
    struct s3_req_priv *pv = r->priv;
    CURL *e = curl_easy_init();
    pv->easy = e;
    pv->body_off = 0;
    pv->err[0] = 0;
    r->resp.len = 0;
    r->etag[0] = r->meta_run[0] = 0;
    r->content_length = -1;
    r->too_long = false;
    r->attempts++;
    char *url = req_url(c, r);
    curl_easy_setopt(e, CURLOPT_URL, url);
    free(url);
    curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, pv->err);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    set_transfer_bounds(e, c);
    /* The payload hash belongs to SigV4: an anonymous request
     * (--no-sign-request) that carries one is checked against the body's
     * hash, and UNSIGNED-PAYLOAD fails that (versitygw: 400
     * XAmzContentSHA256Mismatch). */
    struct curl_slist *h =
        c->sigv4 ? curl_slist_append(NULL, "x-amz-content-sha256: UNSIGNED-PAYLOAD") : NULL;
    if (!strcmp(r->method, "HEAD"))
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (!strcmp(r->method, "PUT")) {
        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(e, CURLOPT_READDATA, r);
        curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(e, CURLOPT_SEEKDATA, r);
        curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->body_len);
    } else if (!strcmp(r->method, "POST")) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? (const char *)r->body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        h = curl_slist_append(h, "Content-Type: application/xml");
    } else if (strcmp(r->method, "GET") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
    for (int i = 0; i < 4; i++)
        if (r->hdr[i]) h = curl_slist_append(h, r->hdr[i]);
    if (c->sigv4) {
        if (c->st.token) {
            char *tok = sl_sprintf("x-amz-security-token: %s", c->st.token);
            h = curl_slist_append(h, tok);
            free(tok);
        }
        curl_easy_setopt(e, CURLOPT_AWS_SIGV4, c->sigv4);
        curl_easy_setopt(e, CURLOPT_USERNAME, c->st.akid);
        curl_easy_setopt(e, CURLOPT_PASSWORD, c->st.secret);
    }
    pv->hdrs = h;
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_multi_add_handle(c->multi, e);
    c->active++;
}

static double next_rand(s3_client *c) {
    c->rng ^= c->rng << 13, c->rng ^= c->rng >> 7, c->rng ^= c->rng << 17;
    return (double)(c->rng >> 11) / 9007199254740992.0;
}

/* Called on the client thread with the lock held, after an attempt ends. */
static void finish_attempt(s3_client *c, s3_req *r, CURLcode res) {
    struct s3_req_priv *pv = r->priv;
    r->status = 0;
    curl_easy_getinfo(pv->easy, CURLINFO_RESPONSE_CODE, &r->status);
    curl_multi_remove_handle(c->multi, pv->easy);
    curl_easy_cleanup(pv->easy);
    curl_slist_free_all(pv->hdrs);
    pv->easy = NULL, pv->hdrs = NULL;
    c->active--;
    r->curl_code = (int)res;
    snprintf(r->curl_msg, sizeof r->curl_msg, "%s", pv->err[0] ? pv->err : curl_easy_strerror(res));
    char code[64] = "";
    if (res == CURLE_OK && r->status >= 300) {
        char msg[8];
        s3_xml_error(r->resp.data, r->resp.len, code, sizeof code, msg, sizeof msg);
    } else if (res == CURLE_OK && !strcmp(r->method, "POST") && r->resp.len) {
        /* CompleteMultipartUpload can fail with 200 and an <Error> body */
        char msg[8];
        if (s3_xml_error(r->resp.data, r->resp.len, code, sizeof code, msg, sizeof msg) == 0)
            r->status = 500;
    }
    double now = sl_now();
    if (!r->too_long && s3_retryable((int)res, r->status, code) &&
        r->attempts < c->st.max_attempts) {
        double d = s3_backoff_delay(r->attempts, c->st.retry_base, 20.0, next_rand(c));
        if (now + d - pv->first_start <= c->st.max_retry_seconds) {
            sl_log(SL_LOG_DEBUG, "s3: retrying %s %s/%s (attempt %d): %s %ld", r->method, r->bucket,
                   r->key, r->attempts, res ? r->curl_msg : "HTTP", r->status);
            pv->not_before = now + d;
            pv->next = NULL;
            if (c->qtail)
                c->qtail->priv->next = r;
            else
                c->qhead = r;
            c->qtail = r;
            return;
        }
    }
    r->done = true;
    pthread_cond_broadcast(&c->cv);
}

static void *client_main(void *ud) {
    s3_client *c = ud;
    pthread_mutex_lock(&c->mu);
    while (!c->stop || c->qhead || c->active) {
        double now = sl_now(), next_due = 0;
        s3_req **pp = &c->qhead, *prev = NULL;
        while (*pp) {
            s3_req *r = *pp;
            if (r->priv->not_before <= now && c->active < c->st.max_connections) {
                *pp = r->priv->next;
                if (c->qtail == r) c->qtail = prev;
                r->priv->next = NULL;
                start_attempt(c, r);
            } else {
                if (r->priv->not_before > now && (!next_due || r->priv->not_before < next_due))
                    next_due = r->priv->not_before;
                prev = r;
                pp = &r->priv->next;
            }
        }
        pthread_mutex_unlock(&c->mu);
        int running = 0;
        curl_multi_perform(c->multi, &running);
        CURLMsg *m;
        int left;
        pthread_mutex_lock(&c->mu);
        while ((m = curl_multi_info_read(c->multi, &left)))
            if (m->msg == CURLMSG_DONE) {
                s3_req *r = NULL;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
                finish_attempt(c, r, m->data.result);
            }
        bool queued_ready = false;
        if (c->active < c->st.max_connections) {
            double t = sl_now();
            for (s3_req *r = c->qhead; r && !queued_ready; r = r->priv->next)
                queued_ready = r->priv->not_before <= t;
        }
        pthread_mutex_unlock(&c->mu);
        if (!queued_ready) {
            int ms = 1000;
            if (next_due) {
                double w = (next_due - sl_now()) * 1000;
                ms = w < 0 ? 0 : w > 1000 ? 1000 : (int)w + 1;
            }
            curl_multi_poll(c->multi, NULL, 0, ms, NULL);
        }
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

s3_client *s3_client_open(const io_config *cfg, sl_err *err) {
    pthread_once(&curl_once, curl_init_once);
    s3_client *c = sl_calloc(1, sizeof *c);
    if (s3_settings_resolve(cfg, &c->st, err) < 0) {
        free(c);
        return NULL;
    }
    if (c->st.akid) c->sigv4 = sl_sprintf("aws:amz:%s:s3", c->st.region);
    c->multi = curl_multi_init();
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->st.max_connections);
    c->rng = (uint64_t)(sl_now() * 1e9) ^ (uint64_t)(uintptr_t)c ^ 0x9E3779B97F4A7C15ull;
    if (!c->rng) c->rng = 1;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->thr, NULL, client_main, c) != 0) {
        curl_multi_cleanup(c->multi);
        s3_settings_free(&c->st);
        free(c->sigv4);
        free(c);
        sl_err_set(err, "s3: cannot start the client thread");
        return NULL;
    }
    sl_log(SL_LOG_DEBUG, "s3: endpoint %s, region %s, credentials from %s", c->st.endpoint,
           c->st.region, c->st.cred_source);
    return c;
}

void s3_client_close(s3_client *c) {
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_mutex_unlock(&c->mu);
    curl_multi_wakeup(c->multi);
    pthread_join(c->thr, NULL);
    curl_multi_cleanup(c->multi);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    s3_settings_free(&c->st);
    free(c->sigv4);
    free(c);
}

void s3_submit(s3_client *c, s3_req *r) {
    pthread_mutex_lock(&c->mu);
    r->done = false;
    r->attempts = 0;
    r->priv->first_start = sl_now();
    r->priv->not_before = 0;
    r->priv->next = NULL;
    if (c->qtail)
        c->qtail->priv->next = r;
    else
        c->qhead = r;
    c->qtail = r;
    pthread_mutex_unlock(&c->mu);
    curl_multi_wakeup(c->multi);
}

void s3_wait(s3_client *c, s3_req *r) {
    pthread_mutex_lock(&c->mu);
    while (!r->done) pthread_cond_wait(&c->cv, &c->mu);
    pthread_mutex_unlock(&c->mu);
}

int s3_req_error(const s3_req *r, sl_err *err) {
    char tries[64] = "", name[1024];
    if (r->label)
        snprintf(name, sizeof name, "%s", r->label);
    else
        snprintf(name, sizeof name, "s3://%s/%s", r->bucket, r->key);
    if (r->attempts > 1) snprintf(tries, sizeof tries, " (after %d attempts)", r->attempts);
    if (r->too_long)
        return sl_err_set(err,
                          "%s: the body is longer than the %llu bytes the listing gave (the "
                          "object changed while being read, or the endpoint misbehaves)",
                          name, (unsigned long long)r->max_body);
    if (r->curl_code)
        return sl_err_set(err, "%s: %s %s failed: %s%s", name, r->method,
                          r->status ? "response" : "request", r->curl_msg, tries);
    char code[64] = "", msg[256] = "";
    s3_xml_error(r->resp.data, r->resp.len, code, sizeof code, msg, sizeof msg);
    if (!code[0] && r->status == 404) snprintf(code, sizeof code, "%s", "NotFound");
    const char *hint = s3_error_hint(r->status, code);
    return sl_err_set(err, "%s: %ld %s%s%s%s%s%s%s", name, r->status, code[0] ? code : "error",
                      msg[0] ? ": " : "", msg, hint[0] ? " (" : "", hint, hint[0] ? ")" : "",
                      tries);
}

int s3_run(s3_client *c, s3_req *r, sl_err *err) {
    s3_submit(c, r);
    s3_wait(c, r);
    if (!r->curl_code && r->status >= 200 && r->status < 300) return 0;
    return s3_req_error(r, err);
}
