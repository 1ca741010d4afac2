// The docs run as written. README.md's code blocks, from a directory laid
// out as the repository root (build/ and data/ linked in), except those
// marked `<!-- not run: why -->`; then the SQL block through DuckDB, the
// Python blocks of docs/reading.md (DuckDB, polars, Spark) on the lake the
// README built, its Athena DDL against the lake's real columns and types
// (songlake inspect --json), and docs/report.md against the fields of a
// real report.json, both ways.
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, before, after } from 'node:test';

const src = process.env.SONGLAKE_SOURCE_DIR;
const buildDir = process.env.SONGLAKE_BUILD_DIR;
const python = process.env.SONGLAKE_PYTHON;
const havePython = python && fs.existsSync(python);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-docs-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

// [{lang, code, skip}] of a markdown file
function blocks(file) {
  const text = fs.readFileSync(path.join(src, file), 'utf8');
  const out = [];
  const re = /(?:<!--\s*(not run[^>]*)-->\s*\n)?^```(\w*)\n([\s\S]*?)^```$/gm;
  for (const m of text.matchAll(re)) out.push({ skip: m[1] || null, lang: m[2], code: m[3] });
  return out;
}
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: root, maxBuffer: 64 << 20, ...opts });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function runPython(code, what) {
  const r = run(python, ['-c', code], { timeout: 600000 });
  assert.equal(r.code, 0, `${what}:\n${r.err.split('\n').filter((l) => !/WARN|Stage \d/.test(l)).slice(-25).join('\n')}`);
}

before(() => {
  fs.symlinkSync(buildDir, path.join(root, 'build'));
  fs.symlinkSync(path.join(src, 'data'), path.join(root, 'data'));
});

test('README.md: every shell block runs as written from the repository root', () => {
  const all = blocks('README.md');
  const sh = all.filter((b) => b.lang === 'sh');
  assert.ok(sh.length >= 4);
  const ran = sh.filter((b) => !b.skip);
  assert.ok(ran.length >= 1 && ran.some((b) => b.code.includes('songlake build')));
  for (const b of ran) {
    const r = run('bash', ['-e', '-o', 'pipefail', '-c', b.code]);
    assert.equal(r.code, 0, `README block failed:\n${b.code}\n${r.err}`);
  }
  for (const t of ['songplays', 'users', 'songs', 'artists', 'time']) {
    assert.ok(fs.existsSync(path.join(root, 'lake', t, '_SUCCESS')), `lake/${t}`);
    assert.ok(fs.existsSync(path.join(root, 'lake2', t, '_SUCCESS')), `lake2/${t}`);
  }
  assert.ok(!fs.existsSync(path.join(root, 'lake3')), '--dry-run wrote nothing');
  // every skipped block says why
  for (const b of sh.filter((x) => x.skip)) assert.match(b.skip, /not run: \S/);
});

test('README.md and docs/reading.md: SQL and Python blocks run on that lake', { skip: !havePython && 'no test venv' }, () => {
  for (const b of blocks('README.md').filter((x) => x.lang === 'sql' && !x.skip))
    runPython(`import duckdb\nprint(duckdb.sql(${JSON.stringify(b.code)}).fetchall())`, `README SQL:\n${b.code}`);
  const py = blocks('docs/reading.md').filter((b) => b.lang === 'python');
  assert.equal(py.length, 3, 'DuckDB, polars, Spark');
  for (const b of py) runPython(b.code, `docs/reading.md block:\n${b.code.slice(0, 200)}`);
});

const ATHENA = { BIGINT: ['INT64', '-'], STRING: ['BYTE_ARRAY', 'STRING'], TIMESTAMP: ['INT64', 'TIMESTAMP(MICROS,UTC)'], INT: ['INT32', '-'], DOUBLE: ['DOUBLE', '-'] };
test('docs/reading.md: the Athena DDL has the lake\'s columns, types and partitions', () => {
  const ddl = blocks('docs/reading.md').filter((b) => b.lang === 'sql').map((b) => b.code).join('\n');
  const r = run(path.join(buildDir, 'songlake'), ['inspect', '--json', 'lake']);
  assert.equal(r.code, 0, r.err);
  const tables = JSON.parse(r.out).tables;
  assert.equal(tables.length, 5);
  for (const t of tables) {
    const m = ddl.match(new RegExp(`CREATE EXTERNAL TABLE ${t.name} \\(([^;]*?)\\)\\s*(?:PARTITIONED BY \\(([^)]*)\\)\\s*)?STORED AS PARQUET\\s*LOCATION 's3://my-bucket/lake/${t.name}/'`));
    assert.ok(m, `DDL for ${t.name}`);
    const cols = (s) => s.split(',').map((c) => c.trim().split(/\s+/)).map(([n, ty]) => [n.replaceAll('`', ''), ty]);
    const got = cols(m[1]);
    assert.deepEqual(got.map((c) => c[0]), t.columns.map((c) => c.name), t.name);
    got.forEach(([n, ty], i) => assert.deepEqual(ATHENA[ty], [t.columns[i].physical, t.columns[i].logical], `${t.name}.${n} ${ty}`));
    const parts = m[2] ? cols(m[2]) : [];
    assert.deepEqual(parts.map((p) => p[0]), t.partition_columns.map((p) => p.name), `${t.name} partitions`);
    parts.forEach(([n, ty], i) => assert.equal(ty, t.partition_columns[i].type === 'INT32' ? 'INT' : 'STRING', `${t.name} ${n}`));
  }
});

test('docs/report.md names every field of report.json and no other', () => {
  const rep = JSON.parse(fs.readFileSync(path.join(root, 'lake', '_songlake', 'report.json'), 'utf8'));
  const fields = new Set();
  const walk = (o, pre) => {
    for (const [k, v] of Object.entries(o)) {
      const key = pre === 'tables' ? '<table>' : pre === 'inputs' ? '<source>' : k;
      const p = pre ? `${pre}.${key}` : key;
      fields.add(p);
      if (v && typeof v === 'object' && !Array.isArray(v)) walk(v, p);
    }
  };
  walk(rep, '');
  for (const x of [...fields]) if (/^(tables|inputs)\.<[a-z]+>$/.test(x)) fields.delete(x);
  const doc = fs.readFileSync(path.join(src, 'docs', 'report.md'), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]));
  assert.deepEqual([...fields].filter((f) => !documented.has(f)), [], 'fields of report.json missing from docs/report.md');
  assert.deepEqual([...documented].filter((f) => !fields.has(f)), [], 'fields documented but not in report.json');
});
