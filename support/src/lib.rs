//! The IDs Azure support asks for (ACS-LOGS.md §3), gathered from every record and grouped by
//! what they identify: a call (participants, server call IDs, call connections, end reasons), an
//! SMS message (numbers, status), a chat thread (users, failing requests with their MS-CV and
//! client request ID). Each entity keeps its first and last time and the files it came from.
//! Used by `acs-triage ids` and by support bundles. A crate of its own: it knows every family,
//! which core must not.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use acs_triage_core::analyzer::{
    Analyzer, AnalyzerInfo, Context, Output, Pass, downcast_pass, min_present,
};
use acs_triage_core::finding::IdValue;
use acs_triage_core::record::{FileId, Record};

/// Which records to gather from.
#[derive(Debug, Clone, Default)]
pub struct IdFilter {
    pub call: Option<String>,
    pub message: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only these entities (call IDs, message IDs, thread IDs), e.g. those findings name; call
    /// IDs may be given in lower case.
    pub only: Option<BTreeSet<String>>,
}

impl IdFilter {
    fn admits_time(&self, record: &Record<'_>) -> bool {
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        record
            .time
            .is_some_and(|t| self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t <= u))
    }

    fn admits(&self, kind: EntityKind, id: &str) -> bool {
        let named = match kind {
            EntityKind::Call => self.call.as_deref(),
            EntityKind::Message => self.message.as_deref(),
            EntityKind::Thread => None,
        };
        let wanted_other_kind = match kind {
            EntityKind::Call => self.message.is_some(),
            EntityKind::Message => self.call.is_some(),
            EntityKind::Thread => self.call.is_some() || self.message.is_some(),
        };
        if wanted_other_kind && named.is_none() {
            return false;
        }
        named.is_none_or(|n| n.eq_ignore_ascii_case(id))
            && self
                .only
                .as_ref()
                .is_none_or(|o| o.contains(id) || o.contains(&id.to_ascii_lowercase()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntityKind {
    Call,
    Message,
    Thread,
}

/// When and where an entity was seen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Seen {
    #[serde(serialize_with = "acs_triage_core::time::serialize_opt")]
    pub first: Option<DateTime<Utc>>,
    #[serde(serialize_with = "acs_triage_core::time::serialize_opt")]
    pub last: Option<DateTime<Utc>>,
    /// Paths of the files that mention it, in order, shared by every entity from the file (a
    /// bundle of a large run names over 100,000 calls, each seen in two or three files).
    pub files: Vec<Arc<str>>,
    /// The files, sorted, until they are resolved to paths.
    #[serde(skip)]
    file_ids: Vec<FileId>,
}

impl Seen {
    fn note(&mut self, record: &Record<'_>) {
        if let Some(t) = record.time {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
        insert_sorted(&mut self.file_ids, record.origin.file);
    }

    fn merge(&mut self, other: Seen) {
        self.first = match (self.first, other.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = self.last.max(other.last);
        for file in other.file_ids {
            insert_sorted(&mut self.file_ids, file);
        }
    }

    fn resolve(&mut self, paths: &[Arc<str>]) {
        self.files = std::mem::take(&mut self.file_ids)
            .iter()
            .filter_map(|f| paths.get(f.0 as usize).map(Arc::clone))
            .collect();
        self.files.sort();
        self.files.dedup();
    }
}

/// One participant (or endpoint, in P2P calls) of a call. The IDs are held packed where they
/// can be ([`IdValue`]: a UUID in 16 bytes, an identity in 32), and read and sort as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ParticipantIds {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<IdValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_id: Option<IdValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<IdValue>,
    /// `code/subcode` as the logs give it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallIds {
    pub call_id: String,
    pub server_call_ids: BTreeSet<String>,
    pub call_connection_ids: BTreeSet<String>,
    /// When the call began and ended, as CallSummary says (`callStartTime`, with
    /// `callDuration`; participants' times without them). The records themselves are logged
    /// later: `first`/`last` are when.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "acs_triage_core::time::serialize_opt"
    )]
    pub started: Option<DateTime<Utc>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "acs_triage_core::time::serialize_opt"
    )]
    pub ended: Option<DateTime<Utc>>,
    pub participants: Vec<ParticipantIds>,
    /// The participant sightings that add something (see [`add_sighting`]), folded into
    /// `participants` once all are in (folding as they come would depend on the order they
    /// came in). Sorted and without repeats: a set, but a list with no room to spare, as a call
    /// has a handful (a set's first node has room for eleven).
    #[serde(skip)]
    sightings: Vec<ParticipantIds>,
    #[serde(flatten)]
    pub seen: Seen,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MessageIds {
    pub message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Statuses seen: send results and delivery reports (`202`, `Delivered: No error.`).
    pub statuses: BTreeSet<String>,
    #[serde(flatten)]
    pub seen: Seen,
}

