//! A table of Dockerfile edge cases (BuildKit's lexical rules) with the result expected of each:
//! the AST, or an error whose message says what is wrong.
//!
//! `ok!` cases are parsed, compared node by node with the expected AST, and printed and parsed
//! back. `err!` cases must be rejected by the parser with a message that contains every listed
//! needle (compared case-insensitively); `rejected!` cases, rules about option combinations and
//! values that either the parser or the resolver may enforce, must be rejected by one of them.

mod common;

use common::*;
use ggufpack_packerfile::*;

macro_rules! ok {
    ($name:ident, $src:expr, $want:expr $(,)?) => {
        #[test]
        fn $name() {
            check($src, &$want);
        }
    };
}

macro_rules! err {
    ($name:ident, $src:expr, [$($needle:expr),* $(,)?] $(,)?) => {
        #[test]
        fn $name() {
            let src: &str = $src;
            let msg = parse_err(src);
            let needles: &[&str] = &[$($needle),*];
            for needle in needles {
                assert!(
                    msg.to_lowercase().contains(&needle.to_lowercase()),
                    "the error for {:?} should mention {:?}; got:\n{}",
                    src,
                    needle,
                    msg
                );
            }
        }
    };
}

/// Like `err!`, for rules the parser or the resolver may enforce (see [`rejected`]).
macro_rules! rejected {
    ($name:ident, $src:expr, [$($needle:expr),* $(,)?] $(,)?) => {
        #[test]
        fn $name() {
            let src: &str = $src;
            let msg = rejected(src);
            let needles: &[&str] = &[$($needle),*];
            for needle in needles {
                assert!(
                    msg.to_lowercase().contains(&needle.to_lowercase()),
                    "the error for {:?} should mention {:?}; got:\n{}",
                    src,
                    needle,
                    msg
                );
            }
        }
    };
}

fn copy(sources: &[&str], dest: &str) -> Instruction {
    ins(InstructionKind::Copy(Copy {
        sources: sources.iter().map(|s| Source::Path(lit(s))).collect(),
        dest: lit(dest),
        ..Copy::default()
    }))
}

fn copy_words(sources: Vec<Word>, dest: Word) -> Instruction {
    ins(InstructionKind::Copy(Copy {
        sources: paths(sources),
        dest,
        ..Copy::default()
    }))
}

fn quantize(q: Quantize) -> Instruction {
    ins(InstructionKind::Quantize(q))
}

fn convert(c: Convert) -> Instruction {
    ins(InstructionKind::Convert(c))
}

fn with_directives(directives: Vec<Directive>, stages: Vec<Stage>) -> Packerfile {
    Packerfile {
        directives,
        global_args: vec![],
        stages,
    }
}

// ---------------------------------------------------------------------------------------------
// Line continuations
// ---------------------------------------------------------------------------------------------

ok!(
    continuation_basic,
    "FROM scratch\nCOPY a \\\n  b \\\n  /dest/\n",
    one_stage(vec![copy(&["a", "b"], "/dest/")]),
);

ok!(
    continuation_trailing_whitespace_after_escape,
    "FROM scratch\nCOPY a \\  \t\n  b \\ \n  /dest/\n",
    one_stage(vec![copy(&["a", "b"], "/dest/")]),
);

ok!(
    continuation_with_comment_lines_inside,
    "FROM scratch\nCOPY a \\\n# a comment inside\n  b \\\n    # an indented comment\n  /dest/\n",
    one_stage(vec![copy(&["a", "b"], "/dest/")]),
);

ok!(
    continuation_with_empty_lines_inside,
    "FROM scratch\nCOPY a \\\n\n   \n  b \\\n\n  /dest/\n",
    one_stage(vec![copy(&["a", "b"], "/dest/")]),
);

ok!(
    continuation_joins_a_word,
    "FROM scratch\nCOPY mod\\\nel.gguf /dest/\n",
    one_stage(vec![copy(&["model.gguf"], "/dest/")]),
);

ok!(
    continuation_in_from,
    "FROM \\\n  scratch \\\n  AS base\n",
    Packerfile {
        directives: vec![],
        global_args: vec![],
        stages: vec![stage(from(lit("scratch"), Some("base")), vec![])],
    },
);

ok!(
    continuation_at_end_of_file,
    "FROM scratch\nCOPY a b \\",
    one_stage(vec![copy(&["a"], "b")]),
);

ok!(
    continuation_in_arg_and_label,
    "FROM scratch\nARG A=1 \\\n    B=2\nLABEL a=1 \\\n      b=\"two words\"\n",
    one_stage(vec![
        arg(vec![("A", Some(lit("1"))), ("B", Some(lit("2")))]),
        label(vec![(lit("a"), lit("1")), (lit("b"), lit("two words"))]),
    ]),
);

// ---------------------------------------------------------------------------------------------
// Parser directives
// ---------------------------------------------------------------------------------------------

