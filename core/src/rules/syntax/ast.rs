//! The syntax tree of a condition: paths, literals, operands, comparison operators,
//! expressions.

use super::*;

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
