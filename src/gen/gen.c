/* gen: the Sparkify-shaped data generator behind `songlake generate`.
 *
 * Two steps per output: a sequential step draws everything random from one
 * seeded generator into compact structs (catalog, users, a batch of days'
 * events), then a parallel step formats them into large buffers and writes
 * each file with one write(). Only formatting runs on threads, so the bytes
 * depend on the seed alone. Formatting uses pre-escaped strings and memcpy,
 * never printf, because the generator must never be the slow part of a
 * benchmark. */
#include "gen/gen.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen/gen_pools.h"

/* ---- random numbers --------------------------------------------------- */
static uint64_t splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void gen_rng_seed(gen_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

uint64_t gen_rng_next(gen_rng *r) {
    uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return res;
}

uint64_t gen_rng_below(gen_rng *r, uint64_t n) {
    /* multiply-shift; the bias (n / 2^64) is irrelevant here */
    return (uint64_t)(((unsigned __int128)gen_rng_next(r) * n) >> 64);
}

double gen_rng_unit(gen_rng *r) {
    return (double)(gen_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ---- number and date formatting --------------------------------------- */
static size_t put_u64(char *p, uint64_t v) {
    char t[24];
    size_t n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++) p[i] = t[n - 1 - i];
    return n;
}

size_t gen_fmt_fixed5(char *buf, int64_t v) {
    size_t n = 0;
    uint64_t a = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    if (v < 0) buf[n++] = '-';
    n += put_u64(buf + n, a / 100000);
    buf[n++] = '.';
    uint64_t f = a % 100000;
    char d[5];
    for (int i = 4; i >= 0; i--, f /= 10) d[i] = (char)('0' + f % 10);
    int keep = 5;
    while (keep > 1 && d[keep - 1] == '0') keep--;
    memcpy(buf + n, d, (size_t)keep);
    return n + (size_t)keep;
}

/* Howard Hinnant's days_from_civil / civil_from_days */
static int64_t days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void gen_civil(int64_t z, int *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* ---- strings ---------------------------------------------------------- */
/* A pre-escaped JSON string literal (with quotes) living in the run arena. */
typedef struct jstr {
    const char *p;
    uint32_t n;
} jstr;

/* ASCII-only JSON as Python's json.dumps writes it (non-ASCII as \uXXXX);
 * the event logs also escape '/' as the sample's do. */
static jstr escape(sl_arena *a, const char *s, bool slash) {
    sl_buf b = {0};
    static const char hex[] = "0123456789abcdef";
    sl_buf_putc(&b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        uint32_t c = *p, len = 1;
        if (c >= 0xf0)
            c &= 0x07, len = 4;
        else if (c >= 0xe0)
            c &= 0x0f, len = 3;
        else if (c >= 0xc0)
            c &= 0x1f, len = 2;
        for (uint32_t i = 1; i < len && p[i]; i++) c = (c << 6) | (p[i] & 0x3f);
        p += len;
        if (c == '"' || c == '\\' || (slash && c == '/')) {
            sl_buf_putc(&b, '\\');
            sl_buf_putc(&b, (uint8_t)c);
        } else if (c >= 0x20 && c < 0x7f) {
            sl_buf_putc(&b, (uint8_t)c);
        } else {
            uint32_t units[2] = {c, 0}, nu = 1;
            if (c >= 0x10000)
                units[0] = 0xd800 + ((c - 0x10000) >> 10), units[1] = 0xdc00 + (c & 0x3ff), nu = 2;
            for (uint32_t u = 0; u < nu; u++) {
                char e[6] = {'\\',
                             'u',
                             hex[units[u] >> 12 & 15],
                             hex[units[u] >> 8 & 15],
                             hex[units[u] >> 4 & 15],
                             hex[units[u] & 15]};
                sl_buf_append(&b, e, 6);
            }
        }
    }
    sl_buf_putc(&b, '"');
    char *p = sl_arena_strndup(a, (const char *)b.data, b.len);
    jstr j = {p, (uint32_t)b.len};
    sl_buf_free(&b);
    return j;
}

static const char *pick(gen_rng *r, const char *const *pool, size_t n) {
    return pool[gen_rng_below(r, n)];
}

/* "Word Word ..." of 1..max words */
static void words(gen_rng *r, sl_buf *b, int max) {
    b->len = 0;
    int n = 1 + (int)gen_rng_below(r, (uint64_t)max);
    for (int i = 0; i < n; i++) {
        if (i) sl_buf_putc(b, ' ');
        const char *w = pick(r, gen_pool_words, gen_pool_nwords);
        sl_buf_append(b, w, strlen(w));
    }
    sl_buf_putc(b, 0);
}

/* prefix + 16 characters of [A-Z0-9], the last 6 the index in base 36 so ids
 * are unique by construction */
static void make_id(gen_rng *r, char out[19], const char *prefix, uint64_t index) {
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    memcpy(out, prefix, 2);
    for (int i = 2; i < 12; i++) out[i] = al[gen_rng_below(r, 36)];
    for (int i = 17; i >= 12; i--, index /= 36) out[i] = al[index % 36];
    out[18] = 0;
}

/* ---- the model -------------------------------------------------------- */
typedef struct artist {
    char id[19];
    jstr name_s, name_l, loc_s; /* song-file and log escapes */
    bool has_ll;
    int32_t lat, lon; /* 1e-5 degrees */
} artist;

typedef struct song {
    char track[19], id[19];
    uint32_t artist;
    int32_t dur; /* 1e-5 s; odd in the catalog, even outside it */
    int32_t year;
    jstr title_s, title_l;
} song;

typedef struct outside {
    jstr title_l, artist_l;
    int32_t dur;
} outside;

typedef struct user {
    jstr first, last, loc, id;
    const char *agent;
    char gender;
    bool paid;
    int64_t registration; /* ms */
} user;

enum page {
    P_NEXTSONG,
    P_HOME,
    P_LOGIN,
    P_LOGOUT,
    P_UPGRADE,
    P_DOWNGRADE,
    P_SETTINGS,
    P_HELP,
    P_ABOUT,
    P_SAVE_SETTINGS,
    P_ERROR,
    P_SUBMIT_UPGRADE,
    P_SUBMIT_DOWNGRADE,
    P_INTEREST,
    P_SUBMIT /* drawn during generation, resolved by the user's level in time order */
};
static const struct {
    const char *name, *method;
    int status;
} PAGES[] = {
    {"NextSong", "PUT", 200},         {"Home", "GET", 200},    {"Login", "PUT", 307},
    {"Logout", "PUT", 307},           {"Upgrade", "GET", 200}, {"Downgrade", "GET", 200},
    {"Settings", "GET", 200},         {"Help", "GET", 200},    {"About", "GET", 200},
    {"Save Settings", "PUT", 307},    {"Error", "GET", 404},   {"Submit Upgrade", "PUT", 307},
    {"Submit Downgrade", "PUT", 307},
};
/* logged-in page mix per 10,000 events, from the sample's counts */
static const struct {
    uint16_t weight;
    uint8_t page;
} MIX[] = {
    {8836, P_NEXTSONG}, {850, P_HOME},         {105, P_INTEREST}, {70, P_SETTINGS}, {58, P_HELP},
    {45, P_ABOUT},      {13, P_SAVE_SETTINGS}, {11, P_ERROR},     {12, P_SUBMIT},
};

typedef struct gev {
    int64_t ts;
    uint32_t seq, user, session;
    int32_t song; /* >= 0 catalog index, < 0: -(outside index + 1) */
    uint16_t item;
    uint8_t page;
    uint8_t flags; /* 1 logged out, 2 paid */
} gev;

typedef struct gen_ctx {
    const gen_opts *o;
    gen_rng rng;
    sl_arena arena;
    artist *artists;
    song *songs;
    outside *pool;
    user *users;
    uint64_t nartists, npool;
    /* the current batch of days */
    gev **ev;
    size_t *nev;
    int64_t *day;
    /* worker results */
    pthread_mutex_t mu;
    bool failed;
    sl_err err;
    gen_stats *st;
} gen_ctx;

static void fail(gen_ctx *c, const sl_err *e) {
    pthread_mutex_lock(&c->mu);
    if (!c->failed) c->err = *e;
    c->failed = true;
    pthread_mutex_unlock(&c->mu);
}

static void write_file(gen_ctx *c, const char *path, const void *p, size_t n, uint64_t *bytes) {
    sl_err e;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return (void)sl_err_errno(&e, errno, "cannot create %s", path), fail(c, &e);
    if (sl_write_all(fd, p, n, &e) != 0) {
        close(fd);
        return (void)sl_err_prefix(&e, "%s", path), fail(c, &e);
    }
    if (close(fd) != 0) return (void)sl_err_errno(&e, errno, "%s", path), fail(c, &e);
    pthread_mutex_lock(&c->mu);
    *bytes += n;
    pthread_mutex_unlock(&c->mu);
}

static int mkdir_p(const char *path, sl_err *err) {
    char tmp[4096];
    size_t n = strlen(path);
    if (n >= sizeof tmp) return sl_err_set(err, "%s: path too long", path);
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] != '/' && tmp[i] != 0) continue;
        char c = tmp[i];
        tmp[i] = 0;
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return sl_err_errno(err, errno, "cannot create %s", tmp);
        tmp[i] = c;
    }
    return 0;
}

