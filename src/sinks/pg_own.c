/* Which tables in the target schema songlake may replace: only its own.
 *
 * The mark is a comment on each table, 'songlake star table: <name>', set
 * on the new tables inside the load's transaction. Why a comment and not a
 * catalog table of songlake's in the schema: a comment belongs to the table
 * itself, so it is created, moved (SET SCHEMA), dumped, restored and dropped
 * with it, atomically; there is no second object to keep in step, nothing
 * stale when a user drops songlake's table and creates one of their own by
 * that name (the new table has no comment), and no OIDs to remember (they
 * change across pg_dump / restore). It names the table, so a songlake table
 * renamed to another star name is not mistaken for that one.
 *
 * Before anything changes, inside the transaction, each star name in the
 * schema is absent, or a plain table with songlake's mark (or, with
 * --adopt, without a mark but with exactly the columns songlake creates:
 * a star loaded by a songlake older than the mark). Anything else by that
 * name, and any object that depends on a table to be replaced and that
 * songlake did not create (a view, a foreign key from another table, an
 * index, a trigger, an inheriting table ...), stops the load with one line
 * naming it; the old tables are dropped without CASCADE, so a dependant
 * that appears after the check makes the DROP fail (and roll back) instead
 * of vanishing. The tables to be replaced are locked (ACCESS SHARE, as a
 * reader would) before they are examined, so nobody can drop and replace
 * one by a foreign table between the check and the swap. */
#include <stdlib.h>
#include <string.h>

#include "sinks/pg_internal.h"

#define MARK_PREFIX "songlake star table: "
#define HINT "drop it or load into another schema with --schema"

/* The names songlake's objects take in the schema, from PGS_AFTER_LOAD:
 * relations (primary-key indexes and plain indexes, which move with their
 * tables and would collide with another relation of that name) and
 * constraints. As PostgreSQL array literals. */
static void own_names(sl_buf *rels, sl_buf *cons) {
    sl_buf_putc(rels, '{');
    sl_buf_putc(cons, '{');
    for (const char *const *s = PGS_AFTER_LOAD; *s; s++) {
        const char *p = strstr(*s, "ADD CONSTRAINT ");
        bool is_rel = false;
        if (p) {
            p += strlen("ADD CONSTRAINT ");
            is_rel = strstr(*s, "PRIMARY KEY") != NULL;
        } else if (!strncmp(*s, "CREATE INDEX ", 13)) {
            p = *s + 13;
            is_rel = true;
        } else {
            continue;
        }
        size_t n = strcspn(p, " ");
        if (cons->len > 1) sl_buf_putc(cons, ',');
        sl_buf_append(cons, p, n);
        if (is_rel) {
            if (rels->len > 1) sl_buf_putc(rels, ',');
            sl_buf_append(rels, p, n);
        }
    }
    sl_buf_putc(rels, '}');
    sl_buf_putc(rels, 0);
    sl_buf_putc(cons, '}');
    sl_buf_putc(cons, 0);
}

static const char *relkind_word(char k) {
    switch (k) {
    case 'r': return "table";
    case 'p': return "partitioned table";
    case 'v': return "view";
    case 'm': return "materialized view";
    case 'f': return "foreign table";
    case 'i':
    case 'I': return "index";
    case 'S': return "sequence";
    case 'c': return "composite type";
    default: return "relation";
    }
}

/* format_type()'s spelling of a pgs_type */
static const char *type_name(pgs_type t) {
    return t == PGS_TIMESTAMPTZ ? "timestamp with time zone" : pgs_type_sql(t);
}

static void lower(char *s) {
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a');
}

static int query_error(PGconn *c, PGresult *res, const char *what, sl_err *err) {
    const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char *msg = sl_strdup(m ? m : PQerrorMessage(c));
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\t') *p = ' ';
    sl_err_set(err, "checking the target schema (%s): %s", what, msg);
    free(msg);
    PQclear(res);
    return -1;
}

static PGresult *query(PGconn *c, const char *sql, int n, const char *const *p, const char *what,
                       sl_err *err) {
    PGresult *res = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
    ExecStatusType s = PQresultStatus(res);
    if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK) return res;
    query_error(c, res, what, err);
    return NULL;
}

static bool is_marked(const char *comment, const char *name) {
    return !strncmp(comment, MARK_PREFIX, strlen(MARK_PREFIX)) &&
           !strcmp(comment + strlen(MARK_PREFIX), name);
}

static int star_index(const char *name) {
    for (int t = 0; t < 5; t++)
        if (!strcmp(name, pgs_table_name(&PGS_TABLES[t]))) return t;
    return -1;
}

/* The relations of the schema that bear a star name or one of songlake's
 * index names: relname, relkind, oid, comment, the table of an index. */
static PGresult *find_rels(PGconn *c, const char *schema, const char *names, sl_err *err) {
    const char *p[2] = {schema, names};
    return query(c,
                 "SELECT c.relname, c.relkind, c.oid, coalesce(obj_description(c.oid, 'pg_class'), "
                 "''), coalesce((SELECT i.indrelid::text FROM pg_index i WHERE i.indexrelid = "
                 "c.oid), '') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE n.nspname = $1 AND c.relname = ANY ($2::text[]) ORDER BY c.relname",
                 2, p, "relations", err);
}

