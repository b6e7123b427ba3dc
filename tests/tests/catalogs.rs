//! Every row of the domain code tables is in acs-triage's catalogs, decodes, and `explain`
//! answers for it.

use acs_triage_core::catalog::{Catalogs, CodeTable, Judgement, MatchKind};
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
            .get::<CodeTable>(&acs_triage_calling::CALLING_END_REASONS)
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
            c.get::<CodeTable>(&acs_triage_calling::CALLING_END_REASONS)
                .decode(code, Some(sub))
                .unwrap()
                .entry
                .severity,
            Judgement::Normal,
            "{code}/{sub}"
        );
    }
    assert_eq!(
        c.get::<CodeTable>(&acs_triage_calling::CALLING_END_REASONS)
            .decode(410, Some(3112))
            .unwrap()
            .entry
            .severity,
        Judgement::Error
    );
    // An unknown subcode falls back to the class of its code, and says so.
    assert_eq!(
        c.get::<CodeTable>(&acs_triage_calling::CALLING_END_REASONS)
            .decode(410, Some(999_999))
            .unwrap()
            .matched,
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
            (Some(c), s) => catalogs
                .get::<CodeTable>(&acs_triage_calling::CALL_AUTOMATION_CODES)
                .decode(c, s)
                .is_some(),
            (None, Some(s)) => catalogs
                .get::<CodeTable>(&acs_triage_calling::CALL_AUTOMATION_CODES)
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
                .get::<CodeTable>(&acs_triage_calling::IDENTITY_ERRORS)
                .entries
                .iter()
                .any(|e| e.code == code && e.subcode == sub),
            "{code:?}/{sub:?}"
        );
    }
}

#[test]
fn every_sms_delivery_status_row_is_in_the_catalog() {
    let catalogs = Catalogs::bundled().unwrap();
    let rows = domain_rows("sms_delivery_status.csv");
    assert_eq!(rows.len(), 26);
    for row in &rows {
        let (field, value, outcome) = (&row[0], &row[1], &row[4]);
        if field.contains("deliveryStatusDetails") {
            let decoded = catalogs
                .get::<CodeTable>(&acs_triage_sms::DELIVERY_STATUS)
                .decode_sms_details(value)
                .unwrap_or_else(|| panic!("{value} missing"));
            let severity = decoded.entry.severity;
            match outcome {
                "success" => assert_eq!(severity, Judgement::Normal, "{value}"),
                "failure" => assert!(
                    matches!(severity, Judgement::Warning | Judgement::Error),
                    "{value}"
                ),
                "unknown" => assert_eq!(decoded.entry.cause, "no-report", "{value}"),
                other => panic!("outcome {other}"),
            }
            if let Ok(code) = value.parse::<i64>() {
                let explained = run(&["explain", &code.to_string()]);
                assert_eq!(explained.code, 0);
                assert!(explained.stdout.contains("SMS delivery status"), "{code}");
            }
        } else if field.ends_with("httpStatusCode") {
            let status: i64 = value.parse().unwrap();
            let entry = catalogs
                .get::<CodeTable>(&acs_triage_sms::SEND_STATUS)
                .decode_send(status, None)
                .unwrap();
            assert_eq!(entry.severity == Judgement::Normal, outcome == "accepted");
        } else if field.ends_with("repeatabilityResult") {
            let status = if outcome == "accepted" { 202 } else { 400 };
            let entry = catalogs
                .get::<CodeTable>(&acs_triage_sms::SEND_STATUS)
                .decode_send(status, Some(value))
                .unwrap();
            assert!(entry.repeatability.eq_ignore_ascii_case(value), "{value}");
        } else {
            // data.deliveryStatus: Delivered / Failed, read by the SMS analyzer (tested below).
            assert!(["Delivered", "Failed"].contains(&value), "{value}");
        }
    }
    // 5002 changed meaning between documentation revisions: the row keeps both sources.
    let d = catalogs
        .get::<CodeTable>(&acs_triage_sms::DELIVERY_STATUS)
        .decode(5002, None)
        .unwrap();
    assert!(d.entry.note.contains("01a6d35f"), "{}", d.entry.note);
}

