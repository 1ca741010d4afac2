// The end-to-end benchmark: `songlake build` against the same transformation
// written as DuckDB SQL (tests/e2e/reference.mjs, the test suite's reference
// implementation of SPEC.md, run as its own node process so its peak RSS is
// measured), on generated data sets of several sizes, alternating the two
// engines in the same run. For each size it reports wall seconds (median),
// input MB/s, peak RSS, the ratios and songlake's per-phase seconds, and
// checks that both outputs hold the same rows (EXCEPT ALL both ways).
// Writes the results section of docs/benchmarks.md (between the
// "results:begin/end" markers) and docs/bench-chart.svg.
//
//   node bench/e2e/run.mjs [--sizes sample,s,m,l] [--runs 3] [--threads N]
//                          [--data DIR] [--out-root DIR] [--nosync]
//                          [--doc docs/benchmarks.md] [--no-doc] [--from-log FILE]
// --nosync also runs songlake with --no-sync (no syncfs before publishing),
// the durability DuckDB's COPY gives, to show what syncing costs on this disk.
// --out-root: where both engines write (default the OS temp dir).
// Every run writes into a new directory, and all outputs are removed only
// when the whole benchmark is done: on a journal-less ext4 (this VM's),
// creating inodes within minutes of deleting many others is several times
// slower (the allocator skips recently deleted inodes one by one), which
// would measure the previous run's deletion rather than the engine. A nightly
// job that replaces yesterday's lake does not see that. --delete-before
// restores the old way (one directory per engine, deleted before each run).
// env: SONGLAKE_BUILD_DIR (default build/), SONGLAKE_BIN (default <build>/songlake)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const args = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (!a.startsWith('--')) continue;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith('--')) args[a.slice(2)] = true;
  else args[a.slice(2)] = v, i++;
}
const build = process.env.SONGLAKE_BUILD_DIR || path.join(root, 'build');
const bin = process.env.SONGLAKE_BIN || path.join(build, 'songlake');
const rusage = path.join(build, 'bench', 'bench_rusage');
const layout = path.join(build, 'bench', 'bench_layout');
const dataDir = args.data || path.join(root, 'bench', 'data');
const runs = Number(args.runs || 3);
const threads = Number(args.threads || os.cpus().length);
const docFile = args.doc || path.join(root, 'docs', 'benchmarks.md');
const reference = path.join(root, 'tests', 'e2e', 'reference.mjs');
const nosync = !!args.nosync;
const outRoot = args['out-root'] || os.tmpdir();
for (const f of [bin, rusage, layout, reference]) {
  if (!fs.existsSync(f)) throw new Error(`${f} missing: build songlake and bench_rusage first (SONGLAKE_BUILD_DIR)`);
}

// `songlake generate` writes ~460 bytes per event line in the sample's shape
const SIZES = {
  sample: null,
  s: { songs: 2000, events: 220000 },    // ~100 MB of logs
  m: { songs: 6000, events: 870000 },    // ~400 MB
  l: { songs: 15000, events: 2400000 },  // ~1.1 GB
  // l's events over 240 days: the same input in 8x smaller daily files
  // (songlake holds a window of whole files in memory, so RSS follows file size)
  ld: { songs: 15000, events: 2400000, days: 240 },
};
const sizes = String(args.sizes || 'sample,s,m,l').split(',');

// runs cmd under bench_rusage: its measurements, and the command's stdout
function run(cmd, argv) {
  const r = spawnSync(rusage, [cmd, ...argv], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const line = (r.stderr || '').split('\n').find((l) => l.startsWith('{"bench_rusage"'));
  if (r.status !== 0 || !line) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  return { ...JSON.parse(line).bench_rusage, stdout: r.stdout };
}

// every file under d, recursively
function* filesUnder(d) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const f = path.join(d, e.name);
    if (e.isDirectory()) yield* filesUnder(f);
    else if (e.isFile()) yield f;
  }
}

function dirBytes(p) {
  let n = 0;
  for (const f of filesUnder(p)) n += fs.statSync(f).size;
  return n;
}

