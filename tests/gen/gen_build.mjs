// songlake generate, then songlake build on what it wrote: the CLI gives the
// same bytes for any --threads and different bytes for another seed, and the
// build reads every record, accepts all of them and finds exactly the plays
// and matched plays the generator reports, at the asked match rate.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const bin = process.env.SONGLAKE_BIN;
assert.ok(bin, 'SONGLAKE_BIN not set');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gen-build-'));
const SONGS = 200, EVENTS = 20000, RATE = 0.3;

function sl(...args) {
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `songlake ${args.join(' ')}: ${r.stderr}`);
  return r;
}

function treeHash(dir) {
  const h = crypto.createHash('sha256');
  const walk = (d) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (fs.statSync(p).isDirectory()) walk(p);
      else h.update(path.relative(dir, p)).update('\0').update(fs.readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

function generate(name, seed, threads) {
  const out = path.join(tmp, name);
  const r = sl('generate', '--out', out, '--songs', String(SONGS), '--events', String(EVENTS),
    '--seed', String(seed), '--threads', String(threads), '--match-rate', String(RATE));
  const m = r.stdout.match(/(\d+) plays of which (\d+) match/);
  assert.ok(m, `no summary in: ${r.stdout}`);
  return { out, plays: Number(m[1]), matched: Number(m[2]), hash: treeHash(out) };
}

try {
  const a = generate('a', 5, 1), b = generate('b', 5, 2), c = generate('c', 6, 2);
  assert.equal(a.hash, b.hash, 'same seed, different threads: different bytes');
  assert.notEqual(a.hash, c.hash, 'different seeds: same bytes');

  // refuses to write into a data set that already exists
  const again = spawnSync(bin, ['generate', '--out', a.out, '--songs', '1', '--events', '1'], { encoding: 'utf8' });
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /already exists/);

  const lake = path.join(tmp, 'lake');
  sl('build', '--songs', path.join(a.out, 'song_data'), '--logs', path.join(a.out, 'log_data'), '--out', lake, '--quiet');
  const rep = JSON.parse(fs.readFileSync(path.join(lake, '_songlake', 'report.json'), 'utf8'));
  assert.equal(rep.inputs.songs.files, SONGS);
  assert.equal(rep.inputs.songs.accepted, SONGS);
  assert.equal(rep.inputs.logs.files, 30);
  assert.equal(rep.inputs.logs.records_read, EVENTS);
  assert.equal(rep.inputs.logs.accepted, EVENTS);
  assert.equal(rep.rejects, 0);
  assert.equal(rep.tables.songs.rows, SONGS);
  assert.equal(rep.tables.songplays.rows, a.plays);
  assert.equal(rep.songplays_matched, a.matched);
  const rate = a.matched / a.plays;
  assert.ok(Math.abs(rate - RATE) < 0.03, `match rate ${rate}, asked ${RATE}`);
  console.log(`ok: ${a.plays} plays, ${a.matched} matched (${rate.toFixed(3)}), same bytes for 1 and 2 threads`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
