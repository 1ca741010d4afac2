// Ctrl-C during a build: the run is interrupted at a known point (its read
// of an S3 log object is parked by the proxy of tests/s3, so no timing is
// involved), prints one line saying so and what state the lake is in, dies
// by the signal (as a shell expects), and leaves the previous lake exactly
// as it was; the next run publishes normally.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, after } from 'node:test';
import { startS3, awsEnv, run } from '../s3/proxy.mjs';

const bin = process.env.SONGLAKE_BIN;
const sample = path.join(process.env.SONGLAKE_SOURCE_DIR, 'data', 'sparkify-sample');
const d = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-interrupt-'));
let s3 = null;
after(async () => {
  if (s3) await s3.close();
  fs.rmSync(d, { recursive: true, force: true });
});
// what readers see: everything but the run's hidden staging directory
const tree = (dir) => fs.readdirSync(dir, { recursive: true }).filter((f) => !f.startsWith('.')).sort()
  .map((f) => [f, fs.statSync(path.join(dir, f)).isFile() ? fs.readFileSync(path.join(dir, f)).length : -1]);

for (const sig of ['SIGINT', 'SIGTERM']) {
  test(`${sig} while reading: one line, killed by ${sig}, the previous lake untouched`, async () => {
    if (!s3) {
      s3 = await startS3({ buckets: ['lake'] });
      const day = '2018/11/2018-11-01-events.json';
      const r = await fetch(`${s3.upstream}/lake/logs/${day}`, { method: 'PUT', body: fs.readFileSync(path.join(sample, 'log_data', day)) });
      assert.ok(r.ok, await r.text());
    }
    const env = { ...awsEnv(s3.endpoint), HOME: d, AWS_ENDPOINT_URL: s3.endpoint };
    const lake = path.join(d, `lake-${sig}`);
    const first = await run(bin, ['build', '--quiet', '--threads', '1', '--out', lake], { env });
    assert.equal(first.code, 0, first.err);
    const before = tree(lake);
    const hold = s3.holdNext((req) => req.method === 'GET' && req.url.includes('/logs/2018/'));
    const child = spawn(bin, ['build', '--logs', 's3://lake/logs', '--out', lake, '--threads', '1'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => { err += c; });
    const closed = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    await hold.arrived; // the run is inside its read of the logs
    child.kill(sig);
    const res = await closed;
    await hold.release('drop');
    assert.equal(res.signal, sig, `exit ${res.code}: ${err}`);
    const lines = err.trim().split('\n');
    assert.equal(lines.length, 1, err);
    assert.match(lines[0], /^songlake build: interrupted: stopped; the lake is the previous run's star, or this run's if its commit point was passed/);
    assert.deepEqual(tree(lake), before, 'the previous lake is exactly as it was');
    assert.ok(fs.readdirSync(lake).some((f) => f.startsWith('.songlake-staging')), 'the killed run staged files');
    // the next run cleans up and publishes
    const again = await run(bin, ['build', '--quiet', '--threads', '1', '--logs', 's3://lake/logs', '--out', lake], { env });
    assert.equal(again.code, 0, again.err);
    const rep = JSON.parse(fs.readFileSync(path.join(lake, '_songlake', 'report.json'), 'utf8'));
    assert.equal(rep.inputs.logs.files, 1);
    assert.deepEqual(fs.readdirSync(lake).filter((f) => f.startsWith('.songlake-staging')), [], 'no staging left');
  });
}
