// songlake load-postgres on the lake that songlake build makes of the
// bundled sample, into a real PostgreSQL server started for the test:
// every row of every table equals the lake's as DuckDB reads it, the keys,
// foreign keys and indexes exist, song-play analysis gives the same answers
// on both engines from one SQL text, and a second load of the same lake
// leaves the same contents. Also: --schema, a lake written by DuckDB the
// way Spark lays one out (empty _SUCCESS, other names), build --postgres.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startPg } from './pgserver.mjs';
import {
  ANALYSIS, TABLES, assertSameTable, buildLake, loadPg, openLake, pgRows, sample, songlakeOk, starDigest, tmpdir,
} from './lib.mjs';

const server = await startPg();
let lakeDb;
try {
  const lake = buildLake(tmpdir('pg-lake'));
  lakeDb = await openLake(lake);

  const r = loadPg(server, lake);
  assert.equal(r.code, 0, `load failed:\n${r.err}`);
  // the summary names the target without secrets, and rows per table
  assert.match(r.out, /host=127\.0\.0\.1 port=\d+ dbname=postgres user=songlake/);
  for (const t of Object.keys(TABLES)) assert.match(r.out, new RegExp(`\\b${t}\\s+\\d+ rows`));
  assert.match(r.out, /rows\/s/);

  // contents: every row equals the lake's
  const counts = {};
  for (const t of Object.keys(TABLES)) counts[t] = await assertSameTable(server, lakeDb, t);
  console.log('rows', JSON.stringify(counts));

  // keys, foreign keys and indexes
  const cons = server.psql(`SELECT conrelid::regclass::text || ' ' || contype::text || ' ' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1`).trim().split('\n');
  const want = [
    'artists p PRIMARY KEY (artist_id)',
    'songplays f FOREIGN KEY (artist_id) REFERENCES artists(artist_id)',
    'songplays f FOREIGN KEY (song_id) REFERENCES songs(song_id)',
    'songplays f FOREIGN KEY (start_time) REFERENCES "time"("timestamp")',
    'songplays f FOREIGN KEY (user_id) REFERENCES users(userid)',
    'songplays p PRIMARY KEY (songplayid)',
    'songs f FOREIGN KEY (artist_id) REFERENCES artists(artist_id)',
    'songs p PRIMARY KEY (song_id)',
    '"time" p PRIMARY KEY ("timestamp")',
    'users p PRIMARY KEY (userid)',
  ];
  assert.deepEqual(cons, [...want].sort(), 'constraints');
  const idx = server.psql(`SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'songplays'
    ORDER BY 1`);
  for (const c of ['user_id', 'song_id', 'artist_id', 'start_time'])
    assert.match(idx, new RegExp(`ON public\\.songplays USING btree \\(${c}\\)`), `index on songplays.${c}`);
  // column types
  const types = server.psql(`SELECT table_name || '.' || column_name || ' ' || data_type FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name = 'songplays' ORDER BY ordinal_position`).trim().split('\n');
  assert.deepEqual(types, ['songplays.songplayid bigint', 'songplays.user_id bigint',
    'songplays.start_time timestamp with time zone', 'songplays.level text', 'songplays.song_id text',
    'songplays.artist_id text', 'songplays.sessionid bigint', 'songplays.useragent text',
    'songplays.month integer', 'songplays.year integer']);
  // analyzed, no staging schema left behind
  assert.equal(server.psql(`SELECT count(*) FROM pg_stats WHERE schemaname = 'public' AND tablename = 'songplays'`).trim() > '0', true);
  assert.equal(server.psql(`SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'songlake_stage%'`).trim(), '0');

  // the same analysis on both engines
  const norm = (rows) => rows.map((row) => row.map((v) =>
    (v !== null && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v) ? String(Number(v)) : v)));
  for (const [name, sql] of Object.entries(ANALYSIS)) {
    const a = norm(pgRows(server, sql));
    const b = norm(await lakeDb.rows(sql));
    assert.ok(b.length > 0, `${name}: no rows`);
    assert.deepEqual(a, b, `${name}: PostgreSQL and DuckDB disagree`);
  }

  // a second load of the same lake: same contents, still one star
  const before = starDigest(server);
  const r2 = loadPg(server, lake);
  assert.equal(r2.code, 0, r2.err);
  assert.equal(starDigest(server), before);
  assert.equal(server.psql(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).trim(), '5');

  // --schema: a second star side by side, the first untouched
  const r3 = loadPg(server, lake, { schema: 'Sparkify Star' });
  assert.equal(r3.code, 0, r3.err);
  for (const t of Object.keys(TABLES)) await assertSameTable(server, lakeDb, t, '"Sparkify Star"');
  assert.equal(starDigest(server), before);
  // a lake another engine wrote (DuckDB, as Spark lays it out): an empty
  // _SUCCESS (so the files are listed), other file names, lower-case column
  // names: the same star
  const dlake = tmpdir('pg-duck');
  for (const [t, d] of Object.entries(TABLES)) {
    const target = path.join(dlake, t);
    const sel = `SELECT ${d.cols.map((c) => `${c} AS "${c.toLowerCase()}"`).join(', ')} FROM "${t}"`;
    const parts = Object.keys(d.parts);
    if (parts.length) {
      await lakeDb.conn.run(`COPY (${sel}) TO '${target}' (FORMAT parquet, PARTITION_BY (${parts.join(', ')}))`);
    } else {
      fs.mkdirSync(target, { recursive: true });
      await lakeDb.conn.run(`COPY (${sel}) TO '${target}/data_0.parquet' (FORMAT parquet)`);
    }
    fs.writeFileSync(path.join(target, '_SUCCESS'), '');
  }
  const rd = loadPg(server, dlake, { schema: 'duck' });
  assert.equal(rd.code, 0, rd.err);
  assert.equal(starDigest(server, 'duck'), before);

  // build --postgres: build, then the same load
  const out2 = tmpdir('pg-lake2');
  const b = songlakeOk(['build', '--quiet', '--songs', `${sample}/song_data`, '--logs', `${sample}/log_data`,
    '--out', out2, '--postgres', server.dsn, '--pg-schema', 'built']);
  assert.doesNotMatch(b.out, /loaded/, '--quiet prints nothing');
  assert.equal(starDigest(server, 'built'), before);
  console.log('ok: load, contents, constraints, analysis, reload, --schema, build --postgres');
} finally {
  lakeDb?.close();
  server.stop();
}
