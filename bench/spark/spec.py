"""SPEC.md §1-§2 in PySpark: the Spark peer of the benchmark
(bench/spark/run.py) and a check of the test suite
(tests/spark/checks/spec_peer.py: same rows as songlake).

As a program:
  python bench/spark/spec.py --songs DIR --logs DIR --out DIR [--master local[2]] [--counts]
writes the five tables as Parquet (snappy) in songlake's Hive layout
(--counts: then prints each table's row count).

As a module: spec_tables(spark, songs_dir, logs_dir) -> {table: DataFrame}.

It holds the rules on the inputs songlake's tests and benchmarks use (the
sample, `songlake generate`): one JSON record per line, well-formed records.
Input order is SPEC's: files sorted bytewise by path (listed here, hidden
names skipped), records in file order -- each file is read whole into one
partition (maxPartitionBytes above any input file), so the row's
monotonically_increasing_id orders the records of a file. Every "first" and
"last" and songplayId follow that order, so the rows are songlake's:
- songs, artists: the first record of each song_id / artist_id;
- users: each user's latest event (largest ts, on a tie the last in input
  order);
- songplays: songplayId = position among NextSong events; song_id = the
  smallest song_id whose (title, own artist_name, duration) equals the
  event's (song, artist, length); artist_id that song's;
- time: distinct start_time; weekday 1 = Sunday (dayofweek), ISO week.
"""
import argparse
import os
import sys
import time

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

SONG_SCHEMA = T.StructType([
    T.StructField("num_songs", T.LongType()), T.StructField("artist_id", T.StringType()),
    T.StructField("artist_latitude", T.DoubleType()), T.StructField("artist_longitude", T.DoubleType()),
    T.StructField("artist_location", T.StringType()), T.StructField("artist_name", T.StringType()),
    T.StructField("song_id", T.StringType()), T.StructField("title", T.StringType()),
    T.StructField("duration", T.DoubleType()), T.StructField("year", T.IntegerType()),
])
EVENT_SCHEMA = T.StructType([
    T.StructField(n, t) for n, t in [
        ("artist", T.StringType()), ("auth", T.StringType()), ("firstName", T.StringType()),
        ("gender", T.StringType()), ("itemInSession", T.LongType()), ("lastName", T.StringType()),
        ("length", T.DoubleType()), ("level", T.StringType()), ("location", T.StringType()),
        ("method", T.StringType()), ("page", T.StringType()), ("registration", T.DoubleType()),
        ("sessionId", T.LongType()), ("song", T.StringType()), ("status", T.LongType()),
        ("ts", T.LongType()), ("userAgent", T.StringType()), ("userId", T.StringType()),
    ]
])
COLUMNS = {
    "songplays": ["songplayId", "user_id", "start_time", "level", "song_id", "artist_id", "sessionId",
                  "userAgent", "month", "year"],
    "users": ["userId", "firstName", "lastName", "gender", "level"],
    "songs": ["title", "artist_id", "year", "duration", "song_id"],
    "artists": ["artist_id", "artist_name", "artist_location", "artist_latitude", "artist_longitude"],
    "time": ["timestamp", "hour", "day", "week", "weekday", "month", "year"],
}
PARTITIONS = {"songplays": ["year", "month"], "songs": ["year", "artist_id"], "time": ["year", "month"],
              "users": [], "artists": []}


def list_inputs(root):
    """SPEC §1: a directory walked recursively, hidden names skipped,
    sorted bytewise."""
    if os.path.isfile(root):
        return [root]
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if not x.startswith((".", "_"))]
        out += [os.path.join(d, f) for f in files if not f.startswith((".", "_"))]
    return sorted(out, key=os.fsencode)


def records(spark, files, schema):
    """The records of files in input order: (rec.*, o_file, o_pos)."""
    rank = {f: i for i, f in enumerate(files)}
    names = spark.createDataFrame([(os.path.abspath(f), i) for f, i in rank.items()], ["path", "o_file"])
    df = (spark.read.text(files)
          .withColumn("o_pos", F.monotonically_increasing_id())
          .withColumn("path", F.regexp_replace(F.input_file_name(), "^file:(//)?", "")))
    df = df.where(F.trim("value") != "")
    df = df.join(F.broadcast(names), "path").drop("path")
    return df.select(F.from_json("value", schema).alias("r"), "o_file", "o_pos").select("r.*", "o_file", "o_pos")


