//! Hostile input: mutated, truncated and hand-built files. The reader must answer every one of
//! them with `Ok` or a typed `Err` (never a panic, never an allocation sized by an unchecked
//! number), with the specific error variant for each kind of damage; and what it accepts must be
//! fully readable.

use std::time::{Duration, Instant};

use ggufpack_gguf::{
    ArrayValue, Endian, Error, GgmlType, Gguf, GgufWriter, LlamaCppIssue, MetadataValue,
    ReadOptions, Value, ValueType,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

// ---------------------------------------------------------------------------------------------
// Hand-built headers: little or big endian, v1 (u32 counts, lengths and dims) or v2/v3 (u64).
// ---------------------------------------------------------------------------------------------

const T_U8: u32 = 0;
const T_U32: u32 = 4;
const T_STRING: u32 = 8;
const T_ARRAY: u32 = 9;
const T_U64: u32 = 10;

const F32: u32 = 0;
const Q4_0: u32 = 2;
const I8: u32 = 24;

#[derive(Debug, Clone)]
struct H {
    big: bool,
    version: u32,
    out: Vec<u8>,
}

impl H {
    /// Magic `GGUF` and `version` in the chosen byte order; counts follow with [`H::counts`].
    fn new(big: bool, version: u32) -> H {
        let mut h = H {
            big,
            version,
            out: b"GGUF".to_vec(),
        };
        h.u32(version);
        h
    }
    /// Little-endian v3 with the two counts.
    fn v3(n_tensors: u64, n_kv: u64) -> H {
        let mut h = H::new(false, 3);
        h.counts(n_tensors, n_kv);
        h
    }
    fn counts(&mut self, n_tensors: u64, n_kv: u64) -> &mut Self {
        self.len(n_tensors).len(n_kv)
    }
    fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.out.extend_from_slice(b);
        self
    }
    fn u8(&mut self, v: u8) -> &mut Self {
        self.raw(&[v])
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        if self.big {
            self.raw(&v.to_be_bytes())
        } else {
            self.raw(&v.to_le_bytes())
        }
    }
    fn u64(&mut self, v: u64) -> &mut Self {
        if self.big {
            self.raw(&v.to_be_bytes())
        } else {
            self.raw(&v.to_le_bytes())
        }
    }
    /// A count, length or dim: u32 in v1, u64 in v2 and v3.
    fn len(&mut self, n: u64) -> &mut Self {
        if self.version == 1 {
            self.u32(n as u32)
        } else {
            self.u64(n)
        }
    }
    fn str(&mut self, s: &[u8]) -> &mut Self {
        self.len(s.len() as u64).raw(s)
    }
    /// A key and a value type tag; the value follows.
    fn key(&mut self, key: &[u8], ty: u32) -> &mut Self {
        self.str(key).u32(ty)
    }
    fn kv_u32(&mut self, key: &str, v: u32) -> &mut Self {
        self.key(key.as_bytes(), T_U32).u32(v)
    }
    fn kv_u64(&mut self, key: &str, v: u64) -> &mut Self {
        self.key(key.as_bytes(), T_U64).u64(v)
    }
    fn kv_str(&mut self, key: &str, v: &[u8]) -> &mut Self {
        self.key(key.as_bytes(), T_STRING).str(v)
    }
    /// An array header: element type and length.
    fn array(&mut self, elem: u32, len: u64) -> &mut Self {
        self.u32(elem).len(len)
    }
    /// A tensor info: name, dim count, dims, ggml type id, offset (always u64).
    fn tensor(&mut self, name: &[u8], dims: &[u64], ty: u32, offset: u64) -> &mut Self {
        self.str(name).u32(dims.len() as u32);
        for &d in dims {
            self.len(d);
        }
        self.u32(ty).u64(offset)
    }
    fn pad(&mut self, align: usize) -> &mut Self {
        while self.out.len() % align != 0 {
            self.out.push(0);
        }
        self
    }
    fn zeros(&mut self, n: usize) -> &mut Self {
        self.out.resize(self.out.len() + n, 0);
        self
    }
    fn pad_len(&mut self, total: usize) -> &mut Self {
        assert!(self.out.len() <= total);
        self.out.resize(total, 0);
        self
    }
    fn bytes(&self) -> Vec<u8> {
        self.out.clone()
    }
}

fn permissive() -> ReadOptions {
    ReadOptions {
        max_kv_count: u64::MAX,
        max_tensor_count: u64::MAX,
        max_array_len: u64::MAX,
        max_string_len: u64::MAX,
        max_array_depth: 8,
        max_alignment: u32::MAX,
        strict_utf8: true,
        max_header_bytes: 1 << 28,
    }
}

/// Parses `bytes` whole and checks the error's root with `$pat`; also checks that a header-only
/// parse and a streamed header read fail the same way (for errors in the header itself).
macro_rules! header_err {
    ($bytes:expr, $opts:expr, $pat:pat $(if $guard:expr)?) => {{
        let bytes: &[u8] = &$bytes;
        let opts: &ReadOptions = &$opts;
        let e = Gguf::parse_with(bytes, opts).expect_err("parse should fail");
        assert!(matches!(e.root(), $pat $(if $guard)?), "parse: unexpected error {e:?}");
        let _ = e.to_string();
        let e2 = Gguf::parse_header_only(bytes, opts).expect_err("header-only parse should fail");
        assert!(matches!(e2.root(), $pat $(if $guard)?), "parse_header_only: {e2:?}");
        let e3 = Gguf::read_header(bytes, opts).expect_err("read_header should fail");
        assert!(matches!(e3.root(), $pat $(if $guard)?), "read_header: {e3:?}");
        e
    }};
}

/// Like `header_err!` for errors only a whole-file parse can see (tensor data bounds): the
/// header-only reads succeed.
macro_rules! data_err {
    ($bytes:expr, $pat:pat $(if $guard:expr)?) => {{
        let bytes: &[u8] = &$bytes;
        let e = Gguf::parse(bytes).expect_err("parse should fail");
        assert!(matches!(e.root(), $pat $(if $guard)?), "parse: unexpected error {e:?}");
        let _ = e.to_string();
        let g = Gguf::parse_header_only(bytes, &ReadOptions::default()).unwrap();
        touch(&g);
        let s = Gguf::read_header(bytes, &ReadOptions::default()).unwrap();
        touch(&s.gguf);
        e
    }};
}

// ---------------------------------------------------------------------------------------------
// Touching everything a parsed file offers.
// ---------------------------------------------------------------------------------------------

fn walk(v: Value<'_>) {
    let _ = (
        v.value_type(),
        v.to_u64(),
        v.to_i64(),
        v.to_f64(),
        v.as_str(),
    );
    match v {
        Value::String(s) => {
            let _ = (
                s.as_str(),
                s.to_string_lossy(),
                s.as_bytes().len(),
                format!("{s:?}"),
            );
        }
        Value::Array(a) => {
            let mut n = 0u64;
            for e in a.iter() {
                assert_eq!(e.value_type(), a.elem_type());
                walk(e);
                n += 1;
            }
            assert_eq!(n, a.len(), "an accepted array iterates to its length");
            for s in a.strings() {
                let _ = s.to_string_lossy();
            }
            let owned = a.to_owned_array();
            assert_eq!(owned.len() as u64, a.len());
            assert_eq!(owned.elem_type(), a.elem_type());
            if !a.is_empty() {
                assert!(a.get(0).is_some());
                assert!(a.get(a.len() - 1).is_some());
            }
            assert!(a.get(a.len()).is_none());
            assert!(a.get(u64::MAX).is_none());
            let _ = (a.raw_bytes().len(), a.encoding(), format!("{a:?}"));
        }
        _ => {}
    }
}

