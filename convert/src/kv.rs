//! An ordered list of metadata key-value pairs with the semantics of gguf-py's `GGUFWriter`:
//! setting a key that is already present replaces its value but keeps its position.

use ggufpack_gguf::{ArrayValue, MetadataValue};

/// Metadata for one output file, in the order the reference converter writes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KvList {
    entries: Vec<(String, MetadataValue)>,
}

impl KvList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`. A key already present keeps its position and takes the new value
    /// (gguf-py logs "Duplicated key name" and overwrites it in place).
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<MetadataValue>) -> &mut Self {
        let key = key.into();
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
        self
    }

    /// Sets a `uint32` value.
    pub fn u32(&mut self, key: impl Into<String>, v: u32) -> &mut Self {
        self.set(key, MetadataValue::U32(v))
    }

    /// Sets an `int32` value.
    pub fn i32(&mut self, key: impl Into<String>, v: i32) -> &mut Self {
        self.set(key, MetadataValue::I32(v))
    }

    /// Sets a `uint64` value.
    pub fn u64(&mut self, key: impl Into<String>, v: u64) -> &mut Self {
        self.set(key, MetadataValue::U64(v))
    }

    /// Sets a `float32` value.
    pub fn f32(&mut self, key: impl Into<String>, v: f32) -> &mut Self {
        self.set(key, MetadataValue::F32(v))
    }

    /// Sets a `bool` value.
    pub fn bool(&mut self, key: impl Into<String>, v: bool) -> &mut Self {
        self.set(key, MetadataValue::Bool(v))
    }

    /// Sets a string value.
    pub fn string(&mut self, key: impl Into<String>, v: impl Into<String>) -> &mut Self {
        self.set(key, MetadataValue::String(v.into()))
    }

    /// Sets an array of strings.
    pub fn strings(&mut self, key: impl Into<String>, v: Vec<String>) -> &mut Self {
        self.set(key, MetadataValue::Array(ArrayValue::String(v)))
    }

    /// Sets an array of `int32`.
    pub fn i32s(&mut self, key: impl Into<String>, v: Vec<i32>) -> &mut Self {
        self.set(key, MetadataValue::Array(ArrayValue::I32(v)))
    }

    /// Sets an array of `float32`.
    pub fn f32s(&mut self, key: impl Into<String>, v: Vec<f32>) -> &mut Self {
        self.set(key, MetadataValue::Array(ArrayValue::F32(v)))
    }

    /// Appends every entry of `other` with [`KvList::set`] semantics.
    pub fn extend(&mut self, other: KvList) -> &mut Self {
        for (k, v) in other.entries {
            self.set(k, v);
        }
        self
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&MetadataValue> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether `key` is set.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<MetadataValue> {
        let at = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(at).1)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &MetadataValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The entries, consumed, in order.
    pub fn into_entries(self) -> Vec<(String, MetadataValue)> {
        self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overwrite_keeps_position() {
        let mut kv = KvList::new();
        kv.u32("a", 1).string("b", "x").u32("a", 2);
        let keys: Vec<_> = kv.iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(kv.get("a"), Some(&MetadataValue::U32(2)));
    }
}
