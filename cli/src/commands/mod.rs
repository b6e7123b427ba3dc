//! One module per subcommand.

pub mod analyze;
pub mod bundle;
pub mod explain;
pub mod ids;
pub mod kql;
pub mod rules;
