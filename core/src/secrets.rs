//! Secrets in logs: found while the logs are read (so a finding can name the file and line), and
//! removed from everything acs-triage prints ([`crate::redact`]).
//!
//! The patterns are data (`rules/secrets.toml`). A line is only run through the regular
//! expressions when it contains one of their literal needles, found with one Aho-Corasick pass,
//! so scanning costs little more than reading.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

use crate::analyzer::{Analysis, Context, Output};
use crate::finding::{Evidence, Occurrences};
use crate::ingest::FileReport;
use crate::record::{FileId, Origin, Record};
use regex::Regex;
use serde::{Deserialize, Serialize};

pub const BUNDLED_SECRETS: &str = include_str!("../../rules/secrets.toml");

/// One kind of secret.
#[derive(Debug)]
pub struct SecretPattern {
    pub id: String,
    /// How a finding names it: "an access key".
    pub label: String,
    /// Reusable by whoever reads the logs (reported), or only private (redacted only).
    pub live: bool,
    /// What to do when it is found in logs.
    pub action: String,
    regex: Regex,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternFile {
    secret: Vec<PatternEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternEntry {
    id: String,
    label: String,
    needles: Vec<String>,
    pattern: String,
    live: bool,
    action: String,
}

/// A secret found in a line: which kind, and where in the line.
#[derive(Debug, Clone)]
pub struct Hit<'p> {
    pub pattern: &'p SecretPattern,
    pub start: usize,
    pub end: usize,
}

/// The secret patterns with their prefilters.
#[derive(Debug)]
pub struct Secrets {
    patterns: Vec<SecretPattern>,
    /// Needles of the live patterns in lower case, searched in a folded copy ([`folded`]) or,
    /// when a needle has a byte folding would change, a lower-cased one ([`lowered`]): for
    /// scanning inputs.
    live_needles: AhoCorasick,
    /// Needles of every pattern in lower case, searched in a lower-cased copy: for redacting
    /// output.
    all_needles: AhoCorasick,
    /// The longest live needle or `\u` escape, in bytes: how far a suspect found past the end
    /// of a searched stretch can reach back into it ([`Secrets::clean_prefix`]).
    longest_suspect: usize,
    /// True when every byte of the live needles has bit 5 set (letters in lower case, digits,
    /// `=`, `-`, ...): then a [`folded`] copy holds a needle wherever a lowered copy does, and
    /// the cheaper fold is searched. A needle with `_` or `@` needs the lowered copy.
    needles_fold: bool,
}

/// The most [`Secrets::clean_prefix`] searches at once. Each stretch is copied (folded) before
/// it is searched: a stretch this size stays in the processor's nearest caches while both
/// happen, where copying a whole megabyte buffer first sent the copy out to memory and read it
/// back.
const MAX_STRETCH: usize = 32 << 10;

/// The needle as the prefilter searches it: in lower case, since the prefilter looks at a
/// lower-cased copy of each line. A needle written with a capital letter (`eyJ`) matches exactly
/// as written; the prefilter finds it in any case, and the pattern then decides.
fn prefilter_needle(needle: &str) -> String {
    needle.to_ascii_lowercase()
}

/// Runs `f` on `text` in ASCII lower case: needles are searched in lower case in a lower-cased
/// copy, which keeps the SIMD (Teddy) searcher on its fast path. (Searching every case spelling
/// of the needles instead made scanning five times slower.) The copy is kept per thread, and
/// freed when it grew large.
pub fn lowered<R>(text: &[u8], f: impl FnOnce(&[u8]) -> R) -> R {
    mapped(text, |b| b.to_ascii_lowercase(), |copy, _| f(copy))
}

/// Runs `f` on `text` with bit 5 (0x20) set in every byte: the letters in lower case, like
/// [`lowered`], for less work. Other bytes change too (`@` becomes a backquote, a control byte
/// 0x1D an `=`), so a needle of letters, digits and `=` is found wherever it is in any case,
/// and now and then where it is not: good for a prefilter, whose false alarms only cost a
/// closer look. `f` is also told whether `text` holds a backslash (see [`mapped`]).
fn folded<R>(text: &[u8], f: impl FnOnce(&[u8], bool) -> R) -> R {
    mapped(text, |b| b | 0x20, f)
}

/// Runs `f` on a copy of `text` with every byte mapped (kept per thread, freed when it grew
/// large), and on whether `text` holds a backslash (noted as the copy is made: a `\u` escape
/// is then looked for only where one can be).
#[inline(always)]
fn mapped<R>(text: &[u8], map: impl Fn(u8) -> u8, f: impl FnOnce(&[u8], bool) -> R) -> R {
    thread_local! {
        static COPY: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    COPY.with(|cell| match cell.try_borrow_mut() {
        Ok(mut copy) => {
            let backslash = fill_mapped(&mut copy, text, &map);
            let result = f(&copy, backslash);
            if copy.capacity() > 4 << 20 {
                *copy = Vec::new();
            }
            result
        }
        // Called from inside `f`: a copy of its own.
        Err(_) => {
            let mut copy = Vec::new();
            let backslash = fill_mapped(&mut copy, text, &map);
            f(&copy, backslash)
        }
    })
}

/// Makes `copy` `text` mapped byte by byte; true when `text` holds a backslash. One pass over
/// the bytes for both (a vectorized loop); the copy is only zeroed where it grows.
#[inline(always)]
fn fill_mapped(copy: &mut Vec<u8>, text: &[u8], map: impl Fn(u8) -> u8) -> bool {
    if copy.len() < text.len() {
        copy.resize(text.len(), 0);
    } else {
        copy.truncate(text.len());
    }
    let mut backslash = false;
    for (to, &from) in copy.iter_mut().zip(text) {
        *to = map(from);
        backslash |= from == b'\\';
    }
    backslash
}

/// A problem with the pattern file.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("rules/secrets.toml: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("rules/secrets.toml: pattern `{id}`: {message}")]
    Pattern { id: String, message: String },
}

/// Values loggers already put in place of a secret.
fn is_placeholder(value: &str) -> bool {
    let v = value.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '*');
    v.eq_ignore_ascii_case("redacted") || v.chars().all(|c| c == '*')
}

