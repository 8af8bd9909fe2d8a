//! Words: quoting, escapes and variable references, parsed with `nom` into [`Word`]s.
//!
//! Two families of rules, chosen by [`Mode`]:
//!
//! - **Shell words** (`Mode::ARG`, `KEY`, `REST`: instruction arguments, flag values, `ARG`
//!   defaults, `LABEL` keys and values, `FROM`): as BuildKit's shell lexer.
//!   - `'…'`: literal text, no escapes, no variables.
//!   - `"…"`: variables are expanded; the escape character escapes only `"`, `$` and itself
//!     (elsewhere it is kept).
//!   - Unquoted, the escape character makes the next character literal (`\$`, `\ `, `\"`); at
//!     the very end of the text it is dropped.
//!   - A word ends at unquoted whitespace (`ARG`, `KEY`), also at an unquoted `=` (`KEY`), or
//!     only at the end of the text (`REST`).
//! - **Raw text** (`Mode::RAW`: heredoc bodies, `CMD` in both forms): quotes are ordinary
//!   characters; only variables are recognized. The escape character followed by `$` or by
//!   itself gives that character; anywhere else it is kept as is.
//!
//! Variables, in both: `$NAME` and `${NAME}` (a name is `[A-Za-z_][A-Za-z0-9_]*`), and
//! `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}`, `${NAME+word}`, whose word follows the rules
//! of the enclosing text, may contain whitespace, ends at an unquoted `}` (`\}` is a literal
//! `}`), and may nest up to [`MAX_NESTING`] levels. A `$` not followed by a name or `{` is
//! literal. Other modifiers (`?`, `#`, `%`, `/`) are errors.
//!
//! Adjacent literal text is merged into one [`WordPart::Literal`]; no empty literal is made.

use nom::bytes::complete::{tag, take_until, take_while, take_while1};
use nom::character::complete::{char, satisfy, space0};
use nom::combinator::{opt, recognize};
use nom::sequence::pair;
use nom::{IResult, Parser};

use super::{is_sep, SegMap, Source};
use crate::ast::{Span, VarOp, VarRef, Word, WordPart};
use crate::error::ParseError;

/// How deep `${V:-${W:-…}}` may nest.
pub(crate) const MAX_NESTING: u32 = 32;

/// A parse failure inside one text, located by how much input was left.
#[derive(Debug, Clone)]
pub(crate) struct PErr {
    /// The input length remaining where the error is.
    pub(crate) rest_len: usize,
    /// How many bytes the error covers.
    pub(crate) len: usize,
    pub(crate) message: String,
    pub(crate) expected: Option<String>,
}

impl PErr {
    /// An error at the start of `at`, covering `len` bytes.
    pub(crate) fn at(at: &str, len: usize, message: impl Into<String>) -> PErr {
        PErr {
            rest_len: at.len(),
            len,
            message: message.into(),
            expected: None,
        }
    }

    /// Sets what was expected.
    pub(crate) fn expected(mut self, expected: impl Into<String>) -> PErr {
        self.expected = Some(expected.into());
        self
    }

    /// As a non-recoverable `nom` error.
    pub(crate) fn fail<T>(self) -> Result<T, nom::Err<PErr>> {
        Err(nom::Err::Failure(self))
    }
}

impl<'a> nom::error::ParseError<&'a str> for PErr {
    fn from_error_kind(input: &'a str, kind: nom::error::ErrorKind) -> Self {
        PErr::at(input, 1, format!("syntax error ({})", kind.description()))
    }

