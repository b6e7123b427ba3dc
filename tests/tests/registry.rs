//! The analyzer registry holds exactly the analyzers of the three analyzer crates and core's own
//! (secrets in the inputs).

use std::collections::BTreeSet;

#[test]
fn registry_holds_exactly_the_expected_analyzers() {
    let ids: Vec<&str> = acs_triage::analyzers::registered()
        .iter()
        .map(|a| a.info().id)
        .collect();
    assert_eq!(
        ids,
        [
            "call-automation/results",
            "calling/calls",
            "calling/media-quality",
            "chat/request-error",
            "chat/throttling",
            "chat/tokens",
            "security/secrets",
            "sms/delivery"
        ],
        "registered analyzers (sorted by ID)"
    );
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "analyzer IDs are unique");
}
