//! Rules translated to KQL over the Log Analytics tables, keeping the rule language's meaning:
//! text compares ignoring case, numbers written as text compare as numbers, a missing field makes
//! a comparison false (Log Analytics stores a missing text as `""` and the text `"null"` occurs),
//! lists hold when any element does, `within` is a sliding window (a time-bounded self-join) and
//! absence is a left outer join on the key with the same window and one minute of clock skew.
//!
//! A rule is translated once per table it can read (its `category` tests pick the tables, or
//! every table with a column it names); `category` and `family` become constants of each table.
//! What cannot keep its meaning is refused with the place and the reason: a field with no column
//! in any table (one only Event Grid carries, HTTP headers, the file format), a regular
//! expression using a feature RE2 lacks, a field compared with a field by order.

use std::fmt;
use std::ops::Range;

use crate::classify::Classifier;
use crate::dedup::{TableSchema, TablesFile};
use crate::rules::file::{Rule, RuleKind};
use crate::rules::syntax::{CmpOp, Expr, Literal, Operand, Path, Segment, parse_expression};
use crate::time::parse_timestamp;

use super::{KqlQuery, TAG_COLUMN, number, seconds, string};

/// A rule, or part of one, that has no KQL form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub rule: String,
    pub file: String,
    pub line: usize,
    /// Which part of the rule: `when`, `followed_by`, `group_by`, `key`.
    pub part: &'static str,
    /// The text refused (a field, an operator, an expression).
    pub at: String,
    pub reason: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: rule {}: {} `{}`: {}",
            self.file, self.line, self.rule, self.part, self.at, self.reason
        )
    }
}

/// What a field is in one table.
#[derive(Debug, Clone, PartialEq)]
enum Col {
    /// The table has no such column: every comparison with it is false.
    Missing,
    Expr(String, Kind),
    /// The same value on every row of the table (`category`, `family`).
    Const(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Time,
    Bool,
}

/// One table a rule reads, with the category and family its rows have.
#[derive(Debug, Clone)]
struct Leg<'t> {
    table: &'t TableSchema,
    category: String,
    family: String,
}

/// Names a table gives a field under another name.
const ALIASES: [(&str, &str); 2] = [("time", "TimeGenerated"), ("resourceId", "_ResourceId")];

/// Why a field cannot be read from Log Analytics at all (`None`: it can).
fn unreadable(path: &Path) -> Option<String> {
    let names: Vec<&str> = path
        .segments
        .iter()
        .filter_map(|s| match s {
            Segment::Name(n) => Some(n.as_str()),
            Segment::Index(_) => None,
        })
        .collect();
    let first = names.first().copied().unwrap_or("");
    if first.eq_ignore_ascii_case("headers") {
        return Some("HTTP headers are not kept in Log Analytics".to_owned());
    }
    if first.eq_ignore_ascii_case("format") && path.segments.len() == 1 {
        return Some(
            "`format` is the shape of a file; Log Analytics rows have none (use `category`)"
                .to_owned(),
        );
    }
    None
}

fn kind_of(column_type: &str) -> Kind {
    match column_type {
        "int" | "long" | "real" | "decimal" => Kind::Number,
        "datetime" => Kind::Time,
        "bool" | "boolean" => Kind::Bool,
        _ => Kind::Text,
    }
}

/// A column name as KQL must write it.
fn column_ref(name: &str) -> String {
    let plain = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !["first", "last", "kind", "to", "from"].contains(&name);
    if plain {
        name.to_owned()
    } else {
        format!("['{name}']")
    }
}

