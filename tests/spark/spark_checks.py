"""Every Spark check of the test suite in one Spark session.

Usage: spark_checks.py [MODULE ...]   (default: every tests/spark/checks/*.py)

Starting Spark (a JVM, delta-spark's jars from the Ivy cache) costs ~15 s
and ~1 GB, so the checks share one local[2] SparkSession: this runner starts
it once and runs each check module of tests/spark/checks/ in name order.
A module is a file with `def run(spark, ctx)`; it reports through ctx
(ctx.ok / ctx.fail) and an exception it raises counts as a failure. To add
Spark checks, drop a module there: it gets the session, configured for
Delta (configure_spark_with_delta_pip; spark.sql.extensions and the Delta
catalog set), UTC session time zone, and ctx (sparkctx.Context) for what
modules share: songlake builds of the sample and of a generated set,
a DuckDB connection, a PostgreSQL server, a temp dir.

Exits non-zero when any check failed or when no check ran at all.
"""
import glob
import importlib.util
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from sparkctx import Context  # noqa: E402


def spark_session(ivy):
    from delta import configure_spark_with_delta_pip
    from pyspark.sql import SparkSession

    b = (SparkSession.builder.master("local[2]").appName("songlake-spark-checks")
         .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
         .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
         .config("spark.jars.ivy", ivy)
         .config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false")
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.sql.shuffle.partitions", "2")
         .config("spark.driver.host", "127.0.0.1")
         .config("spark.driver.bindAddress", "127.0.0.1"))
    spark = configure_spark_with_delta_pip(b).getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def main():
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    names = sys.argv[1:]
    paths = sorted(glob.glob(os.path.join(HERE, "checks", "*.py")))
    if names:
        paths = [p for p in paths if os.path.basename(p)[:-3] in names]
        if len(paths) != len(names):
            print(f"usage: spark_checks.py [MODULE ...]: no such module among {names}", file=sys.stderr)
            sys.exit(2)
    ctx = Context()
    tools = os.environ.get("SONGLAKE_TOOLS", os.path.join(os.path.expanduser("~"), ".cache", "songlake"))
    t0 = time.monotonic()
    spark = spark_session(os.path.join(tools, "ivy"))
    print(f"spark {spark.version} started in {time.monotonic() - t0:.1f} s", flush=True)
    try:
        for p in paths:
            name = os.path.basename(p)[:-3]
            spec = importlib.util.spec_from_file_location(f"checks.{name}", p)
            mod = importlib.util.module_from_spec(spec)
            t1 = time.monotonic()
            before = (ctx.passed, len(ctx.failures))
            try:
                spec.loader.exec_module(mod)
                mod.run(spark, ctx)
            except Exception as e:
                ctx.fail(f"{name}: {type(e).__name__}: {str(e)[:500]}")
                traceback.print_exc()
            print(f"== {name}: {ctx.passed - before[0]} passed, {len(ctx.failures) - before[1]} failed "
                  f"({time.monotonic() - t1:.1f} s)", flush=True)
    finally:
        spark.stop()
        ctx.close()
    print(f"{ctx.passed} passed, {len(ctx.failures)} failed")
    if ctx.failures or ctx.passed == 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
