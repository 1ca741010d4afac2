// load-postgres from a lake on S3 (s3rver or versitygw behind the proxy of
// tests/s3): songlake build publishes to s3://, load-postgres reads it
// through io/ (the _SUCCESS manifest names the run's objects), and every
// row equals the same lake built on local disk.
import assert from 'node:assert/strict';
import { startS3, awsEnv, run } from '../s3/proxy.mjs';
import { startPg } from './pgserver.mjs';
import { TABLES, assertSameTable, bin, buildLake, openLake, sample, tmpdir } from './lib.mjs';

const server = await startPg();
const s3 = await startS3({ buckets: ['lake'] });
let lakeDb;
try {
  const env = { ...awsEnv(s3.endpoint), AWS_ENDPOINT_URL: s3.endpoint, AWS_REGION: 'us-east-1' };
  const b = await run(bin, ['build', '--quiet', '--songs', `${sample}/song_data`, '--logs', `${sample}/log_data`,
    '--out', 's3://lake/sparkify'], { env });
  assert.equal(b.code, 0, `build to S3 failed: ${b.err}`);
  // the endpoint as a flag this time (the build took it from AWS_ENDPOINT_URL)
  const { AWS_ENDPOINT_URL, ...envNoEndpoint } = env;
  const r = await run(bin, ['load-postgres', '--lake', 's3://lake/sparkify', '--dsn', server.dsn,
    '--endpoint-url', AWS_ENDPOINT_URL, '--region', 'us-east-1'], { env: envNoEndpoint });
  assert.equal(r.code, 0, `load from S3 failed: ${r.err}`);
  assert.doesNotMatch(r.out + r.err, /S3RVER/);

  lakeDb = await openLake(buildLake(tmpdir('pg-local')));
  for (const t of Object.keys(TABLES)) await assertSameTable(server, lakeDb, t);

  const missing = await run(bin, ['load-postgres', '--lake', 's3://lake/nothing-here', '--dsn', server.dsn], { env });
  assert.equal(missing.code, 1);
  assert.match(missing.err, /no complete table '\w+' \(no _SUCCESS marker\)/);
  console.log('ok: build to S3, load from S3, same rows as the local lake');
} finally {
  lakeDb?.close();
  await s3.close();
  server.stop();
}
