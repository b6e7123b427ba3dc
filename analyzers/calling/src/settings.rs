//! The calling analyzers' sections of the thresholds: `media` (`rules/thresholds/media.toml`)
//! and `calls` (`rules/thresholds/calls.toml`).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;

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

impl StreamKind {
    /// True when a threshold for `self` applies to a stream of `kind`.
    pub fn covers(self, kind: StreamKind) -> bool {
        self == StreamKind::All || self == kind
    }
}

/// One media-quality threshold.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaThreshold {
    /// Lower = more important (its action is the one given when several thresholds fail).
    pub rank: u32,
    pub field: String,
    /// Shared by every violation and finding of this threshold (as are `unit` and `action`).
    pub label: Arc<str>,
    pub unit: Arc<str>,
    pub poor_when: PoorWhen,
    pub value: f64,
    pub streams: StreamKind,
    pub source: String,
    /// The next step when a stream is poor by this measure.
    pub action: Arc<str>,
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

/// Every media threshold, by name (`round_trip_time`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct MediaThresholds(pub BTreeMap<String, MediaThreshold>);

/// The `calls` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallsSettings {
    pub sdk: SdkLimits,
    pub judgement: CallsJudgement,
}

/// How long the Calling SDK waits before it gives a call up.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SdkLimits {
    pub source: String,
    pub call_setup_seconds: u32,
    pub pstn_call_setup_seconds: u32,
    pub reconnect_seconds: u32,
}

/// acs-triage's own judgement values.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallsJudgement {
    pub source: String,
    pub repeated_failure_calls: u32,
    /// A version's failures must be this unlikely under chance (one-sided Fisher's exact test).
    pub version_pattern_max_p: f64,
    pub version_pattern_min_failures: u32,
    /// End-reason causes that say nothing about a client version.
    pub version_pattern_ignored_causes: Vec<String>,
}

impl CallsJudgement {
    /// Failures of one identity with one end reason that make a repeated failure: the setting,
    /// but never fewer than two (one failure repeats nothing). The analysis and its KQL form
    /// both read it here.
    pub fn repeated_failure_threshold(&self) -> u32 {
        self.repeated_failure_calls.max(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_values_load() {
        let media: MediaThresholds =
            toml::from_str(include_str!("../../../rules/thresholds/media.toml")).unwrap();
        let rtt = &media.0["round_trip_time"];
        assert_eq!(rtt.value, 500.0);
        assert!(rtt.is_poor(501.0));
        assert!(!rtt.is_poor(500.0));
        assert!(media.0["video_frame_rate"].is_poor(6.0));
        assert!(media.0["no_packets"].is_poor(0.0));
        let calls: CallsSettings =
            toml::from_str(include_str!("../../../rules/thresholds/calls.toml")).unwrap();
        assert_eq!(calls.judgement.repeated_failure_calls, 3);
    }
}
