//! Property tests: the canonical print of any AST parses back to the same AST, and any input
//! text gives `Ok` or `Err`, never a panic (and, when it parses, its print round-trips).
//!
//! The generated ASTs stay in the domain the parser can produce: no empty literal parts,
//! adjacent literals merged, variable names `[A-Za-z_][A-Za-z0-9_]*`, an unbraced `$V` never
//! followed by a name character, option combinations the language accepts (`--base` with
//! `--class=lora`, `--imatrix` with weight lists, checksums only for URLs), type names from the
//! known lists. Within that domain words carry every awkward character: quotes, spaces, tabs,
//! `$`, backslashes, backticks, braces, `#`, `=`, unicode and a leading `--`.

use std::collections::BTreeMap;

use ggufpack_packerfile::*;
use proptest::collection::vec as pvec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::Config;

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

/// Where a word goes: which characters it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// An argument or flag value: anything but line breaks.
    Arg,
    /// A `LABEL` key: an argument without `=`.
    Key,
    /// A string of `CMD`'s exec form: anything at all (JSON-escaped).
    Exec,
    /// An unquoted heredoc body line: anything but line breaks.
    Heredoc,
    /// `CMD`'s shell form: a tamer alphabet (the rest of the line, taken as it is).
    Shell,
}

const AWKWARD: &[&str] = &[
    "\"", "'", " ", "  ", "$", "\\", "#", "=", "{", "}", ":", "-", "--", "`", "\t", "é", "模",
    "🤖", "[", "]", ",", "*", "/", ".", "@", "!", "%", "&", "|", ";", "<", ">", "<<", "(", ")",
    "~", "\\$", "$$", "${", "\\\\", "\"'", "AS", "EOF",
];

const EXEC_EXTRA: &[&str] = &["\n", "\r", "\u{0}", "\u{7}", "\u{1b}", "\u{7f}", "\u{2028}"];

const SHELL_CHARS: &[&str] = &[" ", "  ", ".", "/", "=", ":", ",", "_", "-", "é", "#", "$"];

fn literal_text(ctx: Ctx) -> BoxedStrategy<String> {
    let plain = "[a-zA-Z0-9._/]{1,6}";
    let piece: BoxedStrategy<String> = match ctx {
        Ctx::Arg | Ctx::Heredoc => prop_oneof![
            3 => plain.prop_map(|s| s),
            2 => select(AWKWARD).prop_map(str::to_string),
        ]
        .boxed(),
        Ctx::Key => prop_oneof![
            3 => plain.prop_map(|s| s),
            2 => select(AWKWARD)
                .prop_filter("no = in keys", |s| !s.contains('='))
                .prop_map(str::to_string),
        ]
        .boxed(),
        Ctx::Exec => prop_oneof![
            3 => plain.prop_map(|s| s),
            2 => select(AWKWARD).prop_map(str::to_string),
            1 => select(EXEC_EXTRA).prop_map(str::to_string),
            1 => any::<char>().prop_map(String::from),
        ]
        .boxed(),
        Ctx::Shell => prop_oneof![
            3 => "[a-zA-Z0-9]{1,6}".prop_map(|s| s),
            2 => select(SHELL_CHARS).prop_map(str::to_string),
        ]
        .boxed(),
    };
    pvec(piece, 1..4).prop_map(|v| v.concat()).boxed()
}

fn var_name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_]{0,5}"
}

fn var_ref(ctx: Ctx, depth: u32) -> BoxedStrategy<VarRef> {
    let plain = (var_name(), any::<bool>()).prop_map(|(name, braced)| VarRef {
        name,
        braced,
        op: None,
    });
    if depth >= 1 {
        return plain.boxed();
    }
    let op = (any::<bool>(), any::<bool>(), word_in(ctx, true, depth + 1)).prop_map(
        |(default, colon, word)| {
            let word = Box::new(word);
            if default {
                VarOp::Default { colon, word }
            } else {
                VarOp::Alternative { colon, word }
            }
        },
    );
    prop_oneof![
        2 => plain,
        1 => (var_name(), op).prop_map(|(name, op)| VarRef {
            name,
            braced: true,
            op: Some(op),
        }),
    ]
    .boxed()
}

