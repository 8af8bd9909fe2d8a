//! Model facts derived from a parsed file: parameter count, bits per weight, file type name and
//! size label.

use std::collections::HashMap;

use crate::read::Gguf;
use crate::types::GgmlType;

/// `llama_ftype` ids and names, as llama.cpp's `llama_model_ftype_name` spells them (without the
/// `MOSTLY_` prefix). Ids llama.cpp removed have no entry.
const FILE_TYPES: &[(u32, &str)] = &[
    (0, "F32"),
    (1, "F16"),
    (2, "Q4_0"),
    (3, "Q4_1"),
    (7, "Q8_0"),
    (8, "Q5_0"),
    (9, "Q5_1"),
    (10, "Q2_K"),
    (11, "Q3_K_S"),
    (12, "Q3_K_M"),
    (13, "Q3_K_L"),
    (14, "Q4_K_S"),
    (15, "Q4_K_M"),
    (16, "Q5_K_S"),
    (17, "Q5_K_M"),
    (18, "Q6_K"),
    (19, "IQ2_XXS"),
    (20, "IQ2_XS"),
    (21, "Q2_K_S"),
    (22, "IQ3_XS"),
    (23, "IQ3_XXS"),
    (24, "IQ1_S"),
    (25, "IQ4_NL"),
    (26, "IQ3_S"),
    (27, "IQ3_M"),
    (28, "IQ2_S"),
    (29, "IQ2_M"),
    (30, "IQ4_XS"),
    (31, "IQ1_M"),
    (32, "BF16"),
    (36, "TQ1_0"),
    (37, "TQ2_0"),
    (38, "MXFP4_MOE"),
    (39, "NVFP4"),
    (40, "Q1_0"),
    (41, "Q2_0"),
];

/// A model file type (`general.file_type`, llama.cpp's `llama_ftype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileType(pub u32);

impl FileType {
    /// The name (`"Q4_K_M"`), or `None` for an id llama.cpp does not define.
    pub fn name(self) -> Option<&'static str> {
        FILE_TYPES
            .iter()
            .find(|(id, _)| *id == self.0)
            .map(|(_, n)| *n)
    }

    /// The file type with `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<FileType> {
        FILE_TYPES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(id, _)| FileType(*id))
    }

    /// Every file type llama.cpp defines, in id order.
    pub fn all() -> impl Iterator<Item = (FileType, &'static str)> {
        FILE_TYPES.iter().map(|(id, n)| (FileType(*id), *n))
    }
}

/// Where a [`ModelFacts::file_type`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileTypeSource {
    /// `general.file_type` in the metadata.
    Metadata,
    /// Guessed from the tensor types (the key is absent).
    Guessed,
}

/// Facts about a model, derived from its header.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFacts {
    /// Total number of elements over all tensors.
    pub parameters: u64,
    /// Total bytes of tensor data.
    pub tensor_bytes: u64,
    /// Bits per weight over all tensors (`tensor_bytes * 8 / parameters`).
    pub bits_per_weight: f64,
    /// File type, when known or guessable.
    pub file_type: Option<FileType>,
    /// Where the file type came from.
    pub file_type_source: FileTypeSource,
    /// gguf-py's size label: `"135M"`, `"8x7B"`, …
    pub size_label: String,
}

impl ModelFacts {
    /// The file type's name, or `"unknown"`.
    pub fn file_type_name(&self) -> &'static str {
        self.file_type.and_then(FileType::name).unwrap_or("unknown")
    }
}

/// gguf-py's rounded notation of a count: two significant digits at least, with a K/M/B/T suffix
/// (`135M`, `1.2B`, `70B`).
pub fn rounded_count(n: u64) -> String {
    let n = n as f64;
    let (scaled, suffix) = if n > 1e12 {
        (n * 1e-12, "T")
    } else if n > 1e9 {
        (n * 1e-9, "B")
    } else if n > 1e6 {
        (n * 1e-6, "M")
    } else {
        (n * 1e-3, "K")
    };
    // Python's round() is half-to-even.
    let int_digits = format!("{}", scaled.round_ties_even() as u64);
    let significant = int_digits.trim_start_matches('0').len();
    let decimals = 2usize.saturating_sub(significant);
    format!("{scaled:.decimals$}{suffix}")
}