impl Leg<'_> {
    /// The column of this table `path` reads (its base column for a part of a JSON column).
    fn column_of(&self, path: &Path) -> Option<&str> {
        let names: Vec<&str> = path
            .segments
            .iter()
            .filter_map(|s| match s {
                Segment::Name(n) => Some(n.as_str()),
                Segment::Index(_) => None,
            })
            .collect();
        let first = match names.as_slice() {
            [bag, next, ..]
                if ["properties", "data"]
                    .iter()
                    .any(|b| b.eq_ignore_ascii_case(bag)) =>
            {
                next
            }
            [first, ..] => first,
            [] => return None,
        };
        let first = first.strip_suffix(" [UTC]").unwrap_or(first);
        let wanted = ALIASES
            .iter()
            .find(|(alias, _)| alias.eq_ignore_ascii_case(first))
            .map_or(first, |(_, column)| column);
        self.table
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(wanted))
            .map(|c| c.name.as_str())
    }

    /// What `path` is in this table.
    fn resolve(&self, path: &Path) -> Result<Col, String> {
        if let Some(why) = unreadable(path) {
            return Err(why);
        }
        let mut segments: &[Segment] = &path.segments;
        if let [Segment::Name(bag), rest @ ..] = segments
            && !rest.is_empty()
            && ["properties", "data"]
                .iter()
                .any(|b| b.eq_ignore_ascii_case(bag))
        {
            segments = rest;
        }
        let Some((Segment::Name(first), rest)) = segments.split_first() else {
            return Ok(Col::Missing);
        };
        let first = first.strip_suffix(" [UTC]").unwrap_or(first);
        if rest.is_empty() {
            if first.eq_ignore_ascii_case("category") {
                return Ok(Col::Const(self.category.clone()));
            }
            if first.eq_ignore_ascii_case("family") {
                return Ok(Col::Const(self.family.clone()));
            }
        }
        let wanted = ALIASES
            .iter()
            .find(|(alias, _)| alias.eq_ignore_ascii_case(first))
            .map_or(first, |(_, column)| column);
        let Some(column) = self
            .table
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(wanted))
        else {
            return Ok(Col::Missing);
        };
        if rest.is_empty() {
            return Ok(Col::Expr(column_ref(&column.name), kind_of(&column.kind)));
        }
        let base = match column.kind.as_str() {
            "dynamic" => column_ref(&column.name),
            "string" => format!("parse_json({})", column_ref(&column.name)),
            other => {
                return Err(format!(
                    "column {} of {} is a {other}: it has no parts",
                    column.name, self.table.name
                ));
            }
        };
        let mut expr = base;
        for s in rest {
            match s {
                Segment::Name(n) => expr.push_str(&format!("[{}]", string(n))),
                Segment::Index(i) => expr.push_str(&format!("[{i}]")),
            }
        }
        Ok(Col::Expr(format!("tostring({expr})"), Kind::Text))
    }
}

/// `true` when the text of a column holds a value (not blank, not the text `null`).
fn present(c: &str) -> String {
    format!("(isnotempty(trim(@\"\\s+\", tostring({c}))) and tostring({c}) !~ \"null\")")
}

fn as_number(c: &str) -> String {
    format!("todouble(trim(@\"\\s+\", tostring({c})))")
}

fn cmp_text(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq | CmpOp::In => "==",
        CmpOp::Ne | CmpOp::NotIn => "!=",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
        _ => "==",
    }
}

fn flip(op: CmpOp) -> Option<CmpOp> {
    Some(match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        CmpOp::Eq | CmpOp::Ne => op,
        _ => return None,
    })
}

/// A verbatim KQL string for a regular expression (`@"..."`, quotes doubled).
fn verbatim(text: &str) -> String {
    format!("@\"{}\"", text.replace('"', "\"\""))
}

/// Why RE2 (Kusto's `matches regex`) would not read a pattern the same way (`None`: it would).
pub fn re2_gap(pattern: &str) -> Option<String> {
    use regex_syntax::ast::{self, Ast, Visitor};
    struct Gaps(Option<String>);
    impl Visitor for Gaps {
        type Output = Option<String>;
        type Err = ();
        fn finish(self) -> Result<Option<String>, ()> {
            Ok(self.0)
        }
        fn visit_pre(&mut self, ast: &Ast) -> Result<(), ()> {
            use ast::AssertionKind as A;
            let gap = match ast {
                Ast::Assertion(a) => match a.kind {
                    A::WordBoundaryStart
                    | A::WordBoundaryEnd
                    | A::WordBoundaryStartAngle
                    | A::WordBoundaryEndAngle
                    | A::WordBoundaryStartHalf
                    | A::WordBoundaryEndHalf => {
                        Some("word-start and word-end assertions (\\< \\> \\b{start} \\b{end})")
                    }
                    _ => None,
                },
                Ast::Flags(f) => flags_gap(&f.flags),
                Ast::Group(g) => match &g.kind {
                    ast::GroupKind::NonCapturing(flags) => flags_gap(flags),
                    _ => None,
                },
                _ => None,
            };
            if let Some(g) = gap {
                self.0.get_or_insert_with(|| g.to_owned());
            }
            Ok(())
        }
        fn visit_class_set_binary_op_pre(&mut self, _: &ast::ClassSetBinaryOp) -> Result<(), ()> {
            self.0.get_or_insert_with(|| {
                "character class operations ([a&&b], [a--b], [a~~b])".to_owned()
            });
            Ok(())
        }
    }
    fn flags_gap(flags: &ast::Flags) -> Option<&'static str> {
        flags.items.iter().find_map(|item| match item.kind {
            ast::FlagsItemKind::Flag(ast::Flag::IgnoreWhitespace) => {
                Some("the x flag (whitespace and comments in the pattern)")
            }
            ast::FlagsItemKind::Flag(ast::Flag::CRLF) => Some("the R flag (CRLF line ends)"),
            _ => None,
        })
    }
    let parsed = ast::parse::Parser::new().parse(pattern).ok()?;
    ast::visit(&parsed, Gaps(None)).ok().flatten()
}