ok!(
    escape_directive_backtick,
    "# escape=`\nFROM scratch\nCOPY C:\\models\\m.gguf `\n  C:\\app\\\n",
    with_directives(
        vec![directive("escape", "`")],
        vec![scratch(vec![copy(&["C:\\models\\m.gguf"], "C:\\app\\")])],
    ),
);

ok!(
    escape_directive_backtick_escapes_dollar_and_space,
    "# escape=`\nFROM scratch\nLABEL a=`$HOME b=x` y\n",
    with_directives(
        vec![directive("escape", "`")],
        vec![scratch(vec![label(vec![
            (lit("a"), lit("$HOME")),
            (lit("b"), lit("x y")),
        ])])],
    ),
);

ok!(
    escape_directive_backslash,
    "# escape=\\\nFROM scratch\nCOPY a \\\n b\n",
    with_directives(
        vec![directive("escape", "\\")],
        vec![scratch(vec![copy(&["a"], "b")])],
    ),
);

err!(
    escape_directive_invalid,
    "# escape=x\nFROM scratch\n",
    ["escape"]
);

ok!(
    directive_after_comment_is_a_comment,
    "# a comment\n# escape=`\nFROM scratch\nCOPY a \\\n b\n",
    one_stage(vec![copy(&["a"], "b")]),
);

ok!(
    directive_after_instruction_is_a_comment,
    "FROM scratch\n# syntax=gpustack/gguf-packer:latest\n",
    one_stage(vec![]),
);

ok!(
    unknown_directive_is_a_comment_and_ends_directives,
    "# foo=bar\n# syntax=gpustack/gguf-packer:latest\nFROM scratch\n",
    one_stage(vec![]),
);

ok!(
    directive_name_case_and_spaces,
    "#  SYNTAX = gpustack/gguf-packer:latest  \nFROM scratch\n",
    with_directives(
        vec![directive("syntax", "gpustack/gguf-packer:latest")],
        vec![scratch(vec![])],
    ),
);

ok!(
    directives_all_three_in_order,
    "# syntax=gpustack/gguf-packer:latest\n#escape=\\\n# check=skip=all\n\nFROM scratch\n",
    with_directives(
        vec![
            directive("syntax", "gpustack/gguf-packer:latest"),
            directive("escape", "\\"),
            directive("check", "skip=all"),
        ],
        vec![scratch(vec![])],
    ),
);

// Found by fuzzing: a `\r` before trailing whitespace stayed in the value, and the print
// (`# syntax=x\r\n`) then read back as `x`.
ok!(
    directive_value_is_trimmed_of_carriage_returns,
    "# syntax=x\r\t\n# check=skip=all \r\r\nFROM scratch\n",
    with_directives(
        vec![directive("syntax", "x"), directive("check", "skip=all")],
        vec![scratch(vec![])],
    ),
);

err!(
    directive_given_twice,
    "# syntax=a\n# syntax=b\nFROM scratch\n",
    ["syntax"]
);

// ---------------------------------------------------------------------------------------------
// Line endings, BOM, whitespace, case, comments, unicode
// ---------------------------------------------------------------------------------------------

#[test]
fn crlf_line_endings() {
    let lf = "# syntax=x\nFROM scratch AS a\nCOPY a \\\n  b\nCAT <<EOF /p\nhi $X\nEOF\nCMD [\"-m\", \"m.gguf\"]\n";
    let crlf = lf.replace('\n', "\r\n");
    let want = with_directives(
        vec![directive("syntax", "x")],
        vec![stage(
            from(lit("scratch"), Some("a")),
            vec![
                copy(&["a"], "b"),
                cat(
                    "EOF",
                    false,
                    false,
                    w(vec![l("hi "), uv("X"), l("\n")]),
                    lit("/p"),
                ),
                cmd_exec(vec![lit("-m"), lit("m.gguf")]),
            ],
        )],
    );
    check(lf, &want);
    let pf = check(&crlf, &want);
    let lines: Vec<u32> = pf.stages[0]
        .instructions
        .iter()
        .map(|i| i.span.line)
        .collect();
    assert_eq!(lines, [3, 5, 8]);
}

ok!(
    utf8_bom,
    "\u{feff}# syntax=gpustack/gguf-packer:latest\nFROM scratch\n",
    with_directives(
        vec![directive("syntax", "gpustack/gguf-packer:latest")],
        vec![scratch(vec![])],
    ),
);

ok!(
    utf8_bom_without_directive,
    "\u{feff}FROM scratch\nCOPY a b\n",
    one_stage(vec![copy(&["a"], "b")]),
);

