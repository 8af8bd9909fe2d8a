//! A Hugging Face model directory's safetensors weights, indexed the way
//! `ModelBase.index_tensors` of `convert_hf_to_gguf.py` does it.

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::{Result, SourceError};
use super::safetensors::{SafetensorsFile, TensorView};

/// Name of the shard index file.
pub const INDEX_FILE: &str = "model.safetensors.index.json";

/// Prefixes of tensor names `TextModel.filter_tensors` skips (multimodal towers).
const SKIP_PREFIXES: [&str; 10] = [
    "mlp",
    "vit.",
    "vpm.",
    "siglip2.",
    "conformer.",
    "merger.",
    "resampler.",
    "sound_encoder.",
    "sound_projection.",
    "speech_embeddings.",
];

/// Substrings of tensor names `TextModel.filter_tensors` skips.
const SKIP_SUBSTRINGS: [&str; 17] = [
    "visual.",
    "vision.",
    "audio.",
    "talker.",
    "vision_",
    "audio_",
    "token2wav.",
    "code2wav.",
    "projector.",
    "pre_mm_projector_norm",
    "image_newline",
    "view_seperator",
    "patch_embed",
    "patch_embedding",
    "patch_merger.",
    "patch_merge_mlp.",
    "model.connector.",
];

/// The renames of `ModelBase.filter_tensors`: a name ending in `e_score_correction_bias` has
/// every `e_score_correction_bias` replaced by `e_score_correction.bias`, then every
/// `language_model.` is removed.
pub fn base_tensor_name(name: &str) -> String {
    let mut name = if name.ends_with("e_score_correction_bias") {
        name.replace("e_score_correction_bias", "e_score_correction.bias")
    } else {
        name.to_owned()
    };
    if name.contains("language_model.") {
        name = name.replace("language_model.", "");
    }
    name
}

/// `TextModel.filter_tensors`: `None` for multimodal tensors (tested on the original name),
/// otherwise the name after [`base_tensor_name`].
pub fn text_model_tensor_name(name: &str) -> Option<String> {
    if SKIP_PREFIXES.iter().any(|p| name.starts_with(p))
        || SKIP_SUBSTRINGS.iter().any(|s| name.contains(s))
    {
        return None;
    }
    Some(base_tensor_name(name))
}

/// One tensor of a [`Checkpoint`]: where it is stored and the name the converter uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointTensor<'a> {
    /// The name after the converter's filter (the key of the script's tensor dict).
    pub name: &'a str,
    /// The part file it comes from (file name inside the model directory).
    pub part: &'a str,
    /// The stored tensor; `view.name` is the original name in the file.
    pub view: TensorView<'a>,
}

impl<'a> CheckpointTensor<'a> {
    /// The name as stored in the safetensors file.
    pub fn original_name(&self) -> &'a str {
        self.view.name
    }
}

/// One entry of the tensor dict.
#[derive(Debug)]
struct Entry {
    name: String,
    part: usize,
    index: usize,
}

/// The safetensors weights of a model directory.
#[derive(Debug)]
pub struct Checkpoint {
    dir: PathBuf,
    part_names: Vec<String>,
    parts: Vec<SafetensorsFile>,
    /// The script's `model_tensors` dict, in its order.
    entries: Vec<Entry>,
    /// Filtered name → position in `entries`.
    positions: HashMap<String, usize>,
}

/// Whether `name` (raw OS bytes) starts with `prefix` and ends with `suffix`, as Python's
/// `startswith`/`endswith` on the decoded name.
fn matches_part(name: &OsStr, prefix: &str, suffix: &str) -> bool {
    let b = name.as_encoded_bytes();
    b.starts_with(prefix.as_bytes()) && b.ends_with(suffix.as_bytes())
}

/// `ModelBase.get_model_part_names`: entries of `dir` starting with `prefix` and ending with
/// `suffix`, sorted.
fn part_names(dir: &Path, prefix: &str, suffix: &str) -> Result<Vec<String>> {
    let io = |op: &'static str| {
        move |source| SourceError::Io {
            path: dir.to_path_buf(),
            op,
            source,
        }
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io("read directory"))? {
        let entry = entry.map_err(io("read directory"))?;
        let name = entry.file_name();
        if !matches_part(&name, prefix, suffix) {
            continue;
        }
        match name.into_string() {
            Ok(s) => names.push(s),
            Err(raw) => {
                return Err(SourceError::NonUtf8FileName {
                    dir: dir.to_path_buf(),
                    name: raw.to_string_lossy().into_owned(),
                })
            }
        }
    }
    names.sort();
    Ok(names)
}

