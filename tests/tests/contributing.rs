//! CONTRIBUTING.md's "Adding an analyzer crate" works: the minimal crate built from those steps
//! (tests/example-analyzer) registers through inventory and produces findings.

use std::io::Write;

use acs_triage_core::analyzer::{Context, registered};
use acs_triage_core::catalog::Catalogs;
use acs_triage_core::classify::Classifier;
use acs_triage_core::engine::{RunOptions, run};
use acs_triage_core::settings::Settings;

// Step 6 of the guide: name the crate once so its registrations are linked.
use acs_triage_example_analyzer as _;

#[test]
fn example_analyzer_registers_and_finds() {
    let analyzers = registered();
    let ids: Vec<&str> = analyzers.iter().map(|a| a.info().id).collect();
    assert!(
        ids.contains(&"example/slow-operation"),
        "registered: {ids:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    let mut f = std::fs::File::create(dir.path().join("PT1H.json")).unwrap();
    writeln!(f, r#"{{"time":"2026-11-20T10:00:00Z","category":"ChatOperational","operationName":"SendChatMessage","durationMs":7200,"resultSignature":201}}"#).unwrap();
    writeln!(f, r#"{{"time":"2026-11-20T10:00:01Z","category":"ChatOperational","operationName":"SendChatMessage","durationMs":40,"resultSignature":201}}"#).unwrap();
    drop(f);

    let ctx = Context::new(Catalogs::bundled().unwrap(), Settings::bundled().unwrap());
    let analysis = run(
        &[dir.path().to_path_buf()],
        &analyzers,
        &ctx,
        Classifier::bundled(),
        &RunOptions::default(),
        None,
    )
    .unwrap();
    let finding = analysis
        .findings
        .iter()
        .find(|f| f.id == "example/slow-operation")
        .expect("the example analyzer reported");
    assert_eq!(finding.occurrences.count, 1);
    assert_eq!(finding.occurrences.evidence[0].origin.line, 1);
}