/// Translates a condition for one table. Errors carry the span refused and why.
fn condition(e: &Expr, leg: &Leg<'_>, src: &str) -> Result<String, (Range<usize>, String)> {
    let field = |p: &Path| leg.resolve(p).map_err(|why| (p.span.clone(), why));
    Ok(match e {
        Expr::Or(items) | Expr::And(items) => {
            let join = if matches!(e, Expr::Or(_)) {
                " or "
            } else {
                " and "
            };
            let parts = items
                .iter()
                .map(|i| condition(i, leg, src))
                .collect::<Result<Vec<_>, _>>()?;
            // Constants fold: a table's own category test is true or false before it runs.
            let (absorbing, neutral) = if matches!(e, Expr::Or(_)) {
                ("true", "false")
            } else {
                ("false", "true")
            };
            if parts.iter().any(|p| p == absorbing) {
                return Ok(absorbing.to_owned());
            }
            let parts: Vec<String> = parts.into_iter().filter(|p| p != neutral).collect();
            match parts.len() {
                0 => neutral.to_owned(),
                1 => parts.into_iter().next().unwrap_or_default(),
                _ => format!("({})", parts.join(join)),
            }
        }
        Expr::Not(inner) => match condition(inner, leg, src)?.as_str() {
            "true" => "false".to_owned(),
            "false" => "true".to_owned(),
            other => format!("not({other})"),
        },
        Expr::Exists(p, _) => match field(p)? {
            Col::Missing => "false".to_owned(),
            Col::Const(_) => "true".to_owned(),
            Col::Expr(c, Kind::Text) => present(&c),
            Col::Expr(c, _) => format!("isnotnull({c})"),
        },
        Expr::Truthy(Operand::Path(p)) => match field(p)? {
            Col::Missing => "false".to_owned(),
            Col::Const(v) => (!v.is_empty() && !v.eq_ignore_ascii_case("false")).to_string(),
            Col::Expr(c, Kind::Bool) => format!("tostring({c}) =~ \"true\""),
            Col::Expr(c, Kind::Number) => format!("({c} != 0)"),
            Col::Expr(c, _) => format!(
                "({} and tostring({c}) !in~ (\"false\", \"0\"))",
                present(&c)
            ),
        },
        Expr::Truthy(Operand::Literal(l, _)) => match l {
            Literal::Bool(b) => b.to_string(),
            Literal::Num(n) => (*n != 0.0).to_string(),
            Literal::Str(s) => (!s.is_empty()).to_string(),
            Literal::Null | Literal::Duration(_) => "false".to_owned(),
        },
        Expr::Truthy(Operand::List(items, _)) => (!items.is_empty()).to_string(),
        Expr::Compare {
            left,
            op,
            right,
            span,
        } => {
            let refuse = |why: &str| Err((span.clone(), why.to_owned()));
            let (path, op, right) = match (left, right) {
                (Operand::Path(p), r) => (p, *op, r),
                (l @ Operand::Literal(..), Operand::Path(p)) => match flip(*op) {
                    Some(op) => (p, op, l),
                    None => return refuse("put the field on the left of this operator"),
                },
                _ => return refuse("compares two constants"),
            };
            let col = field(path)?;
            compare(col, op, right, leg, span)?
        }
        Expr::Invalid => return Err((0..src.len(), "the condition has errors".to_owned())),
    })
}

