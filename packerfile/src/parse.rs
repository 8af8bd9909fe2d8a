//! The instruction layer: logical lines from [`crate::lex`] to the typed AST.
//!
//! Each logical line starts with an instruction name (case-insensitive), then its flags
//! ([`flags`]), then its arguments. `ARG`s before the first `FROM` are the global args; any
//! other instruction before it is an error. `CAT`, and `ADD` / `COPY` with heredoc sources, read
//! their heredoc bodies from the lines after them, in the order of the markers.

// A `ParseError` is made at most once per parse, on the way out: its size costs nothing, and
// the public signature `Result<_, ParseError>` is the crate's contract.
#![allow(clippy::result_large_err)]

mod flags;

use crate::ast::{
    Add, Arg, ArgDecl, Cat, Cmd, Convert, ConvertClass, Copy, Heredoc, Instruction,
    InstructionKind, Label, Packerfile, Quantize, Source as AstSource, Span, Stage, Word, WordPart,
};
use crate::error::ParseError;
use crate::lex::json::{self, JsonString};
use crate::lex::word::{self, heredoc_marker, token, Ctx, HeredocMarker, Mode};
use crate::lex::{skip_sep, Lexer, LogicalLine, Source};
use crate::INSTRUCTIONS;
use flags::{Flags, Kind};

/// The file name [`parse`] puts in its errors.
const DEFAULT_FILE_NAME: &str = "GGUFPackerfile";

/// Dockerfile instructions that the GGUFPackerfile language does not have.
const DOCKERFILE_ONLY: &[&str] = &[
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "HEALTHCHECK",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// Parses a GGUFPackerfile. Errors name the file `GGUFPackerfile`; see [`parse_named`].
///
/// ```
/// let pf = ggufpack_packerfile::parse("FROM scratch AS base\nCMD [\"-m\", \"model.gguf\"]\n")?;
/// assert_eq!(pf.stages.len(), 1);
/// assert_eq!(pf.stages[0].instructions.len(), 1);
/// # Ok::<(), ggufpack_packerfile::ParseError>(())
/// ```
pub fn parse(src: &str) -> Result<Packerfile, ParseError> {
    parse_named(DEFAULT_FILE_NAME, src)
}

/// Parses a GGUFPackerfile whose errors name it `file`.
///
/// ```
/// let err = ggufpack_packerfile::parse_named("Packerfile", "FROM a\nQUANTISE a b\n").unwrap_err();
/// assert_eq!((err.file.as_str(), err.line, err.column), ("Packerfile", 2, 1));
/// assert_eq!(err.suggestion.as_deref(), Some("QUANTIZE"));
/// ```
pub fn parse_named(file: &str, src: &str) -> Result<Packerfile, ParseError> {
    let source = Source::new(file, src);
    let mut lexer = Lexer::new(&source);
    let mut out = Packerfile::default();
    // The current stage's instructions are gathered in one reused buffer and moved into the
    // stage, at its exact size, when it ends.
    let mut body: Vec<Instruction> = Vec::new();
    while let Some(line) = lexer.next_line()? {
        let instr = instruction(&source, &mut lexer, &line, !out.stages.is_empty())?;
        match instr.kind {
            InstructionKind::From(from) => {
                end_stage(&mut out, &mut body);
                out.stages.push(Stage {
                    from,
                    span: instr.span,
                    instructions: Vec::new(),
                });
            }
            _ if out.stages.is_empty() => out.global_args.push(instr),
            _ => body.push(instr),
        }
    }
    end_stage(&mut out, &mut body);
    out.directives = std::mem::take(&mut lexer.directives);
    Ok(out)
}

/// Moves the gathered instructions into the last stage.
fn end_stage(out: &mut Packerfile, body: &mut Vec<Instruction>) {
    if let Some(stage) = out.stages.last_mut() {
        // Not `mem::take`: the stage gets exactly its size, the buffer stays for the next one.
        let mut instructions = Vec::with_capacity(body.len());
        instructions.append(body);
        stage.instructions = instructions;
    }
}

/// The instruction names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keyword {
    Add,
    Arg,
    Cat,
    Cmd,
    Convert,
    Copy,
    From,
    Label,
    Quantize,
}

