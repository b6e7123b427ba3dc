#!/usr/bin/env bash
# Memory must not grow with healthy traffic: peak resident memory of `analyze` on a corpus of
# SMALL MiB and on one of 4 x SMALL MiB, both with failures only in their first two hours (the rest
# is healthy traffic from the same 20,000 users), must stay within RATIO of each other.
#
#   bench/memory_growth.sh [SMALL_MIB] [RATIO]      defaults: 1024 (27 hours of traffic), 1.25
#
# Run with [ingest] close_after = "2h" and watch_late = "4h" so that a short corpus already
# reaches the steady state that the defaults (12h, 48h) reach after two days of traffic. The
# small corpus covers more than a day because its Event Grid reports come in one file per day,
# whose messages are held while the file is read: under a day, the small corpus holds fewer.
set -euo pipefail
cd "$(dirname "$0")/.."
small=${1:-1024}
ratio=${2:-1.25}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet -p acs-triage
printf '[ingest]\nclose_after = "2h"\nwatch_late = "4h"\n' > "$work/config.toml"

peak() {
    local corpus=$1
    /usr/bin/time -f "%M" -o "$work/time" target/release/acs-triage analyze "$corpus" \
        --format json --threads 2 --config "$work/config.toml" > /dev/null 2> "$work/err" || true
    tail -1 "$work/time"
}

python3 bench/gen_corpus.py "$work/short" "$small" --healthy-after 2 > /dev/null
short=$(peak "$work/short")
rm -rf "$work/short"
python3 bench/gen_corpus.py "$work/long" $((small * 4)) --healthy-after 2 > /dev/null
long=$(peak "$work/long")
rm -rf "$work/long"

awk -v s="$short" -v l="$long" -v r="$ratio" -v mib="$small" 'BEGIN {
    printf "peak RSS: %d MiB on %d MiB of logs, %d MiB on %d MiB (x%.2f, limit x%.2f)\n",
        s / 1024, mib, l / 1024, mib * 4, l / s, r
    exit (l / s <= r) ? 0 : 1
}'
