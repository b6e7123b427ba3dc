//! Chat analyzers: failed chat requests decoded and grouped by status, thread and user; 429s
//! judged against the per-thread limits with the app's pattern; chat refused for tokens issued
//! without the chat scope.
//!
//! The map: `requests.rs` reads a chat request from any source (ChatOperational, .NET and web
//! SDK HTTP logs); `request_error.rs`, `throttling.rs` and `tokens.rs` are one analyzer and one
//! finding kind each.

pub mod request_error;
pub mod requests;
pub mod settings;
pub mod throttling;
pub mod tokens;

use acs_triage_core::catalog::CodeTable;
use acs_triage_core::{
    EntityPass, Family, catalog, declare_analyzer, finding_kinds, settings_section,
};

finding_kinds! {
    /// Chat requests the service refused (401, 403, 404, 503, ...; 429s are
    /// `chat/throttled`), grouped by status, thread and user.
    ///
    /// Each status is decoded with `rules/catalog/chat_errors.csv` (an expired token, a user
    /// who is not a participant of the thread, a service outage); the finding counts the
    /// requests, names the operations, and carries the MS-CV and client request ID of a failing
    /// request for support. When the .NET log shows the MS-CV header as REDACTED, it says how to
    /// allow it.
    pub REQUEST_ERROR = ("chat/request-error", Error, "Chat requests failed");

    /// Chat requests were answered 429 (throttled), in bursts, explained by what the app did
    /// around each burst.
    ///
    /// The chat service limits are per thread (message sends, updates and deletes per 10 s and
    /// per minute) and per user (typing notifications per 10 s), from the ACS service-limits
    /// page (`[limits]` of the `chat` thresholds). For each burst the busiest windows are
    /// compared with them, and retries sent within a second of a 429 (no backoff) are counted,
    /// so the action fits the pattern: pace message sends, throttle typing notifications, or
    /// honour Retry-After.
    pub THROTTLED = ("chat/throttled", Warning, "Chat requests throttled (429)");

    /// Chat requests were refused (401/403) for a user whose access tokens, as the identity
    /// logs show them, were issued without the `chat` scope.
    ///
    /// A token issued for `voip` only cannot be used for chat. Issue the user's tokens with the
    /// `chat` scope (or both). Joined from AuthOperational (`Scopes`, the identity) and the
    /// chat failures.
    pub TOKEN_SCOPE = ("chat/token-scope", Error, "Chat refused: the user's token lacks the chat scope");
}

catalog! {
    /// What each chat error status means.
    pub static CHAT_ERRORS: CodeTable = ("chat_errors.csv", 3, "chat error", Plain);
}

settings_section! {
    /// Chat limits and judgement values.
    pub static SETTINGS: settings::ChatSettings = ("chat", "rules/thresholds/chat.toml");
}

declare_analyzer! {
    /// `chat/request-error`: chat requests the service refused.
    pub static REQUEST_ERRORS: EntityPass<request_error::RequestErrors> = {
        id: "chat/request-error",
        title: "Failed chat requests",
        families: &[Family::Chat],
        findings: &[&REQUEST_ERROR],
        tables: &[],
    };
}

declare_analyzer! {
    /// `chat/throttling`: 429s on chat requests, explained by what the app was doing.
    pub static THROTTLING: throttling::ThrottlingPass = {
        id: "chat/throttling",
        title: "Chat throttling against the per-thread limits",
        families: &[Family::Chat],
        findings: &[&THROTTLED],
        tables: &[],
    };
}

declare_analyzer! {
    /// `chat/tokens`: chat refused for tokens issued without the chat scope.
    pub static TOKENS: tokens::TokensPass = {
        id: "chat/tokens",
        title: "Chat refused for tokens without the chat scope",
        families: &[Family::Chat, Family::Auth],
        findings: &[&TOKEN_SCOPE],
        tables: &[],
    };
}
