//! Evaluating conditions on records.
//!
//! Semantics, in the words the user guide uses:
//! - a missing (or `null`) field makes every comparison false, except `== null`; `not (...)`
//!   inverts the result, so `not (x == 1)` holds when `x` is missing;
//! - numbers written as strings compare as numbers when the other side is a number;
//! - two timestamps compare as times, whatever their written form;
//! - text compares without regard to case (`==`, `!=`, `in`, `contains`, `startswith`,
//!   `endswith`, ordering); `matches` is a regular expression (add `(?i)` to ignore case);
//! - `category`, `family`, `format` and `time` are computed for every record, whatever its shape.

use std::borrow::Cow;
use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use regex::Regex;

use crate::record::{OwnedFieldName, Record};
use crate::rules::syntax::{CmpOp, Expr, Literal, Operand, Path};
use crate::time::{format_timestamp, parse_timestamp};
use crate::value::{Value, parse_number};

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'r> {
    Missing,
    Text(Cow<'r, str>),
    Num(f64),
    Bool(bool),
    Time(DateTime<Utc>),
    List(Vec<Val<'r>>),
}

impl<'r> Val<'r> {
    fn from_value(v: &'r Value<'_>) -> Val<'r> {
        match v {
            Value::Null => Val::Missing,
            Value::Redacted => Val::Text(Cow::Borrowed("Redacted")),
            Value::Bool(b) => Val::Bool(*b),
            Value::Int(i) => Val::Num(*i as f64),
            Value::Float(f) => Val::Num(*f),
            Value::Str(s) => Val::Text(Cow::Borrowed(s)),
            Value::List(items) => Val::List(items.iter().map(Val::from_value).collect()),
        }
    }

    fn num(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            Val::Text(t) => parse_number(t),
            _ => None,
        }
    }

    fn time(&self) -> Option<DateTime<Utc>> {
        match self {
            Val::Time(t) => Some(*t),
            Val::Text(t) if t.len() >= 8 => parse_timestamp(t),
            _ => None,
        }
    }

    fn boolean(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            Val::Text(t) if t.eq_ignore_ascii_case("true") => Some(true),
            Val::Text(t) if t.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// The value as text (for string operators and messages).
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Val::Missing => Cow::Borrowed(""),
            Val::Text(t) => Cow::Borrowed(t),
            Val::Num(n) => Cow::Owned(if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{}", *n as i64)
            } else {
                n.to_string()
            }),
            Val::Bool(b) => Cow::Owned(b.to_string()),
            Val::Time(t) => Cow::Owned(format_timestamp(t)),
            Val::List(items) => Cow::Owned(
                items
                    .iter()
                    .map(|v| v.text().into_owned())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        }
    }

    fn is_typed_number(&self) -> bool {
        matches!(self, Val::Num(_))
    }

    /// Display form for traces.
    pub fn show(&self) -> String {
        match self {
            Val::Missing => "missing".to_owned(),
            Val::Text(t) => format!("{t:?}"),
            Val::List(items) => format!(
                "[{}]",
                items.iter().map(Val::show).collect::<Vec<_>>().join(", ")
            ),
            other => other.text().into_owned(),
        }
    }
}

fn lit_val(l: &Literal) -> Val<'static> {
    match l {
        Literal::Str(s) => Val::Text(Cow::Owned(s.clone())),
        Literal::Num(n) | Literal::Duration(n) => Val::Num(*n),
        Literal::Bool(b) => Val::Bool(*b),
        Literal::Null => Val::Missing,
    }
}

fn text_eq(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// Equality under the language's rules.
fn equals(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Missing, Val::Missing) => true,
        (Val::Missing, _) | (_, Val::Missing) => false,
        (Val::List(items), other) | (other, Val::List(items)) if !matches!(other, Val::List(_)) => {
            items.iter().any(|i| equals(i, other))
        }
        _ => {
            if a.is_typed_number() || b.is_typed_number() {
                return match (a.num(), b.num()) {
                    (Some(x), Some(y)) => x == y,
                    _ => false,
                };
            }
            if let (Some(x), Some(y)) = (a.boolean(), b.boolean()) {
                return x == y;
            }
            text_eq(&a.text(), &b.text())
        }
    }
}

