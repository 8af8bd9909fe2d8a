//! Every example of the gguf-packer README (quick start, the GGUFPackerfile section and each
//! instruction's section with its "Available Options"), typed here as test input, parsed and
//! checked node by node against the AST we expect, then printed and parsed back.
//!
//! The README's per-instruction snippets have no `FROM` (they are fragments); here each is
//! placed in a complete file, with the stages its `--from` flags name.

mod common;

use common::*;
use ggufpack_packerfile::*;

const SYNTAX: &str = "gpustack/gguf-packer:latest";

const CHAT_TEMPLATE: &str = r#"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"#;

const SYSTEM_PROMPT: &str = "You are an AI assistant that follows instruction extremely well. Help as much as you can.
In answering questions, follow these steps:
1. Entity Identification: Identify the main entities involved in the query. Entities can include people, objects, events, or abstract concepts.
2. Relationship Comprehension: Determine the relationships between these entities. Relationships may be explicit in the text or may need to be inferred based on context and general knowledge.
3. Implication Understanding: Understand the general implications of these relationships. These implications can be based on established facts, principles, or rules related to the identified relationships.
4. Question Contextualization: Align the implications of the relationships with the context of the query. This alignment should guide your response to the query.
5. Answer Generation: Based on the understanding of the entities, their relationships, and implications, generate an appropriate response to the query.
";

fn quick_start_src() -> String {
    format!(
        r#"# syntax=gpustack/gguf-packer:latest

ARG        BASE=scratch
ARG        QUANTIZE_TYPE=Q5_K_M
ARG        CHAT_TEMPLATE="{CHAT_TEMPLATE}"

FROM       scratch AS f16
ADD        https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git  Qwen2-0.5B-Instruct
CONVERT    --type=F16  Qwen2-0.5B-Instruct  Qwen2-0.5B-Instruct.F16.gguf

FROM       ${{BASE}}
LABEL      gguf.model.from="Hugging Face"
QUANTIZE   --from=f16 --type=${{QUANTIZE_TYPE}}  Qwen2-0.5B-Instruct.F16.gguf  Qwen2-0.5B-Instruct.${{QUANTIZE_TYPE}}.gguf
CAT        <<EOF system-prompt.txt
{SYSTEM_PROMPT}EOF
CMD        ["-m", "Qwen2-0.5B-Instruct.${{QUANTIZE_TYPE}}.gguf", "-c", "8192", "--system-prompt-file", "system-prompt.txt", "--chat-template", "${{CHAT_TEMPLATE}}"]
"#
    )
}

fn quantized_name() -> Word {
    w(vec![
        l("Qwen2-0.5B-Instruct."),
        v("QUANTIZE_TYPE"),
        l(".gguf"),
    ])
}

fn quick_start_ast() -> Packerfile {
    Packerfile {
        directives: vec![directive("syntax", SYNTAX)],
        global_args: vec![
            arg(vec![("BASE", Some(lit("scratch")))]),
            arg(vec![("QUANTIZE_TYPE", Some(lit("Q5_K_M")))]),
            arg(vec![("CHAT_TEMPLATE", Some(lit(CHAT_TEMPLATE)))]),
        ],
        stages: vec![
            stage(
                from(lit("scratch"), Some("f16")),
                vec![
                    ins(InstructionKind::Add(Add {
                        sources: paths(vec![lit(
                            "https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git",
                        )]),
                        dest: lit("Qwen2-0.5B-Instruct"),
                        ..Add::default()
                    })),
                    ins(InstructionKind::Convert(Convert {
                        ty: Some(lit("F16")),
                        src: lit("Qwen2-0.5B-Instruct"),
                        dest: lit("Qwen2-0.5B-Instruct.F16.gguf"),
                        ..Convert::default()
                    })),
                ],
            ),
            stage(
                from(w(vec![v("BASE")]), None),
                vec![
                    label(vec![(lit("gguf.model.from"), lit("Hugging Face"))]),
                    ins(InstructionKind::Quantize(Quantize {
                        from: Some(lit("f16")),
                        ty: Some(w(vec![v("QUANTIZE_TYPE")])),
                        src: lit("Qwen2-0.5B-Instruct.F16.gguf"),
                        dest: quantized_name(),
                        ..Quantize::default()
                    })),
                    cat(
                        "EOF",
                        false,
                        false,
                        lit(SYSTEM_PROMPT),
                        lit("system-prompt.txt"),
                    ),
                    cmd_exec(vec![
                        lit("-m"),
                        quantized_name(),
                        lit("-c"),
                        lit("8192"),
                        lit("--system-prompt-file"),
                        lit("system-prompt.txt"),
                        lit("--chat-template"),
                        w(vec![v("CHAT_TEMPLATE")]),
                    ]),
                ],
            ),
        ],
    }
}

#[test]
fn quick_start() {
    let src = quick_start_src();
    check(&src, &quick_start_ast());
}

