/* S3 XML responses parsed with expat: ListBucketResult (ListObjectsV2),
 * Error, InitiateMultipartUploadResult, ListMultipartUploadsResult and
 * DeleteResult. One small driver
 * tracks the element path and hands each element's text to a per-document
 * callback when the element closes; the documents are shallow and the
 * fields we need are leaves, so no tree is built. Untrusted input: sizes
 * are bounded and every malformed document is an error, never a crash
 * (fuzzed by tests/s3/fuzz_s3_xml.c). */
#include <expat.h>
#include <stdlib.h>
#include <string.h>

#include "io/s3_internal.h"

#define XML_MAX_DEPTH 16

typedef void (*xml_leaf_fn)(void *ctx, int depth, const char *const *path, const char *text,
                            size_t n);
typedef struct xml_drv {
    const char *path[XML_MAX_DEPTH];
    char *names[XML_MAX_DEPTH];
    int depth, overflow;
    sl_buf text;
    xml_leaf_fn fn;
    void *ctx;
} xml_drv;

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts) {
    (void)atts;
    xml_drv *d = ud;
    if (d->depth >= XML_MAX_DEPTH) {
        d->overflow++;
        return;
    }
    d->names[d->depth] = sl_strdup(name);
    d->path[d->depth] = d->names[d->depth];
    d->depth++;
    d->text.len = 0;
}

static void XMLCALL on_end(void *ud, const XML_Char *name) {
    (void)name;
    xml_drv *d = ud;
    if (d->overflow) {
        d->overflow--;
        return;
    }
    sl_buf_putc(&d->text, 0);
    d->text.len--;
    d->fn(d->ctx, d->depth, d->path, (const char *)d->text.data, d->text.len);
    d->text.len = 0;
    d->depth--;
    free(d->names[d->depth]);
    d->names[d->depth] = NULL;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len) {
    xml_drv *d = ud;
    if (d->text.len + (size_t)len <= (1u << 20)) sl_buf_append(&d->text, s, (size_t)len);
}

/* Parses the document, calling fn at each element end with the path from
 * the root. Returns the root element name check result: 0 ok, -1 bad XML. */
static int xml_run(const void *p, size_t n, xml_leaf_fn fn, void *ctx, sl_err *err) {
    xml_drv d = {.fn = fn, .ctx = ctx};
    XML_Parser xp = XML_ParserCreate("UTF-8");
    XML_SetUserData(xp, &d);
    XML_SetElementHandler(xp, on_start, on_end);
    XML_SetCharacterDataHandler(xp, on_text);
    int rc = 0;
    if (n > INT32_MAX || XML_Parse(xp, p, (int)n, 1) != XML_STATUS_OK)
        rc = sl_err_set(err, "malformed XML from S3 (line %lu: %s)",
                        (unsigned long)XML_GetCurrentLineNumber(xp),
                        XML_ErrorString(XML_GetErrorCode(xp)));
    for (int i = 0; i < d.depth; i++) free(d.names[i]);
    sl_buf_free(&d.text);
    XML_ParserFree(xp);
    return rc;
}

static bool at(int depth, const char *const *path, int want, ...) {
    if (depth != want) return false;
    va_list ap;
    va_start(ap, want);
    bool ok = true;
    for (int i = 0; i < want && ok; i++) ok = !strcmp(path[i], va_arg(ap, const char *));
    va_end(ap);
    return ok;
}

/* ---- ListBucketResult -------------------------------------------------- */
typedef struct list_ctx {
    s3_list_page *pg;
    s3_obj cur;
    bool root_ok;
} list_ctx;

static void list_leaf(void *ud, int depth, const char *const *path, const char *t, size_t n) {
    list_ctx *c = ud;
    if (depth == 1) {
        c->root_ok = !strcmp(path[0], "ListBucketResult");
        return;
    }
    if (strcmp(path[0], "ListBucketResult") != 0) return;
    if (at(depth, path, 3, "ListBucketResult", "Contents", "Key")) {
        free(c->cur.key);
        c->cur.key = sl_strndup(t, n);
    } else if (at(depth, path, 3, "ListBucketResult", "Contents", "Size"))
        c->cur.size = strtoull(t, NULL, 10);
    else if (at(depth, path, 3, "ListBucketResult", "Contents", "LastModified"))
        c->cur.mtime = s3_parse_time(t);
    else if (at(depth, path, 2, "ListBucketResult", "Contents")) {
        if (c->cur.key) *(s3_obj *)sl_vec_push(&c->pg->objs) = c->cur;
        memset(&c->cur, 0, sizeof c->cur);
    } else if (at(depth, path, 3, "ListBucketResult", "CommonPrefixes", "Prefix"))
        *(char **)sl_vec_push(&c->pg->prefixes) = sl_strndup(t, n);
    else if (at(depth, path, 2, "ListBucketResult", "IsTruncated"))
        c->pg->truncated = !strcmp(t, "true");
    else if (at(depth, path, 2, "ListBucketResult", "NextContinuationToken")) {
        free(c->pg->next_token);
        c->pg->next_token = sl_strndup(t, n);
    }
}

