// Issue 15, songlake's own readers see one run's star: load-postgres first
// completes what a build killed while publishing left (SIGKILL right after
// its commit record, injected with strace), so it loads the new star whole;
// and a build that publishes while a load is reading makes the load fail
// (PostgreSQL unchanged) instead of loading two runs' tables.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startPg } from './pgserver.mjs';
import { bin, buildLake, loadPg, sample, spawnSonglake, tmpdir } from './lib.mjs';

const server = await startPg();
try {
  const base = tmpdir('pgstar');
  const partLogs = path.join(base, 'logs');
  fs.mkdirSync(partLogs);
  for (const f of fs.readdirSync(path.join(sample, 'log_data'), { recursive: true }).filter((f) => f.endsWith('.json')).slice(0, 5))
    fs.copyFileSync(path.join(sample, 'log_data', f), path.join(partLogs, path.basename(f)));
  const count = (t) => Number(server.psql(`SELECT count(*) FROM ${t}`).trim());

  // a lake of 5 log files, then a build of all 30 killed right after its
  // commit record (the first rename is _COMMIT.tmp -> _COMMIT; kill at the
  // first exchange)
  const lake = buildLake(path.join(base, 'lake'), { logs: partLogs });
  const full = buildLake(path.join(base, 'full'));
  const r = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'inject=renameat2:signal=KILL:when=2', bin,
    'build', '--quiet', '--songs', path.join(sample, 'song_data'), '--logs', path.join(sample, 'log_data'), '--out', lake]);
  assert.ok(r.signal === 'SIGKILL' || r.status !== 0, 'the build was killed');
  // one table swapped, the others not: a reader that did not recover would
  // load two runs' tables
  const l = loadPg(server, lake);
  assert.equal(l.code, 0, l.err);
  assert.match(l.err, /completed the publish of a run that was killed/);
  const want = loadPg(server, full, { schema: 'fullstar' });
  assert.equal(want.code, 0, want.err);
  for (const t of ['songplays', 'users', 'songs', 'artists', 'time'])
    assert.equal(count(`public.${t}`), count(`fullstar.${t}`), `${t}: the new star, whole`);
  assert.ok(!fs.readdirSync(lake).some((e) => e.startsWith('.songlake-staging-') &&
    fs.existsSync(path.join(lake, e, '_COMMIT'))), 'the commit record is done');

  // a publish during a load: the load fails and PostgreSQL keeps the star
  const before = count('public.songplays');
  const lake2 = buildLake(path.join(base, 'lake2'), { logs: partLogs });
  const child = spawnSonglake(['load-postgres', '--lake', lake2, '--dsn', server.dsn],
    { env: { ...process.env, SONGLAKE_PG_TEST_PAUSE_MS: '1500' } });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const exit = new Promise((res) => child.on('close', (code) => res(code)));
  await new Promise((res) => setTimeout(res, 500));
  buildLake(lake2);
  const code = await exit;
  assert.notEqual(code, 0, `the load must fail:\n${err}`);
  assert.match(err, /published again while it was being loaded/);
  assert.equal(count('public.songplays'), before, 'PostgreSQL unchanged');
  console.log('ok: load-postgres completes a killed publish; a publish during a load fails the load');
} finally {
  server.stop();
}
