/* S3 backend: placeholder until the S3 client lands. Every operation fails
 * with a clear message. */
#include "io/backend.h"

static int s3_unavailable(const char *uri, sl_err *err) {
    return sl_err_set(err, "%s: S3 support is not built into this version yet", uri ? uri : "s3");
}
static int s3_list(const char *uri, const io_config *cfg, io_list *out, sl_err *err) {
    (void)cfg, (void)out;
    return s3_unavailable(uri, err);
}
static int s3_read_raw(const char *uri, const io_config *cfg, sl_buf *out, bool *exists,
                       sl_err *err) {
    (void)cfg, (void)out, (void)exists;
    return s3_unavailable(uri, err);
}
static void *s3_store_open(const char *uri, const io_config *cfg, const char *run_id, sl_err *err) {
    (void)cfg, (void)run_id;
    s3_unavailable(uri, err);
    return NULL;
}

const io_backend io_s3_backend = {
    .name = "s3",
    .list_inputs = s3_list,
    .read_raw = s3_read_raw,
    .store_open = s3_store_open,
};
