/* songlake -> PostgreSQL: one transaction replaces the five-table star.
 *
 * Why a staging schema and not TRUNCATE + COPY: the new tables are created
 * empty in a schema of their own inside the transaction, filled by COPY
 * BINARY with FREEZE (no index or foreign-key work per row, no later
 * vacuum), then get their keys (one sort each), foreign keys (one join each)
 * and indexes, are analyzed, and only then replace the old tables (DROP +
 * ALTER TABLE SET SCHEMA, catalog-only). Readers keep querying the old star
 * until the commit; TRUNCATE would lock them out for the whole load. Any
 * failure, or a killed connection, rolls everything back: the old star stays.
 * Only songlake's own tables are replaced (pg_own.c checks, first). */
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lake/lake.h"
#include "sinks/pg_internal.h"
#include "sinks/sinks.h"

#define COPY_CHUNK (1u << 20)
/* seconds; docs/postgres.md */
#define SINK_PG_CONNECT_TIMEOUT "10"

typedef struct loader {
    PGconn *conn;
    const io_config *cfg;
    FILE *progress;
    char *qschema, *qstage;
    bool adopt;
    pgo_plan plan;
    pgl_table lt[5];
    uint64_t *file_row0; /* first row of each file of the table being copied */
    sink_pg_stats st;
    const char *lake_uri;
    uint64_t lake_gen; /* io_lake_generation when the tables were opened */
} loader;

/* libpq messages span lines ("...failed: X\n\tIs the server running..."):
 * one line for the user. */
static void one_line(char *s) {
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '\n' || *r == '\t' || *r == '\r') {
            if (w > s && w[-1] != ' ' && r[1]) *w++ = ' ';
        } else {
            *w++ = *r;
        }
    }
    while (w > s && w[-1] == ' ') w--;
    *w = 0;
}

static void describe_target(PGconn *c, sl_buf *out) {
    const char *h = PQhost(c), *p = PQport(c), *d = PQdb(c), *u = PQuser(c);
    sl_buf_printf(out, "host=%s port=%s dbname=%s user=%s", h && *h ? h : "(default)",
                  p && *p ? p : "(default)", d ? d : "?", u ? u : "?");
}

static void quiet_notice(void *arg, const char *message) {
    (void)arg, (void)message; /* "table ... does not exist, skipping" and the like */
}

