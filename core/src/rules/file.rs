//! Loading rule files: TOML structure, conditions, thresholds, absence, messages and embedded
//! tests, with every problem located in the file.
//!
//! All problems of a file are collected before giving up, each with its byte span in the file
//! (conditions are mapped from their position inside the TOML string back to the file, escapes
//! and all), a message and a suggestion where one exists. A file with any problem yields no rule:
//! a rule is never dropped silently.

use std::ops::Range;
use std::sync::Arc;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::finding::Severity;
use crate::rules::eval::{Condition, FieldRef};
use crate::rules::syntax::{
    Expr, Operand, Piece, SyntaxError, Threshold, parse_duration, parse_expression, parse_template,
    parse_threshold,
};
use crate::rules::vocab::{Vocabulary, nearest};

/// One problem in a rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Byte range in the file.
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

/// A rule file that cannot be used, with everything wrong in it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{path}: {} problem{} in this rule file", problems.len(), if problems.len() == 1 { "" } else { "s" })]
pub struct RuleFileError {
    pub path: String,
    pub text: Arc<str>,
    pub problems: Vec<Problem>,
}

/// What the rule looks for.
#[derive(Debug, Clone)]
pub enum RuleKind {
    /// Every matching record (grouped by `group_by`, if any).
    Match,
    /// At least N matching records (in a window) per group.
    Threshold(Threshold),
    /// A matching record not followed, within a window, by a record with the same key that
    /// matches `followed_by`.
    Absence(Box<Absence>),
}

#[derive(Debug, Clone)]
pub struct Absence {
    pub followed_by: Condition,
    pub key: Vec<FieldRef>,
    /// Seconds.
    pub within: f64,
    pub within_text: String,
}

/// What a rule test expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The record matches `when`.
    Match,
    NoMatch,
    /// Running the whole rule over the records yields a finding.
    Finding,
    NoFinding,
}

/// A test embedded beside a rule.
#[derive(Debug, Clone)]
pub struct RuleTest {
    /// JSON records.
    pub records: Vec<String>,
    pub expect: Expect,
    /// 1-based line of the test in its file.
    pub line: usize,
}

/// A loaded, checked rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub when: Condition,
    pub group_by: Vec<FieldRef>,
    pub kind: RuleKind,
    pub message: Vec<Piece>,
    pub action: String,
    pub docs: Option<String>,
    pub description: Option<String>,
    /// Where the knowledge behind the rule comes from.
    pub reference: Option<String>,
    pub tests: Vec<RuleTest>,
    /// File the rule came from, as shown to users.
    pub file: String,
    /// 1-based line of the rule's `[[rule]]` header.
    pub line: usize,
}

const TOP_KEYS: [&str; 2] = ["rule", "fields"];
const RULE_KEYS: [&str; 14] = [
    "id",
    "title",
    "severity",
    "when",
    "message",
    "action",
    "docs",
    "description",
    "reference",
    "group_by",
    "threshold",
    "absence",
    "test",
    "enabled",
];
const ABSENCE_KEYS: [&str; 3] = ["followed_by", "key", "within"];
const TEST_KEYS: [&str; 3] = ["record", "records", "expect"];
const EXPECTS: [&str; 4] = ["match", "no-match", "finding", "no-finding"];
/// Placeholders every message may use.
const VARIABLES: [&str; 6] = ["count", "first", "last", "rule", "within", "time"];

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Maps byte offsets inside a TOML string's content to offsets in the file.
struct StringMap {
    /// File offset of each content byte (plus one past the end).
    offsets: Vec<usize>,
}

