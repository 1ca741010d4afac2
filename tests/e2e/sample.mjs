// The bundled sample through the real binary, every table compared row for
// row with the independent DuckDB SQL implementation of SPEC.md
// (reference.mjs), plus SPEC §2's published counts, the column names and
// types DuckDB sees, the layout on disk, the _SUCCESS manifests and
// report.json (SPEC §3).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { computeReference } from './reference.mjs';
import { TABLES, assertSameRows, buildOk, cleanup, duck, lakeTable, listFiles, sample, sq, tmpdir } from './lib.mjs';

let out, db, ref;
before(async () => {
  out = path.join(tmpdir('sample'), 'lake');
  buildOk(['--songs', path.join(sample, 'song_data'), '--logs', path.join(sample, 'log_data'), '--out', out,
    '--threads', '2']);
  db = await duck();
  ref = await computeReference({ songs: path.join(sample, 'song_data'), logs: path.join(sample, 'log_data'),
    conn: db.conn });
});
after(() => { db?.close(); cleanup(); });

test('SPEC §2 counts on the real sample', async () => {
  const n = async (t) => Number(await db.one(`SELECT count(*) FROM ${lakeTable(out, t)}`));
  assert.equal(await n('songs'), 71);
  assert.equal(await n('artists'), 69);
  assert.equal(await n('users'), 97);
  assert.equal(await n('time'), 6813);
  assert.equal(await n('songplays'), 6820);
  assert.equal(Number(await db.one(`SELECT count(song_id) FROM ${lakeTable(out, 'songplays')}`)), 1);
});

for (const t of TABLES) {
  test(`${t} equals the DuckDB reference row for row`, async () => {
    await assertSameRows(db, lakeTable(out, t), `ref_${t}`, t);
  });
}

test('keys are unique and songplayId is dense 1..N', async () => {
  for (const [t, k] of [['users', 'userId'], ['songs', 'song_id'], ['artists', 'artist_id'], ['time', 'timestamp'],
    ['songplays', 'songplayId']]) {
    const r = await db.all(`SELECT count(*) AS n, count(DISTINCT ${k}) AS d, count(${k}) AS nn FROM ${lakeTable(out, t)}`);
    assert.equal(r[0].n, r[0].d, `${t}.${k} unique`);
    assert.equal(r[0].n, r[0].nn, `${t}.${k} not null`);
  }
  const r = await db.all(`SELECT min(songplayId) AS lo, max(songplayId) AS hi, count(*) AS n
    FROM ${lakeTable(out, 'songplays')}`);
  assert.equal(r[0].lo, 1n);
  assert.equal(r[0].hi, r[0].n);
});

// Names and types as DuckDB reads the files (partition columns come from the
// path: year/month BIGINT, artist_id VARCHAR; docs/decisions.md).
const EXPECTED = {
  songplays: [['songplayId', 'BIGINT'], ['user_id', 'BIGINT'], ['start_time', 'TIMESTAMP WITH TIME ZONE'],
    ['level', 'VARCHAR'], ['song_id', 'VARCHAR'], ['artist_id', 'VARCHAR'], ['sessionId', 'BIGINT'],
    ['userAgent', 'VARCHAR'], ['month', 'BIGINT'], ['year', 'BIGINT']],
  users: [['userId', 'BIGINT'], ['firstName', 'VARCHAR'], ['lastName', 'VARCHAR'], ['gender', 'VARCHAR'],
    ['level', 'VARCHAR']],
  songs: [['title', 'VARCHAR'], ['duration', 'DOUBLE'], ['song_id', 'VARCHAR'], ['year', 'BIGINT'],
    ['artist_id', 'VARCHAR']],
  artists: [['artist_id', 'VARCHAR'], ['artist_name', 'VARCHAR'], ['artist_location', 'VARCHAR'],
    ['artist_latitude', 'DOUBLE'], ['artist_longitude', 'DOUBLE']],
  time: [['timestamp', 'TIMESTAMP WITH TIME ZONE'], ['hour', 'INTEGER'], ['day', 'INTEGER'], ['week', 'INTEGER'],
    ['weekday', 'INTEGER'], ['month', 'BIGINT'], ['year', 'BIGINT']],
};
const PARTS = { songplays: ['year', 'month'], songs: ['year', 'artist_id'], time: ['year', 'month'], users: [],
  artists: [] };

