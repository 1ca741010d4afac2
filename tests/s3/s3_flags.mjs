// The S3 tuning settings reach the client: a build publishing to s3rver
// behind the fault proxy, with exactly the first request answered 503
// SlowDown. With the default attempts (8) the retry succeeds; with
// --s3-max-attempts 1 the run fails on that answer, whatever the
// SONGLAKE_S3_MAX_ATTEMPTS environment says (the flag wins); the same with
// s3_max_attempts = 1 in --config, and a flag overrides that file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, before, after } from 'node:test';
import { startS3, awsEnv, run } from './proxy.mjs';

const bin = process.env.SONGLAKE_BIN;
const sample = path.join(process.env.SONGLAKE_SOURCE_DIR, 'data', 'sparkify-sample');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-s3flags-'));
let s3, env;

before(async () => {
  s3 = await startS3({ buckets: ['lake'] });
  env = { ...awsEnv(s3.endpoint), HOME: tmp, AWS_ENDPOINT_URL: s3.endpoint, SONGLAKE_S3_RETRY_BASE_SECONDS: '0.02' };
});
after(async () => {
  if (s3) await s3.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

// Builds the local sample into s3://lake/<name> with the first `faults`
// requests answered 503; returns the run and how many faults were injected.
async function build(name, args, { faults = 1, extraEnv = {} } = {}) {
  let left = faults;
  const before = s3.stats.faults;
  s3.faults = { rate: 1, kinds: ['503'], only: () => left-- > 0 };
  const r = await run(bin, ['build', '--quiet', '--threads', '2', '--songs', `${sample}/song_data`,
    '--logs', `${sample}/log_data`, '--out', `s3://lake/${name}`, ...args], { env: { ...env, ...extraEnv } });
  s3.faults = { rate: 0, kinds: ['503'], only: null };
  return { ...r, injected: s3.stats.faults - before };
}

function failedOnSlowDown(r) {
  assert.equal(r.code, 1, `expected the run to fail:\n${r.err}`);
  const lines = r.err.trim().split('\n');
  assert.match(lines[lines.length - 1], /^songlake build: error: .*SlowDown/);
}

test('default attempts: one 503 is retried and the build succeeds', async () => {
  const r = await build('default', []);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.injected, 1);
});

test('--s3-max-attempts 1: the same 503 fails the run, even with the environment saying 8', async () => {
  const r = await build('one', ['--s3-max-attempts', '1'], { extraEnv: { SONGLAKE_S3_MAX_ATTEMPTS: '8' } });
  assert.equal(r.injected, 1);
  failedOnSlowDown(r);
  // and 2 attempts are enough for one fault
  const ok = await build('two', ['--s3-max-attempts=2'], { extraEnv: { SONGLAKE_S3_MAX_ATTEMPTS: '1' } });
  assert.equal(ok.code, 0, ok.err);
  assert.equal(ok.injected, 1);
});

test('s3_max_attempts in --config reaches the client; a flag overrides it', async () => {
  const cfg = path.join(tmp, 'dl.cfg');
  fs.writeFileSync(cfg, `[songlake]\nendpoint_url = ${s3.endpoint}\ns3_max_attempts = 1\n`);
  const r = await build('cfg', ['--config', cfg]);
  failedOnSlowDown(r);
  const ok = await build('cfg', ['--config', cfg, '--s3-max-attempts', '3'], { faults: 2 });
  assert.equal(ok.code, 0, ok.err);
  assert.equal(ok.injected, 2);
});
