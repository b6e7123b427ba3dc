//! The engine: walk → detect → parse → normalize → analyze → findings.
//!
//! Files are read in parallel (rayon); every worker feeds the records it parses straight into its
//! own passes of every analyzer, so records are never collected and memory stays flat however big
//! the corpus. Passes are merged, finished, and the findings sorted, so the output is identical
//! whatever the number of threads.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;

use crate::FastMap;
use crate::analyzer::{Analyzer, Context, Horizon, Output, Pass};
use crate::classify::Classifier;
use crate::dedup::{Fingerprints, Seen};
use crate::finding::{Finding, Severity, sort_findings};
use crate::ingest::pieces::Piece;
use crate::ingest::{
    Dedup, FileReport, Limits, ReadSetup, ingest_input, ingest_member_stream, ingest_piece,
};
use crate::record::{Family, FileId, Record};
use crate::table::Table;
use crate::walk::{InputFile, WalkError, walk};

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Worker threads; `None` = one per core.
    pub threads: Option<usize>,
    pub follow_symlinks: bool,
    pub limits: Limits,
    /// Reads the groups of files in an order shuffled by this seed (tests use it to prove the
    /// output never depends on the order inputs are processed in).
    #[doc(hidden)]
    pub order_seed: Option<u64>,
    /// Only records with a time in this range are analyzed (`--since`, `--until`); the others,
    /// and records without a time, are counted in [`Summary::outside_window`].
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// More worker threads than this never help (every worker keeps one pass per analyzer).
pub const MAX_THREADS: usize = 256;

/// A deterministic Fisher-Yates shuffle (splitmix64), for [`RunOptions::order_seed`].
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..items.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// Called after each file with the bytes read so far and the bytes of all inputs (for a
/// progress bar).
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Totals of a run.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Summary {
    pub files: u64,
    pub files_with_records: u64,
    pub bytes: u64,
    pub records: u64,
    pub rejected: u64,
    /// Records read more than once (the same record in two inputs, or twice in one), counted once.
    #[serde(skip_serializing_if = "is_zero")]
    pub duplicates: u64,
    /// Records per family.
    pub families: BTreeMap<Family, u64>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::time::serialize_opt"
    )]
    pub first_record: Option<DateTime<Utc>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::time::serialize_opt"
    )]
    pub last_record: Option<DateTime<Utc>>,
    pub findings: BTreeMap<Severity, u64>,
    /// Findings dropped by the configuration (`[rules] disable`).
    #[serde(skip_serializing_if = "is_zero")]
    pub suppressed: u64,
    /// Records read but left out by `--since`/`--until` (outside the range, or without a time).
    #[serde(skip_serializing_if = "is_zero")]
    pub outside_window: u64,
    /// Findings left out of the report by `--min-severity`, `--only` or `--exclude`.
    #[serde(skip_serializing_if = "is_zero")]
    pub filtered: u64,
    /// Calls, messages or threads (by noun) that received records after they had been judged
    /// (more than `[ingest] close_after` after their other records), so were judged without them.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub late: BTreeMap<String, u64>,
    /// Records that are rows a generated KQL query returned (`acs-triage kql`): only the rows
    /// problems come from, so totals and shares count those rows only.
    #[serde(skip_serializing_if = "is_zero")]
    pub query_rows: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The result of a run.
#[derive(Debug)]
pub struct Analysis {
    /// Every input, in walk order, including skipped and unrecognized ones.
    pub files: Vec<FileReport>,
    /// Boxed, as [`Output::findings`] are.
    pub findings: Vec<Box<Finding>>,
    /// Tables the user asked for, by ID.
    pub tables: Vec<Table>,
    pub summary: Summary,
    /// Display path of each file read, indexed by [`FileId`] (evidence points here).
    pub paths: Vec<String>,
    /// What the analyzers saw in all (the health overview), in report order.
    pub health: Vec<crate::health::HealthLine>,
}

