// The end-to-end benchmark: songlake build against the same transformation
// written as DuckDB SQL (tests/e2e/reference.mjs, the test suite's reference
// implementation of SPEC.md), on data sets of several sizes, alternating the
// two engines in the same run. Reports wall seconds (median), input MB/s,
// peak RSS and the ratios, songlake's per-phase seconds, and checks both
// outputs hold the same rows. Writes docs/benchmarks.md's results section
// and docs/bench-chart.svg.
//
//   node bench/e2e/run.mjs [--sizes sample,s,m,l] [--runs 3] [--threads N]
//                          [--data DIR] [--out docs/benchmarks-results.md]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const args = Object.fromEntries(
  process.argv.slice(2).reduce((a, v, i, all) => (v.startsWith('--') ? [...a, [v.slice(2), all[i + 1]]] : a), []));
const build = process.env.SONGLAKE_BUILD_DIR || path.join(root, 'build');
const bin = process.env.SONGLAKE_BIN || path.join(build, 'songlake');
const rusage = path.join(build, 'bench', 'bench_rusage');
const dataDir = args.data || path.join(root, 'bench', 'data');
const runs = Number(args.runs || 3);
const threads = Number(args.threads || os.cpus().length);
const resultsFile = args.out || path.join(root, 'docs', 'benchmarks-results.md');

// events per size: ~285 bytes per event line in the sample's shape
const SIZES = {
  sample: null,
  s: { songs: 2000, events: 400000 },      // ~115 MB of logs
  m: { songs: 8000, events: 1600000 },     // ~460 MB
  l: { songs: 15000, events: 3800000 },    // ~1.1 GB
};
const sizes = (args.sizes || 'sample,s,m,l').split(',');

