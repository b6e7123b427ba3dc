//! Calling analyzers: every call reconstructed and judged (end reasons, client evidence,
//! patterns across calls, missing data), media stream quality, and Call Automation results.
//! Each analyzer registers itself; the CLI links this crate by name.

pub mod automation;
pub mod calls;
pub mod client;
pub mod media;
pub mod story;

acs_triage_core::register_analyzer!(calls::CALLS);
acs_triage_core::register_analyzer!(media::MEDIA_QUALITY);
acs_triage_core::register_analyzer!(automation::AUTOMATION);
