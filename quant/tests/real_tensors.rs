//! Every tensor of the two real test models (SmolLM2-135M Q4_1: F32, Q4_1, Q8_0; Gemma 3 270M
//! Q4_K_M: F32, Q4_K, Q5_0, Q6_K, Q8_0) dequantized by this crate and by gguf-py's numpy
//! dequantizers (`quant/tests/golden/real-tensors.json`, made by
//! `scripts/golden/quant/gen_real_tensors.sh`): the floats must be the same bits.

#[path = "../../gguf/tests/common/mod.rs"]
mod common;

use ggufpack_gguf::GgufFile;
use serde_json::Value as Json;

#[test]
fn real_model_tensors_dequantize_like_gguf_py() {
    let golden: Json = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/golden/real-tensors.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    for (model, want) in ["smollm2", "gemma3"]
        .into_iter()
        .zip(golden["files"].as_array().unwrap())
    {
        let path = common::real_model(model);
        assert_eq!(path.file_name().unwrap(), want["file"].as_str().unwrap());
        let file = GgufFile::open(&path).unwrap();
        let tensors = want["tensors"].as_array().unwrap();
        assert_eq!(file.tensors().len(), tensors.len());
        for (t, w) in file.tensors().iter().zip(tensors) {
            assert_eq!(t.name(), w["name"].as_str().unwrap());
            assert_eq!(t.ggml_type().name(), w["type"].as_str().unwrap());
            let n = t.n_elements() as usize;
            let values =
                ggufpack_quant::dequantize_to_vec(t.ggml_type(), file.tensor_data(t).unwrap(), n)
                    .unwrap();
            let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            assert_eq!(
                common::sha256(&bytes),
                w["sha256"].as_str().unwrap(),
                "{model} {}",
                t.name()
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 272 + 236);
}
