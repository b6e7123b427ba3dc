//! Client SDK console logs: the web SDKs' `@azure/logger` output and .NET Azure.Core's
//! `AzureEventSourceListener` console output. Both are line-oriented with multi-line blocks
//! (JSON request dumps, header lines, stack traces); a block becomes one record.
//!
//! Line formats (derived from the SDK sources; see `tests/domain/samples/derived.sdk-log-line-templates.txt`):
//! - web: `azure:<package>[ <sub>]:<level> <message>`, level in verbose/info/warning/error;
//! - .NET: `[<Level>] <EventSource>: <message>`, or `<EventSource>: [<Level>] <message>` from the
//!   trace logger, with `Name:value` header lines after requests and responses.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::BufRead;
use std::sync::OnceLock;

use regex::Regex;

use crate::classify::Classifier;
use crate::ingest::flatten::parse_object;
use crate::ingest::lines::{Line, read_line};
use crate::ingest::{Collector, Limits};
use crate::record::{Bag, Family, Field, Format, Origin, Record};
use crate::time::parse_timestamp;
use crate::value::Value;

struct Patterns {
    web: Regex,
    dotnet: Regex,
    dotnet_trace: Regex,
    call_id: Regex,
    participant_id: Regex,
    status: Regex,
    code_pair: Regex,
    retry: Regex,
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
            web: re(
                r"^(?P<pre>.*?)\bazure:(?P<pkg>[A-Za-z0-9_.-]+)(?: (?P<sub>[A-Za-z]+))?:(?P<level>verbose|info|warning|error)(?: (?P<msg>.*))?$",
            ),
            dotnet: re(
                r"^(?P<pre>.*?)\[(?P<level>Verbose|Informational|Warning|Error|Critical|LogAlways)\] (?P<source>[A-Za-z][A-Za-z0-9._-]*): (?P<msg>.*)$",
            ),
            dotnet_trace: re(
                r"^(?P<pre>.*?)\b(?P<source>[A-Za-z][A-Za-z0-9._-]*): \[(?P<level>Verbose|Informational|Warning|Error|Critical|LogAlways)\] (?P<msg>.*)$",
            ),
            call_id: re(
                r#"(?i)\bcall[ _.-]?id\b["']?\s*[:=]\s*["']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"#,
            ),
            participant_id: re(
                r#"(?i)\bparticipant[ _.-]?id\b["']?\s*[:=]\s*["']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"#,
            ),
            status: re(r"^Response status code: (?P<status>\d{3})"),
            code_pair: re(
                r"(?i)\bcode\s*[=:]\s*(?P<code>\d{1,6})\b(?:.*?\bsub_?code\s*[=:]\s*(?P<sub>\d{1,7})\b)?",
            ),
            retry: re(r"^Retry (?P<n>\d+):"),
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

/// Which SDK log a line starts, if any.
pub fn detect_line(line: &str) -> Option<Format> {
    let p = patterns();
    if p.web.is_match(line) {
        Some(Format::WebSdkLog)
    } else if p.dotnet.is_match(line) || p.dotnet_trace.is_match(line) {
        Some(Format::DotnetLog)
    } else {
        None
    }
}

/// One block: its first line and continuation lines (the first ones, up to the limits; the
/// rest are counted).
struct Block {
    line: u64,
    head: String,
    more: Vec<String>,
    kept_bytes: usize,
    dropped_lines: u64,
    /// Hash of every line of the block, kept or not (for duplicate detection).
    hash: xxhash_rust::xxh3::Xxh3,
}

impl Block {
    fn new(line: u64, head: String) -> Block {
        let mut hash = xxhash_rust::xxh3::Xxh3::new();
        hash.update(head.as_bytes());
        Block {
            line,
            kept_bytes: head.len(),
            head,
            more: Vec::new(),
            dropped_lines: 0,
            hash,
        }
    }

