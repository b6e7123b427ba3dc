//! Thresholds and limits (`rules/thresholds.toml`), overridable by the user.
//!
//! Layers are merged key by key (a user's `[thresholds.media.jitter] value = 50` changes one
//! number and keeps the rest), then checked against the typed model, so a typo in a key is an
//! error rather than a silently ignored setting.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The bundled thresholds and limits.
pub const BUNDLED_THRESHOLDS: &str = include_str!("../../rules/thresholds.toml");

/// When a media value counts as poor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PoorWhen {
    Above,
    Below,
    Equal,
}

/// Which streams a media threshold applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StreamKind {
    All,
    Audio,
    Video,
    ScreenShare,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaThreshold {
    /// Lower = more important (its action is the one given when several thresholds fail).
    pub rank: u32,
    pub field: String,
    pub label: String,
    pub unit: String,
    pub poor_when: PoorWhen,
    pub value: f64,
    pub streams: StreamKind,
    pub source: String,
    /// The next step when a stream is poor by this measure.
    pub action: String,
}

impl StreamKind {
    /// True when a threshold for `self` applies to a stream of `kind`.
    pub fn covers(self, kind: StreamKind) -> bool {
        self == StreamKind::All || self == kind
    }
}

impl MediaThreshold {
    /// True when `observed` is on the poor side of the threshold.
    pub fn is_poor(&self, observed: f64) -> bool {
        match self.poor_when {
            PoorWhen::Above => observed > self.value,
            PoorWhen::Below => observed < self.value,
            PoorWhen::Equal => observed == self.value,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsLimits {
    pub toll_free_per_minute: u32,
    pub short_code_per_minute: u32,
    pub alphanumeric_per_minute: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatLimits {
    pub messages_per_10s_per_thread: u32,
    pub messages_per_minute_per_thread: u32,
    pub typing_per_10s_per_user: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenLimits {
    pub default_lifetime_hours: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SdkLimits {
    pub source: String,
    pub call_setup_seconds: u32,
    pub pstn_call_setup_seconds: u32,
    pub reconnect_seconds: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub source: String,
    pub sms: SmsLimits,
    pub chat: ChatLimits,
    pub token: TokenLimits,
    pub sdk: SdkLimits,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Judgement {
    pub source: String,
    pub sms_delivery_latency_seconds: u32,
    pub sms_report_wait_seconds: u32,
    pub sms_reports_missing_share: f64,
    pub sms_messages_listed: u32,
    pub throttle_burst_gap_seconds: u32,
    pub repeated_failure_calls: u32,
}

/// Thresholds, limits and judgement values.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub media: BTreeMap<String, MediaThreshold>,
    pub limits: Limits,
    pub judgement: Judgement,
}

/// A settings layer that does not fit the model.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("{0}")]
    Model(String),
}

impl Settings {
    /// The bundled values.
    pub fn bundled() -> Result<Settings, SettingsError> {
        Settings::layered(&[])
    }

    /// The bundled values with each override table merged on top, in order.
    pub fn layered(overrides: &[toml::Table]) -> Result<Settings, SettingsError> {
        let mut base: toml::Table = toml::from_str(BUNDLED_THRESHOLDS)?;
        for layer in overrides {
            merge(&mut base, layer);
        }
        Settings::deserialize(toml::Value::Table(base))
            .map_err(|e| SettingsError::Model(e.to_string()))
    }
}

/// Deep-merges `top` into `base`: tables merge key by key, other values replace.
pub fn merge(base: &mut toml::Table, top: &toml::Table) {
    for (key, value) in top {
        match (base.get_mut(key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(t)) => merge(b, t),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_settings_load() {
        let s = Settings::bundled().unwrap();
        assert_eq!(s.media["round_trip_time"].value, 500.0);
        assert!(s.media["round_trip_time"].is_poor(501.0));
        assert!(!s.media["round_trip_time"].is_poor(500.0));
        assert!(s.media["video_frame_rate"].is_poor(6.0));
        assert!(s.media["no_packets"].is_poor(0.0));
        assert_eq!(s.limits.sms.toll_free_per_minute, 200);
    }

    #[test]
    fn overrides_change_one_value() {
        let top: toml::Table = toml::from_str("[media.jitter]\nvalue = 50\n").unwrap();
        let s = Settings::layered(&[top]).unwrap();
        assert_eq!(s.media["jitter"].value, 50.0);
        assert_eq!(s.media["jitter"].field, "jitterAvg");
    }

    #[test]
    fn typos_are_errors() {
        let top: toml::Table = toml::from_str("[limits.sms]\ntoll_free_per_minut = 5\n").unwrap();
        let err = Settings::layered(&[top]).unwrap_err();
        assert!(err.to_string().contains("toll_free_per_minut"), "{err}");
    }
}
