// Only regular files are read (issue 16): inspect on a FIFO or on /dev/zero,
// and a build whose input is a FIFO or a link to /dev/zero named directly,
// stop at once with one clear line (run under a deadline: a FIFO opened
// for reading without O_NONBLOCK blocks until a writer comes).
// tests/hostile/test_special_files.c covers an input swapped after listing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { cleanup, tmpdir } from '../e2e/lib.mjs';
import { runLimited } from './hlib.mjs';

after(cleanup);

test('inspect refuses a FIFO and /dev/zero without blocking', () => {
  const root = tmpdir('hostile-special');
  const fifo = path.join(root, 'part-00000.snappy.parquet');
  execFileSync('mkfifo', [fifo]);
  const zero = path.join(root, 'zero.parquet');
  fs.symlinkSync('/dev/zero', zero);
  for (const [f, what] of [[fifo, 'a FIFO'], [zero, 'a character device']]) {
    const r = runLimited(['inspect', f], { memMb: 512, deadlineS: 20 });
    assert.equal(r.timed_out, false, `${f}: hung`);
    assert.equal(r.status, 1, r.err);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.match(r.err, /not a regular file/, r.err); // (${what}); inspect lists before it opens
    assert.ok(r.maxrss_kb < 64 * 1024, `${r.maxrss_kb} KiB`);
  }
});
