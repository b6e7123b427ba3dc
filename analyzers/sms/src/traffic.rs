//! Send traffic per sender number, to judge 429s against the documented per-number limits
//! (`[limits.sms]` in `rules/thresholds.toml`, from the ACS service-limits page).
//!
//! Every send attempt is counted with its time; 429s keep their evidence. At the end, 429s no
//! more than `throttle_burst_gap_seconds` apart form a burst, and the busiest 60 s of sends
//! around each burst is compared with the limit for the sender's number type.

use acs_triage_core::analyzer::{Context, Horizon, Output};
use acs_triage_core::redact::mask_phone;
use acs_triage_core::window;
use acs_triage_core::{Evidence, FastMap, Finding, IdKind, Occurrences};
use chrono::{DateTime, Utc};

use crate::records::{NumberType, SenderType};
use crate::settings::SmsSettings;

/// The limits are per 60 seconds.
const LIMIT_WINDOW_MS: i64 = 60_000;

/// Attempts and 429s of one sender.
#[derive(Debug)]
struct Sender {
    number_type: SenderType,
    /// Milliseconds since the epoch of every send attempt with a time (once an export is read
    /// hour by hour, only those a burst still to come can need).
    attempts: Vec<i64>,
    throttled: Vec<Evidence>,
    /// Bursts judged complete while the export was read: their 429s and the busiest 60 s of
    /// sends around them. Reported at the end, when the sender's number type is known for sure.
    bursts: Vec<(Vec<Evidence>, Option<usize>)>,
}

/// Send traffic, by sender number (`None`: the logs do not say which number sent).
#[derive(Debug, Default)]
pub struct Traffic {
    senders: FastMap<Option<Box<str>>, Sender>,
}

impl Traffic {
    /// Counts one send attempt; `evidence` is only built for a 429.
    pub fn attempt(
        &mut self,
        sender: Option<&str>,
        number_type: SenderType,
        at: Option<DateTime<Utc>>,
        status: i64,
        evidence: impl FnOnce() -> Evidence,
    ) {
        let entry = self
            .senders
            .entry(sender.map(Into::into))
            .or_insert_with(|| Sender {
                number_type,
                attempts: Vec::new(),
                throttled: Vec::new(),
                bursts: Vec::new(),
            });
        entry.number_type = entry.number_type.min(number_type);
        if let Some(t) = at {
            entry.attempts.push(t.timestamp_millis());
        }
        if status == 429 {
            entry.throttled.push(evidence());
        }
    }

    pub fn merge(&mut self, other: Traffic) {
        for (key, theirs) in other.senders {
            match self.senders.get_mut(&key) {
                Some(mine) => {
                    mine.number_type = mine.number_type.min(theirs.number_type);
                    mine.attempts.extend(theirs.attempts);
                    mine.throttled.extend(theirs.throttled);
                    mine.bursts.extend(theirs.bursts);
                }
                None => {
                    self.senders.insert(key, theirs);
                }
            }
        }
    }
}

impl Traffic {
    /// Sets aside the bursts no send still to come can join or change, and forgets the send
    /// times no burst still to come can need.
    pub fn close(&mut self, ctx: &Context, horizon: &Horizon, _out: &mut Output) {
        let gap = burst_gap_ms(ctx);
        let earliest = horizon.earliest_ms();
        for sender in self.senders.values_mut() {
            sender.attempts.sort_unstable();
            sender.throttled.sort();
            let bursts = window::bursts(&sender.throttled, |e| e.time, gap);
            let mut done = 0;
            for burst in bursts {
                let Some(last) = sender.throttled[burst.end - 1].time else {
                    break;
                };
                if last.timestamp_millis() + gap.max(LIMIT_WINDOW_MS) >= earliest {
                    break;
                }
                let evidence = sender.throttled[burst.clone()].to_vec();
                let rate = sends_around(&sender.attempts, &evidence);
                sender.bursts.push((evidence, rate));
                done = burst.end;
            }
            sender.throttled.drain(..done);
            let keep_from = sender
                .throttled
                .first()
                .and_then(|e| e.time)
                .map_or(earliest, |t| t.timestamp_millis().min(earliest))
                - LIMIT_WINDOW_MS;
            let cut = sender.attempts.partition_point(|t| *t < keep_from);
            sender.attempts.drain(..cut);
        }
    }
}

fn burst_gap_ms(ctx: &Context) -> i64 {
    i64::from(
        ctx.settings
            .get::<SmsSettings>()
            .judgement
            .throttle_burst_gap_seconds,
    ) * 1000
}

/// The busiest 60 s of sends within a minute either side of a burst (sorted `attempts`).
fn sends_around(attempts: &[i64], burst: &[Evidence]) -> Option<usize> {
    let span = burst
        .first()
        .and_then(|e| e.time)
        .zip(burst.last().and_then(|e| e.time));
    span.map(|(first, last)| {
        let lo = attempts.partition_point(|t| *t < first.timestamp_millis() - LIMIT_WINDOW_MS);
        let hi = attempts.partition_point(|t| *t <= last.timestamp_millis() + LIMIT_WINDOW_MS);
        window::busiest(&attempts[lo..hi], LIMIT_WINDOW_MS).0
    })
}

