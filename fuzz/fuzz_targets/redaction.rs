#![no_main]
//! Fuzz target: see `acs_triage_fuzz_harness::redaction` for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    acs_triage_fuzz_harness::redaction(data);
});
