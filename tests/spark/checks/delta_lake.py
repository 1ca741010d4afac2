"""Spark (delta-spark) reads a songlake --format delta lake at every
version, as delta-rs, polars and DuckDB do in tests/delta/delta_lake.py:
- 12 delta runs into one lake, run k over the first k log files of the
  sample; every table at versions 0, 9, 10 (a checkpoint) and 11 (replayed
  past it) (versionAsOf) gives the rows of a --format parquet build of the
  same inputs as Spark's own Parquet reader reads them (delta_lake.py in
  tests/delta reads all 12 with the other readers);
- the latest version through DESCRIBE HISTORY: 12 WRITE versions;
- a copy of songs without the files that `duration >= X` skips by their
  stats answers that filter (Spark skipped them by the stats) with the
  rows of the full table."""
import math
import os
import shutil
import urllib.parse

TABLES = ["songplays", "users", "songs", "artists", "time"]
RUNS = 12
CHECKED = [0, 9, 10, 11]


def canon_value(v):
    if isinstance(v, float) and math.isnan(v):
        return "NaN"
    return v


def canon(df, cols):
    return sorted((tuple(canon_value(v) for v in r) for r in df.select(*cols).collect()), key=repr)


def logs_subset(ctx, k):
    _, logs = ctx.inputs("sample")
    src = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(logs) for f in fs)
    d = os.path.join(ctx.tmp, f"delta-logs{k}")
    if not os.path.isdir(d):
        os.makedirs(d)
        for f in src[:k]:
            os.symlink(os.path.abspath(f), os.path.join(d, os.path.basename(f)))
    return d


def run(spark, ctx):
    songs, _ = ctx.inputs("sample")
    lake = os.path.join(ctx.tmp, "delta-lake")
    plain = {}
    for k in range(1, RUNS + 1):
        logs = logs_subset(ctx, k)
        ctx.songlake("build", "--quiet", "--format", "delta", "--songs", songs, "--logs", logs,
                     "--out", lake)
        if k - 1 in CHECKED:
            plain[k - 1] = os.path.join(ctx.tmp, f"delta-parquet{k}")
            ctx.songlake("build", "--quiet", "--songs", songs, "--logs", logs, "--out", plain[k - 1])
    same = 0
    for v in CHECKED:
        for t in TABLES:
            exp_df = spark.read.parquet(os.path.join(plain[v], t))
            cols = exp_df.columns
            got = canon(spark.read.format("delta").option("versionAsOf", v).load(os.path.join(lake, t)), cols)
            exp = canon(exp_df, cols)
            if got == exp:
                same += 1
            else:
                ctx.fail(f"spark delta {t} version {v}: {len(got)} rows, parquet build {len(exp)}")
    ctx.check(same == len(CHECKED) * len(TABLES),
              f"spark: {same} of {len(CHECKED) * len(TABLES)} table versions equal to the parquet builds")
    hist = spark.sql(f"DESCRIBE HISTORY delta.`{os.path.join(lake, 'users')}`").collect()
    ctx.check(sorted(r["version"] for r in hist) == list(range(RUNS))
              and all(r["operation"] == "WRITE" for r in hist),
              f"spark: DESCRIBE HISTORY users lists {len(hist)} WRITE versions")

    # pruning by the stats: files the filter excludes deleted from a copy
    table = os.path.join(lake, "songs")
    adds = spark.read.json(os.path.join(table, "_delta_log", f"{RUNS - 1:020d}.json")) \
        .where("add is not null").select("add.path", "add.stats").collect()
    import json
    maxes = sorted((json.loads(a["stats"])["maxValues"]["duration"], a["path"]) for a in adds)
    x = maxes[-3][0]
    copy = os.path.join(ctx.tmp, "delta-pruned-songs")
    shutil.copytree(table, copy)
    gone = [urllib.parse.unquote(p) for m, p in maxes if m < x]
    for p in gone:
        os.remove(os.path.join(copy, p))
    full = canon(spark.read.format("delta").load(table).where(f"duration >= {x!r}"), ["song_id"])
    got = canon(spark.read.format("delta").load(copy).where(f"duration >= {x!r}"), ["song_id"])
    ctx.check(bool(gone) and bool(full) and got == full,
              f"spark: duration >= {x}: {len(got)} rows from a copy without {len(gone)} of "
              f"{len(adds)} files, as from the table")
