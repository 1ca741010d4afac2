"""Nested-writer interop: pyarrow and polars read what pq_tree_write wrote.

Usage: tree_interop.py <pq_tree_write binary>

Writes the files into a temporary directory and compares every row that
pyarrow (Arrow C++) and polars (its own Rust reader) give back with the
tree_<variant>.json written beside each file. Exits non-zero on a mismatch.
"""
import datetime
import json
import os
import subprocess
import sys
import tempfile

import polars as pl
import pyarrow.parquet as pq

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


MAPS = {"partitionValues"}  # the schema's map fields


def canon(v, field=None):
    """Ints as decimal strings, timestamps as epoch microseconds, maps (a list
    of (key, value) tuples in pyarrow, a dict in polars) as [key, value]
    lists."""
    if field in MAPS and isinstance(v, dict):
        return [[canon(k), canon(x)] for k, x in v.items()]
    if isinstance(v, bool) or v is None or isinstance(v, float):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, datetime.datetime):
        d = v - EPOCH
        return str((d.days * 86400 + d.seconds) * 1000000 + d.microseconds)
    if isinstance(v, tuple):
        return [canon(x) for x in v]
    if isinstance(v, list):
        return [canon(x) for x in v]
    if isinstance(v, dict):
        return {k: canon(x, k) for k, x in v.items()}
    return v


def expected_rows(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            rows.append(canon(json.loads(line)))
    return rows


def main():
    binary = sys.argv[1]
    failures = 0
    with tempfile.TemporaryDirectory(prefix="songlake-tree-") as d:
        subprocess.run([binary, d], check=True)
        variants = sorted(n[5:-8] for n in os.listdir(d) if n.endswith(".parquet"))
        assert len(variants) >= 5, variants
        for v in variants:
            path = os.path.join(d, f"tree_{v}.parquet")
            exp = expected_rows(os.path.join(d, f"tree_{v}.json"))
            readers = {
                "pyarrow": lambda: pq.read_table(path).to_pylist(),
                "polars": lambda: pl.read_parquet(path).to_dicts(),
            }
            for name, read in readers.items():
                got = [canon(r) for r in read()]
                if len(got) != len(exp):
                    print(f"FAIL {name} {v}: {len(got)} rows, expected {len(exp)}")
                    failures += 1
                    continue
                for i, (g, e) in enumerate(zip(got, exp)):
                    if g != e:
                        print(f"FAIL {name} {v} row {i}:\n  got {g}\n  exp {e}")
                        failures += 1
                        break
                else:
                    print(f"ok {name} {v}: {len(got)} rows")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