    fn append(_: &'a str, _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

/// A `nom` result with [`PErr`].
pub(crate) type PResult<'a, T> = IResult<&'a str, T, PErr>;

/// The text being parsed, and how to get from its offsets to the source's.
pub(crate) struct Ctx<'c, 'a> {
    pub(crate) src: &'c Source<'a>,
    /// The whole text; every parser input is a suffix of it.
    pub(crate) text: &'c str,
    /// From `text` offsets to the source (or to `outer`'s text).
    pub(crate) map: &'c SegMap,
    /// A second map to apply after `map` (decoded JSON strings: string → line → source).
    pub(crate) outer: Option<&'c SegMap>,
    /// The escape character.
    pub(crate) escape: char,
}

impl Ctx<'_, '_> {
    /// Offset in `text` of a suffix of it.
    pub(crate) fn off(&self, rest: &str) -> usize {
        self.text.len().saturating_sub(rest.len())
    }

    /// Source offset of a `text` offset.
    pub(crate) fn source_offset(&self, d: usize) -> usize {
        let x = self.map.map(d);
        self.outer.map_or(x, |m| m.map(x))
    }

    fn source_end(&self, d: usize) -> usize {
        let x = self.map.map_end(d);
        self.outer.map_or(x, |m| m.map_end(x))
    }

    /// The source span of `text[a..b]`.
    pub(crate) fn span_of(&self, a: usize, b: usize) -> Span {
        let s = self.source_offset(a);
        let e = if b > a { self.source_end(b).max(s) } else { s };
        self.src.span(s, e)
    }

    /// The span from suffix `from` to suffix `to` (`to` shorter).
    pub(crate) fn span(&self, from: &str, to: &str) -> Span {
        self.span_of(self.off(from), self.off(to))
    }

    /// The [`ParseError`] of a [`PErr`] raised on this text.
    pub(crate) fn error(&self, e: PErr) -> ParseError {
        let a = self.text.len().saturating_sub(e.rest_len);
        let b = a.saturating_add(e.len).min(self.text.len()).max(a);
        self.src.error_at(self.span_of(a, b), e.message, e.expected)
    }

    /// Converts a `nom` error.
    pub(crate) fn nom_error(&self, e: nom::Err<PErr>) -> ParseError {
        match e {
            nom::Err::Error(e) | nom::Err::Failure(e) => self.error(e),
            nom::Err::Incomplete(_) => self.src.error_at(
                self.span_of(self.text.len(), self.text.len()),
                "unexpected end of input",
                None,
            ),
        }
    }
}

/// Which rules a word follows and where it stops (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mode {
    /// Shell quoting and escapes (else raw text).
    quotes: bool,
    /// Ends at unquoted whitespace.
    stop_ws: bool,
    /// Ends at an unquoted `=`.
    stop_eq: bool,
    /// Ends at an unquoted `}` (a modifier's word).
    stop_brace: bool,
}

impl Mode {
    /// A whitespace-separated shell word.
    pub(crate) const ARG: Mode = Mode {
        quotes: true,
        stop_ws: true,
        stop_eq: false,
        stop_brace: false,
    };
    /// A shell word that also ends at `=` (`LABEL` keys).
    pub(crate) const KEY: Mode = Mode {
        stop_eq: true,
        ..Mode::ARG
    };
    /// Shell quoting over the whole rest of the text, whitespace included.
    pub(crate) const REST: Mode = Mode {
        stop_ws: false,
        ..Mode::ARG
    };
    /// Raw text with variables (heredoc bodies, `CMD`).
    pub(crate) const RAW: Mode = Mode {
        quotes: false,
        stop_ws: false,
        stop_eq: false,
        stop_brace: false,
    };

    fn modifier(self) -> Mode {
        Mode {
            quotes: self.quotes,
            stop_ws: false,
            stop_eq: false,
            stop_brace: true,
        }
    }

    fn stops_at(self, c: char) -> bool {
        (self.stop_ws && is_sep(c)) || (self.stop_eq && c == '=') || (self.stop_brace && c == '}')
    }
}

/// Word parts under construction: merges adjacent literals, skips empty ones.
#[derive(Default)]
struct Parts(Vec<WordPart>);

impl Parts {
    fn lit(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if let Some(WordPart::Literal(l)) = self.0.last_mut() {
            l.push_str(s);
        } else {
            self.0.push(WordPart::Literal(s.to_string()));
        }
    }

    fn ch(&mut self, c: char) {
        self.lit(c.encode_utf8(&mut [0; 4]));
    }

