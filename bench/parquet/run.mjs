// Parquet write benchmark: songlake's writer (bench/pq_write_bench) against
// DuckDB's COPY ... TO (FORMAT parquet) writing the same rows, per codec, in
// the same run. DuckDB loads the rows from songlake's uncompressed file into
// an in-memory table first, so both engines encode identical values; DuckDB
// is timed with its default threads and with threads=1 (songlake's writer is
// one thread per open file). Prints a table and the ratios.
//
//   node bench/parquet/run.mjs [--rows 2000000] [--runs 3] [--dir DIR]
// env: SONGLAKE_BUILD_DIR (default build/), NODE_PATH (default tests/js/node_modules)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const rows = Number(args.rows || 2000000);
const runs = Number(args.runs || 3);
const build = process.env.SONGLAKE_BUILD_DIR || path.join(root, 'build');
const bin = path.join(build, 'bench', 'pq_write_bench');
const require = createRequire(path.join(process.env.NODE_PATH || path.join(root, 'tests/js/node_modules'), 'noop.js'));
const { DuckDBInstance } = require('@duckdb/node-api');

if (!fs.existsSync(bin)) {
  console.error(`${bin} not found: build the pq_write_bench target first`);
  process.exit(1);
}
const dir = args.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-pq-bench-'));
fs.mkdirSync(dir, { recursive: true });
const codecs = ['none', 'snappy', 'zstd', 'gzip'];
const duckCodec = { none: 'uncompressed', snappy: 'snappy', zstd: 'zstd', gzip: 'gzip' };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const ours = {};
  for (let r = 0; r < runs; r++) {
    const p = spawnSync(bin, [dir, String(rows)], { encoding: 'utf8' });
    if (p.status !== 0) throw new Error(`pq_write_bench failed: ${p.stderr}`);
    for (const line of p.stdout.trim().split('\n')) {
      const o = JSON.parse(line);
      (ours[o.codec] ||= []).push(o);
    }
  }

  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await con.run(`CREATE TABLE songplays AS SELECT * FROM read_parquet('${path.join(dir, 'songlake_none.parquet')}')`);
  const n = Number((await con.runAndReadAll('SELECT count(*) FROM songplays')).getRows()[0][0]);
  if (n !== rows) throw new Error(`DuckDB loaded ${n} rows, expected ${rows}`);
  const cpus = os.cpus().length;
  const duck = {};
  for (const threads of [cpus, 1]) {
    await con.run(`SET threads = ${threads}`);
    for (const c of codecs) {
      const out = path.join(dir, `duckdb_${c}_${threads}.parquet`);
      const secs = [];
      for (let r = 0; r < runs; r++) {
        const t0 = process.hrtime.bigint();
        await con.run(`COPY songplays TO '${out}' (FORMAT parquet, COMPRESSION ${duckCodec[c]})`);
        secs.push(Number(process.hrtime.bigint() - t0) / 1e9);
      }
      duck[`${c}_${threads}`] = { seconds: median(secs), bytes: fs.statSync(out).size };
    }
  }

  console.log(`Parquet write, songplays-like table, ${rows.toLocaleString('en-US')} rows, ${cpus} CPUs, median of ${runs}`);
  console.log('codec  | songlake s  MB   MB/s  Mrows/s | duckdb(1 thr) s  MB  | duckdb(' + cpus + ' thr) s | speed vs duckdb 1 thr / ' + cpus + ' thr');
  for (const c of codecs) {
    const s = median(ours[c].map((o) => o.seconds));
    const b = ours[c][0].bytes;
    const d1 = duck[`${c}_1`], dn = duck[`${c}_${cpus}`];
    console.log(
      `${c.padEnd(6)} | ${s.toFixed(3).padStart(9)} ${(b / 1e6).toFixed(1).padStart(5)} ${(b / 1e6 / s).toFixed(1).padStart(6)} ${(rows / s / 1e6).toFixed(2).padStart(7)}` +
      ` | ${d1.seconds.toFixed(3).padStart(15)} ${(d1.bytes / 1e6).toFixed(1).padStart(4)}` +
      ` | ${dn.seconds.toFixed(3).padStart(14)}` +
      ` | ${(d1.seconds / s).toFixed(2)}x / ${(dn.seconds / s).toFixed(2)}x`);
  }
  console.log('(speed > 1x: songlake faster; MB/s = encoded output bytes per second)');
} finally {
  if (!args.dir) fs.rmSync(dir, { recursive: true, force: true });
}
