//! `chat/throttling`: 429s on chat requests, explained by what the app was doing.
//!
//! The service limits (`[limits.chat]` in `rules/thresholds.toml`, from the ACS service-limits
//! page) are per thread: 10 message sends/updates/deletes per 10 s and 30 per minute, and 5
//! typing notifications per 10 s per user. Every such request is counted with its time; 429s no
//! more than `throttle_burst_gap_seconds` apart form a burst, and for each burst the busiest
//! windows around it are compared with the limits, and retries sent within a second of a 429
//! (no backoff) are counted.

use acs_triage_core::field;
use std::collections::BTreeMap;

use acs_triage_core::analyzer::{Analysis, Context, Horizon, Output, keep_min};
use acs_triage_core::window;
use acs_triage_core::{Evidence, FastMap, Finding, IdKind, Occurrences, Record};

use crate::requests::{self, RequestKind};
use crate::settings::ChatSettings;

/// A request within a retry of a 429 sooner than this is "no backoff".
const IMMEDIATE_RETRY_MS: i64 = 1_000;
const TEN_SECONDS_MS: i64 = 10_000;
const MINUTE_MS: i64 = 60_000;

/// One request that counts toward a limit (or was throttled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Hit {
    at: i64,
    user: u64,
    kind: RequestKind,
    throttled: bool,
}

/// A 429, with what a finding shows of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Throttled {
    evidence: Evidence,
    kind: RequestKind,
    operation: Option<String>,
    user: Option<String>,
    /// The .NET log printed `MS-CV:REDACTED`.
    ms_cv_redacted: bool,
    ms_cv: Option<String>,
    client_request_id: Option<String>,
}

/// Requests of one thread.
#[derive(Debug, Default)]
struct ThreadTraffic {
    hits: Vec<Hit>,
    throttled: Vec<Throttled>,
}

#[derive(Debug, Default)]
pub struct ThrottlingPass {
    /// By thread ID ("" when the request names none).
    threads: FastMap<String, ThreadTraffic>,
    /// Every chat request by HTTP status (the health overview).
    statuses: std::collections::BTreeMap<i64, u64>,
}

fn user_key(user: Option<&str>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    user.unwrap_or("").hash(&mut h);
    h.finish()
}

impl Analysis for ThrottlingPass {
    fn start(_ctx: &Context) -> Self {
        ThrottlingPass::default()
    }

    fn observe(&mut self, _ctx: &Context, record: &Record<'_>) {
        let Some(request) = requests::read(record) else {
            return;
        };
        *self.statuses.entry(request.status).or_default() += 1;
        let throttled = request.status == 429;
        if request.kind == RequestKind::Other && !throttled {
            return;
        }
        let traffic = self
            .threads
            .entry(request.thread.unwrap_or_default())
            .or_default();
        if let Some(t) = record.time {
            traffic.hits.push(Hit {
                at: t.timestamp_millis(),
                user: user_key(request.user.as_deref()),
                kind: request.kind,
                throttled,
            });
        }
        if throttled {
            traffic.throttled.push(Throttled {
                evidence: Evidence::from_record(record, requests::EVIDENCE_FIELDS),
                kind: request.kind,
                operation: request.operation,
                user: request.user,
                ms_cv_redacted: record
                    .get(field!("headers.ms-cv"))
                    .is_some_and(|v| v.is_redacted()),
                ms_cv: record
                    .ms_cv()
                    .filter(|v| !v.eq_ignore_ascii_case("redacted"))
                    .map(|v| v.into_owned()),
                client_request_id: record.client_request_id().map(|v| v.into_owned()),
            });
        }
    }

    fn merge(&mut self, other: Self) {
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        for (thread, theirs) in other.threads {
            let mine = self.threads.entry(thread).or_default();
            mine.hits.extend(theirs.hits);
            mine.throttled.extend(theirs.throttled);
        }
    }

    /// Reports the bursts no request still to come can join, and forgets the requests no burst
    /// still to come can need.
    fn close(&mut self, ctx: &Context, horizon: &Horizon, out: &mut Output) {
        let gap = burst_gap_ms(ctx);
        let earliest = horizon.earliest_ms();
        let mut threads: Vec<&String> = self.threads.keys().collect();
        threads.sort();
        let threads: Vec<String> = threads.into_iter().cloned().collect();
        for thread in threads {
            let Some(traffic) = self.threads.get_mut(&thread) else {
                continue;
            };
            traffic.hits.sort_unstable();
            traffic.throttled.sort();
            let mut done = 0;
            for burst in window::bursts(&traffic.throttled, |t| t.evidence.time, gap) {
                let Some(last) = traffic.throttled[burst.end - 1].evidence.time else {
                    break;
                };
                if last.timestamp_millis() + gap.max(MINUTE_MS) >= earliest {
                    break;
                }
                let members = &traffic.throttled[burst.clone()];
                let pattern = Pattern::around(&traffic.hits, members);
                out.push(burst_finding(ctx, &thread, members, &pattern));
                done = burst.end;
            }
            traffic.throttled.drain(..done);
            let keep_from = traffic
                .throttled
                .first()
                .and_then(|t| t.evidence.time)
                .map_or(earliest, |t| t.timestamp_millis().min(earliest))
                - MINUTE_MS;
            let cut = traffic.hits.partition_point(|h| h.at < keep_from);
            traffic.hits.drain(..cut);
            if traffic.hits.is_empty() && traffic.throttled.is_empty() {
                self.threads.remove(&thread);
            }
        }
    }

