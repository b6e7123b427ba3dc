//! `acs-triage.toml`: the user's configuration, and the setup of a run built from it.
//!
//! ```toml
//! [rules]
//! paths = ["team-rules/"]                  # more rule files or folders (relative to this file)
//! disable = ["chat-throttled-burst"]       # rule, analyzer or finding IDs
//! bundled = true                           # load the bundled rules (default)
//!
//! [rules.severity]                         # per rule or finding ID
//! "sms/no-delivery-report" = "error"
//!
//! [rules.threshold]                        # per threshold rule
//! "chat-throttled-burst" = "count >= 10 within 1m"
//!
//! [thresholds.media.jitter]                # any key of the files in rules/thresholds/
//! value = 50
//!
//! [catalog]
//! paths = ["our-codes/calling_end_reasons.csv"]   # rows in front of the bundled table of that name
//!
//! [classify]
//! paths = ["our-categories.toml"]          # more categories, event types, endpoints (same form
//!                                          # as rules/categories.toml), tried before the bundled
//!
//! [ingest]
//! max_line_bytes = 33554432
//! ```
//!
//! Every ID and key is checked: an unknown one is an error with the nearest known name, never a
//! silently ignored setting.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::analyzer::{Analyzer, Context};
use crate::catalog::Catalogs;
use crate::classify::Classifier;
use crate::engine::Analysis;
use crate::finding::{Finding, Severity, sort_findings};
use crate::ingest::Limits;
use crate::rules::file::RuleKind;
use crate::rules::syntax::parse_threshold;
use crate::rules::vocab::nearest;
use crate::rules::{self, Rule, RuleLoadError, Vocabulary};
use crate::settings::Settings;

/// The file name looked for in the working folder.
pub const CONFIG_FILE: &str = "acs-triage.toml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub rules: RulesConfig,
    #[serde(default)]
    pub thresholds: toml::Table,
    #[serde(default)]
    pub catalog: CatalogConfig,
    #[serde(default)]
    pub classify: ClassifyConfig,
    #[serde(default)]
    pub ingest: Limits,
}

/// Category tables of the user's, in the form of `rules/categories.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifyConfig {
    #[serde(default)]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesConfig {
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    #[serde(default)]
    pub disable: Vec<String>,
    #[serde(default = "yes")]
    pub bundled: bool,
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
    #[serde(default)]
    pub threshold: BTreeMap<String, String>,
}

fn yes() -> bool {
    true
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            paths: Vec::new(),
            disable: Vec::new(),
            bundled: true,
            severity: BTreeMap::new(),
            threshold: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogConfig {
    #[serde(default)]
    pub paths: Vec<PathBuf>,
}

/// A configuration problem, located in the config file when possible.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    pub path: String,
    pub text: Option<Arc<str>>,
    pub span: Option<std::ops::Range<usize>>,
    pub message: String,
    pub help: Option<String>,
}

/// A loaded configuration file.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub path: PathBuf,
    pub text: Arc<str>,
    pub config: Config,
}

impl LoadedConfig {
    /// Reads and parses a configuration file.
    pub fn read(path: &Path) -> Result<LoadedConfig, ConfigError> {
        let shown = path.display().to_string();
        let text: Arc<str> = std::fs::read_to_string(path)
            .map_err(|e| ConfigError {
                path: shown.clone(),
                text: None,
                span: None,
                message: format!("cannot read the configuration: {e}"),
                help: None,
            })?
            .into();
        let config: Config = toml::from_str(&text).map_err(|e| {
            let message = e.message().trim().to_owned();
            // serde names the expected keys; offer the nearest one.
            let help = unknown_key_help(&message);
            ConfigError {
                path: shown.clone(),
                text: Some(text.clone()),
                span: e.span(),
                message,
                help,
            }
        })?;
        Ok(LoadedConfig {
            path: path.to_path_buf(),
            text,
            config,
        })
    }

    /// `acs-triage.toml` in `dir`, if there is one.
    pub fn discover(dir: &Path) -> Result<Option<LoadedConfig>, ConfigError> {
        let candidate = dir.join(CONFIG_FILE);
        if candidate.is_file() {
            LoadedConfig::read(&candidate).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A path of the config, resolved against the config file's folder.
    fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.path.parent().unwrap_or(Path::new(".")).join(p)
        }
    }

    fn locate(&self, needle: &str) -> Option<std::ops::Range<usize>> {
        let quoted = format!("\"{needle}\"");
        self.text
            .find(&quoted)
            .map(|i| i..i + quoted.len())
            .or_else(|| self.text.find(needle).map(|i| i..i + needle.len()))
    }

    fn error(&self, needle: &str, message: String, help: Option<String>) -> ConfigError {
        ConfigError {
            path: self.path.display().to_string(),
            text: Some(self.text.clone()),
            span: self.locate(needle),
            message,
            help,
        }
    }
}

use crate::settings::unknown_key_help;

