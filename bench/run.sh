#!/usr/bin/env bash
# Benchmark: every bundled analysis over a ~770 MiB storage-export corpus, against DuckDB running
# the same checks (bench/duckdb_checks.sql) on the same files.
#
#   bench/run.sh [SIZE_MIB] [RUNS]
#
# Prints, for acs-triage (2 threads) and DuckDB: wall time of each run, the best and the median,
# and acs-triage's peak resident memory (from /usr/bin/time -v). The corpus is generated once into
# bench/corpus (git-ignored) by bench/gen_corpus.py; DuckDB is skipped when its Python package is
# not installed (pip install duckdb).
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-770}
runs=${2:-5}

if [ ! -f bench/corpus/.size ] || [ "$(cat bench/corpus/.size)" != "$size" ]; then
    rm -rf bench/corpus
    python3 bench/gen_corpus.py bench/corpus "$size"
    echo "$size" > bench/corpus/.size
fi
cargo build --release --quiet
bin=target/release/acs-triage

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "corpus:  $(du -sh bench/corpus | cut -f1) in $(find bench/corpus -name 'PT1H.json' | wc -l) files"
# Warm the page cache so both tools read from memory.
find bench/corpus -type f -name 'PT1H.json' -exec cat {} + > /dev/null

times=()
peak=0
for _ in $(seq "$runs"); do
    /usr/bin/time -v "$bin" analyze bench/corpus --format json --threads 2 > /tmp/acs-triage-bench.json 2> /tmp/acs-triage-bench.time || true
    t=$(awk -F': ' '/Elapsed \(wall clock\)/ {split($2, a, ":"); print a[1] * 60 + a[2]}' /tmp/acs-triage-bench.time)
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' /tmp/acs-triage-bench.time)
    times+=("$t")
    [ "$rss" -gt "$peak" ] && peak=$rss
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "acs-triage: runs ${times[*]} s; best $(echo "$sorted" | head -1) s; median $(echo "$sorted" | sed -n "$(( (runs + 1) / 2 ))p") s; peak RSS $((peak / 1024)) MiB"
python3 - <<'PY'
import json
d = json.load(open("/tmp/acs-triage-bench.json"))
s = d["summary"]
print("            %d records, %d findings %s" % (s["records"], len(d["findings"]), s["findings"]))
PY

if python3 -c 'import duckdb' 2>/dev/null; then
    python3 bench/duckdb_checks.py "$runs"
else
    echo "duckdb: not installed (pip install duckdb) - comparison skipped"
fi
