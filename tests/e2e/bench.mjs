// The benchmark harness itself (bench/e2e/run.mjs), end to end at the two
// smallest sizes: the bundled sample and `s` (generated here, ~100 MB of
// logs), one round each, into a temp dir. Checks what a benchmark run
// promises before it prints a number: the data set is generated in the
// Sparkify shape, both engines ran, their lakes hold the same rows in all
// five tables, and every measurement the report is built from is there.
// No timing is asserted (docs/benchmarks.md has the numbers).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { TABLES, cleanup, srcDir, tmpdir } from './lib.mjs';

after(cleanup);

test('run.mjs at sample and s: same rows in both engines, every measurement reported', () => {
  const dir = tmpdir('bench');
  const data = path.join(dir, 'data');
  const out = path.join(dir, 'out');
  fs.mkdirSync(out);
  const doc = path.join(srcDir, 'docs', 'benchmarks.md');
  const docBefore = fs.readFileSync(doc, 'utf8');
  const r = spawnSync(process.execPath, [path.join(srcDir, 'bench', 'e2e', 'run.mjs'), '--sizes', 'sample,s',
    '--runs', '1', '--threads', '2', '--data', data, '--out-root', out, '--nosync', '--no-doc'],
  { encoding: 'utf8', maxBuffer: 1 << 26, env: process.env });
  assert.equal(r.status, 0, `run.mjs failed (${r.status} ${r.signal}):\n${r.stderr}\n${r.stdout}`);
  const results = r.stdout.split('\n').filter((l) => l.startsWith('{"name"')).map((l) => JSON.parse(l));
  assert.deepEqual(results.map((x) => x.name), ['sample', 's']);

  for (const x of results) {
    for (const t of TABLES) {
      assert.equal(x.check[t].diff, 0, `${x.name} ${t}: the engines' rows differ`);
      assert.ok(x.check[t].rows > 0, `${x.name} ${t}: no rows`);
    }
    for (const eng of ['sl', 'dk', 'dks', 'sl0']) {
      assert.equal(x[eng].walls.length, 1, `${x.name} ${eng}: one round`);
      assert.ok(x[eng].wall > 0 && x[eng].rss > 0, `${x.name} ${eng}: wall and RSS measured`);
    }
    assert.ok(x.floor.files > 0 && x.floor.dirs > 0, `${x.name}: the layout floor recreated the tree`);
    for (const k of ['list', 'songs', 'events', 'read_cpu', 'parse_cpu', 'transform', 'encode_songplays',
      'finish', 'publish', 'total']) {
      assert.equal(typeof x.phases[k], 'number', `${x.name}: phase ${k}`);
    }
  }
  // every run's output is removed when the benchmark ends
  assert.deepEqual(fs.readdirSync(out), []);

  // s was generated here, in the shape `songlake generate` promises
  const s = results[1];
  assert.ok(s.gen && s.gen.wall > 0, 's generated in this run');
  assert.equal(s.check.songs.rows, 2000);
  assert.ok(s.logMB > 90 && s.logMB < 115, `s holds ~100 MB of logs (${s.logMB})`);
  const logs = fs.readdirSync(path.join(data, 's', 'log_data', '2018', '11'));
  assert.equal(logs.length, 30);
  assert.ok(logs.every((f) => /^2018-11-\d\d-events\.json$/.test(f)));
  assert.ok(fs.existsSync(path.join(data, 's', '.complete')));
  const songDirs = fs.readdirSync(path.join(data, 's', 'song_data'));
  assert.ok(songDirs.every((d) => /^[A-Z]$/.test(d)), 'song_data/A/B/C/ layout');

  // --no-doc: the published results are left alone
  assert.equal(fs.readFileSync(doc, 'utf8'), docBefore);
});
