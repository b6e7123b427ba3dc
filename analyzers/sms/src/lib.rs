//! SMS analyzers: delivery outcome of every message, refused sends.

pub mod delivery;

acs_triage_core::register_analyzer!(delivery::DELIVERY);
