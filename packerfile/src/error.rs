//! The error of [`crate::parse`]: where it is, what went wrong, what was expected there, and
//! how to fix it. Its `Display` renders like rustc's diagnostics:
//!
//! ```text
//! error: unknown instruction `QUANTISE`
//!  --> GGUFPackerfile:3:1
//!   |
//! 3 | QUANTISE --type=Q4_K_M a.gguf b.gguf
//!   | ^^^^^^^^ expected an instruction: one of ADD, ARG, CAT, CMD, CONVERT, COPY, FROM, LABEL, QUANTIZE
//!   |
//!   = help: did you mean `QUANTIZE`?
//! ```

use std::fmt::{self, Write as _};

use crate::ast::Span;

/// A syntax error in a GGUFPackerfile, with its position and the offending source line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ParseError {
    /// The file name given to [`crate::parse_named`] (`GGUFPackerfile` for [`crate::parse`]).
    pub file: String,
    /// 1-based line of the error.
    pub line: u32,
    /// 1-based column of the error, in characters.
    pub column: u32,
    /// The offending source range (its line and column are `line` and `column`).
    pub span: Span,
    /// The text of the source line the error is on, without its line ending.
    pub source_line: String,
    /// What went wrong.
    pub message: String,
    /// What was expected at the position, if anything in particular.
    pub expected: Option<String>,
    /// A replacement for the offending text (a misspelled instruction or flag), rendered as
    /// ``did you mean `…`?``.
    pub suggestion: Option<String>,
    /// A further hint on how to fix it.
    pub help: Option<String>,
}

impl ParseError {
    /// The rustc-like rendering that `Display` prints.
    fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = self.write_to(&mut out);
        out
    }

    fn write_to(&self, out: &mut String) -> fmt::Result {
        let num = self.line.to_string();
        let pad = " ".repeat(num.len());
        writeln!(out, "error: {}", self.message)?;
        writeln!(out, "{pad}--> {}:{}:{}", self.file, self.line, self.column)?;
        writeln!(out, "{pad} |")?;
        let (shown, caret_at, caret_width) = self.caret();
        writeln!(out, "{num} | {shown}")?;
        write!(
            out,
            "{pad} | {}{}",
            " ".repeat(caret_at),
            "^".repeat(caret_width)
        )?;
        if let Some(expected) = &self.expected {
            write!(out, " expected {expected}")?;
        }
        if self.suggestion.is_some() || self.help.is_some() {
            write!(out, "\n{pad} |")?;
        }
        if let Some(s) = &self.suggestion {
            write!(out, "\n{pad} = help: did you mean `{s}`?")?;
        }
        if let Some(h) = &self.help {
            write!(out, "\n{pad} = help: {h}")?;
        }
        Ok(())
    }

    /// The source line as shown (tabs as four spaces), the caret's display column and width.
    fn caret(&self) -> (String, usize, usize) {
        const TAB: &str = "    ";
        let col = self.column.saturating_sub(1) as usize;
        let mut shown = String::with_capacity(self.source_line.len());
        let (mut at, mut width) = (0usize, 0usize);
        let mut covered = 0usize;
        for (i, c) in self.source_line.chars().enumerate() {
            let w = if c == '\t' { TAB.len() } else { 1 };
            if i < col {
                at += w;
            } else if covered < self.span.len {
                width += w;
                covered += c.len_utf8();
            }
            if c == '\t' {
                shown.push_str(TAB);
            } else if c.is_control() {
                shown.push(' ');
            } else {
                shown.push(c);
            }
        }
        if col > self.source_line.chars().count() {
            at += col - self.source_line.chars().count();
        }
        (shown, at, width.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(line: &str, column: u32, len: usize) -> ParseError {
        ParseError {
            file: "GGUFPackerfile".into(),
            line: 12,
            column,
            span: Span {
                line: 12,
                column,
                offset: 0,
                len,
            },
            source_line: line.into(),
            message: "unknown instruction `QUANTISE`".into(),
            expected: Some("an instruction".into()),
            suggestion: Some("QUANTIZE".into()),
            help: None,
        }
    }

    #[test]
    fn renders_like_rustc() {
        let e = err("QUANTISE a b", 1, 8);
        let text = e.to_string();
        let want = "error: unknown instruction `QUANTISE`\n  \
                    --> GGUFPackerfile:12:1\n   |\n12 | QUANTISE a b\n   | ^^^^^^^^ expected an \
                    instruction\n   |\n   = help: did you mean `QUANTIZE`?";
        assert_eq!(text, want);
    }

    #[test]
    fn caret_follows_tabs_and_unicode() {
        let e = err("\tFROM é x", 8, 1);
        let (shown, at, width) = e.caret();
        assert_eq!(shown, "    FROM é x");
        assert_eq!((at, width), (10, 1));
        let e = err("FROM é", 6, 2);
        assert_eq!(e.caret().1, 5);
        assert_eq!(e.caret().2, 1);
    }

    #[test]
    fn caret_past_end_of_line() {
        let mut e = err("CMD", 4, 0);
        e.expected = None;
        e.suggestion = None;
        let text = e.to_string();
        assert!(text.ends_with("12 | CMD\n   |    ^"), "{text}");
    }
}
