//! Calling analyzers: call end reasons (and, as they grow, call reconstruction, media quality and
//! client evidence). Each analyzer registers itself; the CLI links this crate by name.

pub mod end_reason;

acs_triage_core::register_analyzer!(end_reason::END_REASONS);