int s3_xml_list(const void *p, size_t n, s3_list_page *out, sl_err *err) {
    memset(out, 0, sizeof *out);
    sl_vec_init(&out->objs, sizeof(s3_obj));
    sl_vec_init(&out->prefixes, sizeof(char *));
    list_ctx c = {.pg = out};
    int rc = xml_run(p, n, list_leaf, &c, err);
    free(c.cur.key);
    if (rc == 0 && !c.root_ok)
        rc = sl_err_set(err, "unexpected XML from S3 (not a ListBucketResult)");
    if (rc == 0 && out->truncated && (!out->next_token || !*out->next_token))
        rc = sl_err_set(err, "S3 listing is truncated but has no NextContinuationToken");
    if (rc < 0) s3_list_page_free(out);
    return rc;
}

void s3_list_page_free(s3_list_page *pg) {
    for (size_t i = 0; i < pg->objs.len; i++) free(SL_VEC_AT(&pg->objs, s3_obj, i).key);
    for (size_t i = 0; i < pg->prefixes.len; i++) free(SL_VEC_AT(&pg->prefixes, char *, i));
    sl_vec_free(&pg->objs);
    sl_vec_free(&pg->prefixes);
    free(pg->next_token);
    memset(pg, 0, sizeof *pg);
}

/* ---- Error ------------------------------------------------------------- */
typedef struct err_ctx {
    char *code, *msg;
    size_t code_sz, msg_sz;
    bool root_ok;
} err_ctx;

static void copy_trunc(char *dst, size_t sz, const char *t, size_t n) {
    if (!sz) return;
    if (n >= sz) n = sz - 1;
    memcpy(dst, t, n);
    dst[n] = 0;
}

static void err_leaf(void *ud, int depth, const char *const *path, const char *t, size_t n) {
    err_ctx *c = ud;
    if (depth == 1)
        c->root_ok = !strcmp(path[0], "Error");
    else if (at(depth, path, 2, "Error", "Code"))
        copy_trunc(c->code, c->code_sz, t, n);
    else if (at(depth, path, 2, "Error", "Message"))
        copy_trunc(c->msg, c->msg_sz, t, n);
}

int s3_xml_error(const void *p, size_t n, char *code, size_t code_sz, char *msg, size_t msg_sz) {
    if (code_sz) code[0] = 0;
    if (msg_sz) msg[0] = 0;
    if (!n) return -1;
    err_ctx c = {.code = code, .msg = msg, .code_sz = code_sz, .msg_sz = msg_sz};
    if (xml_run(p, n, err_leaf, &c, NULL) < 0 || !c.root_ok || !code_sz || !code[0]) {
        if (code_sz) code[0] = 0;
        if (msg_sz) msg[0] = 0;
        return -1;
    }
    return 0;
}

/* ---- InitiateMultipartUploadResult --------------------------------------- */
static void init_leaf(void *ud, int depth, const char *const *path, const char *t, size_t n) {
    char **id = ud;
    if (at(depth, path, 2, "InitiateMultipartUploadResult", "UploadId")) {
        free(*id);
        *id = sl_strndup(t, n);
    }
}

int s3_xml_initiate(const void *p, size_t n, char **upload_id, sl_err *err) {
    *upload_id = NULL;
    int rc = xml_run(p, n, init_leaf, upload_id, err);
    if (rc < 0 || !*upload_id || !**upload_id) {
        free(*upload_id);
        *upload_id = NULL;
        return rc < 0 ? -1
                      : sl_err_set(err, "S3 did not return an UploadId for the multipart upload");
    }
    return 0;
}

/* ---- ListMultipartUploadsResult ----------------------------------------- */
typedef struct up_ctx {
    s3_upload_page *pg;
    s3_upload cur;
    bool root_ok;
} up_ctx;

static void set_str(char **dst, const char *t, size_t n) {
    free(*dst);
    *dst = sl_strndup(t, n);
}

