// songlake inspect on every kind of target, through the real binary: a
// whole lake, a table directory, a glob, one file, a nested file, and the
// same lake on S3 (s3rver behind the SigV4-checking proxy of tests/s3),
// reached as s3a:// and s3n:// too; --json parsed back and checked against
// the files on disk; --head N; exit codes of bad targets.
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, before, after } from 'node:test';
import { startS3, awsEnv, run } from '../s3/proxy.mjs';

const bin = process.env.SONGLAKE_BIN;
const src = process.env.SONGLAKE_SOURCE_DIR;
const d = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-inspect-'));
const lake = path.join(d, 'lake');
const ROWS = { songplays: 6820, users: 97, songs: 71, artists: 69, time: 6813 };
const PARTS = { songplays: ['year', 'month'], songs: ['year', 'artist_id'], time: ['year', 'month'], users: [], artists: [] };

function sl(args, opts = {}) {
  const r = spawnSync(bin, args, { encoding: 'utf8', ...opts });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function json(args) {
  const r = sl(['inspect', '--json', ...args]);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out);
}
function parquetFiles(dir) {
  return fs.readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.parquet') && !f.split('/').some((p) => p.startsWith('_')))
    .map((f) => path.join(dir, f)).sort();
}
let s3 = null;
before(() => {
  const r = sl(['build', '--quiet', '--threads', '2', '--out', lake]);
  assert.equal(r.code, 0, r.err);
});
after(async () => {
  if (s3) await s3.close();
  fs.rmSync(d, { recursive: true, force: true });
});

