//! Every row of the domain code tables is in acs-triage's catalogs, decodes, and `explain`
//! answers for it.

use acs_triage_core::catalog::{Catalogs, Judgement, MatchKind};
use acs_triage_tests::{repo_root, run};

fn domain_rows(file: &str) -> Vec<csv::StringRecord> {
    let path = repo_root().join("tests/domain/codes").join(file);
    let mut reader = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    reader.records().map(|r| r.unwrap()).collect()
}

#[test]
fn every_calling_end_reason_row_decodes_and_explains() {
    let catalogs = Catalogs::bundled().unwrap();
    let rows = domain_rows("calling_end_reasons.csv");
    assert_eq!(rows.len(), 158);
    for row in &rows {
        let code: i64 = row[0].parse().unwrap();
        let sub: Option<i64> = (!row[1].is_empty()).then(|| row[1].parse().unwrap());
        let decoded = catalogs
            .calling
            .decode(code, sub)
            .unwrap_or_else(|| panic!("{code}/{sub:?} missing"));
        assert_eq!(decoded.matched, MatchKind::Exact, "{code}/{sub:?}");
        assert!(!decoded.entry.meaning.is_empty() && !decoded.entry.action.is_empty());
        let query = match sub {
            Some(s) => format!("{code}/{s}"),
            None => code.to_string(),
        };
        let explained = run(&["explain", &query]);
        assert_eq!(explained.code, 0, "explain {query}");
        assert!(
            explained.stdout.contains("calling end reason"),
            "explain {query}: {}",
            explained.stdout
        );
    }
}

#[test]
fn normal_endings_are_judged_normal() {
    let c = Catalogs::bundled().unwrap();
    for (code, sub) in [
        (0, 0),
        (487, 0),
        (603, 0),
        (487, 10003),
        (0, 560000),
        (0, 540000),
    ] {
        assert_eq!(
            c.calling.decode(code, Some(sub)).unwrap().entry.severity,
            Judgement::Normal,
            "{code}/{sub}"
        );
    }
    assert_eq!(
        c.calling.decode(410, Some(3112)).unwrap().entry.severity,
        Judgement::Error
    );
    // An unknown subcode falls back to the class of its code, and says so.
    assert_eq!(
        c.calling.decode(410, Some(999_999)).unwrap().matched,
        MatchKind::CodeOnly
    );
}

#[test]
fn every_call_automation_row_decodes() {
    let catalogs = Catalogs::bundled().unwrap();
    for row in domain_rows("call_automation_result_codes.csv") {
        let code: Option<i64> = (!row[1].is_empty()).then(|| row[1].parse().unwrap());
        let sub: Option<i64> = (!row[2].is_empty()).then(|| row[2].parse().unwrap());
        let found = match (code, sub) {
            (Some(c), s) => catalogs.call_automation.decode(c, s).is_some(),
            (None, Some(s)) => catalogs
                .call_automation
                .entries
                .iter()
                .any(|e| e.code.is_none() && e.subcode == Some(s)),
            (None, None) => true,
        };
        assert!(found, "{code:?}/{sub:?}");
    }
}

#[test]
fn every_identity_row_is_in_the_catalog() {
    let catalogs = Catalogs::bundled().unwrap();
    for row in domain_rows("identity_auth_errors.csv") {
        let code: Option<i64> = (!row[1].is_empty()).then(|| row[1].parse().unwrap());
        let sub: Option<i64> = (!row[2].is_empty()).then(|| row[2].parse().unwrap());
        assert!(
            catalogs
                .identity
                .entries
                .iter()
                .any(|e| e.code == code && e.subcode == sub),
            "{code:?}/{sub:?}"
        );
    }
}