/// Puts parts into the parser's normal form: no empty literals, adjacent literals merged, and
/// an unbraced `$V` followed by a name character braced (it would read as a longer name).
fn normalize(parts: Vec<WordPart>) -> Word {
    let mut out: Vec<WordPart> = Vec::new();
    for part in parts {
        match part {
            WordPart::Literal(s) if s.is_empty() => {}
            WordPart::Literal(s) => {
                if let Some(WordPart::Literal(prev)) = out.last_mut() {
                    prev.push_str(&s);
                } else {
                    out.push(WordPart::Literal(s));
                }
            }
            var => out.push(var),
        }
    }
    for i in 0..out.len().saturating_sub(1) {
        let next_is_name_char = match &out[i + 1] {
            WordPart::Literal(s) => s
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_'),
            WordPart::Var(_) => false,
        };
        if let WordPart::Var(v) = &mut out[i] {
            if next_is_name_char {
                v.braced = true;
            }
        }
    }
    Word {
        parts: out,
        span: Span::default(),
    }
}

fn word_in(ctx: Ctx, allow_empty: bool, depth: u32) -> BoxedStrategy<Word> {
    let part = prop_oneof![
        3 => literal_text(ctx).prop_map(WordPart::Literal),
        1 => var_ref(ctx, depth).prop_map(WordPart::Var),
    ];
    let min = usize::from(!allow_empty);
    pvec(part, min..4).prop_map(normalize).boxed()
}

/// A non-empty argument word.
fn arg_word() -> BoxedStrategy<Word> {
    word_in(Ctx::Arg, false, 0)
}

/// A literal word drawn from a list, or a variable reference (with a default from the list).
fn listed_or_var(list: &'static [&'static str]) -> BoxedStrategy<Word> {
    prop_oneof![
        3 => select(list).prop_map(Word::literal),
        1 => (var_name(), select(list)).prop_map(|(name, d)| normalize(vec![WordPart::Var(VarRef {
            name,
            braced: true,
            op: Some(VarOp::Default {
                colon: true,
                word: Box::new(Word::literal(d)),
            }),
        })])),
        1 => var_name().prop_map(|name| normalize(vec![WordPart::Var(VarRef {
            name,
            braced: true,
            op: None,
        })])),
    ]
    .boxed()
}

const CONVERT_TYPES: &[&str] = &["F32", "F16", "BF16", "Q8_0", "TQ1_0", "TQ2_0", "AUTO"];
const QUANTIZE_TYPES: &[&str] = &[
    "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S",
    "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K", "IQ2_XXS", "F16", "BF16", "F32",
];
const TENSOR_TYPES: &[&str] = &["F32", "F16", "BF16", "Q8_0", "Q6_K", "Q4_K", "Q5_K"];

// ---------------------------------------------------------------------------------------------
// Instructions
// ---------------------------------------------------------------------------------------------

fn ins(kind: InstructionKind) -> Instruction {
    Instruction {
        kind,
        span: Span::default(),
    }
}

fn arg_instruction() -> BoxedStrategy<Instruction> {
    pvec(
        (var_name(), prop::option::of(word_in(Ctx::Arg, true, 0))),
        1..4,
    )
    .prop_map(|decls| {
        ins(InstructionKind::Arg(Arg {
            args: decls
                .into_iter()
                .map(|(name, default)| ArgDecl {
                    name,
                    default,
                    span: Span::default(),
                })
                .collect(),
        }))
    })
    .boxed()
}

fn label_instruction() -> BoxedStrategy<Instruction> {
    pvec(
        (word_in(Ctx::Key, false, 0), word_in(Ctx::Arg, true, 0)),
        1..4,
    )
    .prop_map(|pairs| ins(InstructionKind::Label(Label { pairs })))
    .boxed()
}

fn checksum_and_url() -> BoxedStrategy<(Word, Word)> {
    (
        select(&["sha256", "sha384", "sha512"][..]),
        "[0-9a-f]{64}",
        "[a-z0-9]{1,8}",
        arg_word(),
    )
        .prop_map(|(algo, hex, host, path)| {
            let mut parts = vec![WordPart::Literal(format!("https://{host}.example/"))];
            parts.extend(path.parts);
            (Word::literal(format!("{algo}:{hex}")), normalize(parts))
        })
        .boxed()
}

