// Helpers shared by the end-to-end tests: run the real songlake binary, make
// and remove temp dirs, write crafted inputs, and read a published lake with
// DuckDB (hive_partitioning) the way a user of the lake would.
import { spawn, spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { pathToFileURL } from 'node:url';

export const bin = process.env.SONGLAKE_BIN;
export const srcDir = process.env.SONGLAKE_SOURCE_DIR || path.resolve(import.meta.dirname, '../..');
export const sample = path.join(srcDir, 'data', 'sparkify-sample');
export const TABLES = ['songplays', 'users', 'songs', 'artists', 'time'];
if (!bin) throw new Error('SONGLAKE_BIN is not set (run through ctest)');

// ESM ignores NODE_PATH: load test packages from tests/js/node_modules by
// their package.json entry point (the "import" export when there is one).
const nodeModules = path.join(srcDir, 'tests', 'js', 'node_modules');
export async function load(pkg) {
  const dir = path.join(nodeModules, pkg);
  const pj = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const pick = (e) => (typeof e === 'string' ? e : e && (pick(e.import) || pick(e.node) || pick(e.default)
    || pick(e.require)));
  const ex = pj.exports && (typeof pj.exports === 'string' || !pj.exports['.'] ? pj.exports : pj.exports['.']);
  const entry = pick(ex) || pj.main || 'index.js';
  return import(pathToFileURL(path.join(dir, entry)).href);
}
const { DuckDBInstance } = await load('@duckdb/node-api');

const temps = [];
export function tmpdir(tag = 'e2e') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `songlake-${tag}-`));
  temps.push(d);
  return d;
}
export function cleanup() {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}
process.on('exit', cleanup);

// Runs `songlake build` synchronously; returns { code, out, err }.
export function build(args, opts = {}) {
  const r = spawnSync(bin, ['build', '--quiet', ...args], { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}
export function buildOk(args, opts) {
  const r = build(args, opts);
  assert.equal(r.code, 0, `songlake build ${args.join(' ')} failed (${r.code} ${r.signal}):\n${r.err}`);
  return r;
}
export function spawnBuild(args) {
  return spawn(bin, ['build', '--quiet', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

// Writes files: { 'rel/path': string | Buffer }; '.gz' and '.zst' names are
// compressed here (zstd through the system `zstd` tool when node lacks it).
export function writeTree(root, files) {
  for (const [rel, body] of Object.entries(files)) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    let data = Buffer.isBuffer(body) ? body : Buffer.from(body);
    if (rel.endsWith('.gz')) data = zlib.gzipSync(data);
    if (rel.endsWith('.zst')) {
      if (zlib.zstdCompressSync) data = zlib.zstdCompressSync(data);
      else {
        const r = spawnSync('zstd', ['-q', '-c'], { input: data });
        assert.equal(r.status, 0, 'zstd tool needed for .zst fixtures');
        data = r.stdout;
      }
    }
    fs.writeFileSync(p, data);
  }
  return root;
}

// Every file under dir, relative, sorted.
export function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

export async function duck() {
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn = await db.connect();
  await conn.run(`SET TimeZone='UTC'`);
  return {
    conn,
    async all(sql) { return (await conn.runAndReadAll(sql)).getRowObjectsJS(); },
    async one(sql) { return Object.values((await conn.runAndReadAll(sql)).getRowObjectsJS()[0])[0]; },
    close() { conn.closeSync?.(); db.closeSync?.(); },
  };
}

export const sq = (s) => `'${String(s).replaceAll("'", "''")}'`;

// A table of a published lake as DuckDB reads it: partition columns from the
// path (hive_partitioning), cast back to the SPEC types so rows compare.
export function lakeTable(out, t) {
  const src = `read_parquet(${sq(path.join(out, t, '**', '*.parquet'))}, hive_partitioning=true)`;
  switch (t) {
    case 'songplays':
      return `(SELECT songplayId, user_id, start_time, level, song_id, artist_id, sessionId, userAgent,
        month::INTEGER AS month, year::INTEGER AS year FROM ${src})`;
    case 'songs':
      return `(SELECT title, artist_id, year::INTEGER AS year, duration, song_id FROM ${src})`;
    case 'time':
      return `(SELECT timestamp, hour, day, week, weekday, month::INTEGER AS month, year::INTEGER AS year FROM ${src})`;
    default:
      return `(SELECT * FROM ${src})`;
  }
}

export const KEYS = { songplays: 'songplayId', users: 'userId', songs: 'song_id', artists: 'artist_id',
  time: 'timestamp' };

// Rows of a lake table ordered by its key, as plain JS values.
export async function rows(db, out, t) {
  return db.all(`SELECT * FROM ${lakeTable(out, t)} ORDER BY ${KEYS[t]}`);
}

// Asserts two relations hold the same multiset of rows; shows a few
// differences when they do not.
export async function assertSameRows(db, a, b, what) {
  const onlyA = await db.all(`SELECT * FROM (SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b}) LIMIT 5`);
  const onlyB = await db.all(`SELECT * FROM (SELECT * FROM ${b} EXCEPT ALL SELECT * FROM ${a}) LIMIT 5`);
  const show = (x) => JSON.stringify(x, (k, v) => (typeof v === 'bigint' ? v.toString() : v), 1);
  assert.ok(onlyA.length === 0 && onlyB.length === 0,
    `${what}: rows differ\nonly in songlake: ${show(onlyA)}\nonly in reference: ${show(onlyB)}`);
  const na = await db.one(`SELECT count(*) FROM ${a}`);
  const nb = await db.one(`SELECT count(*) FROM ${b}`);
  assert.equal(na, nb, `${what}: row counts`);
}

export function readRejects(out) {
  const p = path.join(out, '_songlake', 'rejects.jsonl');
  if (!fs.existsSync(p)) return [];
  return fs.readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

// JSON lines of event objects, with defaults filling the fields a NextSong
// event needs.
export function event(o) {
  return {
    artist: null, auth: 'Logged In', firstName: 'Ann', gender: 'F', itemInSession: 0, lastName: 'Lee',
    length: null, level: 'free', location: 'X', method: 'PUT', page: 'NextSong', registration: 1.54e12,
    sessionId: 1, song: null, status: 200, ts: 1541105830796, userAgent: 'UA', userId: '1', ...o,
  };
}
export function song(o) {
  return {
    num_songs: 1, artist_id: 'ARAAA', artist_latitude: null, artist_longitude: null, artist_location: '',
    artist_name: 'Artist A', song_id: 'SOAAA', title: 'Title A', duration: 100.5, year: 2000, ...o,
  };
}
export const ndjson = (objs) => objs.map((o) => JSON.stringify(o)).join('\n') + '\n';
