//! Header-only reads from any [`Read`], for a file streamed from a registry or a pipe.

use std::io::Read;

use crate::error::{Error, Result};
use crate::read::{Gguf, ReadOptions};

/// A header read from a stream: the parsed header (over a buffer that ends exactly at the data
/// section), and the bytes of tensor data that were read past it, in order.
#[derive(Debug)]
pub struct StreamedHeader {
    /// The parsed header; its tensor data is not available.
    pub gguf: Gguf<Vec<u8>>,
    /// Bytes read from the stream after the data section's start (the beginning of the tensor
    /// data), so that a caller can go on consuming the stream.
    pub excess: Vec<u8>,
}

impl Gguf<Vec<u8>> {
    /// Reads only the header from `reader`, stopping at the start of the tensor data (reads are
    /// buffered, so up to a chunk more may have been read: see [`StreamedHeader::excess`]).
    pub fn read_header<R: Read>(mut reader: R, opts: &ReadOptions) -> Result<StreamedHeader> {
        let mut buf: Vec<u8> = Vec::new();
        let mut want: u64 = 64 * 1024;
        let mut eof = false;
        loop {
            if !eof {
                let target = want.min(opts.max_header_bytes);
                let before = buf.len() as u64;
                (&mut reader).take(target - before).read_to_end(&mut buf)?;
                eof = (buf.len() as u64) < target;
            }
            match crate::read::parse::parse_header(
                &buf,
                opts,
                crate::read::parse::Extent::HeaderOnly,
            ) {
                Ok(header) => {
                    let data_offset = usize::try_from(header.data_offset).unwrap_or(usize::MAX);
                    let excess = if buf.len() > data_offset {
                        buf.split_off(data_offset)
                    } else {
                        Vec::new()
                    };
                    let gguf = Gguf::from_parts(buf, header);
                    return Ok(StreamedHeader { gguf, excess });
                }
                Err(e) if is_truncation(&e) && !eof => {
                    if want >= opts.max_header_bytes {
                        return Err(Error::LimitExceeded {
                            what: "header size read from a stream".into(),
                            value: buf.len() as u64,
                            limit: opts.max_header_bytes,
                        });
                    }
                    want = want.saturating_mul(4);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

fn is_truncation(e: &Error) -> bool {
    matches!(
        e.root(),
        Error::Truncated { .. } | Error::CountTooLarge { .. }
    )
}
