use super::testutil::*;
use super::*;
use crate::ast::*;

fn args(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn ok(f: &Packerfile) -> Resolved {
    match f.resolve(&BTreeMap::new()) {
        Ok(r) => r,
        Err(e) => panic!("resolve failed: {e}"),
    }
}

fn err(f: &Packerfile) -> ResolveError {
    match f.resolve(&BTreeMap::new()) {
        Ok(r) => panic!("resolved: {r:?}"),
        Err(e) => e,
    }
}

fn kind(r: &Resolved, stage: usize, i: usize) -> &ResolvedKind {
    &r.stages[stage].instructions[i].kind
}

const TEMPLATE: &str = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}";

/// The README's quick start, by hand.
fn quick_start() -> Packerfile {
    let mut ct = Word::literal(TEMPLATE);
    ct.span = Span::default();
    let mut globals = vec![arg(&[
        ("BASE", Some("scratch")),
        ("QUANTIZE_TYPE", Some("Q5_K_M")),
    ])];
    globals.push(ins(InstructionKind::Arg(Arg {
        args: vec![ArgDecl {
            name: "CHAT_TEMPLATE".into(),
            default: Some(ct),
            span: Span::default(),
        }],
    })));
    file(
        globals,
        vec![
            stage(
                "scratch",
                Some("f16"),
                vec![
                    ins(InstructionKind::Add(Add {
                        sources: paths(vec![w(
                            "https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git",
                        )]),
                        dest: w("Qwen2-0.5B-Instruct"),
                        ..Add::default()
                    })),
                    ins(InstructionKind::Convert(Convert {
                        ty: Some(w("F16")),
                        src: w("Qwen2-0.5B-Instruct"),
                        dest: w("Qwen2-0.5B-Instruct.F16.gguf"),
                        ..Convert::default()
                    })),
                ],
            ),
            stage(
                "${BASE}",
                None,
                vec![
                    ins(InstructionKind::Label(Label {
                        pairs: vec![(w("gguf.model.from"), w("Hugging Face"))],
                    })),
                    ins(InstructionKind::Quantize(Quantize {
                        from: Some(w("f16")),
                        ty: Some(w("${QUANTIZE_TYPE}")),
                        src: w("Qwen2-0.5B-Instruct.F16.gguf"),
                        dest: w("Qwen2-0.5B-Instruct.${QUANTIZE_TYPE}.gguf"),
                        ..Quantize::default()
                    })),
                    cat(
                        false,
                        "You are an AI assistant.\nBe helpful.\n",
                        "system-prompt.txt",
                    ),
                    cmd_exec(&[
                        "-m",
                        "Qwen2-0.5B-Instruct.${QUANTIZE_TYPE}.gguf",
                        "-c",
                        "8192",
                        "--system-prompt-file",
                        "system-prompt.txt",
                        "--chat-template",
                        "${CHAT_TEMPLATE}",
                    ]),
                ],
            ),
        ],
    )
}

#[test]
fn quick_start_resolves() {
    let r = ok(&quick_start());
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.order, vec![0, 1]);
    assert_eq!(r.global_args.len(), 3);
    assert_eq!(r.global_args[1].value.as_deref(), Some("Q5_K_M"));

    let s0 = &r.stages[0];
    assert_eq!(s0.name.as_deref(), Some("f16"));
    assert_eq!(s0.base, BaseImage::Scratch);
    assert!(s0.dependencies.is_empty());
    match kind(&r, 0, 0) {
        ResolvedKind::Add(a) => {
            assert_eq!(
                a.sources,
                vec![AddSource::Git(
                    "https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git".into()
                )]
            );
            assert_eq!(a.dest, "Qwen2-0.5B-Instruct");
        }
        k => panic!("{k:?}"),
    }
    match kind(&r, 0, 1) {
        ResolvedKind::Convert(c) => {
            assert_eq!(c.from, StageSource::Current);
            assert_eq!(c.class, ConvertClass::Model);
            assert_eq!(c.ty, "F16");
        }
        k => panic!("{k:?}"),
    }

    let s1 = &r.stages[1];
    assert_eq!(s1.name, None);
    assert_eq!(s1.base, BaseImage::Scratch);
    assert_eq!(s1.dependencies, vec![0]);
    assert_eq!(
        kind(&r, 1, 0),
        &ResolvedKind::Label(vec![("gguf.model.from".into(), "Hugging Face".into())])
    );
    match kind(&r, 1, 1) {
        ResolvedKind::Quantize(q) => {
            assert_eq!(q.from, StageSource::Stage(0));
            assert_eq!(q.ty, "Q5_K_M");
            assert_eq!(q.dest, "Qwen2-0.5B-Instruct.Q5_K_M.gguf");
            assert!(!q.pure && !q.leave_output_tensor);
        }
        k => panic!("{k:?}"),
    }
    match s1.cmd() {
        Some(ResolvedCmd::Exec(a)) => {
            assert_eq!(a[1], "Qwen2-0.5B-Instruct.Q5_K_M.gguf");
            assert_eq!(a[7], TEMPLATE);
        }
        c => panic!("{c:?}"),
    }
}

