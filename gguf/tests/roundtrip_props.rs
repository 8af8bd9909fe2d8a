//! Property tests: whatever metadata and tensors go through `GgufWriter`, under either byte order
//! and any alignment, come back from `Gguf::parse` and `Gguf::read_header` exactly; rewriting a
//! parsed file gives the same bytes; and files encoded by an independent hand encoder (GGUF v1,
//! v2 and v3, either byte order) read back with the same values.

use ggufpack_gguf::{
    ArrayValue, Endian, GgmlType, Gguf, GgufWriter, MetadataValue, ReadOptions, Value, ValueType,
};
use proptest::collection::{hash_set, vec};
use proptest::prelude::*;
use proptest::strategy::Union;

// ---------------------------------------------------------------------------------------------
// Hand encoder: an independent implementation of the GGUF layout (v1: u32 counts, string
// lengths, array lengths and dims; v2/v3: u64), in either byte order.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Fmt {
    big: bool,
    version: u32,
}

struct Hand {
    f: Fmt,
    out: Vec<u8>,
}

impl Hand {
    /// Magic, version and the two counts.
    fn header(f: Fmt, n_tensors: u64, n_kv: u64) -> Hand {
        let mut h = Hand {
            f,
            out: b"GGUF".to_vec(),
        };
        h.u32(f.version);
        h.len(n_tensors);
        h.len(n_kv);
        h
    }
    fn put<const N: usize>(&mut self, le: [u8; N], be: [u8; N]) {
        self.out
            .extend_from_slice(if self.f.big { &be } else { &le });
    }
    fn u8(&mut self, v: u8) {
        self.out.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.put(v.to_le_bytes(), v.to_be_bytes())
    }
    fn u32(&mut self, v: u32) {
        self.put(v.to_le_bytes(), v.to_be_bytes())
    }
    fn u64(&mut self, v: u64) {
        self.put(v.to_le_bytes(), v.to_be_bytes())
    }
    /// A count or length: u32 in v1, u64 after.
    fn len(&mut self, n: u64) {
        if self.f.version == 1 {
            self.u32(u32::try_from(n).expect("v1 length fits u32"))
        } else {
            self.u64(n)
        }
    }
    fn str(&mut self, s: &[u8]) {
        self.len(s.len() as u64);
        self.out.extend_from_slice(s);
    }
    fn kv(&mut self, key: &str, v: &MetadataValue) {
        self.str(key.as_bytes());
        self.u32(v.value_type().id());
        self.value(v);
    }
    fn value(&mut self, v: &MetadataValue) {
        match v {
            MetadataValue::U8(x) => self.u8(*x),
            MetadataValue::I8(x) => self.u8(*x as u8),
            MetadataValue::U16(x) => self.u16(*x),
            MetadataValue::I16(x) => self.u16(*x as u16),
            MetadataValue::U32(x) => self.u32(*x),
            MetadataValue::I32(x) => self.u32(*x as u32),
            MetadataValue::F32(x) => self.u32(x.to_bits()),
            MetadataValue::Bool(x) => self.u8(u8::from(*x)),
            MetadataValue::String(s) => self.str(s.as_bytes()),
            MetadataValue::Array(a) => self.array(a),
            MetadataValue::U64(x) => self.u64(*x),
            MetadataValue::I64(x) => self.u64(*x as u64),
            MetadataValue::F64(x) => self.u64(x.to_bits()),
        }
    }
    fn array(&mut self, a: &ArrayValue) {
        self.u32(a.elem_type().id());
        self.len(a.len() as u64);
        for e in array_elems(a) {
            self.value(&e);
        }
    }
    fn tensor_info(&mut self, name: &str, dims: &[u64], ty: GgmlType, offset: u64) {
        self.str(name.as_bytes());
        self.u32(dims.len() as u32);
        for &d in dims {
            self.len(d); // dims are u32 in v1, like lengths
        }
        self.u32(ty.id());
        self.u64(offset);
    }
    fn pad_to(&mut self, align: usize) {
        while self.out.len() % align != 0 {
            self.out.push(0);
        }
    }
}