/// Ordering under the language's rules: numbers, then times, then text.
fn order(a: &Val<'_>, b: &Val<'_>) -> Option<Ordering> {
    if matches!(a, Val::Missing) || matches!(b, Val::Missing) {
        return None;
    }
    if let (Some(x), Some(y)) = (a.num(), b.num()) {
        return x.partial_cmp(&y);
    }
    if let (Some(x), Some(y)) = (a.time(), b.time()) {
        return Some(x.cmp(&y));
    }
    Some(lower(&a.text()).cmp(&lower(&b.text())))
}

/// A compiled operand.
#[derive(Debug, Clone)]
enum Opd {
    Field(FieldRef),
    Lit(Val<'static>),
    List(Vec<Val<'static>>),
}

/// A field reference with its virtual kind resolved once.
#[derive(Debug, Clone)]
pub struct FieldRef {
    pub name: String,
    /// `name` resolved once (a rule looks it up in every record it is tried on).
    lookup: OwnedFieldName,
    virt: Option<Virtual>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Virtual {
    Category,
    Family,
    Format,
    Time,
}

impl FieldRef {
    pub fn new(path: &Path) -> FieldRef {
        FieldRef::named(&path.lookup_name())
    }

    pub fn named(name: &str) -> FieldRef {
        let virt = match name.to_ascii_lowercase().as_str() {
            "category" => Some(Virtual::Category),
            "family" => Some(Virtual::Family),
            "format" => Some(Virtual::Format),
            "time" => Some(Virtual::Time),
            _ => None,
        };
        FieldRef {
            name: name.to_owned(),
            lookup: OwnedFieldName::new(name),
            virt,
        }
    }

    /// The field's value in a record.
    pub fn get<'r>(&self, record: &'r Record<'_>) -> Val<'r> {
        match self.virt {
            Some(Virtual::Category) => match &record.category {
                Some(c) => Val::Text(Cow::Borrowed(c.as_ref())),
                None => record
                    .get(&self.lookup)
                    .map_or(Val::Missing, Val::from_value),
            },
            Some(Virtual::Family) => Val::Text(Cow::Borrowed(record.family.name())),
            Some(Virtual::Format) => Val::Text(Cow::Borrowed(record.format.name())),
            Some(Virtual::Time) => record.time.map_or(Val::Missing, Val::Time),
            None => record
                .get(&self.lookup)
                .map_or(Val::Missing, Val::from_value),
        }
    }
}

#[derive(Debug, Clone)]
enum Node {
    Or(Vec<Node>),
    And(Vec<Node>),
    Not(Box<Node>),
    Cmp {
        left: Opd,
        op: CmpOp,
        right: Opd,
        regex: Option<Regex>,
        text: String,
    },
    Exists(FieldRef, String),
    Truthy(Opd, String),
}

/// A condition ready to run.
#[derive(Debug, Clone)]
pub struct Condition {
    root: Node,
    text: String,
    /// Fields the condition reads, in order of appearance.
    fields: Vec<String>,
}

/// One line of a trace: a part of the condition, whether it held, and the values it saw.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceLine {
    pub depth: usize,
    pub text: String,
    pub result: bool,
    pub detail: String,
}

impl Condition {
    /// Compiles a parsed condition. `source` is the condition text (for traces). Only call with
    /// a tree that parsed without errors.
    pub fn compile(expr: &Expr, source: &str) -> Condition {
        let mut fields: Vec<String> = Vec::new();
        for p in expr.paths() {
            let name = p.lookup_name();
            if !fields.contains(&name) {
                fields.push(name);
            }
        }
        Condition {
            root: compile_node(expr, source),
            text: source.to_owned(),
            fields,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Fields the condition reads.
    pub fn fields(&self) -> &[String] {
        &self.fields
    }

    pub fn matches(&self, record: &Record<'_>) -> bool {
        eval(&self.root, record)
    }

    /// Evaluates and explains each step.
    pub fn trace(&self, record: &Record<'_>) -> (bool, Vec<TraceLine>) {
        let mut lines = Vec::new();
        let result = trace(&self.root, record, 0, &mut lines);
        (result, lines)
    }

    /// Categories the condition requires (from `category == "X"` / `category in [...]` joined by
    /// `and`), so the engine can skip it for other records. `None` = any category.
    pub fn required_categories(&self) -> Option<Vec<String>> {
        required_categories(&self.root)
    }
}

fn compile_operand(o: &Operand) -> Opd {
    match o {
        Operand::Path(p) => Opd::Field(FieldRef::new(p)),
        Operand::Literal(l, _) => Opd::Lit(lit_val(l)),
        Operand::List(items, _) => Opd::List(items.iter().map(lit_val).collect()),
    }
}

fn compile_node(e: &Expr, source: &str) -> Node {
    let slice = |r: &std::ops::Range<usize>| source.get(r.clone()).unwrap_or("").trim().to_owned();
    match e {
        Expr::Or(items) => Node::Or(items.iter().map(|i| compile_node(i, source)).collect()),
        Expr::And(items) => Node::And(items.iter().map(|i| compile_node(i, source)).collect()),
        Expr::Not(inner) => Node::Not(Box::new(compile_node(inner, source))),
        Expr::Compare {
            left,
            op,
            right,
            span,
        } => {
            let regex = match (op, right) {
                (CmpOp::Matches, Operand::Literal(Literal::Str(re), _)) => Regex::new(re).ok(),
                _ => None,
            };
            Node::Cmp {
                left: compile_operand(left),
                op: *op,
                right: compile_operand(right),
                regex,
                text: slice(span),
            }
        }
        Expr::Exists(p, span) => Node::Exists(FieldRef::new(p), slice(span)),
        Expr::Truthy(o) => Node::Truthy(compile_operand(o), slice(&o.span())),
        // Never compiled: conditions with errors are refused before compiling.
        Expr::Invalid => Node::Or(Vec::new()),
    }
}

fn operand_val<'r>(o: &'r Opd, record: &'r Record<'_>) -> Val<'r> {
    match o {
        Opd::Field(f) => f.get(record),
        Opd::Lit(v) => v.clone(),
        Opd::List(items) => Val::List(items.clone()),
    }
}

fn compare(op: CmpOp, a: &Val<'_>, b: &Val<'_>, regex: Option<&Regex>) -> bool {
    match op {
        CmpOp::Eq => equals(a, b),
        CmpOp::Ne => !matches!(a, Val::Missing) && !matches!(b, Val::Missing) && !equals(a, b),
        CmpOp::Lt => order(a, b) == Some(Ordering::Less),
        CmpOp::Le => matches!(order(a, b), Some(Ordering::Less | Ordering::Equal)),
        CmpOp::Gt => order(a, b) == Some(Ordering::Greater),
        CmpOp::Ge => matches!(order(a, b), Some(Ordering::Greater | Ordering::Equal)),
        CmpOp::In => match b {
            Val::List(items) => !matches!(a, Val::Missing) && items.iter().any(|i| equals(a, i)),
            other => equals(a, other),
        },
        CmpOp::NotIn => match b {
            Val::List(items) => !matches!(a, Val::Missing) && !items.iter().any(|i| equals(a, i)),
            other => !matches!(a, Val::Missing) && !equals(a, other),
        },
        CmpOp::Contains => match a {
            Val::Missing => false,
            Val::List(items) => items.iter().any(|i| equals(i, b)),
            _ => lower(&a.text()).contains(lower(&b.text()).as_ref()),
        },
        CmpOp::StartsWith => {
            !matches!(a, Val::Missing) && lower(&a.text()).starts_with(lower(&b.text()).as_ref())
        }
        CmpOp::EndsWith => {
            !matches!(a, Val::Missing) && lower(&a.text()).ends_with(lower(&b.text()).as_ref())
        }
        CmpOp::Matches => match (a, regex) {
            (Val::Missing, _) | (_, None) => false,
            (Val::List(items), Some(re)) => items.iter().any(|i| re.is_match(&i.text())),
            (other, Some(re)) => re.is_match(&other.text()),
        },
    }
}

fn truthy(v: &Val<'_>) -> bool {
    match v {
        Val::Missing => false,
        Val::Bool(b) => *b,
        Val::Num(n) => *n != 0.0,
        Val::Text(t) => !t.is_empty() && !t.eq_ignore_ascii_case("false") && t.as_ref() != "0",
        Val::Time(_) => true,
        Val::List(items) => !items.is_empty(),
    }
}

fn eval(node: &Node, record: &Record<'_>) -> bool {
    match node {
        Node::Or(items) => items.iter().any(|n| eval(n, record)),
        Node::And(items) => items.iter().all(|n| eval(n, record)),
        Node::Not(inner) => !eval(inner, record),
        Node::Cmp {
            left,
            op,
            right,
            regex,
            ..
        } => compare(
            *op,
            &operand_val(left, record),
            &operand_val(right, record),
            regex.as_ref(),
        ),
        Node::Exists(f, _) => match f.virt {
            Some(_) => !matches!(f.get(record), Val::Missing),
            None => record.has(&f.lookup),
        },
        Node::Truthy(o, _) => truthy(&operand_val(o, record)),
    }
}

fn describe(o: &Opd, v: &Val<'_>) -> Option<String> {
    match o {
        Opd::Field(f) => Some(format!("{} = {}", f.name, v.show())),
        _ => None,
    }
}

fn trace(node: &Node, record: &Record<'_>, depth: usize, out: &mut Vec<TraceLine>) -> bool {
    match node {
        Node::Or(items) | Node::And(items) => {
            let is_or = matches!(node, Node::Or(_));
            let at = out.len();
            out.push(TraceLine {
                depth,
                text: if is_or { "any of" } else { "all of" }.to_owned(),
                result: false,
                detail: String::new(),
            });
            let results: Vec<bool> = items
                .iter()
                .map(|n| trace(n, record, depth + 1, out))
                .collect();
            let result = if is_or {
                results.iter().any(|r| *r)
            } else {
                results.iter().all(|r| *r)
            };
            out[at].result = result;
            result
        }
        Node::Not(inner) => {
            let at = out.len();
            out.push(TraceLine {
                depth,
                text: "not".to_owned(),
                result: false,
                detail: String::new(),
            });
            let result = !trace(inner, record, depth + 1, out);
            out[at].result = result;
            result
        }
        Node::Cmp {
            left,
            op,
            right,
            regex,
            text,
        } => {
            let a = operand_val(left, record);
            let b = operand_val(right, record);
            let result = compare(*op, &a, &b, regex.as_ref());
            let detail = [describe(left, &a), describe(right, &b)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            out.push(TraceLine {
                depth,
                text: text.clone(),
                result,
                detail,
            });
            result
        }
        Node::Exists(f, text) => {
            let v = f.get(record);
            let result = eval(node, record);
            out.push(TraceLine {
                depth,
                text: text.clone(),
                result,
                detail: format!("{} = {}", f.name, v.show()),
            });
            result
        }
        Node::Truthy(o, text) => {
            let v = operand_val(o, record);
            let result = truthy(&v);
            out.push(TraceLine {
                depth,
                text: text.clone(),
                result,
                detail: describe(o, &v).unwrap_or_default(),
            });
            result
        }
    }
}

fn required_categories(node: &Node) -> Option<Vec<String>> {
    match node {
        Node::Cmp {
            left: Opd::Field(f),
            op,
            right,
            ..
        } if f.virt == Some(Virtual::Category) => match (op, right) {
            (CmpOp::Eq, Opd::Lit(Val::Text(t))) => Some(vec![t.to_ascii_lowercase()]),
            (CmpOp::In, Opd::List(items)) => items
                .iter()
                .map(|v| match v {
                    Val::Text(t) => Some(t.to_ascii_lowercase()),
                    _ => None,
                })
                .collect(),
            _ => None,
        },
        Node::And(items) => items.iter().find_map(required_categories),
        Node::Or(items) => {
            let mut all = Vec::new();
            for item in items {
                all.extend(required_categories(item)?);
            }
            Some(all)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::record_from_json;
    use crate::rules::syntax::parse_expression;

    fn cond(text: &str) -> Condition {
        let (e, errors) = parse_expression(text);
        assert!(errors.is_empty(), "{errors:?}");
        Condition::compile(&e, text)
    }

    fn check(condition: &str, json: &str) -> bool {
        let r = record_from_json(json).unwrap();
        cond(condition).matches(&r)
    }

    const CHAT: &str = r#"{"time":"2026-11-20T10:00:00Z","category":"ChatOperational","resultSignature":"429","durationMs":25,"properties":{"UserId":"8:acs:X","ChatThreadId":"19:a@thread.v2"},"tags":["a","B"],"ok":true}"#;

    #[test]
    fn the_guide_semantics() {
        assert!(check(
            r#"category == "ChatOperational" and resultSignature == 429"#,
            CHAT
        ));
        assert!(
            check(r#"category == "chatoperational""#, CHAT),
            "text ignores case"
        );
        assert!(check("resultSignature >= 400", CHAT), "numbers as strings");
        assert!(check("resultSignature == \"429\"", CHAT));
        assert!(!check("resultSignature == 201", CHAT));
        assert!(check("resultSignature in [401, 403, 429]", CHAT));
        assert!(check("resultSignature not in [200, 201]", CHAT));
        assert!(check("UserId startswith \"8:acs:\"", CHAT));
        assert!(check("properties.UserId endswith 'x'", CHAT));
        assert!(check("ChatThreadId contains \"@THREAD\"", CHAT));
        assert!(check(
            "ChatThreadId matches '^19:[a-z]+@thread\\.v2$'",
            CHAT
        ));
        assert!(
            !check("ChatThreadId matches '^19:[A-Z]+'", CHAT),
            "regex keeps case"
        );
        assert!(check(
            "exists(properties.UserId) and not exists(ParticipantId)",
            CHAT
        ));
        assert!(check("tags contains \"b\"", CHAT));
        assert!(check("tags == \"a\"", CHAT));
        assert!(check("ok", CHAT));
        assert!(check("ok == true", CHAT));
        assert!(
            !check("durationMs < 1s", CHAT),
            "a duration is seconds: 25 < 1 is false"
        );
        assert!(check("durationMs < 30s", CHAT));
        assert!(check("time > \"2026-11-20T09:59:59Z\"", CHAT));
        assert!(
            check("time < \"11/20/2026, 10:00:01 AM\"", CHAT),
            "timestamps compare as times"
        );
        assert!(check(
            "family == \"chat\" and format == \"json-array\"",
            CHAT
        ));
    }

    #[test]
    fn missing_fields() {
        assert!(!check("participantId == 1", CHAT));
        assert!(!check("participantId != 1", CHAT));
        assert!(check("not (participantId == 1)", CHAT));
        assert!(check("participantId == null", CHAT));
        assert!(!check("participantId not in [1]", CHAT));
        assert!(!check("participantId contains \"x\"", CHAT));
        assert!(!check("participantId", CHAT));
    }

    #[test]
    fn traces_explain_each_step() {
        let r = record_from_json(CHAT).unwrap();
        let (result, lines) =
            cond(r#"category == "ChatOperational" and resultSignature == 201"#).trace(&r);
        assert!(!result);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].text, "all of");
        assert!(lines[1].result);
        assert!(!lines[2].result);
        assert_eq!(lines[2].detail, "resultSignature = \"429\"");
    }

    #[test]
    fn category_prefilter() {
        assert_eq!(
            cond(r#"category == "ChatOperational" and x == 1"#).required_categories(),
            Some(vec!["chatoperational".to_owned()])
        );
        assert_eq!(
            cond(r#"category in ["A", "B"] or category == "C""#).required_categories(),
            Some(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(
            cond("x == 1 or category == \"C\"").required_categories(),
            None
        );
    }
}
