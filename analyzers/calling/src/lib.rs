//! Calling analyzers: every call reconstructed and judged (end reasons, client evidence,
//! patterns across calls, missing data), media stream quality, and Call Automation results.
//! Each analyzer registers itself; the CLI links this crate by name.
//!
//! The map: `calls/` rebuilds every call (`state.rs`, the analysis in `mod.rs`, one file per
//! finding kind, `tables.rs`); `client.rs` reads client operations and User Facing
//! Diagnostics; `media.rs` judges streams against the thresholds; `automation.rs` decodes Call
//! Automation results; `story.rs` tells one call's story for `analyze --call`.

pub mod automation;
pub mod calls;
pub mod client;
pub mod kql;
pub mod media;
pub mod settings;
pub mod story;

use acs_triage_core::catalog::{CodeTable, UfdTable};
use acs_triage_core::{Family, catalog, declare_analyzer, finding_kinds, settings_section};

pub use settings::{CallsSettings, MediaThresholds};

finding_kinds! {
    /// A participant's call ended with a code that is not a normal ending, decoded.
    ///
    /// Every participant's `participantEndReason`/`participantEndSubCode` (CallSummary, and the
    /// end lines of client logs) is looked up in `rules/catalog/calling_end_reasons.csv`, which
    /// rates each code itself: normal endings (0/0, 487/0, 603/0 and the other hang-ups,
    /// declines and cancels) are never reported, whatever the service's `resultCategory` says.
    /// The finding gives what the code means and the one next step, with the client evidence
    /// seen before the ending (a failed operation, a User Facing Diagnostic that never
    /// recovered) and, when the same identity failed before, how often.
    ///
    /// Sources: the call-end, Calling SDK, PSTN and CallAgent code tables of
    /// MicrosoftDocs/azure-docs (troubleshooting-codes), each row citing its document.
    pub END_REASON = ("calling/end-reason", Error, "A call ended with a failure code");

    /// A Calling SDK operation failed on the client (`CallClientOperations` with a failing
    /// result): a device permission refused, the CallAgent not created, a token rejected.
    pub CLIENT_OPERATION_FAILED = ("calling/client-operation-failed", Warning, "A client operation failed");

    /// A User Facing Diagnostic of the Calling SDK reported a problem (no network, relays not
    /// reachable, no microphone, poor network quality) and did not recover before the call or
    /// the logs ended.
    ///
    /// Recovered diagnostics are only mentioned as context. Meanings and actions come from
    /// `rules/catalog/user_facing_diagnostics.csv`.
    pub USER_FACING_DIAGNOSTIC = ("calling/user-facing-diagnostic", Warning, "A client diagnostic reported a problem");

    /// Many participants of one call ended with failures within a minute of each other.
    ///
    /// Clients rarely fail together: the cause is likely on the service side (or a shared
    /// network), so the action is a support request with the call ID and the time.
    pub SERVICE_SIDE_FAILURE = ("calling/service-side-failure", Error, "Many participants of one call failed together");

    /// One identity failed with the same code on most of its calls (at least
    /// `repeated_failure_calls` of them, and 8 in 10).
    ///
    /// A failure that repeats for one user is configuration (a blocked network, a token issued
    /// wrong, a device), not chance: fix it for that user rather than retrying.
    pub REPEATED_FAILURE = ("calling/repeated-failure", Error, "The same identity fails on call after call");

    /// One SDK or OS version is behind most call failures.
    pub VERSION_PATTERN = ("calling/version-pattern", Warning, "One version is behind most call failures");

    /// The logs lack what is needed to judge calls: CallSummary or CallDiagnostics records
    /// missing altogether, a call with no summary, participants with no end record.
    ///
    /// Says which diagnostic setting to enable, or that a summary can land in a later hourly
    /// blob.
    pub MISSING_DATA = ("calling/missing-data", Info, "Call data is missing");

    /// The SDK and OS versions of some failed participants are `Redacted` (cross-tenant
    /// participants), so version patterns cannot include them.
    pub REDACTED_VERSIONS = ("calling/redacted-versions", Info, "Versions of some failed participants are redacted");

    /// A media stream was poor by at least one threshold (round-trip time, jitter, packet
    /// loss, jitter buffer, healed data, frame rate, resolution, freezes).
    ///
    /// Every CallDiagnostics stream is judged against `rules/thresholds/media.toml` (each value
    /// citing the call-diagnostics log schema), and the poor one is attributed to the
    /// participant who sent it or, for streams the server sends in group calls, who received
    /// it. The action is that of the most important threshold broken.
    pub POOR_STREAM = ("calling/poor-stream", Warning, "A media stream was poor");

    /// A media stream carried no packets at all: media did not flow.
    pub NO_MEDIA = ("calling/no-media", Error, "No media flowing");

    /// A Call Automation operation reported a result code that is not a success (a callback's
    /// `resultInformation`, the media summary's result), decoded with
    /// `rules/catalog/call_automation_result_codes.csv`.
    pub AUTOMATION_RESULT = ("call-automation/result", Warning, "A Call Automation operation reported a failure");

    /// A Call Automation API request failed (the HTTP status of
    /// `ACSCallAutomationIncomingOperations`).
    pub AUTOMATION_REQUEST_FAILED = ("call-automation/request-failed", Error, "A Call Automation request failed");
}

