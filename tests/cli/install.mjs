// Installed as a user would install it: `cmake --install` into a temporary
// prefix, the prefix moved elsewhere (nothing may depend on where it was
// installed), the source and build trees hidden (a tmpfs over them, in a
// mount namespace of this process only), then the installed `songlake
// build` with no input flags runs on the installed sample, `man -l` reads
// the installed page without a warning, and bash completes from the
// installed script. And `cpack` makes a .deb whose contents and declared
// dependencies dpkg-deb shows.
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, after } from 'node:test';

const buildDir = process.env.SONGLAKE_BUILD_DIR;
const srcDir = process.env.SONGLAKE_SOURCE_DIR;
const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-install-')));
after(() => fs.rmSync(d, { recursive: true, force: true }));

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function ok(cmd, args, opts) {
  const r = run(cmd, args, opts);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')}:\n${r.err}\n${r.out}`);
  return r;
}
const have = (p) => run('sh', ['-c', `command -v ${p}`]).code === 0;
const sq = (s) => `'${s.replaceAll("'", "'\\''")}'`;

const FILES = ['bin/songlake', 'share/man/man1/songlake.1', 'share/bash-completion/completions/songlake',
  'share/zsh/vendor-completions/_songlake', 'share/songlake/sparkify-sample/song_data',
  'share/songlake/sparkify-sample/log_data', 'share/doc/songlake/README.md'];

test('cmake --install: a relocatable prefix that runs with the trees out of reach', () => {
  const first = path.join(d, 'first');
  ok('cmake', ['--install', buildDir, '--prefix', first]);
  const prefix = path.join(d, 'moved', 'prefix');
  fs.mkdirSync(path.dirname(prefix));
  fs.renameSync(first, prefix);
  for (const f of FILES) assert.ok(fs.existsSync(path.join(prefix, f)), f);
  const songs = fs.readdirSync(path.join(prefix, 'share/songlake/sparkify-sample/song_data'), { recursive: true })
    .filter((f) => f.endsWith('.json'));
  assert.equal(songs.length, 71);
  // the installed binary, run from an unrelated directory, with the source
  // and build trees replaced by empty directories
  const lake = path.join(d, 'lake');
  const bin = path.join(prefix, 'bin', 'songlake');
  const hide = [buildDir, srcDir].map((p) => `mount -t tmpfs none ${sq(p)}`).join(' && ');
  const script = `${hide} && test ! -e ${sq(path.join(srcDir, 'data'))} && cd ${sq(d)} && ` +
    `${sq(bin)} build --out ${sq(lake)} --threads 2 && ${sq(bin)} --version`;
  const hidden = run('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs none /mnt && echo yes']);
  let r;
  if (hidden.code === 0) {
    r = ok('unshare', ['-m', 'sh', '-c', script]);
  } else {
    // no mount namespace here (not root): the trees stay, the prefix still moved
    console.log(`# unshare -m unavailable (${hidden.err.trim()}): trees not hidden`);
    r = ok('sh', ['-c', script.slice(script.indexOf('cd '))]);
  }
  assert.match(r.out, /^songplays\s+6820\s/m);
  assert.match(r.out, /^songlake \d+\.\d+\.\d+\ncommit: \S+\nbuilt: \d{4}-\d\d-\d\d\n/m);
  const rep = JSON.parse(fs.readFileSync(path.join(lake, '_songlake', 'report.json'), 'utf8'));
  assert.equal(rep.options.songs, path.join(prefix, 'share/songlake/sparkify-sample/song_data'));
  assert.equal(rep.tables.users.rows, 97);
  // without the sample, the error says where it looked and what to do
  fs.renameSync(path.join(prefix, 'share/songlake'), path.join(prefix, 'share/elsewhere'));
  const e = run(bin, ['build', '--out', path.join(d, 'lake2')], { env: { ...process.env, SONGLAKE_DATA_DIR: '' } });
  assert.equal(e.code, 2);
  assert.match(e.err, /^songlake build: error: no --songs\/--logs given and no bundled sample found \(looked in .*share\/songlake\/sparkify-sample.*\); give --songs and --logs/);
  fs.renameSync(path.join(prefix, 'share/elsewhere'), path.join(prefix, 'share/songlake'));

  // the installed man page: one section per command, no groff warning
  if (have('man')) {
    const m = ok('man', ['--warnings', '-l', path.join(prefix, 'share/man/man1/songlake.1')],
      { env: { ...process.env, MANWIDTH: '100', MANPAGER: 'cat', PAGER: 'cat' } });
    assert.equal(m.err, '', 'no groff warnings');
    for (const s of ['SONGLAKE BUILD', 'SONGLAKE INSPECT', 'SONGLAKE LOAD-POSTGRES', 'SONGLAKE GENERATE', 'EXIT STATUS'])
      assert.match(m.out, new RegExp(`^${s}`, 'm'), s);
    assert.match(m.out, /--dry-run/);
    // `man songlake` finds it where the prefix put it
    const w = ok('man', ['-w', 'songlake'], { env: { ...process.env, MANPATH: path.join(prefix, 'share/man') } });
    assert.equal(w.out.trim(), path.join(prefix, 'share/man/man1/songlake.1'));
    assert.match(m.out, /Config key: s3_part_size = BYTES/);
  }
  // the installed bash completion, sourced in bash
  const comp = path.join(prefix, 'share/bash-completion/completions/songlake');
  const complete = (...words) => ok('bash', ['-c', `source ${sq(comp)}; COMP_WORDS=(${words.map(sq).join(' ')}); ` +
    `COMP_CWORD=${words.length - 1}; _songlake; printf '%s\\n' "\${COMPREPLY[@]}"`]).out.trim().split('\n');
  assert.deepEqual(complete('songlake', 'lo'), ['load-postgres']);
  assert.deepEqual(complete('songlake', 'build', '--comp'), ['--compression']);
  assert.deepEqual(complete('songlake', 'build', '--compression', ''), ['snappy', 'zstd', 'gzip', 'none']);
  assert.deepEqual(complete('songlake', 'load-postgres', '--s3-max-a'), ['--s3-max-attempts']);
  assert.ok(complete('songlake', 'build', '--').includes('--dry-run'));
  // zsh: the script parses, and hands _describe / _arguments the commands
  // and each command's flags (stubs print what they are given)
  if (have('zsh')) {
    const zcomp = path.join(prefix, 'share/zsh/vendor-completions/_songlake');
    ok('zsh', ['-n', zcomp]);
    const zsh = (...words) => ok('zsh', ['-f', '-c', `words=(${words.map(sq).join(' ')}); CURRENT=${words.length}; ` +
      `_arguments() { print -rl -- "$@" }; _describe() { print -rl -- "\${(@P)4}" }; source ${sq(zcomp)}`]).out;
    assert.match(zsh('songlake', 'b'), /^build:read song files/m);
    const b = zsh('songlake', 'build', '--co');
    assert.match(b, /^--compression=\[[^\]]+\]:CODEC:\(snappy zstd gzip none\)$/m);
    assert.match(b, /^--songs=\[[^\]]+\]:URI:_files$/m);
    assert.match(b, /^--dry-run\[/m);
    assert.match(zsh('songlake', 'inspect', 'x'), /^\*:TARGET:_files$/m);
  }
});

