// Files that DuckDB writes are read by songlake's Parquet reader: DuckDB
// COPYs a table of every type (nulls, empty and multi-byte strings, long
// strings, extreme integers) with each codec, small row groups, data page
// V2 (DuckDB then uses DELTA_* and BYTE_STREAM_SPLIT encodings) and with
// dictionaries on and off; pq_dump (our reader, JSON lines) must match
// DuckDB's own SELECT value for value. Then `songlake inspect` describes
// the files and rejects a truncated one with a one-line error.
//
// usage: node duckdb_files.mjs PATH/TO/pq_dump   (SONGLAKE_BIN for inspect)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, after } from 'node:test';

// ESM ignores NODE_PATH: resolve packages from tests/js explicitly
const src = process.env.SONGLAKE_SOURCE_DIR ||
  path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const require = createRequire(path.join(src, 'tests', 'js', 'package.json'));
const { DuckDBInstance } = await import(require.resolve('@duckdb/node-api'));

const pqDump = process.argv[2];
const bin = process.env.SONGLAKE_BIN;
assert.ok(pqDump && fs.existsSync(pqDump), 'pass the pq_dump binary as the first argument');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-pqr-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run('SET threads = 1');

// Deterministic pseudo-random values from hash(i).
const ROWS = 5000;
await con.run(`CREATE TABLE t AS SELECT
  i::INTEGER AS id,
  CASE WHEN i % 7 = 0 THEN NULL ELSE (hash(i) % 2000000000)::INTEGER - 1000000000 END AS i32,
  CASE WHEN i % 5 = 0 THEN NULL WHEN i = 1 THEN 9223372036854775807 WHEN i = 2 THEN -9223372036854775808
       ELSE (hash(i * 3) % 9000000000000000000)::BIGINT END AS i64,
  (i % 300)::SMALLINT AS small,
  CASE WHEN i % 11 = 0 THEN NULL ELSE (hash(i * 5) % 1000000)::DOUBLE / 7.0 END AS dbl,
  ((hash(i * 13) % 10000)::FLOAT / 4.0)::FLOAT AS flt,
  CASE WHEN i % 4 = 0 THEN NULL WHEN i % 4 = 1 THEN '' WHEN i % 97 = 0 THEN repeat('long-', 3000) || i
       ELSE 'é' || (hash(i) % 40) || '日本🎵' END AS s,
  'v' || (hash(i * 17) % 1000000) AS s_unique,
  CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END AS b,
  TIMESTAMP '2018-11-01 00:00:00' + INTERVAL (i * 977) SECOND + INTERVAL (i % 1000) MICROSECOND AS ts,
  CASE WHEN i % 9 = 0 THEN NULL ELSE TIMESTAMPTZ '1969-12-31 23:00:00+00' + INTERVAL (hash(i) % 100000000) SECOND END AS tstz,
  DATE '2018-11-01' + (i % 400)::INTEGER AS day,
  (TIMESTAMP '2018-11-01 00:00:00' + INTERVAL (i * 977) SECOND)::TIMESTAMP_MS AS ts_ms,
  (TIMESTAMP '2018-11-01 00:00:00' + INTERVAL (i * 977) SECOND + INTERVAL (i % 1000) MICROSECOND)::TIMESTAMP_NS AS ts_ns,
  (TIMESTAMP '2018-11-01 00:00:00' + INTERVAL (i * 977) SECOND)::TIME AS tod,
  CASE WHEN i % 6 = 0 THEN NULL ELSE ('\\x00\\xff' || i)::BLOB END AS bin
FROM range(0, ${ROWS}) r(i)`);

// What pq_dump prints for each column, computed by DuckDB itself.
const expectSql = `SELECT id, i32, i64::VARCHAR, small, dbl, flt, s, s_unique, b,
  epoch_us(ts)::VARCHAR, epoch_us(tstz)::VARCHAR, (day - DATE '1970-01-01')::INTEGER,
  epoch_us(ts_ms)::VARCHAR, epoch_us(ts_ns)::VARCHAR, ((epoch_us(ts) - id % 1000) % 86400000000)::VARCHAR, lower(hex(bin))`;
const wantTypes = ['INT32', 'INT32', 'INT64', 'INT32', 'DOUBLE', 'FLOAT', 'STRING', 'STRING',
  'BOOLEAN', 'TIMESTAMP', 'TIMESTAMP', 'INT32', 'TIMESTAMP', 'TIMESTAMP', 'INT64', 'BYTE_ARRAY'];

const variants = [
  { name: 'snappy', opts: 'COMPRESSION snappy' },
  { name: 'zstd_small_rg', opts: 'COMPRESSION zstd, ROW_GROUP_SIZE 1000' },
  { name: 'gzip', opts: 'COMPRESSION gzip' },
  { name: 'uncompressed_nodict', opts: 'COMPRESSION uncompressed, DICTIONARY_SIZE_LIMIT 1' },
  { name: 'v2_zstd', opts: 'COMPRESSION zstd, PARQUET_VERSION V2' },
  { name: 'v2_snappy_small_rg', opts: 'COMPRESSION snappy, PARQUET_VERSION V2, ROW_GROUP_SIZE 2048' },
  { name: 'v2_uncompressed_nodict', opts: 'COMPRESSION uncompressed, PARQUET_VERSION V2, DICTIONARY_SIZE_LIMIT 1' },
  { name: 'v2_gzip', opts: 'COMPRESSION gzip, PARQUET_VERSION V2' },
];

