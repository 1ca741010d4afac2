// What only a server that checks requests like S3 can show (versitygw
// v1.7.0 behind the proxy, which here only forwards): a wrong secret and a
// skewed clock fail songlake build with one clear line and write nothing;
// a conditional PUT (If-None-Match: *, what Delta commits rely on) of a
// taken key is answered 412 or 409 and io_create_if_absent says "exists".
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
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
    assert.match(lastLine(r.err), /^songlake: error: (--[a-z]+: )?s3:\/\/lake\/\S*.*403 SignatureDoesNotMatch.*AWS_SECRET_ACCESS_KEY/, name);
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
    assert.match(lastLine(r.err), /^songlake: error: (--[a-z]+: )?s3:\/\/lake\/.*403 RequestTimeTooSkewed.*clock/, off);
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
