//! The write side: a streaming GGUF writer, metadata rewrites that copy tensor data without
//! decoding it, and llama.cpp-compatible splitting and merging.

mod atomic;
mod encode;
mod rewrite;
mod split;
mod writer;

pub use atomic::{temp_file_beside, write_atomically};
pub use rewrite::{copy_file_to_writer, rewrite_metadata, MetadataEdits};
pub use split::{merge_split, split_model, MergeKeys, SplitOptions};
pub use writer::{GgufWriter, Layout, StreamFn, TensorSource};
