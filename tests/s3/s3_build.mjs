// `songlake build` from S3 to S3 through the real binary, against s3rver
// behind the SigV4-checking, fault-injecting proxy: the output, downloaded
// by the AWS CLI, holds table for table the same rows (read by DuckDB) as a
// local build of the same data; with faults on a share of requests the
// rows are still the same; with faults on every request the run fails with
// one clear line and the previous lake is untouched.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { run, KEYS } from './proxy.mjs';
import { h, useS3, sample, tmp, aws, noBadSignatures, awsKeys } from './harness.mjs';
import { TABLES, duck, rows } from '../e2e/lib.mjs';

const bin = process.env.SONGLAKE_BIN;
useS3();

const build = (args, env = {}) => run(bin, ['build', '--quiet', '--threads', '2', ...args],
  { env: { ...h.tenv, ...env } });
const s3args = (out) => ['--songs', 's3://lake/in/song_data', '--logs', 's3://lake/in/log_data', '--out', out];

async function download(prefix, dir) {
  const r = await aws(['s3', 'cp', '--recursive', '--quiet', prefix, dir]);
  assert.equal(r.code, 0, r.err);
  return dir;
}

async function sameRows(a, b) {
  const db = await duck();
  try {
    for (const t of TABLES) {
      const ra = await rows(db, a, t), rb = await rows(db, b, t);
      assert.ok(ra.length > 0, `${t} has rows`);
      assert.deepEqual(rb, ra, t);
    }
  } finally {
    db.close();
  }
}

let local;
test('an S3 to S3 build has the same rows as the local build; the AWS CLI reads it', async () => {
  local = path.join(tmp, 'local');
  const l = await build(['--songs', path.join(sample, 'song_data'), '--logs', path.join(sample, 'log_data'), '--out', local]);
  assert.equal(l.code, 0, l.err);
  const r = await build(s3args('s3://lake/out'));
  assert.equal(r.code, 0, r.err);
  const keys = (await awsKeys('out/')).map((k) => k[0]);
  for (const t of TABLES) assert.ok(keys.includes(`out/${t}/_SUCCESS`), `${t}/_SUCCESS`);
  assert.ok(keys.includes('out/_songlake/report.json'));
  assert.ok(!keys.some((k) => k.includes('.songlake-staging-')), 'no staging left');
  // every file of the manifest is there, and nothing else
  const got = await download('s3://lake/out', path.join(tmp, 's3out'));
  for (const t of TABLES) {
    const man = JSON.parse(fs.readFileSync(path.join(got, t, '_SUCCESS'), 'utf8'));
    const listed = man.files.map((f) => `out/${t}/${f.path}`).sort();
    assert.deepEqual(listed, keys.filter((k) => k.startsWith(`out/${t}/`) && !k.endsWith('/_SUCCESS')).sort(), t);
  }
  await sameRows(local, got);
  noBadSignatures();
});

test('faults on a share of requests: the same rows; faults on all: a clear error, previous lake intact', async () => {
  const before = await awsKeys('out/');
  Object.assign(h.s3.faults, { rate: 0.15 });
  const r = await build(s3args('s3://lake/out'), { SONGLAKE_S3_MAX_ATTEMPTS: '30' });
  const injected = h.s3.stats.faults;
  h.s3.faults.rate = 0;
  assert.equal(r.code, 0, r.err);
  assert.ok(injected > 5, `faults injected: ${injected}`);
  const after = await awsKeys('out/');
  assert.notDeepEqual(after.map((k) => k[0]), before.map((k) => k[0]), 'a new run replaced the files');
  await sameRows(local, await download('s3://lake/out', path.join(tmp, 's3faults')));

  Object.assign(h.s3.faults, { rate: 1, kinds: ['500', '503', 'reset'] });
  const f = await build(s3args('s3://lake/out'), { SONGLAKE_S3_MAX_ATTEMPTS: '2' });
  Object.assign(h.s3.faults, { rate: 0, kinds: ['500', '503', 'reset', 'stall', 'truncate'] });
  assert.equal(f.code, 1);
  const lines = f.err.trim().split('\n');
  assert.match(lines[lines.length - 1], /^songlake build: error: .*s3:\/\/lake\/.*(InternalError|SlowDown|failed)/);
  assert.deepEqual(await awsKeys('out/'), after);
  noBadSignatures();
});

test('songlake build takes S3 credentials and the endpoint from --config (dl.cfg); no secret in the output', async () => {
  const cfg = path.join(tmp, 'dl.cfg');
  fs.writeFileSync(cfg, `[AWS]\nAWS_ACCESS_KEY_ID = AKIADLCFGKEY\nAWS_SECRET_ACCESS_KEY = '${KEYS.AKIADLCFGKEY}'\n` +
    `[songlake]\nendpoint_url = ${h.s3.endpoint}\n`);
  const env = { ...h.tenv, AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_CONFIG_FILE: '/dev/null' };
  delete env.AWS_ACCESS_KEY_ID;
  delete env.AWS_SECRET_ACCESS_KEY;
  delete env.AWS_ENDPOINT_URL;
  const r = await run(bin, ['build', '--config', cfg, ...s3args('s3://lake/cfgout')], { env });
  assert.equal(r.code, 0, r.err);
  assert.ok(!r.out.includes(KEYS.AKIADLCFGKEY) && !r.err.includes(KEYS.AKIADLCFGKEY));
  const rep = await aws(['s3', 'cp', 's3://lake/cfgout/_songlake/report.json', '-']);
  assert.equal(rep.code, 0, rep.err);
  assert.ok(JSON.parse(rep.out).run_id, 'report.json is there');
  assert.ok(!rep.out.includes(KEYS.AKIADLCFGKEY));
  noBadSignatures();
});
