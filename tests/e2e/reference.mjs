// An independent implementation of SPEC.md §1-§2 in DuckDB SQL: the oracle
// the end-to-end tests compare songlake's tables against, and the peer the
// end-to-end benchmark (bench/e2e/run.mjs) times songlake against.
// It shares no code with songlake: files are listed here, read with DuckDB's
// read_json (columns typed explicitly), and the rules are SQL window
// functions. It covers well-formed inputs (the sample, generated data); the
// reject rules are tested directly by the e2e tests on crafted inputs.
//
// As a module:
//   const ref = await computeReference({ songs, logs, threads });
//   ref.conn  -- a DuckDB connection holding tables ref_songs, ref_artists,
//                ref_users, ref_time, ref_songplays (SPEC column names/types)
//   await writeReferenceParquet(ref.conn, outDir, { codec })  -- Hive-partitioned
//   ref.close()
// As a program (used by the benchmark):
//   node tests/e2e/reference.mjs --songs DIR|GLOB --logs DIR|GLOB --out DIR [--threads N] [--codec snappy]
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

async function loadDuckDB() {
  try {
    return await import('@duckdb/node-api');
  } catch {
    const req = createRequire(path.join(here, '../js/package.json'));
    return import(pathToFileURL(req.resolve('@duckdb/node-api')).href);
  }
}

export const TABLES = ['songplays', 'users', 'songs', 'artists', 'time'];
export const PARTITIONS = { songplays: ['year', 'month'], songs: ['year', 'artist_id'], time: ['year', 'month'],
  users: [], artists: [] };

