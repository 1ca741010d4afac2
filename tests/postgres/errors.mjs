// Errors a user of load-postgres meets, each with a one-line cause that says
// what to do, and none of them changing the database: an unreachable
// server, a wrong password (and the right one through PGPASSWORD, as a
// non-superuser into its own schema), a lake missing a table, a lake whose
// tables disagree (a foreign key and a primary key violated: the message
// names table, constraint, key and file), and usage errors. The password
// is never printed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startPg } from './pgserver.mjs';
import { buildLake, loadPg, openLake, songlake, starDigest, tmpdir } from './lib.mjs';

const server = await startPg();
let lakeDb;
try {
  const lake = buildLake(tmpdir('pg-lake'));
  const ok = loadPg(server, lake);
  assert.equal(ok.code, 0, ok.err);
  const digest = starDigest(server);

  // unreachable: a port nothing listens on
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
  let r = loadPg(server, lake, { dsn: `host=127.0.0.1 port=${port} user=songlake dbname=postgres connect_timeout=5` });
  assert.equal(r.code, 1);
  assert.match(r.err, new RegExp(`cannot connect to PostgreSQL \\(host=127\\.0\\.0\\.1 port=${port} dbname=postgres user=songlake\\)`));
  assert.match(r.err, /Connection refused/);
  assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);

  // wrong password for a SCRAM role; the right one via PGPASSWORD works
  server.psql(`CREATE ROLE etl LOGIN PASSWORD 'Right-Secret-1'; GRANT CREATE ON DATABASE postgres TO etl`);
  const etlDsn = `postgresql://etl:Wrong-Secret-2@127.0.0.1:${server.port}/postgres`;
  r = loadPg(server, lake, { dsn: etlDsn, schema: 'etl_star' });
  assert.equal(r.code, 1);
  assert.match(r.err, /password authentication failed for user "etl"/);
  assert.match(r.err, /check the user and password/);
  assert.doesNotMatch(r.err + r.out, /Wrong-Secret-2|Right-Secret-1/);
  r = loadPg(server, lake, { dsn: `host=127.0.0.1 port=${server.port} user=etl dbname=postgres`, schema: 'etl_star',
    env: { PGPASSWORD: 'Right-Secret-1' } });
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.err + r.out, /Right-Secret-1/);
  assert.equal(server.psql(`SELECT count(*) FROM etl_star.songplays`).trim(),
    server.psql(`SELECT count(*) FROM public.songplays`).trim());

  // a lake missing a table: named, with what to do
  const partial = tmpdir('pg-partial');
  fs.cpSync(lake, partial, { recursive: true });
  fs.rmSync(path.join(partial, 'users', '_SUCCESS'));
  r = loadPg(server, partial);
  assert.equal(r.code, 1);
  assert.match(r.err, /no complete table 'users' \(no _SUCCESS marker\): run songlake build/);
  assert.equal(starDigest(server), digest);

  // a lake whose songplays references a user missing from users: rewrite
  // the users file without one referenced user (DuckDB), fix its manifest
  lakeDb = await openLake(lake);
  const [[victim]] = await lakeDb.rows(`SELECT min(user_id) FROM songplays`);
  const bad = tmpdir('pg-bad');
  fs.cpSync(lake, bad, { recursive: true });
  const manifestPath = path.join(bad, 'users', '_SUCCESS');
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  assert.equal(manifest.files.length, 1);
  const usersFile = path.join(bad, 'users', manifest.files[0].path);
  await lakeDb.conn.run(`COPY (SELECT * FROM users WHERE userId <> ${victim} ORDER BY userId)
    TO '${usersFile}.new' (FORMAT parquet)`);
  fs.renameSync(`${usersFile}.new`, usersFile);
  manifest.files[0].rows -= 1;
  manifest.rows -= 1;
  fs.writeFileSync(manifestPath, JSON.stringify(manifest));
  r = loadPg(server, bad);
  assert.equal(r.code, 1, r.out);
  assert.match(r.err, /songplays: constraint songplays_user_id_fkey violated: Key \(user_id\)=\((\d+)\) is not present in table "users"/);
  assert.equal(r.err.match(/Key \(user_id\)=\((\d+)\)/)[1], victim);
  assert.match(r.err, new RegExp(`row \\d+ of ${path.join(bad, 'songplays').replaceAll('.', '\\.')}/year=\\d+/month=\\d+/[^ ]+\\.parquet`));
  // the row named holds that user
  const [, rowNo, file] = r.err.match(/row (\d+) of (\S+\.parquet)/);
  const [[at]] = await lakeDb.rows(`SELECT user_id FROM read_parquet('${file}', file_row_number = true)
    WHERE file_row_number = ${Number(rowNo) - 1}`);
  assert.equal(at, victim);
  assert.equal(starDigest(server), digest);

  // text PostgreSQL refuses (not UTF-8) in the 3rd row of the users file:
  // the server's COPY line is mapped back to file and row
  const enc = tmpdir('pg-enc');
  fs.cpSync(lake, enc, { recursive: true });
  const m3 = JSON.parse(fs.readFileSync(path.join(enc, 'users', '_SUCCESS'), 'utf8'));
  const encFile = path.join(enc, 'users', m3.files[0].path);
  await lakeDb.conn.run(`COPY (SELECT userId, CASE WHEN row_number() OVER (ORDER BY userId) = 3
      THEN '\\xFF\\xFE'::BLOB ELSE firstName::BLOB END AS firstName, lastName, gender, level
    FROM users ORDER BY userId) TO '${encFile}' (FORMAT parquet)`);
  r = loadPg(server, enc);
  assert.equal(r.code, 1);
  assert.match(r.err, /invalid byte sequence for encoding "UTF8"/);
  assert.ok(r.err.includes(`(row 3 of ${encFile})`), r.err);
  assert.equal(starDigest(server), digest);

  // a duplicated key: the users file listed twice in the manifest
  const dup = tmpdir('pg-dup');
  fs.cpSync(lake, dup, { recursive: true });
  const m2 = JSON.parse(fs.readFileSync(path.join(dup, 'users', '_SUCCESS'), 'utf8'));
  const copyName = m2.files[0].path.replace(/\.parquet$/, '-copy.parquet');
  fs.copyFileSync(path.join(dup, 'users', m2.files[0].path), path.join(dup, 'users', copyName));
  m2.files.push({ ...m2.files[0], path: copyName });
  fs.writeFileSync(path.join(dup, 'users', '_SUCCESS'), JSON.stringify(m2));
  r = loadPg(server, dup);
  assert.equal(r.code, 1);
  assert.match(r.err, /users: constraint users_pkey violated: Key \(userid\)=\(\d+\) is duplicated/);
  assert.match(r.err, /-copy\.parquet/);
  assert.equal(starDigest(server), digest);

  // a malformed DSN is reported without its text (it may hold a password)
  r = loadPg(server, lake, { dsn: 'postgresql://etl:Hidden-5@[::1' });
  assert.equal(r.code, 1);
  assert.match(r.err, /--dsn is not a valid libpq connection string/);
  assert.doesNotMatch(r.err, /Hidden-5/);

  // a bare word is a database name, as for psql
  r = loadPg(server, lake, { dsn: 'no_such_db', env: { PGHOST: server.dir, PGPORT: String(server.port), PGUSER: 'songlake' } });
  assert.equal(r.code, 1);
  assert.match(r.err, /dbname=no_such_db user=songlake\).*database "no_such_db" does not exist/);

  // a view on the star blocks the swap: said so, nothing changed
  server.psql(`CREATE VIEW plays_by_level AS SELECT level, count(*) FROM songplays GROUP BY level`);
  r = loadPg(server, lake);
  assert.equal(r.code, 1);
  assert.match(r.err, /view public\.plays_by_level depends on songlake's table public\.songplays, which the load replaces; drop it before the load/);
  assert.equal(starDigest(server), digest);
  server.psql(`DROP VIEW plays_by_level`);

  // usage errors
  r = songlake(['load-postgres', '--dsn', server.dsn]);
  assert.equal(r.code, 2);
  assert.match(r.err, /--lake URI is required/);
  r = songlake(['load-postgres', '--lake', lake]);
  assert.equal(r.code, 2);
  assert.match(r.err, /--dsn CONNINFO is required/);
  r = songlake(['load-postgres', '--lake', lake, '--dsn', 'password=Hidden-3', '--bogus', 'password=Hidden-4']);
  assert.equal(r.code, 2);
  assert.doesNotMatch(r.err, /Hidden/);
  r = songlake(['load-postgres', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.out, /--schema NAME/);
  console.log('ok: unreachable, password, missing table, foreign key, primary key, usage');
} finally {
  lakeDb?.close();
  server.stop();
}
