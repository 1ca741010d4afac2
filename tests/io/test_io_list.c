/* Input listing on local disk: files, recursive directories, globs (* ? [..]
 * [!..] **), the '.'/'_' skip rule, bytewise order by full path, symlinks,
 * and the error texts for locations that match nothing. Also the pure glob
 * matchers that S3 key filtering uses. */
#include "io_test_util.h"

#include "io/io.h"
#include "io/io_internal.h"

static char *root;

/* The tree every test lists; contents are irrelevant, names are the point. */
static const char *const TREE[] = {
    "a.json",
    "B.json",
    "b.json",
    "c.json",
    "x.json",
    "ab.json",
    "a-b/f.json",
    "a/b/g.json",
    "a/c.json",
    ".hidden.json",
    "_tmp.json",
    "_dir/z.json",
    ".git/y.json",
    "sub/deep/er/h.json",
    "sub/.h/i.json",
    "sub/_SUCCESS",
    "only_hidden/_SUCCESS",
    "only_hidden/.crc",
    "data.txt",
};

static int setup(void **state) {
    (void)state;
    root = tu_tmpdir("list");
    for (size_t i = 0; i < sizeof TREE / sizeof *TREE; i++) tu_put(root, TREE[i], "{}\n");
    tu_put(root, "sized.json", "0123456789");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    tu_rmtree(root);
    free(root);
    return 0;
}

/* Lists pattern (relative to root unless it starts with '/') and returns
 * the uris, relative to root, one per line. */
static char *list_rel(const char *pattern, int *rc, sl_err *err) {
    char *full = pattern[0] == '/' ? sl_strdup(pattern) : sl_sprintf("%s/%s", root, pattern);
    io_list l;
    *rc = io_list_inputs(full, NULL, &l, err);
    sl_buf b = {0};
    size_t rl = strlen(root);
    for (size_t i = 0; i < l.n; i++) {
        const char *u = l.files[i].uri;
        if (!strncmp(u, root, rl) && u[rl] == '/') u += rl + 1;
        sl_buf_printf(&b, "%s\n", u);
    }
    sl_buf_putc(&b, 0);
    io_list_free(&l);
    free(full);
    return (char *)b.data;
}

static void expect_list(const char *pattern, const char *want) {
    sl_err err = {{0}};
    int rc;
    char *got = list_rel(pattern, &rc, &err);
    if (rc != 0) fail_msg("%s: %s", pattern, err.msg);
    if (strcmp(got, want) != 0) fail_msg("pattern %s\n got:\n%s want:\n%s", pattern, got, want);
    free(got);
}

static void expect_error(const char *pattern, const char *substr) {
    sl_err err = {{0}};
    int rc;
    char *got = list_rel(pattern, &rc, &err);
    assert_int_equal(rc, -1);
    assert_string_equal(got, "");
    if (!strstr(err.msg, substr)) fail_msg("%s: error '%s' lacks '%s'", pattern, err.msg, substr);
    free(got);
}

static void test_single_file_and_size(void **state) {
    (void)state;
    char *p = sl_sprintf("%s/sized.json", root);
    io_list l;
    sl_err err;
    assert_int_equal(io_list_inputs(p, NULL, &l, &err), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.files[0].uri, p);
    assert_int_equal(l.files[0].size, 10);
    io_list_free(&l);
    free(p);
}

static void test_dir_recursive_sorted(void **state) {
    (void)state;
    /* bytewise: 'B' (0x42) < 'a'; "a-b/" < "a.json" < "a/" ('-' < '.' < '/');
     * no '.'/'_' names at any level; sub/_SUCCESS and sub/.h skipped */
    expect_list("", "B.json\na-b/f.json\na.json\na/b/g.json\na/c.json\nab.json\nb.json\n"
                    "c.json\ndata.txt\nsized.json\nsub/deep/er/h.json\nx.json\n");
    expect_list("sub", "sub/deep/er/h.json\n");
    expect_list("sub/", "sub/deep/er/h.json\n");
}

static void test_star_question_class(void **state) {
    (void)state;
    expect_list("*.json", "B.json\na.json\nab.json\nb.json\nc.json\nsized.json\nx.json\n");
    expect_list("?.json", "B.json\na.json\nb.json\nc.json\nx.json\n");
    expect_list("[a-c].json", "a.json\nb.json\nc.json\n");
    expect_list("[!a].json", "B.json\nb.json\nc.json\nx.json\n");
    expect_list("[^a-bB].json", "c.json\nx.json\n");
    expect_list("[xB].json", "B.json\nx.json\n");
    expect_list("a?b/*", "a-b/f.json\n");
    /* a wildcard component that matches a directory walks it */
    expect_list("s*", "sized.json\nsub/deep/er/h.json\n");
    expect_list("a*/*.json", "a-b/f.json\na/c.json\n");
}

