// Compressed logs against plain ones (issue 16): the same generated data
// set's logs as .json, .json.gz and .json.zst, built with the same binary
// in alternating rounds, next to the single-core decompression rates of the
// formats themselves (gzip -dc, zstd -dc over all files, output dropped),
// which bound a streamed file: one file inflates on one core (the planner's
// thread) while the workers parse its chunks.
//
//   node bench/e2e/compressed.mjs [--size l] [--runs 2] [--threads N] [--data DIR]
//
// Prints a markdown table (wall and CPU seconds, peak RSS, per format).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { size: { type: 'string' }, runs: { type: 'string' },
  threads: { type: 'string' }, data: { type: 'string' } } });
const root = path.resolve(import.meta.dirname, '../..');
const build = process.env.SONGLAKE_BUILD_DIR || path.join(root, 'build');
const bin = process.env.SONGLAKE_BIN || path.join(build, 'songlake');
const rusage = path.join(build, 'bench', 'bench_rusage');
const SIZES = { s: { songs: 2000, events: 220000 }, m: { songs: 6000, events: 870000 },
  l: { songs: 15000, events: 2400000 } }; // as bench/e2e/run.mjs
const size = args.size || 'l';
const runs = Number(args.runs || 2);
const threads = Number(args.threads || os.cpus().length);
const dir = path.join(args.data || path.join(root, 'bench', 'data'), size);

function run(cmd, argv, opts = {}) {
  const r = spawnSync(rusage, [cmd, ...argv], { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  const line = (r.stderr || '').split('\n').find((l) => l.startsWith('{"bench_rusage"'));
  if (r.status !== 0 || !line) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(line).bench_rusage;
}
function* filesUnder(d) {
  for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const f = path.join(d, e.name);
    if (e.isDirectory()) yield* filesUnder(f);
    else if (e.isFile()) yield f;
  }
}
const bytes = (d) => [...filesUnder(d)].reduce((s, f) => s + fs.statSync(f).size, 0);

if (!fs.existsSync(path.join(dir, '.complete'))) {
  fs.rmSync(dir, { recursive: true, force: true });
  const { songs, events } = SIZES[size];
  run(bin, ['generate', '--out', dir, '--songs', String(songs), '--events', String(events), '--days', '30',
    '--seed', '42', '--quiet']);
  fs.writeFileSync(path.join(dir, '.complete'), '');
}
const plain = path.join(dir, 'log_data');
const trees = { json: plain };
for (const [ext, cmd, flags] of [['gz', 'gzip', ['-c']], ['zst', 'zstd', ['-q', '-c']]]) {
  const t = path.join(dir, `log_data_${ext}`);
  trees[ext] = t;
  if (fs.existsSync(path.join(t, '.complete'))) continue;
  fs.rmSync(t, { recursive: true, force: true });
  for (const f of filesUnder(plain)) {
    const o = path.join(t, path.relative(plain, f)) + '.' + ext;
    fs.mkdirSync(path.dirname(o), { recursive: true });
    const r = spawnSync(cmd, [...flags, f], { maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`${cmd} ${f}: ${r.stderr}`);
    fs.writeFileSync(o, r.stdout);
  }
  fs.writeFileSync(path.join(t, '.complete'), '');
}
const res = {};
for (let k = 0; k < runs; k++) {
  for (const fmt of ['json', 'gz', 'zst']) {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-bench-comp-'));
    const m = run(bin, ['build', '--quiet', '--no-sync', '--songs', path.join(dir, 'song_data'), '--logs', trees[fmt],
      '--out', out, '--threads', String(threads)]);
    fs.rmSync(out, { recursive: true, force: true });
    (res[fmt] ||= []).push(m);
  }
}
// the formats' own single-core rate: every file decompressed to /dev/null
const dec = {};
for (const [fmt, cmd] of [['gz', 'gzip'], ['zst', 'zstd']]) {
  const files = [...filesUnder(trees[fmt])].filter((f) => f.endsWith(fmt));
  dec[fmt] = run('sh', ['-c', `${cmd} -dc "$@" > /dev/null`, 'sh', ...files]);
}
const mb = bytes(plain) / 1e6;
const med = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${size}: ${mb.toFixed(0)} MB of logs, ${threads} threads, ${runs} alternating rounds, median\n`);
console.log('| logs | stored MB | build wall s | build CPU s | peak RSS MB | format alone (1 core) |');
console.log('|---|---|---|---|---|---|');
for (const fmt of ['json', 'gz', 'zst']) {
  const r = res[fmt];
  const wall = med(r.map((x) => x.wall)), cpu = med(r.map((x) => x.user + x.sys));
  const rss = med(r.map((x) => x.max_rss_kb)) / 1024;
  const alone = dec[fmt] ? `${fmt === 'gz' ? 'gzip' : 'zstd'} -dc: ${dec[fmt].wall.toFixed(2)} s = `
    + `${(mb / dec[fmt].wall).toFixed(0)} MB/s` : '-';
  console.log(`| .${fmt === 'json' ? 'json' : `json.${fmt}`} | ${(bytes(trees[fmt]) / 1e6).toFixed(0)} | `
    + `${wall.toFixed(2)} | ${cpu.toFixed(2)} | ${rss.toFixed(0)} | ${alone} |`);
}
