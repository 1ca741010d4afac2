// Each rule of SPEC.md §1-§2 on a small crafted input, written here into a
// temp dir, run through the real binary and read back with DuckDB. Expected
// values are worked out by hand from SPEC.md (or, for time parts, by
// DuckDB's own date functions), never copied from songlake's output.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  buildOk, cleanup, duck, event, lakeTable, listFiles, ndjson, readRejects, song, sq, tmpdir, writeTree,
} from './lib.mjs';

let db;
before(async () => { db = await duck(); });
after(() => { db?.close(); cleanup(); });

const T0 = 1541105830796; // 2018-11-01T20:57:10.796Z

// Builds a lake from { songs: {rel: body}, logs: {rel: body} }.
function lakeOf(songs, logs, args = []) {
  const root = tmpdir('rules');
  writeTree(path.join(root, 'songs'), songs);
  writeTree(path.join(root, 'logs'), logs);
  const out = path.join(root, 'out');
  // crafted inputs are mostly rejects: the share limit is off here
  buildOk(['--songs', path.join(root, 'songs'), '--logs', path.join(root, 'logs'), '--out', out, '--threads', '2',
    '--max-reject-rate', '1', ...args]);
  return { root, out };
}
const oneSong = { 'A/s.json': JSON.stringify(song({})) };
const num = (v) => (typeof v === 'bigint' ? Number(v) : v);
const plain = (rs) => rs.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, num(v)])));
const q = async (out, t, cols, order) => plain(await db.all(`SELECT ${cols} FROM ${lakeTable(out, t)} ORDER BY ${order}`));

test('users: latest event wins (level change), ties on ts go to the later record, also across files', async () => {
  const { out } = lakeOf(oneSong, {
    'a.json': ndjson([
      event({ userId: '1', ts: T0, level: 'free', firstName: 'Old' }),
      event({ userId: '1', ts: T0 + 5000, level: 'paid', firstName: 'New', page: 'Home' }),
      event({ userId: '1', ts: T0 + 1000, level: 'free', firstName: 'Mid' }), // later in file, earlier ts
      event({ userId: '2', ts: T0, firstName: 'TieA' }),
      event({ userId: '2', ts: T0, firstName: 'TieB' }),
      event({ userId: '3', ts: T0, firstName: 'FileA' }),
      event({ userId: '', ts: T0 + 9999, firstName: 'Nobody', page: 'Home' }),
    ]),
    'b.json': ndjson([
      event({ userId: '3', ts: T0, firstName: 'FileB' }),
      event({ userId: '2', ts: T0 - 1, firstName: 'Older' }),
    ]),
  });
  assert.deepEqual(await q(out, 'users', 'userId, firstName, level', 'userId'), [
    { userId: 1, firstName: 'New', level: 'paid' },
    { userId: 2, firstName: 'TieB', level: 'free' },
    { userId: 3, firstName: 'FileB', level: 'free' },
  ]);
});

test('songs and artists: first record of each key wins, in bytewise path order', async () => {
  const { out } = lakeOf({
    // 'B' < 'a' bytewise: B/… is read first
    'a/1.json': JSON.stringify(song({ song_id: 'S1', title: 'Second', artist_id: 'AR1', artist_name: 'N2' })),
    'B/1.json': JSON.stringify(song({ song_id: 'S1', title: 'First', artist_id: 'AR1', artist_name: 'N1' })),
    'B/2.json': JSON.stringify(song({ song_id: 'S2', title: 'T2', artist_id: 'AR2', artist_name: 'X' }))
      + JSON.stringify(song({ song_id: 'S2', title: 'T2 again', artist_id: 'AR3', artist_name: 'Y' })),
  }, { 'l.json': ndjson([event({ page: 'Home' })]) });
  assert.deepEqual(await q(out, 'songs', 'song_id, title, artist_id', 'song_id'), [
    { song_id: 'S1', title: 'First', artist_id: 'AR1' },
    { song_id: 'S2', title: 'T2', artist_id: 'AR2' },
  ]);
  // AR3 first appears in a duplicate song record: still an artist record
  assert.deepEqual(await q(out, 'artists', 'artist_id, artist_name', 'artist_id'), [
    { artist_id: 'AR1', artist_name: 'N1' },
    { artist_id: 'AR2', artist_name: 'X' },
    { artist_id: 'AR3', artist_name: 'Y' },
  ]);
});

