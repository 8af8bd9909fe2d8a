//! `--override-kv KEY=TYPE:VALUE`: metadata values written into the quantized model.

use std::str::FromStr;

use ggufpack_gguf::MetadataValue;

use super::error::ModelError;

/// The value of a [`KvOverride`], typed as on the command line.
#[derive(Debug, Clone, PartialEq)]
pub enum KvOverrideValue {
    /// `int:N`, written as a `uint32` holding `|N|` (llama.cpp's choice).
    Int(i64),
    /// `float:X`, written as a `float32`.
    Float(f64),
    /// `bool:true` or `bool:false`.
    Bool(bool),
    /// `str:S`, at most 127 bytes.
    Str(String),
}

/// One metadata override: the key is removed where it stands and appended with the new value,
/// after the input's keys and `general.file_type`.
#[derive(Debug, Clone, PartialEq)]
pub struct KvOverride {
    /// The key (at most 127 bytes).
    pub key: String,
    /// The value.
    pub value: KvOverrideValue,
}

/// Longest key and string value llama.cpp's fixed-size override fields hold.
const MAX_LEN: usize = 127;

impl KvOverride {
    /// Parses `KEY=TYPE:VALUE` as `llama-quantize --override-kv` does: `TYPE` is `int`,
    /// `float`, `bool` or `str`; numbers are read like C's `atol` / `atof` (a malformed
    /// number reads as 0), booleans must be `true` or `false`, strings at most 127 bytes.
    pub fn parse(s: &str) -> Result<KvOverride, ModelError> {
        let bad = |reason| ModelError::BadKvOverride {
            input: s.to_string(),
            reason,
        };
        let (key, rest) = s.split_once('=').ok_or_else(|| bad("no '='"))?;
        if key.len() > MAX_LEN {
            return Err(bad("the key is longer than 127 bytes"));
        }
        let value = if let Some(v) = rest.strip_prefix("int:") {
            KvOverrideValue::Int(c_atol(v))
        } else if let Some(v) = rest.strip_prefix("float:") {
            KvOverrideValue::Float(c_atof(v))
        } else if let Some(v) = rest.strip_prefix("bool:") {
            match v {
                "true" => KvOverrideValue::Bool(true),
                "false" => KvOverrideValue::Bool(false),
                _ => return Err(bad("a bool must be true or false")),
            }
        } else if let Some(v) = rest.strip_prefix("str:") {
            if v.len() > MAX_LEN {
                return Err(bad("the value cannot exceed 127 bytes"));
            }
            KvOverrideValue::Str(v.to_string())
        } else {
            return Err(bad("the type must be int, float, bool or str"));
        };
        Ok(KvOverride {
            key: key.to_string(),
            value,
        })
    }

    /// The value as it is written to the GGUF file.
    pub fn metadata_value(&self) -> MetadataValue {
        match &self.value {
            KvOverrideValue::Int(v) => MetadataValue::U32(v.unsigned_abs() as u32),
            KvOverrideValue::Float(v) => MetadataValue::F32(*v as f32),
            KvOverrideValue::Bool(v) => MetadataValue::Bool(*v),
            KvOverrideValue::Str(v) => MetadataValue::String(v.clone()),
        }
    }
}

impl FromStr for KvOverride {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, ModelError> {
        Self::parse(s)
    }
}

/// C's `atol` (glibc `strtol` in base 10): leading white space, an optional sign, digits;
/// anything after is ignored, no digits read as 0, overflow saturates.
pub(crate) fn c_atol(s: &str) -> i64 {
    let s = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        let d = i64::from(b - b'0');
        v = match v.checked_mul(10).and_then(|v| {
            if neg {
                v.checked_sub(d)
            } else {
                v.checked_add(d)
            }
        }) {
            Some(v) => v,
            None => return if neg { i64::MIN } else { i64::MAX },
        };
    }
    v
}

/// C's `atof` for decimal input: the longest prefix (after white space) that is a number
/// (`1.5`, `-2e3`, `inf`, `nan`); 0 when there is none.
fn c_atof(s: &str) -> f64 {
    let s = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let end = s
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .take(64)
        .collect::<Vec<_>>();
    end.iter()
        .rev()
        .find_map(|&e| s[..e].parse::<f64>().ok())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_llama_cpp() {
        let o = KvOverride::parse("general.name=str:My model").unwrap();
        assert_eq!(o.key, "general.name");
        assert_eq!(o.value, KvOverrideValue::Str("My model".into()));
        assert_eq!(
            KvOverride::parse("a=int:-42x").unwrap().metadata_value(),
            MetadataValue::U32(42)
        );
        assert_eq!(
            KvOverride::parse("a=int:zz").unwrap().value,
            KvOverrideValue::Int(0)
        );
        assert_eq!(
            KvOverride::parse("a=float: 2.5e1abc").unwrap().value,
            KvOverrideValue::Float(25.0)
        );
        assert_eq!(
            KvOverride::parse("a=bool:false").unwrap().value,
            KvOverrideValue::Bool(false)
        );
        for bad in [
            "nokey",
            "a=bool:yes",
            "a=u8:1",
            &format!("{}=int:1", "k".repeat(128)),
            &format!("a=str:{}", "v".repeat(128)),
        ] {
            assert!(
                matches!(
                    KvOverride::parse(bad),
                    Err(ModelError::BadKvOverride { .. })
                ),
                "{bad}"
            );
        }
        assert_eq!(c_atol("99999999999999999999999"), i64::MAX);
        assert_eq!(c_atol("  -7"), -7);
    }
}
