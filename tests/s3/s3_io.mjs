// S3 reading through io.h (tests/s3/s3_io_tool) against s3rver behind the
// SigV4-checking proxy, with the AWS CLI as the independent client:
// listing (order, sizes, globs, pagination past 1,000 keys), batch reading,
// odd keys, multipart uploads, every credential source and clear errors.
// Every request our client sends must carry a signature AWS's own signer
// agrees with.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { createRequire } from 'node:module';
import { run, checkSignature, KEYS } from './proxy.mjs';
import { h, useS3, tool, sample, tmp, aws, sl, noBadSignatures, awsKeys, putRaw, sameTree, mkSrc } from './harness.mjs';

const require = createRequire(new URL('../js/package.json', import.meta.url));
const { SignatureV4 } = require('@smithy/signature-v4');
const { Hash } = require('@smithy/hash-node');
useS3();

test('the proxy rejects what real S3 rejects', async () => {
  class Sha256 extends Hash { constructor(s) { super('sha256', s); } }
  const signer = new SignatureV4({ credentials: { accessKeyId: 'AKIASONGLAKETEST', secretAccessKey: KEYS.AKIASONGLAKETEST }, region: 'us-east-1', service: 's3', sha256: Sha256, uriEscapePath: false });
  const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname: '127.0.0.1', path: '/lake/a%20b%2Bc', query: { prefix: 'x y' }, headers: { host: '127.0.0.1:9', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  const req = (url, headers) => ({ method: 'GET', url, headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) });
  assert.equal(await checkSignature(req('/lake/a%20b%2Bc?prefix=x%20y', signed.headers)), null);
  assert.equal(await checkSignature(req('/lake/a%20b%2Bd?prefix=x%20y', signed.headers)), 'signature mismatch');
  assert.equal(await checkSignature(req('/lake/a%20b%2Bc?prefix=x%20z', signed.headers)), 'signature mismatch');
  // in a path '+' is a plus, not a space
  assert.equal(await checkSignature(req('/lake/a+b%2Bc?prefix=x%20y', signed.headers)), 'signature mismatch');
  assert.match(await checkSignature(req('/lake/a%20b%2Bc?prefix=x%20y', { ...signed.headers, 'x-amz-meta-x': '1' })), /not signed/);
});

test('lists like the AWS CLI and reads every file back byte for byte', async () => {
  const r = await sl(['list', 's3://lake/in/song_data']);
  assert.equal(r.code, 0, r.err);
  const ours = r.out.trim().split('\n').map((l) => { const [n, u] = l.split('\t'); return [u.slice('s3://lake/'.length), +n]; });
  const theirs = (await awsKeys('in/song_data/')).sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  assert.equal(ours.length, 71);
  assert.deepEqual(ours, theirs);
  const f = await sl(['fetch', 's3://lake/in', path.join(tmp, 'fetch1')]);
  assert.equal(f.code, 0, f.err);
  sameTree(path.join(tmp, 'fetch1'), sample);
  // globs, single files, and names starting with _ or . are not inputs
  await aws(['s3', 'cp', '--quiet', path.join(sample, 'log_data', '2018', '11', '2018-11-01-events.json'), 's3://lake/in/log_data/_SUCCESS']);
  await putRaw('in/log_data/2018/', ''); // a console's "folder" marker is not a file
  const g = await sl(['list', 's3://lake/in/log_data/2018/*/2018-11-0?-events.json']);
  assert.equal(g.code, 0, g.err);
  assert.equal(g.out.trim().split('\n').length, 9);
  const all = await sl(['list', 's3://lake/in/log_data']);
  assert.equal(all.out.trim().split('\n').length, 30);
  const one = await sl(['cat', 's3://lake/in/log_data/2018/11/2018-11-01-events.json']);
  assert.equal(one.out, fs.readFileSync(path.join(sample, 'log_data', '2018', '11', '2018-11-01-events.json'), 'utf8'));
  noBadSignatures();
});