fn compare(
    col: Col,
    op: CmpOp,
    right: &Operand,
    leg: &Leg<'_>,
    span: &Range<usize>,
) -> Result<String, (Range<usize>, String)> {
    let refuse = |why: String| Err((span.clone(), why));
    if let Operand::Literal(Literal::Null, _) = right {
        return Ok(match (op, &col) {
            (CmpOp::Eq, Col::Missing) => "true".to_owned(),
            (CmpOp::Eq, Col::Expr(c, Kind::Text)) => format!("not{}", present(c)),
            (CmpOp::Eq, Col::Expr(c, _)) => format!("isnull({c})"),
            _ => "false".to_owned(),
        });
    }
    let (c, kind) = match col {
        Col::Missing => return Ok("false".to_owned()),
        Col::Const(value) => return constant(&value, op, right, span),
        Col::Expr(c, kind) => (c, kind),
    };
    match right {
        Operand::Path(other) => {
            let other = leg
                .resolve(other)
                .map_err(|why| (other.span.clone(), why))?;
            let (o, okind) = match other {
                Col::Missing => return Ok("false".to_owned()),
                Col::Const(v) => (string(&v), Kind::Text),
                Col::Expr(o, k) => (o, k),
            };
            match op {
                CmpOp::Eq | CmpOp::Ne if kind == Kind::Number && okind == Kind::Number => {
                    Ok(format!("({c} {} {o})", cmp_text(op)))
                }
                CmpOp::Eq | CmpOp::Ne => Ok(format!(
                    "({} and {} and tolower(tostring({c})) {} tolower(tostring({o})))",
                    present(&c),
                    present(&o),
                    cmp_text(op)
                )),
                _ if kind == Kind::Number && okind == Kind::Number => {
                    Ok(format!("({c} {} {o})", cmp_text(op)))
                }
                _ => refuse(
                    "two text fields compared by order (KQL orders text only through strcmp)"
                        .to_owned(),
                ),
            }
        }
        Operand::List(items, _) => {
            let one = |item: &Literal| {
                compare(
                    Col::Expr(c.clone(), kind),
                    CmpOp::Eq,
                    &Operand::Literal(item.clone(), span.clone()),
                    leg,
                    span,
                )
            };
            match op {
                CmpOp::In | CmpOp::Eq | CmpOp::Contains => {
                    if kind == Kind::Text && items.iter().all(|i| matches!(i, Literal::Str(_))) {
                        let texts: Vec<String> = items
                            .iter()
                            .filter_map(|i| match i {
                                Literal::Str(s) => Some(string(s)),
                                _ => None,
                            })
                            .collect();
                        return Ok(format!("tostring({c}) in~ ({})", texts.join(", ")));
                    }
                    let parts = items.iter().map(one).collect::<Result<Vec<_>, _>>()?;
                    Ok(format!("({})", parts.join(" or ")))
                }
                CmpOp::NotIn | CmpOp::Ne => {
                    let parts = items
                        .iter()
                        .map(|i| one(i).map(|p| format!("not({p})")))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(format!("({} and {})", present(&c), parts.join(" and ")))
                }
                _ => refuse(format!("`{}` with a list", op.text())),
            }
        }
        Operand::Literal(lit, _) => literal(&c, kind, op, lit).map_err(|why| (span.clone(), why)),
    }
}

/// A value every row of the table has (its category, its family) compared at translation time,
/// with the rule language's text rules.
fn constant(
    value: &str,
    op: CmpOp,
    right: &Operand,
    span: &Range<usize>,
) -> Result<String, (Range<usize>, String)> {
    let texts: Vec<String> = match right {
        Operand::Literal(l, _) => vec![literal_text(l)],
        Operand::List(items, _) => items.iter().map(literal_text).collect(),
        Operand::Path(_) => {
            return Err((
                span.clone(),
                "`category` or `family` compared with a field".to_owned(),
            ));
        }
    };
    let v = value.to_lowercase();
    let any = |f: &dyn Fn(&str) -> bool| texts.iter().any(|t| f(&t.to_lowercase()));
    let holds = match op {
        CmpOp::Eq | CmpOp::In => any(&|t| v == t),
        CmpOp::Ne | CmpOp::NotIn => !any(&|t| v == t),
        CmpOp::Contains => any(&|t| v.contains(t)),
        CmpOp::StartsWith => any(&|t| v.starts_with(t)),
        CmpOp::EndsWith => any(&|t| v.ends_with(t)),
        CmpOp::Matches => texts
            .iter()
            .any(|t| regex::Regex::new(t).is_ok_and(|re| re.is_match(value))),
        CmpOp::Lt => any(&|t| v.as_str() < t),
        CmpOp::Le => any(&|t| v.as_str() <= t),
        CmpOp::Gt => any(&|t| v.as_str() > t),
        CmpOp::Ge => any(&|t| v.as_str() >= t),
    };
    Ok(holds.to_string())
}