static void up_leaf(void *ud, int depth, const char *const *path, const char *t, size_t n) {
    up_ctx *c = ud;
    const char *R = "ListMultipartUploadsResult";
    if (depth == 1) {
        c->root_ok = !strcmp(path[0], R);
        return;
    }
    if (strcmp(path[0], R) != 0) return;
    if (at(depth, path, 3, R, "Upload", "Key"))
        set_str(&c->cur.key, t, n);
    else if (at(depth, path, 3, R, "Upload", "UploadId"))
        set_str(&c->cur.upload_id, t, n);
    else if (at(depth, path, 3, R, "Upload", "Initiated"))
        c->cur.initiated = s3_parse_time(t);
    else if (at(depth, path, 2, R, "Upload")) {
        if (c->cur.key && c->cur.upload_id)
            *(s3_upload *)sl_vec_push(&c->pg->uploads) = c->cur;
        else
            free(c->cur.key), free(c->cur.upload_id);
        memset(&c->cur, 0, sizeof c->cur);
    } else if (at(depth, path, 2, R, "IsTruncated"))
        c->pg->truncated = !strcmp(t, "true");
    else if (at(depth, path, 2, R, "NextKeyMarker"))
        set_str(&c->pg->next_key, t, n);
    else if (at(depth, path, 2, R, "NextUploadIdMarker"))
        set_str(&c->pg->next_upload_id, t, n);
}

int s3_xml_uploads(const void *p, size_t n, s3_upload_page *out, sl_err *err) {
    memset(out, 0, sizeof *out);
    sl_vec_init(&out->uploads, sizeof(s3_upload));
    up_ctx c = {.pg = out};
    int rc = xml_run(p, n, up_leaf, &c, err);
    free(c.cur.key), free(c.cur.upload_id);
    if (rc == 0 && !c.root_ok)
        rc = sl_err_set(err, "unexpected XML from S3 (not a ListMultipartUploadsResult)");
    if (rc == 0 && out->truncated && (!out->next_key || !*out->next_key))
        rc = sl_err_set(err, "S3 upload listing is truncated but has no NextKeyMarker");
    if (rc < 0) s3_upload_page_free(out);
    return rc;
}

void s3_upload_page_free(s3_upload_page *pg) {
    for (size_t i = 0; i < pg->uploads.len; i++) {
        s3_upload *u = &SL_VEC_AT(&pg->uploads, s3_upload, i);
        free(u->key), free(u->upload_id);
    }
    sl_vec_free(&pg->uploads);
    free(pg->next_key), free(pg->next_upload_id);
    memset(pg, 0, sizeof *pg);
}

/* ---- DeleteResult -------------------------------------------------------- */
typedef struct del_ctx {
    int nerr;
    char key[512], code[64], msg[256];
    char first[1024];
    bool root_ok;
} del_ctx;

static void del_leaf(void *ud, int depth, const char *const *path, const char *t, size_t n) {
    del_ctx *c = ud;
    if (depth == 1)
        c->root_ok = !strcmp(path[0], "DeleteResult");
    else if (at(depth, path, 3, "DeleteResult", "Error", "Key"))
        copy_trunc(c->key, sizeof c->key, t, n);
    else if (at(depth, path, 3, "DeleteResult", "Error", "Code"))
        copy_trunc(c->code, sizeof c->code, t, n);
    else if (at(depth, path, 3, "DeleteResult", "Error", "Message"))
        copy_trunc(c->msg, sizeof c->msg, t, n);
    else if (at(depth, path, 2, "DeleteResult", "Error")) {
        if (c->nerr++ == 0)
            snprintf(c->first, sizeof c->first, "%s: %s: %s", c->key, c->code, c->msg);
        c->key[0] = c->code[0] = c->msg[0] = 0;
    }
}

int s3_xml_delete_result(const void *p, size_t n, int *nerrors, sl_err *err) {
    del_ctx c = {0};
    *nerrors = 0;
    if (xml_run(p, n, del_leaf, &c, err) < 0) return -1;
    if (!c.root_ok) return sl_err_set(err, "unexpected XML from S3 (not a DeleteResult)");
    *nerrors = c.nerr;
    if (c.nerr) sl_err_set(err, "%d object(s) not deleted, first: %s", c.nerr, c.first);
    return 0;
}

void s3_xml_escape(sl_buf *b, const char *s) {
    static const char *const ESC[128] = {['&'] = "&amp;",  ['<'] = "&lt;",    ['>'] = "&gt;",
                                         ['"'] = "&quot;", ['\''] = "&apos;", ['\r'] = "&#13;"};
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *e = c < 128 ? ESC[c] : NULL;
        if (e)
            sl_buf_append(b, e, strlen(e));
        else
            sl_buf_putc(b, c);
    }
}
