// Helpers for the PostgreSQL tests and benchmark: run songlake, build a lake
// from the bundled sample, read a lake with DuckDB (hive_partitioning, the
// way a user of the lake reads it) and the same tables from PostgreSQL with
// psql, and compare them value by value.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const srcDir = process.env.SONGLAKE_SOURCE_DIR || path.resolve(here, '../..');
export const bin = process.env.SONGLAKE_BIN || path.join(srcDir, 'build', 'songlake');
export const sample = path.join(srcDir, 'data', 'sparkify-sample');

async function loadDuckDB() {
  try {
    return await import('@duckdb/node-api');
  } catch {
    const req = createRequire(path.join(srcDir, 'tests', 'js', 'package.json'));
    return import(pathToFileURL(req.resolve('@duckdb/node-api')).href);
  }
}

const temps = [];
export function tmpdir(tag = 'pg') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `songlake-${tag}-`));
  temps.push(d);
  return d;
}
process.on('exit', () => { for (const d of temps) fs.rmSync(d, { recursive: true, force: true }); });

// Column lists in SPEC order (PostgreSQL folds the names to lower case),
// which columns hold timestamps or doubles, and each table's key.
export const TABLES = {
  songplays: { key: 'songplayId', cols: ['songplayId', 'user_id', 'start_time', 'level', 'song_id', 'artist_id',
    'sessionId', 'userAgent', 'month', 'year'], parts: { year: 'INTEGER', month: 'INTEGER' } },
  users: { key: 'userId', cols: ['userId', 'firstName', 'lastName', 'gender', 'level'], parts: {} },
  songs: { key: 'song_id', cols: ['title', 'artist_id', 'year', 'duration', 'song_id'],
    parts: { year: 'INTEGER', artist_id: 'VARCHAR' } },
  artists: { key: 'artist_id', cols: ['artist_id', 'artist_name', 'artist_location', 'artist_latitude',
    'artist_longitude'], parts: {} },
  time: { key: 'timestamp', cols: ['timestamp', 'hour', 'day', 'week', 'weekday', 'month', 'year'],
    parts: { year: 'INTEGER', month: 'INTEGER' } },
};
const TS = new Set(['start_time', 'timestamp']);
const DBL = new Set(['duration', 'artist_latitude', 'artist_longitude']);

