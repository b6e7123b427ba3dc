//! The `acs-triage` binary.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (libmimalloc-sys names no constant
/// for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed pages stay with the process before they go back to the system (see `main`).
const PURGE_DELAY_MS: std::os::raw::c_long = 25;

/// `mi_option_arena_eager_commit` in mimalloc 3's `mi_option_e`.
#[cfg(target_os = "linux")]
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// Commits the allocator's arenas as they are used rather than whole when reserved. On Linux
/// mimalloc commits a reserved arena (1 GiB) at once by default, and its pages stay resident
/// after they are freed: about a sixth of peak memory at 1x. The option is read when the first
/// arena is reserved, which the runtime's first allocation does before `main`, so it is set
/// from the program's initializers, which run before that. It is set as the default: an
/// `MIMALLOC_ARENA_EAGER_COMMIT` in the environment still wins.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static COMMIT_ARENAS_AS_USED: extern "C" fn() = {
    extern "C" fn commit_arenas_as_used() {
        // SAFETY: sets the default of a process-wide allocator option; allocates nothing.
        unsafe { libmimalloc_sys::mi_option_set_default(MI_OPTION_ARENA_EAGER_COMMIT, 0) };
    }
    commit_arenas_as_used
};

fn main() -> ExitCode {
    // Pages freed go back to the system 25 ms later instead of mimalloc's 1 s: with hour-by-hour
    // reading that is over a quarter less resident memory (76 against 106 MiB at 1x). Not at
    // once: pages handed back and soon touched again cost a system call and a zeroing fault
    // each, about 5 % of the CPU time at 1x, against 3-9 MiB more at 10x with 25 ms
    // (docs/performance.md). `bundle` holds the most at once (its second read gathers the IDs
    // of every call a warning names): there they go back at once (its peak at 10x 240 MiB,
    // against 248-255 with the wait). The delay set in the environment still wins (mimalloc
    // reads `MIMALLOC_PURGE_DELAY`, or its old name `MIMALLOC_RESET_DELAY`, in any case).
    let delay_in_environment = std::env::vars_os().any(|(name, _)| {
        name.to_str().is_some_and(|name| {
            name.eq_ignore_ascii_case("MIMALLOC_PURGE_DELAY")
                || name.eq_ignore_ascii_case("MIMALLOC_RESET_DELAY")
        })
    });
    if !delay_in_environment {
        // The command is the first argument that is not a flag (the only global option,
        // `--no-redact`, takes no value).
        let bundle = std::env::args_os()
            .skip(1)
            .find(|a| !a.as_encoded_bytes().starts_with(b"-"))
            .is_some_and(|a| a == "bundle");
        let delay = if bundle { 0 } else { PURGE_DELAY_MS };
        // SAFETY: sets a process-wide allocator option; mimalloc allows it at any time.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, delay) };
    }
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    // Colour on stdout when it is a terminal and NO_COLOR / CLICOLOR allow it (anstream's rules).
    let color_out =
        anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    // Not locked for the whole run: the progress bar writes to standard error from the workers.
    let mut err = anstream::stderr();
    acs_triage::process_ends_after_command();
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
