//! [`Gguf`]: a parsed GGUF over any byte buffer (a slice, a `Vec`, a memory map).

use crate::error::{Error, Result};
use crate::metadata::Metadata;
use crate::read::parse::{parse_header, Extent, Header};
use crate::read::ReadOptions;
use crate::tensor::TensorInfo;
use crate::value::{Encoding, Endian};

/// A parsed GGUF file over the bytes `B` it was parsed from.
///
/// Parsing validates the whole header and every tensor info; afterwards metadata values are
/// decoded on access straight from `B` and tensor data is returned as slices of `B`, with no
/// copies. Use [`crate::GgufFile`] for a memory-mapped file on disk.
#[derive(Debug)]
pub struct Gguf<B> {
    data: B,
    header: Header,
}

impl<B: AsRef<[u8]>> Gguf<B> {
    /// Parses a whole GGUF file held in `data`, with default [`ReadOptions`].
    pub fn parse(data: B) -> Result<Self> {
        Self::parse_with(data, &ReadOptions::default())
    }

    /// Parses a whole GGUF file held in `data`: tensor data must lie inside it.
    pub fn parse_with(data: B, opts: &ReadOptions) -> Result<Self> {
        let header = parse_header(data.as_ref(), opts, Extent::WholeFile)?;
        Ok(Gguf { data, header })
    }

    /// Parses `data` that holds at least the header of a GGUF file (the tensor data may be cut
    /// off). Tensor data is then not available.
    pub fn parse_header_only(data: B, opts: &ReadOptions) -> Result<Self> {
        let header = parse_header(data.as_ref(), opts, Extent::HeaderOnly)?;
        Ok(Gguf { data, header })
    }

    /// The backing storage (for the memory map's advice calls).
    pub(crate) fn data_bytes(&self) -> &B {
        &self.data
    }

    pub(crate) fn from_parts(data: B, header: Header) -> Self {
        Gguf { data, header }
    }

    /// The GGUF version (1, 2 or 3).
    pub fn version(&self) -> u32 {
        self.header.enc.version
    }

    /// The file's byte order.
    pub fn endian(&self) -> Endian {
        self.header.enc.endian
    }

    /// Byte order and version together.
    pub fn encoding(&self) -> Encoding {
        self.header.enc
    }

    /// Alignment of the data section and of every tensor (`general.alignment`, default 32).
    pub fn alignment(&self) -> u32 {
        self.header.alignment
    }

    /// Absolute offset of the tensor data section.
    pub fn data_offset(&self) -> u64 {
        self.header.data_offset
    }

    /// Bytes of the header: magic to the end of the tensor infos, before the padding.
    pub fn header_len(&self) -> u64 {
        self.header.infos_end
    }

    /// The metadata key-value pairs, in file order.
    pub fn metadata(&self) -> Metadata<'_> {
        Metadata::new(self.data.as_ref(), &self.header.kvs, self.header.enc)
    }

    /// The tensor infos, in file order.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.header.tensors
    }

    /// The tensor info named `name`.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.header.tensors.iter().find(|t| t.name == name)
    }

    /// True when the buffer holds the tensor data (not a header-only parse).
    pub fn has_tensor_data(&self) -> bool {
        self.header.extent == Extent::WholeFile
    }

    /// The bytes of tensor `info`, borrowed from the buffer.
    pub fn tensor_data(&self, info: &TensorInfo) -> Result<&[u8]> {
        if !self.has_tensor_data() {
            return Err(Error::NoTensorData {
                name: info.name.clone(),
            });
        }
        let bytes = self.data.as_ref();
        let data_len = (bytes.len() as u64).saturating_sub(self.header.data_offset);
        let out_of_bounds = || Error::TensorOutOfBounds {
            name: info.name.clone(),
            offset: info.offset,
            size: info.n_bytes,
            data_len,
        };
        let start = self
            .header
            .data_offset
            .checked_add(info.offset)
            .ok_or_else(out_of_bounds)?;
        let end = start.checked_add(info.n_bytes).ok_or_else(out_of_bounds)?;
        let (start, end) = (
            usize::try_from(start).map_err(|_| out_of_bounds())?,
            usize::try_from(end).map_err(|_| out_of_bounds())?,
        );
        bytes.get(start..end).ok_or_else(out_of_bounds)
    }

    /// The bytes of the tensor named `name`.
    pub fn tensor_data_by_name(&self, name: &str) -> Result<&[u8]> {
        let info = self.tensor(name).ok_or_else(|| Error::NoSuchTensor {
            name: name.to_string(),
        })?;
        self.tensor_data(info)
    }

    /// The whole buffer.
    pub fn as_bytes(&self) -> &[u8] {
        self.data.as_ref()
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> B {
        self.data
    }

    /// Sum of the tensors' data sizes.
    pub fn tensor_bytes(&self) -> u64 {
        // Saturating: a header-only parse does not bound sizes by a file.
        self.header
            .tensors
            .iter()
            .fold(0u64, |acc, t| acc.saturating_add(t.n_bytes))
    }
}
