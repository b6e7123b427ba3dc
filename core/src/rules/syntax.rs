//! The rule condition language: grammar, syntax tree, and a parser that recovers.
//!
//! ```text
//! expr       = or
//! or         = and ("or" and)*
//! and        = not ("and" not)*
//! not        = "not" not | primary
//! primary    = "(" expr ")" | "exists" "(" path ")" | operand [op operand]
//! op         = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in"
//!            | "contains" | "startswith" | "endswith" | "matches"
//! operand    = string | number | duration | "true" | "false" | "null" | list | path
//! list       = "[" [literal ("," literal)*] "]"
//! path       = segment ("." segment | "[" digits "]")*
//! segment    = name | "`" any text "`"
//! ```
//!
//! Keywords are case-insensitive. The parser is built with nom over `nom_locate` spans. It never
//! gives up at the first problem: errors are recorded (with their byte span in the condition) in
//! a list carried by the input, a placeholder node takes the broken part's place, and parsing goes
//! on, so one condition with a typo, an unterminated string and an unknown operator reports all
//! three.

use std::cell::RefCell;
use std::fmt;
use std::ops::Range;

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, digit1};
use nom::combinator::{opt, recognize};
use nom::{IResult, Parser};
use nom_locate::LocatedSpan;

/// A problem found while parsing, with its byte range in the parsed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

type Errors = RefCell<Vec<SyntaxError>>;
type Span<'a> = LocatedSpan<&'a str, &'a Errors>;
type Res<'a, T> = IResult<Span<'a>, T>;

/// A field reference: `participantEndReason`, `properties.participantId`,
/// `data.resultInformation.code`, `deliveryAttempts[0].segmentsFailed`, `` `TimeGenerated [UTC]` ``.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub segments: Vec<Segment>,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Name(String),
    Index(u32),
}

impl Path {
    /// The name records know the field by (flattened form: `a.b[0].c`).
    pub fn lookup_name(&self) -> String {
        let mut out = String::new();
        for seg in &self.segments {
            match seg {
                Segment::Name(n) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(n);
                }
                Segment::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }

    /// The first name segment (what the vocabulary check looks at), skipping a bag prefix.
    pub fn head(&self) -> Option<&str> {
        let mut names = self.segments.iter().filter_map(|s| match s {
            Segment::Name(n) => Some(n.as_str()),
            Segment::Index(_) => None,
        });
        let first = names.next()?;
        let is_bag = ["properties", "data", "headers"]
            .iter()
            .any(|b| b.eq_ignore_ascii_case(first));
        if is_bag && self.segments.len() > 1 {
            // `headers.x` is any header: the bag itself is the known name.
            if first.eq_ignore_ascii_case("headers") {
                return Some(first);
            }
            return names.next().or(Some(first));
        }
        Some(first)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lookup_name())
    }
}

/// A constant in a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    /// A duration, held in seconds (`1m` = 60, `500ms` = 0.5).
    Duration(f64),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(s) => write!(f, "{s:?}"),
            Literal::Num(n) => write!(f, "{n}"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Null => f.write_str("null"),
            Literal::Duration(s) => write!(f, "{s}s"),
        }
    }
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Path(Path),
    Literal(Literal, Range<usize>),
    List(Vec<Literal>, Range<usize>),
}

impl Operand {
    pub fn span(&self) -> Range<usize> {
        match self {
            Operand::Path(p) => p.span.clone(),
            Operand::Literal(_, s) | Operand::List(_, s) => s.clone(),
        }
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Contains,
    StartsWith,
    EndsWith,
    Matches,
}

impl CmpOp {
    pub fn text(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::In => "in",
            CmpOp::NotIn => "not in",
            CmpOp::Contains => "contains",
            CmpOp::StartsWith => "startswith",
            CmpOp::EndsWith => "endswith",
            CmpOp::Matches => "matches",
        }
    }
}

/// Every operator, as written, for suggestions.
pub const OPERATORS: [&str; 12] = [
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "not in",
    "contains",
    "startswith",
    "endswith",
    "matches",
];

/// A condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Compare {
        left: Operand,
        op: CmpOp,
        right: Operand,
        span: Range<usize>,
    },
    Exists(Path, Range<usize>),
    /// A bare operand: true when the field is present and truthy, or the literal is true.
    Truthy(Operand),
    /// Stands where an error was reported.
    Invalid,
}

impl Expr {
    /// Every path the condition reads.
    pub fn paths(&self) -> Vec<&Path> {
        let mut out = Vec::new();
        self.collect_paths(&mut out);
        out
    }

    fn collect_paths<'e>(&'e self, out: &mut Vec<&'e Path>) {
        match self {
            Expr::Or(v) | Expr::And(v) => v.iter().for_each(|e| e.collect_paths(out)),
            Expr::Not(e) => e.collect_paths(out),
            Expr::Compare { left, right, .. } => {
                for side in [left, right] {
                    if let Operand::Path(p) = side {
                        out.push(p);
                    }
                }
            }
            Expr::Exists(p, _) => out.push(p),
            Expr::Truthy(Operand::Path(p)) => out.push(p),
            Expr::Truthy(_) | Expr::Invalid => {}
        }
    }
}

