// The S3 tuning flags and the --config file of `songlake load-postgres`,
// through the real binary and without a server: bad values exit 2 with one
// line saying what is wrong and what a valid value looks like, the
// [songlake] keys are accepted or rejected (file:line:key) the same way by
// build and load-postgres, flags win over the file, and no DSN (which may
// hold a password) is ever printed. The load itself, driven by --config, is
// tested against PostgreSQL in tests/postgres/config.mjs; that the flags
// reach the S3 client in tests/s3/s3_flags.mjs.
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, after } from 'node:test';

const bin = process.env.SONGLAKE_BIN;
const d = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-cfg-'));
after(() => fs.rmSync(d, { recursive: true, force: true }));

function sl(args) {
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function oneLineError(r, prefix = /^songlake( load-postgres| build)?: error: /) {
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.err}`);
  assert.match(lines[0], prefix);
  return lines[0];
}
let n = 0;
function cfgFile(text) {
  const f = path.join(d, `c${n++}.cfg`);
  fs.writeFileSync(f, text);
  return f;
}
// a lake path that does not exist: load-postgres reads the lake before it
// connects, so its error names the lake it was given and needs no server
const noLake = (tag) => path.join(d, `no-lake-${tag}`);

test('--help documents the S3 flags and load-postgres --config', () => {
  const b = sl(['build', '--help']);
  assert.equal(b.code, 0);
  for (const f of ['--s3-timeout', '--s3-max-attempts', '--s3-max-retry-seconds', '--s3-part-size',
    '--s3-multipart-threshold', 's3_part_size=', 's3_max_attempts='])
    assert.ok(b.out.includes(f), `build --help mentions ${f}`);
  const l = sl(['load-postgres', '--help']);
  assert.equal(l.code, 0);
  for (const f of ['--config', 'out=', 'postgres=', 'pg_schema=', '--s3-timeout', '--s3-max-attempts'])
    assert.ok(l.out.includes(f), `load-postgres --help mentions ${f}`);
});

test('bad S3 flag values exit 2 saying what a valid value is', () => {
  const cases = [
    [['--s3-timeout', '0'], /--s3-timeout '0': expected seconds from 0\.1 to 3600/],
    [['--s3-timeout', 'soon'], /--s3-timeout 'soon': expected seconds/],
    [['--s3-max-attempts', '0'], /--s3-max-attempts '0': expected a number of attempts per request from 1/],
    [['--s3-max-attempts', '101'], /--s3-max-attempts '101': expected .* to 100/],
    [['--s3-max-retry-seconds', '-1'], /--s3-max-retry-seconds '-1': expected seconds/],
    [['--s3-part-size', '4MiB'], /--s3-part-size '4MiB': expected a size from 5MiB to 5GiB .*S3 refuses parts under 5 MiB/],
    [['--s3-part-size', '5242879'], /--s3-part-size '5242879'/],
    [['--s3-part-size', '6GiB'], /--s3-part-size '6GiB'/],
    [['--s3-part-size', '8 parsecs'], /--s3-part-size '8 parsecs'/],
    [['--s3-part-size', '99999999999999999999'], /--s3-part-size/],
    [['--s3-multipart-threshold', '1KB'], /--s3-multipart-threshold '1KB': expected a size from 5MiB/],
    [['--s3-max-connections', '0'], /--s3-max-connections '0': expected a number from 1 to 4096/],
    [['--s3-timeout'], /--s3-timeout needs a value/],
  ];
  for (const [args, re] of cases) {
    const r = sl(['build', '--out', path.join(d, 'never'), ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(oneLineError(r), re);
  }
  assert.ok(!fs.existsSync(path.join(d, 'never')), 'a usage error writes nothing');
  // load-postgres takes the ones that matter for reading, with the same checks
  for (const [args, re] of cases.slice(0, 5)) {
    const r = sl(['load-postgres', '--lake', noLake('x'), '--dsn', '', ...args]);
    assert.equal(r.code, 2, `load-postgres ${args.join(' ')}`);
    assert.match(oneLineError(r), re);
  }
  // upload settings are not load-postgres flags
  const r = sl(['load-postgres', '--lake', noLake('x'), '--dsn', '', '--s3-part-size=8MiB']);
  assert.equal(r.code, 2);
  assert.match(oneLineError(r), /unknown option --s3-part-size \(see songlake load-postgres --help\)/);
});

test('good S3 values are accepted: sizes with units, fractional seconds', () => {
  // a local run does not use the S3 client: the settings are only parsed
  const out = path.join(d, 'ok-lake');
  const r = sl(['build', '--quiet', '--threads', '1', '--out', out, '--s3-timeout', '2.5', '--s3-max-attempts', '1',
    '--s3-max-retry-seconds', '30', '--s3-part-size', '8MiB', '--s3-multipart-threshold=64MB']);
  assert.equal(r.code, 0, r.err);
  assert.ok(fs.existsSync(path.join(out, 'songplays', '_SUCCESS')));
  for (const v of ['5MiB', '5242880', '16mb', '1GiB', '5GiB', '8 MiB']) {
    const x = sl(['build', '--songs', noLake('s'), '--s3-part-size', v]);
    assert.equal(x.code, 1, `${v} is a valid part size; the run then fails on the missing input: ${x.err}`);
    assert.match(x.err, /--songs/);
  }
});

test('config keys: the S3 settings are accepted; bad values and unknown keys name file:line:key', () => {
  const good = cfgFile(`[AWS]\nAWS_REGION = eu-west-1\n[songlake]\nout = ${path.join(d, 'cfg-lake')}\n` +
    's3_timeout = 5\ns3-max-attempts = 3\ns3_max_retry_seconds = 60\ns3_part_size = 16MiB\n' +
    's3_multipart_threshold = 32MiB\ns3_max_connections = 8\n');
  const r = sl(['build', '--quiet', '--threads', '1', '--config', good]);
  assert.equal(r.code, 0, r.err);
  assert.ok(fs.existsSync(path.join(d, 'cfg-lake', 'users', '_SUCCESS')));
  const bad = [
    ['[songlake]\nthreads = 1\ns3_part_size = 1MiB\n', 3, /s3_part_size = '1MiB': expected a size from 5MiB/],
    ['[songlake]\n\ns3_max_attempts = many\n', 3, /s3_max_attempts = 'many': expected a number of attempts/],
    ['[songlake]\ns3_timeout = 0\n', 2, /s3_timeout = '0': expected seconds/],
    ['[songlake]\nout = x\ns3_retries = 3\n', 3, /unknown key 's3_retries' in \[songlake\]/],
  ];
  for (const [text, line, re] of bad) {
    const f = cfgFile(text);
    for (const cmd of [['build'], ['load-postgres']]) {
      const x = sl([...cmd, '--config', f]);
      assert.equal(x.code, 2, `${cmd} ${text}`);
      const l = oneLineError(x);
      assert.ok(l.includes(`${f}:${line}:`), l);
      assert.match(l, re);
    }
  }
});

test('load-postgres --config: keys checked as build checks them, errors name file:line:key', () => {
  const cases = [
    // build's keys are valid in the shared file (and checked)...
    ['[songlake]\nsongs = a\nthreads = 0\n', /:3: threads = '0': expected a number of threads/],
    ['[songlake]\ncompression = brotli\n', /:2: compression = 'brotli': expected one of/],
    // ...unknown keys, sections and malformed lines are not
    ['[songlake]\nout = x\npostgress = host=h password=SEKRIT\n', /:3: unknown key 'postgress' in \[songlake\] \(see songlake load-postgres --help\)/],
    ['[AWS]\nAWS_SECRET_KEY = SEKRIT\n', /:2: unknown key 'AWS_SECRET_KEY' in \[AWS\]/],
    ['[postgres]\ndsn = x\n', /:2: unknown section \[postgres\]/],
    ['[songlake]\nout = x\nthis is not a setting\n', /:3: not a valid INI line/],
  ];
  for (const [text, re] of cases) {
    const f = cfgFile(text);
    const r = sl(['load-postgres', '--config', f]);
    assert.equal(r.code, 2, text);
    const l = oneLineError(r);
    assert.ok(l.startsWith(`songlake load-postgres: error: ${f}:`), l);
    assert.match(l, re);
    assert.ok(!l.includes('SEKRIT'), 'no secret in the message');
  }
  const missing = sl(['load-postgres', '--config', path.join(d, 'missing.cfg')]);
  assert.equal(missing.code, 2);
  assert.match(oneLineError(missing), /missing\.cfg: No such file/);
});

test('load-postgres: the lake and DSN come from the file, flags win, no DSN is printed', () => {
  const secret = 'pw-SEKRIT-9';
  const f = cfgFile(`[songlake]\nout = ${noLake('file')}\npostgres = host=127.0.0.1 port=1 user=u password=${secret}\n`);
  // the lake from out=
  let r = sl(['load-postgres', '--config', f]);
  assert.equal(r.code, 1, r.err);
  assert.ok(oneLineError(r).includes(noLake('file')), r.err);
  // --lake wins over out=
  r = sl(['load-postgres', '--config', f, '--lake', noLake('flag')]);
  assert.equal(r.code, 1);
  const l = oneLineError(r);
  assert.ok(l.includes(noLake('flag')) && !l.includes(noLake('file')), l);
  // the DSN from postgres=: a lake that exists, a server that does not
  const lake = path.join(d, 'pg-lake');
  assert.equal(sl(['build', '--quiet', '--threads', '1', '--out', lake]).code, 0);
  r = sl(['load-postgres', '--config', f, '--lake', lake]);
  assert.equal(r.code, 1);
  assert.match(oneLineError(r), /cannot connect to PostgreSQL \(host=127\.0\.0\.1 port=1 .*\)/);
  assert.ok(!(r.out + r.err).includes(secret), 'the password of the DSN is never printed');
  // --dsn wins over postgres=
  r = sl(['load-postgres', '--config', f, '--lake', lake, '--dsn', `host=127.0.0.1 port=2 password=${secret}`]);
  assert.equal(r.code, 1);
  assert.match(oneLineError(r), /port=2/);
  assert.ok(!(r.out + r.err).includes(secret));
  // without a DSN anywhere: say where one can come from
  const nodsn = cfgFile(`[songlake]\nout = ${lake}\n`);
  r = sl(['load-postgres', '--config', nodsn]);
  assert.equal(r.code, 2);
  assert.match(oneLineError(r), /--dsn CONNINFO is required .*postgres= in \[songlake\] of --config/);
  r = sl(['load-postgres', '--dsn', '']);
  assert.equal(r.code, 2);
  assert.match(oneLineError(r), /--lake URI is required .*out= in \[songlake\]/);
  // an unknown option is named without its value; a stray argument not at all
  r = sl(['load-postgres', '--config', nodsn, `--dns=postgresql://u:${secret}@h/db`]);
  assert.equal(r.code, 2);
  assert.match(oneLineError(r), /unknown option --dns \(did you mean --dsn\?\)/);
  assert.ok(!r.err.includes(secret));
  r = sl(['load-postgres', '--config', nodsn, `postgresql://u:${secret}@h/db`]);
  assert.equal(r.code, 2);
  assert.match(oneLineError(r), /unexpected argument 3/);
  assert.ok(!r.err.includes(secret));
});
