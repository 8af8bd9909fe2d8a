//! Building a [`ModelDesc`] from a GGUF file's metadata and tensor infos, reading the keys as
//! llama.cpp's model loader does.

use ggufpack_gguf::{Gguf, Metadata, TensorInfo, Value};

use super::error::ModelError;
use super::plan::{sort_like_llama_loader, ModelDesc, TensorDesc};

/// llama.cpp's `LLAMA_MAX_LAYERS`.
const MAX_LAYERS: u32 = 512;

impl ModelDesc {
    /// The description of a parsed GGUF file: its hyperparameters and its tensors, sorted as
    /// llama.cpp's loader sorts them.
    pub fn from_gguf<B: AsRef<[u8]>>(gguf: &Gguf<B>) -> Result<ModelDesc, ModelError> {
        Self::from_parts(&gguf.metadata(), gguf.tensors())
    }

    /// The description of a model from its metadata and tensor infos (all shards' tensors for a
    /// split model), read as `llama_model::load_hparams` does:
    ///
    /// - `general.architecture`, a string, is required;
    /// - `<arch>.block_count` is required, a `uint32` in `1..=512`;
    /// - `<arch>.nextn_predict_layers` and `<arch>.expert_count` are optional `uint32`s;
    /// - `<arch>.attention.head_count` and `head_count_kv` are optional, each a `uint32` or a
    ///   per-layer array (`uint32`, `int32` or `bool` elements) of exactly `block_count` entries;
    ///   the rules read layer 0. The KV head count defaults to the head count.
    ///
    /// Types are checked as strictly as the loader checks them (a `uint64` block count is an
    /// error there too).
    pub fn from_parts(
        meta: &Metadata<'_>,
        tensors: &[TensorInfo],
    ) -> Result<ModelDesc, ModelError> {
        let arch = match meta.get("general.architecture") {
            None => return Err(ModelError::MissingKey("general.architecture".into())),
            Some(v) => v
                .as_str()
                .ok_or_else(|| wrong_type("general.architecture", &v, "STRING"))?,
        };
        let key = |suffix: &str| format!("{arch}.{suffix}");

        let n_layer = scalar_u32(meta, &key("block_count"))?
            .ok_or_else(|| ModelError::MissingKey(key("block_count")))?;
        if !(1..=MAX_LAYERS).contains(&n_layer) {
            return Err(ModelError::OutOfRange {
                key: key("block_count"),
                value: n_layer.into(),
                range: "1..=512",
            });
        }
        let n_layer_nextn = scalar_u32(meta, &key("nextn_predict_layers"))?.unwrap_or(0);
        if n_layer_nextn > n_layer {
            return Err(ModelError::OutOfRange {
                key: key("nextn_predict_layers"),
                value: n_layer_nextn.into(),
                range: "at most block_count",
            });
        }
        let n_expert = scalar_u32(meta, &key("expert_count"))?.unwrap_or(0);
        let n_head = layer0_u32(meta, &key("attention.head_count"), n_layer)?.unwrap_or(0);
        let n_head_kv =
            layer0_u32(meta, &key("attention.head_count_kv"), n_layer)?.unwrap_or(n_head);

        let mut tensors: Vec<TensorDesc> = tensors
            .iter()
            .map(|t| TensorDesc::new(t.name(), t.dims(), t.ggml_type()))
            .collect();
        sort_like_llama_loader(&mut tensors);
        Ok(ModelDesc {
            arch: arch.to_string(),
            n_layer,
            n_layer_nextn,
            n_head,
            n_head_kv,
            n_expert,
            tensors,
        })
    }
}

fn wrong_type(key: &str, v: &Value<'_>, expected: &'static str) -> ModelError {
    let found = match v {
        Value::Array(a) => format!("ARRAY of {}", a.elem_type()),
        other => other.value_type().to_string(),
    };
    ModelError::WrongKeyType {
        key: key.to_string(),
        found,
        expected,
    }
}

/// An optional scalar `uint32` key (`get_key<uint32_t>`: the type must be exactly `uint32`).
fn scalar_u32(meta: &Metadata<'_>, key: &str) -> Result<Option<u32>, ModelError> {
    match meta.get(key) {
        None => Ok(None),
        Some(Value::U32(v)) => Ok(Some(v)),
        Some(v) => Err(wrong_type(key, &v, "UINT32")),
    }
}

/// Layer 0 of an optional per-layer key (`get_key_or_arr`): a `uint32` for every layer, or an
/// array of exactly `n_layer` `uint32` / `int32` / `bool` values.
fn layer0_u32(meta: &Metadata<'_>, key: &str, n_layer: u32) -> Result<Option<u32>, ModelError> {
    let arr = match meta.get(key) {
        None => return Ok(None),
        Some(Value::Array(a)) => a,
        Some(_) => return scalar_u32(meta, key),
    };
    if arr.len() != u64::from(n_layer) {
        return Err(ModelError::WrongArrayLength {
            key: key.to_string(),
            expected: n_layer,
            found: arr.len(),
        });
    }
    match arr.get(0) {
        Some(Value::U32(v)) => Ok(Some(v)),
        // the loader copies int32 elements into a uint32 array
        Some(Value::I32(v)) => Ok(Some(v as u32)),
        Some(Value::Bool(b)) => Ok(Some(u32::from(b))),
        _ => Err(wrong_type(
            key,
            &Value::Array(arr),
            "ARRAY of UINT32, INT32 or BOOL",
        )),
    }
}