#[test]
fn quick_start_spans() {
    let src = quick_start_src();
    let pf = parse_ok(&src);

    assert_eq!(pf.directives[0].span.line, 1);
    assert_eq!(pf.directives[0].span.column, 1);

    let lines: Vec<u32> = pf.global_args.iter().map(|a| a.span.line).collect();
    assert_eq!(lines, [3, 4, 5], "global ARG lines");
    for a in &pf.global_args {
        assert_eq!(a.span.column, 1);
        assert!(spanned(&src, &a.span).starts_with("ARG"));
    }

    assert_eq!((pf.stages[0].span.line, pf.stages[0].span.column), (7, 1));
    assert!(spanned(&src, &pf.stages[0].span).starts_with("FROM       scratch AS f16"));
    assert_eq!((pf.stages[1].span.line, pf.stages[1].span.column), (11, 1));

    let s0: Vec<u32> = pf.stages[0]
        .instructions
        .iter()
        .map(|i| i.span.line)
        .collect();
    assert_eq!(s0, [8, 9]);
    let s1: Vec<u32> = pf.stages[1]
        .instructions
        .iter()
        .map(|i| i.span.line)
        .collect();
    assert_eq!(s1, [12, 13, 14, 23], "LABEL, QUANTIZE, CAT, CMD lines");

    // The CAT instruction covers its heredoc body and the terminator line.
    let cat_span = pf.stages[1].instructions[2].span;
    let text = spanned(&src, &cat_span);
    assert!(
        text.starts_with("CAT        <<EOF system-prompt.txt\n"),
        "{text:?}"
    );
    assert!(
        text.trim_end().ends_with("\nEOF"),
        "CAT span must include the terminator: {text:?}"
    );

    // Word spans: 1-based line and column of the word's first character.
    assert_eq!(
        (
            pf.stages[1].from.image.span.line,
            pf.stages[1].from.image.span.column
        ),
        pos_of(&src, "${BASE}", 0)
    );
    let InstructionKind::Quantize(q) = &pf.stages[1].instructions[1].kind else {
        panic!("QUANTIZE expected")
    };
    let at = src.find("QUANTIZE ").unwrap();
    assert_eq!(
        (q.src.span.line, q.src.span.column),
        pos_of(&src, "Qwen2-0.5B-Instruct.F16.gguf", at)
    );
    assert_eq!(
        (q.dest.span.line, q.dest.span.column),
        pos_of(&src, "Qwen2-0.5B-Instruct.${QUANTIZE_TYPE}.gguf", at)
    );
    let InstructionKind::Cmd(Cmd::Exec(args)) = &pf.stages[1].instructions[3].kind else {
        panic!("CMD exec expected")
    };
    assert_eq!(args[0].span.line, 23);
}

#[test]
fn ggufpackerfile_section() {
    // The same file as a Dockerfile with the syntax directive, and as a GGUFPackerfile.
    let want = Packerfile {
        directives: vec![directive("syntax", SYNTAX)],
        global_args: vec![],
        stages: vec![scratch(vec![])],
    };
    check(
        "# syntax=gpustack/gguf-packer:latest\nFROM scratch\n",
        &want,
    );
    check("FROM scratch\n", &one_stage(vec![]));
    // No trailing newline.
    check("FROM scratch", &one_stage(vec![]));
}

#[test]
fn add_from_http_and_git() {
    let src = "# syntax=gpustack/gguf-packer:latest

FROM scratch
# add from http
ADD https://huggingface.co/QuantFactory/Qwen2-0.5B-Instruct-GGUF/resolve/main/Qwen2-0.5B-Instruct.Q5_K_M.gguf /app/Qwen2-0.5B-Instruct.Q5_K_M.gguf

# add from git repository
ADD https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git /app/Qwen2-0.5B-Instruct
";
    let want = Packerfile {
        directives: vec![directive("syntax", SYNTAX)],
        global_args: vec![],
        stages: vec![scratch(vec![
            ins(InstructionKind::Add(Add {
                sources: paths(vec![lit("https://huggingface.co/QuantFactory/Qwen2-0.5B-Instruct-GGUF/resolve/main/Qwen2-0.5B-Instruct.Q5_K_M.gguf")]),
                dest: lit("/app/Qwen2-0.5B-Instruct.Q5_K_M.gguf"),
                ..Add::default()
            })),
            ins(InstructionKind::Add(Add {
                sources: paths(vec![lit("https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git")]),
                dest: lit("/app/Qwen2-0.5B-Instruct"),
                ..Add::default()
            })),
        ])],
    };
    check(src, &want);
}

#[test]
fn add_available_options() {
    let sum = "sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d";
    let src = format!(
        "FROM scratch
ADD --keep-git-dir=true https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git /app/Qwen2-0.5B-Instruct
ADD --keep-git-dir https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git /app/q
ADD --checksum={sum} https://example.com/model.gguf /app/
ADD --chown=1000:1000 --chmod=644 model.gguf tokenizer.json /app/
ADD --link model.gguf /app/
ADD --link=false model.gguf /app/
ADD --exclude=*.md --exclude=*.txt models/ /app/
"
    );
    let add = |a: Add| ins(InstructionKind::Add(a));
    let want = one_stage(vec![
        add(Add {
            keep_git_dir: Some(true),
            sources: paths(vec![lit(
                "https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git",
            )]),
            dest: lit("/app/Qwen2-0.5B-Instruct"),
            ..Add::default()
        }),
        add(Add {
            keep_git_dir: Some(true),
            sources: paths(vec![lit(
                "https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git",
            )]),
            dest: lit("/app/q"),
            ..Add::default()
        }),
        add(Add {
            checksum: Some(lit(sum)),
            sources: paths(vec![lit("https://example.com/model.gguf")]),
            dest: lit("/app/"),
            ..Add::default()
        }),
        add(Add {
            chown: Some(lit("1000:1000")),
            chmod: Some(lit("644")),
            sources: paths(vec![lit("model.gguf"), lit("tokenizer.json")]),
            dest: lit("/app/"),
            ..Add::default()
        }),
        add(Add {
            link: Some(true),
            sources: paths(vec![lit("model.gguf")]),
            dest: lit("/app/"),
            ..Add::default()
        }),
        add(Add {
            link: Some(false),
            sources: paths(vec![lit("model.gguf")]),
            dest: lit("/app/"),
            ..Add::default()
        }),
        add(Add {
            exclude: vec![lit("*.md"), lit("*.txt")],
            sources: paths(vec![lit("models/")]),
            dest: lit("/app/"),
            ..Add::default()
        }),
    ]);
    check(&src, &want);
}