static int connect_db(loader *L, const char *dsn, sl_err *err) {
    /* libpq's parse errors quote the whole string, password included: check
     * it first and say what is wrong without echoing it */
    char *perr = NULL;
    /* as libpq: without '=' and not a URI, the string is a database name */
    bool conninfo =
        strchr(dsn, '=') || !strncmp(dsn, "postgresql://", 13) || !strncmp(dsn, "postgres://", 11);
    PQconninfoOption *opts = conninfo ? PQconninfoParse(dsn, &perr) : NULL;
    if (conninfo && !opts) {
        PQfreemem(perr);
        return sl_err_set(
            err, "--dsn is not a valid libpq connection string or URI (its text is not "
                 "shown, it may hold a password); see the PostgreSQL docs, 'Connection Strings'");
    }
    if (opts) PQconninfoFree(opts);
    /* A server that accepts the connection and never answers would hang the
     * load for good: libpq waits forever without connect_timeout. Ours goes
     * before the DSN, whose own connect_timeout then wins (libpq: entries
     * before an expanded dbname are overridden by it); PGCONNECT_TIMEOUT
     * only applies to an option no entry sets, so with it set ours is left
     * out. */
    const char *env = getenv("PGCONNECT_TIMEOUT");
    bool own_timeout = !env || !*env;
    const char *kw[] = {"connect_timeout", "dbname", "fallback_application_name", NULL};
    const char *val[] = {SINK_PG_CONNECT_TIMEOUT, dsn, "songlake", NULL};
    L->conn = PQconnectdbParams(kw + !own_timeout, val + !own_timeout, 1);
    if (L->conn && PQstatus(L->conn) == CONNECTION_OK) {
        PQsetNoticeProcessor(L->conn, quiet_notice, NULL);
        return 0;
    }
    char *msg = sl_strdup(L->conn ? PQerrorMessage(L->conn) : "out of memory");
    one_line(msg);
    sl_buf t = {0};
    if (L->conn) describe_target(L->conn, &t);
    const char *hint = "";
    if (strstr(msg, "password authentication failed") || strstr(msg, "no password supplied"))
        hint = "; check the user and password (PGPASSWORD, ~/.pgpass or the DSN)";
    else if (strstr(msg, "Connection refused") || strstr(msg, "could not connect"))
        hint = "; check host and port, and that the server accepts connections there";
    char tbuf[200];
    if (strstr(msg, "timeout expired")) {
        const char *secs = "?";
        PQconninfoOption *ci = L->conn ? PQconninfo(L->conn) : NULL;
        for (PQconninfoOption *o = ci; o && o->keyword; o++)
            if (!strcmp(o->keyword, "connect_timeout") && o->val) secs = o->val;
        snprintf(tbuf, sizeof tbuf,
                 "; no answer within connect_timeout=%s s%s: check that host and port are a "
                 "PostgreSQL server",
                 secs,
                 own_timeout && !strcmp(secs, SINK_PG_CONNECT_TIMEOUT)
                     ? " (songlake's default; set connect_timeout in the DSN or PGCONNECT_TIMEOUT)"
                     : "");
        PQconninfoFree(ci);
        hint = tbuf;
    }
    sl_buf_putc(&t, 0);
    sl_err_set(err, "cannot connect to PostgreSQL (%s): %s%s", (char *)t.data, msg, hint);
    sl_buf_free(&t);
    free(msg);
    return -1;
}

/* ---- errors from the server ------------------------------------------ */
typedef struct key_hunt {
    const pgs_table *def;
    size_t col;
    const char *value;
    const char *files[2];
    size_t nfound;
    uint64_t row; /* 1-based row in the first file found */
    const pgl_file *cur;
    uint64_t cur_row0; /* table row index of cur's first row */
} key_hunt;

static int hunt_batch(void *ctx, const pgl_batch *b, sl_err *err) {
    (void)err;
    key_hunt *h = ctx;
    if (b->file != h->cur) {
        h->cur = b->file;
        h->cur_row0 = b->first_row;
    }
    sl_buf s = {0};
    for (size_t r = 0; r < b->n && h->nfound < 2; r++) {
        s.len = 0;
        pgc_value_text(&s, h->def, b, h->col, r);
        if (s.len == strlen(h->value) && !memcmp(s.data, h->value, s.len)) {
            if (h->nfound && h->files[h->nfound - 1] == b->file->uri) continue;
            if (!h->nfound) h->row = b->first_row - h->cur_row0 + r + 1;
            h->files[h->nfound++] = b->file->uri;
        }
    }
    sl_buf_free(&s);
    return 0;
}

/* For "Key (col)=(value) ...": the lake files holding that value, so the
 * message names the file as well as table and key. Best effort. */
static void locate_key(loader *L, const char *table, const char *detail, sl_buf *out) {
    const char *k = detail ? strstr(detail, "Key (") : NULL;
    const char *eq = k ? strstr(k, ")=(") : NULL;
    const char *end = eq ? strstr(eq, ") is ") : NULL;
    if (!end) return;
    for (const char *e; (e = strstr(end + 1, ") is ")) != NULL;) end = e;
    const pgs_table *def = NULL;
    size_t t = 0;
    for (; t < 5; t++)
        if (table && !strcmp(table, pgs_table_name(&PGS_TABLES[t]))) {
            def = &PGS_TABLES[t];
            break;
        }
    if (!def) return;
    char *col = sl_strndup(k + 5, (size_t)(eq - k - 5));
    char *value = sl_strndup(eq + 3, (size_t)(end - eq - 3));
    key_hunt h = {.def = def, .value = value};
    bool want[PGS_MAX_COLS] = {0};
    for (h.col = 0; h.col < def->ncols && strcasecmp(def->cols[h.col].name, col); h.col++) {
    }
    if (h.col < def->ncols) {
        want[h.col] = true;
        sl_err ignored;
        pgl_scan(&L->lt[t], want, L->cfg, hunt_batch, &h, &ignored);
        if (h.nfound == 1)
            sl_buf_printf(out, " (row %llu of %s)", (unsigned long long)h.row, h.files[0]);
        if (h.nfound == 2) sl_buf_printf(out, " (in %s and %s)", h.files[0], h.files[1]);
    }
    free(col);
    free(value);
}