    fn kql(
        ctx: &Context,
    ) -> Result<Vec<acs_triage_core::kql::KqlQuery>, acs_triage_core::kql::TemplateError> {
        let limits = &ctx.settings.get::<ChatSettings>().limits;
        Ok(vec![acs_triage_core::kql::from_template(
            "chat-throttled",
            "chat/throttled",
            include_str!("../../../rules/kql/chat-throttled.kql"),
            &[(
                "messages_per_minute_per_thread",
                limits.messages_per_minute_per_thread.to_string(),
            )],
        )?])
    }

    fn finish(self, ctx: &Context, out: &mut Output) {
        health(&self.statuses, out);
        let gap = burst_gap_ms(ctx);
        let mut threads: Vec<(String, ThreadTraffic)> = self.threads.into_iter().collect();
        threads.sort_by(|a, b| a.0.cmp(&b.0));
        for (thread, mut traffic) in threads {
            if traffic.throttled.is_empty() {
                continue;
            }
            traffic.hits.sort_unstable();
            traffic.throttled.sort();
            let bursts = window::bursts(&traffic.throttled, |t| t.evidence.time, gap);
            for burst in bursts {
                let members = &traffic.throttled[burst];
                let pattern = Pattern::around(&traffic.hits, members);
                out.push(burst_finding(ctx, &thread, members, &pattern));
            }
        }
    }
}

fn burst_gap_ms(ctx: &Context) -> i64 {
    i64::from(
        ctx.settings
            .get::<ChatSettings>()
            .judgement
            .throttle_burst_gap_seconds,
    ) * 1000
}

/// What the app did around one burst of 429s.
#[derive(Debug, Default, PartialEq, Eq)]
struct Pattern {
    /// Busiest 10 s and 60 s of message writes in the thread.
    writes_10s: usize,
    writes_60s: usize,
    /// Busiest 10 s of one user's typing notifications.
    typing_10s: usize,
    /// Requests sent by the same user within a second after one of their 429s.
    immediate_retries: usize,
    /// Whether any request of the burst had a time.
    timed: bool,
}

impl Pattern {
    fn around(hits: &[Hit], members: &[Throttled]) -> Pattern {
        let span = members
            .first()
            .and_then(|m| m.evidence.time)
            .zip(members.last().and_then(|m| m.evidence.time));
        let Some((first, last)) = span else {
            return Pattern::default();
        };
        let lo = hits.partition_point(|h| h.at < first.timestamp_millis() - MINUTE_MS);
        let hi = hits.partition_point(|h| h.at <= last.timestamp_millis() + MINUTE_MS);
        let near = &hits[lo..hi];
        let writes: Vec<i64> = near
            .iter()
            .filter(|h| h.kind == RequestKind::MessageWrite)
            .map(|h| h.at)
            .collect();
        let mut typing_by_user: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
        for h in near.iter().filter(|h| h.kind == RequestKind::Typing) {
            typing_by_user.entry(h.user).or_default().push(h.at);
        }
        let typing_10s = typing_by_user
            .values()
            .map(|t| window::busiest(t, TEN_SECONDS_MS).0)
            .max()
            .unwrap_or(0);
        let immediate_retries = near
            .iter()
            .enumerate()
            .filter(|(_, h)| h.throttled)
            .filter(|(i, h)| {
                near[i + 1..]
                    .iter()
                    .take_while(|n| n.at - h.at <= IMMEDIATE_RETRY_MS)
                    .any(|n| n.user == h.user)
            })
            .count();
        Pattern {
            writes_10s: window::busiest(&writes, TEN_SECONDS_MS).0,
            writes_60s: window::busiest(&writes, MINUTE_MS).0,
            typing_10s,
            immediate_retries,
            timed: true,
        }
    }
}

