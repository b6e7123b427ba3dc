//! Web SDK console logs, as users really have them (`docs/inputs.md` cites a public example of
//! each):
//!
//! - `@azure/logger` lines: `azure:<package>[ <sub>]:<level> <message>`, the message of current
//!   Calling SDKs starting with their own ISO time (`azure:ACS-calling:info
//!   2024-01-16T06:26:52.720Z CallClient69:...`), that of the 2021 SDKs with the browser's
//!   locale time (`azure:ACS:error 2/23/2021, 14:35:31:438 [CallClient]...`);
//! - the same wrapped by another logger or copied from the browser console, so that the logger
//!   name is not at the start (`... | Message: azure:ACS-calling:...`, `12:32:42.351 index.js:8
//!   azure:...`);
//! - the 2020 SDK's own lines: `[CallClient][ACSCall{<call ID>}{Disconnected}] Call end
//!   reason=NoNgcEndpoint, code=480, subCode=10037`, possibly after a `file:line` and a locale
//!   time.
//!
//! Call endings come as `[onCallStatusChanged] [status=...][reason={"code":...}]` (the reason may
//! be pretty-printed over many lines) or as `code=..., subCode=...` text; they are marked with
//! `event = callEnded` so the calling analyzer can tell them from failed operations.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;

use super::{Block, RequestInfo, header_date, json_fields, number_value, text_value, top};
use crate::classify::Classifier;
use crate::ingest::flatten::parse_object;
use crate::record::{Bag, Family, Field, Format, Origin, Record};
use crate::time::parse_timestamp;
use crate::value::Value;

struct Patterns {
    logger: Regex,
    legacy: Regex,
    iso_time: Regex,
    locale_time: Regex,
    operation: Regex,
    acs_call: Regex,
    status: Regex,
    call_id: Regex,
    participant_id: Regex,
    response_status: Regex,
    code_pair: Regex,
    retry: Regex,
}

/// A locale date and time as the browser writes it: `2/23/2021, 14:35:31:438` (milliseconds
/// after a colon, numbers unpadded) or `11/5/2020, 14:59:20.347`.
const LOCALE_TIME: &str = r"\d{1,2}/\d{1,2}/\d{4},? \d{1,2}:\d{1,2}:\d{1,2}(?:[:.]\d{1,3})?";
const ISO_TIME: &str =
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?";

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("static pattern");
        Patterns {
            logger: re(
                r"^(?P<pre>.*?)\bazure:(?P<pkg>[A-Za-z0-9_.-]+)(?: (?P<sub>[A-Za-z]+))?:(?P<level>verbose|info|warning|error)(?: (?P<msg>.*))?$",
            ),
            legacy: re(&format!(
                r"^(?P<pre>(?:[\w.@/-]+:\d+ )?)(?:(?P<time>{LOCALE_TIME}) )?(?P<msg>\[CallClient\].*)$"
            )),
            iso_time: re(&format!(r"^(?P<time>{ISO_TIME})(?:\s+|$)")),
            locale_time: re(&format!(r"^(?P<time>{LOCALE_TIME})(?:\s+|$)")),
            // `[a52d0810][Logout]`: an operation's 8-hex ID and its name.
            operation: re(r"\[[0-9a-f]{8}\]\[(?P<op>[A-Za-z][A-Za-z0-9_.]*)\]"),
            acs_call: re(
                r"ACSCall\{(?P<id>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}(?:\{(?P<state>[A-Za-z]+)\})?",
            ),
            status: re(r"\[status=(?P<state>[A-Za-z]+)\]"),
            call_id: re(
                r#"(?i)\bcall[ _.-]?id\b["']?\s*[:=]\s*["']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"#,
            ),
            participant_id: re(
                r#"(?i)\bparticipant[ _.-]?id\b["']?\s*[:=]\s*["']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"#,
            ),
            response_status: re(r"^Response status code: (?P<status>\d{3})"),
            code_pair: re(
                r"(?i)\bcode\s*[=:]\s*(?P<code>\d{1,6})\b(?:.*?\bsub_?code\s*[=:]\s*(?P<sub>\d{1,7})\b)?",
            ),
            retry: re(r"^Retry (?P<n>\d+):"),
        }
    })
}

/// True when `line` starts a web SDK log entry.
pub(super) fn starts_entry(line: &str) -> bool {
    let p = patterns();
    p.logger.is_match(line) || p.legacy.is_match(line)
}

