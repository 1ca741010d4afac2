/* io internals shared by io.c, the local backend and (if it wants them) the
 * S3 backend: glob matching, the "hidden name" rule, list sorting, and
 * decompression. Private to io/. */
#ifndef SONGLAKE_IO_INTERNAL_H
#define SONGLAKE_IO_INTERNAL_H

#include "io/io.h"

/* ---- glob (glob.c) ---------------------------------------------------- */
/* True when s holds an unescaped glob metacharacter (* ? [). */
bool io_glob_has_magic(const char *s, size_t n);
/* Matches one path component (no '/') against one pattern component:
 * '*' any run, '?' one byte, '[...]' a set with ranges and '!'/'^'
 * negation, '\' escapes the next byte. A '**' inside a component acts as
 * '*'. Bytes, not characters: UTF-8 names match byte by byte. */
bool io_glob_match(const char *pat, size_t plen, const char *name, size_t nlen);
/* Matches a '/'-separated path against a '/'-separated pattern where a
 * component that is exactly '**' matches zero or more components. Hidden
 * components (io_name_hidden) are matched by a wildcard only when the
 * pattern component starts with the same literal '.' or '_'; '**' never
 * crosses a hidden component. A pattern that matches a leading part of
 * the path matches it too (a matched directory is read recursively), unless
 * a later component is hidden. For backends that list keys (S3). */
bool io_glob_match_path(const char *pat, const char *path);
/* Names starting with '.' or '_' are not inputs (Spark/Hadoop convention:
 * _SUCCESS, _temporary, .crc files). */
bool io_name_hidden(const char *name, size_t n);

/* ---- lists (io.c) ----------------------------------------------------- */
/* Sorts bytewise by uri (strcmp) and drops duplicate uris. */
void io_list_sort_unique(io_list *l);

/* ---- local backend pieces (local_list.c) ------------------------------ */
int io_local_list(const char *uri, const io_config *cfg, io_list *out, sl_err *err);
/* Test seams of the local publish protocol (local.c). The hook, when set,
 * is called at each step of a commit ("success" after _SUCCESS is durable,
 * "aside" after the rename fallback moved the live table aside, "swapped"
 * after the new table is live, "done" after the old one is deleted) so a
 * test can SIGKILL itself there. io_local_no_exchange forces the fallback
 * used where RENAME_EXCHANGE is unsupported. Never set in production. */
extern void (*io_local_commit_hook)(const char *point, const char *table);
extern bool io_local_no_exchange;
/* io_lake_recover for a local lake. */
int io_local_recover(const char *root, sl_err *err);
uint64_t io_local_generation(const char *root);

/* ---- local files (io.c) ------------------------------------------------ */
enum { IO_ABSENT = -2 };
/* Opens a local file for reading without blocking and checks on the opened
 * descriptor that it is a regular file: the fd, IO_ABSENT (ENOENT, err
 * untouched) or -1 with err saying what it is ("not a regular file (a
 * FIFO)"). */
int io_open_regular(const char *path, sl_err *err);

/* ---- decompression (decompress.c) ------------------------------------ */
/* Largest decompressed size accepted for one file (default 64 GiB); a file
 * that inflates past it is an error, not an out-of-memory abort. */
void io_set_max_decompressed(uint64_t bytes);
uint64_t io_max_decompressed(void);
/* A compressed file (.gz or .zst by name) as a stream of decompressed bytes;
 * takes fd (closed by io_stream_close). io.h declares the reading calls. */
io_stream *io_stream_open(int fd, const char *name, sl_err *err);

#endif
