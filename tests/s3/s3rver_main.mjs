// Runs s3rver (a real S3-compatible server) on a free loopback port in the
// given directory, for tests/s3/proxy.mjs, which starts it as a child with
// --openssl-legacy-provider: s3rver encrypts continuation tokens with DES,
// which Node 20's OpenSSL 3 only offers through the legacy provider, so
// without it every truncated listing fails with InternalError.
// argv: DIR BUCKET...; prints {"port": N} once listening; exits when stdin closes.
import { createRequire } from 'node:module';
import { KEYS } from './proxy.mjs';

const require = createRequire(new URL('../js/package.json', import.meta.url));
const S3rver = require('s3rver');
const AWSAccount = require('s3rver/lib/models/account');
for (const [id, secret] of Object.entries(KEYS))
  if (id !== 'S3RVER') AWSAccount.DUMMY_ACCOUNT.createKeyPair(id, secret);

const [dir, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1', port: 0, silent: true, directory: dir,
  configureBuckets: buckets.map((name) => ({ name })),
});
const { port } = await server.run();
process.stdout.write(JSON.stringify({ port }) + '\n');
process.stdin.resume();
process.stdin.on('end', async () => { await server.close(); process.exit(0); });
