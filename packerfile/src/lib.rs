//! The GGUFPackerfile language for ggufpack: a Dockerfile dialect (BuildKit's syntax) with the
//! model instructions `CONVERT`, `QUANTIZE` and `CAT`, parsed into a typed AST with spans.
//!
//! This crate stands alone: it depends on no other ggufpack crate.
//!
//! ```
//! use std::collections::BTreeMap;
//! use ggufpack_packerfile::{parse, InstructionKind};
//!
//! let src = "# syntax=gpustack/gguf-packer:latest\n\
//!            ARG QUANTIZE_TYPE=Q5_K_M\n\
//!            FROM scratch\n\
//!            QUANTIZE --type=${QUANTIZE_TYPE} /app/model.F16.gguf /app/model.gguf\n\
//!            CMD [\"-m\", \"/app/model.gguf\"]\n";
//! let file = parse(src)?;
//! assert_eq!(file.stages.len(), 1);
//! assert!(matches!(file.stages[0].instructions[0].kind, InstructionKind::Quantize(_)));
//! // The canonical print parses back to the same tree.
//! assert_eq!(parse(&file.to_string())?, file);
//! // Resolving substitutes variables, here with a build arg overriding the default.
//! let args = BTreeMap::from([("QUANTIZE_TYPE".to_string(), "Q4_K_M".to_string())]);
//! let resolved = file.resolve(&args).expect("resolves");
//! assert_eq!(resolved.order, vec![0]);
//! # Ok::<(), ggufpack_packerfile::ParseError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ast;
mod error;
mod expand;
mod lex;
mod parse;
mod print;
mod resolve;

pub use ast::*;
pub use error::*;
pub use expand::*;
pub use parse::*;
pub use resolve::*;

/// Every instruction name of the GGUFPackerfile language, upper case.
pub const INSTRUCTIONS: &[&str] = &[
    "ADD", "ARG", "CAT", "CMD", "CONVERT", "COPY", "FROM", "LABEL", "QUANTIZE",
];
