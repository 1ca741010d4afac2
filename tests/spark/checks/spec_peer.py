"""SPEC §1-§2 implemented in PySpark (bench/spark/spec.py, the benchmark's
Spark peer) gives, table for table, exactly the rows of songlake's build
(multiset equality with exceptAll both ways, every column, songplayId and
the matched song_id included), on the sample and on the generated set. So
the benchmark compares two programs that compute the same thing, and
songlake's tie rules are the ones a Spark user gets from window functions
over input order."""
import importlib.util
import os
import time


def load_spec(ctx):
    p = os.path.join(ctx.src, "bench", "spark", "spec.py")
    spec = importlib.util.spec_from_file_location("songlake_spec_pyspark", p)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run(spark, ctx):
    spec = load_spec(ctx)
    for name in ["sample", "gen"]:
        songs, logs = ctx.inputs(name)
        lake = ctx.lake(name)
        # written once as the benchmark writes them, then compared: each
        # table computed once, not once per comparison
        out = os.path.join(ctx.tmp, f"spec-{name}")
        t0 = time.monotonic()
        spec.write_tables(spec.spec_tables(spark, songs, logs), out)
        print(f"{name}: PySpark SPEC wrote the tables in {time.monotonic() - t0:.1f} s", flush=True)
        for t in spec.COLUMNS:
            cols = spec.COLUMNS[t]
            df = spark.read.parquet(f"{out}/{t}")
            got = spark.read.parquet(f"{lake}/{t}").select(*cols)
            types = dict(got.dtypes)
            want = df.select(*[df[c].cast(types[c]).alias(c) for c in cols])
            n_lake, n_spec = got.count(), want.count()
            only_lake = got.exceptAll(want).limit(3).collect()
            only_spec = want.exceptAll(got).limit(3).collect()
            if n_lake == n_spec and not only_lake and not only_spec and n_lake > 0:
                ctx.ok(f"{name} {t}: PySpark SPEC and songlake have the same {n_lake} rows")
            else:
                ctx.fail(f"{name} {t}: songlake {n_lake} rows, PySpark SPEC {n_spec}; only in songlake "
                         f"{[r.asDict() for r in only_lake]}, only in PySpark {[r.asDict() for r in only_spec]}")
        matched = spark.read.parquet(f"{out}/songplays").where("song_id IS NOT NULL").count()
        ctx.check(matched > 0, f"{name}: {matched} matched plays in the PySpark SPEC")
