#!/usr/bin/env bash
# Seeds each fuzz target's corpus (fuzz/corpus/<target>, git-ignored) from the sample logs, the
# test fixtures and the bundled rules, so fuzzing starts from real inputs of every shape.
set -euo pipefail
cd "$(dirname "$0")"
root=..
logs=$(find "$root/examples/logs" "$root/tests/corpus" -type f \( -name '*.json' -o -name '*.log' -o -name '*.csv' -o -name '*.gz' -o -name '*.txt' \) | sort)
for t in json_lines json_document csv web_sdk dotnet whole_file analyze; do
    mkdir -p "corpus/$t"
    for f in $logs; do
        # Seeds stay small (libFuzzer mutates better from short inputs), named by content hash.
        head -c 65536 "$f" > "corpus/$t/seed"
        h=$(sha1sum "corpus/$t/seed" | cut -c1-16); mv "corpus/$t/seed" "corpus/$t/$h"
    done
done
mkdir -p corpus/rules
for f in "$root"/rules/bundled/*.toml "$root"/tests/corpus/*rules*/*.toml; do
    cp "$f" "corpus/rules/$(basename "$f")"
done
echo "seeded: $(find corpus -type f | wc -l) files"
