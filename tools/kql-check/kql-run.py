#!/usr/bin/env python3
"""kql-run.py — run a .kql file locally on DuckDB (via the PyPI package duckdb-kql)
against Log-Analytics-shaped JSON rows, and write the result as Log Analytics
query-API JSON.

    python kql-run.py --schema rules/log-analytics-tables.json --data rows.json query.kql [-o out.json]

Steps:
  1. CREATE TABLE for every table in the schema file (rules/log-analytics-tables.json shape:
     {"tables":[{"name":..,"columns":[{"name":..,"type":..}]}]}), with the DuckDB
     types duckdb-kql itself maps KQL types to (string->VARCHAR, int->INTEGER,
     long->BIGINT, real->DOUBLE, datetime->TIMESTAMP, bool->BOOLEAN, dynamic->JSON,
     timespan->INTERVAL, guid->UUID, decimal->DECIMAL(38,9)).
  2. Load rows from each --data file. Accepted shapes:
       a) [ {"Col": value, ...}, ... ]                       array of objects
       b) {"tables":[{"name":..,"columns":[{"name","type"}],"rows":[[...]]}]}
                                                              Log Analytics query-API result
       c) {"ACSCallSummary": [ {...}, ... ], "ACSCallDiagnostics": [...]}
                                                              table name -> array of objects
     The target table is, in order: the TABLE of `--data TABLE=file.json`, --table,
     the query-API table "name" when it is a schema table, and otherwise each row's
     "Type" column (every Log Analytics row carries its table name there).
     Values may be native JSON or strings (as `az monitor log-analytics query` prints
     them); they are converted to the column's type. Strings that are null/missing
     become "" (Kusto has no null strings; Log Analytics returns ""), unless
     --keep-null-strings. Likewise NULL strings in the result (e.g. the right-hand columns of an
     unmatched leftouter join) are written as "".
  3. Run the query with duckdb_kql.kql(con, text, parameters, query_now=...).
  4. Write {"tables":[{"name":"PrimaryResult","columns":[{"name","type"}],"rows":[[...]]}]}.
     datetime -> "2024-01-01T00:00:00.123Z", timespan -> "[d.]hh:mm:ss[.fffffff]",
     dynamic -> JSON text in a string (as the Log Analytics query API returns it;
     --dynamic-as-json embeds it instead), guid -> string.

Exit status: 0 ok, 1 query failed (syntax / unsupported / schema / DuckDB error, printed
on stderr as `file: ErrorClass: message`), 2 usage or data error.
"""
from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import math
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import duckdb
import duckdb_kql
from duckdb_kql.translate import TYPE_MAP as KQL_TO_DUCKDB
from duckdb_kql.types import kusto_type

# ----------------------------------------------------------------------------- schema


class DataError(Exception):
    pass


def load_schema(paths: list[str]) -> dict[str, list[tuple[str, str]]]:
    """table -> [(column, kql_type)] in file order."""
    tables: dict[str, list[tuple[str, str]]] = {}
    for p in paths:
        js = json.loads(Path(p).read_text(encoding="utf-8"))
        for t in js.get("tables", []):
            cols = []
            for c in t.get("columns", []):
                ktype = str(c["type"]).strip().lower()
                if ktype not in KQL_TO_DUCKDB:
                    raise DataError(f"{p}: {t['name']}.{c['name']}: unknown KQL type {c['type']!r}")
                cols.append((c["name"], ktype))
            tables[t["name"]] = cols
    return tables


def qident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_tables(con: duckdb.DuckDBPyConnection, schema: dict[str, list[tuple[str, str]]]) -> None:
    for table, cols in schema.items():
        lowered = [c.lower() for c, _ in cols]
        if len(set(lowered)) != len(lowered):
            # DuckDB folds identifier case; KQL does not. Two columns differing only in
            # case cannot both exist in one DuckDB table.
            raise DataError(f"table {table}: columns differ only by case: {sorted(cols)}")
        ddl = ", ".join(f"{qident(c)} {KQL_TO_DUCKDB[t]}" for c, t in cols)
        con.execute(f"CREATE OR REPLACE TABLE {qident(table)} ({ddl})")


# ----------------------------------------------------------------------------- value conversion

_TS_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$")
_SPAN_RE = re.compile(r"^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$")