ok!(
    tabs_as_separators_and_indentation,
    "FROM\tscratch\tAS\tbase\n\tCOPY\t--from=base\ta\t/b\n\t\tLABEL\tk=v\n",
    Packerfile {
        directives: vec![],
        global_args: vec![],
        stages: vec![stage(
            from(lit("scratch"), Some("base")),
            vec![
                ins(InstructionKind::Copy(Copy {
                    from: Some(lit("base")),
                    sources: paths(vec![lit("a")]),
                    dest: lit("/b"),
                    ..Copy::default()
                })),
                label(vec![(lit("k"), lit("v"))]),
            ],
        )],
    },
);

ok!(
    blank_lines_and_leading_spaces,
    "\n\n   FROM scratch\n\n\n  COPY a b\n\n",
    one_stage(vec![copy(&["a"], "b")]),
);

ok!(
    instruction_names_are_case_insensitive,
    "from scratch as base\nCopy a b\nquantize --type=Q4_0 a.gguf b.gguf\nConvert x y\n",
    Packerfile {
        directives: vec![],
        global_args: vec![],
        stages: vec![stage(
            from(lit("scratch"), Some("base")),
            vec![
                copy(&["a"], "b"),
                quantize(Quantize {
                    ty: Some(lit("Q4_0")),
                    src: lit("a.gguf"),
                    dest: lit("b.gguf"),
                    ..Quantize::default()
                }),
                convert(Convert {
                    src: lit("x"),
                    dest: lit("y"),
                    ..Convert::default()
                }),
            ],
        )],
    },
);

ok!(
    hash_inside_a_line_is_not_a_comment,
    "FROM scratch\n# comment\n   # indented comment\nCOPY a#b c#d\n",
    one_stage(vec![copy(&["a#b"], "c#d")]),
);

ok!(
    unicode_values,
    "FROM scratch\nLABEL description=\"模型 🤖 ü\" 名前=値\nCOPY données/ /app/模型/\n",
    one_stage(vec![
        label(vec![
            (lit("description"), lit("模型 🤖 ü")),
            (lit("名前"), lit("値")),
        ]),
        copy(&["données/"], "/app/模型/"),
    ]),
);

#[test]
fn unicode_columns_count_characters() {
    let src = "FROM scratch\nLABEL ä=1 ö=2\nCOPY 模型 /x\n";
    let pf = parse_ok(src);
    let InstructionKind::Label(lab) = &pf.stages[0].instructions[0].kind else {
        panic!("LABEL expected")
    };
    let key = &lab.pairs[1].0;
    assert_eq!((key.span.line, key.span.column), (2, 11));
    // The byte offset points at the word.
    assert!(src[key.span.offset..].starts_with("ö=2"));
    let InstructionKind::Copy(c) = &pf.stages[0].instructions[1].kind else {
        panic!("COPY expected")
    };
    assert_eq!((c.dest.span.line, c.dest.span.column), (3, 9));
}

// ---------------------------------------------------------------------------------------------
// Quotes, escapes and variables
// ---------------------------------------------------------------------------------------------

ok!(
    label_quotes_and_escapes,
    "FROM scratch\nLABEL \"key with space\"=\"v a l\" k2='single $X' k3=\"esc \\\"q\\\" \\$Y\" k4=a\\ b\n",
    one_stage(vec![label(vec![
        (lit("key with space"), lit("v a l")),
        (lit("k2"), lit("single $X")),
        (lit("k3"), lit("esc \"q\" $Y")),
        (lit("k4"), lit("a b")),
    ])]),
);

ok!(
    label_empty_values,
    "FROM scratch\nLABEL a= b=\"\" c=''\n",
    one_stage(vec![label(vec![
        (lit("a"), lit("")),
        (lit("b"), lit("")),
        (lit("c"), lit("")),
    ])]),
);

ok!(
    arg_forms,
    "FROM scratch\nARG A B=1 C= D=\"x y\" E=$A\n",
    one_stage(vec![arg(vec![
        ("A", None),
        ("B", Some(lit("1"))),
        ("C", Some(lit(""))),
        ("D", Some(lit("x y"))),
        ("E", Some(w(vec![uv("A")]))),
    ])]),
);

ok!(
    variable_forms,
    "FROM scratch\nCOPY $A ${B} ${C:-d} ${D:+e} ${E-f} ${F+g} /x\n",
    one_stage(vec![copy_words(
        vec![
            w(vec![uv("A")]),
            w(vec![v("B")]),
            w(vec![v_default("C", true, lit("d"))]),
            w(vec![v_alt("D", true, lit("e"))]),
            w(vec![v_default("E", false, lit("f"))]),
            w(vec![v_alt("F", false, lit("g"))]),
        ],
        lit("/x"),
    )]),
);

ok!(
    variable_modifier_with_nested_variable_and_empty_word,
    "FROM scratch\nCOPY ${A:-${B}} ${C:-} x$D-y /x\n",
    one_stage(vec![copy_words(
        vec![
            w(vec![v_default("A", true, w(vec![v("B")]))]),
            w(vec![v_default("C", true, lit(""))]),
            w(vec![l("x"), uv("D"), l("-y")]),
        ],
        lit("/x"),
    )]),
);