/// The parts of an entry's first line.
struct Head<'a> {
    /// What precedes the logger name (a wrapper's time, a `file:line`).
    pre: &'a str,
    package: &'a str,
    logger: String,
    level: &'a str,
    /// The SDK's own time, if the line has one before its message.
    time: Option<&'a str>,
    message: &'a str,
}

fn head(line: &str) -> Option<Head<'_>> {
    let p = patterns();
    if let Some(caps) = p.logger.captures(line) {
        let package = caps.name("pkg").map_or("", |m| m.as_str());
        let logger = match caps.name("sub") {
            Some(s) => format!("azure:{package} {}", s.as_str()),
            None => format!("azure:{package}"),
        };
        let message = caps.name("msg").map_or("", |m| m.as_str());
        let (time, message) = leading_time(message);
        return Some(Head {
            pre: caps.name("pre").map_or("", |m| m.as_str()),
            package,
            logger,
            level: caps.name("level").map_or("", |m| m.as_str()),
            time,
            message,
        });
    }
    let caps = p.legacy.captures(line)?;
    let message = caps.name("msg").map_or("", |m| m.as_str());
    let level = if message.to_ascii_lowercase().contains("error") {
        "error"
    } else {
        "info"
    };
    Some(Head {
        pre: caps.name("pre").map_or("", |m| m.as_str()),
        package: "ACS",
        logger: "CallClient".to_owned(),
        level,
        time: caps.name("time").map(|m| m.as_str()),
        message,
    })
}

/// Splits an ISO or locale time off the start of a message.
fn leading_time(message: &str) -> (Option<&str>, &str) {
    let p = patterns();
    for pattern in [&p.iso_time, &p.locale_time] {
        if let Some(caps) = pattern.captures(message) {
            let whole = caps.get(0).map_or(0, |m| m.end());
            return (caps.name("time").map(|m| m.as_str()), &message[whole..]);
        }
    }
    (None, message)
}

/// A web SDK record and, when its time is a locale date (which may read day first or month
/// first), that text: the caller decides the order for the whole file.
pub(super) struct WebRecord {
    pub record: Record<'static>,
    pub locale_time: Option<String>,
}

pub(super) fn record(
    origin: Origin,
    block: &Block,
    classifier: &Classifier,
    requests: &mut HashMap<String, RequestInfo>,
) -> Option<WebRecord> {
    let p = patterns();
    let head = head(&block.head)?;
    let mut message = head.message.to_owned();
    for more in &block.more {
        message.push('\n');
        message.push_str(more);
    }
    let mut fields = vec![
        top("logger", text_value(&head.logger)),
        top("package", text_value(head.package)),
        top("level", text_value(head.level)),
    ];
    let mut family = classifier.logger_family(head.package);

    // The SDK's own time first; a wrapper's ISO time (Electron) when the SDK wrote none. A
    // browser console's `12:32:42.351` has no date and is not used.
    let mut locale_time = None;
    let mut time = None;
    match head.time {
        Some(t) if t.contains('/') => locale_time = Some(t.to_owned()),
        Some(t) => time = parse_timestamp(t),
        None => {
            let (outer, _) = leading_time(head.pre.trim_start().trim_start_matches('['));
            match outer {
                Some(t) if t.contains('/') => locale_time = Some(t.to_owned()),
                Some(t) => time = parse_timestamp(t),
                None => {}
            }
        }
    }

    if let Some(c) = p.operation.captures(&message) {
        fields.push(top("operation", text_value(&c["op"])));
    }
    let mut state = None;
    if let Some(c) = p.acs_call.captures(&message) {
        fields.push(top("callId", text_value(&c["id"])));
        state = c.name("state").map(|m| m.as_str().to_owned());
    } else if let Some(c) = p.call_id.captures(&message) {
        fields.push(top("callId", text_value(&c[1])));
    }
    if let Some(c) = p.status.captures(&message) {
        state = Some(c["state"].to_owned());
    }
    if let Some(s) = &state {
        fields.push(top("callState", text_value(s)));
    }
    if let Some(c) = p.participant_id.captures(&message) {
        fields.push(top("participantId", text_value(&c[1])));
    }
    if let Some(c) = p.response_status.captures(&message) {
        fields.push(top("status", number_value(&c["status"])));
        fields.push(top("kind", text_value("response")));
    }
    if let Some(c) = p.retry.captures(&message) {
        fields.push(top("retryAttempt", number_value(&c["n"])));
    }
    if let Some(json) = message.strip_prefix("Request:") {
        family = read_request(json, classifier, requests, &mut fields).or(family);
    }
    let mut has_code = true;
    if let Some(reason) = embedded_reason(&message) {
        fields.extend(reason);
    } else if let Some(c) = p.code_pair.captures(&message) {
        // `Call end reason=NoNgcEndpoint, code=480, subCode=10037` (SDK) and
        // `call end reason={code=480, subCode=10037}` (the quickstart's own line).
        fields.push(top("code", number_value(&c["code"])));
        if let Some(sub) = c.name("sub") {
            fields.push(top("subCode", number_value(sub.as_str())));
        }
    } else {
        has_code = false;
    }
    if has_code && is_call_end(&message, state.as_deref()) {
        fields.push(top("event", text_value("callEnded")));
    }
    fields.push(top("message", Value::Str(Cow::Owned(message))));

    let time = time.or_else(|| header_date(&fields));
    let mut record = Record::new(origin, Format::WebSdkLog, fields);
    record.time = time;
    record.category = Some(Cow::Owned(head.logger));
    record.family = family.unwrap_or(Family::Unknown);
    Some(WebRecord {
        record,
        locale_time,
    })
}

