//! Canonical JSON: object keys sorted, no insignificant whitespace. The bytes this writes are the
//! bytes that are hashed and stored, so equal values always give equal digests.

use serde::Serialize;
use serde_json::Value;

/// Serializes `value` to canonical JSON bytes: every object's keys in byte order, compact, UTF-8.
///
/// `HashMap`s (as in `oci-spec`'s annotations) serialize in random order; going through this
/// function makes their output deterministic.
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let v = serde_json::to_value(value)?;
    let mut out = Vec::with_capacity(512);
    write_value(&v, &mut out)?;
    Ok(out)
}

fn write_value(v: &Value, out: &mut Vec<u8>) -> serde_json::Result<()> {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, k)?;
                out.push(b':');
                write_value(val, out)?;
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out)?;
            }
            out.push(b']');
        }
        scalar => serde_json::to_writer(&mut *out, scalar)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn keys_are_sorted_at_every_level() {
        let mut m = HashMap::new();
        for k in ["z", "a", "m", "b"] {
            m.insert(
                k.to_string(),
                serde_json::json!({"y": 1, "x": [{"d": 1, "c": "é"}]}),
            );
        }
        let bytes = canonical_json(&m).unwrap();
        let s = String::from_utf8(bytes).unwrap();
        assert!(
            s.starts_with(r#"{"a":{"x":[{"c":"é","d":1}],"y":1},"b":"#),
            "{s}"
        );
    }
}
