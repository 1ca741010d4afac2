// Issue 15, "a run that is obviously wrong does not publish": swapped
// --songs and --logs, and a source above --max-reject-rate (default 5%),
// fail the run (exit 1) with the counts by reason, publish nothing (the
// previous lake byte for byte), and keep the run's rejects where the message
// says (<out>/_songlake/failed/<run>/rejects.jsonl, the last 10 kept by
// later runs). --max-reject-rate 1 turns the share off (but a source with
// none accepted still fails); a run that succeeds with rejects shows the
// top reasons in its summary and all of them in report.json.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { TABLES, build, buildOk, cleanup, event, listFiles, ndjson, sample, tmpdir, writeTree } from './lib.mjs';

after(() => cleanup());
const songs = path.join(sample, 'song_data');
const logs = path.join(sample, 'log_data');
const snap = (out) => {
  const m = {};
  for (const t of [...TABLES, '_songlake']) {
    for (const f of listFiles(path.join(out, t))) {
      if (f.startsWith('failed/')) continue;
      m[`${t}/${f}`] = crypto.createHash('sha256').update(fs.readFileSync(path.join(out, t, f))).digest('hex');
    }
  }
  return m;
};
const failedRuns = (out) => (fs.existsSync(path.join(out, '_songlake', 'failed'))
  ? fs.readdirSync(path.join(out, '_songlake', 'failed')).sort() : []);

test('swapped inputs publish nothing; the message and the kept rejects say why', () => {
  const out = path.join(tmpdir('rate'), 'lake');
  buildOk(['--songs', songs, '--logs', logs, '--out', out]);
  const before = snap(out);
  for (const quiet of [true, false]) {
    const r = build(['--songs', logs, '--logs', songs, '--out', out, ...(quiet ? [] : ['--no-quiet'])].filter((a) => a !== '--no-quiet'));
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /songs: 0 of 8056 records accepted \(is --songs .*log_data the right input\?\)/);
    assert.match(r.err, /by reason: 8056 x /);
    const m = /the rejects are in (\S+)/.exec(r.err);
    assert.ok(m, r.err);
    const kept = fs.readFileSync(m[1], 'utf8').trim().split('\n');
    assert.equal(kept.length, 8056);
    assert.ok(JSON.parse(kept[0]).reason);
    assert.deepEqual(snap(out), before, 'the previous lake, byte for byte');
  }
  assert.equal(failedRuns(out).length, 2);
  // a good run keeps them, the lake stays songlake's (no ownership refusal)
  buildOk(['--songs', songs, '--logs', logs, '--out', out]);
  assert.equal(failedRuns(out).length, 2, 'kept across a successful run');
});

test('--max-reject-rate: 5% by default, any share, 1 = off; none accepted always fails', () => {
  const base = tmpdir('rate2');
  // 100 events: 6 of them bad (6%)
  const evs = [];
  for (let i = 0; i < 94; i++) evs.push(event({ ts: 1541105830796 + i * 1000, userId: String(1 + (i % 5)) }));
  const lines = evs.map((e) => JSON.stringify(e));
  for (let i = 0; i < 6; i++) lines.push(`{"page": "NextSong", "ts": "bad ${i}"`);
  writeTree(base, { 'logs/day.json': lines.join('\n') + '\n' });
  const out = path.join(base, 'lake');
  let r = build(['--songs', songs, '--logs', path.join(base, 'logs'), '--out', out]);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /events: 6 of 100 records rejected \(6\.0%\), above --max-reject-rate 5%/);
  assert.ok(!fs.existsSync(path.join(out, 'songplays')), 'nothing published');
  r = build(['--songs', songs, '--logs', path.join(base, 'logs'), '--out', out, '--max-reject-rate', '0.1']);
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(fs.readFileSync(path.join(out, '_songlake', 'report.json'), 'utf8'));
  assert.equal(rep.max_reject_rate, 0.1);
  assert.equal(rep.reject_reasons.reduce((a, x) => a + x.count, 0), 6);
  assert.ok(rep.reject_reasons.length >= 1 && rep.reject_reasons.length <= 2, JSON.stringify(rep.reject_reasons));
  r = build(['--songs', songs, '--logs', path.join(base, 'logs'), '--out', out, '--max-reject-rate', '0.01']);
  assert.equal(r.code, 1);
  r = build(['--songs', songs, '--logs', path.join(base, 'logs'), '--out', out, '--max-reject-rate=1']);
  assert.equal(r.code, 0, r.err);
  // none accepted fails even with the share off
  writeTree(base, { 'bad/x.json': 'not json\nnot json either\n' });
  r = build(['--songs', songs, '--logs', path.join(base, 'bad'), '--out', out, '--max-reject-rate', '1']);
  assert.equal(r.code, 1);
  assert.match(r.err, /events: 0 of 2 records accepted/);
  // a bad value is a usage error
  r = build(['--max-reject-rate', '5%', '--out', out]);
  assert.equal(r.code, 2, r.err);
  r = build(['--max-reject-rate', '1.5', '--out', out]);
  assert.equal(r.code, 2, r.err);
});

test('the summary shows the top reasons of a run that succeeds with rejects', async () => {
  const base = tmpdir('rate3');
  const lines = [];
  for (let i = 0; i < 50; i++) lines.push(JSON.stringify(event({ ts: 1541105830796 + i })));
  lines.push('{"page": "NextSong", "ts": 1541105830796, "userId": "x1"}');
  writeTree(base, { 'logs/a.json': lines.join('\n') + '\n' });
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.env.SONGLAKE_BIN, ['build', '--songs', songs, '--logs', path.join(base, 'logs'),
    '--out', path.join(base, 'lake')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^rejects by reason .*\n +1  /m);
});

test('the last 10 failed runs are kept', () => {
  const out = path.join(tmpdir('rate4'), 'lake');
  for (let i = 0; i < 12; i++) {
    const r = build(['--songs', logs, '--logs', songs, '--out', out]);
    assert.equal(r.code, 1);
  }
  assert.equal(failedRuns(out).length, 12, 'kept while no run succeeds');
  buildOk(['--songs', songs, '--logs', logs, '--out', out]);
  assert.equal(failedRuns(out).length, 10, 'a published run keeps the last 10');
});
