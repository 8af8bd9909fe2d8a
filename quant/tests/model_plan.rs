//! The whole-model type plan (`ggufpack_quant::model`): rules derived by hand from llama.cpp's
//! `llama_tensor_get_type` checked on the two real test models (SmolLM2-135M: llama, 30 layers,
//! GQA 3, tied embeddings, 576 columns; Gemma 3 270M: 18 layers, GQA 4, tied embeddings, 640
//! columns) and on small synthetic models (experts, 70B, MXFP4), the options, the errors, and
//! — where `quant/tests/golden/model_plan/` holds them — the types `llama-quantize` chose.

#[path = "../../gguf/tests/common/mod.rs"]
mod common;

use ggufpack_gguf::{ArrayValue, GgmlType, Gguf, GgufFile, GgufWriter};
use ggufpack_quant::model::{
    plan, sort_like_llama_loader, ModelDesc, ModelError, ModelFileType, PlanOptions, QuantPlan,
    TensorCategory, TensorDesc, TensorTypeOverride,
};
use GgmlType as G;

fn real(model: &str) -> ModelDesc {
    let file = GgufFile::open(common::real_model(model)).unwrap();
    ModelDesc::from_gguf(&file).unwrap()
}

fn run(model: &ModelDesc, ftype: ModelFileType) -> QuantPlan {
    plan(model, &PlanOptions::new(ftype)).unwrap()
}

fn ty(p: &QuantPlan, name: &str) -> GgmlType {
    p.tensor(name)
        .unwrap_or_else(|| panic!("no tensor {name}"))
        .target_type
}

/// llama.cpp's `use_more_bits`, written out for the expectations.
fn more_bits(i: i64, n: i64) -> bool {
    i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2
}

#[test]
fn real_models_are_described_like_the_loader() {
    let s = real("smollm2");
    assert_eq!(
        (
            s.arch.as_str(),
            s.n_layer,
            s.n_head,
            s.n_head_kv,
            s.n_expert
        ),
        ("llama", 30, 9, 3, 0)
    );
    assert_eq!(s.n_gqa(), 3);
    assert!(!s.is_70b());
    assert_eq!(s.tensors.len(), 272);
    let g = real("gemma3");
    assert_eq!(
        (g.arch.as_str(), g.n_layer, g.n_head, g.n_head_kv),
        ("gemma3", 18, 4, 1)
    );
    assert_eq!(g.n_gqa(), 4);
    // loader order: non-layer tensors first, then layers by number (10 after 9), names bytewise
    let names: Vec<&str> = g.tensors.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        &names[..3],
        [
            "output_norm.weight",
            "token_embd.weight",
            "blk.0.attn_k.weight"
        ]
    );
    let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
    assert!(pos("blk.9.ffn_up.weight") < pos("blk.10.attn_k.weight"));
    assert!(!names.contains(&"output.weight")); // tied embeddings
}

#[test]
fn smollm2_q4_k_m() {
    let m = real("smollm2");
    let p = run(&m, ModelFileType::Q4_K_M);
    // tied token_embd takes the output rule: 576 % 256 != 0 → Q8_0
    assert_eq!(ty(&p, "token_embd.weight"), G::Q8_0);
    for i in 0..30 {
        let t = |s: &str| ty(&p, &format!("blk.{i}.{s}.weight"));
        // attn_v: Q6_K on use_more_bits layers, else Q4_K; 576 columns fall back (Q8_0, Q5_0)
        let v = if more_bits(i, 30) { G::Q8_0 } else { G::Q5_0 };
        assert_eq!(t("attn_v"), v, "layer {i}");
        // ffn_down has 1536 columns: no fallback
        let d = if more_bits(i, 30) { G::Q6_K } else { G::Q4_K };
        assert_eq!(t("ffn_down"), d, "layer {i}");
        for s in ["attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up"] {
            assert_eq!(t(s), G::Q5_0, "layer {i} {s}");
        }
        assert_eq!(t("attn_norm"), G::F32);
        assert!(
            !p.tensor(&format!("blk.{i}.ffn_norm.weight"))
                .unwrap()
                .allows_quantization
        );
    }
    assert_eq!(ty(&p, "output_norm.weight"), G::F32);
    // every 576-column matrix fell back: 30 layers × 6 matrices
    assert_eq!(p.n_fallback, 180);
    assert!(p.missing_imatrix().is_none());
}

