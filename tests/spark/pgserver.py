"""A throwaway PostgreSQL server for the Spark checks, as
tests/postgres/pgserver.mjs starts one for the node tests: initdb in a
temporary directory (locale C, so text sorts bytewise as in Spark and
DuckDB), listening on 127.0.0.1 at a free port and on a Unix socket in that
directory, superuser `songlake` trusted. As root the server runs as the
`postgres` system user. stop() (also at exit, and by a watchdog if this
process dies without exiting cleanly) removes it."""
import atexit
import os
import shutil
import socket
import subprocess
import tempfile

PGBIN = os.environ.get("SONGLAKE_PG_BIN", "/usr/lib/postgresql/15/bin")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self):
        self.root = os.getuid() == 0
        self.dir = tempfile.mkdtemp(prefix="songlake-pg-")
        if self.root:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        self.port = _free_port()
        self.dsn = f"host=127.0.0.1 port={self.port} user=songlake dbname=postgres"
        self.stopped = False
        atexit.register(self.stop)
        try:
            self._as_server([os.path.join(PGBIN, "initdb"), "-D", self.data, "-U", "songlake", "-A", "trust",
                             "-E", "UTF8", "--locale=C", "--no-sync"])
            hba = os.path.join(self.dir, "hba.conf")
            with open(hba, "w") as f:
                f.write("local all songlake trust\nhost all songlake 127.0.0.1/32 trust\n")
            if self.root:
                shutil.chown(hba, "postgres")
            opts = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir} "
                    f"-c fsync=off -c hba_file={hba}")
            self._as_server([os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-l", os.path.join(self.dir, "log"),
                             "-w", "-t", "60", "-o", opts, "start"])
        except Exception:
            log = ""
            try:
                log = open(os.path.join(self.dir, "log")).read()
            except OSError:
                pass
            self.stop()
            raise RuntimeError(f"PostgreSQL did not start\n{log}")
        stop = f"'{os.path.join(PGBIN, 'pg_ctl')}' -D '{self.data}' -m immediate stop"
        if self.root:
            stop = "runuser -u postgres -- " + stop
        subprocess.Popen(["sh", "-c", f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
                          f"if [ -d '{self.data}' ]; then {stop} >/dev/null 2>&1; rm -rf '{self.dir}'; fi"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)

    def _as_server(self, cmd):
        if self.root:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: {r.returncode}: {r.stderr}{r.stdout}")

    def query(self, sql, schema=None):
        """Rows of one query as lists of strings (None for NULL)."""
        env = dict(os.environ, PGTZ="UTC")
        if schema:
            env["PGOPTIONS"] = f"-c search_path={schema}"
        r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.dir,
                            "-p", str(self.port), "-U", "songlake", "-d", "postgres",
                            "-F", "\x1f", "-R", "\x1e", "-P", "null=\x15", "-c", sql],
                           capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise RuntimeError(f"psql: {r.stderr.strip()}")
        out = r.stdout.rstrip("\n")
        if not out:
            return []
        return [[None if v == "\x15" else v for v in rec.split("\x1f")] for rec in out.split("\x1e")]

    def stop(self):
        if self.stopped:
            return
        self.stopped = True
        try:
            self._as_server([os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop"])
        except Exception:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
