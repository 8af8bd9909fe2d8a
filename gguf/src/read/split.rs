//! Split models: `name-00001-of-0000N.gguf` shards opened as one model, with llama.cpp's
//! `split.*` keys checked.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::metadata::Metadata;
use crate::read::{GgufFile, ReadOptions};
use crate::tensor::TensorInfo;

/// Key holding a shard's 0-based index (`uint16`).
pub const SPLIT_NO_KEY: &str = "split.no";
/// Key holding the number of shards (`uint16`).
pub const SPLIT_COUNT_KEY: &str = "split.count";
/// Key holding the number of tensors in all shards together (`int32`).
pub const SPLIT_TENSORS_COUNT_KEY: &str = "split.tensors.count";

/// The path of shard `no` (1-based) of `count` for `prefix`, as llama.cpp names them:
/// `{prefix}-{no:05}-of-{count:05}.gguf`.
pub fn split_path(prefix: &str, no: u32, count: u32) -> String {
    format!("{prefix}-{no:05}-of-{count:05}.gguf")
}

/// Parses `…-NNNNN-of-MMMMM.gguf` into (prefix, NNNNN, MMMMM).
fn parse_split_name(path: &Path) -> Option<(PathBuf, u32, u32)> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".gguf")?;
    let (rest, count) = stem.rsplit_once("-of-")?;
    let (prefix, no) = rest.rsplit_once('-')?;
    let digits = |s: &str| s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(no) || !digits(count) {
        return None;
    }
    Some((
        path.with_file_name(prefix),
        no.parse().ok()?,
        count.parse().ok()?,
    ))
}

/// A model stored in one file or in several llama.cpp shards, read as one.
#[derive(Debug)]
pub struct SplitModel {
    shards: Vec<GgufFile>,
    /// Tensor name → (shard, index in that shard).
    index: HashMap<String, (usize, usize)>,
}

impl SplitModel {
    /// Opens a model from any of its shards (or a plain, unsplit file), with default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, &ReadOptions::default())
    }

    /// Opens a model from any of its shards, checking `split.no`, `split.count`,
    /// `split.tensors.count` and that no tensor name appears twice across shards.
    pub fn open_with(path: impl AsRef<Path>, opts: &ReadOptions) -> Result<Self> {
        let path = path.as_ref();
        let first = GgufFile::open_with(path, opts)?;
        let declared = first
            .metadata()
            .get_u64(SPLIT_COUNT_KEY)
            .map_err(|e| first.err(e))?;
        let paths: Vec<PathBuf> = match parse_split_name(path) {
            Some((prefix, _, count)) if count > 1 => {
                let prefix = prefix.to_string_lossy().into_owned();
                (1..=count)
                    .map(|i| PathBuf::from(split_path(&prefix, i, count)))
                    .collect()
            }
            _ => match declared {
                Some(n) if n > 1 => {
                    return Err(Error::Split(format!(
                        "{} declares {SPLIT_COUNT_KEY} = {n} but its name is not of the form \
                         PREFIX-NNNNN-of-MMMMM.gguf",
                        path.display()
                    )))
                }
                _ => vec![path.to_path_buf()],
            },
        };
        let mut shards = Vec::with_capacity(paths.len());
        for p in &paths {
            if p == path {
                // Reuse the already-open file when it is one of the shards.
                continue;
            }
            shards.push((p.clone(), GgufFile::open_with(p, opts)?));
        }
        shards.push((path.to_path_buf(), first));
        shards.sort_by_key(|(p, _)| paths.iter().position(|q| q == p));
        let shards: Vec<GgufFile> = shards.into_iter().map(|(_, f)| f).collect();
        Self::from_shards(shards)
    }

    /// Assembles a model from already-open shards, in order, checking their `split.*` keys.
    pub fn from_shards(shards: Vec<GgufFile>) -> Result<Self> {
        let count = shards.len();
        if count == 0 {
            return Err(Error::Split("no shards".into()));
        }
        let mut index = HashMap::new();
        for (i, shard) in shards.iter().enumerate() {
            let md = shard.metadata();
            let no = md.get_u64(SPLIT_NO_KEY).map_err(|e| shard.err(e))?;
            let n = md.get_u64(SPLIT_COUNT_KEY).map_err(|e| shard.err(e))?;
            // A single file may carry split.count = 0 (what gguf-split --merge writes) or 1.
            if count > 1 || n.is_some_and(|n| n > 1) {
                if no != Some(i as u64) {
                    return Err(shard.err(Error::Split(format!(
                        "{SPLIT_NO_KEY} is {no:?}, expected {i} for shard {} of {count}",
                        i + 1
                    ))));
                }
                if n != Some(count as u64) {
                    return Err(shard.err(Error::Split(format!(
                        "{SPLIT_COUNT_KEY} is {n:?}, expected {count}"
                    ))));
                }
            }
            for (t, info) in shard.tensors().iter().enumerate() {
                if index.insert(info.name().to_string(), (i, t)).is_some() {
                    return Err(shard.err(Error::DuplicateTensor {
                        name: info.name().to_string(),
                    }));
                }
            }
        }
        let first = &shards[0];
        if let Some(total) = first
            .metadata()
            .get_u64(SPLIT_TENSORS_COUNT_KEY)
            .map_err(|e| first.err(e))?
        {
            if total != index.len() as u64 {
                return Err(first.err(Error::Split(format!(
                    "{SPLIT_TENSORS_COUNT_KEY} is {total}, but the shards hold {} tensors",
                    index.len()
                ))));
            }
        }
        Ok(SplitModel { shards, index })
    }

    /// The shards, in order.
    pub fn shards(&self) -> &[GgufFile] {
        &self.shards
    }

    /// The model's metadata (the first shard's, which holds all of it).
    pub fn metadata(&self) -> Metadata<'_> {
        self.shards[0].metadata()
    }

    /// Number of tensors across shards.
    pub fn tensor_count(&self) -> usize {
        self.index.len()
    }

    /// Every tensor info with the index of its shard, shard by shard in file order.
    pub fn tensors(&self) -> impl Iterator<Item = (usize, &TensorInfo)> + '_ {
        self.shards
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.tensors().iter().map(move |t| (i, t)))
    }

    /// The info and bytes of the tensor named `name`, from whichever shard holds it.
    pub fn tensor(&self, name: &str) -> Result<(&TensorInfo, &[u8])> {
        let &(s, t) = self.index.get(name).ok_or_else(|| Error::NoSuchTensor {
            name: name.to_string(),
        })?;
        let shard = &self.shards[s];
        let info = &shard.tensors()[t];
        Ok((info, shard.tensor_data(info).map_err(|e| shard.err(e))?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_names() {
        assert_eq!(split_path("m", 1, 3), "m-00001-of-00003.gguf");
        let (p, no, n) = parse_split_name(Path::new("/x/model-q4-00002-of-00010.gguf")).unwrap();
        assert_eq!((p, no, n), (PathBuf::from("/x/model-q4"), 2, 10));
        assert!(parse_split_name(Path::new("/x/model.gguf")).is_none());
        assert!(parse_split_name(Path::new("/x/m-2-of-3.gguf")).is_none());
    }
}
