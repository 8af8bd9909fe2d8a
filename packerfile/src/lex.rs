//! The lexical layer of the Dockerfile family, as BuildKit's Dockerfile parser does it.
//!
//! - [`Source`]: the text with a line-start table, mapping byte offsets to 1-based line and
//!   column (in characters) and building [`ParseError`]s.
//! - [`Lexer`]: physical lines to logical lines. A UTF-8 BOM at the start is skipped. Parser
//!   directives (`# syntax=`, `# escape=`, `# check=`, names case-insensitive) are read only
//!   while every line so far was a directive: the first comment, blank line or instruction ends
//!   them, and a directive-looking line after that is a comment. Comment lines (`#` after
//!   optional whitespace) and blank lines are skipped. An instruction line ending in the escape
//!   character (`\`, or `` ` `` after `# escape=`` ` ``), optionally followed by spaces or tabs,
//!   continues on the next line; inside a continued instruction, comment lines and empty lines
//!   are skipped. A line ends at `\n`; trailing `\r`s are dropped (CRLF files).
//! - Heredoc bodies ([`Lexer::read_heredoc`]): raw lines after the instruction, up to a line
//!   equal to the delimiter (after stripping leading tabs for `<<-`).
//! - [`word`]: quoting, escapes and variable references inside a logical line;
//!   [`json`]: the JSON array of the exec form.
//!
//! Positions: every text the parser reads (a logical line, a heredoc body, a decoded JSON
//! string) comes with a [`SegMap`] from its byte offsets back to the source's, so spans stay
//! exact across line continuations.

// A `ParseError` is made at most once per parse, on the way out: its size costs nothing, and
// the public signature `Result<_, ParseError>` is the crate's contract.
#![allow(clippy::result_large_err)]

use std::borrow::Cow;
use std::cell::Cell;

use crate::ast::{Directive, Span};
use crate::error::ParseError;

pub(crate) mod json;
pub(crate) mod word;

/// The byte-order mark skipped at the start of the source.
const BOM: char = '\u{feff}';

/// Word separators inside an instruction (BuildKit's `[\t\v\f\r ]`).
pub(crate) fn is_sep(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\x0b' | '\x0c')
}

/// Skips word separators.
pub(crate) fn skip_sep(s: &str) -> &str {
    s.trim_start_matches(is_sep)
}

/// Converts to `u32`, saturating.
fn sat32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The source text with its line-start table.
pub(crate) struct Source<'a> {
    /// The file name for errors.
    pub(crate) file: &'a str,
    /// The whole text.
    pub(crate) text: &'a str,
    /// Byte offset of every line's start (the first one after the BOM).
    line_starts: Vec<usize>,
    /// The last position computed: (line index, byte offset, column), so that positions asked
    /// for left to right along a line cost only the characters in between.
    cache: Cell<(usize, usize, u32)>,
}

