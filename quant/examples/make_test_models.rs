//! Writes the synthetic test inputs of the whole-model quantization tests into a directory:
//! `moe-f16.gguf` (a small llama MoE) and `moe.imatrix.gguf` (its importance matrix).
//! `scripts/golden/quantize/gen_bytes.sh` runs this, then `llama-quantize` on them.

#[path = "../tests/support/moe.rs"]
mod moe;

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    std::fs::create_dir_all(&dir).expect("output directory");
    moe::write_moe_model(&dir.join("moe-f16.gguf"));
    moe::write_moe_imatrix(&dir.join("moe.imatrix.gguf"));
    println!("{}", dir.display());
}
