//! The field vocabulary rules are checked against (`rules/fields.toml`).

use std::collections::HashSet;

/// The bundled vocabulary.
pub const BUNDLED_FIELDS: &str = include_str!("../../../rules/fields.toml");

/// Names rules may use, case-insensitively.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    /// Lower-case names.
    known: HashSet<String>,
    /// Names as written, for suggestions.
    names: Vec<String>,
}

/// The virtual fields every record has.
pub const VIRTUAL_FIELDS: [&str; 4] = ["category", "family", "format", "time"];

impl Vocabulary {
    /// The bundled vocabulary. Validated by a unit test.
    pub fn bundled() -> Vocabulary {
        let table: std::collections::BTreeMap<String, Vec<String>> =
            toml::from_str(BUNDLED_FIELDS).unwrap_or_default();
        let mut v = Vocabulary {
            known: HashSet::new(),
            names: Vec::new(),
        };
        for names in table.into_values() {
            v.extend(names);
        }
        v.extend(log_analytics_columns());
        v
    }

    /// Adds names (a rule file's `fields = [...]`, say).
    pub fn extend(&mut self, names: impl IntoIterator<Item = String>) {
        for name in names {
            if self.known.insert(name.to_ascii_lowercase()) {
                self.names.push(name);
            }
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        // Portal exports add ` [UTC]` to time columns.
        let bare = lower.strip_suffix(" [utc]").unwrap_or(&lower);
        self.known.contains(bare)
    }

    /// The known name closest to `name`, if one is close enough to be a likely typo.
    pub fn suggest(&self, name: &str) -> Option<&str> {
        nearest(name, self.names.iter().map(String::as_str))
    }
}

/// The bundled field names by group (`virtual`, `azure_monitor`, `calling`, ...), in the file's
/// order, for `acs-triage rules fields`.
pub fn groups() -> Vec<(String, Vec<String>)> {
    let table: toml::Table = toml::from_str(BUNDLED_FIELDS).unwrap_or_default();
    let mut groups = table
        .into_iter()
        .map(|(group, names)| {
            let names = names
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            (group, names)
        })
        .collect::<Vec<(String, Vec<String>)>>();
    let listed: HashSet<String> = groups
        .iter()
        .flat_map(|(_, names)| names.iter().map(|n| n.to_ascii_lowercase()))
        .collect();
    let rest: Vec<String> = log_analytics_columns()
        .filter(|name| !listed.contains(&name.to_ascii_lowercase()))
        .collect();
    groups.push(("log_analytics".to_owned(), rest));
    groups
}

/// Every column of the bundled Log Analytics table schemas (`rules/log-analytics-tables.json`),
/// once each, sorted: a rule may test any column an ACS table has, even one no analyzer reads.
fn log_analytics_columns() -> impl Iterator<Item = String> {
    let mut seen = HashSet::new();
    let mut names: Vec<String> = crate::dedup::TablesFile::bundled()
        .tables
        .iter()
        .flat_map(|t| t.columns.iter().map(|c| c.name.clone()))
        .filter(|name| seen.insert(name.to_ascii_lowercase()))
        .collect();
    names.sort_by_key(|n| n.to_ascii_lowercase());
    names.into_iter()
}

/// The candidate closest to `word` (case-insensitive), if within a typo's distance.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    let limit = 1.max(lower.chars().count() / 3).min(3);
    candidates
        .into_iter()
        .map(|c| {
            (
                c,
                strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase()),
            )
        })
        .filter(|(_, d)| *d <= limit)
        .min_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(b.0)))
        .map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_vocabulary_parses_and_answers() {
        let table: std::collections::BTreeMap<String, Vec<String>> =
            toml::from_str(BUNDLED_FIELDS).expect("rules/fields.toml is a table of name lists");
        assert!(table.len() > 5);
        let v = Vocabulary::bundled();
        assert!(v.contains("resultSignature"));
        assert!(v.contains("RESULTSIGNATURE"));
        assert!(v.contains("TimeGenerated [UTC]"));
        assert!(!v.contains("resultSignatur"));
        assert_eq!(v.suggest("resultSignatur"), Some("resultSignature"));
        assert_eq!(
            v.suggest("participantEndReasn"),
            Some("participantEndReason")
        );
        assert_eq!(v.suggest("qqqqqqq"), None);
        for f in VIRTUAL_FIELDS {
            assert!(v.contains(f));
        }
        // Columns real exports carry are known, in their family's group; columns only the Log
        // Analytics schemas name are known too, and listed in their own group.
        for column in [
            "DiagnosticOptions",
            "CallDebuggingInfo",
            "RemoteEndpointId",
            "CodecName",
        ] {
            assert!(v.contains(column), "{column}");
        }
        let groups = groups();
        let (_, calling) = groups.iter().find(|(g, _)| g == "calling").unwrap();
        assert!(calling.iter().any(|c| c == "callDebuggingInfo"));
        let (_, la) = groups.iter().find(|(g, _)| g == "log_analytics").unwrap();
        assert!(
            !la.iter()
                .any(|c| c.eq_ignore_ascii_case("CallDebuggingInfo"))
        );
        assert!(!la.is_empty());
        assert!(!la.iter().any(|c| c.eq_ignore_ascii_case("resultSignature")));
    }
}
