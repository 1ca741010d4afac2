/* io dispatch: every io.h call picks a backend by URI scheme ("s3://" ->
 * S3, anything else -> local disk) and forwards to its ops table. Handles
 * returned to callers wrap the backend's opaque handle with the ops that
 * made it, so later calls need no URI. Decompression and list ordering
 * live here (and in decompress.c / glob.c) so every backend gets the same
 * input rules. */
#include "io/backend.h"
#include "io/io_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

bool io_is_s3(const char *uri) {
    return uri && strncmp(uri, "s3://", 5) == 0;
}

static const io_backend *backend_for(const char *uri) {
    return io_is_s3(uri) ? &io_s3_backend : &io_local_backend;
}

static int unsupported(const io_backend *be, const char *what, sl_err *err) {
    return sl_err_set(err, "%s storage does not support %s", be->name, what);
}

/* ---- lists ------------------------------------------------------------ */
void io_list_push(io_list *l, size_t *cap, char *uri_owned, uint64_t size) {
    if (l->n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        l->files = sl_realloc(l->files, *cap * sizeof *l->files);
    }
    l->files[l->n].uri = uri_owned;
    l->files[l->n].size = size;
    l->n++;
}

static int file_cmp(const void *a, const void *b) {
    return strcmp(((const io_file *)a)->uri, ((const io_file *)b)->uri);
}

void io_list_sort_unique(io_list *l) {
    if (!l->n) return;
    qsort(l->files, l->n, sizeof *l->files, file_cmp);
    size_t w = 1;
    for (size_t r = 1; r < l->n; r++) {
        if (strcmp(l->files[r].uri, l->files[w - 1].uri) == 0) {
            free(l->files[r].uri);
            continue;
        }
        l->files[w++] = l->files[r];
    }
    l->n = w;
}

int io_list_inputs(const char *uri, const io_config *cfg, io_list *out, sl_err *err) {
    memset(out, 0, sizeof *out);
    if (!uri || !*uri) return sl_err_set(err, "empty input location");
    const io_backend *be = backend_for(uri);
    if (!be->list_inputs) return unsupported(be, "listing", err);
    if (be->list_inputs(uri, cfg, out, err) < 0) {
        io_list_free(out);
        return -1;
    }
    io_list_sort_unique(out);
    return 0;
}

void io_list_free(io_list *l) {
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) free(l->files[i].uri);
    free(l->files);
    l->files = NULL;
    l->n = 0;
}

/* ---- reading ---------------------------------------------------------- */
int io_read_raw(const char *uri, const io_config *cfg, sl_buf *out, bool *exists, sl_err *err) {
    const io_backend *be = backend_for(uri);
    if (!be->read_raw) return unsupported(be, "reading", err);
    out->len = 0;
    bool ex = true;
    int rc = be->read_raw(uri, cfg, out, &ex, err);
    if (exists) *exists = ex;
    return rc;
}

int io_read_all(const char *uri, const io_config *cfg, sl_buf *out, sl_err *err) {
    bool exists = true;
    if (io_read_raw(uri, cfg, out, &exists, err) < 0) return -1;
    if (!exists) return sl_err_errno(err, ENOENT, "%s", uri);
    return io_decompress_by_name(uri, out, err);
}

struct io_batch_reader {
    const io_backend *be;
    void *h; /* backend batch handle, or NULL: read_raw per file */
    const io_list *files;
    const io_config *cfg;
};

int io_open_regular(const char *path, sl_err *err) {
    errno = 0;
    int fd = sl_open_regular(path, err);
    return fd < 0 && (errno == ENOENT || errno == ENOTDIR) ? IO_ABSENT
                                                           : fd; /* ENOTDIR: a file on the way */
}

io_batch_reader *io_batch_open(const io_list *files, const io_config *cfg, int lookahead,
                               sl_err *err) {
    io_batch_reader *br = sl_calloc(1, sizeof *br);
    br->files = files;
    br->cfg = cfg;
    /* a list comes from one location, so its first file names the backend */
    br->be = backend_for(files->n ? files->files[0].uri : "");
    if (br->be->batch_open && files->n) {
        br->h = br->be->batch_open(files, cfg, lookahead, err);
        if (!br->h) {
            free(br);
            return NULL;
        }
    }
    return br;
}

