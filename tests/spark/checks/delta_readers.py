"""Spark (delta-spark) reads every version of the Delta table that
tests/delta/delta_table_write writes (13 versions: overwrites, appends, a
RESTORE, a checkpoint at 10) as the plain Parquet read of that version's
files, and answers a filter on a copy pruned by the stats: the Spark half
of tests/delta/delta_readers.py (which runs delta-rs, polars and DuckDB
with --no-spark), here so it shares the one Spark session."""
import json
import os
import subprocess
import sys


def run(spark, ctx):
    sys.path.insert(0, os.path.join(ctx.src, "tests", "delta"))
    import delta_readers as dr

    tool = os.path.join(os.environ.get("SONGLAKE_BUILD_DIR", os.path.join(ctx.src, "build")),
                        "tests", "delta", "delta_table_write")
    d = os.path.join(ctx.tmp, "delta-readers")
    os.makedirs(d)
    table = os.path.join(d, "t")
    subprocess.run([tool, table], check=True, capture_output=True)
    versions = json.load(open(os.path.join(d, "versions.json"), encoding="utf-8"))
    pruned = dr.prune_copy(table, d)
    before = len(dr.FAILURES)
    dr.spark_checks(spark, table, versions, pruned)
    for f in dr.FAILURES[before:]:
        ctx.fail(f)
    ctx.check(len(dr.FAILURES) == before,
              f"spark: the {len(versions)} versions of delta_table_write's table and its pruned copy")