fn add_instruction() -> BoxedStrategy<Instruction> {
    let flags = (
        prop::option::of(any::<bool>()),
        prop::option::of(arg_word()),
        prop::option::of("[0-7]{3,4}".prop_map(Word::literal)),
        prop::option::of(any::<bool>()),
        pvec(arg_word(), 0..3),
    );
    let positional = prop_oneof![
        3 => (pvec(source(), 1..3), arg_word()).prop_map(|(s, d)| (None, s, d)),
        1 => (checksum_and_url(), arg_word())
            .prop_map(|((c, url), d)| (Some(c), vec![Source::Path(url)], d)),
    ];
    (flags, positional)
        .prop_map(
            |((keep_git_dir, chown, chmod, link, exclude), (checksum, sources, dest))| {
                ins(InstructionKind::Add(Add {
                    keep_git_dir,
                    checksum,
                    chown,
                    chmod,
                    link,
                    exclude,
                    sources,
                    dest,
                }))
            },
        )
        .boxed()
}

/// An `ADD` / `COPY` source: mostly paths, some heredocs (`<<EOF`, bodies after the line).
fn source() -> BoxedStrategy<Source> {
    prop_oneof![
        3 => arg_word().prop_map(Source::Path),
        1 => heredoc().prop_map(Source::Heredoc),
    ]
    .boxed()
}

fn copy_instruction() -> BoxedStrategy<Instruction> {
    (
        (
            prop::option::of(arg_word()),
            prop::option::of(any::<bool>()),
            prop::option::of(arg_word()),
            prop::option::of("[0-7]{3,4}".prop_map(Word::literal)),
            prop::option::of(any::<bool>()),
            pvec(arg_word(), 0..3),
        ),
        pvec(source(), 1..4),
        arg_word(),
    )
        .prop_map(
            |((from, parents, chown, chmod, link, exclude), sources, dest)| {
                ins(InstructionKind::Copy(Copy {
                    from,
                    parents,
                    chown,
                    chmod,
                    link,
                    exclude,
                    sources,
                    dest,
                }))
            },
        )
        .boxed()
}

fn heredoc() -> BoxedStrategy<Heredoc> {
    let delimiter = prop_oneof![
        3 => Just("EOF".to_string()),
        1 => "[A-Z_][A-Z0-9_]{0,7}",
    ];
    (delimiter, any::<bool>(), any::<bool>())
        .prop_flat_map(|(delimiter, strip_tabs, quoted)| {
            let line = if quoted {
                literal_text(Ctx::Heredoc)
                    .prop_map(|s| vec![WordPart::Literal(s)])
                    .boxed()
            } else {
                pvec(
                    prop_oneof![
                        3 => literal_text(Ctx::Heredoc).prop_map(WordPart::Literal),
                        1 => var_ref(Ctx::Heredoc, 0).prop_map(WordPart::Var),
                    ],
                    0..4,
                )
                .boxed()
            };
            let d = delimiter.clone();
            let lines = pvec(line, 0..5).prop_filter(
                "no body line may read as the terminator",
                move |lines| {
                    lines.iter().all(|parts| {
                        let text: Option<String> = parts
                            .iter()
                            .map(|p| match p {
                                WordPart::Literal(s) => Some(s.as_str()),
                                WordPart::Var(_) => None,
                            })
                            .collect();
                        // With <<- leading tabs would be stripped: a body line can't have them.
                        let starts_with_tab = matches!(
                            parts.first(),
                            Some(WordPart::Literal(s)) if s.starts_with('\t')
                        );
                        let is_terminator =
                            text.is_some_and(|t| t.trim() == d || t.trim_start_matches('\t') == d);
                        let tab_stripped = strip_tabs && starts_with_tab;
                        !(is_terminator || tab_stripped)
                    })
                },
            );
            (Just(delimiter), Just(strip_tabs), Just(quoted), lines)
        })
        .prop_map(|(delimiter, strip_tabs, quoted, lines)| {
            let mut parts = Vec::new();
            for line in lines {
                parts.extend(line);
                parts.push(WordPart::Literal("\n".to_string()));
            }
            Heredoc {
                delimiter,
                strip_tabs,
                quoted,
                body: normalize(parts),
            }
        })
        .boxed()
}