/* ---- catalog ---------------------------------------------------------- */
static jstr artist_name(gen_ctx *c, sl_buf *b, bool slash) {
    uint64_t k = gen_rng_below(&c->rng, 10);
    b->len = 0;
    if (k < 4) {
        const char *f = k < 2 ? pick(&c->rng, gen_pool_first_m, gen_pool_nfirst_m)
                              : pick(&c->rng, gen_pool_first_f, gen_pool_nfirst_f);
        const char *l = pick(&c->rng, gen_pool_last, gen_pool_nlast);
        sl_buf_printf(b, "%s %s", f, l);
        sl_buf_putc(b, 0);
    } else if (k < 6) {
        words(&c->rng, b, 2);
        char *w = sl_sprintf("The %s", (const char *)b->data);
        b->len = 0;
        sl_buf_append(b, w, strlen(w) + 1);
        free(w);
    } else {
        words(&c->rng, b, 3);
    }
    return escape(&c->arena, (const char *)b->data, slash);
}

static void make_catalog(gen_ctx *c) {
    const gen_opts *o = c->o;
    sl_buf b = {0};
    c->nartists = o->songs - o->songs / 8;
    if (c->nartists == 0) c->nartists = 1;
    c->artists = sl_calloc(c->nartists, sizeof *c->artists);
    for (uint64_t i = 0; i < c->nartists; i++) {
        artist *a = &c->artists[i];
        make_id(&c->rng, a->id, "AR", i);
        a->name_s = artist_name(c, &b, false);
        a->has_ll = gen_rng_below(&c->rng, 10) < 4;
        a->lat = (int32_t)gen_rng_below(&c->rng, 12000000) - 4000000;
        a->lon = (int32_t)gen_rng_below(&c->rng, 30000000) - 15000000;
        const char *place =
            gen_rng_below(&c->rng, 2) ? pick(&c->rng, gen_pool_places, gen_pool_nplaces) : "";
        a->loc_s = escape(&c->arena, place, false);
    }
    c->songs = sl_calloc(o->songs, sizeof *c->songs);
    for (uint64_t i = 0; i < o->songs; i++) {
        song *s = &c->songs[i];
        char tr[19];
        make_id(&c->rng, tr, "TR", i);
        s->track[0] = 'T', s->track[1] = 'R', s->track[2] = 'A';
        s->track[3] = (char)('A' + gen_rng_below(&c->rng, 26));
        s->track[4] = (char)('A' + gen_rng_below(&c->rng, 26));
        memcpy(s->track + 5, tr + 5, 14); /* 13 characters + NUL */
        make_id(&c->rng, s->id, "SO", i);
        s->artist = i < c->nartists ? (uint32_t)i : (uint32_t)gen_rng_below(&c->rng, c->nartists);
        s->dur = (int32_t)(3000000 + gen_rng_below(&c->rng, 42000000)) | 1;
        s->year = gen_rng_below(&c->rng, 10) < 6 ? 0 : 1955 + (int32_t)gen_rng_below(&c->rng, 56);
        words(&c->rng, &b, 4);
        s->title_s = escape(&c->arena, (const char *)b.data, false);
        s->title_l = escape(&c->arena, (const char *)b.data, true);
    }
    /* log escapes of artist names: decode-free, since names only hold the
     * pools' characters, re-escaping the song-file form adds '\/' only */
    for (uint64_t i = 0; i < c->nartists; i++) {
        artist *a = &c->artists[i];
        b.len = 0;
        for (uint32_t k = 0; k < a->name_s.n; k++) {
            if (a->name_s.p[k] == '/') sl_buf_putc(&b, '\\');
            sl_buf_putc(&b, (uint8_t)a->name_s.p[k]);
        }
        a->name_l.p = sl_arena_strndup(&c->arena, (const char *)b.data, b.len);
        a->name_l.n = (uint32_t)b.len;
    }
    /* songs outside the catalog: even durations never equal a catalog one */
    c->npool = o->songs * 2 < 1000 ? 1000 : o->songs * 2;
    c->pool = sl_calloc(c->npool, sizeof *c->pool);
    for (uint64_t i = 0; i < c->npool; i++) {
        outside *p = &c->pool[i];
        words(&c->rng, &b, 4);
        p->title_l = escape(&c->arena, (const char *)b.data, true);
        p->artist_l = artist_name(c, &b, true);
        p->dur = (int32_t)(3000000 + gen_rng_below(&c->rng, 42000000)) & ~1;
    }
    sl_buf_free(&b);
}

