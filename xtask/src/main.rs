//! `cargo xtask <task>`: developer tasks. See `xtask/src/lib.rs`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["new-analyzer", name] => {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            match xtask::new_analyzer(&root, name) {
                Ok(changed) => {
                    println!("New analyzer `{name}`: wrote or changed");
                    for path in changed {
                        println!("  {}", path.display());
                    }
                    println!(
                        "Next: rename its finding and settings to what it checks, write a fixture that triggers each finding and one that must not, and run cargo test --workspace (CONTRIBUTING.md)."
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        _ => {
            eprintln!("usage: cargo xtask new-analyzer NAME");
            ExitCode::from(2)
        }
    }
}