/* Maps "COPY t, line N" of a failed COPY to the lake file holding row N. */
static void locate_line(loader *L, const pgl_table *t, const char *context, sl_buf *out) {
    const char *p = context ? strstr(context, ", line ") : NULL;
    if (!p || !L->file_row0) return;
    unsigned long long line = strtoull(p + 7, NULL, 10);
    /* files that produced rows have increasing first rows; the last one
     * starting before the line holds it */
    size_t f = SIZE_MAX;
    for (size_t i = 0; i < t->n; i++)
        if (L->file_row0[i] != UINT64_MAX && L->file_row0[i] < line) f = i;
    if (f != SIZE_MAX)
        sl_buf_printf(out, " (row %llu of %s)", line - (unsigned long long)L->file_row0[f],
                      t->files[f].uri);
}

static int result_error(loader *L, PGresult *res, const char *what, const pgl_table *copying,
                        sl_err *err) {
    if (PQstatus(L->conn) == CONNECTION_BAD) {
        char *m = sl_strdup(PQerrorMessage(L->conn));
        one_line(m);
        sl_err_set(err,
                   "%s: lost the connection to PostgreSQL (%s); the transaction was rolled back, "
                   "the previous tables are unchanged",
                   what, m);
        free(m);
        PQclear(res);
        return -1;
    }
    const char *prim = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
    const char *cons = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
    const char *table = res ? PQresultErrorField(res, PG_DIAG_TABLE_NAME) : NULL;
    const char *ctx = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
    sl_buf m = {0};
    if (cons && table)
        sl_buf_printf(&m, "%s: constraint %s violated: %s", table, cons,
                      detail ? detail
                      : prim ? prim
                             : "?");
    else
        sl_buf_printf(&m, "%s: %s%s%s", what, prim ? prim : PQerrorMessage(L->conn),
                      detail ? ": " : "", detail ? detail : "");
    if (cons && table) locate_key(L, table, detail, &m);
    if (copying) locate_line(L, copying, ctx, &m);
    if (cons && table)
        sl_buf_printf(&m, "; the lake's tables disagree: rebuild it with songlake build");
    else if (detail && strstr(detail, "depends on table"))
        sl_buf_printf(&m,
                      " (the star is replaced by new tables: drop these objects before the load "
                      "and create them again after it, or load into another --schema)");
    else if (hint)
        sl_buf_printf(&m, " (hint: %s)", hint);
    sl_buf_putc(&m, 0);
    one_line((char *)m.data);
    sl_err_set(err, "%s", (char *)m.data);
    sl_buf_free(&m);
    PQclear(res);
    return -1;
}

static int exec(loader *L, const char *sql, const char *what, sl_err *err) {
    PGresult *res = PQexec(L->conn, sql);
    ExecStatusType s = PQresultStatus(res);
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
        PQclear(res);
        return 0;
    }
    return result_error(L, res, what, NULL, err);
}

static int exec_buf(loader *L, sl_buf *sql, const char *what, sl_err *err) {
    sl_buf_putc(sql, 0);
    int rc = exec(L, (const char *)sql->data, what, err);
    sql->len = 0;
    return rc;
}

/* ---- COPY ------------------------------------------------------------ */
typedef struct copy_ctx {
    loader *L;
    const pgl_table *t;
    sl_buf buf;
    const pgl_file *last_file;
} copy_ctx;

