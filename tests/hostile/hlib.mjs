// Helpers of the hostile-input tests: run the real binary under run_limited
// (memory limit, deadline, peak RSS from wait4), compare two lakes, and
// make inputs from the sample's real logs.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { TABLES, bin, listFiles, readRejects, sample } from '../e2e/lib.mjs';

export const runLimitedBin = path.join(process.env.SONGLAKE_BUILD_DIR, 'tests', 'hostile', 'run_limited');

// Runs `songlake <args>` with at most memMb of data memory, killed after
// deadlineS. Returns { status, signal, timed_out, maxrss_kb, elapsed_s, err }.
export function runLimited(args, { memMb = 0, deadlineS = 120, env = {} } = {}) {
  const r = spawnSync(runLimitedBin, [String(memMb), String(deadlineS), bin, ...args],
    { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, ...env } });
  assert.equal(r.status, 0, `run_limited failed: ${r.stderr}`);
  return { ...JSON.parse(r.stdout.trim().split('\n').pop()), err: r.stderr };
}

// runLimited without blocking the event loop (for servers in this process).
export function runLimitedAsync(args, { memMb = 0, deadlineS = 120, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(runLimitedBin, [String(memMb), String(deadlineS), bin, ...args],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) reject(new Error(`run_limited failed: ${err}`));
      else resolve({ ...JSON.parse(out.trim().split('\n').pop()), err });
    });
  });
}

// Hostile inputs are mostly rejects on purpose: the reject-share limit
// (--max-reject-rate, issue 15) is off so the run reaches what is tested.
export function buildLimited(args, opts) {
  return runLimited(['build', '--quiet', '--max-reject-rate', '1', ...args], opts);
}

// The sample's event lines, in input order.
export function sampleLines() {
  const logs = path.join(sample, 'log_data');
  return listFiles(logs).flatMap((f) => fs.readFileSync(path.join(logs, f), 'utf8').split('\n'))
    .filter(Boolean);
}
export const songsDir = path.join(sample, 'song_data');

export function report(out) {
  return JSON.parse(fs.readFileSync(path.join(out, '_songlake', 'report.json'), 'utf8'));
}

// Rejects with the source relative to the logs-<config> directory and the
// compression suffix taken off, so one log read as .json, .json.gz or
// .json.zst from any tree gives the same list.
export function rejectsOf(out) {
  return readRejects(out).map((r) => ({ ...r,
    source: r.source.replace(/^.*\/logs-[^/]+\//, '').replace(/\.(gz|zst)$/, '') }));
}

// Every table file of a lake: relative name -> bytes.
export function tableFiles(out) {
  const m = new Map();
  for (const t of TABLES) {
    for (const f of listFiles(path.join(out, t))) m.set(`${t}/${f}`, fs.readFileSync(path.join(out, t, f)));
  }
  return m;
}

export function assertSameLake(a, b, what) {
  const fa = tableFiles(a), fb = tableFiles(b);
  assert.deepEqual([...fb.keys()], [...fa.keys()], `${what}: same table files`);
  for (const [k, v] of fa) assert.ok(v.equals(fb.get(k)), `${what}: ${k} differs`);
  assert.deepEqual(rejectsOf(b), rejectsOf(a), `${what}: same rejects`);
  assert.deepEqual(report(b).inputs.logs.accepted, report(a).inputs.logs.accepted, `${what}: accepted`);
  assert.deepEqual(report(b).inputs.logs.rejected, report(a).inputs.logs.rejected, `${what}: rejected`);
}

// A small deterministic PRNG (mulberry32), so a failing seed can be rerun.
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Writes files { 'rel': string | Buffer }, gzip/zstd-compressing '.gz' and
// '.zst' names (zstd through the system tool when node lacks it).
export function compress(name, data) {
  if (name.endsWith('.gz')) return zlib.gzipSync(data);
  if (!name.endsWith('.zst')) return data;
  if (zlib.zstdCompressSync) return zlib.zstdCompressSync(data);
  const r = spawnSync('zstd', ['-q', '-c'], { input: data, maxBuffer: 1 << 30 });
  assert.equal(r.status, 0, `zstd tool needed for .zst fixtures: ${r.error || r.stderr}`);
  return r.stdout;
}
export function writeTree(root, files) {
  for (const [rel, body] of Object.entries(files)) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, compress(rel, Buffer.isBuffer(body) ? body : Buffer.from(body)));
  }
  return root;
}
