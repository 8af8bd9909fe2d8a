//! A JSON value that keeps object keys in file order, read and compared the way Python's `json`
//! module and `dict` do (the reference converter's view of the tokenizer files).
//!
//! `serde_json::Value` sorts object keys (the crate is built without `preserve_order`), but the
//! reference iterates some objects (`added_tokens.json`, `added_tokens_decoder`) in file order.

use std::fmt;
use std::path::Path;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::VocabError;

/// A JSON number as Python's `json` module reads it: an `int` or a `float`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Num {
    /// An integer (`int`).
    Int(i128),
    /// A number with a fraction or exponent, or an integer too large for `i128` (`float`).
    Float(f64),
}

/// A JSON value in file order.
#[derive(Debug, Clone)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Num(Num),
    Str(String),
    Array(Vec<Json>),
    /// Members in file order; a repeated key is kept as written (see [`Json::get`] and
    /// [`Json::entries`] for Python's view of it).
    Object(Vec<(String, Json)>),
}

static NULL: Json = Json::Null;

impl Json {
    /// `d.get(key)` for an object: the last value written for `key` (Python's `dict` keeps the
    /// last one). `None` for a missing key or a value that is not an object.
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// `d.get(key)` with Python's `None` for a missing key (and for a non-object).
    pub(crate) fn get_or_null(&self, key: &str) -> &Json {
        self.get(key).unwrap_or(&NULL)
    }

    /// Whether `key in d` for an object.
    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The members of an object as Python's `dict` iterates them: each key once, at the position
    /// of its first occurrence, with its last value.
    pub(crate) fn entries(&self) -> Vec<(&str, &Json)> {
        let Json::Object(members) = self else {
            return Vec::new();
        };
        let mut out: Vec<(&str, &Json)> = Vec::with_capacity(members.len());
        let mut index: std::collections::HashMap<&str, usize> =
            std::collections::HashMap::with_capacity(members.len());
        for (k, v) in members {
            match index.get(k.as_str()) {
                Some(&at) => out[at].1 = v,
                None => {
                    index.insert(k.as_str(), out.len());
                    out.push((k.as_str(), v));
                }
            }
        }
        out
    }

    /// Sets `key` like `d[key] = value`: an existing key keeps its position.
    pub(crate) fn set(&mut self, key: &str, value: Json) {
        if let Json::Object(members) = self {
            let mut found = false;
            for (k, v) in members.iter_mut() {
                if k == key {
                    *v = value.clone();
                    found = true;
                }
            }
            if !found {
                members.push((key.to_string(), value));
            }
        }
    }

    /// Removes every occurrence of `key` from an object.
    pub(crate) fn remove(&mut self, key: &str) {
        if let Json::Object(members) = self {
            members.retain(|(k, _)| k != key);
        }
    }

    /// The string, if this is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub(crate) fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    /// Whether this is `null` (Python's `None`).
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// Whether this is an object (a Python `dict`).
    pub(crate) fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    /// The value as a Python `int` would be seen by `isinstance(x, int)`: integers and booleans
    /// (`bool` is a subclass of `int`).
    pub(crate) fn as_py_int(&self) -> Option<i128> {
        match self {
            Json::Num(Num::Int(i)) => Some(*i),
            Json::Bool(b) => Some(i128::from(*b)),
            _ => None,
        }
    }

    /// Python truthiness (`bool(x)`).
    pub(crate) fn truthy(&self) -> bool {
        match self {
            Json::Null => false,
            Json::Bool(b) => *b,
            Json::Num(Num::Int(i)) => *i != 0,
            Json::Num(Num::Float(f)) => *f != 0.0,
            Json::Str(s) => !s.is_empty(),
            Json::Array(a) => !a.is_empty(),
            Json::Object(m) => !m.is_empty(),
        }
    }

