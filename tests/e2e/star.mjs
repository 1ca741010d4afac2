// Issue 15, "the star is published whole or not at all": faults at every
// step of the publish protocol, injected into the real binary with strace
// (SIGKILL at each rename/unlink/fsync/syncfs; EPERM/EIO at each rename;
// EIO and ENOSPC at each write; ENOSPC from a small tmpfs, sweeping its free
// space). After each, the next songlake command on the lake (here a build
// that recovers and then stops on --max-rejects 0) leaves the previous lake
// or the new one, every file of all five tables and _songlake, and DuckDB
// finds every songplay's song_id in songs. A run that exits non-zero leaves
// the previous lake byte for byte. Deleting, replacing or symlinking the
// lock file under a run does not let a second writer in.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TABLES, bin, cleanup, duck, lakeTable, listFiles, sample, tmpdir } from './lib.mjs';

let db;
before(async () => { db = await duck(); });
after(() => { db?.close(); cleanup(); });

const ALL = [...TABLES, '_songlake'];
const base = tmpdir('star');
// the previous lake (a part of the sample) and the new one (all of it):
// every table differs between the two
const oldIn = path.join(base, 'in-old');
fs.mkdirSync(path.join(oldIn, 'songs'), { recursive: true });
fs.mkdirSync(path.join(oldIn, 'logs'), { recursive: true });
const songFiles = listFiles(path.join(sample, 'song_data')).filter((f) => f.endsWith('.json'));
for (const f of songFiles.slice(0, 40)) fs.copyFileSync(path.join(sample, 'song_data', f), path.join(oldIn, 'songs', path.basename(f)));
const logFiles = listFiles(path.join(sample, 'log_data')).filter((f) => f.endsWith('.json'));
for (const f of logFiles.slice(0, 12)) fs.copyFileSync(path.join(sample, 'log_data', f), path.join(oldIn, 'logs', path.basename(f)));
const OLD = ['--songs', path.join(oldIn, 'songs'), '--logs', path.join(oldIn, 'logs')];
const NEW = ['--songs', path.join(sample, 'song_data'), '--logs', path.join(sample, 'log_data')];
// a dirty log: the recovering command fails on --max-rejects 0 after
// completing what a killed run left
const dirty = path.join(base, 'dirty');
fs.mkdirSync(dirty);
fs.writeFileSync(path.join(dirty, 'bad.json'), '{"page": "NextSong", "ts": "not a number"}\n');
const RECOVER = ['--songs', path.join(sample, 'song_data'), '--logs', dirty, '--max-rejects', '0'];