static void make_users(gen_ctx *c, uint64_t n, int64_t start_ms) {
    c->users = sl_calloc(n, sizeof *c->users);
    for (uint64_t i = 0; i < n; i++) {
        user *u = &c->users[i];
        u->gender = gen_rng_below(&c->rng, 2) ? 'M' : 'F';
        const char *f = u->gender == 'M' ? pick(&c->rng, gen_pool_first_m, gen_pool_nfirst_m)
                                         : pick(&c->rng, gen_pool_first_f, gen_pool_nfirst_f);
        u->first = escape(&c->arena, f, true);
        u->last = escape(&c->arena, pick(&c->rng, gen_pool_last, gen_pool_nlast), true);
        u->loc = escape(&c->arena, pick(&c->rng, gen_pool_locations, gen_pool_nlocations), true);
        u->agent = pick(&c->rng, gen_pool_agents, gen_pool_nagents);
        u->paid = gen_rng_below(&c->rng, 10) < 3;
        u->registration = start_ms - (int64_t)gen_rng_below(&c->rng, 40ull * 86400000) + 796;
        char id[40];
        id[0] = '"';
        size_t k = 1 + put_u64(id + 1, i + 2);
        id[k++] = '"';
        u->id.p = sl_arena_strndup(&c->arena, id, k);
        u->id.n = (uint32_t)k;
    }
}

