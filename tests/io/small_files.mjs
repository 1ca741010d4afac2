// Create-only-if-absent on S3 (io/small_files.c through small_files_tool):
// against versitygw v1.7.0, which honours PUT If-None-Match: * (412 when
// taken), a version name is created once whatever the racing writers, the
// bytes are the winner's and the probe passes; against s3rver, which
// ignores the header, the probe refuses with one line saying why. The
// local disk's side is tests/io/test_io_small_files.c.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as proxy from '../s3/proxy.mjs';

const { startS3, awsEnv, run } = proxy;

const tool = path.join(process.env.SONGLAKE_BUILD_DIR, 'tests', 'io', 'small_files_tool');
const versitygw = process.env.SONGLAKE_VERSITYGW || path.join(os.homedir(), '.cache/songlake/go/bin/versitygw');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-small-s3-'));
const KEY = 'AKIASMALLFILES', SECRET = 'small-files-secret';
const S = { s3rver: null, vgw: null, vgwEnv: null, s3rverEnv: null };

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
      if (await connects(port)) return { child, endpoint: `http://127.0.0.1:${port}` };
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
const sft = (env, ...args) => run(tool, args, { env });

before(async () => {
  assert.ok(fs.existsSync(versitygw), `versitygw missing at ${versitygw} (scripts/deps.sh --test)`);
  if (proxy.SERVERS && proxy.SERVERS.includes('versitygw')) {
    // the shared harness runs versitygw (behind the checking proxy)
    const s3 = await startS3({ buckets: ['lake'], server: 'versitygw' });
    const a = awsEnv(s3.endpoint);
    S.vgw = { child: { kill: () => s3.close() }, endpoint: s3.endpoint };
    S.vgwEnv = clientEnv(s3.endpoint, a.AWS_ACCESS_KEY_ID, a.AWS_SECRET_ACCESS_KEY);
  } else {
    // until that harness is on main: versitygw started here
    S.vgw = await startVersitygw();
    S.vgwEnv = clientEnv(S.vgw.endpoint, KEY, SECRET);
  }
  S.s3rver = await startS3({ buckets: ['lake'], server: 's3rver' });
  const a = awsEnv(S.s3rver.endpoint);
  S.s3rverEnv = clientEnv(S.s3rver.endpoint, a.AWS_ACCESS_KEY_ID, a.AWS_SECRET_ACCESS_KEY);
});
after(async () => {
  if (S.vgw) S.vgw.child.kill('SIGKILL');
  if (S.s3rver) await S.s3rver.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('versitygw: a version is created once, a second writer is told it exists', async () => {
  const uri = 's3://lake/t/_delta_log/00000000000000000000.json';
  let r = await sft(S.vgwEnv, 'create', uri, '{"commitInfo":{}}\n');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.trim(), 'created');
  r = await sft(S.vgwEnv, 'create', uri, 'other\n');
  assert.equal(r.code, 3, r.err);
  assert.equal(r.out.trim(), 'exists');
  r = await run('aws', ['s3', 'cp', uri, '-'], { env: S.vgwEnv });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, '{"commitInfo":{}}\n', 'the first writer\'s bytes stay');
  // replace and remove
  const lc = 's3://lake/t/_delta_log/_last_checkpoint';
  assert.equal((await sft(S.vgwEnv, 'replace', lc, '{"version":10}')).code, 0);
  assert.equal((await sft(S.vgwEnv, 'replace', lc, '{"version":20}')).code, 0);
  r = await run('aws', ['s3', 'cp', lc, '-'], { env: S.vgwEnv });
  assert.equal(r.out, '{"version":20}');
  assert.equal((await sft(S.vgwEnv, 'remove', lc)).code, 0);
  assert.equal((await sft(S.vgwEnv, 'remove', lc)).code, 0, 'removing an absent key is fine');
  r = await run('aws', ['s3', 'ls', lc], { env: S.vgwEnv });
  assert.equal(r.out.trim(), '');
});

// versitygw v1.7.0's posix backend checks If-None-Match and publishes in two
// steps, so racing conditional PUTs may each be answered 200 (fixed upstream
// after 1.7.0: versitygw pull 2288). Reading back after a 200 leaves few of
// those (1 round in 40 had two winners here, against 4 in 10 without), so
// this asserts what must hold anyway: every writer is told created or
// exists, someone wins, and the version holds a winner's bytes whole.
test('versitygw: racing writers: one version, a winner\'s bytes whole', async () => {
  let doubled = 0;
  for (let round = 0; round < 5; round++) {
    const uri = `s3://lake/race/${String(round).padStart(20, '0')}.json`;
    const r = await sft(S.vgwEnv, 'race', uri, '16');
    assert.equal(r.code, 0, r.err);
    const m = /^created (\d+) winners ([\d,]+) errors 0$/.exec(r.out.trim());
    assert.ok(m, r.out);
    const winners = m[2].split(',');
    assert.equal(winners.length, Number(m[1]));
    if (winners.length > 1) doubled++;
    const got = await run('aws', ['s3', 'cp', uri, '-'], { env: S.vgwEnv });
    assert.ok(winners.some((w) => got.out === `writer ${w}`), `${got.out} is a winner's (${m[2]})`);
  }
  if (doubled) console.log(`# versitygw 1.7.0 let two racing writers win in ${doubled} of 5 rounds`);
});

test('versitygw: the probe passes and leaves nothing behind', async () => {
  const r = await sft(S.vgwEnv, 'probe', 's3://lake/t');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.trim(), 'honoured');
  const ls = await run('aws', ['s3', 'ls', '--recursive', 's3://lake/t/_songlake/'], { env: S.vgwEnv });
  assert.equal(ls.out.trim(), '');
});

test('s3rver ignores If-None-Match: the probe refuses with one line', async () => {
  // what makes the probe necessary: s3rver lets the second writer "win" too
  const uri = 's3://lake/t/_delta_log/00000000000000000000.json';
  assert.equal((await sft(S.s3rverEnv, 'create', uri, 'first')).code, 0);
  const second = await sft(S.s3rverEnv, 'create', uri, 'second');
  const r = await sft(S.s3rverEnv, 'probe', 's3://lake/t');
  if (S.s3rver.kind && S.s3rver.kind !== 's3rver') return; /* the harness chose another server */
  if (second.code === 3) {
    // an s3rver that learnt the header: then the probe must pass
    assert.equal(r.code, 0, r.err);
    return;
  }
  assert.equal(second.out.trim(), 'created', 'the second conditional PUT was accepted');
  assert.equal(r.code, 1);
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 1, r.err);
  assert.match(lines[0], /^s3:\/\/lake\/t: the store ignores create-only-if-absent \(a second PUT with If-None-Match: \* of a probe key succeeded\)/);
  const ls = await run('aws', ['--endpoint-url', S.s3rver.endpoint, 's3', 'ls', '--recursive', 's3://lake/t/_songlake/'], { env: awsEnv(S.s3rver.endpoint) });
  assert.equal(ls.out.trim(), '', 'the probe key is removed');
});
