// Every Parquet file songlake writes is readable by readers other than
// DuckDB: hyparquet (JavaScript) and polars (Rust's parquet crate through
// nodejs-polars), for every codec, with the same row counts and the same
// column values as DuckDB reads.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import fs from 'node:fs';
import { TABLES, buildOk, cleanup, duck, listFiles, load, sample, sq, tmpdir } from './lib.mjs';

const { asyncBufferFromFile, parquetMetadata, parquetReadObjects } = await load('hyparquet');
const { compressors } = await load('hyparquet-compressors');
const plm = await load('nodejs-polars');
const pl = plm.default ?? plm;

let db;
before(async () => { db = await duck(); });
after(() => { db?.close(); cleanup(); });

for (const codec of ['snappy', 'zstd', 'gzip', 'none']) {
  test(`hyparquet and polars read every ${codec} file like DuckDB`, async () => {
    const out = path.join(tmpdir(`interop-${codec}`), 'lake');
    buildOk(['--songs', path.join(sample, 'song_data'), '--logs', path.join(sample, 'log_data'), '--out', out,
      '--compression', codec, '--row-group-rows', '2000']);
    let files = 0;
    for (const t of TABLES) {
      for (const f of listFiles(path.join(out, t)).filter((x) => x.endsWith('.parquet'))) {
        const p = path.join(out, t, f);
        files++;
        const duckRows = await db.all(`SELECT * FROM read_parquet(${sq(p)}, hive_partitioning=false)`);
        const file = await asyncBufferFromFile(p);
        const meta = parquetMetadata(await file.slice(0));
        assert.equal(Number(meta.num_rows), duckRows.length, `hyparquet num_rows ${t}/${f}`);
        const hy = await parquetReadObjects({ file, compressors });
        assert.equal(hy.length, duckRows.length, `hyparquet rows ${t}/${f}`);
        const df = pl.readParquet(fs.readFileSync(p));
        assert.equal(df.height, duckRows.length, `polars rows ${t}/${f}`);
        assert.deepEqual(df.columns, Object.keys(duckRows[0] ?? {}).length ? Object.keys(duckRows[0]) : df.columns);
        // values: strings and numbers column by column (timestamps as epoch microseconds)
        for (const col of df.columns) {
          const norm = (v) => (v === null || v === undefined ? null
            : v instanceof Date ? v.getTime()
              : typeof v === 'bigint' ? Number(v) : v);
          const d = duckRows.map((r) => norm(r[col]));
          const h = hy.map((r) => norm(r[col]));
          if (['start_time', 'timestamp'].includes(col)) {
            // the data has millisecond precision: compare epoch milliseconds
            const ms = (v) => (typeof v === 'number' && Math.abs(v) > 1e14 ? v / 1000 : v);
            const pms = df.getColumn(col).cast(pl.Int64).toArray().map((v) => Number(v) / 1000);
            assert.deepEqual(h.map(ms), d.map(ms), `hyparquet ${t}/${f} ${col}`);
            assert.deepEqual(pms, d.map(ms), `polars ${t}/${f} ${col}`);
            continue;
          }
          assert.deepEqual(h, d, `hyparquet ${t}/${f} ${col}`);
          const p2 = df.getColumn(col).toArray().map(norm);
          assert.deepEqual(p2, d, `polars ${t}/${f} ${col}`);
        }
      }
    }
    const report = JSON.parse(fs.readFileSync(path.join(out, '_songlake', 'report.json'), 'utf8'));
    assert.equal(files, TABLES.reduce((n, t) => n + report.tables[t].files, 0), 'every file read');
    assert.ok(files >= 73, `files read: ${files}`);
  });
}