    fn push(&mut self, text: &str, limits: &Limits) {
        self.hash.update(b"\n");
        self.hash.update(text.as_bytes());
        if self.more.len() < limits.max_block_lines
            && self.kept_bytes + text.len() <= limits.max_block_bytes
        {
            self.kept_bytes += text.len();
            self.more.push(text.to_owned());
        } else {
            self.dropped_lines += 1;
        }
    }
}

/// Request facts learned earlier in the same file, keyed by client request ID, so a response
/// block can say which endpoint (and so which family) it answers.
#[derive(Clone)]
struct RequestInfo {
    method: String,
    uri: String,
    family: Family,
}

/// Reads a console log of `format` whose first non-blank line is `first_line`.
pub fn read_sdk_log(
    reader: &mut dyn BufRead,
    format: Format,
    first_line: u64,
    limits: &Limits,
    out: &mut Collector<'_>,
) {
    let mut log = SdkLog {
        format,
        classifier: out.classifier,
        requests: HashMap::new(),
        pending_response: None,
        occurrences: crate::FastMap::default(),
        cut_blocks: 0,
        cut_lines: 0,
    };
    let mut buf = Vec::new();
    let mut line_no = first_line - 1;
    let mut block: Option<Block> = None;
    let mut lossy_lines = 0u64;
    loop {
        line_no += 1;
        match read_line(reader, &mut buf, limits.max_line_bytes) {
            Ok(Line::Eof) => break,
            Ok(Line::TooLong(len)) => out.reject(
                Some(line_no),
                format!(
                    "line is {len} bytes, over the {} byte limit; skipped",
                    limits.max_line_bytes
                ),
            ),
            Ok(Line::Complete) => {
                out.scan_secrets(&buf, line_no);
                let text = match std::str::from_utf8(&buf) {
                    Ok(t) => Cow::Borrowed(t),
                    Err(_) => {
                        lossy_lines += 1;
                        String::from_utf8_lossy(&buf)
                    }
                };
                if detect_line(&text) == Some(format) {
                    if let Some(b) = block.take() {
                        log.flush(b, out);
                    }
                    block = Some(Block::new(line_no, text.into_owned()));
                } else if let Some(b) = block.as_mut() {
                    b.push(&text, limits);
                } else if !text.trim().is_empty() {
                    out.reject(
                        Some(line_no),
                        "text before the first SDK log line".to_owned(),
                    );
                }
            }
            Err(e) => {
                out.read_error(Some(line_no), &e);
                break;
            }
        }
    }
    if let Some(b) = block.take() {
        log.flush(b, out);
    }
    if let Some((response, fingerprint)) = log.pending_response.take() {
        out.emit_fingerprinted(response, fingerprint);
    }
    if lossy_lines > 0 {
        out.note(format!(
            "{lossy_lines} lines were not valid UTF-8; invalid bytes were replaced"
        ));
    }
    if log.cut_blocks > 0 {
        out.note(format!(
            "{} log entries were longer than {} lines or {} bytes: their first lines were read, {} lines after them were not",
            log.cut_blocks, limits.max_block_lines, limits.max_block_bytes, log.cut_lines
        ));
    }
}

/// What reading one console log remembers between blocks.
struct SdkLog<'c> {
    format: Format,
    classifier: &'c Classifier,
    requests: HashMap<String, RequestInfo>,
    /// A web `Response status code` record waiting for the `Headers:` line that may follow.
    pending_response: Option<(Record<'static>, u64)>,
    /// How often each block text was seen, for fingerprints that tell repeats from copies.
    occurrences: crate::FastMap<u64, u32>,
    cut_blocks: u64,
    cut_lines: u64,
}

impl SdkLog<'_> {
    fn flush(&mut self, block: Block, out: &mut Collector<'_>) {
        if block.dropped_lines > 0 {
            self.cut_blocks += 1;
            self.cut_lines += block.dropped_lines;
        }
        let text_hash = block.hash.digest();
        let seen = self.occurrences.entry(text_hash).or_insert(0);
        let fingerprint = crate::dedup::text_fingerprint(text_hash, *seen);
        *seen += 1;
        let origin = Origin {
            file: out.file,
            line: block.line,
            index: None,
        };
        let classifier = self.classifier;
        if self.format != Format::WebSdkLog {
            match dotnet_record(origin, &block, classifier, &mut self.requests) {
                Some(record) => out.emit_fingerprinted(record, fingerprint),
                None => out.reject(
                    Some(block.line),
                    "not a .NET Azure.Core log line".to_owned(),
                ),
            }
            return;
        }
        let Some(record) = web_record(origin, &block, classifier, &mut self.requests) else {
            out.reject(Some(block.line), "not a web SDK log line".to_owned());
            return;
        };
        // `Headers: {...}` belongs to the `Response status code` line before it.
        let is_headers = record
            .text("message")
            .is_some_and(|m| m.starts_with("Headers:"));
        if is_headers && let Some((mut response, response_fp)) = self.pending_response.take() {
            merge_headers(&mut response, &record, classifier, &self.requests);
            out.emit_fingerprinted(response, response_fp ^ fingerprint.rotate_left(1));
            return;
        }
        if let Some((previous, previous_fp)) = self.pending_response.take() {
            out.emit_fingerprinted(previous, previous_fp);
        }
        if record.get("status").is_some() {
            self.pending_response = Some((record, fingerprint));
        } else {
            out.emit_fingerprinted(record, fingerprint);
        }
    }
}