/* ---- song files ------------------------------------------------------- */
#define SONGS_PER_TASK 256
#define LIT(s) (memcpy(p, s, sizeof(s) - 1), p += sizeof(s) - 1)
#define JS(j) (memcpy(p, (j).p, (j).n), p += (j).n)

static void write_songs(void *ctx, size_t task, int worker) {
    (void)worker;
    gen_ctx *c = ctx;
    uint64_t lo = task * SONGS_PER_TASK, hi = lo + SONGS_PER_TASK;
    if (hi > c->o->songs) hi = c->o->songs;
    sl_buf b = {0};
    char path[4096];
    for (uint64_t i = lo; i < hi && !c->failed; i++) {
        const song *s = &c->songs[i];
        const artist *a = &c->artists[s->artist];
        b.len = 0;
        sl_buf_reserve(&b, 512 + a->name_s.n + a->loc_s.n + s->title_s.n);
        char *p = (char *)b.data;
        LIT("{\"num_songs\": 1, \"artist_id\": \"");
        memcpy(p, a->id, 18), p += 18;
        LIT("\", \"artist_latitude\": ");
        if (a->has_ll)
            p += gen_fmt_fixed5(p, a->lat);
        else
            LIT("null");
        LIT(", \"artist_longitude\": ");
        if (a->has_ll)
            p += gen_fmt_fixed5(p, a->lon);
        else
            LIT("null");
        LIT(", \"artist_location\": ");
        JS(a->loc_s);
        LIT(", \"artist_name\": ");
        JS(a->name_s);
        LIT(", \"song_id\": \"");
        memcpy(p, s->id, 18), p += 18;
        LIT("\", \"title\": ");
        JS(s->title_s);
        LIT(", \"duration\": ");
        p += gen_fmt_fixed5(p, s->dur);
        LIT(", \"year\": ");
        p += put_u64(p, (uint64_t)s->year);
        LIT("}");
        snprintf(path, sizeof path, "%s/song_data/A/%c/%c/%s.json", c->o->out_dir, s->track[3],
                 s->track[4], s->track);
        write_file(c, path, b.data, (size_t)(p - (char *)b.data), &c->st->song_bytes);
    }
    sl_buf_free(&b);
}

