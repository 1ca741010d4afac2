// Issue 15, "songlake replaces only what it made": before anything is
// written, a build refuses (exit 2, one line naming the path) a foreign
// file or directory in any table directory or _songlake, a plain file where
// a table goes, and an --out that is /, holds, lies in or is an input. The
// foreign files and the previous lake are untouched, byte for byte.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { TABLES, build, buildOk, cleanup, listFiles, sample, tmpdir } from './lib.mjs';

after(() => cleanup());
const songs = path.join(sample, 'song_data');
const logs = path.join(sample, 'log_data');

function snapshot(dir) {
  const m = {};
  for (const f of listFiles(dir)) {
    m[f] = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex');
  }
  return m;
}
function oneLine(r) {
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected:\n${r.err}`);
  return lines[0];
}

const base = tmpdir('owned');
const good = path.join(base, 'good');
buildOk(['--songs', songs, '--logs', logs, '--out', good]);

test('a foreign file or directory in any table, or in _songlake, stops the run', () => {
  for (const t of [...TABLES, '_songlake']) {
    for (const kind of ['file', 'dir', 'nested']) {
      const out = path.join(base, `f-${t}-${kind}`);
      fs.cpSync(good, out, { recursive: true });
      const rel = kind === 'file' ? 'my-notes.csv' : kind === 'dir' ? 'mine/keep.txt' : 'year=2018/mine.txt';
      fs.mkdirSync(path.dirname(path.join(out, t, rel)), { recursive: true });
      fs.writeFileSync(path.join(out, t, rel), 'not songlake\n');
      const before = snapshot(out);
      const r = build(['--songs', songs, '--logs', logs, '--out', out]);
      assert.equal(r.code, 2, `${t}/${rel}: exit ${r.code}\n${r.err}`);
      const line = oneLine(r);
      assert.match(line, new RegExp(`${t}/`), line);
      assert.match(line, /songlake replaces only what it wrote/);
      assert.deepEqual(snapshot(out), before, `${t}/${rel}: nothing may change`);
      assert.ok(!fs.readdirSync(out).some((e) => e.startsWith('.songlake-staging-')), 'no staging left');
    }
  }
});

test('an empty foreign directory and a symlink are foreign too', () => {
  const out = path.join(base, 'emptydir');
  fs.cpSync(good, out, { recursive: true });
  fs.mkdirSync(path.join(out, 'users', 'empty'));
  let r = build(['--songs', songs, '--logs', logs, '--out', out]);
  assert.equal(r.code, 2, r.err);
  assert.match(oneLine(r), /users\/empty/);
  fs.rmdirSync(path.join(out, 'users', 'empty'));
  const f = listFiles(path.join(out, 'songs')).find((x) => x.endsWith('.parquet'));
  fs.renameSync(path.join(out, 'songs', f), path.join(base, 'moved.parquet'));
  fs.symlinkSync(path.join(base, 'moved.parquet'), path.join(out, 'songs', f));
  r = build(['--songs', songs, '--logs', logs, '--out', out]);
  assert.equal(r.code, 2, r.err);
  assert.ok(fs.existsSync(path.join(base, 'moved.parquet')), 'the symlink target is untouched');
});

test('a directory without a manifest, or a plain file, where a table goes', () => {
  const out = path.join(base, 'plain');
  fs.mkdirSync(path.join(out, 'users'), { recursive: true });
  fs.writeFileSync(path.join(out, 'users', 'my-users.csv'), 'id,name\n1,a\n');
  fs.writeFileSync(path.join(out, 'time'), 'a file named time\n');
  let r = build(['--songs', songs, '--logs', logs, '--out', out]);
  assert.equal(r.code, 2, r.err);
  assert.match(oneLine(r), /users/);
  assert.equal(fs.readFileSync(path.join(out, 'users', 'my-users.csv'), 'utf8'), 'id,name\n1,a\n');
  fs.rmSync(path.join(out, 'users'), { recursive: true });
  r = build(['--songs', songs, '--logs', logs, '--out', out]);
  assert.equal(r.code, 2, r.err);
  assert.match(oneLine(r), /time is not a directory songlake made/);
  assert.equal(fs.readFileSync(path.join(out, 'time'), 'utf8'), 'a file named time\n');
  assert.deepEqual(fs.readdirSync(out).sort(), ['.songlake.lock', 'time'].sort().filter((e) => fs.existsSync(path.join(out, e))));
});

test('--out that is /, holds, lies in or is an input is refused before writing', () => {
  const proj = path.join(base, 'proj');
  fs.cpSync(sample, proj, { recursive: true });
  const before = snapshot(proj);
  const cases = [
    ['/', songs, logs, /file system root/],
    [proj, path.join(proj, 'song_data'), path.join(proj, 'log_data'), /holds the --songs input/],
    [path.join(proj, 'song_data', 'lake'), path.join(proj, 'song_data'), logs, /lies inside the --songs input/],
    [path.join(proj, 'log_data'), songs, path.join(proj, 'log_data'), /is the --logs input/],
    // through a symlink and a glob
    [path.join(base, 'link'), songs, path.join(proj, 'log_data', '**', '*.json'), /holds the --logs input/],
  ];
  fs.symlinkSync(proj, path.join(base, 'link'));
  for (const [out, s, l, re] of cases) {
    const r = build(['--songs', s, '--logs', l, '--out', out]);
    assert.equal(r.code, 2, `--out ${out}: exit ${r.code}\n${r.err}`);
    assert.match(oneLine(r), re);
  }
  assert.deepEqual(snapshot(proj), before, 'the inputs are untouched');
  assert.ok(!fs.existsSync(path.join(proj, 'songs')) && !fs.existsSync(path.join(proj, '.songlake.lock')));
});

test('a lake songlake made is replaced; a sibling of the lake is not looked at', () => {
  const out = path.join(base, 'again');
  fs.cpSync(good, out, { recursive: true });
  fs.writeFileSync(path.join(out, 'README.txt'), 'my notes about this lake\n');
  buildOk(['--songs', songs, '--logs', logs, '--out', out]);
  assert.equal(fs.readFileSync(path.join(out, 'README.txt'), 'utf8'), 'my notes about this lake\n');
  for (const t of TABLES) assert.deepEqual(snapshot(path.join(out, t)), snapshot(path.join(good, t)), t);
});