function run(args, opts = {}) {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
  return { code: r.status, signal: r.signal, err: r.stderr, out: r.stdout };
}
const build = (out, ins, extra = []) => run([bin, 'build', '--quiet', '--threads', '2', ...ins, '--out', out, ...extra]);
function snapshot(out) {
  const m = {};
  for (const t of ALL) {
    const d = path.join(out, t);
    if (!fs.existsSync(d)) { m[t] = 'missing'; continue; }
    for (const f of listFiles(d)) {
      if (t === '_songlake' && f === 'report.json') continue; // timings and run id
      if (t === '_songlake' && f.startsWith('failed/')) continue; // the recovering command's rejects
      m[`${t}/${f}`] = crypto.createHash('sha256').update(fs.readFileSync(path.join(d, f))).digest('hex');
    }
  }
  return m;
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
function reportOf(out) { return fs.readFileSync(path.join(out, '_songlake', 'report.json'), 'utf8'); }

const golden = path.join(base, 'golden');
assert.equal(build(path.join(golden, 'old'), OLD).code, 0);
assert.equal(build(path.join(golden, 'new'), NEW).code, 0);
const SNAP_OLD = snapshot(path.join(golden, 'old'));
const SNAP_NEW = snapshot(path.join(golden, 'new'));
assert.ok(!same(SNAP_OLD, SNAP_NEW));
for (const t of TABLES) {
  const k = Object.keys(SNAP_OLD).filter((x) => x.startsWith(`${t}/`));
  assert.ok(k.some((x) => SNAP_OLD[x] !== SNAP_NEW[x]) || k.length !== Object.keys(SNAP_NEW).filter((x) => x.startsWith(`${t}/`)).length, `${t} differs`);
}

let n = 0;
function freshOld() {
  const out = path.join(base, `lake-${n++}`);
  fs.cpSync(path.join(golden, 'old'), out, { recursive: true });
  return out;
}
async function assertWhole(out, what) {
  const s = snapshot(out);
  const which = same(s, SNAP_OLD) ? 'old' : same(s, SNAP_NEW) ? 'new' : null;
  assert.ok(which, `${what}: the lake is neither the previous nor the new star:\n${
    Object.keys({ ...s, ...SNAP_NEW }).filter((k) => s[k] !== SNAP_NEW[k] && s[k] !== SNAP_OLD[k]).slice(0, 8).join('\n')}`);
  const orphans = await db.one(`SELECT count(*) FROM ${lakeTable(out, 'songplays')} p
    WHERE p.song_id IS NOT NULL AND p.song_id NOT IN (SELECT song_id FROM ${lakeTable(out, 'songs')})`);
  assert.equal(Number(orphans), 0, `${what}: songplays whose song_id is not in songs`);
  return which;
}
function strace(inject, out, ins = NEW) {
  return run(['strace', '-f', '-qq', '-o', '/dev/null', '-e', `inject=${inject}`, bin, 'build', '--quiet', '--threads', '2', ...ins, '--out', out]);
}
function recover(out) {
  const r = build(out, RECOVER);
  assert.equal(r.code, 1, `the recovering command stops on its rejects:\n${r.err}`);
  assert.match(r.err, /max-rejects/);
}

test('SIGKILL at every rename, unlink, fsync and syncfs: previous or new star, whole', async () => {
  const seen = { old: 0, new: 0 };
  for (const sc of ['rename', 'renameat2', 'unlink', 'fsync', 'syncfs']) {
    for (let k = 1; k < 50; k++) {
      const out = freshOld();
      const r = strace(`${sc}:signal=KILL:when=${k}`, out);
      const finished = r.code === 0;
      if (!finished) {
        // until the next command each table is whole on its own
        for (const t of ALL) assert.ok(fs.existsSync(path.join(out, t)) || sc === 'rename', `${sc}#${k}: ${t}`);
        recover(out);
      }
      const which = await assertWhole(out, `kill at ${sc} #${k}`);
      seen[which]++;
      if (finished) { assert.equal(which, 'new'); break; }
      fs.rmSync(out, { recursive: true });
    }
  }
  assert.ok(seen.old > 0 && seen.new > 0, `both outcomes seen: ${JSON.stringify(seen)}`);
});

test('a refused or failing rename, fsync or write: exit non-zero, previous lake byte for byte', async () => {
  const cases = [];
  for (let k = 1; k <= 7; k++) cases.push(`renameat2:error=EPERM:when=${k}`);
  cases.push('rename:error=EIO:when=1', 'rename:error=EXDEV:when=1');
  for (let k = 1; k <= 4; k++) cases.push(`fsync:error=EIO:when=${k}`);
  cases.push('syncfs:error=EIO:when=1', 'syncfs:error=EIO:when=2');
  for (let k = 1; k <= 120; k += 13) cases.push(`write:error=EIO:when=${k}`, `write:error=ENOSPC:when=${k}`);
  for (let k = 1; k <= 40; k += 5) cases.push(`openat:error=EIO:when=${k}`);
  let failed = 0;
  for (const c of cases) {
    const out = freshOld();
    const before = snapshot(out), rep = reportOf(out);
    const r = strace(c, out);
    if (r.code === 0) { await assertWhole(out, c); continue; }
    failed++;
    assert.ok(r.code > 0, `${c}: ${r.code} ${r.signal}`);
    assert.match(r.err, /songlake build: error: /, c);
    assert.ok(same(snapshot(out), before), `${c}: the previous lake must be unchanged:\n${r.err}`);
    assert.equal(reportOf(out), rep, `${c}: report.json unchanged`);
    assert.ok(!fs.readdirSync(out).some((e) => e.startsWith('.songlake-staging-')), `${c}: staging removed`);
    // and the next run publishes
    assert.equal(build(out, NEW).code, 0);
    assert.equal(await assertWhole(out, `${c} then a clean run`), 'new');
    fs.rmSync(out, { recursive: true });
  }
  assert.ok(failed >= cases.length / 2, `most injected faults fail the run (${failed} of ${cases.length})`);
});

test('ENOSPC on a small tmpfs at every size: previous lake or new, never a mix', { skip: process.getuid() !== 0 && 'needs root to mount tmpfs' }, async () => {
  const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-tmpfs-'));
  const need = Object.keys(SNAP_NEW).length;
  const oldBytes = Number(run(['du', '-sb', path.join(golden, 'old')]).out.split('\t')[0]);
  const newBytes = Number(run(['du', '-sb', path.join(golden, 'new')]).out.split('\t')[0]);
  let failures = 0, oks = 0;
  try {
    for (let extra = 0; extra <= newBytes * 2; extra += Math.ceil(newBytes / 6)) {
      const size = oldBytes + extra + 256 * 1024;
      assert.equal(run(['mount', '-t', 'tmpfs', '-o', `size=${size},nr_inodes=${need * 4 + 4000}`, 'tmpfs', mnt]).code, 0);
      try {
        const out = path.join(mnt, 'lake');
        fs.cpSync(path.join(golden, 'old'), out, { recursive: true });
        const before = snapshot(out);
        const r = build(out, NEW);
        if (r.code === 0) {
          oks++;
          assert.equal(await assertWhole(out, `tmpfs ${size}`), 'new');
        } else {
          failures++;
          assert.match(r.err, /No space left on device/, r.err);
          assert.ok(same(snapshot(out), before), `tmpfs ${size}: previous lake unchanged`);
        }
      } finally {
        run(['umount', mnt]);
      }
    }
  } finally {
    fs.rmSync(mnt, { recursive: true, force: true });
  }
  assert.ok(failures > 0 && oks > 0, `sweep covered both outcomes: ${failures} failed, ${oks} published`);
});

// A run held at its first exchange (strace delays it) while the test plays
// with the lock file.
function heldRun(out) {
  const p = spawn('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'inject=renameat2:delay_enter=4000000:when=1', bin, 'build', '--quiet', ...NEW, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  const done = new Promise((res) => p.on('exit', (code) => res({ code, err })));
  return done;
}
async function waitFor(pred) {
  for (let i = 0; i < 400 && !pred(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(pred(), 'timed out waiting');
}
const committing = (out) => fs.readdirSync(out).some((e) => e.startsWith('.songlake-staging-') &&
  fs.existsSync(path.join(out, e, '_COMMIT')));

test('deleting, replacing or symlinking the lock file does not let a second writer in', async () => {
  for (const how of ['delete', 'replace', 'symlink']) {
    const out = freshOld();
    const first = heldRun(out);
    await waitFor(() => committing(out));
    const lock = path.join(out, '.songlake.lock');
    fs.rmSync(lock, { force: true });
    if (how === 'replace') fs.writeFileSync(lock, '');
    if (how === 'symlink') fs.symlinkSync(path.join(base, 'elsewhere.lock'), lock);
    const second = build(out, OLD);
    assert.equal(second.code, 1, `${how}: the second run must be refused:\n${second.err}`);
    assert.match(second.err, /another songlake run is writing/);
    const r = await first;
    assert.equal(r.code, 0, `${how}: the first run completes:\n${r.err}`);
    assert.equal(await assertWhole(out, how), 'new');
  }
});

test('the output directory replaced under a run: the run publishes nothing', async () => {
  // the run is held at its syncfs before the commit record
  const out = freshOld();
  const p = spawn('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'inject=syncfs:delay_enter=3000000:when=1', bin, 'build', '--quiet', ...NEW, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  const done = new Promise((res) => p.on('exit', (code) => res(code)));
  await waitFor(() => fs.readdirSync(out).some((e) => e.startsWith('.songlake-staging-') &&
    fs.existsSync(path.join(out, e, '_songlake', '_SUCCESS'))));
  const moved = `${out}-moved`;
  fs.renameSync(out, moved);
  fs.cpSync(path.join(golden, 'old'), out, { recursive: true });
  const code = await done;
  assert.notEqual(code, 0, `a run whose --out was replaced must fail:\n${err}`);
  assert.match(err, /moved or replaced during the run/);
  assert.ok(same(snapshot(out), SNAP_OLD), 'the new directory at --out is untouched');
  assert.ok(same(snapshot(moved), SNAP_OLD), 'the moved lake is the previous one');
});
