//! Unit tests of the instruction layer (the lexical rules are tested in `lex`).

use super::*;
use crate::ast::{VarOp, VarRef};
use crate::resolve::testutil::path_words;

fn ok(src: &str) -> Packerfile {
    match parse(src) {
        Ok(p) => p,
        Err(e) => panic!("{src:?}:\n{e}"),
    }
}

fn err(src: &str) -> ParseError {
    match parse(src) {
        Ok(p) => panic!("{src:?} parsed: {p:?}"),
        Err(e) => e,
    }
}

fn err_has(src: &str, needle: &str) -> ParseError {
    let e = err(src);
    assert!(
        e.message.contains(needle),
        "{src:?}: want {needle:?}, got:\n{e}"
    );
    e
}

/// The only instruction of the only stage of `FROM a\n<line>`.
fn one(line: &str) -> InstructionKind {
    let pf = ok(&format!("FROM a\n{line}"));
    assert_eq!(pf.stages.len(), 1);
    let mut v = pf
        .stages
        .into_iter()
        .next()
        .map(|s| s.instructions)
        .unwrap_or_default();
    assert_eq!(v.len(), 1, "{line}");
    v.remove(0).kind
}

fn lit(s: &str) -> Word {
    Word::literal(s)
}

fn var(name: &str, braced: bool) -> WordPart {
    WordPart::Var(VarRef {
        name: name.into(),
        braced,
        op: None,
    })
}

fn l(s: &str) -> WordPart {
    WordPart::Literal(s.into())
}

fn w(parts: Vec<WordPart>) -> Word {
    Word {
        parts,
        span: Span::default(),
    }
}

// ----- whole files ---------------------------------------------------------------------------

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(ok(""), Packerfile::default());
    assert_eq!(ok("\n\n# only a comment\n   \n"), Packerfile::default());
    assert_eq!(ok("\u{feff}"), Packerfile::default());
}

#[test]
fn quick_start_example() {
    let src = r#"# syntax=gpustack/gguf-packer:latest

ARG        BASE=scratch
ARG        QUANTIZE_TYPE=Q5_K_M
ARG        CHAT_TEMPLATE="{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"

FROM       scratch AS f16
ADD        https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git  Qwen2-0.5B-Instruct
CONVERT    --type=F16  Qwen2-0.5B-Instruct  Qwen2-0.5B-Instruct.F16.gguf

FROM       ${BASE}
LABEL      gguf.model.from="Hugging Face"
QUANTIZE   --from=f16 --type=${QUANTIZE_TYPE}  Qwen2-0.5B-Instruct.F16.gguf  Qwen2-0.5B-Instruct.${QUANTIZE_TYPE}.gguf
CAT        <<EOF system-prompt.txt
You are an AI assistant.
1. Entity Identification: Identify the main entities.
EOF
CMD        ["-m", "Qwen2-0.5B-Instruct.${QUANTIZE_TYPE}.gguf", "-c", "8192", "--chat-template", "${CHAT_TEMPLATE}"]
"#;
    let pf = ok(src);
    assert_eq!(pf.directives.len(), 1);
    assert_eq!(pf.directives[0].name, "syntax");
    assert_eq!(pf.directives[0].value, "gpustack/gguf-packer:latest");
    assert_eq!(pf.global_args.len(), 3);
    let InstructionKind::Arg(a) = &pf.global_args[2].kind else {
        panic!()
    };
    assert_eq!(a.args[0].name, "CHAT_TEMPLATE");
    let tpl = a.args[0]
        .default
        .as_ref()
        .and_then(Word::as_literal)
        .unwrap();
    assert!(
        tpl.starts_with("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'")
    );
    assert_eq!(pf.stages.len(), 2);
    let s0 = &pf.stages[0];
    assert_eq!(s0.from.image, lit("scratch"));
    assert_eq!(s0.from.alias, Some(lit("f16")));
    assert_eq!(s0.span.line, 7);
    let InstructionKind::Convert(c) = &s0.instructions[1].kind else {
        panic!()
    };
    assert_eq!(c.ty, Some(lit("F16")));
    assert_eq!(c.src, lit("Qwen2-0.5B-Instruct"));
    let s1 = &pf.stages[1];
    assert_eq!(s1.from.image, w(vec![var("BASE", true)]));
    let InstructionKind::Quantize(q) = &s1.instructions[1].kind else {
        panic!()
    };
    assert_eq!(q.from, Some(lit("f16")));
    assert_eq!(q.ty, Some(w(vec![var("QUANTIZE_TYPE", true)])));
    assert_eq!(
        q.dest,
        w(vec![
            l("Qwen2-0.5B-Instruct."),
            var("QUANTIZE_TYPE", true),
            l(".gguf")
        ])
    );
    let InstructionKind::Cat(cat) = &s1.instructions[2].kind else {
        panic!()
    };
    assert_eq!(cat.dest, lit("system-prompt.txt"));
    assert_eq!(
        cat.heredoc.body.as_literal().unwrap(),
        "You are an AI assistant.\n1. Entity Identification: Identify the main entities.\n"
    );
    assert_eq!(s1.instructions[2].span.line, 14);
    let InstructionKind::Cmd(Cmd::Exec(args)) = &s1.instructions[3].kind else {
        panic!()
    };
    assert_eq!(args.len(), 6);
    assert_eq!(args[5], w(vec![var("CHAT_TEMPLATE", true)]));
    assert_eq!(args[1].parts[1], var("QUANTIZE_TYPE", true));
    assert_eq!(s1.instructions[3].span.line, 18);
}