/// Whether a line that carries a code reports how a call ended: a call state that is an end
/// (`Disconnected`, `LocalTerminated`...) or the words the SDKs and samples use for it.
fn is_call_end(message: &str, state: Option<&str>) -> bool {
    if let Some(s) = state {
        let s = s.to_ascii_lowercase();
        if s.contains("disconnected") || s.contains("terminated") || s.contains("ended") {
            return true;
        }
    }
    let lower = message.to_ascii_lowercase();
    ["call ended", "endreason", "end reason", "callend"]
        .iter()
        .any(|w| lower.contains(w))
}

/// `Request: {...}` (the HTTP pipeline's dump): URL, method, headers, and the request ID that
/// later response lines refer to. Returns the family the endpoint belongs to.
fn read_request(
    json: &str,
    classifier: &Classifier,
    requests: &mut HashMap<String, RequestInfo>,
    fields: &mut Vec<Field<'static>>,
) -> Option<Family> {
    let request = json_fields(json, None, Bag::Top)?;
    fields.push(top("kind", text_value("request")));
    let mut url = None;
    let mut method = None;
    let mut request_id = None;
    for f in request {
        let lower = f.name.to_ascii_lowercase();
        if let Some(h) = lower.strip_prefix("headers.") {
            if h == "x-ms-client-request-id" {
                request_id = Some(f.value.to_text().into_owned());
            }
            fields.push(Field::new(Bag::Headers, h.to_owned(), f.value));
            continue;
        }
        match lower.as_str() {
            "url" => url = Some(f.value.to_text().into_owned()),
            "method" => method = Some(f.value.to_text().into_owned()),
            "requestid" => request_id = request_id.or(Some(f.value.to_text().into_owned())),
            _ => {}
        }
    }
    let family = url.as_deref().and_then(|u| classifier.endpoint_family(u));
    if let Some(u) = &url {
        fields.push(top("uri", text_value(u)));
    }
    if let Some(m) = &method {
        fields.push(top("method", text_value(m)));
    }
    if let Some(id) = &request_id {
        fields.push(top("clientRequestId", text_value(id)));
        requests.insert(
            id.clone(),
            RequestInfo {
                method: method.clone().unwrap_or_default(),
                uri: url.clone().unwrap_or_default(),
                family: family.unwrap_or(Family::Unknown),
            },
        );
    }
    family
}

/// Finds the first JSON object in `text` that has a `code` member (a call end reason such as
/// `reason={"code":403,"subCode":5222,...}`, or a `CallingCommunicationError` the app printed
/// with its private `_code`/`_subCode` names) and returns its fields, names without the `_`.
pub(super) fn embedded_reason(text: &str) -> Option<Vec<Field<'static>>> {
    let mut from = 0;
    while let Some(pos) = text[from..].find('{') {
        let start = from + pos;
        let mut stream =
            serde_json::Deserializer::from_str(&text[start..]).into_iter::<serde_json::Value>();
        if let Some(Ok(serde_json::Value::Object(map))) = stream.next()
            && (map.contains_key("code") || map.contains_key("_code"))
        {
            // Re-parse the exact span so the fields keep their written order.
            let span = &text[start..start + stream.byte_offset()];
            let fields = parse_object(span.as_bytes()).ok()?;
            return Some(
                fields
                    .into_iter()
                    .map(|f| {
                        let name = f.name.strip_prefix('_').unwrap_or(&f.name);
                        match name {
                            "code" | "subCode" | "phrase" | "resultCategories" => {
                                top(name, f.value.into_owned())
                            }
                            other => top(&format!("reason.{other}"), f.value.into_owned()),
                        }
                    })
                    .collect(),
            );
        }
        from = start + 1;
    }
    None
}

