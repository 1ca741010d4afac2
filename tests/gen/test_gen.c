/* Unit tests of the data generator (src/gen): number formatting round-trips
 * exactly, dates, and a small generated tree (200 songs, 20,000 events):
 * the same seed gives the same bytes for any thread count, another seed
 * differs, counts equal the flags, every record is valid JSON with exactly
 * the sample's keys, and the share of plays that name a catalog song (same
 * title, artist name and duration, recomputed here with jansson) is the one
 * asked for. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "gen/gen.h"

#define SONGS 200
#define EVENTS 20000
#define RATE 0.3

static void test_fixed5_round_trips(void **state) {
    (void)state;
    char b[32];
    b[gen_fmt_fixed5(b, 33768444)] = 0;
    assert_string_equal(b, "337.68444");
    b[gen_fmt_fixed5(b, 17319140)] = 0;
    assert_string_equal(b, "173.1914");
    b[gen_fmt_fixed5(b, 1200000)] = 0;
    assert_string_equal(b, "12.0");
    b[gen_fmt_fixed5(b, -8677836)] = 0;
    assert_string_equal(b, "-86.77836");
    b[gen_fmt_fixed5(b, -5)] = 0;
    assert_string_equal(b, "-0.00005");
    b[gen_fmt_fixed5(b, 0)] = 0;
    assert_string_equal(b, "0.0");
    gen_rng r;
    gen_rng_seed(&r, 3);
    for (int i = 0; i < 100000; i++) {
        int64_t v = (int64_t)gen_rng_below(&r, 200000000) - 100000000;
        b[gen_fmt_fixed5(b, v)] = 0;
        /* both are the correctly rounded value of v / 10^5 */
        assert_true(strtod(b, NULL) == (double)v / 100000.0);
    }
}

static void test_rng(void **state) {
    (void)state;
    gen_rng a, b, c;
    gen_rng_seed(&a, 42), gen_rng_seed(&b, 42), gen_rng_seed(&c, 43);
    int diff = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = gen_rng_next(&a);
        assert_true(x == gen_rng_next(&b));
        diff += x != gen_rng_next(&c);
        assert_true(gen_rng_below(&a, 7) < 7);
        gen_rng_below(&b, 7);
        double u = gen_rng_unit(&a);
        assert_true(u == gen_rng_unit(&b));
        assert_true(u >= 0 && u < 1);
    }
    assert_true(diff > 990);
}

static void test_civil(void **state) {
    (void)state;
    int y, m, d;
    gen_civil(0, &y, &m, &d);
    assert_true(y == 1970 && m == 1 && d == 1);
    gen_civil(1541030400 / 86400, &y, &m, &d);
    assert_true(y == 2018 && m == 11 && d == 1);
    gen_civil(18321, &y, &m, &d); /* 2020-02-29 */
    assert_true(y == 2020 && m == 2 && d == 29);
    gen_civil(-1, &y, &m, &d);
    assert_true(y == 1969 && m == 12 && d == 31);
}

/* ---- generated trees -------------------------------------------------- */
typedef struct tree {
    char root[64];
    uint64_t hash, files, song_files, log_files, lines, plays, matched;
} tree;

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Calls fn on every file under dir in sorted path order. */
static void walk(const char *dir, void (*fn)(const char *path, void *ctx), void *ctx) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char *p = sl_sprintf("%s/%s", dir, names[i]);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        if (S_ISDIR(st.st_mode))
            walk(p, fn, ctx);
        else
            fn(p, ctx);
        free(p);
        free(names[i]);
    }
    free(names);
}

static void hash_file(const char *path, void *ctx) {
    tree *t = ctx;
    sl_buf b = {0};
    sl_err err;
    assert_int_equal(sl_read_file(path, &b, &err), 0);
    const char *rel = path + strlen(t->root);
    t->hash = t->hash * 31 + sl_hash(rel, strlen(rel));
    t->hash = t->hash * 31 + sl_hash(b.data, b.len);
    t->files++;
    sl_buf_free(&b);
}

