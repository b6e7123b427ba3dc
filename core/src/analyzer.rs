//! The analyzer interface and registry.
//!
//! An analyzer looks at records as they stream past and turns what it saw into findings. The
//! engine runs one [`Pass`] per worker thread, merges the passes, then finishes once; analyzers
//! never see threads.
//!
//! An analyzer crate declares what it reports ([`finding_kinds!`](crate::finding_kinds): each
//! kind once, its doc comment its documentation) and each analyzer
//! ([`declare_analyzer!`](crate::declare_analyzer): its description and the [`Analysis`] type
//! that holds its state), which registers it through `inventory`; the CLI names each analyzer
//! crate once so the linker keeps its registrations.

use std::any::Any;
use std::collections::BTreeSet;
use std::hash::Hash;
use std::marker::PhantomData;

use crate::catalog::Catalogs;
use crate::finding::{Finding, Severity};
use crate::ingest::FileReport;
use crate::record::{Family, FileId, Record};
use crate::settings::Settings;
use crate::table::{Table, TableKind};

/// A kind of finding, declared once with its documentation ([`finding_kinds!`]).
#[derive(Debug)]
pub struct FindingKind {
    /// Stable ID: `<analyzer area>/<check>` (`calling/end-reason`).
    pub id: &'static str,
    /// The usual severity (a finding may be rated per code; configuration may re-rate it).
    pub severity: Severity,
    pub title: &'static str,
    /// What it finds, why it matters, what to do, and the sources (Markdown).
    pub doc: &'static str,
}

impl FindingKind {
    /// A finding of this kind, at its usual severity and with its title.
    pub fn finding(&'static self) -> Finding {
        Finding::new(self.id, self.severity, self.title)
    }

    /// The first paragraph of the documentation: one sentence on what it finds.
    pub fn summary(&self) -> &'static str {
        self.doc.split("\n\n").next().unwrap_or("").trim()
    }
}