impl StringMap {
    fn new(file: &str, span: Range<usize>) -> StringMap {
        let raw = &file[span.clone()];
        let base = span.start;
        let mut offsets = Vec::new();
        let (quote, literal) = if raw.starts_with("'''") {
            ("'''", true)
        } else if raw.starts_with("\"\"\"") {
            ("\"\"\"", false)
        } else if raw.starts_with('\'') {
            ("'", true)
        } else if raw.starts_with('"') {
            ("\"", false)
        } else {
            // Not a string token: map everything to its start.
            return StringMap {
                offsets: vec![base],
            };
        };
        let mut i = quote.len();
        // A newline right after an opening triple quote is not part of the content.
        if quote.len() == 3 {
            if raw[i..].starts_with("\r\n") {
                i += 2;
            } else if raw[i..].starts_with('\n') {
                i += 1;
            }
        }
        let end = raw.len().saturating_sub(quote.len()).max(i);
        let bytes = raw.as_bytes();
        while i < end {
            if !literal && bytes[i] == b'\\' && i + 1 < end {
                let esc = bytes[i + 1];
                let (decoded_len, raw_len) = match esc {
                    b'u' => (char_len_of_hex(&raw[i + 2..(i + 6).min(end)]), 6),
                    b'U' => (char_len_of_hex(&raw[i + 2..(i + 10).min(end)]), 10),
                    b'\n' | b'\r' | b' ' | b'\t' => {
                        // Line-ending backslash: skips the newline and leading whitespace.
                        let mut j = i + 1;
                        while j < end && bytes[j].is_ascii_whitespace() {
                            j += 1;
                        }
                        (0, j - i)
                    }
                    _ => (1, 2),
                };
                for _ in 0..decoded_len {
                    offsets.push(base + i);
                }
                i += raw_len;
            } else {
                offsets.push(base + i);
                i += 1;
            }
        }
        offsets.push(base + i.min(raw.len()));
        StringMap { offsets }
    }

    /// Maps a content range to a file range that starts and ends on character boundaries and
    /// covers at least one character.
    fn map(&self, r: &Range<usize>, file: &str) -> Range<usize> {
        let at = |i: usize| {
            self.offsets
                .get(i)
                .or(self.offsets.last())
                .copied()
                .unwrap_or(0)
        };
        let start = floor_boundary(file, at(r.start));
        let mut end = at(r.end).max(start + 1).min(file.len());
        while end < file.len() && !file.is_char_boundary(end) {
            end += 1;
        }
        start..end.max(start)
    }
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn char_len_of_hex(hex: &str) -> usize {
    u32::from_str_radix(hex, 16)
        .ok()
        .and_then(char::from_u32)
        .map_or(1, char::len_utf8)
}

/// Collects problems while a file is checked.
struct Checker<'t> {
    text: &'t str,
    problems: Vec<Problem>,
    vocab: Vocabulary,
}

