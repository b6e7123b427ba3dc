//! `calling/repeated-failure`: one identity failing the same way on most of its calls.

use super::*;

pub(super) fn repeated_finding(
    ctx: &Context,
    stats: &IdentityStats,
    code: i64,
    sub: Option<i64>,
    n: u32,
) -> Finding {
    let label = code_label(code, sub);
    let who = stats.text.as_deref().unwrap_or("one identity");
    let decoded = ctx
        .catalogs
        .get::<CodeTable>(&CALLING_END_REASONS)
        .decode(code, sub);
    let severity = decoded
        .and_then(|d| d.entry.severity.severity())
        .unwrap_or(Severity::Warning);
    let action = decoded.map_or_else(
        || "Look at that client's environment first: it fails the same way every time.".to_owned(),
        |d| {
            format!(
                "This is that client's setup, not chance: {}",
                d.entry.action
            )
        },
    );
    crate::REPEATED_FAILURE.finding().severity(severity).title(format!("The same identity fails with {label} on call after call"))
    .message(format!(
        "{who} ended {n} of its {} calls in these logs with {label}{}: a failure that repeats on nearly every call is configuration (firewall, proxy, device, token handling), not a passing network problem.",
        stats.calls,
        decoded.map(|d| format!(" ({})", cause_title(&d.entry.cause))).unwrap_or_default()
    ))
    .action(action)
    .code(label.clone())
    .id_value(IdKind::UserId, stats.text.as_deref())
    .explains(Explains {
        kind: crate::END_REASON.id.to_owned(),
        code: Some(label),
        ids: stats
            .text
            .iter()
            .map(|t| (IdKind::UserId, t.to_string()))
            .collect(),
        window: None,
    })
}