impl Secrets {
    /// The bundled patterns (validated by tests, so a failure here is a build defect).
    pub fn bundled() -> &'static Secrets {
        static PATTERNS: OnceLock<Secrets> = OnceLock::new();
        PATTERNS.get_or_init(|| {
            Secrets::parse(BUNDLED_SECRETS).expect("the bundled rules/secrets.toml is valid")
        })
    }

    pub fn parse(text: &str) -> Result<Secrets, SecretsError> {
        let file: PatternFile = toml::from_str(text)?;
        let mut patterns = Vec::new();
        let mut live_needles = Vec::new();
        let mut all_needles = Vec::new();
        for entry in file.secret {
            let regex = Regex::new(&entry.pattern).map_err(|e| SecretsError::Pattern {
                id: entry.id.clone(),
                message: e.to_string(),
            })?;
            if regex.capture_names().all(|n| n != Some("secret")) {
                return Err(SecretsError::Pattern {
                    id: entry.id,
                    message: "has no (?P<secret>...) group".to_owned(),
                });
            }
            for needle in &entry.needles {
                if needle.is_empty() {
                    return Err(SecretsError::Pattern {
                        id: entry.id,
                        message: "has an empty needle".to_owned(),
                    });
                }
                if entry.live {
                    live_needles.push(prefilter_needle(needle));
                }
                all_needles.push(prefilter_needle(needle));
            }
            patterns.push(SecretPattern {
                id: entry.id,
                label: entry.label,
                live: entry.live,
                action: entry.action,
                regex,
            });
        }
        live_needles.sort();
        live_needles.dedup();
        all_needles.sort();
        all_needles.dedup();
        // Lower-case needles, searched in a lower-cased copy (see `lowered`).
        let build = |needles: &[String]| {
            // Leftmost-first lets the builder use its SIMD (Teddy) searcher for the needles.
            AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                .build(needles)
                .map_err(|e| SecretsError::Pattern {
                    id: "needles".to_owned(),
                    message: e.to_string(),
                })
        };
        let longest_suspect = live_needles.iter().map(String::len).fold(2, usize::max);
        let needles_fold = live_needles
            .iter()
            .all(|n| n.bytes().all(|b| b | 0x20 == b));
        Ok(Secrets {
            longest_suspect,
            needles_fold,
            live_needles: build(&live_needles)?,
            all_needles: build(&all_needles)?,
            patterns,
        })
    }

    pub fn patterns(&self) -> &[SecretPattern] {
        &self.patterns
    }

    /// True when the text holds a needle of a live pattern, in any case (the cheap first step of
    /// scanning inputs): the needles are lower case, searched in a lower-cased copy (kept per
    /// thread, freed when it grew large).
    pub fn may_contain_live(&self, text: &[u8]) -> bool {
        lowered(text, |lower| self.live_needles.is_match(lower))
    }

    /// Where the first needle of a live pattern (in any case), or a `\u` escape (which could
    /// spell one), starts in `text`: everything before it holds no live secret. `None` when
    /// neither occurs.
    fn first_suspect(&self, text: &[u8]) -> Option<usize> {
        // Folded rather than lowered when that finds the same needles (see `needles_fold`).
        let find = |copy: &[u8], backslash: bool| {
            (self.live_needles.find(copy).map(|m| m.start()), backslash)
        };
        let (needle, backslash) = if self.needles_fold {
            folded(text, find)
        } else {
            mapped(text, |b| b.to_ascii_lowercase(), find)
        };
        // Most logs hold no backslash at all: the search for an escape (1.4 % of a run in the
        // profile) is left out where the copy found none.
        let escape = if backslash {
            memchr::memmem::find(text, b"\\u")
        } else {
            None
        };
        match (escape, needle) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// How many bytes at the start of `region` are known to hold no live needle (in any case)
    /// and no `\u` escape: up to the first such suspect, or all of `region` when there is none.
    /// Run over a buffer of lines, it spares the line-by-line scan of the lines before that.
    ///
    /// The search looks at `at_least` bytes first and twice as many each time it finds
    /// nothing (up to [`MAX_STRETCH`] at a time), so it reads about twice the distance to the
    /// first suspect, never the whole buffer for one: in a log where every line holds a needle
    /// (`monkey`, a base64 blob with `eyJ`), searching to the end of the buffer again for each
    /// line made reading it eleven times slower.
    pub fn clean_prefix(&self, region: &[u8], at_least: usize) -> usize {
        // A suspect starting in the last `reach` bytes of a stretch may end past it, so those
        // bytes are searched again with the next stretch.
        let reach = self.longest_suspect - 1;
        let mut clean = 0;
        let mut stretch = at_least.clamp(64, MAX_STRETCH);
        loop {
            let end = region.len().min(clean + stretch + reach);
            let found = self.first_suspect(&region[clean..end]).map(|at| clean + at);
            if end == region.len() {
                return found.unwrap_or(end);
            }
            // Every suspect starting before `settled` lies wholly in the stretch, so the first
            // one found there is the first in `region`; one found later may not be.
            let settled = end - reach;
            if let Some(at) = found.filter(|&at| at < settled) {
                return at;
            }
            clean = settled;
            stretch = stretch.saturating_mul(2).min(MAX_STRETCH);
        }
    }

    /// Where in `lower` (a text in ASCII lower case, see [`lowered`]) a needle of some pattern
    /// starts, in order: [`Secrets::find`] finds nothing in a line none of these fall in. A
    /// needle holds no line break, so a line's needles are found whether the line is searched
    /// alone or with others.
    pub fn needle_starts<'t>(&'t self, lower: &'t [u8]) -> impl Iterator<Item = usize> + 't {
        self.all_needles.find_iter(lower).map(|m| m.start())
    }

    /// The secrets in `text`, in order, none overlapping (where patterns overlap, the first in
    /// the file wins).
    pub fn find<'s>(&'s self, text: &str) -> Vec<Hit<'s>> {
        if !lowered(text.as_bytes(), |lower| self.all_needles.is_match(lower)) {
            return Vec::new();
        }
        // Sorted by start and none overlapping; each pattern's hits are checked against the
        // earlier patterns' by a binary search (a text with thousands of signed URLs would
        // otherwise compare each hit with every other), then sorted in.
        let mut hits: Vec<Hit<'s>> = Vec::new();
        for pattern in &self.patterns {
            let earlier = hits.len();
            for caps in pattern.regex.captures_iter(text) {
                let Some(secret) = caps.name("secret") else {
                    continue;
                };
                if is_placeholder(secret.as_str()) {
                    continue;
                }
                let (start, end) = (secret.start(), secret.end());
                // The earlier hit that starts last before this one ends is the only one that
                // can overlap it: their ends are in order too.
                let before_end = hits[..earlier].partition_point(|h| h.start < end);
                if before_end > 0 && hits[before_end - 1].end > start {
                    continue;
                }
                hits.push(Hit {
                    pattern,
                    start,
                    end,
                });
            }
            if hits.len() > earlier {
                hits.sort_by_key(|h| h.start);
            }
        }
        hits
    }
}

