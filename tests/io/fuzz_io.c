/* libFuzzer target for io's parsers of untrusted bytes: glob patterns
 * against names (component and whole-path matchers) and the .gz/.zst
 * decoders. The first byte picks the mode; the decoders run under a small
 * output cap so inflating inputs end as errors, not timeouts. */
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "io/io_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t mode = data[0] % 3;
    data++, size--;
    if (mode == 0) {
        /* "pattern\0name": both as C strings for the path matcher */
        const uint8_t *nul = memchr(data, 0, size);
        size_t pl = nul ? (size_t)(nul - data) : size;
        char *pat = sl_strndup((const char *)data, pl);
        char *name = nul ? sl_strndup((const char *)nul + 1, size - pl - 1) : sl_strdup("");
        bool a = io_glob_match(pat, strlen(pat), name, strlen(name));
        bool b = io_glob_match_path(pat, name);
        /* one component without '/' or '**': both matchers must agree, bar
         * the hidden-name rule only the path matcher applies */
        if (!strchr(pat, '/') && !strchr(name, '/') && *name && *pat && !strstr(pat, "**") &&
            !io_name_hidden(name, strlen(name)) && a != b)
            abort();
        (void)io_glob_has_magic(pat, strlen(pat));
        free(pat);
        free(name);
        return 0;
    }
    io_set_max_decompressed(16u << 20);
    sl_buf b = {0};
    sl_buf_append(&b, data, size);
    sl_err err;
    (void)io_decompress_by_name(mode == 1 ? "f.json.gz" : "f.json.zst", &b, &err);
    sl_buf_free(&b);
    return 0;
}