#[test]
fn instruction_before_from_is_an_error() {
    let e = err_has("ARG A\nCOPY a b\nFROM x", "before the first `FROM`");
    assert_eq!((e.line, e.column, e.span.len), (2, 1, 4));
    let pf = ok("ARG A=1 B\nARG C\nFROM x\nARG A\n");
    assert_eq!(pf.global_args.len(), 2);
    assert_eq!(pf.stages[0].instructions.len(), 1);
}

#[test]
fn global_args_only() {
    let pf = ok("ARG A\n");
    assert_eq!(pf.global_args.len(), 1);
    assert!(pf.stages.is_empty());
}

#[test]
fn instruction_names_are_case_insensitive() {
    let pf = ok("from a As B\ncOpY x y\nquantize a b\n");
    assert_eq!(pf.stages[0].from.alias, Some(lit("B")));
    assert_eq!(pf.stages[0].instructions.len(), 2);
}

// ----- errors and suggestions -----------------------------------------------------------------

#[test]
fn misspelled_instruction_gets_a_suggestion() {
    let e = err_has(
        "FROM a\nQUANTISE --type=Q4_0 a b\n",
        "unknown instruction `QUANTISE`",
    );
    assert_eq!(e.suggestion.as_deref(), Some("QUANTIZE"));
    assert_eq!((e.line, e.column, e.span.len), (2, 1, 8));
    assert_eq!(e.source_line, "QUANTISE --type=Q4_0 a b");
    let shown = e.to_string();
    assert!(shown.contains("help: did you mean `QUANTIZE`?"), "{shown}");
    assert!(shown.contains(" --> GGUFPackerfile:2:1"), "{shown}");
    assert!(
        shown.contains("2 | QUANTISE --type=Q4_0 a b\n  | ^^^^^^^^ expected an instruction"),
        "{shown}"
    );
}

#[test]
fn unsupported_dockerfile_instruction() {
    let e = err_has("FROM a\nRUN echo hi\n", "unknown instruction `RUN`");
    assert_eq!(e.suggestion, None);
    assert!(e
        .expected
        .as_deref()
        .unwrap()
        .contains("ADD, ARG, CAT, CMD, CONVERT, COPY, FROM, LABEL, QUANTIZE"));
    assert!(e
        .help
        .as_deref()
        .unwrap()
        .contains("Dockerfile instruction"));
}

#[test]
fn named_file_in_errors() {
    let e = parse_named("models/Qwen.Packerfile", "FROM a\nCOPY x\n").unwrap_err();
    assert_eq!(e.file, "models/Qwen.Packerfile");
    assert!(
        e.to_string().contains(" --> models/Qwen.Packerfile:2:7"),
        "{e}"
    );
}

#[test]
fn error_positions_are_in_characters() {
    let e = err("FROM a\nCOPY --frm=é x y\n");
    assert_eq!((e.line, e.column), (2, 6));
    let e = err("FROM a\nLABEL é=\"x\nCMD x");
    assert_eq!((e.line, e.column), (2, 9));
    assert!(e.message.contains("unterminated double-quoted"), "{e}");
}

// ----- flags -----------------------------------------------------------------------------------

#[test]
fn unknown_flag_names_the_valid_ones() {
    let e = err_has(
        "FROM a\nCOPY --exlude=x a b\n",
        "unknown flag `--exlude` for `COPY`",
    );
    assert_eq!(e.suggestion.as_deref(), Some("--exclude"));
    let expected = e.expected.unwrap();
    for f in [
        "--from",
        "--parents",
        "--chown",
        "--chmod",
        "--link",
        "--exclude",
    ] {
        assert!(expected.contains(f), "{expected}");
    }
    let e = err_has("FROM a\nCMD --port 8080\n", "`CMD` takes no flags");
    assert!(e.help.unwrap().contains("exec form"));
    err_has("FROM a\nARG --x=1\n", "takes no flags");
}

#[test]
fn boolean_and_repeated_flags() {
    let InstructionKind::Copy(c) =
        one("COPY --link --parents=false --exclude=*.tmp --exclude='a b' --chmod=644 a b c")
    else {
        panic!()
    };
    assert_eq!(c.link, Some(true));
    assert_eq!(c.parents, Some(false));
    assert_eq!(c.exclude, vec![lit("*.tmp"), lit("a b")]);
    assert_eq!(c.chmod, Some(lit("644")));
    assert_eq!(path_words(&c.sources), vec![lit("a"), lit("b")]);
    assert_eq!(c.dest, lit("c"));
    let InstructionKind::Add(a) = one("ADD --keep-git-dir=TRUE --link=false x y") else {
        panic!()
    };
    assert_eq!((a.keep_git_dir, a.link), (Some(true), Some(false)));
}

