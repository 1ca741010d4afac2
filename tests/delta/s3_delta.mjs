// songlake build --format delta to S3. Against versitygw v1.7.0 (honours
// PUT If-None-Match: *): two runs (3 log files, then the whole sample) make
// version 0 and 1 of every table and star records 0 and 1; delta-rs,
// polars and DuckDB read the tables from versitygw's posix directory at
// both versions with the row counts of the local --format parquet builds
// of the same inputs, and a third run's version 2 as the latest while
// version 1 still reads the same; a run SIGKILLed at each of its six
// commit points (each table's conditional PUT, the star record's; a proxy
// drops that request and kills the run) is rolled back by the next command
// (vacuum --dry-run), after which every reader sees the last star; a
// version another writer creates just before songlake's conditional PUT of
// it stops the run (exit 3, one line, nothing more committed). Against
// s3rver (ignores the header):
// --format delta is refused with one line, exit 2, and writes no table.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as proxy from '../s3/proxy.mjs';

const bin = process.env.SONGLAKE_BIN;
const sample = path.join(process.env.SONGLAKE_SOURCE_DIR, 'data', 'sparkify-sample');
const python = path.join(os.homedir(), '.cache/songlake/venv/bin/python');
const versitygw = process.env.SONGLAKE_VERSITYGW || path.join(os.homedir(), '.cache/songlake/go/bin/versitygw');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-s3-delta-'));
const KEY = 'AKIADELTATEST', SECRET = 'delta-test-secret';
const TABLES = ['songplays', 'users', 'songs', 'artists', 'time'];

const freePort = () => new Promise((resolve, reject) => {
  const srv = net.createServer();
  srv.once('error', reject);
  srv.listen(0, '127.0.0.1', () => {
    const { port } = srv.address();
    srv.close(() => resolve(port));
  });
});
const connects = (port) => new Promise((resolve) => {
  const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
  s.on('error', () => resolve(false));
});