test('keys with spaces, %, =, +, unicode and more are signed and read correctly', async () => {
  const names = ['a b.json', 'pct%41.json', 'eq=1+2.json', 'ü/日本.json', "q'()!*~.json", 'x&y;z,@$.json'];
  const src = mkSrc('odd', Object.fromEntries(names.map((n, i) => [n, `{"i":${i}}`])));
  assert.equal((await aws(['s3', 'cp', '--recursive', '--quiet', src, 's3://lake/odd'])).code, 0);
  const l = await sl(['list', 's3://lake/odd']);
  assert.equal(l.code, 0, l.err);
  assert.deepEqual(l.out.trim().split('\n').map((x) => x.split('\t')[1]),
    names.map((n) => `s3://lake/odd/${n}`).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  const f = await sl(['fetch', 's3://lake/odd/', path.join(tmp, 'odd-back')]);
  assert.equal(f.code, 0, f.err);
  sameTree(path.join(tmp, 'odd-back'), src);
  noBadSignatures();
});

test('listing follows continuation tokens past 1,000 keys and with small pages', async () => {
  const keys = [];
  for (let i = 0; i < 1010; i++) keys.push(`many/k-${String(i).padStart(5, '0')}.json`);
  for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => putRaw(k, k)));
  assert.equal((await awsKeys('many/')).length, 1010);
  h.s3.stats.log = [];
  const l = await sl(['list', 's3://lake/many']);
  const pages = h.s3.stats.log.filter((x) => x.includes('list-type=2'));
  h.s3.stats.log = null;
  assert.equal(l.code, 0, l.err);
  assert.deepEqual(l.out.trim().split('\n').map((x) => x.split('\t')[1]), keys.map((k) => `s3://lake/${k}`));
  assert.equal(pages.length, 2);
  assert.match(pages[1], /continuation-token=/);
  const small = await sl(['list', 's3://lake/in/song_data'], { SONGLAKE_S3_LIST_PAGE_SIZE: '7' });
  assert.equal(small.code, 0, small.err);
  assert.equal(small.out.trim().split('\n').length, 71);
  noBadSignatures();
});

test('large files go up as parallel multipart uploads', async () => {
  const big = crypto.randomBytes(13 * 1024 * 1024 + 12345);
  const src = mkSrc('big', { 'part-00000.parquet': big, 'small.txt': 'tiny' });
  const env = { SONGLAKE_S3_MULTIPART_THRESHOLD: String(5 << 20), SONGLAKE_S3_PART_SIZE: String(5 << 20) };
  h.s3.stats.log = [];
  const r = await sl(['publish', 's3://lake/big', 't', src, 'RB'], env);
  assert.equal(r.code, 0, r.err);
  const mp = h.s3.stats.log.filter((l) => l.includes('/lake/big/t/part-00000-RB.parquet'));
  h.s3.stats.log = null;
  assert.deepEqual(mp.map((l) => l.replace(/uploadId=[^&]*/, 'uploadId=U')).sort(), [
    'POST /lake/big/t/part-00000-RB.parquet?uploadId=U', 'POST /lake/big/t/part-00000-RB.parquet?uploads=',
    'PUT /lake/big/t/part-00000-RB.parquet?partNumber=1&uploadId=U', 'PUT /lake/big/t/part-00000-RB.parquet?partNumber=2&uploadId=U',
    'PUT /lake/big/t/part-00000-RB.parquet?partNumber=3&uploadId=U']);
  assert.ok(!h.s3.stats.log?.some((l) => l.includes('small.txt?')), 'small files are single PUTs');
  const hd = await aws(['s3api', 'head-object', '--bucket', 'lake', '--key', 'big/t/part-00000-RB.parquet']);
  assert.equal(hd.code, 0, hd.err);
  assert.equal(JSON.parse(hd.out).ContentLength, big.length);
  const d = await aws(['s3', 'cp', '--quiet', 's3://lake/big/t/part-00000-RB.parquet', path.join(tmp, 'big.back')]);
  assert.equal(d.code, 0, d.err);
  assert.ok(fs.readFileSync(path.join(tmp, 'big.back')).equals(big));
  noBadSignatures();
});

