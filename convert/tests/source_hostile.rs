//! Hostile and valid safetensors files and model directories, written by hand, against
//! `ggufpack_convert::source`.

use std::path::{Path, PathBuf};

use ggufpack_convert::source::{Checkpoint, Dtype, SafetensorsFile, SourceError};
use proptest::prelude::*;
use serde_json::json;

/// A safetensors file: the header text as given (no padding added) and the data section.
fn raw_file(header: &str, data: &[u8]) -> Vec<u8> {
    let mut v = (header.len() as u64).to_le_bytes().to_vec();
    v.extend_from_slice(header.as_bytes());
    v.extend_from_slice(data);
    v
}

/// A well-formed file from `(name, dtype, shape, bytes)` laid out in the given order, header
/// padded with spaces to a multiple of 8 as the official writer does.
fn st_file(
    tensors: &[(&str, &str, Vec<u64>, Vec<u8>)],
    metadata: Option<serde_json::Value>,
) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    if let Some(m) = metadata {
        header.insert("__metadata__".into(), m);
    }
    let mut data = Vec::new();
    for (name, dtype, shape, bytes) in tensors {
        let start = data.len();
        data.extend_from_slice(bytes);
        header.insert(
            (*name).into(),
            json!({"dtype": dtype, "shape": shape, "data_offsets": [start, data.len()]}),
        );
    }
    let mut text = serde_json::to_string(&header).unwrap();
    while text.len() % 8 != 0 {
        text.push(' ');
    }
    raw_file(&text, &data)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn open_bytes(
    bytes: &[u8],
) -> (
    tempfile::TempDir,
    PathBuf,
    Result<SafetensorsFile, SourceError>,
) {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "t.safetensors", bytes);
    let r = SafetensorsFile::open(&p);
    (dir, p, r)
}

