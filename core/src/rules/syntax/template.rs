//! Message templates with `{placeholders}`.

use super::*;

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
