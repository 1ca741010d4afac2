// load-postgres into a closed pipe (`songlake load-postgres ... | head -1`):
// the reader goes away after the first line, the load is inside its
// transaction, and it must still finish and commit (songlake ignores
// SIGPIPE; the lost progress lines are only lost). --quiet prints nothing.
// Against a real PostgreSQL server of tests/postgres/pgserver.mjs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { startPg } from '../postgres/pgserver.mjs';
import { buildLake, songlake, tmpdir } from '../postgres/lib.mjs';

const bin = process.env.SONGLAKE_BIN;
const server = await startPg();
try {
  const dir = tmpdir('pipe');
  const lake = buildLake(`${dir}/lake`);
  const child = spawn(bin, ['load-postgres', '--lake', lake, '--dsn', server.dsn, '--schema', 'piped'],
    { env: { ...process.env, SONGLAKE_PG_TEST_PAUSE_MS: '300' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  // like head -1: read the first line, then close the pipe
  await new Promise((resolve) => child.stdout.once('data', () => { child.stdout.destroy(); resolve(); }));
  const [code, signal] = await new Promise((resolve) => child.on('close', (c, s) => resolve([c, s])));
  assert.equal(signal, null, `killed by ${signal}`);
  assert.equal(code, 0, err);
  assert.equal(server.psql('SELECT count(*) FROM piped.songplays').trim(), '6820', 'the load committed');

  const report = `${dir}/load.json`;
  const q = songlake(['load-postgres', '--quiet', '--lake', lake, '--dsn', server.dsn, '--schema', 'quiet', '--report', report]);
  assert.equal(q.code, 0, q.err);
  assert.equal(q.out + q.err, '', '--quiet prints nothing');
  assert.equal(server.psql('SELECT count(*) FROM quiet.users').trim(), '97');
  const rep = JSON.parse(fs.readFileSync(report, 'utf8'));
  assert.equal(rep.command, 'load-postgres');
  assert.equal(rep.schema, 'quiet');
  assert.deepEqual(Object.fromEntries(Object.entries(rep.tables).map(([t, v]) => [t, v.rows])),
    { songplays: 6820, users: 97, songs: 71, artists: 69, time: 6813 });
  assert.equal(rep.total_rows, 6820 + 97 + 71 + 69 + 6813);
  assert.ok(!JSON.stringify(rep).includes(server.dsn), 'no DSN in the report');
  console.log('ok: a closed stdout does not stop a load; --quiet is quiet');
} finally {
  server.stop();
}
