"""songlake build --format delta against real Delta readers.

Usage: delta_lake.py  (SONGLAKE_BIN, SONGLAKE_SOURCE_DIR from ctest)

On the bundled sample (71 song files, 30 log files):
- versions: 12 delta runs into one lake, run k over the first k+1 log files
  (so every version holds other rows), each beside a --format parquet build
  of the same inputs. delta-rs, polars and DuckDB's delta extension read
  every table at every version (time travel; version 10 is a checkpoint,
  11 replays past it) and must give exactly the rows of that parquet build;
- statistics: every add action of every commit against its file
  (numRecords, size, nullCount exact; min/max exact for numbers, ms bounds
  for timestamps, bounds and exact up to 32 characters for strings), and a
  pruned copy (files the stats exclude deleted) still answers a filter in
  DuckDB;
- the star record names every table's latest version; inspect (--json)
  lists every version with its rows;
- a conflicting writer: a version created behind songlake's back while the
  run is about to commit (the run paused in its first link(2) by strace)
  stops the run with one line, exit 3, nothing more committed; the next run
  rolls it back;
- SIGKILL (strace) at each of the six commit points (5 table versions, the
  star record): the next command (vacuum --dry-run) rolls back and every
  reader sees the previous star's rows in every table;
- `format = delta` in --config makes the same Delta lake;
- a format switch is refused (exit 2) both ways;
- under mpirun -np 2 (when built with Open MPI): two runs, both versions
  read as the parquet builds, each table's version holding both ranks' files;
- vacuum: --dry-run deletes nothing, the default retention deletes nothing,
  --retain-hours 0 deletes exactly the data files the latest versions do
  not hold (those older versions held and those of the killed and
  conflicting runs that no version names); the latest versions read the
  same; _delta_log and _songlake are untouched.
Exits non-zero on any failure.
"""
import datetime
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import duckdb
import duckdb_extensions
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from deltalake import DeltaTable

BIN = os.environ.get("SONGLAKE_BIN", "build/songlake")
SRC = os.environ.get("SONGLAKE_SOURCE_DIR", ".")
SAMPLE = os.path.join(SRC, "data", "sparkify-sample")
TABLES = {
    "songplays": ["songplayId", "user_id", "start_time", "level", "song_id", "artist_id",
                  "sessionId", "userAgent", "month", "year"],
    "users": ["userId", "firstName", "lastName", "gender", "level"],
    "songs": ["title", "artist_id", "year", "duration", "song_id"],
    "artists": ["artist_id", "artist_name", "artist_location", "artist_latitude",
                "artist_longitude"],
    "time": ["timestamp", "hour", "day", "week", "weekday", "month", "year"],
}
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL " + msg, flush=True)


def micros(v):
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        d = v - EPOCH
        return (d.days * 86400 + d.seconds) * 1000000 + d.microseconds
    return v


def canon_val(v):
    if isinstance(v, float) and math.isnan(v):
        return "NaN"
    if isinstance(v, datetime.datetime):
        return micros(v)
    if hasattr(v, "item"):  # numpy scalars
        v = v.item()
    return v


def canon(table, rows):
    cols = TABLES[table]
    out = []
    for r in rows:
        row = []
        for c in cols:
            v = canon_val(r.get(c))
            if c in ("year", "month") and isinstance(v, str):
                v = int(v)
            row.append(v)
        out.append(tuple(row))
    return sorted(out, key=repr)


def parquet_rows(lake, table):
    d = ds.dataset(os.path.join(lake, table), format="parquet", partitioning="hive")
    return canon(table, d.to_table().to_pylist())


def duck():
    con = duckdb.connect()
    duckdb_extensions.import_extension("delta", con=con)
    con.sql("SET TimeZone = 'UTC'")
    return con


CON = None


def readers(path, table, version):
    def duck_read():
        v = f", version := {version}" if version is not None else ""
        cur = CON.execute(f"SELECT * FROM delta_scan('{path}'{v})")
        names = [d[0] for d in cur.description]
        return canon(table, (dict(zip(names, r)) for r in cur.fetchall()))

    kw = {} if version is None else {"version": version}
    return {
        "delta-rs": lambda: canon(table, DeltaTable(path, **kw).to_pyarrow_table().to_pylist()),
        "polars": lambda: canon(table, pl.read_delta(path, **kw).to_dicts()),
        "duckdb": duck_read,
    }


