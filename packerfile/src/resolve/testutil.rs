//! Builders of hand-made ASTs for unit tests.

use crate::ast::*;

/// A word from shell-like source: `$NAME`, `${NAME}`, `${NAME:-w}`, `${NAME-w}`, `${NAME:+w}`,
/// `${NAME+w}` (nested), `\x` for a literal `x`; everything else literal.
pub(crate) fn w(src: &str) -> Word {
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    Word {
        parts: parts(&chars, &mut i, false),
        span: Span::default(),
    }
}

/// Path sources.
pub(crate) fn paths(words: Vec<Word>) -> Vec<Source> {
    words.into_iter().map(Source::Path).collect()
}

/// The words of path sources (panics on a heredoc source).
pub(crate) fn path_words(sources: &[Source]) -> Vec<Word> {
    sources
        .iter()
        .map(|s| s.as_path().expect("a path source").clone())
        .collect()
}

fn parts(c: &[char], i: &mut usize, nested: bool) -> Vec<WordPart> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let flush = |lit: &mut String, out: &mut Vec<WordPart>| {
        if !lit.is_empty() {
            out.push(WordPart::Literal(std::mem::take(lit)));
        }
    };
    while *i < c.len() {
        let ch = c[*i];
        if nested && ch == '}' {
            *i += 1;
            break;
        }
        if ch == '\\' && *i + 1 < c.len() {
            lit.push(c[*i + 1]);
            *i += 2;
            continue;
        }
        if ch == '$' {
            let braced = c.get(*i + 1) == Some(&'{');
            let mut j = *i + if braced { 2 } else { 1 };
            let start = j;
            while j < c.len() && (c[j].is_alphanumeric() || c[j] == '_') {
                j += 1;
            }
            let name: String = c[start..j].iter().collect();
            if name.is_empty() {
                lit.push('$');
                *i += 1;
                continue;
            }
            flush(&mut lit, &mut out);
            if !braced {
                *i = j;
                out.push(WordPart::Var(VarRef {
                    name,
                    braced: false,
                    op: None,
                }));
                continue;
            }
            let mut op = None;
            match c.get(j) {
                Some('}') => j += 1,
                Some(&m) => {
                    let colon = m == ':';
                    if colon {
                        j += 1;
                    }
                    let sym = c.get(j).copied().unwrap_or('-');
                    j += 1;
                    let word = Box::new(Word {
                        parts: parts(c, &mut j, true),
                        span: Span::default(),
                    });
                    op = Some(if sym == '+' {
                        VarOp::Alternative { colon, word }
                    } else {
                        VarOp::Default { colon, word }
                    });
                }
                None => {}
            }
            *i = j;
            out.push(WordPart::Var(VarRef {
                name,
                braced: true,
                op,
            }));
            continue;
        }
        lit.push(ch);
        *i += 1;
    }
    flush(&mut lit, &mut out);
    out
}

/// An instruction at line `line`.
pub(crate) fn at(line: u32, kind: InstructionKind) -> Instruction {
    Instruction {
        kind,
        span: Span {
            line,
            column: 1,
            offset: 0,
            len: 0,
        },
    }
}

/// An instruction with a default span.
pub(crate) fn ins(kind: InstructionKind) -> Instruction {
    at(0, kind)
}

/// `ARG a=… b …`.
pub(crate) fn arg(decls: &[(&str, Option<&str>)]) -> Instruction {
    ins(InstructionKind::Arg(Arg {
        args: decls
            .iter()
            .map(|(n, d)| ArgDecl {
                name: n.to_string(),
                default: d.map(w),
                span: Span::default(),
            })
            .collect(),
    }))
}

/// `FROM image [AS alias]`.
pub(crate) fn from(image: &str, alias: Option<&str>) -> From {
    From {
        platform: None,
        image: w(image),
        alias: alias.map(Word::literal),
    }
}

/// A stage.
pub(crate) fn stage(image: &str, alias: Option<&str>, instructions: Vec<Instruction>) -> Stage {
    Stage {
        from: from(image, alias),
        span: Span::default(),
        instructions,
    }
}

/// A file.
pub(crate) fn file(global_args: Vec<Instruction>, stages: Vec<Stage>) -> Packerfile {
    Packerfile {
        directives: Vec::new(),
        global_args,
        stages,
    }
}

/// `COPY [--from=…] src… dest`.
pub(crate) fn copy(from: Option<&str>, srcs: &[&str], dest: &str) -> Instruction {
    ins(InstructionKind::Copy(Copy {
        from: from.map(w),
        sources: srcs.iter().map(|s| Source::Path(w(s))).collect(),
        dest: w(dest),
        ..Copy::default()
    }))
}

/// `CAT <<EOF dest` with a body.
pub(crate) fn cat(quoted: bool, body: &str, dest: &str) -> Instruction {
    ins(InstructionKind::Cat(Cat {
        heredoc: Heredoc {
            delimiter: "EOF".into(),
            strip_tabs: false,
            quoted,
            body: if quoted { Word::literal(body) } else { w(body) },
        },
        dest: w(dest),
    }))
}

/// `CMD [...]`.
pub(crate) fn cmd_exec(args: &[&str]) -> Instruction {
    ins(InstructionKind::Cmd(Cmd::Exec(
        args.iter().map(|a| w(a)).collect(),
    )))
}
