// A server that accepts the TCP connection and never answers does not hang
// load-postgres: it gives up after connect_timeout, 10 s by default, with
// one line that says so and no password; a connect_timeout in the DSN
// (key=value or URI) or PGCONNECT_TIMEOUT wins, the DSN over the variable.
//
// The peer is a Node TCP server on 127.0.0.1 that accepts every connection
// and never writes a byte. The times asserted are bounds on a hang (with a
// wide margin for a loaded machine), not speed: the load is killed after
// 60 s, which fails the test.
import assert from 'node:assert/strict';
import net from 'node:net';
import { buildLake, spawnSonglake, tmpdir } from './lib.mjs';

const sockets = new Set();
let accepted = 0;
const silent = net.createServer((c) => {
  accepted++;
  sockets.add(c);
  c.on('error', () => {});
  c.on('close', () => sockets.delete(c));
});
await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
const { port } = silent.address();

try {
  const lake = buildLake(tmpdir('pg-lake'));

  async function load(dsn, env = {}) {
    const base = { ...process.env };
    delete base.PGCONNECT_TIMEOUT;
    const t0 = Date.now();
    const child = spawnSonglake(['load-postgres', '--lake', lake, '--dsn', dsn], { env: { ...base, ...env } });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const killer = setTimeout(() => child.kill('SIGKILL'), 60000);
    const [code, signal] = await new Promise((resolve) => child.on('close', (c, s) => resolve([c, s])));
    clearTimeout(killer);
    return { code, signal, out, err, seconds: (Date.now() - t0) / 1000 };
  }

  function gaveUp(r, secs, { dflt = false } = {}) {
    assert.equal(r.signal, null, `hung: killed after ${r.seconds} s`);
    assert.equal(r.code, 1, r.err);
    const lines = r.err.trim().split('\n');
    assert.equal(lines.length, 1, `one line: ${r.err}`);
    assert.match(lines[0], new RegExp(`^songlake load-postgres: error: cannot connect to PostgreSQL \\(host=127\\.0\\.0\\.1 port=${port} `
      + `dbname=postgres user=etl\\): .*timeout expired; no answer within connect_timeout=${secs} s`));
    assert.equal(/songlake's default/.test(lines[0]), dflt, lines[0]);
    assert.doesNotMatch(r.err + r.out, /Never-Shown/);
    // it waited for the answer (not a refusal), and not much longer
    assert.ok(r.seconds >= secs - 0.5, `gave up after ${r.seconds} s, before ${secs} s`);
    assert.ok(r.seconds < secs + 20, `gave up after ${r.seconds} s, connect_timeout=${secs}`);
  }

  const kv = `host=127.0.0.1 port=${port} user=etl dbname=postgres password=Never-Shown-1`;
  let before = accepted;
  let r = await load(kv);
  gaveUp(r, 10, { dflt: true });
  assert.ok(accepted > before, 'the silent server accepted the connection');
  console.log(`default: gave up after ${r.seconds.toFixed(1)} s`);

  r = await load(`${kv} connect_timeout=2`);
  gaveUp(r, 2);
  assert.ok(r.seconds < 9, `DSN connect_timeout=2 wins over the default 10 (${r.seconds} s)`);

  r = await load(`postgresql://etl:Never-Shown-2@127.0.0.1:${port}/postgres?connect_timeout=3`);
  gaveUp(r, 3);

  r = await load(kv, { PGCONNECT_TIMEOUT: '4' });
  gaveUp(r, 4);

  // the DSN wins over the environment
  r = await load(`${kv} connect_timeout=2`, { PGCONNECT_TIMEOUT: '7' });
  gaveUp(r, 2);
  assert.ok(r.seconds < 6.5, `DSN connect_timeout=2 wins over PGCONNECT_TIMEOUT=7 (${r.seconds} s)`);
  console.log('ok: default 10 s, DSN and PGCONNECT_TIMEOUT overrides, no password printed');
} finally {
  for (const s of sockets) s.destroy();
  silent.close();
}