fn arg_example_src() -> &'static str {
    "# syntax=gpustack/gguf-packer:latest
FROM scratch

ARG REPO=QuantFactory
ARG MODEL=Qwen2-0.5B-Instruct
ARG QUANTIZE_TYPE=Q5_K_M

ADD https://huggingface.co/${REPO}/${MODEL}-GGUF/resolve/main/${MODEL}.${QUANTIZE_TYPE}.gguf /app/${MODEL}.${QUANTIZE_TYPE}.gguf
"
}

#[test]
fn arg_example() {
    let want = Packerfile {
        directives: vec![directive("syntax", SYNTAX)],
        global_args: vec![],
        stages: vec![scratch(vec![
            common::arg(vec![("REPO", Some(lit("QuantFactory")))]),
            common::arg(vec![("MODEL", Some(lit("Qwen2-0.5B-Instruct")))]),
            common::arg(vec![("QUANTIZE_TYPE", Some(lit("Q5_K_M")))]),
            ins(InstructionKind::Add(Add {
                sources: paths(vec![w(vec![
                    l("https://huggingface.co/"),
                    v("REPO"),
                    l("/"),
                    v("MODEL"),
                    l("-GGUF/resolve/main/"),
                    v("MODEL"),
                    l("."),
                    v("QUANTIZE_TYPE"),
                    l(".gguf"),
                ])]),
                dest: w(vec![
                    l("/app/"),
                    v("MODEL"),
                    l("."),
                    v("QUANTIZE_TYPE"),
                    l(".gguf"),
                ]),
                ..Add::default()
            })),
        ])],
    };
    check(arg_example_src(), &want);
}

#[test]
fn arg_global_before_from() {
    // The same ARGs as global args, before the first FROM.
    let src = "ARG REPO=QuantFactory
ARG MODEL=Qwen2-0.5B-Instruct
ARG QUANTIZE_TYPE=Q5_K_M
FROM scratch
ADD https://huggingface.co/${REPO}/${MODEL}-GGUF/resolve/main/${MODEL}.${QUANTIZE_TYPE}.gguf /app/
";
    let pf = parse_ok(src);
    assert_eq!(
        pf.global_args,
        vec![
            common::arg(vec![("REPO", Some(lit("QuantFactory")))]),
            common::arg(vec![("MODEL", Some(lit("Qwen2-0.5B-Instruct")))]),
            common::arg(vec![("QUANTIZE_TYPE", Some(lit("Q5_K_M")))]),
        ]
    );
    assert_eq!(pf.stages.len(), 1);
    assert_eq!(pf.stages[0].instructions.len(), 1);
    assert_roundtrip(&pf);
}

