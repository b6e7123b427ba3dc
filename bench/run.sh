#!/usr/bin/env bash
# Benchmark: every bundled analysis over generated corpora of storage exports and Event Grid files,
# against DuckDB running the same checks (bench/duckdb_checks.sql) on the same files.
#
#   bench/run.sh [SCALES] [RUNS]       e.g. bench/run.sh 1,4,10 5
#
# A scale is a multiple of the 770 MiB base corpus; each corpus is generated once into
# bench/corpus-<scale>x (git-ignored) by bench/gen_corpus.py. For each scale it prints, for
# acs-triage (--format json, 2 threads) and DuckDB (all cores): the best and median wall time of
# RUNS runs, the peak resident memory (from /usr/bin/time -v), and DuckDB's median over
# acs-triage's (above 1 means acs-triage is faster). DuckDB comes from bench/.venv (created on
# first use with the version pinned in bench/requirements.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
scales=${1:-1,4,10}
runs=${2:-5}
base_mib=770

cargo build --release --quiet -p acs-triage
bin=target/release/acs-triage
if [ ! -x bench/.venv/bin/python ]; then
    python3 -m venv bench/.venv
    bench/.venv/bin/pip install --quiet -r bench/requirements.txt
fi

# Wall seconds and peak RSS (KiB) of one command: "SECONDS KIB".
measure() {
    /usr/bin/time -v "$@" > /tmp/acs-triage-bench.out 2> /tmp/acs-triage-bench.time || true
    awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]}
                /Maximum resident set size/ {k = $2} END {print s, k}' /tmp/acs-triage-bench.time
}

# "best median" of a list of numbers.
best_median() {
    printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {printf "%.2f %.2f\n", v[1], v[int((NR + 1) / 2)]}'
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "duckdb:  $(bench/.venv/bin/python -c 'import duckdb; print(duckdb.__version__)')"
printf '%-6s %-9s %-10s %-20s %-11s %-20s %-11s %s\n' scale size records "acs-triage best/med" "peak RSS" "duckdb best/med" "peak RSS" "speed-up"
for scale in ${scales//,/ }; do
    dir=bench/corpus-${scale}x
    size=$((base_mib * scale))
    if [ ! -f "$dir/.size" ] || [ "$(cat "$dir/.size")" != "$size" ]; then
        rm -rf "$dir"
        python3 bench/gen_corpus.py "$dir" "$size" > /dev/null
        echo "$size" > "$dir/.size"
    fi
    # Warm the page cache so both tools read from memory.
    find "$dir" -type f -name '*.json' -exec cat {} + > /dev/null
    acs_times=(); acs_peak=0; duck_times=(); duck_peak=0; records=?
    for _ in $(seq "$runs"); do
        read -r t k < <(measure "$bin" analyze "$dir" --format json --threads 2)
        acs_times+=("$t"); [ "$k" -gt "$acs_peak" ] && acs_peak=$k
        records=$(python3 -c 'import json,sys; print(json.load(open("/tmp/acs-triage-bench.out"))["summary"]["records"])')
        read -r _ k < <(measure bench/.venv/bin/python bench/duckdb_checks.py "$dir")
        duck_times+=("$(cut -d' ' -f1 /tmp/acs-triage-bench.out)"); [ "$k" -gt "$duck_peak" ] && duck_peak=$k
    done
    read -r acs_best acs_med < <(best_median "${acs_times[@]}")
    read -r duck_best duck_med < <(best_median "${duck_times[@]}")
    printf '%-6s %-9s %-10s %-20s %-11s %-20s %-11s %s\n' "${scale}x" "$(du -sh "$dir" | cut -f1)" "$records" \
        "$acs_best / $acs_med s" "$((acs_peak / 1024)) MiB" "$duck_best / $duck_med s" "$((duck_peak / 1024)) MiB" \
        "$(awk -v a="$acs_med" -v d="$duck_med" 'BEGIN {printf "%.2fx", d / a}')"
done
