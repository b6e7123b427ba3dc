//! The condition parser (nom over `nom_locate` spans): records each problem and carries on.

use super::*;

pub(super) type PErr<'a> = nom::error::Error<Span<'a>>;

pub(super) fn ch<'a>(c: char) -> impl Parser<Span<'a>, Output = char, Error = PErr<'a>> {
    char(c)
}

pub(super) fn tg<'a>(
    t: &'static str,
) -> impl Parser<Span<'a>, Output = Span<'a>, Error = PErr<'a>> {
    tag(t)
}

pub(super) fn digits(i: Span<'_>) -> Res<'_, Span<'_>> {
    digit1(i)
}

pub(super) fn offset(i: &Span<'_>) -> usize {
    i.location_offset()
}

pub(super) fn report(
    i: &Span<'_>,
    span: Range<usize>,
    message: impl Into<String>,
    help: Option<String>,
) {
    // Every span in a condition ends where the text ends.
    let text_end = offset(i) + i.fragment().len();
    let span = span.start.min(text_end)..span.end.min(text_end);
    i.extra.borrow_mut().push(SyntaxError {
        span,
        message: message.into(),
        help,
    });
}

pub(super) fn ws(i: Span<'_>) -> Res<'_, ()> {
    let (i, _) = take_while(|c: char| c.is_whitespace()).parse(i)?;
    Ok((i, ()))
}

pub(super) fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$' || c == '@'
}

pub(super) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$' | '@')
}

pub(super) fn word(i: Span<'_>) -> Res<'_, Span<'_>> {
    recognize((take_while1(is_name_start), take_while(is_name_char))).parse(i)
}

/// A keyword, any case, not followed by a name character.
pub(super) fn keyword<'a>(kw: &'static str) -> impl Fn(Span<'a>) -> Res<'a, Span<'a>> {
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

pub(super) fn fail<T>(i: Span<'_>) -> Res<'_, T> {
    Err(nom::Err::Error(nom::error::Error::new(
        i,
        nom::error::ErrorKind::Fail,
    )))
}

/// The next token as text, for messages (a word, a run of symbols, or one character).
pub(super) fn token_text(i: &Span<'_>) -> (String, usize) {
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
pub(super) fn skip(i: Span<'_>, n: usize) -> Span<'_> {
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
pub(super) fn string_lit(i: Span<'_>) -> Res<'_, (String, Range<usize>)> {
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
pub(super) fn unit_seconds(unit: &str) -> Option<f64> {
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
pub(super) fn number_lit(i: Span<'_>) -> Res<'_, (Literal, Range<usize>)> {
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

pub(super) fn literal(i: Span<'_>) -> Res<'_, (Literal, Range<usize>)> {
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

pub(super) fn list_lit(i: Span<'_>) -> Res<'_, Operand> {
    list_between(i, '[', ']')
}

/// `in ("a", "b")`: a list in parentheses, read as the list it means, with one error that shows
/// how to write it (rather than one per token that follows).
pub(super) fn paren_list(i: Span<'_>) -> Res<'_, Operand> {
    let (rest, list) = list_between(i, '(', ')')?;
    let span = list.span();
    let items = match &list {
        Operand::List(items, _) => items
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    };
    report(
        &i,
        span,
        "a list is written in brackets, not parentheses",
        Some(format!("write it as [{items}]")),
    );
    Ok((rest, list))
}

fn list_between(i: Span<'_>, open: char, close: char) -> Res<'_, Operand> {
    let start = offset(&i);
    let (mut rest, _) = ch(open).parse(i)?;
    let mut items = Vec::new();
    loop {
        let (r, _) = ws(rest)?;
        rest = r;
        if let Ok((r, _)) = ch(close).parse(rest) {
            return Ok((r, Operand::List(items, start..offset(&r))));
        }
        if rest.fragment().is_empty() {
            report(
                &i,
                start..start + 1,
                "unterminated list",
                Some(format!("close the list with {close}")),
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

pub(super) fn quoted_name(i: Span<'_>) -> Res<'_, String> {
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

pub(super) fn segment(i: Span<'_>) -> Res<'_, String> {
    if let Ok(found) = quoted_name(i) {
        return Ok(found);
    }
    let (rest, w) = word(i)?;
    Ok((rest, w.fragment().to_string()))
}

pub(super) fn path(i: Span<'_>) -> Res<'_, Path> {
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

pub(super) fn operand(i: Span<'_>) -> Res<'_, Operand> {
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
pub(super) const OPERATOR_ALIASES: [(&str, &str); 18] = [
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

pub(super) fn operator(i: Span<'_>) -> Res<'_, CmpOp> {
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
        if let Ok((rest2, _)) = ws(rest)
            && let Ok((rest3, _)) = keyword("in")(rest2)
        {
            return Ok((rest3, CmpOp::NotIn));
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
pub(super) fn at_term_end(i: Span<'_>) -> bool {
    let f = i.fragment();
    f.is_empty() || f.starts_with(')') || keyword("and")(i).is_ok() || keyword("or")(i).is_ok()
}

// ---------------------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------------------

pub(super) fn comparison(i: Span<'_>) -> Res<'_, Expr> {
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
    let parsed = if matches!(op, CmpOp::In | CmpOp::NotIn) && rest.fragment().starts_with('(') {
        paren_list(rest)
    } else {
        operand(rest)
    };
    let (rest, right) = match parsed {
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

pub(super) fn primary(i: Span<'_>) -> Res<'_, Expr> {
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

pub(super) fn not_expr(i: Span<'_>) -> Res<'_, Expr> {
    let (i, _) = ws(i)?;
    if let Ok((rest, _)) = keyword("not")(i) {
        // `not in` only appears after an operand; here `not` negates.
        let (rest, inner) = not_expr(rest)?;
        return Ok((rest, Expr::Not(Box::new(inner))));
    }
    primary(i)
}

/// `operand (word operand)*`, folded into one `combine` node when there are several.
pub(super) fn joined<'a>(
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

pub(super) fn and_expr(i: Span<'_>) -> Res<'_, Expr> {
    joined(i, "and", not_expr, Expr::And)
}

pub(super) fn expr(i: Span<'_>) -> Res<'_, Expr> {
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