static void test_double_star(void **state) {
    (void)state;
    /* start (relative to the working directory) */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(root), 0);
    sl_err err;
    io_list l;
    assert_int_equal(io_list_inputs("**/g.json", NULL, &l, &err), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.files[0].uri, "a/b/g.json");
    io_list_free(&l);
    assert_int_equal(io_list_inputs("**/c.json", NULL, &l, &err), 0); /* zero dirs too */
    assert_int_equal(l.n, 2);
    assert_string_equal(l.files[0].uri, "a/c.json");
    assert_string_equal(l.files[1].uri, "c.json");
    io_list_free(&l);
    assert_int_equal(chdir(cwd), 0);
    /* middle */
    expect_list("sub/**/h.json", "sub/deep/er/h.json\n");
    expect_list("sub/**/er/*.json", "sub/deep/er/h.json\n");
    expect_list("a/**/*.json", "a/b/g.json\na/c.json\n");
    expect_list("a/**/*", "a/b/g.json\na/c.json\n"); /* g.json reached twice, listed once */
    expect_list("**/[fg].json", "a-b/f.json\na/b/g.json\n");
    /* end: everything below, hidden names skipped */
    expect_list("sub/**", "sub/deep/er/h.json\n");
    expect_list("a/**", "a/b/g.json\na/c.json\n");
}

static void test_hidden_rules(void **state) {
    (void)state;
    /* named explicitly: taken */
    expect_list("_tmp.json", "_tmp.json\n");
    expect_list(".hidden.json", ".hidden.json\n");
    expect_list("_dir", "_dir/z.json\n");
    expect_list("sub/.h/i.json", "sub/.h/i.json\n");
    /* a wildcard matches a hidden name only when spelled with its lead */
    expect_list("_*.json", "_tmp.json\n");
    expect_list(".*.json", ".hidden.json\n");
    expect_list("_*/*", "_dir/z.json\n");
}

static void test_errors(void **state) {
    (void)state;
    expect_error("nomatch*/x.json", "no files match; check the path or quote the glob");
    expect_error("nomatch*/x.json", "/nomatch*/x.json'");
    expect_error("?tmp.json", "no files match");
    expect_error("missing.json", "missing.json: No such file or directory");
    expect_error("missing/dir", "No such file or directory");
    expect_error("only_hidden", "holds no input files");
    expect_error("a.json/x", "a.json/x: Not a directory");
    sl_err err;
    io_list l;
    assert_int_equal(io_list_inputs("", NULL, &l, &err), -1);
}

static void test_symlinks(void **state) {
    (void)state;
    char *dir = tu_tmpdir("links");
    tu_put(dir, "real/r.json", "12345");
    char *p = sl_sprintf("%s/real/loop", dir);
    assert_int_equal(symlink("..", p), 0); /* real/loop -> dir: a loop */
    free(p);
    p = sl_sprintf("%s/link.json", dir);
    assert_int_equal(symlink("real/r.json", p), 0);
    free(p);
    p = sl_sprintf("%s/dangling.json", dir);
    assert_int_equal(symlink("nowhere.json", p), 0);
    free(p);
    io_list l;
    sl_err err;
    assert_int_equal(io_list_inputs(dir, NULL, &l, &err), 0);
    /* loop entered once (reaching dir again stops), dangling link skipped,
     * file symlink followed with the target's size */
    char *want0 = sl_sprintf("%s/link.json", dir), *want1 = sl_sprintf("%s/real/r.json", dir);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.files[0].uri, want0);
    assert_int_equal(l.files[0].size, 5);
    assert_string_equal(l.files[1].uri, want1);
    io_list_free(&l);
    free(want0);
    free(want1);
    tu_rmtree(dir);
    free(dir);
}

/* ---- pure matchers ---------------------------------------------------- */
static bool m(const char *pat, const char *name) {
    return io_glob_match(pat, strlen(pat), name, strlen(name));
}

