//! The GGUFPackerfile language for ggufpack: a Dockerfile dialect with `CONVERT`, `QUANTIZE` and
//! `CAT`, parsed into a typed AST.
//!
//! This crate is being built (see the project's `packerfile` issue); it stands alone and depends
//! on no other ggufpack crate. The instruction names it knows:
//!
//! ```
//! assert!(ggufpack_packerfile::INSTRUCTIONS.contains(&"QUANTIZE"));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Every instruction name of the GGUFPackerfile language, upper case.
pub const INSTRUCTIONS: &[&str] = &[
    "ADD", "ARG", "CAT", "CMD", "CONVERT", "COPY", "FROM", "LABEL", "QUANTIZE",
];
