//! Thresholds, limits and judgement values: data each analyzer crate owns, and the machinery
//! core gives them (loading, user overrides, validation).
//!
//! An analyzer crate declares a section with [`settings_section!`](crate::settings_section): a
//! key, the file in `rules/thresholds/` holding its bundled values (each with its source), and
//! the type the values are read into. The user overrides any value in `acs-triage.toml` under
//! `[thresholds.<key>]`; layers merge key by key (`[thresholds.media.jitter] value = 50` changes
//! one number and keeps the rest), then each section is read into its type, so a typo in a key
//! is an error naming the nearest known key, never a silently ignored setting.

use std::any::{Any, TypeId};
use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use crate::FastMap;

/// A section of the settings, declared by the analyzer crate that owns it.
pub struct SettingsSection {
    /// The table name (`media`): `[thresholds.media]` in `acs-triage.toml`.
    pub key: &'static str,
    /// Where the bundled values live, from the repository root (`rules/thresholds/media.toml`).
    pub file: &'static str,
    /// The bundled values.
    pub bundled: &'static str,
    type_id: fn() -> TypeId,
    load: fn(toml::Value) -> Result<Box<dyn Any + Send + Sync>, String>,
}

fn load_as<T: DeserializeOwned + Send + Sync + 'static>(
    value: toml::Value,
) -> Result<Box<dyn Any + Send + Sync>, String> {
    T::deserialize(value)
        .map(|t| Box::new(t) as Box<dyn Any + Send + Sync>)
        .map_err(|e| e.to_string())
}

impl SettingsSection {
    /// A section read into `T` (which should deny unknown fields, so typos are caught).
    pub const fn new<T: DeserializeOwned + Send + Sync + 'static>(
        key: &'static str,
        file: &'static str,
        bundled: &'static str,
    ) -> SettingsSection {
        SettingsSection {
            key,
            file,
            bundled,
            type_id: TypeId::of::<T>,
            load: load_as::<T>,
        }
    }
}

/// One registered section.
pub struct SectionRegistration {
    pub section: &'static SettingsSection,
}

inventory::collect!(SectionRegistration);

/// Declares a settings section owned by the calling crate: `static NAME: Type = ("key",
/// "rules/thresholds/key.toml");`. The file is read from the repository root at build time.
#[macro_export]
macro_rules! settings_section {
    ($(#[$meta:meta])* $vis:vis static $name:ident: $ty:ty = ($key:literal, $file:literal);) => {
        $(#[$meta])*
        $vis static $name: $crate::settings::SettingsSection =
            $crate::settings::SettingsSection::new::<$ty>(
                $key,
                $file,
                include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../", $file)),
            );
        $crate::inventory::submit! {
            $crate::settings::SectionRegistration { section: &$name }
        }
    };
}

/// Every registered section, by key.
pub fn sections() -> Vec<&'static SettingsSection> {
    let mut all: Vec<&'static SettingsSection> = inventory::iter::<SectionRegistration>
        .into_iter()
        .map(|r| r.section)
        .collect();
    all.sort_by_key(|s| s.key);
    all
}

/// A settings layer that does not fit the model.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{file}: invalid TOML: {message}")]
    Toml { file: String, message: String },
    #[error("[thresholds.{key}]: {message}")]
    Model {
        key: String,
        message: String,
        help: Option<String>,
    },
    #[error("[thresholds]: no section is called `{key}`")]
    UnknownSection { key: String, help: Option<String> },
}

impl SettingsError {
    /// A suggestion for the user (the nearest known key).
    pub fn help(&self) -> Option<&str> {
        match self {
            SettingsError::Model { help, .. } | SettingsError::UnknownSection { help, .. } => {
                help.as_deref()
            }
            SettingsError::Toml { .. } => None,
        }
    }
}

/// The loaded settings of every registered section.
#[derive(Debug, Default, Clone)]
pub struct Settings {
    values: FastMap<TypeId, std::sync::Arc<dyn Any + Send + Sync>>,
    /// Each section's merged values, by key (what `rules list` and bundles show).
    pub tables: BTreeMap<&'static str, toml::Value>,
}

