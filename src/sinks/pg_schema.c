/* The five tables as PostgreSQL tables: column names (SPEC.md section 2,
 * written unquoted so PostgreSQL folds them to lower case and one SQL text
 * runs on PostgreSQL, DuckDB and Spark), types, and the keys, foreign keys
 * and indexes added after the data is in. lake.h describes only the columns
 * stored inside the Parquet files; the full row with partition columns in
 * SPEC order is this file's mapping, kept here in one place. */
#include <string.h>

#include "lake/lake.h"
#include "sinks/pg_internal.h"

static const pgs_col SONGPLAYS[] = {
    {"songplayId", PGS_BIGINT, true},      {"user_id", PGS_BIGINT, false},
    {"start_time", PGS_TIMESTAMPTZ, true}, {"level", PGS_TEXT, false},
    {"song_id", PGS_TEXT, false},          {"artist_id", PGS_TEXT, false},
    {"sessionId", PGS_BIGINT, false},      {"userAgent", PGS_TEXT, false},
    {"month", PGS_INTEGER, false},         {"year", PGS_INTEGER, false},
};
static const pgs_col USERS[] = {
    {"userId", PGS_BIGINT, true}, {"firstName", PGS_TEXT, false}, {"lastName", PGS_TEXT, false},
    {"gender", PGS_TEXT, false},  {"level", PGS_TEXT, false},
};
static const pgs_col SONGS[] = {
    {"title", PGS_TEXT, false},      {"artist_id", PGS_TEXT, true}, {"year", PGS_INTEGER, false},
    {"duration", PGS_DOUBLE, false}, {"song_id", PGS_TEXT, true},
};
static const pgs_col ARTISTS[] = {
    {"artist_id", PGS_TEXT, true},           {"artist_name", PGS_TEXT, false},
    {"artist_location", PGS_TEXT, false},    {"artist_latitude", PGS_DOUBLE, false},
    {"artist_longitude", PGS_DOUBLE, false},
};
static const pgs_col TIME[] = {
    {"timestamp", PGS_TIMESTAMPTZ, true}, {"hour", PGS_INTEGER, false},
    {"day", PGS_INTEGER, false},          {"week", PGS_INTEGER, false},
    {"weekday", PGS_INTEGER, false},      {"month", PGS_INTEGER, false},
    {"year", PGS_INTEGER, false},
};

#define T(id, a)                                                                                   \
    { id, a, sizeof a / sizeof a[0] }
const pgs_table PGS_TABLES[5] = {
    T(LAKE_ARTISTS, ARTISTS), T(LAKE_SONGS, SONGS),         T(LAKE_USERS, USERS),
    T(LAKE_TIME, TIME),       T(LAKE_SONGPLAYS, SONGPLAYS),
};
#undef T

/* Keys first (each builds its index by one sort), then foreign keys (each
 * validated by one join instead of a trigger per row), then the indexes that
 * serve star joins and time ranges. Constraint names are PostgreSQL's own
 * defaults, so they read the same as if declared inline. */
const char *const PGS_AFTER_LOAD[] = {
    "ALTER TABLE @.artists ADD CONSTRAINT artists_pkey PRIMARY KEY (artist_id)",
    "ALTER TABLE @.songs ADD CONSTRAINT songs_pkey PRIMARY KEY (song_id)",
    "ALTER TABLE @.users ADD CONSTRAINT users_pkey PRIMARY KEY (userId)",
    "ALTER TABLE @.time ADD CONSTRAINT time_pkey PRIMARY KEY (timestamp)",
    "ALTER TABLE @.songplays ADD CONSTRAINT songplays_pkey PRIMARY KEY (songplayId)",
    "ALTER TABLE @.songs ADD CONSTRAINT songs_artist_id_fkey FOREIGN KEY (artist_id) "
    "REFERENCES @.artists (artist_id)",
    "ALTER TABLE @.songplays ADD CONSTRAINT songplays_user_id_fkey FOREIGN KEY (user_id) "
    "REFERENCES @.users (userId)",
    "ALTER TABLE @.songplays ADD CONSTRAINT songplays_song_id_fkey FOREIGN KEY (song_id) "
    "REFERENCES @.songs (song_id)",
    "ALTER TABLE @.songplays ADD CONSTRAINT songplays_artist_id_fkey FOREIGN KEY (artist_id) "
    "REFERENCES @.artists (artist_id)",
    "ALTER TABLE @.songplays ADD CONSTRAINT songplays_start_time_fkey FOREIGN KEY (start_time) "
    "REFERENCES @.time (timestamp)",
    "CREATE INDEX songplays_user_id_idx ON @.songplays (user_id)",
    "CREATE INDEX songplays_song_id_idx ON @.songplays (song_id)",
    "CREATE INDEX songplays_artist_id_idx ON @.songplays (artist_id)",
    "CREATE INDEX songplays_start_time_idx ON @.songplays (start_time)",
    "CREATE INDEX songs_artist_id_idx ON @.songs (artist_id)",
    NULL,
};

const char *pgs_table_name(const pgs_table *t) {
    return lake_table_name(t->lake_id);
}

const char *pgs_type_sql(pgs_type t) {
    switch (t) {
    case PGS_BIGINT: return "bigint";
    case PGS_INTEGER: return "integer";
    case PGS_TEXT: return "text";
    case PGS_DOUBLE: return "double precision";
    case PGS_TIMESTAMPTZ: return "timestamptz";
    }
    return "?";
}

void pgs_create_sql(sl_buf *out, const pgs_table *t, const char *qschema) {
    sl_buf_printf(out, "CREATE TABLE %s.%s (", qschema, pgs_table_name(t));
    for (size_t c = 0; c < t->ncols; c++)
        sl_buf_printf(out, "%s%s %s%s", c ? ", " : "", t->cols[c].name,
                      pgs_type_sql(t->cols[c].type), t->cols[c].not_null ? " NOT NULL" : "");
    sl_buf_putc(out, ')');
    sl_buf_putc(out, 0);
    out->len--;
}

void pgs_subst(sl_buf *out, const char *tmpl, const char *qschema) {
    for (const char *p = tmpl; *p; p++) {
        if (*p == '@')
            sl_buf_append(out, qschema, strlen(qschema));
        else
            sl_buf_putc(out, (uint8_t)*p);
    }
    sl_buf_putc(out, 0);
    out->len--;
}
