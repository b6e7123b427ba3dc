//! A rule's condition as a KQL predicate for one table, with the rule language's meaning.

use std::ops::Range;

use crate::rules::syntax::{CmpOp, Expr, Literal, Operand, Path};
use crate::time::parse_timestamp;

use super::super::{number, string};
use super::columns::{Col, Kind, Leg};

/// `true` when the text of a column holds a value (not blank, not the text `null`).
pub(super) fn present(c: &str) -> String {
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
pub(super) fn condition(
    e: &Expr,
    leg: &Leg<'_>,
    src: &str,
) -> Result<String, (Range<usize>, String)> {
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
