//! A small deterministic Mixture-of-Experts model (llama architecture, 4 experts, separate
//! output matrix) and an importance matrix for it with per-expert counts, written with
//! ggufpack's own writer. The tests and `scripts/golden/quantize/gen_bytes.sh` (through
//! `cargo run -p ggufpack-quant --example make_test_models`) make the same bytes.
#![allow(dead_code)]

use std::path::Path;

use ggufpack_gguf::{ArrayValue, GgmlType, GgufWriter, MetadataValue};
use ggufpack_quant::half::f32_to_f16;

const N_EMBD: u64 = 256;
const N_FF: u64 = 512;
const N_EXPERT: u64 = 4;
const N_LAYER: u64 = 2;
const N_VOCAB: u64 = 1000;

/// xorshift64* with a roughly normal output (sum of four uniforms).
struct Rng(u64);
impl Rng {
    fn uniform(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 40) as f32 / (1u64 << 24) as f32
    }
    fn normal(&mut self) -> f32 {
        (0..4).map(|_| self.uniform()).sum::<f32>() - 2.0
    }
}

fn tensor_names() -> Vec<(String, Vec<u64>, GgmlType)> {
    let mut t = vec![
        (
            "token_embd.weight".into(),
            vec![N_EMBD, N_VOCAB],
            GgmlType::F16,
        ),
        ("output_norm.weight".into(), vec![N_EMBD], GgmlType::F32),
        ("output.weight".into(), vec![N_EMBD, N_VOCAB], GgmlType::F16),
    ];
    for l in 0..N_LAYER {
        let b = |s: &str| format!("blk.{l}.{s}.weight");
        t.push((b("attn_norm"), vec![N_EMBD], GgmlType::F32));
        t.push((b("attn_q"), vec![N_EMBD, N_EMBD], GgmlType::F16));
        t.push((b("attn_k"), vec![N_EMBD, N_EMBD / 2], GgmlType::F16));
        t.push((b("attn_v"), vec![N_EMBD, N_EMBD / 2], GgmlType::F16));
        t.push((b("attn_output"), vec![N_EMBD, N_EMBD], GgmlType::F16));
        t.push((b("ffn_norm"), vec![N_EMBD], GgmlType::F32));
        t.push((b("ffn_gate_inp"), vec![N_EMBD, N_EXPERT], GgmlType::F32));
        t.push((
            b("ffn_gate_exps"),
            vec![N_EMBD, N_FF, N_EXPERT],
            GgmlType::F16,
        ));
        t.push((
            b("ffn_up_exps"),
            vec![N_EMBD, N_FF, N_EXPERT],
            GgmlType::F16,
        ));
        t.push((
            b("ffn_down_exps"),
            vec![N_FF, N_EMBD, N_EXPERT],
            GgmlType::F16,
        ));
    }
    t
}

/// Writes the F16 MoE model to `path`.
pub fn write_moe_model(path: &Path) {
    let mut w = GgufWriter::new();
    let kv: Vec<(&str, MetadataValue)> = vec![
        ("general.architecture", "llama".into()),
        ("general.name", "ggufpack test MoE".into()),
        ("llama.block_count", MetadataValue::U32(N_LAYER as u32)),
        ("llama.context_length", MetadataValue::U32(256)),
        ("llama.embedding_length", MetadataValue::U32(N_EMBD as u32)),
        ("llama.feed_forward_length", MetadataValue::U32(N_FF as u32)),
        ("llama.attention.head_count", MetadataValue::U32(4)),
        ("llama.attention.head_count_kv", MetadataValue::U32(2)),
        (
            "llama.attention.layer_norm_rms_epsilon",
            MetadataValue::F32(1e-5),
        ),
        ("llama.rope.dimension_count", MetadataValue::U32(64)),
        ("llama.expert_count", MetadataValue::U32(N_EXPERT as u32)),
        ("llama.expert_used_count", MetadataValue::U32(2)),
        ("llama.vocab_size", MetadataValue::U32(N_VOCAB as u32)),
        ("general.file_type", MetadataValue::U32(1)),
    ];
    for (k, v) in kv {
        w.add_kv(k, v).unwrap();
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (name, dims, ty) in tensor_names() {
        let n: u64 = dims.iter().product();
        let data: Vec<u8> = if ty == GgmlType::F32 {
            (0..n)
                .flat_map(|_| (1.0 + 0.1 * rng.normal()).to_le_bytes())
                .collect()
        } else {
            // a few large outliers per row, as real weights have
            (0..n)
                .flat_map(|i| {
                    let scale = if i % 97 == 0 { 0.2 } else { 0.02 };
                    f32_to_f16(scale * rng.normal()).to_le_bytes()
                })
                .collect()
        };
        w.add_tensor(&name, &dims, ty, data).unwrap();
    }
    w.write_to_path(path).unwrap();
}

/// Writes an importance matrix for the MoE model in llama-imatrix's GGUF format: every weight
/// matrix, experts with their own token counts (expert 3 of layer 1 never routed to).
pub fn write_moe_imatrix(path: &Path) {
    let mut w = GgufWriter::new();
    w.add_kv("general.type", "imatrix").unwrap();
    w.add_kv(
        "imatrix.datasets",
        MetadataValue::Array(ArrayValue::String(vec!["synthetic.txt".into()])),
    )
    .unwrap();
    w.add_kv("imatrix.chunk_count", MetadataValue::U32(7))
        .unwrap();
    w.add_kv("imatrix.chunk_size", MetadataValue::U32(512))
        .unwrap();
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for (name, dims, ty) in tensor_names() {
        if ty != GgmlType::F16 || name == "token_embd.weight" {
            continue;
        }
        let n_mat = dims.get(2).copied().unwrap_or(1);
        let counts: Vec<f32> = (0..n_mat)
            .map(|e| {
                if name == "blk.1.ffn_up_exps.weight" && e == 3 {
                    0.0
                } else {
                    512.0 * (e + 1) as f32
                }
            })
            .collect();
        let sums: Vec<u8> = (0..dims[0] * n_mat)
            .flat_map(|i| {
                let c = counts[(i / dims[0]) as usize];
                (c * (0.5 + rng.uniform()) * (0.01 + rng.uniform())).to_le_bytes()
            })
            .collect();
        let counts: Vec<u8> = counts.iter().flat_map(|c| c.to_le_bytes()).collect();
        w.add_tensor(
            &format!("{name}.in_sum2"),
            &[dims[0], n_mat],
            GgmlType::F32,
            sums,
        )
        .unwrap();
        w.add_tensor(
            &format!("{name}.counts"),
            &[1, n_mat],
            GgmlType::F32,
            counts,
        )
        .unwrap();
    }
    w.write_to_path(path).unwrap();
}
