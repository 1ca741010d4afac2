// Big local log files are memory-mapped and parsed in chunks cut between
// records (docs/design.md "Reading"). The chunk size must never change the
// result: every table file, rejects.jsonl (reasons, line numbers, byte
// offsets, raw text) and the counts are the same as when each file is read
// and parsed whole. SONGLAKE_MAP_MIN_BYTES / SONGLAKE_CHUNK_BYTES force
// mapping and tiny chunks on small files; chunks of 1 byte put a cut after
// every record boundary.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { TABLES, buildOk, cleanup, listFiles, readRejects, sample, tmpdir, writeTree } from './lib.mjs';

after(cleanup);

// The sample's logs in one file, with bad records at known lines: a type
// error, a line cut in half, an object left open whose line ends in '}', a
// pretty-printed record over several lines, a line that is not JSON, a
// blank line.
function craft(eol) {
  const logs = path.join(sample, 'log_data');
  const lines = listFiles(logs).flatMap((f) => fs.readFileSync(path.join(logs, f), 'utf8').split('\n'))
    .filter(Boolean);
  const out = [];
  const push = (text) => out.push(text);
  lines.forEach((l, i) => {
    if (i === 100) push('{"artist":"x","ts":"abc","page":"NextSong","userId":"5"}');
    if (i === 200) push(l.slice(0, Math.floor(l.length / 2)));
    if (i === 300) push('{"artist":"x", "nested": {"a":1}');
    if (i === 400) push(['{', '  "page": "Home",', '  "userId": "7",', '  "ts": 1541105830796,',
      '  "x": {', '    "y": 1', '  }', '}'].join(eol));
    if (i === 500) push('not json at all }');
    if (i === 600) push('   ');
    push(l);
  });
  return { text: out.join(eol) + eol };
}

function lineOf(text, eol, k) {
  // line number of the k-th occurrence index computed independently
  return text.slice(0, k).split(eol).length;
}

test('chunked parsing gives the same files and rejects as whole files', () => {
  const root = tmpdir('chunks');
  const lf = craft('\n');
  const crlf = craft('\r\n');
  const arr = JSON.stringify(JSON.parse('[' + lf.text.split('\n').filter((l) => l.startsWith('{"artist":"Des')).join(',') + ']'), null, 1);
  const logs = writeTree(path.join(root, 'logs'), {
    'a/lf.json': lf.text, 'a/crlf.json': crlf.text, 'b/array.json': arr, 'b/bom.json': '\ufeff' + lf.text,
  });
  // expected reject lines, found in the crafted text itself
  const expectLines = (text, eol) => ['"ts":"abc"', '"nested": {"a":1}', 'not json at all }']
    .map((m) => lineOf(text, eol, text.indexOf(m)));
  const songs = path.join(sample, 'song_data');
  const run = (name, env) => {
    const out = path.join(root, name);
    buildOk(['--songs', songs, '--logs', logs, '--out', out, '--threads', '2', '--row-group-rows', '2000'],
      { env: { ...process.env, ...env } });
    return out;
  };
  const whole = run('whole', {});
  const rj = readRejects(whole);
  for (const [file, t, eol] of [['/lf.json', lf.text, '\n'], ['/crlf.json', crlf.text, '\r\n'], ['/bom.json', lf.text, '\n']]) {
    const got = rj.filter((r) => r.source.endsWith(file)).map((r) => r.line);
    for (const want of expectLines(t, eol)) assert.ok(got.includes(want), `${file}: a reject at line ${want} (got ${got})`);
    assert.equal(got.length, 4, `${file}: 4 rejects (type error, cut line, open object, not JSON): ${got}`);
  }
  const tree = (out) => TABLES.flatMap((t) => listFiles(path.join(out, t)).map((f) => `${t}/${f}`))
    .concat(['_songlake/rejects.jsonl']);
  const names = tree(whole);
  const report = (out) => JSON.parse(fs.readFileSync(path.join(out, '_songlake', 'report.json'), 'utf8'));
  for (const chunk of [1, 97, 4096, 65536]) {
    const out = run(`chunk${chunk}`, { SONGLAKE_MAP_MIN_BYTES: '1', SONGLAKE_CHUNK_BYTES: String(chunk) });
    assert.deepEqual(tree(out), names, `same file names with ${chunk}-byte chunks`);
    for (const n of names) {
      assert.ok(fs.readFileSync(path.join(whole, n)).equals(fs.readFileSync(path.join(out, n))),
        `${n} differs with ${chunk}-byte chunks`);
    }
    const a = report(whole).inputs.logs, b = report(out).inputs.logs;
    assert.deepEqual(b, a, `log counts with ${chunk}-byte chunks`);
  }
  assert.ok(report(whole).tables.songplays.rows > 6000 * 3, 'the four files played');
});