fn f32s(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn bf16s(v: &[f32]) -> Vec<u8> {
    v.iter()
        .flat_map(|x| ((x.to_bits() >> 16) as u16).to_le_bytes())
        .collect()
}

fn f16_one_two() -> Vec<u8> {
    vec![0x00, 0x3C, 0x00, 0x40] // 1.0, 2.0
}

/// Opens `header` + `data` and returns the error, checking that it names the file.
fn err_of(header: &str, data: &[u8]) -> SourceError {
    let (_d, path, r) = open_bytes(&raw_file(header, data));
    let e = r.expect_err("hostile file accepted");
    assert!(
        e.to_string().contains(&path.display().to_string()),
        "error does not name the file: {e}"
    );
    e
}

#[test]
fn truncated_file() {
    for len in 0..8 {
        let (_d, _p, r) = open_bytes(&vec![0u8; len]);
        assert!(
            matches!(r, Err(SourceError::FileTooSmall { len: l, .. }) if l == len as u64),
            "{len}: {r:?}"
        );
    }
}

#[test]
fn header_length_beyond_file() {
    let mut bytes = raw_file(
        r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#,
        &[7],
    );
    bytes.truncate(20);
    let (_d, _p, r) = open_bytes(&bytes);
    assert!(
        matches!(r, Err(SourceError::HeaderBeyondFile { header_len, file_len: 20, .. }) if header_len > 12)
    );
    // Length field alone, claiming more than is there.
    let (_d, _p, r) = open_bytes(&1000u64.to_le_bytes());
    assert!(matches!(r, Err(SourceError::HeaderBeyondFile { .. })));
}

#[test]
fn header_over_cap() {
    for n in [100_000_001u64, u64::MAX, 1 << 63] {
        let mut bytes = n.to_le_bytes().to_vec();
        bytes.extend_from_slice(b"{}");
        let (_d, _p, r) = open_bytes(&bytes);
        assert!(
            matches!(r, Err(SourceError::HeaderTooLarge { header_len, .. }) if header_len == n)
        );
    }
}

#[test]
fn header_not_utf8_or_json_or_object() {
    let bytes = {
        let mut v = 4u64.to_le_bytes().to_vec();
        v.extend_from_slice(&[b'{', 0xFF, 0xFE, b'}']);
        v
    };
    let (_d, _p, r) = open_bytes(&bytes);
    assert!(matches!(r, Err(SourceError::HeaderNotUtf8 { .. })));

    for bad in [
        "",
        "{",
        "{\"a\":}",
        "{}x",
        "\u{feff}{}",
        "{'a':1}",
        "{\"a\":NaN}",
    ] {
        assert!(
            matches!(err_of(bad, &[]), SourceError::HeaderJson { .. }),
            "{bad:?}"
        );
    }
    for bad in ["[]", "1", "\"x\"", "null", "true"] {
        assert!(
            matches!(err_of(bad, &[]), SourceError::HeaderNotObject { .. }),
            "{bad:?}"
        );
    }
}

#[test]
fn bad_metadata() {
    for bad in [
        r#"{"__metadata__":{"a":1}}"#,
        r#"{"__metadata__":[]}"#,
        r#"{"__metadata__":"x"}"#,
    ] {
        assert!(
            matches!(err_of(bad, &[]), SourceError::InvalidMetadata { .. }),
            "{bad}"
        );
    }
}

#[test]
fn unknown_dtype() {
    let e = err_of(
        r#"{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}"#,
        &[0; 16],
    );
    assert!(
        matches!(&e, SourceError::UnknownDtype { tensor, dtype, .. } if tensor == "w" && dtype == "F128")
    );
    // Case matters.
    let e = err_of(
        r#"{"w":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}"#,
        &[0; 4],
    );
    assert!(matches!(e, SourceError::UnknownDtype { .. }));
}

#[test]
fn malformed_tensor_entries() {
    for bad in [
        r#"{"w":1}"#,
        r#"{"w":{"shape":[1],"data_offsets":[0,1]}}"#,
        r#"{"w":{"dtype":"U8","data_offsets":[0,1]}}"#,
        r#"{"w":{"dtype":"U8","shape":[1]}}"#,
        r#"{"w":{"dtype":7,"shape":[1],"data_offsets":[0,1]}}"#,
        r#"{"w":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}"#,
        r#"{"w":{"dtype":"U8","shape":[1.0],"data_offsets":[0,1]}}"#,
        r#"{"w":{"dtype":"U8","shape":1,"data_offsets":[0,1]}}"#,
        r#"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}"#,
        r#"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0]}}"#,
        r#"{"w":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}}"#,
        r#"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,18446744073709551616]}}"#,
    ] {
        let e = err_of(bad, &[0]);
        assert!(
            matches!(&e, SourceError::InvalidTensorInfo { tensor, .. } if tensor == "w"),
            "{bad}: {e}"
        );
    }
}

#[test]
fn shape_overflow() {
    let e = err_of(
        r#"{"w":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#,
        &[],
    );
    assert!(matches!(&e, SourceError::ShapeOverflow { tensor, .. } if tensor == "w"));
    // Element count fits, byte count does not.
    let e = err_of(
        r#"{"w":{"dtype":"F64","shape":[2305843009213693952,2],"data_offsets":[0,0]}}"#,
        &[],
    );
    assert!(matches!(e, SourceError::ShapeOverflow { .. }));
    // A zero dimension makes any product zero, as in the reference crate (no overflow).
    let (_d, _p, r) = open_bytes(&raw_file(
        r#"{"w":{"dtype":"F64","shape":[0,18446744073709551615],"data_offsets":[0,0]}}"#,
        &[],
    ));
    let f = r.unwrap();
    let w = f.tensor("w").unwrap();
    assert_eq!(w.numel(), 0);
    assert!(w.to_f32().unwrap().is_empty());
}

#[test]
fn offsets_reversed_hole_overlap() {
    let e = err_of(
        r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},
            "b":{"dtype":"U8","shape":[0],"data_offsets":[4,2]}}"#,
        &[0; 4],
    );
    assert!(
        matches!(&e, SourceError::OffsetsReversed { tensor, start: 4, end: 2, .. } if tensor == "b")
    );

    let e = err_of(
        r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},
            "b":{"dtype":"U8","shape":[4],"data_offsets":[6,10]}}"#,
        &[0; 10],
    );
    assert!(
        matches!(&e, SourceError::OffsetHole { tensor, expected: 4, start: 6, .. } if tensor == "b")
    );

    // A hole at the very start.
    let e = err_of(
        r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}"#,
        &[0; 6],
    );
    assert!(matches!(
        e,
        SourceError::OffsetHole {
            expected: 0,
            start: 2,
            ..
        }
    ));

    let e = err_of(
        r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},
            "b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}"#,
        &[0; 6],
    );
    assert!(
        matches!(&e, SourceError::OffsetOverlap { tensor, expected: 4, start: 2, .. } if tensor == "b")
    );

    // Two tensors sharing one range.
    let e = err_of(
        r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},
            "b":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#,
        &[0; 4],
    );
    assert!(matches!(e, SourceError::OffsetOverlap { .. }));
}