fn guess_file_type(types: &HashMap<GgmlType, u64>) -> Option<FileType> {
    let (&dominant, _) = types.iter().max_by_key(|(t, n)| (**n, t.id()))?;
    let has = |t: GgmlType| types.contains_key(&t);
    let name = match dominant {
        GgmlType::F32 => "F32",
        GgmlType::F16 => "F16",
        GgmlType::BF16 => "BF16",
        GgmlType::Q4_0 => "Q4_0",
        GgmlType::Q4_1 => "Q4_1",
        GgmlType::Q5_0 => "Q5_0",
        GgmlType::Q5_1 => "Q5_1",
        GgmlType::Q8_0 => "Q8_0",
        GgmlType::Q2_K if has(GgmlType::Q4_K) || has(GgmlType::Q3_K) => "Q2_K",
        GgmlType::Q2_K => "Q2_K_S",
        GgmlType::Q3_K if has(GgmlType::Q5_K) => "Q3_K_L",
        GgmlType::Q3_K if has(GgmlType::Q4_K) => "Q3_K_M",
        GgmlType::Q3_K => "Q3_K_S",
        GgmlType::Q4_K if has(GgmlType::Q6_K) || has(GgmlType::Q5_K) => "Q4_K_M",
        GgmlType::Q4_K => "Q4_K_S",
        GgmlType::Q5_K if has(GgmlType::Q6_K) => "Q5_K_M",
        GgmlType::Q5_K => "Q5_K_S",
        GgmlType::Q6_K => "Q6_K",
        GgmlType::IQ2_XXS => "IQ2_XXS",
        GgmlType::IQ2_XS => "IQ2_XS",
        GgmlType::IQ2_S => "IQ2_S",
        GgmlType::IQ3_XXS => "IQ3_XXS",
        GgmlType::IQ3_S => "IQ3_S",
        GgmlType::IQ1_S => "IQ1_S",
        GgmlType::IQ1_M => "IQ1_M",
        GgmlType::IQ4_NL => "IQ4_NL",
        GgmlType::IQ4_XS => "IQ4_XS",
        GgmlType::TQ1_0 => "TQ1_0",
        GgmlType::TQ2_0 => "TQ2_0",
        GgmlType::MXFP4 => "MXFP4_MOE",
        GgmlType::NVFP4 => "NVFP4",
        GgmlType::Q1_0 => "Q1_0",
        GgmlType::Q2_0 => "Q2_0",
        _ => return None,
    };
    FileType::from_name(name)
}

impl<B: AsRef<[u8]>> Gguf<B> {
    /// Parameter count, bits per weight, file type and size label.
    pub fn facts(&self) -> ModelFacts {
        let parameters = self
            .tensors()
            .iter()
            .fold(0u64, |acc, t| acc.saturating_add(t.n_elements()));
        let tensor_bytes = self.tensor_bytes();
        let bits_per_weight = if parameters == 0 {
            0.0
        } else {
            tensor_bytes as f64 * 8.0 / parameters as f64
        };
        let md = self.metadata();
        let (file_type, file_type_source) = match md.file_type() {
            Some(id) => (Some(FileType(id)), FileTypeSource::Metadata),
            None => {
                // Weights only: 2-D and larger tensors carry the quantization.
                let mut by_type: HashMap<GgmlType, u64> = HashMap::new();
                for t in self.tensors().iter().filter(|t| t.dims().len() >= 2) {
                    let n = by_type.entry(t.ggml_type()).or_default();
                    *n = n.saturating_add(t.n_elements());
                }
                (guess_file_type(&by_type), FileTypeSource::Guessed)
            }
        };
        let mut size_label = rounded_count(parameters);
        if let Some(experts) = md.expert_count().filter(|&e| e > 0) {
            let per_expert = parameters / experts;
            size_label = format!("{experts}x{}", rounded_count(per_expert));
        }
        ModelFacts {
            parameters,
            tensor_bytes,
            bits_per_weight,
            file_type,
            file_type_source,
            size_label,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounded_counts_like_gguf_py() {
        assert_eq!(rounded_count(134_515_008), "135M");
        assert_eq!(rounded_count(268_098_176), "268M");
        assert_eq!(rounded_count(1_235_814_400), "1.2B");
        assert_eq!(rounded_count(8_030_261_248), "8.0B");
        assert_eq!(rounded_count(70_553_706_496), "71B");
        assert_eq!(rounded_count(500), "0.50K");
    }

    #[test]
    fn file_type_names() {
        assert_eq!(FileType(15).name(), Some("Q4_K_M"));
        assert_eq!(FileType::from_name("q4_k_m"), Some(FileType(15)));
        assert_eq!(FileType(4).name(), None);
    }
}