function dataset(name) {
  if (name === 'sample') return { dir: path.join(root, 'data', 'sparkify-sample'), gen: null };
  if (!SIZES[name]) throw new Error(`unknown size ${name} (sample, ${Object.keys(SIZES).join(', ')})`);
  const dir = path.join(dataDir, name);
  let gen = null;
  if (!fs.existsSync(path.join(dir, '.complete'))) {
    fs.rmSync(dir, { recursive: true, force: true });
    const { songs, events, days = 30 } = SIZES[name];
    gen = run(bin, ['generate', '--out', dir, '--songs', String(songs), '--events', String(events),
      '--days', String(days), '--seed', '42', '--quiet']);
    fs.writeFileSync(path.join(dir, '.complete'), '');
  }
  return { dir, gen };
}

// The inputs start in the page cache as a read from disk leaves them:
// evicted (`dd iflag=nocache count=0` drops a file's cached pages) and read
// back by settle(), whose readahead caches them in large folios. Just
// generated, the logs sit in the small folios of the generator's writes,
// and mapping them costs twice as much CPU (one pass over `l`'s logs,
// mapped, populated and dropped: 0.155 CPU s as generated, 0.063-0.077
// after this), which says more about the data's history than about either
// engine. Only files of 1 MiB and more: a song file is one page either way.
function recache(dir) {
  spawnSync('sync');
  for (const f of filesUnder(dir)) {
    if (fs.statSync(f).size < 1 << 20) continue;
    const r = spawnSync('dd', [`if=${f}`, 'iflag=nocache', 'count=0', 'status=none']);
    if (r.status !== 0) throw new Error(`dd ${f}: ${r.stderr}`);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Every timed run starts from the same state: no dirty pages left by the
// previous run (DuckDB does not sync its output, so the next run's writeback
// or syncfs would pay for it) and the inputs in the page cache (this VM's
// DAMON reclaim drops page-cache pages idle for about a minute).
function settle(dir) {
  spawnSync('sync');
  const buf = Buffer.allocUnsafe(1 << 23);
  for (const f of filesUnder(dir)) {
    const fd = fs.openSync(f, 'r');
    while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
    fs.closeSync(fd);
  }
}

// seconds a `sync` takes right now (after DuckDB: making its output durable)
// (and the machine CPU it took: the flusher's work does not show in rusage)
function timeSync() {
  const r = run('sync', []);
  return { wall: r.wall, machine: r.machine_cpu };
}

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
  c.closeSync?.();
  db.closeSync?.();
  return out;
}

// --from-log FILE: rebuild the report and chart from the JSON lines a
// previous run printed (one per size), without running anything
const results = args['from-log']
  ? fs.readFileSync(args['from-log'], 'utf8').split('\n').filter((l) => l.startsWith('{"name"')).map((l) => JSON.parse(l))
  : [];
const toRemove = new Set(); // every run's output, removed at the end
for (const name of args['from-log'] ? [] : sizes) {
  const { dir, gen } = dataset(name);
  recache(dir);
  const load0 = os.loadavg()[0];
  const logBytes = dirBytes(path.join(dir, 'log_data'));
  const songBytes = dirBytes(path.join(dir, 'song_data'));
  const inMB = (logBytes + songBytes) / 1e6;
  let seq = 0;
  const fresh = (eng) => args['delete-before'] ? path.join(outRoot, `bench-${eng}-${process.pid}`)
    : path.join(outRoot, `bench-${eng}-${process.pid}-${name}-${seq++}`);
  let slOut, dkOut;
  const sl = [], dk = [], sl0 = [], lay = [];
  let phases = null, phases0 = null;
  const slBuild = (into, extra) => {
    settle(dir);
    slOut = fresh('sl');
    fs.rmSync(slOut, { recursive: true, force: true });
    toRemove.add(slOut);
    into.push(run(bin, ['build', '--songs', path.join(dir, 'song_data'), '--logs', path.join(dir, 'log_data'),
      '--out', slOut, '--threads', String(threads), '--quiet', ...extra]));
    return JSON.parse(fs.readFileSync(path.join(slOut, '_songlake', 'report.json'), 'utf8')).seconds;
  };
  const slRun = () => {
    if (nosync) phases0 = slBuild(sl0, ['--no-sync']);
    phases = slBuild(sl, []);
  };
  const dkRun = () => {
    settle(dir);
    dkOut = fresh('duck');
    fs.rmSync(dkOut, { recursive: true, force: true });
    toRemove.add(dkOut);
    const r = run(process.execPath, [reference, '--songs', path.join(dir, 'song_data'),
      '--logs', path.join(dir, 'log_data'), '--out', dkOut, '--threads', String(threads)]);
    const sy = timeSync(); // what making DuckDB's output durable costs (songlake's own run does it)
    r.sync = sy.wall;
    r.sync_machine = sy.machine;
    dk.push(r);
  };
  // the file-system floor: songlake's output tree alone, recreated and synced
  const layoutRun = () => {
    spawnSync('sync');
    const into = fresh('layout');
    toRemove.add(into);
    const r = run(layout, [slOut, into, String(threads)]);
    const line = r.stdout.split('\n').find((l) => l.startsWith('{"bench_layout"'));
    if (!line) throw new Error(`bench_layout printed no result:\n${r.stdout}`);
    lay.push({ ...JSON.parse(line).bench_layout, machine: r.machine_cpu });
  };
  // alternate which engine goes first so neither always gets the warmer cache
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) slRun(), dkRun();
    else dkRun(), slRun();
    layoutRun();
  }
  const check = await sameRows(slOut, dkOut);
  const pick = (xs) => ({
    wall: median(xs.map((x) => x.wall)),
    cpu: median(xs.map((x) => x.user + x.sys)),
    machine: median(xs.map((x) => x.machine_cpu)),
    rss: Math.max(...xs.map((x) => x.max_rss_kb)) / 1024,
    walls: xs.map((x) => x.wall),
  });
  const dks = dk.map((x) => ({ ...x, wall: x.wall + x.sync, machine_cpu: x.machine_cpu + x.sync_machine }));
  const floor = {
    wall: median(lay.map((x) => x.create + x.sync)), create: median(lay.map((x) => x.create)),
    sync: median(lay.map((x) => x.sync)), machine: median(lay.map((x) => x.machine)),
    files: lay[0].files, dirs: lay[0].dirs, bytes: lay[0].bytes,
  };
  const r = { name, inMB, logMB: logBytes / 1e6, songMB: songBytes / 1e6, gen, sl: pick(sl), dk: pick(dk),
    dks: pick(dks), floor,
    sl0: nosync ? pick(sl0) : null, phases, phases0, check, load: [load0, os.loadavg()[0]] };
  results.push(r);
  console.log(JSON.stringify(r));
}
for (const d of toRemove) fs.rmSync(d, { recursive: true, force: true });

