//! `chat/request-error`: chat requests the service refused (401, 403, 503, ...; 429s are judged
//! against the limits by `chat/throttling`).
//!
//! Sources: see `requests.rs`. Failures are grouped by status, thread and user, with count and
//! first/last time, the MS-CV and client request ID of a failing request (SDK HTTP logs), and a
//! note when the .NET log hides the MS-CV; codes come from `rules/catalog/chat_errors.csv`.

use acs_triage_core::Output;
use acs_triage_core::analyzer::{Context, EntityAnalysis, keep_min};
use acs_triage_core::catalog::CodeTable;
use acs_triage_core::field;
use acs_triage_core::{Evidence, IdKind, Occurrences, Record, Severity, SharedText};

use crate::requests;
use crate::{CHAT_ERRORS, REQUEST_ERROR};

/// Failed chat requests, grouped by status, thread and user.
pub struct RequestErrors;

/// Failures sharing a status, thread and user.
#[derive(Debug, Default)]
pub struct Failures {
    occurrences: Occurrences,
    operations: std::collections::BTreeSet<String>,
    ms_cv: Option<String>,
    client_request_id: Option<String>,
    ms_cv_redacted: bool,
}

/// Entity key: status, thread, user.
type Key = (i64, String, String);

impl EntityAnalysis for RequestErrors {
    type Key = Key;
    type State = Failures;
    const NOUN: &'static str = "chat request groups";

    fn new(_ctx: &Context) -> Self {
        RequestErrors
    }

    fn key(&self, _ctx: &Context, record: &Record<'_>) -> Option<Key> {
        // 429s are judged against the service limits by `chat/throttling`. (The status first:
        // nearly every request succeeds, and reading the rest costs more.)
        let status = requests::status(record)?;
        if status < 400 || status == 429 {
            return None;
        }
        let request = requests::read(record)?;
        Some((
            request.status,
            request.thread.unwrap_or_default(),
            request.user.unwrap_or_default(),
        ))
    }

    fn observe(&self, _ctx: &Context, state: &mut Failures, record: &Record<'_>) {
        state
            .occurrences
            .add(Evidence::from_record(record, requests::EVIDENCE_FIELDS));
        if let Some(op) = requests::read(record).and_then(|r| r.operation) {
            keep_first_operations(&mut state.operations, std::iter::once(op));
        }
        if record
            .get(field!("headers.ms-cv"))
            .is_some_and(|v| v.is_redacted())
        {
            state.ms_cv_redacted = true;
        } else {
            keep_min(&mut state.ms_cv, record.ms_cv().map(|cv| cv.into_owned()));
        }
        keep_min(
            &mut state.client_request_id,
            record.client_request_id().map(|id| id.into_owned()),
        );
    }

    fn merge(&self, into: &mut Failures, from: Failures) {
        into.occurrences.merge(from.occurrences);
        keep_first_operations(&mut into.operations, from.operations);
        keep_min(&mut into.ms_cv, from.ms_cv);
        keep_min(&mut into.client_request_id, from.client_request_id);
        into.ms_cv_redacted |= from.ms_cv_redacted;
    }

    fn finish(&self, ctx: &Context, key: Key, state: Failures, out: &mut Output) {
        let (status, thread, user) = key;
        let decoded = ctx
            .catalogs
            .get::<CodeTable>(&CHAT_ERRORS)
            .decode(status, None);
        let (severity, meaning, action, source) = match decoded {
            Some(d) => match d.entry.severity.severity() {
                Some(s) => (
                    s,
                    d.entry.meaning.clone(),
                    SharedText::from(&d.entry.action),
                    Some(SharedText::from(&d.entry.source)),
                ),
                None => return,
            },
            None => (
                if status >= 500 {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                format!("The chat service answered HTTP {status}."),
                SharedText::from(
                    "Read the error body of the response for the reason; if the service keeps failing, open an Azure support request with the MS-CV.",
                ),
                None,
            ),
        };
        let count = state.occurrences.count;
        let requests = if count == 1 {
            "1 chat request".to_owned()
        } else {
            format!("{count} chat requests")
        };
        let scope = match (thread.is_empty(), user.is_empty()) {
            (false, false) => format!(" by {user} in thread {thread}"),
            (false, true) => format!(" in thread {thread}"),
            (true, false) => format!(" by {user}"),
            (true, true) => String::new(),
        };
        let operations = if state.operations.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                state
                    .operations
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let mut message = format!("{requests}{scope} failed with {status}{operations}: {meaning}");
        if state.ms_cv_redacted {
            message.push_str(" The MS-CV header shows as REDACTED in the .NET log: allow it (add \"MS-CV\" to DiagnosticsOptions.LoggedHeaderNames) so support can trace the request.");
        }
        let mut finding = REQUEST_ERROR
            .finding()
            .severity(severity)
            .title(format!("Chat requests failed with {status}"))
            .message(message)
            .action(action)
            .code(status.to_string())
            .docs("https://learn.microsoft.com/rest/api/communication/errorcodes")
            .id_value(
                IdKind::ChatThreadId,
                (!thread.is_empty()).then_some(&thread),
            )
            .id_value(IdKind::UserId, (!user.is_empty()).then_some(&user))
            .id_value(IdKind::MsCv, state.ms_cv.as_deref())
            .id_value(IdKind::ClientRequestId, state.client_request_id.as_deref())
            .occurrences(state.occurrences);
        if let Some(source) = source {
            finding = finding.source(source);
        }
        out.push(finding);
    }
}

/// Operations named per group of failures.
const OPERATIONS_LISTED: usize = 10;

/// Keeps the alphabetically first [`OPERATIONS_LISTED`] operations: the same ones whatever
/// order they were seen in.
fn keep_first_operations(
    set: &mut std::collections::BTreeSet<String>,
    more: impl IntoIterator<Item = String>,
) {
    for op in more {
        set.insert(op);
        if set.len() > OPERATIONS_LISTED {
            set.pop_last();
        }
    }
}
