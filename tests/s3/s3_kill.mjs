// `songlake build` to S3 really killed with SIGKILL at chosen points of its
// commit, against s3rver behind the checking proxy (proxy.mjs), which parks
// the request the kill should land on (holdNext), so each kill point is
// exact and repeatable. After every kill the lake is read the way readers
// must read it, through each table's _SUCCESS manifest (every listed file
// fetched from s3rver, sizes checked, rows read by DuckDB), and each table
// must be whole: exactly the rows of one input's local build, the new run's
// for the tables whose _SUCCESS s3rver accepted, the previous one's for the
// others. A final normal run then leaves nothing but its own files.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { run } from './proxy.mjs';
import { h, useS3, sample, tmp, noBadSignatures, mkSrc } from './harness.mjs';
import { TABLES, duck, rows } from '../e2e/lib.mjs';

const bin = process.env.SONGLAKE_BIN;
const OUT = 'kill'; // s3://lake/kill
useS3();

const buildArgs = (src, out) => ['build', '--quiet', '--threads', '2', '--songs', path.join(src, 'song_data'),
  '--logs', path.join(src, 'log_data'), '--out', out];
// killed runs must not time out and retry the parked request
const env = () => ({ ...h.tenv, SONGLAKE_S3_TIMEOUT_SECONDS: '30' });

// Input B: the sample without the song files under A/A and the logs of
// 20-29 November, so every table has other rows than with the whole sample.
function inputB() {
  const files = {};
  const add = (rel) => {
    const abs = path.join(sample, rel);
    if (fs.statSync(abs).isDirectory()) for (const e of fs.readdirSync(abs)) add(path.join(rel, e));
    else if (!rel.startsWith(path.join('song_data', 'A', 'A')) && !/2018-11-2\d-events/.test(rel))
      files[rel] = fs.readFileSync(abs);
  };
  add('song_data');
  add('log_data');
  return mkSrc('inputB', files);
}

// ---- reading the lake straight from the server (not through songlake) ----
const unxml = (s) => s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<')
  .replace(/&gt;/g, '>').replace(/&amp;/g, '&');

