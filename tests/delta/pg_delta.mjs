// songlake load-postgres on a Delta lake (build --format delta) reads the
// table versions that the last star record names: after two delta runs
// (3 log files, then the whole sample) and a third run over 3 log files
// SIGKILLed (strace) after its five table commits and before its star
// record, every table's latest version is the killed run's, yet PostgreSQL
// gets, row for row, the --format parquet build of the whole sample.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startPg } from '../postgres/pgserver.mjs';
import { TABLES, assertSameTable, bin, buildLake, loadPg, openLake, sample, songlakeOk, tmpdir } from '../postgres/lib.mjs';

const tmp = tmpdir('pg-delta');
const logs3 = path.join(tmp, 'logs3');
fs.mkdirSync(logs3);
const all = fs.readdirSync(path.join(sample, 'log_data', '2018', '11')).sort();
for (const f of all.slice(0, 3)) fs.symlinkSync(path.join(sample, 'log_data', '2018', '11', f), path.join(logs3, f));

const lake = path.join(tmp, 'delta');
const build = (logs) => ['build', '--quiet', '--format', 'delta', '--songs', path.join(sample, 'song_data'),
  '--logs', logs, '--out', lake];
songlakeOk(build(logs3));
songlakeOk(build(path.join(sample, 'log_data')));
const killed = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=link', '-e',
  'inject=link:error=EIO:signal=SIGKILL:when=6', bin, ...build(logs3)], { encoding: 'utf8' });
assert.notEqual(killed.status, 0, 'the third run was not killed');
const stars = fs.readdirSync(path.join(lake, '_songlake', 'star')).filter((n) => /^\d{20}\.json$/.test(n));
assert.equal(stars.length, 2, `star records: ${stars}`);
for (const t of Object.keys(TABLES)) {
  const v = fs.readdirSync(path.join(lake, t, '_delta_log')).filter((n) => /^\d{20}\.json$/.test(n)).length;
  assert.equal(v, 3, `${t}: ${v} versions, the killed run's third expected`);
}

const plain = buildLake(path.join(tmp, 'parquet'));
const lakeDb = await openLake(plain);
const server = await startPg();
try {
  const r = loadPg(server, lake);
  assert.equal(r.code, 0, `load failed:\n${r.err}`);
  const counts = {};
  for (const t of Object.keys(TABLES)) counts[t] = await assertSameTable(server, lakeDb, t);
  console.log('load-postgres of the star (not the killed run\'s versions): rows', JSON.stringify(counts));
} finally {
  lakeDb.close();
  server.stop();
}