/// Declares finding kinds; each one's doc comment is its documentation (`acs-triage explain
/// <id>`, docs/findings.md):
///
/// ```ignore
/// finding_kinds! {
///     /// What it finds.
///     ///
///     /// Why it matters, what to do.
///     pub END_REASON = ("calling/end-reason", Error, "A call ended with a failure code");
/// }
/// ```
#[macro_export]
macro_rules! finding_kinds {
    ($($(#[doc = $doc:literal])* $vis:vis $name:ident = ($id:literal, $severity:ident, $title:literal);)+) => {
        $(
            $(#[doc = $doc])*
            $vis static $name: $crate::analyzer::FindingKind = $crate::analyzer::FindingKind {
                id: $id,
                severity: $crate::Severity::$severity,
                title: $title,
                doc: concat!($($doc, "\n"),*),
            };
        )+
    };
}

/// What an analyzer is.
#[derive(Debug, Clone, Copy)]
pub struct AnalyzerInfo {
    /// Stable, unique, kebab-case (`calling/calls`).
    pub id: &'static str,
    pub title: &'static str,
    /// Families of records the analyzer wants; the engine skips the others. Empty = all.
    pub families: &'static [Family],
    /// The findings it can report (configuration may disable or re-rate them).
    pub findings: &'static [&'static FindingKind],
    /// The tables it can produce on request ([`Context::wants_table`]).
    pub tables: &'static [&'static TableKind],
}

/// Everything analyzers may consult: code catalogs and settings (thresholds, limits), and which
/// tables the user asked for.
#[derive(Debug, Clone)]
pub struct Context {
    pub catalogs: Catalogs,
    pub settings: Settings,
    /// IDs of the tables to produce (`analyze --table`); empty for none.
    pub tables: BTreeSet<String>,
}

impl Context {
    pub fn new(catalogs: Catalogs, settings: Settings) -> Context {
        Context {
            catalogs,
            settings,
            tables: BTreeSet::new(),
        }
    }

    /// True when the user asked for the table, so an analyzer builds it only then.
    pub fn wants_table(&self, table: &TableKind) -> bool {
        self.tables.contains(table.id)
    }
}

/// What analyzers hand back when they finish: findings, and the tables asked for.
#[derive(Debug, Default)]
pub struct Output {
    /// Boxed: a large run holds a hundred thousand findings or more until its report is
    /// written, and joining, sorting and filtering them moves pointers rather than 280-byte
    /// findings, so no step needs room for two copies of the list.
    pub findings: Vec<Box<Finding>>,
    pub tables: Vec<Table>,
    /// What the analyzer saw in all, healthy or not (the report's health overview, and the
    /// totals problems are measured against).
    pub health: Vec<crate::health::HealthLine>,
    /// Entities (by their noun: "calls", "SMS messages") that received records after they had
    /// been judged ([`Analysis::close`]), so were judged without them.
    pub late: std::collections::BTreeMap<&'static str, u64>,
}

impl Output {
    /// Takes in a finding, its message holding the finding's IDs once (a large run keeps
    /// every finding until the report is written).
    pub fn push(&mut self, mut finding: Finding) {
        finding.hold_ids_once();
        self.findings.push(Box::new(finding));
    }

    pub fn health(&mut self, line: crate::health::HealthLine) {
        self.health.push(line);
    }

    pub fn table(&mut self, table: Table) {
        self.tables.push(table);
    }

    /// Counts entities that received records after they had been judged.
    pub fn late(&mut self, noun: &'static str, n: u64) {
        if n > 0 {
            *self.late.entry(noun).or_default() += n;
        }
    }

    /// Takes in another output (what was judged early, at the end of a run).
    pub fn extend(&mut self, other: Output) {
        self.findings.extend(other.findings);
        self.tables.extend(other.tables);
        self.health.extend(other.health);
        for (noun, n) in other.late {
            self.late(noun, n);
        }
    }
}

/// How far the logs have been read, for judging early what can no longer change.
///
/// Storage-account exports are read hour by hour. Once every blob up to `frontier` has been
/// read, a record still to come was received after it; assuming records reach their blob within
/// `close_after` of their own time, an entity whose latest record is more than `close_after`
/// before the frontier has all its records.
#[derive(Debug, Clone, Copy)]
pub struct Horizon {
    /// End of the last hour read, in milliseconds since the Unix epoch.
    pub frontier_ms: i64,
    /// `[ingest] close_after`, in milliseconds.
    pub close_after_ms: i64,
    /// `[ingest] watch_late`, in milliseconds: how long the keys of judged entities are kept.
    pub watch_late_ms: i64,
}

impl Horizon {
    /// No record still to come is older than this (milliseconds since the Unix epoch).
    pub fn earliest_ms(&self) -> i64 {
        self.frontier_ms.saturating_sub(self.close_after_ms)
    }

    /// True when an entity whose latest record is at `last_ms` has all its records, and no
    /// judgement of its own still waits (`wait_ms`: an SMS message waits for its report).
    pub fn closes(&self, last_ms: i64, wait_ms: i64) -> bool {
        last_ms.saturating_add(self.close_after_ms.max(wait_ms)) < self.frontier_ms
    }
}

/// The keys of entities judged early, kept for `watch_late` so that an entity that receives
/// records after it was judged is counted ([`Output::late`]) rather than judged twice in
/// silence. 64-bit hashes in one map, each with the frontier it was last judged at, plus the
/// keys judged at each frontier for forgetting them in order: every new entity of a batch is
/// looked up here, and with one set per frontier (a batch every hour or two, kept for 48
/// hours) each lookup probed every set, and the profile showed a cache miss in many of them.
/// The map and lists take about 25 bytes a key where the sets took about 10.
#[derive(Debug, Default)]
pub struct Judged {
    at: crate::FastMap<u64, i64>,
    batches: std::collections::VecDeque<(i64, Vec<u64>)>,
}

impl Judged {
    /// Remembers a key judged at this horizon.
    pub fn insert(&mut self, horizon: &Horizon, key: u64) {
        self.at.insert(key, horizon.frontier_ms);
        match self.batches.back_mut() {
            Some((at, keys)) if *at == horizon.frontier_ms => keys.push(key),
            _ => self.batches.push_back((horizon.frontier_ms, vec![key])),
        }
    }

    /// Forgets keys judged more than `watch_late` ago. A key judged again since keeps its
    /// later frontier.
    pub fn prune(&mut self, horizon: &Horizon) {
        while self
            .batches
            .front()
            .is_some_and(|(at, _)| at.saturating_add(horizon.watch_late_ms) < horizon.frontier_ms)
        {
            let Some((at, keys)) = self.batches.pop_front() else {
                break;
            };
            for key in keys {
                if self.at.get(&key) == Some(&at) {
                    self.at.remove(&key);
                }
            }
        }
    }

    pub fn contains(&self, key: u64) -> bool {
        self.at.contains_key(&key)
    }

    /// Takes out of `entities` those `finished` says are done, in key order (so the order they
    /// are judged in never depends on the table's), and remembers their keys as judged at this
    /// horizon. They are taken out as they are found: the profile showed a cache miss where each
    /// was looked up again to remove it.
    pub fn take_finished<K: Hash + Ord, V>(
        &mut self,
        horizon: &Horizon,
        entities: &mut crate::FastMap<K, V>,
        finished: impl FnMut(&K, &mut V) -> bool,
    ) -> Vec<(K, V)> {
        let mut done: Vec<(K, V)> = entities.extract_if(finished).collect();
        done.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, _) in &done {
            self.insert(horizon, key_hash(key));
        }
        done
    }

    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }
}

