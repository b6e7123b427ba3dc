//! The rule parser never panics and always locates its errors inside the text, whatever it is
//! given: arbitrary text, and token soups built from the language's own pieces.

use acs_triage_core::rules::syntax::{
    parse_duration, parse_expression, parse_template, parse_threshold,
};
use acs_triage_core::rules::{Vocabulary, load_rule_file};
use proptest::prelude::*;

const PIECES: &[&str] = &[
    "category",
    "resultSignature",
    "properties.participantId",
    "data.resultInformation.code",
    "deliveryAttempts[0].segmentsFailed",
    "`TimeGenerated [UTC]`",
    "`unclosed",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "=",
    "===",
    "=~",
    "in",
    "not",
    "not in",
    "and",
    "or",
    "AND",
    "contains",
    "startswith",
    "endswith",
    "matches",
    "exists",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    "\"text\"",
    "'single'",
    "\"open",
    "'",
    "\\",
    "429",
    "-1.5e3",
    "1m",
    "500ms",
    "5parsecs",
    "true",
    "null",
    "é",
    "🙂",
    " ",
    "\t",
    "\n",
    "count",
    "within",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..24).prop_map(|v| v.join(" "))
}

fn check_spans(text: &str) {
    let (_, errors) = parse_expression(text);
    for e in errors {
        assert!(
            e.span.start <= e.span.end && e.span.end <= text.len(),
            "{e:?} in {text:?}"
        );
        assert!(
            text.is_char_boundary(e.span.start) && text.is_char_boundary(e.span.end),
            "{e:?} in {text:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn any_text_parses_without_panic(text in any::<String>()) {
        check_spans(&text);
        let _ = parse_threshold(&text);
        let _ = parse_template(&text);
        let _ = parse_duration(&text);
    }

    #[test]
    fn token_soups_parse_without_panic(text in soup()) {
        check_spans(&text);
        let _ = parse_threshold(&text);
    }

    #[test]
    fn rule_files_with_any_condition_load_or_fail_cleanly(cond in soup(), raw in any::<String>()) {
        let vocab = Vocabulary::bundled();
        for when in [cond.replace('\'', "\""), raw.replace(['\'', '\n', '\r'], "")] {
            let file = format!(
                "[[rule]]\nid = 'r'\ntitle = 't'\nseverity = 'info'\nmessage = 'm'\naction = 'a'\nwhen = '{when}'\n"
            );
            if let Err(e) = load_rule_file("p.toml", &file, &vocab) {
                for p in e.problems {
                    prop_assert!(p.span.end <= file.len());
                    prop_assert!(file.is_char_boundary(p.span.start) && file.is_char_boundary(p.span.end));
                }
            }
        }
    }

    #[test]
    fn arbitrary_rule_files_never_panic(text in any::<String>()) {
        let _ = load_rule_file("p.toml", &text, &Vocabulary::bundled());
    }
}
