// The S3 commit protocol through io.h (tests/s3/s3_io_tool) against s3rver
// behind the SigV4-checking, fault-injecting proxy, checked with the AWS
// CLI: a table is replaced whole, failed runs change nothing, _SUCCESS lists
// the files, cleanup removes only what is safe, and injected faults (500,
// 503 SlowDown, resets, stalls, truncated bodies) leave the output
// identical to a clean run.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { h, useS3, sample, tmp, aws, sl, noBadSignatures, awsKeys, putRaw, sameTree, mkSrc } from './harness.mjs';

useS3();

test('commit protocol: replace whole, failed runs change nothing, _SUCCESS lists the files', async () => {
  const v1 = mkSrc('v1', { 'year=2018/part-00000.snappy.parquet': 'one', 'part-00001.snappy.parquet': 'uno', 'rejects.jsonl': 'r1' });
  const v2 = mkSrc('v2', { 'year=2019/part-00000.snappy.parquet': 'two', 'rejects.jsonl': 'r2' });
  assert.equal((await sl(['publish', 's3://lake/lk', 'tab', v1, 'RUN1'])).code, 0);
  const live1 = await awsKeys('lk/');
  assert.deepEqual(live1.map((k) => k[0]).sort(), ['lk/tab/_SUCCESS', 'lk/tab/part-00001-RUN1.snappy.parquet', 'lk/tab/rejects.jsonl', 'lk/tab/year=2018/part-00000-RUN1.snappy.parquet']);
  const man = JSON.parse((await sl(['cat', 's3://lake/lk/tab/_SUCCESS'])).out);
  assert.deepEqual(man.files.map((f) => f.path).sort(), ['part-00001-RUN1.snappy.parquet', 'rejects.jsonl', 'year=2018/part-00000-RUN1.snappy.parquet']);
  // an aborted run removes what it uploaded (staging included)
  const f = await sl(['publish', 's3://lake/lk', 'tab', v2, 'RUN2', 'fail']);
  assert.equal(f.code, 3, f.err);
  assert.deepEqual(await awsKeys('lk/'), live1);
  // a run that cannot reach S3 fails with a clear error; the lake is intact
  Object.assign(h.s3.faults, { rate: 1, kinds: ['500', '503', 'reset'] });
  const e = await sl(['publish', 's3://lake/lk', 'tab', v2, 'RUN3'], { SONGLAKE_S3_MAX_ATTEMPTS: '3' });
  Object.assign(h.s3.faults, { rate: 0, kinds: ['500', '503', 'reset', 'stall', 'truncate'] });
  assert.notEqual(e.code, 0);
  assert.match(e.err, /s3:\/\/lake\/lk.*(InternalError|SlowDown|failed)/);
  assert.match(e.err, /after 3 attempts/);
  assert.deepEqual(await awsKeys('lk/'), live1);
  assert.equal((await aws(['s3', 'cp', 's3://lake/lk/tab/rejects.jsonl', '-'])).out, 'r1');
  // the next good run replaces the table whole
  assert.equal((await sl(['publish', 's3://lake/lk', 'tab', v2, 'RUN4'])).code, 0);
  assert.deepEqual((await awsKeys('lk/')).map((k) => k[0]).sort(), ['lk/tab/_SUCCESS', 'lk/tab/rejects.jsonl', 'lk/tab/year=2019/part-00000-RUN4.snappy.parquet']);
  assert.equal((await aws(['s3', 'cp', 's3://lake/lk/tab/rejects.jsonl', '-'])).out, 'r2');
  noBadSignatures();
});

