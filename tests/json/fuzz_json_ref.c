/* libFuzzer: the json scanner against the reference scanner (the one before
 * its speed work, json_ref_scan.c) on the same bytes: every event the
 * callbacks see must be the same (json_ref_diff.h), through json_scan, a
 * reused scanner, json_scan_until at a stop chosen from the input, and a
 * callback that stops the scan. Two key sets: the event keys of etl.c (whose
 * key prediction and number and string fast paths the seeds exercise) and
 * short ones. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_ref_diff.h"

static const char *const EVENT_KEYS[] = {"page",     "userId", "ts",        "firstName",
                                         "lastName", "gender", "level",     "song",
                                         "artist",   "length", "sessionId", "userAgent"};
static const char *const SHORT_KEYS[] = {"a", "b", "c", "ts", "", "\xC3\xA9", "a"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static ref_pair ev, sh;
    static int ready;
    if (!ready) {
        ref_pair_init(&ev, EVENT_KEYS, sizeof EVENT_KEYS / sizeof *EVENT_KEYS);
        ref_pair_init(&sh, SHORT_KEYS, sizeof SHORT_KEYS / sizeof *SHORT_KEYS);
        ready = 1;
    }
    uint8_t *copy = malloc(size ? size : 1); /* exact size: ASan sees over-reads */
    memcpy(copy, data, size);
    size_t stop = size ? (size_t)copy[0] * size / 256 : 0;
    for (int k = 0; k < 2; k++) {
        ref_pair *p = k ? &sh : &ev;
        if (ref_pair_check(p, copy, size, size, 0)) abort();
        if (ref_pair_check(p, copy, size, size, 0)) abort();
        if (ref_pair_check(p, copy, size, stop, 0)) abort();
        if (ref_pair_check(p, copy, size, size, 2)) abort();
    }
    free(copy);
    return 0;
}
