// Parquet write benchmark: songlake's writer (bench/pq_write_bench) against
// DuckDB's COPY ... TO (FORMAT parquet) writing the same rows, per codec, in
// the same run. DuckDB loads the rows from songlake's uncompressed file into
// an in-memory table first, so both engines encode identical values; DuckDB
// is timed with its default threads and with threads=1 (songlake's writer is
// one thread per open file). Both wall seconds and CPU seconds (user+system,
// process-wide) are measured: on a busy machine CPU time is the steadier
// comparison. Prints a table and the ratios.
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
      const secs = [], cpu = [];
      for (let r = 0; r < runs; r++) {
        const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
        await con.run(`COPY songplays TO '${out}' (FORMAT parquet, COMPRESSION ${duckCodec[c]})`);
        const dc = process.cpuUsage(c0);
        secs.push(Number(process.hrtime.bigint() - t0) / 1e9);
        cpu.push((dc.user + dc.system) / 1e6);
      }
      duck[`${c}_${threads}`] = { seconds: median(secs), cpu: median(cpu), bytes: fs.statSync(out).size };
    }
  }

  console.log(`Parquet write, songplays-like table, ${rows.toLocaleString('en-US')} rows, ${cpus} CPUs, median of ${runs}, load ${os.loadavg()[0].toFixed(1)}`);
  console.log(`| codec | songlake MB | songlake wall s | songlake CPU s | songlake MB/s | songlake Mrows/s | DuckDB MB | DuckDB 1 thr wall s | DuckDB 1 thr CPU s | DuckDB ${cpus} thr wall s | wall ratio vs 1 thr | CPU ratio vs 1 thr | wall ratio vs ${cpus} thr |`);
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of codecs) {
    const s = median(ours[c].map((o) => o.seconds));
    const cpu = median(ours[c].map((o) => o.cpu_seconds));
    const b = ours[c][0].bytes;
    const d1 = duck[`${c}_1`], dn = duck[`${c}_${cpus}`];
    const f = (x, d = 2) => x.toFixed(d);
    console.log(`| ${c} | ${f(b / 1e6, 1)} | ${f(s)} | ${f(cpu)} | ${f(b / 1e6 / s, 1)} | ${f(rows / s / 1e6)} | ${f(d1.bytes / 1e6, 1)} | ${f(d1.seconds)} | ${f(d1.cpu)} | ${f(dn.seconds)} | ${f(d1.seconds / s)}x | ${f(d1.cpu / cpu)}x | ${f(dn.seconds / s)}x |`);
  }
  console.log('ratio > 1x: songlake faster. MB/s = encoded output bytes per wall second.');
} finally {
  if (!args.dir) fs.rmSync(dir, { recursive: true, force: true });
}