/// A weight-map part name that stays inside the model directory.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// What `model.safetensors.index.json` says.
struct Index {
    /// `weight_map` keys.
    tensors: BTreeSet<String>,
    /// tensor → part.
    weight_map: HashMap<String, String>,
    /// Sorted unique parts.
    parts: Vec<String>,
}

fn read_index(path: &Path) -> Result<Index> {
    let text = std::fs::read(path).map_err(|source| SourceError::Io {
        path: path.to_path_buf(),
        op: "read",
        source,
    })?;
    let value: Value = serde_json::from_slice(&text).map_err(|source| SourceError::IndexJson {
        path: path.to_path_buf(),
        source,
    })?;
    let Some(Value::Object(map)) = value.get("weight_map") else {
        return Err(SourceError::IndexWeightMap {
            path: path.to_path_buf(),
        });
    };
    let mut tensors = BTreeSet::new();
    let mut weight_map = HashMap::with_capacity(map.len());
    let mut parts = BTreeSet::new();
    for (tensor, part) in map {
        let Value::String(part) = part else {
            return Err(SourceError::IndexValueNotString {
                path: path.to_path_buf(),
                tensor: tensor.clone(),
            });
        };
        if !is_plain_file_name(part) {
            return Err(SourceError::IndexPartNotPlain {
                path: path.to_path_buf(),
                part: part.clone(),
            });
        }
        tensors.insert(tensor.clone());
        parts.insert(part.clone());
        weight_map.insert(tensor.clone(), part.clone());
    }
    Ok(Index {
        tensors,
        weight_map,
        parts: parts.into_iter().collect(),
    })
}