    fn var(&mut self, v: VarRef) {
        self.0.push(WordPart::Var(v));
    }
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A variable name: `[A-Za-z_][A-Za-z0-9_]*`.
pub(crate) fn name(input: &str) -> PResult<'_, &str> {
    recognize(pair(satisfy(is_name_start), take_while(is_name_char))).parse(input)
}

/// Skips the first character of `s` (empty stays empty).
fn after_first(s: &str) -> &str {
    let mut chars = s.chars();
    chars.next();
    chars.as_str()
}

/// Parses one word in `mode` at `depth` levels of `${…}` nesting. It may be empty (nothing
/// consumed); the caller decides whether that is allowed.
pub(crate) fn word<'t>(
    cx: &Ctx<'_, '_>,
    mode: Mode,
    depth: u32,
    input: &'t str,
) -> PResult<'t, Word> {
    let esc = cx.escape;
    let mut parts = Parts::default();
    let mut i = input;
    while let Some(c) = i.chars().next() {
        if mode.stops_at(c) {
            break;
        }
        if c == '$' {
            let (rest, var) = dollar(cx, mode, depth, i)?;
            match var {
                Some(v) => parts.var(v),
                None => parts.ch('$'),
            }
            i = rest;
        } else if c == esc {
            i = escape(mode, esc, i, &mut parts);
        } else if mode.quotes && c == '\'' {
            let (rest, text) = single_quoted(i)?;
            parts.lit(text);
            i = rest;
        } else if mode.quotes && c == '"' {
            i = double_quoted(cx, mode, depth, i, &mut parts)?;
        } else {
            let (run, rest) = split_run(i, plain_len(i, mode, esc));
            parts.lit(run);
            i = rest;
        }
    }
    let span = cx.span(input, i);
    Ok((
        i,
        Word {
            parts: parts.0,
            span,
        },
    ))
}

/// The escape character as a byte (it is always `\\` or `` ` ``).
fn ascii(esc: char) -> u8 {
    u8::try_from(esc).unwrap_or(b'\\')
}

/// Byte classes for [`plain_len`].
const C_DOLLAR: u8 = 1;
const C_BACKSLASH: u8 = 2;
const C_BACKTICK: u8 = 4;
const C_QUOTE: u8 = 8;
const C_SEP: u8 = 16;
const C_EQ: u8 = 32;
const C_BRACE: u8 = 64;

/// The class of every byte (0 for ordinary ones).
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'$' as usize] = C_DOLLAR;
    t[b'\\' as usize] = C_BACKSLASH;
    t[b'`' as usize] = C_BACKTICK;
    t[b'\'' as usize] = C_QUOTE;
    t[b'"' as usize] = C_QUOTE;
    t[b' ' as usize] = C_SEP;
    t[b'\t' as usize] = C_SEP;
    t[b'\r' as usize] = C_SEP;
    t[0x0b] = C_SEP;
    t[0x0c] = C_SEP;
    t[b'=' as usize] = C_EQ;
    t[b'}' as usize] = C_BRACE;
    t
};

/// The length of the run at the start of `s` without a character that is special in `mode`.
/// Every special character is ASCII, so the run ends on a character boundary.
fn plain_len(s: &str, mode: Mode, esc: char) -> usize {
    let bytes = s.as_bytes();
    if mode == Mode::RAW {
        return memchr::memchr2(b'$', ascii(esc), bytes).unwrap_or(bytes.len());
    }
    let flag = |on: bool, class: u8| if on { class } else { 0 };
    let mask = C_DOLLAR
        | if esc == '`' { C_BACKTICK } else { C_BACKSLASH }
        | flag(mode.quotes, C_QUOTE)
        | flag(mode.stop_ws, C_SEP)
        | flag(mode.stop_eq, C_EQ)
        | flag(mode.stop_brace, C_BRACE);
    bytes
        .iter()
        .position(|&b| CLASS[usize::from(b)] & mask != 0)
        .unwrap_or(bytes.len())
}

/// Splits `s` after `n` bytes, taking at least one character so that parsing moves on.
fn split_run(s: &str, n: usize) -> (&str, &str) {
    let n = if n == 0 {
        s.chars().next().map_or(0, char::len_utf8)
    } else {
        n
    };
    match (s.get(..n), s.get(n..)) {
        (Some(a), Some(b)) => (a, b),
        _ => (s, ""),
    }
}

/// The escape character at the start of `i`, outside quotes.
fn escape<'t>(mode: Mode, esc: char, i: &'t str, parts: &mut Parts) -> &'t str {
    let after = after_first(i);
    match after.chars().next() {
        None => {
            if !mode.quotes {
                parts.ch(esc);
            }
            after
        }
        Some(n) if mode.quotes || n == '$' || n == esc || (mode.stop_brace && n == '}') => {
            parts.ch(n);
            after_first(after)
        }
        Some(_) => {
            parts.ch(esc);
            after
        }
    }
}

