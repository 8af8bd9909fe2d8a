//! Conversion throughput on a synthetic llama-shaped BF16 checkpoint (8 layers, hidden 1024,
//! ~140 M parameters, ~280 MB) written by the bench into a temporary directory, with the
//! SentencePiece tokenizer of the `llama-spm` golden checkpoint. Each iteration converts the
//! whole checkpoint to a GGUF file (written atomically, synced) for one output type.
//!
//! The comparison with `convert_hf_to_gguf.py` on a larger checkpoint is
//! `scripts/bench-reference/convert.sh` (see BENCHMARKS.md).

use std::io::Write;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ggufpack_convert::{convert_model, ConvertOptions, OutType};

const HIDDEN: usize = 1024;
const INTER: usize = 2816;
const HEADS: usize = 8;
const KV_HEADS: usize = 4;
const LAYERS: usize = 8;
const VOCAB: usize = 32000;

/// Deterministic BF16 noise (xorshift), as little-endian bytes.
fn bf16_noise(n: usize, seed: &mut u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 2);
    for _ in 0..n {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        let u = (*seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
        out.extend_from_slice(&((u * 0.04).to_bits() >> 16).to_le_bytes()[..2]);
    }
    out
}

fn write_checkpoint(dir: &Path) -> u64 {
    let head_dim = HIDDEN / HEADS;
    let mut shapes: Vec<(String, Vec<usize>)> = vec![
        ("lm_head.weight".into(), vec![VOCAB, HIDDEN]),
        ("model.embed_tokens.weight".into(), vec![VOCAB, HIDDEN]),
        ("model.norm.weight".into(), vec![HIDDEN]),
    ];
    for i in 0..LAYERS {
        let p = format!("model.layers.{i}.");
        shapes.extend([
            (format!("{p}input_layernorm.weight"), vec![HIDDEN]),
            (format!("{p}post_attention_layernorm.weight"), vec![HIDDEN]),
            (
                format!("{p}self_attn.q_proj.weight"),
                vec![HEADS * head_dim, HIDDEN],
            ),
            (
                format!("{p}self_attn.k_proj.weight"),
                vec![KV_HEADS * head_dim, HIDDEN],
            ),
            (
                format!("{p}self_attn.v_proj.weight"),
                vec![KV_HEADS * head_dim, HIDDEN],
            ),
            (
                format!("{p}self_attn.o_proj.weight"),
                vec![HIDDEN, HEADS * head_dim],
            ),
            (format!("{p}mlp.gate_proj.weight"), vec![INTER, HIDDEN]),
            (format!("{p}mlp.up_proj.weight"), vec![INTER, HIDDEN]),
            (format!("{p}mlp.down_proj.weight"), vec![HIDDEN, INTER]),
        ]);
    }
    shapes.sort();
    let mut header = serde_json::Map::new();
    let mut offset = 0usize;
    for (name, shape) in &shapes {
        let n: usize = shape.iter().product::<usize>() * 2;
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + n]}),
        );
        offset += n;
    }
    let mut h = serde_json::to_vec(&header).unwrap();
    while h.len() % 8 != 0 {
        h.push(b' ');
    }
    let mut f =
        std::io::BufWriter::new(std::fs::File::create(dir.join("model.safetensors")).unwrap());
    f.write_all(&(h.len() as u64).to_le_bytes()).unwrap();
    f.write_all(&h).unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for (_, shape) in &shapes {
        f.write_all(&bf16_noise(shape.iter().product(), &mut seed))
            .unwrap();
    }
    f.flush().unwrap();
    let config = serde_json::json!({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": HIDDEN,
        "intermediate_size": INTER, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
        "num_key_value_heads": KV_HEADS, "vocab_size": VOCAB, "max_position_embeddings": 4096,
        "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "tie_word_embeddings": false,
        "bos_token_id": 1, "eos_token_id": 2
    });
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_vec_pretty(&config).unwrap(),
    )
    .unwrap();
    let tok = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/checkpoints/llama-spm");
    for f in ["tokenizer.model", "tokenizer_config.json"] {
        std::fs::copy(tok.join(f), dir.join(f)).unwrap();
    }
    offset as u64
}

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let dir: PathBuf = tmp.path().join("bench-llama");
    std::fs::create_dir(&dir).unwrap();
    let bytes = write_checkpoint(&dir);
    let mut g = c.benchmark_group("convert_llama_140m_bf16");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    for t in [OutType::F16, OutType::Bf16, OutType::Q8_0] {
        let out = tmp.path().join(format!("out-{t}.gguf"));
        let opts = ConvertOptions {
            outtype: Some(t),
            ..Default::default()
        };
        g.bench_function(t.name(), |b| {
            b.iter(|| convert_model(&dir, &out, &opts).unwrap());
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