/// Everything a run needs, built from the bundled data, the configuration and the command line.
#[derive(Debug)]
pub struct Setup {
    pub context: Context,
    /// How records are classified: the bundled table with the user's `[classify]` tables in
    /// front.
    pub classifier: Arc<Classifier>,
    /// Rules that run.
    pub rules: Vec<Rule>,
    /// Rules loaded but disabled by the configuration (listed, never run).
    pub disabled_rules: Vec<Rule>,
    /// Analyzer IDs disabled by the configuration.
    pub disabled_analyzers: BTreeSet<String>,
    /// Finding ID → new severity (`None`: suppressed).
    pub finding_overrides: BTreeMap<String, Option<Severity>>,
    pub limits: Limits,
    pub config_path: Option<PathBuf>,
}

/// What went wrong while setting up: configuration and rule problems, all of them.
#[derive(Debug, Clone, Default)]
pub struct SetupErrors {
    pub config: Vec<ConfigError>,
    pub rules: Vec<RuleLoadError>,
}

impl SetupErrors {
    pub fn is_empty(&self) -> bool {
        self.config.is_empty() && self.rules.is_empty()
    }
}

/// Builds the setup. `extra_rules` come from `--rules`; `analyzers` are the registered ones (their
/// IDs, and the finding IDs they declare, are valid targets of `disable` and `severity`).
pub fn setup(
    config: Option<&LoadedConfig>,
    extra_rules: &[PathBuf],
    analyzers: &[&dyn Analyzer],
) -> Result<Setup, SetupErrors> {
    let mut errors = SetupErrors::default();
    let default = Config::default();
    let cfg = config.map_or(&default, |c| &c.config);
    let config_error = |needle: &str, message: String, help: Option<String>| match config {
        Some(c) => c.error(needle, message, help),
        None => ConfigError {
            path: CONFIG_FILE.to_owned(),
            text: None,
            span: None,
            message,
            help,
        },
    };

    // Settings and catalogs.
    let settings = match Settings::layered(&cfg.thresholds) {
        Ok(s) => Some(s),
        Err(problems) => {
            for e in problems {
                let needle = match &e {
                    crate::settings::SettingsError::UnknownSection { key, .. }
                    | crate::settings::SettingsError::Model { key, .. } => key.clone(),
                    crate::settings::SettingsError::Toml { .. } => "thresholds".to_owned(),
                };
                let help = e.help().map(str::to_owned).or_else(|| {
                    Some("keys and types are those of the files in rules/thresholds/".to_owned())
                });
                errors
                    .config
                    .push(config_error(&needle, e.to_string(), help));
            }
            None
        }
    };
    let mut user_catalogs: Vec<(String, String, String)> = Vec::new();
    for p in &cfg.catalog.paths {
        let resolved = config.map_or(p.clone(), |c| c.resolve(p));
        let name = resolved
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let known = crate::catalog::registered();
        if !known.iter().any(|c| c.file.eq_ignore_ascii_case(&name)) {
            let names: Vec<&str> = known.iter().map(|c| c.file).collect();
            errors.config.push(config_error(
                &p.display().to_string(),
                format!("`{name}` is not a catalog table name"),
                Some(format!(
                    "name the file after the table it extends: {}",
                    names.join(", ")
                )),
            ));
            continue;
        }
        match std::fs::read_to_string(&resolved) {
            Ok(text) => user_catalogs.push((name, text, resolved.display().to_string())),
            Err(e) => {
                errors
                    .config
                    .push(config_error(&p.display().to_string(), e.to_string(), None))
            }
        }
    }
    let overrides: Vec<(&str, &str, &str)> = user_catalogs
        .iter()
        .map(|(n, t, p)| (n.as_str(), t.as_str(), p.as_str()))
        .collect();
    let catalogs = match Catalogs::with_overrides(&overrides) {
        Ok(c) => Some(c),
        Err(e) => {
            let needle = user_catalogs
                .iter()
                .find(|(_, _, p)| *p == e.file)
                .map(|(n, _, _)| n.clone())
                .unwrap_or_default();
            errors
                .config
                .push(config_error(&needle, e.to_string(), None));
            None
        }
    };

    // Classification.
    let mut classifier = Classifier::from_toml(crate::classify::BUNDLED_CATEGORIES)
        .expect("the bundled rules/categories.toml is valid (checked by tests)");
    for p in cfg.classify.paths.iter().rev() {
        let resolved = config.map_or(p.clone(), |c| c.resolve(p));
        let extended = std::fs::read_to_string(&resolved)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                classifier
                    .extend_from_toml(&text)
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = extended {
            errors.config.push(config_error(
                &p.display().to_string(),
                format!("[classify] {}: {e}", resolved.display()),
                Some("the file has the form of rules/categories.toml".to_owned()),
            ));
        }
    }

    // Rules.
    let vocab = Vocabulary::bundled();
    let mut all_rules = Vec::new();
    if cfg.rules.bundled {
        match rules::load_bundled(&vocab) {
            Ok(r) => all_rules.extend(r),
            Err(e) => errors.rules.extend(e),
        }
    }
    let mut paths: Vec<PathBuf> = cfg
        .rules
        .paths
        .iter()
        .map(|p| config.map_or(p.clone(), |c| c.resolve(p)))
        .collect();
    paths.extend(extra_rules.iter().cloned());
    match rules::load_paths(&paths, &vocab) {
        Ok(r) => all_rules.extend(r),
        Err(e) => errors.rules.extend(e),
    }
    if let Err(e) = rules::check_unique(&all_rules) {
        errors.rules.extend(e);
    }

    // Overrides: every ID must name a rule, an analyzer, or a finding an analyzer declares.
    let mut known: Vec<String> = all_rules.iter().map(|r| r.id.clone()).collect();
    for a in analyzers {
        let info = a.info();
        known.push(info.id.to_owned());
        known.extend(info.findings.iter().map(|f| f.id.to_owned()));
    }
    let check_id = |id: &str, errors: &mut SetupErrors, what: &str| -> bool {
        if known.iter().any(|k| k == id) {
            return true;
        }
        let help = nearest(id, known.iter().map(String::as_str))
            .map(|s| format!("did you mean `{s}`?"))
            .or_else(|| {
                Some("`acs-triage rules list` shows every rule and analyzer ID".to_owned())
            });
        errors.config.push(config_error(
            id,
            format!("{what}: no rule, analyzer or finding is called `{id}`"),
            help,
        ));
        false
    };
    let mut disabled_analyzers = BTreeSet::new();
    let mut finding_overrides: BTreeMap<String, Option<Severity>> = BTreeMap::new();
    let mut disabled_rule_ids = BTreeSet::new();
    for id in &cfg.rules.disable {
        if !check_id(id, &mut errors, "[rules] disable") {
            continue;
        }
        if all_rules.iter().any(|r| &r.id == id) {
            disabled_rule_ids.insert(id.clone());
        } else if analyzers.iter().any(|a| a.info().id == id) {
            disabled_analyzers.insert(id.clone());
        } else {
            finding_overrides.insert(id.clone(), None);
        }
    }
    for (id, sev) in &cfg.rules.severity {
        if !check_id(id, &mut errors, "[rules.severity]") {
            continue;
        }
        let Some(parsed) = Severity::parse(sev) else {
            let help =
                nearest(sev, ["info", "warning", "error"]).map(|s| format!("did you mean `{s}`?"));
            errors.config.push(config_error(
                sev,
                format!("unknown severity `{sev}` for `{id}`"),
                help,
            ));
            continue;
        };
        match all_rules.iter_mut().find(|r| &r.id == id) {
            Some(rule) => rule.severity = parsed,
            None => {
                finding_overrides.insert(id.clone(), Some(parsed));
            }
        }
    }
    for (id, text) in &cfg.rules.threshold {
        let Some(rule) = all_rules.iter_mut().find(|r| &r.id == id) else {
            check_id(id, &mut errors, "[rules.threshold]");
            continue;
        };
        if !matches!(rule.kind, RuleKind::Threshold(_)) {
            errors.config.push(config_error(
                id,
                format!("rule `{id}` has no threshold to override"),
                None,
            ));
            continue;
        }
        match parse_threshold(text) {
            Ok(th) => rule.kind = RuleKind::Threshold(th),
            Err(e) => errors.config.push(config_error(
                text,
                format!("threshold for `{id}`: {}", e.message),
                e.help,
            )),
        }
    }

    let (Some(catalogs), Some(settings), true) = (catalogs, settings, errors.is_empty()) else {
        return Err(errors);
    };
    let (disabled_rules, rules): (Vec<Rule>, Vec<Rule>) = all_rules
        .into_iter()
        .partition(|r| disabled_rule_ids.contains(&r.id));
    Ok(Setup {
        context: Context::new(catalogs, settings),
        classifier: Arc::new(classifier),
        rules,
        disabled_rules,
        disabled_analyzers,
        finding_overrides,
        limits: cfg.ingest.clone(),
        config_path: config.map(|c| c.path.clone()),
    })
}

impl Setup {
    /// Applies severity overrides and suppressions to a run's findings, keeping the summary and
    /// the report order right.
    pub fn apply_overrides(&self, analysis: &mut Analysis) {
        let before = analysis.findings.len();
        analysis.findings.retain_mut(|f: &mut Box<Finding>| {
            match self.finding_overrides.get(f.id.as_str()) {
                None => true,
                Some(None) => false,
                Some(Some(sev)) => {
                    f.severity = *sev;
                    true
                }
            }
        });
        analysis.summary.suppressed += (before - analysis.findings.len()) as u64;
        sort_findings(&mut analysis.findings);
        analysis.summary.findings.clear();
        for f in &analysis.findings {
            *analysis.summary.findings.entry(f.severity).or_default() += 1;
        }
    }
}