function checkLake(doc, root) {
  const byName = Object.fromEntries(doc.tables.map((t) => [t.name, t]));
  assert.deepEqual(Object.keys(byName).sort(), Object.keys(ROWS).sort());
  for (const [name, rows] of Object.entries(ROWS)) {
    const t = byName[name];
    assert.equal(t.rows, rows, name);
    assert.equal(t.path, `${root}/${name}`);
    assert.deepEqual(t.codecs, ['SNAPPY'], name);
    assert.deepEqual(t.partition_columns.map((p) => p.name), PARTS[name], name);
    assert.equal(t.file_list.length, t.files);
    assert.equal(t.file_list.reduce((a, f) => a + f.rows, 0), rows);
    assert.equal(t.file_list.reduce((a, f) => a + f.bytes, 0), t.bytes);
    assert.equal(t.file_list.reduce((a, f) => a + f.row_groups, 0), t.row_groups);
  }
  const sp = byName.songplays;
  assert.deepEqual(sp.partition_columns.map((p) => [p.type, p.values, p.min, p.max]), [['INT32', 1, 2018, 2018], ['INT32', 1, 11, 11]]);
  assert.deepEqual(sp.columns.map((c) => c.name), ['songplayId', 'user_id', 'start_time', 'level', 'song_id', 'artist_id', 'sessionId', 'userAgent']);
  const col = Object.fromEntries(sp.columns.map((c) => [c.name, c]));
  assert.equal(col.songplayId.min, 1);
  assert.equal(col.songplayId.max, 6820);
  assert.equal(col.songplayId.repetition, 'REQUIRED');
  assert.equal(col.start_time.logical, 'TIMESTAMP(MICROS,UTC)');
  assert.match(col.start_time.min, /^2018-11-01T\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.equal(col.song_id.nulls, 6819, '1 of 6820 plays matches a song');
  const songs = byName.songs;
  assert.deepEqual(songs.partition_columns.map((p) => [p.name, p.type, p.values]), [['year', 'INT32', 21], ['artist_id', 'STRING', 69]]);
  assert.equal(songs.files, 69);
}

test('a whole lake: five tables, partitions, rows, bytes and files as on disk', () => {
  const doc = json([lake]);
  checkLake(doc, lake);
  const files = doc.tables.flatMap((t) => t.file_list.map((f) => f.path)).sort();
  assert.deepEqual(files, parquetFiles(lake));
  for (const t of doc.tables) for (const f of t.file_list) assert.equal(f.bytes, fs.statSync(f.path).size);
  // text: one block per table, partition columns with their types
  const r = sl(['inspect', lake]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^table songplays {2}\(/m);
  assert.match(r.out, /partitioned by: year INT32 \(1 value\), month INT32 \(1 value\)/);
  assert.match(r.out, /partitioned by: year INT32 \(21 values\), artist_id STRING \(69 values\)/);
});

test('a table directory, a glob and one file', () => {
  const t = json([path.join(lake, 'songs')]).tables;
  assert.equal(t.length, 1);
  assert.equal(t[0].rows, 71);
  const under2005 = parquetFiles(path.join(lake, 'songs', 'year=2005'));
  assert.ok(under2005.length > 0);
  const g = json([`${lake}/songs/year=2005/**`]).tables;
  assert.equal(g.length, 1);
  assert.equal(g[0].name, 'songs');
  assert.equal(g[0].files, under2005.length);
  assert.deepEqual(g[0].partition_columns.map((p) => [p.name, p.values, p.min]), [['year', 1, 2005], ['artist_id', under2005.length, g[0].partition_columns[1].min]]);
  // two tables by glob
  const two = json([`${lake}/{songplays,time}`.replace('{songplays,time}', '[st][oi]*')]).tables.map((x) => x.name).sort();
  assert.deepEqual(two, ['songplays', 'songs', 'time']);
  // one file: the per-row-group description, then the table block
  const file = parquetFiles(path.join(lake, 'users'))[0];
  const r = sl(['inspect', file]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^row group 0: 97 rows/m);
  assert.match(r.out, /^table users/m);
  assert.equal(json([file]).tables[0].rows, 97);
});

test('--head N: the first rows with the partition columns from the paths', () => {
  const doc = json(['--head', '3', path.join(lake, 'songplays'), path.join(lake, 'users')]);
  const sp = doc.tables.find((t) => t.name === 'songplays');
  assert.equal(sp.head.length, 3);
  assert.deepEqual(sp.head.map((r) => r.songplayId), [1, 2, 3]);
  for (const row of sp.head) {
    assert.equal(row.year, 2018);
    assert.equal(row.month, 11);
    assert.match(row.start_time, /^2018-11-01T/);
  }
  assert.equal(doc.tables.find((t) => t.name === 'users').head.length, 3);
  const r = sl(['inspect', '--head=2', path.join(lake, 'time')]);
  assert.match(r.out, /first 2 rows:\n\s+timestamp\s+hour\s+day\s+week\s+weekday\s+year\s+month\n/);
  assert.equal(json(['--head', '0', lake]).tables[0].head, undefined, 'no preview asked');
});

test('a nested file: the schema in full, values of lists not previewed', () => {
  const f = path.join(src, 'tests', 'parquet', 'corpus', 'duckdb_nested.parquet');
  const t = json(['--head', '2', f]).tables[0];
  assert.ok(t.columns.some((c) => c.nested), JSON.stringify(t.columns));
  assert.ok(t.columns.some((c) => !c.nested));
  for (const row of t.head) for (const c of t.columns) if (c.nested) assert.equal(row[c.name], null);
  const r = sl(['inspect', '--head', '2', f]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /not previewed/);
});

test('bad targets: exit 1 naming them, the others still described; usage errors exit 2', () => {
  const r = sl(['inspect', '--json', path.join(d, 'missing'), path.join(lake, 'users')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^songlake inspect: error: .*missing: No such file/);
  assert.equal(JSON.parse(r.out).tables[0].name, 'users');
  fs.mkdirSync(path.join(d, 'nothing'));
  fs.writeFileSync(path.join(d, 'nothing', 'a.txt'), 'x');
  assert.match(sl(['inspect', path.join(d, 'nothing')]).err, /no Parquet files/);
  const bad = path.join(d, 'bad.parquet');
  fs.writeFileSync(bad, 'PAR1 not really PAR1');
  const b = sl(['inspect', bad]);
  assert.equal(b.code, 1);
  assert.match(b.err, /^songlake inspect: error: .*bad\.parquet/);
  for (const [args, re] of [[['--head', 'x', lake], /--head 'x'/], [['gs://b/x'], /'gs:\/\/b\/x': expected a local path or s3/], [[], /needs a TARGET/]]) {
    const u = sl(['inspect', ...args]);
    assert.equal(u.code, 2, args.join(' '));
    assert.match(u.err, re);
  }
});

test('the lake on S3, as s3://, s3a:// and s3n://', async () => {
  s3 = await startS3({ buckets: ['lake'] });
  const env = { ...awsEnv(s3.endpoint), HOME: d, AWS_ENDPOINT_URL: s3.endpoint };
  const b = await run(bin, ['build', '--quiet', '--threads', '2', '--out', 's3a://lake/star'], { env });
  assert.equal(b.code, 0, b.err);
  for (const scheme of ['s3', 's3a', 's3n']) {
    const r = await run(bin, ['inspect', '--json', `${scheme}://lake/star`], { env });
    assert.equal(r.code, 0, r.err);
    checkLake(JSON.parse(r.out), 's3://lake/star');
  }
  const t = await run(bin, ['inspect', '--json', '--head', '1', 's3://lake/star/users'], { env });
  assert.equal(t.code, 0, t.err);
  assert.equal(JSON.parse(t.out).tables[0].head.length, 1);
  assert.ok(!fs.existsSync('s3a:') && !fs.existsSync(path.join(d, 's3a:')));
});