test('matching: title + own artist_name + exact duration; smallest song_id; unmatched plays kept', async () => {
  const songs = {
    's/1.json': JSON.stringify(song({ song_id: 'SOZ', artist_id: 'ARZ', title: 'Hit', artist_name: 'Band', duration: 200.25 })),
    's/2.json': JSON.stringify(song({ song_id: 'SOB', artist_id: 'ARB', title: 'Hit', artist_name: 'Band', duration: 200.25 })),
    's/3.json': JSON.stringify(song({ song_id: 'SOM', artist_id: 'ARM', title: 'Hit', artist_name: 'Band', duration: 200.5 })),
    // duplicate of SOM with another artist name: its own record is the first one
    's/4.json': JSON.stringify(song({ song_id: 'SOM', artist_id: 'ARX', title: 'Hit', artist_name: 'Other', duration: 200.5 })),
  };
  const { out } = lakeOf(songs, {
    'l.json': ndjson([
      event({ song: 'Hit', artist: 'Band', length: 200.25 }), // SOB and SOZ: smallest is SOB
      event({ song: 'Hit', artist: 'Band', length: 200.2500001 }), // no exact duration
      event({ song: 'Hit', artist: 'Other', length: 200.5 }), // not the first record's name
      event({ song: 'Hit', artist: 'Band', length: 200.5 }), // SOM
      event({ song: 'Miss', artist: 'Band', length: 200.25 }),
      event({ song: 'Hit', artist: 'Band', length: '200.25' }), // numeric string
      event({ song: 'Hit', artist: 'Band', length: null }),
      event({ page: 'Home', song: 'Hit', artist: 'Band', length: 200.25 }), // not a play
    ]),
  });
  assert.deepEqual(await q(out, 'songplays', 'songplayId, song_id, artist_id', 'songplayId'), [
    { songplayId: 1, song_id: 'SOB', artist_id: 'ARB' },
    { songplayId: 2, song_id: null, artist_id: null },
    { songplayId: 3, song_id: null, artist_id: null },
    { songplayId: 4, song_id: 'SOM', artist_id: 'ARM' },
    { songplayId: 5, song_id: null, artist_id: null },
    { songplayId: 6, song_id: 'SOB', artist_id: 'ARB' },
    { songplayId: 7, song_id: null, artist_id: null },
  ]);
  const r = JSON.parse(fs.readFileSync(path.join(out, '_songlake', 'report.json'), 'utf8'));
  assert.equal(r.tables.songplays.rows, 7);
});

test('songplays: ids dense in input order across files, null user for logged-out plays, fields kept', async () => {
  const { out } = lakeOf(oneSong, {
    '2018/11/b.json': ndjson([event({ ts: T0 + 2, userId: '', sessionId: 9, userAgent: 'B' })]),
    '2018/11/a.json': ndjson([
      event({ ts: T0 + 1, userId: '7', level: 'paid', sessionId: 5, userAgent: 'A "quoted"' }),
      event({ ts: T0 + 3, page: 'Logout' }),
      event({ ts: '1541105830800', userId: 8.0, sessionId: '6' }), // numeric strings, integral double
      { ...event({}), userId: undefined, ts: T0 + 4, level: undefined, sessionId: undefined }, // missing keys
    ]).replace('"userId":8}', '"userId":8.0}'),
  });
  const rows = await q(out, 'songplays',
    `songplayId, user_id, epoch_ms(start_time) AS ms, level, sessionId, userAgent, year, month`, 'songplayId');
  assert.deepEqual(rows, [
    { songplayId: 1, user_id: 7, ms: T0 + 1, level: 'paid', sessionId: 5, userAgent: 'A "quoted"', year: 2018, month: 11 },
    { songplayId: 2, user_id: 8, ms: 1541105830800, level: 'free', sessionId: 6, userAgent: 'UA', year: 2018, month: 11 },
    { songplayId: 3, user_id: null, ms: T0 + 4, level: null, sessionId: null, userAgent: 'UA', year: 2018, month: 11 },
    { songplayId: 4, user_id: null, ms: T0 + 2, level: 'free', sessionId: 9, userAgent: 'B', year: 2018, month: 11 },
  ]);
  assert.deepEqual((await q(out, 'users', 'userId', 'userId')).map((r) => r.userId), [1, 7, 8]);
});