impl Keyword {
    const ALL: [(&'static str, Keyword); 9] = [
        ("ADD", Keyword::Add),
        ("ARG", Keyword::Arg),
        ("CAT", Keyword::Cat),
        ("CMD", Keyword::Cmd),
        ("CONVERT", Keyword::Convert),
        ("COPY", Keyword::Copy),
        ("FROM", Keyword::From),
        ("LABEL", Keyword::Label),
        ("QUANTIZE", Keyword::Quantize),
    ];

    /// The keyword named `s` (any case) and its upper-case name.
    fn find(s: &str) -> Option<(&'static str, Keyword)> {
        Self::ALL
            .iter()
            .copied()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
    }
}

/// What every instruction parser gets.
struct Line<'c, 'a> {
    cx: Ctx<'c, 'a>,
    /// Upper-case instruction name.
    name: &'c str,
    /// The arguments after the flags.
    args: &'c str,
}

impl Line<'_, '_> {
    fn error(
        &self,
        span: Span,
        message: impl Into<String>,
        expected: impl Into<String>,
    ) -> ParseError {
        self.cx.src.error_at(span, message, Some(expected.into()))
    }

    /// An empty span at the end of the line.
    fn end(&self) -> Span {
        let n = self.cx.text.len();
        self.cx.span_of(n, n)
    }

    /// The next whitespace-separated shell word of `*rest`, advancing it.
    fn next_word(&self, rest: &mut &str) -> Result<Option<Word>, ParseError> {
        let i = skip_sep(rest);
        if i.is_empty() {
            *rest = i;
            return Ok(None);
        }
        let (r, w) = self.word(Mode::ARG, i)?;
        if r.len() == i.len() {
            *rest = "";
            return Ok(None);
        }
        *rest = r;
        Ok(Some(w))
    }

    fn word<'t>(&self, mode: Mode, input: &'t str) -> Result<(&'t str, Word), ParseError> {
        word::word(&self.cx, mode, 0, input).map_err(|e| self.cx.nom_error(e))
    }

    /// The word of one decoded JSON string, spanning the string token.
    fn json_word(&self, s: &JsonString<'_>, mode: Mode) -> Result<Word, ParseError> {
        let jcx = Ctx {
            src: self.cx.src,
            text: &s.value,
            map: &s.map,
            outer: Some(self.cx.map),
            escape: self.cx.escape,
        };
        let (_, mut w) = word::word(&jcx, mode, 0, &s.value).map_err(|e| jcx.nom_error(e))?;
        w.span = self.cx.span_of(s.start, s.end);
        Ok(w)
    }
}