// ---- the machine ----
function machine() {
  let cpu = os.cpus()[0]?.model || 'unknown CPU';
  try {
    const m = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m);
    if (m) cpu = m[1].trim();
  } catch { /* not Linux */ }
  const nproc = spawnSync('nproc', [], { encoding: 'utf8' }).stdout?.trim() || String(os.cpus().length);
  const sl = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  const commit = spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || '?';
  return { cpu, nproc, ram: (os.totalmem() / 2 ** 30).toFixed(1), kernel: `${os.type()} ${os.release()}`, sl, commit };
}

// ---- report ----
const m = machine();
const f1 = (x) => x.toFixed(1), f2 = (x) => x.toFixed(2);
const lines = [];
lines.push(`Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${m.nproc} cores ` +
  `(${m.cpu}), ${m.ram} GiB RAM, ${m.kernel}; ${m.sl} (${path.basename(build)}, binary built ` +
  `${fs.statSync(bin).mtime.toISOString().slice(0, 16).replace('T', ' ')} UTC; HEAD ${m.commit} at report time); DuckDB ${duckVersion()} via ` +
  `@duckdb/node-api in its own node process (tests/e2e/reference.mjs). ${runs} runs per engine and size, ` +
  `alternating; wall = median, RSS = largest peak resident set (wait4 ru_maxrss) over the runs; ` +
  `--threads ${threads} for both; inputs in the page cache (logs evicted and read back once per size, as a read from disk leaves them), outputs under ${outRoot} ` +
  `(${fsType(outRoot)}), ${args['delete-before'] ? 'removed before every run'
    : 'a new directory for every run, all removed at the end'}; before every timed run \`sync\` and the inputs read once ` +
  `(page cache warm, no dirty pages).`);
