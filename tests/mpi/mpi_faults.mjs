// Faults across three hosts (hosts.mjs), with the settings songlake ships
// (src/dist/songlake.tune, the default --mpi-timeout): a run of -np 3, one
// rank per host, over a previous lake, and mid-run (once the last rank has
// written songplays files into the staging directory)
//   - host 2's cable is pulled at the switch,
//   - rank 1 is SIGKILLed,
//   - mpirun gets SIGTERM (a scheduler's time limit),
//   - rank 2 gets SIGTERM,
//   - rank 1 hangs (SIGSTOP) on a live host, with --mpi-timeout 5.
// Each must end non-zero within the documented bound (docs/mpi.md: 60 s
// after the fault; asserted with 30 s to spare for a loaded machine), say
// which rank and host was lost, leave the previous lake byte for byte, leave
// no songlake process on any host, and the next run must succeed and write
// the same lake, byte for byte (the first -np 3 lake has the single-process
// build's counts and rejects; mpi_hosts compares the rows).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { bin, buildOk, srcDir, tmpdir } from '../e2e/lib.mjs';
import { generate, lakeHashes, sameReport } from './data.mjs';
import { Cluster } from './hosts.mjs';

const mpirun = process.argv[2];
const EVENTS = Number(process.argv[3] || 2000000); // fewer for a sanitized build (CMakeLists.txt)
const tune = path.join(srcDir, 'src', 'dist', 'songlake.tune');
const BOUND = 60; // seconds from a fault to the end of the job (docs/mpi.md)
const SLACK = 30;
let cl, gen, ref, out, previous;

const buildArgs = () => [bin, 'build', '--quiet', '--threads', '1', '--songs', path.join(gen, 'song_data'),
  '--logs', path.join(gen, 'log_data'), '--out', out];
const withoutReport = (h) => Object.fromEntries(Object.entries(h).filter(([f]) => f !== '_songlake/report.json'));
let lake; // the -np 3 lake's hashes but the report's (run id, timings)

