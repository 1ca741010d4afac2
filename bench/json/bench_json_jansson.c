/* bench_json's peer: jansson parses each line (json_loadb) and looks up the
 * same keys, as a DOM parser must. */
#ifdef HAVE_JANSSON
#include <jansson.h>
#include <stdint.h>
#include <string.h>

int bench_jansson(const uint8_t *img, size_t len, const char *const *keys, size_t nkeys,
                  uint64_t *records);

int bench_jansson(const uint8_t *img, size_t len, const char *const *keys, size_t nkeys,
                  uint64_t *records) {
    const char *p = (const char *)img, *end = p + len;
    int found = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        json_t *o = json_loadb(p, (size_t)(le - p), 0, NULL);
        if (o) {
            (*records)++;
            for (size_t k = 0; k < nkeys; k++) found += json_object_get(o, keys[k]) != NULL;
            json_decref(o);
        }
        p = le + 1;
    }
    return found;
}
#else
typedef int bench_json_no_jansson; /* ISO C wants a non-empty file */
#endif