lines.push('');
lines.push('| data | events | input MB | songlake s | DuckDB s | speed-up | songlake MB/s | DuckDB MB/s | songlake RSS MB | DuckDB RSS MB | RSS ratio | same rows |');
lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
for (const r of results) {
  const same = Object.values(r.check).every((c) => c.diff === 0);
  const ev = r.name === 'sample' ? 8056 : SIZES[r.name].events;
  lines.push(`| ${r.name} | ${ev.toLocaleString('en-US')} | ${f1(r.inMB)} | ${f2(r.sl.wall)} | ${f2(r.dk.wall)} | ` +
    `${f1(r.dk.wall / r.sl.wall)}x | ${(r.inMB / r.sl.wall).toFixed(0)} | ${(r.inMB / r.dk.wall).toFixed(0)} | ` +
    `${r.sl.rss.toFixed(0)} | ${r.dk.rss.toFixed(0)} | 1/${f1(r.dk.rss / r.sl.rss)} | ` +
    `${same ? 'yes' : 'NO: ' + JSON.stringify(r.check)} |`);
}
lines.push('');
lines.push('All runs (wall seconds), CPU seconds (user+sys, median) and rows checked:');
lines.push('');
lines.push('| data | songlake runs | DuckDB runs | songlake CPU s | DuckDB CPU s | songplays rows | time rows | generate s | load avg before, after |');
lines.push('|---|---|---|---:|---:|---:|---:|---:|---|');
for (const r of results) {
  lines.push(`| ${r.name} | ${r.sl.walls.map(f2).join(', ')} | ${r.dk.walls.map(f2).join(', ')} | ${f2(r.sl.cpu)} | ` +
    `${f2(r.dk.cpu)} | ${r.check.songplays.rows.toLocaleString('en-US')} | ${r.check.time.rows.toLocaleString('en-US')} | ` +
    `${r.gen ? f2(r.gen.wall) : '-'} | ${r.load.map(f1).join(', ')} |`);
}
if (results.some((r) => r.sl0)) {
  lines.push('');
  lines.push('songlake --no-sync (no syncfs before publishing: the durability DuckDB\'s COPY gives; ' +
    'measured in the same run), to show what syncing costs on this disk:');
  lines.push('');
  lines.push('| data | songlake --no-sync s | speed-up vs DuckDB | MB/s | RSS MB | sync share of songlake wall |');
  lines.push('|---|---:|---:|---:|---:|---:|');
  for (const r of results) {
    lines.push(`| ${r.name} | ${f2(r.sl0.wall)} | ${f1(r.dk.wall / r.sl0.wall)}x | ${(r.inMB / r.sl0.wall).toFixed(0)} | ` +
      `${r.sl0.rss.toFixed(0)} | ${((1 - r.sl0.wall / r.sl.wall) * 100).toFixed(0)}% |`);
  }
}
if (results.some((r) => r.floor)) {
  lines.push('');
  lines.push('Like for like, and the file-system floor. songlake makes its output durable (one syncfs ' +
    'before publishing); DuckDB\'s COPY does not, so "DuckDB + sync" adds the `sync` timed right after ' +
    'each DuckDB run (every run starts with no dirty pages). The floor is `bench_layout`: songlake\'s ' +
    'output tree recreated with the same paths and sizes (zero-filled, no parsing, no Parquet) by the ' +
    'same number of threads, then synced: what this file system charges for the layout alone.');
  lines.push('');
  lines.push('| data | songlake s | DuckDB + sync s | speed-up, both durable | floor: files / dirs | floor create s | floor sync s | floor total s | DuckDB s / 10 |');
  lines.push('|---|---:|---:|---:|---|---:|---:|---:|---:|');
  for (const r of results.filter((x) => x.floor)) {
    lines.push(`| ${r.name} | ${f2(r.sl.wall)} | ${f2(r.dks.wall)} | ${f1(r.dks.wall / r.sl.wall)}x | ` +
      `${r.floor.files.toLocaleString('en-US')} / ${r.floor.dirs.toLocaleString('en-US')} | ${f2(r.floor.create)} | ` +
      `${f2(r.floor.sync)} | ${f2(r.floor.wall)} | ${f2(r.dk.wall / 10)} |`);
  }
}
if (results.some((r) => r.floor?.machine >= 0)) {
  lines.push('');
  lines.push(`What the whole machine spent (CPU seconds of all ${m.nproc} cores busy during the run, from ` +
    '`/proc/stat`: unlike user+sys this counts the kernel threads that work for a run, such as the ' +
    'flusher writing files back during a sync). No run can take less wall time than its machine CPU ' +
    `divided by the ${m.nproc} cores; "engine" is songlake's machine CPU minus the floor's, what is ` +
    'left when the cost of the layout itself is taken away.');
  lines.push('');
  lines.push(`| data | songlake CPU s | ${nosync ? 'songlake --no-sync CPU s | ' : ''}DuckDB + sync CPU s | floor CPU s | engine CPU s | songlake CPU / ${m.nproc} s | DuckDB s / 10 |`);
  lines.push(`|---|---:|${nosync ? '---:|' : ''}---:|---:|---:|---:|---:|`);
  for (const r of results.filter((x) => x.floor?.machine >= 0)) {
    lines.push(`| ${r.name} | ${f2(r.sl.machine)} | ${nosync ? f2(r.sl0.machine) + ' | ' : ''}${f2(r.dks.machine)} | ` +
      `${f2(r.floor.machine)} | ${f2(r.sl.machine - r.floor.machine)} | ${f2(r.sl.machine / Number(m.nproc))} | ` +
      `${f2(r.dk.wall / 10)} |`);
  }
}
lines.push('');
lines.push('songlake phases (seconds, `<out>/_songlake/report.json` of the last run): list = listing the ' +
  'inputs; songs = reading the song files and building the match index; events = the logs read, parsed, ' +
  'merged and their songplays encoded; within it, read and parse are CPU seconds summed over the worker ' +
  'threads, transform is the calling thread merging the tasks in input order (dedup, latest user, ' +
  'songplayIds) and encode is its encoding of songplays rows; finish = users, time, songs and artists ' +
  'encoded and written, files closed; publish = sync and rename. All but read and parse are wall seconds.');
