//! What the calls judged so far add up to. A call is accounted once all its records are read
//! (at the end, or earlier while an export is read hour by hour, see
//! [`Analysis::close`](acs_triage_core::analyzer::Analysis::close)): its participants are
//! counted per end reason and version, its identities' calls counted, and the call itself is let
//! go unless a finding will come from it. Those calls are judged at the end, when the counts over
//! every call give their findings context ("this identity ended 3 of its 4 calls this way").

use super::*;

/// Failures of one identity over all calls (kept only for identities that failed).
#[derive(Default)]
pub(super) struct IdentityStats {
    /// Calls of the identity (filled in from the all-identities count at the end).
    pub(super) calls: u32,
    /// (code, subcode) → calls ending that way.
    pub(super) failures: BTreeMap<(i64, Option<i64>), u32>,
    pub(super) text: Option<Box<str>>,
}

/// How many calls each identity took part in. Identities are noted in a list as calls are
/// accounted and counted into a list sorted by identity now and then: a table looked up for
/// every participant of every call missed the cache on most lookups (a third of accounting's
/// time in the profile, with 20,000 identities), where sorting and merging read memory in
/// order.
#[derive(Default)]
pub(super) struct CallCounts {
    /// (identity, calls), sorted by identity, each identity once.
    counted: Vec<(u64, u32)>,
    /// Identities noted since the last [`CallCounts::settle`], one per call they were in.
    noted: Vec<u64>,
}

impl CallCounts {
    /// Noted identities wait until there are this many, or as many as half the identities
    /// counted, whichever is more: the list stays within a fraction of the counts, and each
    /// settling's merge pays for itself.
    const FEWEST_TO_SETTLE: usize = 4096;

    /// Counts one call of `identity`.
    pub(super) fn add(&mut self, identity: u64) {
        self.noted.push(identity);
        if self.noted.len() >= Self::FEWEST_TO_SETTLE.max(self.counted.len() / 2) {
            self.settle();
        }
    }

    /// Counts the noted identities into the sorted list.
    pub(super) fn settle(&mut self) {
        if self.noted.is_empty() {
            return;
        }
        self.noted.sort_unstable();
        let mut noted: Vec<(u64, u32)> = Vec::new();
        for id in self.noted.drain(..) {
            match noted.last_mut() {
                Some((last, n)) if *last == id => *n += 1,
                _ => noted.push((id, 1)),
            }
        }
        self.counted = merge_counts(std::mem::take(&mut self.counted), noted);
    }

    /// Absorbs the counts of calls the other never shares with this one.
    pub(super) fn merge(&mut self, mut other: CallCounts) {
        self.settle();
        other.settle();
        self.counted = merge_counts(std::mem::take(&mut self.counted), other.counted);
    }

    /// The calls of `identity` (once settled).
    pub(super) fn get(&self, identity: u64) -> Option<u32> {
        let at = self.counted.binary_search_by_key(&identity, |c| c.0).ok()?;
        Some(self.counted[at].1)
    }
}

/// Two lists sorted by identity as one, the counts of an identity in both added up.
fn merge_counts(a: Vec<(u64, u32)>, b: Vec<(u64, u32)>) -> Vec<(u64, u32)> {
    if a.is_empty() {
        return b;
    }
    if b.is_empty() {
        return a;
    }
    let mut merged = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                let n = x.1.saturating_add(y.1);
                let id = x.0;
                a.next();
                b.next();
                (id, n)
            }
            (Some(x), Some(y)) if x.0 < y.0 => a.next().expect("peeked"),
            (Some(_), Some(_)) | (None, Some(_)) => b.next().expect("peeked"),
            (Some(_), None) => a.next().expect("peeked"),
            (None, None) => break,
        };
        merged.push(next);
    }
    merged
}

