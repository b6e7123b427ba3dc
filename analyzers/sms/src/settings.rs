//! The `sms` section of the thresholds (`rules/thresholds/sms.toml`).

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    pub limits: SmsLimits,
    pub judgement: SmsJudgement,
}

/// Messages per 60 seconds, by sender number type (ACS service limits).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsLimits {
    pub source: String,
    pub toll_free_per_minute: u32,
    pub short_code_per_minute: u32,
    pub alphanumeric_per_minute: u32,
}

/// acs-triage's own judgement values.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsJudgement {
    pub source: String,
    pub delivery_latency_seconds: u32,
    pub report_wait_seconds: u32,
    pub reports_missing_share: f64,
    pub messages_listed: u32,
    pub throttle_burst_gap_seconds: u32,
}