impl Checkpoint {
    /// Opens the safetensors weights of the model directory `dir` with the name filter of the
    /// script's `TextModel` ([`text_model_tensor_name`]).
    ///
    /// Parts are the directory's files whose names start with `model` and end with
    /// `.safetensors`, sorted; when `model.safetensors.index.json` exists its `weight_map`
    /// (which must be an object of file names) decides the parts instead (its sorted unique
    /// values), and the set of tensor names in the parts must then equal its keys exactly.
    /// Tensors are listed part by part, each part's in name order; when two tensors end up with
    /// the same filtered name, the later one takes the earlier one's place (Python dict
    /// assignment).
    ///
    /// Errors: [`SourceError::PytorchOnly`] for a directory with only `pytorch_model*.bin`
    /// weights, [`SourceError::NoSafetensors`] when there are no parts at all,
    /// [`SourceError::MissingPart`] for a part the index names that does not exist,
    /// [`SourceError::IncompleteParts`] / [`SourceError::WeightMapMismatch`] when index and parts
    /// disagree, and every error of [`SafetensorsFile::open`].
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        Self::open_with_filter(dir, text_model_tensor_name)
    }

    /// [`open`](Self::open) with another name filter: `filter` maps an original tensor name to
    /// the name to use, or `None` to skip the tensor (a model class's own `filter_tensors`).
    /// The index check always uses the original names, as the script does.
    pub fn open_with_filter(
        dir: impl AsRef<Path>,
        filter: impl Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let mut part_list = part_names(&dir, "model", ".safetensors")?;
        let index_path = dir.join(INDEX_FILE);
        let has_index = index_path.is_file();
        if part_list.is_empty() && !has_index {
            let bins = part_names(&dir, "pytorch_model", ".bin")?;
            return Err(match bins.into_iter().next() {
                Some(file) => SourceError::PytorchOnly { dir, file },
                None => SourceError::NoSafetensors { dir },
            });
        }
        let index = if has_index {
            let index = read_index(&index_path)?;
            part_list = index.parts.clone();
            Some(index)
        } else {
            None
        };
        if part_list.is_empty() {
            return Err(SourceError::NoSafetensors { dir });
        }

        let mut parts = Vec::with_capacity(part_list.len());
        for part in &part_list {
            let path = dir.join(part);
            match std::fs::metadata(&path) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(SourceError::MissingPart {
                        dir,
                        part: part.clone(),
                    })
                }
                Err(source) => {
                    return Err(SourceError::Io {
                        path,
                        op: "stat",
                        source,
                    })
                }
            }
            parts.push(SafetensorsFile::open(&path)?);
        }

        let mut entries: Vec<Entry> = Vec::new();
        let mut positions: HashMap<String, usize> = HashMap::new();
        for (p, file) in parts.iter().enumerate() {
            for (i, t) in file.tensors().enumerate() {
                let Some(name) = filter(t.name) else { continue };
                match positions.get(&name) {
                    Some(&at) => {
                        if let Some(e) = entries.get_mut(at) {
                            e.part = p;
                            e.index = i;
                        }
                    }
                    None => {
                        positions.insert(name.clone(), entries.len());
                        entries.push(Entry {
                            name,
                            part: p,
                            index: i,
                        });
                    }
                }
            }
        }

        if let Some(index) = index.filter(|ix| !ix.tensors.is_empty()) {
            let in_parts: BTreeSet<&str> = parts
                .iter()
                .flat_map(|f| f.tensors().map(|t| t.name))
                .collect();
            let missing: Vec<String> = index
                .tensors
                .iter()
                .filter(|n| !in_parts.contains(n.as_str()))
                .cloned()
                .collect();
            let extra: Vec<String> = in_parts
                .iter()
                .filter(|n| !index.tensors.contains(**n))
                .map(|n| (*n).to_owned())
                .collect();
            if !missing.is_empty() || !extra.is_empty() {
                if extra.is_empty() {
                    let files: BTreeSet<String> = missing
                        .iter()
                        .filter_map(|n| index.weight_map.get(n).cloned())
                        .collect();
                    return Err(SourceError::IncompleteParts {
                        files: files.into_iter().collect(),
                        missing,
                    });
                }
                return Err(SourceError::WeightMapMismatch { missing, extra });
            }
        }

        Ok(Self {
            dir,
            part_names: part_list,
            parts,
            entries,
            positions,
        })
    }

    /// The model directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The part files, in the order they were read (sorted).
    pub fn part_names(&self) -> &[String] {
        &self.part_names
    }

    /// The opened part files, in [`part_names`](Self::part_names) order.
    pub fn parts(&self) -> &[SafetensorsFile] {
        &self.parts
    }

    /// The part file `t` is stored in.
    pub fn part_of(&self, t: &CheckpointTensor<'_>) -> Option<&SafetensorsFile> {
        let i = self.part_names.iter().position(|p| p == t.part)?;
        self.parts.get(i)
    }

    /// Number of tensors after filtering.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no tensor is left after filtering.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The tensors in the script's order (its `model_tensors` dict before dequantization):
    /// the first tensor of at least 2 dimensions here is what the script's `--outtype auto`
    /// heuristic looks at.
    pub fn tensors(&self) -> impl Iterator<Item = CheckpointTensor<'_>> + '_ {
        self.entries.iter().filter_map(|e| self.entry(e))
    }

    /// The tensor whose filtered name is `name`.
    pub fn tensor(&self, name: &str) -> Option<CheckpointTensor<'_>> {
        let &at = self.positions.get(name)?;
        self.entry(self.entries.get(at)?)
    }

    fn entry<'a>(&'a self, e: &'a Entry) -> Option<CheckpointTensor<'a>> {
        let part = self.parts.get(e.part)?;
        Some(CheckpointTensor {
            name: &e.name,
            part: self.part_names.get(e.part)?,
            view: part.tensor_at(e.index)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_like_the_script() {
        assert_eq!(
            text_model_tensor_name("model.layers.0.mlp.gate.e_score_correction_bias").as_deref(),
            Some("model.layers.0.mlp.gate.e_score_correction.bias")
        );
        assert_eq!(
            text_model_tensor_name("model.language_model.layers.0.x.weight").as_deref(),
            Some("model.layers.0.x.weight")
        );
        assert_eq!(
            text_model_tensor_name("language_model.language_model.a").as_deref(),
            Some("a")
        );
        // Only renamed when the name *ends* with the pattern.
        assert_eq!(
            text_model_tensor_name("e_score_correction_bias.x").as_deref(),
            Some("e_score_correction_bias.x")
        );
        for skipped in [
            "mlp1.0.weight",
            "vit.x",
            "model.visual.blocks.0",
            "model.vision_tower.x",
            "model.audio_tower.x",
            "multi_modal_projector.linear_1.weight",
            "model.image_newline",
            "model.view_seperator",
            "a.patch_embed.proj",
            "model.connector.x",
        ] {
            assert_eq!(text_model_tensor_name(skipped), None, "{skipped}");
        }
        // "mlp" is only a prefix test; inside a name it is kept.
        assert!(text_model_tensor_name("model.layers.0.mlp.up_proj.weight").is_some());
    }

    #[test]
    fn plain_names() {
        assert!(is_plain_file_name("model-00001-of-00002.safetensors"));
        for bad in ["", ".", "..", "../x.safetensors", "/etc/passwd", "a\\b"] {
            assert!(!is_plain_file_name(bad), "{bad}");
        }
    }
}
