// A load killed midway leaves the previous star untouched, and a re-run
// then succeeds. Three ways to die: the server terminates the loader's
// backend (pg_terminate_backend from another session), the loader process
// is SIGKILLed, and the whole server is killed (immediate shutdown) and
// restarted. SONGLAKE_PG_TEST_PAUSE_MS (a test hook) makes the loader pause
// after each table's COPY, inside the transaction, so the kill lands midway.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startPg } from './pgserver.mjs';
import { assertSameTable, buildLake, loadPg, openLake, sample, spawnSonglake, starDigest, tmpdir } from './lib.mjs';

// Starts a paused load of `lake`; resolves once `marker` appears on its
// stdout (the load is then inside its transaction) with the child and a
// promise of its exit.
function pausedLoad(server, lake, marker = /copied songs/) {
  const child = spawnSonglake(['load-postgres', '--lake', lake, '--dsn', server.dsn],
    { env: { ...process.env, SONGLAKE_PG_TEST_PAUSE_MS: '1500' } });
  let out = '', err = '';
  const exit = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err })));
  child.stderr.on('data', (d) => { err += d; });
  const reached = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => { out += d; if (marker.test(out)) resolve(); });
    exit.then((r) => reject(new Error(`load ended before ${marker}: ${r.code}\n${r.err}`)));
  });
  return { child, exit, reached };
}

const server = await startPg();
let dbA, dbB;
try {
  // lake A: the whole sample; lake B: the November logs of its first week
  // only, so every table differs
  const lakeA = buildLake(tmpdir('pg-lakeA'));
  const logsB = tmpdir('pg-logsB');
  const nov = path.join(sample, 'log_data', '2018', '11');
  for (const f of fs.readdirSync(nov).sort().slice(0, 7)) fs.copyFileSync(path.join(nov, f), path.join(logsB, f));
  const lakeB = buildLake(tmpdir('pg-lakeB'), { logs: logsB });
  dbA = await openLake(lakeA);
  dbB = await openLake(lakeB);

  const r = loadPg(server, lakeA);
  assert.equal(r.code, 0, r.err);
  const digestA = starDigest(server);

  const stageLeft = () => server.psql(`SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'songlake_stage%'`).trim();

  // 1. the backend is terminated from another session
  {
    const p = pausedLoad(server, lakeB);
    await p.reached;
    // mid-load, readers are not blocked and still see star A
    assert.equal(starDigest(server), digestA, 'a reader during the load');
    const killed = server.psql(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
      WHERE application_name = 'songlake'`).trim();
    assert.equal(killed, '1');
    const res = await p.exit;
    assert.equal(res.code, 1, `expected failure, got ${res.code}:\n${res.out}\n${res.err}`);
    assert.match(res.err, /connection|terminat/i);
    assert.match(res.err, /previous tables are unchanged/);
    assert.equal(starDigest(server), digestA, 'previous star changed by a terminated load');
    assert.equal(stageLeft(), '0');
  }

  // 2. the loader process itself is killed
  {
    const p = pausedLoad(server, lakeB, /copied time/);
    await p.reached;
    p.child.kill('SIGKILL');
    const res = await p.exit;
    assert.equal(res.signal, 'SIGKILL');
    // the server notices the dead client and rolls back; wait for that
    for (let i = 0; i < 100 && server.psql(`SELECT count(*) FROM pg_stat_activity WHERE application_name = 'songlake'`).trim() !== '0'; i++)
      await new Promise((ok) => setTimeout(ok, 100));
    assert.equal(starDigest(server), digestA, 'previous star changed by a killed loader');
    assert.equal(stageLeft(), '0');
  }

  // 3. the server dies (immediate shutdown: no clean rollback) and restarts
  {
    const p = pausedLoad(server, lakeB, /copied artists/);
    await p.reached;
    server.restart();
    const res = await p.exit;
    assert.equal(res.code, 1, `expected failure, got ${res.code}:\n${res.err}`);
    assert.equal(starDigest(server), digestA, 'previous star changed by a crashed server');
    assert.equal(stageLeft(), '0');
  }

  // a re-run succeeds and gives lake B
  const again = loadPg(server, lakeB);
  assert.equal(again.code, 0, again.err);
  for (const t of ['songplays', 'users', 'songs', 'artists', 'time']) await assertSameTable(server, dbB, t);
  assert.notEqual(starDigest(server), digestA);
  console.log('ok: terminated backend, killed loader, crashed server: previous star kept; re-run loads');
} finally {
  dbA?.close();
  dbB?.close();
  server.stop();
}
