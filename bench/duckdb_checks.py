#!/usr/bin/env python3
"""Times bench/duckdb_checks.sql with DuckDB (pip install duckdb), best of N runs."""
import sys
import time

import duckdb

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
sql = open("bench/duckdb_checks.sql").read()
best = None
for _ in range(runs):
    con = duckdb.connect()
    start = time.perf_counter()
    rows = con.execute(sql).fetchall()
    elapsed = time.perf_counter() - start
    best = elapsed if best is None else min(best, elapsed)
    con.close()
print("duckdb %s: %d result rows, best of %d: %.3f s" % (duckdb.__version__, len(rows), runs, best))
