/* The local output store and its publish protocol: a commit replaces a
 * table whole, an abort leaves the previous one, paths that could escape a
 * table are refused, one run per root (flock, also across processes),
 * cleanup of killed runs' staging dirs, and SIGKILL at every step of a
 * multi-table commit (with RENAME_EXCHANGE and with the rename fallback):
 * each live table is then exactly the old or the new complete table, and
 * the next run recovers and publishes. */
#include "io_test_util.h"

#include <signal.h>
#include <sys/wait.h>

#include "io/io.h"
#include "io/io_internal.h"

static char *root;

static int setup_one(void **state) {
    (void)state;
    root = tu_tmpdir("store");
    io_local_commit_hook = NULL;
    io_local_no_exchange = false;
    return 0;
}

static int teardown_one(void **state) {
    (void)state;
    tu_rmtree(root);
    free(root);
    io_local_commit_hook = NULL;
    io_local_no_exchange = false;
    return 0;
}

static io_store *open_store(const char *run) {
    sl_err err = {{0}};
    io_store *s = io_store_open(root, NULL, run, &err);
    if (!s) fail_msg("open %s: %s", root, err.msg);
    if (io_store_cleanup(s, &err) < 0) fail_msg("cleanup: %s", err.msg);
    return s;
}

/* Version `tag` of table t: n files "d<i>/<tag><i>.bin" = "<tag>-<t>-<i>". */
static int stage_files(io_stage *st, const char *t, const char *tag, int n, sl_err *err) {
    for (int i = 0; i < n; i++) {
        char *rel = sl_sprintf("d%d/%s%d.bin", i, tag, i);
        char *body = sl_sprintf("%s-%s-%d", tag, t, i);
        int rc = io_stage_put(st, rel, body, strlen(body), err);
        free(rel);
        free(body);
        if (rc < 0) return -1;
    }
    return 0;
}

/* What tu_tree shows for that version, built from the same rule. */
static char *want_tree(const char *t, const char *tag, int n) {
    sl_buf b = {0};
    sl_buf_printf(&b, "_SUCCESS=%s\n", tag);
    for (int i = 0; i < n; i++) sl_buf_printf(&b, "d%d/%s%d.bin=%s-%s-%d\n", i, tag, i, tag, t, i);
    sl_buf_putc(&b, 0);
    return (char *)b.data;
}

static void commit_version(io_store *s, const char *t, const char *tag, int n) {
    sl_err err = {{0}};
    io_stage *st = io_stage_begin(s, t, &err);
    if (!st) fail_msg("%s", err.msg);
    if (stage_files(st, t, tag, n, &err) < 0) fail_msg("%s", err.msg);
    if (io_stage_commit(st, tag, strlen(tag), &err) < 0) fail_msg("commit: %s", err.msg);
}

static bool table_is(const char *t, const char *tag, int n) {
    char *got = tu_tree(root, t), *want = want_tree(t, tag, n);
    bool ok = !strcmp(got, want);
    if (!ok) fprintf(stderr, "table %s:\n got:\n%s want (%s):\n%s", t, got, tag, want);
    free(got);
    free(want);
    return ok;
}

/* Names directly under root, sorted, one per line. */
static char *root_entries(void) {
    sl_vec v;
    sl_vec_init(&v, sizeof(char *));
    DIR *d = opendir(root);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            *(char **)sl_vec_push(&v) = sl_strdup(de->d_name);
    closedir(d);
    qsort(v.data, v.len, sizeof(char *), tu_cmp_str);
    sl_buf b = {0};
    for (size_t i = 0; i < v.len; i++) {
        sl_buf_printf(&b, "%s\n", SL_VEC_AT(&v, char *, i));
        free(SL_VEC_AT(&v, char *, i));
    }
    sl_buf_putc(&b, 0);
    sl_vec_free(&v);
    return (char *)b.data;
}

static void expect_root(const char *want) {
    char *got = root_entries();
    if (strcmp(got, want)) fail_msg("root holds:\n%s want:\n%s", got, want);
    free(got);
}

static void test_commit_replaces_whole(void **state) {
    (void)state;
    io_store *s = open_store("run1");
    assert_string_equal(io_store_uri(s), root);
    commit_version(s, "t", "old", 3);
    io_store_close(s);
    assert_true(table_is("t", "old", 3));
    s = open_store("run2");
    commit_version(s, "t", "new", 2);
    assert_true(table_is("t", "new", 2)); /* old files gone, new + _SUCCESS */
    io_store_close(s);
    expect_root(".songlake.lock\nt\n");
}