lines.push('');
lines.push('| data | list | songs | events | read (cpu) | parse (cpu) | transform | encode songplays | finish | publish | total |');
lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  const p = r.phases || {};
  const f = (k) => (p[k] ?? 0).toFixed(2);
  lines.push(`| ${r.name} | ${f('list')} | ${f('songs')} | ${f('events')} | ${f('read_cpu')} | ${f('parse_cpu')} | ` +
    `${f('transform')} | ${f('encode_songplays')} | ${f('finish')} | ${f('publish')} | ${f('total')} |`);
  if (r.phases0) {
    const g = (k) => (r.phases0[k] ?? 0).toFixed(2);
    lines.push(`| ${r.name}, --no-sync | ${g('list')} | ${g('songs')} | ${g('events')} | ${g('read_cpu')} | ` +
      `${g('parse_cpu')} | ${g('transform')} | ${g('encode_songplays')} | ${g('finish')} | ${g('publish')} | ` +
      `${g('total')} |`);
  }
}

function fsType(p) {
  const r = spawnSync('df', ['--output=fstype', p], { encoding: 'utf8' });
  return (r.stdout || '').trim().split('\n').pop() || '?';
}

function duckVersion() {
  try {
    const pj = path.join(root, 'tests/js/node_modules/@duckdb/node-api/package.json');
    return JSON.parse(fs.readFileSync(pj, 'utf8')).version;
  } catch { return '?'; }
}