#[test]
fn header_order_does_not_matter() {
    // Offsets in the opposite order to the names (and to the JSON text): valid.
    let (_d, _p, r) = open_bytes(&raw_file(
        r#"{"z":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},
            "a":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}"#,
        &[1, 2, 3],
    ));
    let f = r.unwrap();
    let names: Vec<_> = f.tensors().map(|t| (t.name, t.data.to_vec())).collect();
    assert_eq!(names, [("a", vec![3]), ("z", vec![1, 2])]);
}

#[test]
fn trailing_bytes_and_data_beyond_file() {
    let e = err_of(
        r#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#,
        &[0; 3],
    );
    assert!(matches!(
        e,
        SourceError::TrailingBytes {
            data_end: 2,
            data_len: 3,
            ..
        }
    ));
    let e = err_of("{}", &[0]);
    assert!(matches!(
        e,
        SourceError::TrailingBytes {
            data_end: 0,
            data_len: 1,
            ..
        }
    ));
    let e = err_of(
        r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#,
        &[0; 3],
    );
    assert!(
        matches!(&e, SourceError::DataBeyondFile { tensor, data_end: 4, data_len: 3, .. } if tensor == "a")
    );
    // Offsets far beyond any file.
    let e = err_of(
        r#"{"a":{"dtype":"U8","shape":[1099511627776],"data_offsets":[0,1099511627776]}}"#,
        &[],
    );
    assert!(matches!(e, SourceError::DataBeyondFile { .. }));
    // When the byte size itself overflows, that is reported first (as the reference crate does).
    let e = err_of(
        r#"{"a":{"dtype":"U16","shape":[18446744073709551615],"data_offsets":[0,18446744073709551615]}}"#,
        &[],
    );
    assert!(matches!(e, SourceError::ShapeOverflow { .. }));
}

#[test]
fn shape_size_mismatch() {
    let e = err_of(
        r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#,
        &[0; 4],
    );
    assert!(
        matches!(&e, SourceError::SizeMismatch { tensor, expected: 8, actual: 4, dtype: Dtype::F32, .. } if tensor == "a")
    );
    let e = err_of(
        r#"{"a":{"dtype":"BF16","shape":[],"data_offsets":[0,4]}}"#,
        &[0; 4],
    );
    assert!(matches!(
        e,
        SourceError::SizeMismatch {
            expected: 2,
            actual: 4,
            ..
        }
    ));
}

#[test]
fn not_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let r = SafetensorsFile::open(dir.path());
    assert!(
        matches!(
            r,
            Err(SourceError::NotAFile { .. } | SourceError::Io { .. })
        ),
        "{r:?}"
    );
    let r = SafetensorsFile::open(dir.path().join("nope.safetensors"));
    assert!(matches!(r, Err(SourceError::Io { .. })));
}

