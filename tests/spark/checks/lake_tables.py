"""Spark reads every table of a songlake build as a Spark user does
(spark.read.parquet on the table directory: its own Parquet reader and
partition discovery) and gets:
- the schema of SPEC §2: every column with its type, the partition columns
  inferred from the Hive directories as int (year, month) and string
  (songs.artist_id), start_time / timestamp as timestamp;
- the rows that DuckDB reads from the same files (read_parquet with
  hive_partitioning), value for value;
- on the sample, the row counts SPEC §2 states.
For the sample and for a generated set."""
import math

from pyspark.sql import functions as F
from pyspark.sql import types as T

L, I, S, D, TS = T.LongType(), T.IntegerType(), T.StringType(), T.DoubleType(), T.TimestampType()
SCHEMA = {
    "songplays": {"songplayId": L, "user_id": L, "start_time": TS, "level": S, "song_id": S, "artist_id": S,
                  "sessionId": L, "userAgent": S, "month": I, "year": I},
    "users": {"userId": L, "firstName": S, "lastName": S, "gender": S, "level": S},
    "songs": {"title": S, "artist_id": S, "year": I, "duration": D, "song_id": S},
    "artists": {"artist_id": S, "artist_name": S, "artist_location": S, "artist_latitude": D,
                "artist_longitude": D},
    "time": {"timestamp": TS, "hour": I, "day": I, "week": I, "weekday": I, "month": I, "year": I},
}
SAMPLE_ROWS = {"songs": 71, "artists": 69, "users": 97, "time": 6813, "songplays": 6820}


def canon_value(v):
    if isinstance(v, float):
        return "NaN" if math.isnan(v) else v
    return v


def canon(rows):
    return sorted((tuple(canon_value(v) for v in r) for r in rows), key=repr)


def spark_rows(spark, path, table, ctx, where):
    df = spark.read.parquet(path)
    got = {f.name: f.dataType for f in df.schema.fields}
    want = SCHEMA[table]
    ctx.check(got == want, f"{where}: Spark's schema {sorted((k, v.simpleString()) for k, v in got.items())}"
              + ("" if got == want else f" != SPEC {sorted((k, v.simpleString()) for k, v in want.items())}"))
    cols = [F.unix_micros(F.col(c)).alias(c) if t == TS else F.col(c) for c, t in want.items()]
    return canon(df.select(*cols).collect())


def duck_rows(con, path, table):
    cols = ", ".join(f'epoch_us("{c}")' if t == TS else f'"{c}"' for c, t in SCHEMA[table].items())
    return canon(con.execute(f"SELECT {cols} FROM read_parquet('{path}/**/*.parquet', "
                             "hive_partitioning = true)").fetchall())


def run(spark, ctx):
    con = ctx.duck()
    for name in ["sample", "gen"]:
        lake = ctx.lake(name)
        for table in SCHEMA:
            path = f"{lake}/{table}"
            where = f"{name} {table}"
            s = spark_rows(spark, path, table, ctx, where)
            d = duck_rows(con, path, table)
            if s == d:
                ctx.ok(f"{where}: Spark and DuckDB read the same {len(s)} rows")
            else:
                extra = [r for r in s if r not in d][:2]
                missing = [r for r in d if r not in s][:2]
                ctx.fail(f"{where}: Spark read {len(s)} rows, DuckDB {len(d)}; "
                         f"only in Spark {extra}, only in DuckDB {missing}")
            if name == "sample":
                ctx.check(len(s) == SAMPLE_ROWS[table],
                          f"{where}: {len(s)} rows, SPEC says {SAMPLE_ROWS[table]}")
        if name == "sample":
            matched = spark.read.parquet(f"{lake}/songplays").where("song_id IS NOT NULL").count()
            ctx.check(matched == 1, f"sample songplays: {matched} matched play(s), SPEC says 1")
