//! [`CardValue`]: a Python value as PyYAML's `safe_load` or `json.load` produce it.

use std::fmt;

/// A value read from a model card's YAML front matter or a JSON file, with the Python type that
/// gguf-py would see (the metadata heuristics copy such values through unchanged, and whether they
/// are written, skipped or rejected depends on that type).
#[derive(Debug, Clone, PartialEq)]
pub enum CardValue {
    /// `None` (YAML `null`, `~`, empty; JSON `null`).
    None,
    /// `bool`.
    Bool(bool),
    /// `int` that fits in 128 bits.
    Int(i128),
    /// `int` too large for 128 bits, as its decimal digits.
    BigInt(String),
    /// `float`.
    Float(f64),
    /// `str`.
    Str(String),
    /// `list`.
    List(Vec<CardValue>),
    /// `dict`, in insertion order, keys unique.
    Dict(Vec<(CardValue, CardValue)>),
    /// Any other Python object PyYAML can build (`datetime.date`, `bytes`, `set`, ...), by type
    /// name, with its truth value.
    Other {
        /// The Python type name.
        type_name: &'static str,
        /// `bool(value)`.
        truthy: bool,
        /// A rendering of the source text, used for equality of dictionary keys.
        text: String,
    },
}

impl CardValue {
    /// Python's `bool(value)`.
    pub fn truthy(&self) -> bool {
        match self {
            CardValue::None => false,
            CardValue::Bool(b) => *b,
            CardValue::Int(i) => *i != 0,
            CardValue::BigInt(_) => true,
            CardValue::Float(f) => *f != 0.0,
            CardValue::Str(s) => !s.is_empty(),
            CardValue::List(v) => !v.is_empty(),
            CardValue::Dict(v) => !v.is_empty(),
            CardValue::Other { truthy, .. } => *truthy,
        }
    }

    /// The Python type name (`str`, `int`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            CardValue::None => "NoneType",
            CardValue::Bool(_) => "bool",
            CardValue::Int(_) | CardValue::BigInt(_) => "int",
            CardValue::Float(_) => "float",
            CardValue::Str(_) => "str",
            CardValue::List(_) => "list",
            CardValue::Dict(_) => "dict",
            CardValue::Other { type_name, .. } => type_name,
        }
    }

    /// The string, if this is a `str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            CardValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `value[key]` for a `dict` with a `str` key.
    pub fn get(&self, key: &str) -> Option<&CardValue> {
        match self {
            CardValue::Dict(pairs) => pairs
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Whether a value can be a `dict` key (Python's hashability).
    pub(crate) fn hashable(&self) -> bool {
        !matches!(self, CardValue::List(_) | CardValue::Dict(_))
    }

    /// Python's `==` between two hashable keys (`1 == 1.0 == True`).
    pub(crate) fn key_eq(&self, other: &CardValue) -> bool {
        fn num(v: &CardValue) -> Option<f64> {
            match v {
                CardValue::Bool(b) => Some(f64::from(u8::from(*b))),
                CardValue::Int(i) => Some(*i as f64),
                CardValue::Float(f) => Some(*f),
                _ => None,
            }
        }
        match (self, other) {
            (CardValue::Int(a), CardValue::Int(b)) => a == b,
            (CardValue::Int(a), CardValue::Bool(b)) | (CardValue::Bool(b), CardValue::Int(a)) => {
                *a == i128::from(*b)
            }
            (CardValue::Str(a), CardValue::Str(b)) => a == b,
            (CardValue::None, CardValue::None) => true,
            (CardValue::BigInt(a), CardValue::BigInt(b)) => a == b,
            (
                CardValue::Other {
                    type_name: ta,
                    text: a,
                    ..
                },
                CardValue::Other {
                    type_name: tb,
                    text: b,
                    ..
                },
            ) => ta == tb && a == b,
            _ => match (num(self), num(other)) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            },
        }
    }

    /// Inserts into a `dict`'s pairs like Python's `d[key] = value`: an equal key keeps its place
    /// and takes the new value.
    pub(crate) fn dict_insert(
        pairs: &mut Vec<(CardValue, CardValue)>,
        key: CardValue,
        value: CardValue,
    ) {
        match pairs.iter_mut().find(|(k, _)| k.key_eq(&key)) {
            Some(slot) => slot.1 = value,
            None => pairs.push((key, value)),
        }
    }
}

impl fmt::Display for CardValue {
    /// Roughly Python's `repr`, for error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CardValue::None => f.write_str("None"),
            CardValue::Bool(true) => f.write_str("True"),
            CardValue::Bool(false) => f.write_str("False"),
            CardValue::Int(i) => write!(f, "{i}"),
            CardValue::BigInt(s) => f.write_str(s),
            CardValue::Float(x) => write!(f, "{x:?}"),
            CardValue::Str(s) => write!(f, "{s:?}"),
            CardValue::List(v) => {
                f.write_str("[")?;
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str("]")
            }
            CardValue::Dict(v) => {
                f.write_str("{")?;
                for (i, (k, x)) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {x}")?;
                }
                f.write_str("}")
            }
            CardValue::Other {
                type_name, text, ..
            } => write!(f, "{type_name}({text})"),
        }
    }
}
