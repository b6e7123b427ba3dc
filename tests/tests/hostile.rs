//! Hostile inputs: each is reported with a named, counted reason; none panics or hangs; good
//! records beside them are still analyzed.

use std::io::Write;
use std::path::Path;

use acs_triage_tests::{analyze_json, findings, input};

/// A good 410/3112 record; `n` tells records apart (identical records count once).
fn good(n: u32) -> String {
    format!(
        r#"{{"time":"2026-11-20T10:00:00Z","correlationId":"bad00001-0000-4000-8000-000000000001","category":"CallSummary","properties":{{"participantId":"p{n}","participantEndReason":"410","participantEndSubCode":"3112"}}}}"#
    )
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn hostile_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "good.json", format!("{}\n", good(1)).as_bytes());
    write(d, "empty.json", b"");
    write(d, "blank.json", b"  \n\n ");
    write(d, "truncated.json", b"[{\"category\":\"CallSummary\",\"time\":\"2026-11-20T10:00:00Z\"},\n{\"category\":\"CallSu");
    write(
        d,
        "binary.dat",
        &[0u8, 159, 146, 150, 0, 1, 2, 3, 255, 254, 0, 0, 7, 8],
    );
    let mut latin1 = b"azure:ACS-calling:info caf\xe9 started\n".to_vec();
    latin1.extend_from_slice(b"azure:ACS-calling:info done\n");
    write(d, "latin1.log", &latin1);
    let mut bad_utf8_json = format!("{}\n", good(2)).into_bytes();
    bad_utf8_json.extend_from_slice(b"{\"category\":\"CallSummary\",\"x\":\"\xff\xfe\"}\n");
    write(d, "bad-utf8-lines.json", &bad_utf8_json);
    let nested = "{\"a\":".repeat(5000) + "1" + &"}".repeat(5000);
    write(
        d,
        "nested.json",
        format!("{}\n{nested}\n", good(3)).as_bytes(),
    );
    let deep_array = "[".repeat(100_000) + &"]".repeat(100_000);
    write(d, "deep-array.json", deep_array.as_bytes());
    // 17 MiB on one line: over the 16 MiB default.
    let mut huge = format!("{}\n{{\"category\":\"CallSummary\",\"pad\":\"", good(4)).into_bytes();
    huge.extend(std::iter::repeat_n(b'x', 17 * 1024 * 1024));
    huge.extend_from_slice(b"\"}\n");
    huge.extend_from_slice(format!("{}\n", good(5)).as_bytes());
    write(d, "huge-line.json", &huge);
    let mut corrupt = gzip(format!("{}\n{}\n", good(6), good(7)).as_bytes());
    let n = corrupt.len();
    corrupt[n / 2..]
        .iter_mut()
        .for_each(|b| *b = b.wrapping_add(77));
    write(d, "corrupt.json.gz", &corrupt);
    let mut bom_crlf = vec![0xEF, 0xBB, 0xBF];
    bom_crlf.extend_from_slice(format!("{}\r\n{}\r\n", good(8), good(9)).as_bytes());
    write(d, "bom-crlf.json", &bom_crlf);
    write(d, "notes.txt", b"call the SBC vendor on monday\n");
    write(
        d,
        "one-bad-line.json",
        format!("{}\n{{\"category\": oops}}\n{}\n", good(10), good(11)).as_bytes(),
    );
    write(d, "not-an-object.json", b"[42, \"text\"]\n");
    dir
}

