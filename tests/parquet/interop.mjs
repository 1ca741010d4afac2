// Writer interop: other engines read what songlake's Parquet writer wrote.
//
// Runs tests/parquet/pq_interop_write (argv[2]) into a temp dir, then reads
// every file with DuckDB, arrow-rs (parquet-wasm, decoded with apache-arrow),
// polars and hyparquet and compares every value with manifest.json. Checks
// the footer as well: statistics (min/max/null_count, computed here from the
// expected values by the format's rules), logical types, encodings per page
// (dictionary / PLAIN / fallback), row-group bounds, created_by, and that two
// runs (and two batchings) give the same bytes. Exits non-zero on any mismatch.
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const src = process.env.SONGLAKE_SOURCE_DIR || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const modules = process.env.NODE_PATH || path.join(src, 'tests/js/node_modules');
const require = createRequire(path.join(modules, 'noop.js'));
const { DuckDBInstance } = require('@duckdb/node-api');
const arrow = require('apache-arrow');
const pl = require('nodejs-polars');
const wasm = await import(require.resolve('parquet-wasm'));
const { parquetReadObjects, parquetMetadata } = await import(require.resolve('hyparquet'));
const { compressors } = await import(require.resolve('hyparquet-compressors'));

const bin = process.argv[2];
assert.ok(bin && fs.existsSync(bin), `usage: interop.mjs <pq_interop_write binary> (got ${bin})`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-pq-interop-'));
let failures = 0;
function fail(msg) {
  failures++;
  if (failures <= 60) console.error('FAIL ' + msg);
}

try {
  // ---- write twice: same bytes ---------------------------------------
  for (const d of ['a', 'b']) {
    fs.mkdirSync(path.join(tmp, d));
    const r = spawnSync(bin, [path.join(tmp, d), '20181101'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `pq_interop_write failed: ${r.stderr}`);
  }
  const dir = path.join(tmp, 'a');
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  assert.ok(manifest.length >= 18, 'manifest lists the files');
  for (const f of manifest) {
    const a = fs.readFileSync(path.join(dir, f.file));
    const b = fs.readFileSync(path.join(tmp, 'b', f.file));
    if (!a.equals(b)) fail(`${f.file}: two runs wrote different bytes`);
  }
  if (!fs.readFileSync(path.join(dir, 'rg_rows.parquet')).equals(fs.readFileSync(path.join(dir, 'rg_rows_batch1.parquet'))))
    fail('rg_rows: batches of 777 rows and of 1 row gave different bytes');

  // ---- canonical values --------------------------------------------------
  // BOOLEAN boolean, INT32 number, INT64/TIMESTAMP decimal string, DOUBLE
  // number (NaN, +-0 and infinities kept), STRING string; null for null.
  const expectedOf = (col) => col.values.map((v) => {
    if (v === null) return null;
    if (col.type === 'DOUBLE' && typeof v === 'string') return Number(v); // "NaN", "Infinity", "-Infinity"
    return v;
  });
  const same = (a, b) => (typeof a === 'number' && typeof b === 'number' ? Object.is(a, b) : a === b);
  const show = (v) => (typeof v === 'string' && v.length > 60 ? JSON.stringify(v.slice(0, 60)) + `...(${v.length})` : Object.is(v, -0) ? '-0' : JSON.stringify(v));
  function compare(engine, f, col, got) {
    const exp = expectedOf(col);
    if (got.length !== exp.length) return fail(`${engine} ${f.file} ${col.name}: ${got.length} rows, expected ${exp.length}`);
    for (let i = 0; i < exp.length; i++)
      if (!same(got[i], exp[i])) return fail(`${engine} ${f.file} ${col.name} row ${i}: got ${show(got[i])} expected ${show(exp[i])}`);
  }
  const fileBytes = (f) => fs.readFileSync(path.join(dir, f.file));

  // ---- DuckDB ------------------------------------------------------------
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const q = async (sql) => (await con.runAndReadAll(sql)).getRowObjects();
  const lit = (s) => `'${s.replace(/'/g, "''")}'`;
  const duckExpr = (c) => {
    const n = `"${c.name}"`;
    if (c.type === 'INT64') return `CAST(${n} AS VARCHAR)`;
    if (c.type === 'TIMESTAMP') return `CAST(epoch_us(${n}) AS VARCHAR)`;
    return n;
  };
  for (const f of manifest) {
    const p = lit(path.join(dir, f.file));
    const rows = (await con.runAndReadAll(
      `SELECT ${f.columns.map(duckExpr).join(', ')} FROM read_parquet(${p}, file_row_number=true) ORDER BY file_row_number`)).getRows();
    f.columns.forEach((c, j) => compare('duckdb', f, c, rows.map((r) => r[j])));

    // schema and logical types
    const schema = await q(`SELECT * FROM parquet_schema(${p})`);
    if (Number(schema[0].num_children) !== f.columns.length) fail(`${f.file}: root num_children ${schema[0].num_children}`);
    f.columns.forEach((c, j) => {
      const s = schema[j + 1];
      const phys = { BOOLEAN: 'BOOLEAN', INT32: 'INT32', INT64: 'INT64', DOUBLE: 'DOUBLE', STRING: 'BYTE_ARRAY', TIMESTAMP: 'INT64' }[c.type];
      if (s.name !== c.name || s.type !== phys) fail(`${f.file} ${c.name}: schema says ${s.name} ${s.type}`);
      if (s.repetition_type !== (c.nullable ? 'OPTIONAL' : 'REQUIRED')) fail(`${f.file} ${c.name}: repetition ${s.repetition_type}`);
      if (c.type === 'STRING' && !(s.converted_type === 'UTF8' && /StringType/.test(s.logical_type) && s.duckdb_type === 'VARCHAR'))
        fail(`${f.file} ${c.name}: string logical type ${s.converted_type} ${s.logical_type}`);
      if (c.type === 'TIMESTAMP' && !(s.converted_type === 'TIMESTAMP_MICROS' && /isAdjustedToUTC=1/.test(s.logical_type) &&
          /MICROS=MicroSeconds\(\)/.test(s.logical_type) && s.duckdb_type === 'TIMESTAMP WITH TIME ZONE'))
        fail(`${f.file} ${c.name}: timestamp logical type ${s.converted_type} ${s.logical_type} ${s.duckdb_type}`);
    });
    const fm = (await q(`SELECT created_by, num_rows, num_row_groups FROM parquet_file_metadata(${p})`))[0];
    if (!/^songlake version \d+\.\d+\.\d+/.test(fm.created_by)) fail(`${f.file}: created_by ${fm.created_by}`);
    if (Number(fm.num_rows) !== f.rows) fail(`${f.file}: num_rows ${fm.num_rows}`);

    // row groups and statistics
    const meta = await q(`SELECT row_group_id, row_group_num_rows, column_id, path_in_schema, stats_null_count,
        stats_min_value, stats_max_value, encodings, dictionary_page_offset, data_page_offset,
        CAST(epoch_us(TRY_CAST(stats_min_value AS TIMESTAMPTZ)) AS VARCHAR) AS ts_min,
        CAST(epoch_us(TRY_CAST(stats_max_value AS TIMESTAMPTZ)) AS VARCHAR) AS ts_max
        FROM parquet_metadata(${p}) ORDER BY row_group_id, column_id`);
    const nrg = Number(fm.num_row_groups);
    if (f.rows === 0 && nrg !== 0) fail(`${f.file}: a 0-row file has ${nrg} row groups`);
    if (f.rows > f.row_group_rows) {
      if (nrg !== Math.ceil(f.rows / f.row_group_rows) && f.row_group_bytes >= 1 << 27) fail(`${f.file}: ${nrg} row groups`);
    }
    if (f.file === 'rg_bytes.parquet' && nrg < 3) fail(`${f.file}: row_group_bytes did not split (${nrg} row groups)`);
    let start = 0;
    for (let g = 0; g < nrg; g++) {
      const rgRows = meta.filter((m) => Number(m.row_group_id) === g);
      const n = Number(rgRows[0].row_group_num_rows);
      if (f.row_group_bytes >= 1 << 27 && g < nrg - 1 && n !== f.row_group_rows) fail(`${f.file}: row group ${g} has ${n} rows`);
      f.columns.forEach((c, j) => checkStatsDuck(f, c, g, rgRows[j], expectedOf(c).slice(start, start + n)));
      start += n;
    }
    if (start !== f.rows) fail(`${f.file}: row groups hold ${start} rows, expected ${f.rows}`);
  }
  con.closeSync?.();

  // Expected statistics of one column chunk, by the format's rules.
  function expectedStats(c, vals) {
    const nn = vals.filter((v) => v !== null);
    const st = { nulls: vals.length - nn.length, min: undefined, max: undefined };
    let cand = nn;
    if (c.type === 'DOUBLE') cand = nn.filter((v) => !Number.isNaN(v));
    if (cand.length === 0) return st;
    let cmp;
    if (c.type === 'INT64' || c.type === 'TIMESTAMP') cmp = (a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);
    else if (c.type === 'STRING') cmp = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    else if (c.type === 'BOOLEAN') cmp = (a, b) => Number(a) - Number(b);
    else cmp = (a, b) => a - b;
    let mn = cand[0], mx = cand[0];
    for (const v of cand) {
      if (cmp(v, mn) < 0) mn = v;
      if (cmp(v, mx) > 0) mx = v;
    }
    if (c.type === 'DOUBLE') {
      if (mn === 0) mn = -0; // spec: a zero min is written as -0.0, a zero max as +0.0
      if (mx === 0) mx = 0;
    }
    if (c.type === 'STRING' && (Buffer.byteLength(mn) > 4096 || Buffer.byteLength(mx) > 4096)) return st; // not written (as Arrow)
    st.min = mn;
    st.max = mx;
    return st;
  }

  function checkStatsDuck(f, c, g, m, vals) {
    const where = `duckdb stats ${f.file} rg ${g} ${c.name}`;
    if (m.path_in_schema !== c.name) return fail(`${where}: path ${m.path_in_schema}`);
    const e = expectedStats(c, vals);
    if (Number(m.stats_null_count) !== e.nulls) fail(`${where}: null_count ${m.stats_null_count} expected ${e.nulls}`);
    if (e.min === undefined) {
      if (m.stats_min_value !== null || m.stats_max_value !== null) fail(`${where}: min/max ${m.stats_min_value}/${m.stats_max_value} expected none`);
      return;
    }
    // DuckDB hides infinite double bounds; hyparquet checks them below.
    if (c.type === 'DOUBLE' && (!Number.isFinite(e.min) || !Number.isFinite(e.max))) return;
    let mn = m.stats_min_value, mx = m.stats_max_value;
    if (c.type === 'INT32' || c.type === 'DOUBLE') [mn, mx] = [Number(mn), Number(mx)];
    if (c.type === 'BOOLEAN') [mn, mx] = [mn === 'true', mx === 'true'];
    if (c.type === 'TIMESTAMP') [mn, mx] = [m.ts_min, m.ts_max];
    if (!same(mn, e.min) || !same(mx, e.max)) fail(`${where}: min/max ${show(mn)}/${show(mx)} expected ${show(e.min)}/${show(e.max)}`);
  }

  // ---- hyparquet: values, statistics, encodings ------------------------
  const toCanon = (c, v) => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'bigint') return v.toString();
    return v;
  };
  for (const f of manifest) {
    const buf = fileBytes(f);
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
    const parsers = { timestampFromMicroseconds: (us) => us };
    const rows = await parquetReadObjects({ file: ab, compressors, parsers });
    f.columns.forEach((c) => compare('hyparquet', f, c, rows.map((r) => toCanon(c, r[c.name]))));
    const md = parquetMetadata(ab, { parsers });
    if (md.row_groups.length === 0 && f.rows !== 0) fail(`hyparquet ${f.file}: no row groups`);
    let start = 0;
    md.row_groups.forEach((rg, g) => {
      const n = Number(rg.num_rows);
      rg.columns.forEach((cc, j) => {
        const c = f.columns[j];
        const cm = cc.meta_data;
        const where = `hyparquet ${f.file} rg ${g} ${c.name}`;
        const e = expectedStats(c, expectedOf(c).slice(start, start + n));
        const s = cm.statistics || {};
        if (Number(s.null_count) !== e.nulls) fail(`${where}: null_count ${s.null_count} expected ${e.nulls}`);
        const mn = toCanon(c, s.min_value), mx = toCanon(c, s.max_value);
        if (e.min === undefined ? mn !== null || mx !== null : !same(mn, e.min) || !same(mx, e.max))
          fail(`${where}: min_value/max_value ${show(mn)}/${show(mx)} expected ${show(e.min)}/${show(e.max)}`);
        checkEncodings(f, c, where, cm);
      });
      start += n;
    });
  }

  function checkEncodings(f, c, where, cm) {
    const es = cm.encoding_stats || [];
    const count = (type, enc) => es.filter((x) => x.page_type === type && x.encoding === enc).reduce((a, x) => a + x.count, 0);
    const dictPages = count('DICTIONARY_PAGE', 'PLAIN'), rleDict = count('DATA_PAGE', 'RLE_DICTIONARY'), plain = count('DATA_PAGE', 'PLAIN');
    if ((dictPages > 0) !== (cm.dictionary_page_offset !== undefined)) fail(`${where}: dictionary page vs dictionary_page_offset`);
    if (dictPages > 0 && !(Number(cm.dictionary_page_offset) < Number(cm.data_page_offset))) fail(`${where}: dictionary_page_offset after data_page_offset`);
    if (!cm.encodings.includes('RLE_DICTIONARY') !== (rleDict === 0)) fail(`${where}: encodings ${cm.encodings} vs encoding_stats`);
    const mode = c.type === 'BOOLEAN' ? 'plain' : f.mode; // booleans are never dictionary-encoded
    if (mode === 'dict' && !(dictPages === 1 && rleDict > 0 && plain === 0)) fail(`${where}: expected dictionary pages only: ${JSON.stringify(es)}`);
    if (mode === 'plain' && !(dictPages === 0 && rleDict === 0 && plain > 0)) fail(`${where}: expected PLAIN pages only: ${JSON.stringify(es)}`);
    if (mode === 'fallback' && !(dictPages === 1 && rleDict > 0 && plain > 0)) fail(`${where}: expected dictionary pages then PLAIN: ${JSON.stringify(es)}`);
  }

  // ---- polars --------------------------------------------------------------
  for (const f of manifest) {
    const df = pl.readParquet(path.join(dir, f.file));
    if (df.height !== f.rows) fail(`polars ${f.file}: ${df.height} rows`);
    for (const c of f.columns) {
      let s = df.getColumn(c.name);
      if (c.type === 'TIMESTAMP') s = s.cast(pl.Int64).cast(pl.Utf8);
      else if (c.type === 'INT64') s = s.cast(pl.Utf8);
      compare('polars', f, c, [...s.toArray()].map((v) => (v === undefined ? null : v)));
    }
  }

  // ---- arrow-rs (parquet-wasm), decoded with apache-arrow ----------------
  for (const f of manifest) {
    const t = arrow.tableFromIPC(wasm.readParquet(new Uint8Array(fileBytes(f))).intoIPCStream());
    if (t.numRows !== f.rows) fail(`arrow-rs ${f.file}: ${t.numRows} rows`);
    for (const c of f.columns) {
      const vec = t.getChild(c.name);
      if (!vec) {
        fail(`arrow-rs ${f.file}: no column ${c.name}`);
        continue;
      }
      const got = [];
      for (const d of vec.data) {
        for (let i = 0; i < d.length; i++) {
          const nb = d.nullBitmap;
          const valid = !nb || nb.length === 0 || d.nullCount === 0 || ((nb[(d.offset + i) >> 3] >> ((d.offset + i) & 7)) & 1) === 1;
          if (!valid) got.push(null);
          else if (c.type === 'TIMESTAMP' || c.type === 'INT64') got.push(d.values[d.offset + i].toString());
          else if (c.type === 'BOOLEAN') got.push(((d.values[(d.offset + i) >> 3] >> ((d.offset + i) & 7)) & 1) === 1);
          else got.push(null); // filled below through Vector.get
        }
      }
      if (c.type !== 'TIMESTAMP' && c.type !== 'INT64' && c.type !== 'BOOLEAN')
        for (let i = 0; i < got.length; i++) got[i] = vec.isValid(i) ? vec.get(i) : null;
      compare('arrow-rs', f, c, got);
    }
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

if (failures) {
  console.error(`${failures} mismatches`);
  process.exit(1);
}
console.log('parquet writer interop: all files read back identically by duckdb, hyparquet, polars, arrow-rs');