/// Counts over every call accounted, and the calls findings come from.
#[derive(Default)]
pub(crate) struct Tally {
    /// Calls with an ID.
    named_calls: usize,
    /// The smallest call key (named in "no CallSummary records").
    first_call: Option<CallKey>,
    any_summary: bool,
    any_diagnostics: bool,
    participants: Participants,
    /// (dimension, version hash) → (participants, failed).
    versions: BTreeMap<(&'static str, u32), (u32, u32)>,
    /// Failed participants, as version patterns see them.
    failed_parts: Vec<VersionPart>,
    /// Calls per identity, for every identity.
    call_counts: CallCounts,
    /// Details of the identities that failed.
    identities: FastMap<u64, IdentityStats>,
    redacted_failures: Occurrences,
    redacted_parts: u32,
    /// Participants per end reason (the `calling/end-reasons` table).
    end_reasons: BTreeMap<(i64, Option<i64>), (Judgement, u64)>,
    /// Calls a finding will come from, without their spans (the timeline has what it shows).
    /// Boxed as the open calls are: a kept call moves as a pointer, not 152 bytes.
    kept: Vec<(CallKey, Box<CallState>)>,
    /// The timeline table's rows, of the calls whose failures came first.
    timeline: Timeline,
    /// Some records are rows a KQL query returned (`acs_triage_core::kql`): only problem rows
    /// came back, so what is missing says nothing about the logs.
    pub(crate) from_query_results: bool,
}

impl Tally {
    /// Counts one call whose records are all read, and keeps it if a finding will come from it
    /// (returns whether it did).
    pub(crate) fn account(&mut self, key: CallKey, mut call: Box<CallState>) -> bool {
        // Participants in key order (keys are unique in a call), not in the order first seen.
        call.parts.sort_by_key(|p| p.key);
        if key != CallKey::Text("".into()) {
            self.named_calls += 1;
        }
        if self.first_call.as_ref().is_none_or(|f| key < *f) {
            self.first_call = Some(key.clone());
        }
        self.any_summary |= call.sources & Source::Summary.bit() != 0;
        self.any_diagnostics |= call.sources & Source::Diagnostics.bit() != 0;
        let call_hash = key_hash(&key);
        let mut seen_in_call: Vec<u64> = Vec::new();
        for p in call.parts.iter().filter(|p| p.from_summary) {
            let failed = p.end.judgement >= Judgement::Warning;
            self.participants.all += 1;
            match p.end.judgement {
                Judgement::Normal => self.participants.normal += 1,
                Judgement::Info => self.participants.info += 1,
                _ => self.participants.failed += 1,
            }
            self.end_reasons
                .entry((p.end.code(), p.end.sub()))
                .or_insert((p.end.judgement, 0))
                .1 += 1;
            if failed {
                self.failed_parts.push(VersionPart {
                    versions: [p.sdk, p.os, p.app],
                    identity: p.identity,
                    end: (p.end.code, p.end.subcode),
                    call: call_hash,
                });
            }
            for (kind, v) in [
                ("SDK", p.sdk),
                ("OS", p.os),
                ("app", p.app),
                ("endpoint type", p.endpoint),
            ] {
                if v != 0 {
                    let e = self.versions.entry((kind, v)).or_default();
                    e.0 += 1;
                    if failed {
                        e.1 += 1;
                    }
                }
            }
            if p.redacted_versions {
                self.redacted_parts += 1;
                // PSTN and bot participants have no client logs to collect.
                let client_side = p
                    .end
                    .detail
                    .as_ref()
                    .and_then(|d| d.endpoint_type.as_deref())
                    .is_none_or(|t| {
                        !["pstn", "bot", "server"].contains(&t.to_ascii_lowercase().as_str())
                    });
                if failed
                    && client_side
                    && let Some(d) = &p.end.detail
                {
                    self.redacted_failures.merge(d.occurrences.clone());
                }
            }
            let id = p.identity;
            if id == 0 {
                continue;
            }
            if !seen_in_call.contains(&id) {
                seen_in_call.push(id);
                self.call_counts.add(id);
            }
            if failed {
                let stats = self.identities.entry(id).or_default();
                *stats
                    .failures
                    .entry((p.end.code(), p.end.sub()))
                    .or_default() += 1;
                keep_min(
                    &mut stats.text,
                    p.end.detail.as_ref().and_then(|d| d.identity.clone()),
                );
            }
        }
        let keep = findings_may_come(&key, &call);
        if keep {
            self.timeline.note(&key, &call);
            call.spans = Vec::new();
            self.kept.push((key, call));
        }
        keep
    }

    /// Absorbs another tally (of calls the other never shares with this one).
    pub(crate) fn merge(&mut self, other: Tally) {
        self.named_calls += other.named_calls;
        if let Some(k) = other.first_call
            && self.first_call.as_ref().is_none_or(|f| k < *f)
        {
            self.first_call = Some(k);
        }
        self.any_summary |= other.any_summary;
        self.any_diagnostics |= other.any_diagnostics;
        self.from_query_results |= other.from_query_results;
        self.participants.all += other.participants.all;
        self.participants.normal += other.participants.normal;
        self.participants.info += other.participants.info;
        self.participants.failed += other.participants.failed;
        for (k, (n, f)) in other.versions {
            let e = self.versions.entry(k).or_default();
            e.0 += n;
            e.1 += f;
        }
        self.failed_parts.extend(other.failed_parts);
        self.call_counts.merge(other.call_counts);
        for (id, theirs) in other.identities {
            let mine = self.identities.entry(id).or_default();
            for (k, n) in theirs.failures {
                *mine.failures.entry(k).or_default() += n;
            }
            keep_min(&mut mine.text, theirs.text);
        }
        self.redacted_failures.merge(other.redacted_failures);
        self.redacted_parts += other.redacted_parts;
        for (k, (j, n)) in other.end_reasons {
            self.end_reasons.entry(k).or_insert((j, 0)).1 += n;
        }
        self.kept.extend(other.kept);
        self.timeline.merge(other.timeline);
    }