test('column names and types through DuckDB hive_partitioning', async () => {
  for (const t of TABLES) {
    const d = await db.all(`DESCRIBE SELECT * FROM read_parquet(${sq(path.join(out, t, '**', '*.parquet'))},
      hive_partitioning=true)`);
    const got = d.map((r) => [r.column_name, r.column_type]);
    const want = EXPECTED[t];
    assert.deepEqual(got.slice().sort(), want.slice().sort(), `${t} columns`);
    // Inside the files (no hive): the SPEC order minus the partition columns.
    const f = await db.all(`DESCRIBE SELECT * FROM read_parquet(${sq(path.join(out, t, '**', '*.parquet'))},
      hive_partitioning=false)`);
    assert.deepEqual(f.map((r) => r.column_name), want.map((c) => c[0]).filter((c) => !PARTS[t].includes(c)),
      `${t} file columns in SPEC order`);
  }
  // not-null columns are REQUIRED in the Parquet schema
  const req = await db.all(`SELECT name, repetition_type FROM parquet_schema(${sq(path.join(out, 'songplays', '**',
    '*.parquet'))}) WHERE name IN ('songplayId', 'start_time', 'user_id') GROUP BY ALL ORDER BY name`);
  assert.deepEqual(req.map((r) => [r.name, r.repetition_type]),
    [['songplayId', 'REQUIRED'], ['start_time', 'REQUIRED'], ['user_id', 'OPTIONAL']]);
  const ts = await db.all(`SELECT DISTINCT logical_type FROM parquet_schema(${sq(path.join(out, 'time', '**',
    '*.parquet'))}) WHERE name = 'timestamp'`);
  assert.match(String(ts[0].logical_type), /isAdjustedToUTC=1|isAdjustedToUTC=true/i);
  assert.match(String(ts[0].logical_type), /MICROS/i);
});

test('layout: Hive partition paths, Spark file names, _SUCCESS manifest', () => {
  for (const t of TABLES) {
    const files = listFiles(path.join(out, t));
    assert.ok(files.includes('_SUCCESS'), `${t}/_SUCCESS`);
    const data = files.filter((f) => f !== '_SUCCESS');
    const depth = PARTS[t].length;
    for (const f of data) {
      const parts = f.split('/');
      assert.equal(parts.length, depth + 1, `${t}/${f} depth`);
      parts.slice(0, depth).forEach((p, i) => assert.ok(p.startsWith(`${PARTS[t][i]}=`), `${t}/${f}`));
      assert.match(parts[depth], /^part-\d{5}\.snappy\.parquet$/);
    }
    const m = JSON.parse(fs.readFileSync(path.join(out, t, '_SUCCESS'), 'utf8'));
    assert.equal(m.table, t);
    assert.deepEqual(m.files.map((x) => x.path).sort(), data.sort(), `${t} manifest lists the files`);
    for (const x of m.files) assert.equal(x.bytes, fs.statSync(path.join(out, t, x.path)).size);
  }
  assert.ok(!fs.readdirSync(path.dirname(out)).some((n) => n.includes('staging')), 'no staging left over');
  assert.ok(!fs.readdirSync(out).some((n) => n.includes('staging')), 'no staging left over');
});

test('report.json: version, options, inputs, records, tables, phases', async () => {
  const r = JSON.parse(fs.readFileSync(path.join(out, '_songlake', 'report.json'), 'utf8'));
  assert.match(r.version, /^\d+\.\d+\.\d+/);
  assert.equal(r.options.threads, 2);
  assert.equal(r.inputs.songs.files, 71);
  assert.equal(r.inputs.logs.files, 30);
  const logBytes = ref.files.logs.reduce((s, f) => s + fs.statSync(f).size, 0);
  assert.equal(r.inputs.logs.bytes, logBytes);
  assert.equal(r.inputs.logs.records_read, 8056);
  assert.equal(r.inputs.logs.accepted, 8056);
  assert.equal(r.inputs.logs.rejected, 0);
  assert.equal(r.inputs.songs.records_read, 71);
  for (const t of TABLES) {
    const n = Number(await db.one(`SELECT count(*) FROM ${lakeTable(out, t)}`));
    assert.equal(r.tables[t].rows, n, `report rows of ${t}`);
    const files = listFiles(path.join(out, t)).filter((f) => f !== '_SUCCESS');
    assert.equal(r.tables[t].files, files.length, `report files of ${t}`);
    assert.equal(r.tables[t].bytes, files.reduce((s, f) => s + fs.statSync(path.join(out, t, f)).size, 0));
  }
  // every phase the issue asks for (list, read, parse, transform, encode, publish), as numbers
  assert.deepEqual(Object.keys(r.seconds), ['list', 'songs', 'events', 'read_cpu', 'parse_cpu', 'transform',
    'encode_songplays', 'finish', 'publish', 'total']);
  for (const [k, v] of Object.entries(r.seconds)) assert.ok(Number.isFinite(v) && v >= 0, `seconds.${k} = ${v}`);
  assert.ok(!JSON.stringify(r).match(/secret/i), 'no secrets in the report');
  assert.equal(fs.readFileSync(path.join(out, '_songlake', 'rejects.jsonl'), 'utf8'), '', 'no rejects on the sample');
});