ok!(
    variables_inside_double_quotes_not_single,
    "FROM scratch\nLABEL k=\"pre ${A} $B post\" s='${A} $B'\n",
    one_stage(vec![label(vec![
        (
            lit("k"),
            w(vec![l("pre "), v("A"), l(" "), uv("B"), l(" post")]),
        ),
        (lit("s"), lit("${A} $B")),
    ])]),
);

ok!(
    escaped_dollar_is_literal,
    "FROM scratch\nCOPY \\$A \"\\${B}\" /x\n",
    one_stage(vec![copy(&["$A", "${B}"], "/x")]),
);

ok!(
    mixed_quotes_in_one_word,
    "FROM scratch\nCOPY a\"b c\"'d e'f /x\n",
    one_stage(vec![copy(&["ab cd ef"], "/x")]),
);

err!(unterminated_double_quote, "FROM scratch\nLABEL a=\"b\n", []);
err!(unterminated_single_quote, "FROM scratch\nCOPY 'a b\n", []);
err!(unterminated_brace, "FROM scratch\nCOPY ${A /x\n", []);
err!(empty_variable_name, "FROM scratch\nCOPY ${} /x\n", []);
err!(
    unsupported_variable_modifier,
    "FROM scratch\nCOPY ${A:?unset} /x\n",
    []
);

// ---------------------------------------------------------------------------------------------
// Heredocs
// ---------------------------------------------------------------------------------------------

ok!(
    heredoc_expands_variables,
    "FROM scratch\nCAT <<EOF /p\nhello $NAME and ${X:-y}\nEOF\n",
    one_stage(vec![cat(
        "EOF",
        false,
        false,
        w(vec![
            l("hello "),
            uv("NAME"),
            l(" and "),
            v_default("X", true, lit("y")),
            l("\n"),
        ]),
        lit("/p"),
    )]),
);

ok!(
    heredoc_dash_strips_leading_tabs,
    "FROM scratch\nCAT <<-EOT /p\n\t\tindented\n\tmore\n  spaces kept\n\tEOT\n",
    one_stage(vec![cat(
        "EOT",
        true,
        false,
        lit("indented\nmore\n  spaces kept\n"),
        lit("/p"),
    )]),
);

ok!(
    heredoc_double_quoted_delimiter_is_literal,
    "FROM scratch\nCAT <<\"EOF\" /p\n$HOME ${X} \\$Y\nEOF\n",
    one_stage(vec![cat(
        "EOF",
        false,
        true,
        lit("$HOME ${X} \\$Y\n"),
        lit("/p"),
    )]),
);

ok!(
    heredoc_single_quoted_delimiter_is_literal,
    "FROM scratch\nCAT <<'EOF' /p\n$HOME ${X}\nEOF\n",
    one_stage(vec![cat(
        "EOF",
        false,
        true,
        lit("$HOME ${X}\n"),
        lit("/p")
    )]),
);

ok!(
    heredoc_dash_and_quoted,
    "FROM scratch\nCAT <<-'END' /p\n\t$A\n\tEND\n",
    one_stage(vec![cat("END", true, true, lit("$A\n"), lit("/p"))]),
);

ok!(
    heredoc_body_looks_like_instructions,
    "FROM scratch\nCAT <<EOF /p\nFROM x\n# not a comment\n\nCOPY a b\n  EOF\nEOFX\nEOF\nCOPY c d\n",
    one_stage(vec![
        cat(
            "EOF",
            false,
            false,
            lit("FROM x\n# not a comment\n\nCOPY a b\n  EOF\nEOFX\n"),
            lit("/p"),
        ),
        copy(&["c"], "d"),
    ]),
);

ok!(
    heredoc_keeps_quotes_in_body,
    "FROM scratch\nCAT <<EOF /p\nsay \"hi\" 'there'\nEOF\n",
    one_stage(vec![cat(
        "EOF",
        false,
        false,
        lit("say \"hi\" 'there'\n"),
        lit("/p"),
    )]),
);

ok!(
    heredoc_escaped_dollar_in_body,
    "FROM scratch\nCAT <<EOF /p\nprice: \\$5 and \\$HOME\nEOF\n",
    one_stage(vec![cat(
        "EOF",
        false,
        false,
        lit("price: $5 and $HOME\n"),
        lit("/p"),
    )]),
);

ok!(
    heredoc_empty_body,
    "FROM scratch\nCAT <<EOF /p\nEOF\n",
    one_stage(vec![cat("EOF", false, false, lit(""), lit("/p"))]),
);

ok!(
    heredoc_terminator_at_end_of_file_without_newline,
    "FROM scratch\nCAT <<EOF /p\nhi\nEOF",
    one_stage(vec![cat("EOF", false, false, lit("hi\n"), lit("/p"))]),
);