fn cat_example_src() -> String {
    format!(
        "# syntax=gpustack/gguf-packer:latest
FROM scratch

CAT <<EOF /app/system-prompt.txt
{SYSTEM_PROMPT}EOF

# llama-server like application's arguments
CMD [\"-c\", \"8192\", \"--system-prompt-file\", \"/app/system-prompt.txt\"]
"
    )
}

#[test]
fn cat_example() {
    let want = Packerfile {
        directives: vec![directive("syntax", SYNTAX)],
        global_args: vec![],
        stages: vec![scratch(vec![
            common::cat(
                "EOF",
                false,
                false,
                lit(SYSTEM_PROMPT),
                lit("/app/system-prompt.txt"),
            ),
            cmd_exec(vec![
                lit("-c"),
                lit("8192"),
                lit("--system-prompt-file"),
                lit("/app/system-prompt.txt"),
            ]),
        ])],
    };
    let src = cat_example_src();
    let pf = check(&src, &want);
    assert_eq!(pf.stages[0].instructions[0].span.line, 4);
    assert_eq!(pf.stages[0].instructions[1].span.line, 15);
}

fn cmd_example_src() -> String {
    format!(
        r#"# syntax=gpustack/gguf-packer:latest
FROM scratch

ARG CHAT_TEMPLATE="{CHAT_TEMPLATE}"

CMD ["-m", "/app/Qwen2-0.5B-Instruct.Q5_K_M.gguf", "-c", "8192", "--system-prompt-file", "/app/system-prompt.txt", "--chat-template", "${{CHAT_TEMPLATE}}"]
"#
    )
}

#[test]
fn cmd_example() {
    let want = Packerfile {
        directives: vec![directive("syntax", SYNTAX)],
        global_args: vec![],
        stages: vec![scratch(vec![
            common::arg(vec![("CHAT_TEMPLATE", Some(lit(CHAT_TEMPLATE)))]),
            cmd_exec(vec![
                lit("-m"),
                lit("/app/Qwen2-0.5B-Instruct.Q5_K_M.gguf"),
                lit("-c"),
                lit("8192"),
                lit("--system-prompt-file"),
                lit("/app/system-prompt.txt"),
                lit("--chat-template"),
                w(vec![v("CHAT_TEMPLATE")]),
            ]),
        ])],
    };
    check(&cmd_example_src(), &want);
}

#[test]
fn cmd_of_dockerfile_infer() {
    // The CMD of the README's Dockerfile.infer, after a comment line.
    let src = "FROM scratch
# reuse model file and system prompt file from the base image
CMD [\"-m\", \"Qwen2-0.5B-Instruct.Q5_K_M.gguf\", \"-c\", \"8192\", \"--system-prompt-file\", \"system-prompt.txt\"]
";
    let want = one_stage(vec![cmd_exec(vec![
        lit("-m"),
        lit("Qwen2-0.5B-Instruct.Q5_K_M.gguf"),
        lit("-c"),
        lit("8192"),
        lit("--system-prompt-file"),
        lit("system-prompt.txt"),
    ])]);
    check(src, &want);
}

#[test]
fn copy_example() {
    let src = "# syntax=gpustack/gguf-packer:latest
FROM scratch AS original
ADD https://huggingface.co/QuantFactory/Qwen2-0.5B-Instruct-GGUF/resolve/main/Qwen2-0.5B-Instruct.Q5_K_M.gguf /app/

FROM scratch
# copy from local
COPY Qwen2-0.5B-Instruct.Q5_K_M.gguf /app/

# copy from other stage
COPY --from=original /app/Qwen2-0.5B-Instruct.Q5_K_M.gguf /app/

# copy from an image (Dockerfile.infer)
COPY --from=ghcr.io/ggerganov/llama.cpp:server /llama-server /
";
    let copy = |c: Copy| ins(InstructionKind::Copy(c));
    let want = Packerfile {
        directives: vec![directive("syntax", SYNTAX)],
        global_args: vec![],
        stages: vec![
            stage(
                from(lit("scratch"), Some("original")),
                vec![ins(InstructionKind::Add(Add {
                    sources: paths(vec![lit("https://huggingface.co/QuantFactory/Qwen2-0.5B-Instruct-GGUF/resolve/main/Qwen2-0.5B-Instruct.Q5_K_M.gguf")]),
                    dest: lit("/app/"),
                    ..Add::default()
                }))],
            ),
            scratch(vec![
                copy(Copy {
                    sources: paths(vec![lit("Qwen2-0.5B-Instruct.Q5_K_M.gguf")]),
                    dest: lit("/app/"),
                    ..Copy::default()
                }),
                copy(Copy {
                    from: Some(lit("original")),
                    sources: paths(vec![lit("/app/Qwen2-0.5B-Instruct.Q5_K_M.gguf")]),
                    dest: lit("/app/"),
                    ..Copy::default()
                }),
                copy(Copy {
                    from: Some(lit("ghcr.io/ggerganov/llama.cpp:server")),
                    sources: paths(vec![lit("/llama-server")]),
                    dest: lit("/"),
                    ..Copy::default()
                }),
            ]),
        ],
    };
    check(src, &want);
}

#[test]
fn copy_available_options() {
    let src = "FROM scratch
COPY --parents a/b/model.gguf c/d/tokenizer.json /app/
COPY --parents=false a/b /app/
COPY --chown=llm:llm --chmod=0644 model.gguf /app/
COPY --link model.gguf /app/
COPY --exclude=*.bin --exclude=*.pt --from=context models/ /app/models/
";
    let copy = |c: Copy| ins(InstructionKind::Copy(c));
    let want = one_stage(vec![
        copy(Copy {
            parents: Some(true),
            sources: paths(vec![lit("a/b/model.gguf"), lit("c/d/tokenizer.json")]),
            dest: lit("/app/"),
            ..Copy::default()
        }),
        copy(Copy {
            parents: Some(false),
            sources: paths(vec![lit("a/b")]),
            dest: lit("/app/"),
            ..Copy::default()
        }),
        copy(Copy {
            chown: Some(lit("llm:llm")),
            chmod: Some(lit("0644")),
            sources: paths(vec![lit("model.gguf")]),
            dest: lit("/app/"),
            ..Copy::default()
        }),
        copy(Copy {
            link: Some(true),
            sources: paths(vec![lit("model.gguf")]),
            dest: lit("/app/"),
            ..Copy::default()
        }),
        copy(Copy {
            from: Some(lit("context")),
            exclude: vec![lit("*.bin"), lit("*.pt")],
            sources: paths(vec![lit("models/")]),
            dest: lit("/app/models/"),
            ..Copy::default()
        }),
    ]);
    check(src, &want);
}

fn convert_example_src() -> &'static str {
    "# syntax=gpustack/gguf-packer:latest
FROM scratch AS other-stage
ADD https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git /app/Qwen2-0.5B-Instruct

FROM scratch
# convert safetensors model files from current stage
ADD     https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git /app/Qwen2-0.5B-Instruct
CONVERT --type=F16 /app/Qwen2-0.5B-Instruct /app/Qwen2-0.5B-Instruct.F16.gguf

# convert from other stage
CONVERT --from=other-stage --type=F16 /app/Qwen2-0.5B-Instruct /app/Qwen2-0.5B-Instruct.F16.gguf

# convert from build context
CONVERT --from=context --type=F16 /app/Qwen2-0.5B-Instruct /app/Qwen2-0.5B-Instruct.F16.gguf

# convert a PEFT LoRA adapter to GGUF file
ADD        https://huggingface.co/inflaton/Qwen2-1.5B-MAC-lora.git Qwen2-1.5B-MAC-lora
ADD        https://huggingface.co/Qwen/Qwen2-1.5B.git Qwen2-1.5B
CONVERT    --type=F16 --class=lora --base=Qwen2-1.5B Qwen2-1.5B-MAC-lora Qwen2-1.5B-MAC-lora.F16.gguf
"
}

#[test]
fn convert_incl_lora() {
    let add = |src: &str, dest: &str| {
        ins(InstructionKind::Add(Add {
            sources: paths(vec![lit(src)]),
            dest: lit(dest),
            ..Add::default()
        }))
    };
    let convert = |c: Convert| ins(InstructionKind::Convert(c));
    let want = Packerfile {
        directives: vec![directive("syntax", SYNTAX)],
        global_args: vec![],
        stages: vec![
            stage(
                from(lit("scratch"), Some("other-stage")),
                vec![add(
                    "https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git",
                    "/app/Qwen2-0.5B-Instruct",
                )],
            ),
            scratch(vec![
                add(
                    "https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git",
                    "/app/Qwen2-0.5B-Instruct",
                ),
                convert(Convert {
                    ty: Some(lit("F16")),
                    src: lit("/app/Qwen2-0.5B-Instruct"),
                    dest: lit("/app/Qwen2-0.5B-Instruct.F16.gguf"),
                    ..Convert::default()
                }),
                convert(Convert {
                    from: Some(lit("other-stage")),
                    ty: Some(lit("F16")),
                    src: lit("/app/Qwen2-0.5B-Instruct"),
                    dest: lit("/app/Qwen2-0.5B-Instruct.F16.gguf"),
                    ..Convert::default()
                }),
                convert(Convert {
                    from: Some(lit("context")),
                    ty: Some(lit("F16")),
                    src: lit("/app/Qwen2-0.5B-Instruct"),
                    dest: lit("/app/Qwen2-0.5B-Instruct.F16.gguf"),
                    ..Convert::default()
                }),
                add(
                    "https://huggingface.co/inflaton/Qwen2-1.5B-MAC-lora.git",
                    "Qwen2-1.5B-MAC-lora",
                ),
                add("https://huggingface.co/Qwen/Qwen2-1.5B.git", "Qwen2-1.5B"),
                convert(Convert {
                    ty: Some(lit("F16")),
                    class: Some(ConvertClass::Lora),
                    base: Some(lit("Qwen2-1.5B")),
                    src: lit("Qwen2-1.5B-MAC-lora"),
                    dest: lit("Qwen2-1.5B-MAC-lora.F16.gguf"),
                    ..Convert::default()
                }),
            ]),
        ],
    };
    check(convert_example_src(), &want);
}

#[test]
fn convert_available_options() {
    let src = "FROM scratch
CONVERT --class=model /app/m /app/m.gguf
CONVERT --type=F32 a a.F32.gguf
CONVERT --type=BF16 a a.BF16.gguf
CONVERT --type=Q8_0 a a.Q8_0.gguf
CONVERT --type=TQ1_0 a a.TQ1_0.gguf
CONVERT --type=TQ2_0 a a.TQ2_0.gguf
CONVERT a a.gguf
";
    let convert = |class: Option<ConvertClass>, ty: Option<&str>, src: &str, dest: &str| {
        ins(InstructionKind::Convert(Convert {
            class,
            ty: ty.map(lit),
            src: lit(src),
            dest: lit(dest),
            ..Convert::default()
        }))
    };
    let want = one_stage(vec![
        convert(Some(ConvertClass::Model), None, "/app/m", "/app/m.gguf"),
        convert(None, Some("F32"), "a", "a.F32.gguf"),
        convert(None, Some("BF16"), "a", "a.BF16.gguf"),
        convert(None, Some("Q8_0"), "a", "a.Q8_0.gguf"),
        convert(None, Some("TQ1_0"), "a", "a.TQ1_0.gguf"),
        convert(None, Some("TQ2_0"), "a", "a.TQ2_0.gguf"),
        convert(None, None, "a", "a.gguf"),
    ]);
    check(src, &want);
}

#[test]
fn from_example() {
    // Note the trailing space after `scratch`, as in the README.
    let src = "# syntax=gpustack/gguf-packer:latest

FROM scratch 

# reference another image
FROM thxcode/qwen2:0.5b-instruct-q5-k-m
";
    let want = Packerfile {
        directives: vec![directive("syntax", SYNTAX)],
        global_args: vec![],
        stages: vec![
            scratch(vec![]),
            stage(
                common::from(lit("thxcode/qwen2:0.5b-instruct-q5-k-m"), None),
                vec![],
            ),
        ],
    };
    let pf = check(src, &want);
    assert_eq!(pf.stages[0].span.line, 3);
    assert_eq!(pf.stages[1].span.line, 6);
}

#[test]
fn from_with_platform_alias_and_global_arg() {
    // Dockerfile.infer's global ARG with an empty quoted default used in FROM, and FROM's
    // --platform and AS.
    let src = "# syntax=docker/dockerfile:1.7-labs
ARG  REPO=\"\"
FROM ${REPO}/qwen2:0.5b-instruct-q5-k-m-demo2
FROM --platform=linux/amd64 scratch AS Base
";
    let want = Packerfile {
        directives: vec![directive("syntax", "docker/dockerfile:1.7-labs")],
        global_args: vec![common::arg(vec![("REPO", Some(lit("")))])],
        stages: vec![
            stage(
                common::from(
                    w(vec![v("REPO"), l("/qwen2:0.5b-instruct-q5-k-m-demo2")]),
                    None,
                ),
                vec![],
            ),
            stage(
                From {
                    platform: Some(lit("linux/amd64")),
                    image: lit("scratch"),
                    alias: Some(lit("Base")),
                },
                vec![],
            ),
        ],
    };
    check(src, &want);
}

#[test]
fn label_multi_line() {
    let src = "# syntax=gpustack/gguf-packer:latest
FROM scratch

LABEL org.opencontainers.image.title=\"Qwen2-0.5B-Instruct\" \\
      org.opencontainers.image.description=\"Qwen2 0.5B Instruct model\" \\
      org.opencontainers.image.url=\"https://huggingface.co/Qwen/Qwen2-0.5B-Instruct\" \\
      org.opencontainers.image.source=\"https://huggingface.co/Qwen/Qwen2-0.5B-Instruct\"
LABEL gguf.model.from=\"Hugging Face\"
";
    let want = Packerfile {
        directives: vec![directive("syntax", SYNTAX)],
        global_args: vec![],
        stages: vec![scratch(vec![
            label(vec![
                (
                    lit("org.opencontainers.image.title"),
                    lit("Qwen2-0.5B-Instruct"),
                ),
                (
                    lit("org.opencontainers.image.description"),
                    lit("Qwen2 0.5B Instruct model"),
                ),
                (
                    lit("org.opencontainers.image.url"),
                    lit("https://huggingface.co/Qwen/Qwen2-0.5B-Instruct"),
                ),
                (
                    lit("org.opencontainers.image.source"),
                    lit("https://huggingface.co/Qwen/Qwen2-0.5B-Instruct"),
                ),
            ]),
            label(vec![(lit("gguf.model.from"), lit("Hugging Face"))]),
        ])],
    };
    let pf = check(src, &want);
    // The continued LABEL is one instruction starting on line 4; the next starts on line 8.
    assert_eq!(pf.stages[0].instructions[0].span.line, 4);
    assert_eq!(pf.stages[0].instructions[1].span.line, 8);
    let InstructionKind::Label(lab) = &pf.stages[0].instructions[0].kind else {
        panic!("LABEL expected")
    };
    assert_eq!(lab.pairs[2].0.span.line, 6);
    assert_eq!(lab.pairs[2].0.span.column, 7);
}

fn quantize_example_src() -> &'static str {
    "# syntax=gpustack/gguf-packer:latest
FROM scratch AS other-stage
CONVERT  --type=F16 /app/Qwen2-0.5B-Instruct /app/Qwen2-0.5B-Instruct.F16.gguf

FROM scratch
# quantize a GGUF file from current stage
CONVERT  --type=F16 /app/Qwen2-0.5B-Instruct /app/Qwen2-0.5B-Instruct.F16.gguf
QUANTIZE --type=Q5_K_M /app/Qwen2-0.5B-Instruct.F16.gguf /app/Qwen2-0.5B-Instruct.Q5_K_M.gguf

# quantize from other stage
QUANTIZE --from=other-stage --type=Q5_K_M /app/Qwen2-0.5B-Instruct.F16.gguf /app/Qwen2-0.5B-Instruct.Q5_K_M.gguf

# quantize from build context
QUANTIZE --from=context --type=Q5_K_M /app/Qwen2-0.5B-Instruct.F16.gguf /app/Qwen2-0.5B-Instruct.Q5_K_M.gguf
"
}

