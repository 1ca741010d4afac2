// S3 reads are bounded in time and size (issue 16) against a hostile
// endpoint this test runs (a plain HTTP server on 127.0.0.1 that lists one
// object of 200 bytes): a body trickled at 2 bytes/s is a timeout that the
// retry policy ends (--s3-timeout 2 --s3-max-retry-seconds 5), and a body
// longer than the listing (endless) is an error at once, not read until
// memory runs out.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, test } from 'node:test';
import { cleanup, tmpdir } from '../e2e/lib.mjs';
import { runLimitedAsync, songsDir } from './hlib.mjs';

after(cleanup);

const LINE = '{"page":"Home","userId":"","ts":1541105830796}\n';
let mode = 'endless';
const timers = new Set();
const server = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  if (u.searchParams.get('list-type') === '2') {
    res.writeHead(200, { 'Content-Type': 'application/xml' });
    res.end('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>bkt</Name><IsTruncated>false</IsTruncated>'
      + '<Contents><Key>logs/a.json</Key><Size>200</Size><LastModified>2026-01-01T00:00:00.000Z</LastModified>'
      + '</Contents></ListBucketResult>');
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/octet-stream' }); // no length: chunked
  if (mode === 'endless') {
    const chunk = Buffer.from(LINE.repeat(1 << 12));
    const pump = () => { while (res.write(chunk)); };
    res.on('drain', pump);
    req.on('close', () => res.destroy());
    pump();
  } else { // 2 bytes a second, forever
    const t = setInterval(() => res.write('{"'), 1000);
    timers.add(t);
    req.on('close', () => { clearInterval(t); timers.delete(t); });
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const endpoint = `http://127.0.0.1:${server.address().port}`;
after(() => { for (const t of timers) clearInterval(t); server.closeAllConnections(); server.close(); });

function run(out) {
  return runLimitedAsync(['build', '--quiet', '--max-reject-rate', '1', '--songs', songsDir, '--logs', 's3://bkt/logs/', '--out', out, '--no-sync',
    '--endpoint-url', endpoint, '--no-sign-request', '--s3-timeout', '2', '--s3-max-retry-seconds', '5'],
  { memMb: 1024, deadlineS: 60 });
}

test('a body longer than the listing is an error at once', async () => {
  mode = 'endless';
  const r = await run(tmpdir('hostile-s3-long'));
  assert.equal(r.timed_out, false);
  assert.equal(r.status, 1, r.err);
  assert.match(r.err, /s3:\/\/bkt\/logs\/a\.json: the body is longer than the 200 bytes the listing gave/);
  assert.ok(r.maxrss_kb < 256 * 1024, `${r.maxrss_kb} KiB`);
});

test('a body trickled at 2 bytes/s times out and the retries end', async () => {
  mode = 'slow';
  const r = await run(tmpdir('hostile-s3-slow'));
  assert.equal(r.timed_out, false, 'still running at the 60 s deadline');
  assert.equal(r.status, 1, r.err);
  assert.match(r.err, /s3:\/\/bkt\/logs\/a\.json: GET response failed: Operation too slow.*after \d+ attempts/);
  console.log(`# trickled body: exit ${r.status} after ${r.elapsed_s} s`);
});