int io_batch_get(io_batch_reader *br, size_t i, sl_buf *out, sl_err *err) {
    if (i >= br->files->n) return sl_err_set(err, "io_batch_get: index %zu out of range", i);
    const char *uri = br->files->files[i].uri;
    out->len = 0;
    if (br->h) {
        if (br->be->batch_get(br->h, i, out, err) < 0) return -1;
    } else {
        bool exists = true;
        if (io_read_raw(uri, br->cfg, out, &exists, err) < 0) return -1;
        if (!exists)
            return sl_err_set(err, "%s: file disappeared after listing: %s", uri, strerror(ENOENT));
    }
    return io_decompress_by_name(uri, out, err);
}

int io_batch_map(io_batch_reader *br, size_t i, size_t min_bytes, const uint8_t **data, size_t *len,
                 sl_err *err) {
    if (i >= br->files->n) return sl_err_set(err, "io_batch_map: index %zu out of range", i);
    const io_file *f = &br->files->files[i];
    if (br->h || io_is_s3(f->uri) || f->size < min_bytes || io_name_is_compressed(f->uri)) return 0;
    int fd = io_open_regular(f->uri, err);
    if (fd == IO_ABSENT)
        return sl_err_set(err, "%s: file disappeared after listing: %s", f->uri, strerror(ENOENT));
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < min_bytes) {
        close(fd);
        return 0; /* let io_batch_get read it and report what is wrong */
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (m == MAP_FAILED) return sl_err_errno(err, e, "%s: mmap", f->uri);
    (void)madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
    *data = m;
    *len = (size_t)st.st_size;
    return 1;
}

