#!/usr/bin/env python3
"""Runs bench/duckdb_checks.sql once with DuckDB on a corpus folder (all cores) and prints the
query's wall time in seconds and its result row count: `duckdb_checks.py CORPUS_DIR`."""
import sys
import time

import duckdb

corpus = sys.argv[1] if len(sys.argv) > 1 else "bench/corpus"
sql = open("bench/duckdb_checks.sql").read().replace("{corpus}", corpus)
con = duckdb.connect()
start = time.perf_counter()
rows = con.execute(sql).fetchall()
elapsed = time.perf_counter() - start
print("%.3f %d %s" % (elapsed, len(rows), duckdb.__version__))