#[test]
fn hostile_files_are_named_counted_and_survived() {
    let dir = hostile_folder();
    let path = dir.path().to_str().unwrap();
    let (code, doc) = analyze_json(&[path]);
    assert_eq!(
        code, 1,
        "the good 410/3112 records still produce an error finding"
    );

    let check = |name: &str, status: &str, records: u64, rejected: u64| {
        let i = input(&doc, name);
        assert_eq!(i["status"], status, "{name}: {i:#}");
        assert_eq!(i["records"], records, "{name}: {i:#}");
        assert_eq!(i["rejected"], rejected, "{name}: {i:#}");
        i.clone()
    };
    check("good.json", "parsed", 1, 0);
    assert!(check("empty.json", "empty", 0, 0)["note"] == "empty file");
    check("blank.json", "empty", 0, 0);
    let t = check("truncated.json", "parsed", 1, 1);
    assert!(
        t["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("truncated")
    );
    let b = check("binary.dat", "unrecognized", 0, 0);
    assert!(b["note"].as_str().unwrap().contains("binary"));
    let l = check("latin1.log", "parsed", 2, 0);
    assert!(l["note"].as_str().unwrap().contains("not valid UTF-8"));
    let u = check("bad-utf8-lines.json", "parsed", 1, 1);
    assert_eq!(u["errors"][0]["line"], 2);
    let n = check("nested.json", "parsed", 1, 1);
    assert!(
        n["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nesting deeper"),
        "{n:#}"
    );
    let da = check("deep-array.json", "parsed", 0, 1);
    assert!(!da["errors"].as_array().unwrap().is_empty());
    let h = check("huge-line.json", "parsed", 2, 1);
    assert!(
        h["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("byte limit"),
        "{h:#}"
    );
    assert_eq!(h["errors"][0]["line"], 2);
    let c = input(&doc, "corrupt.json.gz");
    assert_eq!(c["compression"], "gzip");
    assert!(
        c["rejected"].as_u64().unwrap() >= 1 || c["status"] == "unreadable",
        "{c:#}"
    );
    check("bom-crlf.json", "parsed", 2, 0);
    let txt = check("notes.txt", "unrecognized", 0, 0);
    assert!(txt["note"].as_str().unwrap().contains("tried"));
    let o = check("one-bad-line.json", "parsed", 2, 1);
    assert_eq!(o["errors"][0]["line"], 2);
    check("not-an-object.json", "parsed", 0, 2);

    // Every good 410/3112 record beside the hostile ones is reported, once per participant
    // (the two inside the corrupt gzip may be lost).
    let mut participants: Vec<&str> = findings(&doc)
        .iter()
        .filter(|f| f["code"] == "410/3112")
        .map(|f| f["ids"]["participantId"].as_str().unwrap())
        .collect();
    participants.sort();
    for p in ["p1", "p2", "p3", "p4", "p5", "p8", "p9", "p10", "p11"] {
        assert!(
            participants.contains(&p),
            "{p} missing from {participants:?}"
        );
    }
    let before = participants.len();
    participants.dedup();
    assert_eq!(before, participants.len(), "one finding per participant");
}

#[cfg(unix)]
#[test]
fn fifos_devices_and_symlink_loops_never_hang() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "good.json", format!("{}\n", good(12)).as_bytes());
    let fifo = d.join("pipe.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo works here");
    std::fs::create_dir(d.join("sub")).unwrap();
    symlink(d, d.join("sub/loop")).unwrap();
    symlink("/dev/zero", d.join("zero.json")).unwrap();
    symlink(d.join("good.json"), d.join("link-to-good.json")).unwrap();

    let path = d.to_str().unwrap();
    let (_, doc) = analyze_json(&[path]);
    let pipe = input(&doc, "pipe.json");
    assert_eq!(pipe["status"], "skipped");
    assert!(pipe["note"].as_str().unwrap().contains("FIFO"));
    assert_eq!(input(&doc, "sub/loop")["status"], "skipped");
    assert_eq!(input(&doc, "zero.json")["status"], "skipped");
    assert_eq!(input(&doc, "link-to-good.json")["status"], "skipped");
    assert_eq!(input(&doc, "good.json")["records"], 1);

    // Following links: the loop is detected, the device is still never opened.
    let (_, doc) = analyze_json(&["--follow-symlinks", path]);
    assert!(
        input(&doc, "sub/loop")["note"]
            .as_str()
            .unwrap()
            .contains("loop"),
        "{:#}",
        doc["inputs"]
    );
    assert_eq!(input(&doc, "zero.json")["status"], "skipped");
    // A followed link to a file already read is the same file: read once, under its first name.
    let alias = input(&doc, "link-to-good.json");
    assert_eq!(alias["status"], "skipped");
    assert!(
        alias["note"]
            .as_str()
            .unwrap()
            .contains("the same file as good.json"),
        "{alias:#}"
    );
    assert_eq!(input(&doc, "good.json")["records"], 1);
    assert_eq!(doc["summary"]["records"], 1);
}