impl Checker<'_> {
    fn problem(&mut self, span: Range<usize>, message: impl Into<String>, help: Option<String>) {
        self.problems.push(Problem {
            span,
            message: message.into(),
            help,
        });
    }

    fn unknown_keys(&mut self, table: &DeTable<'_>, allowed: &[&str], what: &str) {
        for (key, _) in table.iter() {
            let name = key.get_ref().as_ref();
            if !allowed.contains(&name) {
                let help = match nearest(name, allowed.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    // Keys of a rule's sub-tables written at the rule's level.
                    None if allowed.contains(&"absence")
                        && ["followed_by", "within", "key"].contains(&name) =>
                    {
                        format!(
                            "`{name}` belongs to an absence rule's own table: [rule.absence] with followed_by, within and key (docs/rules.md, \"Absence rules\")"
                        )
                    }
                    None => format!("{what} keys: {}", allowed.join(", ")),
                };
                self.problem(
                    key.span(),
                    format!("unknown key `{name}` in {what}"),
                    Some(help),
                );
            }
        }
    }

    fn string<'v>(
        &mut self,
        table: &'v DeTable<'_>,
        key: &str,
        required_at: Option<Range<usize>>,
    ) -> Option<(&'v str, Range<usize>)> {
        match table.get(key) {
            Some(v) => match v.get_ref() {
                DeValue::String(s) => Some((s.as_ref(), v.span())),
                _ => {
                    self.problem(v.span(), format!("`{key}` must be a string"), None);
                    None
                }
            },
            None => {
                if let Some(span) = required_at {
                    self.problem(
                        span,
                        format!("missing `{key}`"),
                        Some(format!("every rule needs `{key}`")),
                    );
                }
                None
            }
        }
    }

    fn string_list(&mut self, table: &DeTable<'_>, key: &str) -> Vec<(String, Range<usize>)> {
        let Some(v) = table.get(key) else {
            return Vec::new();
        };
        match v.get_ref() {
            DeValue::Array(items) => {
                let mut out = Vec::new();
                for item in items.iter() {
                    match item.get_ref() {
                        DeValue::String(s) => out.push((s.to_string(), item.span())),
                        _ => self.problem(item.span(), format!("`{key}` holds strings"), None),
                    }
                }
                out
            }
            // A single string is accepted for a one-element list.
            DeValue::String(s) => vec![(s.to_string(), v.span())],
            _ => {
                self.problem(v.span(), format!("`{key}` must be a list of strings"), None);
                Vec::new()
            }
        }
    }

    fn syntax_errors(&mut self, map: &StringMap, errors: Vec<SyntaxError>) {
        for e in errors {
            self.problem(map.map(&e.span, self.text), e.message, e.help);
        }
    }

    /// Checks field names of a parsed condition against the vocabulary.
    fn fields(&mut self, expr: &Expr, map: &StringMap) {
        for path in expr.paths() {
            self.field_name(
                path.head().unwrap_or_default(),
                map.map(&path.span, self.text),
            );
        }
    }

    fn field_name(&mut self, head: &str, span: Range<usize>) {
        if head.is_empty() || self.vocab.contains(head) {
            return;
        }
        let help = match self.vocab.suggest(head) {
            Some(s) => format!("did you mean `{s}`?"),
            None => {
                "if this field is real, list it in `fields = [...]` at the top of the rule file"
                    .to_owned()
            }
        };
        self.problem(span, format!("unknown field `{head}`"), Some(help));
    }

    /// Parses a condition string value.
    fn condition(&mut self, text: &str, span: Range<usize>) -> Option<Condition> {
        let map = StringMap::new(self.text, span);
        let (expr, errors) = parse_expression(text);
        let clean = errors.is_empty();
        self.syntax_errors(&map, errors);
        self.fields(&expr, &map);
        clean.then(|| Condition::compile(&expr, text))
    }

    /// Parses a field list (`group_by`, absence `key`).
    fn field_list(&mut self, items: Vec<(String, Range<usize>)>) -> Vec<FieldRef> {
        let mut out = Vec::new();
        for (text, span) in items {
            let map = StringMap::new(self.text, span.clone());
            let (expr, errors) = parse_expression(&text);
            match (&expr, errors.is_empty()) {
                (Expr::Truthy(Operand::Path(p)), true) => {
                    self.field_name(p.head().unwrap_or_default(), map.map(&p.span, self.text));
                    out.push(FieldRef::new(p));
                }
                _ => self.problem(
                    span,
                    format!("`{text}` is not a field name"),
                    Some("write field names such as UserId or properties.participantId".to_owned()),
                ),
            }
        }
        out
    }
}

