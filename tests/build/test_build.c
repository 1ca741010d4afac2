/* Unit tests for build/ through build_run on the bundled sample: the
 * summary holds SPEC's counts for the sample (songs 71, artists 69, users
 * 97, time 6,813, songplays 6,820 of which 1 matches), the options are
 * left exactly as given (the driver once rewrote them for MPI), a second
 * run over the same lake replaces it with the same rows, and a failed run
 * names its cause and leaves the previous lake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "build/build.h"

static char *make_root(void) {
    char tmpl[] = "/tmp/songlake-build-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return sl_strdup(d);
}

static void rm_rf(const char *p) {
    char *cmd = sl_sprintf("rm -rf '%s'", p);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static build_opts sample_opts(char *out) {
    build_opts o = {0};
    o.songs = SONGLAKE_SOURCE_DIR "/data/sparkify-sample/song_data";
    o.logs = SONGLAKE_SOURCE_DIR "/data/sparkify-sample/log_data";
    o.out = out;
    o.threads = 2;
    o.codec = PQ_CODEC_SNAPPY;
    o.max_rejects = UINT64_MAX;
    o.quiet = true;
    o.io.no_sync = true;
    return o;
}

static void assert_sample(const build_summary *s) {
    assert_true(s->published);
    assert_int_equal(s->ranks, 1);
    assert_int_equal(s->songs_in.files, 71);
    assert_int_equal(s->logs_in.files, 30);
    assert_int_equal(s->events.read, 8056);
    assert_int_equal(s->tables[LAKE_SONGS].rows, 71);
    assert_int_equal(s->tables[LAKE_ARTISTS].rows, 69);
    assert_int_equal(s->tables[LAKE_USERS].rows, 97);
    assert_int_equal(s->tables[LAKE_TIME].rows, 6813);
    assert_int_equal(s->tables[LAKE_SONGPLAYS].rows, 6820);
    assert_int_equal(s->songplays_matched, 1);
    assert_int_equal(s->rejects, 0);
}

static void test_sample_twice(void **state) {
    (void)state;
    char *root = make_root();
    char *out = sl_sprintf("%s/lake", root);
    build_opts o = sample_opts(out), copy = o;
    build_summary s;
    sl_err err = {{0}};
    assert_int_equal(build_run(&o, &s, &err), 0);
    assert_memory_equal(&o, &copy, sizeof o); /* build_run takes it const, and keeps it */
    assert_sample(&s);
    char *report = sl_sprintf("%s/_songlake/report.json", out);
    struct stat st;
    assert_int_equal(stat(report, &st), 0);
    memset(&s, 0, sizeof s);
    assert_int_equal(build_run(&o, &s, &err), 0); /* replaces the lake */
    assert_sample(&s);
    free(report);
    free(out);
    rm_rf(root);
    free(root);
}

static void test_failure_keeps_lake(void **state) {
    (void)state;
    char *root = make_root();
    char *out = sl_sprintf("%s/lake", root);
    build_opts o = sample_opts(out);
    build_summary s;
    sl_err err = {{0}};
    assert_int_equal(build_run(&o, &s, &err), 0);
    /* the event logs given as songs: 8,056 rejects, over the limit */
    build_opts bad = o;
    bad.songs = bad.logs;
    bad.max_rejects = 10;
    memset(&s, 0, sizeof s);
    assert_int_equal(build_run(&bad, &s, &err), -1);
    assert_false(s.published);
    assert_non_null(strstr(err.msg, "more than --max-rejects 10"));
    /* the first run's lake is what a reader finds */
    char *marker = sl_sprintf("%s/songs/_SUCCESS", out);
    struct stat st;
    assert_int_equal(stat(marker, &st), 0);
    memset(&s, 0, sizeof s);
    bad.songs = "/nonexistent/songlake-test";
    assert_int_equal(build_run(&bad, &s, &err), -1);
    assert_non_null(strstr(err.msg, "--songs"));
    assert_int_equal(stat(marker, &st), 0);
    free(marker);
    free(out);
    rm_rf(root);
    free(root);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_twice),
        cmocka_unit_test(test_failure_keeps_lake),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
