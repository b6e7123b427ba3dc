//! `cargo xtask new-analyzer NAME`: a new analyzer crate, wired in, in one command.
//!
//! The template is the example analyzer that CONTRIBUTING.md describes
//! (`tests/example-analyzer`, with its threshold file `rules/thresholds/example.toml`): it
//! compiles and its test passes, so what the scaffold writes does too. The scaffold copies it
//! under the new name and wires the crate in: the workspace members and dependencies, the CLI
//! (the one place naming analyzer crates) and the registry test's expected list.

use std::path::{Path, PathBuf};

/// The names a new analyzer goes by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// `voicemail` (finding IDs `voicemail/...`, settings section `voicemail`).
    pub kebab: String,
    /// `voicemail` as a Rust crate path (`acs_triage_voicemail`).
    pub snake: String,
    /// `Voicemail` (type names).
    pub camel: String,
}

impl Names {
    /// Checks a name: lower-case ASCII letters, digits and hyphens, starting with a letter.
    pub fn new(name: &str) -> Result<Names, String> {
        let ok = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !name.ends_with('-')
            && !name.contains("--");
        if !ok {
            return Err(format!(
                "`{name}` is not a good analyzer name: use lower-case letters, digits and single hyphens (`voicemail`, `call-recording`)"
            ));
        }
        let camel = name
            .split('-')
            .map(|part| {
                let mut c = part.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
        Ok(Names {
            kebab: name.to_owned(),
            snake: name.replace('-', "_"),
            camel,
        })
    }

    /// The template's text with the example's names replaced by these.
    fn apply(&self, template: &str) -> String {
        template
            .replace(
                "A minimal analyzer crate, exactly as CONTRIBUTING.md (\"Adding an analyzer crate\") builds one:",
                &format!("The `{}` analyzer (scaffolded by `cargo xtask new-analyzer`; make it check what its name says):", self.kebab),
            )
            .replace("acs-triage-example-analyzer", &format!("acs-triage-{}", self.kebab))
            .replace("tests/example-analyzer", &format!("analyzers/{}", self.kebab))
            .replace("Example", &self.camel)
            .replace("example", &self.kebab)
    }
}

fn read(root: &Path, path: &str) -> Result<String, String> {
    std::fs::read_to_string(root.join(path)).map_err(|e| format!("{path}: {e}"))
}

fn write(root: &Path, path: &str, text: &str, changed: &mut Vec<PathBuf>) -> Result<(), String> {
    let full = root.join(path);
    if let Some(dir) = full.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&full, text).map_err(|e| format!("{path}: {e}"))?;
    changed.push(PathBuf::from(path));
    Ok(())
}

/// Inserts `line` after the line holding `anchor`, unless it is already there.
fn insert_after(text: &str, anchor: &str, line: &str, file: &str) -> Result<String, String> {
    if text.lines().any(|l| l.trim() == line.trim()) {
        return Ok(text.to_owned());
    }
    let at = text.find(anchor).ok_or_else(|| {
        format!(
            "{file}: `{anchor}` not found; add `{}` by hand",
            line.trim()
        )
    })?;
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
    Ok(format!("{}{line}\n{}", &text[..end], &text[end..]))
}

/// Writes the new crate under `root` and wires it in. Returns every file written or changed.
pub fn new_analyzer(root: &Path, name: &str) -> Result<Vec<PathBuf>, String> {
    let names = Names::new(name)?;
    let crate_dir = format!("analyzers/{}", names.kebab);
    if root.join(&crate_dir).exists() {
        return Err(format!("{crate_dir} exists already"));
    }
    let lib = names.apply(&read(root, "tests/example-analyzer/src/lib.rs")?);
    let manifest = names
        .apply(&read(root, "tests/example-analyzer/Cargo.toml")?)
        .replace("publish = false\n", "");
    let thresholds = read(root, "rules/thresholds/example.toml")?.replace(
        "(tests/example-analyzer, the crate CONTRIBUTING.md builds;\n# it is not part of the acs-triage binary)",
        "(tests/example-analyzer)",
    );
    let mut files = vec![
        (format!("{crate_dir}/src/lib.rs"), lib),
        (format!("{crate_dir}/Cargo.toml"), manifest),
        (
            format!("rules/thresholds/{}.toml", names.kebab),
            names.apply(&thresholds),
        ),
    ];
    // The wiring: (file, the line to add after, the line).
    let wiring = [
        (
            "Cargo.toml",
            "\"analyzers/sms\",",
            format!("    \"{crate_dir}\","),
        ),
        (
            "Cargo.toml",
            "acs-triage-sms = { path = \"analyzers/sms\" }",
            format!("acs-triage-{} = {{ path = \"{crate_dir}\" }}", names.kebab),
        ),
        (
            "cli/Cargo.toml",
            "acs-triage-sms.workspace = true",
            format!("acs-triage-{}.workspace = true", names.kebab),
        ),
        (
            "cli/src/analyzers.rs",
            "use acs_triage_sms as _;",
            format!("use acs_triage_{} as _;", names.snake),
        ),
        (
            "tests/tests/registry.rs",
            "// The analyzers, sorted by ID:",
            format!("        \"{}/slow-operation\",", names.kebab),
        ),
    ];
    for (file, anchor, line) in wiring {
        let text = match files.iter().position(|(path, _)| path == file) {
            Some(i) => files.remove(i).1,
            None => read(root, file)?,
        };
        files.push((file.to_owned(), insert_after(&text, anchor, &line, file)?));
    }
    // Everything is prepared before anything is written: a missing anchor changes nothing.
    let mut changed = Vec::new();
    for (path, text) in files {
        write(root, &path, &text, &mut changed)?;
    }
    Ok(changed)
}
