// load-postgres reads row groups in bounded batches (issue 16): a part file
// of a few KB declaring 4 M rows by RLE (pq_bomb.py, pyarrow) made it take
// ~84 bytes per declared row at once (16 M rows: 1.34 GB); now memory
// follows the 256 Ki-row batch. The rows are 4 M copies of one user, so the
// load then fails on the users primary key, after streaming them all: the
// assertion is on peak RSS (wait4) under RLIMIT_DATA and one clear line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { startPg } from '../postgres/pgserver.mjs';
import { buildLake, tmpdir } from '../postgres/lib.mjs';
import { runLimited } from './hlib.mjs';

const python = process.env.SONGLAKE_PYTHON;
const server = await startPg();
after(() => server.stop());

test('a part file declaring 4 M rows loads in batch-sized memory', { skip: !python && 'no SONGLAKE_PYTHON' }, () => {
  const lake = buildLake(tmpdir('hostile-pgbomb'));
  const part = path.join(lake, 'users', 'part-00000.snappy.parquet');
  const rows = 4 << 20;
  const g = spawnSync(python, [path.join(import.meta.dirname, 'pq_bomb.py'), part, String(rows)], { encoding: 'utf8' });
  assert.equal(g.status, 0, g.stderr);
  const size = fs.statSync(part).size;
  const succ = path.join(lake, 'users', '_SUCCESS');
  const m = JSON.parse(fs.readFileSync(succ, 'utf8'));
  m.rows = rows;
  m.files[0].rows = rows;
  m.files[0].bytes = size;
  fs.writeFileSync(succ, JSON.stringify(m));
  const r = runLimited(['load-postgres', '--lake', lake, '--dsn', server.dsn], { memMb: 1024, deadlineS: 300 });
  console.log(`# ${size}-byte part declaring ${rows} rows: exit ${r.status}, peak RSS ${r.maxrss_kb} KiB, ${r.elapsed_s} s`);
  assert.equal(r.timed_out, false);
  assert.ok(r.maxrss_kb < 160 * 1024, `peak RSS ${r.maxrss_kb} KiB`);
  assert.equal(r.status, 1, r.err);
  assert.match(r.err, /users/);
});
