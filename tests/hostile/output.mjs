// Nothing secret or hostile passes through (issue 16): a URL's userinfo is
// neither stored in report.json nor printed; control bytes in a file name
// are escaped in messages (a name holding ESC[2J cannot clear the
// terminal); a source name that is not UTF-8 is written in rejects in the
// reversible \xNN form; rejects' raw is cut after escaping and the file has
// a total cap (SONGLAKE_MAX_REJECTS_BYTES, default 256 MiB).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, test } from 'node:test';
import { cleanup, readRejects, tmpdir } from '../e2e/lib.mjs';
import { buildLimited, report, songsDir } from './hlib.mjs';

after(cleanup);

test('no userinfo in report.json or messages', () => {
  const root = tmpdir('hostile-secret');
  const logs = path.join(root, 'logs');
  fs.mkdirSync(logs);
  fs.writeFileSync(path.join(logs, 'a.json'), '{"page":"Home","userId":""}\n');
  const out = path.join(root, 'out');
  const r = buildLimited(['--songs', songsDir, '--logs', logs, '--out', out, '--no-sync',
    '--endpoint-url', 'http://user:s3cr3t@127.0.0.1:9'], { memMb: 1024, deadlineS: 60 });
  assert.equal(r.status, 0, r.err);
  const text = fs.readFileSync(path.join(out, '_songlake', 'report.json'), 'utf8');
  assert.ok(!text.includes('s3cr3t') && !text.includes('user:'), text);
  assert.equal(report(out).options.endpoint_url, 'http://127.0.0.1:9');
  assert.ok(!r.err.includes('s3cr3t'));
});

test('control bytes in names are escaped in messages; non-UTF-8 names reversibly in rejects', () => {
  const root = tmpdir('hostile-names');
  const logs = path.join(root, 'logs');
  fs.mkdirSync(logs);
  // one good log beside the hostile one: a source with records and none
  // accepted always fails the run (issue 15)
  fs.copyFileSync(path.join(songsDir, '..', 'log_data', '2018', '11', '2018-11-01-events.json'), path.join(logs, 'a-good.json'));
  const bad = Buffer.concat([Buffer.from(logs + '/b'), Buffer.from([0xff]), Buffer.from('.json')]);
  fs.writeFileSync(bad, '{"page":"NextSong","userId":"1","ts":"x"}\n');
  const out = path.join(root, 'out');
  let r = buildLimited(['--songs', songsDir, '--logs', logs, '--out', out, '--no-sync'], { memMb: 1024, deadlineS: 60 });
  assert.equal(r.status, 0, r.err);
  const rj = readRejects(out);
  assert.equal(rj.length, 1);
  assert.equal(rj[0].source, `${logs}/b\\xFF.json`, 'the byte 0xFF as \\xFF, not U+00FF');
  // an error naming a file with ESC[2J and a BEL in it
  const esc = path.join(logs, 'x\u001b[2J\u0007.json.gz');
  fs.writeFileSync(esc, zlib.gzipSync('{"page":"Home"}\n').subarray(0, 12));
  r = buildLimited(['--songs', songsDir, '--logs', logs, '--out', out, '--no-sync'], { memMb: 1024, deadlineS: 60 });
  assert.equal(r.status, 1, r.err);
  assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(r.err), `raw control bytes on stderr: ${JSON.stringify(r.err)}`);
  assert.ok(r.err.includes('x\\x1B[2J\\x07.json.gz: truncated gzip data'), r.err);
});

test('rejects.jsonl: raw cut after escaping, total size capped', () => {
  const root = tmpdir('hostile-rejcap');
  const logs = path.join(root, 'logs');
  fs.mkdirSync(logs);
  // 20 MB of lines of \x01: each line a reject whose raw escapes 6:1
  // one good log beside the hostile one: a source with records and none
  // accepted always fails the run (issue 15)
  fs.copyFileSync(path.join(songsDir, '..', 'log_data', '2018', '11', '2018-11-01-events.json'), path.join(logs, 'a-good.json'));
  fs.writeFileSync(path.join(logs, 'c.json'), Buffer.from(('\u0001'.repeat(100000) + '\n').repeat(200)));
  const run = (out, env) => {
    const r = buildLimited(['--songs', songsDir, '--logs', logs, '--out', out, '--no-sync'], { memMb: 1024, deadlineS: 120, env });
    assert.equal(r.status, 0, r.err);
    return fs.statSync(path.join(out, '_songlake', 'rejects.jsonl')).size;
  };
  const full = path.join(root, 'full');
  const size = run(full, {});
  for (const line of fs.readFileSync(path.join(full, '_songlake', 'rejects.jsonl'), 'utf8').split('\n').filter(Boolean)) {
    const raw = line.slice(line.indexOf('"raw":"') + 7, -2);
    assert.ok(raw.length <= 65536, `raw of ${raw.length} bytes escaped`);
  }
  assert.ok(size < 200 * (65536 + 256), `${size} bytes for 200 rejects (was 126 MB for 20 MB)`);
  assert.equal(report(full).rejects, 200);
  const capped = path.join(root, 'capped');
  const csize = run(capped, { SONGLAKE_MAX_REJECTS_BYTES: String(1 << 20) });
  assert.ok(csize <= 1 << 20, `${csize} bytes under a 1 MiB cap`);
  assert.equal(report(capped).rejects, 200, 'every reject still counted');
  const listed = readRejects(capped).length;
  assert.ok(listed > 0 && listed < 200, `${listed} of 200 listed under the cap`);
});