test('cpack: a .deb with the same files under /usr and its dependencies declared', { skip: !have('dpkg-deb') && 'no dpkg-deb' }, () => {
  const out = path.join(d, 'deb');
  ok('cpack', ['--config', path.join(buildDir, 'CPackConfig.cmake'), '-B', out]);
  const debs = fs.readdirSync(out).filter((f) => f.endsWith('.deb'));
  assert.equal(debs.length, 1, debs.join(' '));
  const deb = path.join(out, debs[0]);
  const info = ok('dpkg-deb', ['-I', deb]).out;
  assert.match(info, /Package: songlake/);
  assert.match(info, /Version: \d+\.\d+\.\d+/);
  const dep = info.match(/^ Depends: (.*)$/m);
  assert.ok(dep, info);
  for (const lib of ['libc6', 'libcurl', 'libexpat1', 'libsnappy1v5', 'libzstd1', 'zlib1g', 'libpq5', 'libinih1'])
    assert.ok(dep[1].includes(lib), `Depends names ${lib}: ${dep[1]}`);
  const list = ok('dpkg-deb', ['-c', deb]).out;
  for (const f of FILES) assert.ok(list.includes(`./usr/${f}`), `the .deb holds /usr/${f}`);
  // unpacked anywhere, it runs on its own sample
  const root = path.join(d, 'unpacked');
  ok('dpkg-deb', ['-x', deb, root]);
  const r = ok(path.join(root, 'usr/bin/songlake'), ['build', '--dry-run', '--out', path.join(d, 'x')]);
  assert.ok(r.out.includes(path.join(root, 'usr/share/songlake/sparkify-sample/song_data')), r.out);
});