fn top(name: &str, value: Value<'static>) -> Field<'static> {
    Field::new(Bag::Top, name.to_owned(), value)
}

fn text_value(s: &str) -> Value<'static> {
    Value::from_text(Cow::Owned(s.to_owned()))
}

fn number_value(s: &str) -> Value<'static> {
    s.parse::<i64>()
        .map(Value::Int)
        .or_else(|_| s.parse::<f64>().map(Value::Float))
        .unwrap_or_else(|_| text_value(s))
}

/// Finds the first JSON object in `text` that has a `code` member (a call end reason such as
/// `reason={"code":403,"subCode":5222,...}`) and returns its fields.
fn embedded_reason(text: &str) -> Option<Vec<Field<'static>>> {
    let mut from = 0;
    while let Some(pos) = text[from..].find('{') {
        let start = from + pos;
        let mut stream =
            serde_json::Deserializer::from_str(&text[start..]).into_iter::<serde_json::Value>();
        if let Some(Ok(serde_json::Value::Object(map))) = stream.next()
            && map.contains_key("code")
        {
            // Re-parse the exact span so the fields keep their written order.
            let span = &text[start..start + stream.byte_offset()];
            let fields = parse_object(span.as_bytes()).ok()?;
            return Some(
                fields
                    .into_iter()
                    .map(|f| top(&f.name, f.value.into_owned()))
                    .collect(),
            );
        }
        from = start + 1;
    }
    None
}

/// Parses a JSON object into fields under `prefix.` (or as headers when `bag` is Headers).
fn json_fields(json: &str, prefix: Option<&str>, bag: Bag) -> Option<Vec<Field<'static>>> {
    let fields = parse_object(json.trim().as_bytes()).ok()?;
    Some(
        fields
            .into_iter()
            .map(|f| {
                let name = match prefix {
                    Some(p) => format!("{p}.{}", f.full_name()),
                    None => f.full_name().into_owned(),
                };
                Field::new(bag, name, f.value.into_owned())
            })
            .collect(),
    )
}

