//! Every input that ever broke a fuzz target's promise, replayed through that target's checks
//! (`fuzz/regressions/<target>/`), plus each target on the sample logs and fixtures so the
//! checks themselves are exercised by a plain `cargo test`.

use std::path::Path;

use acs_triage_fuzz_harness::TARGETS;
use acs_triage_tests::repo_root;

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_saved_crash_now_keeps_its_promises() {
    let root = repo_root().join("fuzz/regressions");
    let mut replayed = 0;
    for (name, check) in TARGETS {
        for file in files(&root.join(name)) {
            let data = std::fs::read(&file).unwrap();
            check(&data);
            replayed += 1;
        }
    }
    for dir in files(&root) {
        let target = dir
            .strip_prefix(&root)
            .unwrap()
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        assert!(
            TARGETS.iter().any(|(n, _)| *n == target),
            "fuzz/regressions/{target} names no target"
        );
    }
    println!("{replayed} saved inputs replayed");
}

#[test]
fn every_target_holds_on_the_fixtures() {
    let mut inputs = files(&repo_root().join("examples/logs"));
    inputs.extend(files(&repo_root().join("tests/corpus/shapes")));
    inputs.extend(files(&repo_root().join("tests/corpus/chat")));
    for file in &inputs {
        let data = std::fs::read(file).unwrap();
        for (name, check) in TARGETS {
            if matches!(*name, "rules" | "analyze" | "archive") {
                continue;
            }
            check(&data);
        }
    }
    for file in files(&repo_root().join("rules/bundled")) {
        (TARGETS.iter().find(|(n, _)| *n == "rules").unwrap().1)(&std::fs::read(file).unwrap());
    }
    let sample =
        std::fs::read(repo_root().join("examples/logs/eventhub-chat-capture.json")).unwrap();
    (TARGETS.iter().find(|(n, _)| *n == "analyze").unwrap().1)(&sample);
}

#[test]
fn the_archive_target_holds_on_real_archives_and_their_pieces() {
    use std::io::Write;
    let check = TARGETS.iter().find(|(n, _)| *n == "archive").unwrap().1;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for file in files(&repo_root().join("examples/logs")).iter().take(4) {
        zip.start_file(
            file.file_name().unwrap().to_string_lossy(),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(&std::fs::read(file).unwrap()).unwrap();
    }
    let zip = zip.finish().unwrap().into_inner();
    check(&zip);
    // Cut anywhere, an archive is still read as far as it goes, or said unreadable.
    for cut in [30, zip.len() / 3, zip.len() / 2, zip.len() - 10] {
        check(&zip[..cut]);
    }
}
