//! Chat analyzers: failed chat requests, decoded, grouped by status, thread and user.

pub mod request_error;

acs_triage_core::register_analyzer!(request_error::REQUEST_ERRORS);