type PErr<'a> = nom::error::Error<Span<'a>>;

fn ch<'a>(c: char) -> impl Parser<Span<'a>, Output = char, Error = PErr<'a>> {
    char(c)
}

fn tg<'a>(t: &'static str) -> impl Parser<Span<'a>, Output = Span<'a>, Error = PErr<'a>> {
    tag(t)
}

fn digits(i: Span<'_>) -> Res<'_, Span<'_>> {
    digit1(i)
}

fn offset(i: &Span<'_>) -> usize {
    i.location_offset()
}

fn report(i: &Span<'_>, span: Range<usize>, message: impl Into<String>, help: Option<String>) {
    // Every span in a condition ends where the text ends.
    let text_end = offset(i) + i.fragment().len();
    let span = span.start.min(text_end)..span.end.min(text_end);
    i.extra.borrow_mut().push(SyntaxError {
        span,
        message: message.into(),
        help,
    });
}

fn ws(i: Span<'_>) -> Res<'_, ()> {
    let (i, _) = take_while(|c: char| c.is_whitespace()).parse(i)?;
    Ok((i, ()))
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$' || c == '@'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$' | '@')
}

fn word(i: Span<'_>) -> Res<'_, Span<'_>> {
    recognize((take_while1(is_name_start), take_while(is_name_char))).parse(i)
}

/// A keyword, any case, not followed by a name character.
fn keyword<'a>(kw: &'static str) -> impl Fn(Span<'a>) -> Res<'a, Span<'a>> {
    move |i: Span<'a>| {
        let (rest, w) = word(i)?;
        if w.fragment().eq_ignore_ascii_case(kw) {
            Ok((rest, w))
        } else {
            Err(nom::Err::Error(nom::error::Error::new(
                i,
                nom::error::ErrorKind::Tag,
            )))
        }
    }
}

fn fail<T>(i: Span<'_>) -> Res<'_, T> {
    Err(nom::Err::Error(nom::error::Error::new(
        i,
        nom::error::ErrorKind::Fail,
    )))
}

/// The next token as text, for messages (a word, a run of symbols, or one character).
fn token_text(i: &Span<'_>) -> (String, usize) {
    let text = i.fragment();
    let first = match text.chars().next() {
        Some(c) => c,
        None => return (String::new(), 0),
    };
    let len = if is_name_start(first) || first.is_ascii_digit() {
        text.find(|c: char| !is_name_char(c) && c != '.')
            .unwrap_or(text.len())
    } else if "=!<>~:&|^%*+/\\?".contains(first) {
        text.find(|c: char| !"=!<>~:&|^%*+/\\?".contains(c))
            .unwrap_or(text.len())
    } else {
        first.len_utf8()
    };
    (text[..len].to_owned(), len)
}

/// Skips `n` bytes (rounded up to a character boundary). nom's `take` counts characters on text
/// input, so the byte count is turned into a character count first.
fn skip(i: Span<'_>, n: usize) -> Span<'_> {
    let text = i.fragment();
    let mut n = n.min(text.len());
    while !text.is_char_boundary(n) {
        n += 1;
    }
    let chars = text[..n].chars().count();
    match nom::bytes::complete::take::<usize, Span<'_>, PErr<'_>>(chars).parse(i) {
        Ok((rest, _)) => rest,
        Err(_) => i,
    }
}

// ---------------------------------------------------------------------------------------------
// Literals and paths
// ---------------------------------------------------------------------------------------------

/// A string in `"..."` or `'...'` with `\` escapes. An unterminated string is reported and runs
/// to the end of the condition.
fn string_lit(i: Span<'_>) -> Res<'_, (String, Range<usize>)> {
    let start = offset(&i);
    let (rest, quote) = alt((ch('"'), ch('\''))).parse(i)?;
    let text = rest.fragment();
    let mut out = String::new();
    let mut chars = text.char_indices();
    while let Some((idx, c)) = chars.next() {
        if c == quote {
            let rest = skip(rest, idx + 1);
            return Ok((rest, (out, start..offset(&rest))));
        }
        if c == '\\' {
            match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, other)) => out.push(other),
                None => break,
            }
        } else {
            out.push(c);
        }
    }
    let end = skip(rest, text.len());
    report(
        &i,
        start..start + 1,
        "unterminated string",
        Some(format!("close the string with {quote}")),
    );
    Ok((end, (out, start..offset(&end))))
}

/// Seconds per duration unit.
fn unit_seconds(unit: &str) -> Option<f64> {
    match unit {
        "ms" => Some(0.001),
        "s" => Some(1.0),
        "m" => Some(60.0),
        "h" => Some(3600.0),
        "d" => Some(86400.0),
        _ => None,
    }
}