const sq = (s) => `'${String(s).replaceAll("'", "''")}'`;
const hidden = (name) => name.startsWith('.') || name.startsWith('_');
const bytewise = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function walk(dir, out) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (hidden(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

// SPEC §1 "Locations" and "Input order": a file, a directory walked
// recursively, or a glob; hidden names skipped; sorted bytewise.
async function listInputs(conn, loc) {
  let files;
  if (/[*?[]/.test(loc)) {
    const r = await conn.runAndReadAll(`SELECT file FROM glob(${sq(loc)})`);
    const base = path.resolve(loc.slice(0, loc.search(/[*?[]/)).replace(/[^/]*$/, '') || '.');
    files = r.getRows().map((row) => String(row[0]))
      .filter((f) => !path.relative(base, path.resolve(f)).split(path.sep).some(hidden));
  } else if (fs.statSync(loc).isDirectory()) {
    files = walk(loc, []);
  } else {
    files = [loc];
  }
  return files.sort(bytewise);
}

const SONG_COLUMNS = `{num_songs: 'BIGINT', artist_id: 'VARCHAR', artist_latitude: 'DOUBLE',
  artist_longitude: 'DOUBLE', artist_location: 'VARCHAR', artist_name: 'VARCHAR', song_id: 'VARCHAR',
  title: 'VARCHAR', duration: 'DOUBLE', year: 'INTEGER'}`;
const EVENT_COLUMNS = `{artist: 'VARCHAR', auth: 'VARCHAR', firstName: 'VARCHAR', gender: 'VARCHAR',
  itemInSession: 'BIGINT', lastName: 'VARCHAR', length: 'DOUBLE', level: 'VARCHAR', location: 'VARCHAR',
  method: 'VARCHAR', page: 'VARCHAR', registration: 'DOUBLE', sessionId: 'BIGINT', song: 'VARCHAR',
  status: 'BIGINT', ts: 'BIGINT', userAgent: 'VARCHAR', userId: 'VARCHAR'}`;

// Materialises the records of `files` in input order: DuckDB keeps insertion
// order (preserve_insertion_order, the default), so rowid is the position in
// input order. Checked below rather than trusted.
async function loadRecords(conn, table, files, format, columns) {
  if (files.length === 0) {
    await conn.run(`CREATE TABLE ${table} AS SELECT * , NULL::VARCHAR AS filename FROM read_json('[]'::JSON, columns=${columns}) LIMIT 0`)
      .catch(async () => {
        const cols = columns.replace(/[{}]/g, '').split(',').map((c) => c.trim().split(':'))
          .map(([n, t]) => `NULL::${t.trim().replaceAll("'", '')} AS "${n.trim()}"`).join(', ');
        await conn.run(`CREATE TABLE ${table} AS SELECT ${cols}, NULL::VARCHAR AS filename LIMIT 0`);
      });
    return;
  }
  const list = `[${files.map(sq).join(', ')}]`;
  await conn.run(`CREATE TABLE ${table} AS SELECT * FROM read_json(${list}, format=${sq(format)},
    columns=${columns}, filename=true, maximum_object_size=67108864)`);
  const order = await conn.runAndReadAll(`SELECT count(*) FROM (SELECT filename,
    lag(filename) OVER (ORDER BY rowid) AS prev FROM ${table}) WHERE filename < prev`);
  if (Number(order.getRows()[0][0]) !== 0) throw new Error(`reference: ${table} rows not in input order`);
}

export async function computeReference({ songs, logs, threads, conn: given } = {}) {
  let instance = null;
  let conn = given;
  if (!conn) {
    const { DuckDBInstance } = await loadDuckDB();
    const opts = threads ? { threads: String(threads) } : {};
    instance = await DuckDBInstance.create(':memory:', opts);
    conn = await instance.connect();
  }
  await conn.run(`SET TimeZone='UTC'`);
  const songFiles = await listInputs(conn, songs);
  const logFiles = await listInputs(conn, logs);
  await loadRecords(conn, 'raw_songs', songFiles, 'auto', SONG_COLUMNS);
  await loadRecords(conn, 'raw_events', logFiles, 'newline_delimited', EVENT_COLUMNS);

  // songs / artists: the first record of each key wins.
  await conn.run(`CREATE TABLE ref_songs AS
    SELECT title, artist_id, year, duration, song_id FROM (
      SELECT *, row_number() OVER (PARTITION BY song_id ORDER BY rowid) AS k FROM raw_songs
      WHERE song_id IS NOT NULL AND song_id <> '' AND artist_id IS NOT NULL AND artist_id <> '')
    WHERE k = 1`);
  await conn.run(`CREATE TABLE ref_artists AS
    SELECT artist_id, artist_name, artist_location, artist_latitude, artist_longitude FROM (
      SELECT *, row_number() OVER (PARTITION BY artist_id ORDER BY rowid) AS k FROM raw_songs
      WHERE song_id IS NOT NULL AND song_id <> '' AND artist_id IS NOT NULL AND artist_id <> '')
    WHERE k = 1`);

  // users: each user's latest event (largest ts; on a tie the last in input order).
  await conn.run(`CREATE TABLE ref_users AS
    SELECT CAST(userId AS BIGINT) AS userId, firstName, lastName, gender, level FROM (
      SELECT *, row_number() OVER (PARTITION BY CAST(userId AS BIGINT) ORDER BY ts DESC, rowid DESC) AS k
      FROM raw_events WHERE userId IS NOT NULL AND userId <> '')
    WHERE k = 1`);

  // songplays: every NextSong event once, left-joined to the smallest
  // song_id whose (title, own artist_name, duration) equals (song, artist, length).
  await conn.run(`CREATE TABLE ref_songplays AS
    WITH plays AS (
      SELECT row_number() OVER (ORDER BY rowid) AS songplayId, * FROM raw_events WHERE page = 'NextSong'),
    firsts AS (
      SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY song_id ORDER BY rowid) AS k FROM raw_songs
        WHERE song_id IS NOT NULL AND song_id <> '' AND artist_id IS NOT NULL AND artist_id <> '') WHERE k = 1),
    matches AS (
      SELECT p.songplayId, min(f.song_id) AS song_id FROM plays p JOIN firsts f
        ON f.title = p.song AND f.artist_name = p.artist AND f.duration = p.length
      GROUP BY p.songplayId)
    SELECT p.songplayId::BIGINT AS songplayId,
      CASE WHEN p.userId IS NULL OR p.userId = '' THEN NULL ELSE CAST(p.userId AS BIGINT) END AS user_id,
      make_timestamp(p.ts * 1000)::TIMESTAMPTZ AS start_time,
      p.level, m.song_id, f.artist_id, p.sessionId, p.userAgent,
      month(make_timestamp(p.ts * 1000))::INTEGER AS month,
      year(make_timestamp(p.ts * 1000))::INTEGER AS year
    FROM plays p LEFT JOIN matches m USING (songplayId) LEFT JOIN firsts f ON f.song_id = m.song_id`);

  // time: distinct start_time; weekday 1 = Sunday (Spark dayofweek), ISO week.
  await conn.run(`CREATE TABLE ref_time AS
    SELECT ts AS timestamp, hour(t)::INTEGER AS hour, day(t)::INTEGER AS day, week(t)::INTEGER AS week,
      (dayofweek(t) + 1)::INTEGER AS weekday, month(t)::INTEGER AS month, year(t)::INTEGER AS year
    FROM (SELECT DISTINCT start_time AS ts, start_time::TIMESTAMP AS t FROM ref_songplays)`);

  return {
    conn,
    files: { songs: songFiles, logs: logFiles },
    close() { if (instance) { conn.closeSync?.(); instance.closeSync?.(); } },
  };
}

// Writes the reference tables as Spark would: one directory per table,
// partition columns in Hive paths only.
export async function writeReferenceParquet(conn, outDir, { codec = 'snappy' } = {}) {
  fs.mkdirSync(outDir, { recursive: true });
  for (const t of TABLES) {
    const dir = path.join(outDir, t);
    fs.rmSync(dir, { recursive: true, force: true });
    const parts = PARTITIONS[t];
    const opts = [`FORMAT parquet`, `COMPRESSION ${codec}`];
    if (parts.length) opts.push(`PARTITION_BY (${parts.join(', ')})`);
    const target = parts.length ? dir : (fs.mkdirSync(dir, { recursive: true }), path.join(dir, 'part-00000.parquet'));
    await conn.run(`COPY ref_${t} TO ${sq(target)} (${opts.join(', ')})`);
    fs.writeFileSync(path.join(dir, '_SUCCESS'), '');
  }
}

// Rows of a reference table as plain JS values, in the table's key order.
export async function referenceRows(conn, table, orderBy) {
  const r = await conn.runAndReadAll(`SELECT * FROM ref_${table} ORDER BY ${orderBy}`);
  return r.getRowObjectsJS();
}

async function main() {
  const argv = process.argv.slice(2);
  const opt = {};
  for (let i = 0; i < argv.length; i += 2) opt[argv[i].replace(/^--/, '')] = argv[i + 1];
  if (!opt.songs || !opt.logs || !opt.out) {
    console.error('usage: node reference.mjs --songs DIR|GLOB --logs DIR|GLOB --out DIR [--threads N] [--codec C]');
    process.exit(2);
  }
  const ref = await computeReference({ songs: opt.songs, logs: opt.logs, threads: opt.threads });
  await writeReferenceParquet(ref.conn, opt.out, { codec: opt.codec || 'snappy' });
  for (const t of TABLES) {
    const r = await ref.conn.runAndReadAll(`SELECT count(*) FROM ref_${t}`);
    console.log(`${t} ${r.getRows()[0][0]}`);
  }
  ref.close();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
}
