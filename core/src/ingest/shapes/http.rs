//! HTTP captures: the requests an app made to ACS and what came back, as a browser's HAR file
//! (what support asks web developers for) and as the Azure SDKs' test recordings of live calls
//! (`docs/inputs.md` cites each format's public example):
//!
//! - HAR 1.2: `{"log": {"entries": [{startedDateTime, request{method, url, headers[], postData},
//!   response{status, statusText, headers[], content{text, encoding}}}]}}`, read entry by entry
//!   (a HAR can be far larger than one record may be); requests to hosts other than ACS's
//!   (scripts, telemetry) are counted and skipped;
//! - test-proxy and .NET session records: `{"Entries": [{RequestUri, RequestMethod,
//!   RequestHeaders, RequestBody, StatusCode, ResponseHeaders, ResponseBody}]}` (header values
//!   are strings or arrays of strings; an empty body is `[]`, `null` or absent);
//! - Java session records: `{"networkCallRecords": [{Method, Uri, Headers, Response{StatusCode
//!   (a string), Body (JSON as a string), <response headers>}}]}`;
//! - .NET recorded Call Automation events: `{"entries": [{"body": "<JSON text>"}]}`, the body
//!   an array of CloudEvents (or one IncomingCall event) encoded as a string.
//!
//! Each exchange becomes one record (format `http-capture`) with `method`, `uri`, `status`,
//! the response headers, `reason` (the error the body gives) and the bodies flattened under
//! `request.` and `response.`, so the analyzers judge it as they judge an SDK's HTTP log. An SMS
//! send response body becomes its recipients' records (format `sms-send-response`), as a saved
//! send response does.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::io::{BufRead, Read};
use std::rc::Rc;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as Json};

use super::json_document::parse_document_slice;
use crate::ingest::container::Container;
use crate::ingest::{Collector, Limits};
use crate::record::{Bag, Family, Field, Format, Origin, Record};
use crate::time::parse_timestamp;
use crate::value::Value;

/// Hosts whose requests in a HAR are ACS traffic (the data-plane endpoints of a Communication
/// Services resource). A browser capture holds every request of the page; only these are read.
const ACS_HOST_SUFFIXES: [&str; 3] = [
    ".communication.azure.com",
    ".communication.azure.us",
    ".communication.azure.cn",
];

/// One HTTP request and its response, from any capture format.
#[derive(Debug, Default)]
struct Exchange {
    started: Option<String>,
    method: Option<String>,
    uri: Option<String>,
    status: Option<i64>,
    status_text: Option<String>,
    request_headers: Vec<(String, String)>,
    response_headers: Vec<(String, String)>,
    request_body: Option<Json>,
    response_body: Option<Json>,
}

/// True when a JSON document starts as a HAR file does (`{"log": {`).
pub fn is_har_start(head: &[u8]) -> bool {
    let rest = head.trim_ascii_start();
    let Some(rest) = rest.strip_prefix(b"{") else {
        return false;
    };
    let rest = rest.trim_ascii_start();
    let Some(rest) = rest.strip_prefix(b"\"log\"") else {
        return false;
    };
    let rest = rest.trim_ascii_start();
    rest.strip_prefix(b":")
        .is_some_and(|r| r.trim_ascii_start().starts_with(b"{"))
}

/// Counts the lines a streaming parser has consumed (it reads byte by byte from a buffer), so
/// each HAR entry gets the line it starts on.
struct CountingReader<'r> {
    inner: &'r mut dyn BufRead,
    line: Rc<Cell<u64>>,
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let newlines = memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        self.line.set(self.line.get() + newlines);
        Ok(n)
    }
}

/// Reads a HAR file entry by entry.
pub fn read_har(reader: &mut dyn BufRead, first_line: u64, out: &mut Collector<'_>) {
    let line = Rc::new(Cell::new(first_line));
    let counting = CountingReader {
        inner: reader,
        line: Rc::clone(&line),
    };
    // The parser reads byte by byte from an already buffered reader, so the line count is
    // where the parser is.
    let mut de = serde_json::Deserializer::from_reader(counting);
    let mut har = Har {
        out,
        line: Rc::clone(&line),
        entries: 0,
        other_hosts: 0,
    };
    let result = HarSeed { har: &mut har }.deserialize(&mut de);
    let (entries, other_hosts) = (har.entries, har.other_hosts);
    let out = har.out;
    if let Err(e) = result {
        out.reject(
            Some(first_line + e.line().saturating_sub(1) as u64),
            format!("the HAR file is broken here ({e}); entries after this point are lost"),
        );
    }
    if other_hosts > 0 {
        out.note(format!(
            "HAR: {other_hosts} of {entries} requests went to hosts other than ACS (page resources, telemetry) and were skipped"
        ));
    }
    if entries == 0 {
        out.note("HAR: no entries in `log.entries`".to_owned());
    }
}