fn touch<B: AsRef<[u8]>>(g: &Gguf<B>) {
    let md = g.metadata();
    assert_eq!(md.iter().len(), md.len());
    for (k, v) in md.iter() {
        assert!(!k.is_empty());
        walk(v);
        let got = md.get(k).expect("every listed key can be looked up");
        assert_eq!(got.value_type(), v.value_type());
        let _ = v.to_owned_value();
        let (ty, _) = md.raw_value(k).unwrap();
        assert_eq!(ty, v.value_type());
        let _ = (
            md.get_u64(k),
            md.get_i64(k),
            md.get_f64(k),
            md.get_str(k),
            md.get_bool(k),
        );
    }
    let _ = (
        md.architecture(),
        md.name(),
        md.alignment(),
        md.file_type(),
        md.quantization_version(),
        md.context_length(),
        md.block_count(),
        md.embedding_length(),
        md.head_count_kv(),
        md.expert_count(),
        md.tokenizer_model(),
        md.tokenizer_pre(),
        md.tokens().map(|t| t.strings().count()),
        md.merges().map(|t| t.len()),
        md.vocab_size(),
        md.bos_token_id(),
        md.eos_token_id(),
        md.chat_template(None),
    );
    for t in g.tensors() {
        let _ = (
            t.name(),
            t.dims(),
            t.ggml_type(),
            t.offset(),
            t.n_elements(),
            t.shape_pytorch(),
        );
        assert_eq!(g.tensor(t.name()).map(|x| x.offset()), Some(t.offset()));
        if g.has_tensor_data() {
            let d = g
                .tensor_data(t)
                .expect("an accepted file's tensors are readable");
            assert_eq!(d.len() as u64, t.n_bytes());
            std::hint::black_box(d.iter().fold(0u8, |a, &b| a ^ b));
        } else {
            assert!(matches!(g.tensor_data(t), Err(Error::NoTensorData { .. })));
        }
    }
    let _ = (
        g.version(),
        g.endian(),
        g.alignment(),
        g.data_offset(),
        g.header_len(),
    );
    let _ = g.tensor_bytes();
    let facts = g.facts();
    let _ = (facts.file_type_name(), facts.size_label.len());
    for issue in g.validate_for_llama_cpp() {
        let _ = issue.to_string();
    }
}

/// Every way of reading `bytes`: none may panic; whole-file success implies header success, and
/// a streamed header read (the input is smaller than its first chunk) agrees with a header-only
/// parse.
fn read_every_way(bytes: &[u8]) {
    let whole = Gguf::parse(bytes);
    let header = Gguf::parse_header_only(bytes, &ReadOptions::default());
    let streamed = Gguf::read_header(bytes, &ReadOptions::default());
    if let Ok(g) = &whole {
        touch(g);
        let h = header
            .as_ref()
            .expect("a file that parses has a header that parses");
        assert_eq!(g.tensors(), h.tensors());
    }
    match (&header, &streamed) {
        (Ok(h), Ok(s)) => {
            touch(h);
            touch(&s.gguf);
            assert_eq!(h.tensors(), s.gguf.tensors());
            assert_eq!(h.data_offset(), s.gguf.data_offset());
            assert_eq!(h.metadata().len(), s.gguf.metadata().len());
        }
        (Err(a), Err(b)) => {
            assert_eq!(
                std::mem::discriminant(a.root()),
                std::mem::discriminant(b.root()),
                "{a:?} vs {b:?}"
            );
            let _ = (a.to_string(), b.to_string());
        }
        (a, b) => panic!("header-only parse and read_header disagree: {a:?} vs {b:?}"),
    }
    if let Err(e) = &whole {
        let _ = e.to_string();
    }
    let lenient = ReadOptions {
        strict_utf8: false,
        ..ReadOptions::default()
    };
    if let Ok(g) = Gguf::parse_with(bytes, &lenient) {
        touch(&g);
    }
}

// ---------------------------------------------------------------------------------------------
// Valid files to damage.
// ---------------------------------------------------------------------------------------------

fn writer_file(endian: Endian, alignment: u32) -> Vec<u8> {
    let mut w = GgufWriter::new();
    w.set_endian(endian);
    w.set_alignment(alignment).unwrap();
    w.add_kv("general.architecture", "llama").unwrap();
    w.add_kv("general.name", "tiny ✓").unwrap();
    w.add_kv("llama.context_length", 2048u32).unwrap();
    w.add_kv("llama.expert_count", 2u32).unwrap();
    w.add_kv("general.file_type", 2u32).unwrap();
    w.add_kv("tokenizer.ggml.tokens", vec!["<s>", "</s>", "héllo", ""])
        .unwrap();
    w.add_kv("tokenizer.ggml.scores", vec![0.0f32, -1.5, 2.25, f32::NAN])
        .unwrap();
    w.add_kv("tokenizer.ggml.token_type", vec![1i32, 3, 1, 1])
        .unwrap();
    w.add_kv(
        "nested",
        ArrayValue::Array(vec![
            ArrayValue::U64(vec![1, u64::MAX]),
            ArrayValue::String(vec!["a".into(), "bc".into()]),
            ArrayValue::Array(vec![ArrayValue::Bool(vec![true, false])]),
        ]),
    )
    .unwrap();
    w.add_kv("big", u64::MAX - 1).unwrap();
    w.add_kv("neg", -7i64).unwrap();
    w.add_kv("pi", std::f64::consts::PI).unwrap();
    w.add_kv("flag", true).unwrap();
    let f32s: Vec<u8> = (0..8u32).flat_map(|i| (i as f32).to_le_bytes()).collect();
    w.add_tensor("token_embd.weight", &[4, 2], GgmlType::F32, f32s)
        .unwrap();
    w.add_tensor(
        "blk.0.attn_q.weight",
        &[32, 2],
        GgmlType::Q4_0,
        vec![0x11u8; 36],
    )
    .unwrap();
    w.add_tensor("output_norm.weight", &[16], GgmlType::I8, vec![0x7fu8; 16])
        .unwrap();
    w.add_tensor("empty", &[0, 3], GgmlType::F16, Vec::new())
        .unwrap();
    let mut out = Vec::new();
    w.write_to(&mut out).unwrap();
    out
}