#[test]
fn smollm2_q2_k() {
    let p = run(&real("smollm2"), ModelFileType::Q2_K);
    assert_eq!(ty(&p, "token_embd.weight"), G::Q8_0);
    for i in 0..30 {
        let t = |s: &str| ty(&p, &format!("blk.{i}.{s}.weight"));
        assert_eq!(t("attn_v"), G::Q4_0); // GQA 3 < 4: Q3_K, falls back to Q4_0
        assert_eq!(t("ffn_down"), G::Q3_K);
        assert_eq!(t("attn_output"), G::Q4_0); // Q3_K, fallback
        for s in ["attn_q", "attn_k", "ffn_gate", "ffn_up"] {
            assert_eq!(t(s), G::Q4_0); // Q2_K, fallback
        }
    }
}

#[test]
fn gemma3_q4_k_m_q2_k_q3_k_m() {
    let m = real("gemma3");
    let p = run(&m, ModelFileType::Q4_K_M);
    assert_eq!(ty(&p, "token_embd.weight"), G::Q8_0);
    for i in 0..18 {
        let t = |s: &str| ty(&p, &format!("blk.{i}.{s}.weight"));
        let mb = more_bits(i, 18);
        assert_eq!(t("attn_v"), if mb { G::Q8_0 } else { G::Q5_0 }, "layer {i}");
        assert_eq!(
            t("ffn_down"),
            if mb { G::Q6_K } else { G::Q4_K },
            "layer {i}"
        );
        assert_eq!(t("attn_output"), G::Q4_K); // 1024 columns
        for s in ["attn_q", "attn_k", "ffn_gate", "ffn_up"] {
            assert_eq!(t(s), G::Q5_0);
        }
        for s in ["attn_q_norm", "attn_k_norm", "post_attention_norm"] {
            assert_eq!(t(s), G::F32);
        }
    }

    let p = run(&m, ModelFileType::Q2_K);
    for i in 0..18 {
        let t = |s: &str| ty(&p, &format!("blk.{i}.{s}.weight"));
        assert_eq!(t("attn_v"), G::Q5_0); // GQA 4: Q4_K, fallback
        assert_eq!(t("attn_output"), G::Q3_K);
        assert_eq!(t("ffn_down"), G::Q3_K);
        assert_eq!(t("ffn_up"), G::Q4_0);
    }

    let p = run(&m, ModelFileType::Q3_K_M);
    for i in 0..18 {
        let t = |s: &str| ty(&p, &format!("blk.{i}.{s}.weight"));
        // the first two attn_v get Q5_K (→ Q5_1), the rest Q4_K (→ Q5_0)
        assert_eq!(
            t("attn_v"),
            if i < 2 { G::Q5_1 } else { G::Q5_0 },
            "layer {i}"
        );
        // ffn_down: the first sixteenth Q5_K, the rest Q4_K (not falcon)
        assert_eq!(
            t("ffn_down"),
            if i < 1 { G::Q5_K } else { G::Q4_K },
            "layer {i}"
        );
        assert_eq!(t("attn_output"), G::Q4_K);
        assert_eq!(t("attn_q"), G::Q4_0); // Q3_K, fallback
    }
}

#[test]
fn gemma3_q2_k_s_needs_an_imatrix() {
    let p = run(&real("gemma3"), ModelFileType::Q2_K_S);
    // attn_output (1024 columns) keeps the default Q2_K, and so does ffn_down (2048 columns)
    // after the first eighth: in a Q2_K_S file that needs an imatrix
    assert_eq!(ty(&p, "blk.0.attn_output.weight"), G::Q2_K);
    assert_eq!(ty(&p, "blk.0.ffn_down.weight"), G::Q4_K);
    assert_eq!(ty(&p, "blk.2.ffn_down.weight"), G::Q2_K);
    assert_eq!(ty(&p, "blk.0.attn_q.weight"), G::Q4_0); // fallback: no imatrix needed
    assert!(!p.tensor("blk.0.attn_q.weight").unwrap().requires_imatrix);
    assert_eq!(
        p.missing_imatrix().unwrap().name,
        "blk.0.attn_output.weight"
    );
}