/// Loads one rule file. `path` is how the file is named in messages.
pub fn load_rule_file(
    path: &str,
    text: &str,
    vocab: &Vocabulary,
) -> Result<Vec<Rule>, RuleFileError> {
    let fail = |problems: Vec<Problem>| RuleFileError {
        path: path.to_owned(),
        text: Arc::from(text),
        problems,
    };
    let doc = match DeTable::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            return Err(fail(vec![Problem {
                span,
                message: format!("invalid TOML: {}", e.message().trim()),
                help: None,
            }]));
        }
    };
    let mut c = Checker {
        text,
        problems: Vec::new(),
        vocab: vocab.clone(),
    };
    let top = doc.get_ref();
    c.unknown_keys(top, &TOP_KEYS, "a rule file");
    let declared = c.string_list(top, "fields");
    c.vocab.extend(declared.into_iter().map(|(n, _)| n));

    let mut rules = Vec::new();
    match top.get("rule") {
        None => c.problem(
            0..text.len().min(1),
            "no rules in this file",
            Some("add rules as [[rule]] tables".to_owned()),
        ),
        Some(v) => match v.get_ref() {
            DeValue::Array(items) => {
                for item in items.iter() {
                    match item.get_ref() {
                        DeValue::Table(t) => {
                            if let Some(rule) = load_rule(&mut c, t, item.span(), path) {
                                rules.push(rule);
                            }
                        }
                        _ => c.problem(item.span(), "each rule must be a [[rule]] table", None),
                    }
                }
            }
            _ => c.problem(
                v.span(),
                "`rule` must be a list of tables: write each rule under [[rule]]",
                None,
            ),
        },
    }

    // Duplicate IDs inside the file.
    let mut seen: Vec<(&str, usize)> = Vec::new();
    let mut duplicates = Vec::new();
    for rule in &rules {
        if let Some((_, line)) = seen.iter().find(|(id, _)| *id == rule.id) {
            duplicates.push((rule.line, rule.id.clone(), *line));
        } else {
            seen.push((&rule.id, rule.line));
        }
    }
    for (line, id, first) in duplicates {
        let offset = text
            .split_inclusive('\n')
            .take(line - 1)
            .map(str::len)
            .sum::<usize>();
        c.problem(
            offset..offset + 1,
            format!("rule id `{id}` is used twice"),
            Some(format!(
                "the first is at line {first}; rule ids must be unique"
            )),
        );
    }

    if c.problems.is_empty() {
        Ok(rules)
    } else {
        let mut problems = c.problems;
        problems.sort_by_key(|p| (p.span.start, p.span.end));
        problems.dedup();
        Err(fail(problems))
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn load_rule(c: &mut Checker<'_>, t: &DeTable<'_>, span: Range<usize>, path: &str) -> Option<Rule> {
    let header = span.start..(span.start + 1).min(c.text.len());
    let start_problems = c.problems.len();
    c.unknown_keys(t, &RULE_KEYS, "a rule");

    let id = c.string(t, "id", Some(header.clone()));
    if let Some((id, s)) = id.clone()
        && !valid_id(id)
    {
        c.problem(
            s,
            format!("rule id `{id}` may use letters, digits and - _ . / only"),
            None,
        );
    }
    let title = c.string(t, "title", Some(header.clone()));
    let severity = c
        .string(t, "severity", Some(header.clone()))
        .and_then(|(s, span)| {
            let parsed = Severity::parse(s);
            if parsed.is_none() {
                let help = nearest(s, ["info", "warning", "error"])
                    .map_or("use info, warning or error".to_owned(), |n| {
                        format!("did you mean `{n}`?")
                    });
                c.problem(span, format!("unknown severity `{s}`"), Some(help));
            }
            parsed
        });
    let when = c
        .string(t, "when", Some(header.clone()))
        .and_then(|(text, span)| c.condition(text, span));
    let action = c.string(t, "action", Some(header.clone()));
    let docs = c.string(t, "docs", None).map(|(s, _)| s.to_owned());
    let description = c.string(t, "description", None).map(|(s, _)| s.to_owned());
    let reference = c.string(t, "reference", None).map(|(s, _)| s.to_owned());
    if let Some(v) = t.get("enabled")
        && !matches!(v.get_ref(), DeValue::Boolean(_))
    {
        c.problem(v.span(), "`enabled` must be true or false", None);
    }
    let enabled = !matches!(
        t.get("enabled").map(|v| v.get_ref()),
        Some(DeValue::Boolean(false))
    );
    let group_items = c.string_list(t, "group_by");
    let group_by = c.field_list(group_items);

    let threshold =
        c.string(t, "threshold", None)
            .and_then(|(text, span)| match parse_threshold(text) {
                Ok(th) => Some(th),
                Err(e) => {
                    let map = StringMap::new(c.text, span);
                    c.syntax_errors(&map, vec![e]);
                    None
                }
            });
    let absence = t.get("absence").and_then(|v| match v.get_ref() {
        DeValue::Table(a) => load_absence(c, a, v.span()),
        _ => {
            c.problem(v.span(), "`absence` must be a table: [rule.absence]", None);
            None
        }
    });
    if t.get("threshold").is_some() && t.get("absence").is_some() {
        c.problem(
            header.clone(),
            "a rule has a `threshold` or an `absence`, not both",
            Some("split it into two rules".to_owned()),
        );
    }

    // Message placeholders: variables, group fields, absence keys, or (for rules that report
    // single records and absences) any known field of the record.
    let message = c
        .string(t, "message", Some(header.clone()))
        .and_then(|(text, span)| {
            let map = StringMap::new(c.text, span);
            match parse_template(text) {
                Ok(pieces) => Some((pieces, map)),
                Err(e) => {
                    c.syntax_errors(&map, vec![e]);
                    None
                }
            }
        });
    let message = message.map(|(pieces, map)| {
        let group_names: Vec<String> = group_by
            .iter()
            .map(|f| f.name.to_ascii_lowercase())
            .collect();
        let key_names: Vec<String> = absence
            .as_ref()
            .map(|a| a.key.iter().map(|f| f.name.to_ascii_lowercase()).collect())
            .unwrap_or_default();
        for piece in &pieces {
            let Piece::Var(name, span) = piece else {
                continue;
            };
            let lower = name.to_ascii_lowercase();
            if VARIABLES.contains(&lower.as_str())
                || group_names.contains(&lower)
                || key_names.contains(&lower)
            {
                continue;
            }
            let file_span = map.map(span, c.text);
            if threshold.is_some() {
                let mut options: Vec<&str> = VARIABLES[..3].to_vec();
                options.extend(group_by.iter().map(|f| f.name.as_str()));
                let help = match nearest(name, options.iter().copied()) {
                    Some(s) => format!("did you mean `{{{s}}}`?"),
                    None => format!("a threshold rule's message can use: {}", options.join(", ")),
                };
                c.problem(
                    file_span,
                    format!("unknown placeholder `{{{name}}}`"),
                    Some(help),
                );
            } else {
                let head = name.split(['.', '[']).next().unwrap_or(name);
                let head = match head.to_ascii_lowercase().as_str() {
                    "properties" | "data" => name.split('.').nth(1).unwrap_or(head),
                    _ => head,
                };
                if !c.vocab.contains(head) {
                    let help = c
                        .vocab
                        .suggest(head)
                        .map(|s| format!("did you mean `{{{s}}}`?"))
                        .or_else(|| {
                            nearest(name, VARIABLES).map(|s| format!("did you mean `{{{s}}}`?"))
                        });
                    c.problem(file_span, format!("unknown placeholder `{{{name}}}`"), help);
                }
            }
        }
        pieces
    });

    let tests = load_tests(c, t);

    if c.problems.len() > start_problems || !enabled {
        return None;
    }
    let kind = match (threshold, absence) {
        (Some(th), None) => RuleKind::Threshold(th),
        (None, Some(a)) => RuleKind::Absence(Box::new(a)),
        _ => RuleKind::Match,
    };
    Some(Rule {
        id: id?.0.to_owned(),
        title: title?.0.to_owned(),
        severity: severity?,
        when: when?,
        group_by,
        kind,
        message: message?,
        action: action?.0.to_owned(),
        docs,
        description,
        reference,
        tests,
        file: path.to_owned(),
        line: line_of(c.text, span.start),
    })
}

fn load_absence(c: &mut Checker<'_>, a: &DeTable<'_>, span: Range<usize>) -> Option<Absence> {
    c.unknown_keys(a, &ABSENCE_KEYS, "an absence");
    let at = span.start..span.start + 1;
    let followed_by = c
        .string(a, "followed_by", Some(at.clone()))
        .and_then(|(text, span)| c.condition(text, span));
    let key_items = c.string_list(a, "key");
    if key_items.is_empty() {
        c.problem(
            at.clone(),
            "missing `key`",
            Some("name the field(s) that join the two records: key = [\"messageId\"]".to_owned()),
        );
    }
    let key = c.field_list(key_items);
    let within =
        c.string(a, "within", Some(at))
            .and_then(|(text, span)| match parse_duration(text) {
                Ok(secs) => Some((secs, text.to_owned())),
                Err(e) => {
                    let map = StringMap::new(c.text, span);
                    c.syntax_errors(&map, vec![e]);
                    None
                }
            });
    let (within, within_text) = within?;
    Some(Absence {
        followed_by: followed_by?,
        key,
        within,
        within_text,
    })
}

fn load_tests(c: &mut Checker<'_>, t: &DeTable<'_>) -> Vec<RuleTest> {
    let Some(v) = t.get("test") else {
        return Vec::new();
    };
    let DeValue::Array(items) = v.get_ref() else {
        c.problem(v.span(), "tests go in [[rule.test]] tables", None);
        return Vec::new();
    };
    let mut tests = Vec::new();
    for item in items.iter() {
        let DeValue::Table(tt) = item.get_ref() else {
            c.problem(item.span(), "tests go in [[rule.test]] tables", None);
            continue;
        };
        c.unknown_keys(tt, &TEST_KEYS, "a rule test");
        let at = item.span().start..item.span().start + 1;
        let mut records = Vec::new();
        let mut spans = Vec::new();
        if let Some((r, span)) = c.string(tt, "record", None) {
            records.push(r.to_owned());
            spans.push(span);
        }
        for (r, span) in c.string_list(tt, "records") {
            records.push(r);
            spans.push(span);
        }
        if records.is_empty() {
            c.problem(
                at.clone(),
                "a test needs `record` (one JSON record) or `records` (a list)",
                None,
            );
        }
        for (json, span) in records.iter().zip(&spans) {
            if let Err(e) = crate::ingest::record_from_json(json) {
                c.problem(
                    span.clone(),
                    format!("test record is not a JSON object: {e}"),
                    None,
                );
            }
        }
        let expect = c
            .string(tt, "expect", Some(at.clone()))
            .and_then(|(e, span)| {
                let parsed = match e {
                    "match" => Some(Expect::Match),
                    "no-match" => Some(Expect::NoMatch),
                    "finding" => Some(Expect::Finding),
                    "no-finding" => Some(Expect::NoFinding),
                    _ => None,
                };
                if parsed.is_none() {
                    let help = nearest(e, EXPECTS).map_or_else(
                        || format!("use one of: {}", EXPECTS.join(", ")),
                        |s| format!("did you mean `{s}`?"),
                    );
                    c.problem(span, format!("unknown expectation `{e}`"), Some(help));
                }
                parsed
            });
        if let Some(expect) = expect {
            if matches!(expect, Expect::Match | Expect::NoMatch) && records.len() > 1 {
                c.problem(
                    at.clone(),
                    "`match` / `no-match` test one record; use `finding` / `no-finding` for several",
                    None,
                );
            }
            tests.push(RuleTest {
                records,
                expect,
                line: line_of(c.text, at.start),
            });
        }
    }
    tests
}

/// A value of a spanned string (helper for config loading).
pub fn spanned_str<'a>(v: &'a Spanned<DeValue<'_>>) -> Option<&'a str> {
    match v.get_ref() {
        DeValue::String(s) => Some(s.as_ref()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Vec<Rule>, RuleFileError> {
        load_rule_file("test.toml", text, &Vocabulary::bundled())
    }

    const EXAMPLE: &str = r#"
[[rule]]
id = "chat-throttled-burst"
title = "Chat requests throttled in bursts"
severity = "warning"
when = 'category == "ChatOperational" and resultSignature == 429'
group_by = ["UserId"]
threshold = "count >= 5 within 1m"
message = "{count} chat requests from {UserId} were throttled between {first} and {last}"
action = "Back off with exponential retry; stay under 10 messages per 10 s per thread."
docs = "https://learn.microsoft.com/azure/communication-services/concepts/service-limits"

[[rule.test]]
record = '{"category":"ChatOperational","resultSignature":"429","properties":{"UserId":"8:acs:x"}}'
expect = "match"

[[rule.test]]
record = '{"category":"ChatOperational","resultSignature":"201"}'
expect = "no-match"
"#;

    #[test]
    fn the_issue_example_loads() {
        let rules = load(EXAMPLE).unwrap();
        assert_eq!(rules.len(), 1);
        let r = &rules[0];
        assert_eq!(r.id, "chat-throttled-burst");
        assert_eq!(r.line, 2);
        assert!(matches!(r.kind, RuleKind::Threshold(_)));
        assert_eq!(r.tests.len(), 2);
        assert_eq!(r.group_by[0].name, "UserId");
    }

    #[test]
    fn three_faults_all_reported_with_locations() {
        let text = EXAMPLE.replace(
            "resultSignature == 429",
            "resultSignatur == 429 and level equals \"Error",
        );
        let err = load(&text).unwrap_err();
        let messages: Vec<&str> = err.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            messages.contains(&"unknown field `resultSignatur`"),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("unknown operator `equals`")),
            "{messages:?}"
        );
        assert!(messages.contains(&"unterminated string"), "{messages:?}");
        let field = err
            .problems
            .iter()
            .find(|p| p.message.contains("resultSignatur"))
            .unwrap();
        assert_eq!(&text[field.span.clone()], "resultSignatur");
        assert_eq!(
            field.help.as_deref(),
            Some("did you mean `resultSignature`?")
        );
        let op = err
            .problems
            .iter()
            .find(|p| p.message.contains("equals"))
            .unwrap();
        assert_eq!(&text[op.span.clone()], "equals");
    }

    #[test]
    fn spans_survive_escapes_in_basic_strings() {
        let text = "[[rule]]\nid='x'\ntitle='t'\nseverity='info'\nmessage='m'\naction='a'\nwhen = \"level == \\\"\\u00e9\\\" and bogusfield == 1\"\n";
        let err = load(text).unwrap_err();
        let p = &err.problems[0];
        assert_eq!(&text[p.span.clone()], "bogusfield");
    }

    #[test]
    fn structural_problems() {
        let text = "[[rule]]\nid = 'bad id!'\ntitel = 'x'\nseverity = 'warn1ng'\nwhen = 'level == 1'\nmessage = '{cuont}'\naction = 'a'\n[[rule.test]]\nrecord = 'not json'\nexpect = 'matches'\n";
        let err = load(text).unwrap_err();
        let messages: Vec<String> = err
            .problems
            .iter()
            .map(|p| format!("{} | {:?}", p.message, p.help))
            .collect();
        let all = messages.join("\n");
        assert!(all.contains("unknown key `titel`"), "{all}");
        assert!(all.contains("did you mean `title`?"), "{all}");
        assert!(all.contains("missing `title`"), "{all}");
        assert!(all.contains("unknown severity `warn1ng`"), "{all}");
        assert!(all.contains("rule id `bad id!`"), "{all}");
        assert!(all.contains("unknown placeholder `{cuont}`"), "{all}");
        assert!(all.contains("test record is not a JSON object"), "{all}");
        assert!(all.contains("unknown expectation `matches`"), "{all}");
        assert!(all.contains("did you mean `match`?"), "{all}");
    }

    #[test]
    fn invalid_toml_is_located() {
        let err = load("[[rule]\nid = 1").unwrap_err();
        assert_eq!(err.problems.len(), 1);
        assert!(err.problems[0].message.starts_with("invalid TOML"));
    }

    #[test]
    fn absence_rules_and_declared_fields() {
        let text = r#"
fields = ["myCustomTag"]

[[rule]]
id = "sms-no-report"
title = "No delivery report"
severity = "warning"
when = 'operationName == "SMSMessagesSent" and myCustomTag == "x"'
message = "SMS {messageId} has no delivery report within {within}"
action = "Enable delivery reports."

[rule.absence]
followed_by = 'exists(deliveryStatus)'
key = ["messageId"]
within = "1h"
"#;
        let rules = load(text).unwrap();
        match &rules[0].kind {
            RuleKind::Absence(a) => {
                assert_eq!(a.within, 3600.0);
                assert_eq!(a.key[0].name, "messageId");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn duplicates_and_disabled_rules() {
        let one = "[[rule]]\nid='a'\ntitle='t'\nseverity='info'\nwhen='level == 1'\nmessage='m'\naction='x'\n";
        let err = load(&format!("{one}{one}")).unwrap_err();
        assert!(err.problems[0].message.contains("used twice"));
        let disabled = format!("{one}enabled = false\n");
        assert!(load(&disabled).unwrap().is_empty());
    }
}