/// A chat request the service refused.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FailedRequest {
    #[serde(serialize_with = "acs_triage_core::time::serialize_opt")]
    pub time: Option<DateTime<Utc>>,
    pub status: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ms_cv: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ThreadIds {
    pub thread_id: String,
    pub users: BTreeSet<String>,
    /// Up to [`FAILED_LISTED`] failing requests, earliest first.
    pub failed_requests: Vec<FailedRequest>,
    #[serde(skip_serializing_if = "is_zero")]
    pub failed_not_listed: u64,
    #[serde(flatten)]
    pub seen: Seen,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl ThreadIds {
    /// Keeps the `n` earliest failing requests (by a total order) and counts the rest.
    fn keep_earliest_failures(&mut self, n: usize) {
        self.failed_requests.sort();
        if self.failed_requests.len() > n {
            self.failed_not_listed += (self.failed_requests.len() - n) as u64;
            self.failed_requests.truncate(n);
        }
    }
}

/// Failing requests listed per thread.
pub const FAILED_LISTED: usize = 20;

/// Everything gathered, sorted by ID.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SupportIds {
    pub calls: Vec<CallIds>,
    pub sms_messages: Vec<MessageIds>,
    pub chat_threads: Vec<ThreadIds>,
    pub resources: BTreeSet<String>,
}

impl SupportIds {
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty() && self.sms_messages.is_empty() && self.chat_threads.is_empty()
    }
}

/// Gathers support IDs; hand it to the engine like an analyzer, then [`IdCollector::take`].
pub struct IdCollector {
    filter: Arc<IdFilter>,
    result: Arc<std::sync::Mutex<Option<Gathered>>>,
}

impl IdCollector {
    pub fn new(filter: IdFilter) -> IdCollector {
        IdCollector {
            filter: Arc::new(filter),
            result: Default::default(),
        }
    }

    /// The IDs gathered by the run, with file IDs resolved to `paths`.
    pub fn take(&self, paths: &[String]) -> SupportIds {
        let paths: Vec<Arc<str>> = paths.iter().map(|p| Arc::from(p.as_str())).collect();
        let gathered = match self.result.lock() {
            Ok(mut g) => g.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        }
        .unwrap_or_default();
        gathered.into_ids(&paths)
    }
}

impl Analyzer for IdCollector {
    fn info(&self) -> AnalyzerInfo {
        AnalyzerInfo {
            id: "support-ids",
            title: "Support IDs",
            families: &[],
            findings: &[],
            tables: &[],
        }
    }

    fn start(&self, _ctx: &Context) -> Box<dyn Pass> {
        Box::new(IdsPass {
            filter: Arc::clone(&self.filter),
            gathered: Gathered::default(),
            result: self.result.clone(),
        })
    }
}

#[derive(Debug, Default)]
struct Gathered {
    calls: BTreeMap<String, CallIds>,
    messages: BTreeMap<String, MessageIds>,
    threads: BTreeMap<String, ThreadIds>,
    resources: BTreeSet<String>,
}

impl Gathered {
    fn merge(&mut self, other: Gathered) {
        for (id, c) in other.calls {
            let mine = self.calls.entry(id).or_default();
            if mine.call_id.is_empty() || c.call_id < mine.call_id {
                mine.call_id = c.call_id;
            }
            mine.server_call_ids.extend(c.server_call_ids);
            mine.call_connection_ids.extend(c.call_connection_ids);
            for p in c.sightings {
                add_sighting(&mut mine.sightings, p);
            }
            mine.seen.merge(c.seen);
            mine.started = min_present(mine.started, c.started);
            mine.ended = mine.ended.max(c.ended);
        }
        for (id, m) in other.messages {
            let mine = self.messages.entry(id).or_default();
            mine.message_id = m.message_id;
            mine.from = min_present(mine.from.take(), m.from);
            mine.to = min_present(mine.to.take(), m.to);
            mine.statuses.extend(m.statuses);
            mine.seen.merge(m.seen);
        }
        for (id, t) in other.threads {
            let mine = self.threads.entry(id).or_default();
            mine.thread_id = t.thread_id;
            mine.users.extend(t.users);
            mine.failed_not_listed += t.failed_not_listed;
            mine.failed_requests.extend(t.failed_requests);
            mine.keep_earliest_failures(FAILED_LISTED);
            mine.seen.merge(t.seen);
        }
        self.resources.extend(other.resources);
    }