async function startVersitygw() {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(tmp, 'vgw-'));
    fs.mkdirSync(path.join(dir, 'lake'));
    const child = spawn(versitygw, ['--port', `127.0.0.1:${port}`, 'posix', dir], {
      env: { ...process.env, ROOT_ACCESS_KEY: KEY, ROOT_SECRET_KEY: SECRET }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let exited = false;
    child.on('exit', () => { exited = true; });
    for (let i = 0; i < 100 && !exited; i++) {
      if (await connects(port)) return { child, dir, endpoint: `http://127.0.0.1:${port}` };
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
  }
  throw new Error('versitygw did not start');
}

const clientEnv = (endpoint, key, secret) => ({
  ...process.env, HOME: tmp, AWS_ACCESS_KEY_ID: key, AWS_SECRET_ACCESS_KEY: secret, AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL: endpoint, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null', SONGLAKE_S3_RETRY_BASE_SECONDS: '0.02',
});

const logs3 = path.join(tmp, 'logs3');
fs.mkdirSync(logs3);
const day = path.join(sample, 'log_data', '2018', '11');
for (const f of fs.readdirSync(day).sort().slice(0, 3)) fs.symlinkSync(path.join(day, f), path.join(logs3, f));
const buildArgs = (logs, out, format) => ['build', '--quiet', '--format', format, '--songs',
  path.join(sample, 'song_data'), '--logs', logs, '--out', out];
const sl = (args, env) => {
  const r = spawnSync(bin, args, { env, encoding: 'utf8' });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
};

// row counts of the local parquet builds
const counts = {};
for (const [k, logs] of [['3', logs3], ['all', path.join(sample, 'log_data')]]) {
  const out = path.join(tmp, `parquet-${k}`);
  const r = sl(buildArgs(logs, out, 'parquet'), process.env);
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(fs.readFileSync(path.join(out, '_songlake', 'report.json'), 'utf8'));
  counts[k] = Object.fromEntries(TABLES.map((t) => [t, rep.tables[t].rows]));
}

const READ = `
import json, sys, duckdb, duckdb_extensions, polars as pl
from deltalake import DeltaTable
lake, version = sys.argv[1], (None if sys.argv[2] == 'latest' else int(sys.argv[2]))
con = duckdb.connect(); duckdb_extensions.import_extension('delta', con=con)
out = {}
for t in ['songplays', 'users', 'songs', 'artists', 'time']:
    p = f'{lake}/{t}'
    kw = {} if version is None else {'version': version}
    v = '' if version is None else f', version := {version}'
    out[t] = [DeltaTable(p, **kw).to_pyarrow_table().num_rows, pl.read_delta(p, **kw).height,
              con.execute(f"SELECT count(*) FROM delta_scan('{p}'{v})").fetchone()[0]]
print(json.dumps(out))
`;
function readCounts(dir, version) {
  const r = spawnSync(python, ['-c', READ, dir, String(version)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}
function assertCounts(dir, version, want, what) {
  const got = readCounts(dir, version);
  for (const t of TABLES) assert.deepEqual(got[t], [want[t], want[t], want[t]], `${what}: ${t} (delta-rs, polars, duckdb)`);
  console.log(`${what}: every reader gives ${JSON.stringify(want)}`);
}

// A pass-through proxy in front of versitygw (SigV4 still holds: the Host
// header is forwarded as signed) that, for the first request `match`
// accepts, calls onMatch (which SIGKILLs songlake, say) and drops the
// request unforwarded unless onMatch returns 'forward': a kill, or another
// writer's version, at an exact commit point.
function startKillProxy(upstream) {
  const state = { match: null, onMatch: null };
  const u = new URL(upstream);
  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (state.match && state.match(req)) {
        const f = state.onMatch;
        state.match = null;
        if (f(req) !== 'forward') {
          req.socket.destroy();
          return;
        }
      }
      const headers = { ...req.headers };
      delete headers.expect;
      const up = http.request({ host: u.hostname, port: u.port, method: req.method, path: req.url, headers }, (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      });
      up.on('error', () => req.socket.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  return new Promise((r) => srv.listen(0, '127.0.0.1', () => r({ srv, state, endpoint: `http://127.0.0.1:${srv.address().port}` })));
}

const vgw = await startVersitygw();
let s3rver;
try {
  const env = clientEnv(vgw.endpoint, KEY, SECRET);
  const lakeDir = path.join(vgw.dir, 'lake', 'd');
  let r = sl(buildArgs(logs3, 's3://lake/d', 'delta'), env);
  assert.equal(r.code, 0, r.err);
  r = sl(buildArgs(path.join(sample, 'log_data'), 's3://lake/d', 'delta'), env);
  assert.equal(r.code, 0, r.err);
  const star = JSON.parse(fs.readFileSync(path.join(lakeDir, '_songlake', 'star', '00000000000000000001.json'), 'utf8'));
  for (const t of TABLES) assert.equal(star.tables[t], 1, `star 1 names ${t} version 1`);
  assertCounts(lakeDir, 0, counts['3'], 'versitygw version 0');
  assertCounts(lakeDir, 1, counts.all, 'versitygw version 1');

  // a third run (3 log files): version 2, star 2, read as latest
  r = sl(buildArgs(logs3, 's3://lake/d', 'delta'), env);
  assert.equal(r.code, 0, r.err);
  assertCounts(lakeDir, 'latest', counts['3'], 'versitygw latest after a third run');
  assertCounts(lakeDir, 1, counts.all, 'versitygw version 1 after a third run');

  // SIGKILL at each commit point: the conditional PUT of each table's
  // version (1-5) or of the star record (6), through the kill proxy; then
  // vacuum --dry-run (directly) rolls back and every reader sees star 2
  const kp = await startKillProxy(vgw.endpoint);
  const points = [...TABLES.map((t) => `/lake/d/${t}/_delta_log/`), '/lake/d/_songlake/star/'];
  const versionsOf = () => Object.fromEntries(TABLES.map((t) => [t, fs.readdirSync(path.join(lakeDir, t, '_delta_log'))
    .filter((n) => /^\d{20}\.json$/.test(n)).length]));
  for (let p = 0; p < points.length; p++) {
    const before = versionsOf();
    const child = spawn(bin, buildArgs(path.join(sample, 'log_data'), 's3://lake/d', 'delta'),
      { env: clientEnv(kp.endpoint, KEY, SECRET), stdio: ['ignore', 'ignore', 'pipe'] });
    let killedAt = false;
    kp.state.onMatch = () => { killedAt = true; child.kill('SIGKILL'); };
    kp.state.match = (req) => req.method === 'PUT' && req.url.startsWith(points[p]) && req.url.endsWith('.json')
      && req.headers['if-none-match'] === '*';
    const sig = await new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal || code)));
    assert.ok(killedAt && sig === 'SIGKILL', `kill at ${points[p]}: exit ${sig}`);
    const after = versionsOf();
    const committed = TABLES.filter((t) => after[t] > before[t]).length;
    assert.equal(committed, p, `kill at ${points[p]}: ${committed} tables committed`);
    r = sl(['vacuum', '--lake', 's3://lake/d', '--dry-run'], env);
    assert.equal(r.code, 0, r.err);
    if (p > 0) assert.match(r.err, /rolled back/, `kill at ${points[p]}`);
    assertCounts(lakeDir, 'latest', counts['3'], `S3 kill before ${points[p]} (${p} tables committed), rolled back`);
  }

  // a conflicting writer: songplays' next version appears (another
  // conditional PUT, straight to versitygw) just before songlake's conditional PUT of it
  // reaches versitygw, which answers 412: exit 3, one line, nothing more
  const before = versionsOf();
  const starsBefore = fs.readdirSync(path.join(lakeDir, '_songlake', 'star')).length;
  kp.state.match = (req) => req.method === 'PUT' && req.url.startsWith(points[0]) && req.url.endsWith('.json');
  kp.state.onMatch = (req) => {
    const key = decodeURIComponent(req.url.split('?')[0].slice('/lake/'.length));
    const w = spawnSync(path.join(process.env.SONGLAKE_BUILD_DIR, 'tests', 'io', 'small_files_tool'),
      ['create', `s3://lake/${key}`, '{"commitInfo":{"operation":"WRITE","engineInfo":"rogue"}}\n'],
      { env, encoding: 'utf8' });
    assert.equal(w.stdout.trim(), 'created', `the rogue writer: ${w.stderr}`);
    return 'forward';
  };
  r = await proxy.run(bin, buildArgs(path.join(sample, 'log_data'), 's3://lake/d', 'delta'),
    { env: clientEnv(kp.endpoint, KEY, SECRET) });
  assert.equal(r.code, 3, `conflict: exit ${r.code}: ${r.err}`);
  assert.equal(r.err.trim().split('\n').length, 1, r.err);
  assert.match(r.err, /another writer/);
  const after = versionsOf();
  for (const t of TABLES) assert.equal(after[t], before[t] + (t === 'songplays' ? 1 : 0), `conflict: ${t} versions`);
  assert.equal(fs.readdirSync(path.join(lakeDir, '_songlake', 'star')).length, starsBefore, 'conflict: no star record');
  console.log(`S3 conflict: ${r.err.trim()}`);
  kp.srv.close();

  // s3rver ignores If-None-Match: refused
  s3rver = await proxy.startS3({ buckets: ['lake'] });
  const a = proxy.awsEnv(s3rver.endpoint);
  const senv = clientEnv(s3rver.endpoint, a.AWS_ACCESS_KEY_ID, a.AWS_SECRET_ACCESS_KEY);
  // (asynchronously: the proxy and s3rver answer from this process)
  r = await proxy.run(bin, buildArgs(logs3, 's3://lake/d', 'delta'), { env: senv });
  assert.equal(r.code, 2, `s3rver: exit ${r.code}: ${r.err}`);
  assert.equal(r.err.trim().split('\n').length, 1, r.err);
  assert.match(r.err, /refused/);
  console.log(`s3rver: ${r.err.trim()}`);
} finally {
  vgw.child.kill('SIGKILL');
  if (s3rver) await s3rver.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