fn web_record(
    origin: Origin,
    block: &Block,
    classifier: &Classifier,
    requests: &mut HashMap<String, RequestInfo>,
) -> Option<Record<'static>> {
    let p = patterns();
    let caps = p.web.captures(&block.head)?;
    let pkg = caps.name("pkg").map_or("", |m| m.as_str());
    let sub = caps.name("sub").map(|m| m.as_str());
    let level = caps.name("level").map_or("", |m| m.as_str());
    let mut message = caps.name("msg").map_or("", |m| m.as_str()).to_owned();
    for more in &block.more {
        message.push('\n');
        message.push_str(more);
    }
    let logger = match sub {
        Some(s) => format!("azure:{pkg} {s}"),
        None => format!("azure:{pkg}"),
    };
    let mut fields = vec![
        top("logger", text_value(&logger)),
        top("package", text_value(pkg)),
        top("level", text_value(level)),
    ];
    // A time before the logger name (browser console) or right after it (custom loggers print
    // `azure:ACS:error 2/23/2021, 14:35:31:438 [CallClient]...`).
    let time = caps
        .name("pre")
        .and_then(|m| parse_timestamp(m.as_str().trim().trim_matches(['[', ']'])))
        .or_else(|| {
            let head = message.split('[').next().unwrap_or("").trim();
            (!head.is_empty() && head.len() <= 32)
                .then(|| parse_timestamp(head))
                .flatten()
        });
    let mut family = classifier.logger_family(pkg);

    if let Some(c) = p.call_id.captures(&message) {
        fields.push(top("callId", text_value(&c[1])));
    }
    if let Some(c) = p.participant_id.captures(&message) {
        fields.push(top("participantId", text_value(&c[1])));
    }
    if let Some(c) = p.status.captures(&message) {
        fields.push(top("status", number_value(&c["status"])));
        fields.push(top("kind", text_value("response")));
    }
    if let Some(c) = p.retry.captures(&message) {
        fields.push(top("retryAttempt", number_value(&c["n"])));
    }
    if let Some(json) = message.strip_prefix("Request:")
        && let Some(req) = json_fields(json, None, Bag::Top)
    {
        fields.push(top("kind", text_value("request")));
        let mut url = None;
        let mut method = None;
        let mut request_id = None;
        for f in req {
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
        if let Some(u) = &url {
            fields.push(top("uri", text_value(u)));
            family = family.or_else(|| classifier.endpoint_family(u));
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
    }
    if let Some(reason) = embedded_reason(&message) {
        fields.extend(reason);
    } else if let Some(c) = p.code_pair.captures(&message) {
        // `Call end reason=NoNgcEndpoint, code=480, subCode=10037` (SDK) and
        // `call end reason={code=480, subCode=10037}` (the quickstart's own line).
        fields.push(top("code", number_value(&c["code"])));
        if let Some(sub) = c.name("sub") {
            fields.push(top("subCode", number_value(sub.as_str())));
        }
    }
    fields.push(top("message", Value::Str(Cow::Owned(message))));

    let time = time.or_else(|| header_date(&fields));
    let mut record = Record::new(origin, Format::WebSdkLog, fields);
    record.time = time;
    record.category = Some(Cow::Owned(logger));
    record.family = family.unwrap_or(Family::Unknown);
    Some(record)
}

/// Attaches a web `Headers: {...}` block to the response record it follows.
fn merge_headers(
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

fn dotnet_record(
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

/// The time in an HTTP `Date` header (`Fri, 20 Nov 2026 15:40:12 GMT`).
fn header_date(fields: &[Field<'_>]) -> Option<chrono::DateTime<chrono::Utc>> {
    let date = fields
        .iter()
        .find(|f| f.bag == Bag::Headers && f.name.eq_ignore_ascii_case("date"))?;
    chrono::DateTime::parse_from_rfc2822(date.value.to_text().trim())
        .ok()
        .map(|d| d.with_timezone(&chrono::Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_both_sdk_formats() {
        assert_eq!(
            detect_line("azure:ACS-calling:info CallAgent created"),
            Some(Format::WebSdkLog)
        );
        assert_eq!(
            detect_line(
                "azure:core-rest-pipeline retryPolicy:info Retry 1: Attempting to send request x"
            ),
            Some(Format::WebSdkLog)
        );
        assert_eq!(
            detect_line("[Informational] Azure-Core: Request [abc] POST https://x/chat/threads"),
            Some(Format::DotnetLog)
        );
        assert_eq!(
            detect_line("Azure-Core: [Warning] Response [abc] took 03.5s"),
            Some(Format::DotnetLog)
        );
        assert_eq!(detect_line("hello"), None);
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
    }
}