impl Analysis {
    /// The display path of a file read in this run.
    pub fn path(&self, file: FileId) -> &str {
        self.paths.get(file.0 as usize).map_or("?", String::as_str)
    }
}

/// A run that could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Input(#[from] WalkError),
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}

/// Per-worker state: one pass per analyzer plus the reports and totals of its files.
struct Worker {
    passes: Vec<Box<dyn Pass>>,
    /// (input, piece of it, report): a file read in pieces has one report per piece.
    reports: Vec<(usize, u32, FileReport)>,
    /// Records per family, indexed by `Family as usize`.
    families: [u64; Family::ALL.len()],
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    /// Records left out by the time window.
    outside: u64,
    query_rows: u64,
}

impl Worker {
    fn new(analyzers: &[&dyn Analyzer], ctx: &Context) -> Worker {
        Worker {
            passes: analyzers.iter().map(|a| a.start(ctx)).collect(),
            reports: Vec::new(),
            families: [0; Family::ALL.len()],
            first: None,
            last: None,
            outside: 0,
            query_rows: 0,
        }
    }

    fn absorb(&mut self, other: Worker) {
        for (mine, theirs) in self.passes.iter_mut().zip(other.passes) {
            mine.merge(theirs);
        }
        self.reports.extend(other.reports);
        for (mine, theirs) in self.families.iter_mut().zip(other.families) {
            *mine += theirs;
        }
        self.first = min_time(self.first, other.first);
        self.last = max_time(self.last, other.last);
        self.outside += other.outside;
        self.query_rows += other.query_rows;
    }
}

