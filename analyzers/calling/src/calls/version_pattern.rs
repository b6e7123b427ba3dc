//! `calling/version-pattern`: one SDK, OS or app version behind most failures.
//!
//! Honest about chance: a version is a pattern only when Fisher's exact test says its share of
//! failures is unlikely to be luck, against every other version's; failures whose cause is
//! outside the client, or that another problem already explains (one identity failing on every
//! call, a whole call failing at once), are left out; the finding gives the counts, not only the
//! percentages.

use super::*;

use acs_triage_core::stats::fisher_greater;
use acs_triage_core::text::{group_digits, percent};

/// One failed participant as version patterns see it.
pub(super) struct VersionPart {
    /// SDK, OS and app version hashes (0 = unknown).
    pub(super) versions: [u32; 3],
    pub(super) identity: u64,
    pub(super) end: (i32, i32),
    /// Hash of the call's key.
    pub(super) call: u64,
}

/// Failures other problems explain.
pub(super) struct Explained<'a> {
    /// Hashes of the calls' keys.
    pub(super) service_side_calls: &'a [u64],
    /// (identity, code, subcode) of identities failing the same way on call after call.
    pub(super) repeated_identities: &'a [(u64, i64, Option<i64>)],
}

const KINDS: [&str; 3] = ["SDK", "OS", "app"];

/// `versions`: (dimension, version hash) → (participants, failed), over every participant;
/// `failed`: the failed participants.
pub(super) fn version_patterns(
    ctx: &Context,
    versions: &BTreeMap<(&'static str, u32), (u32, u32)>,
    failed: &[VersionPart],
    explained: &Explained<'_>,
    names: &FastMap<u32, String>,
    out: &mut Output,
) {
    let judgement = &ctx.settings.get::<CallsSettings>().judgement;
    let ignored = &judgement.version_pattern_ignored_causes;
    let catalog = ctx.catalogs.get::<CodeTable>(&CALLING_END_REASONS);
    // Whether a failure can say something about a client version.
    let counts_for_versions = |p: &VersionPart| {
        let code = i64::from(p.end.0);
        let sub = (p.end.1 != NO_SUB).then_some(i64::from(p.end.1));
        let cause_ignored = catalog
            .decode(code, sub)
            .is_some_and(|d| ignored.iter().any(|c| c == &d.entry.cause));
        let repeated = explained
            .repeated_identities
            .iter()
            .any(|(id, c, s)| *id == p.identity && p.identity != 0 && (*c, *s) == (code, sub));
        !cause_ignored && !repeated && !explained.service_side_calls.contains(&p.call)
    };
    for (k, kind) in KINDS.into_iter().enumerate() {
        // version hash → (participants, failures that count)
        let mut by_version: BTreeMap<u32, (u64, u64)> = versions
            .iter()
            .filter(|((d, _), _)| *d == kind)
            .map(|((_, v), (n, _))| (*v, (u64::from(*n), 0)))
            .collect();
        for p in failed.iter().filter(|p| p.versions[k] != 0) {
            if counts_for_versions(p) {
                by_version.entry(p.versions[k]).or_default().1 += 1;
            }
        }
        let total: u64 = by_version.values().map(|c| c.0).sum();
        let total_failed: u64 = by_version.values().map(|c| c.1).sum();
        for (v, &(n, failed)) in &by_version {
            let (others_n, others_failed) = (total - n, total_failed - failed);
            if others_n == 0 || failed < u64::from(judgement.version_pattern_min_failures) {
                continue;
            }
            let p = fisher_greater(failed, n, others_failed, others_n);
            // More than chance, and behind most of the failures that count.
            if p >= judgement.version_pattern_max_p || failed * 2 < total_failed {
                continue;
            }
            let name = names.get(v).cloned().unwrap_or_default();
            out.push(
                crate::VERSION_PATTERN
                    .finding()
                    .severity(Severity::Warning)
                    .title(format!("One {kind} version is behind most call failures"))
                    .message(format!(
                        "{kind} version {name}: {} of its {} participants failed ({}), against {} of {} on every other version ({}); one-sided Fisher's exact test p = {p:.2e}. Failures outside the client's control, or explained by another problem, are left out.",
                        group_digits(failed),
                        group_digits(n),
                        percent(failed, n),
                        group_digits(others_failed),
                        group_digits(others_n),
                        percent(others_failed, others_n),
                    ))
                    .action(match kind {
                        "SDK" => "Update the clients on that Calling SDK version to the current release and compare.",
                        "OS" => "Test that OS version with the current Calling SDK; check its known issues and network stack.",
                        _ => "Compare that app version with the one before it (its calling code and the Calling SDK it ships); fix or roll back.",
                    }),
            );
        }
    }
}
