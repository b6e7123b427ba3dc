#![no_main]
//! Fuzz target: see `acs_triage_fuzz_harness::flatten` for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    acs_triage_fuzz_harness::flatten(data);
});
