//! Test support: ggml's golden vectors (`quant/tests/golden/`, made by
//! `scripts/golden/quant/gen.sh` from ggml itself) and one checker that runs every record of a
//! type through this crate's public API.

use std::path::PathBuf;
use std::sync::OnceLock;

use ggufpack_gguf::GgmlType;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

/// The golden data, loaded once.
pub(crate) struct Golden {
    pub manifest: Json,
    inputs: Vec<u8>,
    quantized: Vec<u8>,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The golden data (panics with a clear message when the files are missing or altered).
pub(crate) fn golden() -> &'static Golden {
    static G: OnceLock<Golden> = OnceLock::new();
    G.get_or_init(|| {
        let text = std::fs::read_to_string(dir().join("manifest.json"))
            .expect("quant/tests/golden/manifest.json (run scripts/golden/quant/gen.sh)");
        let manifest: Json = serde_json::from_str(&text).expect("manifest JSON");
        let load = |name: &str| {
            let bytes = std::fs::read(dir().join(name)).expect(name);
            assert_eq!(
                sha256(&bytes),
                manifest["files"][name]["sha256"]
                    .as_str()
                    .unwrap_or_default(),
                "{name} does not match its sha256 in the manifest"
            );
            bytes
        };
        Golden {
            inputs: load("inputs.bin"),
            quantized: load("quantized.bin"),
            manifest,
        }
    })
}

impl Golden {
    /// The input array `name` (all rows) and its row length.
    pub fn input(&self, name: &str) -> (Vec<f32>, usize) {
        let entry = self.manifest["inputs"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["name"] == name))
            .unwrap_or_else(|| panic!("no input {name}"));
        let offset = entry["offset"].as_u64().unwrap() as usize;
        let rows = entry["rows"].as_u64().unwrap() as usize;
        let n = entry["n_per_row"].as_u64().unwrap() as usize;
        let bytes = &self.inputs[offset..offset + rows * n * 4];
        let v = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        (v, n)
    }

    /// The records of type `ty`.
    pub fn records(&self, ty: GgmlType) -> Vec<&Json> {
        self.manifest["records"]
            .as_array()
            .map(|a| a.iter().filter(|r| r["type"] == ty.name()).collect())
            .unwrap_or_default()
    }

    /// ggml's quantized bytes of a record.
    pub fn quantized(&self, rec: &Json) -> &[u8] {
        let q = &rec["quant"];
        let offset = q["offset"].as_u64().unwrap() as usize;
        let len = q["len"].as_u64().unwrap() as usize;
        &self.quantized[offset..offset + len]
    }

    /// The record's input rows (one expert's rows for the 3-D case) and importance weights.
    pub fn record_input(&self, rec: &Json) -> (Vec<f32>, usize, Option<Vec<f32>>) {
        let (mut x, n) = self.input(rec["input"].as_str().unwrap());
        let mut w = rec["imatrix"].as_str().map(|name| self.input(name).0);
        if let Some(e) = rec.get("expert").and_then(Json::as_u64) {
            let e = e as usize;
            let per = rec["rows"].as_u64().unwrap() as usize * n;
            let w_row = rec
                .get("imatrix_row")
                .and_then(Json::as_u64)
                .map_or(e, |r| r as usize);
            x = x[e * per..(e + 1) * per].to_vec();
            w = w.map(|w| w[w_row * n..(w_row + 1) * n].to_vec());
        }
        (x, n, w)
    }
}

/// Runs every golden record of `ty` through the public API: quantize (with and without the
/// importance matrix), the `_ref` row quantizer, dequantize of ggml's bytes, and the generic dot
/// product. Returns the number of records checked.
pub(crate) fn check_type(ty: GgmlType) -> usize {
    let g = golden();
    let records = g.records(ty);
    assert!(!records.is_empty(), "no golden records for {ty}");
    let caps = crate::capabilities(ty);
    for rec in &records {
        let label = format!(
            "{ty} {} imatrix={} expert={}",
            rec["input"],
            rec["imatrix"],
            rec.get("expert").unwrap_or(&Json::Null)
        );
        let (x, n, w) = g.record_input(rec);
        let ggml_bytes = g.quantized(rec);
        if caps.quantize && (w.is_some() || !caps.requires_imatrix) {
            // every backend this CPU has must give ggml's bytes
            for backend in crate::Backend::available() {
                let mut ours = vec![0u8; ggml_bytes.len()];
                let opts = crate::QuantizeOptions {
                    pool: None,
                    backend: Some(backend),
                };
                crate::quantize_into(ty, &x, n, w.as_deref(), &mut ours, &opts).unwrap();
                if ours != ggml_bytes {
                    let first = ours.iter().zip(ggml_bytes).position(|(a, b)| a != b);
                    panic!(
                        "{label}: quantized bytes of the {} backend differ from ggml (first at byte {first:?})",
                        backend.name()
                    );
                }
            }
        }
        if let (Some(sha), Some(_)) = (rec["ref_row_sha256"].as_str(), caps.quantize.then_some(()))
        {
            let mut out = vec![0u8; crate::quantized_size(ty, x.len()).unwrap()];
            if crate::quantize_row_ref(ty, &x, &mut out).is_ok() {
                assert_eq!(
                    sha256(&out),
                    sha,
                    "{label}: quantize_row_ref differs from ggml"
                );
            }
        }
        if let (true, Some(want)) = (caps.dequantize, rec["dequant_sha256"].as_str()) {
            let elems = ggml_bytes.len() / ty.type_size() as usize * ty.block_size() as usize;
            let y = crate::dequantize_to_vec(ty, ggml_bytes, elems).unwrap();
            assert_eq!(
                sha256(&f32_bytes(&y)),
                want,
                "{label}: dequantized floats differ from ggml"
            );
        }
        if let (Some(act), Some(dot)) = (caps.vec_dot, rec["vec_dot"].as_object()) {
            let (a, _) = g.input(dot["act"].as_str().unwrap());
            let mut aq = vec![0u8; crate::quantized_size(act, a.len()).unwrap()];
            crate::quantize_row_ref(act, &a, &mut aq).unwrap();
            assert_eq!(
                sha256(&aq),
                dot["act_sha256"].as_str().unwrap(),
                "{label}: activation quantized by {act} differs from ggml"
            );
            let got = crate::vec_dot(
                ty,
                a.len(),
                &ggml_bytes[..crate::quantized_size(ty, a.len()).unwrap()],
                &aq,
            )
            .unwrap();
            assert_eq!(
                u64::from(got.to_bits()),
                dot["generic_bits"].as_u64().unwrap(),
                "{label}: vec_dot {got} differs from ggml's generic C"
            );
        }
    }
    records.len()
}
