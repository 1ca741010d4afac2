// Several "hosts" on one machine for the MPI tests: each host is a network
// namespace of its own (own address, own loopback, own hostname through a
// UTS namespace), all wired to one bridge that lives in a namespace of its
// own too, so parallel runs can use the same subnet without meeting (only
// namespace names are global: they carry this process's pid, so a run that
// was killed before its clean-up is swept by the next one). Open MPI starts
// its daemons into the hosts through `plm_rsh_agent`, a wrapper around
// `ip netns exec` written here, and talks TCP between them (`btl tcp,self`,
// both interface lists set to the bridge's subnet), as across real hosts.
// Needs root (CI runs as root). The file system stays shared, as NFS would.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SUBNET = '10.199.0';
const PREFIX = 'slmpi';
export const hostAddr = (i) => `${SUBNET}.${i + 1}`;
export const hostName = (i) => `node${i}`;

const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
const ipQuiet = (...args) => spawnSync('ip', args, { stdio: 'ignore' });

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function nsPids(ns) {
  const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split(/\s+/).filter(Boolean).map(Number) : [];
}

// Kills what runs in the namespaces and deletes them.
function teardown(names) {
  teardownPids(names);
  for (const n of names) ipQuiet('netns', 'del', n);
}

// Namespaces left by a run of these tests that was killed (its pid is gone).
function sweep() {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  const stale = new Set();
  for (const line of (r.stdout || '').split('\n')) {
    const m = /^(slmpi(\d+)x[0-9a-f]+)-\S+/.exec(line);
    if (m && !alive(Number(m[2]))) stale.add(line.split(' ')[0]);
  }
  if (stale.size) teardown([...stale]);
}

export class Cluster {
  // n hosts, `slots` ranks each; mpirun runs on host 0 (the head node).
  constructor(n, { slots = 2 } = {}) {
    sweep();
    this.n = n;
    this.id = `${PREFIX}${process.pid}x${Math.floor(Math.random() * 0xffff).toString(16)}`;
    this.sw = `${this.id}-sw`;
    this.hosts = Array.from({ length: n }, (_, i) => `${this.id}-h${i}`);
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-hosts-'));
    this.down = () => {
      if (this.isDown) return;
      this.isDown = true;
      teardown([...this.hosts, this.sw]);
      fs.rmSync(this.dir, { recursive: true, force: true });
    };
    // first of the exit handlers: the temp dirs go only once nothing writes
    // into them any more (an rm racing a rank throws, and exit stops there)
    process.prependListener('exit', this.down);
    for (const s of ['SIGINT', 'SIGTERM']) process.once(s, () => process.exit(130));
    ip('netns', 'add', this.sw);
    ip('-n', this.sw, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', this.sw, 'link', 'set', 'br0', 'up');
    this.hosts.forEach((h, i) => {
      ip('netns', 'add', h);
      ip('-n', this.sw, 'link', 'add', `p${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h);
      ip('-n', this.sw, 'link', 'set', `p${i}`, 'master', 'br0', 'up');
      ip('-n', h, 'addr', 'add', `${hostAddr(i)}/24`, 'dev', 'eth0');
      ip('-n', h, 'link', 'set', 'eth0', 'up');
      ip('-n', h, 'link', 'set', 'lo', 'up');
    });
    this.hostfile = path.join(this.dir, 'hosts');
    fs.writeFileSync(this.hostfile, this.hosts.map((_, i) => `${hostAddr(i)} slots=${slots}\n`).join(''));
    // Open MPI calls the agent as `agent HOST COMMAND...`, like ssh
    this.agent = path.join(this.dir, 'netns-rsh');
    fs.writeFileSync(this.agent, `#!/bin/sh
# plm_rsh_agent for the test hosts: "$1" is a host address, the rest the
# daemon's command line, run by a shell as ssh would
while [ "\${1#-}" != "$1" ]; do shift; done
n=\${1##*.}; shift
exec ip netns exec ${this.id}-h$((n - 1)) unshare --uts sh -c "hostname node$((n - 1)); $*"
`, { mode: 0o755 });
  }

  // The mpirun arguments that put ranks on the hosts (one rank per host
  // first, then round again: --map-by node) over TCP on the bridge only.
  mpirunArgs(np) {
    return ['--hostfile', this.hostfile, '-np', String(np), '--map-by', 'node',
      '--mca', 'plm_rsh_agent', this.agent, '--mca', 'plm_rsh_no_tree_spawn', '1',
      '--mca', 'btl', 'tcp,self', '--mca', 'btl_tcp_if_include', `${SUBNET}.0/24`,
      '--mca', 'oob_tcp_if_include', `${SUBNET}.0/24`];
  }

  // Spawns `cmd args` on host i (its namespace and hostname).
  spawnOn(i, cmd, args, opts = {}) {
    return spawn('ip', ['netns', 'exec', this.hosts[i], 'unshare', '--uts', 'sh', '-c',
      `hostname ${hostName(i)} && exec "$0" "$@"`, cmd, ...args], opts);
  }

  // Runs mpirun on host 0; resolves { code, signal, out, err, exitedAt }.
  // A run still going after limitMs is killed (every process on the hosts).
  mpirun(mpirunExe, np, cmdArgs, { env = {}, extra = [], limitMs = 300000, onStart } = {}) {
    const child = this.spawnOn(0, mpirunExe, [...this.mpirunArgs(np), ...extra, ...cmdArgs], {
      env: { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '', err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const limit = setTimeout(() => {
      err += `\n[test: still running after ${limitMs} ms: killed]\n`;
      teardownPids(this.hosts);
    }, limitMs);
    if (onStart) onStart(child);
    return new Promise((resolve) => child.on('close', (code, signal) => {
      clearTimeout(limit);
      resolve({ code, signal, out, err, exitedAt: performance.now() });
    }));
  }

  // Pids of songlake processes on host i.
  songlakePids(i) {
    return nsPids(this.hosts[i]).filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'songlake';
      } catch {
        return false;
      }
    });
  }
  pids(i) {
    return nsPids(this.hosts[i]);
  }
  // Pulls host i's cable out at the switch, and puts it back.
  cut(i) {
    ip('-n', this.sw, 'link', 'set', `p${i}`, 'down');
  }
  mend(i) {
    ip('-n', this.sw, 'link', 'set', `p${i}`, 'up');
  }
  // Kills every process still on the hosts (between runs).
  killAll() {
    teardownPids(this.hosts);
  }
}

// SIGKILLs every process in the namespaces, until none is left.
function teardownPids(names) {
  for (let round = 0; round < 20; round++) {
    const pids = names.flatMap(nsPids);
    if (!pids.length) return;
    for (const p of pids) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    spawnSync('sleep', ['0.05']);
  }
}
