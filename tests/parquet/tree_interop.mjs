// Nested-writer interop: DuckDB, arrow-rs (parquet-wasm, decoded with
// apache-arrow) and hyparquet read what pq_tree_write (argv[2]) wrote, and
// give back every row of the tree_<variant>.json written beside each file.
// Canonical form: int64 and timestamps (epoch microseconds) as decimal
// strings, maps as [key, value] pairs sorted by key (hyparquet gives maps as
// objects, whose integer-like keys JavaScript reorders). Exits non-zero on a
// mismatch. tree_interop.py does the same with pyarrow and polars.
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const src = process.env.SONGLAKE_SOURCE_DIR || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const modules = process.env.NODE_PATH || path.join(src, 'tests/js/node_modules');
const require = createRequire(path.join(modules, 'noop.js'));
const { DuckDBInstance } = require('@duckdb/node-api');
const arrow = require('apache-arrow');
const wasm = await import(require.resolve('parquet-wasm'));
const { parquetReadObjects } = await import(require.resolve('hyparquet'));
const { compressors } = await import(require.resolve('hyparquet-compressors'));

const bin = process.argv[2];
assert.ok(bin && fs.existsSync(bin), `usage: tree_interop.mjs <pq_tree_write binary> (got ${bin})`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-tree-'));
let failures = 0;
const fail = (m) => {
  failures++;
  if (failures <= 30) console.error('FAIL ' + m);
};

// The schema's shape, for readers whose values do not say it.
const MAPS = new Set(['partitionValues']);
const TIMESTAMPS = new Set(['modificationTime']);
const DOUBLES = new Set(['x']);

const sortPairs = (p) => p.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
function canon(v, field) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (MAPS.has(field)) {
    let pairs;
    if (Array.isArray(v)) pairs = v.map((e) => (Array.isArray(e) ? [e[0], e[1]] : [e.key, e.value]));
    else if (typeof v[Symbol.iterator] === 'function') pairs = [...v].map((e) => [e[0], e[1]]);
    else pairs = Object.entries(v);
    return sortPairs(pairs.map(([k, x]) => [canon(k), canon(x)]));
  }
  if (Array.isArray(v)) return v.map((x) => canon(x, field));
  if (typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = canon(x, k);
    return o;
  }
  if (typeof v === 'number' && DOUBLES.has(field)) return v;
  if (typeof v === 'number' && Number.isInteger(v) && !DOUBLES.has(field)) return v;
  return v;
}
const eq = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// DuckDB prints timestamps as "YYYY-MM-DD HH:MM:SS[.ffffff]+00"
function duckTs(s) {
  const m = /^(-?\d+)-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?\+00$/.exec(s);
  if (!m) return `unparsed ${s}`;
  const secs = BigInt(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))) / 1000n;
  const frac = BigInt(((m[7] || '') + '000000').slice(0, 6));
  return (secs * 1000000n + frac).toString();
}
function fixTs(v, fn, field) {
  if (v === null || typeof v !== 'object') return TIMESTAMPS.has(field) && v !== null ? fn(v) : v;
  if (Array.isArray(v)) return v.map((x) => fixTs(x, fn, field));
  const o = {};
  for (const [k, x] of Object.entries(v)) o[k] = fixTs(x, fn, k);
  return o;
}

// apache-arrow rows: StructRow / Vector / MapRow into plain values
function fromArrow(v) {
  if (v === null || v === undefined) return null;
  if (v instanceof arrow.Vector) return [...v].map(fromArrow);
  if (typeof v === 'object' && v.constructor && v.constructor.name === 'MapRow') return [...v].map(([k, x]) => [fromArrow(k), fromArrow(x)]);
  if (typeof v === 'object' && typeof v.toJSON === 'function' && !(v instanceof Date)) {
    const o = {};
    for (const [k, x] of Object.entries(v.toJSON())) o[k] = fromArrow(x);
    return o;
  }
  return v;
}

try {
  const r = spawnSync(bin, [tmp], { encoding: 'utf8' });
  assert.equal(r.status, 0, `pq_tree_write failed: ${r.stderr}`);
  const variants = fs.readdirSync(tmp).filter((n) => n.endsWith('.parquet')).map((n) => n.slice(5, -8)).sort();
  assert.ok(variants.length >= 5, 'variants written');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  for (const v of variants) {
    const file = path.join(tmp, `tree_${v}.parquet`);
    const text = fs.readFileSync(path.join(tmp, `tree_${v}.json`), 'utf8');
    const exp = text.split('\n').filter((l) => l).map((l) => canon(JSON.parse(l)));
    const check = (engine, rows) => {
      if (rows.length !== exp.length) return fail(`${engine} ${v}: ${rows.length} rows, expected ${exp.length}`);
      for (let i = 0; i < exp.length; i++)
        if (!eq(rows[i], exp[i])) return fail(`${engine} ${v} row ${i}:\n  got ${JSON.stringify(rows[i])}\n  exp ${JSON.stringify(exp[i])}`);
      console.log(`ok ${engine} ${v}: ${rows.length} rows`);
    };

    const duck = (await con.runAndReadAll(`SELECT * FROM read_parquet('${file}')`)).getRowObjectsJson();
    check('duckdb', duck.map((row) => canon(fixTs(row, duckTs))));

    const buf = fs.readFileSync(file);
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
    const hy = await parquetReadObjects({ file: ab, compressors, parsers: { timestampFromMicroseconds: (us) => us } });
    check('hyparquet', hy.map((row) => canon(row)));

    const t = arrow.tableFromIPC(wasm.readParquet(new Uint8Array(buf)).intoIPCStream());
    const rows = [];
    for (let i = 0; i < t.numRows; i++) rows.push(canon(fixTs(fromArrow(t.get(i)), (ms) => String(Math.round(ms * 1000)))));
    check('arrow-rs', rows);
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
if (failures) {
  console.error(`${failures} failures`);
  process.exit(1);
}