def to_datetime(v: Any) -> dt.datetime | None:
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.timezone.utc).replace(tzinfo=None) if v.tzinfo else v
    if isinstance(v, (int, float)):  # epoch seconds
        return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=v)
    m = _TS_RE.match(str(v).strip())
    if not m:
        raise ValueError(f"not a datetime: {v!r}")
    y, mo, d, h, mi, s, frac, tz = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))  # Kusto has 100ns ticks; DuckDB microseconds
    out = dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), micro)
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        tz = tz[1:].replace(":", "")
        out -= sign * dt.timedelta(hours=int(tz[:2]), minutes=int(tz[2:]))
    return out


def to_timespan(v: Any) -> dt.timedelta | None:
    if v is None or v == "":
        return None
    if isinstance(v, dt.timedelta):
        return v
    if isinstance(v, (int, float)):  # seconds
        return dt.timedelta(seconds=v)
    m = _SPAN_RE.match(str(v).strip())
    if not m:
        raise ValueError(f"not a timespan (expected [d.]hh:mm:ss[.fffffff]): {v!r}")
    neg, days, h, mi, s, frac = m.groups()
    out = dt.timedelta(days=int(days or 0), hours=int(h), minutes=int(mi), seconds=int(s),
                       microseconds=int((frac or "0")[:6].ljust(6, "0")))
    return -out if neg else out


def to_bool(v: Any) -> bool | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v != 0
    s = str(v).strip().lower()
    if s in ("true", "1", "yes"):
        return True
    if s in ("false", "0", "no"):
        return False
    raise ValueError(f"not a bool: {v!r}")


def to_int(v: Any) -> int | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if not v.is_integer():
            raise ValueError(f"not an integer: {v!r}")
        return int(v)
    s = str(v).strip()
    return int(float(s)) if re.fullmatch(r"-?\d+\.0*", s) else int(s)


def to_real(v: Any) -> float | None:
    if v is None or v == "":
        return None
    if isinstance(v, str) and v.strip() in ("NaN", "Infinity", "-Infinity"):
        return float(v.strip().replace("Infinity", "inf"))
    return float(v)


def to_dynamic(v: Any) -> str | None:
    """JSON text for a DuckDB JSON column. A string that parses as JSON is taken as JSON
    text (the query API returns dynamic values that way); any other string is a JSON string."""
    if v is None:
        return None
    if isinstance(v, str):
        try:
            json.loads(v)
            return v
        except ValueError:
            return json.dumps(v)
    return json.dumps(v)


def to_string(v: Any, keep_null: bool) -> str | None:
    if v is None:
        return None if keep_null else ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"))
    return str(v)


def to_guid(v: Any) -> str | None:
    if v is None or v == "":
        return None
    return str(uuid.UUID(str(v)))


def converter(ktype: str, keep_null_strings: bool):
    base = {"int": "int", "long": "int", "real": "real", "double": "real", "decimal": "decimal",
            "string": "string", "datetime": "datetime", "date": "datetime", "timespan": "timespan",
            "time": "timespan", "bool": "bool", "boolean": "bool", "dynamic": "dynamic",
            "guid": "guid", "uuid": "guid"}.get(ktype, "string")
    if base == "int":
        return to_int
    if base == "real":
        return to_real
    if base == "decimal":
        return lambda v: None if v is None or v == "" else decimal.Decimal(str(v))
    if base == "datetime":
        return to_datetime
    if base == "timespan":
        return to_timespan
    if base == "bool":
        return to_bool
    if base == "dynamic":
        return to_dynamic
    if base == "guid":
        return to_guid
    return lambda v: to_string(v, keep_null_strings)


# ----------------------------------------------------------------------------- data loading


def iter_row_groups(path: str, js: Any, default_table: str | None, schema: dict) -> list[tuple[str | None, list[dict]]]:
    """[(table or None, [row dict])]; None = take the table from each row's Type."""
    if isinstance(js, list):
        return [(default_table, js)]
    if isinstance(js, dict) and isinstance(js.get("tables"), list):
        groups = []
        for t in js["tables"]:
            names = [c["name"] for c in t.get("columns", [])]
            rows = [dict(zip(names, r)) for r in t.get("rows", [])]
            name = default_table or (t.get("name") if t.get("name") in schema else None)
            groups.append((name, rows))
        return groups
    if isinstance(js, dict) and all(isinstance(v, list) for v in js.values()):
        return [(default_table or k, v) for k, v in js.items()]
    raise DataError(f"{path}: unrecognised data shape (want an array of objects, "
                    "a query-API {\"tables\":[...]} object, or {\"Table\": [rows]})")


