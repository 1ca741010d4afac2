// Memory stays bounded as input grows (docs/design.md, "Memory bound"): the
// sample's logs replicated 4 and 32 times (same users, same timestamps, so
// the dimension keys do not grow) must peak at about the same resident
// memory. Holding every parsed event, or every file, would add tens of MB at
// 32x. Peak RSS comes from bench_rusage (wait4), built with the benchmarks;
// without it the test is skipped.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { bin, cleanup, listFiles, sample, tmpdir } from './lib.mjs';

after(cleanup);

const rusage = path.join(process.env.SONGLAKE_BUILD_DIR || '', 'bench', 'bench_rusage');

// copies of the sample's logs as more files, or (oneFile) all in one file
function peakKB(root, copies, oneFile = false, env = {}) {
  const logs = path.join(root, `logs${copies}`);
  const files = listFiles(path.join(sample, 'log_data'));
  if (oneFile) {
    const all = Buffer.concat(files.map((f) => fs.readFileSync(path.join(sample, 'log_data', f))));
    fs.mkdirSync(logs, { recursive: true });
    const fd = fs.openSync(path.join(logs, 'all.json'), 'w');
    for (let r = 0; r < copies; r++) fs.writeSync(fd, all);
    fs.closeSync(fd);
  }
  for (const f of oneFile ? [] : files) {
    for (let r = 0; r < copies; r++) {
      const dst = path.join(logs, `r${String(r).padStart(3, '0')}`, f);
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      fs.copyFileSync(path.join(sample, 'log_data', f), dst);
    }
  }
  const out = path.join(root, `out${copies}`);
  const r = spawnSync(rusage, [bin, 'build', '--quiet', '--songs', path.join(sample, 'song_data'), '--logs', logs,
    '--out', out, '--threads', '2', '--row-group-rows', '8192'], { encoding: 'utf8', env: { ...process.env, ...env } });
  const line = (r.stderr || '').split('\n').find((l) => l.startsWith('{"bench_rusage"'));
  assert.equal(r.status, 0, r.stderr);
  assert.ok(line, r.stderr);
  const report = JSON.parse(fs.readFileSync(path.join(out, '_songlake', 'report.json'), 'utf8'));
  assert.equal(report.tables.songplays.rows, 6820 * copies);
  fs.rmSync(logs, { recursive: true, force: true });
  fs.rmSync(out, { recursive: true, force: true });
  const ru = JSON.parse(line).bench_rusage;
  return ru.maxrss_kb ?? ru.max_rss_kb ?? ru.maxrss;
}

test('peak memory does not grow with the number of events', { skip: !fs.existsSync(rusage) && 'bench_rusage not built' }, () => {
  const root = tmpdir('memory');
  const small = peakKB(root, 4);
  const large = peakKB(root, 32);
  assert.ok(Number.isFinite(small) && small > 0, `peak of the 4x run: ${small}`);
  console.log(`# peak RSS: ${small} KB at 4x, ${large} KB at 32x`);
  // 8x the events (218,240 plays): at most 25% + 8 MB more
  assert.ok(large <= small * 1.25 + 8192, `peak RSS ${small} KB at 4x, ${large} KB at 32x`);
});

// One file growing from 15 MB to 120 MB: it is mapped and parsed in chunks
// (1 MiB here; 8 MiB by default, so the bound is reached at ~64 MB of file
// with 2 threads), and a merged chunk's pages are dropped. Reading the file
// whole would add the ~105 MB difference.
test('peak memory does not grow with the size of one file', { skip: !fs.existsSync(rusage) && 'bench_rusage not built' }, () => {
  const root = tmpdir('memory1');
  const env = { SONGLAKE_CHUNK_BYTES: String(1 << 20) };
  const small = peakKB(root, 4, true, env);
  const large = peakKB(root, 32, true, env);
  console.log(`# peak RSS, one file: ${small} KB at 4x (15 MB), ${large} KB at 32x (120 MB)`);
  assert.ok(large <= small * 1.25 + 8192, `peak RSS ${small} KB at 4x, ${large} KB at 32x`);
});