static void test_fallback_commit(void **state) {
    (void)state;
    io_local_no_exchange = true;
    io_store *s = open_store("run1");
    commit_version(s, "t", "old", 3); /* no live table yet */
    commit_version(s, "u", "one", 1);
    io_store_close(s);
    s = open_store("run2");
    commit_version(s, "t", "new", 2);
    io_store_close(s);
    assert_true(table_is("t", "new", 2));
    assert_true(table_is("u", "one", 1));
    expect_root(".songlake.lock\nt\nu\n");
}

static void test_abort_keeps_previous(void **state) {
    (void)state;
    io_store *s = open_store("run1");
    commit_version(s, "t", "old", 2);
    io_store_close(s);
    s = open_store("run2");
    sl_err err;
    io_stage *st = io_stage_begin(s, "t", &err);
    assert_non_null(st);
    assert_int_equal(stage_files(st, "t", "new", 4, &err), 0);
    io_writer *w = io_stage_create(st, "open/while/aborting.bin", &err);
    assert_non_null(w);
    assert_int_equal(io_writer_write(w, "x", 1, &err), 0);
    io_writer_abort(w);
    io_stage_abort(st);
    assert_true(table_is("t", "old", 2));
    /* committing with a file still open fails and changes nothing */
    st = io_stage_begin(s, "t", &err);
    assert_non_null(st);
    assert_int_equal(stage_files(st, "t", "new", 1, &err), 0);
    w = io_stage_create(st, "late.bin", &err);
    assert_non_null(w);
    assert_int_equal(io_stage_commit(st, "new", 3, &err), -1);
    assert_non_null(strstr(err.msg, "still being written"));
    io_writer_abort(w);
    assert_true(table_is("t", "old", 2));
    /* the same table can be staged again after an abort */
    st = io_stage_begin(s, "t", &err);
    assert_non_null(st);
    io_stage_abort(st);
    io_store_close(s);
    expect_root(".songlake.lock\nt\n");
}

static void test_writer(void **state) {
    (void)state;
    io_store *s = open_store("run1");
    sl_err err;
    io_stage *st = io_stage_begin(s, "w", &err);
    io_writer *w = io_stage_create(st, "year=2018/month=11/part-00000.snappy.parquet", &err);
    assert_non_null(w);
    assert_string_equal(io_writer_name(w), "year=2018/month=11/part-00000.snappy.parquet");
    /* small writes, one larger than the buffer, small again */
    sl_buf want = {0};
    for (int i = 0; i < 5000; i++) sl_buf_printf(&want, "line %d\n", i);
    size_t small = want.len;
    sl_buf_reserve(&want, 3 << 20);
    for (size_t i = 0; i < (3u << 20); i++) sl_buf_putc(&want, (uint8_t)(i * 31));
    sl_buf_append(&want, "tail", 4);
    size_t off = 0;
    for (; off < small; off += 7) {
        size_t n = small - off < 7 ? small - off : 7;
        assert_int_equal(io_writer_write(w, want.data + off, n, &err), 0);
    }
    assert_int_equal(io_writer_write(w, want.data + small, 3u << 20, &err), 0);
    assert_int_equal(io_writer_write(w, "tail", 4, &err), 0);
    uint64_t bytes = 0;
    assert_int_equal(io_writer_close(w, &bytes, &err), 0);
    assert_int_equal(bytes, want.len);
    /* the same path twice is a bug in the caller */
    assert_null(io_stage_create(st, "year=2018/month=11/part-00000.snappy.parquet", &err));
    assert_non_null(strstr(err.msg, "File exists"));
    assert_int_equal(io_stage_commit(st, "{}", 2, &err), 0);
    io_store_close(s);
    sl_buf got = {0};
    char *p = sl_sprintf("%s/w/year=2018/month=11/part-00000.snappy.parquet", root);
    assert_int_equal(sl_read_file(p, &got, &err), 0);
    assert_int_equal(got.len, want.len);
    assert_memory_equal(got.data, want.data, want.len);
    free(p);
    sl_buf_free(&got);
    sl_buf_free(&want);
}

