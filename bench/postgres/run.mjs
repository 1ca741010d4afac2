// The PostgreSQL load benchmark: songlake load-postgres on a generated lake
// against psql's \copy of the same rows as CSV, in the same run, on the same
// throwaway server (tests/postgres/pgserver.mjs; fsync off for both).
// Peers, each the whole star (5 tables, same DDL):
//   load-postgres   the command: Parquet -> COPY BINARY -> keys, foreign
//                   keys, indexes, ANALYZE, swap, in one transaction
//   \copy + keys    psql: CSV (exported by DuckDB beforehand, not timed)
//                   -> \copy into fresh tables, then the same keys, foreign
//                   keys, indexes and ANALYZE, in one transaction
//   \copy only      psql: \copy into bare tables, nothing else
// Prints rows/s (median of --runs) and ratios as a Markdown table.
//
//   node bench/postgres/run.mjs [--events 2000000] [--songs 5000] [--runs 3]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
process.env.SONGLAKE_SOURCE_DIR ||= root;
process.env.SONGLAKE_BIN ||= path.join(process.env.SONGLAKE_BUILD_DIR || path.join(root, 'build'), 'songlake');
const { startPg } = await import('../../tests/postgres/pgserver.mjs');
const { TABLES, openLake, songlakeOk, tmpdir } = await import('../../tests/postgres/lib.mjs');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((a, v, i, all) => (v.startsWith('--') ? [...a, [v.slice(2), all[i + 1]]] : a), []));
const events = Number(args.events || 2000000);
const songs = Number(args.songs || 5000);
const runs = Number(args.runs || 3);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function timed(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

// the DDL of the peer: what load-postgres creates (src/sinks/pg_schema.c)
const DDL = {
  songplays: 'songplayId bigint NOT NULL, user_id bigint, start_time timestamptz NOT NULL, level text, song_id text, ' +
    'artist_id text, sessionId bigint, userAgent text, month integer, year integer',
  users: 'userId bigint NOT NULL, firstName text, lastName text, gender text, level text',
  songs: 'title text, artist_id text NOT NULL, year integer, duration double precision, song_id text NOT NULL',
  artists: 'artist_id text NOT NULL, artist_name text, artist_location text, artist_latitude double precision, ' +
    'artist_longitude double precision',
  time: 'timestamp timestamptz NOT NULL, hour integer, day integer, week integer, weekday integer, month integer, year integer',
};
const KEYS = `
ALTER TABLE artists ADD PRIMARY KEY (artist_id);
ALTER TABLE songs ADD PRIMARY KEY (song_id);
ALTER TABLE users ADD PRIMARY KEY (userId);
ALTER TABLE time ADD PRIMARY KEY (timestamp);
ALTER TABLE songplays ADD PRIMARY KEY (songplayId);
ALTER TABLE songs ADD FOREIGN KEY (artist_id) REFERENCES artists (artist_id);
ALTER TABLE songplays ADD FOREIGN KEY (user_id) REFERENCES users (userId);
ALTER TABLE songplays ADD FOREIGN KEY (song_id) REFERENCES songs (song_id);
ALTER TABLE songplays ADD FOREIGN KEY (artist_id) REFERENCES artists (artist_id);
ALTER TABLE songplays ADD FOREIGN KEY (start_time) REFERENCES time (timestamp);
CREATE INDEX ON songplays (user_id); CREATE INDEX ON songplays (song_id);
CREATE INDEX ON songplays (artist_id); CREATE INDEX ON songplays (start_time);
CREATE INDEX ON songs (artist_id);
ANALYZE songplays; ANALYZE songs; ANALYZE users; ANALYZE artists; ANALYZE time;
`;

const server = await startPg();
try {
  const work = tmpdir('pg-bench');
  const data = path.join(work, 'data');
  const lake = path.join(work, 'lake');
  console.error(`generating ${events} events, ${songs} songs ...`);
  songlakeOk(['generate', '--quiet', '--out', data, '--songs', String(songs), '--events', String(events)]);
  songlakeOk(['build', '--quiet', '--songs', path.join(data, 'song_data'), '--logs', path.join(data, 'log_data'),
    '--out', lake]);

  // the same rows as CSV, exported once (untimed)
  const csv = {};
  const db = await openLake(lake);
  const rows = {};
  for (const t of Object.keys(TABLES)) {
    csv[t] = path.join(work, `${t}.csv`);
    const cols = TABLES[t].cols.map((c) => (c === 'start_time' || c === 'timestamp'
      ? `strftime(make_timestamp(epoch_us(${c})), '%Y-%m-%d %H:%M:%S.%f') || '+00' AS ${c}` : c)).join(', ');
    await db.conn.run(`COPY (SELECT ${cols} FROM "${t}") TO '${csv[t]}' (FORMAT csv, HEADER false)`);
    rows[t] = Number((await db.rows(`SELECT count(*) FROM "${t}"`))[0][0]);
  }
  db.close();
  const total = Object.values(rows).reduce((a, b) => a + b, 0);
  const lakeBytes = Number(spawnSync('du', ['-sb', lake], { encoding: 'utf8' }).stdout.split('\t')[0]);
  const csvBytes = Object.values(csv).reduce((a, f) => a + fs.statSync(f).size, 0);

  const psqlScript = (withKeys) => {
    const s = ['BEGIN;', 'DROP SCHEMA IF EXISTS peer CASCADE;', 'CREATE SCHEMA peer;', 'SET search_path = peer;'];
    for (const t of Object.keys(TABLES)) s.push(`CREATE TABLE ${t} (${DDL[t]});`, `\\copy ${t} FROM '${csv[t]}' WITH (FORMAT csv)`);
    if (withKeys) s.push(KEYS);
    s.push('COMMIT;');
    const f = path.join(work, withKeys ? 'peer-keys.sql' : 'peer-bare.sql');
    fs.writeFileSync(f, s.join('\n'));
    return f;
  };
  const peerKeys = psqlScript(true), peerBare = psqlScript(false);
  const psqlFile = (f) => {
    const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', 'SET client_min_messages = warning', '-h', server.dir, '-p', String(server.port),
      '-U', 'songlake', '-d', 'postgres', '-f', f], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  };
  // load-postgres's own phase lines, and its CPU time (the client's share)
  const phases = { copy: [], keys: [], cpu: [] };
  const haveTime = fs.existsSync('/usr/bin/time');
  const loadOnce = () => {
    const argv = ['load-postgres', '--lake', lake, '--dsn', server.dsn];
    const r = haveTime
      ? spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', process.env.SONGLAKE_BIN, ...argv], { encoding: 'utf8' })
      : spawnSync(process.env.SONGLAKE_BIN, argv, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`load-postgres failed: ${r.stderr}`);
    phases.copy.push([...r.stdout.matchAll(/copied .* rows\s+([\d.]+) s/g)].reduce((a, m) => a + Number(m[1]), 0));
    phases.keys.push(Number((r.stdout.match(/keys, foreign keys, indexes\s+([\d.]+) s/) || [0, NaN])[1]));
    const cpu = r.stderr.match(/cpu ([\d.]+) ([\d.]+)/);
    if (cpu) phases.cpu.push(Number(cpu[1]) + Number(cpu[2]));
  };
  const t = { load: [], keys: [], bare: [] };
  for (let i = 0; i < runs; i++) {
    t.load.push(timed(loadOnce));
    t.keys.push(timed(() => psqlFile(peerKeys)));
    t.bare.push(timed(() => psqlFile(peerBare)));
  }
  const check = server.psql(`SELECT (SELECT count(*) FROM public.songplays) = (SELECT count(*) FROM peer.songplays)`).trim();
  if (check !== 't') throw new Error('peer and load-postgres hold different row counts');

  const rate = (s) => Math.round(total / s).toLocaleString('en-US');
  const ml = median(t.load), mk = median(t.keys), mb = median(t.bare);
  console.log(`Star of ${total.toLocaleString('en-US')} rows (songplays ${rows.songplays.toLocaleString('en-US')}, ` +
    `time ${rows.time.toLocaleString('en-US')}, users ${rows.users}, songs ${rows.songs}, artists ${rows.artists}); ` +
    `lake ${(lakeBytes / 1e6).toFixed(1)} MB Parquet, CSV ${(csvBytes / 1e6).toFixed(1)} MB; median of ${runs} runs.\n`);
  console.log('| peer | seconds | rows/s | vs load-postgres |');
  console.log('|---|---:|---:|---:|');
  console.log(`| songlake load-postgres (Parquet, COPY BINARY, keys, FKs, indexes, ANALYZE, swap) | ${ml.toFixed(2)} | ${rate(ml)} | 1.00 |`);
  console.log(`| psql \\copy CSV + same keys, FKs, indexes, ANALYZE | ${mk.toFixed(2)} | ${rate(mk)} | ${(mk / ml).toFixed(2)} |`);
  console.log(`| psql \\copy CSV into bare tables | ${mb.toFixed(2)} | ${rate(mb)} | ${(mb / ml).toFixed(2)} |`);
  console.log(`\nload-postgres phases (median): COPY BINARY + ANALYZE ${median(phases.copy).toFixed(2)} s ` +
    `(${rate(median(phases.copy))} rows/s), keys + foreign keys + indexes ${median(phases.keys).toFixed(2)} s` +
    (phases.cpu.length ? `; songlake's own CPU ${median(phases.cpu).toFixed(2)} s (the rest is the server's work)` : '') + '.');
  console.log(`Machine: ${os.cpus().length} cores, ${os.cpus()[0].model}; load average at the end ${os.loadavg()[0].toFixed(1)}.`);
} finally {
  server.stop();
}