impl<'a> Source<'a> {
    /// Indexes `text`.
    pub(crate) fn new(file: &'a str, text: &'a str) -> Source<'a> {
        let bom = if text.starts_with(BOM) {
            BOM.len_utf8()
        } else {
            0
        };
        let mut line_starts = Vec::with_capacity(text.len() / 40 + 2);
        line_starts.push(bom);
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Source {
            file,
            text,
            line_starts,
            cache: Cell::new((0, bom, 1)),
        }
    }

    /// Where the text after the BOM starts.
    pub(crate) fn start(&self) -> usize {
        self.line_starts.first().copied().unwrap_or(0)
    }

    fn line_start(&self, index: usize) -> usize {
        self.line_starts
            .get(index)
            .copied()
            .unwrap_or(self.text.len())
    }

    fn floor_boundary(&self, mut offset: usize) -> usize {
        offset = offset.min(self.text.len());
        while offset > 0 && !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn position(&self, offset: usize) -> (u32, u32) {
        let offset = self.floor_boundary(offset);
        let (cl, co, cc) = self.cache.get();
        let line_start = self.line_start(cl);
        let (index, col) = if offset >= line_start && offset < self.line_start(cl + 1) {
            // On the cached line: count from the cached position, forwards or backwards (spans
            // of enclosing nodes are made after those of their parts), or from the line start
            // when that is nearer.
            if offset >= co {
                (cl, cc.saturating_add(self.chars(co, offset)))
            } else if co - offset < offset - line_start {
                (cl, cc.saturating_sub(self.chars(offset, co)))
            } else {
                (cl, 1u32.saturating_add(self.chars(line_start, offset)))
            }
        } else {
            let index = if offset >= self.line_start(cl + 1) && offset < self.line_start(cl + 2) {
                cl + 1
            } else {
                self.line_starts
                    .partition_point(|&s| s <= offset)
                    .saturating_sub(1)
            };
            let from = self.line_start(index);
            (index, 1u32.saturating_add(self.chars(from, offset)))
        };
        self.cache.set((index, offset, col));
        (sat32(index + 1), col)
    }

    /// The number of characters in `text[from..to]`.
    fn chars(&self, from: usize, to: usize) -> u32 {
        let bytes = self.text.as_bytes().get(from..to).unwrap_or(&[]);
        // Characters are the bytes that do not continue a UTF-8 sequence.
        sat32(bytes.iter().filter(|&&b| (b as i8) >= -0x40).count())
    }

    /// The span of the byte range `start..end`.
    pub(crate) fn span(&self, start: usize, end: usize) -> Span {
        let (line, column) = self.position(start);
        Span {
            line,
            column,
            offset: start,
            len: end.saturating_sub(start),
        }
    }

    /// The text of a 1-based line, without its line ending.
    pub(crate) fn line_text(&self, line: u32) -> &'a str {
        let index = (line as usize).saturating_sub(1);
        let start = self.line_start(index);
        let end = self.line_start(index + 1);
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    /// An error over the byte range `start..end`.
    pub(crate) fn error(
        &self,
        start: usize,
        end: usize,
        message: impl Into<String>,
        expected: Option<String>,
    ) -> ParseError {
        self.error_at(self.span(start, end), message, expected)
    }

    /// An error at `span`.
    pub(crate) fn error_at(
        &self,
        span: Span,
        message: impl Into<String>,
        expected: Option<String>,
    ) -> ParseError {
        ParseError {
            file: self.file.to_string(),
            line: span.line,
            column: span.column,
            span,
            source_line: self.line_text(span.line).to_string(),
            message: message.into(),
            expected,
            suggestion: None,
            help: None,
        }
    }
}

/// Maps byte offsets of a derived text (a joined logical line, a heredoc body, a decoded
/// string) to byte offsets of the text it came from: a sorted list of `(derived, origin)`
/// starts of pieces that are copied verbatim.
#[derive(Debug, Clone, Default)]
pub(crate) struct SegMap {
    /// The first piece (derived offset 0); inline, so a one-piece map does not allocate.
    first: (usize, usize),
    /// The further pieces, in order.
    more: Vec<(usize, usize)>,
}

impl SegMap {
    /// A map whose derived offset 0 is `origin`.
    pub(crate) fn starting_at(origin: usize) -> SegMap {
        SegMap {
            first: (0, origin),
            more: Vec::new(),
        }
    }

    /// Records that derived offset `derived` comes from `origin` (pushes must be in order).
    pub(crate) fn push(&mut self, derived: usize, origin: usize) {
        let (d, o) = self.more.last().copied().unwrap_or(self.first);
        match derived.checked_sub(d) {
            Some(delta) if o.checked_add(delta) == Some(origin) => {}
            Some(0) => match self.more.last_mut() {
                Some(last) => *last = (derived, origin),
                None => self.first = (derived, origin),
            },
            Some(_) => self.more.push((derived, origin)),
            None => {}
        }
    }

    /// The origin offset of derived offset `d`.
    pub(crate) fn map(&self, d: usize) -> usize {
        let i = self.more.partition_point(|&(sd, _)| sd <= d);
        let (sd, so) = match i.checked_sub(1).and_then(|i| self.more.get(i)) {
            Some(&seg) => seg,
            None => self.first,
        };
        so.saturating_add(d.saturating_sub(sd))
    }

