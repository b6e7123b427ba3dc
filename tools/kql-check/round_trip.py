#!/usr/bin/env python3
"""The KQL round trip, offline: the same findings from the logs and from the queries' results.

1. la_rows.py writes a day of Log-Analytics-shaped rows;
2. `acs-triage analyze` judges those rows;
3. `acs-triage kql` writes the queries (bundled analyses and rules, plus RULES folders given);
4. every query runs on DuckDB through duckdb-kql (kql-run.py), over the same rows, and its
   result is saved as Log Analytics query-API JSON, as `az monitor log-analytics query` gives it;
5. `acs-triage analyze` judges the results;
6. for every finding kind a query feeds, the findings of 2 and 5 must agree: kind, severity,
   action, code and IDs.

usage: round_trip.py ACS_TRIAGE_BINARY WORK_DIR [--rules FOLDER]...
Exit status 0 when every kind agrees, 1 otherwise.
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCHEMA = os.path.join(ROOT, "rules", "log-analytics-tables.json")
SINCE, UNTIL = "2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z"


def analyze(binary, path, rules):
    args = [binary, "analyze", path, "--format", "json"] + rules
    out = subprocess.run(args, capture_output=True, text=True, check=False)
    if out.returncode not in (0, 1):
        sys.exit("analyze %s failed: %s" % (path, out.stderr))
    return json.loads(out.stdout)["findings"]


def key(f):
    return (f["id"], f["severity"], f.get("action"), f.get("code"),
            json.dumps(f.get("ids"), sort_keys=True))


def main():
    binary, work = sys.argv[1], sys.argv[2]
    rules = []
    rest = sys.argv[3:]
    while rest:
        if rest[0] == "--rules" and len(rest) > 1:
            rules += ["--rules", rest[1]]
            rest = rest[2:]
        else:
            sys.exit(__doc__)
    raw, queries, results = (os.path.join(work, d) for d in ("raw", "queries", "results"))
    for d in (raw, results):
        os.makedirs(d, exist_ok=True)
    rows = os.path.join(raw, "la-rows.json")
    subprocess.run([sys.executable, os.path.join(HERE, "la_rows.py"), rows], check=True)
    started = time.time()
    out = subprocess.run([binary, "kql", "--since", SINCE, "--until", UNTIL, "-o", queries] + rules,
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("kql failed:\n" + out.stdout + out.stderr)
    manifest = json.load(open(os.path.join(queries, "manifest.json")))
    run = os.path.join(HERE, "kql-run.py")
    for q in manifest["queries"]:
        name = os.path.splitext(q["file"])[0]
        subprocess.run([sys.executable, run, "--schema", SCHEMA, "--data", rows, "--now", UNTIL,
                        os.path.join(queries, q["file"]), "-o", os.path.join(results, name + ".json")],
                       check=True, stderr=subprocess.DEVNULL)
    ran = time.time() - started
    from_logs = analyze(binary, raw, rules)
    from_results = analyze(binary, results, rules)
    failed = False
    print("%-28s %6s %8s %8s  %s" % ("finding kind", "bytes", "logs", "results", "same"))
    kinds = []
    for q in manifest["queries"]:
        for feeds in [q["feeds"]] + q.get("also_feeds", []):
            kinds.append((feeds[len("rule/"):] if feeds.startswith("rule/") else feeds, q["bytes"]))
    for kind, size in kinds:
        a = sorted(key(f) for f in from_logs if f["id"] == kind)
        b = sorted(key(f) for f in from_results if f["id"] == kind)
        same = a == b
        failed |= not same
        print("%-28s %6d %8d %8d  %s" % (kind, size, len(a), len(b), "yes" if same else "NO"))
        if not same:
            for x in a:
                if x not in b:
                    print("   only from the logs:   ", x)
            for x in b:
                if x not in a:
                    print("   only from the results:", x)
    fed = [k for k in {f["id"] for f in from_logs} if k not in {kind for kind, _ in kinds}]
    print("kinds with no KQL form (judged from the logs only): %s" % ", ".join(sorted(fed)))
    print("%d queries run on DuckDB in %.1f s" % (len(manifest["queries"]), ran))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