#[test]
fn valid_file_with_padding_and_metadata() {
    let bytes = st_file(
        &[
            ("w", "BF16", vec![2, 2], bf16s(&[1.0, -2.0, 0.5, 3.0])),
            ("b", "F16", vec![2], f16_one_two()),
            ("s", "F64", vec![], 0.1f64.to_le_bytes().to_vec()),
        ],
        Some(json!({"format": "pt"})),
    );
    let (_d, _p, r) = open_bytes(&bytes);
    let f = r.unwrap();
    assert_eq!(
        f.metadata().unwrap().get("format").map(String::as_str),
        Some("pt")
    );
    assert_eq!(f.header_len() % 8, 0);
    let names: Vec<_> = f.tensors().map(|t| t.name).collect();
    assert_eq!(names, ["b", "s", "w"]);
    let w = f.tensor("w").unwrap();
    assert_eq!(w.shape, &[2, 2]);
    assert_eq!(w.to_f32().unwrap(), [1.0, -2.0, 0.5, 3.0]);
    assert_eq!(f.tensor("b").unwrap().f16_bytes(), Some(&f16_one_two()[..]));
    assert_eq!(f.tensor("s").unwrap().to_f32().unwrap(), [0.1f32]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary bytes never panic.
    #[test]
    fn arbitrary_bytes_do_not_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = SafetensorsFile::from_bytes("fuzz", bytes);
    }

    /// Flipping bytes of a valid file never panics; whatever opens reads back consistently.
    #[test]
    fn mutated_files_do_not_panic(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6)) {
        let mut bytes = st_file(
            &[
                ("a.weight", "F32", vec![2, 3], f32s(&[1., 2., 3., 4., 5., 6.])),
                ("b", "U8", vec![3], vec![1, 2, 3]),
            ],
            None,
        );
        let len = bytes.len();
        for (at, v) in flips {
            bytes[at % len] = v;
        }
        if let Ok(f) = SafetensorsFile::from_bytes("fuzz", bytes) {
            for t in f.tensors() {
                if t.dtype.converts_to_f32() {
                    prop_assert_eq!(t.to_f32().unwrap().len(), t.numel());
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Model directories

fn index_json(map: &[(&str, &str)]) -> Vec<u8> {
    let wm: serde_json::Map<String, serde_json::Value> =
        map.iter().map(|(t, f)| ((*t).into(), json!(f))).collect();
    serde_json::to_vec(&json!({"metadata": {"total_size": 0}, "weight_map": wm})).unwrap()
}

fn u8_tensor(name: &str, v: u8) -> (&str, &'static str, Vec<u64>, Vec<u8>) {
    (name, "U8", vec![1], vec![v])
}

const SHARD1: &str = "model-00001-of-00002.safetensors";
const SHARD2: &str = "model-00002-of-00002.safetensors";

/// Two shards and their index: tensors a, b in shard 1; c, d in shard 2.
fn sharded_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        SHARD1,
        &st_file(&[u8_tensor("b", 2), u8_tensor("a", 1)], None),
    );
    write(
        dir.path(),
        SHARD2,
        &st_file(&[u8_tensor("d", 4), u8_tensor("c", 3)], None),
    );
    write(
        dir.path(),
        "model.safetensors.index.json",
        &index_json(&[("a", SHARD1), ("b", SHARD1), ("c", SHARD2), ("d", SHARD2)]),
    );
    dir
}

#[test]
fn empty_dir_and_pytorch_only() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Checkpoint::open(dir.path()),
        Err(SourceError::NoSafetensors { .. })
    ));
    write(dir.path(), "other.safetensors", &st_file(&[], None));
    assert!(matches!(
        Checkpoint::open(dir.path()),
        Err(SourceError::NoSafetensors { .. })
    ));
    write(dir.path(), "pytorch_model.bin", b"not read");
    let e = Checkpoint::open(dir.path()).unwrap_err();
    assert!(matches!(&e, SourceError::PytorchOnly { file, .. } if file == "pytorch_model.bin"));
    assert!(e.to_string().contains("only safetensors"));
    assert!(matches!(
        Checkpoint::open(dir.path().join("missing")),
        Err(SourceError::Io { .. })
    ));
}

#[test]
fn multi_shard_round_trip() {
    let dir = sharded_dir();
    // Files not named in the index are not read, even when they match `model*.safetensors`.
    write(dir.path(), "model-extra.safetensors", b"garbage");
    let ck = Checkpoint::open(dir.path()).unwrap();
    assert_eq!(ck.part_names(), [SHARD1, SHARD2]);
    let got: Vec<_> = ck
        .tensors()
        .map(|t| (t.name, t.part, t.view.data[0]))
        .collect();
    assert_eq!(
        got,
        [
            ("a", SHARD1, 1),
            ("b", SHARD1, 2),
            ("c", SHARD2, 3),
            ("d", SHARD2, 4)
        ]
    );
    assert_eq!(ck.tensor("c").unwrap().view.to_f32().unwrap(), [3.0]);
    let logical = ck
        .logical_tensors(&json!({"architectures": ["X"]}))
        .unwrap();
    assert_eq!(logical.len(), 4);
    assert_eq!(logical[3].to_f32().unwrap(), [4.0]);
}

