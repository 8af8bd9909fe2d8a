//! Splitting a model into llama.cpp shards (`gguf-split --split`) and merging them back
//! (`gguf-split --merge`).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::read::parse::align_up;
use crate::read::{
    split_path, GgufFile, SplitModel, SPLIT_COUNT_KEY, SPLIT_NO_KEY, SPLIT_TENSORS_COUNT_KEY,
};
use crate::tensor::TensorInfo;
use crate::write::{GgufWriter, TensorSource};

/// How to cut a model into shards. When both limits are set, a shard ends at whichever is hit
/// first; a shard always holds at least one tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitOptions {
    /// Most tensors per shard (`--split-max-tensors`, llama.cpp's default 128).
    pub max_tensors: Option<usize>,
    /// Most tensor bytes per shard, each tensor counted padded (`--split-max-size`).
    pub max_bytes: Option<u64>,
}

impl Default for SplitOptions {
    fn default() -> Self {
        SplitOptions {
            max_tensors: Some(128),
            max_bytes: None,
        }
    }
}

/// Groups tensor indices into shards.
fn plan_shards(tensors: &[TensorInfo], alignment: u64, opts: &SplitOptions) -> Vec<Vec<usize>> {
    let mut shards: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut bytes = 0u64;
    for (i, t) in tensors.iter().enumerate() {
        let size = align_up(t.n_bytes(), alignment).unwrap_or(u64::MAX);
        let full_count = opts.max_tensors.is_some_and(|m| current.len() >= m.max(1));
        let full_bytes = opts
            .max_bytes
            .is_some_and(|m| bytes.saturating_add(size) > m);
        if !current.is_empty() && (full_count || full_bytes) {
            shards.push(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(i);
        bytes = bytes.saturating_add(size);
    }
    if !current.is_empty() || shards.is_empty() {
        shards.push(current);
    }
    shards
}

const SPLIT_KEYS: [&str; 3] = [SPLIT_NO_KEY, SPLIT_COUNT_KEY, SPLIT_TENSORS_COUNT_KEY];

/// Splits `src` into shards named `{prefix}-NNNNN-of-MMMMM.gguf`, as `gguf-split --split` does:
/// the first shard carries all metadata, then every shard carries `split.no` (u16),
/// `split.tensors.count` (i32) and `split.count` (u16), in that order. Returns the shard paths.
/// Each shard is written atomically.
///
/// One deliberate difference: a source with a `general.alignment` other than 32 keeps that
/// alignment in its shards (gguf-split pads them to 32 whatever the key says).
pub fn split_model(src: &GgufFile, prefix: &str, opts: &SplitOptions) -> Result<Vec<PathBuf>> {
    let plan = plan_shards(src.tensors(), src.alignment().into(), opts);
    let count = u16::try_from(plan.len())
        .map_err(|_| Error::Split(format!("{} shards, at most 65535 are possible", plan.len())))?;
    let n_tensors = i32::try_from(src.tensors().len())
        .map_err(|_| Error::Split("too many tensors for split.tensors.count (i32)".into()))?;
    let mut paths = Vec::with_capacity(plan.len());
    for (no, indices) in plan.iter().enumerate() {
        let mut w = GgufWriter::new();
        w.set_endian(src.endian());
        w.set_alignment(src.alignment())?;
        if no == 0 {
            for (key, value) in src.metadata().iter() {
                if !SPLIT_KEYS.contains(&key) {
                    w.add_kv_view(key, value)?;
                }
            }
        }
        // gguf-split's order: split.no, split.tensors.count, then split.count (set last).
        w.add_kv(SPLIT_NO_KEY, no as u16)?;
        w.add_kv(SPLIT_TENSORS_COUNT_KEY, n_tensors)?;
        w.add_kv(SPLIT_COUNT_KEY, count)?;
        for &i in indices {
            let t = &src.tensors()[i];
            w.add_tensor(
                t.name(),
                t.dims(),
                t.ggml_type(),
                TensorSource::File {
                    file: src.file(),
                    offset: src.data_offset() + t.offset(),
                },
            )?;
        }
        let path = PathBuf::from(split_path(prefix, no as u32 + 1, count.into()));
        w.write_to_path(&path)?;
        paths.push(path);
    }
    Ok(paths)
}

/// Which `split.*` keys a merged file keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MergeKeys {
    /// As `gguf-split --merge` writes: the first shard's keys, `split.count` moved last and
    /// set to 0 so the file is not taken for a shard.
    #[default]
    LikeGgufSplit,
    /// Without any `split.*` key: a split of a file merges back to the very same bytes.
    Strip,
}

/// Merges the shards of `model` into one file at `dst` (`gguf-split --merge`): the first
/// shard's metadata (`split.*` keys as `keys` says), then every tensor in shard order. Written
/// atomically.
pub fn merge_split(model: &SplitModel, dst: impl AsRef<Path>, keys: MergeKeys) -> Result<u64> {
    let first = &model.shards()[0];
    let mut w = GgufWriter::new();
    w.set_endian(first.endian());
    w.set_alignment(first.alignment())?;
    for (key, value) in first.metadata().iter() {
        let drop = match keys {
            MergeKeys::LikeGgufSplit => key == SPLIT_COUNT_KEY,
            MergeKeys::Strip => SPLIT_KEYS.contains(&key),
        };
        if !drop {
            w.add_kv_view(key, value)?;
        }
    }
    if keys == MergeKeys::LikeGgufSplit {
        w.add_kv(SPLIT_COUNT_KEY, 0u16)?;
    }
    for shard in model.shards() {
        for t in shard.tensors() {
            w.add_tensor(
                t.name(),
                t.dims(),
                t.ggml_type(),
                TensorSource::File {
                    file: shard.file(),
                    offset: shard.data_offset() + t.offset(),
                },
            )?;
        }
    }
    w.write_to_path(dst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GgmlType;

    #[test]
    fn plan_respects_limits() {
        let ts: Vec<TensorInfo> = (0..5)
            .map(|i| TensorInfo::new(format!("t{i}"), &[16], GgmlType::F32, 0).unwrap())
            .collect();
        let by_count = SplitOptions {
            max_tensors: Some(2),
            max_bytes: None,
        };
        assert_eq!(
            plan_shards(&ts, 32, &by_count),
            vec![vec![0, 1], vec![2, 3], vec![4]]
        );
        let by_bytes = SplitOptions {
            max_tensors: None,
            max_bytes: Some(130),
        };
        assert_eq!(
            plan_shards(&ts, 32, &by_bytes),
            vec![vec![0, 1], vec![2, 3], vec![4]]
        );
        let tiny = SplitOptions {
            max_tensors: None,
            max_bytes: Some(1),
        };
        assert_eq!(plan_shards(&ts, 32, &tiny).len(), 5);
        assert_eq!(plan_shards(&[], 32, &by_count), vec![Vec::<usize>::new()]);
    }
}
