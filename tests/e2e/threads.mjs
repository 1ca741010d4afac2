// SPEC §3: the same inputs and options give the same files, the same bytes
// under the same names, whatever the thread count. The sample's logs are
// copied into more, smaller files (and some compressed) so every thread
// count splits the work differently, and small row groups make files with
// several row groups.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { TABLES, buildOk, cleanup, listFiles, sample, tmpdir, writeTree } from './lib.mjs';

after(cleanup);

function splitLogs(dir) {
  const logs = path.join(sample, 'log_data');
  const files = {};
  listFiles(logs).forEach((f, n) => {
    // every fifth file moved some months ahead: several songplays and time
    // partitions open at once, some months seen again later
    const shift = n % 5 === 0 ? (n % 7) * 31 * 86400000 : 0;
    const lines = fs.readFileSync(path.join(logs, f), 'utf8').split('\n').filter(Boolean)
      .map((l) => l.replace(/"ts":(\d+)/, (_, ts) => `"ts":${Number(ts) + shift}`));
    const third = Math.ceil(lines.length / 3);
    for (let k = 0; k < 3; k++) {
      const body = lines.slice(k * third, (k + 1) * third).join('\n') + '\n';
      const name = `${f.replace(/\.json$/, '')}-${k}.json${k === 1 ? '.gz' : ''}`;
      files[name] = body;
    }
  });
  return writeTree(dir, files);
}

test('1, 2 and 4 threads write identical files', () => {
  const root = tmpdir('threads');
  const logs = splitLogs(path.join(root, 'logs'));
  const outs = [1, 2, 4].map((n) => {
    const out = path.join(root, `out${n}`);
    buildOk(['--songs', path.join(sample, 'song_data'), '--logs', logs, '--out', out, '--threads', String(n),
      '--row-group-rows', '1000']);
    return out;
  });
  const tree = (out) => TABLES.flatMap((t) => listFiles(path.join(out, t)).map((f) => `${t}/${f}`))
    .concat(['_songlake/rejects.jsonl']);
  const names = tree(outs[0]);
  assert.ok(names.filter((n) => n.endsWith('.parquet')).length > 10, 'many data files');
  assert.ok(names.filter((n) => n.startsWith('songplays/')).length > 5, 'several songplays files');
  for (const out of outs.slice(1)) {
    assert.deepEqual(tree(out), names, `same file names in ${out}`);
    for (const n of names) {
      const a = fs.readFileSync(path.join(outs[0], n));
      const b = fs.readFileSync(path.join(out, n));
      assert.ok(a.equals(b), `${n} differs between thread counts (${outs[0]} vs ${out})`);
    }
  }
  const report = JSON.parse(fs.readFileSync(path.join(outs[2], '_songlake', 'report.json'), 'utf8'));
  assert.equal(report.options.threads, 4);
  assert.equal(report.tables.songplays.rows, 6820);
});