def spec_tables(spark, songs_dir, logs_dir):
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(1 << 40))  # one partition per file at most
    order = [F.col("o_file"), F.col("o_pos")]
    songs_raw = records(spark, list_inputs(songs_dir), SONG_SCHEMA).where(
        (F.col("song_id").isNotNull()) & (F.col("song_id") != "")
        & (F.col("artist_id").isNotNull()) & (F.col("artist_id") != ""))
    first_song = (songs_raw.withColumn("k", F.row_number().over(Window.partitionBy("song_id").orderBy(*order)))
                  .where("k = 1").drop("k")).cache()
    songs = first_song.select(*COLUMNS["songs"])
    artists = (songs_raw.withColumn("k", F.row_number().over(Window.partitionBy("artist_id").orderBy(*order)))
               .where("k = 1").select(*COLUMNS["artists"]))

    events = records(spark, list_inputs(logs_dir), EVENT_SCHEMA).withColumn(
        "uid", F.expr("try_cast(userId AS BIGINT)")).cache()
    users = (events.where(F.col("uid").isNotNull())
             .withColumn("k", F.row_number().over(
                 Window.partitionBy("uid").orderBy(F.col("ts").desc(), F.col("o_file").desc(), F.col("o_pos").desc())))
             .where("k = 1")
             .select(F.col("uid").alias("userId"), "firstName", "lastName", "gender", "level"))

    plays = (events.where(F.col("page") == "NextSong")
             .withColumn("songplayId", F.row_number().over(Window.orderBy(*order)).cast("long")))
    keys = first_song.groupBy("title", "artist_name", "duration").agg(F.min("song_id").alias("m_song_id"))
    matched = plays.join(keys, (plays.song == keys.title) & (plays.artist == keys.artist_name)
                         & (plays.length == keys.duration), "left")
    artist_of = first_song.select(F.col("song_id").alias("m_song_id"), F.col("artist_id").alias("m_artist_id"))
    start = F.timestamp_millis(F.col("ts"))
    songplays = (matched.join(artist_of, "m_song_id", "left")
                 .select("songplayId", F.col("uid").alias("user_id"), start.alias("start_time"), "level",
                         F.col("m_song_id").alias("song_id"), F.col("m_artist_id").alias("artist_id"),
                         "sessionId", "userAgent", F.month(start).alias("month"), F.year(start).alias("year")))
    ts = F.col("timestamp")
    time_t = (songplays.select(F.col("start_time").alias("timestamp")).distinct()
              .select("timestamp", F.hour(ts).alias("hour"), F.dayofmonth(ts).alias("day"),
                      F.weekofyear(ts).alias("week"), F.dayofweek(ts).alias("weekday"),
                      F.month(ts).alias("month"), F.year(ts).alias("year")))
    return {"songplays": songplays, "users": users, "songs": songs, "artists": artists, "time": time_t}


def write_tables(tables, out):
    for name, df in tables.items():
        w = df.select(*COLUMNS[name]).write.mode("overwrite").option("compression", "snappy")
        if PARTITIONS[name]:
            w = w.partitionBy(*PARTITIONS[name])
        w.parquet(os.path.join(out, name))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--songs", required=True)
    ap.add_argument("--logs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--driver-memory", default="2g")
    ap.add_argument("--counts", action="store_true", help="print each table's rows (read back)")
    a = ap.parse_args()
    t0 = time.monotonic()
    spark = (SparkSession.builder.master(a.master).appName("songlake-spec-pyspark")
             .config("spark.driver.memory", a.driver_memory)
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    t1 = time.monotonic()
    tables = spec_tables(spark, a.songs, a.logs)
    write_tables(tables, a.out)
    t2 = time.monotonic()
    for name in tables if a.counts else []:
        print(f"{name} {spark.read.parquet(os.path.join(a.out, name)).count()}")
    print(f"spark start {t1 - t0:.2f} s, job {t2 - t1:.2f} s", file=sys.stderr)
    spark.stop()


if __name__ == "__main__":
    main()