/// A small GGUF v1 file built by hand (u32 counts and lengths, u32 dims).
fn v1_file(big: bool) -> Vec<u8> {
    let mut h = H::new(big, 1);
    h.counts(2, 3)
        .kv_str("general.architecture", b"llama")
        .kv_u32("llama.context_length", 512)
        .key(b"tokenizer.ggml.tokens", T_ARRAY)
        .array(T_STRING, 3)
        .str(b"a")
        .str(b"bb")
        .str(b"")
        .tensor(b"a.weight", &[8], F32, 0)
        .tensor(b"b.weight", &[32], Q4_0, 32)
        .pad(32)
        .raw(&[1u8; 32])
        .raw(&[2u8; 18])
        .pad(32);
    h.bytes()
}

fn base_files() -> &'static [Vec<u8>] {
    static FILES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        vec![
            writer_file(Endian::Little, 32),
            writer_file(Endian::Big, 8),
            writer_file(Endian::Little, 1),
            v1_file(false),
            v1_file(true),
        ]
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(Index, u8),
    SetByte(Index, u8),
    Truncate(Index),
    Insert(Index, Vec<u8>),
    Delete(Index, usize),
    /// Overwrites 8 bytes (in either byte order) with a dangerous value.
    Overwrite8(Index, u64, bool),
    /// Overwrites 4 bytes with a dangerous value.
    Overwrite4(Index, u32, bool),
}

fn dangerous_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(u64::MAX),
        Just(1u64 << 63),
        Just((1u64 << 63) - 1),
        Just(1u64 << 62),
        Just(1u64 << 32),
        Just(0u64),
        Just(1u64),
        0u64..4096,
        any::<u64>(),
    ]
}