#[test]
fn quantize_incl_from_context() {
    let convert = ins(InstructionKind::Convert(Convert {
        ty: Some(lit("F16")),
        src: lit("/app/Qwen2-0.5B-Instruct"),
        dest: lit("/app/Qwen2-0.5B-Instruct.F16.gguf"),
        ..Convert::default()
    }));
    let quantize = |from: Option<&str>| {
        ins(InstructionKind::Quantize(Quantize {
            from: from.map(lit),
            ty: Some(lit("Q5_K_M")),
            src: lit("/app/Qwen2-0.5B-Instruct.F16.gguf"),
            dest: lit("/app/Qwen2-0.5B-Instruct.Q5_K_M.gguf"),
            ..Quantize::default()
        }))
    };
    let want = Packerfile {
        directives: vec![directive("syntax", SYNTAX)],
        global_args: vec![],
        stages: vec![
            stage(
                common::from(lit("scratch"), Some("other-stage")),
                vec![convert.clone()],
            ),
            scratch(vec![
                convert,
                quantize(None),
                quantize(Some("other-stage")),
                quantize(Some("context")),
            ]),
        ],
    };
    check(quantize_example_src(), &want);
}

#[test]
fn quantize_available_options() {
    let src = "FROM scratch
QUANTIZE --pure a.gguf b.gguf
QUANTIZE --imatrix=imatrix.dat --include-weights=token_embd.weight,output.weight a.gguf b.gguf
QUANTIZE --imatrix=imatrix.dat --exclude-weights=blk.0.attn_q.weight --exclude-weights=blk.1.attn_q.weight a.gguf b.gguf
QUANTIZE --leave-output-tensor --output-tensor-type=Q8_0 --token-embedding-type=Q6_K a.gguf b.gguf
QUANTIZE --type=IQ2_XXS --pure=false --leave-output-tensor=true a.gguf b.gguf
QUANTIZE a.gguf b.gguf
";
    let q = |q: Quantize| {
        ins(InstructionKind::Quantize(Quantize {
            src: lit("a.gguf"),
            dest: lit("b.gguf"),
            ..q
        }))
    };
    let want = one_stage(vec![
        q(Quantize {
            pure: Some(true),
            ..Quantize::default()
        }),
        q(Quantize {
            imatrix: Some(lit("imatrix.dat")),
            include_weights: vec![lit("token_embd.weight,output.weight")],
            ..Quantize::default()
        }),
        q(Quantize {
            imatrix: Some(lit("imatrix.dat")),
            exclude_weights: vec![lit("blk.0.attn_q.weight"), lit("blk.1.attn_q.weight")],
            ..Quantize::default()
        }),
        q(Quantize {
            leave_output_tensor: Some(true),
            output_tensor_type: Some(lit("Q8_0")),
            token_embedding_type: Some(lit("Q6_K")),
            ..Quantize::default()
        }),
        q(Quantize {
            ty: Some(lit("IQ2_XXS")),
            pure: Some(false),
            leave_output_tensor: Some(true),
            ..Quantize::default()
        }),
        q(Quantize::default()),
    ]);
    check(src, &want);
}

