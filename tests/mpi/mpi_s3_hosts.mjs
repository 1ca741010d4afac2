// `songlake build` across three hosts (hosts.mjs) from S3 to S3: s3rver
// behind the proxy that checks every SigV4 signature, which every host
// reaches at the same http://127.0.0.1:PORT through a relay (relay.mjs).
// -np 3 and -np 6: the lake the AWS CLI downloads holds the single-process
// local build's rows and rejects, every rank's files are in the _SUCCESS
// manifests and exactly those are live (the previous run's are deleted).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { h, useS3, sample, tmp, aws, noBadSignatures, awsKeys } from '../s3/harness.mjs';
import { TABLES, buildOk, duck, srcDir } from '../e2e/lib.mjs';
import { sameLake } from './data.mjs';
import { Cluster } from './hosts.mjs';
import { relayTo } from './relay.mjs';

const bin = process.env.SONGLAKE_BIN;
const mpirun = process.argv[2];
const tune = path.join(srcDir, 'src', 'dist', 'songlake.tune');
useS3();
let cl, server;
const relays = [];
// (in the test: the root hooks do not wait for useS3's server)
async function hostsWithS3() {
  cl = new Cluster(3, { slots: 2 });
  const port = Number(new URL(h.s3.endpoint).port);
  const sock = path.join(cl.dir, 's3.sock');
  server = await relayTo(sock, port);
  for (let i = 0; i < 3; i++) {
    const r = cl.spawnOn(i, process.execPath, [path.join(import.meta.dirname, 'relay.mjs'), 'listen',
      String(port), sock], { stdio: ['pipe', 'pipe', 'inherit'] });
    relays.push(r);
    await new Promise((resolve, reject) => {
      r.stdout.once('data', resolve);
      r.once('exit', (c) => reject(new Error(`relay on host ${i} exited: ${c}`)));
    });
  }
}
after(() => {
  for (const r of relays) r.stdin.end();
  server?.close();
  cl?.down();
});

// what a rank needs, passed as on a real cluster (mpirun -x)
const PASS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_DEFAULT_REGION', 'AWS_ENDPOINT_URL',
  'AWS_EC2_METADATA_DISABLED', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'HOME',
  'SONGLAKE_S3_TIMEOUT_SECONDS', 'SONGLAKE_S3_RETRY_BASE_SECONDS', 'SONGLAKE_S3_CLEANUP_GRACE_SECONDS'];

test('-np 3 and -np 6 across hosts from S3 to S3 equal the single-process local build', async () => {
  await hostsWithS3();
  const local = path.join(tmp, 'local');
  buildOk(['--songs', path.join(sample, 'song_data'), '--logs', path.join(sample, 'log_data'), '--out', local]);
  const db = await duck();
  try {
    let firstKeys = null;
    for (const np of [3, 6]) {
      const r = await cl.mpirun(mpirun, np, [bin, 'build', '--quiet', '--threads', '1',
        '--songs', 's3://lake/in/song_data', '--logs', 's3://lake/in/log_data', '--out', 's3://lake/hosts'],
      { env: h.tenv, extra: ['--tune', tune, ...PASS.flatMap((v) => ['-x', v])] });
      assert.equal(r.code, 0, `-np ${np}: ${r.err}`);
      const dir = path.join(tmp, `hosts-${np}`);
      const d = await aws(['s3', 'cp', '--recursive', '--quiet', 's3://lake/hosts', dir]);
      assert.equal(d.code, 0, d.err);
      await sameLake(db, dir, local, `-np ${np} on 3 hosts, S3`);
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'songplays', '_SUCCESS'), 'utf8'));
      const ranks = new Set(manifest.files.map((f) => path.basename(f.path).slice(0, 10)));
      assert.ok(ranks.size > 1, `songplays files of several ranks in the manifest: ${[...ranks]}`);
      for (const t of TABLES) {
        const m = JSON.parse(fs.readFileSync(path.join(dir, t, '_SUCCESS'), 'utf8'));
        const keys = (await awsKeys(`hosts/${t}/`)).map(([k]) => k).filter((k) => k.endsWith('.parquet'));
        assert.equal(keys.length, m.files.length, `${t}: exactly the manifest's files are live`);
        if (t === 'songplays' && firstKeys) for (const k of firstKeys) assert.ok(!keys.includes(k), `${k} is gone`);
        if (t === 'songplays') firstKeys = keys;
      }
      console.log(`-np ${np} on 3 hosts, S3 to S3, equals the single-process build`);
    }
    noBadSignatures();
  } finally {
    db.close();
  }
});