test('numeric strings: "userId":"39", "registration":"1.541078e+12", "userId":"1.5e1"', async () => {
  const { out } = lakeOf(oneSong, {
    'l.json': ndjson([
      event({ userId: '39', registration: '1.541078e+12' }),
      event({ userId: '1.5e1', ts: T0 + 1 }),
      event({ userId: 12, ts: T0 + 2, registration: 'not used, not validated' }),
    ]),
  });
  assert.deepEqual((await q(out, 'songplays', 'user_id', 'songplayId')).map((r) => r.user_id), [39, 15, 12]);
  assert.deepEqual(readRejects(out), []);
});

test('time: UTC parts, ISO week, weekday 1 = Sunday, partitions by year/month', async () => {
  const stamps = [
    Date.UTC(2018, 11, 31, 23, 59, 59, 999), // Monday, ISO week 1 of 2019
    Date.UTC(2021, 0, 1, 0, 0, 0, 1), // Friday, ISO week 53 of 2020
    Date.UTC(2016, 1, 29, 12, 0, 0), // leap day, Monday
    Date.UTC(2018, 10, 4, 5, 6, 7), // Sunday
    Date.UTC(1969, 11, 31, 23, 0, 0), // before the epoch: negative ts, Wednesday
    Date.UTC(2018, 10, 4, 5, 6, 7), // duplicate start_time: one time row
  ];
  const { out } = lakeOf(oneSong, { 'l.json': ndjson(stamps.map((ts) => event({ ts }))) });
  const got = await q(out, 'time', 'epoch_ms(timestamp) AS ms, hour, day, week, weekday, month, year', 'timestamp');
  const want = [
    { ms: Date.UTC(1969, 11, 31, 23), hour: 23, day: 31, week: 1, weekday: 4, month: 12, year: 1969 },
    { ms: Date.UTC(2016, 1, 29, 12), hour: 12, day: 29, week: 9, weekday: 2, month: 2, year: 2016 },
    { ms: Date.UTC(2018, 10, 4, 5, 6, 7), hour: 5, day: 4, week: 44, weekday: 1, month: 11, year: 2018 },
    { ms: Date.UTC(2018, 11, 31, 23, 59, 59, 999), hour: 23, day: 31, week: 1, weekday: 2, month: 12, year: 2018 },
    { ms: Date.UTC(2021, 0, 1, 0, 0, 0, 1), hour: 0, day: 1, week: 53, weekday: 6, month: 1, year: 2021 },
  ];
  assert.deepEqual(got, want);
  // DuckDB's own date functions agree on every row
  const check = await db.all(`SELECT count(*) AS bad FROM ${lakeTable(out, 'time')} WHERE
    hour <> hour(timestamp::TIMESTAMP) OR day <> day(timestamp::TIMESTAMP) OR week <> week(timestamp::TIMESTAMP)
    OR weekday <> dayofweek(timestamp::TIMESTAMP) + 1 OR month <> month(timestamp::TIMESTAMP)
    OR year <> year(timestamp::TIMESTAMP)`);
  assert.equal(num(check[0].bad), 0);
  assert.deepEqual(listFiles(path.join(out, 'time')).filter((f) => f !== '_SUCCESS').map((f) => path.dirname(f)),
    ['year=1969/month=12', 'year=2016/month=2', 'year=2018/month=11', 'year=2018/month=12', 'year=2021/month=1']);
  assert.equal(num(await db.one(`SELECT count(*) FROM ${lakeTable(out, 'songplays')}`)), 6);
});

