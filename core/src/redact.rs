//! Masking of personal data in what the tool prints.

/// Masks a phone number, keeping the country code (best effort: the first 1–3 digits after `+`)
/// and the last two digits: `+14255550123` → `+1*******23`. Text that is not a phone number is
/// returned as is.
pub fn mask_phone(number: &str) -> String {
    let trimmed = number.trim();
    let digits: Vec<char> = trimmed.chars().filter(|c| c.is_ascii_digit()).collect();
    let looks_like_phone = digits.len() >= 7
        && trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'));
    if !looks_like_phone {
        return trimmed.to_owned();
    }
    let plus = trimmed.starts_with('+');
    let cc_len = country_code_len(&digits);
    let keep_tail = 2;
    let mut out = String::new();
    if plus {
        out.push('+');
    }
    let head = if plus { cc_len } else { 0 };
    for (i, d) in digits.iter().enumerate() {
        if i < head || i >= digits.len() - keep_tail {
            out.push(*d);
        } else {
            out.push('*');
        }
    }
    out
}

/// Length of the E.164 country code at the start of `digits` (1, 2 or 3 digits).
fn country_code_len(digits: &[char]) -> usize {
    match digits.first() {
        // NANP (+1) and Russia/Kazakhstan (+7) are one digit.
        Some('1') | Some('7') => 1,
        // Zones 2, 3, 4, 5, 6, 8, 9 use two- or three-digit codes; the common two-digit ones:
        Some(_) => {
            let two: String = digits.iter().take(2).collect();
            const TWO_DIGIT: [&str; 44] = [
                "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45",
                "46", "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61",
                "62", "63", "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94",
                "95", "98",
            ];
            if TWO_DIGIT.contains(&two.as_str()) {
                2
            } else {
                3
            }
        }
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_country_code_and_tail() {
        assert_eq!(mask_phone("+14255550123"), "+1********23");
        assert_eq!(mask_phone("+447700900123"), "+44********23");
        assert_eq!(mask_phone("+35312345678"), "+353******78");
        assert_eq!(mask_phone("15555555555"), "*********55");
        assert_eq!(mask_phone("Contoso"), "Contoso");
        assert_eq!(mask_phone("12345"), "12345");
    }
}
