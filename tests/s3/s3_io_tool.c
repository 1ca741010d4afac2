/* s3_io_tool: drives io.h directly (any backend, chosen by URI) so the S3
 * integration tests can exercise listing, batch reading and the publish
 * protocol without the whole `songlake build` pipeline.
 *   list URI                     print "size<TAB>uri" per input file
 *   fetch URI DESTDIR            list, batch-read (lookahead 8) and write
 *                                each file under DESTDIR/<path below URI>
 *   cat URI                      io_read_all to stdout
 *   publish OUT TABLE SRCDIR RUN [fail]
 *                                open store OUT with run id RUN, cleanup,
 *                                stage TABLE, upload SRCDIR's files (sorted,
 *                                written in 100 KiB chunks), then commit
 *                                (manifest = final names) or abort ("fail")
 *                                and print each final name. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/io.h"

static int die(const sl_err *e) {
    fprintf(stderr, "s3_io_tool: error: %s\n", e->msg);
    return 1;
}

static void walk(const char *root, const char *rel, sl_vec *out) {
    char *path = rel[0] ? sl_sprintf("%s/%s", root, rel) : sl_strdup(root);
    DIR *d = opendir(path);
    if (!d) {
        *(char **)sl_vec_push(out) = sl_strdup(rel);
        free(path);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char *r = rel[0] ? sl_sprintf("%s/%s", rel, de->d_name) : sl_strdup(de->d_name);
        walk(root, r, out);
        free(r);
    }
    closedir(d);
    free(path);
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void mkdirs(char *p) {
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = 0;
        mkdir(p, 0777);
        *s = '/';
    }
}

static int fetch(const char *uri, const char *dest, const io_config *cfg) {
    sl_err e = {{0}};
    io_list l;
    if (io_list_inputs(uri, cfg, &l, &e) < 0) return die(&e);
    io_batch_reader *br = io_batch_open(&l, cfg, 8, &e);
    if (!br) return die(&e);
    size_t ul = strlen(uri);
    while (ul && uri[ul - 1] == '/') ul--;
    int rc = 0;
    sl_buf b = {0};
    for (size_t i = 0; i < l.n && !rc; i++) {
        if (io_batch_get(br, i, &b, &e) < 0) {
            rc = die(&e);
            break;
        }
        const char *rel = l.files[i].uri + ul;
        while (*rel == '/') rel++;
        char *p = sl_sprintf("%s/%s", dest, rel);
        mkdirs(p);
        FILE *f = fopen(p, "wb");
        if (!f || fwrite(b.data, 1, b.len, f) != b.len) rc = 1;
        if (f) fclose(f);
        free(p);
    }
    printf("%zu files\n", l.n);
    sl_buf_free(&b);
    io_batch_close(br);
    io_list_free(&l);
    return rc;
}

static int publish(const char *out, const char *table, const char *src, const char *run, bool fail,
                   const io_config *cfg) {
    sl_err e = {{0}};
    io_store *s = io_store_open(out, cfg, run, &e);
    if (!s) return die(&e);
    if (io_store_cleanup(s, &e) < 0) {
        io_store_close(s);
        return die(&e);
    }
    io_stage *st = io_stage_begin(s, table, &e);
    int rc = st ? 0 : die(&e);
    sl_vec files;
    sl_vec_init(&files, sizeof(char *));
    walk(src, "", &files);
    qsort(files.data, files.len, sizeof(char *), cmp);
    sl_buf man = {0};
    sl_buf_printf(&man, "{\"table\":\"%s\",\"files\":[", table);
    for (size_t i = 0; i < files.len && !rc; i++) {
        const char *rel = SL_VEC_AT(&files, char *, i);
        char *p = sl_sprintf("%s/%s", src, rel);
        sl_buf data = {0};
        if (sl_read_file(p, &data, &e) < 0) rc = die(&e);
        free(p);
        io_writer *w = rc ? NULL : io_stage_create(st, rel, &e);
        if (!rc && !w) rc = die(&e);
        for (size_t off = 0; !rc && off < data.len; off += 100 << 10) {
            size_t n = data.len - off < (100 << 10) ? data.len - off : (100 << 10);
            if (io_writer_write(w, data.data + off, n, &e) < 0) {
                io_writer_abort(w);
                w = NULL;
                rc = die(&e);
            }
        }
        if (w) {
            char *name = sl_strdup(io_writer_name(w));
            uint64_t bytes = 0;
            if (io_writer_close(w, &bytes, &e) < 0)
                rc = die(&e);
            else {
                printf("%s\n", name);
                sl_buf_printf(&man, "%s{\"path\":\"%s\",\"bytes\":%llu}", i ? "," : "", name,
                              (unsigned long long)bytes);
            }
            free(name);
        }
        sl_buf_free(&data);
    }
    sl_buf_printf(&man, "]}");
    if (st) {
        if (rc || fail)
            io_stage_abort(st);
        else if (io_stage_commit(st, man.data, man.len, &e) < 0)
            rc = die(&e);
    }
    for (size_t i = 0; i < files.len; i++) free(SL_VEC_AT(&files, char *, i));
    sl_vec_free(&files);
    sl_buf_free(&man);
    io_store_close(s);
    return rc ? rc : fail ? 3 : 0;
}

int main(int argc, char **argv) {
    io_config cfg = {0};
    cfg.config_file = getenv("S3_TOOL_CONFIG");
    cfg.profile = getenv("S3_TOOL_PROFILE");
    if (getenv("S3_TOOL_NO_SIGN")) cfg.no_sign_request = true;
    sl_err e = {{0}};
    if (argc >= 3 && !strcmp(argv[1], "list")) {
        io_list l;
        if (io_list_inputs(argv[2], &cfg, &l, &e) < 0) return die(&e);
        for (size_t i = 0; i < l.n; i++)
            printf("%llu\t%s\n", (unsigned long long)l.files[i].size, l.files[i].uri);
        io_list_free(&l);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "cat")) {
        sl_buf b = {0};
        if (io_read_all(argv[2], &cfg, &b, &e) < 0) return die(&e);
        fwrite(b.data, 1, b.len, stdout);
        sl_buf_free(&b);
        return 0;
    }
    if (argc >= 4 && !strcmp(argv[1], "fetch")) return fetch(argv[2], argv[3], &cfg);
    if (argc >= 6 && !strcmp(argv[1], "publish"))
        return publish(argv[2], argv[3], argv[4], argv[5], argc > 6 && !strcmp(argv[6], "fail"),
                       &cfg);
    fprintf(stderr, "usage: s3_io_tool list|cat|fetch|publish ...\n");
    return 2;
}