fn cat_instruction() -> BoxedStrategy<Instruction> {
    (heredoc(), arg_word())
        .prop_map(|(heredoc, dest)| ins(InstructionKind::Cat(Cat { heredoc, dest })))
        .boxed()
}

fn shell_word() -> BoxedStrategy<Word> {
    // Starts with a letter (not `[`, not a flag), ends without whitespace.
    ("[a-z]{1,3}", word_in(Ctx::Shell, true, 1), "[a-z0-9]{0,2}")
        .prop_map(|(head, mid, tail)| {
            let mut parts = vec![WordPart::Literal(head)];
            parts.extend(mid.parts);
            parts.push(WordPart::Literal(tail));
            let mut w = normalize(parts);
            if let Some(WordPart::Literal(s)) = w.parts.last_mut() {
                if s.ends_with(char::is_whitespace) {
                    s.push('z');
                }
            }
            w
        })
        .boxed()
}

fn cmd_instruction() -> BoxedStrategy<Instruction> {
    prop_oneof![
        3 => pvec(word_in(Ctx::Exec, true, 0), 0..5).prop_map(Cmd::Exec),
        1 => shell_word().prop_map(Cmd::Shell),
    ]
    .prop_map(|c| ins(InstructionKind::Cmd(c)))
    .boxed()
}

fn convert_instruction() -> BoxedStrategy<Instruction> {
    (
        prop::option::of(arg_word()),
        prop::option::of(prop_oneof![
            Just(ConvertClass::Model),
            Just(ConvertClass::Lora)
        ]),
        prop::option::of(arg_word()),
        prop::option::of(listed_or_var(CONVERT_TYPES)),
        arg_word(),
        arg_word(),
    )
        .prop_map(|(from, class, base, ty, src, dest)| {
            let base = if class == Some(ConvertClass::Lora) && base.is_none() {
                Some(Word::literal("base-model"))
            } else {
                base
            };
            ins(InstructionKind::Convert(Convert {
                from,
                class,
                base,
                ty,
                src,
                dest,
            }))
        })
        .boxed()
}

fn quantize_instruction() -> BoxedStrategy<Instruction> {
    let weights = prop_oneof![
        2 => Just((vec![], vec![])),
        1 => pvec(arg_word(), 1..3).prop_map(|v| (v, vec![])),
        1 => pvec(arg_word(), 1..3).prop_map(|v| (vec![], v)),
    ];
    (
        (
            prop::option::of(arg_word()),
            prop::option::of(listed_or_var(QUANTIZE_TYPES)),
            prop::option::of(any::<bool>()),
            prop::option::of(arg_word()),
            weights,
        ),
        (
            prop::option::of(any::<bool>()),
            prop::option::of(listed_or_var(TENSOR_TYPES)),
            prop::option::of(listed_or_var(TENSOR_TYPES)),
            arg_word(),
            arg_word(),
        ),
    )
        .prop_map(
            |(
                (from, ty, pure, imatrix, (include_weights, exclude_weights)),
                (leave_output_tensor, output_tensor_type, token_embedding_type, src, dest),
            )| {
                let needs_imatrix = !include_weights.is_empty() || !exclude_weights.is_empty();
                let imatrix = match imatrix {
                    None if needs_imatrix => Some(Word::literal("imatrix.dat")),
                    other => other,
                };
                ins(InstructionKind::Quantize(Quantize {
                    from,
                    ty,
                    pure,
                    imatrix,
                    include_weights,
                    exclude_weights,
                    leave_output_tensor,
                    output_tensor_type,
                    token_embedding_type,
                    src,
                    dest,
                }))
            },
        )
        .boxed()
}

fn stage_instruction() -> BoxedStrategy<Instruction> {
    prop_oneof![
        arg_instruction(),
        label_instruction(),
        add_instruction(),
        copy_instruction(),
        cat_instruction(),
        cmd_instruction(),
        convert_instruction(),
        quantize_instruction(),
    ]
    .boxed()
}

