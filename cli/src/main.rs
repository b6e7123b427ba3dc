//! The `acs-triage` binary.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let stderr = anstream::stderr();
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    // Colour on stdout when it is a terminal and NO_COLOR / CLICOLOR allow it (anstream's rules).
    let color_out =
        anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut err = stderr.lock();
    let code = acs_triage::run(
        std::env::args_os(),
        &mut acs_triage::Io {
            out: &mut out,
            err: &mut err,
            color,
            color_out,
        },
    );
    let _ = out.flush();
    code
}
