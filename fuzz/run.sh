#!/usr/bin/env bash
# Runs every fuzz target for a bounded time and fails when one breaks a promise.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). Built on the stable compiler without
# a sanitizer (`-s none`: the targets check the tool's own promises, and safe Rust needs no
# ASan; the plain reader's unsafe blocks are SIMD loads of the 16- or 32-byte slices they name
# and one unchecked string slice whose ends a debug assertion checks, on in these builds, and
# `Field::push_text` writes a field's members into the slot `reserve` has just made), with
# byte comparisons kept visible to libFuzzer (`-max-loads-per-memcmp=0`, else they
# are inlined past its instrumentation) and a dictionary of log tokens per target. A crash
# is minimized into fuzz/artifacts/<target>/; copy it into fuzz/regressions/<target>/ with a
# name that says what it is, fix the defect, and `cargo test` replays it from then on.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(json_lines json_document csv web_sdk dotnet whole_file rules analyze archive pieces redaction flatten)
fi
export RUSTFLAGS="-Cllvm-args=-max-loads-per-memcmp=0"
fuzz=(-s none --codegen-units 16)
[ -d corpus ] || ./seed.sh
cargo fuzz build "${fuzz[@]}"
failed=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    log="artifacts/$t.log"
    case $t in
        csv) dict=csv ;;
        web_sdk | dotnet) dict=sdk ;;
        rules) dict=rules ;;
        archive) dict=archive ;;
        redaction) dict=redaction ;;
        *) dict=json ;;
    esac
    if cargo fuzz run "${fuzz[@]}" "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -max_len=65536 \
        -dict="dicts/$dict.dict" -print_final_stats=1 > "$log" 2>&1; then
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
