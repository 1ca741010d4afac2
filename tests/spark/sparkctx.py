"""What the Spark check modules share (tests/spark/spark_checks.py makes one
Context for the whole run):

- ctx.ok(msg) / ctx.fail(msg): count a check that held / record one that
  did not (the runner exits non-zero on any failure);
- ctx.bin, ctx.src: the songlake binary and the source tree (SONGLAKE_BIN,
  SONGLAKE_SOURCE_DIR, as CTest sets them); ctx.tmp: a temp dir removed at
  the end; ctx.songlake(*args): runs the binary, raising on failure;
- ctx.inputs(name) / ctx.lake(name): the inputs and a songlake build of
  them, made once per run: "sample" (the bundled real sample) and "gen"
  (`songlake generate`: 400 songs, 30,000 events, 30% of plays matching a
  song, so the star joins have rows to count);
- ctx.duck(): a DuckDB connection (UTC); ctx.duck_tables(lake): views of the
  five tables over read_parquet with hive partitioning, as a DuckDB user
  reads the lake;
- ctx.pg(): a PostgreSQL server (pgserver.PgServer), started on first use.
"""
import os
import shutil
import subprocess
import tempfile

TABLES = ["songplays", "users", "songs", "artists", "time"]
GEN = {"songs": 400, "events": 30000, "seed": 7, "match_rate": 0.3}


class Context:
    def __init__(self):
        self.bin = os.environ.get("SONGLAKE_BIN")
        self.src = os.environ.get("SONGLAKE_SOURCE_DIR",
                                  os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
        if not self.bin:
            self.bin = os.path.join(self.src, "build", "songlake")
        self.tmp = tempfile.mkdtemp(prefix="songlake-spark-")
        self.passed = 0
        self.failures = []
        self._inputs = {}
        self._lakes = {}
        self._duck = None
        self._pg = None

    def ok(self, msg):
        self.passed += 1
        print("ok   " + msg, flush=True)

    def fail(self, msg):
        self.failures.append(msg)
        print("FAIL " + msg, flush=True)

    def check(self, cond, msg):
        (self.ok if cond else self.fail)(msg)
        return cond

    def songlake(self, *args):
        r = subprocess.run([self.bin, *args], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"songlake {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
        return r

    def inputs(self, name):
        """(song_data, log_data) of a named input set."""
        if name not in self._inputs:
            if name == "sample":
                d = os.path.join(self.src, "data", "sparkify-sample")
            elif name == "gen":
                d = os.path.join(self.tmp, "gen-input")
                self.songlake("generate", "--quiet", "--out", d, "--songs", str(GEN["songs"]),
                              "--events", str(GEN["events"]), "--seed", str(GEN["seed"]),
                              "--match-rate", str(GEN["match_rate"]))
            else:
                raise KeyError(name)
            self._inputs[name] = (os.path.join(d, "song_data"), os.path.join(d, "log_data"))
        return self._inputs[name]

    def lake(self, name):
        """A local songlake build of the named inputs (made once)."""
        if name not in self._lakes:
            songs, logs = self.inputs(name)
            out = os.path.join(self.tmp, f"lake-{name}")
            self.songlake("build", "--quiet", "--songs", songs, "--logs", logs, "--out", out)
            self._lakes[name] = out
        return self._lakes[name]

    def duck(self):
        if self._duck is None:
            import duckdb
            self._duck = duckdb.connect()
            self._duck.execute("SET TimeZone = 'UTC'")
        return self._duck

    def duck_tables(self, lake):
        con = self.duck()
        for t in TABLES:
            con.execute(f"CREATE OR REPLACE VIEW {t} AS SELECT * FROM read_parquet("
                        f"'{lake}/{t}/**/*.parquet', hive_partitioning = true)")
        return con

    def pg(self):
        if self._pg is None:
            from pgserver import PgServer
            self._pg = PgServer()
        return self._pg

    def close(self):
        if self._pg is not None:
            self._pg.stop()
        if self._duck is not None:
            self._duck.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