fn literal_text(l: &Literal) -> String {
    match l {
        Literal::Str(s) => s.clone(),
        Literal::Num(n) => number(*n),
        Literal::Bool(b) => b.to_string(),
        Literal::Null | Literal::Duration(_) => String::new(),
    }
}

/// A field compared with a constant.
fn literal(c: &str, kind: Kind, op: CmpOp, lit: &Literal) -> Result<String, String> {
    let op = match op {
        CmpOp::In => CmpOp::Eq,
        CmpOp::NotIn => CmpOp::Ne,
        other => other,
    };
    let text_lit = match lit {
        Literal::Str(s) => s.clone(),
        Literal::Num(n) => number(*n),
        Literal::Bool(b) => b.to_string(),
        Literal::Duration(_) => {
            return Err("a duration has no meaning outside `within`".to_owned());
        }
        Literal::Null => String::new(),
    };
    let numeric = match lit {
        Literal::Num(n) => Some(*n),
        Literal::Str(s) if kind == Kind::Number => crate::value::parse_number(s),
        _ => None,
    };
    match op {
        CmpOp::Contains => return Ok(format!("tostring({c}) contains {}", string(&text_lit))),
        CmpOp::StartsWith => {
            return Ok(format!("tostring({c}) startswith {}", string(&text_lit)));
        }
        CmpOp::EndsWith => return Ok(format!("tostring({c}) endswith {}", string(&text_lit))),
        CmpOp::Matches => {
            if let Some(gap) = re2_gap(&text_lit) {
                return Err(format!(
                    "the regular expression uses {gap}, which RE2 (KQL's matches regex) lacks"
                ));
            }
            return Ok(format!(
                "tostring({c}) matches regex {}",
                verbatim(&text_lit)
            ));
        }
        _ => {}
    }
    if let Some(n) = numeric {
        return Ok(format!("{} {} {}", as_number(c), cmp_text(op), number(n)));
    }
    if kind == Kind::Time
        && let Some(t) = parse_timestamp(&text_lit)
    {
        return Ok(format!(
            "{c} {} datetime({})",
            cmp_text(op),
            t.format("%Y-%m-%dT%H:%M:%S%.fZ")
        ));
    }
    let lit = string(&text_lit);
    Ok(match op {
        CmpOp::Eq => format!("tostring({c}) =~ {lit}"),
        CmpOp::Ne => format!("({} and tostring({c}) !~ {lit})", present(c)),
        _ => format!(
            "({} and strcmp(tolower(tostring({c})), tolower({lit})) {} 0)",
            present(c),
            cmp_text(op)
        ),
    })
}

/// The tables a rule reads: those its `category` tests name, or every table in which some
/// field of the condition has a column.
fn legs<'t>(rule: &Rule, classifier: &Classifier, tables: &'t TablesFile) -> Vec<Leg<'t>> {
    let category_of = |table: &str| {
        classifier
            .category_names()
            .find(|(_, t, _)| t.eq_ignore_ascii_case(table))
            .map(|(name, _, family)| (name.to_owned(), family.name().to_owned()))
            .unwrap_or_else(|| (table.to_owned(), "unknown".to_owned()))
    };
    let all: Vec<Leg<'t>> = tables
        .tables
        .iter()
        .map(|t| {
            let (category, family) = category_of(&t.name);
            Leg {
                table: t,
                category,
                family,
            }
        })
        .collect();
    match rule.when.required_categories() {
        Some(categories) => all
            .into_iter()
            .filter(|l| {
                categories
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(&l.category))
            })
            .collect(),
        None => {
            let (expr, _) = parse_expression(rule.when.text());
            let paths: Vec<Path> = expr.paths().into_iter().cloned().collect();
            all.into_iter()
                .filter(|l| {
                    paths.iter().any(|p| {
                        let virt = p.segments.len() == 1
                            && p.head().is_some_and(|h| {
                                ["category", "family", "time"]
                                    .iter()
                                    .any(|v| v.eq_ignore_ascii_case(h))
                            });
                        !virt && matches!(l.resolve(p), Ok(Col::Expr(..)))
                    })
                })
                .collect()
        }
    }
}

