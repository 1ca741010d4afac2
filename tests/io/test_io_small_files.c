/* Local create-only-if-absent, replace and remove (io/small_files.c): a
 * name is taken once, whatever the racing writers; the bytes are the
 * winner's whole; missing directories are made; no temporary is left; the
 * probe says the local disk honours it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "io/io.h"

static char dir[64];

static int setup(void **state) {
    (void)state;
    strcpy(dir, "/tmp/songlake-small-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char *cmd = sl_sprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    return 0;
}

static void expect_file(const char *path, const char *text) {
    sl_buf b = {0};
    sl_err err = {{0}};
    assert_int_equal(sl_read_file(path, &b, &err), 0);
    assert_int_equal(b.len, strlen(text));
    assert_memory_equal(b.data, text, b.len);
    sl_buf_free(&b);
}

/* Entries of a directory other than . and .. */
static int entries(const char *path) {
    DIR *d = opendir(path);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void test_create(void **state) {
    (void)state;
    sl_err err = {{0}};
    char *p = sl_sprintf("%s/t/_delta_log/00000000000000000000.json", dir);
    assert_int_equal(io_create_if_absent(p, NULL, "one\n", 4, &err), IO_CREATED);
    expect_file(p, "one\n");
    assert_int_equal(io_create_if_absent(p, NULL, "two\n", 4, &err), IO_EXISTS);
    expect_file(p, "one\n");
    char *logdir = sl_sprintf("%s/t/_delta_log", dir);
    assert_int_equal(entries(logdir), 1); /* no temporary left */
    /* replace wins whatever is there; remove is quiet about absence */
    char *q = sl_sprintf("%s/_last_checkpoint", logdir);
    assert_int_equal(io_put_replace(q, NULL, "{\"version\":10}", 14, &err), 0);
    assert_int_equal(io_put_replace(q, NULL, "{\"version\":20}", 14, &err), 0);
    expect_file(q, "{\"version\":20}");
    assert_int_equal(entries(logdir), 2);
    assert_int_equal(io_remove(q, NULL, &err), 0);
    assert_int_equal(io_remove(q, NULL, &err), 0);
    assert_int_equal(entries(logdir), 1);
    /* a parent that is a file */
    char *bad = sl_sprintf("%s/x", p);
    assert_int_equal(io_create_if_absent(bad, NULL, "z", 1, &err), -1);
    assert_non_null(strstr(err.msg, "not a directory"));
    io_config nosync = {.no_sync = true};
    char *r = sl_sprintf("%s/t/_delta_log/00000000000000000001.json", dir);
    assert_int_equal(io_create_if_absent(r, &nosync, "", 0, &err), IO_CREATED);
    expect_file(r, "");
    free(p), free(q), free(r), free(bad), free(logdir);
}

static void test_race(void **state) {
    (void)state;
    for (int round = 0; round < 20; round++) {
        char *p = sl_sprintf("%s/race/%02d.json", dir, round);
        enum { N = 8 };
        pid_t pids[N];
        for (int i = 0; i < N; i++) {
            pids[i] = fork();
            if (pids[i] == 0) {
                char text[32];
                snprintf(text, sizeof text, "writer %d", i);
                sl_err e;
                int rc = io_create_if_absent(p, NULL, text, strlen(text), &e);
                _exit(rc == IO_CREATED ? 0 : rc == IO_EXISTS ? 3 : 1);
            }
        }
        int won = 0, winner = -1;
        for (int i = 0; i < N; i++) {
            int st;
            assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
            assert_true(WIFEXITED(st));
            assert_true(WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 3);
            if (WEXITSTATUS(st) == 0) won++, winner = i;
        }
        assert_int_equal(won, 1);
        char text[32];
        snprintf(text, sizeof text, "writer %d", winner);
        expect_file(p, text);
        free(p);
    }
    char *d = sl_sprintf("%s/race", dir);
    assert_int_equal(entries(d), 20);
    free(d);
}

static void test_probe(void **state) {
    (void)state;
    sl_err err = {{0}};
    assert_int_equal(io_check_create_if_absent(dir, NULL, &err), 0);
    char *d = sl_sprintf("%s/_songlake", dir);
    assert_int_equal(entries(d), 0); /* the probe removed its key */
    free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create),
        cmocka_unit_test(test_race),
        cmocka_unit_test(test_probe),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