/* Are the table's columns (name, type, NOT NULL, in order) exactly those
 * pgs_create_sql makes? Sets *extra to the first column it does not make
 * (or "" when all are songlake's). */
static int columns_of(PGconn *c, const char *oid, const pgs_table *def, bool *exact, char *extra,
                      size_t extra_size, sl_err *err) {
    const char *p[1] = {oid};
    PGresult *res = query(c,
                          "SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM "
                          "pg_attribute WHERE attrelid = $1::oid AND attnum > 0 AND NOT "
                          "attisdropped ORDER BY attnum",
                          1, p, "columns", err);
    if (!res) return -1;
    int n = PQntuples(res);
    *exact = (size_t)n == def->ncols;
    *extra = 0;
    for (int r = 0; r < n; r++) {
        const char *name = PQgetvalue(res, r, 0);
        bool known = false;
        for (size_t k = 0; k < def->ncols; k++) {
            char want[64];
            snprintf(want, sizeof want, "%s", def->cols[k].name);
            lower(want);
            if (strcmp(name, want)) continue;
            known = true;
            if ((size_t)r != k || strcmp(PQgetvalue(res, r, 1), type_name(def->cols[k].type)) ||
                (PQgetvalue(res, r, 2)[0] == 't') != def->cols[k].not_null)
                *exact = false;
        }
        if (!known) {
            *exact = false;
            if (!*extra) snprintf(extra, extra_size, "%s", name);
        }
    }
    PQclear(res);
    return 0;
}