    fn into_ids(self, paths: &[Arc<str>]) -> SupportIds {
        let mut ids = SupportIds {
            calls: self.calls.into_values().collect(),
            sms_messages: self.messages.into_values().collect(),
            chat_threads: self.threads.into_values().collect(),
            resources: self.resources,
        };
        for c in &mut ids.calls {
            c.seen.resolve(paths);
            c.participants = fold_sightings(std::mem::take(&mut c.sightings));
        }
        for t in &mut ids.chat_threads {
            t.keep_earliest_failures(FAILED_LISTED);
        }
        for m in &mut ids.sms_messages {
            m.seen.resolve(paths);
        }
        for t in &mut ids.chat_threads {
            t.seen.resolve(paths);
        }
        ids
    }
}

/// Adds `item` to a sorted list unless it is there already: a set of a few items, without the
/// room a set's first node has for eleven.
fn insert_sorted<T: Ord>(list: &mut Vec<T>, item: T) {
    if let Err(at) = list.binary_search(&item) {
        acs_triage_core::reserve_snug(list);
        list.insert(at, item);
    }
}

/// The participants of a call from its sightings (sorted, without repeats).
fn fold_sightings(mut sightings: Vec<ParticipantIds>) -> Vec<ParticipantIds> {
    // Sightings with both IDs first, so the ones naming only one fold into them.
    sightings.sort_by_key(|p| (p.participant_id.is_none(), p.endpoint_id.is_none()));
    let mut participants = Vec::new();
    for p in sightings {
        add_participant(&mut participants, p);
    }
    participants.sort_by(|a, b| {
        (&a.participant_id, &a.endpoint_id).cmp(&(&b.participant_id, &b.endpoint_id))
    });
    participants
}

/// Adds a sighting to a call's sorted list, unless one there covers it (see
/// [`ParticipantIds::covers`]); those it covers leave. A stream record names a participant
/// that its CallSummary row names with more, and folding it in would change nothing: the list
/// keeps about half the sightings, and which are kept never depends on the order they came in.
fn add_sighting(list: &mut Vec<ParticipantIds>, p: ParticipantIds) {
    // Only sightings of the same participant ID cover each other, and the list is sorted by
    // it first: look at those alone (a call in odd input may name thousands of participants).
    if p.participant_id.is_some() {
        let start = list.partition_point(|q| q.participant_id < p.participant_id);
        let mut end = list.partition_point(|q| q.participant_id <= p.participant_id);
        if list[start..end].iter().any(|q| q.covers(&p)) {
            return;
        }
        let mut i = start;
        while i < end {
            if p.covers(&list[i]) {
                list.remove(i);
                end -= 1;
            } else {
                i += 1;
            }
        }
    }
    insert_sorted(list, p);
}

impl ParticipantIds {
    /// True when folding `other` into the participant this sighting makes would change
    /// nothing, wherever it comes in the fold: the same participant ID (the fold joins
    /// sightings by it), and each other value missing from `other` or the same.
    fn covers(&self, other: &ParticipantIds) -> bool {
        fn covers<T: PartialEq>(mine: &Option<T>, theirs: &Option<T>) -> bool {
            theirs.is_none() || mine == theirs
        }
        self.participant_id.is_some()
            && self.participant_id == other.participant_id
            && covers(&self.endpoint_id, &other.endpoint_id)
            && covers(&self.user, &other.user)
            && covers(&self.end_reason, &other.end_reason)
    }
}

/// Adds a participant, folding it into one already listed with the same participant or
/// endpoint ID (the same person seen in several sources).
fn add_participant(list: &mut Vec<ParticipantIds>, p: ParticipantIds) {
    let same = list
        .iter_mut()
        .find(|q| match (&p.participant_id, &q.participant_id) {
            (Some(a), Some(b)) => a == b,
            // A record without the participant ID (stream records, P2P calls) belongs to the
            // participant with its endpoint.
            _ => p.endpoint_id.is_some() && q.endpoint_id == p.endpoint_id,
        });
    match same {
        Some(q) => {
            q.participant_id = min_present(q.participant_id.take(), p.participant_id);
            q.endpoint_id = min_present(q.endpoint_id.take(), p.endpoint_id);
            q.user = min_present(q.user.take(), p.user);
            q.end_reason = min_present(q.end_reason.take(), p.end_reason);
        }
        None => list.push(p),
    }
}

