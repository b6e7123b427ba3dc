//! The analyzer registry holds exactly the analyzers of the analyzer crates the CLI names and
//! core's own (secrets in the inputs).

#[test]
fn registry_holds_exactly_the_expected_analyzers() {
    let ids: Vec<&str> = acs_triage::analyzers::registered()
        .iter()
        .map(|a| a.info().id)
        .collect();
    let mut expected = vec![
        // The analyzers, sorted by ID:
        "call-automation/results",
        "calling/calls",
        "calling/media-quality",
        "chat/request-error",
        "chat/throttling",
        "chat/tokens",
        "security/secrets",
        "sms/delivery",
    ];
    // `cargo xtask new-analyzer` adds its line at the top of the list.
    expected.sort_unstable();
    assert_eq!(ids, expected, "registered analyzers (sorted by ID)");
}