int pgo_check(PGconn *c, const char *schema, bool adopt, pgo_plan *plan, sl_err *err) {
    memset(plan, 0, sizeof *plan);
    sl_buf rels = {0}, cons = {0}, names = {0}, oids = {0};
    own_names(&rels, &cons);
    /* star names first, in the order a user reads them in SPEC.md */
    static const char *const ORDER[5] = {"songplays", "users", "songs", "artists", "time"};
    sl_buf_putc(&names, '{');
    for (int t = 0; t < 5; t++) sl_buf_printf(&names, "%s,", ORDER[t]);
    sl_buf_append(&names, rels.data + 1, rels.len - 1); /* "a,b}\0" */
    int rc = -1;
    PGresult *res = NULL;

    /* lock what may be replaced, then look again: the lock holds the names.
     * Only those (a foreign table may not even be readable by this role) */
    if (!(res = find_rels(c, schema, (const char *)names.data, err))) goto out;
    for (int r = 0; r < PQntuples(res); r++) {
        const char *name = PQgetvalue(res, r, 0);
        int t = star_index(name);
        if (t < 0 || PQgetvalue(res, r, 1)[0] != 'r') continue;
        if (!is_marked(PQgetvalue(res, r, 3), name)) {
            bool exact;
            char extra[64];
            if (!adopt) continue;
            if (columns_of(c, PQgetvalue(res, r, 2), &PGS_TABLES[t], &exact, extra, sizeof extra,
                           err) < 0)
                goto out;
            if (!exact) continue;
        }
        char *qs = PQescapeIdentifier(c, schema, strlen(schema));
        sl_buf sql = {0};
        sl_buf_printf(&sql, "LOCK TABLE ONLY %s.%s IN ACCESS SHARE MODE", qs ? qs : "?", name);
        sl_buf_putc(&sql, 0);
        PQfreemem(qs);
        PGresult *l = query(c, (const char *)sql.data, 0, NULL, "lock", err);
        sl_buf_free(&sql);
        if (!l) goto out;
        PQclear(l);
    }
    PQclear(res);
    if (!(res = find_rels(c, schema, (const char *)names.data, err))) goto out;

    char oid_of[5][24] = {{0}};
    for (int o = 0; o < 5; o++) {
        for (int r = 0; r < PQntuples(res); r++) {
            const char *name = PQgetvalue(res, r, 0);
            if (strcmp(name, ORDER[o])) continue;
            int t = star_index(name);
            char kind = PQgetvalue(res, r, 1)[0];
            const char *oid = PQgetvalue(res, r, 2), *comment = PQgetvalue(res, r, 3);
            if (kind != 'r') {
                sl_err_set(err, "%s %s.%s exists and was not created by songlake; " HINT,
                           relkind_word(kind), schema, name);
                goto out;
            }
            bool marked = is_marked(comment, name);
            bool exact;
            char extra[64];
            if (columns_of(c, oid, &PGS_TABLES[t], &exact, extra, sizeof extra, err) < 0) goto out;
            if (marked && *extra) {
                sl_err_set(err,
                           "table %s.%s was loaded by songlake but has a column songlake did not "
                           "make (%s): its values would be lost; drop the column, or the table, "
                           "or load into another schema with --schema",
                           schema, name, extra);
                goto out;
            }
            if (!marked && !(adopt && exact)) {
                sl_err_set(err, "table %s.%s exists and was not created by songlake%s; " HINT,
                           schema, name,
                           exact ? " (it has the columns of songlake's star: if an older "
                                   "songlake loaded it, run the load again with --adopt)"
                                 : "");
                goto out;
            }
            plan->replace[t] = true;
            plan->adopted[t] = !marked;
            snprintf(oid_of[t], sizeof oid_of[t], "%s", oid);
        }
    }
    /* another relation holding the name of one of songlake's indexes */
    for (int r = 0; r < PQntuples(res); r++) {
        const char *name = PQgetvalue(res, r, 0);
        if (star_index(name) >= 0) continue;
        const char *of = PQgetvalue(res, r, 4);
        bool own = false;
        for (int t = 0; t < 5; t++) own |= plan->replace[t] && !strcmp(of, oid_of[t]);
        if (own) continue;
        sl_err_set(err,
                   "%s %s.%s exists and was not created by songlake (songlake's star needs the "
                   "name for an index); drop or rename it, or load into another schema with "
                   "--schema",
                   relkind_word(PQgetvalue(res, r, 1)[0]), schema, name);
        goto out;
    }
    PQclear(res);
    res = NULL;

    /* a type (enum, domain, ...) by a star name: the table's row type needs it */
    {
        const char *p[2] = {schema, "{songplays,users,songs,artists,time}"};
        if (!(res = query(c,
                          "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = "
                          "t.typnamespace WHERE n.nspname = $1 AND t.typname = ANY ($2::text[]) "
                          "AND t.typrelid = 0 ORDER BY 1",
                          2, p, "types", err)))
            goto out;
        if (PQntuples(res)) {
            sl_err_set(err,
                       "type %s.%s exists and was not created by songlake (a table needs the "
                       "name for its row type); " HINT,
                       schema, PQgetvalue(res, 0, 0));
            goto out;
        }
        PQclear(res);
        res = NULL;
    }

    /* dependants of the tables to be replaced that songlake did not make */
    sl_buf_putc(&oids, '{');
    for (int t = 0; t < 5; t++)
        if (plan->replace[t]) sl_buf_printf(&oids, "%s%s", oids.len > 1 ? "," : "", oid_of[t]);
    sl_buf_putc(&oids, '}');
    sl_buf_putc(&oids, 0);
    if (oids.len > 3) {
        const char *p[3] = {(const char *)oids.data, (const char *)cons.data,
                            (const char *)rels.data};
        if (!(res = query(
                  c,
                  "SELECT coalesce((SELECT CASE v.relkind WHEN 'm' THEN 'materialized view ' "
                  "ELSE 'view ' END || vn.nspname || '.' || v.relname FROM pg_rewrite rw JOIN "
                  "pg_class v ON v.oid = rw.ev_class JOIN pg_namespace vn ON vn.oid = "
                  "v.relnamespace WHERE d.classid = 'pg_rewrite'::regclass AND rw.oid = d.objid "
                  "AND rw.rulename = '_RETURN'), pg_describe_object(d.classid, d.objid, "
                  "d.objsubid)), coalesce(t.relname, tt.relname) "
                  "FROM pg_depend d "
                  "LEFT JOIN pg_class t ON d.refclassid = 'pg_class'::regclass AND t.oid = "
                  "d.refobjid "
                  "LEFT JOIN pg_class tt ON d.refclassid = 'pg_type'::regclass AND tt.reltype = "
                  "d.refobjid AND tt.oid = ANY ($1::oid[]) "
                  "WHERE d.deptype IN ('n', 'a') AND (t.oid = ANY ($1::oid[]) OR tt.oid IS NOT "
                  "NULL) "
                  "AND NOT (d.classid = 'pg_constraint'::regclass AND EXISTS (SELECT 1 FROM "
                  "pg_constraint k WHERE k.oid = d.objid AND k.conrelid = ANY ($1::oid[]) AND "
                  "k.conname = ANY ($2::text[]))) "
                  "AND NOT (d.classid = 'pg_class'::regclass AND EXISTS (SELECT 1 FROM pg_index "
                  "i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indexrelid = d.objid AND "
                  "i.indrelid = ANY ($1::oid[]) AND ic.relname = ANY ($3::text[]))) "
                  "ORDER BY 2, 1 LIMIT 1",
                  3, p, "dependent objects", err)))
            goto out;
        if (PQntuples(res)) {
            sl_err_set(err,
                       "%s depends on songlake's table %s.%s, which the load replaces; drop it "
                       "before the load and create it again after it, or load into another "
                       "schema with --schema",
                       PQgetvalue(res, 0, 0), schema, PQgetvalue(res, 0, 1));
            goto out;
        }
    }
    rc = 0;
out:
    PQclear(res);
    sl_buf_free(&rels);
    sl_buf_free(&cons);
    sl_buf_free(&names);
    sl_buf_free(&oids);
    return rc;
}

void pgo_mark_sql(sl_buf *out, const pgs_table *t, const char *qschema) {
    sl_buf_printf(out, "COMMENT ON TABLE %s.%s IS '" MARK_PREFIX "%s'", qschema, pgs_table_name(t),
                  pgs_table_name(t));
}