static void test_paths_rejected(void **state) {
    (void)state;
    io_store *s = open_store("run1");
    sl_err err;
    io_stage *st = io_stage_begin(s, "t", &err);
    static const char *const bad[] = {"..", "../x", "a/../../x", "/etc/passwd", "",          "a//b",
                                      "a/", "./a",  "a/.",       "_SUCCESS",    "_SUCCESS/x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err.msg[0] = 0;
        io_writer *w = io_stage_create(st, bad[i], &err);
        if (w) fail_msg("relpath '%s' was accepted", bad[i]);
        assert_true(strlen(err.msg) > 0);
        if (*bad[i] && !strstr(err.msg, bad[i])) fail_msg("'%s' not named in: %s", bad[i], err.msg);
    }
    static const char *const good[] = {"..x", "a/..b/c", "x=%2F/y", "a/_SUCCESS"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        io_writer *w = io_stage_create(st, good[i], &err);
        if (!w) fail_msg("relpath '%s' refused: %s", good[i], err.msg);
        io_writer_abort(w);
    }
    static const char *const bad_tables[] = {"", "a/b", "..", ".", "/t", ".songlake-staging-x",
                                             "t" /* already staged */};
    for (size_t i = 0; i < sizeof bad_tables / sizeof *bad_tables; i++)
        if (io_stage_begin(s, bad_tables[i], &err)) fail_msg("table '%s' accepted", bad_tables[i]);
    io_stage_abort(st);
    io_store_close(s);
    /* nothing escaped: the parent of root holds nothing new */
    char *up = sl_sprintf("%s/../x", root);
    struct stat sb;
    assert_int_equal(stat(up, &sb), -1);
    free(up);
}

