//! Parses arbitrary input (UTF-8 as is, anything else converted lossily). Whatever the input,
//! nothing panics; when it parses, the canonical print parses back to the same AST, and
//! resolving with no build args gives `Ok` or `Err`.
//!
//! `cargo +nightly fuzz run parse` (from `packerfile/`).
#![no_main]

use std::collections::BTreeMap;

use ggufpack_packerfile::{parse, parse_named};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    match parse(&src) {
        Ok(pf) => {
            let printed = pf.to_string();
            match parse(&printed) {
                Ok(back) => {
                    assert_eq!(back, pf, "print/parse round trip; print:\n{printed}");
                    assert_eq!(back.to_string(), printed, "the print is not canonical");
                }
                Err(e) => panic!("the print of a parsed file does not parse:\n{printed}\n{e}"),
            }
            let _ = pf.resolve(&BTreeMap::new());
        }
        Err(e) => {
            // Rendering the error must not panic either.
            let _ = e.to_string();
            let _ = parse_named("fuzz", &src).map_err(|e| e.to_string());
        }
    }
});