before(async () => {
  cl = new Cluster(3, { slots: 1 });
  // big enough that every rank still works a few seconds after the last one
  // starts writing songplays (~900 MB of logs at 2,000,000 events)
  gen = generate(tmpdir('faults-gen'), { songs: 3000, events: EVENTS, days: 30, seed: 3 });
  ref = path.join(tmpdir('faults-ref'), 'lake');
  out = path.join(tmpdir('faults-out'), 'lake');
  buildOk(['--songs', path.join(gen, 'song_data'), '--logs', path.join(gen, 'log_data'), '--out', ref,
    '--threads', '1']);
  // the previous lake: the same build across the hosts, checked once
  // against the single process; a later run writes the same bytes
  const r = await cl.mpirun(mpirun, 3, buildArgs(), { extra: ['--tune', tune] });
  assert.equal(r.code, 0, r.err);
  sameReport(out, ref, '-np 3 on 3 hosts'); /* the rows: mpi_hosts */
  previous = lakeHashes(out);
  lake = withoutReport(previous);
});
after(() => {
  cl?.down();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const stagingDirs = () => fs.readdirSync(out).filter((e) => e.startsWith('.songlake-staging-'));

// true once rank `rank` has a songplays file in a staging dir not in `old`
// (a killed run's leftovers hold files of every rank)
function rankWriting(rank, old) {
  for (const e of stagingDirs()) {
    if (old.includes(e)) continue;
    const stack = [path.join(out, e, 'songplays')];
    while (stack.length) {
      const d = stack.pop();
      let ents;
      try {
        ents = fs.readdirSync(d, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const x of ents) {
        if (x.isDirectory()) stack.push(path.join(d, x.name));
        else if (x.name.startsWith(`part-${String(rank).padStart(5, '0')}`)) return true;
      }
    }
  }
  return false;
}

// The pid of the songlake rank on host i.
function rankPid(i) {
  const pids = cl.songlakePids(i);
  assert.equal(pids.length, 1, `one songlake process on host ${i}: ${pids}`);
  return pids[0];
}

// Runs the build, injects the fault mid-run, returns what happened.
async function faulted(name, inject, { flags = [], bound = BOUND } = {}) {
  let child = null, exited = false;
  const old = stagingDirs();
  const run = cl.mpirun(mpirun, 3, [...buildArgs(), ...flags], {
    extra: ['--tune', tune], limitMs: 240000, onStart: (c) => { child = c; c.on('exit', () => (exited = true)); },
  });
  const t0 = performance.now();
  while (!exited && !rankWriting(2, old) && performance.now() - t0 < 120000) await sleep(20);
  assert.ok(!exited, `${name}: the run ended before the fault could land`);
  assert.ok(rankWriting(2, old), `${name}: rank 2 never started writing`);
  const at = performance.now();
  try {
    inject(child);
  } catch (e) {
    cl.killAll();
    await run;
    throw e;
  }
  const r = await run;
  const secs = (r.exitedAt - at) / 1000;
  console.log(`${name}: exit ${r.code ?? r.signal} ${secs.toFixed(1)} s after the fault ` +
    `(${((at - t0) / 1000).toFixed(1)} s into the run)`);
  assert.notEqual(r.code, 0, `${name}: non-zero exit\n${r.err}`);
  assert.ok(secs < bound + SLACK, `${name}: ended ${secs.toFixed(1)} s after the fault\n${r.err}`);
  // every rank ends by itself, the cut-off one too (its watchdog)
  let left = [0, 1, 2].flatMap((i) => cl.songlakePids(i));
  while (left.length && performance.now() - at < (2 * BOUND + SLACK) * 1000) {
    await sleep(200);
    left = [0, 1, 2].flatMap((i) => cl.songlakePids(i));
  }
  const gone = (performance.now() - at) / 1000;
  assert.deepEqual(left, [], `${name}: songlake processes left on the hosts`);
  console.log(`${name}: every rank gone ${gone.toFixed(1)} s after the fault`);
  cl.killAll(); // a cut-off host's orted waits for TCP's retransmissions
  return r;
}

async function afterwards(name) {
  const t = performance.now();
  assert.deepEqual(lakeHashes(out), previous, `${name}: the previous lake is byte for byte intact`);
  const r = await cl.mpirun(mpirun, 3, buildArgs(), { extra: ['--tune', tune] });
  assert.equal(r.code, 0, `${name}: the next run: ${r.err}`);
  previous = lakeHashes(out);
  assert.deepEqual(withoutReport(previous), lake, `${name}: the next run writes the same lake`);
  console.log(`${name}: the next run wrote the same lake (${((performance.now() - t) / 1000).toFixed(1)} s)`);
}

test('a host cut off the network mid-run', async () => {
  const r = await faulted('link cut', () => cl.cut(2));
  cl.mend(2);
  assert.match(r.err, /songlake: error: lost rank 2 on host node2: no heartbeat for \d+ s/);
  await afterwards('link cut');
});

test('a rank killed with SIGKILL mid-run', async () => {
  const r = await faulted('SIGKILL', () => {
    process.kill(rankPid(1), 'SIGKILL');
  });
  assert.match(r.err, /process rank 1 with PID \d+ on node 10\.199\.0\.2 exited on signal 9/);
  await afterwards('SIGKILL');
});

test('SIGTERM to mpirun mid-run', async () => {
  const r = await faulted('SIGTERM to mpirun', (child) => {
    assert.equal(fs.readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim(), 'mpirun');
    process.kill(child.pid, 'SIGTERM');
  });
  // mpirun forwards it to every rank; the remote ranks' lines may be lost
  // as mpirun tears their daemons' output down, rank 0 is on its host
  assert.match(r.err, /rank 0 on host node0: stopped by SIGTERM/);
  await afterwards('SIGTERM to mpirun');
});

test('SIGTERM to one rank mid-run', async () => {
  const r = await faulted('SIGTERM to rank 2', () => {
    process.kill(rankPid(2), 'SIGTERM');
  });
  assert.match(r.err, /rank 2 on host node2: stopped by SIGTERM/);
  assert.match(r.err, /Exit code: +143/);
  await afterwards('SIGTERM to rank 2');
});

test('a rank that hangs on a live host, with --mpi-timeout 5', async () => {
  const r = await faulted('SIGSTOP, --mpi-timeout 5', () => {
    process.kill(rankPid(1), 'SIGSTOP');
  }, { flags: ['--mpi-timeout', '5'], bound: 2 * 5 }); // the line after 5 s, the abort 5 s later
  assert.match(r.err, /lost rank 1 on host node1: no heartbeat for \d+ s .*--mpi-timeout 5/);
  assert.equal(r.err.match(/lost rank/g).length, 1, `one rank says it, once:\n${r.err}`);
  await afterwards('SIGSTOP');
});