def check_reads(lake, version, expect, what):
    """Every reader, every table, at `version` (None: latest) gives expect[table]."""
    ok = 0
    for t in TABLES:
        for name, read in readers(os.path.join(lake, t), t, version).items():
            try:
                got = read()
            except Exception as e:  # a reader refusing the table is a failure too
                fail(f"{what}: {name} {t}: {type(e).__name__}: {str(e)[:300]}")
                continue
            if got != expect[t]:
                extra = [r for r in got if r not in expect[t]][:2]
                missing = [r for r in expect[t] if r not in got][:2]
                fail(f"{what}: {name} {t}: {len(got)} rows, expected {len(expect[t])}; "
                     f"extra {extra} missing {missing}")
            else:
                ok += 1
    return ok


def run(args, env=None, check=True, **kw):
    p = subprocess.run(args, capture_output=True, text=True, env=env, **kw)
    if check and p.returncode != 0:
        fail(f"{' '.join(args[:4])}... exited {p.returncode}: {p.stderr.strip()[:400]}")
    return p


def logs_subset(tmp, k):
    """A directory of symlinks to the first k log files."""
    src = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(SAMPLE, "log_data"))
                 for f in fs)
    d = os.path.join(tmp, f"logs{k}")
    if not os.path.isdir(d):
        os.makedirs(d)
        for f in src[:k]:
            os.symlink(os.path.abspath(f), os.path.join(d, os.path.basename(f)))
    return d


EXPECT = {}


def expected(tmp, k):
    """Rows of the --format parquet build of the first k log files."""
    if k not in EXPECT:
        out = os.path.join(tmp, f"parquet{k}")
        run([BIN, "build", "--quiet", "--songs", os.path.join(SAMPLE, "song_data"),
             "--logs", logs_subset(tmp, k), "--out", out])
        EXPECT[k] = {t: parquet_rows(out, t) for t in TABLES}
    return EXPECT[k]


def build_delta(tmp, lake, k, prefix=(), check=True):
    return run(list(prefix) + [BIN, "build", "--quiet", "--format", "delta",
                               "--songs", os.path.join(SAMPLE, "song_data"),
                               "--logs", logs_subset(tmp, k), "--out", lake], check=check)


def latest_star(lake):
    d = os.path.join(lake, "_songlake", "star")
    names = sorted(os.listdir(d)) if os.path.isdir(d) else []
    return json.load(open(os.path.join(d, names[-1]))) if names else None


def log_versions(lake, t):
    d = os.path.join(lake, t, "_delta_log")
    return sorted(int(n[:20]) for n in os.listdir(d) if n.endswith(".json") and n[0] != ".")


# ---- statistics -------------------------------------------------------------

def ts_from_stats(s):
    d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
    return micros(d.replace(tzinfo=datetime.timezone.utc))


