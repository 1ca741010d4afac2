/* common: names of codecs and types, writer option defaults and the file
 * descriptor sink: small pieces of parquet.h shared by the CLI, the lake and
 * both halves of this module. */
#include "parquet/parquet.h"

#include <stdint.h>
#include <strings.h>

int pq_codec_parse(const char *name) {
    if (!name) return -1;
    if (!strcasecmp(name, "snappy")) return PQ_CODEC_SNAPPY;
    if (!strcasecmp(name, "zstd")) return PQ_CODEC_ZSTD;
    if (!strcasecmp(name, "gzip")) return PQ_CODEC_GZIP;
    if (!strcasecmp(name, "none") || !strcasecmp(name, "uncompressed"))
        return PQ_CODEC_UNCOMPRESSED;
    return -1;
}

const char *pq_codec_name(pq_codec c) {
    switch (c) {
    case PQ_CODEC_UNCOMPRESSED: return "none";
    case PQ_CODEC_SNAPPY: return "snappy";
    case PQ_CODEC_GZIP: return "gzip";
    case PQ_CODEC_ZSTD: return "zstd";
    }
    return "unknown";
}

const char *pq_type_name(pq_type t) {
    switch (t) {
    case PQ_BOOLEAN: return "BOOLEAN";
    case PQ_INT32: return "INT32";
    case PQ_INT64: return "INT64";
    case PQ_DOUBLE: return "DOUBLE";
    case PQ_STRING: return "STRING";
    case PQ_TIMESTAMP_US: return "TIMESTAMP";
    case PQ_BYTE_ARRAY: return "BYTE_ARRAY";
    case PQ_FLOAT: return "FLOAT";
    case PQ_OTHER: return "OTHER";
    }
    return "OTHER";
}

size_t pq_value_size(pq_type t) {
    switch (t) {
    case PQ_BOOLEAN: return 1;
    case PQ_INT32:
    case PQ_FLOAT: return 4;
    case PQ_STRING:
    case PQ_BYTE_ARRAY: return sizeof(sl_str);
    default: return 8;
    }
}

void pq_writer_opts_default(pq_writer_opts *o) {
    o->codec = PQ_CODEC_SNAPPY;
    o->compression_level = 0;
    o->row_group_bytes = (size_t)128 << 20;
    o->row_group_rows = 1048576;
    o->page_bytes = (size_t)1 << 20;
    o->dict_max_bytes = (size_t)1 << 20;
    o->no_dictionary = false;
    o->created_by = "songlake version " SONGLAKE_VERSION;
}

static int fd_write(void *ctx, const void *buf, size_t len, sl_err *err) {
    return sl_write_all((int)(intptr_t)ctx, buf, len, err);
}

pq_sink pq_sink_fd(int fd) {
    pq_sink s = {fd_write, (void *)(intptr_t)fd};
    return s;
}