static int send(copy_ctx *c, sl_err *err) {
    if (!c->buf.len) return 0;
    if (PQputCopyData(c->L->conn, (const char *)c->buf.data, (int)c->buf.len) != 1) {
        char *m = sl_strdup(PQerrorMessage(c->L->conn));
        one_line(m);
        sl_err_set(
            err, "COPY %s: %s; the transaction was rolled back, the previous tables are unchanged",
            pgs_table_name(c->t->def), m);
        free(m);
        return -1;
    }
    c->buf.len = 0;
    return 0;
}

static int copy_batch(void *ctx, const pgl_batch *b, sl_err *err) {
    copy_ctx *c = ctx;
    if (b->file != c->last_file) {
        c->last_file = b->file;
        c->L->file_row0[b->file - c->t->files] = b->first_row;
    }
    for (size_t r = 0; r < b->n;) {
        size_t to = r + 4096 < b->n ? r + 4096 : b->n;
        if (pgc_encode(&c->buf, c->t->def, b, r, to, err) < 0) return -1;
        if (c->buf.len >= COPY_CHUNK && send(c, err) < 0) return -1;
        r = to;
    }
    return 0;
}

static int copy_table(loader *L, size_t ti, sl_err *err) {
    const pgl_table *t = &L->lt[ti];
    const char *name = pgs_table_name(t->def);
    sl_buf sql = {0};
    pgs_create_sql(&sql, t->def, L->qstage);
    if (exec_buf(L, &sql, name, err) < 0) return sl_buf_free(&sql), -1;
    /* the mark travels with the table through SET SCHEMA */
    pgo_mark_sql(&sql, t->def, L->qstage);
    if (exec_buf(L, &sql, name, err) < 0) return sl_buf_free(&sql), -1;
    sl_buf_printf(&sql, "COPY %s.%s FROM STDIN (FORMAT binary, FREEZE)", L->qstage, name);
    sl_buf_putc(&sql, 0);
    PGresult *res = PQexec(L->conn, (const char *)sql.data);
    sl_buf_free(&sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) return result_error(L, res, name, NULL, err);
    PQclear(res);

    free(L->file_row0);
    L->file_row0 = sl_calloc(t->n + 1, sizeof *L->file_row0);
    for (size_t f = 0; f <= t->n; f++) L->file_row0[f] = UINT64_MAX;
    copy_ctx c = {.L = L, .t = t};
    pgc_header(&c.buf);
    int rc = pgl_scan(t, NULL, L->cfg, copy_batch, &c, err);
    if (rc == 0) {
        pgc_trailer(&c.buf);
        rc = send(&c, err);
    }
    sl_buf_free(&c.buf);
    /* a lake-side failure aborts the COPY; the server's verdict follows */
    if (PQputCopyEnd(L->conn, rc == 0 ? NULL : "songlake: load aborted") != 1 && rc == 0) {
        return result_error(L, NULL, name, t, err);
    }
    while ((res = PQgetResult(L->conn)) != NULL) {
        if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK) {
            result_error(L, res, name, t, err);
            rc = -1;
            continue;
        }
        if (rc == 0) L->st.rows[t->def->lake_id] = strtoull(PQcmdTuples(res), NULL, 10);
        PQclear(res);
    }
    return rc;
}

