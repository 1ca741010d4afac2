// Output is bounded by the data, not by its order (issue 16): 5,000
// NextSong events whose months cycle Jan..May made 5,000 one-row Parquet
// files (21 MB for 1.5 MB of input); now each month gets at most two files
// (the one open when it first came, and one written at the end from the
// spill of its later rows), and every row is there, in songplayId order.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { cleanup, duck, event, listFiles, ndjson, sq, tmpdir } from '../e2e/lib.mjs';
import { buildLimited, report, songsDir, writeTree } from './hlib.mjs';

after(cleanup);

test('events cycling five months make at most two files per month', async () => {
  const root = tmpdir('hostile-amplify');
  const n = 5000;
  const evs = Array.from({ length: n }, (_, i) => event({
    ts: Date.UTC(2018, i % 5, 1 + (i % 28), 12, 0, 0, i % 1000), sessionId: i + 1, userId: String(1 + (i % 50)) }));
  const logs = writeTree(path.join(root, 'logs'), { 'l.json': ndjson(evs) });
  const out = path.join(root, 'out');
  const r = buildLimited(['--songs', songsDir, '--logs', logs, '--out', out, '--no-sync'], { memMb: 1024, deadlineS: 120 });
  assert.equal(r.status, 0, r.err);
  const files = listFiles(path.join(out, 'songplays')).filter((f) => f.endsWith('.parquet'));
  const perMonth = {};
  for (const f of files) perMonth[path.dirname(f)] = (perMonth[path.dirname(f)] || 0) + 1;
  assert.equal(Object.keys(perMonth).length, 5);
  for (const [m, k] of Object.entries(perMonth)) assert.ok(k <= 2, `${m}: ${k} files`);
  const bytes = files.reduce((s, f) => s + fs.statSync(path.join(out, 'songplays', f)).size, 0);
  console.log(`# ${n} plays cycling 5 months: ${files.length} files, ${bytes} bytes`);
  assert.equal(report(out).tables.songplays.rows, n);
  const db = await duck();
  const glob = sq(path.join(out, 'songplays', '**', '*.parquet'));
  const rows = await db.all(`SELECT count(*) AS n, count(DISTINCT songplayId) AS d, sum(sessionId) AS s,
    min(songplayId) AS lo, max(songplayId) AS hi FROM read_parquet(${glob}, hive_partitioning=true)`);
  const x = rows[0];
  assert.deepEqual([Number(x.n), Number(x.d), Number(x.s), Number(x.lo), Number(x.hi)], [n, n, n * (n + 1) / 2, 1, n]);
  // within each file, rows in songplayId order
  const unordered = await db.all(`SELECT filename FROM (SELECT filename, songplayId,
      lag(songplayId) OVER (PARTITION BY filename ORDER BY file_row_number) AS prev
      FROM read_parquet(${glob}, filename=true, file_row_number=true)) WHERE prev > songplayId LIMIT 1`);
  assert.deepEqual(unordered, []);
  db.close();
});
