//! The `acs-triage` binary.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    // Colour on stdout when it is a terminal and NO_COLOR / CLICOLOR allow it (anstream's rules).
    let color_out =
        anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    // Not locked for the whole run: the progress bar writes to standard error from the workers.
    let mut err = anstream::stderr();
    let code = acs_triage::run(
        std::env::args_os(),
        &mut acs_triage::Io {
            out: &mut out,
            err: &mut err,
            color,
            color_out,
            err_is_terminal: std::io::stderr().is_terminal(),
        },
    );
    let _ = out.flush();
    code
}
