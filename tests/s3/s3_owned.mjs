// Issue 15 on S3: before anything is written, a build refuses (exit 2, one
// line) an --out prefix that holds, lies in or is an input prefix, a foreign
// object under a table prefix or _songlake, and an object named where a
// table goes; the foreign objects stay. A lake songlake wrote is replaced.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, before, after } from 'node:test';
import { startS3, awsEnv, run } from './proxy.mjs';

const bin = process.env.SONGLAKE_BIN;
const sample = path.join(process.env.SONGLAKE_SOURCE_DIR, 'data', 'sparkify-sample');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-s3owned-'));
let s3, env;
before(async () => {
  s3 = await startS3({ buckets: ['lake'] });
  env = { ...awsEnv(s3.endpoint), HOME: tmp, AWS_ENDPOINT_URL: s3.endpoint };
});
after(async () => {
  if (s3) await s3.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});
const aws = (args) => run('aws', ['--endpoint-url', s3.endpoint, ...args], { env });
const build = (songs, logs, out) => run(bin, ['build', '--quiet', '--threads', '2', '--songs', songs, '--logs', logs,
  '--out', out], { env });
async function keys(prefix) {
  const r = await aws(['s3api', 'list-objects-v2', '--bucket', 'lake', '--prefix', prefix]);
  assert.equal(r.code, 0, r.err);
  return r.out.trim() ? (JSON.parse(r.out).Contents || []).map((o) => o.Key).sort() : [];
}
async function put(key, body) {
  const f = path.join(tmp, 'body');
  fs.writeFileSync(f, body);
  const r = await aws(['s3', 'cp', '--quiet', f, `s3://lake/${key}`]);
  assert.equal(r.code, 0, r.err);
}
const oneLine = (r) => {
  const l = r.err.trim().split('\n');
  assert.equal(l.length, 1, r.err);
  return l[0];
};

test('--out prefixes that hold, lie in or are an input prefix are refused', async () => {
  for (const d of ['song_data', 'log_data']) {
    const r = await aws(['s3', 'cp', '--quiet', '--recursive', path.join(sample, d), `s3://lake/proj/${d}`]);
    assert.equal(r.code, 0, r.err);
  }
  const before = await keys('proj/');
  const cases = [
    ['s3://lake/proj', /holds the --songs input/],
    ['s3://lake/proj/song_data/lake', /lies inside the --songs input/],
    ['s3://lake/proj/log_data/', /is the --logs input/],
  ];
  for (const [out, re] of cases) {
    const r = await build('s3://lake/proj/song_data', 's3://lake/proj/log_data', out);
    assert.equal(r.code, 2, `${out}: ${r.code}\n${r.err}`);
    assert.match(oneLine(r), re);
  }
  assert.deepEqual(await keys('proj/'), before, 'the input prefixes are untouched');
  // a sibling prefix that only shares a name start is not inside
  const ok = await build('s3://lake/proj/song_data', 's3://lake/proj/log_data', 's3://lake/proj/song_data2');
  assert.equal(ok.code, 0, ok.err);
});

test('foreign objects under a table or _songlake, and an object where a table goes', async () => {
  const songs = path.join(sample, 'song_data'), logs = path.join(sample, 'log_data');
  let r = await build(songs, logs, 's3://lake/good');
  assert.equal(r.code, 0, r.err);
  for (const k of ['good/users/mine.csv', 'good/_songlake/notes.txt']) {
    await put(k, 'not songlake');
    const before = await keys('good/');
    r = await build(songs, logs, 's3://lake/good');
    assert.equal(r.code, 2, `${k}: ${r.code}\n${r.err}`);
    assert.match(oneLine(r), new RegExp(k.split('/').slice(1).join('/').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.deepEqual(await keys('good/'), before, `${k}: nothing changed`);
    assert.equal((await aws(['s3', 'rm', '--quiet', `s3://lake/${k}`])).code, 0);
  }
  await put('plain/time', 'a file named time');
  r = await build(songs, logs, 's3://lake/plain');
  assert.equal(r.code, 2, r.err);
  assert.match(oneLine(r), /time is not a directory songlake made/);
  assert.deepEqual(await keys('plain/'), ['plain/time']);
  // songlake's own lake is replaced
  r = await build(songs, logs, 's3://lake/good');
  assert.equal(r.code, 0, r.err);
});
