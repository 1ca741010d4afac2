// Values that would break the star downstream are rejected with a reason
// naming the field (issue 16, docs/decisions.md): U+0000 in a string a
// table uses (PostgreSQL text cannot hold it, so load-postgres failed for
// the whole lake) and an artist_id that names the null partition.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { cleanup, event, ndjson, song, tmpdir } from '../e2e/lib.mjs';
import { buildLimited, rejectsOf, report, writeTree } from './hlib.mjs';

after(cleanup);

test('U+0000 in a used string and __HIVE_DEFAULT_PARTITION__ reject their records', () => {
  const root = tmpdir('hostile-values');
  const songs = writeTree(path.join(root, 'songs'), {
    'a.json': JSON.stringify(song({ song_id: 'S1', artist_id: 'A1', title: 'ok' })),
    'b.json': JSON.stringify(song({ song_id: 'S2', artist_id: '__HIVE_DEFAULT_PARTITION__' })),
    'c.json': JSON.stringify(song({ song_id: 'S3', artist_id: 'A\u00003' })),
    'd.json': JSON.stringify(song({ song_id: 'S4', artist_id: 'A4', title: 'T\u00004' })),
    'e.json': JSON.stringify(song({ song_id: 'S5', artist_id: 'A5', num_songs: 'x\u0000' })), // unused field
  });
  const logs = writeTree(path.join(root, 'logs'), {
    'l.json': ndjson([
      event({ ts: 1541105830001, level: 'fr\u0000ee' }),
      event({ ts: 1541105830002, userAgent: 'Mozilla\\/5.0\u0000' }),
      event({ ts: 1541105830003, userAgent: 'Mozilla/5.0 \u0000' }),
      event({ ts: 1541105830004, firstName: '\u0000' }),
      event({ ts: 1541105830005, location: 'X\u0000' }), // no table uses location: kept
      event({ ts: 1541105830006, userAgent: 'back\\u0000slash' }), // a backslash, then "u0000": no NUL
      event({ ts: 1541105830007, page: 'Home', userId: '', userAgent: '\u0000' }), // not validated
    ]),
  });
  const out = path.join(root, 'out');
  const r = buildLimited(['--songs', songs, '--logs', logs, '--out', out, '--no-sync'], { memMb: 1024, deadlineS: 60 });
  assert.equal(r.status, 0, r.err);
  const rj = rejectsOf(out).map((x) => [path.basename(x.source), x.line, x.reason]);
  assert.deepEqual(rj, [
    ['b.json', 1, 'artist_id: __HIVE_DEFAULT_PARTITION__ names the null partition (readers would read it back as null)'],
    ['c.json', 1, 'artist_id: holds U+0000 (\\u0000), which PostgreSQL text cannot store'],
    ['d.json', 1, 'title: holds U+0000 (\\u0000), which PostgreSQL text cannot store'],
    ['l.json', 1, 'level: holds U+0000 (\\u0000), which PostgreSQL text cannot store'],
    ['l.json', 2, 'userAgent: holds U+0000 (\\u0000), which PostgreSQL text cannot store'],
    ['l.json', 3, 'userAgent: holds U+0000 (\\u0000), which PostgreSQL text cannot store'],
    ['l.json', 4, 'firstName: holds U+0000 (\\u0000), which PostgreSQL text cannot store'],
  ]);
  const rep = report(out);
  assert.equal(rep.inputs.songs.accepted, 2);
  assert.equal(rep.inputs.logs.accepted, 3);
  assert.equal(rep.tables.songplays.rows, 2);
});
