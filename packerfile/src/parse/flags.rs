//! Instruction flags, as BuildKit's `BFlags`: the words at the start of the arguments that
//! begin with `--` (a lone `--` ends them). `--name=value` for strings, `--flag`,
//! `--flag=true` or `--flag=false` for booleans; only list flags may repeat. An unknown flag is
//! an error that names the instruction's flags and suggests the closest one.

use nom::bytes::complete::{tag, take_while};
use nom::sequence::preceded;
use nom::Parser;

use crate::ast::{Span, Word};
use crate::error::ParseError;
use crate::lex::word::{token, word, Ctx, Mode, PErr, PResult};
use crate::lex::{is_sep, skip_sep};

/// What a flag takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `--flag`, `--flag=true|false`.
    Bool,
    /// `--flag=<word>`, once.
    Str,
    /// `--flag=<word>`, repeatable.
    Strs,
}

fn is_flag_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// A checked flag's value.
#[derive(Debug)]
enum Value {
    Bool(bool),
    Str(Word),
    Strs(Vec<Word>),
}

/// Flags checked against an instruction's specification, taken out by name.
#[derive(Debug, Default)]
pub(crate) struct Flags {
    /// Name, value and the flag's range in the line (its span is only made for errors).
    entries: Vec<(&'static str, Value, (usize, usize))>,
}

impl Flags {
    /// Parses and checks the flags at the start of `input` against `specs` for instruction
    /// `instr`; also returns the rest of the input (separators skipped).
    pub(crate) fn parse<'t>(
        cx: &Ctx<'_, '_>,
        input: &'t str,
        instr: &str,
        specs: &[(&'static str, Kind)],
    ) -> Result<(&'t str, Flags), ParseError> {
        let mut flags = Flags::default();
        let mut i = skip_sep(input);
        while i.starts_with("--") {
            let (r, flag) = one(cx, i).map_err(|e| cx.nom_error(e))?;
            let at = (cx.off(i), cx.off(r));
            i = skip_sep(r);
            let Some((name, value)) = flag else {
                break;
            };
            flags.add(cx, instr, specs, name, value, at)?;
        }
        Ok((i, flags))
    }

    /// Checks and records one flag.
    fn add(
        &mut self,
        cx: &Ctx<'_, '_>,
        instr: &str,
        specs: &[(&'static str, Kind)],
        written: &str,
        value: Option<Word>,
        at: (usize, usize),
    ) -> Result<(), ParseError> {
        let span = || cx.span_of(at.0, at.1);
        let Some(&(name, kind)) = specs.iter().find(|(n, _)| *n == written) else {
            return Err(unknown(cx, instr, specs, written, span()));
        };
        let error = |message: String, expected: &str| {
            cx.src.error_at(span(), message, Some(expected.to_string()))
        };
        let existing = self.entries.iter_mut().find(|(n, _, _)| *n == name);
        match (kind, value) {
            (Kind::Strs, Some(w)) => match existing {
                Some((_, Value::Strs(v), _)) => v.push(w),
                _ => self.entries.push((name, Value::Strs(vec![w]), at)),
            },
            _ if existing.is_some() => {
                return Err(error(
                    format!("duplicate flag `--{name}`"),
                    "each flag of this kind at most once",
                ))
            }
            (Kind::Str, Some(w)) => self.entries.push((name, Value::Str(w), at)),
            (Kind::Str | Kind::Strs, None) => {
                return Err(error(
                    format!("flag `--{name}` needs a value"),
                    &format!("`--{name}=<value>`"),
                ))
            }
            (Kind::Bool, None) => self.entries.push((name, Value::Bool(true), at)),
            (Kind::Bool, Some(w)) => {
                let text = w.as_literal().map(|s| s.to_ascii_lowercase());
                let b = match text.as_deref() {
                    Some("true") => true,
                    Some("false") => false,
                    Some("") => {
                        return Err(error(
                            format!("flag `--{name}=` is missing its value"),
                            &format!("`--{name}`, `--{name}=true` or `--{name}=false`"),
                        ))
                    }
                    _ => {
                        return Err(error(
                            format!("flag `--{name}` takes a boolean"),
                            "`true` or `false`",
                        ))
                    }
                };
                self.entries.push((name, Value::Bool(b), at));
            }
        }
        Ok(())
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        let i = self.entries.iter().position(|(n, _, _)| *n == name)?;
        Some(self.entries.remove(i).1)
    }

    /// A boolean flag.
    pub(crate) fn bool(&mut self, name: &str) -> Option<bool> {
        match self.take(name)? {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// A string flag.
    pub(crate) fn word(&mut self, name: &str) -> Option<Word> {
        match self.take(name)? {
            Value::Str(w) => Some(w),
            _ => None,
        }
    }

    /// A repeatable flag, every value in order.
    pub(crate) fn words(&mut self, name: &str) -> Vec<Word> {
        match self.take(name) {
            Some(Value::Strs(v)) => v,
            _ => Vec::new(),
        }
    }

    /// Where a flag (its first occurrence) is, while not taken yet.
    pub(crate) fn span(&self, cx: &Ctx<'_, '_>, name: &str) -> Option<Span> {
        self.entries
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|&(_, _, (a, b))| cx.span_of(a, b))
    }
}

/// One flag at the start of `i` (which starts with `--`): its name and value, or `None` for a
/// lone `--`, which ends the flags.
fn one<'t>(cx: &Ctx<'_, '_>, i: &'t str) -> PResult<'t, Option<(&'t str, Option<Word>)>> {
    let (r, name) = preceded(tag("--"), take_while(is_flag_char)).parse(i)?;
    if name.is_empty() {
        if r.is_empty() || r.starts_with(is_sep) {
            return Ok((r, None));
        }
        return PErr::at(i, token(i).len(), "expected a flag name after `--`")
            .expected("`--<name>` or `--<name>=<value>`")
            .fail();
    }
    let (r, value) = match r.strip_prefix('=') {
        Some(v) => {
            let (r, w) = word(cx, Mode::ARG, 0, v)?;
            (r, Some(w))
        }
        None => (r, None),
    };
    if !(r.is_empty() || r.starts_with(is_sep)) {
        return PErr::at(
            r,
            token(r).len(),
            format!("unexpected character after flag `--{name}`"),
        )
        .expected("`=` or a space")
        .fail();
    }
    Ok((r, Some((name, value))))
}

/// The error for an unknown flag.
fn unknown(
    cx: &Ctx<'_, '_>,
    instr: &str,
    specs: &[(&'static str, Kind)],
    name: &str,
    span: Span,
) -> ParseError {
    if specs.is_empty() {
        let mut e = cx.src.error_at(
            span,
            format!("unknown flag `--{name}`: `{instr}` takes no flags"),
            Some(format!("the arguments of `{instr}`")),
        );
        if instr == "CMD" {
            e.help = Some(format!(
                "to pass `--{name}` to the program, use the exec form: CMD [\"--{name}\", …]"
            ));
        }
        return e;
    }
    let names: Vec<String> = specs.iter().map(|(n, _)| format!("`--{n}`")).collect();
    let mut e = cx.src.error_at(
        span,
        format!("unknown flag `--{name}` for `{instr}`"),
        Some(format!("one of {}", names.join(", "))),
    );
    e.suggestion = suggest(name, specs.iter().map(|(n, _)| *n)).map(|s| format!("--{s}"));
    e
}

/// The candidate closest to `input` (case-insensitive optimal string alignment distance),
/// when it is close enough to be a likely misspelling.
pub(crate) fn suggest<'c>(
    input: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let a: Vec<char> = input.chars().map(|c| c.to_ascii_lowercase()).collect();
    if a.is_empty() || a.len() > 64 {
        return None;
    }
    let limit = (a.len() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for cand in candidates {
        let b: Vec<char> = cand.chars().map(|c| c.to_ascii_lowercase()).collect();
        let d = distance(&a, &b);
        if d <= limit && d < b.len() && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c)
}

/// Optimal string alignment distance (Levenshtein with adjacent transpositions).
fn distance(a: &[char], b: &[char]) -> usize {
    let w = b.len() + 1;
    let mut prev2 = vec![0usize; w];
    let mut prev: Vec<usize> = (0..w).collect();
    let mut cur = vec![0usize; w];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..w {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let names = crate::INSTRUCTIONS.iter().copied();
        assert_eq!(suggest("QUANTISE", names.clone()), Some("QUANTIZE"));
        assert_eq!(suggest("form", names.clone()), Some("FROM"));
        assert_eq!(suggest("LABLE", names.clone()), Some("LABEL"));
        assert_eq!(suggest("COPPY", names.clone()), Some("COPY"));
        assert_eq!(suggest("RUN", names.clone()), None);
        assert_eq!(suggest("ENTRYPOINT", names.clone()), None);
        assert_eq!(suggest("", names), None);
        assert_eq!(suggest("exlude", ["from", "exclude"]), Some("exclude"));
    }

    #[test]
    fn distances() {
        let d = |a: &str, b: &str| {
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            distance(&a, &b)
        };
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("ab", "ba"), 1);
        assert_eq!(d("", "abc"), 3);
        assert_eq!(d("abc", ""), 3);
    }
}