    /// The origin offset just after the derived byte before `d` (for exclusive ends).
    pub(crate) fn map_end(&self, d: usize) -> usize {
        match d.checked_sub(1) {
            Some(last) => self.map(last).saturating_add(1),
            None => self.map(0),
        }
    }
}

/// One logical line: an instruction with its continuation lines joined.
pub(crate) struct LogicalLine<'a> {
    /// The joined text, trailing whitespace removed.
    pub(crate) text: Cow<'a, str>,
    /// From `text` offsets to source offsets.
    pub(crate) map: SegMap,
    /// Source offset of the instruction's first character.
    pub(crate) start: usize,
    /// Source offset of the end of its last line (line ending excluded).
    pub(crate) end: usize,
}

/// A heredoc body read from the source.
pub(crate) struct HeredocText {
    /// The body: every line ending in `\n` (CRLF normalized), leading tabs stripped for `<<-`.
    pub(crate) text: String,
    /// From `text` offsets to source offsets.
    pub(crate) map: SegMap,
    /// Source offset of the end of the terminator line (line ending excluded).
    pub(crate) end: usize,
}

/// A physical line: `start..end` without its line ending; the next line starts at `next`.
struct Phys {
    start: usize,
    end: usize,
}

/// Splits a source into logical lines, reading parser directives at the top.
pub(crate) struct Lexer<'s, 'a> {
    src: &'s Source<'a>,
    pos: usize,
    /// The escape character: `\`, or `` ` `` after `# escape=`` ` ``.
    pub(crate) escape: char,
    directives_done: bool,
    /// The parser directives read so far.
    pub(crate) directives: Vec<Directive>,
}

impl<'s, 'a> Lexer<'s, 'a> {
    /// A lexer at the start of `src`.
    pub(crate) fn new(src: &'s Source<'a>) -> Lexer<'s, 'a> {
        Lexer {
            src,
            pos: src.start(),
            escape: '\\',
            directives_done: false,
            directives: Vec::new(),
        }
    }

    fn next_phys(&mut self) -> Option<Phys> {
        let text = self.src.text;
        let start = self.pos;
        let rest = text.as_bytes().get(start..).filter(|r| !r.is_empty())?;
        let (raw_end, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (start + i, start + i + 1),
            None => (text.len(), text.len()),
        };
        let line = text.get(start..raw_end).unwrap_or("");
        let end = start + line.trim_end_matches('\r').len();
        self.pos = next;
        Some(Phys { start, end })
    }

