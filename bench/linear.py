#!/usr/bin/env python3
"""Inputs whose cost must grow with their size, not faster: each case is written at a size N and
at 4 x N, `acs-triage analyze` reads both, and the CPU time of the larger must stay within LIMIT
times that of the smaller (4 for work in proportion to the input, 16 for work that grows with
its square). Each case is a shape that once cost the square of its size:

  secrets-in-one-line   one JSON line holding many signed URLs (each hit counted the line
                        breaks from the start of the piece, and was checked against every other)
  commas-outside-array  JSON lines of `{"records":[...]},` (the file's note was rebuilt from all
                        the earlier ones for every line)
  utf16-long-line       a long line of UTF-16 input, decoded a few KiB per read (the end of the
                        line was searched from its start again after every read)
  tar-gz-members        a .tar.gz of many small members (each member was matched to its input
                        by a search of all of them)

and one that cost eleven times its size:

  needle-on-every-line  JSON lines that each hold a secret pattern's needle (`monkey` has `key`),
                        against the same lines without it (the rest of the read buffer was
                        searched again for every line); its limit is on that ratio.

    python3 bench/linear.py [BINARY] [LIMIT]     defaults: target/release/acs-triage, 8
"""

import io
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile

KEY = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mcmVkcGx1Z2g="


def record(i, extra=None):
    """A CallSummary record of call `i`, with `extra` fields in its properties."""
    properties = {"callId": f"c0ffee01-0000-4000-8000-{i:012d}", "participantEndReason": "0"}
    properties.update(extra or {})
    return {
        "time": f"2026-11-01T02:{i // 60 % 60:02d}:{i % 60:02d}.000Z",
        "category": "CallSummary",
        "operationName": "CallSummary",
        "correlationId": f"c0ffee01-0000-4000-8000-{i:012d}",
        "properties": properties,
    }


def secrets_in_one_line(folder, n):
    urls = [f"https://a.blob.core.windows.net/r/{i}.wav?sv=2022&sig={KEY}" for i in range(n)]
    with open(os.path.join(folder, "PT1H.json"), "w") as f:
        f.write(json.dumps(record(0, {"recordings": urls})) + "\n")


def commas_outside_array(folder, n):
    with open(os.path.join(folder, "PT1H.json"), "w") as f:
        for i in range(70):
            f.write(json.dumps(record(i)) + "\n")
        for i in range(70, 70 + n):
            f.write(json.dumps({"records": [record(i)]}) + ",\n")


def utf16_long_line(folder, n):
    lines = [json.dumps(record(i)) for i in range(100)]
    lines.insert(50, json.dumps(record(100, {"note": "x" * n})))
    text = "\ufeff" + "\n".join(lines) + "\n"
    with open(os.path.join(folder, "app.json"), "wb") as f:
        f.write(text.encode("utf-16-le"))


def tar_gz_members(folder, n):
    with tarfile.open(os.path.join(folder, "logs.tar.gz"), "w:gz") as tar:
        for i in range(n):
            data = (json.dumps(record(i)) + "\n").encode()
            member = tarfile.TarInfo(f"h={i:06d}/PT1H.json")
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))


def lines_with_note(note):
    def write(folder, n):
        with open(os.path.join(folder, "PT1H.json"), "w") as f:
            for i in range(n):
                f.write(json.dumps(record(i, {"note": note})) + "\n")

    return write


CASES = [
    ("secrets-in-one-line", secrets_in_one_line, 25_000),
    ("commas-outside-array", commas_outside_array, 25_000),
    # Lines up to 48 MB: under the default 16 MiB limit the square of the line is too small
    # to stand out from the work of reading it.
    ("utf16-long-line", utf16_long_line, 12_000_000),
    # 4 x N is the default limit of members read from one archive (`max_archive_members`).
    ("tar-gz-members", tar_gz_members, 25_000),
]

# Lines long enough for the UTF-16 case (`[ingest] max_line_bytes`, 64 MiB).
CONFIG = "[ingest]\nmax_line_bytes = 67108864\n"


def cpu_seconds(binary, folder, config):
    """User and system CPU seconds of one `analyze --format json` of `folder`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [binary, "analyze", folder, "--config", config, "--format", "json", "--threads", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # 0: nothing wrong, 1: problems found; anything else, a signal included, is a failure.
    if done.returncode not in (0, 1):
        sys.exit(f"{folder}: exit {done.returncode}: {done.stderr.decode(errors='replace')}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def timed(binary, write, n):
    with tempfile.TemporaryDirectory() as work:
        config = os.path.join(work, "acs-triage.toml")
        with open(config, "w") as f:
            f.write(CONFIG)
        folder = os.path.join(work, "logs")
        os.mkdir(folder)
        write(folder, n)
        return cpu_seconds(binary, folder, config)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/acs-triage"
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 8.0
    failed = []
    for name, write, n in CASES:
        small, large = timed(binary, write, n), timed(binary, write, 4 * n)
        ratio = large / max(small, 0.01)
        print(f"{name}: {small:.2f} s at N = {n}, {large:.2f} s at 4 x N (x{ratio:.1f}, limit x{limit:g})")
        if ratio > limit:
            failed.append(name)
    plain = timed(binary, lines_with_note("nothing"), 100_000)
    needles = timed(binary, lines_with_note("monkey"), 100_000)
    ratio = needles / max(plain, 0.01)
    print(f"needle-on-every-line: {needles:.2f} s against {plain:.2f} s without (x{ratio:.1f}, limit x{limit / 2:g})")
    if ratio > limit / 2:
        failed.append("needle-on-every-line")
    if failed:
        sys.exit("grew faster than the input: " + ", ".join(failed))


if __name__ == "__main__":
    main()
