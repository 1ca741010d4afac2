// SPEC §3 publishing: a run killed with SIGKILL in the middle, or failing on
// --max-rejects, leaves the previous lake complete, byte for byte, and
// readable by DuckDB; the next run cleans up after the killed one and
// publishes. The killed run reads the sample's logs replicated 50 times so
// the kill lands while it is writing. With --no-sync the same holds for a
// killed run (only durability against power loss is given up), the files
// are the same, and no syncfs/fsync is made (counted with strace).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  TABLES, build, buildOk, cleanup, duck, event, lakeTable, listFiles, ndjson, sample, spawnBuild, tmpdir, writeTree,
} from './lib.mjs';

let db;
before(async () => { db = await duck(); });
after(() => { db?.close(); cleanup(); });

const songs = path.join(sample, 'song_data');

// name -> sha256 of every file of the five tables
function snapshot(out) {
  const m = {};
  for (const t of TABLES) {
    for (const f of listFiles(path.join(out, t))) {
      m[`${t}/${f}`] = crypto.createHash('sha256').update(fs.readFileSync(path.join(out, t, f))).digest('hex');
    }
  }
  return m;
}
async function counts(out) {
  const c = {};
  for (const t of TABLES) c[t] = Number(await db.one(`SELECT count(*) FROM ${lakeTable(out, t)}`));
  return c;
}
function findStaged(dir) {
  // any .parquet file under a directory of `dir` that is not a live table
  const hits = [];
  const walk = (d, staged) => {
    let ents;
    try { ents = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of ents) {
      const p = path.join(d, e.name);
      const s = staged || (d === dir && !TABLES.includes(e.name) && e.name !== '_songlake');
      if (e.isDirectory()) walk(p, s);
      else if (s && e.name.endsWith('.parquet')) hits.push(p);
    }
  };
  walk(dir, false);
  return hits;
}

for (const mode of [[], ['--no-sync']]) test(`SIGKILL mid-run ${mode.join(' ') || '(default)'} leaves the previous lake intact; the next run publishes`, async () => {
  const root = tmpdir('kill');
  const out = path.join(root, 'lake');
  buildOk(['--songs', songs, '--logs', path.join(sample, 'log_data'), '--out', out]);
  const before = snapshot(out);
  const beforeCounts = await counts(out);
  assert.equal(beforeCounts.songplays, 6820);

  const big = path.join(root, 'logs');
  const logs = listFiles(path.join(sample, 'log_data'));
  for (let r = 0; r < 50; r++) {
    for (const f of logs) {
      const dst = path.join(big, `r${String(r).padStart(2, '0')}`, f);
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      fs.copyFileSync(path.join(sample, 'log_data', f), dst);
    }
  }
  const child = spawnBuild(['--songs', songs, '--logs', big, '--out', out, '--threads', '2', ...mode]);
  let exited = false;
  const done = new Promise((resolve) => child.on('exit', (code, sig) => { exited = true; resolve({ code, sig }); }));
  // kill as soon as the run is writing songplays into its staging area
  while (!exited && findStaged(out).length === 0) await new Promise((r) => setTimeout(r, 2));
  assert.ok(!exited, 'the run ended before it could be killed: make the input larger');
  child.kill('SIGKILL');
  const { sig } = await done;
  assert.equal(sig, 'SIGKILL');

  assert.deepEqual(snapshot(out), before, 'previous tables byte for byte');
  assert.deepEqual(await counts(out), beforeCounts, 'DuckDB reads the previous lake');

  buildOk(['--songs', songs, '--logs', big, '--out', out, '--threads', '2']);
  const after = await counts(out);
  assert.deepEqual(after, { ...beforeCounts, songplays: 50 * 6820 });
  assert.deepEqual(findStaged(out), [], 'the killed run\'s staging area is gone');
  const ids = await db.all(`SELECT min(songplayId) AS lo, max(songplayId) AS hi FROM ${lakeTable(out, 'songplays')}`);
  assert.deepEqual([Number(ids[0].lo), Number(ids[0].hi)], [1, 50 * 6820]);
  for (const t of TABLES) {
    const m = JSON.parse(fs.readFileSync(path.join(out, t, '_SUCCESS'), 'utf8'));
    assert.deepEqual(m.files.map((f) => f.path).sort(), listFiles(path.join(out, t)).filter((f) => f !== '_SUCCESS'),
      `${t}: exactly the new run's files`);
    assert.equal(m.rows, after[t]);
  }
});