    /// A short description of the value's Python type, for error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Num(Num::Int(_)) => "int",
            Json::Num(Num::Float(_)) => "float",
            Json::Str(_) => "str",
            Json::Array(_) => "list",
            Json::Object(_) => "dict",
        }
    }

    /// Parses JSON text.
    pub(crate) fn parse(text: &str) -> Result<Json, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Reads and parses a JSON file, naming the file in any error.
    pub(crate) fn read(path: &Path) -> Result<Json, VocabError> {
        let text = std::fs::read_to_string(path).map_err(|source| VocabError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Json::parse(&text).map_err(|source| VocabError::Json {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads a JSON file if it exists (`Ok(None)` when it does not).
    pub(crate) fn read_if_file(path: &Path) -> Result<Option<Json>, VocabError> {
        if path.is_file() {
            Json::read(path).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Serialises back to JSON text (members in order).
    #[cfg(test)]
    pub(crate) fn to_json_string(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

/// Python's `==` between two JSON-loaded values: dicts compare as mappings, `1 == 1.0`, and
/// `True == 1`.
impl PartialEq for Json {
    fn eq(&self, other: &Json) -> bool {
        match (self, other) {
            (Json::Null, Json::Null) => true,
            (Json::Str(a), Json::Str(b)) => a == b,
            (Json::Array(a), Json::Array(b)) => a == b,
            (Json::Object(_), Json::Object(_)) => {
                let a = self.entries();
                let b = other.entries();
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.iter().any(|(bk, bv)| bk == k && *bv == *v))
            }
            (Json::Bool(_) | Json::Num(_), Json::Bool(_) | Json::Num(_)) => {
                match (self.as_number(), other.as_number()) {
                    (Some(Num::Int(a)), Some(Num::Int(b))) => a == b,
                    (Some(a), Some(b)) => num_f64(a) == num_f64(b),
                    _ => false,
                }
            }
            _ => false,
        }
    }
}

impl Json {
    fn as_number(&self) -> Option<Num> {
        match self {
            Json::Bool(b) => Some(Num::Int(i128::from(*b))),
            Json::Num(n) => Some(*n),
            _ => None,
        }
    }
}

fn num_f64(n: Num) -> f64 {
    match n {
        Num::Int(i) => i as f64,
        Num::Float(f) => f,
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Num(Num::Int(i128::from(v))))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Num(Num::Int(i128::from(v))))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Num(Num::Float(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::Str(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(Json::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut out = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            out.push((k, v));
        }
        Ok(Json::Object(out))
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Num(Num::Int(i)) => match i64::try_from(*i) {
                Ok(v) => serializer.serialize_i64(v),
                Err(_) => match u64::try_from(*i) {
                    Ok(v) => serializer.serialize_u64(v),
                    Err(_) => serializer.serialize_f64(*i as f64),
                },
            },
            Json::Num(Num::Float(f)) => serializer.serialize_f64(*f),
            Json::Str(s) => serializer.serialize_str(s),
            Json::Array(a) => {
                let mut seq = serializer.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Json::Object(m) => {
                let mut map = serializer.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// Python's `int(s)` for a string: surrounding whitespace, an optional sign, decimal digits with
/// single underscores between them.
pub(crate) fn py_int_from_str(s: &str) -> Option<i128> {
    let t = s.trim_matches(py_isspace);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let mut value: i128 = 0;
    for c in digits.chars() {
        if c == '_' {
            continue;
        }
        let d = c.to_digit(10)?;
        value = value.checked_mul(10)?.checked_add(i128::from(d))?;
    }
    Some(if neg { -value } else { value })
}

/// Python's `str.isspace()` for one character (used by `str.split()` and `str.strip()`).
pub(crate) fn py_isspace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_python_dict_semantics() {
        let j = Json::parse(r#"{"b": 1, "a": 2, "b": 3}"#).unwrap();
        assert_eq!(j.get("b"), Some(&Json::Num(Num::Int(3))));
        let e = j.entries();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].0, "b");
        assert_eq!(e[0].1, &Json::Num(Num::Int(3)));
        assert_eq!(e[1].0, "a");
        assert_eq!(j.to_json_string().unwrap(), r#"{"b":1,"a":2,"b":3}"#);
    }

    #[test]
    fn python_equality_and_truthiness() {
        let a = Json::parse(r#"{"x": 1, "y": [true]}"#).unwrap();
        let b = Json::parse(r#"{"y": [1], "x": 1.0}"#).unwrap();
        assert_eq!(a, b);
        assert!(!Json::parse("\"\"").unwrap().truthy());
        assert!(!Json::parse("{}").unwrap().truthy());
        assert!(Json::parse("[0]").unwrap().truthy());
        assert_ne!(Json::Str("1".into()), Json::Num(Num::Int(1)));
    }

    #[test]
    fn python_int_parsing() {
        assert_eq!(py_int_from_str(" 12 "), Some(12));
        assert_eq!(py_int_from_str("-1_000"), Some(-1000));
        assert_eq!(py_int_from_str("1__0"), None);
        assert_eq!(py_int_from_str("0x10"), None);
        assert_eq!(py_int_from_str(""), None);
    }
}