def load_data(con, schema, specs: list[str], default_table: str | None, keep_null_strings: bool,
              strict: bool, log) -> dict[str, int]:
    by_table: dict[str, list[dict]] = {}
    for spec in specs:
        table = default_table
        path = spec
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.+)$", spec)
        if m and not Path(spec).exists():
            table, path = m.group(1), m.group(2)
        js = json.loads(Path(path).read_text(encoding="utf-8"))
        for tname, rows in iter_row_groups(path, js, table, schema):
            for i, row in enumerate(rows):
                if not isinstance(row, dict):
                    raise DataError(f"{path}: row {i} is not an object")
                t = tname or row.get("Type")
                if not t:
                    raise DataError(f"{path}: row {i}: no table (give --table, TABLE=file, or a 'Type' column)")
                if t not in schema:
                    raise DataError(f"{path}: row {i}: table {t!r} is not in the schema")
                by_table.setdefault(t, []).append(row)
    counts = {}
    for table, rows in by_table.items():
        cols = schema[table]
        names = {c for c, _ in cols}
        lower = {c.lower(): c for c, _ in cols}
        convs = [converter(t, keep_null_strings) for _, t in cols]
        extra: set[str] = set()
        values = []
        for i, row in enumerate(rows):
            for k in row:
                if k not in names and k != "TableName":
                    extra.add(k)
            vals = []
            for (c, t), conv in zip(cols, convs):
                try:
                    vals.append(conv(row.get(c)))
                except (ValueError, TypeError, decimal.InvalidOperation) as e:
                    raise DataError(f"{table} row {i} column {c} ({t}): {e}") from None
            values.append(vals)
        for k in sorted(extra):
            hint = f" (did you mean {lower[k.lower()]!r}? column names are case-sensitive)" if k.lower() in lower else ""
            msg = f"{table}: data column {k!r} is not in the schema; ignored{hint}"
            if strict:
                raise DataError(msg)
            log(f"warning: {msg}")
        placeholders = ", ".join("?" for _ in cols)
        con.executemany(f"INSERT INTO {qident(table)} VALUES ({placeholders})", values)
        counts[table] = len(values)
    return counts


# ----------------------------------------------------------------------------- result JSON


def fmt_datetime(v: dt.datetime) -> str:
    if v.tzinfo is not None:
        v = v.astimezone(dt.timezone.utc).replace(tzinfo=None)
    s = v.strftime("%Y-%m-%dT%H:%M:%S")
    if v.microsecond:
        s += "." + f"{v.microsecond:06d}".rstrip("0")
    return s + "Z"


def fmt_timespan(v: dt.timedelta) -> str:
    neg = v < dt.timedelta(0)
    v = -v if neg else v
    days, rem = v.days, v.seconds
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    out = (f"{days}." if days else "") + f"{h:02d}:{m:02d}:{s:02d}"
    if v.microseconds:
        out += "." + f"{v.microseconds:06d}0"  # Kusto prints 7 digits (100 ns ticks)
    return ("-" if neg else "") + out


def json_value(v: Any, ktype: str, dynamic_as_json: bool, null_strings: bool = False) -> Any:
    if v is None:
        # Kusto strings cannot be null (an unmatched leftouter/lookup column, a missing value...):
        # Log Analytics returns "" where DuckDB has NULL.
        return None if (null_strings or ktype != "string") else ""
    if ktype == "dynamic":
        parsed = json.loads(v) if isinstance(v, str) else v
        if dynamic_as_json:
            return parsed
        return json.dumps(parsed, separators=(",", ":"), ensure_ascii=False)
    if isinstance(v, dt.datetime):
        return fmt_datetime(v)
    if isinstance(v, dt.date):
        return fmt_datetime(dt.datetime(v.year, v.month, v.day))
    if isinstance(v, dt.timedelta):
        return fmt_timespan(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, (list, dict)):  # a composite DuckDB value reported as dynamic
        return v if dynamic_as_json else json.dumps(v, separators=(",", ":"), default=str)
    return v