test('cleanup removes orphans of killed runs older than the live manifest, and no others', async () => {
  const v = mkSrc('c1', { 'part-00000.parquet': 'a' });
  assert.equal((await sl(['publish', 's3://lake/cl', 'tab', v, 'RUNA'])).code, 0);
  // a killed run left staging files and a part file
  await putRaw('cl/.songlake-staging-RUNK/tab/rejects.jsonl', 'o');
  await putRaw('cl/tab/part-00000-RUNK.parquet', 'o');
  await new Promise((r) => setTimeout(r, 1100));
  // RUNB commits while its deletes fail: RUNA's file stays behind, older than RUNB's manifest
  h.s3.faults.only = (req) => req.method === 'POST' && req.url.includes('delete');
  h.s3.faults.rate = 1;
  h.s3.faults.kinds = ['500'];
  const b = await sl(['publish', 's3://lake/cl', 'tab', v, 'RUNB'], { SONGLAKE_S3_MAX_ATTEMPTS: '2' });
  Object.assign(h.s3.faults, { rate: 0, only: null, kinds: ['500', '503', 'reset', 'stall', 'truncate'] });
  assert.equal(b.code, 0, b.err);
  let keys = (await awsKeys('cl/')).map((k) => k[0]);
  assert.ok(keys.includes('cl/tab/part-00000-RUNA.parquet'));
  // a file of another run written after the live manifest (a run in progress) is kept
  await new Promise((r) => setTimeout(r, 1100));
  await putRaw('cl/tab/part-00000-RUNLATE.parquet', 'o');
  // the next run's cleanup (on another table) removes what is safe to remove
  assert.equal((await sl(['publish', 's3://lake/cl', 'other', v, 'RUNC'])).code, 0);
  keys = (await awsKeys('cl/')).map((k) => k[0]).sort();
  assert.deepEqual(keys, ['cl/other/_SUCCESS', 'cl/other/part-00000-RUNC.parquet', 'cl/tab/_SUCCESS', 'cl/tab/part-00000-RUNB.parquet', 'cl/tab/part-00000-RUNLATE.parquet']);
  noBadSignatures();
});

test('faults on a share of requests: output identical to a clean run', async () => {
  h.s3.faults.rate = 0.25;
  const f = await sl(['fetch', 's3://lake/in', path.join(tmp, 'fetch-faults')], { SONGLAKE_S3_MAX_ATTEMPTS: '30' });
  const src = mkSrc('fsrc', { 'a/part-00000.parquet': crypto.randomBytes(300000), 'b/part-00000.parquet': 'b', 'c/part-00000.parquet': crypto.randomBytes(11 << 20), 'rejects.jsonl': 'r' });
  const p = await sl(['publish', 's3://lake/flt', 'tab', src, 'RF'], { SONGLAKE_S3_MAX_ATTEMPTS: '30',
    SONGLAKE_S3_MULTIPART_THRESHOLD: String(5 << 20), SONGLAKE_S3_PART_SIZE: String(5 << 20) });
  const faults = h.s3.stats.faults;
  h.s3.faults.rate = 0;
  assert.equal(f.code, 0, f.err);
  assert.equal(p.code, 0, p.err);
  assert.ok(faults > 10, `faults injected: ${faults}`);
  sameTree(path.join(tmp, 'fetch-faults'), sample);
  const d = await aws(['s3', 'cp', '--recursive', '--quiet', 's3://lake/flt/tab', path.join(tmp, 'flt-back')]);
  assert.equal(d.code, 0, d.err);
  fs.rmSync(path.join(tmp, 'flt-back', '_SUCCESS'));
  const ren = path.join(tmp, 'flt-want');
  for (const [a, b] of [['a/part-00000.parquet', 'a/part-00000-RF.parquet'], ['b/part-00000.parquet', 'b/part-00000-RF.parquet'], ['c/part-00000.parquet', 'c/part-00000-RF.parquet'], ['rejects.jsonl', 'rejects.jsonl']]) {
    fs.mkdirSync(path.dirname(path.join(ren, b)), { recursive: true });
    fs.copyFileSync(path.join(src, a), path.join(ren, b));
  }
  sameTree(path.join(tmp, 'flt-back'), ren);
  noBadSignatures();
});