static void make(tree *t, uint64_t seed, int threads) {
    memset(t, 0, sizeof *t);
    strcpy(t->root, "/tmp/test_gen_XXXXXX");
    assert_non_null(mkdtemp(t->root));
    gen_opts o;
    gen_opts_default(&o);
    o.out_dir = t->root;
    o.songs = SONGS, o.events = EVENTS, o.seed = seed, o.threads = threads, o.match_rate = RATE;
    gen_stats st;
    sl_err err = {{0}};
    assert_int_equal(gen_run(&o, &st, &err), 0);
    assert_int_equal(st.song_files, SONGS);
    assert_int_equal(st.events, EVENTS);
    assert_int_equal(st.log_files, 30);
    t->plays = st.plays, t->matched = st.matched_plays;
    walk(t->root, hash_file, t);
    /* a second run into the same directory refuses rather than mixing data */
    assert_int_equal(gen_run(&o, &st, &err), -1);
    assert_non_null(strstr(err.msg, "already exists"));
}

static void rm_file(const char *path, void *ctx) {
    (void)ctx;
    assert_int_equal(unlink(path), 0);
}

static int rmdirs(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *p = sl_sprintf("%s/%s", dir, e->d_name);
        rmdirs(p);
        free(p);
    }
    closedir(d);
    return rmdir(dir);
}

static void drop(tree *t) {
    walk(t->root, rm_file, NULL);
    assert_int_equal(rmdirs(t->root), 0);
}

static void test_deterministic(void **state) {
    (void)state;
    tree a, b, c;
    make(&a, 7, 1);
    make(&b, 7, 3);
    make(&c, 8, 2);
    assert_true(a.files == SONGS + 30 && b.files == a.files && c.files == a.files);
    assert_true(a.hash == b.hash);
    assert_true(a.hash != c.hash);
    drop(&a), drop(&b), drop(&c);
}

/* ---- content: JSON, keys, match rate ---------------------------------- */
static const char *SONG_KEYS[] = {
    "num_songs",   "artist_id", "artist_latitude", "artist_longitude", "artist_location",
    "artist_name", "song_id",   "title",           "duration",         "year"};
static const char *EVENT_KEYS[] = {
    "artist",    "auth",  "firstName", "gender", "itemInSession", "lastName",
    "length",    "level", "location",  "method", "page",          "registration",
    "sessionId", "song",  "status",    "ts",     "userAgent",     "userId"};

typedef struct content {
    tree *t;
    json_t *catalog; /* "title\x1fartist\x1fduration-bits" -> true */
    uint64_t plays, matched, pages_other, logged_out;
} content;

static void check_keys(json_t *o, const char **keys, size_t n) {
    assert_true(json_is_object(o));
    assert_int_equal(json_object_size(o), n);
    for (size_t i = 0; i < n; i++) assert_non_null(json_object_get(o, keys[i]));
}

static char *match_key(const char *title, const char *artist, double dur) {
    uint64_t bits;
    memcpy(&bits, &dur, 8);
    return sl_sprintf("%s\x1f%s\x1f%llx", title, artist, (unsigned long long)bits);
}

static void read_song(const char *path, void *ctx) {
    content *c = ctx;
    json_error_t e;
    json_t *o = json_load_file(path, 0, &e);
    assert_non_null(o);
    check_keys(o, SONG_KEYS, 10);
    const char *name = strrchr(path, '/') + 1;
    assert_int_equal(strlen(name), 23); /* TRABC + 13 + .json */
    assert_memory_equal(name, "TR", 2);
    assert_true(name[2] == path[strlen(path) - 23 - 6] && name[3] == path[strlen(path) - 23 - 4] &&
                name[4] == path[strlen(path) - 23 - 2]); /* song_data/A/B/C/TRABC */
    char *k = match_key(json_string_value(json_object_get(o, "title")),
                        json_string_value(json_object_get(o, "artist_name")),
                        json_real_value(json_object_get(o, "duration")));
    json_object_set_new(c->catalog, k, json_true());
    free(k);
    c->t->song_files++;
    json_decref(o);
}

