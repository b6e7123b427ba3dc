//! Loading the configuration and rules every command shares.

use std::path::PathBuf;

use acs_triage_core::config::{LoadedConfig, Setup, SetupErrors, setup};
use clap::Args;

use crate::{Failure, analyzers};

/// Options that choose rules and configuration.
#[derive(Debug, Clone, Args)]
pub struct SetupArgs {
    /// Add a rule file or a folder of rule files (*.toml); repeatable.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Read this configuration file instead of ./acs-triage.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Reads the configuration (given, or `acs-triage.toml` in the working folder) and builds the setup.
pub fn load(args: &SetupArgs) -> Result<Setup, Failure> {
    let config = match &args.config {
        Some(path) => Some(LoadedConfig::read(path)),
        None => LoadedConfig::discover(std::path::Path::new(".")).transpose(),
    };
    let config = match config {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            return Err(Failure::Setup(SetupErrors {
                config: vec![e],
                rules: Vec::new(),
            }));
        }
        None => None,
    };
    setup(config.as_ref(), &args.rules, &analyzers::registered()).map_err(Failure::Setup)
}
