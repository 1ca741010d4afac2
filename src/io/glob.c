/* Glob matching for input locations, independent of any filesystem so the
 * local lister and S3 key filtering apply one set of rules (docs/io.md).
 * Component matcher: iterative '*' backtracking (linear-ish, no recursion
 * blowup on patterns like a*a*a*a*b). Path matcher: components with '**'
 * matching zero or more of them, by dynamic programming. */
#include "io/io_internal.h"

#include <stdlib.h>
#include <string.h>

bool io_name_hidden(const char *name, size_t n) {
    return n > 0 && (name[0] == '.' || name[0] == '_');
}

bool io_glob_has_magic(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\') {
            i++;
            continue;
        }
        if (s[i] == '*' || s[i] == '?' || s[i] == '[') return true;
    }
    return false;
}

/* Matches a bracket expression starting at pat[*pi] == '['. Returns 1 on
 * match, 0 on no match, -1 when the bracket is not closed (then '[' is a
 * literal). Advances *pi past ']' when closed. */
static int match_class(const char *pat, size_t plen, size_t *pi, unsigned char c) {
    size_t i = *pi + 1;
    bool neg = false;
    if (i < plen && (pat[i] == '!' || pat[i] == '^')) {
        neg = true;
        i++;
    }
    bool hit = false, first = true;
    while (i < plen && (pat[i] != ']' || first)) {
        first = false;
        unsigned char lo = (unsigned char)pat[i];
        if (lo == '\\' && i + 1 < plen) lo = (unsigned char)pat[++i];
        i++;
        unsigned char hi = lo;
        if (i + 1 < plen && pat[i] == '-' && pat[i + 1] != ']') {
            hi = (unsigned char)pat[i + 1];
            i += 2;
            if (hi == '\\' && i < plen) hi = (unsigned char)pat[i++];
        }
        if (c >= lo && c <= hi) hit = true;
    }
    if (i >= plen) return -1;
    *pi = i + 1;
    return hit != neg;
}

bool io_glob_match(const char *pat, size_t plen, const char *name, size_t nlen) {
    size_t pi = 0, ni = 0;
    size_t star_p = (size_t)-1, star_n = 0;
    while (ni < nlen) {
        if (pi < plen) {
            char pc = pat[pi];
            if (pc == '*') {
                while (pi < plen && pat[pi] == '*') pi++;
                star_p = pi;
                star_n = ni;
                continue;
            }
            if (pc == '?') {
                pi++;
                ni++;
                continue;
            }
            if (pc == '[') {
                size_t np = pi;
                int m = match_class(pat, plen, &np, (unsigned char)name[ni]);
                if (m == 1) {
                    pi = np;
                    ni++;
                    continue;
                }
                if (m == -1 && name[ni] == '[') { /* unclosed: literal '[' */
                    pi++;
                    ni++;
                    continue;
                }
            } else {
                if (pc == '\\' && pi + 1 < plen) pc = pat[pi + 1];
                if (pc == name[ni]) {
                    pi += pat[pi] == '\\' && pi + 1 < plen ? 2 : 1;
                    ni++;
                    continue;
                }
            }
        }
        if (star_p == (size_t)-1) return false;
        pi = star_p;
        ni = ++star_n;
    }
    while (pi < plen && pat[pi] == '*') pi++;
    return pi == plen;
}

/* Splits a '/'-separated string into components (empty ones dropped). */
static size_t split(const char *s, sl_str **out) {
    size_t n = 0, cap = 8;
    sl_str *c = sl_malloc(cap * sizeof *c);
    while (*s) {
        size_t len = strcspn(s, "/");
        if (len) {
            if (n == cap) c = sl_realloc(c, (cap *= 2) * sizeof *c);
            c[n].ptr = s;
            c[n].len = (uint32_t)len;
            n++;
        }
        s += len + (s[len] == '/');
    }
    *out = c;
    return n;
}

static bool is_starstar(sl_str p) {
    return p.len == 2 && p.ptr[0] == '*' && p.ptr[1] == '*';
}

/* Dynamic programming over (pattern component i, path component j), so
 * patterns with several '**' stay O(P*N) instead of backtracking. */
bool io_glob_match_path(const char *pat, const char *path) {
    sl_str *pc, *nc;
    size_t P = split(pat, &pc), N = split(path, &nc);
    size_t W = N + 1;
    bool *ok = sl_calloc((P + 1) * W, 1); /* ok[i*W+j]: pat[i..] matches path[j..] */
    bool *clean = sl_calloc(N + 1, 1);    /* clean[j]: no hidden component in path[j..] */
    clean[N] = true;
    for (size_t j = N; j-- > 0;) clean[j] = clean[j + 1] && !io_name_hidden(nc[j].ptr, nc[j].len);
    /* pattern used up: the path ends, or what is left lies below a matched
     * directory and is read recursively (not through hidden names) */
    for (size_t j = 0; j <= N; j++) ok[P * W + j] = j == N || (P > 0 && j > 0 && clean[j]);
    for (size_t i = P; i-- > 0;) {
        for (size_t j = N + 1; j-- > 0;) {
            bool m;
            if (is_starstar(pc[i])) {
                if (i + 1 == P)
                    m = j < N && clean[j];
                else
                    m = ok[(i + 1) * W + j] ||
                        (j < N && !io_name_hidden(nc[j].ptr, nc[j].len) && ok[i * W + j + 1]);
            } else {
                m = j < N && io_glob_match(pc[i].ptr, pc[i].len, nc[j].ptr, nc[j].len) &&
                    (!io_name_hidden(nc[j].ptr, nc[j].len) ||
                     !io_glob_has_magic(pc[i].ptr, pc[i].len) || pc[i].ptr[0] == nc[j].ptr[0]) &&
                    ok[(i + 1) * W + j + 1];
            }
            ok[i * W + j] = m;
        }
    }
    bool r = ok[0];
    free(ok);
    free(clean);
    free(pc);
    free(nc);
    return r;
}
