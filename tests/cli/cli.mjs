// songlake's command line through the real binary: --help documents every
// flag, usage errors exit 2 with one line saying what is wrong and how to fix
// it, config-file errors name the file, line and key, flags override the
// file, and a failed run exits 1 leaving nothing half-written.
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const bin = process.env.SONGLAKE_BIN;
const src = process.env.SONGLAKE_SOURCE_DIR;
const sample = path.join(src, 'data', 'sparkify-sample');

function sl(args, opts = {}) {
  const r = spawnSync(bin, args, { encoding: 'utf8', ...opts });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function tmp() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-cli-'));
}
function oneLineError(r, cmd = 'build') {
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.err}`);
  assert.match(lines[0], new RegExp(`^songlake ${cmd}: error: `));
  return lines[0];
}

test('--help lists every command and every build flag', () => {
  const top = sl(['--help']);
  assert.equal(top.code, 0);
  for (const c of ['build', 'inspect', 'load-postgres', 'generate']) assert.ok(top.out.includes(c), c);
  const b = sl(['build', '--help']);
  assert.equal(b.code, 0);
  for (const f of ['--songs', '--logs', '--out', '--config', '--threads', '--compression',
    '--max-rejects', '--quiet', '--no-sync', '--postgres', '--endpoint-url', '--no-sign-request'])
    assert.ok(b.out.includes(f), `build --help mentions ${f}`);
});

test('--version names the version and whether MPI is built in', () => {
  const r = sl(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.out, /^songlake \d+\.\d+\.\d+/);
  assert.match(r.out, /mpi: (yes|no)/);
});

test('no command and unknown commands are usage errors', () => {
  assert.equal(sl([]).code, 2);
  const r = sl(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.err, /frobnicate/);
});

test('bad flags say what is wrong and how to fix it', () => {
  const cases = [
    [['build', '--bogus'], /^songlake build: error: unknown option --bogus \(did you mean --logs\?\)$/],
    [['build', '--thread=2'], /unknown option --thread \(did you mean --threads\?\)$/],
    [['build', '--frobnicate-everything'], /unknown option --frobnicate-everything \(see songlake build --help\)$/],
    [['build', '--quiet=yes'], /--quiet takes no value/],
    [['build', '--songs', ''], /--songs '': expected a path/],
    [['build', '--songs='], /--songs '': expected a path/],
    [['build', '--threads', '0'], /--threads '0': expected a number of threads/],
    [['build', '--threads', 'x'], /--threads 'x'/],
    [['build', '--compression', 'lz4'], /--compression 'lz4': expected one of snappy, zstd, gzip, none/],
    [['build', '--max-rejects', '-1'], /--max-rejects '-1': expected a non-negative integer/],
    [['build', '--out'], /--out needs a value/],
    [['build', 'stray'], /unexpected argument 'stray'/],
    [['build', '-x'], /unknown option -x \(options are long/],
  ];
  for (const [args, re] of cases) {
    const r = sl(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(oneLineError(r), re);
  }
});

test('config file errors name the file, the line and the key', () => {
  const d = tmp();
  try {
    const cfg = path.join(d, 'dl.cfg');
    fs.writeFileSync(cfg, '[AWS]\nAWS_ACCESS_KEY_ID = AKIAEXAMPLE\n\n[songlake]\nthreads = 2\nshreads = 3\n');
    let r = sl(['build', '--config', cfg]);
    assert.equal(r.code, 2);
    let line = oneLineError(r);
    assert.ok(line.includes(`${cfg}:6`), line);
    assert.match(line, /unknown key 'shreads'/);

    fs.writeFileSync(cfg, '[songlake]\ncompression = brotli\n');
    r = sl(['build', '--config', cfg]);
    assert.equal(r.code, 2);
    line = oneLineError(r);
    assert.ok(line.includes(`${cfg}:2`), line);
    assert.match(line, /compression = 'brotli': expected one of/);

    fs.writeFileSync(cfg, '[songlake]\nthreads = 2\nsync = maybe\n');
    r = sl(['build', '--config', cfg]);
    assert.equal(r.code, 2);
    line = oneLineError(r);
    assert.ok(line.includes(`${cfg}:3`), line);
    assert.match(line, /sync = 'maybe': expected true or false/);

    fs.writeFileSync(cfg, '[spark]\nmaster = local\n');
    r = sl(['build', '--config', cfg]);
    assert.equal(r.code, 2);
    assert.match(oneLineError(r), /unknown section \[spark\]/);

    r = sl(['build', '--config', path.join(d, 'missing.cfg')]);
    assert.equal(r.code, 2);
    assert.match(oneLineError(r), /missing\.cfg: No such file/);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('a secret in the config file never reaches the output or the report', () => {
  const d = tmp();
  try {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY';
    const cfg = path.join(d, 'dl.cfg');
    const out = path.join(d, 'lake');
    fs.writeFileSync(cfg, `[AWS]\nAWS_ACCESS_KEY_ID = AKIAEXAMPLE\nAWS_SECRET_ACCESS_KEY = ${secret}\n` +
      `[songlake]\nsongs = ${sample}/song_data\nlogs = ${sample}/log_data\nout = ${out}\n`);
    const r = sl(['build', '--config', cfg, '--threads', '1']);
    assert.equal(r.code, 0, r.err);
    assert.ok(!r.out.includes(secret) && !r.err.includes(secret));
    const report = fs.readFileSync(path.join(out, '_songlake', 'report.json'), 'utf8');
    assert.ok(!report.includes(secret));
    const rep = JSON.parse(report);
    assert.equal(rep.options.threads, 1, 'the flag overrides nothing in the file here');
    assert.equal(rep.options.out, out, 'out comes from the config file');
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('flags override the config file', () => {
  const d = tmp();
  try {
    const cfg = path.join(d, 'dl.cfg');
    const a = path.join(d, 'a'), b = path.join(d, 'b');
    fs.writeFileSync(cfg, `[songlake]\nout = ${a}\nthreads = 1\ncompression = gzip\n`);
    const r = sl(['build', '--config', cfg, '--out', b, '--compression', 'zstd', '--quiet']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '', '--quiet prints no summary');
    assert.ok(!fs.existsSync(a));
    const rep = JSON.parse(fs.readFileSync(path.join(b, '_songlake', 'report.json'), 'utf8'));
    assert.equal(rep.options.compression, 'zstd');
    assert.equal(rep.options.threads, 1);
    assert.ok(fs.readdirSync(path.join(b, 'users')).some((f) => f.endsWith('.zstd.parquet')));
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('a missing input fails with exit 1, one line naming it, and no output', () => {
  const d = tmp();
  try {
    const out = path.join(d, 'lake');
    const r = sl(['build', '--songs', path.join(d, 'nope'), '--out', out]);
    assert.equal(r.code, 1);
    assert.match(oneLineError(r), /--songs.*nope/);
    const tables = fs.existsSync(out) ? fs.readdirSync(out).filter((f) => !f.startsWith('.')) : [];
    assert.deepEqual(tables, []);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('the default run uses the bundled sample and prints a summary table', () => {
  const d = tmp();
  try {
    const r = sl(['build', '--out', path.join(d, 'lake')], { cwd: d });
    assert.equal(r.code, 0, r.err);
    for (const t of ['songplays', 'users', 'songs', 'artists', 'time']) assert.match(r.out, new RegExp(`^${t}\\s+\\d+`, 'm'));
    assert.match(r.out, /^songplays\s+6820\s/m);
    assert.match(r.out, /^events\s+30\s/m);
    assert.match(r.out, /^matched {4}1 of 6820 songplays to a song \(0\.01%\)$/m);
    assert.match(r.out, /published in \d+\.\d\d s \(wall time of the whole run\)$/m);
    assert.equal(r.err, '', 'nothing on stderr off a terminal');
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('on a terminal a progress line shows files, MB, MB/s and ETA; --quiet silences it', () => {
  const d = tmp();
  try {
    // `script` (util-linux) gives the build a pseudo-terminal as stderr
    const cmd = (extra) => `${bin} build --out ${path.join(d, 'lake')} --threads 1 ${extra}`;
    let r = spawnSync('script', ['-qec', cmd(''), '/dev/null'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /events\s+30\/30 files\s+[\d.]+ MB\s+[\d.]+ MB\/s\s+ETA \d+s/);
    assert.match(r.stdout, /songs\s+71\/71 files/);
    // the steps without files are shown too, in order, through the commit
    assert.match(r.stdout, /events\s+30\/30 files[^\n]*\r?\nwriting the tables\.\.\.\r?\ncommitting the star\.\.\.\r?\n/);
    r = spawnSync('script', ['-qec', cmd('--quiet'), '/dev/null'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /MB\/s|ETA/);
    // not a terminal: no progress line either
    const p = sl(['build', '--out', path.join(d, 'lake2'), '--threads', '1']);
    assert.equal(p.code, 0, p.err);
    assert.doesNotMatch(p.err, /MB\/s/);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('rejects are counted by reason in the summary', () => {
  const d = tmp();
  try {
    const logs = path.join(d, 'logs');
    fs.mkdirSync(logs);
    const good = fs.readFileSync(path.join(sample, 'log_data', '2018', '11', '2018-11-01-events.json'), 'utf8');
    fs.writeFileSync(path.join(logs, 'a.json'), `${good}not json at all\n[1, 2]\n{"page":"NextSong","ts":"soon"}\nnot json either\n`);
    const r = sl(['build', '--logs', logs, '--out', path.join(d, 'lake'), '--max-reject-rate', '1']);
    assert.equal(r.code, 0, r.err);
    const block = r.out.split('rejects by reason')[1];
    assert.ok(block, r.out);
    const counts = [...block.matchAll(/^ +(\d+)  (.+)$/gm)].map((m) => Number(m[1]));
    assert.ok(counts.length >= 2, block);
    const rejected = Number(r.out.match(/^events\s+1\s+[\d.]+\s+\d+\s+\d+\s+(\d+)$/m)[1]);
    assert.equal(counts.reduce((a, b) => a + b, 0), rejected, 'every reject is counted once');
    assert.ok(rejected >= 4);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});
