// songlake build --format delta to S3. Against versitygw v1.7.0 (honours
// PUT If-None-Match: *): two runs (3 log files, then the whole sample) make
// version 0 and 1 of every table and star records 0 and 1; delta-rs,
// polars and DuckDB read the tables from versitygw's posix directory at
// both versions with the row counts of the local --format parquet builds
// of the same inputs, and a third run's version 2 as the latest while
// version 1 still reads the same. Against s3rver (ignores the header):
// --format delta is refused with one line, exit 2, and writes no table.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
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
