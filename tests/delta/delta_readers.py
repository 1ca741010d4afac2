"""Four Delta readers read every version of a table songlake's delta module
wrote, and give the rows of a plain Parquet read of that version's files.

Usage: delta_readers.py <delta_table_write binary> [--no-spark]

delta_table_write writes the table (13 versions: overwrites, appends, a
RESTORE, a checkpoint at 10) and versions.json, its own account of which
files each version holds. For every version this reads those files with
pyarrow (partition values from the Hive directory names) and compares,
row for row, what delta-rs (deltalake), polars (read_delta), DuckDB
(delta_scan) and Spark (delta-spark, versionAsOf) return. Then:
- statistics: every add action's stats against its file: numRecords
  equal, nullCount exact, min/max true bounds (and exact where Delta keeps
  them exactly: numbers, strings of 32 characters or fewer, timestamps to
  the millisecond);
- pruning: in a copy of the latest version, the files the stats exclude
  for a filter are deleted; DuckDB and Spark must still answer the
  filtered query (so they skipped those files by their stats) with the
  rows a full read filters to, and DuckDB must fail the unfiltered scan.

The Spark part is spark_checks(spark, ...), taking a SparkSession, so it
can join a shared Spark runner. Exits non-zero on any mismatch.
"""
import datetime
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

import duckdb
import duckdb_extensions
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
COLS = ["id", "ts", "name", "score", "year", "tag"]
FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL " + msg, flush=True)


def micros(v):
    if v is None:
        return None
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        d = v - EPOCH
        return (d.days * 86400 + d.seconds) * 1000000 + d.microseconds
    return int(v)


def canon_row(r):
    s = r["score"]
    return (
        int(r["id"]),
        micros(r["ts"]),
        r["name"],
        "NaN" if isinstance(s, float) and math.isnan(s) else s,
        None if r["year"] is None else int(r["year"]),
        r["tag"],
    )


def canon(rows):
    return sorted((canon_row(r) for r in rows), key=repr)


def hive_values(path):
    """year and tag of a file from its Hive directories."""
    vals = {}
    for part in path.split("/")[:-1]:
        k, v = part.split("=", 1)
        v = None if v == "__HIVE_DEFAULT_PARTITION__" else urllib.parse.unquote(v)
        vals[k] = v
    return int(vals["year"]), vals["tag"]


def plain_read(table, files):
    rows = []
    for f in files:
        t = pq.read_table(os.path.join(table, f["path"]))
        if t.num_rows != f["rows"]:
            fail(f"{f['path']}: {t.num_rows} rows, delta_table_write wrote {f['rows']}")
        year, tag = hive_values(f["path"])
        for r in t.to_pylist():
            r["year"], r["tag"] = year, tag
            rows.append(r)
    return canon(rows)


def compare(reader, version, got, exp):
    if got == exp:
        return True
    extra = [r for r in got if r not in exp][:3]
    missing = [r for r in exp if r not in got][:3]
    fail(f"{reader} version {version}: {len(got)} rows, expected {len(exp)}; "
         f"extra {extra} missing {missing}")
    return False


def duck_connect():
    con = duckdb.connect()
    duckdb_extensions.import_extension("delta", con=con)
    con.sql("SET TimeZone = 'UTC'")
    return con


def duck_rows(con, table, version=None, where=""):
    v = f", version := {version}" if version is not None else ""
    q = f"SELECT {', '.join(COLS)} FROM delta_scan('{table}'{v}) {where}"
    cur = con.execute(q)
    names = [d[0] for d in cur.description]
    return canon(dict(zip(names, r)) for r in cur.fetchall())


def read_versions(table, versions, con):
    counted = {}
    for ver in versions:
        v = ver["version"]
        exp = plain_read(table, ver["files"])
        readers = {
            "delta-rs": lambda: canon(DeltaTable(table, version=v).to_pyarrow_table().to_pylist()),
            "polars": lambda: canon(pl.read_delta(table, version=v).to_dicts()),
            "duckdb": lambda: duck_rows(con, table, v),
        }
        for name, read in readers.items():
            try:
                ok = compare(name, v, read(), exp)
            except Exception as e:  # a reader refusing the table is a failure too
                fail(f"{name} version {v}: {type(e).__name__}: {str(e)[:300]}")
                ok = False
            counted[name] = counted.get(name, 0) + ok
        print(f"version {v}: {len(exp)} rows, {len(ver['files'])} files", flush=True)
    for name, n in counted.items():
        print(f"{name}: {n} of {len(versions)} versions equal to the plain read", flush=True)


# ---- statistics ---------------------------------------------------------

def ts_from_stats(s):
    d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return micros(d)


