//! SMS analyzers: the delivery truth of every message (send joined with its reports wherever they
//! are), refused sends, and throttling judged against the per-number limits.

pub mod messages;
pub mod records;
pub mod traffic;

acs_triage_core::register_analyzer!(messages::DELIVERY);