/// `'…'`: the text between the quotes.
fn single_quoted(i: &str) -> PResult<'_, &str> {
    let open: PResult<'_, char> = char('\'').parse(i);
    let (rest, _) = open?;
    match take_until::<_, _, PErr>("'").parse(rest) {
        Ok((r, text)) => Ok((after_first(r), text)),
        Err(_) => PErr::at(i, 1, "unterminated single-quoted string")
            .expected("a closing `'`")
            .fail(),
    }
}

/// `"…"`, appending to `parts`; returns the rest after the closing quote.
fn double_quoted<'t>(
    cx: &Ctx<'_, '_>,
    mode: Mode,
    depth: u32,
    open: &'t str,
    parts: &mut Parts,
) -> Result<&'t str, nom::Err<PErr>> {
    let esc = cx.escape;
    let mut i = after_first(open);
    loop {
        let Some(c) = i.chars().next() else {
            return PErr::at(open, 1, "unterminated double-quoted string")
                .expected("a closing `\"`")
                .fail();
        };
        if c == '"' {
            return Ok(after_first(i));
        }
        if c == '$' {
            let (rest, var) = dollar(cx, mode, depth, i)?;
            match var {
                Some(v) => parts.var(v),
                None => parts.ch('$'),
            }
            i = rest;
        } else if c == esc {
            let after = after_first(i);
            match after.chars().next() {
                Some(n) if n == '"' || n == '$' || n == esc => {
                    parts.ch(n);
                    i = after_first(after);
                }
                _ => {
                    parts.ch(esc);
                    i = after;
                }
            }
        } else {
            let n = memchr::memchr3(b'"', b'$', ascii(esc), i.as_bytes()).unwrap_or(i.len());
            let (run, rest) = split_run(i, n);
            parts.lit(run);
            i = rest;
        }
    }
}

/// A `$` at the start of `i`: a variable reference, or `None` for a literal `$`.
fn dollar<'t>(cx: &Ctx<'_, '_>, mode: Mode, depth: u32, i: &'t str) -> PResult<'t, Option<VarRef>> {
    let after = after_first(i);
    match after.chars().next() {
        Some('{') => braced(cx, mode, depth, i),
        Some(c) if is_name_start(c) => {
            let (rest, n) = name(after)?;
            Ok((
                rest,
                Some(VarRef {
                    name: n.to_string(),
                    braced: false,
                    op: None,
                }),
            ))
        }
        _ => Ok((after, None)),
    }
}

/// `${NAME}` or `${NAME<op>word}` at the start of `open`.
fn braced<'t>(
    cx: &Ctx<'_, '_>,
    mode: Mode,
    depth: u32,
    open: &'t str,
) -> PResult<'t, Option<VarRef>> {
    let body: PResult<'t, &str> = tag("${").parse(open);
    let (r, _) = body?;
    let missing_brace = || {
        PErr::at(open, 2, "unterminated variable reference: missing `}`")
            .expected("`}` to close `${`")
    };
    let (r, n) = match name(r) {
        Ok(x) => x,
        Err(_) if r.is_empty() => return missing_brace().fail(),
        Err(_) => {
            return PErr::at(
                open,
                2,
                "bad substitution: `${` must be followed by a variable name",
            )
            .expected("a name such as `${NAME}`")
            .fail()
        }
    };
    let unsupported = |at: &str, len: usize| {
        PErr::at(at, len, format!("unsupported modifier in `${{{n}…}}`"))
            .expected("`}`, `:-`, `-`, `:+` or `+`")
    };
    let (r, colon) = match r.strip_prefix(':') {
        Some(r) => (r, true),
        None => (r, false),
    };
    let op_at = r;
    let plus = match r.chars().next() {
        Some('}') if !colon => {
            return Ok((
                after_first(r),
                Some(VarRef {
                    name: n.to_string(),
                    braced: true,
                    op: None,
                }),
            ))
        }
        Some('-') => false,
        Some('+') => true,
        None => return missing_brace().fail(),
        Some(c) if colon || matches!(c, '?' | '#' | '%' | '/' | '=') => {
            let at_len = usize::from(colon) + c.len_utf8();
            let at = open
                .get(open.len().saturating_sub(r.len() + usize::from(colon))..)
                .unwrap_or(r);
            return unsupported(at, at_len).fail();
        }
        Some(c) => {
            return PErr::at(
                r,
                c.len_utf8(),
                format!("invalid character `{c}` in variable name"),
            )
            .expected("`}`")
            .fail()
        }
    };
    if depth >= MAX_NESTING {
        return PErr::at(
            open,
            2,
            format!("variable references nested more than {MAX_NESTING} levels deep"),
        )
        .fail();
    }
    let (r, w) = word(cx, mode.modifier(), depth + 1, after_first(op_at))?;
    let Some(r) = r.strip_prefix('}') else {
        return missing_brace().fail();
    };
    let word = Box::new(w);
    let op = if plus {
        VarOp::Alternative { colon, word }
    } else {
        VarOp::Default { colon, word }
    };
    Ok((
        r,
        Some(VarRef {
            name: n.to_string(),
            braced: true,
            op: Some(op),
        }),
    ))
}