/// The documented limit per 60 s for a number type, and what it applies to.
fn limit_of(ctx: &Context, number_type: NumberType) -> Option<(u32, &'static str)> {
    let l = &ctx.settings.get::<SmsSettings>().limits;
    match number_type {
        NumberType::TollFree => Some((l.toll_free_per_minute, "per number")),
        NumberType::ShortCode => Some((l.short_code_per_minute, "per number")),
        NumberType::Alphanumeric => Some((l.alphanumeric_per_minute, "per resource")),
        NumberType::LongCode | NumberType::Unknown => None,
    }
}

/// One `sms/throttled` finding per burst of 429s per sender.
pub fn report(ctx: &Context, traffic: Traffic, out: &mut Output) {
    let gap = burst_gap_ms(ctx);
    let mut senders: Vec<(Option<Box<str>>, Sender)> = traffic.senders.into_iter().collect();
    senders.sort_by(|a, b| a.0.cmp(&b.0));
    for (number, mut sender) in senders {
        sender.attempts.sort_unstable();
        sender.throttled.sort();
        let mut bursts = std::mem::take(&mut sender.bursts);
        for burst in window::bursts(&sender.throttled, |e| e.time, gap) {
            let evidence = sender.throttled[burst].to_vec();
            let rate = sends_around(&sender.attempts, &evidence);
            bursts.push((evidence, rate));
        }
        for (evidence, rate) in bursts {
            out.push(burst_finding(
                ctx,
                number.as_deref(),
                sender.number_type.kind,
                &evidence,
                rate,
            ));
        }
    }
}

fn burst_finding(
    ctx: &Context,
    number: Option<&str>,
    number_type: NumberType,
    evidence: &[Evidence],
    rate: Option<usize>,
) -> Finding {
    let mut occ = Occurrences::default();
    for e in evidence {
        occ.add(e.clone());
    }
    let who = match number {
        Some(n) => format!("{} {}", number_type.label(), mask_phone(n)),
        None => "a sender the logs do not name (send responses and SDK logs omit it)".to_owned(),
    };
    let when = occ.when();
    let count = evidence.len();
    let sends = if count == 1 { "send" } else { "sends" };
    let mut message = format!(
        "{count} {sends} from {who} {} throttled (429){when}.",
        if count == 1 { "was" } else { "were" }
    );
    let kind = number_type.label();
    let (judgement, action) = match (rate, limit_of(ctx, number_type)) {
        (Some(rate), Some((limit, scope))) if rate as u32 > limit => (
            format!(
                " Around then the app sent up to {rate} messages within 60 s, over the {limit} \
                 per 60 s ({scope}) allowed for a {kind}."
            ),
            format!(
                "Queue sends and pace them below {limit} per minute for this sender; after a 429 \
                 wait for Retry-After before sending again."
            ),
        ),
        (Some(rate), Some((limit, scope))) => (
            format!(
                " Around then the app sent at most {rate} messages within 60 s, under the {limit} \
                 per 60 s ({scope}) documented for a {kind}: the cap came from elsewhere, {}.",
                if number_type == NumberType::TollFree {
                    "such as the lower limits of a toll-free number that is not verified yet"
                } else {
                    "such as a carrier's own limits or a limit on the resource"
                }
            ),
            "Check the number's verification status in the portal, back off on 429 \
             (Retry-After), and ask Azure support which limit applied, with these times."
                .to_owned(),
        ),
        (rate, limit) => (
            match (rate, limit) {
                (Some(rate), _) => format!(
                    " Around then the app sent up to {rate} messages within 60 s; no limit is \
                     documented for a {kind}."
                ),
                (None, Some((limit, scope))) => format!(
                    " The records have no times, so the send rate cannot be compared with the \
                     {limit} per 60 s ({scope}) documented for a {kind}."
                ),
                (None, None) => String::new(),
            },
            "Back off on 429 (honour Retry-After) and spread sends with a queue; ask Azure \
             support for the limit that applies to this sender."
                .to_owned(),
        ),
    };
    message.push_str(&judgement);
    // Messages accepted in the same burst and never reported delivered are this burst's too.
    let window = occ.first.zip(occ.last).map(|(first, last)| {
        let margin = chrono::Duration::seconds(60);
        (first - margin, last + margin)
    });
    let explains = window.map(|window| acs_triage_core::Explains {
        kind: crate::NO_DELIVERY_REPORT.id.to_owned(),
        code: None,
        ids: Vec::new(),
        window: Some(window),
    });
    let finding = crate::THROTTLED
        .finding()
        .message(message)
        .action(action)
        .code("429")
        .docs("https://learn.microsoft.com/azure/communication-services/concepts/service-limits")
        .source(ctx.settings.get::<SmsSettings>().limits.source.clone())
        .id_value(IdKind::PhoneNumber, number)
        .occurrences(occ);
    match explains {
        Some(e) => finding.explains(e),
        None => finding,
    }
}