struct IdsPass {
    /// Shared by every worker's pass: `only` can name over 100,000 entities.
    filter: Arc<IdFilter>,
    gathered: Gathered,
    result: Arc<std::sync::Mutex<Option<Gathered>>>,
}

fn owned(v: Option<std::borrow::Cow<'_, str>>) -> Option<String> {
    v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// An ID as [`owned`] takes it, packed.
fn id_value(v: Option<std::borrow::Cow<'_, str>>) -> Option<IdValue> {
    let v = v?;
    let v = v.trim();
    (!v.is_empty()).then(|| IdValue::new(v))
}

impl IdsPass {
    fn call(&mut self, record: &Record<'_>, call_id: String) {
        if !self.filter.admits(EntityKind::Call, &call_id) {
            return;
        }
        let entry = self
            .gathered
            .calls
            .entry(call_id.to_ascii_lowercase())
            .or_default();
        if entry.call_id.is_empty() || call_id < entry.call_id {
            entry.call_id = call_id;
        }
        entry.seen.note(record);
        let (started, ended) = call_span(record);
        entry.started = min_present(entry.started, started);
        entry.ended = entry.ended.max(ended);
        if let Some(id) = owned(record.server_call_id()) {
            entry.server_call_ids.insert(id);
        }
        if let Some(id) = owned(record.call_connection_id()) {
            entry.call_connection_ids.insert(id);
        }
        let participant = ParticipantIds {
            participant_id: id_value(record.participant_id()),
            endpoint_id: id_value(record.endpoint_id()),
            user: id_value(record.text("identifier")),
            end_reason: record
                .int("participantEndReason")
                .or_else(|| record.int("code"))
                .map(|code| {
                    match record
                        .int("participantEndSubCode")
                        .or_else(|| record.int("subCode"))
                    {
                        Some(sub) => format!("{code}/{sub}"),
                        None => code.to_string(),
                    }
                }),
        };
        if participant.participant_id.is_some() || participant.endpoint_id.is_some() {
            add_sighting(&mut entry.sightings, participant);
        }
    }

    fn message(&mut self, record: &Record<'_>, message_id: String) {
        if !self.filter.admits(EntityKind::Message, &message_id) {
            return;
        }
        let entry = self
            .gathered
            .messages
            .entry(message_id.clone())
            .or_default();
        entry.message_id = message_id;
        entry.seen.note(record);
        entry.from = min_present(entry.from.take(), owned(record.text("from")));
        entry.to = min_present(entry.to.take(), owned(record.text("to")));
        let status = match (
            record.text("deliveryStatus"),
            record.text("deliveryStatusDetails"),
        ) {
            (Some(s), Some(d)) => Some(format!("{s}: {d}")),
            (Some(s), None) => Some(s.into_owned()),
            _ => record
                .text("httpStatusCode")
                .or_else(|| record.text("resultSignature"))
                .map(|s| {
                    let op = record.text("operationName").unwrap_or_default();
                    if op.is_empty() {
                        s.into_owned()
                    } else {
                        format!("{op} {s}")
                    }
                }),
        };
        if let Some(s) = status {
            entry.statuses.insert(s);
        }
    }

    fn thread(&mut self, record: &Record<'_>, thread_id: String) {
        if !self.filter.admits(EntityKind::Thread, &thread_id) {
            return;
        }
        let entry = self.gathered.threads.entry(thread_id.clone()).or_default();
        entry.thread_id = thread_id;
        entry.seen.note(record);
        let user = owned(record.user_id());
        if let Some(u) = &user {
            entry.users.insert(u.clone());
        }
        let status = record
            .int("resultSignature")
            .or_else(|| record.int("status"))
            .unwrap_or(0);
        if status >= 400 {
            let failed = FailedRequest {
                time: record.time,
                status,
                operation: owned(record.text("operationName")).or_else(|| {
                    owned(record.text("method"))
                        .map(|m| format!("{m} {}", record.text("uri").unwrap_or_default()))
                }),
                user,
                ms_cv: owned(record.ms_cv()).filter(|v| !v.eq_ignore_ascii_case("redacted")),
                client_request_id: owned(record.client_request_id()),
            };
            entry.failed_requests.push(failed);
            if entry.failed_requests.len() >= 2 * FAILED_LISTED {
                entry.keep_earliest_failures(FAILED_LISTED);
            }
        }
    }
}

impl Pass for IdsPass {
    fn observe(&mut self, _ctx: &Context, record: &Record<'_>) {
        if !self.filter.admits_time(record) {
            return;
        }
        if let Some(r) = owned(record.resource_id()).filter(|r| r.starts_with('/')) {
            self.gathered.resources.insert(r.to_ascii_lowercase());
        }
        if let Some(call) = owned(record.call_id()) {
            self.call(record, call);
        }
        if let Some(message) = owned(record.sms_message_id()) {
            self.message(record, message);
        }
        let thread = owned(record.chat_thread_id())
            .or_else(|| record.text("uri").and_then(|u| thread_from_uri(&u)));
        if let Some(thread) = thread {
            self.thread(record, thread);
        }
    }

    fn merge(&mut self, other: Box<dyn Pass>) {
        let other = downcast_pass::<IdsPass>(other);
        self.gathered.merge(other.gathered);
    }

    fn finish(self: Box<Self>, _ctx: &Context, _out: &mut Output) {
        let pass = *self;
        match pass.result.lock() {
            Ok(mut slot) => *slot = Some(pass.gathered),
            Err(poisoned) => *poisoned.into_inner() = Some(pass.gathered),
        }
    }
}

/// When a CallSummary record says the call (else the participant) began and ended.
fn call_span(record: &Record<'_>) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let time = |f: &str| {
        record
            .text(f)
            .and_then(|t| acs_triage_core::time::parse_timestamp(&t))
    };
    let (start, duration) = match time("callStartTime") {
        Some(t) => (Some(t), record.number("callDuration")),
        None => (
            time("participantStartTime"),
            record.number("participantDuration"),
        ),
    };
    let end = start
        .zip(duration)
        .and_then(|(s, d)| acs_triage_core::time::offset(s, d));
    (start, end)
}

