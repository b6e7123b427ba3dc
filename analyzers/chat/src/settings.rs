//! The `chat` section of the thresholds (`rules/thresholds/chat.toml`).

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatSettings {
    pub limits: ChatLimits,
    pub judgement: ChatJudgement,
}

/// The per-thread and per-user limits of the chat service (ACS service limits).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatLimits {
    pub source: String,
    pub messages_per_10s_per_thread: u32,
    pub messages_per_minute_per_thread: u32,
    pub typing_per_10s_per_user: u32,
    pub token_default_lifetime_hours: u32,
}

/// acs-triage's own judgement values.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatJudgement {
    pub source: String,
    pub throttle_burst_gap_seconds: u32,
}
