//! Our writer against gguf-py's `GGUFWriter`: the same content gives the same bytes.

mod common;
#[path = "support/synthetic.rs"]
mod synthetic;

#[test]
fn synthetic_header_is_byte_identical_to_gguf_py() {
    let bytes = synthetic::synthetic_150k();
    assert_eq!(bytes.len(), 6_701_952);
    assert_eq!(common::sha256(&bytes), synthetic::GGUF_PY_SHA256);
}