#[test]
fn flag_errors() {
    err_has("FROM a\nCOPY --from a b\n", "`--from` needs a value");
    err_has(
        "FROM a\nCOPY --from=x --from=y a b\n",
        "duplicate flag `--from`",
    );
    err_has("FROM a\nCOPY --link=yes a b\n", "takes a boolean");
    err_has("FROM a\nCOPY --link= a b\n", "missing its value");
    err_has("FROM a\nCOPY --link=$X a b\n", "takes a boolean");
    err_has("FROM a\nCOPY --=x a b\n", "expected a flag name");
}

#[test]
fn double_dash_ends_flags() {
    let InstructionKind::Copy(c) = one("COPY --link -- --odd-name dest") else {
        panic!()
    };
    assert_eq!(c.link, Some(true));
    assert_eq!(path_words(&c.sources), vec![lit("--odd-name")]);
    let InstructionKind::Copy(c) = one("COPY a --link b") else {
        panic!()
    };
    assert_eq!(path_words(&c.sources), vec![lit("a"), lit("--link")]);
    assert_eq!(c.link, None);
}

#[test]
fn flag_values_are_words() {
    let InstructionKind::Copy(c) = one("COPY --from=\"${STAGE:-base}\" a b") else {
        panic!()
    };
    let from = c.from.unwrap();
    let WordPart::Var(v) = &from.parts[0] else {
        panic!()
    };
    assert_eq!(v.name, "STAGE");
    assert!(
        matches!(&v.op, Some(VarOp::Default { colon: true, word }) if word.as_literal().as_deref() == Some("base"))
    );
}

// ----- FROM ------------------------------------------------------------------------------------

#[test]
fn from_forms() {
    let pf = ok("FROM --platform=linux/amd64 img:1 AS Base\nFROM base\nFROM ${REPO}/m:${TAG}\n");
    let f = &pf.stages[0].from;
    assert_eq!(f.platform, Some(lit("linux/amd64")));
    assert_eq!(f.image, lit("img:1"));
    assert_eq!(f.alias, Some(lit("Base")));
    assert_eq!(pf.stages[1].from.alias, None);
    assert_eq!(
        pf.stages[2].from.image,
        w(vec![var("REPO", true), l("/m:"), var("TAG", true)])
    );
}

#[test]
fn from_errors() {
    err_has("FROM\n", "needs an image");
    err_has("FROM a AS\n", "missing stage name");
    err_has("FROM a b\n", "unexpected argument after the image");
    err_has("FROM a b c\n", "unexpected argument after the image");
    err_has(
        "FROM a AS b c\n",
        "unexpected argument after the stage name",
    );
    err_has("FROM --plat=x a\n", "unknown flag");
}

// ----- ARG -------------------------------------------------------------------------------------

#[test]
fn arg_declarations() {
    let InstructionKind::Arg(a) = one("ARG A B=1 C= D=\"x y\" E='$HOME' F=${A}-$B") else {
        panic!()
    };
    let names: Vec<_> = a.args.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["A", "B", "C", "D", "E", "F"]);
    assert_eq!(a.args[0].default, None);
    assert_eq!(a.args[1].default, Some(lit("1")));
    assert_eq!(a.args[2].default, Some(Word::default()));
    assert_eq!(a.args[3].default, Some(lit("x y")));
    assert_eq!(a.args[4].default, Some(lit("$HOME")));
    assert_eq!(
        a.args[5].default,
        Some(w(vec![var("A", true), l("-"), var("B", false)]))
    );
    let s = a.args[3].span;
    assert_eq!((s.line, s.column, s.len), (2, 14, 7));
}

#[test]
fn arg_errors() {
    err_has("ARG\n", "needs at least one variable");
    err_has("ARG 1A=x\n", "invalid ARG name `1A=x`");
    err_has("ARG A-B\n", "invalid ARG name");
    err_has("ARG \"A\"=1\n", "invalid ARG name");
    err_has("ARG =1\n", "invalid ARG name");
}

// ----- LABEL -----------------------------------------------------------------------------------

#[test]
fn label_pairs() {
    let InstructionKind::Label(lb) = one(
        "LABEL org.opencontainers.image.title=\"Qwen2\" \\\n      \"my key\"='say \"hi\"' k=\"a \\\"q\\\" b\" e=",
    ) else {
        panic!()
    };
    assert_eq!(
        lb.pairs,
        vec![
            (lit("org.opencontainers.image.title"), lit("Qwen2")),
            (lit("my key"), lit("say \"hi\"")),
            (lit("k"), lit("a \"q\" b")),
            (lit("e"), Word::default()),
        ]
    );
    assert_eq!(lb.pairs[1].0.span.line, 3);
    assert_eq!(lb.pairs[1].0.span.column, 7);
}