def check_stats(table):
    """Every add action in every commit against its file."""
    log = os.path.join(table, "_delta_log")
    checked = 0
    for name in sorted(os.listdir(log)):
        if not name.endswith(".json") or name.startswith("_"):
            continue
        for line in open(os.path.join(log, name), encoding="utf-8"):
            add = json.loads(line).get("add")
            if not add:
                continue
            path = urllib.parse.unquote(add["path"])
            t = pq.read_table(os.path.join(table, path))
            st = json.loads(add["stats"])
            where = f"{name} {path}"
            if st["numRecords"] != t.num_rows:
                fail(f"{where}: numRecords {st['numRecords']}, file has {t.num_rows}")
            if add["size"] != os.path.getsize(os.path.join(table, path)):
                fail(f"{where}: size {add['size']} is not the file's")
            for col in t.column_names:
                vals = t.column(col).to_pylist()
                nn = [v for v in vals if v is not None]
                if st["nullCount"].get(col) != len(vals) - len(nn):
                    fail(f"{where} {col}: nullCount {st['nullCount'].get(col)}, file has {len(vals) - len(nn)}")
                mn, mx = st["minValues"].get(col), st["maxValues"].get(col)
                if col == "score" and any(math.isnan(v) for v in nn):
                    if mn is not None or mx is not None:
                        fail(f"{where} score: bounds {mn}, {mx} though a value is NaN")
                    continue
                if not nn:
                    if mn is not None or mx is not None:
                        fail(f"{where} {col}: bounds for an all-null column")
                    continue
                if col == "ts":
                    us = [micros(v) for v in nn]
                    lo, hi = min(us), max(us)
                    emn, emx = lo // 1000 * 1000, -(-hi // 1000) * 1000
                    if ts_from_stats(mn) != emn or ts_from_stats(mx) != emx:
                        fail(f"{where} ts: [{mn}, {mx}] not the ms bounds of [{lo}, {hi}]")
                elif col == "name":
                    lo, hi = min(nn), max(nn)
                    if not (mn <= lo and hi <= mx):
                        fail(f"{where} name: [{mn!r}, {mx!r}] does not bound [{lo!r}, {hi!r}]")
                    if (len(lo) <= 32 and mn != lo) or (len(hi) <= 32 and mx != hi):
                        fail(f"{where} name: [{mn!r}, {mx!r}] not exact for [{lo!r}, {hi!r}]")
                    if len(lo) > 32 and mn != lo[:32]:
                        fail(f"{where} name: min {mn!r} is not the 32-character prefix")
                elif mn != min(nn) or mx != max(nn):
                    fail(f"{where} {col}: [{mn}, {mx}] not exact [{min(nn)}, {max(nn)}]")
            checked += 1
    print(f"statistics of {checked} files checked against the files", flush=True)
    if checked == 0:
        fail("no add action checked")


# ---- pruning -------------------------------------------------------------



def prune_copy(table, tmp):
    """A copy of the table whose files the filter id >= X skips are gone."""
    dt = DeltaTable(table)
    adds = pa.table(dt.get_add_actions(flatten=True)).to_pylist()
    maxes = sorted((a["max.id"], a["path"]) for a in adds)
    x = maxes[-1][0] - 2  # only the file(s) reaching the top ids can match
    copy = os.path.join(tmp, "pruned")
    shutil.copytree(table, copy)
    gone = [urllib.parse.unquote(p) for m, p in maxes if m < x]
    for p in gone:
        os.remove(os.path.join(copy, p))
    all_rows = canon(dt.to_pyarrow_table().to_pylist())
    exp = [r for r in all_rows if r[0] >= x]
    print(f"pruning: id >= {x}: {len(exp)} rows; {len(gone)} of {len(adds)} files deleted", flush=True)
    if not gone or not exp:
        fail("pruning: the filter must skip some files and keep some rows")
    return copy, x, exp


def duck_prune(copy, x, exp, con):
    compare("duckdb pruned", "latest", duck_rows(con, copy, where=f"WHERE id >= {x}"), exp)
    try:
        duck_rows(con, copy)
        fail("duckdb read every file of the pruned copy: the deleted files were never needed?")
    except Exception:
        pass


# ---- Spark ---------------------------------------------------------------

def spark_session():
    from delta import configure_spark_with_delta_pip
    from pyspark.sql import SparkSession

    ivy = os.path.join(os.path.expanduser("~"), ".cache", "songlake", "ivy")
    b = (SparkSession.builder.master("local[1]").appName("songlake-delta-readers")
         .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
         .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
         .config("spark.jars.ivy", ivy)
         .config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false")
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.sql.shuffle.partitions", "1"))
    return configure_spark_with_delta_pip(b).getOrCreate()


def spark_checks(spark, table, versions, pruned=None):
    """Spark reads every version (versionAsOf) as the plain read does, and
    answers the filtered query on the pruned copy."""
    n = 0
    for ver in versions:
        v = ver["version"]
        exp = plain_read(table, ver["files"])
        try:
            df = spark.read.format("delta").option("versionAsOf", v).load(table)
            got = canon(r.asDict() for r in df.select(*COLS).collect())
            n += compare("spark", v, got, exp)
        except Exception as e:
            fail(f"spark version {v}: {type(e).__name__}: {str(e)[:300]}")
    print(f"spark: {n} of {len(versions)} versions equal to the plain read", flush=True)
    if pruned:
        copy, x, exp = pruned
        try:
            df = spark.read.format("delta").load(copy).where(f"id >= {x}")
            compare("spark pruned", "latest", canon(r.asDict() for r in df.select(*COLS).collect()), exp)
        except Exception as e:
            fail(f"spark pruned: {type(e).__name__}: {str(e)[:300]}")


def main():
    binary = sys.argv[1]
    use_spark = "--no-spark" not in sys.argv
    with tempfile.TemporaryDirectory(prefix="songlake-delta-") as tmp:
        table = os.path.join(tmp, "t")
        subprocess.run([binary, table], check=True)
        versions = json.load(open(os.path.join(tmp, "versions.json"), encoding="utf-8"))
        con = duck_connect()
        read_versions(table, versions, con)
        check_stats(table)
        pruned = prune_copy(table, tmp)
        duck_prune(*pruned, con)
        if use_spark:
            spark = spark_session()
            try:
                spark_checks(spark, table, versions, pruned)
            finally:
                spark.stop()
    if FAILURES:
        print(f"{len(FAILURES)} failures")
        sys.exit(1)
    print("all readers agree")


if __name__ == "__main__":
    main()