ok!(
    heredoc_other_delimiter_and_variable_dest,
    "FROM scratch\nCAT <<END_OF_PROMPT /app/${NAME}.txt\nline\nEND_OF_PROMPT\n",
    one_stage(vec![cat(
        "END_OF_PROMPT",
        false,
        false,
        lit("line\n"),
        w(vec![l("/app/"), v("NAME"), l(".txt")]),
    )]),
);

#[test]
fn heredoc_without_terminator_is_an_error_that_says_so() {
    for src in [
        "FROM scratch\nCAT <<EOF /p\nhello\n",
        "FROM scratch\nCAT <<EOF /p\nhello",
        "FROM scratch\nCAT <<EOF /p",
        "FROM scratch\nCAT <<-EOF /p\nhello\n  EOF\n",
    ] {
        let msg = parse_err(src);
        let lower = msg.to_lowercase();
        assert!(lower.contains("heredoc"), "{src:?}: {msg}");
        assert!(
            [
                "terminat",
                "unclosed",
                "not closed",
                "never closed",
                "missing"
            ]
            .iter()
            .any(|n| lower.contains(n)),
            "{src:?}: the message should say the heredoc is not terminated: {msg}"
        );
    }
}

// ----- ADD / COPY heredoc sources (BuildKit: each `<<NAME` takes the next body, in order) -----

ok!(
    copy_single_heredoc,
    "FROM scratch\nCOPY <<EOF /app/greeting.txt\nhello ${WHO}\nEOF\n",
    one_stage(vec![ins(InstructionKind::Copy(Copy {
        sources: vec![heredoc_src(
            "EOF",
            false,
            false,
            w(vec![l("hello "), v("WHO"), l("\n")]),
        )],
        dest: lit("/app/greeting.txt"),
        ..Copy::default()
    }))]),
);

ok!(
    copy_two_heredocs,
    "FROM scratch\nCOPY <<FILE1 <<FILE2 /dest/\nfirst\nFILE1\nsecond\nFILE2\nCMD [\"x\"]\n",
    one_stage(vec![
        ins(InstructionKind::Copy(Copy {
            sources: vec![
                heredoc_src("FILE1", false, false, lit("first\n")),
                heredoc_src("FILE2", false, false, lit("second\n")),
            ],
            dest: lit("/dest/"),
            ..Copy::default()
        })),
        cmd_exec(vec![lit("x")]),
    ]),
);

ok!(
    add_heredoc_with_flags_and_path,
    "FROM scratch\nADD --chmod=755 <<run.sh local.txt /app/\n#!/bin/sh\nrun.sh\n",
    one_stage(vec![ins(InstructionKind::Add(Add {
        chmod: Some(lit("755")),
        sources: vec![
            heredoc_src("run.sh", false, false, lit("#!/bin/sh\n")),
            Source::Path(lit("local.txt")),
        ],
        dest: lit("/app/"),
        ..Add::default()
    }))]),
);

ok!(
    copy_heredoc_dash_strips_tabs,
    "FROM scratch\nCOPY <<-EOF /p\n\tindented\n\t\tdeeper\n\tEOF\n",
    one_stage(vec![ins(InstructionKind::Copy(Copy {
        sources: vec![heredoc_src("EOF", true, false, lit("indented\ndeeper\n"))],
        dest: lit("/p"),
        ..Copy::default()
    }))]),
);

ok!(
    copy_heredoc_quoted_delimiter_is_literal,
    "FROM scratch\nCOPY <<'EOF' <<\"B\" /p/\n$HOME \\$x\nEOF\n${Y}\nB\n",
    one_stage(vec![ins(InstructionKind::Copy(Copy {
        sources: vec![
            heredoc_src("EOF", false, true, lit("$HOME \\$x\n")),
            heredoc_src("B", false, true, lit("${Y}\n")),
        ],
        dest: lit("/p/"),
        ..Copy::default()
    }))]),
);

#[test]
fn copy_heredoc_without_terminator_is_an_error() {
    for src in [
        "FROM scratch\nCOPY <<EOF /p\nhello\n",
        "FROM scratch\nADD <<EOF /p",
        "FROM scratch\nCOPY <<A <<B /p/\na\nA\nb\n",
    ] {
        let msg = parse_err(src).to_lowercase();
        assert!(msg.contains("unterminated heredoc"), "{src:?}: {msg}");
    }
}

err!(
    copy_heredoc_as_destination,
    "FROM scratch\nCOPY a <<EOF\nx\nEOF\n",
    ["destination after the heredoc"]
);