/// The elements of an owned array as owned values.
fn array_elems(a: &ArrayValue) -> Vec<MetadataValue> {
    fn m<T: Clone>(v: &[T], f: impl Fn(T) -> MetadataValue) -> Vec<MetadataValue> {
        v.iter().cloned().map(f).collect()
    }
    match a {
        ArrayValue::U8(v) => m(v, MetadataValue::U8),
        ArrayValue::I8(v) => m(v, MetadataValue::I8),
        ArrayValue::U16(v) => m(v, MetadataValue::U16),
        ArrayValue::I16(v) => m(v, MetadataValue::I16),
        ArrayValue::U32(v) => m(v, MetadataValue::U32),
        ArrayValue::I32(v) => m(v, MetadataValue::I32),
        ArrayValue::F32(v) => m(v, MetadataValue::F32),
        ArrayValue::Bool(v) => m(v, MetadataValue::Bool),
        ArrayValue::String(v) => m(v, MetadataValue::String),
        ArrayValue::Array(v) => m(v, MetadataValue::Array),
        ArrayValue::U64(v) => m(v, MetadataValue::U64),
        ArrayValue::I64(v) => m(v, MetadataValue::I64),
        ArrayValue::F64(v) => m(v, MetadataValue::F64),
    }
}

// ---------------------------------------------------------------------------------------------
// Equality with floats compared by bit pattern (NaN payloads included).
// ---------------------------------------------------------------------------------------------

fn same_value(a: &MetadataValue, b: &MetadataValue) -> bool {
    use MetadataValue as M;
    match (a, b) {
        (M::F32(x), M::F32(y)) => x.to_bits() == y.to_bits(),
        (M::F64(x), M::F64(y)) => x.to_bits() == y.to_bits(),
        (M::Array(x), M::Array(y)) => same_array(x, y),
        _ => a == b,
    }
}

fn same_array(a: &ArrayValue, b: &ArrayValue) -> bool {
    a.elem_type() == b.elem_type()
        && a.len() == b.len()
        && array_elems(a)
            .iter()
            .zip(array_elems(b).iter())
            .all(|(x, y)| same_value(x, y))
}