/// A heredoc marker: `<<DELIM`, `<<-DELIM`, `<<"DELIM"`, `<<'DELIM'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeredocMarker {
    /// The delimiter, quotes removed.
    pub(crate) delimiter: String,
    /// `<<-`.
    pub(crate) strip_tabs: bool,
    /// Some part of the delimiter was quoted.
    pub(crate) quoted: bool,
    /// Where the marker is.
    pub(crate) span: Span,
}

/// A heredoc marker at the start of `input` (a word start), or `None` when the word is not one.
pub(crate) fn heredoc_marker<'t>(
    cx: &Ctx<'_, '_>,
    input: &'t str,
) -> PResult<'t, Option<HeredocMarker>> {
    let Some(after) = input.strip_prefix("<<") else {
        return Ok((input, None));
    };
    let (mut i, dash) = opt(char::<&str, PErr>('-')).parse(after)?;
    let mut delimiter = String::new();
    let mut quoted = false;
    while let Some(c) = i.chars().next() {
        if is_sep(c) {
            break;
        }
        match c {
            '<' => return Ok((input, None)),
            '\'' | '"' => {
                quoted = true;
                let inner = after_first(i);
                let Some(close) = inner.find(c) else {
                    return PErr::at(i, 1, "unterminated quote in heredoc delimiter")
                        .expected(format!("a closing `{c}`"))
                        .fail();
                };
                delimiter.push_str(inner.get(..close).unwrap_or(""));
                i = inner.get(close + 1..).unwrap_or("");
            }
            c if c == cx.escape => {
                let after = after_first(i);
                if let Some(n) = after.chars().next() {
                    delimiter.push(n);
                }
                i = after_first(after);
            }
            c => {
                delimiter.push(c);
                i = after_first(i);
            }
        }
    }
    if delimiter.is_empty() {
        if quoted {
            return PErr::at(input, cx.off(i) - cx.off(input), "empty heredoc delimiter")
                .expected("a delimiter word such as `<<EOF`")
                .fail();
        }
        return Ok((input, None));
    }
    let span = cx.span(input, i);
    Ok((
        i,
        Some(HeredocMarker {
            delimiter,
            strip_tabs: dash.is_some(),
            quoted,
            span,
        }),
    ))
}

/// A parser directive line (leading whitespace removed): `#`, optional spaces, a name
/// `[a-zA-Z][a-zA-Z0-9]*`, `=`, and a non-empty value (leading spaces and tabs, and trailing
/// whitespace, trimmed).
/// Returns the name, the value and the value's byte offset in `line`.
pub(crate) fn directive(line: &str) -> Option<(&str, &str, usize)> {
    let parsed: PResult<'_, &str> = (
        char('#'),
        space0,
        recognize(pair(
            satisfy(|c| c.is_ascii_alphabetic()),
            take_while(|c: char| c.is_ascii_alphanumeric()),
        )),
        space0,
        char('='),
        space0,
    )
        .map(|(_, _, name, _, _, _)| name)
        .parse(line);
    let (rest, name) = parsed.ok()?;
    let value = rest.trim_end_matches(is_sep);
    if value.is_empty() {
        return None;
    }
    Some((name, value, line.len() - rest.len()))
}

