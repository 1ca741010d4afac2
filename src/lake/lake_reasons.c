/* Rejects by reason (issue 15): every reject's reason, with its numbers
 * replaced by N ("unexpected character '{' at byte 1042 of record" and
 * "... byte 7 ..." are one class), counted so the summary, report.json and
 * a tripped limit can say what went wrong. At most LAKE_MAX_REASONS
 * classes; later ones count as "other". Called with rej_mu held. */
#include <stdlib.h>
#include <string.h>

#include "lake/lake_internal.h"

#define REASON_MAX 160

static void normalize(const char *r, size_t n, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < REASON_MAX; i++) {
        if (r[i] >= '0' && r[i] <= '9') {
            while (i + 1 < n && r[i + 1] >= '0' && r[i + 1] <= '9') i++;
            out[o++] = 'N';
        } else
            out[o++] = r[i];
    }
    out[o] = 0;
}

void lake_reasons_count(lake *lk, const char *reason, size_t n, uint64_t count) {
    char norm[REASON_MAX];
    normalize(reason, n, norm);
    size_t i = 0;
    for (; i < lk->nreasons; i++)
        if (!strcmp(lk->reasons[i].text, norm)) break;
    if (i == lk->nreasons) {
        if (lk->nreasons == LAKE_MAX_REASONS) {
            i = LAKE_MAX_REASONS - 1; /* the last class collects the rest */
            if (strcmp(lk->reasons[i].text, "other")) {
                free(lk->reasons[i].text);
                lk->reasons[i].text = sl_strdup("other");
            }
        } else {
            lk->reasons = sl_realloc(lk->reasons, (lk->nreasons + 1) * sizeof *lk->reasons);
            lk->reasons[i].text = sl_strdup(norm);
            lk->reasons[i].count = 0;
            lk->nreasons++;
        }
    }
    lk->reasons[i].count += count;
}

/* The "reason" of each rejects line (another rank's, docs/mpi.md). */
void lake_reasons_count_lines(lake *lk, const uint8_t *p, size_t n) {
    static const char key[] = "\"reason\":\"";
    const char *s = (const char *)p, *end = s + n;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl : end;
        const char *k = NULL;
        for (const char *q = s; q + sizeof key - 1 <= e; q++)
            if (!memcmp(q, key, sizeof key - 1)) {
                k = q + sizeof key - 1;
                break;
            }
        if (k) {
            const char *z = k;
            while (z < e && *z != '"') z += *z == '\\' && z + 1 < e ? 2 : 1;
            lake_reasons_count(lk, k, (size_t)(z - k), 1);
        }
        s = e + 1;
    }
}

static int by_count(const void *a, const void *b) {
    const lake_reason *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return strcmp(x->text, y->text);
}

size_t lake_reject_reasons(lake *lk, const lake_reason **out) {
    pthread_mutex_lock(&lk->rej_mu);
    if (lk->nreasons > 1) qsort(lk->reasons, lk->nreasons, sizeof *lk->reasons, by_count);
    pthread_mutex_unlock(&lk->rej_mu);
    *out = lk->reasons;
    return lk->nreasons;
}

void lake_reasons_free(lake *lk) {
    for (size_t i = 0; i < lk->nreasons; i++) free(lk->reasons[i].text);
    free(lk->reasons);
    lk->reasons = NULL;
    lk->nreasons = 0;
}
