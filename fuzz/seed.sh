#!/usr/bin/env bash
# Seeds each fuzz target's corpus (fuzz/corpus/<target>, git-ignored) from the sample logs, the
# test fixtures and the bundled rules, so fuzzing starts from real inputs of every shape.
set -euo pipefail
cd "$(dirname "$0")"
root=..
logs=$(find "$root/examples/logs" "$root/tests/corpus" -type f \( -name '*.json' -o -name '*.log' -o -name '*.csv' -o -name '*.gz' -o -name '*.txt' \) | sort)
for t in json_lines json_document csv web_sdk dotnet whole_file analyze pieces redaction flatten; do
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
# Archives of a few sample logs: zip (stored and deflated), tar and tar.gz.
mkdir -p corpus/archive
python3 - "$root/examples/logs" corpus/archive <<'PY'
import io, pathlib, sys, tarfile, zipfile, gzip
logs, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
files = [p for p in sorted(logs.rglob("*")) if p.is_file() and p.stat().st_size < 8192][:3]
for name, method in [("stored.zip", zipfile.ZIP_STORED), ("deflated.zip", zipfile.ZIP_DEFLATED)]:
    with zipfile.ZipFile(out / name, "w", method) as z:
        for p in files:
            z.write(p, p.relative_to(logs).as_posix())
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    for p in files:
        t.add(p, p.relative_to(logs).as_posix())
(out / "logs.tar").write_bytes(buf.getvalue())
(out / "logs.tgz").write_bytes(gzip.compress(buf.getvalue()))
PY
echo "seeded: $(find corpus -type f | wc -l) files"
