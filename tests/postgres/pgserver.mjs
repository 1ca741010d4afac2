// A throwaway PostgreSQL server for the tests and the benchmark: initdb in
// a temporary directory, listening on 127.0.0.1 at a free port and on a
// Unix socket in that directory; stopped and removed on stop(), on exit and
// on failure. PostgreSQL refuses to run as root, so as root the server runs
// as the `postgres` system user (runuser) and owns the directory.
//
// pg_hba: the superuser `songlake` connects without a password (trust);
// every other role must give a SCRAM password over 127.0.0.1.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const PGBIN = process.env.SONGLAKE_PG_BIN || '/usr/lib/postgresql/15/bin';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function asServerUser(cmd, args, opts = {}) {
  const root = process.getuid && process.getuid() === 0;
  const [c, a] = root ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  const r = spawnSync(c, a, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const running = new Set();
process.on('exit', () => { for (const s of running) s.stop(); });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

export async function startPg() {
  const root = process.getuid && process.getuid() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'songlake-pg-'));
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    fs.chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  const port = await freePort();
  const startArgs = () => ['-D', data, '-l', path.join(dir, 'log'), '-w', '-t', '60', '-o',
    `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off ` +
    `-c hba_file=${path.join(dir, 'hba.conf')} -c password_encryption=scram-sha-256`, 'start'];
  const server = {
    dir, port, host: '127.0.0.1', user: 'songlake', db: 'postgres',
    dsn: `host=127.0.0.1 port=${port} user=songlake dbname=postgres`,
    stopped: false,
    stop() {
      if (this.stopped) return;
      this.stopped = true;
      running.delete(this);
      try { asServerUser(path.join(PGBIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']); } catch { /* gone */ }
      fs.rmSync(dir, { recursive: true, force: true });
    },
    // kills the server as a crash would (immediate: no clean shutdown,
    // recovery on start) and starts it again on the same port
    restart() {
      asServerUser(path.join(PGBIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      asServerUser(path.join(PGBIN, 'pg_ctl'), startArgs());
    },
    psql(sql, { db = 'postgres', user = 'songlake', allowFail = false } = {}) {
      const r = spawnSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port),
        '-U', user, '-d', db, '-c', sql], { encoding: 'utf8', maxBuffer: 1 << 30 });
      if (r.status !== 0 && !allowFail) throw new Error(`psql failed: ${r.stderr}\nSQL: ${sql}`);
      return allowFail ? r : r.stdout;
    },
  };
  running.add(server);
  try {
    asServerUser(path.join(PGBIN, 'initdb'), ['-D', data, '-U', 'songlake', '-A', 'trust', '-E', 'UTF8',
      '--locale=C', '--no-sync']);
    fs.writeFileSync(path.join(dir, 'hba.conf'), [
      'local all songlake trust',
      'local all all scram-sha-256',
      'host all songlake 127.0.0.1/32 trust',
      'host all all 127.0.0.1/32 scram-sha-256',
      '',
    ].join('\n'));
    if (root) execFileSync('chown', ['postgres', path.join(dir, 'hba.conf')]);
    asServerUser(path.join(PGBIN, 'pg_ctl'), startArgs());
  } catch (e) {
    let log = '';
    try { log = fs.readFileSync(path.join(dir, 'log'), 'utf8'); } catch { /* none */ }
    server.stop();
    throw new Error(`${e.message}\n${log}`);
  }
  // A watchdog for when this process dies without running its exit
  // handlers (SIGKILL, a CTest timeout): it stops the server and removes
  // the directory once this process is gone.
  const pgctl = path.join(PGBIN, 'pg_ctl');
  const stopCmd = root ? `runuser -u postgres -- '${pgctl}' -D '${data}' -m immediate stop`
    : `'${pgctl}' -D '${data}' -m immediate stop`;
  spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ` +
    `if [ -d '${data}' ]; then ${stopCmd} >/dev/null 2>&1; rm -rf '${dir}'; fi`],
  { detached: true, stdio: 'ignore' }).unref();
  return server;
}