def check_stats(lake):
    checked = 0
    for t in TABLES:
        log = os.path.join(lake, t, "_delta_log")
        for name in sorted(os.listdir(log)):
            if not name.endswith(".json") or name[0] in "._":
                continue
            for line in open(os.path.join(log, name), encoding="utf-8"):
                add = json.loads(line).get("add")
                if not add:
                    continue
                path = urllib.parse.unquote(add["path"])
                full = os.path.join(lake, t, path)
                if not os.path.exists(full):
                    continue  # vacuumed
                f = pq.read_table(full)
                st = json.loads(add["stats"])
                where = f"{t}/{name} {path}"
                if st["numRecords"] != f.num_rows:
                    fail(f"{where}: numRecords {st['numRecords']}, file has {f.num_rows}")
                if add["size"] != os.path.getsize(full):
                    fail(f"{where}: size {add['size']} is not the file's")
                for col in f.column_names:
                    vals = f.column(col).to_pylist()
                    nn = [v for v in vals if v is not None]
                    if st["nullCount"].get(col) != len(vals) - len(nn):
                        fail(f"{where} {col}: nullCount {st['nullCount'].get(col)}, file has "
                             f"{len(vals) - len(nn)}")
                    mn, mx = st["minValues"].get(col), st["maxValues"].get(col)
                    if not nn:
                        if mn is not None or mx is not None:
                            fail(f"{where} {col}: bounds for an all-null column")
                        continue
                    if isinstance(nn[0], float) and any(math.isnan(v) for v in nn):
                        if mn is not None or mx is not None:
                            fail(f"{where} {col}: bounds though a value is NaN")
                        continue
                    if isinstance(nn[0], datetime.datetime):
                        us = [micros(v) for v in nn]
                        lo, hi = min(us), max(us)
                        if ts_from_stats(mn) != lo // 1000 * 1000 or \
                                ts_from_stats(mx) != -(-hi // 1000) * 1000:
                            fail(f"{where} {col}: [{mn}, {mx}] not the ms bounds of [{lo}, {hi}]")
                    elif isinstance(nn[0], str):
                        lo, hi = min(nn), max(nn)
                        if not (mn <= lo and hi <= mx):
                            fail(f"{where} {col}: [{mn!r}, {mx!r}] does not bound [{lo!r}, {hi!r}]")
                        if (len(lo) <= 32 and mn != lo) or (len(hi) <= 32 and mx != hi):
                            fail(f"{where} {col}: [{mn!r}, {mx!r}] not exact for [{lo!r}, {hi!r}]")
                    elif mn != min(nn) or mx != max(nn):
                        fail(f"{where} {col}: [{mn}, {mx}] not exact [{min(nn)}, {max(nn)}]")
                checked += 1
    print(f"statistics of {checked} files checked against the files", flush=True)
    if checked < 100:
        fail(f"only {checked} add actions checked")


def check_pruning(lake, tmp):
    """A copy of songs (71 files) without the files that duration >= X skips
    by their stats: DuckDB answers the filter from the rest, and fails a
    full scan (so it did skip them)."""
    table = os.path.join(lake, "songs")
    dt = DeltaTable(table)
    adds = pa.table(dt.get_add_actions(flatten=True)).to_pylist()
    maxes = sorted((a["max.duration"], a["path"]) for a in adds)
    x = maxes[-3][0]  # the files of the three longest songs can match
    copy = os.path.join(tmp, "pruned")
    shutil.copytree(table, copy)
    gone = [urllib.parse.unquote(p) for m, p in maxes if m < x]
    for p in gone:
        os.remove(os.path.join(copy, p))
    q = "SELECT song_id, duration FROM delta_scan('{}') WHERE duration >= {!r} ORDER BY 1"
    full = CON.execute(q.format(table, x)).fetchall()
    got = CON.execute(q.format(copy, x)).fetchall()
    print(f"pruning: duration >= {x}: {len(full)} rows; {len(gone)} of {len(adds)} files "
          "deleted", flush=True)
    if not gone or not full or got != full:
        fail(f"pruning: {len(got)} rows from the pruned copy, {len(full)} from the table")
    try:
        CON.execute(f"SELECT count(*) FROM delta_scan('{copy}')").fetchall()
        fail("pruning: duckdb read every file of the pruned copy")
    except Exception:
        pass


def check_inspect(lake, tmp, runs):
    """inspect --json: every version of every table with its rows and run,
    the star's version; the text form names the star's version."""
    got = json.loads(run([BIN, "inspect", "--json", lake]).stdout)
    if got["star"] != runs - 1 or [t["table"] for t in got["tables"]] != list(TABLES):
        fail(f"inspect: star {got['star']}, tables {[t['table'] for t in got['tables']]}")
    for t in got["tables"]:
        vs = t["versions"]
        rows = [v["rows"] for v in vs]
        want = [len(expected(tmp, k + 1)[t["table"]]) for k in range(runs)]
        if rows != want or t["star_version"] != runs - 1 or any(
                v["operation"] != "WRITE" or v["mode"] != "Overwrite" for v in vs):
            fail(f"inspect {t['table']}: rows {rows}, want {want}; star version {t['star_version']}")
    text = run([BIN, "inspect", os.path.join(lake, "users")]).stdout
    if f"names version {runs - 1}" not in text or text.count(" WRITE ") != runs:
        fail(f"inspect users: {text[:300]!r}")
    print(f"inspect: {runs} versions of each table with their rows", flush=True)


# ---- conflicting writer, kills ----------------------------------------------

def conflict(tmp, lake, k):
    """Create songplays' next version while songlake waits in its first
    link(2) (the songplays commit), delayed by strace."""
    before = log_versions(lake, "songplays")
    star = latest_star(lake)
    nxt = before[-1] + 1
    logdir = os.path.join(lake, "songplays", "_delta_log")
    rogue = os.path.join(logdir, f"{nxt:020d}.json")
    stop = threading.Event()

    def writer():
        # the temporary songlake links into place appears just before link(2)
        while not stop.is_set():
            if any(n.startswith(f".{nxt:020d}.json.tmp") for n in os.listdir(logdir)):
                with open(rogue, "x") as f:
                    f.write('{"commitInfo":{"operation":"WRITE","engineInfo":"rogue"}}\n')
                return
            time.sleep(0.002)

    th = threading.Thread(target=writer)
    th.start()
    p = build_delta(tmp, lake, k, prefix=["strace", "-f", "-qq", "-o", "/dev/null", "-e",
                                          "trace=link", "-e",
                                          "inject=link:delay_enter=4000000:when=1"], check=False)
    stop.set()
    th.join()
    lines = p.stderr.strip().splitlines()
    print(f"conflict: exit {p.returncode}: {p.stderr.strip()}", flush=True)
    if p.returncode != 3 or len(lines) != 1 or "another writer" not in p.stderr:
        fail(f"conflict: exit {p.returncode}, stderr {p.stderr!r}")
    if latest_star(lake) != star:
        fail("conflict: a star record was written")
    for t in TABLES:
        if t != "songplays" and log_versions(lake, t)[-1] != star["tables"][t]:
            fail(f"conflict: {t} got a version")
    if log_versions(lake, "songplays") != before + [nxt]:
        fail(f"conflict: songplays versions {log_versions(lake, 'songplays')}")


def kill_at(tmp, lake, k, point, prev_expect):
    """SIGKILL at the point-th link(2): 1-5 the table versions, 6 the star."""
    star = latest_star(lake)
    latest = {t: log_versions(lake, t)[-1] for t in TABLES}
    p = build_delta(tmp, lake, k, check=False, prefix=[
        "strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=link", "-e",
        f"inject=link:error=EIO:signal=SIGKILL:when={point}"])
    if p.returncode in (0, 1, 2, 3):
        fail(f"kill at {point}: exit {p.returncode} (not killed?) {p.stderr[:200]}")
    committed = sum(log_versions(lake, t)[-1] > latest[t] for t in TABLES)
    if committed != point - 1:
        fail(f"kill at {point}: {committed} tables had a new version")
    if latest_star(lake) != star:
        fail(f"kill at {point}: a star record was written")
    r = run([BIN, "vacuum", "--lake", lake, "--dry-run"])
    if point > 1 and "rolled back" not in r.stderr:
        fail(f"kill at {point}: no rollback said: {r.stderr!r}")
    n = check_reads(lake, None, prev_expect, f"after kill at {point}")
    print(f"kill at link {point}: {committed} table(s) committed, rolled back; "
          f"{n} of 15 reads = the previous star", flush=True)


def main():
    global CON
    CON = duck()
    with tempfile.TemporaryDirectory(prefix="songlake-delta-lake-") as tmp:
        lake = os.path.join(tmp, "lake")
        runs = 12
        for k in range(1, runs + 1):
            build_delta(tmp, lake, k)
        star = latest_star(lake)
        if not star or star["star"] != runs - 1 or any(v != runs - 1 for v in star["tables"].values()):
            fail(f"star record after {runs} runs: {star}")
        if not os.path.exists(os.path.join(lake, "songplays", "_delta_log",
                                           "00000000000000000010.checkpoint.parquet")):
            fail("no checkpoint at version 10")
        total = 0
        for v in range(runs):
            total += check_reads(lake, v, expected(tmp, v + 1), f"version {v}")
        print(f"time travel: {total} of {runs * 15} reads (12 versions x 5 tables x 3 readers) "
              "equal to the parquet build", flush=True)
        total = check_reads(lake, None, expected(tmp, runs), "latest")
        check_inspect(lake, tmp, runs)
        check_stats(lake)
        check_pruning(lake, tmp)

        # format = delta in the [songlake] section of --config
        cfg = os.path.join(tmp, "dl.cfg")
        with open(cfg, "w") as f:
            f.write(f"[songlake]\nformat = delta\nsongs = {os.path.join(SAMPLE, 'song_data')}\n"
                    f"logs = {logs_subset(tmp, 2)}\nout = {os.path.join(tmp, 'cfg-lake')}\n")
        run([BIN, "build", "--quiet", "--config", cfg])
        if not os.path.exists(os.path.join(tmp, "cfg-lake", "users", "_delta_log",
                                           "00000000000000000000.json")):
            fail("format = delta in --config did not make a Delta lake")
        check_reads(os.path.join(tmp, "cfg-lake"), 0, expected(tmp, 2), "format = delta (config)")

        # format switches
        p = run([BIN, "build", "--quiet", "--out", lake], check=False)
        if p.returncode != 2 or "Delta lake" not in p.stderr:
            fail(f"parquet build over a delta lake: exit {p.returncode} {p.stderr!r}")
        p = run([BIN, "build", "--quiet", "--format", "delta", "--out",
                 os.path.join(tmp, f"parquet{runs}")], check=False)
        if p.returncode != 2 or "Parquet lake" not in p.stderr:
            fail(f"delta build over a parquet lake: exit {p.returncode} {p.stderr!r}")

        conflict(tmp, lake, 5)
        build_delta(tmp, lake, 6)  # rolls the rogue version back, commits
        check_reads(lake, None, expected(tmp, 6), "after the conflict")
        for point in range(1, 7):
            kill_at(tmp, lake, 3, point, expected(tmp, 6))

        # vacuum
        def files():
            out = set()
            for dp, _, fs in os.walk(lake):
                for f in fs:
                    out.add(os.path.relpath(os.path.join(dp, f), lake))
            return out

        before = files()
        r = run([BIN, "vacuum", "--lake", lake, "--retain-hours", "0", "--dry-run"])
        listed = {l.split(" ", 2)[2].split(" (")[0] for l in r.stdout.splitlines()
                  if l.startswith("would delete ") and "/" in l}
        if files() != before:
            fail("vacuum --dry-run changed files")
        r = run([BIN, "vacuum", "--lake", lake])
        if files() != before:
            fail("vacuum with the default retention deleted files of a fresh lake")
        live = set()
        for t in TABLES:
            for a in pa.table(DeltaTable(os.path.join(lake, t)).get_add_actions(flatten=True)).to_pylist():
                live.add(f"{t}/{urllib.parse.unquote(a['path'])}")
        data_before = {f for f in before if f.endswith(".parquet") and "_delta_log" not in f}
        orphans = 0  # files of the killed and conflicting runs: no version names them
        for t in TABLES:
            log = os.path.join(lake, t, "_delta_log")
            named = set()
            for n in os.listdir(log):
                if n.endswith(".json") and n[0] not in "._":
                    for line in open(os.path.join(log, n), encoding="utf-8"):
                        a = json.loads(line).get("add")
                        if a:
                            named.add(f"{t}/{urllib.parse.unquote(a['path'])}")
            orphans += len({f for f in data_before if f.startswith(t + "/")} - named)
        if not orphans:
            fail("vacuum: no file of a killed run to delete")
        r = run([BIN, "vacuum", "--lake", lake, "--retain-hours", "0"])
        after = files()
        gone = before - after
        if gone != data_before - live or listed != gone or not gone:
            fail(f"vacuum deleted {len(gone)} files; {len(data_before - live)} not in the latest "
                 f"versions; dry-run listed {len(listed)}")
        if any("_delta_log" in f or f.startswith("_songlake") for f in gone):
            fail("vacuum deleted log or lake files")
        print(f"vacuum: {len(gone)} files deleted ({orphans} of runs that did not finish), "
              f"{len(live)} live kept", flush=True)
        check_reads(lake, None, expected(tmp, 6), "after vacuum")

        # under mpirun: two ranks' files in one version per table
        mpi = "mpi: yes" in run([BIN, "--version"]).stdout and shutil.which("mpirun")
        if mpi:
            mlake = os.path.join(tmp, "mpi")
            for k in (4, 30):
                build_delta(tmp, mlake, k, prefix=["mpirun", "--allow-run-as-root", "--oversubscribe",
                                                   "-np", "2"])
            n = check_reads(mlake, 0, expected(tmp, 4), "mpirun version 0")
            n += check_reads(mlake, 1, expected(tmp, 30), "mpirun version 1")
            ranks = {os.path.basename(a["path"])[:10] for a in pa.table(DeltaTable(
                os.path.join(mlake, "users")).get_add_actions(flatten=True)).to_pylist()}
            if ranks != {"part-00000", "part-00001"}:
                fail(f"mpirun: users files from {ranks}")
            print(f"mpirun -np 2: {n} of 30 reads equal to the parquet build", flush=True)
        else:
            print("mpirun: skipped (built without Open MPI)", flush=True)
    if FAILURES:
        print(f"{len(FAILURES)} failures")
        sys.exit(1)
    print("delta lake: all checks passed")


if __name__ == "__main__":
    main()
