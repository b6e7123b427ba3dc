//! Thresholds (`count >= 5 within 1m`) and durations.

use super::*;

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