/// Walks a borrowed array completely (iter, get, strings, raw bytes) and checks it against the
/// owned value it should hold.
fn check_view(view: &ggufpack_gguf::ArrayView<'_>, expected: &ArrayValue) {
    assert_eq!(view.elem_type(), expected.elem_type());
    assert_eq!(view.len(), expected.len() as u64);
    assert_eq!(view.is_empty(), expected.is_empty());
    let owned = view.to_owned_array();
    assert!(same_array(&owned, expected), "{owned:?} != {expected:?}");
    let elems = array_elems(expected);
    let mut n = 0;
    for (i, v) in view.iter().enumerate() {
        assert!(same_value(&v.to_owned_value(), &elems[i]));
        // `get` is O(i) for strings and arrays: spot-check long ones.
        if i < 64 || view.elem_type().fixed_size().is_some() || i % 997 == 0 {
            let got = view.get(i as u64).expect("get in range");
            assert!(same_value(&got.to_owned_value(), &elems[i]));
        }
        if let (Value::Array(inner), MetadataValue::Array(exp)) = (v, &elems[i]) {
            check_view(&inner, exp);
        }
        n += 1;
    }
    assert_eq!(n, elems.len());
    assert!(view.get(expected.len() as u64).is_none());
    if let ArrayValue::String(strings) = expected {
        let got: Vec<&str> = view.strings().map(|s| s.as_str().unwrap()).collect();
        assert_eq!(got, strings.iter().map(String::as_str).collect::<Vec<_>>());
    } else {
        assert_eq!(view.strings().count(), 0);
    }
    if let ArrayValue::U8(bytes) = expected {
        assert_eq!(view.raw_bytes(), bytes.as_slice());
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies.
// ---------------------------------------------------------------------------------------------

/// Any string, all of Unicode (NUL, surrogates excluded by `char`, astral planes included).
fn ustring() -> impl Strategy<Value = String> {
    prop_oneof![
        vec(any::<char>(), 0..10).prop_map(|v| v.into_iter().collect::<String>()),
        "[a-zA-Z0-9 _.-]{0,12}",
        Just(String::new()),
        Just("héllo wörld ✓ 🦀 \u{0} \u{10FFFF}".to_string()),
    ]
}

fn f32_any() -> impl Strategy<Value = f32> {
    any::<u32>().prop_map(f32::from_bits)
}

fn f64_any() -> impl Strategy<Value = f64> {
    any::<u64>().prop_map(f64::from_bits)
}

fn leaf_array() -> impl Strategy<Value = ArrayValue> {
    const N: std::ops::Range<usize> = 0..6;
    Union::new(vec![
        vec(any::<u8>(), N).prop_map(ArrayValue::U8).boxed(),
        vec(any::<i8>(), N).prop_map(ArrayValue::I8).boxed(),
        vec(any::<u16>(), N).prop_map(ArrayValue::U16).boxed(),
        vec(any::<i16>(), N).prop_map(ArrayValue::I16).boxed(),
        vec(any::<u32>(), N).prop_map(ArrayValue::U32).boxed(),
        vec(any::<i32>(), N).prop_map(ArrayValue::I32).boxed(),
        vec(f32_any(), N).prop_map(ArrayValue::F32).boxed(),
        vec(any::<bool>(), N).prop_map(ArrayValue::Bool).boxed(),
        vec(ustring(), N).prop_map(ArrayValue::String).boxed(),
        vec(any::<u64>(), N).prop_map(ArrayValue::U64).boxed(),
        vec(any::<i64>(), N).prop_map(ArrayValue::I64).boxed(),
        vec(f64_any(), N).prop_map(ArrayValue::F64).boxed(),
    ])
}

/// Arrays of every element type, nested up to three levels of arrays of arrays.
fn array_value() -> impl Strategy<Value = ArrayValue> {
    leaf_array().prop_recursive(3, 24, 4, |inner| {
        vec(inner, 0..4).prop_map(ArrayValue::Array)
    })
}

fn metadata_value() -> impl Strategy<Value = MetadataValue> {
    Union::new(vec![
        any::<u8>().prop_map(MetadataValue::U8).boxed(),
        any::<i8>().prop_map(MetadataValue::I8).boxed(),
        any::<u16>().prop_map(MetadataValue::U16).boxed(),
        any::<i16>().prop_map(MetadataValue::I16).boxed(),
        any::<u32>().prop_map(MetadataValue::U32).boxed(),
        any::<i32>().prop_map(MetadataValue::I32).boxed(),
        f32_any().prop_map(MetadataValue::F32).boxed(),
        any::<bool>().prop_map(MetadataValue::Bool).boxed(),
        ustring().prop_map(MetadataValue::String).boxed(),
        array_value().prop_map(MetadataValue::Array).boxed(),
        any::<u64>().prop_map(MetadataValue::U64).boxed(),
        any::<i64>().prop_map(MetadataValue::I64).boxed(),
        f64_any().prop_map(MetadataValue::F64).boxed(),
    ])
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_]{0,8}(\\.[a-z0-9_]{1,8}){0,3}",
        vec(any::<char>(), 1..8).prop_map(|v| v.into_iter().collect::<String>()),
    ]
    .prop_filter("not the alignment key", |k| k != "general.alignment")
}

fn kvs() -> impl Strategy<Value = Vec<(String, MetadataValue)>> {
    (hash_set(key(), 0..8), vec(metadata_value(), 8))
        .prop_map(|(keys, values)| keys.into_iter().zip(values).collect())
}

