//! Helpers shared by the integration tests: AST builders and parse wrappers.
#![allow(dead_code)]

use ggufpack_packerfile::*;

/// A literal word.
pub fn lit(s: &str) -> Word {
    Word::literal(s)
}

/// Path sources of `ADD` / `COPY`.
pub fn paths(words: Vec<Word>) -> Vec<Source> {
    words.into_iter().map(Source::Path).collect()
}

/// A heredoc source of `ADD` / `COPY`.
pub fn heredoc_src(delimiter: &str, strip_tabs: bool, quoted: bool, body: Word) -> Source {
    Source::Heredoc(Heredoc {
        delimiter: delimiter.into(),
        strip_tabs,
        quoted,
        body,
    })
}

/// A literal part.
pub fn l(s: &str) -> WordPart {
    WordPart::Literal(s.to_string())
}

/// `${NAME}`.
pub fn v(name: &str) -> WordPart {
    WordPart::Var(VarRef {
        name: name.to_string(),
        braced: true,
        op: None,
    })
}

/// `$NAME`.
pub fn uv(name: &str) -> WordPart {
    WordPart::Var(VarRef {
        name: name.to_string(),
        braced: false,
        op: None,
    })
}

/// `${NAME:-word}` (colon) or `${NAME-word}`.
pub fn v_default(name: &str, colon: bool, word: Word) -> WordPart {
    WordPart::Var(VarRef {
        name: name.to_string(),
        braced: true,
        op: Some(VarOp::Default {
            colon,
            word: Box::new(word),
        }),
    })
}

/// `${NAME:+word}` (colon) or `${NAME+word}`.
pub fn v_alt(name: &str, colon: bool, word: Word) -> WordPart {
    WordPart::Var(VarRef {
        name: name.to_string(),
        braced: true,
        op: Some(VarOp::Alternative {
            colon,
            word: Box::new(word),
        }),
    })
}

/// A word from parts.
pub fn w(parts: Vec<WordPart>) -> Word {
    Word {
        parts,
        span: Span::default(),
    }
}

/// An instruction without a span.
pub fn ins(kind: InstructionKind) -> Instruction {
    Instruction {
        kind,
        span: Span::default(),
    }
}

/// `ARG name[=default] …` as an instruction.
pub fn arg(decls: Vec<(&str, Option<Word>)>) -> Instruction {
    ins(InstructionKind::Arg(Arg {
        args: decls
            .into_iter()
            .map(|(name, default)| ArgDecl {
                name: name.to_string(),
                default,
                span: Span::default(),
            })
            .collect(),
    }))
}

/// `FROM image [AS alias]`.
pub fn from(image: Word, alias: Option<&str>) -> From {
    From {
        platform: None,
        image,
        alias: alias.map(lit),
    }
}

/// A stage.
pub fn stage(from: From, instructions: Vec<Instruction>) -> Stage {
    Stage {
        from,
        span: Span::default(),
        instructions,
    }
}

/// `FROM scratch` followed by the instructions.
pub fn scratch(instructions: Vec<Instruction>) -> Stage {
    stage(from(lit("scratch"), None), instructions)
}

/// A file of one `FROM scratch` stage with the instructions.
pub fn one_stage(instructions: Vec<Instruction>) -> Packerfile {
    Packerfile {
        directives: Vec::new(),
        global_args: Vec::new(),
        stages: vec![scratch(instructions)],
    }
}

/// A directive without a span.
pub fn directive(name: &str, value: &str) -> Directive {
    Directive {
        name: name.to_string(),
        value: value.to_string(),
        span: Span::default(),
    }
}

/// `LABEL k=v …`.
pub fn label(pairs: Vec<(Word, Word)>) -> Instruction {
    ins(InstructionKind::Label(Label { pairs }))
}

/// `CMD [...]`.
pub fn cmd_exec(args: Vec<Word>) -> Instruction {
    ins(InstructionKind::Cmd(Cmd::Exec(args)))
}

/// `CAT <<delim dest`.
pub fn cat(delimiter: &str, strip_tabs: bool, quoted: bool, body: Word, dest: Word) -> Instruction {
    ins(InstructionKind::Cat(Cat {
        heredoc: Heredoc {
            delimiter: delimiter.to_string(),
            strip_tabs,
            quoted,
            body,
        },
        dest,
    }))
}

