//! The JSON output and docs/json-output.md describe the same thing: every field the output
//! carries is documented in its section, and every documented field that is not optional shows
//! up. The outputs come from fixtures that between them produce the optional fields too
//! (duplicates, compression, secrets, rejections, tables).

use std::collections::{BTreeMap, BTreeSet};

use acs_triage_tests::{analyze_json, repo_root};
use serde_json::Value;

/// The documented fields of each section (`## \`summary\``, `## \`inputs[]\``, ...): name →
/// optional?
fn documented() -> BTreeMap<String, BTreeMap<String, bool>> {
    let text = std::fs::read_to_string(repo_root().join("docs/json-output.md")).unwrap();
    let mut sections: BTreeMap<String, BTreeMap<String, bool>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            current = h
                .trim()
                .strip_prefix('`')
                .and_then(|h| h.strip_suffix('`'))
                .map(str::to_owned);
            continue;
        }
        let (Some(section), Some(row)) = (&current, line.strip_prefix("| `")) else {
            continue;
        };
        let cells: Vec<&str> = row.split('|').collect();
        let optional = cells.get(1).is_some_and(|t| t.contains("optional"));
        for name in cells[0].split(',') {
            let name = name.trim().trim_matches('`');
            if !name.is_empty() {
                sections
                    .entry(section.clone())
                    .or_default()
                    .insert(name.to_owned(), optional);
            }
        }
    }
    sections
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn json_output_matches_its_documentation() {
    let docs = documented();
    let mut seen: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let dup = tempfile::tempdir().unwrap();
    for copy in ["a", "b"] {
        let dir = dup.path().join(copy);
        std::fs::create_dir(&dir).unwrap();
        std::fs::copy(
            repo_root().join("tests/corpus/clean/PT1H.json"),
            dir.join("PT1H.json"),
        )
        .unwrap();
    }
    let runs = [
        vec![repo_root().join("examples/logs").display().to_string()],
        vec![
            repo_root()
                .join("tests/corpus/secrets")
                .display()
                .to_string(),
        ],
        vec![dup.path().display().to_string()],
        vec![
            "--table".to_owned(),
            "sms/messages".to_owned(),
            repo_root()
                .join("tests/corpus/sms/failures")
                .display()
                .to_string(),
        ],
    ];
    for args in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (_, doc) = analyze_json(&args);
        seen.entry("top").or_default().extend(keys(&doc));
        seen.entry("summary")
            .or_default()
            .extend(keys(&doc["summary"]));
        for i in doc["inputs"].as_array().unwrap() {
            seen.entry("inputs[]").or_default().extend(keys(i));
        }
        for f in doc["findings"].as_array().unwrap() {
            seen.entry("findings[]").or_default().extend(keys(f));
        }
        for t in doc["tables"].as_array().into_iter().flatten() {
            seen.entry("tables[]").or_default().extend(keys(t));
        }
        for p in doc["problems"].as_array().unwrap() {
            seen.entry("problems[]").or_default().extend(keys(p));
        }
        for h in doc["health"].as_array().unwrap() {
            seen.entry("health[]").or_default().extend(keys(h));
        }
    }
    for (section, fields) in &seen {
        if *section == "top" {
            continue;
        }
        let documented = docs
            .get(*section)
            .unwrap_or_else(|| panic!("docs/json-output.md has no `{section}` section"));
        for field in fields {
            assert!(
                documented.contains_key(field),
                "`{section}`.{field} is in the output but not in docs/json-output.md"
            );
        }
        for (field, optional) in documented {
            assert!(
                *optional || fields.contains(field),
                "`{section}`.{field} is documented as always present but never appeared"
            );
        }
    }
    for top in &seen["top"] {
        assert!(
            [
                "tool", "summary", "inputs", "problems", "health", "findings", "tables"
            ]
            .contains(&top.as_str()),
            "top-level `{top}` is not documented"
        );
    }
}