#[test]
fn sizes_and_bpw() {
    let m = real("smollm2");
    let p = run(&m, ModelFileType::Q8_0);
    let n: u64 = m
        .tensors
        .iter()
        .map(|t| t.dims.iter().product::<u64>())
        .sum();
    assert_eq!(p.n_elements, n);
    for t in &p.tensors {
        let rows: u64 = t.dims[1..].iter().product();
        assert_eq!(
            t.target_bytes,
            t.target_type.row_size(t.dims[0]).unwrap() * rows
        );
    }
    let bpw = p.target_bpw();
    assert!(bpw > 8.0 && bpw < 8.6, "{bpw}");
    assert_eq!(
        p.current_bytes(),
        GgufFile::open(common::real_model("smollm2"))
            .unwrap()
            .tensors()
            .iter()
            .map(|t| t.n_bytes())
            .sum::<u64>()
    );
}

#[test]
fn options() {
    let m = real("gemma3");
    let base = PlanOptions::new(ModelFileType::Q4_K_M);

    // --pure: the default type everywhere (with the block fallback), token_embd included
    let p = plan(
        &m,
        &PlanOptions {
            pure: true,
            ..base.clone()
        },
    )
    .unwrap();
    assert_eq!(ty(&p, "token_embd.weight"), G::Q5_0);
    assert_eq!(ty(&p, "blk.0.ffn_down.weight"), G::Q4_K);
    assert_eq!(ty(&p, "blk.0.attn_v.weight"), G::Q5_0);

    // --output-tensor-type applies to tied token embeddings through the mixture
    let p = plan(
        &m,
        &PlanOptions {
            output_tensor_type: Some(G::Q4_0),
            ..base.clone()
        },
    )
    .unwrap();
    assert_eq!(ty(&p, "token_embd.weight"), G::Q4_0);

    // --token-embedding-type wins, with no fallback (a type that does not fit is an error)
    let with_embd = |ty| PlanOptions {
        token_embedding_type: Some(ty),
        ..base.clone()
    };
    let p = plan(&m, &with_embd(G::Q4_0)).unwrap();
    assert_eq!(ty(&p, "token_embd.weight"), G::Q4_0);
    assert!(matches!(
        plan(&m, &with_embd(G::Q6_K)),
        Err(ModelError::IncompatibleType {
            ncols: 640,
            ty: G::Q6_K,
            ..
        })
    ));

    // --tensor-type: first matching pattern, then the fallback; the counters of the other
    // tensors are unchanged
    let p = plan(
        &m,
        &PlanOptions {
            tensor_types: vec![
                TensorTypeOverride::parse("ATTN_Q=q8_0").unwrap(),
                TensorTypeOverride::parse(r"blk\.1[0-7]\.ffn_down=q3_k").unwrap(),
                TensorTypeOverride::parse("ffn_up=Q4_K").unwrap(),
            ],
            ..base.clone()
        },
    )
    .unwrap();
    assert_eq!(ty(&p, "blk.3.attn_q.weight"), G::Q8_0);
    assert_eq!(ty(&p, "blk.3.attn_q_norm.weight"), G::F32); // not quantizable
    assert_eq!(ty(&p, "blk.12.ffn_down.weight"), G::Q3_K);
    assert_eq!(ty(&p, "blk.2.ffn_down.weight"), G::Q4_K);
    assert_eq!(ty(&p, "blk.1.ffn_down.weight"), G::Q6_K);
    assert_eq!(ty(&p, "blk.4.ffn_up.weight"), G::Q5_0); // Q4_K does not fit 640 columns

    // COPY: nothing changes
    let p = plan(
        &m,
        &PlanOptions {
            only_copy: true,
            ..base.clone()
        },
    )
    .unwrap();
    assert!(p
        .tensors
        .iter()
        .all(|t| !t.converts() && !t.allows_quantization));
    assert_eq!(p.current_bytes(), p.target_bytes());

    // F16: every quantizable matrix F16, the rest unchanged, no mixture
    let p = run(&m, ModelFileType::F16);
    assert_eq!(ty(&p, "token_embd.weight"), G::F16);
    assert_eq!(ty(&p, "blk.0.attn_v.weight"), G::F16);
    assert_eq!(ty(&p, "blk.0.attn_norm.weight"), G::F32);
}