#[test]
fn label_old_form_and_vars() {
    let InstructionKind::Label(lb) = one("LABEL description  a model  \"v 2\"") else {
        panic!()
    };
    assert_eq!(lb.pairs, vec![(lit("description"), lit("a model  v 2"))]);
    let InstructionKind::Label(lb) = one("LABEL ${K}=$V") else {
        panic!()
    };
    assert_eq!(lb.pairs[0].0, w(vec![var("K", true)]));
    assert_eq!(lb.pairs[0].1, w(vec![var("V", false)]));
}

#[test]
fn label_errors() {
    err_has("FROM a\nLABEL\n", "needs at least one label");
    err_has("FROM a\nLABEL a=1 b\n", "expected `=`");
    err_has("FROM a\nLABEL =1\n", "empty label key");
    err_has("FROM a\nLABEL onlykey\n", "label without a value");
}

// ----- ADD / COPY ------------------------------------------------------------------------------

#[test]
fn add_sources() {
    let InstructionKind::Add(a) =
        one("ADD --checksum=sha256:abc https://huggingface.co/x/y.gguf https://h.co/z.git /app/")
    else {
        panic!()
    };
    assert_eq!(a.checksum, Some(lit("sha256:abc")));
    assert_eq!(a.sources.len(), 2);
    assert_eq!(a.dest, lit("/app/"));
    assert_eq!(a.keep_git_dir, None);
}

#[test]
fn copy_json_form() {
    let InstructionKind::Copy(c) = one("COPY [\"a b\", \"$X\", \"/dest dir/\"]") else {
        panic!()
    };
    assert_eq!(
        path_words(&c.sources),
        vec![lit("a b"), w(vec![var("X", false)])]
    );
    assert_eq!(c.dest, lit("/dest dir/"));
    let s0 = path_words(&c.sources)[0].span;
    assert_eq!((s0.column, s0.len), (7, 5));
    // Not JSON: shell words, as BuildKit falls back.
    let InstructionKind::Copy(c) = one("COPY [abc] /x") else {
        panic!()
    };
    assert_eq!(path_words(&c.sources), vec![lit("[abc]")]);
}

#[test]
fn copy_errors() {
    err_has("FROM a\nCOPY a\n", "at least one source and a destination");
    err_has("FROM a\nADD\n", "at least one source and a destination");
    err_has(
        "FROM a\nCOPY <<EOF\nhi\nEOF\n",
        "needs a destination after the heredoc",
    );
    err_has(
        "FROM a\nADD a <<EOF\nhi\nEOF\n",
        "needs a destination after the heredoc",
    );
    let e = err_has(
        "FROM a\nCOPY <<A <<B /d/\na\nA\nb\n",
        "unterminated heredoc",
    );
    assert!(e.message.contains("`B`"), "{e}");
    err_has("FROM a\nADD <<EOF /x\nno end", "unterminated heredoc");
}

// ----- ADD / COPY heredoc sources ---------------------------------------------------------------

fn heredoc_of(s: &AstSource) -> &Heredoc {
    match s {
        AstSource::Heredoc(h) => h,
        AstSource::Path(w) => panic!("a path: {w:?}"),
    }
}

#[test]
fn copy_one_heredoc() {
    let pf = ok("FROM a\nCOPY <<EOF /x.txt\nhello $X\nEOF\nCMD x\n");
    let ins = &pf.stages[0].instructions;
    assert_eq!(ins.len(), 2);
    let InstructionKind::Copy(c) = &ins[0].kind else {
        panic!()
    };
    assert_eq!(c.dest, lit("/x.txt"));
    assert_eq!(c.sources.len(), 1);
    let h = heredoc_of(&c.sources[0]);
    assert_eq!(h.delimiter, "EOF");
    assert!(!h.quoted && !h.strip_tabs);
    assert_eq!(h.body.parts, vec![l("hello "), var("X", false), l("\n")]);
    // The instruction's span covers its body and terminator.
    assert_eq!((ins[0].span.line, ins[0].span.offset), (2, 7));
    assert_eq!(ins[0].span.len, "COPY <<EOF /x.txt\nhello $X\nEOF".len());
    assert_eq!(ins[1].span.line, 5);
}

#[test]
fn copy_two_heredocs_in_order() {
    let InstructionKind::Copy(c) =
        one("COPY --chmod=644 <<FILE1 mid <<FILE2 /dest/\none\nFILE1\ntwo\nFILE1\nFILE2\n")
    else {
        panic!()
    };
    assert_eq!(c.chmod, Some(lit("644")));
    assert_eq!(c.sources.len(), 3);
    let h1 = heredoc_of(&c.sources[0]);
    assert_eq!((h1.delimiter.as_str(), &h1.body), ("FILE1", &lit("one\n")));
    assert_eq!(c.sources[1], AstSource::Path(lit("mid")));
    let h2 = heredoc_of(&c.sources[2]);
    // FILE1 only closes the first body: in the second it is text.
    assert_eq!(
        (h2.delimiter.as_str(), &h2.body),
        ("FILE2", &lit("two\nFILE1\n"))
    );
    assert_eq!(c.dest, lit("/dest/"));
}