test('input formats: pretty-printed, concatenated, arrays, .gz, .zst, BOM, CRLF, hidden files skipped', async () => {
  const e = (i) => event({ ts: T0 + i, userId: String(i) });
  const { out } = lakeOf({
    'a.json': '\ufeff' + JSON.stringify(song({ song_id: 'S1' }), null, 2),
    'b.json.gz': JSON.stringify(song({ song_id: 'S2' })),
    'c.json.zst': `[${JSON.stringify(song({ song_id: 'S3' }))},\n${JSON.stringify(song({ song_id: 'S4' }))}]`,
    '.hidden.json': JSON.stringify(song({ song_id: 'HIDDEN1' })),
    '_temp/x.json': JSON.stringify(song({ song_id: 'HIDDEN2' })),
  }, {
    '01-pretty.json': JSON.stringify(e(1), null, 2) + '\n' + JSON.stringify(e(2), null, 4),
    '02-concat.json': JSON.stringify(e(3)) + JSON.stringify(e(4)) + ' ' + JSON.stringify(e(5)),
    '03-array.json': JSON.stringify([e(6), e(7)]) + '\n' + JSON.stringify(e(8)),
    '04-bom-crlf.json': '\ufeff' + [e(9), e(10)].map((x) => JSON.stringify(x)).join('\r\n') + '\r\n',
    '05-gz.json.gz': ndjson([e(11), e(12)]),
    '06-zst.json.zst': ndjson([e(13)]),
    '07-nonl.json': JSON.stringify(e(14)), // no final newline
    '.08-hidden.json': ndjson([e(99)]),
  });
  assert.deepEqual((await q(out, 'songs', 'song_id', 'song_id')).map((r) => r.song_id), ['S1', 'S2', 'S3', 'S4']);
  const plays = await q(out, 'songplays', 'songplayId, user_id', 'songplayId');
  assert.deepEqual(plays.map((r) => r.user_id), [...Array(14)].map((_, i) => i + 1));
  assert.deepEqual(plays.map((r) => r.songplayId), [...Array(14)].map((_, i) => i + 1));
  assert.deepEqual(readRejects(out), []);
});

test('rejects: each with source, line, byte, reason, raw; the run continues', async () => {
  const good = JSON.stringify(event({ userId: '1' }));
  const lines = [
    good, // line 1
    '{"page":"NextSong",,"userId":"2"}', // 2: syntax error inside the line
    '42', // 3: not an object
    JSON.stringify(event({ userId: 'abc' })), // 4: non-numeric userId
    JSON.stringify({ ...event({}), ts: undefined }), // 5: NextSong without ts
    JSON.stringify(event({ ts: 1541105830796.5 })), // 6: non-integral ts
    '{"page":"NextSong","userId":"2","ts":15411', // 7: truncated line, the next line still read
    good, // 8
    '{"page":"NextSong","userId":"2","ts":1541105830796', // 9: truncated at the end of the file
  ];
  const bad = Buffer.concat([Buffer.from('{"page":"NextSong","userId":"3","ts":1541105830796,"level":"'),
    Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]);
  const logs = lines.join('\n');
  const { out, root } = lakeOf({
    's1.json': JSON.stringify(song({ song_id: 'S1' })),
    's2.json': JSON.stringify({ ...song({}), song_id: undefined }),
    's3.json': JSON.stringify(song({ song_id: 'S3', artist_id: '' })),
    's4.json': '{"song_id": "S4", "artist_id": ', // truncated file
  }, { 'a.json': logs, 'b.json': Buffer.concat([bad, Buffer.from(good + '\n')]) });
  const rj = readRejects(out);
  const logA = path.join(root, 'logs', 'a.json');
  const at = (n) => Buffer.byteLength(lines.slice(0, n - 1).map((l) => l + '\n').join(''));
  const mine = rj.filter((r) => r.source.endsWith('a.json'));
  assert.deepEqual(mine.map((r) => [r.line, r.byte]), [[2, at(2)], [3, at(3)], [4, at(4)], [5, at(5)], [6, at(6)], [7, at(7)], [9, at(9)]]);
  for (const r of mine) {
    assert.ok(r.source === logA || r.source.endsWith('/logs/a.json'), r.source);
    assert.equal(typeof r.reason, 'string');
    assert.ok(r.reason.length > 0);
    assert.ok(r.raw.startsWith(lines[r.line - 1].slice(0, 10)), `raw of line ${r.line}: ${r.raw}`);
  }
  assert.match(mine[2].reason, /userId/);
  assert.match(mine[3].reason, /ts/);
  assert.match(mine[4].reason, /ts/);
  const utf = rj.filter((r) => r.source.endsWith('b.json'));
  assert.equal(utf.length, 1);
  assert.equal(utf[0].line, 1);
  assert.match(utf[0].reason, /UTF-8/i);
  const songRejects = rj.filter((r) => /s[234]\.json$/.test(r.source)).map((r) => path.basename(r.source));
  assert.deepEqual(songRejects, ['s2.json', 's3.json', 's4.json']);
  // the good records are all in: 2 plays from a.json, 1 from b.json
  assert.equal(num(await db.one(`SELECT count(*) FROM ${lakeTable(out, 'songplays')}`)), 3);
  assert.deepEqual((await q(out, 'songs', 'song_id', 'song_id')).map((r) => r.song_id), ['S1']);
  const rep = JSON.parse(fs.readFileSync(path.join(out, '_songlake', 'report.json'), 'utf8'));
  assert.equal(rep.inputs.logs.rejected, 8);
  assert.equal(rep.inputs.logs.accepted, 3);
  assert.equal(rep.inputs.songs.rejected, 3);
  assert.equal(rep.inputs.songs.accepted, 1);
  // rejects.jsonl is valid UTF-8 JSON even for invalid input bytes (parsed above)
});

