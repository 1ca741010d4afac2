// Files written by arrow-rs (parquet-wasm) and by polars are read by
// songlake's Parquet reader value for value: arrow-rs with data page V1 and
// V2, every codec we support, dictionary on and off and the DELTA_* and
// BYTE_STREAM_SPLIT encodings forced per column; polars with its own writer
// and each codec. An LZ4_RAW file must fail with a one-line error naming
// the codec. Expected values are the JavaScript arrays the files were made
// from.
//
// usage: node pqr_other_writers.mjs PATH/TO/pq_dump
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, after } from 'node:test';

const src = process.env.SONGLAKE_SOURCE_DIR ||
  path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const require = createRequire(path.join(src, 'tests', 'js', 'package.json'));
const pl = (await import(require.resolve('nodejs-polars'))).default;
const wasm = await import(require.resolve('parquet-wasm'));

const pqDump = process.argv[2];
assert.ok(pqDump && fs.existsSync(pqDump), 'pass the pq_dump binary as the first argument');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-pqr-other-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const N = 4000;
const cols = {
  i32: Array.from({ length: N }, (_, i) => (i % 7 === 0 ? null : ((i * 7919) % 200001) - 100000)),
  i64: Array.from({ length: N }, (_, i) => (i % 6 === 0 ? null : (i * 104729 * 1000003) % 9007199254740991)),
  d: Array.from({ length: N }, (_, i) => (i % 11 === 0 ? null : (i * 31) / 7 - 400)),
  s: Array.from({ length: N }, (_, i) => (i % 5 === 0 ? null : i % 3 === 0 ? '' :
    i % 101 === 0 ? 'x'.repeat(20000 + i) : `é${i % 50}日本🎵${i % 13}`)),
  b: Array.from({ length: N }, (_, i) => (i % 4 === 0 ? null : i % 3 === 0)),
  ts: Array.from({ length: N }, (_, i) => (i % 9 === 0 ? null : 1541030400000000 + i * 977000001)),
  nul: Array(N).fill(null), // all-null pages: empty (V2: possibly compressed-empty) values
};
// pq_dump prints INT64 and TIMESTAMP as strings
const expected = Array.from({ length: N }, (_, i) => [cols.i32[i],
  cols.i64[i] === null ? null : String(cols.i64[i]), cols.d[i], cols.s[i], cols.b[i],
  cols.ts[i] === null ? null : String(cols.ts[i]), null]);
const wantTypes = ['INT32', 'INT64', 'DOUBLE', 'STRING', 'BOOLEAN', 'TIMESTAMP', 'STRING'];

const df = pl.DataFrame([
  pl.Series('i32', cols.i32, pl.Int32),
  pl.Series('i64', cols.i64, pl.Int64),
  pl.Series('d', cols.d, pl.Float64),
  pl.Series('s', cols.s, pl.Utf8),
  pl.Series('b', cols.b, pl.Bool),
  pl.Series('ts', cols.ts, pl.Int64).cast(pl.Datetime('us')),
  pl.Series('nul', cols.nul, pl.Utf8),
]);

function dump(file) {
  const r = spawnSync(pqDump, [file], { encoding: 'utf8', maxBuffer: 1 << 30 });
  return { code: r.status, err: r.stderr, lines: r.stdout.split('\n').filter((l) => l.length) };
}

function check(file) {
  const r = dump(file);
  assert.equal(r.code, 0, `pq_dump ${file}: ${r.err}`);
  const head = JSON.parse(r.lines[0]);
  assert.equal(head.rows, N);
  assert.deepEqual(head.columns.map((c) => c.type), wantTypes);
  const rows = r.lines.slice(1).map((l) => JSON.parse(l));
  assert.equal(rows.length, N);
  for (let i = 0; i < N; i++) assert.deepEqual(rows[i], expected[i], `row ${i}`);
  return head;
}

const C = wasm.Compression, E = wasm.Encoding;
const arrowVariants = [
  { name: 'v1_snappy_dict', v: wasm.WriterVersion.V1, c: C.SNAPPY, dict: true },
  { name: 'v2_zstd_dict_small_rg', v: wasm.WriterVersion.V2, c: C.ZSTD, dict: true, rg: 1000 },
  { name: 'v1_gzip_plain', v: wasm.WriterVersion.V1, c: C.GZIP, dict: false },
  { name: 'v2_uncompressed_plain', v: wasm.WriterVersion.V2, c: C.UNCOMPRESSED, dict: false },
  { name: 'v2_zstd_delta', v: wasm.WriterVersion.V2, c: C.ZSTD, dict: false,
    enc: { i32: E.DELTA_BINARY_PACKED, i64: E.DELTA_BINARY_PACKED, ts: E.DELTA_BINARY_PACKED,
      s: E.DELTA_BYTE_ARRAY, d: E.BYTE_STREAM_SPLIT } },
  { name: 'v1_snappy_delta_length', v: wasm.WriterVersion.V1, c: C.SNAPPY, dict: false,
    enc: { s: E.DELTA_LENGTH_BYTE_ARRAY, i32: E.DELTA_BINARY_PACKED }, page: 4096 },
];

for (const v of arrowVariants) {
  test(`arrow-rs ${v.name}: every value read back`, () => {
    let b = new wasm.WriterPropertiesBuilder().setWriterVersion(v.v).setCompression(v.c)
      .setDictionaryEnabled(v.dict);
    if (v.rg) b = b.setMaxRowGroupSize(v.rg);
    if (v.page) b = b.setDataPageSizeLimit(v.page);
    for (const [col, enc] of Object.entries(v.enc ?? {})) b = b.setColumnEncoding(col, enc);
    const table = wasm.Table.fromIPCStream(new Uint8Array(df.writeIPCStream()));
    const file = path.join(dir, `arrow_${v.name}.parquet`);
    fs.writeFileSync(file, wasm.writeParquet(table, b.build()));
    const head = check(file);
    if (v.rg) assert.equal(head.row_groups, Math.ceil(N / v.rg));
    // the encodings we asked for are really in the file
    const bin = process.env.SONGLAKE_BIN;
    if (v.enc) {
      assert.ok(bin && fs.existsSync(bin), 'SONGLAKE_BIN must point at the songlake binary');
      const r = spawnSync(bin, ['inspect', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      for (const [col, enc] of Object.entries(v.enc)) {
        const name = Object.keys(E).find((k) => E[k] === enc);
        assert.match(r.stdout, new RegExp(`\\n  ${col} +[A-Z]+ +[A-Z_,]*${name}`), `${col} ${name}`);
      }
    }
  });
}

for (const c of ['snappy', 'zstd', 'gzip', 'uncompressed']) {
  test(`polars ${c}: every value read back`, () => {
    const file = path.join(dir, `polars_${c}.parquet`);
    df.writeParquet(file, { compression: c });
    check(file);
  });
}

test('an LZ4_RAW file fails with a one-line error naming the codec', () => {
  const file = path.join(dir, 'polars_lz4.parquet');
  df.writeParquet(file, { compression: 'lz4' });
  const r = dump(file);
  assert.equal(r.code, 1);
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 1, r.err);
  assert.match(lines[0], /polars_lz4\.parquet: column 'i32' \(row group 0\): .*LZ4_RAW is not supported/);
});