static void read_log(const char *path, void *ctx) {
    content *c = ctx;
    sl_buf b = {0};
    sl_err err;
    assert_int_equal(sl_read_file(path, &b, &err), 0);
    const char *name = strrchr(path, '/') + 1;
    assert_non_null(strstr(name, "-events.json"));
    int64_t prev = 0;
    for (size_t i = 0; i < b.len;) {
        const char *s = (const char *)b.data + i, *nl = memchr(s, '\n', b.len - i);
        assert_non_null(nl);
        json_error_t e;
        json_t *o = json_loadb(s, (size_t)(nl - s), 0, &e);
        assert_non_null(o);
        check_keys(o, EVENT_KEYS, 18);
        int64_t ts = (int64_t)json_integer_value(json_object_get(o, "ts"));
        assert_true(ts >= prev); /* a day's file is in time order */
        prev = ts;
        const char *page = json_string_value(json_object_get(o, "page"));
        assert_non_null(page);
        assert_true(json_is_string(json_object_get(o, "userId")));
        if (!strcmp(json_string_value(json_object_get(o, "auth")), "Logged Out")) {
            c->logged_out++;
            assert_string_equal(json_string_value(json_object_get(o, "userId")), "");
        }
        if (!strcmp(page, "NextSong")) {
            c->plays++;
            char *k = match_key(json_string_value(json_object_get(o, "song")),
                                json_string_value(json_object_get(o, "artist")),
                                json_real_value(json_object_get(o, "length")));
            c->matched += json_object_get(c->catalog, k) != NULL;
            free(k);
        } else {
            c->pages_other++;
        }
        c->t->lines++;
        json_decref(o);
        i = (size_t)(nl - (const char *)b.data) + 1;
    }
    c->t->log_files++;
    sl_buf_free(&b);
}

static void test_content(void **state) {
    (void)state;
    tree t;
    make(&t, 11, 2);
    content c = {.t = &t, .catalog = json_object()};
    char *p = sl_sprintf("%s/song_data", t.root);
    walk(p, read_song, &c);
    free(p);
    p = sl_sprintf("%s/log_data", t.root);
    walk(p, read_log, &c);
    free(p);
    assert_int_equal(t.song_files, SONGS);
    assert_int_equal(t.log_files, 30);
    assert_int_equal(t.lines, EVENTS);
    /* the stats agree with what a reader finds, and the rate is the asked one */
    assert_int_equal(c.plays, t.plays);
    assert_int_equal(c.matched, t.matched);
    double rate = (double)c.matched / (double)c.plays;
    assert_true(rate > RATE - 0.03 && rate < RATE + 0.03);
    /* the sample's mix: most events are plays, some other pages, some logged out */
    assert_true(c.plays > EVENTS * 0.75 && c.plays < EVENTS * 0.95);
    assert_true(c.logged_out > EVENTS * 0.01 && c.logged_out < EVENTS * 0.08);
    json_decref(c.catalog);
    drop(&t);
}

static void test_bad_options(void **state) {
    (void)state;
    gen_opts o;
    gen_opts_default(&o);
    gen_stats st;
    sl_err err;
    assert_int_equal(gen_run(&o, &st, &err), -1); /* no --out */
    o.out_dir = "/tmp/never-written-by-test-gen";
    o.songs = 0;
    assert_int_equal(gen_run(&o, &st, &err), -1);
    assert_non_null(strstr(err.msg, "songs"));
    o.songs = 1, o.match_rate = 1.5;
    assert_int_equal(gen_run(&o, &st, &err), -1);
    assert_non_null(strstr(err.msg, "match rate"));
    o.match_rate = 0.5, o.days = 0;
    assert_int_equal(gen_run(&o, &st, &err), -1);
    assert_non_null(strstr(err.msg, "days"));
    struct stat sb;
    assert_int_not_equal(stat(o.out_dir, &sb), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed5_round_trips),
        cmocka_unit_test(test_rng),
        cmocka_unit_test(test_civil),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_content),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
