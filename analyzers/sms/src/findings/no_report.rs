//! `sms/no-delivery-report` and `sms/delivery-reports-missing`: accepted messages without a delivery report, one by one or across the board.

use acs_triage_core::Finding;

use super::{REPORTS_DOCS, describe, id_list, with_ids};
use crate::outcome::Outcome;
use crate::{DELIVERY_REPORTS_MISSING, NO_DELIVERY_REPORT};

pub fn finding(members: &[&Outcome<'_>]) -> Finding {
    let verb = if members.len() == 1 { "was" } else { "were" };
    with_ids(
        NO_DELIVERY_REPORT
            .finding()
            .message(format!(
            "{} {verb} accepted (202: queued, not delivered) and no delivery report for it is in \
             any file here: whether it arrived is unknown.",
            describe(members)
        ))
        .action(
            "Look the message ID up in the Event Grid subscription or SMSOperational logs for \
             that time; if the report is missing there too, open a support request with the ID.",
        )
        .docs(REPORTS_DOCS),
        members,
    )
}

pub fn across_the_board(unknown: &[&Outcome<'_>], judged: usize) -> Finding {
    let share = if unknown.len() == judged {
        format!("None of the {judged} accepted SMS messages")
    } else {
        format!("{} of the {judged} accepted SMS messages", unknown.len())
    };
    with_ids(
        DELIVERY_REPORTS_MISSING
            .finding()
            .message(format!(
            "{share} {} a delivery report in these logs, so whether they arrived is unknown (a \
             202 only means the message was queued): {}.",
            if unknown.len() == judged { "has" } else { "have no" },
            id_list(unknown)
        ))
        .action(
            "Send with enableDeliveryReport set to true and subscribe to \
             Microsoft.Communication.SMSDeliveryReportReceived with Event Grid (or turn on the \
             SMSOperational diagnostic setting), then collect those reports with the send logs.",
        )
        .docs(REPORTS_DOCS)
        .source("MicrosoftDocs/azure-docs:articles/event-grid/communication-services-telephony-sms-events.md@06867cc99470d00efa3831fdcb8fa76c8ebae256"),
        unknown,
    )
}