/// A secret seen in an input: its kind and line, never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sighting {
    /// Pattern ID (`acs-connection-string`).
    pub kind: String,
    pub line: u64,
}

/// Secret sightings of one file, counted beyond the ones listed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Sightings {
    pub listed: Vec<Sighting>,
    pub not_listed: u64,
}

impl Sightings {
    /// Lines listed per file.
    const LIMIT: usize = 50;

    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// Takes in the sightings of a later part of the same file (a piece read apart).
    pub fn absorb(&mut self, later: Sightings) {
        for sighting in later.listed {
            if self.listed.len() < Self::LIMIT {
                self.listed.push(sighting);
            } else {
                self.not_listed += 1;
            }
        }
        self.not_listed += later.not_listed;
    }

    /// Looks at one piece of input that starts at `line` (it may span several lines). JSON
    /// `\uXXXX` escapes are undone first, so an escaped spelling hides nothing.
    pub fn scan(&mut self, secrets: &Secrets, bytes: &[u8], line: u64) {
        let unescaped;
        let bytes = if memchr::memmem::find(bytes, b"\\u").is_some() {
            unescaped = unescape_json_unicode(bytes);
            &unescaped[..]
        } else {
            bytes
        };
        if !secrets.may_contain_live(bytes) {
            return;
        }
        // Valid text is borrowed: the lossy conversion checks byte by byte, which cost as much
        // as the search itself in a log with a needle on every line.
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        };
        // Hits come in order: the line breaks are counted from the last hit on, not from the
        // start of the piece for each.
        let (mut counted_to, mut at) = (0, line);
        for hit in secrets.find(&text) {
            if !hit.pattern.live {
                continue;
            }
            at +=
                memchr::memchr_iter(b'\n', &text.as_bytes()[counted_to..hit.start]).count() as u64;
            counted_to = hit.start;
            let sighting = Sighting {
                kind: hit.pattern.id.clone(),
                line: at,
            };
            if self.listed.contains(&sighting) {
                continue;
            }
            if self.listed.len() < Self::LIMIT {
                self.listed.push(sighting);
            } else {
                self.not_listed += 1;
            }
        }
    }
}