/// Parses one logical line (and the heredoc bodies of `CAT`, `ADD` and `COPY`).
fn instruction(
    src: &Source<'_>,
    lexer: &mut Lexer<'_, '_>,
    line: &LogicalLine<'_>,
    in_stage: bool,
) -> Result<Instruction, ParseError> {
    let mut span = src.span(line.start, line.end);
    let cx = Ctx {
        src,
        text: &line.text,
        map: &line.map,
        outer: None,
        escape: lexer.escape,
    };
    let text: &str = &line.text;
    let start = skip_sep(text);
    let kw = token(start);
    let after_kw = start.get(kw.len()..).unwrap_or("");
    let kw_span = || cx.span(start, after_kw);
    let Some((upper, keyword)) = Keyword::find(kw) else {
        return Err(unknown_instruction(src, kw_span(), kw));
    };
    if !in_stage && !matches!(keyword, Keyword::From | Keyword::Arg) {
        let mut e = src.error_at(
            kw_span(),
            format!("`{upper}` before the first `FROM`"),
            Some("`FROM` (only `ARG` may come before the first `FROM`)".into()),
        );
        e.help = Some("start the stage with `FROM <image>` (or `FROM scratch`)".into());
        return Err(e);
    }
    use Kind::{Bool, Str, Strs};
    let specs: &[(&'static str, Kind)] = match keyword {
        Keyword::From => &[("platform", Str)],
        Keyword::Arg | Keyword::Label | Keyword::Cat | Keyword::Cmd => &[],
        Keyword::Add => &[
            ("keep-git-dir", Bool),
            ("checksum", Str),
            ("chown", Str),
            ("chmod", Str),
            ("link", Bool),
            ("exclude", Strs),
        ],
        Keyword::Copy => &[
            ("from", Str),
            ("parents", Bool),
            ("chown", Str),
            ("chmod", Str),
            ("link", Bool),
            ("exclude", Strs),
        ],
        Keyword::Convert => &[("from", Str), ("class", Str), ("base", Str), ("type", Str)],
        Keyword::Quantize => &[
            ("from", Str),
            ("type", Str),
            ("pure", Bool),
            ("imatrix", Str),
            ("include-weights", Strs),
            ("exclude-weights", Strs),
            ("leave-output-tensor", Bool),
            ("output-tensor-type", Str),
            ("token-embedding-type", Str),
        ],
    };
    let (args, mut f) = Flags::parse(&cx, after_kw, upper, specs)?;
    let l = Line {
        cx,
        name: upper,
        args,
    };
    let kind = match keyword {
        Keyword::From => InstructionKind::From(from(&l, f)?),
        Keyword::Arg => InstructionKind::Arg(arg(&l)?),
        Keyword::Label => InstructionKind::Label(label(&l)?),
        Keyword::Add => {
            let (sources, dest, end) = sources_and_dest(&l, lexer)?;
            if let Some(end) = end {
                span = src.span(line.start, end);
            }
            InstructionKind::Add(Add {
                keep_git_dir: f.bool("keep-git-dir"),
                checksum: f.word("checksum"),
                chown: f.word("chown"),
                chmod: f.word("chmod"),
                link: f.bool("link"),
                exclude: f.words("exclude"),
                sources,
                dest,
            })
        }
        Keyword::Copy => {
            let (sources, dest, end) = sources_and_dest(&l, lexer)?;
            if let Some(end) = end {
                span = src.span(line.start, end);
            }
            InstructionKind::Copy(Copy {
                from: f.word("from"),
                parents: f.bool("parents"),
                chown: f.word("chown"),
                chmod: f.word("chmod"),
                link: f.bool("link"),
                exclude: f.words("exclude"),
                sources,
                dest,
            })
        }
        Keyword::Cat => {
            let (cat, end) = cat(&l, lexer)?;
            span = src.span(line.start, end);
            InstructionKind::Cat(cat)
        }
        Keyword::Cmd => InstructionKind::Cmd(cmd(&l)?),
        Keyword::Convert => InstructionKind::Convert(convert(&l, f)?),
        Keyword::Quantize => InstructionKind::Quantize(quantize(&l, f)?),
    };
    Ok(Instruction { kind, span })
}

fn unknown_instruction(src: &Source<'_>, span: Span, kw: &str) -> ParseError {
    let upper = kw.to_ascii_uppercase();
    let upper = upper.as_str();
    let mut e = src.error_at(
        span,
        format!("unknown instruction `{kw}`"),
        Some(format!(
            "an instruction: one of {}",
            INSTRUCTIONS.join(", ")
        )),
    );
    e.suggestion = flags::suggest(upper, INSTRUCTIONS.iter().copied()).map(str::to_string);
    if DOCKERFILE_ONLY.contains(&upper) {
        e.help = Some(format!(
            "`{upper}` is a Dockerfile instruction that GGUFPackerfiles do not support"
        ));
    }
    e
}

/// `FROM [--platform=<p>] <image> [AS <name>]`.
fn from(l: &Line<'_, '_>, mut f: Flags) -> Result<crate::ast::From, ParseError> {
    let usage = "`FROM [--platform=<platform>] <image> [AS <name>]`";
    let mut rest = l.args;
    let image = l.next_word(&mut rest)?;
    let as_kw = l.next_word(&mut rest)?;
    let alias = l.next_word(&mut rest)?;
    let is_as = |w: &Word| w.as_literal().is_some_and(|s| s.eq_ignore_ascii_case("as"));
    let Some(image) = image else {
        return Err(l.error(l.end(), "`FROM` needs an image", usage));
    };
    match (&as_kw, &alias) {
        (None, _) => {}
        (Some(a), None) if is_as(a) => {
            return Err(l.error(l.end(), "missing stage name after `AS`", "a stage name"));
        }
        (Some(a), _) if !is_as(a) => {
            return Err(l.error(
                a.span,
                "unexpected argument after the image",
                "`AS <name>` or the end of the line",
            ));
        }
        _ => {}
    }
    if let Some(extra) = l.next_word(&mut rest)? {
        return Err(l.error(
            extra.span,
            "unexpected argument after the stage name",
            "the end of the line",
        ));
    }
    Ok(crate::ast::From {
        platform: f.word("platform"),
        image,
        alias,
    })
}

/// `ARG <name>[=<default>] …`.
fn arg(l: &Line<'_, '_>) -> Result<Arg, ParseError> {
    let mut args = Vec::new();
    let mut i = skip_sep(l.args);
    while !i.is_empty() {
        let start = i;
        let named = word::name(i).ok().filter(|(r, _)| {
            r.is_empty() || r.starts_with('=') || r.starts_with(crate::lex::is_sep)
        });
        let Some((r, name)) = named else {
            let t = token(start);
            return Err(l.error(
                l.cx.span(start, &start[t.len()..]),
                format!("invalid ARG name `{t}`"),
                "`<name>` or `<name>=<default>`, a name of letters, digits and `_` not starting with a digit",
            ));
        };
        let (r, default) = match r.strip_prefix('=') {
            Some(v) => {
                let (r, w) = l.word(Mode::ARG, v)?;
                (r, Some(w))
            }
            None => (r, None),
        };
        args.push(ArgDecl {
            name: name.to_string(),
            default,
            span: l.cx.span(start, r),
        });
        i = skip_sep(r);
    }
    if args.is_empty() {
        return Err(l.error(
            l.end(),
            "`ARG` needs at least one variable",
            "`ARG <name>[=<default>]`",
        ));
    }
    Ok(Arg { args })
}

/// `LABEL <key>=<value> …` (or the old `LABEL <key> <value>`).
fn label(l: &Line<'_, '_>) -> Result<Label, ParseError> {
    let mut pairs = Vec::new();
    let mut i = skip_sep(l.args);
    if i.is_empty() {
        return Err(l.error(
            l.end(),
            "`LABEL` needs at least one label",
            "`<key>=<value>`",
        ));
    }
    let mut first = true;
    while !i.is_empty() {
        let (r, key) = l.word(Mode::KEY, i)?;
        let Some(v) = r.strip_prefix('=') else {
            if first {
                // The old form: the key, then the rest of the line as the value.
                let rest = skip_sep(r);
                if rest.is_empty() {
                    return Err(l.error(
                        l.end(),
                        "label without a value",
                        "`=<value>` after the key",
                    ));
                }
                let (_, value) = l.word(Mode::REST, rest)?;
                check_key(l, &key)?;
                pairs.push((key, value));
                break;
            }
            return Err(l.error(
                l.cx.span(r, r),
                "expected `=` after the label key",
                "`<key>=<value>`",
            ));
        };
        check_key(l, &key)?;
        let (r, value) = l.word(Mode::ARG, v)?;
        pairs.push((key, value));
        first = false;
        i = skip_sep(r);
    }
    Ok(Label { pairs })
}

fn check_key(l: &Line<'_, '_>, key: &Word) -> Result<(), ParseError> {
    if key.parts.is_empty() {
        return Err(l.error(key.span, "empty label key", "a key before `=`"));
    }
    Ok(())
}

/// The sources and destination of `ADD` and `COPY`: shell words and heredocs (whose bodies
/// follow the line, in order), or a JSON array of strings. Also returns the source offset where
/// the last heredoc body ends, when there are heredocs.
fn sources_and_dest(
    l: &Line<'_, '_>,
    lexer: &mut Lexer<'_, '_>,
) -> Result<(Vec<AstSource>, Word, Option<usize>), ParseError> {
    let usage = format!("`{} <src>… <dest>`", l.name);
    let mut items: Vec<Result<Word, HeredocMarker>> = Vec::new();
    let parsed = l
        .args
        .starts_with('[')
        .then(|| json::string_array(l.cx.text, l.args).ok())
        .flatten();
    if let Some((_, strings)) = parsed {
        for s in &strings {
            items.push(Ok(l.json_word(s, Mode::REST)?));
        }
    } else {
        let mut i = skip_sep(l.args);
        while !i.is_empty() {
            let (rest, marker) = heredoc_marker(&l.cx, i).map_err(|e| l.cx.nom_error(e))?;
            if let Some(m) = marker {
                items.push(Err(m));
                i = skip_sep(rest);
                continue;
            }
            let (rest, w) = l.word(Mode::ARG, i)?;
            if rest.len() == i.len() {
                break;
            }
            items.push(Ok(w));
            i = skip_sep(rest);
        }
    }
    let dest = match items.pop() {
        Some(Ok(dest)) if !items.is_empty() => dest,
        Some(Err(m)) => {
            return Err(l.error(
                m.span,
                format!("`{}` needs a destination after the heredoc", l.name),
                usage,
            ));
        }
        _ => {
            return Err(l.error(
                l.end(),
                format!("`{}` needs at least one source and a destination", l.name),
                usage,
            ));
        }
    };
    let mut sources = Vec::with_capacity(items.len());
    let mut end = None;
    for item in items {
        sources.push(match item {
            Ok(w) => AstSource::Path(w),
            Err(m) => {
                let (h, e) = heredoc(l, lexer, m)?;
                end = Some(e);
                AstSource::Heredoc(h)
            }
        });
    }
    Ok((sources, dest, end))
}

/// `CAT <<DELIM <dest>` and its body; also returns the source offset where the body ends.
fn cat(l: &Line<'_, '_>, lexer: &mut Lexer<'_, '_>) -> Result<(Cat, usize), ParseError> {
    let usage = "`CAT <<EOF <dest>`";
    let mut markers: Vec<HeredocMarker> = Vec::new();
    let mut dests: Vec<Word> = Vec::new();
    let mut i = skip_sep(l.args);
    while !i.is_empty() {
        let (rest, marker) = heredoc_marker(&l.cx, i).map_err(|e| l.cx.nom_error(e))?;
        let rest = match marker {
            Some(m) => {
                if let Some(d) = dests.first() {
                    return Err(l.error(
                        d.span,
                        "the destination must come after the heredoc",
                        usage,
                    ));
                }
                if markers.len() == 1 {
                    return Err(l.error(m.span, "`CAT` takes exactly one heredoc", usage));
                }
                markers.push(m);
                rest
            }
            None => {
                let (rest, w) = l.word(Mode::ARG, i)?;
                if rest.len() == i.len() {
                    break;
                }
                dests.push(w);
                rest
            }
        };
        i = skip_sep(rest);
    }
    let Some(marker) = markers.pop() else {
        let at = dests.first().map_or_else(|| l.end(), |d| d.span);
        return Err(l.error(at, "`CAT` needs a heredoc with the content to write", usage));
    };
    let mut dests = dests.into_iter();
    let Some(dest) = dests.next() else {
        return Err(l.error(
            l.end(),
            "`CAT` needs a destination after the heredoc",
            usage,
        ));
    };
    if let Some(extra) = dests.next() {
        return Err(l.error(
            extra.span,
            "`CAT` takes a single destination",
            "the end of the line",
        ));
    }
    let (heredoc, end) = heredoc(l, lexer, marker)?;
    Ok((Cat { heredoc, dest }, end))
}

/// Reads the body of the heredoc `marker` from the lines after the instruction (after the
/// bodies read before it); also returns the source offset where the body ends.
fn heredoc(
    l: &Line<'_, '_>,
    lexer: &mut Lexer<'_, '_>,
    marker: HeredocMarker,
) -> Result<(Heredoc, usize), ParseError> {
    let Some(body) = lexer.read_heredoc(&marker.delimiter, marker.strip_tabs) else {
        let mut e = l.error(
            marker.span,
            format!(
                "unterminated heredoc: the file ends before the line `{}` that closes it",
                marker.delimiter
            ),
            format!("a line `{}` after the heredoc body", marker.delimiter),
        );
        e.help = Some(format!("add a line containing only `{}`", marker.delimiter));
        return Err(e);
    };
    let bcx = Ctx {
        src: l.cx.src,
        text: &body.text,
        map: &body.map,
        outer: None,
        escape: l.cx.escape,
    };
    let plain = marker.quoted
        || memchr::memchr2(
            b'$',
            u8::try_from(l.cx.escape).unwrap_or(b'\\'),
            body.text.as_bytes(),
        )
        .is_none();
    let text = if plain {
        // All literal: the body moves into the word as it is.
        let span = bcx.span_of(0, body.text.len());
        Word {
            parts: if body.text.is_empty() {
                Vec::new()
            } else {
                vec![WordPart::Literal(body.text)]
            },
            span,
        }
    } else {
        word::word(&bcx, Mode::RAW, 0, &body.text)
            .map_err(|e| bcx.nom_error(e))?
            .1
    };
    Ok((
        Heredoc {
            delimiter: marker.delimiter,
            strip_tabs: marker.strip_tabs,
            quoted: marker.quoted,
            body: text,
        },
        body.end,
    ))
}

/// `CMD ["arg", …]` or `CMD <rest of line>`.
fn cmd(l: &Line<'_, '_>) -> Result<Cmd, ParseError> {
    let args = l.args;
    if args.is_empty() {
        return Err(l.error(l.end(), "`CMD` needs arguments", "`CMD [\"<arg>\", …]`"));
    }
    if args.starts_with('[') {
        let (_, strings) = json::string_array(l.cx.text, args).map_err(|e| l.cx.nom_error(e))?;
        let words = strings
            .iter()
            .map(|s| l.json_word(s, Mode::RAW))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Cmd::Exec(words));
    }
    let (_, w) = l.word(Mode::RAW, args)?;
    Ok(Cmd::Shell(w))
}

