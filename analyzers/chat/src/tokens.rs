//! `chat/tokens`: chat requests refused (401/403) for users whose access tokens, as the
//! identity logs show them, were issued without the `chat` scope.
//!
//! AuthOperational records (ACSAuthIncomingOperations) carry the requested `Scopes` and the
//! identity (Azure Monitor reference for the table); the identity also appears in the REST path
//! `/identities/{id}/:issueAccessToken`. Chat failures come from `requests.rs`.

use acs_triage_core::{FieldName, field, fields};
use std::collections::{BTreeMap, BTreeSet};

use acs_triage_core::analyzer::{Analysis, Context, Output, keep_min};
use acs_triage_core::{Evidence, Family, FastMap, IdKind, Occurrences, Record, Value};

use crate::requests;

const AUTH_FIELDS: &[FieldName<'static>] = fields![
    "operationName",
    "resultSignature",
    "scopes",
    "identity",
    "uri",
];

/// What the identity logs say about one user's tokens.
#[derive(Debug, Default)]
struct Issued {
    /// Scope sets requested, e.g. `["voip"]`.
    scopes: BTreeSet<Vec<String>>,
    with_chat: bool,
    evidence: Option<Evidence>,
}

#[derive(Debug, Default)]
pub struct TokensPass {
    issued: FastMap<String, Issued>,
    /// Identity requests seen, and those that failed (the health overview).
    token_requests: u64,
    token_failures: u64,
    /// Chat requests refused with 401/403, by user.
    refused: FastMap<String, (BTreeSet<i64>, Occurrences)>,
}

/// `8:acs:...` and `acs:...` name the same user.
fn normalize_user(user: &str) -> String {
    let user = user.trim();
    user.strip_prefix("8:").unwrap_or(user).to_ascii_lowercase()
}

/// The identity a token request is for: the `Identity` column, else the REST path.
fn token_identity(record: &Record<'_>) -> Option<String> {
    if let Some(id) = record.text(field!("identity")) {
        return Some(id.into_owned());
    }
    let uri = record.text(field!("uri"))?;
    let after = uri.split("/identities/").nth(1)?;
    let id = after.split(['/', '?', ':']).next()?;
    (!id.is_empty()).then(|| id.replace("%3A", ":").replace("%3a", ":"))
}

/// The scopes of a token request: a JSON list, or text like `chat, voip`.
fn scopes(record: &Record<'_>) -> Option<Vec<String>> {
    let value = record.get(field!("scopes"))?;
    let mut list: Vec<String> = match value {
        Value::List(items) => items
            .iter()
            .map(|v| v.to_text().trim().to_ascii_lowercase())
            .collect(),
        other => other
            .to_text()
            .split([',', ' ', ';'])
            .map(|s| {
                s.trim_matches(|c: char| c == '"' || c == '[' || c == ']')
                    .to_ascii_lowercase()
            })
            .filter(|s| !s.is_empty())
            .collect(),
    };
    list.sort();
    list.dedup();
    Some(list)
}

impl Analysis for TokensPass {
    fn start(_ctx: &Context) -> Self {
        TokensPass::default()
    }

    fn observe(&mut self, _ctx: &Context, record: &Record<'_>) {
        if record.family == Family::Auth {
            self.token_requests += 1;
            let status = record
                .int(field!("resultSignature"))
                .or_else(|| record.int(field!("status")));
            let failed_type = record
                .text(field!("resultType"))
                .is_some_and(|t| t.eq_ignore_ascii_case("Failed"));
            if failed_type || status.is_some_and(|s| s >= 400) {
                self.token_failures += 1;
            }
            let (Some(user), Some(scopes)) = (token_identity(record), scopes(record)) else {
                return;
            };
            let issued = self.issued.entry(normalize_user(&user)).or_default();
            issued.with_chat |= scopes.iter().any(|s| s.starts_with("chat"));
            issued.scopes.insert(scopes);
            keep_min(
                &mut issued.evidence,
                Some(Evidence::from_record(record, AUTH_FIELDS)),
            );
            return;
        }
        // The status first: nearly every request succeeds, and reading the rest costs more.
        if !requests::status(record).is_some_and(|s| matches!(s, 401 | 403)) {
            return;
        }
        let Some(request) = requests::read(record) else {
            return;
        };
        let Some(user) = request.user else {
            return;
        };
        let entry = self.refused.entry(user).or_default();
        entry.0.insert(request.status);
        entry
            .1
            .add(Evidence::from_record(record, requests::EVIDENCE_FIELDS));
    }

    fn merge(&mut self, other: Self) {
        self.token_requests += other.token_requests;
        self.token_failures += other.token_failures;
        for (user, theirs) in other.issued {
            let mine = self.issued.entry(user).or_default();
            mine.with_chat |= theirs.with_chat;
            mine.scopes.extend(theirs.scopes);
            keep_min(&mut mine.evidence, theirs.evidence);
        }
        for (user, (codes, occ)) in other.refused {
            let mine = self.refused.entry(user).or_default();
            mine.0.extend(codes);
            mine.1.merge(occ);
        }
    }

    fn finish(self, _ctx: &Context, out: &mut Output) {
        if self.token_requests > 0 {
            use acs_triage_core::health::{HealthLine, Unit};
            use acs_triage_core::text::{group_digits, plural};
            out.health(
                HealthLine::new(
                    60,
                    "Identity",
                    format!(
                        "{}{}, {} failed",
                        plural(self.token_requests, "request", "requests"),
                        if self.issued.is_empty() {
                            String::new()
                        } else {
                            format!(" for {}", plural(self.issued.len() as u64, "user", "users"))
                        },
                        group_digits(self.token_failures)
                    ),
                )
                .total(Unit::TokenRequests, self.token_requests),
            );
        }
        let refused: BTreeMap<String, (BTreeSet<i64>, Occurrences)> =
            self.refused.into_iter().collect();
        for (user, (codes, mut occ)) in refused {
            let Some(issued) = self.issued.get(&normalize_user(&user)) else {
                continue;
            };
            if issued.with_chat {
                continue;
            }
            let scopes: Vec<String> = issued
                .scopes
                .iter()
                .map(|s| format!("[{}]", s.join(", ")))
                .collect();
            let codes: Vec<String> = codes.iter().map(i64::to_string).collect();
            let refusals = occ.count;
            // The token request is evidence too.
            if let Some(e) = &issued.evidence {
                occ.add(e.clone());
            }
            out.push(
                crate::TOKEN_SCOPE
                    .finding()
                .message(format!(
                    "{refusals} chat {} by {user} {} refused with {}; every access token issued \
                     for this user in these logs was requested with scopes {}, none of which is \
                     chat, so the chat service rejects it.",
                    if refusals == 1 { "request" } else { "requests" },
                    if refusals == 1 { "was" } else { "were" },
                    codes.join("/"),
                    scopes.join(" and ")
                ))
                .action(
                    "Issue the user's token with the chat scope as well (e.g. scopes chat and \
                     voip), then create the chat client with the new token.",
                )
                .code(codes.join("/"))
                .docs("https://learn.microsoft.com/azure/communication-services/concepts/authentication")
                .source("Azure Monitor reference: ACSAuthIncomingOperations (Scopes); rules/catalog/chat_errors.csv (403)")
                .id_value(IdKind::UserId, Some(&user))
                .occurrences(occ),
            );
        }
    }
}
