//! The read side: parse a GGUF file from a memory map, a byte slice or a stream, validating
//! every count, length and offset before it is used.

mod file;
mod gguf;
mod llama_check;
mod options;
pub(crate) mod parse;
mod split;
mod stream;

pub use file::{FileBytes, GgufFile};
pub use gguf::Gguf;
pub use llama_check::LlamaCppIssue;
pub use options::ReadOptions;
pub use parse::{ALIGNMENT_KEY, DEFAULT_ALIGNMENT, MAGIC};
pub use split::{split_path, SplitModel, SPLIT_COUNT_KEY, SPLIT_NO_KEY, SPLIT_TENSORS_COUNT_KEY};
pub use stream::StreamedHeader;
