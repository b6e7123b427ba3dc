//! Reference documentation generated from the declarations themselves, so it cannot drift:
//! `docs/findings.md` is what [`findings_markdown`] writes (a test keeps them equal).

use std::fmt::Write;

use acs_triage_core::settings::sections;

use crate::analyzers;

/// Every analyzer, its finding kinds with their documentation, and its tables.
pub fn findings_markdown() -> String {
    let mut md = String::new();
    md.push_str(
        "# Findings\n\n\
         Every kind of finding acs-triage reports, by analyzer: what it finds, why it matters and \
         what to do. Generated from the declarations in the analyzer crates (each kind's doc \
         comment); `acs-triage explain <finding>` prints one. Severities are the usual ones: \
         codes are rated per code, and `acs-triage.toml` can re-rate or disable any kind \
         (`[rules.severity]`, `[rules] disable`). Findings of your own rule files are \
         documented with the rules (`acs-triage rules list`).\n",
    );
    for analyzer in analyzers::registered() {
        let info = analyzer.info();
        let _ = write!(md, "\n## {} — {}\n", info.id, info.title);
        for kind in info.findings {
            let _ = write!(
                md,
                "\n### `{}`\n\n**{}** (usually {})\n\n",
                kind.id, kind.title, kind.severity
            );
            for line in kind.doc.lines() {
                md.push_str(line.strip_prefix(' ').unwrap_or(line).trim_end());
                md.push('\n');
            }
        }
        if !info.tables.is_empty() {
            md.push_str("\nTables (`analyze --table ID`):\n\n");
            for table in info.tables {
                let columns: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
                let _ = writeln!(
                    md,
                    "- `{}` — {}: {} Columns: {}.",
                    table.id,
                    table.title,
                    table.doc,
                    columns.join(", ")
                );
            }
        }
    }
    md.push_str("\n## Thresholds\n\nThe values findings are judged against, by section (override any key in `acs-triage.toml` under `[thresholds.<section>]`):\n\n");
    for s in sections() {
        let _ = writeln!(md, "- `{}`: `{}`", s.key, s.file);
    }
    md
}