#[test]
fn copy_heredocs_round_trip() {
    for src in [
        "FROM scratch\nCOPY <<FILE1 <<FILE2 /dest/\nfirst\nFILE1\nsecond $X\nFILE2\n",
        "FROM scratch\nADD --link <<-'E O' a <<F /d/\n\tx $Y\n\tE O\n\nF\n",
        "FROM scratch\nCOPY <<EOF /p\nEOF",
    ] {
        let pf = parse_ok(src);
        let printed = assert_roundtrip(&pf);
        assert_eq!(parse_ok(&printed).to_string(), printed);
    }
    // The canonical print of two heredoc sources: markers on the line, bodies in order.
    let pf = parse_ok("FROM scratch\ncopy  <<A   <<'B'  /d/\na\nA\nb\nB\n");
    assert_eq!(
        pf.to_string(),
        "FROM scratch\nCOPY <<A <<\"B\" /d/\na\nA\nb\nB\n"
    );
}

err!(cat_without_heredoc, "FROM scratch\nCAT /p\n", ["heredoc"]);
err!(cat_without_dest, "FROM scratch\nCAT <<EOF\nx\nEOF\n", []);

// ---------------------------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------------------------

ok!(
    flags_boolean_forms,
    "FROM scratch\nCOPY --link=true --parents=false a b\nCOPY --link --parents a b\nCOPY --link=false a b\n",
    one_stage(vec![
        ins(InstructionKind::Copy(Copy {
            link: Some(true),
            parents: Some(false),
            sources: paths(vec![lit("a")]),
            dest: lit("b"),
            ..Copy::default()
        })),
        ins(InstructionKind::Copy(Copy {
            link: Some(true),
            parents: Some(true),
            sources: paths(vec![lit("a")]),
            dest: lit("b"),
            ..Copy::default()
        })),
        ins(InstructionKind::Copy(Copy {
            link: Some(false),
            sources: paths(vec![lit("a")]),
            dest: lit("b"),
            ..Copy::default()
        })),
    ]),
);

ok!(
    flags_repeated_exclude,
    "FROM scratch\nADD --exclude=*.md --exclude=docs/ --exclude=\"a b\" src/ /app/\n",
    one_stage(vec![ins(InstructionKind::Add(Add {
        exclude: vec![lit("*.md"), lit("docs/"), lit("a b")],
        sources: paths(vec![lit("src/")]),
        dest: lit("/app/"),
        ..Add::default()
    }))]),
);

ok!(
    flag_value_with_variable,
    "FROM scratch\nQUANTIZE --type=${T:-Q4_0} --imatrix=$DIR/imatrix.dat a b\n",
    one_stage(vec![quantize(Quantize {
        ty: Some(w(vec![v_default("T", true, lit("Q4_0"))])),
        imatrix: Some(w(vec![uv("DIR"), l("/imatrix.dat")])),
        src: lit("a"),
        dest: lit("b"),
        ..Quantize::default()
    })]),
);

ok!(
    flag_after_a_positional_is_a_positional,
    "FROM scratch\nCOPY a --link b\n",
    one_stage(vec![copy(&["a", "--link"], "b")]),
);

ok!(
    quoted_flag_is_a_positional,
    "FROM scratch\nCOPY \"--link\" b\n",
    one_stage(vec![copy(&["--link"], "b")]),
);

err!(
    flag_boolean_invalid_value,
    "FROM scratch\nCOPY --link=maybe a b\n",
    ["link"]
);

err!(
    flag_unknown_on_copy_lists_valid_flags,
    "FROM scratch\nCOPY --form=stage a b\n",
    ["form", "from", "parents", "chown", "chmod", "link", "exclude"]
);

err!(
    flag_unknown_on_add_lists_valid_flags,
    "FROM scratch\nADD --keep-git=true a b\n",
    [
        "keep-git",
        "keep-git-dir",
        "checksum",
        "chown",
        "chmod",
        "link",
        "exclude"
    ]
);

err!(
    flag_unknown_on_convert_lists_valid_flags,
    "FROM scratch\nCONVERT --outtype=F16 a b\n",
    ["outtype", "from", "class", "base", "type"]
);

err!(
    flag_unknown_on_quantize_lists_valid_flags,
    "FROM scratch\nQUANTIZE --imatrx=m a b\n",
    [
        "imatrx",
        "from",
        "type",
        "pure",
        "imatrix",
        "include-weights",
        "exclude-weights",
        "leave-output-tensor",
        "output-tensor-type",
        "token-embedding-type",
    ]
);

err!(
    flag_unknown_on_from_lists_valid_flags,
    "FROM --plat=linux/amd64 scratch\n",
    ["plat", "platform"]
);

err!(
    flag_on_instruction_without_flags,
    "FROM scratch\nLABEL --foo=bar a=b\n",
    ["foo"]
);

err!(
    flag_missing_value,
    "FROM scratch\nCONVERT --type a b\n",
    ["type"]
);

err!(
    flag_given_twice,
    "FROM scratch\nCONVERT --type=F16 --type=F32 a b\n",
    ["type"]
);

// ---------------------------------------------------------------------------------------------
// CMD
// ---------------------------------------------------------------------------------------------

ok!(
    cmd_shell_form,
    "FROM scratch\nCMD -m $MODEL -c 8192\n",
    one_stage(vec![ins(InstructionKind::Cmd(Cmd::Shell(w(vec![
        l("-m "),
        uv("MODEL"),
        l(" -c 8192"),
    ]))))]),
);

