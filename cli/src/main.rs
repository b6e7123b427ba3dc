//! The `acs-triage` binary.

use std::io::IsTerminal;
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let stdout = anstream::stdout();
    let stderr = anstream::stderr();
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    acs_triage::run(
        std::env::args_os(),
        &mut acs_triage::Io {
            out: &mut out,
            err: &mut err,
            color,
        },
    )
}