impl Settings {
    /// The bundled values of every registered section.
    pub fn bundled() -> Result<Settings, Vec<SettingsError>> {
        Settings::layered(&toml::Table::new())
    }

    /// The bundled values with the user's `[thresholds]` table merged on top. Every problem
    /// is reported, not only the first.
    pub fn layered(overrides: &toml::Table) -> Result<Settings, Vec<SettingsError>> {
        let registered = sections();
        let mut errors = Vec::new();
        for key in overrides.keys() {
            if !registered.iter().any(|s| s.key == key) {
                errors.push(SettingsError::UnknownSection {
                    key: key.clone(),
                    help: crate::rules::vocab::nearest(key, registered.iter().map(|s| s.key))
                        .map(|k| format!("did you mean `{k}`?")),
                });
            }
        }
        let mut settings = Settings::default();
        for section in registered {
            let mut base: toml::Table = match toml::from_str(section.bundled) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(SettingsError::Toml {
                        file: section.file.to_owned(),
                        message: e.message().to_owned(),
                    });
                    continue;
                }
            };
            if let Some(toml::Value::Table(top)) = overrides.get(section.key) {
                let typos = near_misses(&base, top, section.key);
                if !typos.is_empty() {
                    errors.extend(typos);
                    continue;
                }
                merge(&mut base, top);
            } else if let Some(other) = overrides.get(section.key) {
                errors.push(SettingsError::Model {
                    key: section.key.to_owned(),
                    message: format!("expected a table, found {}", other.type_str()),
                    help: None,
                });
                continue;
            }
            let value = toml::Value::Table(base);
            match (section.load)(value.clone()) {
                Ok(loaded) => {
                    settings
                        .values
                        .insert((section.type_id)(), std::sync::Arc::from(loaded));
                    settings.tables.insert(section.key, value);
                }
                Err(message) => errors.push(SettingsError::Model {
                    key: section.key.to_owned(),
                    help: unknown_key_help(&message),
                    message,
                }),
            }
        }
        if errors.is_empty() {
            Ok(settings)
        } else {
            Err(errors)
        }
    }

    /// The values of the section read into `T`. Every registered section is loaded when the
    /// settings are, so a missing one is a defect of the program (an unregistered type).
    pub fn get<T: Any + Send + Sync>(&self) -> &T {
        self.values
            .get(&TypeId::of::<T>())
            .and_then(|v| v.downcast_ref::<T>())
            .unwrap_or_else(|| {
                panic!(
                    "settings of type {} are not registered (declare them with settings_section!)",
                    std::any::type_name::<T>()
                )
            })
    }
}

/// The nearest expected key when serde says a field is unknown.
pub fn unknown_key_help(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (got, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest
        .split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s)
        .collect();
    crate::rules::vocab::nearest(got, expected.iter().copied())
        .map(|s| format!("did you mean `{s}`?"))
}

/// Keys of an override that are not in the bundled table but nearly spell one that is
/// (`[thresholds.media.jiter]`): typos, reported as such rather than as a new entry that lacks
/// its fields. A key far from every known one may be a new entry of an open table.
fn near_misses(base: &toml::Table, top: &toml::Table, path: &str) -> Vec<SettingsError> {
    let mut errors = Vec::new();
    for (key, value) in top {
        let here = format!("{path}.{key}");
        match (base.get(key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(t)) => {
                errors.extend(near_misses(b, t, &here));
            }
            (Some(_), _) => {}
            (None, _) => {
                if let Some(known) =
                    crate::rules::vocab::nearest(key, base.keys().map(String::as_str))
                {
                    errors.push(SettingsError::Model {
                        key: path.to_owned(),
                        message: format!("unknown key `{key}`"),
                        help: Some(format!("did you mean `{path}.{known}`?")),
                    });
                }
            }
        }
    }
    errors
}

/// Deep-merges `top` into `base`: tables merge key by key, other values replace.
pub fn merge(base: &mut toml::Table, top: &toml::Table) {
    for (key, value) in top {
        match (base.get_mut(key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(t)) => merge(b, t),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}
