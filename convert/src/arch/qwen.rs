//! `Qwen2ForCausalLM` and `Qwen3ForCausalLM`: the reference's `Qwen2Model` / `Qwen3Model`.

use crate::arch::{text_model_parameters, ArchContext};
use crate::error::ConvertError;
use crate::kv::KvList;

/// `Qwen2Model.set_gguf_parameters` (the base keys; no pooling without `modules.json`).
pub fn set_gguf_parameters(
    ctx: &ArchContext<'_>,
    file_type: u32,
    kv: &mut KvList,
) -> Result<(), ConvertError> {
    text_model_parameters(ctx, file_type, kv)
}
