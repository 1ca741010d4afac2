// S3 read benchmark (a program, not a test): lists and reads song files
// from a local s3rver with songlake's S3 client (through io.h:
// build/tests/s3/s3_io_tool fetch = list + batch read with prefetch + write
// each file to disk) beside `aws s3 cp --recursive` of the same prefix in
// the same run, and prints objects/s and the ratio. Data: the bundled
// sample's 71 song files, and N generated song files (`songlake generate`,
// default 15,000), uploaded straight into s3rver. Then times `songlake
// build` of the generated data from S3 to S3 beside local to local.
//
// usage: node bench/s3/run.mjs [--build DIR] [--songs N] [--connections C]
// (run from the source root; DIR defaults to ./build)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startS3, awsEnv, run } from '../../tests/s3/proxy.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
};
const src = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const buildDir = path.resolve(arg('--build', path.join(src, 'build')));
const nsongs = +arg('--songs', 15000);
const conns = arg('--connections', '64');
const tool = path.join(buildDir, 'tests', 's3', 's3_io_tool');
const songlake = path.join(buildDir, 'songlake');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-bench-s3-'));

function walk(dir, rel = '') {
  const out = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(dir, r)); else out.push(r);
  }
  return out;
}

// Parallel PUTs straight into s3rver (setup, not measured).
async function upload(s3, dir, prefix) {
  const files = walk(dir);
  for (let i = 0; i < files.length; i += 64)
    await Promise.all(files.slice(i, i + 64).map(async (f) => {
      const key = `${prefix}/${f}`.split('/').map(encodeURIComponent).join('/');
      const r = await fetch(`${s3.upstream}/bench/${key}`, { method: 'PUT', body: fs.readFileSync(path.join(dir, f)) });
      if (!r.ok) throw new Error(`upload ${f}: ${r.status}`);
    }));
  return files.length;
}

async function timed(fn) {
  const t = process.hrtime.bigint();
  const r = await fn();
  return { r, s: Number(process.hrtime.bigint() - t) / 1e9 };
}

const s3 = await startS3({ buckets: ['bench'] });
try {
  const env = {
    ...awsEnv(s3.upstream), AWS_ENDPOINT_URL: s3.upstream, HOME: tmp,
    SONGLAKE_S3_MAX_CONNECTIONS: conns,
  };
  const gen = path.join(tmp, 'gen');
  let g = await run(songlake, ['generate', '--out', gen, '--songs', String(nsongs), '--events', '1000', '--quiet']);
  if (g.code !== 0) throw new Error(`songlake generate: ${g.err}`);
  const sets = [
    ['sample song files', path.join(src, 'data', 'sparkify-sample', 'song_data'), 'sample'],
    [`${nsongs} generated song files`, path.join(gen, 'song_data'), 'gen'],
  ];
  console.log(`S3 read benchmark: s3rver on loopback, ${os.cpus().length} cores, songlake ${conns} connections`);
  console.log('| data | objects | songlake list s | songlake list+read objects/s | aws s3 cp objects/s | ratio |');
  console.log('|---|---|---|---|---|---|');
  for (const [name, dir, prefix] of sets) {
    const n = await upload(s3, dir, prefix);
    const uri = `s3://bench/${prefix}`;
    const list = await timed(() => run(tool, ['list', uri], { env }));
    if (list.r.code !== 0) throw new Error(list.r.err);
    const ours = await timed(() => run(tool, ['fetch', uri, path.join(tmp, `ours-${prefix}`)], { env }));
    if (ours.r.code !== 0) throw new Error(ours.r.err);
    const theirs = await timed(() => run('aws', ['--endpoint-url', s3.upstream, 's3', 'cp', '--recursive', '--quiet', uri, path.join(tmp, `aws-${prefix}`)], { env }));
    if (theirs.r.code !== 0) throw new Error(theirs.r.err);
    if (walk(path.join(tmp, `ours-${prefix}`)).length !== n || walk(path.join(tmp, `aws-${prefix}`)).length !== n)
      throw new Error('file counts differ');
    console.log(`| ${name} | ${n} | ${list.s.toFixed(2)} | ${(n / ours.s).toFixed(0)} | ${(n / theirs.s).toFixed(0)} | ${(theirs.s / ours.s).toFixed(1)}x |`);
  }
  // the whole pipeline: songlake build from S3 to S3 beside local to local
  await upload(s3, path.join(gen, 'log_data'), 'gen-logs');
  const local = await timed(() => run(songlake, ['build', '--quiet', '--songs', path.join(gen, 'song_data'),
    '--logs', path.join(gen, 'log_data'), '--out', path.join(tmp, 'lake')], { env }));
  if (local.r.code !== 0) throw new Error(local.r.err);
  const remote = await timed(() => run(songlake, ['build', '--quiet', '--songs', 's3://bench/gen',
    '--logs', 's3://bench/gen-logs', '--out', 's3://bench/lake'], { env }));
  if (remote.r.code !== 0) throw new Error(remote.r.err);
  console.log(`\nsonglake build, ${nsongs} song files + 30 log files: local to local ${local.s.toFixed(2)} s, ` +
    `S3 to S3 ${remote.s.toFixed(2)} s`);
} finally {
  await s3.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