/// An output column name for a field as the rule names it (`properties.participantId` →
/// `participantId`).
fn output_name(field: &str) -> String {
    let last = field.rsplit('.').next().unwrap_or(field);
    let clean: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if ["first", "last", "kind", "to", "from", "count"].contains(&clean.as_str()) {
        format!("{clean}_")
    } else {
        clean
    }
}

/// Parses a field name as a rule writes it into a path (for `group_by` and `key`).
fn field_path(name: &str) -> Path {
    let (expr, _) = parse_expression(&format!("exists({name})"));
    match expr {
        Expr::Exists(p, _) => p,
        _ => Path {
            segments: vec![Segment::Name(name.to_owned())],
            span: 0..name.len(),
        },
    }
}

/// Every table a condition reads, as one `union` of legs each projecting `fields`.
/// One condition of a rule and what its rows carry.
struct Side<'a, 't> {
    /// `when` or `followed_by`.
    part: &'static str,
    src: &'a str,
    legs: &'a [Leg<'t>],
    /// Group or key fields, carried in `Key_` columns.
    fields: &'a [String],
    /// Other fields the rule reads from the rows (message placeholders).
    also_reads: &'a [Path],
    /// Whether a table without the `fields` is left out (keys must join).
    required: bool,
}

fn union_of(
    rule: &Rule,
    side: Side<'_, '_>,
    refusals: &mut Vec<Refusal>,
) -> Option<(String, Vec<String>)> {
    let Side {
        part,
        src,
        legs,
        fields,
        also_reads,
        required,
    } = side;
    let (expr, _) = parse_expression(src);
    let refuse = |at: String, reason: String| Refusal {
        rule: rule.id.clone(),
        file: rule.file.clone(),
        line: rule.line,
        part,
        at,
        reason,
    };
    // A field no table has a column for never holds anywhere: say so rather than query nothing.
    let mut ok = true;
    for p in expr.paths() {
        let name = p.lookup_name();
        if let Some(why) = unreadable(p) {
            refusals.push(refuse(name, why));
            ok = false;
            continue;
        }
        let virt = p.segments.len() == 1
            && p.head().is_some_and(|h| {
                ["category", "family", "time"]
                    .iter()
                    .any(|v| v.eq_ignore_ascii_case(h))
            });
        let anywhere = virt || all_legs_have(p, legs);
        if !anywhere {
            refusals.push(refuse(name.clone(), no_column_reason(&name)));
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let mut parts = Vec::new();
    let mut columns: Vec<String> = Vec::new();
    let mut reads: Vec<Path> = expr.paths().into_iter().cloned().collect();
    reads.extend(fields.iter().map(|f| field_path(f)));
    reads.extend(also_reads.iter().cloned());
    for leg in legs {
        // A table without the key fields never joins.
        if required
            && fields
                .iter()
                .any(|f| matches!(leg.resolve(&field_path(f)), Ok(Col::Missing)))
        {
            continue;
        }
        let cond = match condition(&expr, leg, src) {
            // This table never holds a match.
            Ok(c) if c == "false" => continue,
            Ok(c) => c,
            Err((span, why)) => {
                let at = src.get(span).unwrap_or(src).trim().to_owned();
                refusals.push(refuse(at, why));
                return None;
            }
        };
        // The rows come back whole, as the table's own rows (acs-triage reads their IDs as it
        // reads the table's), with the columns the rule reads as text (so that tables typing a
        // column differently still union) and its keys.
        let mut extend: Vec<String> = Vec::new();
        for p in &reads {
            if let Some(c) = leg.column_of(p)
                && c != "TimeGenerated"
                && c != "Type"
                && !extend.iter().any(|x| x.starts_with(&format!("{c} =")))
            {
                extend.push(format!("{c} = tostring({})", column_ref(c)));
            }
        }
        for c in &leg.table.columns {
            if !columns.iter().any(|x| x == &c.name) {
                columns.push(c.name.clone());
            }
        }
        for f in fields {
            let value = match leg.resolve(&field_path(f)) {
                Ok(Col::Expr(c, _)) => format!("tostring({c})"),
                Ok(Col::Const(v)) => string(&v),
                Ok(Col::Missing) => "\"\"".to_owned(),
                Err(why) => {
                    refusals.push(refuse(f.clone(), why));
                    return None;
                }
            };
            extend.push(format!("{} = {value}", key_name(f)));
        }
        let filter = if cond == "true" {
            String::new()
        } else {
            format!("\n    | where {cond}")
        };
        let extend = if extend.is_empty() {
            String::new()
        } else {
            format!("\n    | extend {}", extend.join(", "))
        };
        parts.push(format!(
            "({}\n    | where TimeGenerated between (since .. until){filter}{extend})",
            leg.table.name,
        ));
    }
    if parts.is_empty() {
        refusals.push(refuse(
            src.trim().to_owned(),
            "it names no category Log Analytics holds and no field any of its tables has"
                .to_owned(),
        ));
        return None;
    }
    columns.extend(fields.iter().map(|f| key_name(f)));
    Some((format!("union\n    {}", parts.join(",\n    ")), columns))
}

/// The column a group or key field is carried in (`Key_UserId`).
fn key_name(field: &str) -> String {
    format!("Key_{}", output_name(field))
}

/// True when some table has a column for `p`.
fn all_legs_have(p: &Path, legs: &[Leg<'_>]) -> bool {
    legs.iter()
        .any(|l| matches!(l.resolve(p), Ok(Col::Expr(..))))
}

/// Fields that look like they should have a column, and where Log Analytics keeps the fact.
const NO_COLUMN_HINTS: [(&str, &str); 3] = [
    (
        "deliveryStatus",
        "in Log Analytics a delivery report is a row with OperationName == \"SMSDeliveryReportsReceived\"",
    ),
    (
        "deliveryStatusDetails",
        "in Log Analytics a delivery report is a row with OperationName == \"SMSDeliveryReportsReceived\"",
    ),
    (
        "appVersion",
        "ACSCallSummary keeps it inside the DiagnosticOptions JSON: name it diagnosticOptions.appVersion",
    ),
];

/// Why a field has no column: where the field comes from, and where Log Analytics keeps the
/// fact, when that is known.
fn no_column_reason(name: &str) -> String {
    let head = name.split(['.', '[']).next().unwrap_or(name);
    let group = crate::rules::vocab::groups()
        .into_iter()
        .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(head)))
        .map(|(g, _)| g);
    let mut why = match group.as_deref() {
        Some("event_grid") => format!(
            "only Event Grid events carry `{head}`; no Log Analytics table has a column for it"
        ),
        Some(g) => format!(
            "no Log Analytics table this rule reads has a column for `{head}` (a {g} field of Event Grid events, SDK logs or storage exports)"
        ),
        None => format!("no Log Analytics table this rule reads has a column for `{head}`"),
    };
    if let Some((_, hint)) = NO_COLUMN_HINTS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(head))
    {
        why.push_str("; ");
        why.push_str(hint);
    }
    why
}