function dump(file) {
  const r = spawnSync(pqDump, [file], { encoding: 'utf8', maxBuffer: 1 << 30 });
  assert.equal(r.status, 0, `pq_dump ${file} failed: ${r.stderr}`);
  const lines = r.stdout.split('\n').filter((l) => l.length);
  return { head: JSON.parse(lines[0]), rows: lines.slice(1).map((l) => JSON.parse(l)) };
}

function norm(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object' && 'hex' in v) return v.hex;
  if (typeof v === 'bigint') return v.toString();
  return v;
}

const expected = (await con.runAndReadAll(`${expectSql} FROM t ORDER BY id`)).getRows()
  .map((r) => r.map(norm));

for (const v of variants) {
  test(`DuckDB ${v.name}: every value read back`, async () => {
    const file = path.join(dir, `${v.name}.parquet`);
    await con.run(`COPY (SELECT * FROM t ORDER BY id) TO '${file}' (FORMAT parquet, ${v.opts})`);
    // DuckDB reading its own file is the reference (it also proves the copy)
    const fromDuck = (await con.runAndReadAll(`${expectSql} FROM read_parquet('${file}')`)).getRows()
      .map((r) => r.map(norm));
    assert.deepEqual(fromDuck, expected);
    const got = dump(file);
    assert.equal(got.head.rows, ROWS);
    assert.deepEqual(got.head.columns.map((c) => c.type), wantTypes);
    if (v.opts.includes('ROW_GROUP_SIZE')) assert.ok(got.head.row_groups > 1, 'several row groups');
    assert.equal(got.rows.length, ROWS);
    for (let i = 0; i < ROWS; i++) {
      const row = got.rows[i].map(norm);
      assert.deepEqual(row, expected[i], `row ${i} differs`);
    }
    // statistics the reader decodes agree with the data DuckDB holds
    const st = spawnSync(pqDump, ['--stats', file], { encoding: 'utf8' });
    assert.equal(st.status, 0, st.stderr);
    const stats = st.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const nulls = {};
    for (const s of stats) if ('nulls' in s) nulls[s.col] = (nulls[s.col] ?? 0) + s.nulls;
    const q = (await con.runAndReadAll(`SELECT count(*) - count(i64), count(*) - count(s),
      min(i32), max(i32), min(epoch_us(ts))::VARCHAR FROM t`)).getRows()[0].map(norm);
    if ('i64' in nulls) assert.equal(nulls.i64, Number(q[0]));
    if ('s' in nulls) assert.equal(nulls.s, Number(q[1]));
    const i32 = stats.filter((s) => s.col === 'i32' && 'min' in s);
    if (i32.length === got.head.row_groups) {
      assert.equal(Math.min(...i32.map((s) => Number(s.min))), q[2]);
      assert.equal(Math.max(...i32.map((s) => Number(s.max))), q[3]);
    }
    const ts = stats.filter((s) => s.col === 'ts' && 'min' in s);
    if (ts.length) assert.equal(ts.map((s) => BigInt(s.min)).reduce((a, b) => (b < a ? b : a)).toString(), q[4]);
  });
}

test('songlake inspect describes DuckDB files and rejects broken ones', async () => {
  assert.ok(bin && fs.existsSync(bin), 'SONGLAKE_BIN must point at the songlake binary');
  const file = path.join(dir, 'inspect.parquet');
  await con.run(`COPY (SELECT * FROM t ORDER BY id) TO '${file}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 2048)`);
  const r = spawnSync(bin, ['inspect', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`rows: +${ROWS}\\b`));
  assert.match(r.stdout, /created_by: +DuckDB/);
  for (const c of ['id', 'i64', 'tstz', 'bin']) assert.match(r.stdout, new RegExp(`\\n +\\d+ +${c} `));
  assert.match(r.stdout, /ZSTD/);
  assert.match(r.stdout, /TIMESTAMP\(MICROS,UTC\)/);
  // min of ts in ISO-8601 UTC
  assert.match(r.stdout, /2018-11-01T00:00:00\.000000Z/);
  const groups = (r.stdout.match(/^row group \d+:/gm) ?? []).length;
  const want = Number((await con.runAndReadAll(`SELECT count(DISTINCT row_group_id) FROM parquet_metadata('${file}')`)).getRows()[0][0]);
  assert.equal(groups, want);
  // a truncated copy: exit 1, one line naming the file
  const bad = path.join(dir, 'truncated.parquet');
  const bytes = fs.readFileSync(file);
  fs.writeFileSync(bad, bytes.subarray(0, bytes.length - 100));
  const e = spawnSync(bin, ['inspect', bad], { encoding: 'utf8' });
  assert.equal(e.status, 1);
  const lines = e.stderr.trim().split('\n');
  assert.equal(lines.length, 1, e.stderr);
  assert.match(lines[0], /^songlake inspect: error: .*truncated\.parquet: /);
  const h = spawnSync(bin, ['inspect', '--help'], { encoding: 'utf8' });
  assert.equal(h.status, 0);
  assert.match(h.stdout, /usage: songlake inspect/);
});