// the sync calls a build makes, counted by strace (-f: every thread)
function syncCalls(args) {
  const root = tmpdir('strace');
  const log = path.join(root, 'strace.log');
  const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=fsync,fdatasync,syncfs,sync,sync_file_range', '-o', log,
    process.env.SONGLAKE_BIN, 'build', '--quiet', ...args], { encoding: 'utf8',
    // a sanitizer build: LeakSanitizer cannot run under ptrace (the rest of
    // AddressSanitizer can, and stays on)
    env: { ...process.env, ASAN_OPTIONS: [process.env.ASAN_OPTIONS, 'detect_leaks=0'].filter(Boolean).join(':') } });
  assert.equal(r.error, undefined, `strace could not run (scripts/deps.sh installs it): ${r.error}`);
  assert.equal(r.status, 0, r.stderr);
  const calls = {};
  for (const l of fs.readFileSync(log, 'utf8').split('\n')) {
    const m = l.match(/^\d+\s+(\w+)\(/);
    if (m) calls[m[1]] = (calls[m[1]] || 0) + 1;
  }
  return calls;
}

test('--no-sync (and sync = false in --config): the same files, no syncfs or fsync; the default syncs', () => {
  const root = tmpdir('nosync');
  const run = (out, extra) => syncCalls(['--songs', songs, '--logs', path.join(sample, 'log_data'), '--out', out,
    '--threads', '2', ...extra]);
  const synced = run(path.join(root, 'a'), []);
  assert.ok(synced.syncfs >= 1, `the default run makes its output durable: ${JSON.stringify(synced)}`);
  assert.deepEqual(run(path.join(root, 'b'), ['--no-sync']), {});
  const cfg = path.join(root, 'dl.cfg');
  fs.writeFileSync(cfg, '[songlake]\nsync = false\n');
  assert.deepEqual(run(path.join(root, 'c'), ['--config', cfg]), {});
  // a second run replacing a lake (old tables deleted at the end) makes no sync call either
  assert.deepEqual(run(path.join(root, 'b'), ['--no-sync']), {});
  const a = snapshot(path.join(root, 'a')), b = snapshot(path.join(root, 'b'));
  assert.ok(Object.keys(a).length > 70, `${Object.keys(a).length} files`);
  assert.deepEqual(b, a, 'the same bytes under the same names');
  const rep = (d) => JSON.parse(fs.readFileSync(path.join(root, d, '_songlake', 'report.json'), 'utf8')).options;
  assert.equal(rep('a').sync, true);
  assert.equal(rep('b').sync, false);
  assert.equal(rep('c').sync, false);
});

test('--max-rejects exceeded: non-zero exit, one-line cause, previous lake untouched', async () => {
  const root = tmpdir('maxrej');
  const out = path.join(root, 'lake');
  buildOk(['--songs', songs, '--logs', path.join(sample, 'log_data'), '--out', out]);
  const before = snapshot(out);
  const beforeCounts = await counts(out);
  writeTree(path.join(root, 'logs'), {
    'a.json': ndjson([event({})]) + 'not json\n{"userId":"x","page":"NextSong","ts":1}\n[1]\n',
  });
  const r = build(['--songs', songs, '--logs', path.join(root, 'logs'), '--out', out, '--max-rejects', '2', '--max-reject-rate', '1']);
  assert.notEqual(r.code, 0);
  assert.equal(r.signal, null);
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 1, r.err);
  assert.match(lines[0], /reject/i);
  assert.deepEqual(snapshot(out), before);
  assert.deepEqual(await counts(out), beforeCounts);
  assert.deepEqual(findStaged(out), []);
  // at the limit the run succeeds, rejects recorded
  buildOk(['--songs', songs, '--logs', path.join(root, 'logs'), '--out', out, '--max-rejects', '3', '--max-reject-rate', '1']);
  assert.equal((await counts(out)).songplays, 1);
  const rj = fs.readFileSync(path.join(out, '_songlake', 'rejects.jsonl'), 'utf8').trim().split('\n');
  assert.equal(rj.length, 3);
});
