//! A minimal analyzer crate, exactly as CONTRIBUTING.md ("Adding an analyzer crate") builds one:
//! it flags Azure Monitor operations that took longer than 5 seconds.

use acs_triage_core::Output;
use acs_triage_core::analyzer::{Analyzer, AnalyzerInfo, Context, Pass, downcast_pass};
use acs_triage_core::{Evidence, Finding, Occurrences, Record, Severity};

/// Operations slower than this are reported.
const SLOW_MS: f64 = 5_000.0;

pub struct SlowOperations;

pub static SLOW_OPERATIONS: SlowOperations = SlowOperations;

impl Analyzer for SlowOperations {
    fn info(&self) -> AnalyzerInfo {
        AnalyzerInfo {
            id: "example/slow-operation",
            title: "Slow operations",
            families: &[], // every family
            findings: &["example/slow-operation"],
            tables: &[],
        }
    }

    fn start(&self, _ctx: &Context) -> Box<dyn Pass> {
        Box::new(SlowPass::default())
    }
}

#[derive(Default)]
struct SlowPass {
    slow: Occurrences,
}

impl Pass for SlowPass {
    fn observe(&mut self, _ctx: &Context, record: &Record<'_>) {
        if record.number("durationMs").is_some_and(|ms| ms > SLOW_MS) {
            self.slow.add(Evidence::from_record(
                record,
                &["operationName", "durationMs"],
            ));
        }
    }

    fn merge(&mut self, other: Box<dyn Pass>) {
        self.slow.merge(downcast_pass::<SlowPass>(other).slow);
    }

    fn finish(self: Box<Self>, _ctx: &Context, out: &mut Output) {
        if self.slow.count == 0 {
            return;
        }
        out.push(
            Finding::new("example/slow-operation", Severity::Info, "Slow operations")
                .message(format!(
                    "{} operations took longer than {} ms",
                    self.slow.count, SLOW_MS
                ))
                .action("Look at the slowest operations first.")
                .occurrences(self.slow),
        );
    }
}

acs_triage_core::register_analyzer!(SLOW_OPERATIONS);