def run_query(con, text: str, params: dict, query_now, dynamic_as_json: bool, null_strings: bool = False) -> dict:
    rel = duckdb_kql.kql(con, text, params or None, query_now=query_now)
    ktypes = [kusto_type(t) for t in rel.types]
    rows = rel.fetchall()
    return {"tables": [{
        "name": "PrimaryResult",
        "columns": [{"name": n, "type": t} for n, t in zip(rel.columns, ktypes)],
        "rows": [[json_value(v, t, dynamic_as_json, null_strings) for v, t in zip(r, ktypes)] for r in rows],
    }]}


# ----------------------------------------------------------------------------- CLI


def parse_param(s: str) -> tuple[str, Any]:
    if "=" not in s:
        raise argparse.ArgumentTypeError(f"--param wants NAME=VALUE, got {s!r}")
    k, v = s.split("=", 1)
    try:
        return k, json.loads(v)  # numbers, true/false, "quoted strings"
    except ValueError:
        return k, v  # bare text (datetimes are accepted as ISO text by duckdb-kql)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("query", help=".kql file ('-' = stdin)")
    ap.add_argument("--schema", action="append", required=True, help="rules/log-analytics-tables.json (repeatable)")
    ap.add_argument("--data", action="append", default=[], help="rows JSON file, or TABLE=file.json (repeatable)")
    ap.add_argument("--table", help="table for --data files whose rows carry no 'Type'")
    ap.add_argument("-o", "--output", help="write the result JSON here (default stdout)")
    ap.add_argument("--now", help="pin now()/ago() to this UTC datetime, e.g. 2024-01-02T00:00:00Z")
    ap.add_argument("--param", action="append", default=[], type=parse_param,
                    help="value for a `declare query_parameters` parameter, NAME=VALUE (JSON or text)")
    ap.add_argument("--keep-null-strings", action="store_true",
                    help="load null/missing string values as NULL instead of \"\", and print NULL strings in the "
                         "result as null instead of \"\" (Kusto has no null strings)")
    ap.add_argument("--strict", action="store_true", help="unknown data columns are an error, not a warning")
    ap.add_argument("--dynamic-as-json", action="store_true",
                    help="embed dynamic values as JSON instead of JSON text in a string")
    ap.add_argument("--sql", action="store_true", help="print the translated DuckDB SQL on stderr")
    ap.add_argument("--indent", type=int, default=None, help="pretty-print the output JSON")
    ap.add_argument("--database", default=":memory:", help="DuckDB database file (default in-memory)")
    ap.add_argument("-v", "--verbose", action="store_true", help="timings and row counts on stderr")
    a = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(f"kql-run: {msg}", file=sys.stderr)

    t0 = time.perf_counter()
    try:
        schema = load_schema(a.schema)
        con = duckdb_kql.connect(a.database)  # sets TimeZone='UTC'
        create_tables(con, schema)
        counts = load_data(con, schema, a.data, a.table, a.keep_null_strings, a.strict, log)
        now = to_datetime(a.now) if a.now else None
    except (DataError, OSError, ValueError) as e:
        log(f"error: {e}")
        return 2
    t1 = time.perf_counter()
    name = "<stdin>" if a.query == "-" else a.query
    text = sys.stdin.read() if a.query == "-" else Path(a.query).read_text(encoding="utf-8")
    params = dict(a.param)
    try:
        if a.sql:
            log("SQL:\n" + str(duckdb_kql.to_sql(text, schema=duckdb_kql.engine.schema(con), parameters=params or None)))
        result = run_query(con, text, params, now, a.dynamic_as_json, a.keep_null_strings)
    except duckdb_kql.KqlError as e:
        print(f"{name}: {type(e).__name__}: {e}", file=sys.stderr)
        for d in getattr(e, "diagnostics", []) or []:
            print(f"{name}:{d.span.line}:{d.span.column + 1}: {d.message}", file=sys.stderr)
        return 1
    except duckdb.Error as e:
        print(f"{name}: DuckDB {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    t2 = time.perf_counter()
    out = json.dumps(result, indent=a.indent, ensure_ascii=False)
    if a.output:
        Path(a.output).write_text(out + "\n", encoding="utf-8")
    else:
        print(out)
    if a.verbose:
        log(f"loaded {counts} in {t1 - t0:.2f}s; query {t2 - t1:.2f}s; "
            f"{len(result['tables'][0]['rows'])} result row(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
