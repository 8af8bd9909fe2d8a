//! The synthetic benchmark header, built with our writer: exactly the content that
//! `scripts/bench-reference/make_synthetic.py` writes with gguf-py (5 keys with 150k tokens,
//! 150k token types and 150k merges; 300 zero-filled F32 tensors of ne = [64, 4]).
#![allow(dead_code)]

use ggufpack_gguf::{GgmlType, GgufWriter};

/// Number of tokens and of merges.
pub const N_TOKENS: usize = 150_000;
/// Number of tensors.
pub const N_TENSORS: usize = 300;
/// sha256 of the file gguf-py 0.19.0 writes for this content.
pub const GGUF_PY_SHA256: &str = "308a58ba1a6a3c86632ca4f601652f683eab925165c70a79a6e2a2f23b23642c";

/// Writes the synthetic file into memory.
pub fn synthetic_150k() -> Vec<u8> {
    let zeros = vec![0u8; 64 * 4 * 4];
    let mut w = GgufWriter::new();
    w.add_kv("general.architecture", "llama").unwrap();
    w.add_kv("tokenizer.ggml.model", "gpt2").unwrap();
    let tokens: Vec<String> = (0..N_TOKENS).map(|i| format!("tok{i:06}")).collect();
    w.add_kv("tokenizer.ggml.tokens", tokens).unwrap();
    w.add_kv("tokenizer.ggml.token_type", vec![1i32; N_TOKENS])
        .unwrap();
    let merges: Vec<String> = (0..N_TOKENS).map(|i| format!("t{i} o{i}")).collect();
    w.add_kv("tokenizer.ggml.merges", merges).unwrap();
    for i in 0..N_TENSORS {
        let name = format!("blk.{}.t{}.weight", i / 10, i % 10);
        w.add_tensor(&name, &[64, 4], GgmlType::F32, zeros.clone())
            .unwrap();
    }
    let mut out = Vec::new();
    w.write_to(&mut out).unwrap();
    out
}