// Runs songlake synchronously; returns { code, out, err }.
export function songlake(args, opts = {}) {
  const r = spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
  return { code: r.status, signal: r.signal, out: r.stdout || '', err: r.stderr || '' };
}
export function songlakeOk(args, opts) {
  const r = songlake(args, opts);
  assert.equal(r.code, 0, `songlake ${args.join(' ')} failed (${r.code} ${r.signal}):\n${r.err}\n${r.out}`);
  return r;
}
export function spawnSonglake(args, opts = {}) {
  return spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

export function buildLake(out, { songs = path.join(sample, 'song_data'), logs = path.join(sample, 'log_data') } = {}) {
  songlakeOk(['build', '--quiet', '--songs', songs, '--logs', logs, '--out', out]);
  return out;
}

export function loadPg(server, lake, { schema, env, dsn = server.dsn } = {}) {
  const args = ['load-postgres', '--lake', lake, '--dsn', dsn];
  if (schema) args.push('--schema', schema);
  return songlake(args, { env: { ...process.env, ...env } });
}

// ---- DuckDB over the lake ------------------------------------------------
export async function openLake(lake) {
  const { DuckDBInstance } = await loadDuckDB();
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  for (const [t, d] of Object.entries(TABLES)) {
    const glob = path.join(lake, t, '**', '*.parquet').replaceAll("'", "''");
    const types = Object.entries(d.parts).map(([k, v]) => `${k}: ${v}`).join(', ');
    const hive = types ? `, hive_partitioning = true, hive_types = {${types}}` : ', hive_partitioning = false';
    await conn.run(`CREATE VIEW "${t}" AS SELECT ${d.cols.join(', ')} FROM read_parquet('${glob}'${hive})`);
  }
  return {
    conn,
    async rows(sql) {
      const r = await conn.runAndReadAll(sql);
      return r.getRows().map((row) => row.map(normDuck));
    },
    close() { conn.closeSync?.(); inst.closeSync?.(); },
  };
}

function normDuck(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object' && 'micros' in v) return String(v.micros);
  return String(v);
}

// ---- PostgreSQL through psql -----------------------------------------------
// RFC 4180 CSV as psql's COPY TO STDOUT writes it; an unquoted empty field is
// NULL, a quoted one the empty string.
export function parseCsv(text) {
  const rows = [];
  let row = [], i = 0;
  while (i < text.length) {
    let v;
    if (text[i] === '"') {
      let s = '';
      i++;
      for (;;) {
        const j = text.indexOf('"', i);
        s += text.slice(i, j);
        i = j + 1;
        if (text[i] === '"') { s += '"'; i++; } else break;
      }
      v = s;
    } else {
      let j = i;
      while (j < text.length && text[j] !== ',' && text[j] !== '\n') j++;
      v = j === i ? null : text.slice(i, j);
      i = j;
    }
    row.push(v);
    if (text[i] === ',') i++;
    else { rows.push(row); row = []; i++; }
  }
  return rows;
}

export function pgRows(server, sql, opts) {
  return parseCsv(server.psql(`COPY (${sql}) TO STDOUT (FORMAT csv)`, opts));
}

// The text both sides agree on: timestamps as epoch microseconds, doubles
// as JS prints them (both engines keep exact doubles), the rest as text.
function selectList(t, engine) {
  return TABLES[t].cols.map((c) => {
    if (TS.has(c)) return engine === 'pg' ? `(extract(epoch from ${c}) * 1000000)::bigint` : `epoch_us(${c})`;
    return c;
  }).join(', ');
}

export async function assertSameTable(server, lakeDb, t, schema = 'public') {
  const cols = TABLES[t].cols;
  const fix = (rows) => rows.map((r) => r.map((v, i) => (v !== null && DBL.has(cols[i]) ? String(Number(v)) : v)));
  const order = TABLES[t].key;
  const pg = fix(pgRows(server, `SELECT ${selectList(t, 'pg')} FROM ${schema}.${t} ORDER BY ${order}`));
  const duck = fix(await lakeDb.rows(`SELECT ${selectList(t, 'duck')} FROM "${t}" ORDER BY ${order}`));
  assert.ok(duck.length > 0, `${t}: the lake is empty`);
  assert.equal(pg.length, duck.length, `${t}: row count PostgreSQL vs lake`);
  for (let i = 0; i < pg.length; i++) assert.deepEqual(pg[i], duck[i], `${t}: row ${i + 1} differs`);
  return pg.length;
}

// A digest of the whole star, to show it did or did not change.
export function starDigest(server, schema = 'public') {
  return Object.keys(TABLES).map((t) => server.psql(
    `SELECT '${t}', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM ${schema}.${t} x`).trim())
    .join('\n');
}

// Song-play analysis, one SQL text for both engines.
export const ANALYSIS = {
  plays_per_hour: `SELECT t.hour, count(*) AS plays FROM songplays sp JOIN time t ON sp.start_time = t.timestamp
    GROUP BY t.hour ORDER BY t.hour`,
  plays_per_weekday: `SELECT t.year, t.month, t.weekday, count(*) AS plays, count(DISTINCT sp.user_id) AS users
    FROM songplays sp JOIN time t ON sp.start_time = t.timestamp GROUP BY t.year, t.month, t.weekday
    ORDER BY t.year, t.month, t.weekday`,
  top_users: `SELECT u.userId, u.firstName, u.lastName, u.level, count(*) AS plays
    FROM songplays sp JOIN users u ON sp.user_id = u.userId
    GROUP BY u.userId, u.firstName, u.lastName, u.level ORDER BY plays DESC, u.userId LIMIT 10`,
  paid_vs_free: `SELECT level, count(*) AS plays, count(DISTINCT user_id) AS users, count(DISTINCT sessionId) AS sessions
    FROM songplays GROUP BY level ORDER BY level`,
  users_by_gender_level: `SELECT gender, level, count(*) AS n FROM users GROUP BY gender, level ORDER BY gender, level`,
  top_songs: `SELECT s.song_id, s.title, a.artist_name, s.duration, count(*) AS plays
    FROM songplays sp JOIN songs s ON sp.song_id = s.song_id JOIN artists a ON s.artist_id = a.artist_id
    GROUP BY s.song_id, s.title, a.artist_name, s.duration ORDER BY plays DESC, s.song_id LIMIT 10`,
  top_artists: `SELECT a.artist_id, a.artist_name, count(*) AS plays
    FROM songplays sp JOIN artists a ON sp.artist_id = a.artist_id
    GROUP BY a.artist_id, a.artist_name ORDER BY plays DESC, a.artist_id LIMIT 10`,
  songs_per_artist: `SELECT a.artist_name, count(s.song_id) AS songs, round(sum(s.duration)) AS seconds
    FROM artists a LEFT JOIN songs s ON s.artist_id = a.artist_id
    GROUP BY a.artist_name ORDER BY songs DESC, a.artist_name LIMIT 10`,
};
