#!/usr/bin/env bash
# Runs every fuzz target for a bounded time and fails when one breaks a promise.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). The stable compiler builds the
# targets with RUSTC_BOOTSTRAP=1 (cargo-fuzz passes nightly-only flags); no sanitizer is used
# (`-s none`): the targets check the tool's own promises, and safe Rust needs no ASan. A crash
# is minimized into fuzz/artifacts/<target>/; copy it into fuzz/regressions/<target>/ with a
# name that says what it is, fix the defect, and `cargo test` replays it from then on.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(json_lines json_document csv web_sdk dotnet whole_file rules analyze)
fi
export RUSTC_BOOTSTRAP=1
[ -d corpus ] || ./seed.sh
cargo fuzz build -s none
failed=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    log="artifacts/$t.log"
    if cargo fuzz run -s none "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -max_len=65536 \
        -print_final_stats=1 > "$log" 2>&1; then
        status=ok
    else
        status=FAILED
        failed+=("$t")
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    echo "$t: $status, $runs executions in ${seconds}s ($((runs / seconds))/s), corpus $(ls "corpus/$t" | wc -l) inputs"
    if [ "$status" = FAILED ]; then
        grep -A20 'panicked at' "$log" | head -30 || tail -30 "$log"
        ls -1 "artifacts/$t"
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing broke: ${failed[*]} (inputs in fuzz/artifacts/)"
    exit 1
fi