#[test]
fn readme_examples_print_canonically() {
    // Printing is canonical: printing the parse of a print gives the same text.
    for src in [
        quick_start_src(),
        arg_example_src().to_string(),
        cat_example_src(),
        cmd_example_src(),
        convert_example_src().to_string(),
        quantize_example_src().to_string(),
    ] {
        let once = parse_ok(&src).to_string();
        let twice = parse_ok(&once).to_string();
        assert_eq!(once, twice, "print is not a fixed point for:\n{src}");
    }
}

// ---------------------------------------------------------------------------------------------
// Resolution of the examples: the values the README says they produce
// ---------------------------------------------------------------------------------------------

fn cmd_args(r: &Resolved, stage: usize) -> Vec<String> {
    match r.stages[stage].cmd() {
        Some(ResolvedCmd::Exec(args)) => args.clone(),
        other => panic!("exec CMD expected in stage {stage}, got {other:?}"),
    }
}

fn undefined_vars(r: &Resolved) -> Vec<String> {
    r.warnings
        .iter()
        .filter_map(|w| match w {
            Warning::UndefinedArg { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect()
}

/// The quick start: global ARGs used in the second stage's QUANTIZE and CMD are substituted
/// (the README's `gguf-packer run --dry-run` output shows `-m …Q5_K_M.gguf` and the chat
/// template; gguf-packer puts the global ARGs in every stage's environment).
#[test]
fn quick_start_resolves_with_defaults() {
    let r = resolve_ok(&quick_start_src(), &[]);
    assert_eq!(r.stages.len(), 2);
    assert_eq!(r.stages[0].name.as_deref(), Some("f16"));
    assert_eq!(r.stages[0].base, BaseImage::Scratch);
    assert_eq!(
        r.stages[1].base,
        BaseImage::Scratch,
        "FROM ${{BASE}} with BASE=scratch"
    );
    assert_eq!(r.order, [0, 1]);
    assert_eq!(r.stages[1].dependencies, [0]);

    let ResolvedKind::Add(add) = &r.stages[0].instructions[0].kind else {
        panic!("ADD expected")
    };
    assert_eq!(
        add.sources,
        [AddSource::Git(
            "https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git".into()
        )]
    );
    assert_eq!(add.dest, "Qwen2-0.5B-Instruct");
    let ResolvedKind::Convert(c) = &r.stages[0].instructions[1].kind else {
        panic!("CONVERT expected")
    };
    assert_eq!(c.ty, "F16");
    assert_eq!(c.from, StageSource::Current);

    let k: Vec<&ResolvedKind> = r.stages[1].instructions.iter().map(|i| &i.kind).collect();
    assert_eq!(
        k[0],
        &ResolvedKind::Label(vec![("gguf.model.from".into(), "Hugging Face".into())])
    );
    let ResolvedKind::Quantize(q) = k[1] else {
        panic!("QUANTIZE expected")
    };
    assert_eq!(q.from, StageSource::Stage(0));
    assert_eq!(q.ty, "Q5_K_M");
    assert_eq!(q.src, "Qwen2-0.5B-Instruct.F16.gguf");
    assert_eq!(q.dest, "Qwen2-0.5B-Instruct.Q5_K_M.gguf");
    let ResolvedKind::Cat(cat) = k[2] else {
        panic!("CAT expected")
    };
    assert_eq!(cat.content, SYSTEM_PROMPT);
    assert_eq!(cat.dest, "system-prompt.txt");
    assert_eq!(
        cmd_args(&r, 1),
        [
            "-m",
            "Qwen2-0.5B-Instruct.Q5_K_M.gguf",
            "-c",
            "8192",
            "--system-prompt-file",
            "system-prompt.txt",
            "--chat-template",
            CHAT_TEMPLATE,
        ]
    );
    assert!(undefined_vars(&r).is_empty(), "{:?}", r.warnings);
}

/// "Build Model with other Quantize Type" and "Refer Model": `--build-arg QUANTIZE_TYPE=Q4_K_M`
/// and `--build-arg BASE=ubuntu:22.04`.
#[test]
fn quick_start_resolves_with_build_args() {
    let r = resolve_ok(
        &quick_start_src(),
        &[("QUANTIZE_TYPE", "Q4_K_M"), ("BASE", "ubuntu:22.04")],
    );
    assert_eq!(r.stages[1].base, BaseImage::Image("ubuntu:22.04".into()));
    let ResolvedKind::Quantize(q) = &r.stages[1].instructions[1].kind else {
        panic!("QUANTIZE expected")
    };
    assert_eq!(q.ty, "Q4_K_M");
    assert_eq!(q.dest, "Qwen2-0.5B-Instruct.Q4_K_M.gguf");
    assert_eq!(cmd_args(&r, 1)[1], "Qwen2-0.5B-Instruct.Q4_K_M.gguf");
    assert_eq!(cmd_args(&r, 1)[7], CHAT_TEMPLATE);
}

#[test]
fn arg_example_resolves() {
    let r = resolve_ok(arg_example_src(), &[]);
    let ResolvedKind::Add(add) = &r.stages[0].instructions[3].kind else {
        panic!("ADD expected")
    };
    assert_eq!(
        add.sources,
        [AddSource::Http("https://huggingface.co/QuantFactory/Qwen2-0.5B-Instruct-GGUF/resolve/main/Qwen2-0.5B-Instruct.Q5_K_M.gguf".into())]
    );
    assert_eq!(add.dest, "/app/Qwen2-0.5B-Instruct.Q5_K_M.gguf");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);

    let r = resolve_ok(
        arg_example_src(),
        &[("QUANTIZE_TYPE", "Q4_K_M"), ("REPO", "bartowski")],
    );
    let ResolvedKind::Add(add) = &r.stages[0].instructions[3].kind else {
        panic!("ADD expected")
    };
    assert_eq!(
        add.sources[0].as_str(),
        "https://huggingface.co/bartowski/Qwen2-0.5B-Instruct-GGUF/resolve/main/Qwen2-0.5B-Instruct.Q4_K_M.gguf"
    );
    assert_eq!(add.dest, "/app/Qwen2-0.5B-Instruct.Q4_K_M.gguf");
}

#[test]
fn cmd_example_resolves_chat_template() {
    let r = resolve_ok(&cmd_example_src(), &[]);
    assert_eq!(
        cmd_args(&r, 0),
        [
            "-m",
            "/app/Qwen2-0.5B-Instruct.Q5_K_M.gguf",
            "-c",
            "8192",
            "--system-prompt-file",
            "/app/system-prompt.txt",
            "--chat-template",
            CHAT_TEMPLATE,
        ]
    );
    // The template keeps its `\n` escapes as two characters, as in the README's dry run.
    assert!(cmd_args(&r, 0)[7].contains("'\\n'"));
    let r = resolve_ok(&cmd_example_src(), &[("CHAT_TEMPLATE", "{{ x }}")]);
    assert_eq!(cmd_args(&r, 0)[7], "{{ x }}");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn cat_example_resolves() {
    let r = resolve_ok(&cat_example_src(), &[]);
    let ResolvedKind::Cat(cat) = &r.stages[0].instructions[0].kind else {
        panic!("CAT expected")
    };
    assert_eq!(cat.content, SYSTEM_PROMPT);
    assert_eq!(cat.dest, "/app/system-prompt.txt");
    assert_eq!(
        cmd_args(&r, 0),
        [
            "-c",
            "8192",
            "--system-prompt-file",
            "/app/system-prompt.txt"
        ]
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn dockerfile_infer_global_arg_resolves() {
    let src = "ARG  REPO=\"\"\nFROM ${REPO}/qwen2:0.5b-instruct-q5-k-m-demo2\n";
    let r = resolve_ok(src, &[("REPO", "registry.example/me")]);
    assert_eq!(
        r.stages[0].base,
        BaseImage::Image("registry.example/me/qwen2:0.5b-instruct-q5-k-m-demo2".into())
    );
}

#[test]
fn convert_example_resolves_sources() {
    let r = resolve_ok(convert_example_src(), &[]);
    let froms: Vec<(StageSource, ConvertClass, Option<String>)> = r.stages[1]
        .instructions
        .iter()
        .filter_map(|i| match &i.kind {
            ResolvedKind::Convert(c) => Some((c.from.clone(), c.class, c.base.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        froms,
        [
            (StageSource::Current, ConvertClass::Model, None),
            (StageSource::Stage(0), ConvertClass::Model, None),
            (StageSource::Context, ConvertClass::Model, None),
            (
                StageSource::Current,
                ConvertClass::Lora,
                Some("Qwen2-1.5B".to_string())
            ),
        ]
    );
    assert_eq!(r.stages[1].dependencies, [0]);
    assert_eq!(r.order, [0, 1]);
}

#[test]
fn quantize_example_resolves_sources() {
    let r = resolve_ok(quantize_example_src(), &[]);
    let froms: Vec<(StageSource, String)> = r.stages[1]
        .instructions
        .iter()
        .filter_map(|i| match &i.kind {
            ResolvedKind::Quantize(q) => Some((q.from.clone(), q.ty.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        froms,
        [
            (StageSource::Current, "Q5_K_M".to_string()),
            (StageSource::Stage(0), "Q5_K_M".to_string()),
            (StageSource::Context, "Q5_K_M".to_string()),
        ]
    );
}