async function listKeys(prefix) {
  const keys = [];
  let token = null;
  for (;;) {
    const query = { 'list-type': '2', prefix };
    if (token) query['continuation-token'] = token;
    const r = await h.s3.raw('GET', '/lake', { query });
    const x = await r.text();
    assert.ok(r.ok, x);
    for (const m of x.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(unxml(m[1]));
    if (!/<IsTruncated>true<\/IsTruncated>/.test(x)) return keys.sort();
    token = unxml(/<NextContinuationToken>([^<]*)</.exec(x)[1]);
  }
}

async function getObject(key) {
  const r = await h.s3.raw('GET', `/lake/${key}`);
  const body = Buffer.from(await r.arrayBuffer());
  return r.ok ? body : null;
}

// Each table as a reader following _SUCCESS sees it: its manifest, and its
// rows (DuckDB over the listed files, fetched into a fresh directory).
// Fails if a manifest is missing or lists a file that is not there whole.
let nread = 0;
async function readLake(db) {
  const dir = path.join(tmp, `read-${nread++}`);
  const out = {};
  for (const t of TABLES) {
    const raw = await getObject(`${OUT}/${t}/_SUCCESS`);
    assert.ok(raw, `${t}/_SUCCESS exists`);
    const man = JSON.parse(raw.toString('utf8'));
    assert.ok(man.files.length > 0, `${t}: the manifest lists files`);
    let nrows = 0;
    for (const f of man.files) {
      const body = await getObject(`${OUT}/${t}/${f.path}`);
      assert.ok(body, `${t}/${f.path}: listed in _SUCCESS but missing`);
      assert.equal(body.length, f.bytes, `${t}/${f.path}: size as in the manifest`);
      fs.mkdirSync(path.dirname(path.join(dir, t, f.path)), { recursive: true });
      fs.writeFileSync(path.join(dir, t, f.path), body);
      nrows += f.rows;
    }
    const got = await rows(db, dir, t);
    assert.equal(got.length, man.rows, `${t}: rows read = rows in the manifest`);
    assert.equal(nrows, man.rows, `${t}: the files' rows add up`);
    out[t] = { files: man.files.map((f) => `${OUT}/${t}/${f.path}`), rows: got };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

// The tables whose _SUCCESS s3rver accepted during the last run.
const committed = () => new Set(h.s3.stats.done
  .filter((d) => d.method === 'PUT' && d.status === 200)
  .map((d) => new RegExp(`^/lake/${OUT}/([^/?]+)/_SUCCESS$`).exec(d.url)?.[1])
  .filter((t) => TABLES.includes(t)));

// Runs a build that is SIGKILLed as soon as the request `match` picks
// arrives at the proxy; the request is then dropped or forwarded.
async function killedBuild(src, match, how, extraEnv = {}) {
  h.s3.stats.done = [];
  const hd = h.s3.holdNext(match);
  const child = spawn(bin, buildArgs(src, `s3://lake/${OUT}`), { env: { ...env(), ...extraEnv },
    stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c) => { err += c; });
  const exited = new Promise((r) => child.on('exit', (code, sig) => r({ code, sig })));
  const first = await Promise.race([hd.arrived.then(() => 'held'), exited]);
  if (first !== 'held') {
    await hd.release();
    assert.fail(`the run ended (${JSON.stringify(first)}) before the chosen request: ${err}`);
  }
  child.kill('SIGKILL');
  const { sig } = await exited;
  assert.equal(sig, 'SIGKILL');
  await hd.release(how);
  return committed();
}

const urlPath = (req) => req.url.split('?')[0];
const isPartPut = (req) => req.method === 'PUT' && !req.headers['x-amz-copy-source']
  && urlPath(req).startsWith(`/lake/${OUT}/`) && /\/part-[^/]*$/.test(urlPath(req));
const successTable = (req) => (req.method === 'PUT'
  ? new RegExp(`^/lake/${OUT}/([^/]+)/_SUCCESS$`).exec(urlPath(req))?.[1] : null);
const isTableSuccess = (req) => TABLES.includes(successTable(req));
const isCommitRecord = (req) => req.method === 'PUT' && /\.songlake-staging-[^/]+\/_COMMIT$/.test(urlPath(req));
const big = (k, v) => (typeof v === 'bigint' ? v.toString() : v);
// A command on the lake that completes a killed publish first (store
// cleanup), then stops on its input's reject (--max-rejects 0).
async function recoverCmd() {
  const src = mkSrc(`dirty${nread}`, { 'song_data/s.json': '{"song_id": 1}\n', 'log_data/l.json': '{}\n' });
  const r = await run(bin, [...buildArgs(src, `s3://lake/${OUT}`), '--max-rejects', '0'], { env: env() });
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /max-rejects/);
}
// a DeleteObjects removing part files of a table (not cleanup of staging)
const deletesParts = (req, body) => req.method === 'POST' && /[?&]delete/.test(req.url)
  && TABLES.some((t) => body.includes(`<Key>${OUT}/${t}/`));

test('SIGKILL during the S3 commit: every table stays whole, the next run cleans up', async () => {
  const refDir = { A: sample, B: inputB() };
  const db = await duck();
  try {
    // what each input gives, from local builds
    const ref = {};
    for (const x of ['A', 'B']) {
      const out = path.join(tmp, `ref${x}`);
      const r = await run(bin, buildArgs(refDir[x], out), { env: env() });
      assert.equal(r.code, 0, r.err);
      ref[x] = {};
      for (const t of TABLES) ref[x][t] = await rows(db, out, t);
    }
    for (const t of TABLES) {
      assert.ok(ref.B[t].length > 0, `${t}: B has rows`);
      assert.notEqual(ref.A[t].length, ref.B[t].length, `${t}: A and B differ in rows`);
    }
    // the expected input of each table, and a check of the lake against it
    const state = {};
    const check = async (what) => {
      const lake = await readLake(db);
      for (const t of TABLES) assert.deepEqual(lake[t].rows, ref[state[t]][t], `${what}: ${t} reads as ${state[t]}`);
      return lake;
    };

    // run A: a normal build of the sample
    const a = await run(bin, buildArgs(sample, `s3://lake/${OUT}`), { env: env() });
    assert.equal(a.code, 0, a.err);
    for (const t of TABLES) state[t] = 'A';
    const lakeA = await check('run A');

    // (a) killed while uploading its data files: the lake is A
    let c = await killedBuild(refDir.B, isPartPut, 'drop');
    assert.equal(c.size, 0, 'no _SUCCESS written');
    await check('killed uploading data');

    // (a) again with the larger files as multipart uploads of 32 KiB parts
    // (s3rver takes parts below S3's 5 MiB minimum), killed at the first part
    c = await killedBuild(refDir.B, (req) => isPartPut(req) && /[?&]partNumber=/.test(req.url), 'drop',
      { SONGLAKE_S3_MULTIPART_THRESHOLD: '32768', SONGLAKE_S3_PART_SIZE: '32768' });
    assert.equal(c.size, 0, 'no _SUCCESS written');
    assert.ok(h.s3.stats.done.some((d) => d.method === 'POST' && /[?&]uploads/.test(d.url)), 'a multipart upload began');
    await check('killed in a multipart upload');

    // (a') killed as its commit record goes out (dropped), every data file
    // and every staged _SUCCESS of B uploaded: still A, and after the next
    // command too
    c = await killedBuild(refDir.B, isCommitRecord, 'drop');
    assert.equal(c.size, 0, 'no _SUCCESS written');
    let lake = await check('killed at the commit record');
    let keys = await listKeys(`${OUT}/`);
    const listed = new Set(TABLES.flatMap((t) => lake[t].files));
    assert.ok(keys.filter((k) => /\/part-/.test(k) && !listed.has(k)).length >= TABLES.length,
      'the killed run left its part files behind');
    await recoverCmd();
    await check('the next command after a kill before the commit record');

    // (b) killed at the first _SUCCESS copied into place, after the commit
    // record: until the next command each table is whole (A or B); the next
    // command completes the publish, and every table is B
    c = await killedBuild(refDir.B, isTableSuccess, 'drop');
    lake = await readLake(db);
    for (const t of TABLES)
      assert.ok([ref.A[t], ref.B[t]].some((r) => JSON.stringify(r, big) === JSON.stringify(lake[t].rows, big)), `${t} whole`);
    await recoverCmd();
    for (const t of TABLES) state[t] = 'B';
    await check('the next command completes a killed publish');

    // (c) input A again, killed while deleting the previous files after the
    // last table's commit: every table reads as A, the previous files remain
    c = await killedBuild(refDir.A, (req, body) => deletesParts(req, body.toString('utf8'))
      && committed().size === TABLES.length, 'drop');
    assert.equal(c.size, TABLES.length);
    for (const t of TABLES) state[t] = 'A';
    lake = await check('killed deleting the previous files');
    for (const t of TABLES) assert.notDeepEqual(lake[t].files, lakeA[t].files, `${t}: files of the new run`);
    keys = await listKeys(`${OUT}/`);
    const live = new Set(TABLES.flatMap((t) => [...lake[t].files, `${OUT}/${t}/_SUCCESS`]));
    const orphans = keys.filter((k) => !live.has(k) && !k.startsWith(`${OUT}/_songlake/`));
    assert.ok(orphans.some((k) => /\/part-/.test(k)), `previous files left: ${orphans}`);
    // (the commit record is deleted before the previous files: it is done)
    for (const d of h.s3.stats.done.filter((x) => x.method === 'PUT' && x.url.includes('.songlake-staging-') && !/\/_COMMIT$/.test(urlPath(x))))
      assert.ok(orphans.includes(decodeURIComponent(urlPath(d)).slice('/lake/'.length)), `staging left: ${d.url}`);

    // run C: a normal build of B succeeds, reads as B, and leaves only its
    // own files (cleanup grace 0; wait past the second of the last write)
    await new Promise((r) => setTimeout(r, 1100));
    h.s3.stats.done = [];
    const cr = await run(bin, buildArgs(refDir.B, `s3://lake/${OUT}`), { env: env() });
    assert.equal(cr.code, 0, cr.err);
    for (const t of TABLES) state[t] = 'B';
    lake = await check('run C');
    keys = await listKeys(`${OUT}/`);
    const want = TABLES.flatMap((t) => [...lake[t].files, `${OUT}/${t}/_SUCCESS`]);
    assert.deepEqual(keys.filter((k) => !k.startsWith(`${OUT}/_songlake/`)), want.sort(),
      'only the files of the manifests of run C');
    assert.deepEqual(keys.filter((k) => k.startsWith(`${OUT}/_songlake/`) && !k.startsWith(`${OUT}/_songlake/failed/`)),
      ['_SUCCESS', 'rejects.jsonl', 'report.json'].map((f) => `${OUT}/_songlake/${f}`));
    noBadSignatures();
  } finally {
    h.s3.stats.done = null;
    db.close();
  }
});
