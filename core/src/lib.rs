//! acs-triage core: the record model, ingestion of every ACS log shape, code catalogs, settings,
//! the analyzer interface and the parallel engine. See ARCHITECTURE.md for the map.

pub mod analyzer;
pub mod catalog;
pub mod classify;
pub mod config;
pub mod dedup;
pub mod digest;
pub mod engine;
pub mod finding;
pub mod health;
pub mod ingest;
pub mod kql;
pub mod partition;
pub mod pipeline;
pub mod record;
pub mod redact;
pub mod rules;
pub mod secrets;
pub mod settings;
pub mod spare;
pub mod stats;
pub mod table;
pub mod text;
pub mod time;
pub mod value;
pub mod walk;
pub mod window;

pub use analyzer::{
    Analysis, Analyzer, AnalyzerInfo, Context, EntityAnalysis, EntityPass, FindingKind, Output,
    Pass,
};
pub use finding::{Evidence, Explains, Finding, IdKind, Occurrences, Severity, SharedText};
pub use record::{Family, FieldName, FieldPath, FileId, Format, Origin, OwnedFieldName, Record};
pub use table::{Column, Table, TableKind};
pub use value::Value;

#[doc(hidden)]
pub use inventory;

/// Hash maps and sets keyed by IDs built from log data. Analyzers keep one entry per call or
/// message over millions of records, so they use a fast non-cryptographic hasher; the inputs are
/// the user's own logs, not untrusted network traffic.
pub type FastMap<K, V> = rustc_hash::FxHashMap<K, V>;
/// See [`FastMap`].
pub type FastSet<T> = rustc_hash::FxHashSet<T>;

/// Makes room for one more item in a list that usually stays short (a call's participants, a
/// finding's evidence or IDs): its first four items are given room one at a time, where a plain
/// push reserves room for four at once. Hundreds of thousands of such lists live until the end
/// of a large run.
pub fn reserve_snug<T>(list: &mut Vec<T>) {
    if list.len() == list.capacity() && list.len() < 4 {
        list.reserve_exact(1);
    }
}

/// Asks the processor to bring the memory at `at` into its caches ahead of use, so that the
/// wait overlaps other work (on x86_64; elsewhere it does nothing). For walking many entities
/// whose memory has long left the cache, a few items ahead.
#[inline(always)]
pub fn prefetch<T>(at: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint: it never faults and changes nothing the program can
    // see, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(at.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

/// Pushes onto a list that usually stays short (see [`reserve_snug`]).
pub fn push_snug<T>(list: &mut Vec<T>, item: T) {
    reserve_snug(list);
    list.push(item);
}

/// Every spelling of `word` in ASCII upper and lower case, 2 to the power of its length of
/// them: what tests of case-blind matching try.
#[cfg(test)]
pub(crate) fn case_spellings(word: &str) -> Vec<String> {
    let bytes = word.as_bytes();
    (0..1u32 << bytes.len())
        .map(|mask| {
            let spelled = bytes.iter().enumerate().map(|(i, &b)| {
                if mask & (1 << i) != 0 {
                    b.to_ascii_uppercase()
                } else {
                    b.to_ascii_lowercase()
                }
            });
            String::from_utf8(spelled.collect()).expect("ASCII stays UTF-8")
        })
        .collect()
}

/// Runs `f` on `text` in ASCII lower case. Names looked up for every record (categories) are
/// short: one that fits is lower-cased on the stack rather than into a new `String`.
pub fn with_ascii_lowercase<R>(text: &str, f: impl FnOnce(&[u8]) -> R) -> R {
    let mut buf = [0u8; 64];
    match buf.get_mut(..text.len()) {
        Some(lower) => {
            // Lowered as it is copied: copying first and lowering the copy in place read the
            // bytes back in wide loads from narrower stores still on their way to the cache,
            // and the profile showed half of the rules' per-record time waiting on that.
            for (to, from) in lower.iter_mut().zip(text.bytes()) {
                *to = from.to_ascii_lowercase();
            }
            f(lower)
        }
        None => f(text.to_ascii_lowercase().as_bytes()),
    }
}

/// Every data file built into the binary, by its path in the repository: what a run judged by
/// (support bundles list them with their hashes).
pub fn bundled_data() -> Vec<(String, &'static str)> {
    let mut files: Vec<(String, &'static str)> = rules::BUNDLED
        .iter()
        .map(|(name, text)| ((*name).to_owned(), *text))
        .collect();
    for c in catalog::registered() {
        files.push((format!("rules/catalog/{}", c.file), c.bundled));
    }
    for s in settings::sections() {
        files.push((s.file.to_owned(), s.bundled));
    }
    files.push((
        "rules/categories.toml".to_owned(),
        classify::BUNDLED_CATEGORIES,
    ));
    files.push(("rules/fields.toml".to_owned(), rules::vocab::BUNDLED_FIELDS));
    files.push(("rules/secrets.toml".to_owned(), secrets::BUNDLED_SECRETS));
    files.push((
        "rules/duplicates.toml".to_owned(),
        dedup::BUNDLED_DUPLICATES,
    ));
    files.push((
        "rules/log-analytics-tables.json".to_owned(),
        dedup::BUNDLED_TABLES,
    ));
    files.sort();
    files
}
