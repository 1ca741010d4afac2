/* Glob matching for input locations, independent of any filesystem so the
 * local lister and S3 key filtering apply one set of rules (docs/io.md).
 * Component matcher: iterative '*' backtracking (linear-ish, no recursion
 * blowup on patterns like a*a*a*a*b). Path matcher: components with '**'
 * matching zero or more of them. */
#include "io/io_internal.h"

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
                while (pi < plen && pat[pi] == '*')
                    pi++;
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
    while (pi < plen && pat[pi] == '*')
        pi++;
    return pi == plen;
}

/* One component of a '/'-separated string: [s, s+len). */
static const char *next_comp(const char *s, size_t *len) {
    const char *e = strchr(s, '/');
    *len = e ? (size_t)(e - s) : strlen(s);
    return s;
}

/* Whether a wildcard pattern component may match a hidden name: only when
 * the pattern itself starts with that literal character. */
static bool hidden_ok(const char *pat, size_t plen, const char *name, size_t nlen) {
    if (!io_name_hidden(name, nlen)) return true;
    return plen > 0 && pat[0] == name[0];
}

static bool match_path_rec(const char *pat, const char *path, int depth) {
    if (depth > 256) return false;
    for (;;) {
        size_t pl, nl;
        next_comp(pat, &pl);
        if (pl == 2 && pat[0] == '*' && pat[1] == '*') {
            const char *prest = pat[2] == '/' ? pat + 3 : pat + 2;
            if (!*prest) { /* trailing '**': everything below, not hidden */
                while (*path) {
                    next_comp(path, &nl);
                    if (io_name_hidden(path, nl)) return false;
                    path += nl + (path[nl] == '/');
                }
                return true;
            }
            for (;;) { /* zero components, then one more each round */
                if (match_path_rec(prest, path, depth + 1)) return true;
                next_comp(path, &nl);
                if (!*path || !path[nl] || io_name_hidden(path, nl)) return false;
                path += nl + 1;
            }
        }
        next_comp(path, &nl);
        if (!*path && !*pat) return true;
        if (!*path || !*pat) return false;
        if (!io_glob_match(pat, pl, path, nl)) return false;
        if (io_glob_has_magic(pat, pl) && !hidden_ok(pat, pl, path, nl)) return false;
        bool pend = pat[pl] == 0, nend = path[nl] == 0;
        if (nend) return pend;
        if (pend) { /* matched a directory: everything below it, not hidden */
            for (path += nl + 1; *path; path += nl + (path[nl] == '/')) {
                next_comp(path, &nl);
                if (io_name_hidden(path, nl)) return false;
            }
            return true;
        }
        pat += pl + 1;
        path += nl + 1;
    }
}

bool io_glob_match_path(const char *pat, const char *path) {
    return match_path_rec(pat, path, 0);
}
