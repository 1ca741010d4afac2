/* sinks: copies of a built lake in other systems. Today one: PostgreSQL.
 *
 * The loader reads the lake through io/ (local disk or S3) with songlake's
 * own Parquet reader, only tables whose _SUCCESS marker is present (using its
 * manifest's file list), recovers partition columns from the Hive-style
 * paths, and replaces the five-table star in one transaction: a load either
 * replaces the star whole or changes nothing. See docs/postgres.md. */
#ifndef SONGLAKE_SINKS_H
#define SONGLAKE_SINKS_H

#include "core/core.h"
#include "io/io.h"

/* Rows loaded per table (index: LAKE_SONGPLAYS ... LAKE_TIME). */
typedef struct sink_pg_stats {
    uint64_t rows[5];
    uint64_t total_rows;
    double seconds;
} sink_pg_stats;

/* Loads the lake at lake_uri (directory or s3://bucket/prefix) into schema
 * `schema` (NULL = "public", created if missing) of the database named by
 * dsn (a libpq connection string or URI; PGPASSWORD, ~/.pgpass, sslmode and
 * the other PG* variables apply). Progress lines and the final summary go to
 * `progress` when non-NULL; the password is never printed. stats may be
 * NULL. On failure nothing in the database has changed.
 *
 * Only tables songlake created are replaced: each carries the comment
 * 'songlake star table: <name>'; any other object by a star name, or that
 * depends on a table to be replaced, fails the load naming it. Connecting
 * gives up after 10 s unless the DSN or PGCONNECT_TIMEOUT sets
 * connect_timeout.
 *
 * Test hook: SONGLAKE_PG_TEST_PAUSE_MS=N sleeps N ms after each table's
 * COPY, inside the transaction, so tests can kill a load midway. */
int sink_pg_load(const char *lake_uri, const char *dsn, const char *schema, const io_config *cfg,
                 FILE *progress, sink_pg_stats *stats, sl_err *err);

/* What a load may do beyond the default. */
typedef struct sink_pg_options {
    /* take over star tables that carry no songlake mark but have exactly
     * the columns songlake creates (a star loaded by a songlake older than
     * the mark; see docs/postgres.md) */
    bool adopt;
} sink_pg_options;

/* sink_pg_load with options (NULL = the defaults). */
int sink_pg_load_opts(const char *lake_uri, const char *dsn, const char *schema,
                      const sink_pg_options *opts, const io_config *cfg, FILE *progress,
                      sink_pg_stats *stats, sl_err *err);

#endif
