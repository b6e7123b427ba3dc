//! The one place that names every analyzer crate. An analyzer crate's `inventory` registrations
//! only reach the binary when the binary refers to the crate, so each one is named here.

use acs_triage_core::Analyzer;

use acs_triage_calling as _;
use acs_triage_chat as _;
use acs_triage_sms as _;

/// Every registered analyzer, sorted by ID.
pub fn registered() -> Vec<&'static dyn Analyzer> {
    acs_triage_core::analyzer::registered()
}
