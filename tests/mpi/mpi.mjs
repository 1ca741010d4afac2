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
import { bin, buildOk, duck, lakeTable, sample, tmpdir } from '../e2e/lib.mjs';
import { dirtySet, lakeHashes, sameLake, writerRanks } from './data.mjs';

const mpirun = process.argv[2];
const env = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1',
  OMPI_MCA_rmaps_base_oversubscribe: '1' };

function mpiBuild(np, args) {
  const r = spawnSync(mpirun, ['--oversubscribe', '-np', String(np), bin, 'build', '--quiet', '--threads', '1', ...args],
    { encoding: 'utf8', env, maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const db = await duck();

// a generated set with rejects from several ranks and first-wins records
const { dir: gen, first: one } = dirtySet(tmpdir('mpi-gen'));

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
    await sameLake(db, out, single, `${name}, -np ${np}`);
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
        const parts = writerRanks(out, t);
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
  const before = lakeHashes(out);
  const bad = zlib.gzipSync(Buffer.from('{"page":"NextSong"}\n'.repeat(1000)));
  bad[bad.length - 6] ^= 0xff; // breaks the CRC
  fs.writeFileSync(path.join(logsDir, 'zzzz-corrupt.json.gz'), bad);
  m = mpiBuild(3, ['--songs', path.join(gen, 'song_data'), '--logs', logsDir, '--out', out]);
  assert.notEqual(m.code, 0, 'a failing rank fails the run');
  assert.match(m.err, /zzzz-corrupt\.json\.gz/, `the error names the file:\n${m.err}`);
  assert.deepEqual(lakeHashes(out), before, 'the previous lake keeps exactly its files, unchanged');
  console.log('a failing rank leaves the previous lake intact');
}
db.close();
console.log('mpi: all passed');