test('partition values are escaped as Hive does and stay inside the table', async () => {
  const ids = ['AR/../../escape', 'a"b', 'a%b', 'a=b', "a'b#c", 'a:b*c?d', 'a\\b{c}[d]^e', 'ctl\u0001x',
    'ünï code space'];
  const songs = {};
  ids.forEach((id, i) => { songs[`s${i}.json`] = JSON.stringify(song({ song_id: `S${i}`, artist_id: id, year: 2000 })); });
  songs['snull.json'] = JSON.stringify(song({ song_id: 'SN', artist_id: 'ARN', year: null }));
  // a directory name holds 255 bytes: "artist_id=" + 245 fits, longer is rejected (docs/decisions.md)
  songs['slong1.json'] = JSON.stringify(song({ song_id: 'SL1', artist_id: 'y'.repeat(245), year: 1 }));
  songs['slong2.json'] = JSON.stringify(song({ song_id: 'SL2', artist_id: 'y'.repeat(246), year: 1 }));
  songs['slong3.json'] = JSON.stringify(song({ song_id: 'SL3', artist_id: '/'.repeat(82), year: 1 }));
  const { out, root } = lakeOf(songs, { 'l.json': ndjson([event({ page: 'Home' })]) });
  assert.deepEqual(readRejects(out).map((r) => [path.basename(r.source), /artist_id/.test(r.reason)]),
    [['slong2.json', true], ['slong3.json', true]]);
  const hex = (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
  const esc = (s) => [...s].map((c) => (/[\x00-\x1f\x7f"#%'*/:=?\\{[\]^]/.test(c) ? hex(c) : c)).join('');
  const dirs = listFiles(path.join(out, 'songs')).filter((f) => f !== '_SUCCESS').map((f) => path.dirname(f));
  const want = ids.map((id) => `year=2000/artist_id=${esc(id)}`).concat(['year=__HIVE_DEFAULT_PARTITION__/artist_id=ARN',
    `year=1/artist_id=${'y'.repeat(245)}`]);
  assert.deepEqual(dirs.sort(), want.sort());
  assert.ok(dirs.includes('year=2000/artist_id=AR%2F..%2F..%2Fescape'));
  // nothing outside the table directory
  const all = listFiles(root);
  for (const f of all) assert.ok(!f.startsWith('escape') && !f.startsWith('out/escape'), f);
  // DuckDB's hive reader gives the original values back
  const got = await q(out, 'songs', 'song_id, artist_id, year', 'song_id');
  const expect = ids.map((id, i) => ({ song_id: `S${i}`, artist_id: id, year: 2000 }))
    .concat([{ song_id: 'SN', artist_id: 'ARN', year: null }, { song_id: 'SL1', artist_id: 'y'.repeat(245), year: 1 }])
    .sort((a, b) => (a.song_id < b.song_id ? -1 : 1));
  assert.deepEqual(got, expect);
});

test('output with several row groups and gzip / zstd / none codecs reads back the same', async () => {
  const evs = [];
  for (let i = 0; i < 3000; i++) evs.push(event({ ts: T0 + i * 1000, userId: String(i % 50), sessionId: i }));
  const logs = { 'l.json': ndjson(evs) };
  const counts = [];
  for (const c of ['gzip', 'zstd', 'none']) {
    const { out } = lakeOf(oneSong, logs, ['--compression', c, '--row-group-rows', '500']);
    const ext = { gzip: '.gz.parquet', zstd: '.zstd.parquet', none: '.parquet' }[c];
    const files = listFiles(path.join(out, 'songplays')).filter((f) => f !== '_SUCCESS');
    assert.ok(files.every((f) => f.endsWith(`part-00000${ext}`)), files.join());
    const rg = await db.all(`SELECT count(DISTINCT row_group_id) AS n FROM parquet_metadata(${sq(path.join(out,
      'songplays', '**', '*.parquet'))})`);
    assert.ok(num(rg[0].n) >= 6, `row groups: ${num(rg[0].n)}`);
    counts.push(await q(out, 'songplays', 'sum(sessionId) AS s, count(*) AS n, count(DISTINCT user_id) AS u', '1'));
  }
  for (const c of counts) assert.deepEqual(c, [{ s: 2999 * 3000 / 2, n: 3000, u: 50 }]);
});

test('songplays over many months: bounded open files, a month seen again gets another file', async () => {
  const at = (m, d) => Date.UTC(2018, m - 1, d, 12);
  const { out } = lakeOf(oneSong, {
    'a.json': ndjson([1, 2, 3, 4, 5, 6, 1].map((m, i) => event({ ts: at(m, 1 + i), sessionId: i + 1 }))),
    'b.json': ndjson([7, 2].map((m, i) => event({ ts: at(m, 20 + i), sessionId: 8 + i }))),
  });
  const rowsOut = await q(out, 'songplays', 'songplayId, sessionId, month', 'songplayId');
  assert.deepEqual(rowsOut.map((r) => [r.songplayId, r.sessionId, r.month]),
    [[1, 1, 1], [2, 2, 2], [3, 3, 3], [4, 4, 4], [5, 5, 5], [6, 6, 6], [7, 7, 1], [8, 8, 7], [9, 9, 2]]);
  const files = listFiles(path.join(out, 'songplays'));
  assert.deepEqual(files.filter((f) => f.startsWith('year=2018/month=1/')),
    ['year=2018/month=1/part-00000-c001.snappy.parquet', 'year=2018/month=1/part-00000.snappy.parquet']);
  for (const f of files.filter((x) => x !== '_SUCCESS')) assert.match(f, /^year=2018\/month=\d+\/part-00000(-c\d{3})?\.snappy\.parquet$/);
  const m = JSON.parse(fs.readFileSync(path.join(out, 'songplays', '_SUCCESS'), 'utf8'));
  assert.equal(m.rows, 9);
  assert.deepEqual(m.files.map((f) => f.path).sort(), files.filter((x) => x !== '_SUCCESS').sort());
});

test('any input bytes: garbage files are rejected, never a crash', async () => {
  let seed = 12345;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const good = JSON.stringify(event({ userId: '5' }));
  const pieces = ['{', '}', '[', ']', '"', '\\', ':', ',', '\n', '\r\n', 'null', '1e999', '-0', '"\\ud800"',
    '"\\u0000"', '\ufeff', good, '{"page":"NextSong"', '"userId":', '99999999999999999999', ' '];
  const files = {};
  for (let f = 0; f < 12; f++) {
    const parts = [];
    for (let i = 0; i < 400; i++) {
      parts.push(rnd() < 0.3 ? Buffer.from([...Array(1 + Math.floor(rnd() * 8))].map(() => Math.floor(rnd() * 256)))
        : Buffer.from(pieces[Math.floor(rnd() * pieces.length)]));
    }
    files[`g${String(f).padStart(2, '0')}.json`] = Buffer.concat(parts);
  }
  files['zz-good.json'] = good + '\n';
  const { out } = lakeOf({ ...oneSong, 'g.json': files['g00.json'] }, files);
  const rep = JSON.parse(fs.readFileSync(path.join(out, '_songlake', 'report.json'), 'utf8'));
  assert.ok(rep.inputs.logs.rejected > 12, `rejected ${rep.inputs.logs.rejected}`);
  assert.equal(rep.inputs.logs.rejected, readRejects(out).filter((r) => /\/logs\//.test(r.source)).length);
  const n = num(await db.one(`SELECT count(*) FROM ${lakeTable(out, 'songplays')}`));
  assert.equal(n, rep.tables.songplays.rows);
  assert.ok(n >= 1, 'the good record of zz-good.json is in');
});

test('empty, blank and BOM-only files: a run with no rows publishes empty tables', async () => {
  const { out } = lakeOf({ 'e.json': '' }, { 'a.json': '', 'b.json': '\n \r\n\t\n', 'c.json': '\ufeff' });
  for (const t of ['songplays', 'users', 'songs', 'artists', 'time']) {
    const m = JSON.parse(fs.readFileSync(path.join(out, t, '_SUCCESS'), 'utf8'));
    assert.equal(m.rows, 0, t);
  }
  // unpartitioned tables keep one 0-row file so their schema stays readable
  assert.equal(num(await db.one(`SELECT count(*) FROM ${lakeTable(out, 'users')}`)), 0);
  assert.equal(num(await db.one(`SELECT count(*) FROM ${lakeTable(out, 'artists')}`)), 0);
  assert.deepEqual(listFiles(path.join(out, 'songplays')), ['_SUCCESS']);
  assert.deepEqual(readRejects(out), []);
});

test('userAgent: the same text written with different escapes is one value; each escape is decoded', async () => {
  // the scanner keeps a raw key's escaped text and decodes each distinct
  // spelling once per task: spellings must not leak into the values
  const long = 'Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143';
  const esc = (s) => JSON.stringify(s).slice(1, -1);
  const line = (ts, uid, uaJson) => JSON.stringify(event({ ts, userId: uid, sessionId: ts - T0 }))
    .replace('"userAgent":"UA"', `"userAgent":"${uaJson}"`);
  const variants = [
    esc(long).replace(/\//g, '\\/'), // "Mozilla\/5.0 ..." as the real logs
    esc(long), // plain
    esc(long).replace(/M/, '\\u004d').replace(/\//g, '\\u002F'), // \u escapes
    esc(long).replace(/\//g, '\\/'), // the first spelling again, another user
    esc(long.replace('6.1', '6.3')).replace(/\//g, '\\/'), // differs in one byte
    '\\"Quoted\\/ \\\\ agent\\" with a long tail to be remembered \\/ \\/',
  ];
  const lines = variants.map((v, i) => line(T0 + i, String(1 + (i % 2)), v));
  const { out } = lakeOf(oneSong, { 'a.json': lines.join('\n') + '\n' + lines.join('\n') + '\n' });
  const rows = await q(out, 'songplays', 'songplayId, userAgent', 'songplayId');
  const want = [long, long, long, long, long.replace('6.1', '6.3'), '"Quoted/ \\ agent" with a long tail to be remembered / /'];
  assert.deepEqual(rows.map((r) => r.userAgent), [...want, ...want]);
});

test('songplays year/month come from each play\'s own start_time, across day, month and year edges', async () => {
  // plays of one file in time order share their day's year/month: every
  // edge below must still move the play to its own partition
  const stamps = [
    Date.UTC(1969, 11, 31, 0, 0, 0), Date.UTC(1969, 11, 31, 23, 59, 59, 999), // one day before 1970
    Date.UTC(1970, 0, 1, 0, 0, 0), // the next millisecond's day, another year
    Date.UTC(2018, 10, 30, 23, 59, 59, 999), Date.UTC(2018, 11, 1, 0, 0, 0, 0), // month edge
    Date.UTC(2018, 11, 31, 23, 59, 59, 999), Date.UTC(2019, 0, 1), // year edge
    Date.UTC(2018, 10, 30, 12), // back to an earlier day
  ];
  const { out } = lakeOf(oneSong, { 'l.json': ndjson(stamps.map((ts, i) => event({ ts, sessionId: i + 1 }))) });
  const rows = await q(out, 'songplays', 'sessionId, epoch_ms(start_time) AS ms, year, month', 'sessionId');
  assert.deepEqual(rows.map((r) => [r.ms, r.year, r.month]),
    stamps.map((ms) => [ms, new Date(ms).getUTCFullYear(), new Date(ms).getUTCMonth() + 1]));
});