fn burst_finding(ctx: &Context, thread: &str, members: &[Throttled], p: &Pattern) -> Finding {
    let limits = &ctx.settings.get::<ChatSettings>().limits;
    let mut occ = Occurrences::default();
    let mut by_operation: BTreeMap<&str, usize> = BTreeMap::new();
    let mut user = None;
    let mut ms_cv = None;
    let mut client_request_id = None;
    for m in members {
        occ.add(m.evidence.clone());
        *by_operation
            .entry(m.operation.as_deref().unwrap_or(m.kind.label()))
            .or_default() += 1;
        keep_min(&mut user, m.user.clone());
        keep_min(&mut ms_cv, m.ms_cv.clone());
        keep_min(&mut client_request_id, m.client_request_id.clone());
    }
    let operations: Vec<String> = by_operation
        .iter()
        .map(|(op, n)| format!("{n} × {op}"))
        .collect();
    let place = if thread.is_empty() {
        "with no thread ID in the logs".to_owned()
    } else {
        format!("in thread {thread}")
    };
    let when = occ.when();
    let n = members.len();
    let mut message = format!(
        "{n} chat {} {place} {} throttled (429){when}: {}.",
        if n == 1 { "request" } else { "requests" },
        if n == 1 { "was" } else { "were" },
        operations.join(", ")
    );
    let writes_over = p.writes_10s > limits.messages_per_10s_per_thread as usize
        || p.writes_60s > limits.messages_per_minute_per_thread as usize;
    let typing_over = p.typing_10s > limits.typing_per_10s_per_user as usize;
    if p.timed {
        let mut seen = Vec::new();
        if p.writes_10s > 0 {
            seen.push(format!(
                "the thread carried up to {} message sends/updates/deletes in 10 s (limit {}) \
                 and {} in a minute (limit {})",
                p.writes_10s,
                limits.messages_per_10s_per_thread,
                p.writes_60s,
                limits.messages_per_minute_per_thread
            ));
        }
        if p.typing_10s > 0 {
            seen.push(format!(
                "one user sent {} typing notifications in 10 s (limit {})",
                p.typing_10s, limits.typing_per_10s_per_user
            ));
        }
        if !seen.is_empty() {
            message.push_str(&format!(" Around it {}.", seen.join(", and ")));
        }
        if p.immediate_retries > 0 {
            message.push_str(&format!(
                " {} {} retried within a second of a 429, without backing off.",
                p.immediate_retries,
                if p.immediate_retries == 1 {
                    "request was"
                } else {
                    "requests were"
                }
            ));
        }
        if !writes_over && !typing_over {
            message.push_str(
                " The requests in these logs stay under the per-thread limits, so part of the \
                 traffic is not in these logs or another limit applied.",
            );
        }
    }
    if members.iter().any(|m| m.ms_cv_redacted) {
        message.push_str(
            " The .NET log shows MS-CV as REDACTED: allow that header (add \"MS-CV\" to \
             DiagnosticsOptions.LoggedHeaderNames in the client options) so support can trace \
             the requests.",
        );
    }
    let action = if typing_over {
        "Send typing notifications at most once every few seconds per user (not on every \
         keystroke), queue outgoing messages per thread, and wait for Retry-After after a 429."
    } else if writes_over {
        "Queue outgoing messages per thread and pace them under 10 per 10 s and 30 per minute; \
         after a 429 wait for Retry-After before sending again."
    } else if p.immediate_retries > 0 {
        "Retry a 429 only after Retry-After, with exponential backoff, instead of at once; if \
         429s keep coming under the documented limits, ask Azure support with the MS-CV."
    } else {
        "Back off on 429 (honour Retry-After); if 429s keep coming under the documented limits, \
         ask Azure support with the MS-CV and times."
    };
    crate::THROTTLED
        .finding()
        .message(message)
        .action(action)
        .code("429")
        .docs("https://learn.microsoft.com/azure/communication-services/concepts/service-limits")
        .source(ctx.settings.get::<ChatSettings>().limits.source.clone())
        .id_value(IdKind::ChatThreadId, (!thread.is_empty()).then_some(thread))
        .id_value(IdKind::UserId, user.as_deref())
        .id_value(IdKind::MsCv, ms_cv.as_deref())
        .id_value(IdKind::ClientRequestId, client_request_id.as_deref())
        .occurrences(occ)
}

/// Chat in the health overview: requests, and the failed ones by status.
fn health(statuses: &std::collections::BTreeMap<i64, u64>, out: &mut Output) {
    use acs_triage_core::health::{HealthLine, Unit};
    use acs_triage_core::text::{group_digits, percent, plural};
    let total: u64 = statuses.values().sum();
    if total == 0 {
        return;
    }
    let mut failed: Vec<(i64, u64)> = statuses
        .iter()
        .filter(|(s, _)| **s >= 400)
        .map(|(s, n)| (*s, *n))
        .collect();
    let failures: u64 = failed.iter().map(|(_, n)| n).sum();
    failed.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let by_status: Vec<String> = failed
        .iter()
        .map(|(s, n)| format!("{s} ×{}", group_digits(*n)))
        .collect();
    let text = if failures == 0 {
        format!("{}, none failed", plural(total, "request", "requests"))
    } else {
        format!(
            "{}: {} failed ({}): {}",
            plural(total, "request", "requests"),
            group_digits(failures),
            percent(failures, total),
            by_status.join(", ")
        )
    };
    out.health(HealthLine::new(50, "Chat", text).total(Unit::ChatRequests, total));
}