int io_batch_stream(io_batch_reader *br, size_t i, io_stream **out, sl_err *err) {
    if (i >= br->files->n) return sl_err_set(err, "io_batch_stream: index %zu out of range", i);
    const io_file *f = &br->files->files[i];
    if (br->h || io_is_s3(f->uri) || !io_name_is_compressed(f->uri)) return 0;
    int fd = io_open_regular(f->uri, err);
    if (fd == IO_ABSENT)
        return sl_err_set(err, "%s: file disappeared after listing: %s", f->uri, strerror(ENOENT));
    if (fd < 0) return -1;
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return (*out = io_stream_open(fd, f->uri, err)) ? 1 : -1;
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#endif

void io_map_prefetch(const uint8_t *data, size_t off, size_t n) {
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = ((uintptr_t)data + off) / pg * pg;
    uintptr_t b = (uintptr_t)data + off + n;
    /* one call maps the chunk's pages instead of a fault every 16 pages; an
     * older kernel says EINVAL and the pages fault in as they are read */
    if (b > a) (void)madvise((void *)a, b - a, MADV_POPULATE_READ);
}

void io_map_release(const uint8_t *data, size_t off, size_t n) {
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = ((uintptr_t)data + off + pg - 1) / pg * pg;
    uintptr_t b = ((uintptr_t)data + off + n) / pg * pg;
    if (b > a) (void)madvise((void *)a, b - a, MADV_DONTNEED);
}

void io_unmap(const uint8_t *data, size_t len) {
    if (data && len) munmap((void *)(uintptr_t)data, len);
}

void io_batch_close(io_batch_reader *br) {
    if (!br) return;
    if (br->h) br->be->batch_close(br->h);
    free(br);
}

/* ---- output ----------------------------------------------------------- */
struct io_store {
    const io_backend *be;
    void *h;
    char *uri;
};
struct io_stage {
    const io_backend *be;
    void *h;
    io_store *store;
};
struct io_writer {
    const io_backend *be;
    void *h;
    const char *final_name; /* owned by the backend writer */
};

io_store *io_store_open(const char *uri, const io_config *cfg, const char *run_id, sl_err *err) {
    if (!uri || !*uri) {
        sl_err_set(err, "empty output location");
        return NULL;
    }
    const io_backend *be = backend_for(uri);
    if (!be->store_open) {
        unsupported(be, "writing", err);
        return NULL;
    }
    void *h = be->store_open(uri, cfg, run_id, err);
    if (!h) return NULL;
    io_store *s = sl_calloc(1, sizeof *s);
    s->be = be;
    s->h = h;
    s->uri = sl_strdup(uri);
    return s;
}

int io_store_cleanup(io_store *s, sl_err *err) {
    if (!s->be->store_cleanup) return 0;
    return s->be->store_cleanup(s->h, err);
}

uint64_t io_store_uploads_aborted(const io_store *s) {
    return s->be->store_uploads_aborted ? s->be->store_uploads_aborted(s->h) : 0;
}

void io_store_close(io_store *s) {
    if (!s) return;
    if (s->be->store_close) s->be->store_close(s->h);
    free(s->uri);
    free(s);
}

void io_store_writeback_start(io_store *s) {
    if (s && s->be->store_writeback) s->be->store_writeback(s->h, true);
}

void io_store_writeback_stop(io_store *s) {
    if (s && s->be->store_writeback) s->be->store_writeback(s->h, false);
}

const char *io_store_uri(const io_store *s) {
    return s->uri;
}

io_stage *io_stage_begin(io_store *s, const char *name, sl_err *err) {
    if (!s->be->stage_begin) {
        unsupported(s->be, "writing tables", err);
        return NULL;
    }
    void *h = s->be->stage_begin(s->h, name, err);
    if (!h) return NULL;
    io_stage *st = sl_calloc(1, sizeof *st);
    st->be = s->be;
    st->h = h;
    st->store = s;
    return st;
}

io_stage *io_stage_begin_direct(io_store *s, const char *name, sl_err *err) {
    if (!s->be->stage_begin_direct) {
        unsupported(s->be, "writing Delta tables", err);
        return NULL;
    }
    void *h = s->be->stage_begin_direct(s->h, name, err);
    if (!h) return NULL;
    io_stage *st = sl_calloc(1, sizeof *st);
    st->be = s->be;
    st->h = h;
    st->store = s;
    return st;
}

io_writer *io_stage_create(io_stage *st, const char *relpath, sl_err *err) {
    const char *final_name = NULL;
    void *h = st->be->stage_create(st->h, relpath, &final_name, err);
    if (!h) return NULL;
    io_writer *w = sl_calloc(1, sizeof *w);
    w->be = st->be;
    w->h = h;
    w->final_name = final_name;
    return w;
}

int io_writer_write(io_writer *w, const void *p, size_t n, sl_err *err) {
    return w->be->writer_write(w->h, p, n, err);
}

int io_writer_close(io_writer *w, uint64_t *bytes, sl_err *err) {
    uint64_t b = 0;
    int rc = w->be->writer_close(w->h, &b, err);
    if (bytes) *bytes = b;
    free(w);
    return rc;
}

void io_writer_abort(io_writer *w) {
    if (!w) return;
    w->be->writer_abort(w->h);
    free(w);
}

const char *io_writer_name(const io_writer *w) {
    return w->final_name;
}

int io_stage_put(io_stage *st, const char *relpath, const void *p, size_t n, sl_err *err) {
    io_writer *w = io_stage_create(st, relpath, err);
    if (!w) return -1;
    if (io_writer_write(w, p, n, err) < 0) {
        io_writer_abort(w);
        return -1;
    }
    return io_writer_close(w, NULL, err);
}

int io_stage_seal(io_stage *st, const void *success_body, size_t n, const io_list *expect,
                  sl_err *err) {
    int rc = st->be->stage_seal(st->h, success_body, n, expect, err);
    free(st);
    return rc;
}

int io_store_commit(io_store *s, sl_err *err) {
    return s->be->store_commit(s->h, err);
}

int io_stage_keep(io_stage *st, const char *rel, const char *dest, sl_err *err) {
    return st->be->stage_keep ? st->be->stage_keep(st->h, rel, dest, err) : 0;
}

int io_stage_carry(io_stage *st, const char *dir, size_t keep, sl_err *err) {
    return st->be->stage_carry ? st->be->stage_carry(st->h, dir, keep, err) : 0;
}

int io_stage_commit(io_stage *st, const void *success_body, size_t n, sl_err *err) {
    io_store *s = st->store;
    if (io_stage_seal(st, success_body, n, NULL, err) < 0) return -1;
    return io_store_commit(s, err);
}

int io_lake_recover(const char *root, const io_config *cfg, sl_err *err) {
    (void)cfg;
    if (io_is_s3(root)) return 0;
    return io_local_recover(root, err);
}

uint64_t io_lake_generation(const char *root, const io_config *cfg) {
    (void)cfg;
    return io_is_s3(root) ? 0 : io_local_generation(root);
}

int io_store_list_table(io_store *s, const char *name, io_list *out, int *what, sl_err *err) {
    memset(out, 0, sizeof *out);
    *what = IO_TABLE_ABSENT;
    if (!s->be->list_table) return 0;
    return s->be->list_table(s->h, name, out, what, err);
}

void io_stage_abort(io_stage *st) {
    if (!st) return;
    st->be->stage_abort(st->h);
    free(st);
}