fn llama_like(n_layer: u32, n_head: u32, n_head_kv: u32, n_expert: u32) -> ModelDesc {
    ModelDesc {
        arch: "llama".into(),
        n_layer,
        n_layer_nextn: 0,
        n_head,
        n_head_kv,
        n_expert,
        tensors: Vec::new(),
    }
}

#[test]
fn output_tensor_and_leave_output() {
    let mut m = llama_like(2, 8, 8, 0);
    m.tensors = vec![
        TensorDesc::new("output.weight", &[256, 1000], G::F16),
        TensorDesc::new("token_embd.weight", &[256, 1000], G::F16),
        TensorDesc::new("blk.0.attn_v.weight", &[256, 256], G::F16),
        TensorDesc::new("blk.1.attn_v.weight", &[256, 256], G::F16),
    ];
    let p = run(&m, ModelFileType::Q4_K_M);
    assert_eq!(ty(&p, "output.weight"), G::Q6_K);
    assert_eq!(ty(&p, "token_embd.weight"), G::Q4_K); // not tied: the default
    let p = run(&m, ModelFileType::IQ2_XXS);
    assert_eq!(ty(&p, "output.weight"), G::Q5_K);
    assert_eq!(ty(&p, "token_embd.weight"), G::Q2_K);
    assert_eq!(ty(&p, "blk.0.attn_v.weight"), G::Q2_K); // GQA 1, no experts
    assert!(p.missing_imatrix().is_none()); // Q2_K needs one only in Q2_K_S
    let p = run(&m, ModelFileType::IQ2_M);
    assert_eq!(ty(&p, "blk.0.attn_v.weight"), G::IQ3_S);
    assert_eq!(ty(&p, "token_embd.weight"), G::IQ3_S);
    let opts = PlanOptions {
        leave_output_tensor: true,
        ..PlanOptions::new(ModelFileType::Q4_K_M)
    };
    let p = plan(&m, &opts).unwrap();
    let out = p.tensor("output.weight").unwrap();
    assert!(!out.allows_quantization && out.target_type == G::F16);
}

#[test]
fn experts_take_the_layer_from_the_name() {
    // 8 experts: attn_v and attn_k Q8_0, attn_output Q5_K; expert FFN layers come from names,
    // whatever the order of the tensors
    let mut m = llama_like(4, 32, 8, 8);
    for i in [3, 0, 2, 1] {
        m.tensors.push(TensorDesc::new(
            format!("blk.{i}.ffn_down_exps.weight"),
            &[256, 256, 8],
            G::F16,
        ));
        m.tensors.push(TensorDesc::new(
            format!("blk.{i}.attn_v.weight"),
            &[256, 64],
            G::F16,
        ));
        m.tensors.push(TensorDesc::new(
            format!("blk.{i}.attn_k.weight"),
            &[256, 64],
            G::F16,
        ));
        m.tensors.push(TensorDesc::new(
            format!("blk.{i}.attn_output.weight"),
            &[256, 256],
            G::F16,
        ));
        m.tensors.push(TensorDesc::new(
            format!("blk.{i}.ffn_gate_inp.weight"),
            &[256, 8],
            G::F32,
        ));
    }
    let p = run(&m, ModelFileType::Q4_K_M);
    for i in 0..4 {
        let t = |s: &str| ty(&p, &format!("blk.{i}.{s}.weight"));
        assert_eq!(t("attn_v"), G::Q8_0);
        assert_eq!(t("attn_k"), G::Q8_0);
        assert_eq!(t("attn_output"), G::Q5_K);
        assert_eq!(t("ffn_gate_inp"), G::F32);
        let d = if more_bits(i, 4) { G::Q6_K } else { G::Q4_K };
        assert_eq!(t("ffn_down_exps"), d, "layer {i}");
    }

    // MXFP4_MOE: 3D expert tensors MXFP4, other matrices Q8_0
    let p = run(&m, ModelFileType::MXFP4_MOE);
    assert_eq!(ty(&p, "blk.0.ffn_down_exps.weight"), G::MXFP4);
    assert_eq!(ty(&p, "blk.0.attn_output.weight"), G::Q8_0);

    // an expert model's FFN tensor without a layer, or outside the model, is an error
    m.tensors.push(TensorDesc::new(
        "ffn_down_shared.weight",
        &[256, 256],
        G::F16,
    ));
    assert!(matches!(
        plan(&m, &PlanOptions::new(ModelFileType::Q4_K_M)),
        Err(ModelError::NoLayer { .. })
    ));
    m.tensors.pop();
    m.tensors.push(TensorDesc::new(
        "blk.4.ffn_up_exps.weight",
        &[256, 256, 8],
        G::F16,
    ));
    assert!(matches!(
        plan(&m, &PlanOptions::new(ModelFileType::Q4_K_M)),
        Err(ModelError::BadLayer {
            layer: 4,
            n_layer: 4,
            ..
        })
    ));
}