fn from_line() -> BoxedStrategy<From> {
    (
        prop::option::of(arg_word()),
        arg_word(),
        prop::option::of("[a-zA-Z][a-zA-Z0-9_.-]{0,7}".prop_map(Word::literal)),
    )
        .prop_map(|(platform, image, alias)| From {
            platform,
            image,
            alias,
        })
        .boxed()
}

fn stage_with(instruction: BoxedStrategy<Instruction>, max: usize) -> BoxedStrategy<Stage> {
    (from_line(), pvec(instruction, 0..max))
        .prop_map(|(from, instructions)| Stage {
            from,
            span: Span::default(),
            instructions,
        })
        .boxed()
}

fn directives() -> BoxedStrategy<Vec<Directive>> {
    let d = |name: &'static str, values: &'static [&'static str]| {
        prop::option::of(select(values).prop_map(move |v| Directive {
            name: name.to_string(),
            value: v.to_string(),
            span: Span::default(),
        }))
    };
    (
        d(
            "syntax",
            &["gpustack/gguf-packer:latest", "docker/dockerfile:1.7-labs"],
        ),
        d("escape", &["\\", "`"]),
        d("check", &["skip=all", "error=true"]),
    )
        .prop_map(|(a, b, c)| [a, b, c].into_iter().flatten().collect())
        .boxed()
}

fn packerfile_with(instruction: BoxedStrategy<Instruction>) -> BoxedStrategy<Packerfile> {
    (
        directives(),
        pvec(arg_instruction(), 0..3),
        pvec(stage_with(instruction, 6), 1..4),
    )
        .prop_map(|(directives, global_args, stages)| Packerfile {
            directives,
            global_args,
            stages,
        })
        .boxed()
}

