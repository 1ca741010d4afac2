// Shared setup of the S3 integration tests: s3rver or versitygw
// (SONGLAKE_S3_SERVER) behind the proxy (proxy.mjs) with the sample
// uploaded by the AWS CLI, our io.h
// driver (s3_io_tool) and the AWS CLI as clients, and file-tree helpers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { startS3, awsEnv, run } from './proxy.mjs';

export const tool = path.join(process.env.SONGLAKE_BUILD_DIR, 'tests', 's3', 's3_io_tool');
export const sample = path.join(process.env.SONGLAKE_SOURCE_DIR, 'data', 'sparkify-sample');
export const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-s3io-'));
export const h = { s3: null, aenv: null, tenv: null };

// Registers before/after hooks that start the server and upload the sample.
export function useS3() {
  before(async () => {
    h.s3 = await startS3({ buckets: ['lake', 'other'], stallMs: 1500 });
    h.aenv = awsEnv(h.s3.endpoint);
    // our client: same dummy keys, short timeouts and backoff so faults stay fast
    h.tenv = {
      ...h.aenv, HOME: tmp, AWS_ENDPOINT_URL: h.s3.endpoint, SONGLAKE_S3_TIMEOUT_SECONDS: '1',
      SONGLAKE_S3_RETRY_BASE_SECONDS: '0.02', SONGLAKE_S3_CLEANUP_GRACE_SECONDS: '0',
    };
    const r = await aws(['s3', 'cp', '--recursive', '--quiet', sample, 's3://lake/in']);
    assert.equal(r.code, 0, r.err);
  });
  after(async () => {
    if (h.s3) await h.s3.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
}

export const aws = (args, env = h.aenv) => run('aws', ['--endpoint-url', h.s3.endpoint, ...args], { env });
export const sl = (args, env = {}) => run(tool, args, { env: { ...h.tenv, ...env } });
export function noBadSignatures() {
  assert.deepEqual(h.s3.stats.reasons, [], 'every request is signed as S3 requires');
}
export async function awsKeys(prefix) {
  const r = await aws(['s3api', 'list-objects-v2', '--bucket', 'lake', '--prefix', prefix]);
  assert.equal(r.code, 0, r.err);
  return r.out.trim() ? (JSON.parse(r.out).Contents || []).map((o) => [o.Key, o.Size]) : [];
}
// Puts an object straight into the server (setup only, bypassing the proxy).
export async function putRaw(key, body) {
  const r = await h.s3.raw('PUT', `/lake/${key}`, { body });
  assert.ok(r.ok, `${r.status} ${await r.text()}`);
}
export function walk(dir, rel = '') {
  const out = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(dir, r)); else out.push(r);
  }
  return out;
}
export function sameTree(a, b) {
  const fa = walk(a).sort(), fb = walk(b).sort();
  assert.deepEqual(fa, fb);
  for (const f of fa) assert.ok(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))), f);
}
export function mkSrc(name, files) {
  const d = path.join(tmp, name);
  fs.rmSync(d, { recursive: true, force: true });
  for (const [rel, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(d, rel)), { recursive: true });
    fs.writeFileSync(path.join(d, rel), data);
  }
  return d;
}