/// The rule's KQL form, or every reason it has none.
pub fn translate(
    rule: &Rule,
    classifier: &Classifier,
    tables: &TablesFile,
) -> Result<KqlQuery, Vec<Refusal>> {
    let mut refusals = Vec::new();
    let legs = legs(rule, classifier, tables);
    let groups: Vec<String> = rule.group_by.iter().map(|f| f.name.clone()).collect();
    let key_cols: Vec<String> = groups.iter().map(|g| key_name(g)).collect();
    let tag = format!("rule/{}", rule.id);
    let name = format!("rule-{}", rule.id);
    // Message placeholders name fields of the matching records: they come back too.
    let message_fields: Vec<Path> = rule
        .message
        .iter()
        .filter_map(|p| match p {
            crate::rules::syntax::Piece::Var(name, _) => Some(name.as_str()),
            crate::rules::syntax::Piece::Text(_) => None,
        })
        .filter(|n| !["count", "first", "last", "rule", "time", "within"].contains(n))
        .map(field_path)
        .collect();
    let tag_line = format!("| extend {TAG_COLUMN} = {}", string(&tag));
    let (body, keys, mut columns) = match &rule.kind {
        RuleKind::Match => {
            let Some((matches, columns)) = union_of(
                rule,
                Side {
                    part: "when",
                    src: rule.when.text(),
                    legs: &legs,
                    fields: &groups,
                    also_reads: &message_fields,
                    required: false,
                },
                &mut refusals,
            ) else {
                return Err(refusals);
            };
            (format!("{matches}\n{tag_line}"), key_cols.clone(), columns)
        }
        RuleKind::Threshold(t) => {
            let Some((matches, mut columns)) = union_of(
                rule,
                Side {
                    part: "when",
                    src: rule.when.text(),
                    legs: &legs,
                    fields: &groups,
                    also_reads: &message_fields,
                    required: false,
                },
                &mut refusals,
            ) else {
                return Err(refusals);
            };
            let reach = match t.op {
                CmpOp::Gt => format!("> {}", t.count),
                CmpOp::Eq => format!("== {}", t.count),
                _ => format!(">= {}", t.count),
            };
            let mut join_keys = key_cols.clone();
            let keyed = if join_keys.is_empty() {
                join_keys.push("Key_All".to_owned());
                columns.push("Key_All".to_owned());
                "\n    | extend Key_All = \"all\""
            } else {
                ""
            };
            let on = join_keys.join(", ");
            // The groups that reach the threshold; their matching rows come back whole, and
            // acs-triage counts them again as it would the table.
            let reached = match t.within {
                // Sliding window: for each match, the matches of its group within the window
                // after it (a time-bounded self-join, exact where fixed bins are not).
                Some(w) => format!(
                    "matches\n    | join kind=inner (matches | project {on}, Later = TimeGenerated) on {on}\n    | where Later between (TimeGenerated .. (TimeGenerated + {}))\n    | summarize InWindow = count() by TimeGenerated, {on}\n    | where InWindow {reach}\n    | distinct {on}",
                    seconds(w)
                ),
                None => format!(
                    "matches\n    | summarize Count = count() by {on}\n    | where Count {reach}\n    | project {on}"
                ),
            };
            let body = format!(
                "let matches = {matches}{keyed};\nlet reached = {reached};\nmatches\n| join kind=leftsemi (reached) on {on}\n{tag_line}"
            );
            (body, join_keys, columns)
        }
        RuleKind::Absence(a) => {
            let keys: Vec<String> = a.key.iter().map(|k| k.name.clone()).collect();
            let key_cols: Vec<String> = keys.iter().map(|k| key_name(k)).collect();
            let follow_legs = {
                // The follow-up may come from any table (its own category test picks them).
                let mut probe = rule.clone();
                probe.when = a.followed_by.clone();
                self::legs(&probe, classifier, tables)
            };
            let triggers = union_of(
                rule,
                Side {
                    part: "when",
                    src: rule.when.text(),
                    legs: &legs,
                    fields: &keys,
                    also_reads: &message_fields,
                    required: true,
                },
                &mut refusals,
            );
            let follow = union_of(
                rule,
                Side {
                    part: "followed_by",
                    src: a.followed_by.text(),
                    legs: &follow_legs,
                    fields: &keys,
                    also_reads: &[],
                    required: true,
                },
                &mut refusals,
            );
            let (Some((triggers, mut columns)), Some((follow, follow_columns))) =
                (triggers, follow)
            else {
                return Err(refusals);
            };
            for c in follow_columns {
                if !columns.contains(&c) {
                    columns.push(c);
                }
            }
            // The follow-up may come after `until`: its query reaches `within` further.
            let follow = follow.replace(
                "between (since .. until)",
                &format!("between (since .. (until + {}))", seconds(a.within)),
            );
            let on = key_cols.join(", ");
            let present = key_cols
                .iter()
                .map(|k| format!("isnotempty({k})"))
                .collect::<Vec<_>>()
                .join(" and ");
            // The triggers with no follow-up in the window come back whole, with the newest
            // follow-up of the range: it tells acs-triage where the logs end, so triggers too
            // recent to judge stay so.
            let body = format!(
                "let triggers = {triggers}\n    | where {present};\nlet followups = {follow}\n    | where {present};\nlet missed = triggers\n    | join kind=leftouter (followups | project {on}, FollowedAt = TimeGenerated) on {on}\n    | summarize Followed = countif(FollowedAt between ((TimeGenerated - 1m) .. (TimeGenerated + {w}))) by TimeGenerated, {on}\n    | where Followed == 0\n    | project TimeGenerated, {on};\nlet newest_followup = followups\n    | where TimeGenerated <= until\n    | top 1 by TimeGenerated desc;\nunion (triggers | join kind=leftsemi (missed) on TimeGenerated, {on}), newest_followup\n{tag_line}",
                w = seconds(a.within),
            );
            (body, key_cols, columns)
        }
    };
    columns.push(TAG_COLUMN.to_owned());
    Ok(KqlQuery {
        name,
        feeds: tag,
        also_feeds: Vec::new(),
        description: rule.title.clone(),
        keys,
        columns,
        body,
    })
}