// ---- chart: time and memory against input size, both engines ----
function nice(max) {
  const p = 10 ** Math.floor(Math.log10(max));
  return [1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10].find((k) => k * p >= max) * p;
}
function chart(results) {
  const W = 760, H = 340, L = 60, T = 40, gap = 90, pw = (W - L - 30 - gap) / 2, ph = H - T - 70;
  const xmax = nice(Math.max(...results.map((r) => r.inMB)));
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const panel = (x0, title, key, unit) => {
    const ymax = nice(Math.max(...results.flatMap((r) => [r.sl[key], r.dk[key], r.sl0 ? r.sl0[key] : 0])));
    const px = (v) => x0 + (v / xmax) * pw, py = (v) => T + ph - (v / ymax) * ph;
    let s = `<text x="${x0}" y="${T - 14}" font-size="14" font-weight="bold">${esc(title)}</text>`;
    for (let i = 0; i <= 4; i++) {
      const y = py((ymax * i) / 4), x = px((xmax * i) / 4);
      s += `<line x1="${x0}" y1="${y.toFixed(1)}" x2="${x0 + pw}" y2="${y.toFixed(1)}" stroke="#ddd"/>` +
        `<text x="${x0 - 6}" y="${(y + 4).toFixed(1)}" font-size="11" text-anchor="end">${+((ymax * i) / 4).toPrecision(3)}</text>` +
        `<text x="${x.toFixed(1)}" y="${T + ph + 16}" font-size="11" text-anchor="middle">${+((xmax * i) / 4).toPrecision(3)}</text>`;
    }
    s += `<line x1="${x0}" y1="${T + ph}" x2="${x0 + pw}" y2="${T + ph}" stroke="#444"/>` +
      `<line x1="${x0}" y1="${T}" x2="${x0}" y2="${T + ph}" stroke="#444"/>` +
      `<text x="${x0 + pw / 2}" y="${T + ph + 34}" font-size="12" text-anchor="middle">input MB (songs + event logs)</text>` +
      `<text x="${x0 - 45}" y="${T + ph / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 ${x0 - 45} ${T + ph / 2})">${unit}</text>`;
    const line = (eng, color, dash = '') => `<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${
      results.map((r) => `${px(r.inMB).toFixed(1)},${py(r[eng][key]).toFixed(1)}`).join(' ')}"/>` +
      results.map((r) => `<circle cx="${px(r.inMB).toFixed(1)}" cy="${py(r[eng][key]).toFixed(1)}" r="3.5" fill="${color}"/>`).join('');
    return s + line('dk', '#d62728') + line('sl', '#1f77b4') +
      (results[0].sl0 ? line('sl0', '#17becf', ' stroke-dasharray="5,3"') : '');
  };
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    panel(L, 'Wall time (median)', 'wall', 'seconds') +
    panel(L + pw + gap, 'Peak RSS', 'rss', 'MB') +
    `<rect x="${L}" y="${H - 22}" width="12" height="12" fill="#1f77b4"/>` +
    `<text x="${L + 18}" y="${H - 12}" font-size="12">songlake build</text>` +
    `<rect x="${L + 140}" y="${H - 22}" width="12" height="12" fill="#d62728"/>` +
    `<text x="${L + 158}" y="${H - 12}" font-size="12">DuckDB ${esc(duckVersion())}, same SQL transformation</text>` +
    (results[0].sl0 ? `<rect x="${L + 470}" y="${H - 22}" width="12" height="12" fill="#17becf"/>` +
      `<text x="${L + 488}" y="${H - 12}" font-size="12">songlake --no-sync</text>` : '') +
    `<text x="${W - 10}" y="${T - 28}" font-size="10" text-anchor="end">${m.nproc} cores, ${esc(m.cpu)}, ${m.ram} GiB</text></svg>\n`;
}

const section = lines.join('\n') + '\n';
console.log(section);
if (!args['no-doc']) {
  fs.writeFileSync(path.join(path.dirname(docFile), 'bench-chart.svg'), chart(results));
  const begin = '<!-- results:begin -->', end = '<!-- results:end -->';
  let doc = fs.existsSync(docFile) ? fs.readFileSync(docFile, 'utf8') : `# Benchmarks\n\n${begin}\n${end}\n`;
  if (!doc.includes(begin)) doc += `\n${begin}\n${end}\n`;
  doc = doc.slice(0, doc.indexOf(begin) + begin.length) + '\n' + section + doc.slice(doc.indexOf(end));
  fs.writeFileSync(docFile, doc);
  console.log(`wrote ${docFile} and docs/bench-chart.svg`);
}
