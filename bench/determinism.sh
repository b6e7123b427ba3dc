#!/usr/bin/env bash
# The report must not depend on how the work was shared: on a generated corpus of MIB MiB (about
# 2,500 calls an hour, 2 % failing), `analyze --format json` must print the same bytes with one
# thread, with two, with the files read in shuffled orders, and with calls closed an hour after
# their last record instead of twelve (hour-by-hour reading lets go of more, earlier).
#
#   bench/determinism.sh [MIB]      default: 770 (the 1x benchmark scale: 20 hours, 50,000 calls)
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-770}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet -p acs-triage
python3 bench/gen_corpus.py "$work/corpus" "$mib" > /dev/null
printf '[ingest]\nclose_after = "1h"\n' > "$work/close-1h.toml"

run() {
    local name=$1
    shift
    # Exit status 1 means "problems found", which a corpus with failures must give.
    local status=0
    target/release/acs-triage analyze "$work/corpus" --format json "$@" > "$work/$name.json" 2> "$work/$name.err" || status=$?
    if [ "$status" -ne 1 ]; then
        echo "$name: exit status $status (expected 1: problems found)"
        cat "$work/$name.err"
        exit 1
    fi
}

run one-thread --threads 1
run two-threads --threads 2
run shuffled-1 --threads 2 --order-seed 1
run shuffled-2 --threads 1 --order-seed 2
run close-1h --threads 2 --config "$work/close-1h.toml"

findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$work/one-thread.json")
failed=0
for name in two-threads shuffled-1 shuffled-2 close-1h; do
    if cmp -s "$work/one-thread.json" "$work/$name.json"; then
        echo "$name: same report as one thread ($findings findings, $(wc -c < "$work/$name.json") bytes)"
    else
        echo "$name: the report differs from one thread's:"
        diff <(python3 -m json.tool "$work/one-thread.json") <(python3 -m json.tool "$work/$name.json") | head -20 || true
        failed=1
    fi
done
exit "$failed"
