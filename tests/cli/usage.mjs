// One option table per command, through the real binary: every command
// takes --opt value and --opt=value, refuses an unknown flag with a
// suggestion, and exits 2 with one line `songlake <cmd>: error: ...` on
// every usage error; `help <cmd>` is `<cmd> --help`; the man page and the
// completions name exactly the flags of --help; s3a:// and s3n:// are s3://,
// other schemes are refused; --dry-run writes nothing.
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, after } from 'node:test';

const bin = process.env.SONGLAKE_BIN;
const d = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-usage-'));
after(() => fs.rmSync(d, { recursive: true, force: true }));
const COMMANDS = ['build', 'inspect', 'load-postgres', 'generate'];

function sl(args, opts = {}) {
  const r = spawnSync(bin, args, { encoding: 'utf8', cwd: d, ...opts });
  return { code: r.status, out: r.stdout, err: r.stderr, signal: r.signal };
}
function usageError(args, re, opts) {
  const r = sl(args, opts);
  assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.err}`);
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 1, `one line for ${args.join(' ')}:\n${r.err}`);
  const cmd = COMMANDS.includes(args[0]) ? args[0] : null;
  assert.match(lines[0], new RegExp(`^songlake${cmd ? ' ' + cmd : ''}: error: `));
  if (re) assert.match(lines[0], re);
  assert.equal(r.out, '', 'nothing on stdout');
  return lines[0];
}
// the flags --help lists, per command
function helpFlags(cmd) {
  const r = sl([cmd, '--help']);
  assert.equal(r.code, 0);
  return new Set([...r.out.matchAll(/^ {2}--([a-z0-9-]+)/gm)].map((m) => m[1]).filter((f) => f !== 'help'));
}

test('every command: unknown option with a suggestion, exit 2, one line', () => {
  usageError(['build', '--threds', '2'], /unknown option --threds \(did you mean --threads\?\)$/);
  usageError(['inspect', '--jsn', 'x.parquet'], /unknown option --jsn \(did you mean --json\?\)$/);
  usageError(['load-postgres', '--lake', 'x', '--dns', 'h'], /unknown option --dns \(did you mean --dsn\?\)$/);
  usageError(['generate', '--event', '5'], /unknown option --event \(did you mean --events\?\)$/);
  usageError(['generate', '--zzzzzzzzzz'], /unknown option --zzzzzzzzzz \(see songlake generate --help\)$/);
  usageError(['frobnicate'], /unknown command 'frobnicate'/);
  usageError(['help', 'frobnicate'], /no command 'frobnicate'/);
});

test('every usage error exits 2 with the command prefix', () => {
  usageError(['generate', '--songs', '0', '--events', '1', '--out', path.join(d, 'g0')], /--songs '0': expected a number of song files from 1/);
  usageError(['generate', '--songs=x'], /--songs 'x'/);
  usageError(['generate', '--out', path.join(d, 'g1')], /--out, --songs and --events are required/);
  usageError(['generate', '--match-rate', '2'], /--match-rate '2': expected a number between 0 and 1/);
  usageError(['build', '--songs', ''], /--songs '': expected a path/);
  usageError(['build', '--log-level', 'loud'], /--log-level 'loud': expected one of error, warn, info, debug/);
  usageError(['build', '--verbose=1'], /--verbose takes no value/);
  usageError(['inspect'], /needs a TARGET/);
  usageError(['load-postgres', '--lake', 'x'], /--dsn CONNINFO is required/);
  usageError(['build', '--quiet'], /SONGLAKE_LOG 'shouty'/, { env: { ...process.env, SONGLAKE_LOG: 'shouty' } });
  assert.ok(!fs.existsSync(path.join(d, 'g0')) && !fs.existsSync(path.join(d, 'lake')), 'usage errors write nothing');
});

test('--opt=value and --opt value are the same for every command', () => {
  const a = sl(['generate', '--out', path.join(d, 'ga'), '--songs', '3', '--events', '40', '--days', '2', '--quiet']);
  const b = sl(['generate', `--out=${path.join(d, 'gb')}`, '--songs=3', '--events=40', '--days=2', '--quiet']);
  assert.equal(a.code, 0, a.err);
  assert.equal(b.code, 0, b.err);
  assert.equal(a.out + b.out, '', '--quiet');
  const list = (r) => fs.readdirSync(r, { recursive: true }).sort();
  assert.deepEqual(list(path.join(d, 'ga')), list(path.join(d, 'gb')));
  // the summary of generate goes to stdout, as build's does
  const c = sl(['generate', '--out', path.join(d, 'gc'), '--songs', '2', '--events', '10']);
  assert.equal(c.code, 0, c.err);
  assert.match(c.out, /^songlake generate: 2 song files/);
  assert.equal(c.err, '');
});

test('help <cmd> is <cmd> --help; man page and completions list the same flags', () => {
  const man = sl(['help', '--man']);
  assert.equal(man.code, 0);
  const bash = sl(['help', '--completion', 'bash']).out;
  const zsh = sl(['help', '--completion', 'zsh']).out;
  for (const cmd of COMMANDS) {
    assert.equal(sl(['help', cmd]).out, sl([cmd, '--help']).out, `help ${cmd}`);
    const flags = helpFlags(cmd);
    assert.ok(flags.size > 0, cmd);
    // the man page's section of this command names each flag, and no other
    const sec = man.out.split(/^\.SH /m).find((s) => s.startsWith(`"SONGLAKE ${cmd.toUpperCase()}"`));
    assert.ok(sec, `man section for ${cmd}`);
    const inMan = new Set([...sec.matchAll(/^\.BI? "?\\-\\-([a-z0-9\\-]+)/gm)].map((m) => m[1].replaceAll('\\-', '-')));
    assert.deepEqual([...inMan].sort(), [...flags].sort(), `man page flags of ${cmd}`);
    const bashOpts = bash.match(new RegExp(`^ {4}${cmd}\\)\\n {8}opts='([^']*)'`, 'm'));
    assert.ok(bashOpts, `bash completion for ${cmd}`);
    assert.deepEqual(bashOpts[1].split(' ').filter((f) => f !== '--help').sort(), [...flags].map((f) => `--${f}`).sort());
    for (const f of flags) assert.ok(zsh.includes(`'--${f}`), `zsh completion: ${cmd} --${f}`);
  }
  // config keys in the help come from the same table: every key listed is accepted
  const keys = sl(['build', '--help']).out.split('[songlake] keys of --config').pop();
  for (const k of ['songs=', 'out=', 'sync=', 'log_level=', 's3_part_size=']) assert.ok(keys.includes(k), k);
  usageError(['help', '--completion', 'fish'], /bash or zsh/);
});

