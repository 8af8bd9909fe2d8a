//! Arbitrary bytes through every entry point of the GGUF reader: whole-file parse, header-only
//! parse and streamed header read, strict and lenient. Whatever is accepted is read completely:
//! every metadata value (arrays iterated to the end, nested ones too), every tensor's data, the
//! model facts and the llama.cpp checks. Nothing may panic.
//!
//! Run with `cargo +nightly fuzz run read_gguf` from the repository root.
#![no_main]

use ggufpack_gguf::{Gguf, ReadOptions, Value};
use libfuzzer_sys::fuzz_target;

fn walk(v: Value<'_>, sink: &mut u64) {
    *sink = sink.wrapping_add(v.to_u64().unwrap_or(0));
    let _ = (v.to_i64(), v.to_f64(), v.as_str(), v.value_type());
    match v {
        Value::String(s) => {
            *sink = sink.wrapping_add(s.as_bytes().len() as u64);
            let _ = (s.as_str(), s.to_string_lossy());
        }
        Value::Array(a) => {
            let mut n = 0u64;
            for e in a.iter() {
                assert_eq!(e.value_type(), a.elem_type());
                walk(e, sink);
                n += 1;
            }
            assert_eq!(n, a.len(), "an accepted array iterates to its length");
            for s in a.strings() {
                let _ = s.to_string_lossy();
            }
            if !a.is_empty() {
                assert!(a.get(a.len() - 1).is_some());
            }
            assert!(a.get(a.len()).is_none());
            let owned = a.to_owned_array();
            assert_eq!(owned.len() as u64, a.len());
        }
        _ => {}
    }
}

fn touch<B: AsRef<[u8]>>(g: &Gguf<B>) {
    let mut sink = 0u64;
    let md = g.metadata();
    for (k, v) in md.iter() {
        sink = sink.wrapping_add(k.len() as u64);
        walk(v, &mut sink);
        let again = md.get(k).expect("every listed key can be looked up");
        assert_eq!(again.value_type(), v.value_type());
        let _ = v.to_owned_value();
        let _ = (
            md.get_u64(k),
            md.get_i64(k),
            md.get_f64(k),
            md.get_str(k),
            md.get_bool(k),
        );
        let _ = md.raw_value(k);
    }
    let _ = (
        md.architecture(),
        md.name(),
        md.alignment(),
        md.file_type(),
        md.context_length(),
        md.block_count(),
        md.head_count_kv(),
        md.expert_count(),
        md.tokenizer_model(),
        md.tokens().map(|t| t.strings().count()),
        md.vocab_size(),
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
        if g.has_tensor_data() {
            let data = g
                .tensor_data(t)
                .expect("an accepted file's tensors are readable");
            assert_eq!(data.len() as u64, t.n_bytes());
            sink = data.iter().fold(sink, |s, &b| s.wrapping_add(u64::from(b)));
        } else {
            assert!(g.tensor_data(t).is_err());
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
    std::hint::black_box(sink);
}

fuzz_target!(|data: &[u8]| {
    match Gguf::parse(data) {
        Ok(g) => touch(&g),
        Err(e) => {
            let _ = (e.to_string(), e.root());
        }
    }
    let strict = ReadOptions::default();
    let lenient = ReadOptions {
        strict_utf8: false,
        ..ReadOptions::default()
    };
    if let Ok(g) = Gguf::parse_with(data, &lenient) {
        touch(&g);
    }
    for opts in [&strict, &lenient] {
        match Gguf::parse_header_only(data, opts) {
            Ok(g) => touch(&g),
            Err(e) => {
                let _ = e.to_string();
            }
        }
        match Gguf::read_header(data, opts) {
            Ok(s) => {
                touch(&s.gguf);
                let _ = s.excess.len();
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});
