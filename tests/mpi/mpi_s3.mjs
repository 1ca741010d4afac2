// `mpirun -np 3 songlake build` from S3 to S3 (s3rver behind the proxy that
// checks every SigV4 signature): the lake the AWS CLI downloads holds the
// same rows and rejects as a single-process local build, every rank's part
// files are in the _SUCCESS manifests, and a second MPI run replaces the
// first's files (none of them left behind).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { run } from '../s3/proxy.mjs';
import { h, useS3, sample, tmp, aws, noBadSignatures, awsKeys } from '../s3/harness.mjs';
import { TABLES, assertSameRows, buildOk, duck, lakeTable } from '../e2e/lib.mjs';

const bin = process.env.SONGLAKE_BIN;
const mpirun = process.argv[2];
useS3();

const mpiBuild = (np, out) => run(mpirun, ['--oversubscribe', '-np', String(np), bin, 'build', '--quiet',
  '--threads', '1', '--songs', 's3://lake/in/song_data', '--logs', 's3://lake/in/log_data', '--out', out],
{ env: { ...h.tenv, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' } });

test('mpirun -np 3 from S3 to S3 equals the single-process local build', async () => {
  const local = path.join(tmp, 'local');
  buildOk(['--songs', path.join(sample, 'song_data'), '--logs', path.join(sample, 'log_data'), '--out', local]);
  const db = await duck();
  try {
    let firstKeys = null;
    for (const round of [1, 2]) {
      const r = await mpiBuild(3, 's3://lake/mpi');
      assert.equal(r.code, 0, `round ${round}: ${r.err}`);
      const dir = path.join(tmp, `mpi-${round}`);
      const d = await aws(['s3', 'cp', '--recursive', '--quiet', 's3://lake/mpi', dir]);
      assert.equal(d.code, 0, d.err);
      for (const t of TABLES) await assertSameRows(db, lakeTable(dir, t), lakeTable(local, t), `round ${round}: ${t}`);
      assert.equal(fs.readFileSync(path.join(dir, '_songlake', 'rejects.jsonl'), 'utf8'),
        fs.readFileSync(path.join(local, '_songlake', 'rejects.jsonl'), 'utf8'));
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'songplays', '_SUCCESS'), 'utf8'));
      const ranks = new Set(manifest.files.map((f) => path.basename(f.path).slice(0, 10)));
      assert.ok(ranks.size > 1, `songplays files of several ranks in the manifest: ${[...ranks]}`);
      const keys = (await awsKeys('mpi/songplays/')).map(([k]) => k).filter((k) => k.endsWith('.parquet'));
      assert.equal(keys.length, manifest.files.length, 'exactly the manifest\'s files are live');
      if (firstKeys) for (const k of firstKeys) assert.ok(!keys.includes(k), `${k} of the first run is gone`);
      firstKeys = keys;
    }
    noBadSignatures();
  } finally {
    db.close();
  }
});
