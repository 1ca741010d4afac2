"""The analytics queries of tests/spark/queries/*.sql, each written once,
give the same answer in Spark SQL (temp views over spark.read.parquet),
DuckDB (views over read_parquet with hive partitioning) and PostgreSQL
(after `songlake load-postgres` of the same lake), row for row in the
query's own order, on the sample and on the generated set. Every query
must return rows there, so an empty join cannot pass for agreement."""
import glob
import os

from sparkctx import TABLES

HERE = os.path.dirname(os.path.abspath(__file__))


def load_queries():
    out = {}
    for p in sorted(glob.glob(os.path.join(HERE, "..", "queries", "*.sql"))):
        text = open(p, encoding="utf-8").read().strip().rstrip(";")
        out[os.path.basename(p)[:-4]] = text
    return out


def canon(rows):
    """Values as PostgreSQL's text output shows them (the queries return
    integers and strings only)."""
    return [tuple(None if v is None else str(v) for v in r) for r in rows]


def run(spark, ctx):
    queries = load_queries()
    ctx.check(len(queries) >= 4, f"{len(queries)} queries in tests/spark/queries")
    pg = ctx.pg()
    for name in ["sample", "gen"]:
        lake = ctx.lake(name)
        for t in TABLES:
            spark.read.parquet(f"{lake}/{t}").createOrReplaceTempView(t)
        con = ctx.duck_tables(lake)
        ctx.songlake("load-postgres", "--lake", lake, "--dsn", pg.dsn, "--schema", f"q_{name}")
        for q, sql in queries.items():
            where = f"{name} {q}"
            s = canon(spark.sql(sql).collect())
            d = canon(con.execute(sql).fetchall())
            p = canon(pg.query(sql, schema=f"q_{name}"))
            if not s:
                ctx.fail(f"{where}: no rows in Spark")
            elif s == d == p:
                ctx.ok(f"{where}: Spark SQL, DuckDB and PostgreSQL give the same {len(s)} rows (first {s[0]})")
            else:
                for other, rows in [("DuckDB", d), ("PostgreSQL", p)]:
                    if rows != s:
                        diff = next((i for i, (a, b) in enumerate(zip(s, rows)) if a != b), min(len(s), len(rows)))
                        ctx.fail(f"{where}: Spark {len(s)} rows, {other} {len(rows)}; first difference at "
                                 f"row {diff}: Spark {s[diff] if diff < len(s) else None}, "
                                 f"{other} {rows[diff] if diff < len(rows) else None}")