/// A stable 64-bit hash of a key (FxHasher has no random seed).
pub fn key_hash<K: Hash>(key: &K) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    key.hash(&mut h);
    h.finish()
}

/// The state of a declared analyzer on one worker, typed: the engine's [`Pass`] plumbing
/// (boxing, merging passes of the same analyzer) is done once, in [`Declared`].
///
/// Contract: `merge` must give the same result whatever order states are merged in, and
/// `observe` whatever order records come in (keep counts, minima by a total order, sets), so
/// findings never depend on thread timing.
pub trait Analysis: Send + Sized + 'static {
    /// A fresh state for one worker.
    fn start(ctx: &Context) -> Self;
    fn observe(&mut self, ctx: &Context, record: &Record<'_>);
    /// Called once per file read, after its records (see [`Pass::file_read`]).
    fn file_read(&mut self, _ctx: &Context, _file: FileId, _report: &FileReport) {}
    /// Absorbs the state of another worker. While a partitioned export is read hour by hour,
    /// `self` is the state of everything read so far and `other` that of the latest hours.
    fn merge(&mut self, other: Self);
    /// Judges for good what no record still to come can change (see [`Horizon`]), writes what
    /// it found to `out` and lets its state go, so memory follows the window rather than the
    /// folder. Called between batches of hours; the result must be the one `finish` would have
    /// given. The default keeps everything until `finish`.
    fn close(&mut self, _ctx: &Context, _horizon: &Horizon, _out: &mut Output) {}
    fn finish(self, ctx: &Context, out: &mut Output);
    /// The analysis as KQL queries over the Log Analytics tables (see [`crate::kql`]), filled
    /// with the catalogs and thresholds of `ctx`; none by default.
    fn kql(_ctx: &Context) -> Result<Vec<crate::kql::KqlQuery>, crate::kql::TemplateError> {
        Ok(Vec::new())
    }
}

/// An analyzer made of its description and its [`Analysis`] type ([`declare_analyzer!`]).
pub struct Declared<A> {
    info: AnalyzerInfo,
    state: PhantomData<fn() -> A>,
}

impl<A> Declared<A> {
    pub const fn new(info: AnalyzerInfo) -> Self {
        Declared {
            info,
            state: PhantomData,
        }
    }
}

impl<A: Analysis> Analyzer for Declared<A> {
    fn info(&self) -> AnalyzerInfo {
        self.info
    }

    fn start(&self, ctx: &Context) -> Box<dyn Pass> {
        Box::new(Typed(A::start(ctx)))
    }

    fn kql(&self, ctx: &Context) -> Result<Vec<crate::kql::KqlQuery>, crate::kql::TemplateError> {
        A::kql(ctx)
    }
}

/// The [`Pass`] of a declared analyzer.
struct Typed<A>(A);

impl<A: Analysis> Pass for Typed<A> {
    fn observe(&mut self, ctx: &Context, record: &Record<'_>) {
        self.0.observe(ctx, record);
    }

    fn file_read(&mut self, ctx: &Context, file: FileId, report: &FileReport) {
        self.0.file_read(ctx, file, report);
    }

    fn merge(&mut self, other: Box<dyn Pass>) {
        self.0.merge(downcast_pass::<Typed<A>>(other).0);
    }

    fn close(&mut self, ctx: &Context, horizon: &Horizon, out: &mut Output) {
        self.0.close(ctx, horizon, out);
    }

