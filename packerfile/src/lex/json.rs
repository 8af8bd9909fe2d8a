//! The exec form: a JSON array of strings (`["-m", "model.gguf"]`), parsed with `nom`.
//!
//! Strings follow JSON exactly: `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t` and `\uXXXX`
//! (surrogate pairs joined) are decoded; control characters must be escaped. Each decoded
//! string comes with a [`SegMap`] back to the text it was read from.

use std::borrow::Cow;

use nom::bytes::complete::{take_till1, take_while_m_n};
use nom::character::complete::{char, multispace0};
use nom::Parser;

use super::word::{PErr, PResult};
use super::SegMap;

/// One decoded JSON string of the array.
#[derive(Debug, Clone)]
pub(crate) struct JsonString<'t> {
    /// The decoded value (borrowed when the string has no escapes).
    pub(crate) value: Cow<'t, str>,
    /// From `value` offsets to offsets of the parsed text.
    pub(crate) map: SegMap,
    /// Offset of the opening quote in the parsed text.
    pub(crate) start: usize,
    /// Offset just after the closing quote.
    pub(crate) end: usize,
}

/// Parses `input`, a suffix of `text`, as a JSON array of strings that runs to the end of
/// `input` (trailing whitespace allowed).
pub(crate) fn string_array<'t>(text: &str, input: &'t str) -> PResult<'t, Vec<JsonString<'t>>> {
    let off = |rest: &str| text.len().saturating_sub(rest.len());
    let open: PResult<'t, char> = char('[').parse(input);
    let (mut i, _) = open?;
    let mut out = Vec::new();
    (i, _) = multispace0(i)?;
    if let Some(rest) = i.strip_prefix(']') {
        i = rest;
    } else {
        loop {
            let (rest, s) = string(off(i), i)?;
            out.push(s);
            (i, _) = multispace0(rest)?;
            match i.chars().next() {
                Some(',') => {
                    (i, _) = multispace0(&i[1..])?;
                }
                Some(']') => {
                    i = &i[1..];
                    break;
                }
                None => {
                    return PErr::at(input, 1, "unterminated JSON array")
                        .expected("`]` to close the array")
                        .fail()
                }
                Some(c) => {
                    return PErr::at(i, c.len_utf8(), "invalid JSON array")
                        .expected("`,` or `]`")
                        .fail()
                }
            }
        }
    }
    (i, _) = multispace0(i)?;
    if !i.is_empty() {
        return PErr::at(i, i.len(), "unexpected text after the JSON array")
            .expected("the end of the instruction")
            .fail();
    }
    Ok((i, out))
}

/// A JSON string at the start of `input`, which is at offset `at` of the parsed text.
fn string(at: usize, input: &str) -> PResult<'_, JsonString<'_>> {
    let Some(mut i) = input.strip_prefix('"') else {
        let (what, len) = match input.chars().next() {
            Some(c @ ('[' | '{')) => (
                format!("a JSON {}", if c == '[' { "array" } else { "object" }),
                1,
            ),
            Some(_) => (
                "a value that is not a string".to_string(),
                super::word::token(input).len(),
            ),
            None => ("the end of the instruction".to_string(), 0),
        };
        return PErr::at(
            input,
            len.max(1),
            format!("the exec form must be a JSON array of strings, found {what}"),
        )
        .expected("a JSON string such as \"-m\"")
        .fail();
    };
    let pos = |rest: &str| at + (input.len() - rest.len());
    // Fast path: no escape and no control character before the closing quote.
    let bytes = i.as_bytes();
    if let Some(n) = bytes
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
    {
        if let (Some(b'"'), Some(value), Some(rest)) = (bytes.get(n), i.get(..n), i.get(n + 1..)) {
            return Ok((
                rest,
                JsonString {
                    value: Cow::Borrowed(value),
                    map: SegMap::starting_at(pos(i)),
                    start: at,
                    end: pos(rest),
                },
            ));
        }
    }
    let mut value = String::new();
    let mut map = SegMap::starting_at(pos(i));
    loop {
        let Some(c) = i.chars().next() else {
            return PErr::at(input, 1, "unterminated JSON string")
                .expected("a closing `\"`")
                .fail();
        };
        match c {
            '"' => {
                let rest = &i[1..];
                return Ok((
                    rest,
                    JsonString {
                        value: Cow::Owned(value),
                        map,
                        start: at,
                        end: pos(rest),
                    },
                ));
            }
            '\\' => {
                map.push(value.len(), pos(i));
                let (rest, decoded) = escape(i)?;
                value.push(decoded);
                i = rest;
                map.push(value.len(), pos(i));
            }
            c if (c as u32) < 0x20 => {
                return PErr::at(i, 1, "control character in a JSON string")
                    .expected("an escape such as `\\n` or `\\t`")
                    .fail()
            }
            _ => {
                let (rest, run) =
                    take_till1(|c: char| c == '"' || c == '\\' || (c as u32) < 0x20).parse(i)?;
                value.push_str(run);
                i = rest;
            }
        }
    }
}

/// A JSON escape sequence at the start of `input` (which starts with `\`).
fn escape(input: &str) -> PResult<'_, char> {
    let bad = || {
        PErr::at(input, 2, "invalid escape in a JSON string")
            .expected("one of `\\\"`, `\\\\`, `\\/`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t`, `\\uXXXX`")
    };
    let i = &input[1..];
    let Some(c) = i.chars().next() else {
        return bad().fail();
    };
    let rest = &i[c.len_utf8()..];
    let simple = match c {
        '"' => '"',
        '\\' => '\\',
        '/' => '/',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'u' => return unicode(input, rest),
        _ => return bad().fail(),
    };
    Ok((rest, simple))
}