#[test]
fn no_index_parts_sorted_and_filtered() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "model-00002-of-00002.safetensors",
        &st_file(
            &[
                (
                    "model.language_model.layers.0.w",
                    "F16",
                    vec![2],
                    f16_one_two(),
                ),
                (
                    "z.gate.e_score_correction_bias",
                    "F32",
                    vec![1],
                    f32s(&[0.5]),
                ),
            ],
            None,
        ),
    );
    write(
        dir.path(),
        "model-00001-of-00002.safetensors",
        &st_file(
            &[
                ("model.layers.0.w", "BF16", vec![1], bf16s(&[7.0])),
                ("model.visual.blocks.0.w", "U8", vec![1], vec![1]),
                ("mlp1.0.weight", "U8", vec![1], vec![1]),
                ("lm_head.weight", "U8", vec![1], vec![9]),
            ],
            None,
        ),
    );
    write(dir.path(), "adapter.safetensors", b"not read");
    let ck = Checkpoint::open(dir.path()).unwrap();
    let got: Vec<_> = ck
        .tensors()
        .map(|t| (t.name, t.original_name(), t.view.dtype))
        .collect();
    // Part 1 in name order, then part 2; the multimodal tensors are skipped; the part-2 tensor
    // whose filtered name repeats a part-1 name replaces it in place.
    assert_eq!(
        got,
        [
            ("lm_head.weight", "lm_head.weight", Dtype::U8),
            (
                "model.layers.0.w",
                "model.language_model.layers.0.w",
                Dtype::F16
            ),
            (
                "z.gate.e_score_correction.bias",
                "z.gate.e_score_correction_bias",
                Dtype::F32
            ),
        ]
    );
    let t = ck.tensor("model.layers.0.w").unwrap();
    assert_eq!(t.part, "model-00002-of-00002.safetensors");
    let logical = ck.logical_tensors(&json!({})).unwrap();
    assert_eq!(logical[1].f16_bytes(), Some(&f16_one_two()[..]));
    assert_eq!(logical[1].to_f32().unwrap(), [1.0, 2.0]);

    // A custom filter sees the original names.
    let ck = Checkpoint::open_with_filter(dir.path(), |n| Some(n.to_uppercase())).unwrap();
    assert_eq!(ck.len(), 6);
}

#[test]
fn index_names_tensor_missing_from_shard() {
    let dir = sharded_dir();
    write(dir.path(), SHARD2, &st_file(&[u8_tensor("c", 3)], None));
    let e = Checkpoint::open(dir.path()).unwrap_err();
    assert!(
        matches!(&e, SourceError::IncompleteParts { files, missing } if files == &[SHARD2] && missing == &["d"]),
        "{e}"
    );
}

#[test]
fn shard_has_tensor_missing_from_index() {
    let dir = sharded_dir();
    write(
        dir.path(),
        SHARD2,
        &st_file(
            &[u8_tensor("c", 3), u8_tensor("d", 4), u8_tensor("e", 5)],
            None,
        ),
    );
    let e = Checkpoint::open(dir.path()).unwrap_err();
    assert!(
        matches!(&e, SourceError::WeightMapMismatch { missing, extra } if missing.is_empty() && extra == &["e"]),
        "{e}"
    );
    // Both ways at once.
    write(
        dir.path(),
        SHARD2,
        &st_file(&[u8_tensor("c", 3), u8_tensor("e", 5)], None),
    );
    let e = Checkpoint::open(dir.path()).unwrap_err();
    assert!(
        matches!(&e, SourceError::WeightMapMismatch { missing, extra } if missing == &["d"] && extra == &["e"]),
        "{e}"
    );
}

#[test]
fn missing_shard() {
    let dir = sharded_dir();
    std::fs::remove_file(dir.path().join(SHARD2)).unwrap();
    let e = Checkpoint::open(dir.path()).unwrap_err();
    assert!(
        matches!(&e, SourceError::MissingPart { part, .. } if part == SHARD2),
        "{e}"
    );
    assert!(e.to_string().contains(SHARD2));
}