/// Parses, panicking with the rendered error on failure.
#[track_caller]
pub fn parse_ok(src: &str) -> Packerfile {
    match parse(src) {
        Ok(pf) => pf,
        Err(e) => panic!("expected {src:?} to parse, got error:\n{e}"),
    }
}

/// Parses, expecting an error; returns its rendering.
#[track_caller]
pub fn parse_err(src: &str) -> String {
    match parse(src) {
        Ok(pf) => panic!("expected {src:?} to be rejected, but it parsed as {pf:#?}"),
        Err(e) => e.to_string(),
    }
}

/// Prints the file and parses the print back, expecting the same AST; returns the print.
#[track_caller]
pub fn assert_roundtrip(pf: &Packerfile) -> String {
    let printed = pf.to_string();
    match parse(&printed) {
        Ok(back) => assert_eq!(
            &back, pf,
            "print/parse round trip changed the AST; print:\n{printed}"
        ),
        Err(e) => panic!("the canonical print does not parse:\n{printed}\nerror:\n{e}"),
    }
    printed
}

/// The source text a span covers.
pub fn spanned<'a>(src: &'a str, span: &Span) -> &'a str {
    &src[span.offset..span.offset + span.len]
}

/// 1-based (line, column in characters) of the first occurrence of `needle` at or after `from`.
pub fn pos_of(src: &str, needle: &str, from: usize) -> (u32, u32) {
    let at = from + src[from..].find(needle).expect("needle in source");
    let before = &src[..at];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = src[line_start..at].chars().count() as u32 + 1;
    (line, column)
}

/// Compares two files part by part (directives, global args, each stage's FROM and each
/// instruction), so that a failure names the first node that differs, then as a whole.
#[track_caller]
pub fn assert_file(got: &Packerfile, want: &Packerfile) {
    assert_eq!(got.directives, want.directives, "directives");
    assert_eq!(
        got.global_args.len(),
        want.global_args.len(),
        "number of global ARGs: got {:#?}",
        got.global_args
    );
    for (i, (g, e)) in got.global_args.iter().zip(&want.global_args).enumerate() {
        assert_eq!(g, e, "global ARG #{i}");
    }
    assert_eq!(
        got.stages.len(),
        want.stages.len(),
        "number of stages: got {:#?}",
        got.stages
    );
    for (s, (g, e)) in got.stages.iter().zip(&want.stages).enumerate() {
        assert_eq!(g.from, e.from, "FROM of stage #{s}");
        assert_eq!(
            g.instructions.len(),
            e.instructions.len(),
            "number of instructions in stage #{s}: got {:#?}",
            g.instructions
        );
        for (i, (gi, ei)) in g.instructions.iter().zip(&e.instructions).enumerate() {
            assert_eq!(gi, ei, "instruction #{i} of stage #{s}");
        }
    }
    assert_eq!(got, want);
}

/// Parses `src`, checks it against `want` node by node, and checks the print round trip.
#[track_caller]
pub fn check(src: &str, want: &Packerfile) -> Packerfile {
    let got = parse_ok(src);
    assert_file(&got, want);
    assert_roundtrip(&got);
    got
}

/// Build args from pairs.
pub fn build_args(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Parses and resolves, panicking with the error on failure.
#[track_caller]
pub fn resolve_ok(src: &str, args: &[(&str, &str)]) -> Resolved {
    let pf = parse_ok(src);
    match pf.resolve(&build_args(args)) {
        Ok(r) => r,
        Err(e) => panic!("expected {src:?} to resolve, got error: {e}"),
    }
}

/// Parses (which must succeed) and resolves, expecting an error.
#[track_caller]
pub fn resolve_err(src: &str, args: &[(&str, &str)]) -> ResolveError {
    let pf = parse_ok(src);
    match pf.resolve(&build_args(args)) {
        Ok(r) => panic!("expected {src:?} not to resolve, got {r:#?}"),
        Err(e) => e,
    }
}

/// Expects `src` to be rejected, by the parser or else by resolution (with no build args);
/// returns the rendered error. For rules that need no variable values (flag combinations),
/// which either stage may enforce.
#[track_caller]
pub fn rejected(src: &str) -> String {
    match parse(src) {
        Err(e) => e.to_string(),
        Ok(pf) => match pf.resolve(&Default::default()) {
            Err(e) => e.to_string(),
            Ok(r) => panic!("expected {src:?} to be rejected by parse or resolve, got {r:#?}"),
        },
    }
}
