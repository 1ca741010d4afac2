// Inputs and checks shared by the MPI tests: a generated set with rejects
// that land in several ranks' shares and catalog records that only
// first-wins across ranks gets right, and "this lake is that lake".
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TABLES, assertSameRows, bin, lakeTable, listFiles } from '../e2e/lib.mjs';

export function generate(dir, { songs = 200, events = 20000, days = 12, seed = 7 } = {}) {
  const r = spawnSync(bin, ['generate', '--out', dir, '--songs', String(songs), '--events', String(events),
    '--days', String(days), '--seed', String(seed), '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return dir;
}

// A generated set with bad lines in every third log, the same song_id and
// artist_id first and last in the sorted song list, and rejected song
// files. Returns { dir, first } (first: the song that must win).
export function dirtySet(dir) {
  generate(dir);
  const logs = listFiles(path.join(dir, 'log_data')).filter((f) => f.endsWith('.json'));
  for (const [i, f] of logs.entries()) {
    if (i % 3) continue;
    fs.appendFileSync(path.join(dir, 'log_data', f),
      `{"page":"NextSong","ts":"soon","userId":"1"}\n{"truncated": \n{"page":"NextSong","userId":"x7","ts":1541106106796}\n`);
  }
  const songFiles = listFiles(path.join(dir, 'song_data'));
  const first = JSON.parse(fs.readFileSync(path.join(dir, 'song_data', songFiles[songFiles.length >> 1]), 'utf8'));
  for (const [rel, title] of [['0/0/0/TR000first.json', 'first copy'], ['Z/Z/Z/TRZZZlast.json', 'last copy']]) {
    fs.mkdirSync(path.dirname(path.join(dir, 'song_data', rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, 'song_data', rel), JSON.stringify({ ...first, title, artist_name: title }));
  }
  fs.mkdirSync(path.join(dir, 'song_data', 'M', 'M', 'M'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'song_data', 'M', 'M', 'M', 'TRMMMbad.json'), '{"artist_id": "AR1", "title": "no id"}\n{"song_id": ');
  fs.writeFileSync(path.join(dir, 'song_data', 'Z', 'Z', 'Z', 'TRZZZbad.json'), '[1, 2]\n');
  return { dir, first };
}

// Every table holds the same rows, rejects.jsonl the same lines, the report
// the same counts, and every table its _SUCCESS.
export async function sameLake(db, a, b, what) {
  for (const t of TABLES) await assertSameRows(db, lakeTable(a, t), lakeTable(b, t), `${what}: ${t}`);
  sameReport(a, b, what);
}

// The cheap part of sameLake: the same rejects, counts and _SUCCESS files.
export function sameReport(a, b, what) {
  const rej = (d) => fs.readFileSync(path.join(d, '_songlake', 'rejects.jsonl'), 'utf8');
  assert.equal(rej(a), rej(b), `${what}: rejects.jsonl`);
  const ra = JSON.parse(fs.readFileSync(path.join(a, '_songlake', 'report.json'), 'utf8'));
  const rb = JSON.parse(fs.readFileSync(path.join(b, '_songlake', 'report.json'), 'utf8'));
  for (const t of TABLES) assert.equal(ra.tables[t].rows, rb.tables[t].rows, `${what}: report rows of ${t}`);
  for (const s of ['songs', 'logs'])
    for (const k of ['files', 'records_read', 'accepted', 'rejected'])
      assert.equal(ra.inputs[s][k], rb.inputs[s][k], `${what}: report inputs.${s}.${k}`);
  for (const t of TABLES) assert.ok(fs.existsSync(path.join(a, t, '_SUCCESS')), `${what}: ${t}/_SUCCESS`);
}

// path -> sha256 of every file of a lake but the hidden ones (lock, staging).
export function lakeHashes(dir) {
  return Object.fromEntries(listFiles(dir).filter((f) => !f.startsWith('.'))
    .map((f) => [f, crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex')]));
}

// How many ranks wrote a table's part files (part-<rank> names).
export function writerRanks(dir, t) {
  return new Set(listFiles(path.join(dir, t)).filter((f) => f.endsWith('.parquet'))
    .map((f) => path.basename(f).slice(0, 10)));
}
