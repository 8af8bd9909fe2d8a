//! The few Python 3.11 `str` behaviours the metadata heuristics depend on (`isdecimal`, `isalpha`,
//! `isspace`, `islower`, `title`, `strip`, `split`, `splitlines`, and `re.IGNORECASE` matching of
//! ASCII letters), reproduced on Rust strings.
//!
//! The tables in `pytables.rs` were generated with Python 3.11.7 (Unicode 14) by comparing
//! `str.isdecimal` / `str.isalpha` / `str.title` with Rust's `char` methods over every code point.

use super::pytables::{ALPHABETIC_NOT_ALPHA, DECIMAL_ZEROS, TITLE_EXCEPTIONS};

/// The value of a Unicode decimal digit (category Nd, Python's `str.isdecimal` and regex `\d`).
pub(crate) fn decimal_value(c: char) -> Option<u32> {
    let cp = c as u32;
    let at = DECIMAL_ZEROS.partition_point(|&z| z <= cp);
    let zero = *DECIMAL_ZEROS.get(at.checked_sub(1)?)?;
    (cp - zero < 10).then_some(cp - zero)
}

/// Python's `str.isdecimal` for one character.
pub(crate) fn is_decimal(c: char) -> bool {
    decimal_value(c).is_some()
}

/// Python's `str.isalpha` for one character (categories Lu, Ll, Lt, Lm, Lo).
pub(crate) fn is_alpha(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    if !c.is_alphabetic() {
        return false;
    }
    let cp = c as u32;
    let at = ALPHABETIC_NOT_ALPHA.partition_point(|&(lo, _)| lo <= cp);
    match at.checked_sub(1).and_then(|i| ALPHABETIC_NOT_ALPHA.get(i)) {
        Some(&(lo, hi)) => !(lo..=hi).contains(&cp),
        None => true,
    }
}

/// Python's regex `\w` for one character (`str.isalnum()` or `_`).
pub(crate) fn is_word(c: char) -> bool {
    c == '_' || is_alpha(c) || c.is_numeric()
}

/// Python's `str.isspace` for one character.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()` with no argument.
pub(crate) fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// Python's `str.split()` with no argument.
pub(crate) fn split_whitespace(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_space).filter(|w| !w.is_empty())
}

/// Python's `str.splitlines()` (no line ends kept).
pub(crate) fn splitlines(s: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let boundary = matches!(
            c,
            '\n' | '\r'
                | '\u{0b}'
                | '\u{0c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !boundary {
            continue;
        }
        lines.push(&s[start..i]);
        let mut end = i + c.len_utf8();
        if c == '\r' {
            if let Some(&(j, '\n')) = chars.peek() {
                end = j + 1;
                chars.next();
            }
        }
        start = end;
    }
    if start < s.len() {
        lines.push(&s[start..]);
    }
    lines
}

/// Unicode category Lt (title-case letters).
fn is_titlecase(c: char) -> bool {
    matches!(c as u32,
        0x01C5 | 0x01C8 | 0x01CB | 0x01F2 | 0x1F88..=0x1F8F | 0x1F98..=0x1F9F | 0x1FA8..=0x1FAF
        | 0x1FBC | 0x1FCC | 0x1FFC)
}

/// Python's notion of a cased character (`Lowercase`, `Uppercase` or Lt).
fn is_cased(c: char) -> bool {
    c.is_lowercase() || c.is_uppercase() || is_titlecase(c)
}

/// Python's `str.islower`: at least one cased character and no upper- or title-case one.
pub(crate) fn str_islower(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if c.is_uppercase() || is_titlecase(c) {
            return false;
        }
        cased |= c.is_lowercase();
    }
    cased
}

/// Python's `str.title`.
pub(crate) fn str_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut previous_is_cased = false;
    for c in s.chars() {
        if previous_is_cased {
            out.extend(c.to_lowercase());
        } else {
            match TITLE_EXCEPTIONS.binary_search_by(|(k, _)| k.cmp(&c)) {
                Ok(i) => out.push_str(TITLE_EXCEPTIONS.get(i).map_or("", |(_, t)| *t)),
                Err(_) => out.extend(c.to_uppercase()),
            }
        }
        previous_is_cased = is_cased(c);
    }
    out
}

/// Whether `c` matches the ASCII letter `lower` under Python's `re.IGNORECASE` (which also folds
/// `İ`/`ı` to `i`, the Kelvin sign to `k` and the long s to `s`).
pub(crate) fn ci_eq(c: char, lower: char) -> bool {
    if c.to_ascii_lowercase() == lower {
        return true;
    }
    match lower {
        'i' => matches!(c, '\u{130}' | '\u{131}'),
        'k' => c == '\u{212A}',
        's' => c == '\u{17F}',
        _ => false,
    }
}

/// Whether `s` equals the ASCII `word` under Python's `re.IGNORECASE`.
pub(crate) fn ci_word(s: &str, word: &str) -> bool {
    let mut a = s.chars();
    let mut b = word.chars();
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if ci_eq(x, y) => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        assert_eq!(decimal_value('7'), Some(7));
        assert_eq!(decimal_value('\u{0663}'), Some(3));
        assert_eq!(decimal_value('a'), None);
        assert_eq!(decimal_value('\u{00B2}'), None);
        assert!(!is_decimal('\u{2167}'));
    }

    #[test]
    fn alpha() {
        assert!(is_alpha('a') && is_alpha('\u{00E9}') && is_alpha('\u{4E00}'));
        assert!(!is_alpha('\u{0345}') && !is_alpha('\u{2160}') && !is_alpha('1'));
        assert!(is_word('_') && is_word('\u{00B2}') && !is_word('-'));
    }

    #[test]
    fn title_and_lower() {
        assert_eq!(str_title("llama2b"), "Llama2B");
        assert_eq!(str_title("stra\u{DF}e"), "Stra\u{DF}e");
        assert_eq!(str_title("\u{DF}x"), "Ssx");
        assert_eq!(str_title("\u{1C6}a"), "\u{1C5}a");
        assert!(str_islower("abc1") && !str_islower("aBc") && !str_islower("123"));
    }

    #[test]
    fn lines() {
        assert_eq!(
            splitlines("a\r\nb\rc\n\nd\u{2028}e\n"),
            ["a", "b", "c", "", "d", "e"]
        );
        assert!(splitlines("").is_empty());
        assert_eq!(splitlines("\n"), [""]);
        assert_eq!(strip("\u{1c} x \u{3000}"), "x");
        assert_eq!(
            split_whitespace(" a  b\u{a0}c ").collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
    }

    #[test]
    fn ignorecase() {
        assert!(ci_word("INSTRUCT", "instruct") && ci_word("\u{130}nstruct", "instruct"));
        assert!(ci_word("\u{17F}mall", "small") && !ci_word("smal", "small"));
    }
}
