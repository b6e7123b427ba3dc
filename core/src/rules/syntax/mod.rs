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

mod ast;
mod condition;
mod template;
mod threshold;

pub use ast::*;
pub use condition::*;
pub use template::*;
pub use threshold::*;

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