/// `\uXXXX` escapes decoded (surrogate pairs too); everything else is left as it is. Line
/// breaks written as `\u000a` stay escaped, so line numbers keep their meaning.
fn unescape_json_unicode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let hex = |s: &[u8]| {
        std::str::from_utf8(s)
            .ok()
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && bytes.get(i + 1) == Some(&b'u')
            && i + 6 <= bytes.len()
            && let Some(unit) = hex(&bytes[i + 2..i + 6])
        {
            let mut ch = char::from_u32(unit);
            let mut used = 6;
            if (0xD800..0xDC00).contains(&unit)
                && bytes.get(i + 6) == Some(&b'\\')
                && bytes.get(i + 7) == Some(&b'u')
                && i + 12 <= bytes.len()
                && let Some(low) =
                    hex(&bytes[i + 8..i + 12]).filter(|l| (0xDC00..0xE000).contains(l))
            {
                ch = char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
                used = 12;
            }
            if let Some(c) = ch.filter(|c| *c != '\n' && *c != '\r') {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += used;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

crate::finding_kinds! {
    /// A live secret (an access key, a connection string, a token, a signature, a password)
    /// is written in a log file.
    ///
    /// Anyone who gets the logs can use it: logs travel to colleagues, tickets and storage
    /// accounts with wider access than the key itself. The finding names the file and lines,
    /// never the value (every output of acs-triage is redacted). What to do depends on the
    /// kind: regenerate an access key, revoke a token or SAS, change a password; then stop the
    /// application from logging it (configuration dumps, exception messages, HTTP headers).
    ///
    /// The patterns are data: `rules/secrets.toml`, each with its source.
    pub SECRET_IN_LOGS = ("security/secret-in-logs", Error, "A secret is written in the logs");
}

crate::declare_analyzer! {
    /// `security/secrets`: live secrets written in the inputs, one finding per file and kind.
    /// The lines were noted while the file was read ([`Sightings`]); the values are never kept.
    pub static SECRETS_IN_LOGS: SecretsPass = {
        id: "security/secrets",
        title: "Secrets written in the logs",
        families: &[],
        findings: &[&SECRET_IN_LOGS],
        tables: &[],
    };
}

#[derive(Default)]
pub struct SecretsPass {
    files: Vec<(FileId, String, Sightings)>,
}

impl Analysis for SecretsPass {
    fn start(_ctx: &Context) -> Self {
        SecretsPass::default()
    }

    fn observe(&mut self, _ctx: &Context, _record: &Record<'_>) {}

    fn file_read(&mut self, _ctx: &Context, file: FileId, report: &FileReport) {
        if !report.secrets.is_empty() {
            self.files
                .push((file, report.path.clone(), report.secrets.clone()));
        }
    }

    fn merge(&mut self, other: Self) {
        self.files.extend(other.files);
    }

    fn finish(self, _ctx: &Context, out: &mut Output) {
        let secrets = Secrets::bundled();
        let mut pieces = self.files;
        // A file read in pieces reported each apart: its sightings join in line order.
        pieces.sort_by_key(|(file, _, s)| (*file, s.listed.first().map(|s| s.line)));
        let mut files: Vec<(FileId, String, Sightings)> = Vec::new();
        for (file, path, sightings) in pieces {
            match files.last_mut() {
                Some(last) if last.0 == file => last.2.absorb(sightings),
                _ => files.push((file, path, sightings)),
            }
        }
        for (file, path, sightings) in files {
            for pattern in secrets.patterns().iter().filter(|p| p.live) {
                let lines: Vec<u64> = sightings
                    .listed
                    .iter()
                    .filter(|s| s.kind == pattern.id)
                    .map(|s| s.line)
                    .collect();
                if lines.is_empty() {
                    continue;
                }
                let mut occ = Occurrences::default();
                for &line in &lines {
                    occ.add(Evidence {
                        origin: Origin {
                            file,
                            line,
                            index: None,
                        },
                        time: None,
                        excerpt: format!("{} (value not shown)", pattern.label).into(),
                    });
                }
                let shown: Vec<String> = lines.iter().take(10).map(u64::to_string).collect();
                let more = if lines.len() > shown.len() || sightings.not_listed > 0 {
                    " and more"
                } else {
                    ""
                };
                out.push(
                    SECRET_IN_LOGS
                        .finding()
                        .title(format!("Secret in the logs: {}", pattern.label))
                        .message(format!(
                        "{path} holds {} at line{} {}{more}. Anyone who gets these logs can use \
                         it; acs-triage never prints it (outputs are redacted).",
                        pattern.label,
                        if lines.len() == 1 { "" } else { "s" },
                        shown.join(", ")
                    ))
                    .action(pattern.action.clone())
                    .source("rules/secrets.toml")
                    .occurrences(occ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mcmVkcGx1Z2g=";

    fn kinds(text: &str) -> Vec<String> {
        Secrets::bundled()
            .find(text)
            .into_iter()
            .map(|h| h.pattern.id.clone())
            .collect()
    }

    #[test]
    fn each_kind_is_found_and_placeholders_are_not() {
        assert_eq!(
            kinds(&format!(
                "endpoint=https://contoso.communication.azure.com/;accesskey={KEY}"
            )),
            ["acs-connection-string"]
        );
        assert_eq!(kinds(&format!("\"primaryKey\": \"{KEY}\"")), ["access-key"]);
        assert_eq!(
            kinds("Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345"),
            ["bearer-token"]
        );
        assert_eq!(
            kinds("token=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4eXoifQ.c2lnbmF0dXJlLXZhbHVl"),
            ["jwt"]
        );
        assert_eq!(
            kinds("https://x.blob.core.windows.net/a.wav?sv=2024&sig=AbCdEfGhIjKlMnOpQrStUv%3D"),
            ["sas-signature"]
        );
        assert_eq!(
            kinds("Authorization:HMAC-SHA256 Credential=x&SignedHeaders=a;b&Signature=c2ln"),
            ["authorization-header"]
        );
        assert!(kinds("Authorization:REDACTED").is_empty());
        assert!(kinds("accesskey=REDACTED").is_empty());
        // IDs support needs are not secrets.
        assert!(kinds("correlationId=Kf2p8Yq1ZEmW3nR7sTt0dA.0 callId=c0ffee01-5d1b-4a7e-9c3a-1f0e2d3c4b5a serverCallId=aHR0cHM6Ly9hcGkuZmxpZ2h0cHJveHkuc2t5cGUuY29tL2FwaS92Mi9jcC9jb252").is_empty());
    }

    #[test]
    fn spellings_of_the_key_name_do_not_matter() {
        for text in [
            format!("ACS_ACCESS_KEY={KEY}"),
            format!("ACCOUNT_KEY={KEY}"),
            format!("primary_key={KEY}"),
            format!("AccessKEY={KEY}"),
            format!("access-key: {KEY}"),
            format!("Endpoint=https://x.communication.azure.com/;AccessKey={KEY}"),
        ] {
            let mut s = Sightings::default();
            s.scan(Secrets::bundled(), text.as_bytes(), 1);
            assert_eq!(s.listed.len(), 1, "{text}");
        }
        for text in [
            "DB_PASSWORD=hunter2hunter",
            "authorization=Bearer abcdefghijklmnopqrstu",
        ] {
            assert!(!kinds(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn escaped_secrets_are_seen() {
        let text = format!(r#"{{"conn":"endpoint=https://x/;accesskey\u003d{KEY}"}}"#);
        let mut s = Sightings::default();
        s.scan(Secrets::bundled(), text.as_bytes(), 3);
        assert_eq!(s.listed.len(), 1, "{text}");
        assert_eq!(
            unescape_json_unicode(br"a\u00e9\ud83d\ude00\u000a"),
            "a\u{e9}\u{1f600}\\u000a".as_bytes()
        );
    }

    #[test]
    fn the_prefilter_finds_needles_in_any_case_and_nothing_else() {
        let secrets = Secrets::bundled();
        for text in ["AccessKEY", "x-ms-PASSWORD", "EYJhbG", "Sig=abc"] {
            assert!(secrets.may_contain_live(text.as_bytes()), "{text}");
        }
        let clean = b"{\"category\":\"CallSummary\",\"callId\":\"c0ffee01\"}";
        assert!(!secrets.may_contain_live(clean));
        assert_eq!(secrets.first_suspect(clean), None);
        assert_eq!(secrets.first_suspect(b"{\"a\":\"x\\u0041\"}"), Some(7));
        assert_eq!(secrets.first_suspect(b"{\"a\":\"BeARer\"}"), Some(6));
        let empty = "[[secret]]\nid = \"x\"\nlabel = \"x\"\nneedles = [\"\"]\npattern = '(?P<secret>a)'\nlive = true\naction = \"x\"\n";
        assert!(Secrets::parse(empty).is_err());
    }

    /// Needles, parts of needles and escapes, put into filler text.
    const PIECES: &[&str] = &[
        "ke", "y", "KEY", "Si", "g=", "SIG=", "Bear", "pass", "\\", "u", "\\u", "eyJ", "pw", "d",
        "\n",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        /// However short the first stretch, the clean prefix ends where a search of the whole
        /// text finds the first suspect: no suspect is skipped where one stretch ends and the
        /// next begins.
        #[test]
        fn the_clean_prefix_ends_at_the_first_suspect(
            filler in 0usize..700,
            pieces in proptest::collection::vec((0..PIECES.len(), 0usize..700), 0..4),
            at_least in 0usize..100,
        ) {
            let mut text = "x".repeat(filler);
            for (piece, at) in pieces {
                text.insert_str(at.min(text.len()), PIECES[piece]);
            }
            let secrets = Secrets::bundled();
            let whole = secrets.first_suspect(text.as_bytes()).unwrap_or(text.len());
            proptest::prop_assert_eq!(secrets.clean_prefix(text.as_bytes(), at_least), whole);
        }
    }

    /// Past [`MAX_STRETCH`] the stretches stop growing (which only saves time: no result
    /// depends on it). A suspect just before, at and just after where each stretch of a long
    /// region ends is still the one found, for first stretches of several lengths, and a clean
    /// region is clean to its end.
    #[test]
    fn stretches_of_the_largest_size_find_the_first_suspect() {
        let secrets = Secrets::bundled();
        let reach = secrets.longest_suspect - 1;
        let len = 5 * MAX_STRETCH;
        let clean = "x".repeat(len);
        assert_eq!(secrets.clean_prefix(clean.as_bytes(), 0), len);
        for at_least in [0, 100, 2 * MAX_STRETCH] {
            // Where the stretches end, as `clean_prefix` lays them out.
            let mut ends = Vec::new();
            let (mut settled, mut stretch) = (0, at_least.clamp(64, MAX_STRETCH));
            while settled + stretch + reach < len {
                settled += stretch;
                ends.push(settled);
                stretch = (stretch * 2).min(MAX_STRETCH);
            }
            assert!(ends.len() >= 4, "{at_least}: {ends:?}");
            for at in ends
                .iter()
                .flat_map(|&end| [end - 3, end - 1, end, end + 1])
            {
                let mut text = clean.clone();
                text.insert_str(at, "BeArer");
                text.insert_str((at + 2000).min(text.len()), "key");
                let clean = secrets.clean_prefix(text.as_bytes(), at_least);
                assert_eq!(clean, at, "at {at}, first stretch {at_least}");
            }
        }
    }

    /// Each piece at every place in the first few stretches, with first stretches of several
    /// lengths: a needle cut by the end of a stretch is found by the next. The second set of
    /// needles has one inside another (`bc` in `abcd`): the shorter one found whole in a
    /// stretch is not the first when the longer one runs past its end.
    #[test]
    fn a_suspect_across_the_end_of_a_stretch_is_found() {
        let nested = Secrets::parse(
            "[[secret]]\nid = \"x\"\nlabel = \"x\"\nneedles = [\"abcd\", \"bc\"]\n\
             pattern = '(?P<secret>a)'\nlive = true\naction = \"x\"\n",
        )
        .unwrap();
        for (secrets, pieces) in [(Secrets::bundled(), PIECES), (&nested, &["abcd", "bc"][..])] {
            for piece in pieces {
                for at in 0..500 {
                    for at_least in [0, 63, 64, 65, 100] {
                        let mut text = "x".repeat(600);
                        text.insert_str(at, piece);
                        let whole = secrets.first_suspect(text.as_bytes()).unwrap_or(text.len());
                        let clean = secrets.clean_prefix(text.as_bytes(), at_least);
                        assert_eq!(clean, whole, "{piece:?} at {at}, first stretch {at_least}");
                    }
                }
            }
        }
    }

    /// In a buffer where every line holds a needle, the clean prefix ends at the first line's.
    #[test]
    fn a_needle_on_every_line_ends_the_clean_prefix_at_the_first() {
        let secrets = Secrets::bundled();
        let line = "{\"note\":\"monkey\"}\n";
        let text = line.repeat(10_000);
        let clean = secrets.clean_prefix(&text.as_bytes()[line.len()..], line.len());
        assert_eq!(clean, "{\"note\":\"mon".len());
    }

    /// A piece of many lines with many secrets, two patterns covering the same key on some:
    /// each secret is named once, by the first pattern, on its own line.
    #[test]
    fn many_secrets_in_one_piece_are_each_on_their_line() {
        let mut text = String::new();
        let mut want = Vec::new();
        for line in 0..3000u64 {
            match line % 3 {
                0 => {
                    text.push_str(&format!("endpoint=https://x/;accesskey={KEY}"));
                    want.push(("acs-connection-string", 7 + line));
                }
                1 => {
                    text.push_str(&format!("https://x/a.wav?sv=1&sig={KEY} and ?sig={KEY}"));
                    want.push(("sas-signature", 7 + line));
                }
                _ => text.push_str("nothing here"),
            }
            text.push('\n');
        }
        let mut s = Sightings::default();
        s.scan(Secrets::bundled(), text.as_bytes(), 7);
        let listed: Vec<(&str, u64)> = s.listed.iter().map(|x| (x.kind.as_str(), x.line)).collect();
        assert_eq!(listed, want[..Sightings::LIMIT]);
        // Past the list, every sighting counts, the second signature of a line too; on a
        // listed line (25 of the signature lines) it is the same sighting.
        assert_eq!(
            s.not_listed as usize,
            want.len() - Sightings::LIMIT + (1000 - 25)
        );
    }

    #[test]
    fn sightings_name_the_line_inside_a_multi_line_piece() {
        let mut s = Sightings::default();
        let text =
            format!("{{\n  \"a\": 1,\n  \"conn\": \"endpoint=https://x/;accesskey={KEY}\"\n}}");
        s.scan(Secrets::bundled(), text.as_bytes(), 10);
        assert_eq!(
            s.listed,
            [Sighting {
                kind: "acs-connection-string".to_owned(),
                line: 12
            }]
        );
    }

    /// The prefilter finds every live needle in every case spelling, at its place, whether it
    /// searches the folded copy (the bundled needles) or the lowered one (a needle with `_`,
    /// which folding would turn into another byte).
    #[test]
    fn the_prefilter_finds_needles_in_any_case() {
        let bundled = Secrets::bundled();
        assert!(bundled.needles_fold);
        for needle in ["key", "bear", "eyj", "sig=", "pass", "pwd"] {
            for spelled in crate::case_spellings(needle) {
                let text = format!("{{\"note\":\"x_@[ {spelled} tail");
                assert_eq!(bundled.first_suspect(text.as_bytes()), Some(14), "{text}");
            }
        }
        let underscored = Secrets::parse(
            r#"
            [[secret]]
            id = "api-key"
            label = "an API key"
            needles = ["api_key"]
            pattern = '(?i)api_key=(?P<secret>\w{8,})'
            live = true
            action = "Rotate it."
            "#,
        )
        .unwrap();
        assert!(!underscored.needles_fold);
        for spelled in crate::case_spellings("api_key") {
            let text = format!("abc {spelled}=0123456789");
            assert_eq!(
                underscored.first_suspect(text.as_bytes()),
                Some(4),
                "{text}"
            );
        }
        assert_eq!(underscored.first_suspect(b"abc api\x7fkey=1"), None);
    }
}
