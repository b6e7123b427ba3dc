//! SMS analyzers: the delivery truth of every message (its send joined with its reports
//! wherever they are), refused sends, and throttling judged against the per-number limits.
//!
//! The map: `records.rs` reads what an SMS record says, in every shape; `message.rs` is one
//! message's state; `delivery.rs` the analysis that joins them; `outcome.rs` what became of a
//! message; `findings/` one file per finding kind; `traffic.rs` sends per sender number and
//! throttling; `tables.rs` the `sms/messages` and `sms/outcomes` tables.

pub mod delivery;
mod findings;
pub mod message;
pub mod outcome;
pub mod records;
pub mod settings;
pub mod tables;
pub mod traffic;

use acs_triage_core::catalog::CodeTable;
use acs_triage_core::{Family, catalog, declare_analyzer, finding_kinds, settings_section};

finding_kinds! {
    /// An SMS message was not delivered: its delivery report says Failed, with a status code.
    ///
    /// The code (`rules/catalog/sms_delivery_status.csv`) tells why: the recipient opted out
    /// (4007), the toll-free number is not verified (4010), the carrier rejected it, and so
    /// on. The finding decodes it and gives the action its row names; a status in no published
    /// table is quoted as the report gave it. Up to `messages_listed` messages with one code get
    /// a finding each; more share one finding (`--table sms/messages` lists every message).
    ///
    /// Sources: the SMS delivery status codes in MicrosoftDocs/azure-docs
    /// (troubleshooting-codes, sms-delivery-status), each row citing its document.
    pub DELIVERY_FAILED = ("sms/delivery-failed", Error, "SMS not delivered");

    /// The carrier of the recipient gives no delivery reports (status 5002), so whether the
    /// message arrived cannot be known.
    ///
    /// This is not a failure of the app; it is information, so that nobody chases a delivery
    /// report that will never come.
    pub CARRIER_NO_REPORT = ("sms/carrier-no-report", Info, "SMS outcome unknown: the carrier gives no delivery reports");

    /// An SMS message was accepted (202: queued, not delivered) and no delivery report for it
    /// is in any file read, although the logs reach far enough past the send for one to come.
    ///
    /// Either the report was lost, or it is in logs that were not collected. Look the message
    /// ID up in the Event Grid subscription or the SMSOperational logs for that time; if the
    /// report is missing there too, open a support request with the ID.
    pub NO_DELIVERY_REPORT = ("sms/no-delivery-report", Warning, "SMS accepted but never reported delivered");

    /// Nearly all accepted messages (at least `reports_missing_share`) have no delivery report:
    /// reports are not being collected at all, rather than lost one by one.
    ///
    /// One finding replaces one per message and says how to turn reports on: send with
    /// `enableDeliveryReport`, subscribe to `Microsoft.Communication.SMSDeliveryReportReceived`
    /// with Event Grid, or turn on the SMSOperational diagnostic setting.
    pub DELIVERY_REPORTS_MISSING = ("sms/delivery-reports-missing", Warning, "SMS delivery reports are not being collected");

    /// Messages accepted less than `report_wait_seconds` before the last SMS record: their
    /// report may still come, so they are not judged.
    pub REPORT_PENDING = ("sms/report-pending", Info, "SMS sent too close to the end of the logs to judge");

    /// A delivery report came later than `delivery_latency_seconds` after the send.
    ///
    /// The finding gives the folder's median for comparison: one slow carrier or country shows
    /// as a few slow messages against a fast median.
    pub DELIVERY_SLOW = ("sms/delivery-slow", Warning, "SMS delivery reported late");

    /// The service refused a send for a recipient (a per-recipient status other than 202 in a
    /// send response, or a failed SMSMessagesSent), so no message went out.
    ///
    /// The HTTP status and repeatability result are decoded with
    /// `rules/catalog/sms_send_status.csv`: a badly formatted number, a repeated request, an
    /// unavailable service.
    pub SEND_REFUSED = ("sms/send-refused", Error, "SMS send refused");

    /// Sends from one number were answered 429 (throttled), in bursts.
    ///
    /// Each burst is judged against the documented limit of the sender's number type
    /// (`[limits]` of the `sms` thresholds, from the ACS service-limits page): over it, the app
    /// must pace its sends; under it, the cap came from elsewhere (an unverified toll-free
    /// number, a carrier).
    pub THROTTLED = ("sms/throttled", Warning, "SMS sends throttled (429)");
}

catalog! {
    /// What each SMS delivery status code means.
    pub static DELIVERY_STATUS: CodeTable = ("sms_delivery_status.csv", 4, "SMS delivery status", Plain);
}

catalog! {
    /// What each per-recipient status of an SMS send response means.
    pub static SEND_STATUS: CodeTable = ("sms_send_status.csv", 5, "SMS send response status", HttpStatus);
}

settings_section! {
    /// SMS limits and judgement values.
    pub static SETTINGS: settings::SmsSettings = ("sms", "rules/thresholds/sms.toml");
}

declare_analyzer! {
    /// `sms/delivery`: the truth about every SMS message, joined across files and shapes.
    pub static DELIVERY: delivery::Delivery = {
        id: "sms/delivery",
        title: "SMS delivery truth, refused sends and throttling",
        families: &[Family::Sms],
        findings: &[
            &DELIVERY_FAILED,
            &CARRIER_NO_REPORT,
            &NO_DELIVERY_REPORT,
            &DELIVERY_REPORTS_MISSING,
            &REPORT_PENDING,
            &DELIVERY_SLOW,
            &SEND_REFUSED,
            &THROTTLED,
        ],
        tables: &[&tables::MESSAGES, &tables::OUTCOMES],
    };
}
