//! Queries in KQL, to run the analyses and the user's rules where large deployments keep their
//! logs: a Log Analytics workspace or Azure Data Explorer with the Log Analytics table schema
//! (`rules/log-analytics-tables.json`).
//!
//! Every query starts with `let` parameters for its time range (`since`, `until`) and returns
//! reduced rows (summaries with capped samples) tagged with the finding kind they feed in the
//! [`TAG_COLUMN`] column. Analyzers give their queries through [`crate::Analysis::kql`], filling
//! the templates under `rules/kql/` with their own catalogs and thresholds ([`fill`]); rules are
//! translated by [`translate`].

pub mod translate;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The column every generated query tags its rows with: the finding kind (or `rule/<id>`).
pub const TAG_COLUMN: &str = "AcsTriageQuery";

/// The tag of a row a generated query returned (`calling/end-reason`, `rule/<id>`).
pub fn tag_of<'r>(record: &'r crate::Record<'_>) -> Option<std::borrow::Cow<'r, str>> {
    if !record.query_row {
        return None;
    }
    record.text(TAG_COLUMN)
}

/// One query and what it feeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KqlQuery {
    /// File name stem: `calling-end-reasons`, `rule-auth-requests-failing`.
    pub name: String,
    /// The finding kind its rows feed (`calling/end-reason`, `rule/<id>`).
    pub feeds: String,
    /// Other finding kinds the same rows feed (`sms/report-pending`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_feeds: Vec<String>,
    /// What it finds, in one line.
    pub description: String,
    /// Columns that identify a row.
    pub keys: Vec<String>,
    /// Every output column, in order.
    pub columns: Vec<String>,
    /// The query without its time parameters ([`KqlQuery::text`] adds them).
    #[serde(skip)]
    pub body: String,
}

/// Where the queries run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    LogAnalytics,
    Adx,
}

/// The time range a query covers; open ends become `ago(1d)` and `now()`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl KqlQuery {
    /// The whole query: a header naming what it feeds, the time parameters, the body.
    pub fn text(&self, window: &Window, target: Target) -> String {
        let at = |t: Option<DateTime<Utc>>, open: &str| {
            t.map_or(open.to_owned(), |t| {
                format!("datetime({})", t.format("%Y-%m-%dT%H:%M:%SZ"))
            })
        };
        let place = match target {
            Target::LogAnalytics => "a Log Analytics workspace",
            Target::Adx => "Azure Data Explorer (tables with the Log Analytics schema)",
        };
        format!(
            "// {}: {}\n// Feeds {} (rows tagged in {TAG_COLUMN}); run in {place}.\n\
             // Change the time range here; cut a long range into days if a result is truncated.\n\
             let since = {};\nlet until = {};\n{}\n",
            self.name,
            self.description,
            self.feeds,
            at(window.since, "ago(1d)"),
            at(window.until, "now()"),
            self.body.trim_end()
        )
    }
}

/// Why a template could not be filled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the KQL template {template} names {{{{{name}}}}}, which has no value")]
    Unknown { template: String, name: String },
    #[error("the KQL template {template} has an unclosed {{{{")]
    Unclosed { template: String },
}

/// Replaces every `{{name}}` of a template by its value. Header lines `// keys:` and
/// `// columns:` declare the query's key and output columns.
pub fn fill(
    template_name: &str,
    template: &str,
    vars: &[(&str, String)],
) -> Result<(String, Vec<String>, Vec<String>), TemplateError> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find("{{") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find("}}") else {
            return Err(TemplateError::Unclosed {
                template: template_name.to_owned(),
            });
        };
        let name = after[..end].trim();
        let value =
            vars.iter()
                .find(|(n, _)| *n == name)
                .ok_or_else(|| TemplateError::Unknown {
                    template: template_name.to_owned(),
                    name: name.to_owned(),
                })?;
        out.push_str(&value.1);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    let declared = |prefix: &str| -> Vec<String> {
        out.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .map(|list| {
                list.split(',')
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let keys = declared("// keys:");
    // `every <Table> column` stands for the table's columns.
    let columns = declared("// columns:")
        .into_iter()
        .flat_map(|c| {
            let table = c
                .strip_prefix("every ")
                .and_then(|t| t.strip_suffix(" column"));
            match table.and_then(|t| {
                crate::dedup::TablesFile::bundled()
                    .tables
                    .iter()
                    .find(|s| s.name == t)
            }) {
                Some(schema) => schema.columns.iter().map(|c| c.name.clone()).collect(),
                None => vec![c],
            }
        })
        .collect();
    Ok((out, keys, columns))
}

/// A query from a template of `rules/kql/` ([`fill`]); its first comment line after the
/// `keys`/`columns` lines is its description.
pub fn from_template(
    name: &str,
    feeds: &str,
    template: &str,
    vars: &[(&str, String)],
) -> Result<KqlQuery, TemplateError> {
    let (text, keys, columns) = fill(name, template, vars)?;
    let also_feeds: Vec<String> = text
        .lines()
        .find_map(|l| l.strip_prefix("// also feeds:"))
        .map(|list| list.split(',').map(|k| k.trim().to_owned()).collect())
        .unwrap_or_default();
    let body: Vec<&str> = text
        .lines()
        .filter(|l| {
            !l.starts_with("// keys:")
                && !l.starts_with("// columns:")
                && !l.starts_with("// also feeds:")
        })
        .collect();
    // The first sentence of the leading comment.
    let comment: Vec<&str> = body.iter().map_while(|l| l.strip_prefix("// ")).collect();
    let comment = comment.join(" ");
    let description = match comment.find(". ") {
        Some(end) => comment[..end].to_owned(),
        None => comment.trim_end_matches('.').to_owned(),
    };
    let description = if description.is_empty() {
        name.to_owned()
    } else {
        description
    };
    Ok(KqlQuery {
        name: name.to_owned(),
        feeds: feeds.to_owned(),
        also_feeds,
        description,
        keys,
        columns,
        body: body.join("\n"),
    })
}

/// A KQL string literal (double-quoted, escaped).
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A `dynamic([...])` list of strings.
pub fn string_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(string).collect();
    format!("dynamic([{}])", items.join(", "))
}

/// A number as KQL writes it (`500`, `0.15`).
pub fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A timespan literal from seconds (`90s`, `1h` stays seconds: KQL reads `3600s`).
pub fn seconds(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{}s", s as i64)
    } else {
        format!("{}ms", (s * 1000.0).round() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_filled_and_declare_their_columns() {
        let (text, keys, columns) = fill(
            "t",
            "// keys: Code, SubCode\n// columns: Code, SubCode, Calls\nT | where x in ({{codes}})",
            &[("codes", string_list(["0/0", "487/0"]))],
        )
        .unwrap();
        assert!(text.ends_with(r#"T | where x in (dynamic(["0/0", "487/0"]))"#));
        assert_eq!(keys, ["Code", "SubCode"]);
        assert_eq!(columns, ["Code", "SubCode", "Calls"]);
        assert_eq!(
            fill("t", "{{nope}}", &[]),
            Err(TemplateError::Unknown {
                template: "t".into(),
                name: "nope".into()
            })
        );
        assert!(matches!(
            fill("t", "a {{x", &[]),
            Err(TemplateError::Unclosed { .. })
        ));
    }

    #[test]
    fn literals_are_escaped() {
        assert_eq!(string(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(number(500.0), "500");
        assert_eq!(number(0.15), "0.15");
        assert_eq!(seconds(3600.0), "3600s");
        assert_eq!(seconds(0.5), "500ms");
    }
}