#[test]
fn build_args_override_defaults() {
    let f = quick_start();
    let r = f
        .resolve(&args(&[
            ("QUANTIZE_TYPE", "q4_k_m"),
            ("BASE", "ubuntu:22.04"),
        ]))
        .unwrap();
    assert_eq!(r.stages[1].base, BaseImage::Image("ubuntu:22.04".into()));
    match kind(&r, 1, 1) {
        ResolvedKind::Quantize(q) => {
            assert_eq!(q.ty, "Q4_K_M", "canonical spelling");
            assert_eq!(q.dest, "Qwen2-0.5B-Instruct.q4_k_m.gguf");
        }
        k => panic!("{k:?}"),
    }
}

#[test]
fn stage_args_import_shadow_and_override() {
    let f = file(
        vec![arg(&[("A", Some("global-a")), ("B", Some("global-b"))])],
        vec![stage(
            "scratch",
            None,
            vec![
                arg(&[("A", None), ("B", Some("stage-b")), ("C", Some("c-$A-$B"))]),
                copy(None, &["$C"], "/x"),
            ],
        )],
    );
    let r = ok(&f);
    match kind(&r, 0, 0) {
        ResolvedKind::Arg(a) => {
            let vals: Vec<_> = a.iter().map(|a| a.value.as_deref()).collect();
            assert_eq!(
                vals,
                vec![
                    Some("global-a"),
                    Some("stage-b"),
                    Some("c-global-a-stage-b")
                ]
            );
        }
        k => panic!("{k:?}"),
    }
    // Global B is shadowed before any use: unused. Nothing else is.
    let unused: Vec<_> = r
        .warnings
        .iter()
        .filter_map(|w| match w {
            Warning::UnusedArg { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(unused, vec!["B"]);

    let r = f.resolve(&args(&[("B", "cli"), ("C", "cli-c")])).unwrap();
    match kind(&r, 0, 0) {
        ResolvedKind::Arg(a) => {
            assert_eq!(a[1].value.as_deref(), Some("cli"));
            assert_eq!(a[2].value.as_deref(), Some("cli-c"));
        }
        k => panic!("{k:?}"),
    }
}

#[test]
fn global_args_chain_into_from() {
    let f = file(
        vec![
            arg(&[("REPO", Some("thxcode"))]),
            arg(&[("IMAGE", Some("$REPO/qwen2:${TAG:-latest}"))]),
            arg(&[("TAG", None)]),
        ],
        vec![stage("${IMAGE}", None, vec![])],
    );
    let r = ok(&f);
    assert_eq!(
        r.stages[0].base,
        BaseImage::Image("thxcode/qwen2:latest".into())
    );
    // TAG is referenced before its declaration: undefined at that point; its own
    // declaration is then never used.
    assert!(r
        .warnings
        .iter()
        .any(|w| matches!(w, Warning::UndefinedArg { name, .. } if name == "TAG")));
    assert!(r
        .warnings
        .iter()
        .any(|w| matches!(w, Warning::UnusedArg { name, .. } if name == "TAG")));
}

#[test]
fn undefined_variable_warns_and_is_empty() {
    let f = file(
        vec![],
        vec![stage(
            "scratch",
            None,
            vec![
                arg(&[("MODEL", Some("qwen"))]),
                copy(None, &["${MODLE}.gguf", "$NOPE"], "/app/${MODEL}"),
            ],
        )],
    );
    let r = ok(&f);
    match kind(&r, 0, 1) {
        ResolvedKind::Copy(c) => {
            assert_eq!(c.sources, vec![".gguf".to_string(), String::new()]);
            assert_eq!(c.dest, "/app/qwen");
        }
        k => panic!("{k:?}"),
    }
    let undefined: Vec<_> = r
        .warnings
        .iter()
        .filter_map(|w| match w {
            Warning::UndefinedArg { name, hint, .. } => Some((name.as_str(), hint.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        undefined,
        vec![
            ("MODLE", Some("did you mean $MODEL?".to_string())),
            ("NOPE", None)
        ]
    );
}

#[test]
fn declared_without_value_is_unset_not_undefined() {
    let f = file(
        vec![arg(&[("G", None)])],
        vec![stage(
            "scratch",
            None,
            vec![
                arg(&[("A", None), ("E", Some(""))]),
                copy(
                    None,
                    &[
                        "${A:-d1}", "${A-d2}", "${E:-d3}", "${E-d4}", "${E+alt}", "${G:+x}",
                    ],
                    "/",
                ),
            ],
        )],
    );
    let r = ok(&f);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    match kind(&r, 0, 1) {
        ResolvedKind::Copy(c) => assert_eq!(c.sources, vec!["d1", "d2", "d3", "", "alt", ""]),
        k => panic!("{k:?}"),
    }
}

#[test]
fn unused_args_are_reported() {
    let f = file(
        vec![arg(&[("USED", Some("x")), ("UNUSED", Some("y"))])],
        vec![stage(
            "$USED",
            None,
            vec![
                arg(&[("S", Some("1"))]),
                arg(&[("S", Some("2"))]),
                copy(None, &["$S"], "/"),
                arg(&[("LATE", None)]),
            ],
        )],
    );
    let r = ok(&f);
    let mut unused: Vec<_> = r
        .warnings
        .iter()
        .filter_map(|w| match w {
            Warning::UnusedArg { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    unused.sort();
    // The first S is shadowed before use.
    assert_eq!(unused, vec!["LATE", "S", "UNUSED"]);
}

#[test]
fn stage_references() {
    let f = file(
        vec![],
        vec![
            stage("scratch", Some("Base"), vec![]),
            stage("base", Some("two"), vec![copy(Some("0"), &["a"], "b")]),
            stage(
                "alpine:3",
                None,
                vec![
                    copy(Some("TWO"), &["a"], "b"),
                    copy(Some("context"), &["a"], "b"),
                    copy(Some("ghcr.io/x/y:z"), &["a"], "b"),
                    copy(None, &["a"], "b"),
                ],
            ),
        ],
    );
    let r = ok(&f);
    assert_eq!(r.stages[1].base, BaseImage::Stage(0));
    assert_eq!(r.stages[1].dependencies, vec![0]);
    assert_eq!(r.stages[2].base, BaseImage::Image("alpine:3".into()));
    assert_eq!(r.stages[2].dependencies, vec![1]);
    let froms: Vec<_> = r.stages[2]
        .instructions
        .iter()
        .map(|i| match &i.kind {
            ResolvedKind::Copy(c) => c.from.clone(),
            k => panic!("{k:?}"),
        })
        .collect();
    assert_eq!(
        froms,
        vec![
            StageSource::Stage(1),
            StageSource::Context,
            StageSource::Image("ghcr.io/x/y:z".into()),
            StageSource::Context,
        ]
    );
    assert_eq!(r.order, vec![0, 1, 2]);
    assert_eq!(r.build_order(2), vec![0, 1, 2]);
    assert_eq!(r.build_order(0), vec![0]);
    assert!(r.build_order(9).is_empty());
    assert_eq!(r.stage_index("BASE"), Some(0));
    assert_eq!(r.stage_index("2"), Some(2));
    assert_eq!(r.stage_index("3"), None);
    assert_eq!(r.stage_index("nope"), None);
    assert_eq!(r.target().map(|s| s.index), Some(2));
    assert!(r
        .warnings
        .iter()
        .any(|w| matches!(w, Warning::StageNameCasing { name, .. } if name == "Base")));
}

#[test]
fn build_order_skips_unneeded_stages() {
    let f = file(
        vec![],
        vec![
            stage("scratch", Some("a"), vec![]),
            stage("scratch", Some("b"), vec![]),
            stage("a", Some("c"), vec![]),
        ],
    );
    let r = ok(&f);
    assert_eq!(r.build_order(2), vec![0, 2]);
    assert_eq!(r.order, vec![0, 1, 2]);
}

#[test]
fn convert_and_quantize_from_resolve_too() {
    let f = file(
        vec![],
        vec![
            stage("scratch", Some("src"), vec![]),
            stage(
                "scratch",
                None,
                vec![
                    ins(InstructionKind::Convert(Convert {
                        from: Some(w("src")),
                        src: w("a"),
                        dest: w("b"),
                        ..Convert::default()
                    })),
                    ins(InstructionKind::Quantize(Quantize {
                        from: Some(w("context")),
                        src: w("a"),
                        dest: w("b"),
                        ..Quantize::default()
                    })),
                ],
            ),
        ],
    );
    let r = ok(&f);
    assert_eq!(r.stages[1].dependencies, vec![0]);
    match kind(&r, 1, 1) {
        ResolvedKind::Quantize(q) => {
            assert_eq!(q.from, StageSource::Context);
            assert_eq!(q.ty, DEFAULT_QUANTIZE_TYPE);
        }
        k => panic!("{k:?}"),
    }
}

#[test]
fn forward_references_are_errors() {
    let f = file(
        vec![],
        vec![
            stage("later", None, vec![]),
            stage("scratch", Some("later"), vec![]),
        ],
    );
    assert!(matches!(
        err(&f),
        ResolveError::ForwardReference {
            stage: 0,
            target: 1,
            ..
        }
    ));

    let f = file(
        vec![],
        vec![
            stage("scratch", None, vec![copy(Some("later"), &["a"], "b")]),
            stage("scratch", Some("later"), vec![]),
        ],
    );
    assert!(matches!(err(&f), ResolveError::ForwardReference { .. }));

    let f = file(
        vec![],
        vec![
            stage("scratch", None, vec![copy(Some("1"), &["a"], "b")]),
            stage("scratch", None, vec![]),
        ],
    );
    let e = err(&f);
    assert!(matches!(
        e,
        ResolveError::ForwardReference { target: 1, .. }
    ));
    assert!(e.to_string().contains("before it is defined"), "{e}");
}

#[test]
fn self_reference_is_a_cycle() {
    let f = file(
        vec![],
        vec![stage(
            "scratch",
            Some("me"),
            vec![copy(Some("ME"), &["a"], "b")],
        )],
    );
    let e = err(&f);
    assert_eq!(
        e,
        ResolveError::Cycle {
            path: vec!["me".into(), "me".into()],
            span: Span::default()
        }
    );
    assert!(e.to_string().contains("me -> me"), "{e}");

    let f = file(
        vec![],
        vec![stage("scratch", None, vec![copy(Some("0"), &["a"], "b")])],
    );
    assert!(matches!(err(&f), ResolveError::Cycle { path, .. } if path == ["stage-0", "stage-0"]));
}

#[test]
fn cycle_detection_in_the_graph() {
    // A graph the resolver itself never builds (it rejects forward references first).
    let mk = |index: usize, deps: Vec<usize>| ResolvedStage {
        index,
        name: None,
        platform: None,
        base: BaseImage::Scratch,
        instructions: vec![],
        dependencies: deps,
        span: Span::default(),
    };
    let stages = vec![mk(0, vec![]), mk(1, vec![2]), mk(2, vec![1])];
    let names: Vec<Option<StageName>> = vec![None, None, None];
    match build_order(&stages, &names) {
        Err(ResolveError::Cycle { path, .. }) => {
            assert_eq!(path.first(), path.last());
            assert_eq!(path.len(), 3);
        }
        r => panic!("{r:?}"),
    }
    let ok_stages = vec![mk(0, vec![2]), mk(1, vec![]), mk(2, vec![1])];
    assert_eq!(build_order(&ok_stages, &names).unwrap(), vec![1, 2, 0]);
}

#[test]
fn unknown_stage_index() {
    for idx in ["5", "-1", "99999999999999999999999"] {
        let f = file(
            vec![],
            vec![
                stage("scratch", None, vec![]),
                stage("scratch", None, vec![copy(Some(idx), &["a"], "b")]),
            ],
        );
        match err(&f) {
            ResolveError::UnknownStageIndex { index, stages, .. } => {
                assert_eq!(index, idx);
                assert_eq!(stages, 2);
            }
            e => panic!("{e:?}"),
        }
    }
}

#[test]
fn stage_name_errors_and_warnings() {
    let f = file(
        vec![],
        vec![
            stage("scratch", Some("a"), vec![]),
            stage("scratch", Some("A"), vec![]),
        ],
    );
    match err(&f) {
        ResolveError::DuplicateStageName { name, .. } => assert_eq!(name, "a"),
        e => panic!("{e:?}"),
    }
    for bad in ["1abc", "a b", "a/b", ""] {
        let f = file(vec![], vec![stage("scratch", Some(bad), vec![])]);
        assert!(
            matches!(err(&f), ResolveError::InvalidStageName { .. }),
            "{bad:?}"
        );
    }
    let mut f = file(vec![], vec![stage("scratch", None, vec![])]);
    f.stages[0].from.alias = Some(w("$X"));
    assert!(matches!(err(&f), ResolveError::InvalidStageName { name, .. } if name == "$X"));

    let f = file(
        vec![],
        vec![
            stage("scratch", Some("context"), vec![]),
            stage("scratch", Some("scratch"), vec![]),
        ],
    );
    let r = ok(&f);
    let reserved = r
        .warnings
        .iter()
        .filter(|w| matches!(w, Warning::ReservedStageName { .. }))
        .count();
    assert_eq!(reserved, 2);
}

#[test]
fn from_edge_cases() {
    let f = file(
        vec![arg(&[("E", Some(""))])],
        vec![stage("$E", None, vec![])],
    );
    assert!(matches!(err(&f), ResolveError::Empty { what, .. } if what.contains("base image")));

    // FROM x AS x: the image x, not the stage itself.
    let f = file(vec![], vec![stage("node", Some("node"), vec![])]);
    assert_eq!(ok(&f).stages[0].base, BaseImage::Image("node".into()));

    // --platform from a predefined ARG given as a build arg; no warning.
    let mut f = file(vec![], vec![stage("scratch", None, vec![])]);
    f.stages[0].from.platform = Some(w("$TARGETPLATFORM"));
    let r = f
        .resolve(&args(&[("TARGETPLATFORM", "linux/arm64")]))
        .unwrap();
    assert_eq!(r.stages[0].platform.as_deref(), Some("linux/arm64"));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let r = ok(&f);
    assert_eq!(r.stages[0].platform, None);
}

#[test]
fn no_stages_and_misplaced_instructions() {
    assert_eq!(err(&file(vec![], vec![])), ResolveError::NoStages);
    assert_eq!(ResolveError::NoStages.span(), None);

    let f = file(
        vec![ins(InstructionKind::Label(Label { pairs: vec![] }))],
        vec![stage("scratch", None, vec![])],
    );
    assert!(matches!(
        err(&f),
        ResolveError::UnexpectedInstruction { name: "LABEL", .. }
    ));
    let f = file(
        vec![],
        vec![stage(
            "scratch",
            None,
            vec![ins(InstructionKind::From(from("scratch", None)))],
        )],
    );
    let e = err(&f);
    assert!(matches!(
        e,
        ResolveError::UnexpectedInstruction { name: "FROM", .. }
    ));
    assert!(e.span().is_some());
}

fn convert(ty: Option<&str>, class: Option<ConvertClass>, base: Option<&str>) -> Packerfile {
    file(
        vec![arg(&[("T", Some("bf16"))])],
        vec![stage(
            "scratch",
            None,
            vec![ins(InstructionKind::Convert(Convert {
                class,
                base: base.map(w),
                ty: ty.map(w),
                src: w("in"),
                dest: w("out.gguf"),
                ..Convert::default()
            }))],
        )],
    )
}

#[test]
fn convert_types_and_lora() {
    for (ty, want) in [
        (None, "F16"),
        (Some("f32"), "F32"),
        (Some("$T"), "BF16"),
        (Some("q8_0"), "Q8_0"),
        (Some("TQ1_0"), "TQ1_0"),
        (Some("tq2_0"), "TQ2_0"),
        (Some("auto"), "AUTO"),
    ] {
        let r = ok(&convert(ty, None, None));
        match kind(&r, 0, 0) {
            ResolvedKind::Convert(c) => assert_eq!(c.ty, want),
            k => panic!("{k:?}"),
        }
    }
    let e = err(&convert(Some("Q4_K_M"), None, None));
    match &e {
        ResolveError::InvalidConvertType { value, valid, .. } => {
            assert_eq!(value, "Q4_K_M");
            assert_eq!(valid.len(), CONVERT_TYPES.len());
        }
        e => panic!("{e:?}"),
    }
    assert!(e.to_string().contains("F32, F16, BF16"), "{e}");

    assert!(matches!(
        err(&convert(None, Some(ConvertClass::Lora), None)),
        ResolveError::LoraNeedsBase { .. }
    ));
    let r = ok(&convert(None, Some(ConvertClass::Lora), Some("Qwen2-1.5B")));
    match kind(&r, 0, 0) {
        ResolvedKind::Convert(c) => {
            assert_eq!(c.class, ConvertClass::Lora);
            assert_eq!(c.base.as_deref(), Some("Qwen2-1.5B"));
        }
        k => panic!("{k:?}"),
    }
}

fn quantize(q: Quantize) -> Packerfile {
    file(
        vec![],
        vec![stage(
            "scratch",
            None,
            vec![ins(InstructionKind::Quantize(Quantize {
                src: w("in.gguf"),
                dest: w("out.gguf"),
                ..q
            }))],
        )],
    )
}

#[test]
fn quantize_types() {
    for name in DEFAULT_QUANTIZE_TYPES {
        let r = ok(&quantize(Quantize {
            ty: Some(w(&name.to_lowercase())),
            ..Quantize::default()
        }));
        match kind(&r, 0, 0) {
            ResolvedKind::Quantize(q) => assert_eq!(q.ty, *name),
            k => panic!("{k:?}"),
        }
    }
    let e = err(&quantize(Quantize {
        ty: Some(w("Q5_K_X")),
        ..Quantize::default()
    }));
    assert!(matches!(
        &e,
        ResolveError::InvalidQuantizeType { flag: "type", .. }
    ));
    assert!(e.to_string().contains("Q4_K_M"), "{e}");

    // A caller's list replaces the default one.
    let f = quantize(Quantize {
        ty: Some(w("my_type")),
        ..Quantize::default()
    });
    let opts = ResolveOptions {
        quantize_types: Some(vec!["MY_TYPE".into()]),
        ..ResolveOptions::default()
    };
    match &f.resolve_with(&opts).unwrap().stages[0].instructions[0].kind {
        ResolvedKind::Quantize(q) => assert_eq!(q.ty, "MY_TYPE"),
        k => panic!("{k:?}"),
    }
    let f = quantize(Quantize {
        ty: Some(w("Q4_0")),
        ..Quantize::default()
    });
    assert!(f.resolve_with(&opts).is_err());

    // Tensor types.
    let r = ok(&quantize(Quantize {
        output_tensor_type: Some(w("q8_0")),
        token_embedding_type: Some(w("Q6_k")),
        ..Quantize::default()
    }));
    match kind(&r, 0, 0) {
        ResolvedKind::Quantize(q) => {
            assert_eq!(q.output_tensor_type.as_deref(), Some("Q8_0"));
            assert_eq!(q.token_embedding_type.as_deref(), Some("Q6_K"));
        }
        k => panic!("{k:?}"),
    }
    assert!(matches!(
        err(&quantize(Quantize {
            token_embedding_type: Some(w("Q4_K_M")),
            ..Quantize::default()
        })),
        ResolveError::InvalidQuantizeType {
            flag: "token-embedding-type",
            ..
        }
    ));
}

#[test]
fn quantize_weights_rules() {
    let r = ok(&quantize(Quantize {
        imatrix: Some(w("imatrix.dat")),
        include_weights: vec![w("attn_v.weight, ffn_down.weight"), w("output.weight")],
        pure: Some(true),
        leave_output_tensor: Some(false),
        ..Quantize::default()
    }));
    match kind(&r, 0, 0) {
        ResolvedKind::Quantize(q) => {
            assert_eq!(
                q.include_weights,
                vec!["attn_v.weight", "ffn_down.weight", "output.weight"]
            );
            assert_eq!(q.imatrix.as_deref(), Some("imatrix.dat"));
            assert!(q.pure);
            assert!(!q.leave_output_tensor);
        }
        k => panic!("{k:?}"),
    }
    assert!(matches!(
        err(&quantize(Quantize {
            imatrix: Some(w("m")),
            include_weights: vec![w("a")],
            exclude_weights: vec![w("b")],
            ..Quantize::default()
        })),
        ResolveError::IncludeAndExcludeWeights { .. }
    ));
    assert!(matches!(
        err(&quantize(Quantize {
            exclude_weights: vec![w("b")],
            ..Quantize::default()
        })),
        ResolveError::WeightsNeedImatrix {
            flag: "exclude-weights",
            ..
        }
    ));
}

#[test]
fn empty_paths_are_errors() {
    let mut f = quantize(Quantize::default());
    if let InstructionKind::Quantize(q) = &mut f.stages[0].instructions[0].kind {
        q.dest = w("$UNSET");
    }
    assert!(matches!(err(&f), ResolveError::Empty { what, .. } if what.contains("QUANTIZE")));
    let f = file(
        vec![],
        vec![stage("scratch", None, vec![copy(Some("$U"), &["a"], "b")])],
    );
    assert!(matches!(
        err(&f),
        ResolveError::Empty { what: "--from", .. }
    ));
}

fn add(checksum: Option<&str>, srcs: &[&str]) -> Packerfile {
    file(
        vec![],
        vec![stage(
            "scratch",
            None,
            vec![ins(InstructionKind::Add(Add {
                checksum: checksum.map(w),
                keep_git_dir: Some(true),
                link: Some(false),
                chown: Some(w("")),
                chmod: Some(w("644")),
                exclude: vec![w("*.md")],
                sources: srcs.iter().map(|s| Source::Path(w(s))).collect(),
                dest: w("/app/"),
            }))],
        )],
    )
}

#[test]
fn add_sources_and_checksums() {
    let hex = "a".repeat(64);
    let r = ok(&add(
        Some(&format!("sha256:{}", hex.to_uppercase())),
        &["https://example.com/m.gguf"],
    ));
    match kind(&r, 0, 0) {
        ResolvedKind::Add(a) => {
            assert_eq!(a.checksum, Some(format!("sha256:{hex}")));
            assert!(a.keep_git_dir && !a.link);
            assert_eq!(a.chown, None);
            assert_eq!(a.chmod.as_deref(), Some("644"));
            assert_eq!(a.exclude, vec!["*.md"]);
        }
        k => panic!("{k:?}"),
    }
    for bad in [
        "sha256",
        "md5:abc",
        &format!("sha512:{hex}"),
        &format!("sha256:{}", "g".repeat(64)),
    ] {
        assert!(
            matches!(
                err(&add(Some(bad), &["https://x/y"])),
                ResolveError::InvalidChecksum { .. }
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        err(&add(Some(&format!("sha256:{hex}")), &["local.gguf"])),
        ResolveError::ChecksumNeedsUrl { src, .. } if src == "local.gguf"
    ));

    let cases = [
        ("https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git", "git"),
        ("https://github.com/a/b.git#v1.0", "git"),
        ("git@github.com:a/b.git", "git"),
        ("git://host/repo", "git"),
        ("HTTP://example.com/x.gguf", "http"),
        ("https://huggingface.co/a/b/resolve/main/m.gguf", "http"),
        ("model.gguf", "context"),
        ("./dir/.git", "context"),
    ];
    for (s, want) in cases {
        let got = match AddSource::classify(s) {
            AddSource::Git(_) => "git",
            AddSource::Http(_) => "http",
            AddSource::Context(_) => "context",
            AddSource::Inline { .. } => "inline",
        };
        assert_eq!(got, want, "{s}");
        assert_eq!(AddSource::classify(s).as_str(), s);
    }
}

#[test]
fn cat_expansion_and_root() {
    let f = file(
        vec![arg(&[("NAME", Some("qwen"))])],
        vec![stage(
            "scratch",
            None,
            vec![
                cat(false, "model ${NAME}\n", "/app/${NAME}.txt"),
                cat(true, "model ${NAME}\n", "a/../b.txt"),
                cat(false, "x\n", "../etc/passwd"),
                cat(false, "x\n", "/a/./b/../../../c"),
            ],
        )],
    );
    let r = ok(&f);
    assert_eq!(
        kind(&r, 0, 0),
        &ResolvedKind::Cat(ResolvedCat {
            content: "model qwen\n".into(),
            dest: "/app/qwen.txt".into()
        })
    );
    assert_eq!(
        kind(&r, 0, 1),
        &ResolvedKind::Cat(ResolvedCat {
            content: "model ${NAME}\n".into(),
            dest: "a/../b.txt".into()
        })
    );
    let outside: Vec<_> = r
        .warnings
        .iter()
        .filter_map(|w| match w {
            Warning::CatOutsideRoot { dest, .. } => Some(dest.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(outside, vec!["../etc/passwd", "/a/./b/../../../c"]);

    let f = file(
        vec![],
        vec![stage("scratch", None, vec![cat(false, "", "$U")])],
    );
    assert!(matches!(err(&f), ResolveError::Empty { .. }));
}

#[test]
fn quoted_heredoc_with_variables_stays_literal() {
    let mut f = file(
        vec![],
        vec![stage("scratch", None, vec![cat(true, "", "x")])],
    );
    if let InstructionKind::Cat(c) = &mut f.stages[0].instructions[0].kind {
        c.heredoc.body = w("a $B ${C:-d}\n");
    }
    let r = ok(&f);
    match kind(&r, 0, 0) {
        ResolvedKind::Cat(c) => assert_eq!(c.content, "a $B ${C:-d}\n"),
        k => panic!("{k:?}"),
    }
    assert!(r.warnings.is_empty());
}

#[test]
fn cmd_warnings_and_forms() {
    let f = file(
        vec![arg(&[("M", Some("m.gguf"))])],
        vec![stage(
            "scratch",
            None,
            vec![
                cmd_exec(&[]),
                ins(InstructionKind::Cmd(Cmd::Shell(w("-m $M -c 8192")))),
            ],
        )],
    );
    let r = ok(&f);
    let rules: Vec<_> = r.warnings.iter().map(|w| w.rule()).collect();
    assert_eq!(
        rules,
        vec!["EmptyExecCmd", "MultipleInstructionsDisallowed"]
    );
    assert_eq!(
        r.stages[0].cmd(),
        Some(&ResolvedCmd::Shell("-m m.gguf -c 8192".into()))
    );
    assert_eq!(
        kind(&r, 0, 0),
        &ResolvedKind::Cmd(ResolvedCmd::Exec(vec![]))
    );
}

#[test]
fn labels_expand_keys_and_values() {
    let f = file(
        vec![arg(&[("K", Some("org.title")), ("V", Some("Qwen 2"))])],
        vec![stage(
            "scratch",
            None,
            vec![ins(InstructionKind::Label(Label {
                pairs: vec![
                    (w("$K"), w("${V} (${Q:-q5})")),
                    (w("plain"), Word::default()),
                ],
            }))],
        )],
    );
    let r = ok(&f);
    assert_eq!(
        kind(&r, 0, 0),
        &ResolvedKind::Label(vec![
            ("org.title".into(), "Qwen 2 (q5)".into()),
            ("plain".into(), String::new())
        ])
    );
}

#[test]
fn warnings_display_and_order() {
    let mut f = file(
        vec![arg(&[("UNUSED", Some("1"))])],
        vec![stage(
            "scratch",
            Some("Mixed"),
            vec![
                at(7, InstructionKind::Cmd(Cmd::Exec(vec![]))),
                at(3, InstructionKind::Cmd(Cmd::Exec(vec![w("$NOPE")]))),
            ],
        )],
    );
    f.stages[0].span = Span {
        line: 2,
        column: 1,
        offset: 0,
        len: 0,
    };
    if let InstructionKind::Arg(a) = &mut f.global_args[0].kind {
        a.args[0].span = Span {
            line: 1,
            column: 5,
            offset: 4,
            len: 8,
        };
    }
    let r = ok(&f);
    let lines: Vec<u32> = r.warnings.iter().map(|w| w.span().line).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
    let text: Vec<String> = r.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        text[0],
        "1:5: ARG \"UNUSED\" is declared but never used [UnusedArg]"
    );
    assert!(text
        .iter()
        .any(|t| t.starts_with("2:1: stage name \"Mixed\"")));
    assert!(text.iter().any(
        |t| t.starts_with("3:1: usage of undefined variable '$NOPE'")
            && t.ends_with("[UndefinedVar]")
    ));
    assert!(text.iter().any(|t| t.contains("CMD [] has no arguments")));
}

#[test]
fn errors_display_with_position() {
    let mut f = file(
        vec![],
        vec![stage("scratch", None, vec![copy(Some("4"), &["a"], "b")])],
    );
    f.stages[0].instructions[0].span = Span {
        line: 12,
        column: 3,
        offset: 0,
        len: 0,
    };
    let e = err(&f);
    assert_eq!(
        e.to_string(),
        "12:3: invalid stage index 4: the file has 1 stage(s), numbered from 0"
    );
    assert_eq!(e.span().map(|s| (s.line, s.column)), Some((12, 3)));
}

#[test]
fn helpers() {
    assert!(!escapes_root("/a/b"));
    assert!(!escapes_root("a/../b"));
    assert!(!escapes_root("./x"));
    assert!(!escapes_root(""));
    assert!(escapes_root(".."));
    assert!(escapes_root("/../x"));
    assert!(escapes_root("a/../../x"));
    assert_eq!(edit_distance("MODEL", "MODLE"), 2);
    assert_eq!(edit_distance("", "abc"), 3);
    assert_eq!(edit_distance("héllo", "hello"), 1);
    assert!(valid_stage_name("a-b_c.d1"));
    assert!(!valid_stage_name("-a"));
    assert!(is_index("12") && is_index("-1") && !is_index("1a") && !is_index("-"));
}

#[test]
fn names_in_unneeded_modifier_words_count_as_used() {
    let f = file(
        vec![],
        vec![stage(
            "scratch",
            None,
            vec![
                arg(&[("A", Some("set")), ("B", Some("b")), ("C", Some("c"))]),
                copy(None, &["${A:-$B}", "${A:+x}"], "${A+${C}}"),
            ],
        )],
    );
    let r = ok(&f);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    // An undeclared name in a modifier word that is not needed is no warning (BuildKit's
    // linter reports only names it looked up).
    let f = file(
        vec![arg(&[("A", Some("set"))])],
        vec![stage("${A:-$NOPE}", None, vec![])],
    );
    assert!(ok(&f).warnings.is_empty());
}