fn min_time(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_time(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Which analyzers want records of which family (the prefilter).
fn interest(analyzers: &[&dyn Analyzer]) -> Vec<[bool; Family::ALL.len()]> {
    analyzers
        .iter()
        .map(|a| {
            let families = a.info().families;
            let mut wants = [families.is_empty(); Family::ALL.len()];
            for f in families {
                wants[*f as usize] = true;
            }
            wants
        })
        .collect()
}

/// What a quick look at the head of a file says about which other files may hold the same
/// records.
#[derive(Debug, Default)]
struct Survey {
    /// Fingerprint of the first record: copies and partial copies of one export share it.
    first: Option<u64>,
    /// Categories of the sampled records, each with whether it came as a storage export (one
    /// file per category and hour, which never overlap each other).
    categories: Vec<(String, bool)>,
}

fn survey(
    input: &InputFile,
    classifier: &Classifier,
    fingerprints: &Fingerprints,
    limits: &Limits,
) -> Survey {
    // A member of a .tar.gz cannot be opened on its own: [`survey_stream`] does its archive.
    if input
        .member
        .as_ref()
        .is_some_and(|m| !m.archive.kind.random_access())
    {
        return Survey::default();
    }
    survey_with(fingerprints, |sink| {
        crate::ingest::sample_input(input, classifier, limits, sink)
    })
}

/// The archive members that `inputs` (indices into `files`) stand for, and the input of each
/// member: a map, since a `.tar.gz` may hold a hundred thousand of them and each is looked up
/// as it streams past.
fn members_of(files: &[InputFile], inputs: &[usize]) -> (Vec<usize>, FastMap<usize, usize>) {
    let mut members = Vec::with_capacity(inputs.len());
    let mut input_of = FastMap::default();
    for &i in inputs {
        if let Some(m) = &files[i].member {
            members.push(m.index);
            input_of.entry(m.index).or_insert(i);
        }
    }
    (members, input_of)
}

/// Surveys the members of one .tar.gz (`inputs`: their input indices) in one pass over it.
fn survey_stream(
    files: &[InputFile],
    inputs: &[usize],
    classifier: &Classifier,
    fingerprints: &Fingerprints,
    limits: &Limits,
) -> Vec<(usize, Survey)> {
    let Some(archive) = inputs
        .first()
        .and_then(|&i| files[i].member.as_ref())
        .map(|m| std::sync::Arc::clone(&m.archive))
    else {
        return Vec::new();
    };
    let (members, input_of) = members_of(files, inputs);
    let mut found = Vec::new();
    // An archive that breaks here breaks again when read, and is reported then.
    let _ = crate::ingest::archive::stream_members(&archive, &members, &mut |member, reader| {
        let Some(&i) = input_of.get(&member) else {
            return;
        };
        if crate::ingest::is_native_log(std::path::Path::new(&files[i].display)) {
            return;
        }
        let survey = survey_with(fingerprints, |sink| {
            crate::ingest::sample_stream(
                Box::new(reader),
                files[i].size(),
                classifier,
                limits,
                sink,
            )
        });
        found.push((i, survey));
    });
    found
}

/// The survey of the records a sampler hands over.
fn survey_with(
    fingerprints: &Fingerprints,
    sample: impl FnOnce(&mut dyn FnMut(&Record<'_>)),
) -> Survey {
    let mut found = Survey::default();
    sample(&mut |record: &Record<'_>| {
        if found.first.is_none() {
            found.first = Some(fingerprints.of(record));
        }
        let entry = (
            record.category_name().to_ascii_lowercase(),
            record.format == crate::record::Format::StorageExport,
        );
        if !found.categories.contains(&entry) {
            found.categories.push(entry);
        }
    });
    found
}

/// The inputs that are members of each .tar.gz, by archive, in input order.
fn stream_archives(files: &[InputFile]) -> Vec<Vec<usize>> {
    let mut by_archive: Vec<(*const crate::ingest::archive::Archive, Vec<usize>)> = Vec::new();
    for (i, input) in files.iter().enumerate() {
        if let Some(m) = &input.member
            && !m.archive.kind.random_access()
        {
            let key = std::sync::Arc::as_ptr(&m.archive);
            match by_archive.iter_mut().find(|(k, _)| *k == key) {
                Some((_, list)) => list.push(i),
                None => by_archive.push((key, vec![i])),
            }
        }
    }
    by_archive.into_iter().map(|(_, list)| list).collect()
}

/// Splits the files into groups that may share records; each group is read in file order by
/// one worker with one set of fingerprints, so which copy of a duplicated record counts never
/// depends on thread timing, and the set lives only as long as its group.
fn dedup_groups(streams: &[Vec<usize>], surveys: &[Survey]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..surveys.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let union = |parent: &mut Vec<usize>, a: usize, b: usize| {
        let (ra, rb) = (root(parent, a), root(parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    };
    let mut by_first: FastMap<u64, usize> = FastMap::default();
    // Per category: the first file that is not a storage export, and the storage files seen
    // before any such file.
    let mut by_category: FastMap<&str, (Option<usize>, Vec<usize>)> = FastMap::default();
    for (i, s) in surveys.iter().enumerate() {
        if let Some(fp) = s.first {
            match by_first.get(&fp) {
                Some(&j) => union(&mut parent, i, j),
                None => {
                    by_first.insert(fp, i);
                }
            }
        }
        for (category, storage) in &s.categories {
            let entry = by_category.entry(category.as_str()).or_default();
            match (entry.0, storage) {
                (Some(other), _) => union(&mut parent, i, other),
                (None, true) => entry.1.push(i),
                (None, false) => {
                    entry.0 = Some(i);
                    for &j in &entry.1 {
                        union(&mut parent, i, j);
                    }
                    entry.1.clear();
                }
            }
        }
    }
    // The members of one .tar.gz are read in one pass over it, so they are one group.
    for members in streams {
        for pair in members.windows(2) {
            union(&mut parent, pair[0], pair[1]);
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for i in 0..surveys.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    groups.into_values().collect()
}

/// The files of one dedup group that one batch reads, in the order they are read.
struct Part {
    /// Index of the group (its fingerprints carry over from batch to batch).
    group: usize,
    files: Vec<usize>,
    /// Set when the part is one piece of its only file.
    piece: Option<Piece>,
    /// How many parts of the group come before this one (a group has one part per batch).
    turn: usize,
}

/// Parts read together before whatever can no longer change is judged.
struct Batch {
    parts: Vec<Part>,
    /// Set when every file still to be read holds later hours.
    horizon: Option<Horizon>,
}

impl AsRef<[Part]> for Batch {
    fn as_ref(&self) -> &[Part] {
        &self.parts
    }
}

/// A dedup group's fingerprints, taken by the group's parts in turn: the parts of a group are
/// in different batches, and a batch may be read while the one before it is being finished.
#[derive(Default)]
struct GroupSeen {
    /// The fingerprints, and how many of the group's parts have been read.
    seen: std::sync::Mutex<(Seen, usize)>,
    part_read: std::sync::Condvar,
}

impl GroupSeen {
    /// The fingerprints, once the parts before the `turn`th have been read; the next part's
    /// turn comes when the [`SeenTurn`] is dropped (on a panic too, so nobody waits forever).
    fn take(&self, turn: usize) -> SeenTurn<'_> {
        let seen = self
            .part_read
            .wait_while(crate::pipeline::lock(&self.seen), |(_, read)| *read != turn)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        SeenTurn {
            seen,
            part_read: &self.part_read,
        }
    }
}

/// A part's hold on its group's fingerprints.
struct SeenTurn<'g> {
    seen: std::sync::MutexGuard<'g, (Seen, usize)>,
    part_read: &'g std::sync::Condvar,
}

impl SeenTurn<'_> {
    fn seen(&mut self) -> &mut Seen {
        &mut self.seen.0
    }
}

impl Drop for SeenTurn<'_> {
    fn drop(&mut self) {
        self.seen.1 += 1;
        self.part_read.notify_all();
    }
}

/// Orders the files by the hour they start with (a storage-export blob's from its path, another
/// plain file's from the times at its ends, see [`crate::partition`]; files without one first)
/// and cuts them into batches of whole hours, each ending once it holds `batch_bytes` (`sizes`:
/// each file's) or spans `close_after / 2`: after each batch, everything older than
/// `close_after` before the end of its hours is judged. The result is the same however the
/// hours are batched; the batch size only trades time between judgements against memory. A
/// group's files in one batch form one part, read in hour order then group order; the members
/// of one `.tar.gz` (`streams`) are read in one pass, so they stay together at their earliest
/// hour (or first, if one has none).
fn batches(
    hours: &[Option<i64>],
    groups: &[Vec<usize>],
    streams: &[Vec<usize>],
    pieces: &[Option<Vec<Piece>>],
    sizes: &[u64],
    batch_bytes: u64,
    limits: &Limits,
) -> Vec<Batch> {
    const HOUR: i64 = 3600;
    let streamed: crate::FastSet<usize> = streams.iter().flatten().copied().collect();
    // (hour, group, position in group, file)
    let mut keyed: Vec<(Option<i64>, usize, usize, usize)> = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        let together = group.iter().any(|i| streamed.contains(i));
        let group_hour = together
            .then(|| {
                group
                    .iter()
                    .map(|&i| hours[i])
                    .collect::<Option<Vec<i64>>>()
            })
            .flatten()
            .and_then(|h| h.into_iter().min());
        for (at, &i) in group.iter().enumerate() {
            let hour = if together { group_hour } else { hours[i] };
            keyed.push((hour, g, at, i));
        }
    }
    keyed.sort_unstable();
    let close_after = limits.close_after.seconds.max(1.0) as i64;
    let span = (close_after / 2 / HOUR).max(1) * HOUR;
    let mut batches: Vec<Batch> = Vec::new();
    // The hour the current batch starts at (`None`: the batch of files without one).
    let mut start: Option<Option<i64>> = None;
    let mut parts: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    // Bytes in the batch being gathered, and the hour of its latest file.
    let mut gathered: u64 = 0;
    let mut latest: Option<i64> = None;
    let flush = |batches: &mut Vec<Batch>,
                 parts: &mut std::collections::BTreeMap<usize, Vec<usize>>| {
        if let Some(batch) = batches.last_mut() {
            for (group, files) in std::mem::take(parts) {
                // A file cut into pieces (always alone in its group) is one part per piece.
                match files.as_slice() {
                    [file] if pieces[*file].is_some() => {
                        batch
                            .parts
                            .extend(pieces[*file].iter().flatten().map(|&piece| Part {
                                group,
                                files: vec![*file],
                                piece: Some(piece),
                                turn: 0,
                            }))
                    }
                    _ => batch.parts.push(Part {
                        group,
                        files,
                        piece: None,
                        turn: 0,
                    }),
                }
            }
        }
    };
    for (hour, group, _, file) in keyed {
        let same = match (start, hour) {
            (Some(None), None) => true,
            (Some(Some(first)), Some(h)) => {
                h < first + span && (latest == Some(h) || gathered < batch_bytes)
            }
            _ => false,
        };
        if !same {
            flush(&mut batches, &mut parts);
            start = Some(hour);
            gathered = 0;
            batches.push(Batch {
                parts: Vec::new(),
                horizon: None,
            });
        }
        parts.entry(group).or_default().push(file);
        gathered += sizes[file];
        latest = hour;
        if let (Some(h), Some(batch)) = (hour, batches.last_mut()) {
            // Files come in hour order: this one's hour is the batch's latest.
            batch.horizon = Some(Horizon {
                frontier_ms: (h + HOUR) * 1000,
                close_after_ms: limits.close_after.millis(),
                watch_late_ms: limits.watch_late.millis(),
            });
        }
    }
    flush(&mut batches, &mut parts);
    // The largest parts first: the threads take them in turn, and a large part left for last
    // would keep one thread reading while the others wait (the result does not depend on the
    // order, see `run`).
    for batch in &mut batches {
        batch.parts.sort_by_key(|part| {
            std::cmp::Reverse(match part.piece {
                Some(piece) => piece.len(),
                None => part.files.iter().map(|&f| sizes[f]).sum(),
            })
        });
    }
    // The last batch is followed by `finish`, which judges everything anyway.
    if let Some(last) = batches.last_mut() {
        last.horizon = None;
    }
    let mut turns = vec![0; groups.len()];
    for part in batches.iter_mut().flat_map(|b| b.parts.iter_mut()) {
        part.turn = turns[part.group];
        turns[part.group] += 1;
    }
    batches
}

/// Runs the analyzers over every file under `roots`.
pub fn run(
    roots: &[PathBuf],
    analyzers: &[&dyn Analyzer],
    ctx: &Context,
    classifier: &Classifier,
    options: &RunOptions,
    progress: Option<Progress<'_>>,
) -> Result<Analysis, EngineError> {
    let walked = walk(
        roots,
        options.follow_symlinks,
        options.limits.max_archive_members,
    )?;
    let threads = options.threads.unwrap_or(0).min(MAX_THREADS);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| EngineError::Threads(e.to_string()))?;
    let wants = interest(analyzers);
    let is_rules: Vec<bool> = analyzers
        .iter()
        .map(|a| a.info().id == crate::rules::run::RULES_ANALYZER_ID)
        .collect();
    let fingerprints = Fingerprints::new(classifier);
    let bytes_done = AtomicU64::new(0);
    // Each input's size, looked up once: the progress bar, the pieces and the batches use it.
    let sizes: Vec<u64> = walked.files.iter().map(InputFile::size).collect();
    let bytes_total: u64 = sizes.iter().sum();

    let streams = stream_archives(&walked.files);
    let surveys: Vec<Survey> = pool.install(|| {
        let mut surveys: Vec<Survey> = walked
            .files
            .par_iter()
            .map(|f| survey(f, classifier, &fingerprints, &options.limits))
            .collect();
        let streamed: Vec<Vec<(usize, Survey)>> = streams
            .par_iter()
            .map(|inputs| {
                survey_stream(
                    &walked.files,
                    inputs,
                    classifier,
                    &fingerprints,
                    &options.limits,
                )
            })
            .collect();
        for (i, s) in streamed.into_iter().flatten() {
            surveys[i] = s;
        }
        surveys
    });
    let mut groups = dedup_groups(&streams, &surveys);
    if let Some(seed) = options.order_seed {
        shuffle(&mut groups, seed);
    }

    // Each group's fingerprints, kept from one batch to the next.
    let seen_by_group: Vec<GroupSeen> = groups.iter().map(|_| Default::default()).collect();
    let read_part = |mut w: Worker, part: &Part| {
        // Fingerprints are only taken where another file may hold the same records: a file
        // alone in its group is read as written (the service writes a record once).
        let dedup = groups[part.group].len() > 1;
        // Only groups of several files take fingerprints (and only they need the lock: the
        // pieces of one file are read at once).
        let mut seen = dedup.then(|| seen_by_group[part.group].take(part.turn));
        let group = &part.files;
        let mut read_one = |w: &mut Worker, i: usize, reader: Option<&mut dyn std::io::Read>| {
            let input = &walked.files[i];
            let Worker {
                passes,
                families,
                first,
                last,
                outside,
                query_rows,
                ..
            } = w;
            let windowed = options.since.is_some() || options.until.is_some();
            let mut sink = |record: &Record<'_>| {
                if windowed
                    && !record.time.is_some_and(|t| {
                        options.since.is_none_or(|s| t >= s) && options.until.is_none_or(|u| t <= u)
                    })
                {
                    *outside += 1;
                    return;
                }
                families[record.family as usize] += 1;
                if let Some(t) = record.time {
                    *first = min_time(*first, Some(t));
                    *last = max_time(*last, Some(t));
                }
                let family = record.family as usize;
                // A row a rule's KQL query returned is for the rules only: it holds only the
                // columns its rule reads.
                let tag = crate::kql::tag_of(record);
                *query_rows += u64::from(tag.is_some());
                let rule_row = tag.is_some_and(|t| t.starts_with("rule/"));
                for ((pass, wanted), rules) in passes.iter_mut().zip(&wants).zip(&is_rules) {
                    if wanted[family] && (!rule_row || *rules) {
                        pass.observe(ctx, record);
                    }
                }
            };
            let setup = ReadSetup {
                file: FileId(i as u32),
                classifier,
                limits: &options.limits,
                dedup: seen.as_mut().map(|seen| Dedup {
                    fingerprints: &fingerprints,
                    seen: seen.seen(),
                }),
            };
            let report = match (reader, part.piece) {
                (Some(r), _) => ingest_member_stream(input, r, setup, &mut sink),
                (None, Some(piece)) => ingest_piece(input, piece, setup, &mut sink),
                (None, None) => ingest_input(input, setup, &mut sink),
            };
            let done = bytes_done.fetch_add(report.bytes, Ordering::Relaxed) + report.bytes;
            if let Some(p) = progress {
                p(done, bytes_total);
            }
            for pass in w.passes.iter_mut() {
                pass.file_read(ctx, FileId(i as u32), &report);
            }
            w.reports
                .push((i, part.piece.map_or(0, |p| p.index), report));
        };
        // Members of a .tar.gz: read in one pass over their archive, in archive order.
        let mut streamed: Vec<usize> = Vec::new();
        for &i in group {
            match &walked.files[i].member {
                Some(m) if !m.archive.kind.random_access() => streamed.push(i),
                _ => read_one(&mut w, i, None),
            }
        }
        if let Some(&first) = streamed.first() {
            let archive = std::sync::Arc::clone(
                &walked.files[first]
                    .member
                    .as_ref()
                    .expect("a member")
                    .archive,
            );
            let (wanted, input_of) = members_of(&walked.files, &streamed);
            let mut read_members = crate::FastSet::default();
            let result =
                crate::ingest::archive::stream_members(&archive, &wanted, &mut |member, reader| {
                    if let Some(&i) = input_of.get(&member) {
                        read_one(&mut w, i, Some(reader));
                        read_members.insert(i);
                    }
                });
            // Members the pass never reached (the archive changed or broke): said, not lost.
            for &i in &streamed {
                if !read_members.contains(&i) {
                    let mut report = FileReport::new(walked.files[i].display.clone());
                    report.status = crate::ingest::FileStatus::Unreadable;
                    report.note = Some(match &result {
                        Err(e) => format!("the archive could not be read to this member: {e}"),
                        Ok(()) => "the archive ended before this member".to_owned(),
                    });
                    w.reports.push((i, 0, report));
                }
            }
        }
        // The group's next part may take the fingerprints.
        drop(seen);
        w
    };
    // Batches of files in the order of the hours they hold (files without an hour first);
    // between batches, whatever can no longer change is judged and let go.
    let hours: Vec<Option<i64>> = pool.install(|| {
        walked
            .files
            .par_iter()
            .map(|f| {
                crate::partition::hour_of(&f.display).or_else(|| {
                    f.member
                        .is_none()
                        .then(|| crate::partition::earliest_hour_of_file(&f.path))
                        .flatten()
                })
            })
            .collect()
    });
    // Large plain JSON-lines files and JSON documents alone in their group are cut into
    // pieces read at once.
    let pieces: Vec<Option<Vec<Piece>>> = pool.install(|| {
        let alone: crate::FastSet<usize> = groups
            .iter()
            .filter(|g| g.len() == 1)
            .map(|g| g[0])
            .collect();
        walked
            .files
            .par_iter()
            .enumerate()
            .map(|(i, f)| {
                (alone.contains(&i) && f.member.is_none())
                    .then(|| {
                        crate::ingest::pieces::pieces(&f.path, sizes[i], options.limits.split_bytes)
                    })
                    .flatten()
            })
            .collect()
    });
    // Per thread, so that every thread has work between two judgements on a larger machine.
    let batch_bytes = options
        .limits
        .batch_bytes
        .saturating_mul(pool.current_num_threads() as u64);
    let batches = batches(
        &hours,
        &groups,
        &streams,
        &pieces,
        &sizes,
        batch_bytes,
        &options.limits,
    );
    // The latest hours go into everything read so far (the smaller into the larger), then what
    // can no longer change is judged.
    let settle =
        |(worker, closed): &mut (Worker, Output), read: Worker, horizon: Option<Horizon>| {
            worker.absorb(read);
            if let Some(horizon) = horizon {
                for pass in worker.passes.iter_mut() {
                    pass.close(ctx, &horizon, closed);
                }
            }
        };
    let state = (Worker::new(analyzers, ctx), Output::default());
    let (worker, closed) = if pool.current_num_threads() == 1 {
        // One thread reads every group into one worker, in order: with `order_seed`, that is
        // the strictest test of order independence (nothing is split, so merges cannot hide it).
        batches.iter().fold(state, |mut state, batch| {
            let read = batch
                .parts
                .iter()
                .fold(Worker::new(analyzers, ctx), read_part);
            settle(&mut state, read, batch.horizon);
            state
        })
    } else {
        // Each thread goes on to the next batch when it finds no part of its own left; batches
        // are still settled one after the other, in order (`pipeline`).
        pool.install(|| {
            crate::pipeline::read_batches(
                &batches,
                || Worker::new(analyzers, ctx),
                read_part,
                |mut a, b| {
                    a.absorb(b);
                    a
                },
                |state, b, read| settle(state, read, batches[b].horizon),
                state,
            )
        })
    };

    // Reading is over: the tables kept for the next batch's passes go (`crate::spare`).
    crate::spare::clear();
    pool.broadcast(|_| crate::spare::clear());
    // Each analyzer finishes on its own thread; their outputs join in analyzer order (and are
    // sorted below), so the result does not depend on which finished first.
    let finished: Vec<Output> = pool.install(|| {
        worker
            .passes
            .into_par_iter()
            .map(|pass| {
                let mut out = Output::default();
                pass.finish(ctx, &mut out);
                out
            })
            .collect()
    });
    let mut output = Output::default();
    for out in finished {
        output.extend(out);
    }
    output.extend(closed);
    let Output {
        mut findings,
        mut tables,
        mut health,
        late,
    } = output;
    health.sort_by(|a, b| (a.order, a.area).cmp(&(b.order, b.area)));
    pool.install(|| sort_findings(&mut findings));
    tables.sort_by(|a, b| a.id.cmp(&b.id));

    let paths = walked.files.iter().map(|f| f.display.clone()).collect();
    let mut reports = worker.reports;
    reports.sort_by_key(|(i, piece, _)| (*i, *piece));
    // The pieces of a file join into one report, closed as a whole read would close it.
    let mut joined: Vec<(usize, FileReport)> = Vec::with_capacity(reports.len());
    for (i, piece, report) in reports {
        match joined.last_mut() {
            Some((file, whole)) if *file == i && piece > 0 => {
                whole.absorb_piece(report, options.limits.max_issues_per_file);
            }
            _ => joined.push((i, report)),
        }
    }
    let mut files: Vec<FileReport> = joined
        .into_iter()
        .map(|(i, mut report)| {
            if let Some(first) = pieces[i].as_ref().and_then(|p| p.first()) {
                report.bytes = sizes[i];
                report.close_pieces(first.shape(), options.limits.max_issues_per_file);
            }
            report
        })
        .collect();
    files.extend(walked.skipped);
    files.sort_by(|a, b| a.path.cmp(&b.path));

    let mut summary = Summary {
        files: files.len() as u64,
        families: Family::ALL
            .into_iter()
            .zip(worker.families)
            .filter(|(_, n)| *n > 0)
            .collect(),
        first_record: worker.first,
        last_record: worker.last,
        outside_window: worker.outside,
        query_rows: worker.query_rows,
        late: late.into_iter().map(|(k, n)| (k.to_owned(), n)).collect(),
        ..Summary::default()
    };
    for f in &files {
        summary.bytes += f.bytes;
        summary.records += f.records;
        summary.rejected += f.rejected;
        summary.duplicates += f.duplicates;
        if f.records > 0 {
            summary.files_with_records += 1;
        }
    }
    for f in &findings {
        *summary.findings.entry(f.severity).or_default() += 1;
    }
    Ok(Analysis {
        files,
        findings,
        tables,
        summary,
        paths,
        health,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts of a dedup group take its fingerprints in their turn, whichever thread asks
    /// first (the last part's thread starts first here).
    #[test]
    fn a_groups_parts_take_the_fingerprints_in_turn() {
        let group = GroupSeen::default();
        let order = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for turn in (0..4).rev() {
                let (group, order) = (&group, &order);
                s.spawn(move || {
                    let _seen = group.take(turn);
                    order.lock().unwrap().push(turn);
                });
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        });
        assert_eq!(order.into_inner().unwrap(), vec![0, 1, 2, 3]);
    }

    #[test]
    fn a_batch_reads_its_largest_parts_first() {
        // Six files of one hour, each its own group; the last is cut into two pieces.
        let hours = vec![Some(0); 6];
        let groups: Vec<Vec<usize>> = (0..6).map(|i| vec![i]).collect();
        let sizes = [10, 500, 30, 200, 1, 900];
        let piece = |index, start, end| Piece {
            index,
            start,
            end,
            first_line: 1,
            document: None,
            last: end == 900,
        };
        let mut pieces = vec![None; 6];
        pieces[5] = Some(vec![piece(0, 0, 300), piece(1, 300, 900)]);
        let batches = batches(
            &hours,
            &groups,
            &[],
            &pieces,
            &sizes,
            u64::MAX,
            &Limits::default(),
        );
        assert_eq!(batches.len(), 1);
        let order: Vec<(usize, Option<u32>)> = batches[0]
            .parts
            .iter()
            .map(|p| (p.files[0], p.piece.map(|piece| piece.index)))
            .collect();
        assert_eq!(
            order,
            [
                (5, Some(1)),
                (1, None),
                (5, Some(0)),
                (3, None),
                (2, None),
                (0, None),
                (4, None)
            ]
        );
    }
}