/// `<src> <dest>` of `CONVERT` and `QUANTIZE`.
fn src_dest(l: &Line<'_, '_>) -> Result<(Word, Word), ParseError> {
    let usage = format!("`{} <src> <dest>`", l.name);
    let mut rest = l.args;
    let (Some(src), Some(dest)) = (l.next_word(&mut rest)?, l.next_word(&mut rest)?) else {
        return Err(l.error(
            l.end(),
            format!("`{}` needs a source and a destination", l.name),
            usage,
        ));
    };
    if let Some(extra) = l.next_word(&mut rest)? {
        return Err(l.error(
            extra.span,
            format!("`{}` takes exactly one source and one destination", l.name),
            usage,
        ));
    }
    Ok((src, dest))
}

/// `CONVERT [--from] [--class=model|lora] [--base] [--type] <src> <dest>`.
fn convert(l: &Line<'_, '_>, mut f: Flags) -> Result<Convert, ParseError> {
    let class_span = f.span(&l.cx, "class");
    let class = match f.word("class") {
        None => None,
        Some(w) => match w.as_literal().map(|s| s.to_ascii_lowercase()).as_deref() {
            Some("model") => Some(ConvertClass::Model),
            Some("lora") => Some(ConvertClass::Lora),
            _ => {
                return Err(l.error(
                    class_span.unwrap_or(w.span),
                    "invalid `--class`",
                    "`--class=model` or `--class=lora`",
                ))
            }
        },
    };
    let base = f.word("base");
    if class == Some(ConvertClass::Lora) && base.is_none() {
        let mut e = l.error(
            class_span.unwrap_or_else(|| l.end()),
            "`--class=lora` needs the base model: `--base=<dir>`",
            "`--base=<dir>`",
        );
        e.help = Some("name the directory of the base model the adapter was trained on".into());
        return Err(e);
    }
    let (src, dest) = src_dest(l)?;
    Ok(Convert {
        from: f.word("from"),
        class,
        base,
        ty: f.word("type"),
        src,
        dest,
    })
}

