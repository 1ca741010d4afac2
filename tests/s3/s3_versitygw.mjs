// What only a server that checks requests like S3 can show (versitygw
// v1.7.0 behind the proxy, which here only forwards): a wrong secret and a
// skewed clock fail songlake build with one clear line and write nothing;
// a conditional PUT (If-None-Match: *, what Delta commits rely on) of a
// taken key is answered 412 or 409 and io_create_if_absent says "exists";
// a build killed during a multipart upload leaves it open (s3rver cannot
// list uploads), and the next run aborts it and no one else's.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { run, KEYS } from './proxy.mjs';
import { h, useS3, sample, tmp, aws, awsKeys } from './harness.mjs';

const bin = process.env.SONGLAKE_BIN;
const faketime = process.env.SONGLAKE_FAKETIME || 'faketime';
const smallFiles = path.join(process.env.SONGLAKE_BUILD_DIR, 'tests', 'io', 'small_files_tool');
useS3();

const localIn = ['--songs', path.join(sample, 'song_data'), '--logs', path.join(sample, 'log_data')];
const s3In = ['--songs', 's3://lake/in/song_data', '--logs', 's3://lake/in/log_data'];
const build = (args, env = {}, wrap = []) => {
  const cmd = [...wrap, bin, 'build', '--quiet', '--threads', '2', ...args];
  return run(cmd[0], cmd.slice(1), { env: { ...h.tenv, ...env } });
};
// the run's whole stderr is one line (--quiet): the error
const lastLine = (s) => {
  const lines = s.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${s}`);
  return lines[0];
};

// Nothing under the prefix: no object, no open multipart upload, and no
// file in versitygw's posix directory.
async function nothingUnder(prefix) {
  assert.deepEqual(await awsKeys(`${prefix}/`), [], `no object under ${prefix}/`);
  const u = await aws(['s3api', 'list-multipart-uploads', '--bucket', 'lake', '--prefix', `${prefix}/`]);
  assert.equal(u.code, 0, u.err);
  assert.deepEqual(u.out.trim() ? JSON.parse(u.out).Uploads || [] : [], [], `no upload under ${prefix}/`);
  assert.ok(!fs.existsSync(path.join(h.s3.dir, 'root', 'lake', prefix)), `no ${prefix} directory`);
}

test('versitygw is the server: it checks signatures itself', () => {
  assert.equal(h.s3.server, 'versitygw');
});

test('a wrong secret: one clear line, no secret printed, nothing written', async () => {
  const secret = 'not-the-secret-of-AKIASONGLAKETEST';
  const env = { AWS_ACCESS_KEY_ID: 'AKIASONGLAKETEST', AWS_SECRET_ACCESS_KEY: secret };
  for (const [name, args] of [['local in', [...localIn, '--out', 's3://lake/wrong1']],
    ['S3 in', [...s3In, '--out', 's3://lake/wrong2']]]) {
    const r = await build(args, env);
    assert.equal(r.code, 1, `${name}: ${r.err}`);
    assert.match(lastLine(r.err), /^songlake build: error: (--[a-z]+: )?s3:\/\/lake\/\S*.*403 SignatureDoesNotMatch.*AWS_SECRET_ACCESS_KEY/, name);
    assert.ok(!(r.out + r.err).includes(secret), `${name}: the secret is not printed`);
    assert.ok(!(r.out + r.err).includes(KEYS.AKIASONGLAKETEST), `${name}: no secret printed`);
  }
  await nothingUnder('wrong1');
  await nothingUnder('wrong2');
  // the same keys with the right secret work: the failure was the secret
  const ok = await build([...s3In, '--out', 's3://lake/right'],
    { AWS_ACCESS_KEY_ID: 'AKIASONGLAKETEST', AWS_SECRET_ACCESS_KEY: KEYS.AKIASONGLAKETEST });
  assert.equal(ok.code, 0, ok.err);
  assert.ok((await awsKeys('right/')).some(([k]) => k === 'right/songplays/_SUCCESS'));
});

test('a clock 20 minutes off: RequestTimeTooSkewed in one line naming the clock, nothing written', async () => {
  for (const off of ['-20m', '+20m']) {
    const out = `skew${off[0] === '-' ? 'behind' : 'ahead'}`;
    const r = await build([...localIn, '--out', `s3://lake/${out}`], {}, [faketime, '-f', off]);
    assert.equal(r.code, 1, `${off}: ${r.err}`);
    assert.match(lastLine(r.err), /^songlake build: error: (--[a-z]+: )?s3:\/\/lake\/.*403 RequestTimeTooSkewed.*clock/, off);
    await nothingUnder(out);
  }
  // within S3's 15 minutes the same build succeeds (faketime itself works)
  const ok = await build([...localIn, '--out', 's3://lake/skew5'], {}, [faketime, '-f', '-5m']);
  assert.equal(ok.code, 0, ok.err);
  assert.ok((await awsKeys('skew5/')).some(([k]) => k === 'skew5/songplays/_SUCCESS'));
});