fn dangerous_u32() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(u32::MAX),
        Just(0u32),
        Just(5),
        Just(9),
        Just(13),
        0u32..64,
        any::<u32>()
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 1u8..=255).prop_map(|(i, m)| Mutation::Flip(i, m)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::SetByte(i, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), vec(any::<u8>(), 1..16)).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => (any::<Index>(), 1usize..16).prop_map(|(i, n)| Mutation::Delete(i, n)),
        3 => (any::<Index>(), dangerous_u64(), any::<bool>())
            .prop_map(|(i, v, be)| Mutation::Overwrite8(i, v, be)),
        2 => (any::<Index>(), dangerous_u32(), any::<bool>())
            .prop_map(|(i, v, be)| Mutation::Overwrite4(i, v, be)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    let overwrite = |bytes: &mut Vec<u8>, at: usize, src: &[u8]| {
        for (k, b) in src.iter().enumerate() {
            if let Some(slot) = bytes.get_mut(at + k) {
                *slot = *b;
            }
        }
    };
    match m {
        Mutation::Flip(i, mask) => {
            let at = i.index(bytes.len());
            bytes[at] ^= mask;
        }
        Mutation::SetByte(i, b) => {
            let at = i.index(bytes.len());
            bytes[at] = *b;
        }
        Mutation::Truncate(i) => {
            let n = i.index(bytes.len());
            bytes.truncate(n);
        }
        Mutation::Insert(i, b) => {
            let at = i.index(bytes.len() + 1);
            bytes.splice(at..at, b.iter().copied());
        }
        Mutation::Delete(i, n) => {
            let at = i.index(bytes.len());
            let end = (at + n).min(bytes.len());
            bytes.drain(at..end);
        }
        Mutation::Overwrite8(i, v, be) => {
            let at = i.index(bytes.len());
            overwrite(
                bytes,
                at,
                &if *be {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                },
            );
        }
        Mutation::Overwrite4(i, v, be) => {
            let at = i.index(bytes.len());
            overwrite(
                bytes,
                at,
                &if *be {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                },
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 10_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_files_never_panic(
        base in 0usize..5,
        mutations in vec(mutation(), 1..5),
    ) {
        let mut bytes = base_files()[base].clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        read_every_way(&bytes);
    }

    #[test]
    fn arbitrary_bytes_after_a_valid_prefix_never_panic(
        prefix_len in 0usize..40,
        tail in vec(any::<u8>(), 0..200),
        big in any::<bool>(),
    ) {
        // Keep a valid magic, version and (part of the) counts, then noise.
        let mut bytes = base_files()[usize::from(big)].clone();
        bytes.truncate(prefix_len);
        bytes.extend_from_slice(&tail);
        read_every_way(&bytes);
    }
}

#[test]
fn unmodified_base_files_are_fully_readable() {
    for bytes in base_files() {
        let g = Gguf::parse(bytes.as_slice()).unwrap();
        touch(&g);
        read_every_way(bytes);
    }
}

// ---------------------------------------------------------------------------------------------
// Exhaustive truncation.
// ---------------------------------------------------------------------------------------------

fn check_every_prefix(bytes: &[u8], ok_from: usize) {
    let full = Gguf::parse(bytes).unwrap();
    let header_len = full.header_len() as usize;
    for n in 0..bytes.len() {
        let prefix = &bytes[..n];
        match Gguf::parse(prefix) {
            Ok(g) => {
                assert!(
                    n >= ok_from,
                    "prefix of {n} bytes (of {}) parsed",
                    bytes.len()
                );
                touch(&g);
            }
            Err(e) => {
                assert!(n < ok_from, "prefix of {n} bytes failed: {e:?}");
                assert!(
                    matches!(
                        e.root(),
                        Error::Truncated { .. }
                            | Error::CountTooLarge { .. }
                            | Error::TensorOutOfBounds { .. }
                    ),
                    "prefix of {n} bytes: {e:?}"
                );
                if n < header_len {
                    assert!(
                        !matches!(e.root(), Error::TensorOutOfBounds { .. }),
                        "prefix of {n} bytes: {e:?}"
                    );
                }
            }
        }
        let ho = Gguf::parse_header_only(prefix, &ReadOptions::default());
        let st = Gguf::read_header(prefix, &ReadOptions::default());
        if n >= header_len {
            let ho = ho.unwrap();
            assert_eq!(ho.tensors(), full.tensors());
            touch(&ho);
            let st = st.unwrap();
            assert_eq!(st.gguf.tensors(), full.tensors());
            let d = full.data_offset() as usize;
            assert_eq!(
                st.excess.as_slice(),
                if n > d { &bytes[d..n] } else { &[][..] }
            );
        } else {
            for e in [ho.unwrap_err(), st.unwrap_err()] {
                assert!(
                    matches!(
                        e.root(),
                        Error::Truncated { .. } | Error::CountTooLarge { .. }
                    ),
                    "header prefix of {n} bytes: {e:?}"
                );
            }
        }
    }
}

#[test]
fn every_strict_prefix_of_an_unpadded_file_fails() {
    for endian in [Endian::Little, Endian::Big] {
        let mut w = GgufWriter::new();
        w.set_endian(endian).set_pad_last_tensor(false);
        w.add_kv("general.architecture", "llama").unwrap();
        w.add_kv("tokenizer.ggml.tokens", vec!["a", "bc", ""])
            .unwrap();
        w.add_kv(
            "n",
            ArrayValue::Array(vec![ArrayValue::U16(vec![1, 2]), ArrayValue::U8(vec![])]),
        )
        .unwrap();
        w.add_kv("x", 1.5f64).unwrap();
        w.add_tensor("a", &[3], GgmlType::F32, vec![1u8; 12])
            .unwrap();
        w.add_tensor("b", &[32], GgmlType::Q8_0, vec![2u8; 34])
            .unwrap();
        let mut bytes = Vec::new();
        w.write_to(&mut bytes).unwrap();
        check_every_prefix(&bytes, bytes.len());
    }
    // v1, and a file without tensors.
    let mut h = H::new(false, 1);
    h.counts(1, 1)
        .kv_str("k", b"v")
        .tensor(b"t", &[2], F32, 0)
        .pad(32)
        .raw(&[9u8; 8]);
    check_every_prefix(&h.bytes(), h.out.len());
    let mut h = H::v3(0, 2);
    h.kv_u32("a", 1)
        .key(b"b", T_ARRAY)
        .array(T_STRING, 2)
        .str(b"x")
        .str(b"yz");
    check_every_prefix(&h.bytes(), h.out.len());
}

#[test]
fn prefixes_of_a_padded_file_fail_until_the_last_tensor_ends() {
    let mut w = GgufWriter::new();
    w.add_kv("general.architecture", "llama").unwrap();
    w.add_tensor("a", &[8], GgmlType::F32, vec![1u8; 32])
        .unwrap();
    w.add_tensor("b", &[3], GgmlType::F32, vec![2u8; 12])
        .unwrap();
    let mut bytes = Vec::new();
    w.write_to(&mut bytes).unwrap();
    let g = Gguf::parse(bytes.as_slice()).unwrap();
    let data_end = g
        .tensors()
        .iter()
        .map(|t| t.offset() + t.n_bytes())
        .max()
        .unwrap();
    let ok_from = (g.data_offset() + data_end) as usize;
    assert!(ok_from < bytes.len(), "the last tensor is padded");
    check_every_prefix(&bytes, ok_from);
}

// ---------------------------------------------------------------------------------------------
// Hand-built hostile headers, one error variant each.
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_magic() {
    let mut h = H::v3(0, 0);
    h.out[..4].copy_from_slice(b"GGUX");
    header_err!(h.bytes(), ReadOptions::default(), Error::BadMagic { found } if found == b"GGUX");
    header_err!(
        *b"\0\0\0\0\x03\0\0\0",
        ReadOptions::default(),
        Error::BadMagic { .. }
    );
    header_err!([0u8; 0], ReadOptions::default(), Error::Truncated { .. });
    header_err!(*b"GGU", ReadOptions::default(), Error::Truncated { .. });
    header_err!(
        *b"GGUF\x03\0",
        ReadOptions::default(),
        Error::Truncated { .. }
    );
}

#[test]
fn unsupported_versions() {
    for (big, v) in [
        (false, 0),
        (false, 4),
        (true, 4),
        (true, 0),
        (false, u32::MAX),
        (false, 2 << 16),
    ] {
        let mut h = H::new(big, v);
        h.u64(0).u64(0);
        header_err!(
            h.bytes(),
            ReadOptions::default(),
            Error::UnsupportedVersion(_)
        );
    }
    let mut h = H::new(false, 0);
    h.u64(0).u64(0);
    header_err!(
        h.bytes(),
        ReadOptions::default(),
        Error::UnsupportedVersion(0)
    );
    let mut h = H::new(false, 4);
    h.u64(0).u64(0);
    header_err!(
        h.bytes(),
        ReadOptions::default(),
        Error::UnsupportedVersion(4)
    );
}

fn quickly<T>(f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "took {:?}",
        start.elapsed()
    );
    out
}

#[test]
fn huge_tensor_count_is_refused_quickly() {
    let mut h = H::v3(1 << 63, 0);
    h.pad_len(100);
    let bytes = h.bytes();
    quickly(|| {
        header_err!(bytes, ReadOptions::default(),
            Error::LimitExceeded { value, .. } if *value == 1 << 63);
        header_err!(bytes, permissive(), Error::CountTooLarge { count, .. } if *count == 1 << 63);
    });
    // Just under the default limit: still refused by the bytes that remain.
    let mut h = H::v3(1 << 20, 0);
    h.pad_len(100);
    quickly(|| {
        header_err!(
            h.bytes(),
            ReadOptions::default(),
            Error::CountTooLarge { .. }
        )
    });
    // v1 counts are u32.
    let mut h = H::new(false, 1);
    h.counts(u32::MAX.into(), 0).pad_len(100);
    quickly(|| header_err!(h.bytes(), permissive(), Error::CountTooLarge { .. }));
}

#[test]
fn huge_kv_count_is_refused_quickly() {
    let mut h = H::v3(0, 1 << 63);
    h.pad_len(100);
    let bytes = h.bytes();
    quickly(|| {
        header_err!(bytes, ReadOptions::default(),
            Error::LimitExceeded { value, .. } if *value == 1 << 63);
        header_err!(bytes, permissive(), Error::CountTooLarge { count, .. } if *count == 1 << 63);
    });
    let mut h = H::v3(u64::MAX, u64::MAX);
    h.pad_len(100);
    quickly(|| header_err!(h.bytes(), permissive(), Error::CountTooLarge { .. }));
}

#[test]
fn huge_string_length() {
    // As a value.
    let mut h = H::v3(0, 1);
    h.key(b"k", T_STRING).u64(1 << 62).raw(b"abc");
    let bytes = h.bytes();
    quickly(|| {
        header_err!(bytes, ReadOptions::default(), Error::LimitExceeded { value, .. } if *value == 1 << 62);
        header_err!(bytes, permissive(), Error::Truncated { needed, .. } if *needed == 1 << 62);
    });
    // As a key.
    let mut h = H::v3(0, 1);
    h.u64(1 << 62).raw(b"abcdefghijklmnopqrstuvwxyz");
    let bytes = h.bytes();
    quickly(|| {
        header_err!(bytes, ReadOptions::default(), Error::LimitExceeded { .. });
        header_err!(bytes, permissive(), Error::Truncated { .. });
    });
    // As a tensor name.
    let mut h = H::v3(1, 0);
    h.u64(1 << 62).pad_len(100);
    quickly(|| header_err!(h.bytes(), permissive(), Error::Truncated { .. }));
    // u64::MAX.
    let mut h = H::v3(0, 1);
    h.key(b"k", T_STRING).u64(u64::MAX).raw(b"abc");
    quickly(|| header_err!(h.bytes(), permissive(), Error::Truncated { .. }));
}

#[test]
fn huge_array_length() {
    let mut h = H::v3(0, 1);
    h.key(b"k", T_ARRAY).array(T_U64, 1 << 61).u64(1).u64(2);
    let bytes = h.bytes();
    quickly(|| {
        header_err!(bytes, ReadOptions::default(), Error::LimitExceeded { value, .. } if *value == 1 << 61);
        header_err!(bytes, permissive(), Error::CountTooLarge { count, .. } if *count == 1 << 61);
    });
    for elem in [T_STRING, T_ARRAY, T_U8] {
        let mut h = H::v3(0, 1);
        h.key(b"k", T_ARRAY).array(elem, u64::MAX).pad_len(200);
        quickly(|| header_err!(h.bytes(), permissive(), Error::CountTooLarge { .. }));
    }
    // An array of 2^40 empty arrays: each needs 12 bytes, refused before looping.
    let mut h = H::v3(0, 1);
    h.key(b"k", T_ARRAY).array(T_ARRAY, 1 << 40).array(T_U8, 0);
    quickly(|| header_err!(h.bytes(), permissive(), Error::CountTooLarge { .. }));
}

fn nested(depth: usize) -> Vec<u8> {
    let mut h = H::v3(0, 1);
    h.key(b"deep", T_ARRAY);
    for _ in 1..depth {
        h.array(T_ARRAY, 1);
    }
    h.array(T_U32, 1).u32(42);
    h.bytes()
}

fn innermost_u32(mut v: Value<'_>) -> (usize, Option<u32>) {
    let mut depth = 0;
    while let Value::Array(a) = v {
        depth += 1;
        match a.iter().next() {
            Some(inner) => v = inner,
            None => return (depth, None),
        }
    }
    match v {
        Value::U32(x) => (depth, Some(x)),
        _ => (depth, None),
    }
}

#[test]
fn nesting_deeper_than_the_cap() {
    let default_cap = ReadOptions::default().max_array_depth as usize;
    let g = Gguf::parse(nested(default_cap)).unwrap();
    let v = g.metadata().get("deep").unwrap();
    assert_eq!(innermost_u32(v), (default_cap, Some(42)));
    touch(&g);
    header_err!(nested(default_cap + 1), ReadOptions::default(),
        Error::NestingTooDeep { limit, .. } if *limit as usize == default_cap);

    let opts = ReadOptions {
        max_array_depth: 3,
        ..ReadOptions::default()
    };
    assert!(Gguf::parse_with(nested(3), &opts).is_ok());
    header_err!(nested(4), opts, Error::NestingTooDeep { limit: 3, .. });
    let opts1 = ReadOptions {
        max_array_depth: 1,
        ..ReadOptions::default()
    };
    assert!(Gguf::parse_with(nested(1), &opts1).is_ok());
    header_err!(nested(2), opts1, Error::NestingTooDeep { limit: 1, .. });

    // 100k levels: refused at the cap, no deep recursion.
    quickly(|| {
        header_err!(
            nested(100_000),
            ReadOptions::default(),
            Error::NestingTooDeep { .. }
        )
    });
}

/// `ReadOptions::max_array_depth` has no upper bound; a file the parser accepted under a higher
/// cap must be readable afterwards.
#[test]
fn nesting_accepted_under_a_raised_cap_is_readable() {
    let opts = ReadOptions {
        max_array_depth: 100,
        ..ReadOptions::default()
    };
    let bytes = nested(70);
    let g = Gguf::parse_with(bytes.as_slice(), &opts).unwrap();
    let (key, v) = g.metadata().iter().next().unwrap();
    assert_eq!(key, "deep");
    assert_eq!(
        v.value_type(),
        ValueType::Array,
        "iter() gives {v:?} for an accepted array"
    );
    let v = g
        .metadata()
        .get("deep")
        .expect("get() finds an accepted key");
    assert_eq!(innermost_u32(v), (70, Some(42)));
}

#[test]
fn duplicate_and_empty_keys() {
    let mut h = H::v3(0, 3);
    h.kv_u32("a", 1).kv_u32("b", 2).kv_str("a", b"x");
    header_err!(h.bytes(), ReadOptions::default(), Error::DuplicateKey { key } if key == "a");
    let mut h = H::v3(0, 2);
    h.kv_u32("a", 1).kv_u32("", 2);
    header_err!(
        h.bytes(),
        ReadOptions::default(),
        Error::EmptyKey { index: 1, .. }
    );
}

#[test]
fn invalid_utf8() {
    // A key: refused even with strict_utf8 off.
    let mut h = H::v3(0, 1);
    h.key(b"k\xff\xfe", T_U32).u32(1);
    let lenient = ReadOptions {
        strict_utf8: false,
        ..ReadOptions::default()
    };
    header_err!(h.bytes(), ReadOptions::default(), Error::InvalidUtf8 { .. });
    header_err!(h.bytes(), lenient, Error::InvalidUtf8 { .. });

    // A tensor name: likewise.
    let mut h = H::v3(1, 0);
    h.tensor(b"\xc3\x28", &[8], F32, 0).pad(32).zeros(32);
    header_err!(h.bytes(), ReadOptions::default(), Error::InvalidUtf8 { .. });
    header_err!(h.bytes(), lenient, Error::InvalidUtf8 { .. });

    // A string value: refused when strict, kept as raw bytes otherwise.
    let mut h = H::v3(0, 2);
    h.kv_str("s", b"ok \xed\xa0\x80 surrogate")
        .key(b"arr", T_ARRAY)
        .array(T_STRING, 2)
        .str(b"fine")
        .str(b"\x80");
    let bytes = h.bytes();
    header_err!(bytes, ReadOptions::default(), Error::InvalidUtf8 { .. });
    let g = Gguf::parse_with(bytes.as_slice(), &lenient).unwrap();
    touch(&g);
    let md = g.metadata();
    let Some(Value::String(s)) = md.get("s") else {
        panic!("not a string")
    };
    assert_eq!(s.as_str(), None);
    assert_eq!(s.as_bytes(), b"ok \xed\xa0\x80 surrogate");
    assert!(s.to_string_lossy().contains('\u{FFFD}'));
    assert_eq!(md.get("s").unwrap().as_str(), None);
    assert!(matches!(md.get_str("s"), Err(Error::WrongKeyType { .. })));
    let arr = md.get_array("arr").unwrap().unwrap();
    let got: Vec<Option<&str>> = arr.strings().map(|s| s.as_str()).collect();
    assert_eq!(got, [Some("fine"), None]);
    assert_eq!(arr.get(1).unwrap().as_str(), None);
    // Rewriting keeps the raw bytes.
    let mut w = GgufWriter::new();
    for (k, v) in md.iter() {
        w.add_kv_view(k, v).unwrap();
    }
    let mut out = Vec::new();
    w.write_to(&mut out).unwrap();
    let g2 = Gguf::parse_with(out.as_slice(), &lenient).unwrap();
    assert_eq!(g2.metadata().raw_value("s"), md.raw_value("s"));
}

#[test]
fn bool_bytes_other_than_one_read_as_true() {
    let mut h = H::v3(0, 3);
    h.key(b"t", 7)
        .u8(2)
        .key(b"f", 7)
        .u8(0)
        .key(b"arr", T_ARRAY)
        .array(7, 2)
        .u8(0xff)
        .u8(0);
    let g = Gguf::parse(h.bytes()).unwrap();
    let md = g.metadata();
    assert_eq!(md.get_bool("t").unwrap(), Some(true));
    assert_eq!(md.get_bool("f").unwrap(), Some(false));
    assert_eq!(
        md.get("arr").unwrap().to_owned_value(),
        MetadataValue::Array(ArrayValue::Bool(vec![true, false]))
    );
    touch(&g);
}

#[test]
fn invalid_value_type() {
    for id in [13u32, 99, u32::MAX] {
        let mut h = H::v3(0, 1);
        h.key(b"k", id).u64(0);
        header_err!(h.bytes(), ReadOptions::default(), Error::InvalidValueType { id: found, .. } if *found == id);
        // As an array's element type.
        let mut h = H::v3(0, 1);
        h.key(b"k", T_ARRAY).array(id, 1).u64(0);
        header_err!(h.bytes(), ReadOptions::default(), Error::InvalidValueType { id: found, .. } if *found == id);
    }
}

#[test]
fn bad_alignment_key() {
    let mut h = H::v3(0, 1);
    h.kv_u64("general.alignment", 64);
    let e = header_err!(
        h.bytes(),
        ReadOptions::default(),
        Error::WrongKeyType {
            found: ValueType::U64,
            ..
        }
    );
    assert!(
        matches!(e, Error::InKey { ref key, .. } if key == "general.alignment"),
        "{e:?}"
    );
    for a in [0u32, 3, 48, 1 << 31] {
        let mut h = H::v3(0, 1);
        h.kv_u32("general.alignment", a);
        header_err!(h.bytes(), ReadOptions::default(),
            Error::BadAlignment { value, .. } if *value == u64::from(a));
    }
    // 2^31 is a power of two: accepted when the cap allows it.
    let mut h = H::v3(0, 1);
    h.kv_u32("general.alignment", 1 << 31);
    let g = Gguf::parse_with(h.bytes(), &permissive()).unwrap();
    assert_eq!(g.alignment(), 1 << 31);
    touch(&g);
    // A string alignment.
    let mut h = H::v3(0, 1);
    h.kv_str("general.alignment", b"32");
    header_err!(
        h.bytes(),
        ReadOptions::default(),
        Error::WrongKeyType {
            found: ValueType::String,
            ..
        }
    );
}

/// One LE v3 tensor info, padded, with `data` bytes of tensor data.
fn one_tensor(name: &[u8], dims: &[u64], ty: u32, offset: u64, data: usize) -> Vec<u8> {
    let mut h = H::v3(1, 0);
    h.tensor(name, dims, ty, offset).pad(32).zeros(data);
    h.bytes()
}

#[test]
fn bad_dim_counts() {
    header_err!(
        one_tensor(b"t", &[1, 1, 1, 1, 1], F32, 0, 32),
        ReadOptions::default(),
        Error::BadDimCount { n_dims: 5, .. }
    );
    header_err!(
        one_tensor(b"t", &[], F32, 0, 32),
        ReadOptions::default(),
        Error::BadDimCount { n_dims: 0, .. }
    );
    let mut h = H::v3(1, 0);
    h.str(b"t").u32(u32::MAX).pad_len(200);
    header_err!(
        h.bytes(),
        ReadOptions::default(),
        Error::BadDimCount {
            n_dims: u32::MAX,
            ..
        }
    );
}

#[test]
fn bad_dims() {
    header_err!(
        one_tensor(b"t", &[1 << 32, 1 << 32], F32, 0, 32),
        ReadOptions::default(),
        Error::BadDim { index: 1, .. }
    );
    header_err!(one_tensor(b"t", &[1 << 63], I8, 0, 32), ReadOptions::default(),
        Error::BadDim { index: 0, value } if *value == 1 << 63);
    header_err!(
        one_tensor(b"t", &[2, 1 << 63], I8, 0, 32),
        ReadOptions::default(),
        Error::BadDim { index: 1, .. }
    );
    header_err!(
        one_tensor(b"t", &[u64::MAX], F32, 0, 32),
        ReadOptions::default(),
        Error::BadDim { index: 0, .. }
    );
    // Elements fit int64 but bytes overflow u64 (F32: 4 bytes each).
    header_err!(
        one_tensor(b"t", &[1 << 62], F32, 0, 32),
        ReadOptions::default(),
        Error::BadDim { .. }
    );
    let e = Gguf::parse(one_tensor(b"name", &[1 << 32, 1 << 32], F32, 0, 32)).unwrap_err();
    assert!(
        matches!(e, Error::InTensor { index: 0, name: Some(ref n), .. } if n == "name"),
        "{e:?}"
    );
}

/// A zero `ne[0]` makes the element count zero whatever the other dims are; the other dims'
/// product must still not overflow inside the size computation.
#[test]
fn zero_ne0_with_huge_outer_dims_does_not_panic() {
    let bytes = one_tensor(b"z", &[0, 1 << 62, 4], F32, 0, 0);
    match Gguf::parse(bytes.as_slice()) {
        Ok(g) => {
            assert_eq!(
                (g.tensors()[0].n_elements(), g.tensors()[0].n_bytes()),
                (0, 0)
            );
            touch(&g);
        }
        Err(e) => assert!(matches!(e.root(), Error::BadDim { .. }), "{e:?}"),
    }
}

#[test]
fn zero_ne0_with_huge_outer_dims_in_tensor_size_and_writer() {
    let r = ggufpack_gguf::tensor_size(GgmlType::F32, &[0, 1 << 40, 1 << 40]);
    assert!(matches!(r, Ok((0, 0)) | Err(Error::BadDim { .. })), "{r:?}");
    let mut w = GgufWriter::new();
    let r = w.add_tensor("z", &[0, 1 << 40, 1 << 40], GgmlType::F32, Vec::new());
    if let Err(e) = r {
        assert!(matches!(e.root(), Error::BadDim { .. }), "{e:?}");
    }
}

#[test]
fn not_block_multiple_and_unknown_types() {
    header_err!(
        one_tensor(b"q", &[33], Q4_0, 0, 64),
        ReadOptions::default(),
        Error::NotBlockMultiple {
            ne0: 33,
            block_size: 32,
            ty: GgmlType::Q4_0
        }
    );
    for id in [4u32, 5, 31, 99, u32::MAX] {
        header_err!(one_tensor(b"q", &[32], id, 0, 64), ReadOptions::default(),
            Error::UnknownGgmlType { id: found } if *found == id);
    }
}

#[test]
fn duplicate_tensor_names() {
    let mut h = H::v3(2, 0);
    h.tensor(b"w", &[8], F32, 0)
        .tensor(b"w", &[8], F32, 32)
        .pad(32)
        .zeros(64);
    header_err!(h.bytes(), ReadOptions::default(), Error::DuplicateTensor { name } if name == "w");
}

#[test]
fn tensor_out_of_bounds() {
    // 32 bytes needed, 16 present.
    data_err!(
        one_tensor(b"w", &[8], F32, 0, 16),
        Error::TensorOutOfBounds {
            size: 32,
            data_len: 16,
            ..
        }
    );
    // Second tensor past the end.
    let mut h = H::v3(2, 0);
    h.tensor(b"a", &[8], F32, 0)
        .tensor(b"b", &[8], F32, 32)
        .pad(32)
        .zeros(40);
    data_err!(h.bytes(), Error::TensorOutOfBounds { name, .. } if name == "b");
    // An offset that overflows u64 when the size is added: refused even header-only.
    header_err!(
        one_tensor(b"w", &[8], F32, u64::MAX - 31, 64),
        ReadOptions::default(),
        Error::TensorOutOfBounds { .. }
    );
    data_err!(
        one_tensor(b"w", &[8], F32, 1 << 63, 64),
        Error::TensorOutOfBounds { .. }
    );
    // Header ends inside the padding before the data section.
    let mut h = H::v3(1, 0);
    h.tensor(b"w", &[8], F32, 0);
    data_err!(h.bytes(), Error::Truncated { .. });
}

#[test]
fn misaligned_tensor() {
    header_err!(
        one_tensor(b"w", &[4], F32, 16, 64),
        ReadOptions::default(),
        Error::MisalignedTensor {
            offset: 16,
            alignment: 32,
            ..
        }
    );
    // With general.alignment = 8, 16 is fine and 12 is not.
    let mut h = H::v3(1, 1);
    h.kv_u32("general.alignment", 8)
        .tensor(b"w", &[4], F32, 16)
        .pad(8)
        .zeros(32);
    let g = Gguf::parse(h.bytes()).unwrap();
    assert_eq!(g.alignment(), 8);
    touch(&g);
    let mut h = H::v3(1, 1);
    h.kv_u32("general.alignment", 8)
        .tensor(b"w", &[4], F32, 12)
        .pad(8)
        .zeros(32);
    header_err!(
        h.bytes(),
        ReadOptions::default(),
        Error::MisalignedTensor {
            offset: 12,
            alignment: 8,
            ..
        }
    );
}

#[test]
fn overlapping_tensors() {
    let mut h = H::v3(2, 0);
    h.tensor(b"a", &[16], F32, 0)
        .tensor(b"b", &[8], F32, 32)
        .pad(32)
        .zeros(64);
    header_err!(h.bytes(), ReadOptions::default(),
        Error::OverlappingTensors { first, second } if first == "a" && second == "b");
    // Listed in the other order.
    let mut h = H::v3(2, 0);
    h.tensor(b"b", &[8], F32, 32)
        .tensor(b"a", &[16], F32, 0)
        .pad(32)
        .zeros(64);
    header_err!(h.bytes(), ReadOptions::default(),
        Error::OverlappingTensors { first, second } if first == "a" && second == "b");
    // Same offset, one of them empty: no shared bytes.
    let mut h = H::v3(2, 0);
    h.tensor(b"a", &[8], F32, 0)
        .tensor(b"e", &[0], F32, 0)
        .pad(32)
        .zeros(32);
    touch(&Gguf::parse(h.bytes()).unwrap());
}

// ---------------------------------------------------------------------------------------------
// Old versions and big-endian files built by hand.
// ---------------------------------------------------------------------------------------------

fn check_small_model<B: AsRef<[u8]>>(g: &Gguf<B>) {
    let md = g.metadata();
    assert_eq!(md.architecture(), Some("llama"));
    assert_eq!(md.context_length(), Some(512));
    let tokens: Vec<&str> = md
        .tokens()
        .unwrap()
        .strings()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(tokens, ["a", "bb", ""]);
    assert_eq!(md.vocab_size(), Some(3));
    let t: Vec<_> = g
        .tensors()
        .iter()
        .map(|t| (t.name(), t.dims().to_vec(), t.ggml_type(), t.offset()))
        .collect();
    assert_eq!(
        t,
        [
            ("a.weight", vec![8], GgmlType::F32, 0),
            ("b.weight", vec![32], GgmlType::Q4_0, 32)
        ]
    );
    assert_eq!(g.tensor_data_by_name("a.weight").unwrap(), &[1u8; 32]);
    assert_eq!(g.tensor_data_by_name("b.weight").unwrap(), &[2u8; 18]);
    touch(g);
}

#[test]
fn gguf_v1_and_v2_by_hand() {
    for big in [false, true] {
        let g = Gguf::parse(v1_file(big)).unwrap();
        assert_eq!(g.version(), 1);
        assert_eq!(g.endian(), if big { Endian::Big } else { Endian::Little });
        check_small_model(&g);
        assert!(g
            .validate_for_llama_cpp()
            .contains(&LlamaCppIssue::Version(1)));

        // v2: same layout with u64 counts, lengths and dims.
        let mut h = H::new(big, 2);
        h.counts(2, 4)
            .kv_str("general.architecture", b"llama")
            .kv_u32("llama.context_length", 512)
            .key(b"tokenizer.ggml.tokens", T_ARRAY)
            .array(T_STRING, 3)
            .str(b"a")
            .str(b"bb")
            .str(b"")
            .key(b"u8s", T_ARRAY)
            .array(T_U8, 3)
            .raw(&[7, 8, 9])
            .tensor(b"a.weight", &[8], F32, 0)
            .tensor(b"b.weight", &[32], Q4_0, 32)
            .pad(32)
            .raw(&[1u8; 32])
            .raw(&[2u8; 18]);
        let g = Gguf::parse(h.bytes()).unwrap();
        assert_eq!(g.version(), 2);
        check_small_model(&g);
        assert_eq!(
            g.metadata().get("u8s").unwrap().to_owned_value(),
            MetadataValue::Array(ArrayValue::U8(vec![7, 8, 9]))
        );
        assert!(!g
            .validate_for_llama_cpp()
            .iter()
            .any(|i| matches!(i, LlamaCppIssue::Version(_))));
    }
    // v1 dims are u32: a dim of 2^32 cannot even be expressed; 2^32-1 elements of F32 exceed
    // the file.
    let mut h = H::new(false, 1);
    h.counts(1, 0)
        .tensor(b"w", &[u32::MAX as u64], F32, 0)
        .pad(32)
        .zeros(32);
    data_err!(h.bytes(), Error::TensorOutOfBounds { .. });
}

#[test]
fn big_endian_by_hand() {
    for magic in [*b"GGUF", *b"FUGG"] {
        let mut h = H::new(true, 3);
        h.counts(2, 4)
            .kv_str("general.architecture", b"llama")
            .kv_u32("llama.context_length", 512)
            .key(b"tokenizer.ggml.tokens", T_ARRAY)
            .array(T_STRING, 3)
            .str(b"a")
            .str(b"bb")
            .str(b"")
            .kv_u64("big", 0x0102_0304_0506_0708)
            .tensor(b"a.weight", &[8], F32, 0)
            .tensor(b"b.weight", &[32], Q4_0, 32)
            .pad(32)
            .raw(&[1u8; 32])
            .raw(&[2u8; 18]);
        h.out[..4].copy_from_slice(&magic);
        let bytes = h.bytes();
        let g = Gguf::parse(bytes.as_slice()).unwrap();
        assert_eq!((g.endian(), g.version()), (Endian::Big, 3));
        check_small_model(&g);
        assert_eq!(
            g.metadata().get_u64("big").unwrap(),
            Some(0x0102_0304_0506_0708)
        );
        assert!(g
            .validate_for_llama_cpp()
            .contains(&LlamaCppIssue::BigEndian));
        let s = Gguf::read_header(bytes.as_slice(), &ReadOptions::default()).unwrap();
        assert_eq!(s.gguf.endian(), Endian::Big);
        assert_eq!(s.gguf.tensors(), g.tensors());
    }
}

// ---------------------------------------------------------------------------------------------
// What llama.cpp would refuse.
// ---------------------------------------------------------------------------------------------

#[test]
fn llama_cpp_issues() {
    // A 64-byte tensor name (63 is the most llama.cpp allows), a nested array, and
    // llama.context_length as u64.
    let long = "x".repeat(64);
    let ok_name = "y".repeat(63);
    let mut w = GgufWriter::new();
    w.add_kv("general.architecture", "llama").unwrap();
    w.add_kv("llama.context_length", 4096u64).unwrap();
    w.add_kv("llama.block_count", 2u32).unwrap();
    w.add_kv("n", ArrayValue::Array(vec![ArrayValue::U8(vec![1])]))
        .unwrap();
    w.add_kv("tokenizer.ggml.scores", vec![1i32]).unwrap();
    w.add_tensor(&long, &[8], GgmlType::F32, vec![0u8; 32])
        .unwrap();
    w.add_tensor(&ok_name, &[8], GgmlType::F32, vec![0u8; 32])
        .unwrap();
    let mut bytes = Vec::new();
    w.write_to(&mut bytes).unwrap();
    let g = Gguf::parse(bytes.as_slice()).unwrap();
    let issues = g.validate_for_llama_cpp();
    assert!(
        issues.contains(&LlamaCppIssue::NameTooLong { name: long.clone() }),
        "{issues:?}"
    );
    assert!(!issues.contains(&LlamaCppIssue::NameTooLong {
        name: ok_name.clone()
    }));
    assert!(
        issues.contains(&LlamaCppIssue::NestedArray { key: "n".into() }),
        "{issues:?}"
    );
    assert!(
        issues.iter().any(
            |i| matches!(i, LlamaCppIssue::KeyType { key, expected: "UINT32", found }
            if key == "llama.context_length" && found == "UINT64")
        ),
        "{issues:?}"
    );
    assert!(
        issues.iter().any(
            |i| matches!(i, LlamaCppIssue::KeyType { key, .. } if key == "tokenizer.ggml.scores")
        ),
        "{issues:?}"
    );
    assert!(!issues
        .iter()
        .any(|i| matches!(i, LlamaCppIssue::KeyType { key, .. } if key == "llama.block_count")));
    assert!(!issues.iter().any(|i| matches!(
        i,
        LlamaCppIssue::NonContiguousOffset { .. }
            | LlamaCppIssue::Version(_)
            | LlamaCppIssue::BigEndian
    )));
    assert_eq!(issues.len(), 4, "{issues:?}");
    for i in &issues {
        assert!(!i.to_string().is_empty());
    }

    // Without general.architecture = "llama", the llama.* key is not checked.
    let mut w = GgufWriter::new();
    w.add_kv("general.architecture", "qwen2").unwrap();
    w.add_kv("llama.context_length", 4096u64).unwrap();
    let mut bytes = Vec::new();
    w.write_to(&mut bytes).unwrap();
    assert!(Gguf::parse(bytes.as_slice())
        .unwrap()
        .validate_for_llama_cpp()
        .is_empty());

    // A gap between two tensors.
    let mut h = H::v3(2, 0);
    h.tensor(b"a", &[8], F32, 0)
        .tensor(b"b", &[8], F32, 64)
        .pad(32)
        .zeros(96);
    let g = Gguf::parse(h.bytes()).unwrap();
    assert_eq!(
        g.validate_for_llama_cpp(),
        [LlamaCppIssue::NonContiguousOffset {
            name: "b".into(),
            offset: 64,
            expected: 32
        }]
    );
    // Contiguous: no issue.
    let mut h = H::v3(2, 0);
    h.tensor(b"a", &[8], F32, 0)
        .tensor(b"b", &[8], F32, 32)
        .pad(32)
        .zeros(64);
    assert!(Gguf::parse(h.bytes())
        .unwrap()
        .validate_for_llama_cpp()
        .is_empty());

    // v1.
    let g = Gguf::parse(v1_file(false)).unwrap();
    assert_eq!(g.validate_for_llama_cpp(), [LlamaCppIssue::Version(1)]);
}

// ---------------------------------------------------------------------------------------------
// Sizes that add up past u64 in a header-only read (tensor data is not bounded by a file).
// ---------------------------------------------------------------------------------------------

#[test]
fn header_only_total_tensor_bytes_do_not_overflow() {
    // a: F32 x (2^62 - 8) = 2^64 - 32 bytes at 0; b: 32 bytes at 2^64 - 64 would overlap, and
    // b at 2^64 - 32 would end past u64: the largest legal pair ends exactly at u64::MAX.
    let mut h = H::v3(2, 0);
    h.tensor(b"a", &[(1 << 62) - 16], F32, 0)
        .tensor(b"b", &[32], I8, u64::MAX - 63)
        .pad(32);
    let bytes = h.bytes();
    let g = Gguf::parse_header_only(bytes.as_slice(), &ReadOptions::default()).unwrap();
    assert_eq!(g.tensors()[0].n_bytes(), u64::MAX - 63);
    assert_eq!(g.tensor_bytes(), u64::MAX - 31);
    let _ = g.facts();
    let s = Gguf::read_header(bytes.as_slice(), &ReadOptions::default()).unwrap();
    let _ = s.gguf.facts();
    data_err_whole_only(&bytes);
    // One byte further and the second tensor's end overflows u64: refused.
    let mut h = H::v3(2, 0);
    h.tensor(b"a", &[(1 << 62) - 8], F32, 0)
        .tensor(b"b", &[32], I8, u64::MAX - 31)
        .pad(32);
    header_err!(
        h.bytes(),
        ReadOptions::default(),
        Error::TensorOutOfBounds { .. }
    );
}

#[test]
fn header_only_parameter_count_does_not_overflow() {
    // Three Q1_0 tensors of 2^63 - 128 elements (about 1.3e18 bytes each): disjoint, aligned,
    // and 3 * (2^63 - 128) elements in all.
    let n = (1u64 << 63) - 128;
    let size = n / 128 * 18;
    let stride = size.div_ceil(32) * 32;
    let mut h = H::v3(3, 0);
    h.tensor(b"a", &[n], 41, 0)
        .tensor(b"b", &[n], 41, stride)
        .tensor(b"c", &[n], 41, 2 * stride)
        .pad(32);
    let bytes = h.bytes();
    let g = Gguf::parse_header_only(bytes.as_slice(), &ReadOptions::default()).unwrap();
    assert_eq!(g.tensors()[2].n_elements(), n);
    let _ = g.facts();
    data_err_whole_only(&bytes);
}

fn data_err_whole_only(bytes: &[u8]) {
    let e = Gguf::parse(bytes).unwrap_err();
    assert!(matches!(e.root(), Error::TensorOutOfBounds { .. }), "{e:?}");
}

/// A tensor with an empty name is legal (llama.cpp only bounds the length); the smallest tensor
/// info is then one byte shorter than the reader's minimum.
#[test]
fn writer_output_with_an_empty_tensor_name_reads_back() {
    let mut w = GgufWriter::new();
    w.set_alignment(1).unwrap();
    w.add_tensor("", &[0], GgmlType::F32, Vec::new()).unwrap();
    let mut bytes = Vec::new();
    w.write_to(&mut bytes).unwrap();
    let g = Gguf::parse(bytes.as_slice()).expect("the writer's own output parses");
    assert_eq!(g.tensors()[0].name(), "");
}