/// Thread ID from a REST path (`/chat/threads/19%3Aabc%40thread.v2/messages`).
fn thread_from_uri(uri: &str) -> Option<String> {
    let rest = uri.split("/chat/threads/").nth(1)?;
    let raw = rest.split(['/', '?', '#']).next()?;
    let decoded = raw
        .replace("%3A", ":")
        .replace("%3a", ":")
        .replace("%40", "@");
    (!decoded.is_empty()).then_some(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sighting(
        p: Option<&str>,
        e: Option<&str>,
        user: Option<&str>,
        end: Option<&str>,
    ) -> ParticipantIds {
        ParticipantIds {
            participant_id: p.map(IdValue::new),
            endpoint_id: e.map(IdValue::new),
            user: user.map(IdValue::new),
            end_reason: end.map(str::to_owned),
        }
    }

    /// Dropping the sightings another covers gives the participants that folding every
    /// sighting gives, whatever order they come in: the same participant seen by CallSummary
    /// and stream records, a participant seen with two endpoints, endpoint-only and
    /// participant-only records, and two participants sharing an endpoint.
    #[test]
    fn covered_sightings_fold_to_the_same_participants() {
        let all = [
            sighting(Some("p1"), Some("e1"), Some("acs:u1"), Some("0/0")),
            sighting(Some("p1"), Some("e1"), None, None),
            sighting(Some("p1"), None, None, None),
            sighting(Some("p1"), Some("e0"), None, None),
            sighting(None, Some("e1"), None, None),
            sighting(Some("p2"), Some("e2"), None, Some("410/3112")),
            sighting(Some("p2"), Some("e2"), Some("acs:u2"), None),
            sighting(Some("p3"), Some("e2"), None, None),
            sighting(None, Some("e3"), None, None),
            sighting(None, Some("e3"), Some("acs:u3"), None),
        ];
        let mut every: Vec<ParticipantIds> = all.to_vec();
        every.sort();
        let expected = fold_sightings(every);
        // p1 (with e0, the smaller of its endpoints), p2, p3, and the endpoint-only sightings
        // of e1 (p1's other endpoint) and e3.
        assert_eq!(expected.len(), 5, "{expected:#?}");
        // Every rotation and its reverse, split between two lists that are then joined.
        for start in 0..all.len() {
            for reverse in [false, true] {
                let mut order: Vec<&ParticipantIds> =
                    all.iter().cycle().skip(start).take(all.len()).collect();
                if reverse {
                    order.reverse();
                }
                let (mut one, mut two) = (Vec::new(), Vec::new());
                for (i, p) in order.into_iter().enumerate() {
                    add_sighting(if i % 2 == 0 { &mut one } else { &mut two }, p.clone());
                }
                for p in two {
                    add_sighting(&mut one, p);
                }
                assert!(one.len() < all.len());
                assert_eq!(
                    fold_sightings(one),
                    expected,
                    "from {start}, reversed {reverse}"
                );
            }
        }
    }
}