/// `QUANTIZE [flags] <src> <dest>`.
fn quantize(l: &Line<'_, '_>, mut f: Flags) -> Result<Quantize, ParseError> {
    let inc = f.span(&l.cx, "include-weights");
    let exc = f.span(&l.cx, "exclude-weights");
    if let (Some(a), Some(b)) = (inc, exc) {
        let later = if a.offset > b.offset { a } else { b };
        return Err(l.error(
            later,
            "`--include-weights` and `--exclude-weights` can't be used together",
            "only one of them",
        ));
    }
    if f.span(&l.cx, "imatrix").is_none() {
        if let Some((name, at)) = inc
            .map(|s| ("include-weights", s))
            .or(exc.map(|s| ("exclude-weights", s)))
        {
            return Err(l.error(
                at,
                format!("`--{name}` needs an importance matrix: `--imatrix=<file>`"),
                "`--imatrix=<file>`",
            ));
        }
    }
    let (src, dest) = src_dest(l)?;
    Ok(Quantize {
        from: f.word("from"),
        ty: f.word("type"),
        pure: f.bool("pure"),
        imatrix: f.word("imatrix"),
        include_weights: f.words("include-weights"),
        exclude_weights: f.words("exclude-weights"),
        leave_output_tensor: f.bool("leave-output-tensor"),
        output_tensor_type: f.word("output-tensor-type"),
        token_embedding_type: f.word("token-embedding-type"),
        src,
        dest,
    })
}

#[cfg(test)]
mod tests;
