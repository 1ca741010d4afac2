// `mpirun -np N songlake build` against the single-process build, with real
// Open MPI: for N = 1..4 (users and time shuffled to their owner ranks), on the bundled sample and on a generated set with
// rejects, every table holds the same rows (songplayIds included) and
// rejects.jsonl the same lines in the same order. Then a run where one rank
// fails (a corrupt .gz only the last rank reads) exits non-zero and leaves the
// previous lake intact.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { TABLES, assertSameRows, bin, buildOk, duck, lakeTable, listFiles, sample, tmpdir } from '../e2e/lib.mjs';

const mpirun = process.argv[2];
const env = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1',
  OMPI_MCA_rmaps_base_oversubscribe: '1' };

function mpiBuild(np, args) {
  const r = spawnSync(mpirun, ['--oversubscribe', '-np', String(np), bin, 'build', '--quiet', '--threads', '1', ...args],
    { encoding: 'utf8', env, maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const db = await duck();

async function sameLake(a, b, what) {
  for (const t of TABLES) await assertSameRows(db, lakeTable(a, t), lakeTable(b, t), `${what}: ${t}`);
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

// a generated set, with a few bad lines so rejects come from several ranks
const gen = tmpdir('mpi-gen');
let r = spawnSync(bin, ['generate', '--out', gen, '--songs', '200', '--events', '20000', '--days', '12',
  '--seed', '7', '--quiet'], { encoding: 'utf8' });
assert.equal(r.status, 0, r.stderr);
const logs = listFiles(path.join(gen, 'log_data')).filter((f) => f.endsWith('.json'));
for (const [i, f] of logs.entries()) {
  if (i % 3) continue;
  fs.appendFileSync(path.join(gen, 'log_data', f),
    `{"page":"NextSong","ts":"soon","userId":"1"}\n{"truncated": \n{"page":"NextSong","userId":"x7","ts":1541106106796}\n`);
}

// catalog records that only first-wins across ranks gets right: the same
// song_id and artist_id at the start and the end of the sorted song list
// (different ranks read them), and song files that are rejected
const songFiles = listFiles(path.join(gen, 'song_data'));
const one = JSON.parse(fs.readFileSync(path.join(gen, 'song_data', songFiles[songFiles.length >> 1]), 'utf8'));
for (const [rel, title] of [['0/0/0/TR000first.json', 'first copy'], ['Z/Z/Z/TRZZZlast.json', 'last copy']]) {
  fs.mkdirSync(path.dirname(path.join(gen, 'song_data', rel)), { recursive: true });
  fs.writeFileSync(path.join(gen, 'song_data', rel), JSON.stringify({ ...one, title, artist_name: title }));
}
fs.mkdirSync(path.join(gen, 'song_data', 'M', 'M', 'M'), { recursive: true });
fs.writeFileSync(path.join(gen, 'song_data', 'M', 'M', 'M', 'TRMMMbad.json'), '{"artist_id": "AR1", "title": "no id"}\n{"song_id": ');
fs.writeFileSync(path.join(gen, 'song_data', 'Z', 'Z', 'Z', 'TRZZZbad.json'), '[1, 2]\n');

for (const [name, songs, logsDir] of [
  ['sample', path.join(sample, 'song_data'), path.join(sample, 'log_data')],
  ['generated', path.join(gen, 'song_data'), path.join(gen, 'log_data')],
]) {
  const single = path.join(tmpdir('mpi-single'), 'lake');
  buildOk(['--songs', songs, '--logs', logsDir, '--out', single, '--threads', '1']);
  for (const np of [1, 2, 3, 4]) {
    const out = path.join(tmpdir(`mpi-${np}`), 'lake');
    const m = mpiBuild(np, ['--songs', songs, '--logs', logsDir, '--out', out]);
    assert.equal(m.code, 0, `mpirun -np ${np} on ${name} failed:\n${m.err}`);
    await sameLake(out, single, `${name}, -np ${np}`);
    if (name === 'generated') {
      const t = await db.all(`SELECT title FROM ${lakeTable(out, 'songs')} WHERE song_id = '${one.song_id}'`);
      assert.deepEqual(t.map((r) => r.title), ['first copy'], 'the first record in input order wins across ranks');
      const rej = fs.readFileSync(path.join(out, '_songlake', 'rejects.jsonl'), 'utf8');
      assert.match(rej, /TRMMMbad\.json/);
      assert.match(rej, /TRZZZbad\.json/);
    }
    if (np > 1) {
      // songplays by input range; the dimensions by the rank owning each key (the shuffles)
      for (const t of ['songplays', 'users', 'time', 'songs', 'artists']) {
        if (name === 'sample' && np > 2 && (t === 'songs' || t === 'artists')) continue;
        const parts = new Set(listFiles(path.join(out, t)).filter((f) => f.endsWith('.parquet'))
          .map((f) => path.basename(f).slice(0, 10)));
        assert.ok(parts.size > 1, `${name} -np ${np}: ${t} written by several ranks (${[...parts]})`);
      }
    }
    console.log(`${name}: -np ${np} equals the single-process build`);
  }
}

// one rank fails: a corrupt .gz sorts last, so only the last rank reads it
{
  const logsDir = path.join(tmpdir('mpi-fail'), 'log_data');
  fs.cpSync(path.join(gen, 'log_data'), logsDir, { recursive: true });
  const out = path.join(tmpdir('mpi-fail-out'), 'lake');
  let m = mpiBuild(3, ['--songs', path.join(gen, 'song_data'), '--logs', logsDir, '--out', out]);
  assert.equal(m.code, 0, m.err);
  const before = Object.fromEntries(listFiles(out).filter((f) => !f.startsWith('.'))
    .map((f) => [f, fs.readFileSync(path.join(out, f)).toString('base64')]));
  const bad = zlib.gzipSync(Buffer.from('{"page":"NextSong"}\n'.repeat(1000)));
  bad[bad.length - 6] ^= 0xff; // breaks the CRC
  fs.writeFileSync(path.join(logsDir, 'zzzz-corrupt.json.gz'), bad);
  m = mpiBuild(3, ['--songs', path.join(gen, 'song_data'), '--logs', logsDir, '--out', out]);
  assert.notEqual(m.code, 0, 'a failing rank fails the run');
  assert.match(m.err, /zzzz-corrupt\.json\.gz/, `the error names the file:\n${m.err}`);
  const after = Object.fromEntries(listFiles(out).filter((f) => !f.startsWith('.'))
    .map((f) => [f, fs.readFileSync(path.join(out, f)).toString('base64')]));
  assert.deepEqual(Object.keys(after), Object.keys(before), 'the previous lake keeps exactly its files');
  for (const f of Object.keys(before)) assert.equal(after[f], before[f], `${f} unchanged`);
  console.log('a failing rank leaves the previous lake intact');
}
db.close();
console.log('mpi: all passed');
