//! .NET Azure.Core console logs (`AzureEventSourceListener`): `[<Level>] <EventSource>: <message>`,
//! or `<EventSource>: [<Level>] <message>` from the trace logger, with `Name:value` header lines
//! after requests and responses and content blocks after them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;

use super::{Block, RequestInfo, header_date, json_fields, number_value, text_value, top};
use crate::classify::Classifier;
use crate::record::{Bag, Family, Field, Format, Origin, Record};
use crate::time::parse_timestamp;
use crate::value::Value;

struct Patterns {
    dotnet: Regex,
    dotnet_trace: Regex,
    request: Regex,
    response: Regex,
    content: Regex,
    attempt: Regex,
    slow: Regex,
    exception: Regex,
    header: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("static pattern");
        Patterns {
            dotnet: re(
                r"^(?P<pre>.*?)\[(?P<level>Verbose|Informational|Warning|Error|Critical|LogAlways)\] (?P<source>[A-Za-z][A-Za-z0-9._-]*): (?P<msg>.*)$",
            ),
            dotnet_trace: re(
                r"^(?P<pre>.*?)\b(?P<source>[A-Za-z][A-Za-z0-9._-]*): \[(?P<level>Verbose|Informational|Warning|Error|Critical|LogAlways)\] (?P<msg>.*)$",
            ),
            request: re(
                r"^Request \[(?P<id>[^\]]+)\] (?P<method>GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (?P<uri>\S+)",
            ),
            response: re(
                r"^(?P<kind>Response|Error response) \[(?P<id>[^\]]+)\] (?P<status>\d{3})(?: (?P<reason>.*?))? \((?P<secs>[\d.]+)s\)\s*$",
            ),
            content: re(
                r"^(?P<kind>Request|Response|Error response) \[(?P<id>[^\]]+)\] content: ?(?P<content>.*)$",
            ),
            attempt: re(
                r"^Request \[(?P<id>[^\]]+)\] (?:attempt|retry) number (?P<n>\d+) took (?P<secs>[\d.]+)s",
            ),
            slow: re(r"^Response \[(?P<id>[^\]]+)\] took (?P<secs>[\d.]+)s"),
            exception: re(r"^Request \[(?P<id>[^\]]+)\] exception ?(?P<ex>.*)$"),
            header: re(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9-]*):(?P<value>.*)$"),
        }
    })
}

/// True when `line` starts a .NET log entry.
pub(super) fn starts_entry(line: &str) -> bool {
    let p = patterns();
    p.dotnet.is_match(line) || p.dotnet_trace.is_match(line)
}

pub(super) fn record(
    origin: Origin,
    block: &Block,
    classifier: &Classifier,
    requests: &mut HashMap<String, RequestInfo>,
) -> Option<Record<'static>> {
    let p = patterns();
    let caps = p
        .dotnet
        .captures(&block.head)
        .or_else(|| p.dotnet_trace.captures(&block.head))?;
    let level = caps.name("level").map_or("", |m| m.as_str());
    let source = caps.name("source").map_or("", |m| m.as_str());
    let msg = caps.name("msg").map_or("", |m| m.as_str());
    let time = caps
        .name("pre")
        .and_then(|m| parse_timestamp(m.as_str().trim().trim_matches(['[', ']'])));
    let mut fields = vec![
        top("level", text_value(level)),
        top("source", text_value(source)),
    ];
    let mut family = None;
    let mut request_id: Option<String> = None;
    let mut body: Option<String> = None;

    if let Some(c) = p.request.captures(msg) {
        request_id = Some(c["id"].to_owned());
        let uri = &c["uri"];
        family = classifier.endpoint_family(uri);
        fields.push(top("kind", text_value("request")));
        fields.push(top("method", text_value(&c["method"])));
        fields.push(top("uri", text_value(uri)));
        requests.insert(
            c["id"].to_owned(),
            RequestInfo {
                method: c["method"].to_owned(),
                uri: uri.to_owned(),
                family: family.unwrap_or(Family::Unknown),
            },
        );
    } else if let Some(c) = p.response.captures(msg) {
        request_id = Some(c["id"].to_owned());
        let kind = if &c["kind"] == "Response" {
            "response"
        } else {
            "error-response"
        };
        fields.push(top("kind", text_value(kind)));
        fields.push(top("status", number_value(&c["status"])));
        if let Some(r) = c.name("reason") {
            fields.push(top("reason", text_value(r.as_str())));
        }
        fields.push(top("durationSeconds", number_value(&c["secs"])));
    } else if let Some(c) = p.content.captures(msg) {
        request_id = Some(c["id"].to_owned());
        let kind = match &c["kind"] {
            "Request" => "request-content",
            "Response" => "response-content",
            _ => "error-response-content",
        };
        fields.push(top("kind", text_value(kind)));
        let mut content = c["content"].to_owned();
        for more in &block.more {
            content.push('\n');
            content.push_str(more);
        }
        body = Some(content);
    } else if let Some(c) = p.attempt.captures(msg) {
        request_id = Some(c["id"].to_owned());
        fields.push(top("kind", text_value("attempt")));
        fields.push(top("attempt", number_value(&c["n"])));
        fields.push(top("durationSeconds", number_value(&c["secs"])));
    } else if let Some(c) = p.slow.captures(msg) {
        request_id = Some(c["id"].to_owned());
        fields.push(top("kind", text_value("slow-response")));
        fields.push(top("durationSeconds", number_value(&c["secs"])));
    } else if let Some(c) = p.exception.captures(msg) {
        request_id = Some(c["id"].to_owned());
        fields.push(top("kind", text_value("exception")));
        let mut ex = c["ex"].to_owned();
        for more in &block.more {
            ex.push('\n');
            ex.push_str(more);
        }
        body = Some(ex.clone());
        fields.push(top("exception", Value::Str(Cow::Owned(ex))));
    }

    let is_request_or_response = fields.iter().any(|f| {
        f.name == "kind"
            && matches!(
                f.value.as_str(),
                Some("request" | "response" | "error-response")
            )
    });
    if is_request_or_response {
        for line in &block.more {
            if let Some(c) = p.header.captures(line) {
                fields.push(Field::new(
                    Bag::Headers,
                    c["name"].to_owned(),
                    text_value(&c["value"]),
                ));
            } else if let Some(assembly) = line.strip_prefix("client assembly:") {
                fields.push(top("clientAssembly", text_value(assembly)));
            }
        }
    }
    if let Some(id) = &request_id {
        fields.push(top("clientRequestId", text_value(id)));
        if family.is_none()
            && let Some(info) = requests.get(id)
        {
            family = Some(info.family);
            if !fields.iter().any(|f| f.name == "uri") {
                fields.push(top("method", text_value(&info.method)));
                fields.push(top("uri", text_value(&info.uri)));
            }
        }
    }
    if let Some(content) = body {
        if let Some(parsed) = json_fields(&content, Some("content"), Bag::Top) {
            fields.extend(parsed);
        }
        fields.push(top("content", Value::Str(Cow::Owned(content))));
    }
    let mut message = msg.to_owned();
    if !is_request_or_response && fields.iter().all(|f| f.name != "content") {
        for more in &block.more {
            message.push('\n');
            message.push_str(more);
        }
    }
    fields.push(top("message", Value::Str(Cow::Owned(message))));

    // Console lines carry no time of their own; a response's `Date` header is the server's.
    let time = time.or_else(|| header_date(&fields));
    let mut record = Record::new(origin, Format::DotnetLog, fields);
    record.time = time;
    record.category = Some(Cow::Owned(source.to_owned()));
    record.family = family.unwrap_or(Family::Unknown);
    Some(record)
}
