/* io backends: the operations a storage backend (local disk, S3) provides.
 * io.c dispatches every io.h call by URI scheme to one of these. Private to
 * io/. Handles are opaque to io.c. All operations may be called from several
 * threads at once on different handles; stage_create on one stage too. */
#ifndef SONGLAKE_IO_BACKEND_H
#define SONGLAKE_IO_BACKEND_H

#include "io/io.h"

typedef struct io_backend {
    const char *name; /* "local", "s3" */
    int (*list_inputs)(const char *uri, const io_config *cfg, io_list *out, sl_err *err);
    /* whole object as stored; *exists=false when absent */
    int (*read_raw)(const char *uri, const io_config *cfg, sl_buf *out, bool *exists, sl_err *err);
    /* optional bulk reading with prefetch; NULL: io.c calls read_raw per file */
    void *(*batch_open)(const io_list *files, const io_config *cfg, int lookahead, sl_err *err);
    int (*batch_get)(void *b, size_t i, sl_buf *out_raw, sl_err *err); /* raw bytes */
    void (*batch_close)(void *b);

    void *(*store_open)(const char *uri, const io_config *cfg, const char *run_id, sl_err *err);
    int (*store_cleanup)(void *s, sl_err *err);
    /* optional: multipart uploads of earlier runs that cleanup aborted */
    uint64_t (*store_uploads_aborted)(void *s);
    void (*store_close)(void *s);
    /* optional: io_store_writeback_start / _stop (on = start) */
    void (*store_writeback)(void *s, bool on);
    void *(*stage_begin)(void *s, const char *name, sl_err *err);
    /* io_stage_begin_direct; commit/abort then act on the direct stage */
    void *(*stage_begin_direct)(void *s, const char *name, sl_err *err);
    /* *final_name: relative path after commit, owned by the writer */
    void *(*stage_create)(void *st, const char *relpath, const char **final_name, sl_err *err);
    int (*writer_write)(void *w, const void *p, size_t n, sl_err *err);
    int (*writer_close)(void *w, uint64_t *bytes, sl_err *err); /* frees w */
    void (*writer_abort)(void *w);                              /* frees w */
    /* writes _SUCCESS in the staged table after checking `expect` (may be
     * NULL); the store keeps st until store_commit or store_close */
    int (*stage_seal)(void *st, const void *body, size_t n, const io_list *expect, sl_err *err);
    int (*store_commit)(void *s, sl_err *err); /* publishes every sealed stage */
    int (*stage_keep)(void *st, const char *rel, const char *dest, sl_err *err);
    int (*stage_carry)(void *st, const char *dir, size_t keep, sl_err *err);
    /* what is at <root>/<name> (io_store_list_table) */
    int (*list_table)(void *s, const char *name, io_list *out, int *what, sl_err *err);
    void (*stage_abort)(void *st); /* frees st */
} io_backend;

extern const io_backend io_local_backend; /* local.c */
extern const io_backend io_s3_backend;    /* s3_backend.c */

#endif
