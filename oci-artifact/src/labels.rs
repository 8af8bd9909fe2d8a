//! Labels derived from a GGUF file's metadata, as gguf-packer exports them, and the matching
//! `org.opencontainers.image.*` annotations.

use std::collections::BTreeMap;
use std::path::Path;

use ggufpack_gguf::{GgufFile, Metadata, Value};

use crate::error::{Error, Result};

/// `org.opencontainers.image.created`.
pub const OCI_CREATED: &str = "org.opencontainers.image.created";
/// `org.opencontainers.image.base.name`: the reference of the image an image is built on.
pub const OCI_BASE_NAME: &str = "org.opencontainers.image.base.name";
/// `org.opencontainers.image.base.digest`: the manifest digest of the image an image is built on.
pub const OCI_BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

/// Label key and the `general.*` metadata key it comes from, with its OCI twin.
const FROM_METADATA: &[(&str, &str, Option<&str>)] = &[
    (
        "gguf.model.name",
        "general.name",
        Some("org.opencontainers.image.title"),
    ),
    (
        "gguf.model.vendor",
        "general.organization",
        Some("org.opencontainers.image.vendor"),
    ),
    (
        "gguf.model.authors",
        "general.author",
        Some("org.opencontainers.image.authors"),
    ),
    (
        "gguf.model.url",
        "general.url",
        Some("org.opencontainers.image.url"),
    ),
    (
        "gguf.model.description",
        "general.description",
        Some("org.opencontainers.image.description"),
    ),
    (
        "gguf.model.licenses",
        "general.license",
        Some("org.opencontainers.image.licenses"),
    ),
];

/// Parameter count in gguf-packer's human form: two decimals and a unit (`494.03 M`), or the
/// plain number under a thousand.
pub fn human_parameters(n: u64) -> String {
    let f = n as f64;
    for (scale, unit) in [(1e15, "Q"), (1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")] {
        if f >= scale {
            return format!("{:.2} {unit}", f / scale);
        }
    }
    n.to_string()
}

/// Bits per weight in gguf-packer's form (`6.71 bpw`).
pub fn human_bpw(bpw: f64) -> String {
    format!("{bpw:.2} bpw")
}

/// A metadata value as label text: strings as they are, string arrays joined with `, `, numbers
/// and booleans printed.
fn text(md: &Metadata<'_>, key: &str) -> Option<String> {
    let v = md.get(key)?;
    let s = match &v {
        Value::String(s) => s.to_string_lossy().into_owned(),
        Value::Array(a) => a
            .strings()
            .map(|s| s.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(", "),
        other => match (other.to_i64(), other.to_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => f.to_string(),
            _ => return None,
        },
    };
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// The labels gguf-packer derives from the model at `path`: `gguf.model.architecture`,
/// `.parameters`, `.bpw`, `.filetype`, `.usage` (`text-to-text`), and, where the metadata has
/// them, `.name`, `.vendor`, `.authors`, `.url`, `.description`, `.licenses` with the matching
/// `org.opencontainers.image.*` keys.
pub fn derive_labels(path: &Path) -> Result<BTreeMap<String, String>> {
    let file = GgufFile::open(path).map_err(|source| Error::Gguf {
        path: path.to_path_buf(),
        source,
    })?;
    let g = file.gguf();
    let md = g.metadata();
    let facts = g.facts();
    let mut labels = BTreeMap::new();
    if let Some(arch) = md.architecture() {
        labels.insert("gguf.model.architecture".into(), arch.to_string());
    }
    labels.insert(
        "gguf.model.parameters".into(),
        human_parameters(facts.parameters),
    );
    labels.insert("gguf.model.bpw".into(), human_bpw(facts.bits_per_weight));
    labels.insert(
        "gguf.model.filetype".into(),
        facts.file_type_name().to_string(),
    );
    labels.insert("gguf.model.usage".into(), "text-to-text".into());
    for (label, key, oci) in FROM_METADATA {
        if let Some(v) = text(&md, key) {
            labels.insert((*label).into(), v.clone());
            if let Some(oci) = oci {
                labels.insert((*oci).into(), v);
            }
        }
    }
    Ok(labels)
}

/// `secs` since the Unix epoch as RFC 3339 UTC (`2024-07-22T22:26:43Z`).
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_forms() {
        assert_eq!(human_parameters(494_032_768), "494.03 M");
        assert_eq!(human_parameters(8_030_261_248), "8.03 B");
        assert_eq!(human_parameters(999), "999");
        assert_eq!(human_parameters(1_500), "1.50 K");
        assert_eq!(human_bpw(6.7149), "6.71 bpw");
    }

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_721_687_203), "2024-07-22T22:26:43Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }
}
