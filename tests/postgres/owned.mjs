// load-postgres replaces only the tables it created (issue 15): each carries
// the comment 'songlake star table: <name>'. Against a real server:
// - the first load marks all five tables; a second load replaces them (new
//   tables, same contents, still marked);
// - a table of each star name that songlake did not create, with rows,
//   stops the load with one line naming it; its rows, and everything else
//   in the schema, are as before; also in `public` of a database whose
//   application has its own `users` (the case);
// - the same for such a table with a dependant view and a foreign key
//   pointing at it, a view, a sequence and a type by a star name, and a
//   relation holding the name of one of songlake's indexes;
// - a star of an older songlake (no mark) is refused with a pointer to
//   --adopt, which takes it over; --adopt does not take a foreign table;
// - objects of the user's that depend on songlake's tables (a view on
//   songplays, a foreign key to users, an index, a trigger) and a column
//   the user added stop the load naming them, instead of being dropped.
import assert from 'node:assert/strict';
import { startPg } from './pgserver.mjs';
import { buildLake, loadPg, songlake, starDigest, tmpdir } from './lib.mjs';

const NAMES = ['songplays', 'users', 'songs', 'artists', 'time'];
const HINT = 'drop it or load into another schema with --schema';

const server = await startPg();
try {
  const lake = buildLake(tmpdir('pg-lake'));

  const marks = (schema, db) => server.psql(`SELECT c.relname || '=' || coalesce(obj_description(c.oid, 'pg_class'), '')
    FROM pg_class c WHERE c.relnamespace = '${schema}'::regnamespace AND c.relkind = 'r' ORDER BY 1`, { db })
    .trim().split('\n');
  const wantMarks = [...NAMES].sort().map((t) => `${t}=songlake star table: ${t}`);
  // every relation and type of a schema with its kind, and the contents of
  // its tables: to show that nothing in it changed
  const snapshot = (schema, db) => {
    const rels = server.psql(`SELECT c.relname || ' ' || c.relkind::text || ' ' || c.oid FROM pg_class c
      WHERE c.relnamespace = '${schema}'::regnamespace ORDER BY 1`, { db }).trim();
    const types = server.psql(`SELECT typname || ' ' || oid FROM pg_type WHERE typnamespace = '${schema}'::regnamespace
      ORDER BY 1`, { db }).trim();
    const tables = server.psql(`SELECT relname FROM pg_class WHERE relnamespace = '${schema}'::regnamespace
      AND relkind = 'r' ORDER BY 1`, { db }).trim().split('\n').filter(Boolean);
    const rows = tables.map((t) => server.psql(`SELECT '${t}', count(*), md5(coalesce(string_agg(x::text, '|'
      ORDER BY x::text), '')) FROM ${schema}.${t} x`, { db }).trim());
    return [rels, types, ...rows].join('\n');
  };
  let before;
  const noStaging = (db) => assert.equal(server.psql(`SELECT count(*) FROM pg_namespace
    WHERE nspname LIKE 'songlake_stage_%'`, { db }).trim(), '0', 'no staging schema left');
  // exit 1, one line on stderr that matches re
  const refused = (r, re) => {
    assert.equal(r.code, 1, `expected a refusal:\n${r.err}\n${r.out}`);
    const lines = r.err.trim().split('\n');
    assert.equal(lines.length, 1, `one line: ${r.err}`);
    assert.match(lines[0], re);
  };
  const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  // ---- songlake's own tables: marked, and replaced by the next load
  let r = loadPg(server, lake);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(marks('public'), wantMarks);
  const digest = starDigest(server);
  const oids = () => server.psql(`SELECT string_agg(relname || ':' || oid, ',' ORDER BY relname) FROM pg_class
    WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'`).trim();
  const first = oids();
  r = loadPg(server, lake);
  assert.equal(r.code, 0, `second load: ${r.err}`);
  assert.notEqual(oids(), first, 'the second load made new tables');
  assert.equal(starDigest(server), digest, 'same contents');
  assert.deepEqual(marks('public'), wantMarks);
  noStaging();

  // ---- a table of each star name that songlake did not create, with rows
  for (const t of NAMES) {
    const s = `app_${t}`;
    server.psql(`CREATE SCHEMA ${s}; CREATE TABLE ${s}.${t} (id int PRIMARY KEY, note text);
      INSERT INTO ${s}.${t} SELECT g, 'the app''s row ' || g FROM generate_series(1, 7) g`);
    const before = snapshot(s);
    r = loadPg(server, lake, { schema: s });
    refused(r, new RegExp(`^songlake load-postgres: error: table ${s}\\.${t} exists and was not created by songlake; ${HINT}`));
    assert.equal(snapshot(s), before, `${s}: nothing changed`);
    assert.equal(server.psql(`SELECT count(*) FROM ${s}.${t}`).trim(), '7');
    // --adopt takes over only tables with songlake's columns
    r = songlake(['load-postgres', '--lake', lake, '--dsn', server.dsn, '--schema', s, '--adopt']);
    refused(r, new RegExp(`table ${s}\\.${t} exists and was not created by songlake; `));
    assert.equal(snapshot(s), before, `${s}: nothing changed with --adopt`);
  }
  noStaging();

  // the case: an application's database with its own public.users
  server.psql(`CREATE DATABASE app`);
  server.psql(`CREATE TABLE users (id bigint PRIMARY KEY, email text);
    INSERT INTO users SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 100) g`, { db: 'app' });
  const appBefore = snapshot('public', 'app');
  r = loadPg(server, lake, { dsn: server.dsn.replace('dbname=postgres', 'dbname=app') });
  refused(r, new RegExp(`^songlake load-postgres: error: table public\\.users exists and was not created by songlake; ${HINT}`));
  assert.equal(snapshot('public', 'app'), appBefore, 'app database unchanged');
  noStaging('app');

  // a table the loading role may not even read is refused the same way
  server.psql(`CREATE ROLE loader LOGIN PASSWORD 'Loader-Pw-1'; GRANT CREATE ON DATABASE postgres TO loader;
    CREATE SCHEMA priv AUTHORIZATION loader; CREATE TABLE priv.users (id int, secret text);
    INSERT INTO priv.users VALUES (1, 'not for the loader')`);
  before = snapshot('priv');
  r = loadPg(server, lake, { schema: 'priv', dsn: `host=127.0.0.1 port=${server.port} user=loader dbname=postgres`,
    env: { PGPASSWORD: 'Loader-Pw-1' } });
  refused(r, new RegExp(`^songlake load-postgres: error: table priv\\.users exists and was not created by songlake; ${HINT}`));
  assert.equal(snapshot('priv'), before);

  // a foreign table with a dependant view and a foreign key pointing at it
  server.psql(`CREATE SCHEMA dep; CREATE TABLE dep.users (id int PRIMARY KEY, name text);
    INSERT INTO dep.users SELECT g, 'n' || g FROM generate_series(1, 3) g;
    CREATE VIEW dep.user_names AS SELECT name FROM dep.users;
    CREATE TABLE dep.orders (id int, user_id int REFERENCES dep.users (id)); INSERT INTO dep.orders VALUES (1, 2)`);
  before = snapshot('dep');
  r = loadPg(server, lake, { schema: 'dep' });
  refused(r, new RegExp(`^songlake load-postgres: error: table dep\\.users exists and was not created by songlake; ${HINT}`));
  assert.equal(snapshot('dep'), before);
  assert.equal(server.psql(`SELECT string_agg(name, ',' ORDER BY name) FROM dep.user_names`).trim(), 'n1,n2,n3');

  // other kinds of object by a star name, and a relation with the name of
  // one of songlake's indexes
  const others = [
    ['view', 'v_songs', `CREATE VIEW v_songs.songs AS SELECT 'x'::text AS song_id`, 'view v_songs\\.songs'],
    ['matview', 'mv_time', `CREATE MATERIALIZED VIEW mv_time.time AS SELECT now() AS ts`,
      'materialized view mv_time\\.time'],
    ['sequence', 'seq_artists', `CREATE SEQUENCE seq_artists.artists`, 'sequence seq_artists\\.artists'],
    ['type', 'ty_songplays', `CREATE TYPE ty_songplays.songplays AS ENUM ('a')`,
      `type ty_songplays\\.songplays exists and was not created by songlake \\(a table needs the name for its row type\\)`],
    ['index name', 'ix', `CREATE TABLE ix.songplays_user_id_idx (x int); INSERT INTO ix.songplays_user_id_idx VALUES (1)`,
      `table ix\\.songplays_user_id_idx exists and was not created by songlake \\(songlake's star needs the name for an index\\)`],
  ];
  for (const [what, s, sql, re] of others) {
    server.psql(`CREATE SCHEMA ${s}; ${sql}`);
    before = snapshot(s);
    r = loadPg(server, lake, { schema: s });
    refused(r, new RegExp(`^songlake load-postgres: error: ${re}`));
    assert.equal(snapshot(s), before, `${what}: nothing changed`);
  }
  noStaging();

  // ---- a star loaded by an older songlake: the same tables, no mark
  r = loadPg(server, lake, { schema: 'old' });
  assert.equal(r.code, 0, r.err);
  const oldDigest = starDigest(server, 'old');
  server.psql(NAMES.map((t) => `COMMENT ON TABLE old.${t} IS NULL`).join('; '));
  before = snapshot('old');
  r = loadPg(server, lake, { schema: 'old' });
  refused(r, /^songlake load-postgres: error: table old\.songplays exists and was not created by songlake \(it has the columns of songlake's star: if an older songlake loaded it, run the load again with --adopt\)/);
  assert.equal(snapshot('old'), before);
  r = songlake(['load-postgres', '--lake', lake, '--dsn', server.dsn, '--schema', 'old', '--adopt']);
  assert.equal(r.code, 0, r.err);
  for (const t of NAMES) assert.match(r.out, new RegExp(`adopted ${t} `));
  assert.deepEqual(marks('old'), wantMarks);
  assert.equal(starDigest(server, 'old'), oldDigest);
  // a table with songlake's columns but one type changed is not adopted
  server.psql(`COMMENT ON TABLE old.users IS NULL; ALTER TABLE old.users ALTER COLUMN level TYPE varchar(10)`);
  r = songlake(['load-postgres', '--lake', lake, '--dsn', server.dsn, '--schema', 'old', '--adopt']);
  refused(r, /^songlake load-postgres: error: table old\.users exists and was not created by songlake; /);
  // a songlake table renamed to another star name is not that table
  server.psql(`DROP TABLE old.users CASCADE; ALTER TABLE old.songplays RENAME TO users`);
  r = loadPg(server, lake, { schema: 'old' });
  refused(r, /^songlake load-postgres: error: table old\.users exists and was not created by songlake; /);

  // ---- the user's objects on songlake's tables are not dropped
  const deps = [
    [`CREATE VIEW plays_by_level AS SELECT level, count(*) AS n FROM songplays GROUP BY level`,
      `view public.plays_by_level depends on songlake's table public.songplays`, `DROP VIEW plays_by_level`],
    [`CREATE MATERIALIZED VIEW top_songs AS SELECT song_id, count(*) FROM songplays GROUP BY song_id`,
      `materialized view public.top_songs depends on songlake's table public.songplays`,
      `DROP MATERIALIZED VIEW top_songs`],
    [`CREATE TABLE orders (id int, user_id bigint REFERENCES users (userId)); INSERT INTO orders VALUES (1, 2)`,
      `constraint orders_user_id_fkey on table orders depends on songlake's table public.users`, `DROP TABLE orders`],
    [`CREATE INDEX my_level_idx ON songplays (level)`, `index my_level_idx depends on songlake's table public.songplays`,
      `DROP INDEX my_level_idx`],
    [`CREATE FUNCTION nop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
      CREATE TRIGGER audit BEFORE INSERT ON artists FOR EACH ROW EXECUTE FUNCTION nop()`,
      `trigger audit on table artists depends on songlake's table public.artists`, `DROP TRIGGER audit ON artists`],
    [`CREATE TABLE my_songs () INHERITS (songs)`, `table my_songs depends on songlake's table public.songs`,
      `DROP TABLE my_songs`],
  ];
  for (const [create, named, drop] of deps) {
    server.psql(create);
    before = snapshot('public');
    r = loadPg(server, lake);
    refused(r, new RegExp(`^songlake load-postgres: error: ${esc(named)}, which the load replaces; drop it before the load and create it again after it, or load into another schema with --schema`));
    assert.equal(snapshot('public'), before, `${create}: nothing changed`);
    assert.equal(starDigest(server), digest);
    server.psql(drop);
  }
  // a column the user added to songlake's table holds values of theirs
  server.psql(`ALTER TABLE songs ADD COLUMN note text; UPDATE songs SET note = 'mine'`);
  before = snapshot('public');
  r = loadPg(server, lake);
  refused(r, /^songlake load-postgres: error: table public\.songs was loaded by songlake but has a column songlake did not make \(note\)/);
  assert.equal(snapshot('public'), before);
  server.psql(`ALTER TABLE songs DROP COLUMN note`);
  // all gone: the load replaces the star again
  r = loadPg(server, lake);
  assert.equal(r.code, 0, r.err);
  assert.equal(starDigest(server), digest);
  assert.deepEqual(marks('public'), wantMarks);
  noStaging();
  console.log('ok: marked tables replaced; foreign tables, views, types, dependants refused; --adopt');
} finally {
  server.stop();
}