static void test_pause(void) {
    const char *s = getenv("SONGLAKE_PG_TEST_PAUSE_MS");
    long ms = s ? strtol(s, NULL, 10) : 0;
    if (ms <= 0) return;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static char *quote_ident(PGconn *c, const char *s) {
    char *q = PQescapeIdentifier(c, s, strlen(s));
    char *r = sl_strdup(q ? q : "\"?\"");
    PQfreemem(q);
    return r;
}

/* ---- the transaction ------------------------------------------------- */
static int load_tx(loader *L, const char *schema, sl_err *err) {
    sl_buf sql = {0};
    int rc = -1;
    if (exec(L, "BEGIN", "BEGIN", err) < 0) goto out;
    /* text forms in error details match pgc_value_text */
    if (exec(L,
             "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; "
             "SET LOCAL maintenance_work_mem = '256MB'",
             "settings", err) < 0)
        goto out;
    /* one load per target schema at a time */
    {
        const char *p[1] = {schema};
        PGresult *res =
            PQexecParams(L->conn, "SELECT pg_advisory_xact_lock(hashtext('songlake load ' || $1))",
                         1, NULL, p, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) return result_error(L, res, "lock", NULL, err);
        PQclear(res);
        res = PQexecParams(L->conn, "SELECT 1 FROM pg_namespace WHERE nspname = $1", 1, NULL, p,
                           NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
            return result_error(L, res, "schema", NULL, err);
        bool have = PQntuples(res) > 0;
        PQclear(res);
        /* before anything changes: only songlake's own tables are replaced */
        if (have && pgo_check(L->conn, schema, L->adopt, &L->plan, err) < 0) goto out;
        if (!have) {
            sl_buf_printf(&sql, "CREATE SCHEMA %s", L->qschema);
            if (exec_buf(L, &sql, "creating the schema", err) < 0) goto out;
        }
    }
    {
        char stage[64];
        snprintf(stage, sizeof stage, "songlake_stage_%d", PQbackendPID(L->conn));
        L->qstage = quote_ident(L->conn, stage);
        sl_buf_printf(&sql, "CREATE SCHEMA %s", L->qstage);
        if (exec_buf(L, &sql, "creating the staging schema", err) < 0) goto out;
    }
    for (size_t t = 0; t < 5; t++) {
        double t0 = sl_now();
        if (copy_table(L, t, err) < 0) goto out;
        /* statistics before the keys: validating a foreign key is a join the
         * planner plans better knowing the tables (and ANALYZE needs no index) */
        sl_buf_printf(&sql, "ANALYZE %s.%s", L->qstage, pgs_table_name(&PGS_TABLES[t]));
        if (exec_buf(L, &sql, "ANALYZE", err) < 0) goto out;
        if (L->progress) {
            fprintf(L->progress, "  copied %-9s %12llu rows  %7.2f s (with ANALYZE)\n",
                    pgs_table_name(&PGS_TABLES[t]),
                    (unsigned long long)L->st.rows[PGS_TABLES[t].lake_id], sl_now() - t0);
            fflush(L->progress);
        }
        test_pause();
    }
    double t0 = sl_now();
    for (const char *const *s = PGS_AFTER_LOAD; *s; s++) {
        pgs_subst(&sql, *s, L->qstage);
        if (exec_buf(L, &sql, "adding keys and indexes", err) < 0) goto out;
    }
    if (L->progress)
        fprintf(L->progress, "  keys, foreign keys, indexes          %7.2f s\n", sl_now() - t0);
    /* only the tables pgo_check found to be songlake's (and locked), and
     * RESTRICT: a dependant created since makes this fail, not vanish */
    for (size_t t = 0; t < 5; t++) {
        if (!L->plan.replace[t]) continue;
        sl_buf_printf(&sql, "%s%s.%s", sql.len ? ", " : "DROP TABLE ", L->qschema,
                      pgs_table_name(&PGS_TABLES[t]));
        if (L->progress && L->plan.adopted[t])
            fprintf(L->progress, "  adopted %s (no songlake mark, songlake's columns: --adopt)\n",
                    pgs_table_name(&PGS_TABLES[t]));
    }
    if (sql.len) {
        sl_buf_printf(&sql, " RESTRICT");
        if (exec_buf(L, &sql, "replacing the previous tables", err) < 0) goto out;
    }
    for (size_t t = 0; t < 5; t++) {
        sl_buf_printf(&sql, "ALTER TABLE %s.%s SET SCHEMA %s", L->qstage,
                      pgs_table_name(&PGS_TABLES[t]), L->qschema);
        if (exec_buf(L, &sql, "moving the new tables in place", err) < 0) goto out;
    }
    sl_buf_printf(&sql, "DROP SCHEMA %s", L->qstage);
    if (exec_buf(L, &sql, "dropping the staging schema", err) < 0) goto out;
    /* one run's star only: a build that published while we read would
     * have mixed two runs' files into this load */
    if (io_lake_generation(L->lake_uri, L->cfg) != L->lake_gen) {
        sl_err_set(err, "%s was published again while it was being loaded; run load-postgres again",
                   L->lake_uri);
        goto out;
    }
    if (exec(L, "COMMIT", "COMMIT", err) < 0) goto out;
    rc = 0;
out:
    sl_buf_free(&sql);
    return rc;
}

int sink_pg_load(const char *lake_uri, const char *dsn, const char *schema, const io_config *cfg,
                 FILE *progress, sink_pg_stats *stats, sl_err *err) {
    return sink_pg_load_opts(lake_uri, dsn, schema, NULL, cfg, progress, stats, err);
}

int sink_pg_load_opts(const char *lake_uri, const char *dsn, const char *schema,
                      const sink_pg_options *opts, const io_config *cfg, FILE *progress,
                      sink_pg_stats *stats, sl_err *err) {
    loader L;
    memset(&L, 0, sizeof L);
    L.adopt = opts && opts->adopt;
    L.cfg = cfg;
    L.progress = progress;
    if (!schema || !*schema) schema = "public";
    double t0 = sl_now();
    int rc = -1;
    size_t opened = 0;
    /* the lake first: a missing table needs no database to report. What a
     * killed build left is completed first (io_lake_recover). */
    L.lake_uri = lake_uri;
    if (io_lake_recover(lake_uri, cfg, err) < 0) goto out;
    L.lake_gen = io_lake_generation(lake_uri, cfg);
    for (; opened < 5; opened++)
        if (pgl_open(lake_uri, &PGS_TABLES[opened], cfg, &L.lt[opened], err) < 0) goto out;
    if (connect_db(&L, dsn, err) < 0) goto out;
    L.qschema = quote_ident(L.conn, schema);
    if (progress) {
        sl_buf t = {0};
        describe_target(L.conn, &t);
        sl_buf_putc(&t, 0);
        fprintf(progress, "songlake: loading %s into PostgreSQL %s schema %s\n", lake_uri,
                (char *)t.data, schema);
        sl_buf_free(&t);
    }
    if (load_tx(&L, schema, err) < 0) {
        if (PQstatus(L.conn) == CONNECTION_OK) PQclear(PQexec(L.conn, "ROLLBACK"));
        /* files that changed under the load: say why */
        if (err && io_lake_generation(lake_uri, cfg) != L.lake_gen)
            sl_err_set(err,
                       "%s was published again while it was being loaded; run load-postgres "
                       "again",
                       lake_uri);
        if (err && !strstr(err->msg, "unchanged")) {
            size_t n = strlen(err->msg);
            snprintf(err->msg + n, sizeof err->msg - n, " (rolled back: PostgreSQL is unchanged)");
        }
        goto out;
    }
    L.st.seconds = sl_now() - t0;
    for (int t = 0; t < 5; t++) L.st.total_rows += L.st.rows[t];
    if (progress) {
        fprintf(progress, "loaded %llu rows in %.2f s (%.0f rows/s):\n",
                (unsigned long long)L.st.total_rows, L.st.seconds,
                L.st.seconds > 0 ? (double)L.st.total_rows / L.st.seconds : 0.0);
        for (int t = 0; t < 5; t++)
            fprintf(progress, "  %-9s %12llu rows\n", lake_table_name(t),
                    (unsigned long long)L.st.rows[t]);
    }
    if (stats) *stats = L.st;
    rc = 0;
out:
    for (size_t t = 0; t < opened; t++) pgl_free(&L.lt[t]);
    free(L.file_row0);
    free(L.qschema);
    free(L.qstage);
    if (L.conn) PQfinish(L.conn);
    return rc;
}
