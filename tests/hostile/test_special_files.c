/* Only regular files are read (issue 16): an input listed as a regular file
 * and then replaced by a FIFO, or by a symlink to /dev/zero, before it is
 * read is refused at once by every way io reads inputs (whole, mapped,
 * streamed), on the opened descriptor. alarm() turns a hang into a failure
 * (a FIFO opened without O_NONBLOCK would wait for a writer forever). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "io/io.h"

static char dir[256];

static void put(const char *name, const char *text) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Lists dir (two regular files), then swaps each for `how`. */
static void swap_all(io_list *l, const char *how) {
    sl_err err = {0};
    assert_int_equal(io_list_inputs(dir, NULL, l, &err), 0);
    assert_int_equal(l->n, 2);
    for (size_t i = 0; i < l->n; i++) {
        unlink(l->files[i].uri);
        if (!strcmp(how, "fifo"))
            assert_int_equal(mkfifo(l->files[i].uri, 0644), 0);
        else
            assert_int_equal(symlink("/dev/zero", l->files[i].uri), 0);
    }
}

static void check(const char *how, const char *what) {
    snprintf(dir, sizeof dir, "/tmp/songlake-special-XXXXXX");
    assert_non_null(mkdtemp(dir));
    put("a.json", "{\"a\":1}\n");
    put("b.json.gz", "not read");
    io_list l;
    swap_all(&l, how);
    alarm(20);
    io_batch_reader *br = io_batch_open(&l, NULL, 2, &(sl_err){0});
    assert_non_null(br);
    for (size_t i = 0; i < l.n; i++) {
        sl_err err = {0};
        sl_buf b = {0};
        assert_int_equal(io_batch_get(br, i, &b, &err), -1);
        assert_non_null(strstr(err.msg, what));
        assert_non_null(strstr(err.msg, l.files[i].uri));
        const uint8_t *d;
        size_t n;
        err = (sl_err){0};
        int m = io_batch_map(br, i, 0, &d, &n, &err);
        if (i == 0) { /* the .json: mapped when regular */
            assert_int_equal(m, -1);
            assert_non_null(strstr(err.msg, what));
        } else { /* the .gz: streamed */
            io_stream *s = NULL;
            err = (sl_err){0};
            assert_int_equal(io_batch_stream(br, i, &s, &err), -1);
            assert_non_null(strstr(err.msg, what));
        }
        sl_buf_free(&b);
    }
    alarm(0);
    io_batch_close(br);
    for (size_t i = 0; i < l.n; i++) unlink(l.files[i].uri);
    io_list_free(&l);
    rmdir(dir);
}

static void t_fifo(void **state) {
    (void)state;
    check("fifo", "not a regular file (a FIFO)");
}

static void t_dev_zero(void **state) {
    (void)state;
    check("zero", "not a regular file (a character device)");
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(t_fifo), cmocka_unit_test(t_dev_zero)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
