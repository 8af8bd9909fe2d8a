//! `Packerfile::resolve`: ARG scoping and build args, the expansion modifiers, the stage graph
//! and its errors, defaults and validation of the model instructions, and the warnings.

mod common;

use common::*;
use ggufpack_packerfile::*;

fn labels(r: &Resolved, stage: usize) -> Vec<(String, String)> {
    r.stages[stage]
        .instructions
        .iter()
        .filter_map(|i| match &i.kind {
            ResolvedKind::Label(pairs) => Some(pairs.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn label(r: &Resolved, stage: usize, key: &str) -> String {
    labels(r, stage)
        .into_iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no label {key:?} in stage {stage}: {:#?}", r.stages[stage]))
        .1
}

fn kinds(r: &Resolved, stage: usize) -> Vec<&ResolvedKind> {
    r.stages[stage]
        .instructions
        .iter()
        .map(|i| &i.kind)
        .collect()
}

fn undefined(r: &Resolved) -> Vec<String> {
    r.warnings
        .iter()
        .filter_map(|w| match w {
            Warning::UndefinedArg { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect()
}

fn unused(r: &Resolved) -> Vec<String> {
    r.warnings
        .iter()
        .filter_map(|w| match w {
            Warning::UnusedArg { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect()
}

/// Each stage comes after all it depends on, and every stage appears once.
#[track_caller]
fn assert_topological(r: &Resolved) {
    let mut sorted = r.order.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (0..r.stages.len()).collect::<Vec<_>>(),
        "order {:?}",
        r.order
    );
    let pos = |i: usize| r.order.iter().position(|&s| s == i).unwrap();
    for (i, s) in r.stages.iter().enumerate() {
        assert_eq!(s.index, i);
        for &d in &s.dependencies {
            assert!(
                pos(d) < pos(i),
                "stage {i} depends on {d} but comes first: {:?}",
                r.order
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ARGs
// ---------------------------------------------------------------------------------------------

#[test]
fn global_arg_in_from() {
    let src = "ARG BASE=scratch\nARG TAG=v1\nFROM ${BASE}\nFROM repo/img:${TAG} AS two\nFROM --platform=${PLAT:-linux/amd64} scratch\n";
    let r = resolve_ok(src, &[]);
    assert_eq!(r.stages[0].base, BaseImage::Scratch);
    assert_eq!(r.stages[1].base, BaseImage::Image("repo/img:v1".into()));
    assert_eq!(r.stages[1].name.as_deref(), Some("two"));
    assert_eq!(r.stages[2].platform.as_deref(), Some("linux/amd64"));
    assert_eq!(
        r.global_args
            .iter()
            .map(|a| (a.name.as_str(), a.value.as_deref()))
            .collect::<Vec<_>>(),
        [("BASE", Some("scratch")), ("TAG", Some("v1"))]
    );
    assert!(unused(&r).is_empty(), "{:?}", r.warnings);
}

#[test]
fn global_arg_default_uses_earlier_global_arg() {
    let r = resolve_ok("ARG A=x\nARG B=${A}-y\nFROM img:$B\n", &[]);
    assert_eq!(r.stages[0].base, BaseImage::Image("img:x-y".into()));
    let r = resolve_ok("ARG A=x\nARG B=${A}-y\nFROM img:$B\n", &[("A", "z")]);
    assert_eq!(r.stages[0].base, BaseImage::Image("img:z-y".into()));
}

#[test]
fn stage_arg_reimports_global_value() {
    let src = "ARG V=global\nFROM scratch\nARG V\nLABEL v=$V\n";
    let r = resolve_ok(src, &[]);
    assert_eq!(label(&r, 0, "v"), "global");
    match kinds(&r, 0)[0] {
        ResolvedKind::Arg(args) => {
            assert_eq!(args.len(), 1);
            assert_eq!(args[0].name, "V");
            assert_eq!(args[0].value.as_deref(), Some("global"));
        }
        other => panic!("ARG expected, got {other:?}"),
    }
    assert!(undefined(&r).is_empty(), "{:?}", r.warnings);
    assert!(unused(&r).is_empty(), "{:?}", r.warnings);
}

#[test]
fn stage_arg_default_overrides_global() {
    let r = resolve_ok("ARG V=global\nFROM img:$V\nARG V=local\nLABEL v=$V\n", &[]);
    assert_eq!(r.stages[0].base, BaseImage::Image("img:global".into()));
    assert_eq!(label(&r, 0, "v"), "local");
}

#[test]
fn build_args_override_defaults() {
    let src = "ARG V=global\nFROM img:$V\nARG V\nARG W=local\nLABEL v=$V w=$W\n";
    let r = resolve_ok(src, &[("V", "cli-v"), ("W", "cli-w")]);
    assert_eq!(r.global_args[0].value.as_deref(), Some("cli-v"));
    assert_eq!(r.stages[0].base, BaseImage::Image("img:cli-v".into()));
    assert_eq!(label(&r, 0, "v"), "cli-v");
    assert_eq!(label(&r, 0, "w"), "cli-w");
}

#[test]
fn build_arg_without_arg_declaration_is_not_visible() {
    // A build arg that no ARG declares does not define a variable.
    let r = resolve_ok("FROM scratch\nLABEL v=\"[$V]\"\n", &[("V", "cli")]);
    assert_eq!(label(&r, 0, "v"), "[]");
    assert_eq!(undefined(&r), ["V"]);
}

#[test]
fn stage_args_do_not_leak_into_other_stages() {
    let src = "FROM scratch AS a\nARG X=1\nLABEL x=$X\nFROM scratch\nLABEL x=\"[$X]\"\n";
    let r = resolve_ok(src, &[]);
    assert_eq!(label(&r, 0, "x"), "1");
    assert_eq!(label(&r, 1, "x"), "[]");
    assert_eq!(undefined(&r), ["X"]);
}

#[test]
fn arg_is_visible_only_after_its_declaration() {
    let r = resolve_ok("FROM scratch\nLABEL a=\"[$X]\"\nARG X=1\nLABEL b=$X\n", &[]);
    assert_eq!(label(&r, 0, "a"), "[]");
    assert_eq!(label(&r, 0, "b"), "1");
    assert_eq!(undefined(&r), ["X"]);
}

#[test]
fn undefined_arg_warning() {
    let src = "FROM scratch\nCOPY a /app/\nLABEL a=\"x${NOPE}y\"\n";
    let r = resolve_ok(src, &[]);
    assert_eq!(label(&r, 0, "a"), "xy");
    let w: Vec<&Warning> = r
        .warnings
        .iter()
        .filter(|w| matches!(w, Warning::UndefinedArg { .. }))
        .collect();
    assert_eq!(w.len(), 1, "{:?}", r.warnings);
    let Warning::UndefinedArg { name, span, .. } = w[0] else {
        unreachable!()
    };
    assert_eq!(name, "NOPE");
    assert_eq!(span.line, 3);
    assert_eq!(w[0].rule(), "UndefinedVar");
    assert!(w[0].to_string().contains("NOPE"), "{}", w[0]);
}

#[test]
fn unused_arg_warnings() {
    let src = "ARG G=1\nARG USED_G=img\nFROM ${USED_G}\nARG S=2\nARG USED_S=3\nLABEL a=$USED_S\n";
    let r = resolve_ok(src, &[]);
    let mut names = unused(&r);
    names.sort();
    assert_eq!(names, ["G", "S"], "{:?}", r.warnings);
    let s = r
        .warnings
        .iter()
        .find(|w| matches!(w, Warning::UnusedArg { name, .. } if name == "S"))
        .unwrap();
    assert_eq!(s.span().line, 4);
    assert_eq!(s.rule(), "UnusedArg");
}

#[test]
fn modifier_semantics() {
    // SET=v, EMPTY="", UNSET declared without value.
    let src = r#"FROM scratch
ARG SET=v
ARG EMPTY=
ARG UNSET
LABEL a1=${SET:-d} a2=${EMPTY:-d} a3=${UNSET:-d}
LABEL b1=${SET-d} b2="[${EMPTY-d}]" b3=${UNSET-d}
LABEL c1=${SET:+a} c2="[${EMPTY:+a}]" c3="[${UNSET:+a}]"
LABEL d1=${SET+a} d2=${EMPTY+a} d3="[${UNSET+a}]"
LABEL e1=$SET e2="[$EMPTY]" e3="[${UNSET}]"
"#;
    let r = resolve_ok(src, &[]);
    let want = [
        ("a1", "v"),
        ("a2", "d"),
        ("a3", "d"),
        ("b1", "v"),
        ("b2", "[]"),
        ("b3", "d"),
        ("c1", "a"),
        ("c2", "[]"),
        ("c3", "[]"),
        ("d1", "a"),
        ("d2", "a"),
        ("d3", "[]"),
        ("e1", "v"),
        ("e2", "[]"),
        ("e3", "[]"),
    ];
    for (k, v) in want {
        assert_eq!(label(&r, 0, k), v, "label {k}");
    }
    // UNSET is declared: no undefined-variable warning for it.
    assert!(undefined(&r).is_empty(), "{:?}", r.warnings);
}

#[test]
fn modifier_words_nest_and_build_args_count() {
    let src = "FROM scratch\nARG A\nARG B=b\nLABEL x=${A:-${B}-z} y=${B:+<$B>}\n";
    let r = resolve_ok(src, &[]);
    assert_eq!(label(&r, 0, "x"), "b-z");
    assert_eq!(label(&r, 0, "y"), "<b>");
    let r = resolve_ok(src, &[("A", "cli")]);
    assert_eq!(label(&r, 0, "x"), "cli");
}

#[test]
fn quoting_and_escapes_survive_resolution() {
    let src = "FROM scratch\nARG V=val\nLABEL a='$V' b=\"\\$V\" c=\\$V d=\"$V\"\n";
    let r = resolve_ok(src, &[]);
    assert_eq!(label(&r, 0, "a"), "$V");
    assert_eq!(label(&r, 0, "b"), "$V");
    assert_eq!(label(&r, 0, "c"), "$V");
    assert_eq!(label(&r, 0, "d"), "val");
}

// ---------------------------------------------------------------------------------------------
// Expansion in every instruction
// ---------------------------------------------------------------------------------------------

#[test]
fn expansion_in_every_instruction() {
    let src = "FROM scratch
ARG D=/app
ARG M=model
ARG T=Q4_K_M
ARG FT=F32
ARG X=*.md
ARG U=1000
ADD --chown=$U:$U --chmod=6${U:+44} --exclude=$X https://example.com/$M.gguf $D/
COPY --chown=$U --exclude=$X $M.gguf $D/
CAT <<EOF $D/prompt.txt
model $M in ${D}
EOF
CAT <<'EOF' $D/raw.txt
model $M in ${D}
EOF
CONVERT --type=$FT --class=lora --base=$D/base $D/$M $D/$M.gguf
QUANTIZE --type=$T --imatrix=$D/imatrix.dat --include-weights=$M.weight,out --output-tensor-type=${FT} --token-embedding-type=$FT $D/$M.gguf $D/$M.$T.gguf
CMD [\"-m\", \"$D/$M.$T.gguf\"]
CMD -m $D/$M.$T.gguf
";
    let r = resolve_ok(src, &[]);
    assert!(undefined(&r).is_empty(), "{:?}", r.warnings);
    assert!(unused(&r).is_empty(), "{:?}", r.warnings);
    let k = kinds(&r, 0);
    let ResolvedKind::Add(add) = k[6] else {
        panic!("{:?}", k[6])
    };
    assert_eq!(add.chown.as_deref(), Some("1000:1000"));
    assert_eq!(add.chmod.as_deref(), Some("644"));
    assert_eq!(add.exclude, ["*.md"]);
    assert_eq!(
        add.sources,
        [AddSource::Http("https://example.com/model.gguf".into())]
    );
    assert_eq!(add.dest, "/app/");
    let ResolvedKind::Copy(copy) = k[7] else {
        panic!("{:?}", k[7])
    };
    assert_eq!(copy.from, StageSource::Context);
    assert_eq!(copy.chown.as_deref(), Some("1000"));
    assert_eq!(copy.exclude, ["*.md"]);
    assert_eq!(copy.sources, ["model.gguf"]);
    assert_eq!(copy.dest, "/app/");
    let ResolvedKind::Cat(cat) = k[8] else {
        panic!("{:?}", k[8])
    };
    assert_eq!(cat.dest, "/app/prompt.txt");
    assert_eq!(cat.content, "model model in /app\n");
    let ResolvedKind::Cat(raw) = k[9] else {
        panic!("{:?}", k[9])
    };
    assert_eq!(raw.dest, "/app/raw.txt");
    assert_eq!(raw.content, "model $M in ${D}\n");
    let ResolvedKind::Convert(c) = k[10] else {
        panic!("{:?}", k[10])
    };
    assert_eq!(c.from, StageSource::Current);
    assert_eq!(c.class, ConvertClass::Lora);
    assert_eq!(c.base.as_deref(), Some("/app/base"));
    assert_eq!(c.ty, "F32");
    assert_eq!(c.src, "/app/model");
    assert_eq!(c.dest, "/app/model.gguf");
    let ResolvedKind::Quantize(q) = k[11] else {
        panic!("{:?}", k[11])
    };
    assert_eq!(q.from, StageSource::Current);
    assert_eq!(q.ty, "Q4_K_M");
    assert_eq!(q.imatrix.as_deref(), Some("/app/imatrix.dat"));
    assert_eq!(q.include_weights, ["model.weight", "out"]);
    assert_eq!(q.output_tensor_type.as_deref(), Some("F32"));
    assert_eq!(q.token_embedding_type.as_deref(), Some("F32"));
    assert_eq!(q.src, "/app/model.gguf");
    assert_eq!(q.dest, "/app/model.Q4_K_M.gguf");
    assert_eq!(
        k[12],
        &ResolvedKind::Cmd(ResolvedCmd::Exec(vec![
            "-m".into(),
            "/app/model.Q4_K_M.gguf".into()
        ]))
    );
    assert_eq!(
        k[13],
        &ResolvedKind::Cmd(ResolvedCmd::Shell("-m /app/model.Q4_K_M.gguf".into()))
    );
    // Only the last CMD takes effect, and the linter says so.
    assert_eq!(
        r.stages[0].cmd(),
        Some(&ResolvedCmd::Shell("-m /app/model.Q4_K_M.gguf".into()))
    );
    assert!(r
        .warnings
        .iter()
        .any(|w| matches!(w, Warning::MultipleCmd { span } if span.line == 19)));
}

#[test]
fn defaults_of_model_instructions() {
    let src = "FROM scratch\nCONVERT a a.gguf\nQUANTIZE a.gguf b.gguf\n";
    let r = resolve_ok(src, &[]);
    let k = kinds(&r, 0);
    let ResolvedKind::Convert(c) = k[0] else {
        panic!()
    };
    assert_eq!(c.ty, "F16");
    assert_eq!(c.class, ConvertClass::Model);
    assert_eq!(c.base, None);
    let ResolvedKind::Quantize(q) = k[1] else {
        panic!()
    };
    assert_eq!(q.ty, "Q5_K_M");
    assert!(!q.pure && !q.leave_output_tensor);
    assert_eq!(q.imatrix, None);
    assert!(q.include_weights.is_empty() && q.exclude_weights.is_empty());
}

#[test]
fn type_names_are_case_insensitive_and_validated_after_expansion() {
    let r = resolve_ok(
        "FROM scratch\nARG T\nCONVERT --type=bf16 a a.gguf\nQUANTIZE --type=${T} a.gguf b.gguf\n",
        &[("T", "q4_k_m")],
    );
    let k = kinds(&r, 0);
    let ResolvedKind::Convert(c) = k[1] else {
        panic!()
    };
    assert_eq!(c.ty, "BF16");
    let ResolvedKind::Quantize(q) = k[2] else {
        panic!()
    };
    assert_eq!(q.ty, "Q4_K_M");

    let e = resolve_err(
        "FROM scratch\nARG T=Q9_Z\nQUANTIZE --type=$T a.gguf b.gguf\n",
        &[],
    );
    assert!(
        matches!(&e, ResolveError::InvalidQuantizeType { flag, value, .. } if *flag == "type" && value == "Q9_Z"),
        "{e:?}"
    );
    let e = resolve_err("FROM scratch\nCONVERT --type=Q4_0 a b\n", &[]);
    assert!(
        matches!(e, ResolveError::InvalidConvertType { .. }),
        "{e:?}"
    );
    let e = resolve_err(
        "FROM scratch\nQUANTIZE --token-embedding-type=NOPE a b\n",
        &[],
    );
    assert!(
        matches!(e, ResolveError::InvalidQuantizeType { .. }),
        "{e:?}"
    );
}

#[test]
fn caller_supplied_type_list() {
    let pf = parse_ok("FROM scratch\nQUANTIZE --type=MY_TYPE a b\n");
    let opts = ResolveOptions {
        quantize_types: Some(vec!["MY_TYPE".into()]),
        ..ResolveOptions::default()
    };
    let r = pf.resolve_with(&opts).unwrap();
    let ResolvedKind::Quantize(q) = kinds(&r, 0)[0] else {
        panic!()
    };
    assert_eq!(q.ty, "MY_TYPE");
    assert!(pf.resolve(&Default::default()).is_err());
}

#[test]
fn weight_lists_split_on_commas() {
    let r = resolve_ok(
        "FROM scratch\nQUANTIZE --imatrix=m --exclude-weights=a,b --exclude-weights=c a.gguf b.gguf\n",
        &[],
    );
    let ResolvedKind::Quantize(q) = kinds(&r, 0)[0] else {
        panic!()
    };
    assert_eq!(q.exclude_weights, ["a", "b", "c"]);
}

/// Rules the parser already enforces; the resolver checks them too, for ASTs built by hand.
#[test]
fn model_instruction_rules() {
    let mut pf = parse_ok(
        "FROM scratch\nCONVERT --class=lora --base=b a b\nQUANTIZE --imatrix=m --include-weights=a x y\n",
    );
    let original = pf.clone();

    let InstructionKind::Convert(c) = &mut pf.stages[0].instructions[0].kind else {
        panic!()
    };
    c.base = None;
    let e = pf.resolve(&Default::default()).unwrap_err();
    assert!(matches!(e, ResolveError::LoraNeedsBase { .. }), "{e:?}");

    let mut pf = original.clone();
    let InstructionKind::Quantize(q) = &mut pf.stages[0].instructions[1].kind else {
        panic!()
    };
    q.exclude_weights = vec![lit("b")];
    let e = pf.resolve(&Default::default()).unwrap_err();
    assert!(
        matches!(e, ResolveError::IncludeAndExcludeWeights { .. }),
        "{e:?}"
    );

    let mut pf = original;
    let InstructionKind::Quantize(q) = &mut pf.stages[0].instructions[1].kind else {
        panic!()
    };
    q.imatrix = None;
    let e = pf.resolve(&Default::default()).unwrap_err();
    assert!(
        matches!(e, ResolveError::WeightsNeedImatrix { .. }),
        "{e:?}"
    );
}

#[test]
fn add_sources_and_checksums() {
    let hex = "24454F830CDB571E2C4AD15481119C43B3CAFD48DD869A9B2945D1036D1DC68D";
    let src = format!(
        "FROM scratch
ADD https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git model/
ADD https://example.com/m.gguf local.txt /app/
ADD --checksum=sha256:{hex} https://example.com/m.gguf /app/
"
    );
    let r = resolve_ok(&src, &[]);
    let k = kinds(&r, 0);
    let ResolvedKind::Add(a) = k[0] else { panic!() };
    assert_eq!(
        a.sources,
        [AddSource::Git(
            "https://huggingface.co/Qwen/Qwen2-0.5B-Instruct.git".into()
        )]
    );
    let ResolvedKind::Add(a) = k[1] else { panic!() };
    assert_eq!(
        a.sources,
        [
            AddSource::Http("https://example.com/m.gguf".into()),
            AddSource::Context("local.txt".into())
        ]
    );
    let ResolvedKind::Add(a) = k[2] else { panic!() };
    assert_eq!(
        a.checksum.as_deref(),
        Some(format!("sha256:{}", hex.to_lowercase()).as_str())
    );

    let e = resolve_err(
        &format!("FROM scratch\nADD --checksum=sha256:{hex} model.gguf /app/\n"),
        &[],
    );
    assert!(matches!(e, ResolveError::ChecksumNeedsUrl { .. }), "{e:?}");
    let e = resolve_err(
        "FROM scratch\nADD --checksum=sha256:abc https://example.com/m /app/\n",
        &[],
    );
    assert!(matches!(e, ResolveError::InvalidChecksum { .. }), "{e:?}");
}

// ---------------------------------------------------------------------------------------------
// The stage graph
// ---------------------------------------------------------------------------------------------

#[test]
fn stage_graph_and_build_order() {
    let src = "FROM scratch AS a
CONVERT m m.gguf
FROM a AS b
FROM scratch AS c
COPY --from=b x y
QUANTIZE --from=A x.gguf y.gguf
CONVERT --from=context m m.gguf
COPY --from=ghcr.io/ggerganov/llama.cpp:server /llama-server /
FROM scratch
COPY --from=c x y
COPY --from=1 x y
QUANTIZE x.gguf y.gguf
";
    let r = resolve_ok(src, &[]);
    assert_eq!(r.stages.len(), 4);
    assert_eq!(r.stages[1].base, BaseImage::Stage(0));
    assert_eq!(r.stages[0].dependencies, Vec::<usize>::new());
    assert_eq!(r.stages[1].dependencies, [0]);
    assert_eq!(r.stages[2].dependencies, [0, 1]);
    assert_eq!(r.stages[3].dependencies, [1, 2]);
    assert_topological(&r);

    let k = kinds(&r, 2);
    let ResolvedKind::Copy(c) = k[0] else {
        panic!()
    };
    assert_eq!(c.from, StageSource::Stage(1));
    let ResolvedKind::Quantize(q) = k[1] else {
        panic!()
    };
    assert_eq!(
        q.from,
        StageSource::Stage(0),
        "stage names are case-insensitive"
    );
    let ResolvedKind::Convert(cv) = k[2] else {
        panic!()
    };
    assert_eq!(cv.from, StageSource::Context);
    let ResolvedKind::Copy(img) = k[3] else {
        panic!()
    };
    assert_eq!(
        img.from,
        StageSource::Image("ghcr.io/ggerganov/llama.cpp:server".into())
    );
    let ResolvedKind::Quantize(q) = kinds(&r, 3)[2] else {
        panic!()
    };
    assert_eq!(q.from, StageSource::Current);

    assert_eq!(r.target().map(|s| s.index), Some(3));
    assert_eq!(r.build_order(1), [0, 1]);
    assert_eq!(r.build_order(0), [0]);
    assert_eq!(r.build_order(3).len(), 4);
    assert!(r.build_order(9).is_empty());
    assert_eq!(r.stage_index("C"), Some(2));
    assert_eq!(r.stage_index("3"), Some(3));
    assert_eq!(r.stage_index("nope"), None);
}

#[test]
fn order_puts_independent_stages_before_their_user() {
    // The last stage uses the first two; the middle one uses nothing.
    let r = resolve_ok(
        "FROM scratch AS x\nFROM scratch AS y\nFROM scratch\nCOPY --from=y a b\nCOPY --from=x a b\n",
        &[],
    );
    assert_eq!(r.stages[2].dependencies, [0, 1]);
    assert_topological(&r);
    assert_eq!(*r.order.last().unwrap(), 2);
}

#[test]
fn unknown_stage_index_is_an_error() {
    let e = resolve_err("FROM scratch\nCOPY --from=7 a b\n", &[]);
    assert!(
        matches!(&e, ResolveError::UnknownStageIndex { index, .. } if index == "7"),
        "{e:?}"
    );
    assert_eq!(e.span().map(|s| s.line), Some(2));
}

#[test]
fn forward_reference_is_an_error() {
    let e = resolve_err(
        "FROM scratch AS a\nCOPY --from=b x y\nFROM scratch AS b\n",
        &[],
    );
    assert!(
        matches!(
            &e,
            ResolveError::ForwardReference {
                stage: 0,
                target: 1,
                ..
            }
        ),
        "{e:?}"
    );
    let e = resolve_err("FROM scratch\nQUANTIZE --from=1 x y\nFROM scratch\n", &[]);
    assert!(matches!(&e, ResolveError::ForwardReference { .. }), "{e:?}");
}

#[test]
fn self_reference_is_a_cycle() {
    let e = resolve_err("FROM scratch AS a\nCOPY --from=a x y\n", &[]);
    assert!(matches!(&e, ResolveError::Cycle { .. }), "{e:?}");
    let e = resolve_err("FROM scratch\nCOPY --from=0 x y\n", &[]);
    assert!(matches!(&e, ResolveError::Cycle { .. }), "{e:?}");
    assert!(e.to_string().contains("circular"), "{e}");
}

#[test]
fn duplicate_stage_names_are_an_error() {
    let e = resolve_err("FROM scratch AS a\nFROM scratch AS A\n", &[]);
    assert!(
        matches!(&e, ResolveError::DuplicateStageName { name, .. } if name == "a"),
        "{e:?}"
    );
    assert_eq!(e.span().map(|s| s.line), Some(2));
}

#[test]
fn stage_name_from_variable_is_invalid() {
    // The parser rejects it; the resolver does too, for an AST built by hand.
    let msg = rejected("ARG N=x\nFROM scratch AS $N\n");
    assert!(msg.contains("stage name"), "{msg}");
    let mut pf = parse_ok("ARG N=x\nFROM scratch AS n\n");
    pf.stages[0].from.alias = Some(w(vec![uv("N")]));
    let e = pf.resolve(&Default::default()).unwrap_err();
    assert!(matches!(&e, ResolveError::InvalidStageName { .. }), "{e:?}");
    let mut pf = parse_ok("FROM scratch AS n\n");
    pf.stages[0].from.alias = Some(lit("9lives"));
    let e = pf.resolve(&Default::default()).unwrap_err();
    assert!(matches!(&e, ResolveError::InvalidStageName { .. }), "{e:?}");
}

#[test]
fn empty_add_and_copy_destinations_are_errors() {
    for src in [
        "FROM scratch\nARG D\nCOPY a $D\n",
        "FROM scratch\nARG D\nADD a ${D}\n",
    ] {
        let e = resolve_err(src, &[]);
        assert!(matches!(&e, ResolveError::Empty { .. }), "{src:?}: {e:?}");
    }
    // Set by a build arg, the same lines resolve.
    resolve_ok("FROM scratch\nARG D\nCOPY a $D\n", &[("D", "/app/")]);
}

#[test]
fn empty_base_image_is_an_error() {
    let e = resolve_err("ARG BASE\nFROM ${BASE}\n", &[]);
    assert!(matches!(&e, ResolveError::Empty { .. }), "{e:?}");
}

// ---------------------------------------------------------------------------------------------
// Linter warnings
// ---------------------------------------------------------------------------------------------

#[test]
fn uppercase_stage_name_warning() {
    let r = resolve_ok("FROM scratch AS Base\nFROM base\n", &[]);
    assert_eq!(r.stages[0].name.as_deref(), Some("base"));
    assert_eq!(r.stages[1].base, BaseImage::Stage(0));
    let w: Vec<&Warning> = r
        .warnings
        .iter()
        .filter(|w| matches!(w, Warning::StageNameCasing { .. }))
        .collect();
    assert_eq!(w.len(), 1, "{:?}", r.warnings);
    assert!(
        matches!(w[0], Warning::StageNameCasing { name, span } if name == "Base" && span.line == 1)
    );
    // A lower-case name gives none.
    let r = resolve_ok("FROM scratch AS base\n", &[]);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn empty_exec_cmd_warning() {
    let r = resolve_ok("FROM scratch\nCMD []\n", &[]);
    assert_eq!(r.stages[0].cmd(), Some(&ResolvedCmd::Exec(vec![])));
    assert!(
        r.warnings
            .iter()
            .any(|w| matches!(w, Warning::EmptyExecCmd { span } if span.line == 2)),
        "{:?}",
        r.warnings
    );
    let r = resolve_ok("FROM scratch\nCMD [\"-m\", \"x\"]\n", &[]);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn cat_outside_stage_root_warning() {
    for dest in [
        "../x.txt",
        "/a/../../x.txt",
        "a/../../x.txt",
        "${D}/../../x",
    ] {
        let src = format!("FROM scratch\nARG D=/app\nCAT <<EOF {dest}\nhi\nEOF\n");
        let r = resolve_ok(&src, &[]);
        assert!(
            r.warnings
                .iter()
                .any(|w| matches!(w, Warning::CatOutsideRoot { span, .. } if span.line == 3)),
            "{dest}: {:?}",
            r.warnings
        );
    }
    for dest in ["/app/x.txt", "x.txt", "/a/../x.txt", "./a/b/../c"] {
        let src = format!("FROM scratch\nCAT <<EOF {dest}\nhi\nEOF\n");
        let r = resolve_ok(&src, &[]);
        assert!(
            !r.warnings
                .iter()
                .any(|w| matches!(w, Warning::CatOutsideRoot { .. })),
            "{dest}: {:?}",
            r.warnings
        );
    }
}

#[test]
fn warnings_are_in_file_order_and_render_with_rule() {
    let src = "FROM scratch AS Upper\nARG UNUSED=1\nLABEL a=$NOPE\nCMD []\n";
    let r = resolve_ok(src, &[]);
    let lines: Vec<u32> = r.warnings.iter().map(|w| w.span().line).collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted);
    assert_eq!(r.warnings.len(), 4, "{:?}", r.warnings);
    for w in &r.warnings {
        let s = w.to_string();
        assert!(s.contains(&format!("[{}]", w.rule())), "{s}");
        assert!(s.starts_with(&format!("{}:", w.span().line)), "{s}");
    }
}

#[test]
fn no_stages_is_an_error() {
    let pf = Packerfile::default();
    assert_eq!(pf.resolve(&Default::default()), Err(ResolveError::NoStages));
}

#[test]
fn global_args_are_visible_in_every_stage() {
    // As gguf-packer does (its quick start relies on it): no re-declaration needed.
    let src = "ARG G=g\nFROM scratch AS a\nLABEL g=$G\nFROM scratch\nARG G=local\nLABEL g=$G\n";
    let r = resolve_ok(src, &[]);
    assert_eq!(label(&r, 0, "g"), "g");
    assert_eq!(label(&r, 1, "g"), "local");
    assert!(undefined(&r).is_empty(), "{:?}", r.warnings);
    assert!(unused(&r).is_empty(), "{:?}", r.warnings);
    let r = resolve_ok(src, &[("G", "cli")]);
    assert_eq!(label(&r, 0, "g"), "cli");
    assert_eq!(label(&r, 1, "g"), "cli");
}

#[test]
fn heredoc_sources_resolve_to_inline_files() {
    let src = "ARG WHO=world\nFROM scratch\nARG WHO\n\
               COPY <<FILE1 <<'FILE2' models/ /dest/\nhello ${WHO}\nFILE1\nraw $WHO\nFILE2\n\
               ADD <<-EOF https://example.com/m.gguf /app/\n\tby $WHO\n\tEOF\n";
    let r = resolve_ok(src, &[("WHO", "you")]);
    assert!(undefined(&r).is_empty(), "{:?}", r.warnings);
    let k = kinds(&r, 0);
    let ResolvedKind::Copy(copy) = k[1] else {
        panic!("{:?}", k[1])
    };
    assert_eq!(
        copy.sources,
        [
            CopySource::Inline {
                name: "FILE1".into(),
                content: "hello you\n".into()
            },
            CopySource::Inline {
                name: "FILE2".into(),
                content: "raw $WHO\n".into()
            },
            CopySource::Path("models/".into()),
        ]
    );
    assert_eq!(copy.sources[0].as_str(), "FILE1");
    assert_eq!(copy.dest, "/dest/");
    let ResolvedKind::Add(add) = k[2] else {
        panic!("{:?}", k[2])
    };
    assert_eq!(
        add.sources,
        [
            AddSource::Inline {
                name: "EOF".into(),
                content: "by you\n".into()
            },
            AddSource::Http("https://example.com/m.gguf".into()),
        ]
    );
    // A checksum needs every source to be a URL: an inline file is not.
    let hex = "a".repeat(64);
    let e = resolve_err(
        &format!("FROM scratch\nADD --checksum=sha256:{hex} <<EOF /app/x\nx\nEOF\n"),
        &[],
    );
    assert!(matches!(e, ResolveError::ChecksumNeedsUrl { .. }), "{e:?}");
    // Variables used only in a heredoc source count as used; undeclared ones warn.
    let r = resolve_ok("FROM scratch\nCOPY <<EOF /x\n$NOPE\nEOF\n", &[]);
    assert_eq!(undefined(&r), ["NOPE"]);
}