struct Har<'a, 'c> {
    out: &'a mut Collector<'c>,
    line: Rc<Cell<u64>>,
    entries: u64,
    other_hosts: u64,
}

impl Har<'_, '_> {
    fn entry(&mut self, line: u64, entry: Json) {
        let index = self.entries;
        self.entries += 1;
        let Some(ex) = har_exchange(&entry) else {
            self.out.reject_item(
                line,
                Some(index),
                "a HAR entry without a request URL".to_owned(),
            );
            return;
        };
        let host_is_acs = ex.uri.as_deref().is_some_and(|u| {
            let host = u
                .split_once("://")
                .map_or(u, |(_, rest)| rest)
                .split(['/', '?', ':'])
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            ACS_HOST_SUFFIXES.iter().any(|s| host.ends_with(s))
        });
        if !host_is_acs {
            self.other_hosts += 1;
            return;
        }
        scan_exchange_secrets(&ex, line, self.out);
        let origin = Origin {
            file: self.out.file,
            line,
            index: Some(index),
        };
        emit(origin, ex, self.out);
    }
}

/// `{"log": {..., "entries": [...]}}`, visiting each entry as it is parsed.
struct HarSeed<'h, 'a, 'c> {
    har: &'h mut Har<'a, 'c>,
}

impl<'de> DeserializeSeed<'de> for HarSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(HarTop { har: self.har })
    }
}

struct HarTop<'h, 'a, 'c> {
    har: &'h mut Har<'a, 'c>,
}

impl<'de> Visitor<'de> for HarTop<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a HAR document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "log" {
                map.next_value_seed(HarLog {
                    har: &mut *self.har,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct HarLog<'h, 'a, 'c> {
    har: &'h mut Har<'a, 'c>,
}

impl<'de> DeserializeSeed<'de> for HarLog<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HarLog<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the `log` object of a HAR document")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "entries" {
                map.next_value_seed(HarEntries {
                    har: &mut *self.har,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct HarEntries<'h, 'a, 'c> {
    har: &'h mut Har<'a, 'c>,
}

impl<'de> DeserializeSeed<'de> for HarEntries<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for HarEntries<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the `entries` array of a HAR document")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            let line = self.har.line.get();
            match seq.next_element::<Json>()? {
                Some(entry) => self.har.entry(line, entry),
                None => return Ok(()),
            }
        }
    }
}