#[test]
fn seventy_b_attn_v_gets_more_bits() {
    let mut m = llama_like(80, 64, 8, 0);
    m.tensors = (0..80)
        .map(|i| TensorDesc::new(format!("blk.{i}.attn_v.weight"), &[8192, 1024], G::F16))
        .collect();
    assert!(m.is_70b());
    let p = run(&m, ModelFileType::Q3_K_S);
    assert!(p.tensors.iter().all(|t| t.target_type == G::Q5_K));
    // LLaMA 65B (no GQA) is not 70B
    m.n_head_kv = 64;
    assert!(!m.is_70b());
    let p = run(&m, ModelFileType::Q3_K_S);
    assert!(p.tensors.iter().all(|t| t.target_type == G::Q3_K));
}

#[test]
fn loader_order() {
    let mut t: Vec<TensorDesc> = [
        "blk.10.a.weight",
        "blk.9.b.weight",
        "output.weight",
        "blk.9.a.weight",
        "token_embd.weight",
    ]
    .iter()
    .map(|n| TensorDesc::new(*n, &[32], G::F32))
    .collect();
    sort_like_llama_loader(&mut t);
    let names: Vec<&str> = t.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "output.weight",
            "token_embd.weight",
            "blk.9.a.weight",
            "blk.9.b.weight",
            "blk.10.a.weight"
        ]
    );
    assert_eq!(
        TensorCategory::of("blk.0.attn_qkv.weight"),
        TensorCategory::AttnQkv
    );
}

#[test]
fn errors() {
    let m = llama_like(1, 1, 1, 0);
    let e = plan(&m, &PlanOptions::new(ModelFileType::NVFP4)).unwrap_err();
    assert!(matches!(
        e,
        ModelError::UnsupportedFileType(ModelFileType::NVFP4)
    ));
    let e = "Q4_K_XL".parse::<ModelFileType>().unwrap_err().to_string();
    assert!(e.contains("Q4_K_M (15)") && e.contains("TQ1_0 (36)"), "{e}");
    for bad in ["attn_q", "=q8_0", "attn_q=", "attn_q=q9_9", "(=q8_0"] {
        assert!(TensorTypeOverride::parse(bad).is_err(), "{bad}");
    }
    let mut m = llama_like(1, 1, 1, 0);
    m.tensors
        .push(TensorDesc::new("blk.0.attn_q.weight", &[100, 4], G::F16));
    let e = plan(
        &m,
        &PlanOptions {
            tensor_types: vec![TensorTypeOverride::parse("attn_q=q1_0").unwrap()],
            ..PlanOptions::new(ModelFileType::Q4_0)
        },
    )
    .unwrap_err();
    assert!(
        matches!(e, ModelError::NoFallback { ty: G::Q1_0, .. }),
        "{e}"
    );
}