/// Four hex digits.
fn hex4(input: &str) -> PResult<'_, u32> {
    take_while_m_n(4, 4, |c: char| c.is_ascii_hexdigit())
        .map(|h: &str| u32::from_str_radix(h, 16).unwrap_or(0))
        .parse(input)
}

/// The rest of `\uXXXX` (and a following low surrogate), `input` starting at the `\`.
fn unicode<'t>(input: &'t str, digits: &'t str) -> PResult<'t, char> {
    let bad = |len: usize| {
        PErr::at(input, len, "invalid unicode escape in a JSON string")
            .expected("`\\uXXXX` naming a unicode scalar value (surrogates in pairs)")
    };
    let Ok((rest, hi)) = hex4(digits) else {
        return bad(2).fail();
    };
    if (0xD800..0xDC00).contains(&hi) {
        let low = rest.strip_prefix("\\u").map(hex4);
        if let Some(Ok((rest2, lo))) = low {
            if (0xDC00..0xE000).contains(&lo) {
                let code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                if let Some(c) = char::from_u32(code) {
                    return Ok((rest2, c));
                }
            }
        }
        return bad(6).fail();
    }
    match char::from_u32(hi) {
        Some(c) => Ok((rest, c)),
        None => bad(6).fail(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Result<Vec<String>, String> {
        string_array(text, text)
            .map(|(_, v)| v.into_iter().map(|s| s.value.into_owned()).collect())
            .map_err(|e| match e {
                nom::Err::Error(e) | nom::Err::Failure(e) => e.message,
                nom::Err::Incomplete(_) => "incomplete".into(),
            })
    }

    #[test]
    fn arrays_of_strings() {
        assert_eq!(values("[]").unwrap(), Vec::<String>::new());
        assert_eq!(values("[ \"a\" ,\"b c\" ]  ").unwrap(), ["a", "b c"]);
        assert_eq!(
            values(r#"["\"q\"", "\\n\n", "\u00e9\ud83d\ude00", "\/"]"#).unwrap(),
            ["\"q\"", "\\n\n", "é😀", "/"]
        );
        assert_eq!(values("[\"日本\"]").unwrap(), ["日本"]);
    }

    #[test]
    fn invalid_json() {
        for (text, msg) in [
            ("[\"a\",]", "JSON array of strings"),
            ("[1]", "JSON array of strings"),
            ("[[\"a\"]]", "found a JSON array"),
            ("[\"a\" \"b\"]", "invalid JSON array"),
            ("[\"a\"", "unterminated JSON array"),
            ("[\"a", "unterminated JSON string"),
            ("[\"\\q\"]", "invalid escape"),
            ("[\"\\u12\"]", "invalid unicode"),
            ("[\"\\ud800\"]", "invalid unicode"),
            ("[\"a\"] x", "unexpected text"),
            ("['a']", "JSON array of strings"),
            ("[\"\t\"]", "control character"),
        ] {
            let got = values(text).unwrap_err();
            assert!(got.contains(msg), "{text}: {got}");
        }
    }

    #[test]
    fn maps_back_to_the_text() {
        let text = r#"x ["a\nb", "cd"]"#;
        let (_, v) = string_array(text, &text[2..]).unwrap();
        assert_eq!((v[0].start, v[0].end), (3, 9));
        assert_eq!(v[0].map.map(0), 4);
        assert_eq!(v[0].map.map(2), 7);
        assert_eq!((v[1].start, v[1].map.map(1)), (11, 13));
    }
}