ok!(
    cmd_exec_json_escapes,
    "FROM scratch\nCMD [\"a\\\"b\", \"C:\\\\models\\\\m.gguf\", \"\\u00e9\\n\", \"x ${V}\"]\n",
    one_stage(vec![cmd_exec(vec![
        lit("a\"b"),
        lit("C:\\models\\m.gguf"),
        lit("é\n"),
        w(vec![l("x "), v("V")]),
    ])]),
);

ok!(
    cmd_exec_empty_and_spacing,
    "FROM scratch\nCMD []\nCMD  [ \"-m\" ,\"m.gguf\"  ]  \n",
    one_stage(vec![
        cmd_exec(vec![]),
        cmd_exec(vec![lit("-m"), lit("m.gguf")])
    ]),
);

err!(
    cmd_json_unquoted_element,
    "FROM scratch\nCMD [\"-m\", model.gguf]\n",
    ["json"]
);

err!(
    cmd_json_missing_comma,
    "FROM scratch\nCMD [\"-m\" \"model.gguf\"]\n",
    ["json"]
);

err!(
    cmd_json_invalid_escape,
    "FROM scratch\nCMD [\"\\q\"]\n",
    ["json"]
);

err!(
    cmd_json_non_string_element,
    "FROM scratch\nCMD [\"-c\", 8192]\n",
    []
);

// ---------------------------------------------------------------------------------------------
// Instruction-level errors
// ---------------------------------------------------------------------------------------------

err!(
    misspelled_quantise_suggests_quantize,
    "FROM scratch\nQUANTISE a.gguf b.gguf\n",
    ["QUANTISE", "did you mean", "QUANTIZE"]
);

err!(
    misspelled_convrt_suggests_convert,
    "FROM scratch\nCONVRT a b\n",
    ["CONVRT", "did you mean", "CONVERT"]
);

err!(
    docker_only_instruction_is_unknown,
    "FROM scratch\nRUN apt-get update\n",
    ["RUN"]
);

err!(
    instruction_before_from,
    "COPY a b\nFROM scratch\n",
    ["FROM"]
);

rejected!(
    quantize_include_and_exclude_weights,
    "FROM scratch\nQUANTIZE --imatrix=m.dat --include-weights=a --exclude-weights=b x.gguf y.gguf\n",
    ["include-weights", "exclude-weights"]
);

rejected!(
    quantize_include_weights_without_imatrix,
    "FROM scratch\nQUANTIZE --include-weights=a x.gguf y.gguf\n",
    ["imatrix"]
);

rejected!(
    quantize_exclude_weights_without_imatrix,
    "FROM scratch\nQUANTIZE --exclude-weights=a x.gguf y.gguf\n",
    ["imatrix"]
);

rejected!(
    convert_lora_without_base,
    "FROM scratch\nCONVERT --class=lora adapter adapter.gguf\n",
    ["base"]
);

err!(
    convert_unknown_class,
    "FROM scratch\nCONVERT --class=adapter a b\n",
    ["class"]
);

err!(convert_one_positional, "FROM scratch\nCONVERT a\n", []);
err!(
    convert_three_positionals,
    "FROM scratch\nCONVERT a b c\n",
    []
);
err!(quantize_one_positional, "FROM scratch\nQUANTIZE a\n", []);
err!(copy_one_positional, "FROM scratch\nCOPY a\n", []);
err!(add_no_positional, "FROM scratch\nADD\n", []);
err!(from_without_image, "FROM\n", []);
err!(from_as_without_name, "FROM scratch AS\n", []);
err!(from_extra_word, "FROM scratch base\n", []);
err!(label_without_pairs, "FROM scratch\nLABEL\n", []);
err!(arg_without_name, "FROM scratch\nARG\n", []);

// ---------------------------------------------------------------------------------------------
// Error rendering
// ---------------------------------------------------------------------------------------------

/// Checks the rustc-like rendering: ` --> file:line:col`, the source line (after a `line |`
/// gutter), and a caret line whose first `^` stands under the first character of `token` in the
/// shown source line.
#[track_caller]
fn assert_rendered(src: &str, line: u32, col: u32, token: &str) -> String {
    let err = match parse_named("GGUFPackerfile", src) {
        Ok(pf) => panic!("expected an error, got {pf:#?}"),
        Err(e) => e,
    };
    let msg = err.to_string();
    let arrow = format!(" --> GGUFPackerfile:{line}:{col}");
    assert!(msg.contains(&arrow), "missing {arrow:?} in:\n{msg}");

    let out: Vec<&str> = msg.lines().collect();
    let gutter = format!("{line} | ");
    let at = out
        .iter()
        .position(|o| o.starts_with(&gutter))
        .unwrap_or_else(|| panic!("no source line {gutter:?} in:\n{msg}"));
    let shown: Vec<char> = out[at].chars().collect();
    let caret_line = out[at + 1..]
        .iter()
        .find(|o| o.contains('^'))
        .unwrap_or_else(|| panic!("no caret line after the source line in:\n{msg}"));
    let caret = caret_line.chars().position(|c| c == '^').unwrap();
    let under: String = shown
        .iter()
        .skip(caret)
        .take(token.chars().count())
        .collect();
    assert_eq!(under, token, "the caret is not under {token:?}:\n{msg}");
    msg
}