/// Every delivery status of the table, end to end: a send and an Event Grid report per row in a
/// folder; the `sms/messages` table gives each message the row's outcome.
#[test]
fn every_delivery_status_reaches_its_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let mut sends = String::new();
    let mut reports = Vec::new();
    let mut expected = Vec::new();
    for (i, row) in domain_rows("sms_delivery_status.csv")
        .iter()
        .filter(|r| r[0].contains("deliveryStatusDetails"))
        .enumerate()
    {
        let (details, outcome) = (&row[1], &row[4]);
        let id = format!("Outgoing_row{i:02}");
        let details = match details.parse::<i64>() {
            Ok(_) => format!("{details}: {}", &row[2]),
            Err(_) => details.to_owned(),
        };
        sends.push_str(&format!(
            "{{\"time\":\"2026-11-20T10:00:{i:02}Z\",\"category\":\"SMSOperational\",\"operationName\":\"SMSMessagesSent\",\"resultSignature\":202,\"properties\":{{\"MessageId\":\"{id}\"}}}}\n"
        ));
        let status = if outcome == "success" {
            "Delivered"
        } else {
            "Failed"
        };
        reports.push(serde_json::json!({
            "id": id, "subject": "/phonenumber/18005550100",
            "eventType": "Microsoft.Communication.SMSDeliveryReportReceived",
            "eventTime": format!("2026-11-20T10:01:{i:02}Z"),
            "data": {"messageId": id, "deliveryStatus": status, "deliveryStatusDetails": details}
        }));
        let want = match outcome {
            "success" => "delivered",
            "failure" => "failed",
            _ => "unknown (carrier gives no reports)",
        };
        expected.push((id, want));
    }
    std::fs::write(dir.path().join("sends.json"), sends).unwrap();
    std::fs::write(
        dir.path().join("reports.json"),
        serde_json::to_string(&reports).unwrap(),
    )
    .unwrap();
    let (_, doc) =
        acs_triage_tests::analyze_json(&["--table", "sms/messages", dir.path().to_str().unwrap()]);
    let rows = doc["tables"][0]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), expected.len());
    for (id, want) in expected {
        let row = rows.iter().find(|r| r[0] == id.as_str()).unwrap();
        assert_eq!(row[4], want, "{id}: {row:?}");
    }
}

#[test]
fn every_chat_error_row_decodes_and_explains() {
    let catalogs = Catalogs::bundled().unwrap();
    let rows = domain_rows("chat_errors.csv");
    assert_eq!(rows.len(), 4);
    for row in rows {
        let code: i64 = row[0].parse().unwrap();
        let d = catalogs
            .get::<CodeTable>(&acs_triage_chat::CHAT_ERRORS)
            .decode(code, None)
            .unwrap_or_else(|| panic!("{code}"));
        assert!(d.entry.severity.severity().is_some(), "{code} is a problem");
        let explained = run(&["explain", &code.to_string()]);
        assert!(explained.stdout.contains("chat error"), "{code}");
    }
}

/// A code no table has, with subcode 0, is unknown: the generic "subcode 0 = Success" row of
/// Call Automation speaks only for success codes.
#[test]
fn an_unknown_code_with_subcode_zero_is_not_success() {
    let r = run(&["explain", "599/0"]);
    assert!(!r.stdout.contains("Success"), "{}", r.stdout);
    let catalogs = Catalogs::bundled().unwrap();
    let ca = catalogs.get::<CodeTable>(&acs_triage_calling::CALL_AUTOMATION_CODES);
    assert!(ca.decode(599, Some(0)).is_none());
    // A success code with subcode 0 still reads as the generic success row.
    assert_eq!(
        ca.decode(299, Some(0)).map(|d| d.entry.severity.name()),
        Some("normal")
    );
}

/// `explain` looks a code up in every table that can hold it: 429/10110 is a CallSummary end
/// reason and a Call Automation result; 486 a SIP answer (and more).
#[test]
fn explain_searches_every_table() {
    let r = run(&["explain", "429/10110"]);
    assert!(r.stdout.contains("calling end reason"), "{}", r.stdout);
    assert!(r.stdout.contains("Call Automation result"), "{}", r.stdout);
    let r = run(&["explain", "486"]);
    assert!(r.stdout.contains("SIP response"), "{}", r.stdout);
    let r = run(&["explain", "17"]);
    assert!(r.stdout.contains("Q.850 cause"), "{}", r.stdout);
}
