// Recovery after a syntax error is local and deterministic (issue 16,
// docs/json.md "Rejects and where scanning resumes"): one stray byte costs
// at most the records on the lines it touches, and rows and rejects are the
// same for the same bytes read as .json (whole or in chunks of any size),
// .json.gz and .json.zst, on any thread count. The differential part feeds
// random mutations of the sample's real logs through all of those.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { cleanup, tmpdir } from '../e2e/lib.mjs';
import { assertSameLake, buildLimited, prng, rejectsOf, report, sampleLines, songsDir, writeTree } from './hlib.mjs';

after(cleanup);

// Ways to read one tree of logs: suffix of every file, environment, threads.
const CONFIGS = [
  { name: 'json', suffix: '', env: {}, threads: 2 },
  { name: 'json-t1', suffix: '', env: {}, threads: 1 },
  { name: 'json-chunk1', suffix: '', env: { SONGLAKE_MAP_MIN_BYTES: '1', SONGLAKE_CHUNK_BYTES: '1' }, threads: 2 },
  { name: 'json-chunk97', suffix: '', env: { SONGLAKE_MAP_MIN_BYTES: '1', SONGLAKE_CHUNK_BYTES: '97' }, threads: 2 },
  { name: 'json-chunk4096', suffix: '', env: { SONGLAKE_MAP_MIN_BYTES: '1', SONGLAKE_CHUNK_BYTES: '4096' }, threads: 1 },
  { name: 'gz', suffix: '.gz', env: {}, threads: 2 },
  { name: 'gz-chunk97', suffix: '.gz', env: { SONGLAKE_CHUNK_BYTES: '97' }, threads: 2 },
  { name: 'zst', suffix: '.zst', env: {}, threads: 1 },
  { name: 'zst-chunk4096', suffix: '.zst', env: { SONGLAKE_CHUNK_BYTES: '4096' }, threads: 2 },
];

// Builds the same logs (name -> text) once per config; returns the lakes.
function buildAll(root, files, configs = CONFIGS) {
  const outs = {};
  for (const c of configs) {
    const tree = {};
    for (const [k, v] of Object.entries(files)) tree[k + c.suffix] = v;
    const logs = writeTree(path.join(root, `logs-${c.name}`), tree);
    const out = path.join(root, `out-${c.name}`);
    const r = buildLimited(['--songs', songsDir, '--logs', logs, '--out', out, '--threads', String(c.threads),
      '--row-group-rows', '500', '--no-sync'], { memMb: 2048, deadlineS: 120, env: c.env });
    assert.equal(r.status, 0, `${c.name}: build failed: ${r.err}`);
    outs[c.name] = out;
  }
  return outs;
}

test('a stray [ glued to a line of a 30,000-line log costs no record, in every reading', () => {
  const root = tmpdir('hostile-bracket');
  const lines = sampleLines();
  const big = Array.from({ length: 30000 }, (_, i) => lines[i % lines.length]);
  big[1000] = '[' + big[1000];
  const outs = buildAll(root, { 'day.json': big.join('\n') + '\n' });
  for (const [name, out] of Object.entries(outs)) {
    const logs = report(out).inputs.logs;
    assert.equal(logs.accepted, 30000, `${name}: every record accepted`);
    assert.equal(logs.rejected, 1, `${name}: one reject`);
    const rj = rejectsOf(out);
    assert.equal(rj.length, 1);
    assert.equal(rj[0].line, 1001, `${name}: the reject is the line of the [`);
    assert.match(rj[0].reason, /top-level array not closed/);
    assert.ok(rj[0].raw.startsWith('[{'), `${name}: raw is that line`);
    if (name !== 'json') assertSameLake(outs.json, out, name);
  }
});