/* ---- event logs ------------------------------------------------------- */
static int cmp_gev(const void *x, const void *y) {
    const gev *a = x, *b = y;
    if (a->ts != b->ts) return a->ts < b->ts ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* One day's sessions: random users, starts anywhere in the day, 1..49
 * logged-in pages, sometimes a logged-out Home/Login before and a
 * Logout/Home after. Plays advance time by the song's length. */
static size_t draw_day(gen_ctx *c, int64_t day_ms, size_t n, gev *out, uint32_t *session,
                       uint64_t nusers) {
    gen_rng *r = &c->rng;
    size_t k = 0;
    const int64_t end = day_ms + 86400000;
    while (k < n) {
        uint32_t u = (uint32_t)gen_rng_below(r, nusers), sid = ++*session;
        int64_t t = day_ms + (int64_t)gen_rng_below(r, 86400000 - 1800000);
        uint16_t item = 0;
#define EMIT(pg, fl, sg)                                                                           \
    if (k < n && t < end) out[k] = (gev){t, (uint32_t)k, u, sid, (sg), item++, (pg), (fl)}, k++
        if (gen_rng_below(r, 10) < 3) {
            EMIT(P_HOME, 1, 0);
            t += 1000 + (int64_t)gen_rng_below(r, 30000);
            EMIT(P_LOGIN, 1, 0);
            t += 1000 + (int64_t)gen_rng_below(r, 5000);
        }
        uint64_t len = 1 + gen_rng_below(r, 49);
        for (uint64_t j = 0; j < len && k < n && t < end; j++) {
            uint64_t w = gen_rng_below(r, 10000), acc = 0;
            size_t m = 0;
            while (m + 1 < sizeof MIX / sizeof MIX[0] && w >= acc + MIX[m].weight)
                acc += MIX[m++].weight;
            uint8_t pg = MIX[m].page;
            int32_t sg = 0, dur = 0;
            if (pg == P_NEXTSONG) {
                if (gen_rng_unit(r) < c->o->match_rate) {
                    double x = gen_rng_unit(r); /* popular songs first */
                    sg = (int32_t)(x * x * (double)c->o->songs);
                    dur = c->songs[sg].dur;
                } else {
                    uint64_t q = gen_rng_below(r, c->npool);
                    sg = -(int32_t)q - 1;
                    dur = c->pool[q].dur;
                }
            }
            EMIT(pg, 0, sg);
            t += pg == P_NEXTSONG ? dur / 100 : 3000 + (int64_t)gen_rng_below(r, 60000);
        }
        if (gen_rng_below(r, 10) < 3) {
            EMIT(P_LOGOUT, 0, 0);
            t += 1000 + (int64_t)gen_rng_below(r, 5000);
            EMIT(P_HOME, 1, 0);
        }
#undef EMIT
    }
    return k;
}

/* In time order: Upgrade pages for free users, Downgrade for paid ones, and
 * submits change the user's level for the events after them. */
static void resolve_levels(gen_ctx *c, gev *ev, size_t n) {
    for (size_t i = 0; i < n; i++) {
        gev *e = &ev[i];
        user *u = &c->users[e->user];
        bool paid = u->paid;
        if (e->page == P_INTEREST) {
            e->page = paid ? P_DOWNGRADE : P_UPGRADE;
        } else if (e->page == P_SUBMIT) {
            if (!paid)
                e->page = P_SUBMIT_UPGRADE, u->paid = true;
            else if (gen_rng_below(&c->rng, 4) == 0)
                e->page = P_SUBMIT_DOWNGRADE, u->paid = false;
            else
                e->page = P_DOWNGRADE;
        }
        if (paid) e->flags |= 2;
    }
}

static void write_day(void *ctx, size_t i, int worker) {
    (void)worker;
    gen_ctx *c = ctx;
    if (c->failed) return;
    const gev *ev = c->ev[i];
    size_t n = c->nev[i];
    uint64_t plays = 0, matched = 0;
    sl_buf b = {0};
    sl_buf_reserve(&b, n * 520 + 1);
    for (size_t k = 0; k < n; k++) {
        const gev *e = &ev[k];
        const user *u = &c->users[e->user];
        bool out = e->flags & 1;
        const jstr *title = NULL, *art = NULL;
        int32_t dur = 0;
        if (e->page == P_NEXTSONG) {
            plays++;
            if (e->song >= 0) {
                const song *s = &c->songs[e->song];
                title = &s->title_l, art = &c->artists[s->artist].name_l, dur = s->dur, matched++;
            } else {
                const outside *q = &c->pool[-(e->song + 1)];
                title = &q->title_l, art = &q->artist_l, dur = q->dur;
            }
        }
        sl_buf_reserve(&b, 2048);
        char *p = (char *)b.data + b.len;
        LIT("{\"artist\":");
        if (art)
            JS(*art);
        else
            LIT("null");
        if (out)
            LIT(",\"auth\":\"Logged Out\",\"firstName\":null,\"gender\":null,\"itemInSession\":");
        else {
            LIT(",\"auth\":\"Logged In\",\"firstName\":");
            JS(u->first);
            LIT(",\"gender\":\"");
            *p++ = u->gender;
            LIT("\",\"itemInSession\":");
        }
        p += put_u64(p, e->item);
        LIT(",\"lastName\":");
        if (out)
            LIT("null");
        else
            JS(u->last);
        LIT(",\"length\":");
        if (title)
            p += gen_fmt_fixed5(p, dur);
        else
            LIT("null");
        if (e->flags & 2)
            LIT(",\"level\":\"paid\",\"location\":");
        else
            LIT(",\"level\":\"free\",\"location\":");
        if (out)
            LIT("null");
        else
            JS(u->loc);
        LIT(",\"method\":\"");
        size_t l = strlen(PAGES[e->page].method);
        memcpy(p, PAGES[e->page].method, l), p += l;
        LIT("\",\"page\":\"");
        l = strlen(PAGES[e->page].name);
        memcpy(p, PAGES[e->page].name, l), p += l;
        LIT("\",\"registration\":");
        if (out)
            LIT("null");
        else
            p += put_u64(p, (uint64_t)u->registration), LIT(".0");
        LIT(",\"sessionId\":");
        p += put_u64(p, e->session);
        LIT(",\"song\":");
        if (title)
            JS(*title);
        else
            LIT("null");
        LIT(",\"status\":");
        p += put_u64(p, (uint64_t)PAGES[e->page].status);
        LIT(",\"ts\":");
        p += put_u64(p, (uint64_t)e->ts);
        LIT(",\"userAgent\":");
        if (out)
            LIT("null,\"userId\":\"\"}\n");
        else {
            l = strlen(u->agent);
            memcpy(p, u->agent, l), p += l;
            LIT(",\"userId\":");
            JS(u->id);
            LIT("}\n");
        }
        b.len = (size_t)(p - (char *)b.data);
    }
    int y, m, d;
    gen_civil(c->day[i], &y, &m, &d);
    char path[4096];
    snprintf(path, sizeof path, "%s/log_data/%04d/%02d/%04d-%02d-%02d-events.json", c->o->out_dir,
             y, m, y, m, d);
    write_file(c, path, b.data, b.len, &c->st->log_bytes);
    sl_buf_free(&b);
    pthread_mutex_lock(&c->mu);
    c->st->plays += plays;
    c->st->matched_plays += matched;
    pthread_mutex_unlock(&c->mu);
}

/* ---- driver ----------------------------------------------------------- */
void gen_opts_default(gen_opts *o) {
    memset(o, 0, sizeof *o);
    o->days = 30;
    o->seed = 1;
    o->match_rate = 0.5;
}

static int check_opts(const gen_opts *o, sl_err *err) {
    if (!o->out_dir || !*o->out_dir) return sl_err_set(err, "no output directory: give --out DIR");
    if (o->songs < 1 || o->songs > 1000000000)
        return sl_err_set(err, "songs must be between 1 and 1,000,000,000 (got %llu)",
                          (unsigned long long)o->songs);
    if (o->events > 4000000000ull)
        return sl_err_set(err, "events must be at most 4,000,000,000 (got %llu)",
                          (unsigned long long)o->events);
    if (o->days < 1 || o->days > 36500)
        return sl_err_set(err, "days must be between 1 and 36500 (got %u)", o->days);
    if (!(o->match_rate >= 0 && o->match_rate <= 1))
        return sl_err_set(err, "match rate must be between 0 and 1 (got %g)", o->match_rate);
    if (o->users > 1000000000) return sl_err_set(err, "users must be at most 1,000,000,000");
    for (int k = 0; k < 2; k++) {
        char *p = sl_sprintf("%s/%s", o->out_dir, k ? "log_data" : "song_data");
        struct stat sb;
        int exists = stat(p, &sb) == 0;
        if (exists)
            sl_err_set(err, "%s already exists: choose a new --out directory or remove it", p);
        free(p);
        if (exists) return -1;
    }
    return 0;
}

int gen_run(const gen_opts *o, gen_stats *st, sl_err *err) {
    if (check_opts(o, err) != 0) return -1;
    gen_ctx c = {.o = o, .st = st};
    memset(st, 0, sizeof *st);
    pthread_mutex_init(&c.mu, NULL);
    gen_rng_seed(&c.rng, o->seed);
    int threads = o->threads > 0 ? o->threads : sl_cpu_count();
    int64_t day0 = days_from_civil(2018, 11, 1);
    uint64_t nusers = o->users ? o->users : 100 + o->events / 1000;
    int rc = -1;
    gev **ev = NULL;
    size_t batch = threads < 64 ? (size_t)threads : 64, per_day = o->events / o->days + 1;
    size_t nev[64];
    int64_t dayv[64];

    make_catalog(&c);
    make_users(&c, nusers, day0 * 86400000);
    /* song directories first, then the files on threads */
    bool used[26][26] = {{false}};
    for (uint64_t i = 0; i < o->songs; i++)
        used[c.songs[i].track[3] - 'A'][c.songs[i].track[4] - 'A'] = true;
    for (int a = 0; a < 26; a++)
        for (int b = 0; b < 26; b++) {
            if (!used[a][b]) continue;
            char *p = sl_sprintf("%s/song_data/A/%c/%c", o->out_dir, 'A' + a, 'A' + b);
            int r = mkdir_p(p, err);
            free(p);
            if (r != 0) goto done;
        }
    sl_parallel_for((o->songs + SONGS_PER_TASK - 1) / SONGS_PER_TASK, threads, write_songs, &c);
    if (c.failed) goto fail;
    st->song_files = o->songs;

    /* days in batches of `threads`: draw on this thread, format on all */
    ev = sl_calloc(batch, sizeof *ev);
    for (size_t k = 0; k < batch; k++) ev[k] = sl_malloc(per_day * sizeof(gev));
    c.ev = ev, c.nev = nev, c.day = dayv;
    uint32_t session = 0;
    for (uint32_t d0 = 0; d0 < o->days; d0 += (uint32_t)batch) {
        size_t nb = 0;
        for (uint32_t d = d0; d < o->days && nb < batch; d++, nb++) {
            size_t n = (size_t)(o->events / o->days + (d < o->events % o->days));
            dayv[nb] = day0 + d;
            nev[nb] = draw_day(&c, dayv[nb] * 86400000, n, ev[nb], &session, nusers);
            qsort(ev[nb], nev[nb], sizeof(gev), cmp_gev);
            resolve_levels(&c, ev[nb], nev[nb]);
            int y, m, dd;
            gen_civil(dayv[nb], &y, &m, &dd);
            char *p = sl_sprintf("%s/log_data/%04d/%02d", o->out_dir, y, m);
            int r = mkdir_p(p, err);
            free(p);
            if (r != 0) goto done;
            st->events += nev[nb];
        }
        sl_parallel_for(nb, threads, write_day, &c);
        if (c.failed) goto fail;
        st->log_files += nb;
    }
    st->users = nusers;
    st->sessions = session;
    rc = 0;
    goto done;
fail:
    if (err) *err = c.err;
done:
    if (ev)
        for (size_t k = 0; k < batch; k++) free(ev[k]);
    free(ev);
    free(c.artists);
    free(c.songs);
    free(c.pool);
    free(c.users);
    sl_arena_free(&c.arena);
    pthread_mutex_destroy(&c.mu);
    return rc;
}