/// Merges a web `Headers: {...}` block into the response record it follows.
pub(super) fn merge_headers(
    response: &mut Record<'static>,
    headers: &Record<'static>,
    classifier: &Classifier,
    requests: &HashMap<String, RequestInfo>,
) {
    let Some(message) = headers.text("message") else {
        return;
    };
    let json = message.trim_start_matches("Headers:");
    if let Some(fields) = json_fields(json, None, Bag::Headers) {
        response.fields.extend(fields);
    }
    if let Some(id) = response
        .text("headers.x-ms-client-request-id")
        .map(|c| c.into_owned())
    {
        response
            .fields
            .push(top("clientRequestId", text_value(&id)));
        if let Some(info) = requests.get(&id) {
            response
                .fields
                .push(top("method", text_value(&info.method)));
            response.fields.push(top("uri", text_value(&info.uri)));
            if response.family == Family::Unknown {
                response.family = info.family;
            }
        }
    }
    if response.family == Family::Unknown
        && let Some(uri) = response.text("uri")
    {
        response.family = classifier.endpoint_family(&uri).unwrap_or(Family::Unknown);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_of_every_form() {
        let h = head("azure:ACS-calling:info 2024-01-16T06:26:52.720Z CallClient69:CallStack:x [a52d0810][Logout] executing").unwrap();
        assert_eq!(h.time, Some("2024-01-16T06:26:52.720Z"));
        assert!(h.message.starts_with("CallClient69:"));
        let h = head("2024-01-16T06:26:55.900Z [info]: Event:console-message | Line: 2 | Message: azure:ACS-calling:warning 2024-01-16T06:26:55.898Z CallClient70 tags").unwrap();
        assert_eq!(
            (h.level, h.time),
            ("warning", Some("2024-01-16T06:26:55.898Z"))
        );
        let h =
            head("azure:ACS:error 2/23/2021, 14:35:31:438 [CallClient][Trouter] failed").unwrap();
        assert_eq!(h.time, Some("2/23/2021, 14:35:31:438"));
        assert_eq!(h.message, "[CallClient][Trouter] failed");
        let h = head("azure-call.component.ts:95 11/5/2020, 14:59:20:347 [CallClient] [JS.TsCalling.SignalingAgent] x").unwrap();
        assert_eq!(
            (h.logger.as_str(), h.time),
            ("CallClient", Some("11/5/2020, 14:59:20:347"))
        );
        let h = head("[CallClient][ACSCall{e8d39bfa-05e1-492c-9b7d-bf0f2b336d89}{Disconnected}] Call end reason=NoNgcEndpoint, code=480, subCode=10037").unwrap();
        assert_eq!(h.time, None);
        assert!(head("[{\"CallClient\": 1}]").is_none());
        assert!(head("hello").is_none());
    }

    #[test]
    fn end_reasons_written_as_pairs() {
        let p = patterns();
        let c = p
            .code_pair
            .captures("Call end reason=NoNgcEndpoint, code=480, subCode=10037")
            .unwrap();
        assert_eq!((&c["code"], &c["sub"]), ("480", "10037"));
        let c = p
            .code_pair
            .captures("Call ended, call end reason={code=0, subCode=0}")
            .unwrap();
        assert_eq!(&c["code"], "0");
    }

    #[test]
    fn finds_end_reason_json() {
        let fields = embedded_reason(
            r#"Call ended [callId=1, reason={"code":403,"subCode":5222,"phrase":"x","resultCategories":["ExpectedError"]}]"#,
        )
        .unwrap();
        let names: Vec<_> = fields.iter().map(|f| f.name.to_string()).collect();
        assert_eq!(names, ["code", "subCode", "phrase", "resultCategories"]);
        assert_eq!(embedded_reason("{not json} {\"a\":1}"), None);
        // The object that has the code, wherever it is; its other members kept apart.
        let fields = embedded_reason(
            r#"{"error":{"_code":0,"_subCode":5317,"message":"ActionNotAllowed"}}"#,
        )
        .unwrap();
        let names: Vec<_> = fields.iter().map(|f| f.name.to_string()).collect();
        assert_eq!(names, ["code", "subCode", "reason.message"]);
    }
}