function run(cmd, argv, opts = {}) {
  const r = spawnSync(rusage, [cmd, ...argv], { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  const line = (r.stderr || '').split('\n').find((l) => l.startsWith('{"bench_rusage"'));
  if (r.status !== 0 || !line) {
    throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  }
  return JSON.parse(line).bench_rusage;
}

function dirBytes(p) {
  let n = 0;
  for (const e of fs.readdirSync(p, { withFileTypes: true })) {
    const f = path.join(p, e.name);
    n += e.isDirectory() ? dirBytes(f) : fs.statSync(f).size;
  }
  return n;
}

function dataset(name) {
  if (name === 'sample') return path.join(root, 'data', 'sparkify-sample');
  const dir = path.join(dataDir, name);
  if (!fs.existsSync(path.join(dir, '.complete'))) {
    fs.rmSync(dir, { recursive: true, force: true });
    const { songs, events } = SIZES[name];
    const r = spawnSync(bin, ['generate', '--out', dir, '--songs', String(songs), '--events', String(events),
      '--seed', '42'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`generate failed: ${r.stderr}`);
    fs.writeFileSync(path.join(dir, '.complete'), '');
  }
  return dir;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function sameRows(a, b) {
  const { DuckDBInstance } = await import(path.join(root, 'tests/js/node_modules/@duckdb/node-api/lib/index.js'));
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const out = {};
  for (const t of ['songplays', 'users', 'songs', 'artists', 'time']) {
    const q = (p) => `SELECT * FROM read_parquet('${p}/${t}/**/*.parquet', hive_partitioning=true, union_by_name=true)`;
    const diff = await c.runAndReadAll(
      `SELECT (SELECT count(*) FROM (${q(a)} EXCEPT ALL ${q(b)})) + (SELECT count(*) FROM (${q(b)} EXCEPT ALL ${q(a)})) AS d,
              (SELECT count(*) FROM (${q(a)})) AS n`);
    const [d, n] = diff.getRows()[0];
    out[t] = { diff: Number(d), rows: Number(n) };
  }
  return out;
}

const results = [];
for (const name of sizes) {
  const dir = dataset(name);
  const logBytes = dirBytes(path.join(dir, 'log_data'));
  const songBytes = dirBytes(path.join(dir, 'song_data'));
  const inMB = (logBytes + songBytes) / 1e6;
  const slOut = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sl-'));
  const dkOut = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-duck-'));
  const sl = [], dk = [];
  let phases = null;
  for (let i = 0; i < runs; i++) {
    sl.push(run(bin, ['build', '--songs', path.join(dir, 'song_data'), '--logs', path.join(dir, 'log_data'),
      '--out', slOut, '--threads', String(threads), '--quiet']));
    phases = JSON.parse(fs.readFileSync(path.join(slOut, '_songlake', 'report.json'), 'utf8')).seconds;
    fs.rmSync(dkOut, { recursive: true, force: true });
    dk.push(run(process.execPath, [path.join(root, 'tests/e2e/reference.mjs'), '--songs', path.join(dir, 'song_data'),
      '--logs', path.join(dir, 'log_data'), '--out', dkOut, '--threads', String(threads)]));
  }
  const check = await sameRows(slOut, dkOut);
  const r = {
    name, inMB, logMB: logBytes / 1e6,
    sl: { wall: median(sl.map((x) => x.wall)), rss: Math.max(...sl.map((x) => x.max_rss_kb)) / 1024 },
    dk: { wall: median(dk.map((x) => x.wall)), rss: Math.max(...dk.map((x) => x.max_rss_kb)) / 1024 },
    phases, check,
  };
  results.push(r);
  console.log(JSON.stringify(r));
  fs.rmSync(slOut, { recursive: true, force: true });
  fs.rmSync(dkOut, { recursive: true, force: true });
}

// ---- report ----
const cpu = os.cpus()[0]?.model || 'unknown CPU';
const lines = [];
lines.push(`Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} cores (${cpu}), ` +
  `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}; ${runs} runs each, median wall, ` +
  `max peak RSS; --threads ${threads}; DuckDB via @duckdb/node-api.`);
lines.push('');
lines.push('| data | input MB | songlake s | DuckDB s | speed-up | songlake MB/s | songlake RSS MB | DuckDB RSS MB | RSS ratio | same rows |');
lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
for (const r of results) {
  const same = Object.values(r.check).every((c) => c.diff === 0);
  lines.push(`| ${r.name} | ${r.inMB.toFixed(1)} | ${r.sl.wall.toFixed(2)} | ${r.dk.wall.toFixed(2)} | ` +
    `${(r.dk.wall / r.sl.wall).toFixed(1)}x | ${(r.inMB / r.sl.wall).toFixed(0)} | ${r.sl.rss.toFixed(0)} | ` +
    `${r.dk.rss.toFixed(0)} | 1/${(r.dk.rss / r.sl.rss).toFixed(1)} | ${same ? 'yes' : 'NO'} |`);
}
lines.push('');
lines.push('songlake phases (seconds, from report.json of the last run):');
lines.push('');
lines.push('| data | list | songs | events | read (cpu) | parse (cpu) | merge+encode | finish | publish | total |');
lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  const p = r.phases || {};
  const f = (k) => (p[k] ?? 0).toFixed(2);
  lines.push(`| ${r.name} | ${f('list')} | ${f('songs')} | ${f('events')} | ${f('read_cpu')} | ${f('parse_cpu')} | ` +
    `${f('merge_encode')} | ${f('finish')} | ${f('publish')} | ${f('total')} |`);
}
fs.writeFileSync(resultsFile, lines.join('\n') + '\n');

// ---- chart: time and memory against input size, both engines ----
function chart(results) {
  const W = 720, H = 300, pad = 50, gap = 60, pw = (W - 2 * pad - gap) / 2, ph = H - 2 * pad;
  const xs = results.map((r) => r.inMB);
  const xmax = Math.max(...xs) * 1.05;
  const panel = (x0, title, key, unit) => {
    const ymax = Math.max(...results.flatMap((r) => [r.sl[key], r.dk[key]])) * 1.1;
    const px = (v) => x0 + (v / xmax) * pw, py = (v) => pad + ph - (v / ymax) * ph;
    const line = (eng, color) => `<polyline fill="none" stroke="${color}" stroke-width="2" points="${
      results.map((r) => `${px(r.inMB).toFixed(1)},${py(r[eng][key]).toFixed(1)}`).join(' ')}"/>` +
      results.map((r) => `<circle cx="${px(r.inMB).toFixed(1)}" cy="${py(r[eng][key]).toFixed(1)}" r="3" fill="${color}"/>`).join('');
    return `<text x="${x0}" y="${pad - 15}" font-size="13">${title}</text>` +
      `<line x1="${x0}" y1="${pad + ph}" x2="${x0 + pw}" y2="${pad + ph}" stroke="#444"/>` +
      `<line x1="${x0}" y1="${pad}" x2="${x0}" y2="${pad + ph}" stroke="#444"/>` +
      `<text x="${x0}" y="${pad + ph + 18}" font-size="10">0</text>` +
      `<text x="${x0 + pw - 40}" y="${pad + ph + 18}" font-size="10">${xmax.toFixed(0)} MB in</text>` +
      `<text x="${x0 - 45}" y="${pad + 8}" font-size="10">${ymax.toFixed(1)} ${unit}</text>` +
      line('dk', '#d62728') + line('sl', '#1f77b4');
  };
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    panel(pad, 'wall seconds vs input size', 'wall', 's') +
    panel(pad + pw + gap, 'peak RSS vs input size', 'rss', 'MB') +
    `<text x="${pad}" y="${H - 10}" font-size="12" fill="#1f77b4">songlake</text>` +
    `<text x="${pad + 80}" y="${H - 10}" font-size="12" fill="#d62728">DuckDB (same SQL transformation)</text></svg>\n`;
}
fs.writeFileSync(path.join(root, 'docs', 'bench-chart.svg'), chart(results));
console.log(lines.join('\n'));