function credEnv(extra) {
  const e = { ...h.tenv, AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_CONFIG_FILE: '/dev/null' };
  delete e.AWS_ACCESS_KEY_ID;
  delete e.AWS_SECRET_ACCESS_KEY;
  return { ...e, ...extra };
}
const listWith = (env) => run(tool, ['list', 's3://lake/in/song_data/A/A/A'], { env });

test('credentials from the environment, dl.cfg [AWS], a shared profile and IMDSv2', async () => {
  const seen = [];
  const probe = async (name, env) => {
    const r = await listWith(env);
    assert.equal(r.code, 0, `${name}: ${r.err}`);
    assert.equal(r.out.trim().split('\n').length, fs.readdirSync(path.join(sample, 'song_data', 'A', 'A', 'A')).length);
    seen.push(name);
  };
  await probe('env', credEnv({ AWS_ACCESS_KEY_ID: 'AKIASONGLAKETEST', AWS_SECRET_ACCESS_KEY: KEYS.AKIASONGLAKETEST }));
  const dl = path.join(tmp, 'dl.cfg');
  fs.writeFileSync(dl, `[AWS]\nAWS_ACCESS_KEY_ID=AKIADLCFGKEY\nAWS_SECRET_ACCESS_KEY='${KEYS.AKIADLCFGKEY}'\n`);
  await probe('dl.cfg', credEnv({ S3_TOOL_CONFIG: dl }));
  const cred = path.join(tmp, 'credentials');
  fs.writeFileSync(cred, `[default]\naws_access_key_id = BAD\naws_secret_access_key = BAD\n[songlake]\naws_access_key_id = AKIAPROFILEKEY\naws_secret_access_key = ${KEYS.AKIAPROFILEKEY}\n`);
  await probe('profile', credEnv({ AWS_SHARED_CREDENTIALS_FILE: cred, AWS_PROFILE: 'songlake' }));
  // IMDSv2: token first, then the role, then its credentials (with a session token)
  const imdsLog = [];
  const imds = http.createServer((req, res) => {
    imdsLog.push(`${req.method} ${req.url}`);
    const ok = req.headers['x-aws-ec2-metadata-token'] === 'tok123';
    if (req.method === 'PUT' && req.url === '/latest/api/token' && req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return res.end('tok123');
    if (!ok) { res.writeHead(401); return res.end(); }
    if (req.url === '/latest/meta-data/iam/security-credentials/') return res.end('songlake-role\n');
    if (req.url === '/latest/meta-data/iam/security-credentials/songlake-role')
      return res.end(JSON.stringify({ Code: 'Success', AccessKeyId: 'AKIAIMDSKEY', SecretAccessKey: KEYS.AKIAIMDSKEY, Token: 'session/token+x=', Expiration: '2099-01-01T00:00:00Z' }));
    res.writeHead(404); res.end();
  });
  await new Promise((r) => imds.listen(0, '127.0.0.1', r));
  const before = h.s3.stats.requests;
  await probe('imds', credEnv({ AWS_EC2_METADATA_DISABLED: '', AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${imds.address().port}/` }));
  imds.close();
  assert.deepEqual(imdsLog, ['PUT /latest/api/token', 'GET /latest/meta-data/iam/security-credentials/', 'GET /latest/meta-data/iam/security-credentials/songlake-role']);
  assert.ok(h.s3.stats.requests > before);
  assert.deepEqual(seen, ['env', 'dl.cfg', 'profile', 'imds']);
  noBadSignatures();
});

test('--no-sign-request sends anonymous requests', async () => {
  if (h.s3.server === 'versitygw') {
    // s3rver serves anyone; versitygw, like S3, only a bucket made public
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*',
      Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::lake', 'arn:aws:s3:::lake/*'] }] };
    const p = await aws(['s3api', 'put-bucket-policy', '--bucket', 'lake', '--policy', JSON.stringify(policy)]);
    assert.equal(p.code, 0, p.err);
  }
  const anon = h.s3.stats.anonymous;
  const r = await run(tool, ['fetch', 's3://lake/in/song_data/A/A/A', path.join(tmp, 'anon')], { env: credEnv({ S3_TOOL_NO_SIGN: '1' }) });
  assert.equal(r.code, 0, r.err);
  const n = fs.readdirSync(path.join(sample, 'song_data', 'A', 'A', 'A')).length;
  assert.equal(fs.readdirSync(path.join(tmp, 'anon')).length, n);
  assert.equal(h.s3.stats.anonymous - anon, n + 1, 'one listing and one GET per file, none signed');
});

test('bad credentials, unknown keys, missing buckets and no credentials: clear errors, no secrets', async () => {
  const secret = 'wrong-secret-do-not-print';
  let r = await listWith(credEnv({ AWS_ACCESS_KEY_ID: 'AKIASONGLAKETEST', AWS_SECRET_ACCESS_KEY: secret }));
  assert.notEqual(r.code, 0);
  assert.match(r.err, /403 SignatureDoesNotMatch.*AWS_SECRET_ACCESS_KEY/);
  assert.ok(!r.err.includes(secret));
  h.s3.stats.reasons.length = 0; // those were meant to fail
  r = await listWith(credEnv({ AWS_ACCESS_KEY_ID: 'AKIANOSUCHKEY', AWS_SECRET_ACCESS_KEY: secret }));
  assert.match(r.err, /403 InvalidAccessKeyId.*AWS_ACCESS_KEY_ID/);
  assert.ok(!r.err.includes(secret));
  r = await sl(['list', 's3://no-such-bucket/x']);
  assert.match(r.err, /s3:\/\/no-such-bucket\/x.*404 NoSuchBucket.*bucket/);
  r = await sl(['publish', 's3://no-such-bucket/out', 't', sample, 'R']);
  assert.match(r.err, /s3:\/\/no-such-bucket\/out: 404 NoSuchBucket/);
  r = await listWith(credEnv({}));
  assert.match(r.err, /no AWS credentials found/);
  r = await sl(['list', 's3://lake/in/nothing-here']);
  assert.match(r.err, /s3:\/\/lake\/in\/nothing-here: no such file/);
});

test('a large object is read with parallel ranged GETs, byte for byte', async () => {
  const logs = path.join(sample, 'log_data', '2018', '11');
  const big = Buffer.concat(fs.readdirSync(logs).sort().map((f) => fs.readFileSync(path.join(logs, f))));
  const src = mkSrc('ranged', { 'all-events.json': big });
  assert.equal((await aws(['s3', 'cp', '--recursive', '--quiet', src, 's3://lake/ranged'])).code, 0);
  const part = 300000;
  const before = h.s3.stats.byMethod.GET || 0;
  const f = await sl(['fetch', 's3://lake/ranged/', path.join(tmp, 'ranged-back')],
    { SONGLAKE_S3_RANGE_THRESHOLD: '1000000', SONGLAKE_S3_RANGE_PART: String(part) });
  assert.equal(f.code, 0, f.err);
  const gets = (h.s3.stats.byMethod.GET || 0) - before;
  assert.ok(gets >= Math.ceil(big.length / part), `${gets} GETs for ${big.length} bytes in ${part}-byte ranges`);
  assert.ok(fs.readFileSync(path.join(tmp, 'ranged-back', 'all-events.json')).equals(big), 'same bytes');
  noBadSignatures();
});