fn packerfile() -> BoxedStrategy<Packerfile> {
    packerfile_with(stage_instruction())
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/// `cases` cases, or `PROPTEST_CASES` when set (for longer runs by hand).
fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

fn check_roundtrip(pf: &Packerfile) -> Result<(), TestCaseError> {
    // Resolution never panics, whatever the AST.
    let _ = pf.resolve(&BTreeMap::new());
    let printed = pf.to_string();
    match parse(&printed) {
        Ok(back) => {
            prop_assert_eq!(&back, pf, "print:\n{}", printed);
            // Canonical: the print of the parse is the same text.
            prop_assert_eq!(back.to_string(), printed);
        }
        Err(e) => prop_assert!(
            false,
            "the print does not parse:\n{}\nerror:\n{}",
            printed,
            e
        ),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn roundtrip_whole_files(pf in packerfile()) {
        check_roundtrip(&pf)?;
    }
}

proptest! {
    #![proptest_config(config(150))]

    #[test]
    fn roundtrip_from_and_args(pf in packerfile_with(arg_instruction())) {
        check_roundtrip(&pf)?;
    }

    #[test]
    fn roundtrip_labels(pf in packerfile_with(label_instruction())) {
        check_roundtrip(&pf)?;
    }

    #[test]
    fn roundtrip_add_and_copy(pf in packerfile_with(prop_oneof![add_instruction(), copy_instruction()].boxed())) {
        check_roundtrip(&pf)?;
    }

    #[test]
    fn roundtrip_heredocs(pf in packerfile_with(cat_instruction())) {
        check_roundtrip(&pf)?;
    }

    #[test]
    fn roundtrip_cmd(pf in packerfile_with(cmd_instruction())) {
        check_roundtrip(&pf)?;
    }

    #[test]
    fn roundtrip_convert_and_quantize(pf in packerfile_with(prop_oneof![convert_instruction(), quantize_instruction()].boxed())) {
        check_roundtrip(&pf)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Arbitrary input
// ---------------------------------------------------------------------------------------------

const TOKENS: &[&str] = &[
    "FROM ",
    "from ",
    "scratch",
    " AS ",
    " as ",
    "ARG ",
    "A=1",
    "B",
    "LABEL ",
    "k=v",
    "ADD ",
    "COPY ",
    "CAT ",
    "CMD ",
    "CONVERT ",
    "QUANTIZE ",
    "QUANTISE ",
    "RUN ",
    "<<EOF",
    "<<-EOF",
    "<<'EOF'",
    "<<\"EOF\"",
    "EOF",
    "\tEOF",
    "\n",
    "\n",
    "\n",
    "\r\n",
    "\r",
    "\\\n",
    "\\ \n",
    "`\n",
    "\\",
    "\"",
    "'",
    "`",
    "${",
    "}",
    "$A",
    "$",
    "${A:-x}",
    "${A+",
    ":-",
    ":+",
    "-",
    "+",
    "--from=",
    "--type=",
    "--type",
    "--link",
    "--link=false",
    "--exclude=a",
    "--class=lora",
    "--base=b",
    "--imatrix=m",
    "--include-weights=w",
    "--exclude-weights=w",
    "--pure",
    "--platform=",
    "--checksum=sha256:",
    "--keep-git-dir",
    "--",
    "[",
    "]",
    "[\"a\", \"b\"]",
    "[\"\\u00e9\"]",
    ",",
    "# escape=`\n",
    "# escape=\\\n",
    "# syntax=x\n",
    "# check=a\n",
    "#",
    " ",
    "  ",
    "\t",
    "\u{feff}",
    "é",
    "模",
    "🤖",
    "\u{0}",
    "a",
    "b.gguf",
    "/app/",
    "0",
    "=",
];

fn dockerish_text() -> BoxedStrategy<String> {
    let tokens = pvec(
        prop_oneof![
            6 => select(TOKENS).prop_map(str::to_string),
            1 => "[ -~]{0,4}",
            1 => any::<char>().prop_map(String::from),
        ],
        0..60,
    )
    .prop_map(|v| v.concat());
    // Half of the inputs start with a FROM, so that they get past the first instruction.
    (any::<bool>(), tokens)
        .prop_map(|(from, text)| {
            if from {
                format!("FROM scratch\n{text}")
            } else {
                text
            }
        })
        .boxed()
}

/// A valid print with a few characters inserted or deleted.
fn mutated_print() -> BoxedStrategy<String> {
    (
        packerfile(),
        pvec(
            (any::<prop::sample::Index>(), any::<bool>(), select(TOKENS)),
            1..4,
        ),
    )
        .prop_map(|(pf, edits)| {
            let mut text = pf.to_string();
            for (at, insert, token) in edits {
                let bounds: Vec<usize> = text
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain([text.len()])
                    .collect();
                let i = bounds[at.index(bounds.len())];
                if insert {
                    text.insert_str(i, token);
                } else if i < text.len() {
                    let end = bounds
                        .iter()
                        .copied()
                        .find(|&b| b > i + token.len().min(3))
                        .unwrap_or(text.len());
                    text.replace_range(i..end, "");
                }
            }
            text
        })
        .boxed()
}

fn check_any_input(src: &str) -> Result<(), TestCaseError> {
    // Must not panic; on success the print round-trips and resolution does not panic.
    if let Ok(pf) = parse(src) {
        let _ = pf.resolve(&BTreeMap::new());
        let _ = pf.resolve(&BTreeMap::from([("A".to_string(), "${B}".to_string())]));
        let printed = pf.to_string();
        match parse(&printed) {
            Ok(back) => prop_assert_eq!(&back, &pf, "input:\n{:?}\nprint:\n{}", src, printed),
            Err(e) => prop_assert!(
                false,
                "input {:?} parsed, but its print does not:\n{}\nerror:\n{}",
                src,
                printed,
                e
            ),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn any_dockerish_text_parses_or_errs(src in dockerish_text()) {
        check_any_input(&src)?;
    }

    #[test]
    fn any_string_parses_or_errs(src in any::<String>()) {
        check_any_input(&src)?;
        check_any_input(&format!("FROM scratch\n{src}"))?;
    }

    #[test]
    fn any_bytes_lossy_parse_or_err(bytes in pvec(any::<u8>(), 0..200)) {
        check_any_input(&String::from_utf8_lossy(&bytes))?;
    }
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn mutated_prints_parse_or_err(src in mutated_print()) {
        check_any_input(&src)?;
    }

    #[test]
    fn errors_render_without_panicking(src in dockerish_text()) {
        if let Err(e) = parse_named("fuzz", &src) {
            let msg = e.to_string();
            prop_assert!(msg.contains(" --> fuzz:"), "{}", msg);
        }
    }
}