/// Takes a run of characters that are not separators (for pointing at a bad token).
pub(crate) fn token(input: &str) -> &str {
    take_while1::<_, _, PErr>(|c| !is_sep(c))
        .parse(input)
        .map_or("", |(_, t)| t)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Parses `text` as one word in `mode`, with escape `esc`.
    pub(crate) fn parse_word(
        text: &str,
        mode: Mode,
        esc: char,
    ) -> Result<(String, Word), ParseError> {
        let src = Source::new("t", text);
        let map = SegMap::starting_at(0);
        let cx = Ctx {
            src: &src,
            text,
            map: &map,
            outer: None,
            escape: esc,
        };
        word(&cx, mode, 0, text)
            .map(|(rest, w)| (rest.to_string(), w))
            .map_err(|e| cx.nom_error(e))
    }

    fn parts(text: &str, mode: Mode) -> Vec<WordPart> {
        let (rest, w) = parse_word(text, mode, '\\').unwrap();
        assert!(
            rest.is_empty() || mode.stop_ws || mode.stop_eq,
            "rest {rest:?}"
        );
        w.parts
    }

    fn lit(s: &str) -> WordPart {
        WordPart::Literal(s.into())
    }

    fn var(n: &str, braced: bool) -> WordPart {
        WordPart::Var(VarRef {
            name: n.into(),
            braced,
            op: None,
        })
    }

    #[test]
    fn plain_and_vars() {
        assert_eq!(parts("abc", Mode::ARG), [lit("abc")]);
        assert_eq!(
            parts("a$B.${C}d", Mode::ARG),
            [
                lit("a"),
                var("B", false),
                lit("."),
                var("C", true),
                lit("d")
            ]
        );
        assert_eq!(parts("$", Mode::ARG), [lit("$")]);
        assert_eq!(parts("a$1$-", Mode::ARG), [lit("a$1$-")]);
        assert!(parts("", Mode::ARG).is_empty());
    }

    #[test]
    fn stops_at_whitespace() {
        let (rest, w) = parse_word("a\"b c\"d e", Mode::ARG, '\\').unwrap();
        assert_eq!(w.parts, [lit("ab cd")]);
        assert_eq!(rest, " e");
        assert_eq!((w.span.offset, w.span.len), (0, 7));
        let (rest, w) = parse_word("k\"=\"=v", Mode::KEY, '\\').unwrap();
        assert_eq!((w.parts, rest.as_str()), (vec![lit("k=")], "=v"));
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(parts("'$A \\x'", Mode::ARG), [lit("$A \\x")]);
        assert_eq!(
            parts("\"\\\"$A\\x\\$\"", Mode::ARG),
            [lit("\""), var("A", false), lit("\\x$")]
        );
        assert_eq!(parts("\\$A\\ b\\\"", Mode::ARG), [lit("$A b\"")]);
        assert_eq!(parts("a\\", Mode::ARG), [lit("a")]);
        assert!(parts("\"\"''", Mode::ARG).is_empty());
        assert_eq!(parts("`$A``x", Mode::ARG).len(), 3);
        let (_, w) = parse_word("`$A``x", Mode::ARG, '`').unwrap();
        assert_eq!(w.parts, [lit("$A`x")]);
    }

    #[test]
    fn raw_text_keeps_quotes() {
        assert_eq!(
            parts("{{'x'}} \"$A\" \\n \\$B \\\\", Mode::RAW),
            [lit("{{'x'}} \""), var("A", false), lit("\" \\n $B \\")]
        );
        assert_eq!(parts("end\\", Mode::RAW), [lit("end\\")]);
    }

    #[test]
    fn modifiers() {
        let p = parts("${A:-x ${B+'}'}}", Mode::ARG);
        let WordPart::Var(VarRef {
            name,
            braced: true,
            op: Some(VarOp::Default { colon: true, word }),
        }) = &p[0]
        else {
            panic!("{p:?}")
        };
        assert_eq!(name, "A");
        assert_eq!(word.parts[0], lit("x "));
        let WordPart::Var(VarRef {
            op:
                Some(VarOp::Alternative {
                    colon: false,
                    word: inner,
                }),
            ..
        }) = &word.parts[1]
        else {
            panic!("{word:?}")
        };
        assert_eq!(inner.parts, [lit("}")]);
        assert_eq!((word.span.offset, word.span.len), (5, 10));
        let p = parts("${A:+}${B-\\}}", Mode::RAW);
        assert_eq!(p.len(), 2);
        let WordPart::Var(VarRef {
            op: Some(VarOp::Default { word, .. }),
            ..
        }) = &p[1]
        else {
            panic!()
        };
        assert_eq!(word.parts, [lit("}")]);
    }

    #[test]
    fn bad_variables() {
        for (text, msg) in [
            ("${", "missing `}`"),
            ("${A", "missing `}`"),
            ("${A:-x", "missing `}`"),
            ("${}", "bad substitution"),
            ("${1}", "bad substitution"),
            ("${A?x}", "unsupported modifier"),
            ("${A:?x}", "unsupported modifier"),
            ("${A:}", "unsupported modifier"),
            ("${A#x}", "unsupported modifier"),
            ("${A.B}", "invalid character `.`"),
            ("'abc", "unterminated single-quoted"),
            ("\"abc", "unterminated double-quoted"),
        ] {
            let e = parse_word(text, Mode::ARG, '\\').unwrap_err();
            assert!(e.message.contains(msg), "{text}: {}", e.message);
        }
    }

    #[test]
    fn nesting_is_capped() {
        let deep = |n: usize| format!("{}x{}", "${A:-".repeat(n), "}".repeat(n));
        assert!(parse_word(&deep(32), Mode::ARG, '\\').is_ok());
        let e = parse_word(&deep(33), Mode::ARG, '\\').unwrap_err();
        assert!(e.message.contains("nested"), "{}", e.message);
        assert!(parse_word(&deep(5000), Mode::RAW, '\\').is_err());
    }

    #[test]
    fn unicode_words() {
        assert_eq!(
            parts("Привет-$X-日本", Mode::ARG),
            [lit("Привет-"), var("X", false), lit("-日本")]
        );
    }

    #[test]
    fn directives() {
        assert_eq!(directive("# escape = ` "), Some(("escape", "`", 11)));
        assert_eq!(
            directive("#syntax=docker/x:1"),
            Some(("syntax", "docker/x:1", 8))
        );
        assert_eq!(
            directive("# check=skip=all \r\t"),
            Some(("check", "skip=all", 8))
        );
        assert_eq!(directive("# escape="), None);
        assert_eq!(directive("# not a directive"), None);
        assert_eq!(directive("# 1x=y"), None);
    }

    #[test]
    fn heredoc_markers() {
        let m = |t: &str| {
            let src = Source::new("t", t);
            let map = SegMap::starting_at(0);
            let cx = Ctx {
                src: &src,
                text: t,
                map: &map,
                outer: None,
                escape: '\\',
            };
            heredoc_marker(&cx, t)
                .map(|(r, m)| (r.to_string(), m))
                .map_err(|e| cx.nom_error(e))
        };
        let (rest, mk) = m("<<EOF x").unwrap();
        let mk = mk.unwrap();
        assert_eq!(
            (
                mk.delimiter.as_str(),
                mk.strip_tabs,
                mk.quoted,
                rest.as_str()
            ),
            ("EOF", false, false, " x")
        );
        assert_eq!((mk.span.offset, mk.span.len), (0, 5));
        let mk = m("<<-'E O'").unwrap().1.unwrap();
        assert_eq!(
            (mk.delimiter.as_str(), mk.strip_tabs, mk.quoted),
            ("E O", true, true)
        );
        let mk = m("<<E\"N\"D").unwrap().1.unwrap();
        assert_eq!((mk.delimiter.as_str(), mk.quoted), ("END", true));
        assert!(m("<<").unwrap().1.is_none());
        assert!(m("<<-").unwrap().1.is_none());
        assert!(m("<<<x").unwrap().1.is_none());
        assert!(m("x").unwrap().1.is_none());
        assert!(m("<<\"\"").is_err());
        assert!(m("<<\"EOF").is_err());
    }
}
