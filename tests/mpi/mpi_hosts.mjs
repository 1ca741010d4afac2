// `songlake build` across three hosts (network namespaces on a bridge, each
// with its own address and hostname: hosts.mjs), Open MPI over TCP only,
// launched into the hosts through its rsh agent, with the settings songlake
// ships (src/dist/songlake.tune): -np 3 (one rank per host) and -np 6 (two)
// write the single-process lake, table for table, on the bundled sample and
// on a generated set with rejects and first-wins records across ranks.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { bin, buildOk, duck, lakeTable, sample, srcDir, tmpdir } from '../e2e/lib.mjs';
import { dirtySet, sameLake, writerRanks } from './data.mjs';
import { Cluster, hostName } from './hosts.mjs';

const mpirun = process.argv[2];
const tune = path.join(srcDir, 'src', 'dist', 'songlake.tune');
let cl, db;
before(async () => {
  cl = new Cluster(3, { slots: 2 });
  db = await duck();
});
after(() => {
  db?.close();
  cl?.down();
});

test('ranks run on three hosts of their own, over TCP', async () => {
  const r = await cl.mpirun(mpirun, 6, ['sh', '-c', 'echo "$OMPI_COMM_WORLD_RANK $(hostname) ' +
    '$(ip -4 -o addr show eth0 | tr -s " " | cut -d" " -f4)"'], { extra: ['--tune', tune] });
  assert.equal(r.code, 0, r.err);
  const seen = r.out.trim().split('\n').map((l) => l.split(' ')).sort((a, b) => a[0] - b[0]);
  assert.deepEqual(seen.map(([rank, host, addr]) => [rank, host, addr]), [0, 1, 2, 3, 4, 5].map((k) =>
    [String(k), hostName(k % 3), `10.199.0.${(k % 3) + 1}/24`]), 'round robin over the hosts (--map-by node)');
});

test('-np 3 and -np 6 across hosts equal the single-process build', async () => {
  const { dir: gen, first } = dirtySet(tmpdir('hosts-gen'));
  for (const [name, root] of [['sample', sample], ['generated', gen]]) {
    const songs = path.join(root, 'song_data'), logs = path.join(root, 'log_data');
    const single = path.join(tmpdir('hosts-single'), 'lake');
    buildOk(['--songs', songs, '--logs', logs, '--out', single, '--threads', '1']);
    for (const np of [3, 6]) {
      const out = path.join(tmpdir(`hosts-${np}`), 'lake');
      const r = await cl.mpirun(mpirun, np, [bin, 'build', '--quiet', '--threads', '1', '--songs', songs,
        '--logs', logs, '--out', out], { extra: ['--tune', tune] });
      assert.equal(r.code, 0, `${name}, -np ${np}: ${r.err}`);
      await sameLake(db, out, single, `${name}, -np ${np} on 3 hosts`);
      const report = JSON.parse(fs.readFileSync(path.join(out, '_songlake', 'report.json'), 'utf8'));
      assert.equal(report.options.ranks, np, 'the report counts the ranks');
      assert.ok(writerRanks(out, 'songplays').size > 1, 'songplays written by several ranks');
      if (name === 'generated') {
        assert.equal(writerRanks(out, 'songs').size, np, 'every rank writes its share of songs');
        const t = await db.all(`SELECT title FROM ${lakeTable(out, 'songs')} WHERE song_id = '${first.song_id}'`);
        assert.deepEqual(t.map((x) => x.title), ['first copy'], 'the first record in input order wins');
      }
      console.log(`${name}: -np ${np} on 3 hosts equals the single-process build`);
    }
  }
});
