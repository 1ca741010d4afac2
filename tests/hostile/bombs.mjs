// Compressed input is decompressed as a stream (issue 16): a .gz or .zst
// that inflates to 1 GiB runs in the memory of a small file, and one that
// inflates to something without record boundaries (zeros) stops at the
// documented piece limit (SONGLAKE_MAX_PIECE_BYTES, default 256 MiB) with a
// clear error instead of growing a buffer to the file's size. Peak RSS is
// wait4's, under RLIMIT_DATA.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { cleanup, tmpdir } from '../e2e/lib.mjs';
import { buildLimited, compress, report, songsDir } from './hlib.mjs';

after(cleanup);

// A logged-out Home event: parsed and counted, but no table row, so memory
// is the reader's alone.
const LINE = JSON.stringify({ artist: null, auth: 'Logged Out', firstName: null, gender: null, itemInSession: 0,
  lastName: null, length: null, level: 'free', location: null, method: 'GET', page: 'Home', registration: null,
  sessionId: 1, song: null, status: 200, ts: 1541105830796, userAgent: null, userId: '' }) + '\n';
const BLOCK = Buffer.from(LINE.repeat(Math.ceil((8 << 20) / LINE.length)));
const LINES_PER_BLOCK = BLOCK.length / LINE.length;

// n copies of one compressed block: several gzip members / zstd frames in a
// row, which both formats read as one stream.
function bomb(dir, name, block, copies) {
  const one = compress(name, block);
  const p = path.join(dir, name);
  fs.mkdirSync(dir, { recursive: true });
  const fd = fs.openSync(p, 'w');
  for (let i = 0; i < copies; i++) fs.writeSync(fd, one);
  fs.closeSync(fd);
  return fs.statSync(p).size;
}

const MEM_MB = 768; // the old whole-file inflate needs 1 GiB+ for these

for (const ext of ['gz', 'zst']) {
  test(`a .${ext} inflating to 1 GiB runs in the memory of a 128 MiB one`, () => {
    const root = tmpdir(`hostile-bomb-${ext}`);
    const small = path.join(root, 'small'), big = path.join(root, 'big');
    bomb(small, `a.json.${ext}`, BLOCK, 16);
    const size = bomb(big, `a.json.${ext}`, BLOCK, 128);
    const run = (logs, out) => buildLimited(['--songs', songsDir, '--logs', logs, '--out', out, '--no-sync',
      '--threads', '2'], { memMb: MEM_MB, deadlineS: 300 });
    const rs = run(small, path.join(root, 'out-small'));
    assert.equal(rs.status, 0, rs.err);
    const rb = run(big, path.join(root, 'out-big'));
    assert.equal(rb.status, 0, `1 GiB from ${size} bytes: ${rb.err}`);
    const logs = report(path.join(root, 'out-big')).inputs.logs;
    assert.equal(logs.accepted, LINES_PER_BLOCK * 128);
    assert.equal(logs.bytes_decompressed, BLOCK.length * 128);
    console.log(`# .${ext}: ${size} bytes -> ${BLOCK.length * 128} bytes: peak RSS ${rb.maxrss_kb} KiB `
      + `(128 MiB: ${rs.maxrss_kb} KiB), ${rb.elapsed_s} s`);
    // the window of chunks in flight (threads x 4 x 8 MiB) bounds it, not the size
    assert.ok(rb.maxrss_kb < rs.maxrss_kb + 24 * 1024 && rb.maxrss_kb < 192 * 1024,
      `peak RSS ${rb.maxrss_kb} KiB for 1 GiB vs ${rs.maxrss_kb} KiB for 128 MiB`);
  });
}

test('a .gz of zeros stops at the piece limit with a clear error, in bounded memory', () => {
  const root = tmpdir('hostile-zeros');
  const logs = path.join(root, 'logs');
  bomb(logs, 'z.json.gz', Buffer.alloc(8 << 20), 128); // 1 GiB of NUL bytes
  const out = path.join(root, 'out');
  const r = buildLimited(['--songs', songsDir, '--logs', logs, '--out', out, '--no-sync'],
    { memMb: MEM_MB, deadlineS: 120, env: { SONGLAKE_MAX_PIECE_BYTES: String(32 << 20) } });
  assert.equal(r.status, 1, r.err);
  assert.match(r.err, /z\.json\.gz: more than 33554432 bytes without a record boundary/);
  assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
  assert.ok(r.maxrss_kb < 160 * 1024, `peak RSS ${r.maxrss_kb} KiB`);
  assert.ok(!fs.existsSync(path.join(out, 'songplays')), 'nothing published');
});