#[derive(Debug, Clone)]
struct TensorSpec {
    name: String,
    dims: Vec<u64>,
    ty: GgmlType,
    data: Vec<u8>,
}

fn tensor_specs(max_dim: u64) -> impl Strategy<Value = Vec<TensorSpec>> {
    let one = (
        0..GgmlType::ALL.len(),
        0..=3u64,
        vec(0..=max_dim, 0..=3),
        any::<u64>(),
    );
    let name = prop_oneof![
        "[a-z]{1,6}(\\.[0-9]{1,2})?\\.(weight|bias)",
        vec(any::<char>(), 1..12).prop_map(|v| v.into_iter().collect::<String>()),
    ];
    (hash_set(name, 0..5), vec(one, 5)).prop_map(|(names, specs)| {
        names
            .into_iter()
            .zip(specs)
            .map(|(name, (ti, blocks, rest, seed))| {
                let ty = GgmlType::ALL[ti];
                let mut dims = vec![blocks * ty.block_size()];
                dims.extend(rest);
                let n_bytes = ggufpack_gguf::tensor_size(ty, &dims).unwrap().1;
                TensorSpec {
                    name,
                    dims,
                    ty,
                    data: pseudo_random_bytes(seed, n_bytes as usize),
                }
            })
            .collect()
    })
}

fn pseudo_random_bytes(mut seed: u64, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        // splitmix64
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        out.extend_from_slice(&z.to_le_bytes());
    }
    out.truncate(n);
    out
}

fn endian() -> impl Strategy<Value = Endian> {
    prop_oneof![Just(Endian::Little), Just(Endian::Big)]
}

