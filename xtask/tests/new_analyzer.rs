//! `cargo xtask new-analyzer` on a copy of the files it reads and edits: the crate, its
//! threshold file and the wiring appear, under the new name, and nothing is done twice.

use std::path::Path;

const FILES: &[&str] = &[
    "Cargo.toml",
    "cli/Cargo.toml",
    "cli/src/analyzers.rs",
    "tests/tests/registry.rs",
    "tests/example-analyzer/Cargo.toml",
    "tests/example-analyzer/src/lib.rs",
    "rules/thresholds/example.toml",
];

fn copy_of_repo() -> tempfile::TempDir {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    for f in FILES {
        let to = dir.path().join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(repo.join(f), to).unwrap();
    }
    dir
}

fn read(dir: &Path, f: &str) -> String {
    std::fs::read_to_string(dir.join(f)).unwrap()
}

#[test]
fn scaffolds_and_wires_a_new_analyzer() {
    let dir = copy_of_repo();
    let root = dir.path();
    let changed = xtask::new_analyzer(root, "call-recording").unwrap();
    let changed: Vec<String> = changed.iter().map(|p| p.display().to_string()).collect();
    assert_eq!(
        changed,
        [
            "analyzers/call-recording/src/lib.rs",
            "analyzers/call-recording/Cargo.toml",
            "rules/thresholds/call-recording.toml",
            "Cargo.toml",
            "cli/Cargo.toml",
            "cli/src/analyzers.rs",
            "tests/tests/registry.rs",
        ]
    );
    let lib = read(root, "analyzers/call-recording/src/lib.rs");
    assert!(lib.contains("\"call-recording/slow-operation\""), "{lib}");
    assert!(lib.contains("CallRecordingSettings"), "{lib}");
    assert!(
        lib.contains("(\"call-recording\", \"rules/thresholds/call-recording.toml\")"),
        "{lib}"
    );
    assert!(
        !lib.contains("example"),
        "no trace of the template's name: {lib}"
    );
    let manifest = read(root, "analyzers/call-recording/Cargo.toml");
    assert!(
        manifest.contains("name = \"acs-triage-call-recording\""),
        "{manifest}"
    );
    let cargo = read(root, "Cargo.toml");
    assert!(cargo.contains("    \"analyzers/call-recording\",\n"));
    assert!(cargo.contains("acs-triage-call-recording = { path = \"analyzers/call-recording\" }"));
    assert!(read(root, "cli/Cargo.toml").contains("acs-triage-call-recording.workspace = true"));
    assert!(read(root, "cli/src/analyzers.rs").contains("use acs_triage_call_recording as _;"));
    assert!(read(root, "tests/tests/registry.rs").contains("\"call-recording/slow-operation\","));
    assert!(read(root, "rules/thresholds/call-recording.toml").contains("slow_operation_ms"));

    // A second time: refused, nothing changed.
    let before = read(root, "Cargo.toml");
    assert!(xtask::new_analyzer(root, "call-recording").is_err());
    assert_eq!(read(root, "Cargo.toml"), before);
}

#[test]
fn bad_names_are_refused() {
    let dir = copy_of_repo();
    for bad in ["Voicemail", "voice_mail", "-x", "x-", "9lives", "a--b", ""] {
        assert!(xtask::new_analyzer(dir.path(), bad).is_err(), "{bad}");
    }
}

#[test]
fn a_missing_anchor_changes_nothing() {
    let dir = copy_of_repo();
    let root = dir.path();
    let registry =
        read(root, "tests/tests/registry.rs").replace("// The analyzers, sorted by ID:", "");
    std::fs::write(root.join("tests/tests/registry.rs"), registry).unwrap();
    let before = read(root, "Cargo.toml");
    let err = xtask::new_analyzer(root, "voicemail").unwrap_err();
    assert!(err.contains("tests/tests/registry.rs"), "{err}");
    assert_eq!(read(root, "Cargo.toml"), before);
    assert!(!root.join("analyzers/voicemail").exists());
}
