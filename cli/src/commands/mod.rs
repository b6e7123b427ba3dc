//! One module per subcommand.

pub mod analyze;
pub mod explain;
pub mod rules;