#[test]
fn bad_index_files() {
    let dir = sharded_dir();
    let idx = "model.safetensors.index.json";
    write(dir.path(), idx, b"{not json");
    assert!(matches!(
        Checkpoint::open(dir.path()),
        Err(SourceError::IndexJson { .. })
    ));
    for bad in [
        json!({}),
        json!({"weight_map": []}),
        json!([1]),
        json!({"weight_map": null}),
    ] {
        write(dir.path(), idx, &serde_json::to_vec(&bad).unwrap());
        assert!(
            matches!(
                Checkpoint::open(dir.path()),
                Err(SourceError::IndexWeightMap { .. })
            ),
            "{bad}"
        );
    }
    write(
        dir.path(),
        idx,
        &serde_json::to_vec(&json!({"weight_map": {"a": 1}})).unwrap(),
    );
    assert!(matches!(
        Checkpoint::open(dir.path()),
        Err(SourceError::IndexValueNotString { tensor, .. }) if tensor == "a"
    ));
    for part in ["../model.safetensors", "/etc/passwd", "..", ""] {
        write(dir.path(), idx, &index_json(&[("a", part)]));
        assert!(
            matches!(
                Checkpoint::open(dir.path()),
                Err(SourceError::IndexPartNotPlain { .. })
            ),
            "{part}"
        );
    }
    // An empty weight map names no part at all.
    write(dir.path(), idx, &index_json(&[]));
    assert!(matches!(
        Checkpoint::open(dir.path()),
        Err(SourceError::NoSafetensors { .. })
    ));
}

#[test]
fn hostile_shard_error_names_file_and_tensor() {
    let dir = sharded_dir();
    write(
        dir.path(),
        SHARD2,
        &raw_file(
            r#"{"c":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}"#,
            &[0],
        ),
    );
    let e = Checkpoint::open(dir.path()).unwrap_err();
    assert!(matches!(&e, SourceError::UnknownDtype { path, tensor, .. }
        if path.ends_with(SHARD2) && tensor == "c"));
}

// ---------------------------------------------------------------------------------------------
// FP8

fn e4m3(v: f32) -> u8 {
    // Exact small values only (exponent bias 7, 3 mantissa bits).
    const TABLE: [(f32, u8); 6] = [
        (1.0, 0x38),
        (2.0, 0x40),
        (0.5, 0x30),
        (-1.0, 0xB8),
        (1.5, 0x3C),
        (3.0, 0x44),
    ];
    TABLE
        .iter()
        .find(|(x, _)| *x == v)
        .map(|&(_, b)| b)
        .expect("no exact encoding in this helper")
}

fn fp8_config(block: serde_json::Value) -> serde_json::Value {
    json!({"quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "weight_block_size": block}})
}

/// layers.0: 3x5 FP8 weight with a 2x3 block scale (block 2x2); plus a norm, an unused
/// activation scale, and a BF16 tensor after.
fn fp8_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let w: Vec<f32> = vec![
        1.0, 2.0, 0.5, -1.0, 1.5, //
        3.0, 1.0, 1.0, 1.0, 1.0, //
        2.0, 2.0, 2.0, 2.0, -1.0,
    ];
    let w: Vec<u8> = w.into_iter().map(e4m3).collect();
    write(
        dir.path(),
        "model.safetensors",
        &st_file(
            &[
                ("model.layers.0.a.weight", "F8_E4M3", vec![3, 5], w),
                (
                    "model.layers.0.a.weight_scale_inv",
                    "F32",
                    vec![2, 3],
                    f32s(&[1., 2., 3., 4., 5., 6.]),
                ),
                (
                    "model.layers.0.a.activation_scale",
                    "F32",
                    vec![],
                    f32s(&[1.]),
                ),
                (
                    "model.layers.0.norm.weight",
                    "BF16",
                    vec![2],
                    bf16s(&[1., 2.]),
                ),
                ("model.embed.weight", "F32", vec![1], f32s(&[9.])),
            ],
            None,
        ),
    );
    dir
}

#[test]
fn fp8_block_dequant() {
    let dir = fp8_dir();
    let ck = Checkpoint::open(dir.path()).unwrap();
    let lt = ck.logical_tensors(&fp8_config(json!([2, 2]))).unwrap();
    let names: Vec<_> = lt.iter().map(|t| t.name()).collect();
    // The weight keeps its dict position; the scale and the activation scale are gone.
    assert_eq!(
        names,
        [
            "model.embed.weight",
            "model.layers.0.a.weight",
            "model.layers.0.norm.weight"
        ]
    );
    let w = &lt[1];
    assert!(w.is_fp8_dequantized());
    assert_eq!(w.dtype(), Dtype::F32);
    assert_eq!(w.shape(), &[3, 5]);
    assert_eq!(w.f16_bytes(), None);
    #[rustfmt::skip]
    let want = [
        1.0, 2.0, 1.0, -2.0, 4.5,
        3.0, 1.0, 2.0, 2.0, 3.0,
        8.0, 8.0, 10.0, 10.0, -6.0,
    ];
    assert_eq!(w.to_f32().unwrap(), want);
    // Without a quantization config the tensors pass through untouched.
    let raw = ck.logical_tensors(&json!({})).unwrap();
    assert_eq!(raw.len(), 5);
    assert!(raw.iter().all(|t| !t.is_fp8_dequantized()));
}

#[test]
fn fp8_without_block_size_broadcasts() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "model.safetensors",
        &st_file(
            &[
                (
                    "x.weight",
                    "F8_E4M3",
                    vec![2, 2],
                    vec![e4m3(1.0), e4m3(2.0), e4m3(3.0), e4m3(0.5)],
                ),
                ("x.weight_scale_inv", "BF16", vec![2], bf16s(&[2.0, 4.0])),
            ],
            None,
        ),
    );
    let ck = Checkpoint::open(dir.path()).unwrap();
    let lt = ck
        .logical_tensors(&fp8_config(serde_json::Value::Null))
        .unwrap();
    assert_eq!(lt.len(), 1);
    assert_eq!(lt[0].to_f32().unwrap(), [2.0, 4.0, 12.0, 2.0]);
}

