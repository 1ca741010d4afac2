// songlake load-postgres driven only by --config (the dl.cfg that also
// drives songlake build), against a real PostgreSQL server: the lake comes
// from [songlake] out=, the DSN from postgres=, the schema from pg_schema=,
// and every table holds the lake's rows as DuckDB reads them; flags win over
// the file; a DSN's password is never printed; a bad key fails with
// file:line:key before anything is loaded.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startPg } from './pgserver.mjs';
import { TABLES, assertSameTable, buildLake, openLake, sample, songlake, starDigest, tmpdir } from './lib.mjs';

const server = await startPg();
let lakeDb;
try {
  const d = tmpdir('pg-cfg');
  const lake = buildLake(path.join(d, 'lake'));
  lakeDb = await openLake(lake);
  // the superuser connects by trust: the password is never asked for, but
  // it is in the DSN and must not be printed
  const secret = 'pw-SEKRIT-42';
  const cfg = path.join(d, 'dl.cfg');
  const body = (extra = '') => '[AWS]\nAWS_ACCESS_KEY_ID = AKIAEXAMPLE\nAWS_SECRET_ACCESS_KEY = aws-SEKRIT\n\n' +
    `[songlake]\nsongs = ${sample}/song_data\nlogs = ${sample}/log_data\nthreads = 2\nout = ${lake}\n` +
    `postgres = ${server.dsn} password=${secret}\npg_schema = from_file\ns3_max_attempts = 3\n${extra}`;
  fs.writeFileSync(cfg, body());

  const r = songlake(['load-postgres', '--config', cfg]);
  assert.equal(r.code, 0, `load --config failed:\n${r.err}`);
  for (const s of [secret, 'aws-SEKRIT']) assert.ok(!(r.out + r.err).includes(s), `${s} is not printed`);
  assert.match(r.out, /schema from_file/);
  const counts = {};
  for (const t of Object.keys(TABLES)) counts[t] = await assertSameTable(server, lakeDb, t, 'from_file');
  console.log('rows', JSON.stringify(counts));
  assert.equal(server.psql(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).trim(), '0',
    'nothing went to the default schema');

  // flags win over the file: --schema over pg_schema=, --lake over out=
  const loaded = starDigest(server, 'from_file');
  fs.writeFileSync(cfg, body().replace(`out = ${lake}`, `out = ${path.join(d, 'no-such-lake')}`));
  const f = songlake(['load-postgres', '--config', cfg, '--lake', lake, '--schema', 'from_flag']);
  assert.equal(f.code, 0, f.err);
  assert.equal(starDigest(server, 'from_flag'), loaded);

  // a bad key: exit 2, file:line:key, nothing loaded (not even the schema)
  fs.writeFileSync(cfg, body('dsn = whatever\n').replace('pg_schema = from_file', 'pg_schema = never'));
  const bad = songlake(['load-postgres', '--config', cfg]);
  assert.equal(bad.code, 2);
  const lines = bad.err.trim().split('\n');
  assert.equal(lines.length, 1, bad.err);
  assert.equal(lines[0], `songlake load-postgres: error: ${cfg}:13: unknown key 'dsn' in [songlake] (see songlake load-postgres --help)`);
  assert.equal(server.psql(`SELECT count(*) FROM pg_namespace WHERE nspname = 'never'`).trim(), '0');
  assert.equal(starDigest(server, 'from_file'), loaded);
  assert.ok(!(bad.out + bad.err).includes(secret));
  console.log('ok: load-postgres --config, flags win, bad key loads nothing');
} finally {
  lakeDb?.close();
  server.stop();
}