    fn finish(self: Box<Self>, ctx: &Context, out: &mut Output) {
        self.0.finish(ctx, out);
    }
}

/// Declares and registers an analyzer:
///
/// ```ignore
/// declare_analyzer! {
///     /// Doc.
///     pub static CALLS: CallsState = {
///         id: "calling/calls",
///         title: "Calls",
///         families: &[Family::Calling],
///         findings: &[&END_REASON],
///         tables: &[&END_REASONS],
///     };
/// }
/// ```
#[macro_export]
macro_rules! declare_analyzer {
    ($(#[$meta:meta])* $vis:vis static $name:ident: $state:ty = {
        id: $id:expr,
        title: $title:expr,
        families: $families:expr,
        findings: $findings:expr,
        tables: $tables:expr $(,)?
    };) => {
        $(#[$meta])*
        $vis static $name: $crate::analyzer::Declared<$state> =
            $crate::analyzer::Declared::new($crate::analyzer::AnalyzerInfo {
                id: $id,
                title: $title,
                families: $families,
                findings: $findings,
                tables: $tables,
            });
        $crate::inventory::submit! {
            $crate::analyzer::Registration { analyzer: &$name }
        }
    };
}

/// An analysis. Implementations are stateless; state lives in their passes.
pub trait Analyzer: Send + Sync {
    fn info(&self) -> AnalyzerInfo;
    /// A fresh pass for one worker.
    fn start(&self, ctx: &Context) -> Box<dyn Pass>;
    /// Its KQL queries ([`Analysis::kql`]).
    fn kql(&self, _ctx: &Context) -> Result<Vec<crate::kql::KqlQuery>, crate::kql::TemplateError> {
        Ok(Vec::new())
    }
}

/// Converts a boxed pass back to its concrete type for merging.
pub trait IntoAny {
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

impl<T: Any + Send> IntoAny for T {
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// The state of one analyzer on one worker.
///
/// Contract: `merge` must give the same result whatever order passes are merged in (keep
/// counts, minima by a total order, sets), so findings never depend on thread timing.
pub trait Pass: IntoAny + Send {
    fn observe(&mut self, ctx: &Context, record: &Record<'_>);
    /// Called once per file read, after its records: for what the file itself shows (its
    /// report says what was read, rejected and found in it).
    fn file_read(&mut self, _ctx: &Context, _file: FileId, _report: &FileReport) {}
    /// Absorbs another pass of the same analyzer.
    fn merge(&mut self, other: Box<dyn Pass>);
    /// See [`Analysis::close`].
    fn close(&mut self, _ctx: &Context, _horizon: &Horizon, _out: &mut Output) {}
    fn finish(self: Box<Self>, ctx: &Context, out: &mut Output);
}

/// The smaller of two optional values, or whichever is present. A pass that keeps one of many
/// values (the first ID seen, say) keeps the smallest, so the result never depends on the order
/// passes are merged in.
pub fn min_present<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Keeps in `slot` the smaller of it and `value` ([`min_present`]).
pub fn keep_min<T: Ord>(slot: &mut Option<T>, value: Option<T>) {
    *slot = min_present(slot.take(), value);
}

/// Turns a `Box<dyn Pass>` back into the concrete pass type. Passes are only ever merged with
/// passes the same analyzer started, so a mismatch is an engine defect.
pub fn downcast_pass<T: Pass + 'static>(pass: Box<dyn Pass>) -> Box<T> {
    pass.into_any()
        .downcast::<T>()
        .unwrap_or_else(|_| panic!("engine merged passes of different analyzers"))
}

/// An analysis over entities: all records sharing a key (a call, an SMS message, a chat
/// thread), wherever they sit in the folder, folded into one state.
pub trait EntityAnalysis: Send + Sync + 'static {
    type Key: Hash + Eq + Ord + Clone + Send + 'static;
    type State: Default + Send + 'static;
    /// The analysis for one run (thresholds and catalogs come from `ctx`).
    fn new(ctx: &Context) -> Self
    where
        Self: Sized;
    /// The entity a record belongs to, if any. Returning `None` for records that cannot matter
    /// keeps memory proportional to what is interesting, not to the corpus.
    fn key(&self, ctx: &Context, record: &Record<'_>) -> Option<Self::Key>;
    fn observe(&self, ctx: &Context, state: &mut Self::State, record: &Record<'_>);
    /// Order-independent merge of two states of the same entity.
    fn merge(&self, into: &mut Self::State, from: Self::State);
    fn finish(&self, ctx: &Context, key: Self::Key, state: Self::State, out: &mut Output);
    /// What the entities are called in the report's note on late records ("streams").
    const NOUN: &'static str;
    /// True when an entity is judged, and let go, once its records are all read
    /// ([`Analysis::close`]): for entities kept for healthy traffic too. Entities that only
    /// exist for problems stay until the end, so one problem is one finding.
    const CLOSES: bool = false;
}

/// A [`Pass`] that keeps one state per entity, with the time of its latest record.
pub struct EntityPass<A: EntityAnalysis> {
    analysis: A,
    entities: crate::FastMap<A::Key, (A::State, i64)>,
    judged: Judged,
    late: u64,
}

impl<A: EntityAnalysis> EntityPass<A> {
    pub fn new(analysis: A) -> Self {
        EntityPass {
            analysis,
            entities: crate::spare::take_map(),
            judged: Judged::default(),
            late: 0,
        }
    }

    pub fn analysis(&self) -> &A {
        &self.analysis
    }

    /// Gives `observe` the state of entity `key` (made when new) for `record`: for a pass that
    /// works out a record's key itself, with what it learned on the way, instead of through
    /// [`EntityAnalysis::key`] and [`EntityAnalysis::observe`].
    pub fn observe_keyed(
        &mut self,
        key: A::Key,
        record: &Record<'_>,
        observe: impl FnOnce(&A, &mut A::State),
    ) {
        let (state, last) = self
            .entities
            .entry(key)
            .or_insert_with(|| (A::State::default(), i64::MIN));
        *last = (*last).max(record_ms(record));
        observe(&self.analysis, state);
    }
}

/// Time of a record for "latest record" bookkeeping: records without a time never let their
/// entity close early.
fn record_ms(record: &Record<'_>) -> i64 {
    record.time.map_or(i64::MAX, |t| t.timestamp_millis())
}

impl<A: EntityAnalysis> Analysis for EntityPass<A> {
    fn start(ctx: &Context) -> Self {
        EntityPass::new(A::new(ctx))
    }

    fn observe(&mut self, ctx: &Context, record: &Record<'_>) {
        if let Some(key) = self.analysis.key(ctx, record) {
            self.observe_keyed(key, record, |analysis, state| {
                analysis.observe(ctx, state, record)
            });
        }
    }

    fn merge(&mut self, mut other: Self) {
        self.late += other.late;
        for (key, (state, last)) in other.entities.drain() {
            // One probe for both cases: most entities of a batch are new.
            match self.entities.entry(key) {
                std::collections::hash_map::Entry::Occupied(mut mine) => {
                    let (mine, mine_last) = mine.get_mut();
                    self.analysis.merge(mine, state);
                    *mine_last = (*mine_last).max(last);
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    if !self.judged.is_empty() && self.judged.contains(key_hash(slot.key())) {
                        self.late += 1;
                    }
                    slot.insert((state, last));
                }
            }
        }
        // The next batch's pass on this thread fills it again (`crate::spare`).
        crate::spare::keep_map(other.entities);
    }

    fn close(&mut self, ctx: &Context, horizon: &Horizon, out: &mut Output) {
        if !A::CLOSES {
            return;
        }
        self.judged.prune(horizon);
        let done = self
            .judged
            .take_finished(horizon, &mut self.entities, |_, (_, last)| {
                horizon.closes(*last, 0)
            });
        for (key, (state, _)) in done {
            self.analysis.finish(ctx, key, state, out);
        }
    }

    fn finish(self, ctx: &Context, out: &mut Output) {
        out.late(A::NOUN, self.late);
        // No record comes after `finish`: the keys watched for late records can go first.
        drop(self.judged);
        let mut entities: Vec<_> = self.entities.into_iter().collect();
        entities.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, (state, _)) in entities {
            self.analysis.finish(ctx, key, state, out);
        }
    }
}

/// One registered analyzer.
pub struct Registration {
    pub analyzer: &'static dyn Analyzer,
}

inventory::collect!(Registration);

/// Every registered analyzer, sorted by ID.
pub fn registered() -> Vec<&'static dyn Analyzer> {
    let mut all: Vec<&'static dyn Analyzer> = inventory::iter::<Registration>
        .into_iter()
        .map(|r| r.analyzer)
        .collect();
    all.sort_by_key(|a| a.info().id);
    all
}

/// A record predicate shared by a collector and its passes.
type Select = std::sync::Arc<dyn Fn(&Record<'_>) -> bool + Send + Sync>;

/// Keeps owned copies of the records a predicate selects (e.g. every record of one call for
/// `analyze --call`). The records are handed back through [`Collected`] after the run.
pub struct RecordCollector {
    select: Select,
    collected: Collected,
    limit: usize,
}

/// Where a [`Collector`] leaves its records, sorted by input position.
#[derive(Clone, Default)]
pub struct Collected(std::sync::Arc<std::sync::Mutex<Vec<Record<'static>>>>);

impl Collected {
    /// Takes the records out.
    pub fn take(&self) -> Vec<Record<'static>> {
        match self.0.lock() {
            Ok(mut v) => std::mem::take(&mut *v),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }
}

impl RecordCollector {
    /// Collects up to `limit` records that `select` accepts.
    pub fn new(
        select: impl Fn(&Record<'_>) -> bool + Send + Sync + 'static,
        limit: usize,
    ) -> (RecordCollector, Collected) {
        let collected = Collected::default();
        (
            RecordCollector {
                select: std::sync::Arc::new(select),
                collected: collected.clone(),
                limit,
            },
            collected,
        )
    }
}

impl Analyzer for RecordCollector {
    fn info(&self) -> AnalyzerInfo {
        AnalyzerInfo {
            id: "record-collector",
            title: "Record collector",
            families: &[],
            findings: &[],
            tables: &[],
        }
    }

    fn start(&self, _ctx: &Context) -> Box<dyn Pass> {
        Box::new(CollectPass {
            select: self.select.clone(),
            records: Vec::new(),
            collected: self.collected.clone(),
            limit: self.limit,
        })
    }
}

struct CollectPass {
    select: Select,
    records: Vec<Record<'static>>,
    collected: Collected,
    limit: usize,
}

impl CollectPass {
    /// Keeps the first `limit` records by input position, whatever order they came in.
    fn prune(&mut self) {
        self.records.sort_by_key(|r| r.origin);
        self.records.truncate(self.limit);
    }
}

impl Pass for CollectPass {
    fn observe(&mut self, _ctx: &Context, record: &Record<'_>) {
        if (self.select)(record) {
            self.records.push(record.clone().into_owned());
            if self.records.len() >= 2 * self.limit.max(1) {
                self.prune();
            }
        }
    }

    fn merge(&mut self, other: Box<dyn Pass>) {
        let other = downcast_pass::<CollectPass>(other);
        self.records.extend(other.records);
        self.prune();
    }

    fn finish(mut self: Box<Self>, _ctx: &Context, _out: &mut Output) {
        self.prune();
        if let Ok(mut slot) = self.collected.0.lock() {
            *slot = std::mem::take(&mut self.records);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(frontier_ms: i64) -> Horizon {
        Horizon {
            frontier_ms,
            close_after_ms: 10,
            watch_late_ms: 100,
        }
    }

    #[test]
    fn judged_keys_are_forgotten_after_watch_late_unless_judged_again() {
        let mut judged = Judged::default();
        assert!(judged.is_empty());
        judged.insert(&at(0), 1);
        judged.insert(&at(0), 2);
        judged.insert(&at(50), 3);
        // Key 2 comes back and is judged again later: its later frontier counts.
        judged.insert(&at(80), 2);
        assert!([1, 2, 3].iter().all(|&k| judged.contains(k)));
        assert!(!judged.contains(4));

        // Exactly `watch_late` after frontier 0: still kept.
        judged.prune(&at(100));
        assert!([1, 2, 3].iter().all(|&k| judged.contains(k)));

        judged.prune(&at(101));
        assert!(!judged.contains(1), "judged at 0, more than 100 ago");
        assert!(judged.contains(2), "judged again at 80");
        assert!(judged.contains(3));

        judged.prune(&at(181));
        assert!(!judged.contains(2));
        assert!(!judged.contains(3));
        assert!(judged.is_empty());
    }
}