#[test]
fn add_heredoc_quoted_and_tab_stripped() {
    let InstructionKind::Add(a) = one("ADD <<-'EOF' /etc/x\n\tkeep $X\n\t\tEOF\n") else {
        panic!()
    };
    let h = heredoc_of(&a.sources[0]);
    assert!(h.quoted && h.strip_tabs);
    assert_eq!(h.body, lit("keep $X\n"));
    assert_eq!(a.dest, lit("/etc/x"));
    let InstructionKind::Add(a) = one("ADD <<\"a b\" https://x/y /d/\n$Y\na b\n") else {
        panic!()
    };
    let h = heredoc_of(&a.sources[0]);
    assert_eq!((h.delimiter.as_str(), h.quoted), ("a b", true));
    assert_eq!(h.body, lit("$Y\n"));
    assert_eq!(a.sources[1], AstSource::Path(lit("https://x/y")));
}

#[test]
fn quoted_heredoc_like_word_is_a_path() {
    let InstructionKind::Copy(c) = one("COPY \"<<EOF\" /d") else {
        panic!()
    };
    assert_eq!(c.sources, vec![AstSource::Path(lit("<<EOF"))]);
}

// ----- CAT and heredocs ------------------------------------------------------------------------

#[test]
fn cat_heredoc_with_variables() {
    let pf =
        ok("FROM a\nCAT <<EOF /p.txt\nHi ${NAME:-you}, it's \"$X\" \\$5\n\nEOF\nCMD [\"-m\"]\n");
    let st = &pf.stages[0];
    let InstructionKind::Cat(c) = &st.instructions[0].kind else {
        panic!()
    };
    assert_eq!(c.dest, lit("/p.txt"));
    assert_eq!(c.heredoc.delimiter, "EOF");
    assert!(!c.heredoc.quoted && !c.heredoc.strip_tabs);
    let p = &c.heredoc.body.parts;
    assert_eq!(p[0], l("Hi "));
    assert!(matches!(&p[1], WordPart::Var(v) if v.name == "NAME"));
    assert_eq!(p[2], l(", it's \""));
    assert_eq!(p[3], var("X", false));
    assert_eq!(p[4], l("\" $5\n\n"));
    let sp = st.instructions[0].span;
    assert_eq!((sp.line, sp.column, sp.offset, sp.len), (2, 1, 7, 52));
    assert_eq!(
        (c.heredoc.body.span.line, c.heredoc.body.span.column),
        (3, 1)
    );
    assert_eq!(st.instructions[1].span.line, 6);
}

#[test]
fn cat_quoted_and_tab_stripped_heredocs() {
    let InstructionKind::Cat(c) = one("CAT <<-\"END\" out\n\t\tkeep $X\n\tEND") else {
        panic!()
    };
    assert!(c.heredoc.quoted && c.heredoc.strip_tabs);
    assert_eq!(c.heredoc.body, lit("keep $X\n"));
    let InstructionKind::Cat(c) = one("CAT <<'E' out\nE") else {
        panic!()
    };
    assert_eq!(c.heredoc.body, Word::default());
    let InstructionKind::Cat(c) = one("CAT <<EOF out\r\nline\r\nEOF\r\n") else {
        panic!()
    };
    assert_eq!(c.heredoc.body, lit("line\n"));
    // Without `-`, tabs stay and an indented terminator does not end the body.
    let InstructionKind::Cat(c) = one("CAT <<EOF out\n\tx\n\tEOF\nEOF") else {
        panic!()
    };
    assert_eq!(c.heredoc.body, lit("\tx\n\tEOF\n"));
}

#[test]
fn cat_errors() {
    let e = err_has("FROM a\nCAT <<EOF out\nno end\n", "unterminated heredoc");
    assert_eq!((e.line, e.column, e.span.len), (2, 5, 5));
    err_has(
        "FROM a\nCAT <<A <<B out\nx\nA\ny\nB\n",
        "exactly one heredoc",
    );
    err_has("FROM a\nCAT out\n", "needs a heredoc");
    err_has("FROM a\nCAT <<EOF\nx\nEOF\n", "needs a destination");
    err_has(
        "FROM a\nCAT out <<EOF\nx\nEOF\n",
        "destination must come after",
    );
    err_has("FROM a\nCAT <<EOF a b\nx\nEOF\n", "single destination");
    err_has("FROM a\nCAT --chmod=1 <<EOF a\nx\nEOF\n", "takes no flags");
}

#[test]
fn heredoc_after_a_continued_line() {
    let pf = ok("FROM a\nCAT <<EOF \\\n   dest\nbody\nEOF\nCMD x\n");
    let InstructionKind::Cat(c) = &pf.stages[0].instructions[0].kind else {
        panic!()
    };
    assert_eq!(c.dest, lit("dest"));
    assert_eq!(c.heredoc.body, lit("body\n"));
}

// ----- CMD -------------------------------------------------------------------------------------