/// A number, or a duration when a unit (`ms`, `s`, `m`, `h`, `d`) follows without a space.
fn number_lit(i: Span<'_>) -> Res<'_, (Literal, Range<usize>)> {
    let start = offset(&i);
    let (rest, text) = recognize((
        opt(ch('-')),
        digits,
        opt((ch('.'), digits)),
        opt((
            alt((ch('e'), ch('E'))),
            opt(alt((ch('+'), ch('-')))),
            digits,
        )),
    ))
    .parse(i)?;
    let value: f64 = match text.fragment().parse() {
        Ok(v) => v,
        Err(_) => return fail(i),
    };
    let (after, unit) = take_while(|c: char| c.is_ascii_alphanumeric()).parse(rest)?;
    let unit = unit.fragment();
    if unit.is_empty() {
        return Ok((rest, (Literal::Num(value), start..offset(&rest))));
    }
    match unit_seconds(unit) {
        Some(scale) => Ok((
            after,
            (Literal::Duration(value * scale), start..offset(&after)),
        )),
        None => {
            report(
                &i,
                start..offset(&after),
                format!("`{}{unit}` is not a number or a duration", text.fragment()),
                Some("durations are a number and a unit: 500ms, 10s, 1m, 2h, 1d".to_owned()),
            );
            Ok((after, (Literal::Num(value), start..offset(&after))))
        }
    }
}

fn literal(i: Span<'_>) -> Res<'_, (Literal, Range<usize>)> {
    if let Ok((rest, (s, span))) = string_lit(i) {
        return Ok((rest, (Literal::Str(s), span)));
    }
    if let Ok(found) = number_lit(i) {
        return Ok(found);
    }
    let start = offset(&i);
    for (kw, lit) in [
        ("true", Literal::Bool(true)),
        ("false", Literal::Bool(false)),
        ("null", Literal::Null),
    ] {
        if let Ok((rest, _)) = keyword(kw)(i) {
            return Ok((rest, (lit, start..offset(&rest))));
        }
    }
    fail(i)
}

fn list_lit(i: Span<'_>) -> Res<'_, Operand> {
    let start = offset(&i);
    let (mut rest, _) = ch('[').parse(i)?;
    let mut items = Vec::new();
    loop {
        let (r, _) = ws(rest)?;
        rest = r;
        if let Ok((r, _)) = ch(']').parse(rest) {
            return Ok((r, Operand::List(items, start..offset(&r))));
        }
        if rest.fragment().is_empty() {
            report(
                &i,
                start..start + 1,
                "unterminated list",
                Some("close the list with ]".to_owned()),
            );
            return Ok((rest, Operand::List(items, start..offset(&rest))));
        }
        match literal(rest) {
            Ok((r, (lit, _))) => {
                items.push(lit);
                rest = r;
            }
            Err(_) => {
                let (tok, len) = token_text(&rest);
                let at = offset(&rest);
                report(
                    &rest,
                    at..at + len.max(1),
                    format!("lists hold values only, found `{tok}`"),
                    Some("write strings in quotes: [\"a\", \"b\"]".to_owned()),
                );
                rest = skip(rest, len.max(1));
            }
        }
        let (r, _) = ws(rest)?;
        rest = r;
        if let Ok((r, _)) = ch(',').parse(rest) {
            rest = r;
        }
    }
}

fn quoted_name(i: Span<'_>) -> Res<'_, String> {
    let start = offset(&i);
    let (rest, _) = ch('`').parse(i)?;
    match rest.fragment().find('`') {
        Some(end) => {
            let name = rest.fragment()[..end].to_owned();
            Ok((skip(rest, end + 1), name))
        }
        None => {
            report(
                &i,
                start..start + 1,
                "unterminated quoted field name",
                Some("close the name with `".to_owned()),
            );
            let name = rest.fragment().to_string();
            let len = name.len();
            Ok((skip(rest, len), name))
        }
    }
}

fn segment(i: Span<'_>) -> Res<'_, String> {
    if let Ok(found) = quoted_name(i) {
        return Ok(found);
    }
    let (rest, w) = word(i)?;
    Ok((rest, w.fragment().to_string()))
}

fn path(i: Span<'_>) -> Res<'_, Path> {
    let start = offset(&i);
    let (mut rest, first) = segment(i)?;
    let mut segments = vec![Segment::Name(first)];
    loop {
        if let Ok((r, _)) = ch('.').parse(rest) {
            match segment(r) {
                Ok((r, name)) => {
                    segments.push(Segment::Name(name));
                    rest = r;
                    continue;
                }
                Err(_) => {
                    let at = offset(&rest);
                    report(&rest, at..at + 1, "a field name must follow `.`", None);
                    rest = r;
                    break;
                }
            }
        }
        if let Ok((r, (_, digits, _))) = (ch('['), digits, ch(']')).parse(rest) {
            match digits.fragment().parse::<u32>() {
                Ok(n) => segments.push(Segment::Index(n)),
                Err(_) => {
                    let at = offset(&digits);
                    report(
                        &rest,
                        at..at + digits.fragment().len(),
                        "index too large",
                        None,
                    );
                }
            }
            rest = r;
            continue;
        }
        break;
    }
    Ok((
        rest,
        Path {
            segments,
            span: start..offset(&rest),
        },
    ))
}

fn operand(i: Span<'_>) -> Res<'_, Operand> {
    if let Ok((rest, (lit, span))) = literal(i) {
        return Ok((rest, Operand::Literal(lit, span)));
    }
    if let Ok(found) = list_lit(i) {
        return Ok(found);
    }
    let (rest, p) = path(i)?;
    Ok((rest, Operand::Path(p)))
}

// ---------------------------------------------------------------------------------------------
// Operators
// ---------------------------------------------------------------------------------------------

/// Words users reach for, mapped to the operator they mean.
const OPERATOR_ALIASES: [(&str, &str); 18] = [
    ("=", "=="),
    ("===", "=="),
    ("eq", "=="),
    ("equals", "=="),
    ("is", "=="),
    ("<>", "!="),
    ("!==", "!="),
    ("ne", "!="),
    ("neq", "!="),
    ("=~", "matches"),
    ("~=", "matches"),
    ("~", "matches"),
    ("like", "matches"),
    ("regex", "matches"),
    ("=>", ">="),
    ("=<", "<="),
    ("has", "contains"),
    ("includes", "contains"),
];

/// The operator a user probably meant by `text`.
pub fn suggest_operator(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    if let Some((_, op)) = OPERATOR_ALIASES.iter().find(|(a, _)| *a == lower) {
        return Some(op);
    }
    if !lower.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    OPERATORS
        .iter()
        .filter(|op| op.chars().all(|c| c.is_ascii_alphabetic() || c == ' '))
        .map(|op| (op, strsim::damerau_levenshtein(&lower, op)))
        .filter(|(_, d)| *d <= 1.max(lower.len() / 3))
        .min_by_key(|(_, d)| *d)
        .map(|(op, _)| *op)
}

fn operator(i: Span<'_>) -> Res<'_, CmpOp> {
    let mut symbolic = alt((tg("=="), tg("!="), tg("<="), tg(">="), tg("<"), tg(">")));
    if let Ok((rest, op)) = symbolic.parse(i) {
        // `===`, `=>`, `<>` and the like are not ours: let the caller report them whole.
        if rest.fragment().starts_with(|c: char| "=<>~!".contains(c)) {
            return fail(i);
        }
        let op = match *op.fragment() {
            "==" => CmpOp::Eq,
            "!=" => CmpOp::Ne,
            "<=" => CmpOp::Le,
            ">=" => CmpOp::Ge,
            "<" => CmpOp::Lt,
            _ => CmpOp::Gt,
        };
        return Ok((rest, op));
    }
    if let Ok((rest, _)) = keyword("not")(i) {
        if let Ok((rest2, _)) = ws(rest) {
            if let Ok((rest3, _)) = keyword("in")(rest2) {
                return Ok((rest3, CmpOp::NotIn));
            }
        }
        return fail(i);
    }
    for (kw, op) in [
        ("in", CmpOp::In),
        ("contains", CmpOp::Contains),
        ("startswith", CmpOp::StartsWith),
        ("endswith", CmpOp::EndsWith),
        ("matches", CmpOp::Matches),
    ] {
        if let Ok((rest, _)) = keyword(kw)(i) {
            return Ok((rest, op));
        }
    }
    fail(i)
}

/// True where a term ends: end of text, `)`, `and`, `or`.
fn at_term_end(i: Span<'_>) -> bool {
    let f = i.fragment();
    f.is_empty() || f.starts_with(')') || keyword("and")(i).is_ok() || keyword("or")(i).is_ok()
}

// ---------------------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------------------

fn comparison(i: Span<'_>) -> Res<'_, Expr> {
    let start = offset(&i);
    let (rest, left) = match operand(i) {
        Ok(found) => found,
        Err(_) => {
            let (tok, len) = token_text(&i);
            let help = if OPERATORS.contains(&tok.as_str()) || suggest_operator(&tok).is_some() {
                Some("a comparison starts with a field: resultSignature == 429".to_owned())
            } else {
                None
            };
            let what = if tok.is_empty() {
                "the condition ends here".to_owned()
            } else {
                format!("found `{tok}`")
            };
            report(
                &i,
                start..start + len.max(1),
                format!("expected a field, a value or `(`: {what}"),
                help,
            );
            return Ok((skip(i, len.max(1)), Expr::Invalid));
        }
    };
    let (rest, _) = ws(rest)?;
    if at_term_end(rest) {
        return Ok((rest, Expr::Truthy(left)));
    }
    let (rest, op) = match operator(rest) {
        Ok(found) => found,
        Err(_) => {
            let (tok, len) = token_text(&rest);
            let at = offset(&rest);
            let help = suggest_operator(&tok).map(|s| format!("did you mean `{s}`?"));
            report(
                &rest,
                at..at + len.max(1),
                format!("unknown operator `{tok}`"),
                help.or_else(|| Some(format!("operators: {}", OPERATORS.join(", ")))),
            );
            // Keep going: the right-hand side may hold further errors.
            let rest = skip(rest, len.max(1));
            let (rest, _) = ws(rest)?;
            let rest = match operand(rest) {
                Ok((r, _)) => r,
                Err(_) => rest,
            };
            return Ok((rest, Expr::Invalid));
        }
    };
    let (rest, _) = ws(rest)?;
    let (rest, right) = match operand(rest) {
        Ok(found) => found,
        Err(_) => {
            let (tok, len) = token_text(&rest);
            let at = offset(&rest);
            let what = if tok.is_empty() {
                "the condition ends".to_owned()
            } else {
                format!("found `{tok}`")
            };
            report(
                &rest,
                at..at + len.max(1),
                format!("expected a value after `{}`, {what}", op.text()),
                None,
            );
            return Ok((skip(rest, len), Expr::Invalid));
        }
    };
    let end = offset(&rest);
    if matches!(op, CmpOp::In | CmpOp::NotIn)
        && !matches!(right, Operand::List(..) | Operand::Path(_))
    {
        report(
            &rest,
            right.span(),
            format!("`{}` needs a list on its right: [\"a\", \"b\"]", op.text()),
            None,
        );
    }
    if op == CmpOp::Matches {
        if let Operand::Literal(Literal::Str(re), span) = &right {
            if let Err(e) = regex::Regex::new(re) {
                report(
                    &rest,
                    span.clone(),
                    "invalid regular expression",
                    Some(e.to_string().lines().last().unwrap_or_default().to_owned()),
                );
            }
        } else {
            report(
                &rest,
                right.span(),
                "`matches` needs a regular expression in quotes",
                None,
            );
        }
    }
    Ok((
        rest,
        Expr::Compare {
            left,
            op,
            right,
            span: start..end,
        },
    ))
}

fn primary(i: Span<'_>) -> Res<'_, Expr> {
    let (i, _) = ws(i)?;
    if let Ok((rest, _)) = ch('(').parse(i) {
        let open = offset(&i);
        let (rest, inner) = expr(rest)?;
        let (rest, _) = ws(rest)?;
        return match ch(')').parse(rest) {
            Ok((rest, _)) => Ok((rest, inner)),
            Err(_) => {
                report(
                    &rest,
                    open..open + 1,
                    "this `(` is never closed",
                    Some("add the missing )".to_owned()),
                );
                Ok((rest, inner))
            }
        };
    }
    if let Ok((rest, kw)) = keyword("exists")(i) {
        let start = offset(&kw);
        let (rest, _) = ws(rest)?;
        if let Ok((rest, (_, _, p, _, _))) = (ch('('), ws, path, ws, ch(')')).parse(rest) {
            return Ok((rest, Expr::Exists(p, start..offset(&rest))));
        }
        report(
            &rest,
            start..offset(&rest).max(start + 6),
            "`exists` takes one field in parentheses",
            Some("exists(participantEndSubCode)".to_owned()),
        );
        let (rest, _) =
            opt(recognize((ch('('), take_while(|c| c != ')'), opt(ch(')'))))).parse(rest)?;
        return Ok((rest, Expr::Invalid));
    }
    comparison(i)
}

fn not_expr(i: Span<'_>) -> Res<'_, Expr> {
    let (i, _) = ws(i)?;
    if let Ok((rest, _)) = keyword("not")(i) {
        // `not in` only appears after an operand; here `not` negates.
        let (rest, inner) = not_expr(rest)?;
        return Ok((rest, Expr::Not(Box::new(inner))));
    }
    primary(i)
}

/// `operand (word operand)*`, folded into one `combine` node when there are several.
fn joined<'a>(
    i: Span<'a>,
    word: &'static str,
    operand: fn(Span<'a>) -> Res<'a, Expr>,
    combine: fn(Vec<Expr>) -> Expr,
) -> Res<'a, Expr> {
    let (mut rest, first) = operand(i)?;
    let mut items = vec![first];
    loop {
        let (r, _) = ws(rest)?;
        match keyword(word)(r) {
            Ok((r, _)) => {
                let (r, next) = operand(r)?;
                items.push(next);
                rest = r;
            }
            Err(_) => break,
        }
    }
    let node = if items.len() == 1 {
        items.remove(0)
    } else {
        combine(items)
    };
    Ok((rest, node))
}

fn and_expr(i: Span<'_>) -> Res<'_, Expr> {
    joined(i, "and", not_expr, Expr::And)
}

fn expr(i: Span<'_>) -> Res<'_, Expr> {
    joined(i, "or", and_expr, Expr::Or)
}

/// Parses a condition. Always returns a tree (with [`Expr::Invalid`] where parts were broken) and
/// every error found; the condition is usable only when the error list is empty.
pub fn parse_expression(text: &str) -> (Expr, Vec<SyntaxError>) {
    if text.trim().is_empty() {
        return (
            Expr::Invalid,
            vec![SyntaxError {
                span: 0..text.len(),
                message: "empty condition".to_owned(),
                help: Some("write a condition such as: resultSignature == 429".to_owned()),
            }],
        );
    }
    let errors: Errors = RefCell::new(Vec::new());
    let input = Span::new_extra(text, &errors);
    let tree = match expr(input) {
        Ok((mut rest, tree)) => {
            // Anything left over is reported, then parsed on for further errors.
            while let Ok((r, _)) = ws(rest) {
                rest = r;
                if rest.fragment().is_empty() {
                    break;
                }
                let (tok, len) = token_text(&rest);
                let at = offset(&rest);
                let help = if tok == ")" {
                    Some("remove it, or add the matching (".to_owned())
                } else {
                    Some("join conditions with `and` / `or`".to_owned())
                };
                report(
                    &rest,
                    at..at + len.max(1),
                    format!("unexpected `{tok}`"),
                    help,
                );
                rest = skip(rest, len.max(1));
                if rest.fragment().trim().is_empty() {
                    break;
                }
                match expr(rest) {
                    Ok((r, _)) => rest = r,
                    Err(_) => break,
                }
            }
            tree
        }
        Err(_) => Expr::Invalid,
    };
    let mut errors = errors.into_inner();
    errors.sort_by_key(|e| (e.span.start, e.span.end));
    errors.dedup();
    (tree, errors)
}

// ---------------------------------------------------------------------------------------------
// Thresholds: `count >= 5 within 1m`
// ---------------------------------------------------------------------------------------------

/// A grouped threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub op: CmpOp,
    pub count: u64,
    /// Sliding window, in seconds; `None` = over the whole run.
    pub within: Option<f64>,
}

impl Threshold {
    /// True when `n` matches in one window reach the threshold.
    pub fn reached(&self, n: u64) -> bool {
        match self.op {
            CmpOp::Gt => n > self.count,
            CmpOp::Eq => n == self.count,
            _ => n >= self.count,
        }
    }
}

/// Parses `count >= N [within DURATION]`.
pub fn parse_threshold(text: &str) -> Result<Threshold, SyntaxError> {
    let errors: Errors = RefCell::new(Vec::new());
    let i = Span::new_extra(text, &errors);
    let err = |at: Span<'_>, message: &str, help: &str| SyntaxError {
        span: offset(&at)..offset(&at) + token_text(&at).1.max(1),
        message: message.to_owned(),
        help: Some(help.to_owned()),
    };
    let example = "count >= 5 within 1m";
    let (i, _) = ws(i).map_err(|_| err(i, "empty threshold", example))?;
    let (i, _) =
        keyword("count")(i).map_err(|_| err(i, "a threshold starts with `count`", example))?;
    let (i, _) = ws(i).map_err(|_| err(i, "expected an operator", example))?;
    let (i, op) = match operator(i) {
        Ok((r, op @ (CmpOp::Ge | CmpOp::Gt | CmpOp::Eq))) => (r, op),
        _ => {
            let (tok, _) = token_text(&i);
            let hint =
                suggest_operator(&tok).map_or(String::new(), |s| format!(" (did you mean `{s}`?)"));
            return Err(err(
                i,
                &format!("expected `>=`, `>` or `==` after `count`{hint}"),
                example,
            ));
        }
    };
    let (i, _) = ws(i).map_err(|_| err(i, "expected a number", example))?;
    let (i, (lit, _)) =
        number_lit(i).map_err(|_| err(i, "expected a whole number of records", example))?;
    let count = match lit {
        Literal::Num(n) if n >= 1.0 && n.fract() == 0.0 => n as u64,
        _ => {
            return Err(err(
                i,
                "the count must be a whole number of at least 1",
                example,
            ));
        }
    };
    let (i, _) = ws(i).map_err(|_| err(i, "unexpected text", example))?;
    if i.fragment().is_empty() {
        return Ok(Threshold {
            op,
            count,
            within: None,
        });
    }
    let (i, _) = keyword("within")(i)
        .map_err(|_| err(i, "expected `within` and a duration, or nothing", example))?;
    let (i, _) = ws(i).map_err(|_| err(i, "expected a duration", example))?;
    let (i, within) = match number_lit(i) {
        Ok((r, (Literal::Duration(s), _))) if s > 0.0 => (r, s),
        _ => return Err(err(i, "expected a duration such as 10s, 1m or 1h", example)),
    };
    let (i, _) = ws(i).map_err(|_| err(i, "unexpected text", example))?;
    if !i.fragment().is_empty() {
        return Err(err(i, "unexpected text after the threshold", example));
    }
    if let Some(e) = errors.into_inner().into_iter().next() {
        return Err(e);
    }
    Ok(Threshold {
        op,
        count,
        within: Some(within),
    })
}

/// Parses a duration such as `1h` (for absence windows). Returns seconds.
pub fn parse_duration(text: &str) -> Result<f64, SyntaxError> {
    let errors: Errors = RefCell::new(Vec::new());
    let i = Span::new_extra(text.trim(), &errors);
    let bad = || SyntaxError {
        span: 0..text.len().max(1),
        message: format!("`{}` is not a duration", text.trim()),
        help: Some("write a number and a unit: 500ms, 30s, 10m, 1h, 2d".to_owned()),
    };
    match number_lit(i) {
        Ok((rest, (Literal::Duration(s), _)))
            if rest.fragment().is_empty() && s > 0.0 && errors.borrow().is_empty() =>
        {
            Ok(s)
        }
        _ => Err(bad()),
    }
}

// ---------------------------------------------------------------------------------------------
// Message templates: "{count} requests from {UserId}"
// ---------------------------------------------------------------------------------------------

/// A piece of a message template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// A placeholder, with its byte span in the template.
    Var(String, Range<usize>),
}

/// Parses a template; `{{` and `}}` are literal braces.
pub fn parse_template(text: &str) -> Result<Vec<Piece>, SyntaxError> {
    let mut pieces = Vec::new();
    let mut buf = String::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                buf.push('{');
                i += 2;
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                buf.push('}');
                i += 2;
            }
            b'{' => {
                let Some(close) = text[i + 1..].find('}') else {
                    return Err(SyntaxError {
                        span: i..i + 1,
                        message: "unclosed `{` in the message".to_owned(),
                        help: Some(
                            "close the placeholder with }, or write {{ for a brace".to_owned(),
                        ),
                    });
                };
                let name = text[i + 1..i + 1 + close].trim();
                if name.is_empty() {
                    return Err(SyntaxError {
                        span: i..i + close + 2,
                        message: "empty placeholder `{}`".to_owned(),
                        help: Some("name a field or one of count, first, last".to_owned()),
                    });
                }
                if !buf.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut buf)));
                }
                pieces.push(Piece::Var(name.to_owned(), i..i + close + 2));
                i += close + 2;
            }
            b'}' => {
                return Err(SyntaxError {
                    span: i..i + 1,
                    message: "`}` without an opening `{`".to_owned(),
                    help: Some("write }} for a literal brace".to_owned()),
                });
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or(' ');
                buf.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    if !buf.is_empty() {
        pieces.push(Piece::Text(buf));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Expr {
        let (e, errors) = parse_expression(text);
        assert!(errors.is_empty(), "{text}: {errors:?}");
        e
    }

    fn errs(text: &str) -> Vec<SyntaxError> {
        parse_expression(text).1
    }

    fn p(name: &str) -> Operand {
        match ok(name) {
            Expr::Truthy(o) => o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn comparisons_and_precedence() {
        let e = ok(r#"category == "ChatOperational" and resultSignature == 429 or not exists(x)"#);
        let Expr::Or(items) = e else { panic!() };
        assert_eq!(items.len(), 2);
        assert!(matches!(items[0], Expr::And(_)));
        assert!(matches!(items[1], Expr::Not(_)));
    }

    #[test]
    fn every_operator() {
        for (text, op) in [
            ("a == 1", CmpOp::Eq),
            ("a != 1", CmpOp::Ne),
            ("a < 1", CmpOp::Lt),
            ("a <= 1", CmpOp::Le),
            ("a > 1", CmpOp::Gt),
            ("a >= 1", CmpOp::Ge),
            ("a in [1, 2]", CmpOp::In),
            ("a not in [1, 2]", CmpOp::NotIn),
            ("a NOT IN [1]", CmpOp::NotIn),
            ("a contains \"x\"", CmpOp::Contains),
            ("a startswith 'x'", CmpOp::StartsWith),
            ("a endswith 'x'", CmpOp::EndsWith),
            ("a matches '^x+$'", CmpOp::Matches),
            ("a==1", CmpOp::Eq),
        ] {
            match ok(text) {
                Expr::Compare { op: got, .. } => assert_eq!(got, op, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn literals() {
        let lit = |t: &str| match ok(&format!("a == {t}")) {
            Expr::Compare {
                right: Operand::Literal(l, _),
                ..
            } => l,
            other => panic!("{other:?}"),
        };
        assert_eq!(lit("\"x\\\"y\""), Literal::Str("x\"y".into()));
        assert_eq!(lit("'single'"), Literal::Str("single".into()));
        assert_eq!(lit("-12.5"), Literal::Num(-12.5));
        assert_eq!(lit("3.1e-5"), Literal::Num(3.1e-5));
        assert_eq!(lit("TRUE"), Literal::Bool(true));
        assert_eq!(lit("null"), Literal::Null);
        assert_eq!(lit("1m"), Literal::Duration(60.0));
        assert_eq!(lit("500ms"), Literal::Duration(0.5));
        assert_eq!(lit("2h"), Literal::Duration(7200.0));
        assert_eq!(lit("1d"), Literal::Duration(86400.0));
        match ok("a in [\"x\", 2, true]") {
            Expr::Compare {
                right: Operand::List(items, _),
                ..
            } => assert_eq!(items.len(), 3),
            other => panic!("{other:?}"),
        }
        match ok("a in []") {
            Expr::Compare {
                right: Operand::List(items, _),
                ..
            } => assert!(items.is_empty()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn paths() {
        let Operand::Path(path) = p("properties.participantEndReason") else {
            panic!()
        };
        assert_eq!(path.lookup_name(), "properties.participantEndReason");
        assert_eq!(path.head(), Some("participantEndReason"));
        let Operand::Path(path) = p("data.deliveryAttempts[0].segmentsFailed") else {
            panic!()
        };
        assert_eq!(
            path.lookup_name(),
            "data.deliveryAttempts[0].segmentsFailed"
        );
        assert_eq!(path.head(), Some("deliveryAttempts"));
        let Operand::Path(path) = p("`TimeGenerated [UTC]`") else {
            panic!()
        };
        assert_eq!(path.lookup_name(), "TimeGenerated [UTC]");
        let Operand::Path(path) = p("headers.x-ms-client-request-id") else {
            panic!()
        };
        assert_eq!(path.head(), Some("headers"));
        assert_eq!(ok("exists(resultInformation.subCode)").paths().len(), 1);
    }

    #[test]
    fn parentheses_and_not() {
        let e = ok("not (a == 1 or b == 2) and c");
        let Expr::And(items) = e else { panic!() };
        assert!(matches!(&items[0], Expr::Not(inner) if matches!(**inner, Expr::Or(_))));
        assert!(matches!(&items[1], Expr::Truthy(_)));
    }

    #[test]
    fn several_errors_in_one_condition() {
        let e = errs(r#"resultSignatur == 429 and category equals "Chat"#);
        let messages: Vec<&str> = e.iter().map(|e| e.message.as_str()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("unknown operator `equals`")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("unterminated string")),
            "{messages:?}"
        );
        let op = e.iter().find(|e| e.message.contains("equals")).unwrap();
        assert_eq!(op.help.as_deref(), Some("did you mean `==`?"));
    }

    #[test]
    fn operator_suggestions() {
        assert_eq!(suggest_operator("="), Some("=="));
        assert_eq!(suggest_operator("=~"), Some("matches"));
        assert_eq!(suggest_operator("startwith"), Some("startswith"));
        assert_eq!(suggest_operator("contain"), Some("contains"));
        assert_eq!(suggest_operator("zebra"), None);
    }

    #[test]
    fn error_spans_point_at_the_fault() {
        let text = "a === 1";
        let e = errs(text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(&text[e[0].span.clone()], "===");
        let text = "a == 1 b == 2";
        let e = errs(text);
        assert_eq!(&text[e[0].span.clone()], "b");
        let text = "(a == 1";
        assert!(errs(text)[0].message.contains("never closed"));
        let text = "a matches '('";
        assert!(errs(text)[0].message.contains("regular expression"));
        assert!(errs("a in 5")[0].message.contains("needs a list"));
        assert!(
            errs("a == 5parsecs")[0]
                .message
                .contains("not a number or a duration")
        );
        assert!(errs("")[0].message.contains("empty"));
        assert!(errs("a ==")[0].message.contains("expected a value"));
        assert!(errs("== 1")[0].message.contains("expected a field"));
        assert!(errs("exists x")[0].message.contains("exists"));
    }

    #[test]
    fn multibyte_text_makes_progress() {
        for text in ["é", "a == é", "🙂🙂 == 1", "x é", "a in [é]", "(é"] {
            let (_, errors) = parse_expression(text);
            assert!(!errors.is_empty(), "{text}");
        }
    }

    #[test]
    fn thresholds() {
        assert_eq!(
            parse_threshold("count >= 5 within 1m").unwrap(),
            Threshold {
                op: CmpOp::Ge,
                count: 5,
                within: Some(60.0)
            }
        );
        assert_eq!(parse_threshold("COUNT > 3").unwrap().within, None);
        for bad in [
            "",
            "total >= 5",
            "count >= x",
            "count >= 5 over 1m",
            "count >= 5 within 5",
            "count <= 2",
            "count >= 0",
        ] {
            assert!(parse_threshold(bad).is_err(), "{bad}");
        }
        assert!(
            parse_threshold("count => 5")
                .unwrap_err()
                .message
                .contains("did you mean `>=`")
        );
    }

    #[test]
    fn durations_and_templates() {
        assert_eq!(parse_duration("1h").unwrap(), 3600.0);
        assert!(parse_duration("1 h").is_err());
        assert!(parse_duration("soon").is_err());
        let t = parse_template("{count} from {UserId} {{literal}}").unwrap();
        assert_eq!(t.len(), 4);
        assert!(matches!(&t[0], Piece::Var(n, _) if n == "count"));
        assert!(matches!(&t[3], Piece::Text(s) if s == " {literal}"));
        assert!(parse_template("{open").is_err());
        assert!(parse_template("x }").is_err());
        assert!(parse_template("{}").is_err());
    }
}
