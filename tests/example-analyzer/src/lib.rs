//! A minimal analyzer crate, exactly as CONTRIBUTING.md ("Adding an analyzer crate") builds one:
//! it flags Azure Monitor operations that took longer than a threshold of its own
//! (`rules/thresholds/example.toml`).

use acs_triage_core::analyzer::{Analysis, Context, Output};
use acs_triage_core::{
    Evidence, Occurrences, Record, declare_analyzer, finding_kinds, settings_section,
};
use serde::Deserialize;

finding_kinds! {
    /// Operations that took longer than `slow_operation_ms` (`durationMs` of Azure Monitor
    /// records).
    ///
    /// Slow operations make calls set up late and messages arrive late; the slowest come first.
    pub SLOW_OPERATION = ("example/slow-operation", Info, "Slow operations");
}

/// The `example` section of the thresholds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleSettings {
    pub source: String,
    pub slow_operation_ms: f64,
}

settings_section! {
    /// The example analyzer's threshold.
    pub static SETTINGS: ExampleSettings = ("example", "rules/thresholds/example.toml");
}

declare_analyzer! {
    /// `example/slow-operation`: Azure Monitor operations slower than the threshold.
    pub static SLOW_OPERATIONS: SlowOperations = {
        id: "example/slow-operation",
        title: "Slow operations",
        families: &[], // every family
        findings: &[&SLOW_OPERATION],
        tables: &[],
    };
}

/// The state on one worker: the slow operations seen.
pub struct SlowOperations {
    limit_ms: f64,
    slow: Occurrences,
}

impl Analysis for SlowOperations {
    fn start(ctx: &Context) -> Self {
        SlowOperations {
            limit_ms: ctx.settings.get::<ExampleSettings>().slow_operation_ms,
            slow: Occurrences::default(),
        }
    }

    fn observe(&mut self, _ctx: &Context, record: &Record<'_>) {
        if record
            .number("durationMs")
            .is_some_and(|ms| ms > self.limit_ms)
        {
            self.slow.add(Evidence::from_record(
                record,
                &["operationName", "durationMs"],
            ));
        }
    }

    fn merge(&mut self, other: Self) {
        self.slow.merge(other.slow);
    }

    fn finish(self, _ctx: &Context, out: &mut Output) {
        if self.slow.count == 0 {
            return;
        }
        out.push(
            SLOW_OPERATION
                .finding()
                .message(format!(
                    "{} operations took longer than {} ms",
                    self.slow.count, self.limit_ms
                ))
                .action("Look at the slowest operations first.")
                .occurrences(self.slow),
        );
    }
}