test('s3a:// and s3n:// are s3://; other schemes are usage errors, never local paths', () => {
  const r = sl(['build', '--dry-run', '--out', 's3a://bucket/lake']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /s3:\/\/bucket\/lake\/songplays\/year=YYYY\/month=M\/part-NNNNN\.snappy\.parquet/);
  const n = sl(['build', '--dry-run', '--out', 's3n://b2/x', '--compression', 'zstd']);
  assert.match(n.out, /s3:\/\/b2\/x\/users\/part-NNNNN\.zstd\.parquet/);
  for (const uri of ['gs://b/lake', 'hdfs://nn/lake', 'abfss://c@a.dfs.core.windows.net/x', 'http://h/x'])
    usageError(['build', '--out', uri], /expected a local path or s3:\/\/bucket\/prefix/);
  usageError(['build', '--songs', 'gs://b/songs'], /--songs 'gs:\/\/b\/songs'/);
  usageError(['load-postgres', '--lake', 'gs://b/lake', '--dsn', ''], /--lake 'gs:\/\/b\/lake'/);
  // a [songlake] key is normalised as its flag is
  const cfg = path.join(d, 'scheme.cfg');
  fs.writeFileSync(cfg, '[songlake]\nout = wasb://x/y\n');
  usageError(['build', '--config', cfg], /scheme\.cfg:2: out = 'wasb:\/\/x\/y': expected a local path/);
  // an S3 input through s3n:// reaches the S3 client (here: nothing listens)
  const s = sl(['build', '--songs', 's3n://bucket/song_data', '--endpoint-url', 'http://127.0.0.1:9', '--no-sign-request', '--s3-max-attempts', '1', '--out', path.join(d, 'never')]);
  assert.equal(s.code, 1, s.err);
  assert.match(s.err, /s3:\/\/bucket\/song_data/);
  for (const junk of ['s3a:', 's3n:', 'gs:', 'never']) assert.ok(!fs.existsSync(path.join(d, junk)), `no local ${junk}`);
});

test('build --dry-run lists the inputs per source and writes nothing', () => {
  const out = path.join(d, 'dry-lake');
  const r = sl(['build', '--dry-run', '--out', out]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^songs\s+71\s+\d+\s+\S*song_data$/m);
  assert.match(r.out, /^logs\s+30\s+\d+\s+\S*log_data$/m);
  const bytes = Number(r.out.match(/^logs\s+30\s+(\d+)/m)[1]);
  const listed = [...r.out.matchAll(/^logs\s+(\d+)\s+(\S+)$/gm)];
  assert.equal(listed.length, 30, 'every log file is listed');
  assert.equal(listed.reduce((a, m) => a + Number(m[1]), 0), bytes);
  for (const m of listed) assert.equal(fs.statSync(m[2]).size, Number(m[1]));
  assert.deepEqual(listed.map((m) => m[2]), listed.map((m) => m[2]).slice().sort(), 'input order');
  for (const t of ['songplays', 'users', 'songs', 'artists', 'time']) assert.ok(r.out.includes(`${out}/${t}/`), t);
  assert.ok(!fs.existsSync(out), 'nothing written');
  // a missing input is the run's error (exit 1), as without --dry-run
  const m = sl(['build', '--dry-run', '--songs', path.join(d, 'nope'), '--out', out]);
  assert.equal(m.code, 1);
  assert.match(m.err, /^songlake build: error: --songs: .*nope/);
});

test('--verbose, --log-level and SONGLAKE_LOG reach the logger', () => {
  const out = path.join(d, 'verbose-lake');
  const plain = sl(['build', '--quiet', '--out', out]);
  assert.equal(plain.code, 0, plain.err);
  assert.equal(plain.err, '', 'a default run logs nothing');
  for (const [args, env] of [[['--verbose'], {}], [['--log-level', 'debug'], {}], [['--log-level=debug'], {}], [[], { SONGLAKE_LOG: 'debug' }]]) {
    const r = sl(['build', '--quiet', '--out', out, ...args], { env: { ...process.env, ...env } });
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^songlake: debug: listed 71 song files \(\d+ bytes\) and 30 log files/m, args.join(' '));
    assert.match(r.err, /^songlake: debug: star committed in/m);
  }
  // the flag wins over the environment
  const r = sl(['build', '--quiet', '--out', out, '--log-level', 'error'], { env: { ...process.env, SONGLAKE_LOG: 'debug' } });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
});