#[test]
fn fp8_errors() {
    let dir = fp8_dir();
    let ck = Checkpoint::open(dir.path()).unwrap();
    // Scale 2x3 with block 1x1 covers only 2x3 of the 3x5 weight.
    assert!(matches!(
        ck.logical_tensors(&fp8_config(json!([1, 1]))),
        Err(SourceError::Fp8ScaleShape { tensor, .. }) if tensor == "model.layers.0.a.weight"
    ));
    assert!(matches!(
        ck.logical_tensors(&fp8_config(json!("128"))),
        Err(SourceError::InvalidQuantConfig { .. })
    ));
    for method in ["gptq", "bitnet", "compressed-tensors", "awq"] {
        assert!(matches!(
            ck.logical_tensors(&json!({"quantization_config": {"quant_method": method}})),
            Err(SourceError::UnsupportedQuantization { method: m }) if m == method
        ));
    }
    // A producer named in hf_quant_config.json becomes the method, as in the script.
    write(
        dir.path(),
        "hf_quant_config.json",
        &serde_json::to_vec(
            &json!({"producer": {"name": "ModelOpt"}, "quantization": {"quant_algo": "FP8"}}),
        )
        .unwrap(),
    );
    assert!(matches!(
        ck.logical_tensors(&json!({})),
        Err(SourceError::UnsupportedQuantization { method }) if method == "modelopt"
    ));

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "model.safetensors",
        &st_file(&[("x.weight_scale_inv", "F32", vec![1], f32s(&[1.]))], None),
    );
    let ck = Checkpoint::open(dir.path()).unwrap();
    assert!(matches!(
        ck.logical_tensors(&fp8_config(json!([128, 128]))),
        Err(SourceError::Fp8MissingWeight { scale, weight }) if scale == "x.weight_scale_inv" && weight == "x.weight"
    ));
}

#[test]
fn fp8_unloadable_weight_dtype() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "model.safetensors",
        &st_file(
            &[
                ("x.weight", "U16", vec![1], vec![1, 0]),
                ("x.weight_scale_inv", "F32", vec![1], f32s(&[1.])),
            ],
            None,
        ),
    );
    let ck = Checkpoint::open(dir.path()).unwrap();
    let lt = ck
        .logical_tensors(&fp8_config(serde_json::Value::Null))
        .unwrap();
    assert!(matches!(
        lt[0].to_f32(),
        Err(SourceError::DtypeNotLoadable {
            dtype: Dtype::U16,
            ..
        })
    ));
}