#[test]
fn cmd_exec_form() {
    let InstructionKind::Cmd(Cmd::Exec(a)) =
        one(r#"CMD [ "-m", "a\tb\"c\u00e9", "{{'x'}}\\$Y", "${T:-x}" ]"#)
    else {
        panic!()
    };
    assert_eq!(a[0], lit("-m"));
    assert_eq!(a[1], lit("a\tb\"cé"));
    assert_eq!(a[2], lit("{{'x'}}$Y"));
    assert!(matches!(&a[3].parts[0], WordPart::Var(v) if v.name == "T"));
    assert_eq!((a[1].span.column, a[1].span.len), (13, 15));
    let InstructionKind::Cmd(Cmd::Exec(a)) = one("CMD []") else {
        panic!()
    };
    assert!(a.is_empty());
}

#[test]
fn cmd_exec_form_across_lines() {
    let pf = ok("FROM a\nCMD [\"-m\", \\\n     \"x.gguf\"]\n");
    let InstructionKind::Cmd(Cmd::Exec(a)) = &pf.stages[0].instructions[0].kind else {
        panic!()
    };
    assert_eq!(a[1], lit("x.gguf"));
    assert_eq!((a[1].span.line, a[1].span.column), (3, 6));
}

#[test]
fn cmd_shell_form() {
    let InstructionKind::Cmd(Cmd::Shell(s)) = one("CMD -m \"$M\" -c 8192   ") else {
        panic!()
    };
    assert_eq!(s.parts, vec![l("-m \""), var("M", false), l("\" -c 8192")]);
}

#[test]
fn cmd_errors() {
    err_has("FROM a\nCMD\n", "needs arguments");
    err_has("FROM a\nCMD [\"a\", 1]\n", "JSON array of strings");
    err_has("FROM a\nCMD ['-m']\n", "JSON array of strings");
    err_has("FROM a\nCMD [\"a\"\n", "unterminated JSON array");
    err_has("FROM a\nCMD [\"${A\"]\n", "missing `}`");
}

// ----- CONVERT / QUANTIZE ----------------------------------------------------------------------

#[test]
fn convert_options() {
    let InstructionKind::Convert(c) =
        one("CONVERT --type=F16 --class=lora --base=Qwen2-1.5B Qwen2-1.5B-MAC-lora out.gguf")
    else {
        panic!()
    };
    assert_eq!(c.class, Some(ConvertClass::Lora));
    assert_eq!(c.base, Some(lit("Qwen2-1.5B")));
    assert_eq!(c.ty, Some(lit("F16")));
    assert_eq!(
        (c.src, c.dest),
        (lit("Qwen2-1.5B-MAC-lora"), lit("out.gguf"))
    );
    let InstructionKind::Convert(c) = one("CONVERT --from=context --class=Model a b") else {
        panic!()
    };
    assert_eq!(
        (c.class, c.from),
        (Some(ConvertClass::Model), Some(lit("context")))
    );
    let InstructionKind::Convert(c) = one("CONVERT a b") else {
        panic!()
    };
    assert_eq!(
        c,
        Convert {
            src: lit("a"),
            dest: lit("b"),
            ..Convert::default()
        }
    );
}

#[test]
fn convert_errors() {
    let e = err_has("FROM a\nCONVERT --class=lora a b\n", "needs the base model");
    assert_eq!((e.column, e.span.len), (9, 12));
    err_has("FROM a\nCONVERT --class=adapter a b\n", "invalid `--class`");
    err_has("FROM a\nCONVERT a\n", "needs a source and a destination");
    err_has(
        "FROM a\nCONVERT a b c\n",
        "exactly one source and one destination",
    );
}

#[test]
fn quantize_options() {
    let InstructionKind::Quantize(q) = one(
        "QUANTIZE --type=Q4_K_M --pure --imatrix=m.dat --include-weights=a,b --include-weights=c \
         --leave-output-tensor=false --output-tensor-type=Q8_0 --token-embedding-type=F16 in.gguf out.gguf",
    ) else {
        panic!()
    };
    assert_eq!(q.ty, Some(lit("Q4_K_M")));
    assert_eq!(q.pure, Some(true));
    assert_eq!(q.imatrix, Some(lit("m.dat")));
    assert_eq!(q.include_weights, vec![lit("a,b"), lit("c")]);
    assert!(q.exclude_weights.is_empty());
    assert_eq!(q.leave_output_tensor, Some(false));
    assert_eq!(q.output_tensor_type, Some(lit("Q8_0")));
    assert_eq!(q.token_embedding_type, Some(lit("F16")));
    let InstructionKind::Quantize(q) = one("QUANTIZE a b") else {
        panic!()
    };
    assert_eq!(
        q,
        Quantize {
            src: lit("a"),
            dest: lit("b"),
            ..Quantize::default()
        }
    );
}

#[test]
fn quantize_errors() {
    err_has(
        "FROM a\nQUANTIZE --imatrix=m --include-weights=a --exclude-weights=b x y\n",
        "can't be used together",
    );
    let e = err_has(
        "FROM a\nQUANTIZE --exclude-weights=b x y\n",
        "`--exclude-weights` needs an importance matrix",
    );
    assert_eq!(e.column, 10);
    err_has(
        "FROM a\nQUANTIZE --include-weights=b x y\n",
        "needs an importance matrix",
    );
    err_has("FROM a\nQUANTIZE --pure=maybe x y\n", "takes a boolean");
}

// ----- lexical rules through the parser ----------------------------------------------------------

#[test]
fn escape_directive_changes_continuation_and_escapes() {
    let pf = ok("# escape=`\nFROM a\nCOPY C:\\src\\x `\n  C:\\dst\\\n");
    let InstructionKind::Copy(c) = &pf.stages[0].instructions[0].kind else {
        panic!()
    };
    assert_eq!(path_words(&c.sources), vec![lit("C:\\src\\x")]);
    assert_eq!(c.dest, lit("C:\\dst\\"));
    assert_eq!(pf.directives[0].value, "`");
}

#[test]
fn comments_inside_continuations() {
    let pf = ok("FROM a\nLABEL a=1 \\\n# comment\n\n  b=2\n# after\nCMD x\n");
    let InstructionKind::Label(lb) = &pf.stages[0].instructions[0].kind else {
        panic!()
    };
    assert_eq!(lb.pairs.len(), 2);
    assert_eq!(lb.pairs[1].0.span.line, 5);
}

#[test]
fn crlf_bom_tabs_and_unicode() {
    let pf = ok("\u{feff}FROM\ta\tAS\tb\r\nLABEL\tname=\"Ünïcödé 日本\"\t\\\r\n\tx=y\r\n");
    assert_eq!(pf.stages[0].from.alias, Some(lit("b")));
    assert_eq!(pf.stages[0].span.column, 1);
    let InstructionKind::Label(lb) = &pf.stages[0].instructions[0].kind else {
        panic!()
    };
    assert_eq!(lb.pairs[0].1, lit("Ünïcödé 日本"));
    assert_eq!(lb.pairs[1], (lit("x"), lit("y")));
    assert_eq!((lb.pairs[1].0.span.line, lb.pairs[1].0.span.column), (3, 2));
}

#[test]
fn directive_after_instruction_is_a_comment() {
    let pf = ok("FROM a\n# escape=`\nCOPY a\\\n b\n");
    assert!(pf.directives.is_empty());
    let InstructionKind::Copy(c) = &pf.stages[0].instructions[0].kind else {
        panic!()
    };
    assert_eq!(
        (path_words(&c.sources), c.dest.clone()),
        (vec![lit("a")], lit("b"))
    );
}

#[test]
fn spans_of_instructions_and_words() {
    let src = "FROM a\n  COPY --link x \\\n   yy\n";
    let pf = ok(src);
    let i = &pf.stages[0].instructions[0];
    assert_eq!((i.span.line, i.span.column, i.span.offset), (2, 3, 9));
    assert_eq!(
        &src[i.span.offset..i.span.offset + i.span.len],
        "COPY --link x \\\n   yy"
    );
    let InstructionKind::Copy(c) = &i.kind else {
        panic!()
    };
    assert_eq!(
        (
            c.dest.span.line,
            c.dest.span.column,
            c.dest.span.offset,
            c.dest.span.len
        ),
        (3, 4, 28, 2)
    );
    let span = pf.stages[0].span;
    assert_eq!(
        (span.line, span.column, span.offset, span.len),
        (1, 1, 0, 6)
    );
}

#[test]
fn word_spanning_a_continuation() {
    let src = "FROM a\nCOPY ab\\\ncd e\n";
    let pf = ok(src);
    let InstructionKind::Copy(c) = &pf.stages[0].instructions[0].kind else {
        panic!()
    };
    assert_eq!(path_words(&c.sources)[0], lit("abcd"));
    let s = path_words(&c.sources)[0].span;
    assert_eq!(&src[s.offset..s.offset + s.len], "ab\\\ncd");
}

#[test]
fn never_panics_on_odd_input() {
    for src in [
        "\u{feff}\u{feff}",
        "\\",
        "FROM a\\",
        "FROM a\nCAT <<",
        "FROM a\nCAT <<-",
        "FROM a\nCMD [",
        "FROM a\nCMD [\"\\u",
        "FROM a\nCMD [\"\\ud800\\u",
        "FROM \"",
        "FROM ${",
        "FROM $",
        "# escape=`\n`",
        "FROM a\nLABEL \"",
        "FROM a\nCOPY --",
        "FROM a\nCOPY --x=",
        "\r\r\n\r",
        "FROM a\nARG é",
        "FROM é\u{0}",
    ] {
        let _ = parse(src);
    }
}

#[test]
fn ten_thousand_lines_parse_quickly() {
    let mut src = String::from("# syntax=gpustack/gguf-packer:latest\nARG Q=Q5_K_M\n");
    let mut n = 0;
    while n < 10_000 {
        src.push_str(&format!(
            "FROM scratch AS s{n}\nCOPY --from=x --exclude=*.tmp a{n} \\\n    b{n}\nQUANTIZE --type=${{Q}} in.gguf out-{n}.gguf\nCAT <<EOF p{n}.txt\nline one $Q\nline two\nEOF\nCMD [\"-m\", \"out-{n}.gguf\", \"--x\", \"${{Q:-d}}\"]\n\n"
        ));
        n += 11;
    }
    let start = std::time::Instant::now();
    let pf = ok(&src);
    let took = start.elapsed();
    assert!(pf.stages.len() > 900);
    // Generous for unoptimized CI builds; the bench measures the real number.
    assert!(took.as_millis() < 2000, "{took:?}");
}

/// Small random edits of valid files: every result is `Ok` with in-range spans, or an `Err`
/// with an in-range position; never a panic.
#[test]
fn mutated_inputs_never_panic() {
    let seeds = [
        "# escape=`\nFROM a AS b\nCOPY --from=x a `\n b\nCAT <<-'E' x\n\tq $A\n\tE\n",
        "ARG A=\"${B:-x}\" C='d'\nFROM ${A}\nCMD [\"-m\", \"${A:+y}\\u00e9\"]\nLABEL a=b \"c d\"=e\n",
        "FROM a\nQUANTIZE --imatrix=m --include-weights=a x y\nCONVERT --class=lora --base=b a b\nADD [\"a\", \"b\"]\n",
        "\u{feff}FROM a\r\nCAT <<EOF d\r\n${X:-${Y:-z}} \\$ \\\\\r\nEOF\r\nCMD x $Y \"q\"\n",
    ];
    let alphabet: Vec<char> = "$\\`{}:-+\"'= \t\n\r#<>[],EOFAS-ab\u{e9}\u{feff}"
        .chars()
        .collect();
    let mut state: u64 = 0x1234_5678_9abc_def0;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..20_000u32 {
        let seed = seeds[(round as usize) % seeds.len()];
        let mut chars: Vec<char> = seed.chars().collect();
        for _ in 0..(next() % 6 + 1) {
            let pos = (next() as usize) % (chars.len() + 1);
            match next() % 3 {
                0 if pos < chars.len() => {
                    chars.remove(pos);
                }
                1 => chars.insert(pos, alphabet[(next() as usize) % alphabet.len()]),
                _ if pos < chars.len() => chars[pos] = alphabet[(next() as usize) % alphabet.len()],
                _ => {}
            }
        }
        let text: String = chars.into_iter().collect();
        match parse(&text) {
            Ok(pf) => {
                let within =
                    |sp: Span| sp.offset + sp.len <= text.len() && sp.line >= 1 && sp.column >= 1;
                for st in &pf.stages {
                    assert!(within(st.span), "{text:?}");
                    assert!(within(st.from.image.span), "{text:?}");
                    for i in st.instructions.iter().chain(&pf.global_args) {
                        assert!(within(i.span), "{text:?} {i:?}");
                        if let InstructionKind::Cat(c) = &i.kind {
                            assert!(within(c.heredoc.body.span), "{text:?} {c:?}");
                        }
                        if let InstructionKind::Cmd(Cmd::Exec(ws)) = &i.kind {
                            for w in ws {
                                assert!(within(w.span), "{text:?} {w:?}");
                                assert_eq!(text.as_bytes()[w.span.offset], b'"', "{text:?} {w:?}");
                            }
                        }
                    }
                }
            }
            Err(e) => {
                let shown = e.to_string();
                assert!(e.line >= 1 && e.column >= 1, "{text:?}: {shown}");
                assert!(
                    e.span.offset <= text.len() && e.span.offset + e.span.len <= text.len(),
                    "{text:?}: {e:?}"
                );
            }
        }
    }
}

/// Very long lines (many words, nested variables, JSON strings) parse in linear time: spans of
/// enclosing nodes are made after their parts, which must not recount the line from its start.
#[test]
fn long_lines_stay_linear() {
    let n = 20_000;
    let cases = [
        format!("FROM a\nCMD [{}\"x\"]\n", "\"a${B:-c}\", ".repeat(n)),
        format!("FROM a\nLABEL {}a=b\n", "k=${V:-w} ".repeat(n)),
        format!("FROM a\nARG {}Z\n", "A=${V:-w} ".repeat(n)),
        format!("FROM a\nCMD {}\n", "x ${V:-w} ".repeat(n)),
        format!("FROM a\nCOPY {}d\n", "é${V:-w} ".repeat(n)),
        format!("FROM a\nCAT <<E d\n{}\nE\n", "${V:-w} ".repeat(n)),
        format!("FROM a\nCOPY {}d\n", "a \\\n".repeat(n)),
    ];
    let start = std::time::Instant::now();
    for src in &cases {
        let pf = ok(src);
        let last = &pf.stages[0].instructions[0];
        assert_eq!(
            last.span.offset + last.span.len,
            src.len() - 1,
            "{:?}",
            &src[7..30]
        );
    }
    // Linear work is a few milliseconds here; a quadratic walk would take minutes.
    assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
    let InstructionKind::Copy(c) = &ok(&cases[4]).stages[0].instructions[0].kind else {
        panic!()
    };
    let ws = path_words(&c.sources);
    let w = &ws[n - 1];
    assert_eq!((w.span.line, w.span.column), (2, 6 + 9 * (n as u32 - 1)));
}