test('If-None-Match: * on a taken key is answered 412 or 409; io_create_if_absent says exists', async () => {
  const uri = 's3://lake/cond/_delta_log/00000000000000000000.json';
  h.s3.stats.seen = [];
  h.s3.stats.done = [];
  const first = await run(smallFiles, ['create', uri, 'first'], { env: h.tenv });
  const second = await run(smallFiles, ['create', uri, 'second'], { env: h.tenv });
  const puts = h.s3.stats.seen.filter((x) => x.method === 'PUT');
  const answers = h.s3.stats.done.filter((x) => x.method === 'PUT').map((x) => x.status);
  h.s3.stats.seen = h.s3.stats.done = null;
  assert.equal(first.code, 0, first.err);
  assert.equal(first.out.trim(), 'created');
  assert.equal(second.code, 3, second.err);
  assert.equal(second.out.trim(), 'exists');
  assert.equal(puts.length, 2);
  for (const p of puts) assert.equal(p.headers['if-none-match'], '*', 'a conditional PUT');
  assert.equal(answers[0], 200);
  assert.ok([412, 409].includes(answers[1]), `the second PUT was answered ${answers[1]}`);
  const got = await aws(['s3', 'cp', uri, '-']);
  assert.equal(got.out, 'first', 'the first writer\'s bytes stay');
});

async function openUploads(prefix) {
  const r = await aws(['s3api', 'list-multipart-uploads', '--bucket', 'lake', '--prefix', prefix]);
  assert.equal(r.code, 0, r.err);
  return (r.out.trim() ? JSON.parse(r.out).Uploads || [] : []).map((u) => u.Key).sort();
}

test('a build killed in a multipart upload: the next run aborts it, and no foreign upload', async () => {
  const out = 'mpk';
  // others' uploads: under the lake (another tool's, a Spark-named part
  // file) and under a lake whose name only starts like this one
  const foreign = [`${out}/songplays/backup.bin`,
    `${out}/songplays/part-00000-2f3a9c1e-7b1d-4c2e-9a55-0c1d2e3f4a5b-c000.snappy.parquet`,
    `${out}other/songplays/part-00000-20261125T030613Z-0abc12.snappy.parquet`];
  for (const key of foreign) {
    const r = await aws(['s3api', 'create-multipart-upload', '--bucket', 'lake', '--key', key]);
    assert.equal(r.code, 0, r.err);
  }
  // killed at its first part upload, which S3 then stores (billed)
  const hd = h.s3.holdNext((req) => req.method === 'PUT' && req.url.startsWith(`/lake/${out}/`)
    && /[?&]partNumber=/.test(req.url));
  const child = spawn(bin, ['build', '--quiet', '--threads', '2', ...localIn, '--out', `s3://lake/${out}`], {
    env: { ...h.tenv, SONGLAKE_S3_TIMEOUT_SECONDS: '30', SONGLAKE_S3_MULTIPART_THRESHOLD: '32768',
      SONGLAKE_S3_PART_SIZE: '32768' }, stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', (code, sig) => r(sig)));
  const first = await Promise.race([hd.arrived.then(() => 'held'), exited]);
  assert.equal(first, 'held', 'the build reached a multipart upload');
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  await hd.release('forward');
  const ours = (await openUploads(`${out}/`)).filter((k) => !foreign.includes(k));
  assert.ok(ours.length >= 1, 'the killed run left its upload open');
  for (const k of ours) assert.match(k, /\/part-\d{5}(-c\d{3})?-\d{8}T\d{6}Z-[0-9a-f]{6}\./);

  // the next run (cleanup grace 0; past the second of the upload's start)
  await new Promise((r) => setTimeout(r, 1100));
  const r = await build([...localIn, '--out', `s3://lake/${out}`]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, new RegExp(`aborted ${ours.length} multipart upload\\(s\\) left open by earlier runs`));
  assert.deepEqual(await openUploads(`${out}`), foreign.slice().sort(), 'only the foreign uploads are open');
  const report = async () => JSON.parse((await aws(['s3', 'cp', `s3://lake/${out}/_songlake/report.json`, '-'])).out);
  assert.equal((await report()).uploads_aborted, ours.length, 'report.json counts the aborted uploads');
  // and a run with nothing to abort says nothing about it
  const again = await build([...localIn, '--out', `s3://lake/${out}`]);
  assert.equal(again.code, 0, again.err);
  assert.doesNotMatch(again.err, /aborted/);
  assert.equal((await report()).uploads_aborted, 0);
});
