//! One chat request, whatever logged it: ChatOperational records (any shape; the HTTP status is
//! `resultSignature`) or the HTTP responses to `/chat/` endpoints in .NET Azure.Core and web SDK
//! logs and HTTP captures (HAR files, SDK recordings).

use acs_triage_core::{FieldName, field, fields};
use std::borrow::Cow;
use std::sync::OnceLock;

use acs_triage_core::{Format, Record};
use regex::Regex;

/// What a request does, as far as the service limits care (ACS-LOGS.md §6: message sends,
/// updates and deletes count per thread; typing notifications per user per thread).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RequestKind {
    MessageWrite,
    Typing,
    Other,
}

impl RequestKind {
    pub fn label(self) -> &'static str {
        match self {
            RequestKind::MessageWrite => "message send/update/delete",
            RequestKind::Typing => "typing notification",
            RequestKind::Other => "other request",
        }
    }
}

/// A chat request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRequest {
    pub status: i64,
    pub kind: RequestKind,
    pub thread: Option<String>,
    pub user: Option<String>,
    /// `SendChatMessage`, or `POST /chat/threads/…/messages` for SDK logs.
    pub operation: Option<String>,
}

/// Fields shown in evidence excerpts.
pub const EVIDENCE_FIELDS: &[FieldName<'static>] = fields![
    "operationName",
    "resultSignature",
    "resultType",
    "status",
    "reason",
    "method",
    "uri",
    "correlationId",
    "headers.ms-cv",
];

/// The HTTP status of a chat request, as [`read`] finds it (`None` for records that are not
/// one): analyses that look only at failures check it before reading the rest.
pub fn status(record: &Record<'_>) -> Option<i64> {
    let sdk = matches!(
        record.format,
        Format::DotnetLog | Format::WebSdkLog | Format::HttpCapture
    ) || record.is_category("CommunicationError");
    if sdk {
        record.int(field!("status"))
    } else {
        record.int(field!("resultSignature"))
    }
}

/// Reads a chat request; `None` for records that are not one (or carry no status).
pub fn read(record: &Record<'_>) -> Option<ChatRequest> {
    let status = status(record)?;
    let uri = record.text(field!("uri"));
    let method = record.text(field!("method"));
    let operation = record.text(field!("operationName"));
    let kind = match (&operation, &method, &uri) {
        (Some(op), _, _) => kind_of_operation(op),
        (None, Some(m), Some(u)) => kind_of_call(m, u),
        _ => RequestKind::Other,
    };
    let thread = record
        .chat_thread_id()
        .map(Cow::into_owned)
        .or_else(|| uri.as_deref().and_then(thread_from_uri))
        .filter(|t| !t.trim().is_empty());
    let operation = operation.map(Cow::into_owned).or_else(|| {
        method.map(|m| {
            let uri = uri.as_deref().unwrap_or_default();
            let path = uri.split('?').next().unwrap_or(uri);
            // Drop the scheme and host: `POST /chat/threads/…/messages`.
            let path = path
                .split_once("://")
                .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
                .unwrap_or(path);
            format!("{m} {path}")
        })
    });
    Some(ChatRequest {
        status,
        kind,
        thread,
        user: record
            .user_id()
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty()),
        operation,
    })
}

/// `SendChatMessage`, `UpdateChatMessage`, `DeleteChatMessage`, `SendTypingNotification`, ...
fn kind_of_operation(op: &str) -> RequestKind {
    let op = op.to_ascii_lowercase();
    if op.contains("typing") {
        RequestKind::Typing
    } else if op.contains("message")
        && ["send", "update", "delete", "edit"]
            .iter()
            .any(|verb| op.starts_with(verb))
    {
        RequestKind::MessageWrite
    } else {
        RequestKind::Other
    }
}

/// `POST /chat/threads/{id}/messages`, `PATCH|DELETE .../messages/{id}`, `POST .../typing`.
fn kind_of_call(method: &str, uri: &str) -> RequestKind {
    let path = uri.split('?').next().unwrap_or(uri).to_ascii_lowercase();
    let path = path.trim_end_matches('/');
    let method = method.to_ascii_uppercase();
    if path.ends_with("/typing") {
        return RequestKind::Typing;
    }
    let writes = matches!(method.as_str(), "POST" | "PATCH" | "PUT" | "DELETE");
    let on_messages = path.ends_with("/messages")
        || path
            .rsplit_once('/')
            .is_some_and(|(head, _)| head.ends_with("/messages"));
    if writes && on_messages && path.contains("/chat/threads/") {
        RequestKind::MessageWrite
    } else {
        RequestKind::Other
    }
}

/// Thread ID from a REST path such as `/chat/threads/19%3Aabc%40thread.v2/messages`.
pub fn thread_from_uri(uri: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"/chat/threads/([^/?#]+)").expect("static pattern"));
    let raw = re.captures(uri)?.get(1)?.as_str();
    Some(percent_decode(raw))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = (bytes[i + 1] as char)
                .to_digit(16)
                .zip((bytes[i + 2] as char).to_digit(16));
            if let Some((hi, lo)) = hex {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_ids_come_out_of_uris() {
        assert_eq!(
            thread_from_uri("https://x.communication.azure.com/chat/threads/19%3Aabc%40thread.v2/messages?api-version=2021-09-07").as_deref(),
            Some("19:abc@thread.v2")
        );
        assert_eq!(thread_from_uri("https://x/sms"), None);
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("a%\u{e9}b%41"), "a%\u{e9}bA");
        assert_eq!(percent_decode("%+1x"), "%+1x");
    }

    #[test]
    fn request_kinds() {
        assert_eq!(
            kind_of_operation("SendChatMessage"),
            RequestKind::MessageWrite
        );
        assert_eq!(
            kind_of_operation("DeleteChatMessage"),
            RequestKind::MessageWrite
        );
        assert_eq!(
            kind_of_operation("SendTypingNotification"),
            RequestKind::Typing
        );
        assert_eq!(kind_of_operation("ListChatMessages"), RequestKind::Other);
        assert_eq!(kind_of_operation("CreateChatThread"), RequestKind::Other);
        let base = "https://x.communication.azure.com/chat/threads/19%3Aa%40thread.v2";
        assert_eq!(
            kind_of_call("POST", &format!("{base}/messages?api-version=1")),
            RequestKind::MessageWrite
        );
        assert_eq!(
            kind_of_call("PATCH", &format!("{base}/messages/1700000000000")),
            RequestKind::MessageWrite
        );
        assert_eq!(
            kind_of_call("GET", &format!("{base}/messages")),
            RequestKind::Other
        );
        assert_eq!(
            kind_of_call("POST", &format!("{base}/typing")),
            RequestKind::Typing
        );
    }
}