catalog! {
    /// Call end reasons, Calling SDK, PSTN and CallAgent codes.
    pub static CALLING_END_REASONS: CodeTable = ("calling_end_reasons.csv", 1, "calling end reason / Calling SDK error", Subcodes);
}

catalog! {
    /// Call Automation result codes and subcodes.
    pub static CALL_AUTOMATION_CODES: CodeTable = ("call_automation_result_codes.csv", 2, "Call Automation result", Subcodes);
}

catalog! {
    /// SIP responses a phone network gives (Call Automation's `sipDetails`): a busy or declined
    /// callee is a normal outcome whatever the result code around it.
    pub static SIP_RESPONSES: CodeTable = ("sip_responses.csv", 3, "SIP response (phone network)", Plain);
}

catalog! {
    /// Q.850 causes a phone network gives (Call Automation's `q850Details`).
    pub static Q850_CAUSES: CodeTable = ("q850_causes.csv", 4, "Q.850 cause (phone network)", Plain);
}

catalog! {
    /// What each identity and token error means (tokens are what calls and chat sign in with;
    /// client operations fail with them).
    pub static IDENTITY_ERRORS: CodeTable = ("identity_auth_errors.csv", 6, "identity / token error", AllRows);
}

catalog! {
    /// The Calling SDK's User Facing Diagnostics.
    pub static USER_FACING_DIAGNOSTICS: UfdTable = ("user_facing_diagnostics.csv", 7, "User Facing Diagnostic", None);
}

settings_section! {
    /// Media-quality thresholds.
    pub static MEDIA_SETTINGS: MediaThresholds = ("media", "rules/thresholds/media.toml");
}

settings_section! {
    /// Call limits and judgement values.
    pub static CALLS_SETTINGS: CallsSettings = ("calls", "rules/thresholds/calls.toml");
}

declare_analyzer! {
    /// `calling/calls`: every call reconstructed from every source that mentions it, then
    /// judged.
    pub static CALLS: calls::CallsPass = {
        id: "calling/calls",
        title: "Calls: end reasons, client evidence, patterns, missing data",
        families: &[Family::Calling, Family::CallAutomation],
        findings: &[
            &END_REASON,
            &CLIENT_OPERATION_FAILED,
            &USER_FACING_DIAGNOSTIC,
            &SERVICE_SIDE_FAILURE,
            &REPEATED_FAILURE,
            &VERSION_PATTERN,
            &MISSING_DATA,
            &REDACTED_VERSIONS,
        ],
        tables: &[&calls::tables::END_REASONS, &calls::tables::TIMELINE, &calls::HEALTH],
    };
}

declare_analyzer! {
    /// `calling/media-quality`: every media stream judged against the thresholds.
    pub static MEDIA_QUALITY: media::MediaPass = {
        id: "calling/media-quality",
        title: "Media stream quality",
        families: &[Family::Calling],
        findings: &[&POOR_STREAM, &NO_MEDIA],
        tables: &[&media::QUALITY],
    };
}

declare_analyzer! {
    /// `call-automation/results`: Call Automation outcomes decoded.
    pub static AUTOMATION: automation::AutomationPass = {
        id: "call-automation/results",
        title: "Call Automation results",
        families: &[Family::CallAutomation, Family::Unknown],
        findings: &[&AUTOMATION_RESULT, &AUTOMATION_REQUEST_FAILED],
        tables: &[],
    };
}