fn alignment() -> impl Strategy<Value = u32> {
    prop_oneof![Just(1u32), Just(8), Just(32), Just(64), Just(4096)]
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Never write regression files into the source tree.
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Writer -> reader.
// ---------------------------------------------------------------------------------------------

fn write(
    kvs: &[(String, MetadataValue)],
    tensors: &[TensorSpec],
    endian: Endian,
    alignment: u32,
) -> Vec<u8> {
    let mut w = GgufWriter::new();
    w.set_endian(endian);
    w.set_alignment(alignment).unwrap();
    for (k, v) in kvs {
        w.add_kv(k, v.clone()).unwrap();
    }
    for t in tensors {
        w.add_tensor(&t.name, &t.dims, t.ty, t.data.as_slice())
            .unwrap();
    }
    let mut out = Vec::new();
    let n = w.write_to(&mut out).unwrap();
    assert_eq!(n, out.len() as u64, "write_to returns the bytes written");
    out
}

/// The key-value pairs a file written with `kvs` and `alignment` holds, in order.
fn expected_kvs(kvs: &[(String, MetadataValue)], alignment: u32) -> Vec<(String, MetadataValue)> {
    let mut expected = kvs.to_vec();
    if alignment != 32 {
        expected.push(("general.alignment".into(), MetadataValue::U32(alignment)));
    }
    expected
}

fn check_metadata(g: &Gguf<impl AsRef<[u8]>>, expected: &[(String, MetadataValue)]) {
    let md = g.metadata();
    assert_eq!(md.len(), expected.len());
    assert_eq!(md.is_empty(), expected.is_empty());
    let got: Vec<(&str, Value<'_>)> = md.iter().collect();
    assert_eq!(got.len(), expected.len());
    for ((k, v), (ek, ev)) in got.iter().zip(expected) {
        assert_eq!(k, ek);
        let owned = v.to_owned_value();
        assert!(same_value(&owned, ev), "key {k:?}: {owned:?} != {ev:?}");
        assert_eq!(v.value_type(), ev.value_type());
        let by_key = md.get(k).expect("get finds every key");
        assert!(same_value(&by_key.to_owned_value(), ev));
        assert!(md.contains_key(k));
        let (ty, raw) = md.raw_value(k).unwrap();
        assert_eq!(ty, ev.value_type());
        if let MetadataValue::String(s) = ev {
            assert_eq!(v.as_str(), Some(s.as_str()));
            assert_eq!(
                raw.len() as u64,
                g.encoding().length_size() + s.len() as u64
            );
        }
        if let (Value::Array(view), MetadataValue::Array(ea)) = (v, ev) {
            check_view(view, ea);
        }
    }
    let keys: Vec<&str> = md.keys().collect();
    assert_eq!(
        keys,
        expected.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>()
    );
}

fn check_tensors(g: &Gguf<impl AsRef<[u8]>>, tensors: &[TensorSpec], alignment: u32) {
    assert_eq!(g.tensors().len(), tensors.len());
    let mut next = 0u64;
    for (info, spec) in g.tensors().iter().zip(tensors) {
        assert_eq!(info.name(), spec.name);
        assert_eq!(info.dims(), spec.dims.as_slice());
        assert_eq!(info.ggml_type(), spec.ty);
        assert_eq!(info.n_bytes(), spec.data.len() as u64);
        assert_eq!(info.n_elements(), spec.dims.iter().product::<u64>());
        assert_eq!(info.offset() % u64::from(alignment), 0);
        assert_eq!(info.offset(), next, "tensors are laid out contiguously");
        next = (info.offset() + info.n_bytes()).div_ceil(alignment.into()) * u64::from(alignment);
        assert_eq!(g.tensor_data(info).unwrap(), spec.data.as_slice());
        assert_eq!(
            g.tensor_data_by_name(&spec.name).unwrap(),
            spec.data.as_slice()
        );
        assert_eq!(g.tensor(&spec.name), Some(info));
        let rev: Vec<u64> = spec.dims.iter().rev().copied().collect();
        assert_eq!(info.shape_pytorch(), rev);
    }
    assert_eq!(
        g.tensor_bytes(),
        tensors.iter().map(|t| t.data.len() as u64).sum::<u64>()
    );
}

/// What `read_header` is expected to have consumed: chunks of 64 KiB growing fourfold until the
/// header parses.
fn check_streamed(bytes: &[u8], g: &Gguf<&[u8]>) {
    let sh = Gguf::read_header(bytes, &ReadOptions::default()).unwrap();
    let h = &sh.gguf;
    assert!(!h.has_tensor_data());
    assert_eq!(h.version(), g.version());
    assert_eq!(h.endian(), g.endian());
    assert_eq!(h.alignment(), g.alignment());
    assert_eq!(h.data_offset(), g.data_offset());
    assert_eq!(h.header_len(), g.header_len());
    assert_eq!(h.tensors(), g.tensors());
    let a: Vec<_> = h
        .metadata()
        .iter()
        .map(|(k, v)| (k, v.to_owned_value()))
        .collect();
    let b: Vec<_> = g
        .metadata()
        .iter()
        .map(|(k, v)| (k, v.to_owned_value()))
        .collect();
    assert_eq!(a.len(), b.len());
    for ((ka, va), (kb, vb)) in a.iter().zip(&b) {
        assert_eq!(ka, kb);
        assert!(same_value(va, vb));
    }
    for t in h.tensors() {
        assert!(matches!(
            h.tensor_data(t).unwrap_err(),
            ggufpack_gguf::Error::NoTensorData { .. }
        ));
    }

    let data_offset = g.data_offset() as usize;
    let mut chunk = 64 * 1024usize;
    while chunk < g.header_len() as usize {
        chunk *= 4;
    }
    let read = bytes.len().min(chunk);
    if read >= data_offset {
        assert_eq!(h.as_bytes(), &bytes[..data_offset]);
        assert_eq!(sh.excess.as_slice(), &bytes[data_offset..read]);
    } else {
        assert_eq!(h.as_bytes(), &bytes[..read]);
        assert!(sh.excess.is_empty());
    }
}

fn rewrite(g: &Gguf<&[u8]>, endian: Endian, alignment: u32) -> Vec<u8> {
    let mut w = GgufWriter::new();
    w.set_endian(endian);
    w.set_alignment(alignment).unwrap();
    for (k, v) in g.metadata().iter() {
        w.add_kv_view(k, v).unwrap();
    }
    for t in g.tensors() {
        w.add_tensor(t.name(), t.dims(), t.ggml_type(), g.tensor_data(t).unwrap())
            .unwrap();
    }
    let mut out = Vec::new();
    w.write_to(&mut out).unwrap();
    out
}

fn other(e: Endian) -> Endian {
    match e {
        Endian::Little => Endian::Big,
        Endian::Big => Endian::Little,
    }
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn writer_output_reads_back_exactly(
        kvs in kvs(),
        tensors in tensor_specs(3),
        endian in endian(),
        alignment in alignment(),
    ) {
        let bytes = write(&kvs, &tensors, endian, alignment);
        let expected = expected_kvs(&kvs, alignment);

        let g = Gguf::parse(bytes.as_slice()).unwrap();
        prop_assert_eq!(g.version(), 3);
        prop_assert_eq!(g.endian(), endian);
        prop_assert_eq!(g.encoding().endian, endian);
        prop_assert_eq!(g.alignment(), alignment);
        prop_assert_eq!(g.metadata().alignment(), alignment);
        prop_assert_eq!(g.data_offset() % u64::from(alignment), 0);
        prop_assert!(g.header_len() <= g.data_offset());
        prop_assert!(g.has_tensor_data());
        check_metadata(&g, &expected);
        check_tensors(&g, &tensors, alignment);

        // Header-only parse of the same bytes, and of the bytes cut at the data section.
        let ho = Gguf::parse_header_only(&bytes[..g.data_offset() as usize], &ReadOptions::default()).unwrap();
        prop_assert_eq!(ho.tensors(), g.tensors());
        check_metadata(&ho, &expected);

        check_streamed(&bytes, &g);

        // Same settings: add_kv_view + add_tensor reproduce the file byte for byte.
        let again = rewrite(&g, endian, alignment);
        prop_assert!(again == bytes, "rewrite differs: {} vs {} bytes", again.len(), bytes.len());

        // The other byte order: same values, and back again gives the original bytes.
        let flipped = rewrite(&g, other(endian), alignment);
        let gf = Gguf::parse(flipped.as_slice()).unwrap();
        prop_assert_eq!(gf.endian(), other(endian));
        check_metadata(&gf, &expected);
        check_tensors(&gf, &tensors, alignment);
        let back = rewrite(&gf, endian, alignment);
        prop_assert!(back == bytes, "byte order round trip differs");

        // A rewrite's llama.cpp issues are the same as the original's.
        prop_assert_eq!(g.validate_for_llama_cpp().len() + usize::from(endian == Endian::Little) ,
            gf.validate_for_llama_cpp().len() + usize::from(endian == Endian::Big));
        let _ = g.facts();
    }

    #[test]
    fn hand_encoded_v1_v2_v3_read_back(
        kvs in kvs(),
        tensors in tensor_specs(3),
        big in any::<bool>(),
        version in 1u32..=3,
    ) {
        let f = Fmt { big, version };
        let mut h = Hand::header(f, tensors.len() as u64, kvs.len() as u64);
        for (k, v) in &kvs {
            h.kv(k, v);
        }
        let mut offset = 0u64;
        let mut offsets = Vec::new();
        for t in &tensors {
            offsets.push(offset);
            h.tensor_info(&t.name, &t.dims, t.ty, offset);
            offset = (offset + t.data.len() as u64).div_ceil(32) * 32;
        }
        h.pad_to(32);
        let data_offset = h.out.len() as u64;
        for (t, &o) in tensors.iter().zip(&offsets) {
            h.out.resize((data_offset + o) as usize, 0);
            h.out.extend_from_slice(&t.data);
        }
        h.pad_to(32);
        let bytes = h.out;

        let g = Gguf::parse(bytes.as_slice()).unwrap();
        prop_assert_eq!(g.version(), version);
        prop_assert_eq!(g.endian(), if big { Endian::Big } else { Endian::Little });
        prop_assert_eq!(g.alignment(), 32);
        prop_assert_eq!(g.data_offset(), data_offset);
        check_metadata(&g, &kvs);
        check_tensors(&g, &tensors, 32);
        check_streamed(&bytes, &g);
        let issues = g.validate_for_llama_cpp();
        prop_assert_eq!(
            issues.contains(&ggufpack_gguf::LlamaCppIssue::Version(1)),
            version == 1
        );
        prop_assert_eq!(issues.contains(&ggufpack_gguf::LlamaCppIssue::BigEndian), big);

        // v3 hand encoding is exactly what the writer produces.
        if version == 3 {
            let endian = if big { Endian::Big } else { Endian::Little };
            prop_assert!(write(&kvs, &tensors, endian, 32) == bytes, "writer differs from hand encoding");
        }
        // Any version re-encodes as v3 with the same values.
        let endian = if big { Endian::Big } else { Endian::Little };
        let v3 = rewrite(&g, endian, 32);
        let g3 = Gguf::parse(v3.as_slice()).unwrap();
        prop_assert_eq!(g3.version(), 3);
        check_metadata(&g3, &kvs);
        check_tensors(&g3, &tensors, 32);
    }
}

#[test]
fn every_ggml_type_round_trips_with_every_alignment() {
    for endian in [Endian::Little, Endian::Big] {
        for alignment in [1u32, 8, 32, 64, 4096] {
            let tensors: Vec<TensorSpec> = GgmlType::ALL
                .iter()
                .enumerate()
                .map(|(i, &ty)| {
                    let dims = vec![ty.block_size() * (1 + i as u64 % 2), 1 + i as u64 % 3];
                    let n = ggufpack_gguf::tensor_size(ty, &dims).unwrap().1 as usize;
                    TensorSpec {
                        name: format!("t{i}.{}", ty.name()),
                        dims,
                        ty,
                        data: pseudo_random_bytes(i as u64, n),
                    }
                })
                .collect();
            let kvs = vec![
                (
                    "general.architecture".to_string(),
                    MetadataValue::from("llama"),
                ),
                (
                    "tokenizer.ggml.tokens".to_string(),
                    MetadataValue::from(vec!["<s>", "</s>", "ü", ""]),
                ),
                (
                    "nested".to_string(),
                    MetadataValue::Array(ArrayValue::Array(vec![
                        ArrayValue::Array(vec![
                            ArrayValue::String(vec!["x".into()]),
                            ArrayValue::U8(vec![]),
                        ]),
                        ArrayValue::F64(vec![f64::NAN, -0.0]),
                    ])),
                ),
                (
                    "empty".to_string(),
                    MetadataValue::Array(ArrayValue::Array(vec![])),
                ),
                (
                    "nan".to_string(),
                    MetadataValue::F32(f32::from_bits(0x7fa0_0001)),
                ),
            ];
            let bytes = write(&kvs, &tensors, endian, alignment);
            let g = Gguf::parse(bytes.as_slice()).unwrap();
            assert_eq!((g.endian(), g.alignment()), (endian, alignment));
            check_metadata(&g, &expected_kvs(&kvs, alignment));
            check_tensors(&g, &tensors, alignment);
            check_streamed(&bytes, &g);
            assert!(rewrite(&g, endian, alignment) == bytes);
            let issues = g.validate_for_llama_cpp();
            assert!(issues.contains(&ggufpack_gguf::LlamaCppIssue::NestedArray {
                key: "nested".into()
            }));
            assert!(issues.contains(&ggufpack_gguf::LlamaCppIssue::NestedArray {
                key: "empty".into()
            }));
            assert_eq!(
                issues.contains(&ggufpack_gguf::LlamaCppIssue::BigEndian),
                endian == Endian::Big
            );
            assert!(!issues
                .iter()
                .any(|i| matches!(i, ggufpack_gguf::LlamaCppIssue::NonContiguousOffset { .. })));
        }
    }
}

#[test]
fn big_header_streams_in_growing_chunks() {
    // A header over 64 KiB (a 20k-entry vocabulary) makes read_header read more than one chunk.
    let tokens: Vec<String> = (0..20_000).map(|i| format!("tok{i}")).collect();
    let kvs = vec![(
        "tokenizer.ggml.tokens".to_string(),
        MetadataValue::Array(ArrayValue::String(tokens)),
    )];
    let tensors = vec![TensorSpec {
        name: "w".into(),
        dims: vec![64, 1024],
        ty: GgmlType::F32,
        data: pseudo_random_bytes(7, 64 * 1024 * 4),
    }];
    for endian in [Endian::Little, Endian::Big] {
        let bytes = write(&kvs, &tensors, endian, 32);
        let g = Gguf::parse(bytes.as_slice()).unwrap();
        assert!(g.header_len() > 64 * 1024);
        check_metadata(&g, &kvs);
        check_streamed(&bytes, &g);
        assert_eq!(
            g.metadata().tokens().unwrap().get(12345).unwrap().as_str(),
            Some("tok12345")
        );
        assert_eq!(g.metadata().vocab_size(), Some(20_000));
    }
}

#[test]
fn value_type_ids_match_the_format() {
    for id in 0..=12u32 {
        assert_eq!(ValueType::from_id(id).unwrap().id(), id);
    }
    assert_eq!(ValueType::from_id(13), None);
}

/// A call the writer refuses must leave it as it was: a second `general.alignment` is a
/// duplicate key, and must not change the alignment the first one set.
#[test]
fn refused_duplicate_alignment_key_changes_nothing() {
    let data = pseudo_random_bytes(1, 32);
    let mut w = GgufWriter::new();
    w.add_kv("general.alignment", 64u32).unwrap();
    w.add_kv("k", "some value").unwrap();
    assert!(matches!(
        w.add_kv("general.alignment", 8u32),
        Err(ggufpack_gguf::Error::DuplicateKey { .. })
    ));
    w.add_tensor("a", &[8], GgmlType::F32, data.as_slice())
        .unwrap();
    w.add_tensor("b", &[8], GgmlType::F32, data.as_slice())
        .unwrap();
    let mut bytes = Vec::new();
    w.write_to(&mut bytes).unwrap();
    let g = Gguf::parse(bytes.as_slice()).expect("the writer's output parses");
    assert_eq!(g.alignment(), 64);
    assert_eq!(g.tensor_data_by_name("b").unwrap(), data.as_slice());
}

/// `set_alignment` after `general.alignment` was added: the file must still say the alignment
/// it is laid out with (or the call must be refused).
#[test]
fn set_alignment_after_the_alignment_key_keeps_the_file_consistent() {
    let data = pseudo_random_bytes(2, 32);
    let mut w = GgufWriter::new();
    w.add_kv("general.alignment", 32u32).unwrap();
    w.add_kv("pad", "xxxxx").unwrap();
    if w.set_alignment(256).is_err() {
        return;
    }
    w.add_tensor("a", &[8], GgmlType::F32, data.as_slice())
        .unwrap();
    w.add_tensor("b", &[8], GgmlType::F32, data.as_slice())
        .unwrap();
    let mut bytes = Vec::new();
    w.write_to(&mut bytes).unwrap();
    let g = Gguf::parse(bytes.as_slice()).expect("the writer's output parses");
    assert_eq!(g.tensor_data_by_name("a").unwrap(), data.as_slice());
    assert_eq!(g.tensor_data_by_name("b").unwrap(), data.as_slice());
}