static void test_lock(void **state) {
    (void)state;
    sl_err err = {{0}};
    io_store *s1 = io_store_open(root, NULL, "run1", &err);
    assert_non_null(s1);
    io_store *s2 = io_store_open(root, NULL, "run2", &err);
    assert_null(s2);
    assert_non_null(strstr(err.msg, "another songlake run is writing"));
    assert_non_null(strstr(err.msg, root));
    io_store_close(s1);
    /* across processes: a child holds the store until we close the pipe */
    int go[2], done[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(done), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(go[0]);
        close(done[1]);
        sl_err e;
        io_store *c = io_store_open(root, NULL, "child", &e);
        char ok = c ? 'y' : 'n';
        if (write(go[1], &ok, 1) != 1) _exit(2);
        char x;
        if (read(done[0], &x, 1) < 0) _exit(2);
        io_store_close(c);
        _exit(0);
    }
    close(go[1]);
    close(done[0]);
    char ok = 0;
    assert_int_equal(read(go[0], &ok, 1), 1);
    assert_int_equal(ok, 'y');
    assert_null(io_store_open(root, NULL, "run3", &err));
    assert_non_null(strstr(err.msg, "another songlake run is writing"));
    close(done[1]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(go[0]);
    s2 = io_store_open(root, NULL, "run3", &err);
    assert_non_null(s2);
    io_store_close(s2);
}

static void test_cleanup_leftovers(void **state) {
    (void)state;
    io_store *s = open_store("run0");
    commit_version(s, "t", "old", 1);
    io_store_close(s);
    /* a killed run's staged table, and one's table left aside by the rename
     * fallback while its live copy is missing */
    tu_put(root, ".songlake-staging-dead1/t/d0/x.bin", "partial");
    tu_put(root, ".songlake-staging-dead2/.old-u/_SUCCESS", "uold");
    tu_put(root, ".songlake-staging-dead2/.old-u/d0/x.bin", "kept");
    /* ...and one whose aside table is stale because the live one exists */
    tu_put(root, ".songlake-staging-dead3/.old-t/_SUCCESS", "stale");
    sl_err err;
    s = io_store_open(root, NULL, "run1", &err);
    assert_non_null(s);
    io_stage *st = io_stage_begin(s, "v", &err); /* our own staging survives */
    assert_non_null(st);
    assert_int_equal(io_store_cleanup(s, &err), 0);
    assert_true(tu_exists(root, ".songlake-staging-run1/v"));
    expect_root(".songlake-staging-run1\n.songlake.lock\nt\nu\n");
    assert_true(table_is("t", "old", 1));
    char *u = tu_tree(root, "u");
    assert_string_equal(u, "_SUCCESS=uold\nd0/x.bin=kept\n");
    free(u);
    assert_int_equal(io_stage_commit(st, "v", 1, &err), 0);
    io_store_close(s);
    expect_root(".songlake.lock\nt\nu\nv\n");
}

static void test_io_errors_name_paths(void **state) {
    (void)state;
    sl_err err = {{0}};
    /* root is a file */
    tu_put(root, "file", "x");
    char *p = sl_sprintf("%s/file", root);
    assert_null(io_store_open(p, NULL, "r", &err));
    assert_non_null(strstr(err.msg, "Not a directory"));
    assert_non_null(strstr(err.msg, p));
    free(p);
    /* the staged table vanishes under us: commit fails, live table intact */
    io_store *s = open_store("run1");
    commit_version(s, "t", "old", 2);
    io_stage *st = io_stage_begin(s, "t", &err);
    assert_int_equal(stage_files(st, "t", "new", 1, &err), 0);
    char *staged = sl_sprintf("%s/.songlake-staging-run1/t", root);
    tu_rmtree(staged);
    assert_int_equal(io_stage_commit(st, "new", 3, &err), -1);
    assert_non_null(strstr(err.msg, staged));
    assert_non_null(strstr(err.msg, "No such file or directory"));
    free(staged);
    assert_true(table_is("t", "old", 2));
    /* a run id that could leave the root */
    assert_null(io_store_open(root, NULL, "../x", &err));
    assert_non_null(strstr(err.msg, "invalid run id"));
    io_store_close(s);
}

/* ---- SIGKILL at every step of a commit ------------------------------- */
#define NTABLES 3
static const char *const TABLES[NTABLES] = {"songs", "artists", "time"};
static const int OLD_N[NTABLES] = {3, 1, 2}, NEW_N[NTABLES] = {2, 2, 4};

static int kill_at, hook_calls;
static void kill_hook(const char *point, const char *table) {
    (void)point, (void)table;
    if (++hook_calls == kill_at) raise(SIGKILL);
}

/* Child: stage all tables, seal them, then publish them in one commit;
 * kill_at 0 dies with everything staged and a file half written. */
static void crash_child(void) {
    io_local_commit_hook = kill_hook;
    sl_err err;
    io_store *s = io_store_open(root, NULL, "crash", &err);
    if (!s || io_store_cleanup(s, &err) < 0) _exit(3);
    io_stage *st[NTABLES];
    for (int t = 0; t < NTABLES; t++) {
        st[t] = io_stage_begin(s, TABLES[t], &err);
        if (!st[t] || stage_files(st[t], TABLES[t], "new", NEW_N[t], &err) < 0) _exit(3);
    }
    if (kill_at == 0) {
        io_writer *w = io_stage_create(st[0], "half.bin", &err);
        if (!w || io_writer_write(w, "partial", 7, &err) < 0) _exit(3);
        raise(SIGKILL);
    }
    for (int t = 0; t < NTABLES; t++)
        if (io_stage_seal(st[t], "new", 3, NULL, &err) < 0) _exit(4);
    if (io_store_commit(s, &err) < 0) _exit(5);
    io_store_close(s);
    _exit(0);
}

static void reset_old(void) {
    io_local_commit_hook = NULL;
    io_store *s = open_store("reset");
    for (int t = 0; t < NTABLES; t++) commit_version(s, TABLES[t], "old", OLD_N[t]);
    io_store_close(s);
}

static void crash_points(bool no_exchange) {
    /* hook calls: success per table, commit, then per table [aside,]
     * swapped, then done */
    int per = no_exchange ? 2 : 1, commit_at = NTABLES + 1;
    int total = NTABLES + 1 + per * NTABLES + 1;
    for (int k = 0; k <= total + 1; k++) {
        reset_old();
        io_local_no_exchange = no_exchange;
        kill_at = k;
        hook_calls = 0;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) crash_child();
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (k <= total) {
            if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
                fail_msg("kill point %d: child status %d", k, status);
        } else {
            assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        /* Until the next command each table is whole, old or new (with the
         * fallback one may be missing right after "aside"). Once the commit
         * record is written (k >= commit_at) the next command completes it:
         * every table new; before it, every table old. */
        bool committed = k == 0 ? false : k >= commit_at;
        for (int t = 0; t < NTABLES; t++) {
            if (!tu_exists(root, TABLES[t])) {
                assert_true(no_exchange && committed);
                continue;
            }
            bool isnew = table_is(TABLES[t], "new", NEW_N[t]);
            assert_true(isnew || table_is(TABLES[t], "old", OLD_N[t]));
            if (!committed) assert_false(isnew);
        }
        io_local_no_exchange = false;
        io_store *s = open_store("next");
        for (int t = 0; t < NTABLES; t++)
            assert_true(
                table_is(TABLES[t], committed ? "new" : "old", committed ? NEW_N[t] : OLD_N[t]));
        char *ents = root_entries();
        assert_null(strstr(ents, ".songlake-staging-crash"));
        free(ents);
        for (int t = 0; t < NTABLES; t++) commit_version(s, TABLES[t], "v3", 1);
        io_store_close(s);
        for (int t = 0; t < NTABLES; t++) assert_true(table_is(TABLES[t], "v3", 1));
        expect_root(".songlake.lock\nartists\nsongs\ntime\n");
    }
}

static void test_crash_exchange(void **state) {
    (void)state;
    crash_points(false);
}

static void test_crash_fallback(void **state) {
    (void)state;
    crash_points(true);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_replaces_whole, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_fallback_commit, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_abort_keeps_previous, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_writer, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_paths_rejected, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_lock, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_cleanup_leftovers, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_io_errors_name_paths, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_crash_exchange, setup_one, teardown_one),
        cmocka_unit_test_setup_teardown(test_crash_fallback, setup_one, teardown_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