    /// The findings, once every call is accounted.
    pub(crate) fn judge(
        mut self,
        ctx: &Context,
        names: &FastMap<u32, String>,
        timeline: bool,
        out: &mut Output,
    ) {
        self.kept.sort_by(|a, b| a.0.cmp(&b.0));
        if ctx.wants_table(&END_REASONS) {
            out.table(end_reasons_table(ctx, &self.end_reasons));
        }
        if timeline {
            out.table(std::mem::take(&mut self.timeline).table());
        }
        self.call_counts.settle();
        for (id, stats) in self.identities.iter_mut() {
            stats.calls = self.call_counts.get(*id).unwrap_or(1);
        }
        drop(std::mem::take(&mut self.call_counts));
        let repeat_at = ctx
            .settings
            .get::<CallsSettings>()
            .judgement
            .repeated_failure_threshold();
        let identities = &self.identities;
        let any_summary = self.any_summary && !self.from_query_results;
        // Each call's findings on its own, in parallel (a large run keeps thousands of calls),
        // joined in call order. In slices, so that only a slice's findings wait to be joined.
        let mut service_side_calls: Vec<u64> = Vec::new();
        let mut kept = std::mem::take(&mut self.kept).into_iter();
        loop {
            let slice: Vec<(CallKey, Box<CallState>)> = kept.by_ref().take(JUDGE_SLICE).collect();
            if slice.is_empty() {
                break;
            }
            let judged: Vec<(Output, Option<u64>)> = {
                use rayon::prelude::*;
                slice
                    .into_par_iter()
                    .map(|(call_key, call)| {
                        let mut out = Output::default();
                        let service =
                            judge_call(ctx, identities, any_summary, &call_key, call, &mut out);
                        (out, service.then(|| key_hash(&call_key)))
                    })
                    .collect()
            };
            for (call_out, service) in judged {
                out.extend(call_out);
                service_side_calls.extend(service);
            }
        }

        // Across calls.
        let mut repeated: Vec<(&u64, &IdentityStats)> = identities.iter().collect();
        repeated.sort_by(|a, b| a.1.text.cmp(&b.1.text).then(a.0.cmp(b.0)));
        let mut repeated_identities: Vec<(u64, i64, Option<i64>)> = Vec::new();
        for (id, stats) in repeated {
            for ((code, sub), n) in &stats.failures {
                if *n >= repeat_at && *n * 10 >= stats.calls * 8 {
                    out.push(repeated_finding(ctx, stats, *code, *sub, *n));
                    repeated_identities.push((*id, *code, *sub));
                }
            }
        }
        let explained = Explained {
            service_side_calls: &service_side_calls,
            repeated_identities: &repeated_identities,
        };
        version_patterns(
            ctx,
            &self.versions,
            &self.failed_parts,
            &explained,
            names,
            out,
        );
        health(
            ctx,
            &self.versions,
            names,
            self.named_calls,
            &self.participants,
            out,
        );
        let (redacted_failures, redacted_parts) = (self.redacted_failures, self.redacted_parts);
        if redacted_failures.count > 0 {
            out.push(
                crate::REDACTED_VERSIONS.finding().severity(Severity::Info).title("SDK and OS versions of some failed participants are redacted")
                .message(format!(
                    "{} failed participant record{} carr{} sdkVersion/osVersion = Redacted ({redacted_parts} participant{} in all): the service hides them for cross-tenant participants, so version patterns cannot include them.",
                    redacted_failures.count,
                    if redacted_failures.count == 1 { "" } else { "s" },
                    if redacted_failures.count == 1 { "ies" } else { "y" },
                    if redacted_parts == 1 { "" } else { "s" }
                ))
                .action("For those participants, collect client-side logs (browser console or native .blog files) from the affected users.")
                .occurrences(redacted_failures),
            );
        }
        let named_calls = self.named_calls;
        if !self.any_summary && named_calls > 0 && !self.from_query_results {
            // Stream records without summaries point at the diagnostic setting; app-side logs
            // alone (Call Automation callbacks, client logs) may simply be all the user collected.
            let severity = if self.any_diagnostics {
                Severity::Warning
            } else {
                Severity::Info
            };
            let first_call = self.first_call.as_ref().map(CallKey::text);
            out.push(
                crate::MISSING_DATA.finding().severity(severity).title("No CallSummary records")
                    .message(format!(
                        "The logs mention {} call{} but hold no CallSummary record at all: how each participant's call ended cannot be judged.",
                        named_calls,
                        if named_calls == 1 { "" } else { "s" }
                    ))
                    .action("Enable the CallSummary category in the resource's diagnostic setting and export it with the other logs (records can arrive up to ~48 h late).")
                    .id_value(IdKind::CallId, first_call.as_deref()),
            );
        }
        if self.any_summary && !self.any_diagnostics && !self.from_query_results {
            out.push(
                crate::MISSING_DATA.finding().severity(Severity::Info).title("No CallDiagnostics records")
                    .message("The logs hold CallSummary records but no CallDiagnostics: media quality (round-trip time, jitter, packet loss) cannot be judged.")
                    .action("Enable the CallDiagnostics category in the resource's diagnostic setting."),
            );
        }
    }
}

/// True when judging the call at the end may give a finding: a participant ended badly, the
/// client had trouble, or something is missing from the logs.
fn findings_may_come(key: &CallKey, call: &CallState) -> bool {
    call.parts.iter().any(|p| p.end.detail.is_some())
        || call.detail.is_some()
        || (*key != CallKey::Text("".into())
            && (call.sources & Source::Summary.bit() == 0 || missing_participants(call) > 0))
}

/// Kept calls judged together (see [`Tally::judge`]).
const JUDGE_SLICE: usize = 1024;

/// The findings of one kept call; true when its failures look service-side.
fn judge_call(
    ctx: &Context,
    identities: &FastMap<u64, IdentityStats>,
    any_summary: bool,
    call_key: &CallKey,
    mut call: Box<CallState>,
    out: &mut Output,
) -> bool {
    let call_id = call_key.text();
    fold_client_ends(&mut call.parts);
    let summary_parts = call.parts.iter().filter(|p| p.from_summary).count();
    let mut failed_ends: Vec<(&Part, &EndDetail)> = Vec::new();
    for part in &call.parts {
        let Some(detail) = &part.end.detail else {
            continue;
        };
        let context = identities.get(&part.identity).and_then(|s| {
            let n = *s.failures.get(&(part.end.code(), part.end.sub()))?;
            match (s.calls, n) {
                (1, _) => None,
                (calls, 1) => Some(format!(
                    " This identity's {} other call{} in these logs did not end this way, so it looks transient.",
                    calls - 1,
                    if calls == 2 { "" } else { "s" }
                )),
                (calls, n) => Some(format!(
                    " This identity ended {n} of its {calls} calls in these logs this way."
                )),
            }
        });
        let ufd_hint = client::ufd_hint_for_end(
            call.detail.as_deref(),
            part.end.code(),
            part.end.sub(),
            detail.participant_id.as_deref(),
        );
        if let Some(f) = end_finding(
            ctx,
            &call_id,
            part,
            detail,
            context.unwrap_or_default() + &ufd_hint,
        ) {
            if part.from_summary && part.end.judgement >= Judgement::Warning {
                failed_ends.push((part, detail));
            }
            out.push(f);
        }
    }
    let service = service_side(&call_id, summary_parts, &failed_ends, out);
    if let Some(detail) = &call.detail {
        client::findings(ctx, &call_id, detail, out);
    }
    if any_summary {
        missing_data(&call_id, &call, out);
    }
    service
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The counts a plain table gives.
    fn counted_plainly(ids: &[u64]) -> BTreeMap<u64, u32> {
        let mut counts = BTreeMap::new();
        for id in ids {
            *counts.entry(*id).or_insert(0) += 1;
        }
        counts
    }

    fn all(counts: &CallCounts, ids: &[u64]) -> BTreeMap<u64, u32> {
        ids.iter()
            .map(|id| (*id, counts.get(*id).expect("counted")))
            .collect()
    }

    #[test]
    fn counts_settle_as_they_grow_and_agree_with_a_table() {
        // Enough calls for several settlings, with identities repeating.
        let ids: Vec<u64> = (0..50_000u64).map(|i| (i * 7919) % 9_973).collect();
        let mut counts = CallCounts::default();
        for id in &ids {
            counts.add(*id);
        }
        counts.settle();
        assert!(counts.noted.is_empty());
        assert!(counts.counted.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(all(&counts, &ids), counted_plainly(&ids));
        assert_eq!(counts.get(10_000), None);
    }

    proptest! {
        #[test]
        fn merged_counts_are_the_counts_of_both(
            a in proptest::collection::vec(0u64..64, 0..200),
            b in proptest::collection::vec(0u64..64, 0..200),
            settle_a in any::<bool>(),
        ) {
            let (mut left, mut right) = (CallCounts::default(), CallCounts::default());
            a.iter().for_each(|id| left.add(*id));
            b.iter().for_each(|id| right.add(*id));
            if settle_a {
                left.settle();
            }
            left.merge(right);
            let both: Vec<u64> = a.iter().chain(&b).copied().collect();
            prop_assert_eq!(all(&left, &both), counted_plainly(&both));
            prop_assert_eq!(left.counted.len(), counted_plainly(&both).len());
        }
    }
}