/// A member of a JSON object, its name compared without regard to ASCII case.
fn get<'j>(object: &'j Map<String, Json>, name: &str) -> Option<&'j Json> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn get_str(object: &Map<String, Json>, name: &str) -> Option<String> {
    match get(object, name)? {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn get_int(object: &Map<String, Json>, name: &str) -> Option<i64> {
    match get(object, name)? {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Header values as the recorders write them: a string, or an array of strings (joined).
fn header_value(value: &Json) -> Option<String> {
    match value {
        Json::String(s) => Some(s.clone()),
        Json::Array(parts) => Some(
            parts
                .iter()
                .filter_map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn header_map(value: Option<&Json>) -> Vec<(String, String)> {
    match value {
        Some(Json::Object(map)) => map
            .iter()
            .filter_map(|(k, v)| header_value(v).map(|v| (k.clone(), v)))
            .collect(),
        // HAR: `[{"name": ..., "value": ...}]`.
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(|h| {
                let h = h.as_object()?;
                Some((get_str(h, "name")?, get_str(h, "value").unwrap_or_default()))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A body as recorded: a JSON value, JSON held in a string, or nothing (`null`, `""`, and the
/// `[]` .NET records write for an empty body).
fn body(value: Option<&Json>) -> Option<Json> {
    match value? {
        Json::Null => None,
        Json::Array(a) if a.is_empty() => None,
        Json::String(s) if s.trim().is_empty() => None,
        Json::String(s) => {
            Some(serde_json::from_str(s).unwrap_or_else(|_| Json::String(s.clone())))
        }
        other => Some(other.clone()),
    }
}

fn har_exchange(entry: &Json) -> Option<Exchange> {
    let entry = entry.as_object()?;
    let request = get(entry, "request").and_then(Json::as_object);
    let response = get(entry, "response").and_then(Json::as_object);
    let uri = request.and_then(|r| get_str(r, "url"))?;
    let request_body = request
        .and_then(|r| get(r, "postData"))
        .and_then(Json::as_object)
        .and_then(|p| body(get(p, "text")));
    let response_body = response
        .and_then(|r| get(r, "content"))
        .and_then(Json::as_object)
        .and_then(|c| {
            let text = get_str(c, "text")?;
            let text = if get_str(c, "encoding").is_some_and(|e| e.eq_ignore_ascii_case("base64")) {
                use base64::Engine;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .ok()?;
                String::from_utf8(bytes).ok()?
            } else {
                text
            };
            body(Some(&Json::String(text)))
        });
    Some(Exchange {
        started: get_str(entry, "startedDateTime"),
        method: request.and_then(|r| get_str(r, "method")),
        uri: Some(uri),
        // HAR writes 0 for a request that got no response (blocked, cancelled).
        status: response
            .and_then(|r| get_int(r, "status"))
            .filter(|s| *s > 0),
        status_text: response.and_then(|r| get_str(r, "statusText")),
        request_headers: header_map(request.and_then(|r| get(r, "headers"))),
        response_headers: header_map(response.and_then(|r| get(r, "headers"))),
        request_body,
        response_body,
    })
}

/// Reads one element of a recording's `Entries` / `networkCallRecords` / `entries` array.
pub fn read_recording_unit(
    bytes: &[u8],
    line: u64,
    index: Option<u64>,
    limits: &Limits,
    out: &mut Collector<'_>,
) -> Result<(), (u64, String)> {
    let entry: Json = serde_json::from_slice(bytes).map_err(|e| {
        (
            line + e.line().saturating_sub(1) as u64,
            format!("invalid JSON: {e}"),
        )
    })?;
    let Some(object) = entry.as_object() else {
        return Err((line, "a recording entry that is not an object".to_owned()));
    };
    let origin = Origin {
        file: out.file,
        line,
        index,
    };
    // .NET recorded events: the Service Bus message body holds the event(s) as JSON text.
    if get(object, "RequestUri").is_none()
        && get(object, "Uri").is_none()
        && let Some(Json::String(inner)) = get(object, "body")
    {
        let inner = inner.trim();
        if inner.starts_with('[') || inner.starts_with('{') {
            parse_document_slice(inner.as_bytes(), line, Container::Array, limits, out, None);
            out.note_once("recorded events hold their JSON as text (`entries[].body`); it was decoded and read");
            return Ok(());
        }
    }
    let exchange = if get(object, "RequestUri").is_some() {
        Exchange {
            started: None,
            method: get_str(object, "RequestMethod"),
            uri: get_str(object, "RequestUri"),
            status: get_int(object, "StatusCode"),
            status_text: None,
            request_headers: header_map(get(object, "RequestHeaders")),
            response_headers: header_map(get(object, "ResponseHeaders")),
            request_body: body(get(object, "RequestBody")),
            response_body: body(get(object, "ResponseBody")),
        }
    } else if get(object, "Uri").is_some() {
        // Java: the status, the body and the response headers share the `Response` object.
        let response = get(object, "Response").and_then(Json::as_object);
        let response_headers = response
            .map(|r| {
                r.iter()
                    .filter(|(k, _)| {
                        !k.eq_ignore_ascii_case("StatusCode") && !k.eq_ignore_ascii_case("Body")
                    })
                    .filter_map(|(k, v)| header_value(v).map(|v| (k.clone(), v)))
                    .collect()
            })
            .unwrap_or_default();
        Exchange {
            started: None,
            method: get_str(object, "Method"),
            uri: get_str(object, "Uri"),
            status: response.and_then(|r| get_int(r, "StatusCode")),
            status_text: None,
            request_headers: header_map(get(object, "Headers")),
            response_headers,
            request_body: None,
            response_body: response.and_then(|r| body(get(r, "Body"))),
        }
    } else {
        // Not an exchange: an ordinary record that happens to sit under such a key.
        return super::json_record::parse_unit(bytes, line, index, Container::Array, out);
    };
    emit(origin, exchange, out);
    Ok(())
}

fn scan_exchange_secrets(ex: &Exchange, line: u64, out: &mut Collector<'_>) {
    let mut scan = |text: &str| out.scan_secrets(text.as_bytes(), line);
    if let Some(u) = &ex.uri {
        scan(u);
    }
    for (name, value) in ex.request_headers.iter().chain(&ex.response_headers) {
        scan(&format!("{name}: {value}"));
    }
    for b in [&ex.request_body, &ex.response_body].into_iter().flatten() {
        scan(&b.to_string());
    }
}

fn top(name: &str, value: Value<'static>) -> Field<'static> {
    Field::new(Bag::Top, name.to_owned(), value)
}

fn text(s: &str) -> Value<'static> {
    Value::from_text(Cow::Owned(s.to_owned()))
}

/// A JSON value's fields under `prefix`: objects as dotted names, arrays of objects indexed.
fn flatten_json(prefix: &str, value: &Json, fields: &mut Vec<Field<'static>>) {
    match value {
        Json::Object(map) => {
            for (k, v) in map {
                flatten_json(&format!("{prefix}.{k}"), v, fields);
            }
        }
        Json::Array(items) if items.iter().any(Json::is_object) => {
            for (i, v) in items.iter().enumerate() {
                flatten_json(&format!("{prefix}[{i}]"), v, fields);
            }
        }
        Json::Array(items) => {
            let scalars = items.iter().map(json_scalar).collect();
            fields.push(top(prefix, Value::List(scalars)));
        }
        scalar => fields.push(top(prefix, json_scalar(scalar))),
    }
}

fn json_scalar(value: &Json) -> Value<'static> {
    match value {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => n
            .as_i64()
            .map(Value::Int)
            .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(0.0))),
        Json::String(s) => text(s),
        other => Value::Str(Cow::Owned(other.to_string())),
    }
}

/// The error a response body gives, in the shapes ACS services use: `{"error": {"code",
/// "message"}}` (SMS, identity, Call Automation), `{"CommunicationError": {"Code", "Message"}}`
/// (chat), `{"operationFailure": {"code", "subCode", "phrase"}}` (calling), ASP.NET validation
/// `{"From": ["Invalid From phone number format"]}`.
fn body_error(body: &Json) -> Option<String> {
    let object = body.as_object()?;
    for key in ["error", "CommunicationError", "operationFailure"] {
        if let Some(Json::Object(e)) = get(object, key) {
            let code = get_str(e, "code");
            let message = get_str(e, "message")
                .or_else(|| get_str(e, "phrase"))
                .filter(|m| !m.trim().is_empty());
            return match (code, message) {
                (Some(c), Some(m)) => Some(format!("{c}: {m}")),
                (Some(c), None) => Some(c),
                (None, Some(m)) => Some(m),
                (None, None) => None,
            };
        }
    }
    // Validation errors: every member an array of messages.
    let messages: Vec<String> = object
        .iter()
        .filter_map(|(k, v)| {
            let list = v.as_array()?;
            let texts: Vec<&str> = list.iter().filter_map(Json::as_str).collect();
            (!texts.is_empty() && texts.len() == list.len())
                .then(|| format!("{k}: {}", texts.join("; ")))
        })
        .collect();
    (!messages.is_empty() && messages.len() == object.len()).then(|| messages.join("; "))
}

/// Turns an exchange into its record(s) and hands them on.
fn emit(origin: Origin, ex: Exchange, out: &mut Collector<'_>) {
    let classifier = out.classifier;
    let family = ex
        .uri
        .as_deref()
        .and_then(|u| classifier.endpoint_family(u))
        .unwrap_or(Family::Unknown);
    let date = ex
        .response_headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("date"))
        .and_then(|(_, v)| chrono::DateTime::parse_from_rfc2822(v.trim()).ok())
        .map(|d| d.with_timezone(&chrono::Utc));
    let time = ex.started.as_deref().and_then(parse_timestamp).or(date);
    let path = ex.uri.as_deref().map(uri_path).unwrap_or_default();
    let method = ex.method.clone().unwrap_or_default();

    // An SMS send answered with per-recipient results: the recipients are the records, as in a
    // saved send response.
    if family == Family::Sms
        && method.eq_ignore_ascii_case("POST")
        && path
            .trim_end_matches('/')
            .to_ascii_lowercase()
            .ends_with("/sms")
        && let Some(Json::Object(body)) = &ex.response_body
        && let Some(Json::Array(items)) = get(body, "value")
        && !items.is_empty()
    {
        let ms_cv = ex
            .response_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("ms-cv"))
            .map(|(_, v)| v.clone());
        for item in items {
            let mut fields = Vec::new();
            flatten_json("", item, &mut fields);
            for f in &mut fields {
                f.name = Cow::Owned(f.name.trim_start_matches('.').to_owned());
            }
            if let Some(cv) = &ms_cv {
                fields.push(Field::new(Bag::Headers, "ms-cv".to_owned(), text(cv)));
            }
            fields.push(top("uri", text(ex.uri.as_deref().unwrap_or_default())));
            let mut record = Record::new(origin, Format::SmsSendResponse, fields);
            record.family = Family::Sms;
            record.category = Some(Cow::Borrowed("SMS send response"));
            record.time = time;
            out.emit(record);
        }
        return;
    }

    let mut fields = vec![top("kind", text("exchange"))];
    if let Some(m) = &ex.method {
        fields.push(top("method", text(m)));
    }
    if let Some(u) = &ex.uri {
        fields.push(top("uri", text(u)));
    }
    if let Some(s) = ex.status {
        fields.push(top("status", Value::Int(s)));
    }
    let error = ex.response_body.as_ref().and_then(body_error);
    let reason = match (&error, &ex.status_text) {
        (Some(e), _) => Some(e.clone()),
        (None, Some(t)) if !t.trim().is_empty() => Some(t.clone()),
        _ => None,
    };
    if let Some(r) = reason {
        fields.push(top("reason", text(&r)));
    }
    for (name, value) in &ex.request_headers {
        let lower = name.to_ascii_lowercase();
        if lower == "x-ms-client-request-id" {
            fields.push(top("clientRequestId", text(value)));
        }
        if lower == "user-agent" {
            fields.push(top("userAgent", text(value)));
        }
    }
    for (name, value) in &ex.response_headers {
        fields.push(Field::new(
            Bag::Headers,
            name.to_ascii_lowercase(),
            text(value),
        ));
    }
    if let Some(b) = &ex.request_body {
        flatten_json("request", b, &mut fields);
    }
    if let Some(b) = &ex.response_body {
        flatten_json("response", b, &mut fields);
    }
    let mut record = Record::new(origin, Format::HttpCapture, fields);
    record.family = family;
    record.category = Some(Cow::Owned(format!("{method} {path}").trim().to_owned()));
    record.time = time;
    out.emit(record);
}

/// `https://host/sms?api-version=...` → `/sms`.
fn uri_path(uri: &str) -> String {
    let no_query = uri.split(['?', '#']).next().unwrap_or(uri);
    match no_query.split_once("://") {
        Some((_, rest)) => rest
            .find('/')
            .map_or("/".to_owned(), |i| rest[i..].to_owned()),
        None => no_query.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn har_starts() {
        assert!(is_har_start(b"{\n  \"log\": {\n \"version\""));
        assert!(is_har_start(b"  {\"log\":{}}"));
        assert!(!is_har_start(b"{\"log\": \"text\"}"));
        assert!(!is_har_start(b"{\"records\": []}"));
    }

    #[test]
    fn body_errors_of_every_service() {
        let e = |s: &str| body_error(&serde_json::from_str(s).unwrap());
        assert_eq!(
            e(r#"{"error":{"code":"Unauthorized","message":""}}"#).as_deref(),
            Some("Unauthorized")
        );
        assert_eq!(
            e(r#"{"CommunicationError":{"Code":"Forbidden","Details":[]}}"#).as_deref(),
            Some("Forbidden")
        );
        assert_eq!(
            e(r#"{"From":["Invalid From phone number format"]}"#).as_deref(),
            Some("From: Invalid From phone number format")
        );
        assert_eq!(
            e(r#"{"operationFailure":{"code":403,"subCode":5222,"phrase":"Acs user is not allowed to create conversation."}}"#).as_deref(),
            Some("403: Acs user is not allowed to create conversation.")
        );
        assert_eq!(e(r#"{"id":"1648676192118"}"#), None);
    }

    #[test]
    fn empty_bodies_as_recorded() {
        assert_eq!(body(Some(&Json::Array(vec![]))), None);
        assert_eq!(body(Some(&Json::Null)), None);
        assert_eq!(body(Some(&Json::String(String::new()))), None);
        assert_eq!(
            body(Some(&Json::String("{\"a\":1}".into()))),
            Some(serde_json::json!({"a": 1}))
        );
    }

    #[test]
    fn paths() {
        assert_eq!(
            uri_path("https://x.communication.azure.com/sms?api-version=1"),
            "/sms"
        );
        assert_eq!(uri_path("https://endpoint/"), "/");
    }
}