test('a stray [ mid-line and a stray ] cost only their own lines', () => {
  const root = tmpdir('hostile-bracket2');
  const lines = sampleLines().slice(0, 3000);
  const t = lines.slice();
  t[10] = t[10].slice(0, 40) + '[' + t[10].slice(40); // inside a record: that record only
  t[20] = ']' + t[20]; // a ] before a record: that line
  t[30] = '[' + t[30] + ','; // an array left open by a trailing comma
  t[40] = '[';
  t[50] = '{"a":{"b":1}'; // unclosed, its line ends in '}', then a blank line: the
  t[51] = ''; // lines after it keep their numbers in every chunking
  t[52] = '{"page":"NextSong","ts":"x","userId":"3"}';
  const outs = buildAll(root, { 'x.json': t.join('\n') + '\n' }, CONFIGS.filter((c) => !c.env.SONGLAKE_CHUNK_BYTES || c.name === 'json-chunk1'));
  const logs = report(outs.json).inputs.logs;
  const rj = rejectsOf(outs.json);
  const lost = 3000 - logs.accepted - 3; // lines 51-53 replaced
  assert.ok(lost <= 4 && rj.some((r) => r.line === 53 && /ts: not an integer/.test(r.reason)), `at most the 4 touched records lost, lost ${lost}: ${JSON.stringify(rj.map((r) => [r.line, r.reason]))}`);
  for (const r of rj) assert.ok([11, 21, 31, 32, 41, 42, 51, 53].includes(r.line), `reject at an untouched line ${r.line}: ${r.reason}`);
  for (const [name, out] of Object.entries(outs)) if (name !== 'json') assertSameLake(outs.json, out, name);
});

// One random mutation of text at a random place.
const INSERTS = ['[', ']', '{', '}', '"', ',', ':', '\n', '\\', '\u0000', '\u00ff', 'x', '[\n', '}\n{', ' ', '\r\n', '1e'];
function mutate(text, rnd) {
  const at = Math.floor(rnd() * text.length);
  switch (Math.floor(rnd() * 6)) {
    case 5: { // a stray [ or ] glued to the start of a line
      const nl = text.lastIndexOf('\n', at) + 1;
      return text.slice(0, nl) + (rnd() < 0.8 ? '[' : ']') + text.slice(nl);
    }
    case 0: return text.slice(0, at) + INSERTS[Math.floor(rnd() * INSERTS.length)] + text.slice(at);
    case 1: return text.slice(0, at) + text.slice(at + 1 + Math.floor(rnd() * 3));
    case 2: { // a line cut short
      const nl = text.indexOf('\n', at);
      return nl < 0 ? text.slice(0, at) : text.slice(0, at) + text.slice(nl);
    }
    case 3: { // a range repeated elsewhere
      const n = Math.floor(rnd() * 600), to = Math.floor(rnd() * text.length);
      return text.slice(0, to) + text.slice(at, at + n) + text.slice(to);
    }
    default: return text.slice(0, at) + INSERTS[Math.floor(rnd() * INSERTS.length)] + text.slice(at + 1);
  }
}

const SEEDS = (process.env.HOSTILE_SEEDS || '1,2,3').split(',').map(Number);
for (const seed of SEEDS) {
  test(`differential: mutated real logs give the same rows and rejects everywhere (seed ${seed})`, () => {
    const rnd = prng(seed);
    const lines = sampleLines();
    const files = {};
    for (let f = 0; f < 6; f++) {
      const start = Math.floor(rnd() * (lines.length - 1500)), n = 200 + Math.floor(rnd() * 1300);
      let text = lines.slice(start, start + n).join(f % 3 === 2 ? '\r\n' : '\n') + '\n';
      if (f === 5) text = '[' + lines.slice(start, start + 50).join(',\n') + ']\n' + text; // an array then NDJSON
      const k = 1 + Math.floor(rnd() * 25);
      for (let i = 0; i < k; i++) text = mutate(text, rnd);
      files[`d${f}/log-${f}.json`] = text;
    }
    const root = tmpdir(`hostile-diff${seed}`);
    const outs = buildAll(root, files);
    const rj = rejectsOf(outs.json);
    assert.ok(rj.length > 0, 'the mutations made rejects');
    for (const [name, out] of Object.entries(outs)) if (name !== 'json') assertSameLake(outs.json, out, `seed ${seed} ${name}`);
  });
}
