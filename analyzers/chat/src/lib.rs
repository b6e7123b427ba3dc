//! Chat analyzers: failed chat requests decoded and grouped by status, thread and user; 429s
//! judged against the per-thread limits with the app's pattern; chat refused for tokens issued
//! without the chat scope.

pub mod request_error;
pub mod requests;
pub mod throttling;
pub mod tokens;

acs_triage_core::register_analyzer!(request_error::REQUEST_ERRORS);
acs_triage_core::register_analyzer!(throttling::THROTTLING);
acs_triage_core::register_analyzer!(tokens::TOKENS);