fn metadata_only(kvs: Vec<(&str, ggufpack_gguf::MetadataValue)>) -> Gguf<Vec<u8>> {
    let mut w = GgufWriter::new();
    for (k, v) in kvs {
        w.add_kv(k, v).unwrap();
    }
    let mut bytes = Vec::new();
    w.write_to(&mut bytes).unwrap();
    Gguf::parse(bytes).unwrap()
}

#[test]
fn hparams_from_metadata() {
    use ggufpack_gguf::MetadataValue as V;
    let g = metadata_only(vec![
        ("general.architecture", "llama".into()),
        ("llama.block_count", V::U32(3)),
        (
            "llama.attention.head_count",
            V::Array(ArrayValue::I32(vec![16, 8, 8])),
        ),
        (
            "llama.attention.head_count_kv",
            V::Array(ArrayValue::U32(vec![4, 8, 8])),
        ),
        ("llama.expert_count", V::U32(4)),
    ]);
    let m = ModelDesc::from_gguf(&g).unwrap();
    assert_eq!(
        (m.n_layer, m.n_head, m.n_head_kv, m.n_expert, m.n_gqa()),
        (3, 16, 4, 4, 4)
    );

    // head_count_kv defaults to head_count
    let g = metadata_only(vec![
        ("general.architecture", "llama".into()),
        ("llama.block_count", V::U32(3)),
        ("llama.attention.head_count", V::U32(12)),
    ]);
    let m = ModelDesc::from_gguf(&g).unwrap();
    assert_eq!((m.n_head, m.n_head_kv, m.n_gqa()), (12, 12, 1));

    let err = |kvs| ModelDesc::from_gguf(&metadata_only(kvs)).unwrap_err();
    assert!(matches!(
        err(vec![("llama.block_count", V::U32(3))]),
        ModelError::MissingKey(_)
    ));
    assert!(matches!(
        err(vec![("general.architecture", "llama".into())]),
        ModelError::MissingKey(k) if k == "llama.block_count"
    ));
    assert!(matches!(
        err(vec![
            ("general.architecture", "llama".into()),
            ("llama.block_count", V::U64(3))
        ]),
        ModelError::WrongKeyType { .. }
    ));
    assert!(matches!(
        err(vec![
            ("general.architecture", "llama".into()),
            ("llama.block_count", V::U32(0))
        ]),
        ModelError::OutOfRange { .. }
    ));
    assert!(matches!(
        err(vec![
            ("general.architecture", "llama".into()),
            ("llama.block_count", V::U32(3)),
            (
                "llama.attention.head_count",
                V::Array(ArrayValue::U32(vec![8, 8]))
            ),
        ]),
        ModelError::WrongArrayLength {
            expected: 3,
            found: 2,
            ..
        }
    ));
    assert!(matches!(
        err(vec![
            ("general.architecture", "llama".into()),
            ("llama.block_count", V::U32(3)),
            (
                "llama.attention.head_count",
                V::Array(ArrayValue::F32(vec![8.0; 3]))
            ),
        ]),
        ModelError::WrongKeyType { .. }
    ));
}

/// The types `llama-quantize` chose (`scripts/golden/quantize/gen_types.sh`), for every golden
/// present: same tensors, same order, same types.
#[test]
fn matches_llama_quantize_goldens() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/model_plan");
    let entries = std::fs::read_dir(&dir).expect("quant/tests/golden/model_plan is committed");
    let mut files: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    let models = [("smollm2", real("smollm2")), ("gemma3", real("gemma3"))];
    let mut checked = 0;
    for path in files {
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        let Some((model, ftype)) = stem.split_once('.') else {
            continue;
        };
        let Some((_, desc)) = models.iter().find(|(n, _)| *n == model) else {
            continue;
        };
        let golden: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let p = run(desc, ftype.parse().unwrap());
        let want = golden["tensors"].as_array().unwrap();
        assert_eq!(p.tensors.len(), want.len(), "{stem}");
        for (t, w) in p.tensors.iter().zip(want) {
            assert_eq!(t.name, w["name"].as_str().unwrap(), "{stem}: order");
            assert_eq!(
                t.target_type.name(),
                w["type"].as_str().unwrap(),
                "{stem}: {}",
                t.name
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 32, "expected 16 file types x 2 models");
}