#[test]
fn error_rendering_misspelled_instruction() {
    let msg = assert_rendered("FROM scratch\n  QUANTISE a.gguf b.gguf\n", 2, 3, "QUANTISE");
    assert!(msg.contains("QUANTIZE"), "{msg}");
    assert!(msg.starts_with("error: "), "{msg}");
}

#[test]
fn error_rendering_instruction_on_third_line() {
    assert_rendered(
        "# syntax=gpustack/gguf-packer:latest\nFROM scratch\nCONVRT a b\n",
        3,
        1,
        "CONVRT",
    );
}

#[test]
fn error_rendering_after_tab_and_bom() {
    // Columns count characters: a tab is one column, the BOM none.
    assert_rendered("FROM scratch\n\tQUANTISE a b\n", 2, 2, "QUANTISE");
    assert_rendered("\u{feff}QUANTISE a b\n", 1, 1, "QUANTISE");
    assert_rendered("FROM scratch\nCOPY é ${\n", 2, 8, "${");
}

#[test]
fn error_rendering_after_continuation_points_into_the_right_line() {
    // The unknown flag is on the second physical line of a continued instruction.
    let msg = assert_rendered(
        "FROM scratch\nCOPY --link \\\n     --bogus=1 a b\n",
        3,
        6,
        "--bogus",
    );
    assert!(msg.contains("--from"), "{msg}");
    assert_rendered("FROM scratch\nLABEL a=1 \\\n  b=\"x\n", 3, 5, "\"");
}

#[test]
fn error_rendering_unterminated_heredoc_names_the_file() {
    let msg = parse_named("Dockerfile", "FROM scratch\nCAT <<EOF /p\nhello\n")
        .unwrap_err()
        .to_string();
    assert!(msg.contains(" --> Dockerfile:"), "{msg}");
    assert!(msg.contains('^'), "{msg}");
}

#[test]
fn spans_of_continued_instructions() {
    let src = "ARG A=1 \\\n  B=2\nFROM scratch \\\n  AS x\nLABEL a=1 \\\n  b=2\nCOPY a \\\n # c\n b\nCMD [\"a\", \\\n  \"b\"]\n";
    let pf = parse_ok(src);
    let g = &pf.global_args[0];
    assert_eq!(spanned(src, &g.span), "ARG A=1 \\\n  B=2");
    let InstructionKind::Arg(a) = &g.kind else {
        panic!()
    };
    assert_eq!((a.args[1].span.line, a.args[1].span.column), (2, 3));
    assert_eq!(spanned(src, &a.args[1].span), "B=2");
    let d = a.args[1].default.as_ref().unwrap();
    assert_eq!((d.span.line, d.span.column), (2, 5));
    let st = &pf.stages[0];
    assert_eq!(spanned(src, &st.span), "FROM scratch \\\n  AS x");
    let covered: Vec<&str> = st
        .instructions
        .iter()
        .map(|i| spanned(src, &i.span))
        .collect();
    assert_eq!(
        covered,
        [
            "LABEL a=1 \\\n  b=2",
            "COPY a \\\n # c\n b",
            "CMD [\"a\", \\\n  \"b\"]"
        ]
    );
    let lines: Vec<u32> = st.instructions.iter().map(|i| i.span.line).collect();
    assert_eq!(lines, [5, 7, 10]);
}

#[test]
fn parse_and_parse_named_agree() {
    let src = "FROM scratch\nCOPY a b\n";
    assert_eq!(parse(src).unwrap(), parse_named("x", src).unwrap());
}

// ---------------------------------------------------------------------------------------------
// Option values the parser or the resolver rejects
// ---------------------------------------------------------------------------------------------

rejected!(
    add_checksum_unknown_algorithm,
    "FROM scratch\nADD --checksum=md5:0123456789abcdef0123456789abcdef https://example.com/m.gguf /m.gguf\n",
    ["checksum"]
);

rejected!(
    add_checksum_for_a_context_source,
    "FROM scratch\nADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d model.gguf /m.gguf\n",
    ["checksum"]
);

rejected!(
    convert_unknown_type,
    "FROM scratch\nCONVERT --type=Q4_K_M a b\n",
    ["Q4_K_M"]
);

rejected!(
    quantize_unknown_type,
    "FROM scratch\nQUANTIZE --type=Q9_Z a b\n",
    ["Q9_Z"]
);