static void test_glob_match(void **state) {
    (void)state;
    assert_true(m("*", "abc"));
    assert_true(m("*", ""));
    assert_true(m("a*c", "abbbc"));
    assert_false(m("a*c", "abbb"));
    assert_true(m("a?c", "abc"));
    assert_false(m("a?c", "ac"));
    assert_true(m("[a-c]x", "bx"));
    assert_false(m("[a-c]x", "dx"));
    assert_true(m("[!a-c]x", "dx"));
    assert_true(m("[^a]", "b"));
    assert_false(m("[^a]", "a"));
    assert_true(m("[]]", "]"));
    assert_true(m("[!]]", "a"));
    assert_true(m("a[", "a[")); /* unclosed: literal */
    assert_true(m("\\*", "*"));
    assert_false(m("\\*", "a"));
    assert_true(m("a**b", "axxb")); /* '**' inside a component is '*' */
    assert_true(m("*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"));
    assert_false(m("*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    assert_true(io_glob_has_magic("a/*.json", 8));
    assert_false(io_glob_has_magic("a/\\*.json", 9));
}

static void test_glob_match_path(void **state) {
    (void)state;
    assert_true(io_glob_match_path("log_data/*/*/*.json", "log_data/2018/11/x.json"));
    assert_false(io_glob_match_path("log_data/*/*.json", "log_data/2018/11/x.json"));
    assert_true(io_glob_match_path("**/x.json", "x.json"));
    assert_true(io_glob_match_path("**/x.json", "a/b/x.json"));
    assert_true(io_glob_match_path("a/**/x.json", "a/x.json"));
    assert_true(io_glob_match_path("a/**", "a/b/c"));
    assert_false(io_glob_match_path("a/**", "a/_b/c"));
    assert_false(io_glob_match_path("**/x.json", "a/.git/x.json"));
    assert_false(io_glob_match_path("a/*", "a/_SUCCESS"));
    assert_true(io_glob_match_path("a/_*", "a/_SUCCESS"));
    /* a match that is a directory takes what is below it, as on disk */
    assert_true(io_glob_match_path("a/b", "a/b/c"));
    assert_true(io_glob_match_path("song_data/*", "song_data/A/B/C/x.json"));
    assert_false(io_glob_match_path("song_data/*", "song_data/A/_tmp/x.json"));
    assert_false(io_glob_match_path("a/b", "a/bc"));
    assert_false(io_glob_match_path("a/b/c", "a/b"));
}

/* Every file under root (hidden ones too), relative, via tu_tree. */
static char **all_files(size_t *n) {
    char *t = tu_tree(root, "");
    size_t cap = 64;
    char **v = sl_malloc(cap * sizeof *v);
    *n = 0;
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
        *strchr(line, '=') = 0;
        if (*n == cap) v = sl_realloc(v, (cap *= 2) * sizeof *v);
        v[(*n)++] = sl_strdup(line);
    }
    free(t);
    return v;
}

/* The disk lister and the key matcher S3 uses agree on every pattern. */
static void test_lister_agrees_with_key_matcher(void **state) {
    (void)state;
    static const char *const pats[] = {
        "*.json",  "?.json",  "[a-c].json",   "[!a].json", "**/*.json",   "a/**",   "sub/**/h.json",
        "_*.json", ".*.json", "_*/*",         "a*/*.json", "s*",          "**",     "a/**/*",
        "*",       "*/*",     "**/[fg].json", "sub/*",     "*/**/*.json", "_dir/*", "sub/.h/*"};
    size_t nall;
    char **all = all_files(&nall);
    assert_true(nall > 15);
    for (size_t k = 0; k < sizeof pats / sizeof *pats; k++) {
        sl_buf want = {0};
        for (size_t i = 0; i < nall; i++)
            if (io_glob_match_path(pats[k], all[i])) sl_buf_printf(&want, "%s\n", all[i]);
        sl_buf_putc(&want, 0);
        if (want.len > 1)
            expect_list(pats[k], (char *)want.data);
        else
            expect_error(pats[k], "no files match");
        sl_buf_free(&want);
    }
    for (size_t i = 0; i < nall; i++) free(all[i]);
    free(all);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_file_and_size),
        cmocka_unit_test(test_dir_recursive_sorted),
        cmocka_unit_test(test_star_question_class),
        cmocka_unit_test(test_double_star),
        cmocka_unit_test(test_hidden_rules),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_symlinks),
        cmocka_unit_test(test_glob_match),
        cmocka_unit_test(test_glob_match_path),
        cmocka_unit_test(test_lister_agrees_with_key_matcher),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