    fn phys_text(&self, p: &Phys) -> &'a str {
        self.src.text.get(p.start..p.end).unwrap_or("")
    }

    /// Splits a line's content at a line continuation: the text before the escape character
    /// and whether the line continues. As BuildKit: the last character other than spaces and
    /// tabs is the escape character, not itself preceded by one.
    fn continuation<'l>(&self, line: &'l str) -> (&'l str, bool) {
        let trimmed = line.trim_end_matches([' ', '\t']);
        match trimmed.strip_suffix(self.escape) {
            Some(before) if !before.ends_with(self.escape) => (before, true),
            _ => (line, false),
        }
    }

    /// The next logical line, or `None` at the end of the file.
    pub(crate) fn next_line(&mut self) -> Result<Option<LogicalLine<'a>>, ParseError> {
        loop {
            let Some(first) = self.next_phys() else {
                return Ok(None);
            };
            let raw = self.phys_text(&first);
            let content = raw.trim_start();
            let content_start = first.end - content.len();
            if !self.directives_done {
                if self.directive(content, content_start)? {
                    continue;
                }
                self.directives_done = true;
            }
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let (head, mut more) = self.continuation(content);
            let mut end = first.end;
            let mut joined: Option<String> = None;
            let mut map = SegMap::starting_at(content_start);
            while more {
                let Some(next) = self.next_phys() else {
                    break;
                };
                let line = self.phys_text(&next);
                let lead = line.trim_start();
                if lead.is_empty() || lead.starts_with('#') {
                    continue;
                }
                let (part, again) = self.continuation(line);
                let buf = joined.get_or_insert_with(|| head.to_string());
                map.push(buf.len(), next.start);
                buf.push_str(part);
                end = next.end;
                more = again;
            }
            let text = match joined {
                Some(mut s) => {
                    s.truncate(s.trim_end().len());
                    Cow::Owned(s)
                }
                None => Cow::Borrowed(head.trim_end()),
            };
            let lead = text.len() - text.trim_start().len();
            if text.len() == lead {
                continue;
            }
            let start = map.map(lead);
            return Ok(Some(LogicalLine {
                text,
                map,
                start,
                end,
            }));
        }
    }

    /// Reads a parser directive from a line's content (leading whitespace removed). `Ok(false)`
    /// when the line is not one, which ends the directives.
    fn directive(&mut self, content: &'a str, start: usize) -> Result<bool, ParseError> {
        let Some((name, value, value_at)) = word::directive(content) else {
            return Ok(false);
        };
        let lower = name.to_ascii_lowercase();
        if !matches!(lower.as_str(), "syntax" | "escape" | "check") {
            return Ok(false);
        }
        let value_start = start + value_at;
        let span = self.src.span(start, start + content.trim_end().len());
        if self.directives.iter().any(|d| d.name == lower) {
            let mut e = self.src.error_at(
                span,
                format!("only one `{lower}` parser directive can be used"),
                None,
            );
            e.help = Some("remove the duplicate directive".into());
            return Err(e);
        }
        if lower == "escape" {
            self.escape = match value {
                "\\" => '\\',
                "`" => '`',
                _ => {
                    return Err(self.src.error(
                        value_start,
                        value_start + value.len(),
                        format!("invalid escape character `{value}`"),
                        Some("`\\` or `` ` ``".into()),
                    ))
                }
            };
        }
        self.directives.push(Directive {
            name: lower,
            value: value.to_string(),
            span,
        });
        Ok(true)
    }

    /// Reads a heredoc body up to its terminator line; `None` when the file ends first.
    pub(crate) fn read_heredoc(
        &mut self,
        delimiter: &str,
        strip_tabs: bool,
    ) -> Option<HeredocText> {
        let mut text = String::new();
        let mut map = SegMap::starting_at(self.pos);
        loop {
            let p = self.next_phys()?;
            let mut line = self.phys_text(&p);
            if strip_tabs {
                line = line.trim_start_matches('\t');
            }
            if line == delimiter {
                return Some(HeredocText {
                    text,
                    map,
                    end: p.end,
                });
            }
            map.push(text.len(), p.end - line.len());
            text.push_str(line);
            text.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(src: &str) -> Vec<String> {
        let s = Source::new("f", src);
        let mut lx = Lexer::new(&s);
        let mut out = Vec::new();
        while let Some(l) = lx.next_line().unwrap() {
            out.push(l.text.into_owned());
        }
        out
    }

    #[test]
    fn positions_by_line_and_char() {
        let s = Source::new("f", "ab\néé x\r\nlast");
        assert_eq!(s.position(0), (1, 1));
        assert_eq!(s.position(1), (1, 2));
        assert_eq!(s.position(3), (2, 1));
        assert_eq!(s.position(8), (2, 4));
        assert_eq!(s.position(7), (2, 3));
        assert_eq!(s.position(11), (3, 1));
        assert_eq!(s.position(100), (3, 5));
        // Not on a char boundary: floored.
        assert_eq!(s.position(4), (2, 1));
        assert_eq!(s.line_text(2), "éé x");
        assert_eq!(s.line_text(9), "");
        // Backwards along a line, from the cached position.
        let s = Source::new("f", "0123456789é123456789");
        assert_eq!(s.position(19), (1, 19));
        assert_eq!(s.position(15), (1, 15));
        assert_eq!(s.position(12), (1, 12));
        assert_eq!(s.position(2), (1, 3));
    }

    #[test]
    fn bom_is_not_a_column() {
        let s = Source::new("f", "\u{feff}FROM x");
        assert_eq!(s.position(3), (1, 1));
        assert_eq!(lines("\u{feff}FROM x"), ["FROM x"]);
    }

    #[test]
    fn comments_blank_lines_and_continuations() {
        let src = "# c\n\n  FROM a \\\n  # inside\n\n   AS b\nCMD x\\  \t\ny\n";
        assert_eq!(lines(src), ["FROM a    AS b", "CMD xy"]);
    }

    #[test]
    fn escaped_escape_is_not_a_continuation() {
        assert_eq!(lines("CMD a\\\\\nCMD b"), ["CMD a\\\\", "CMD b"]);
        assert_eq!(lines("CMD a\\"), ["CMD a"]);
    }

    #[test]
    fn crlf_lines() {
        assert_eq!(
            lines("FROM a \\\r\n b\r\nCMD c\r\n"),
            ["FROM a  b", "CMD c"]
        );
    }

    #[test]
    fn directives_only_at_the_top() {
        let s = Source::new(
            "f",
            "# Syntax = x/y \n#escape=`\nFROM a `\n b\n# check=skip=all\n",
        );
        let mut lx = Lexer::new(&s);
        let l = lx.next_line().unwrap().unwrap();
        assert_eq!(l.text, "FROM a  b");
        assert!(lx.next_line().unwrap().is_none());
        let names: Vec<_> = lx
            .directives
            .iter()
            .map(|d| (d.name.as_str(), d.value.as_str()))
            .collect();
        assert_eq!(names, [("syntax", "x/y"), ("escape", "`")]);
        assert_eq!(lx.directives[1].span.line, 2);
    }

    #[test]
    fn directive_after_comment_or_blank_is_a_comment() {
        for src in [
            "# hello\n# escape=`\nFROM a `\n",
            "\n# escape=`\nFROM a `\n",
        ] {
            let s = Source::new("f", src);
            let mut lx = Lexer::new(&s);
            assert_eq!(lx.next_line().unwrap().unwrap().text, "FROM a `");
            assert!(lx.directives.is_empty());
            assert_eq!(lx.escape, '\\');
        }
    }

    #[test]
    fn unknown_directive_ends_directives() {
        let s = Source::new("f", "# foo=bar\n# escape=`\nFROM a\n");
        let mut lx = Lexer::new(&s);
        lx.next_line().unwrap();
        assert!(lx.directives.is_empty());
    }

    #[test]
    fn bad_directives() {
        let s = Source::new("f", "# escape=x\n");
        let e = Lexer::new(&s).next_line().err().unwrap();
        assert_eq!((e.line, e.column), (1, 10));
        let s = Source::new("f", "# syntax=a\n# SYNTAX=b\n");
        let e = Lexer::new(&s).next_line().err().unwrap();
        assert!(e.message.contains("only one `syntax`"), "{}", e.message);
    }

    #[test]
    fn logical_line_maps_back_to_source() {
        let src = "FROM a \\\n   bb";
        let s = Source::new("f", src);
        let mut lx = Lexer::new(&s);
        let l = lx.next_line().unwrap().unwrap();
        assert_eq!(l.text, "FROM a    bb");
        assert_eq!(l.map.map(10), 12);
        assert_eq!(l.map.map_end(12), 14);
        assert_eq!((l.start, l.end), (0, 14));
    }

    #[test]
    fn heredoc_bodies() {
        let s = Source::new("f", "CAT <<-EOF x\n\tone\r\n\t\ttwo\n\tEOF\nCMD y");
        let mut lx = Lexer::new(&s);
        lx.next_line().unwrap();
        let body = lx.read_heredoc("EOF", true).unwrap();
        assert_eq!(body.text, "one\ntwo\n");
        assert_eq!(body.map.map(0), 14);
        assert_eq!(body.map.map(4), 21);
        assert_eq!(lx.next_line().unwrap().unwrap().text, "CMD y");
        let s = Source::new("f", "CAT <<EOF x\nbody\n");
        let mut lx = Lexer::new(&s);
        lx.next_line().unwrap();
        assert!(lx.read_heredoc("EOF", false).is_none());
    }
}
