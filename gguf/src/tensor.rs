//! Tensor infos: name, dims in ggml order, ggml type and offset in the data section.

use crate::error::{Error, Result};
use crate::types::GgmlType;

/// Most dimensions a ggml tensor has (`GGML_MAX_DIMS`).
pub const MAX_DIMS: usize = 4;

/// One tensor info of a parsed file.
///
/// Dims are in ggml order: `dims()[0]` is `ne[0]`, the number of elements in a row (the last
/// PyTorch dimension). [`TensorInfo::shape_pytorch`] gives the reversed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    pub(crate) name: String,
    pub(crate) dims: Vec<u64>,
    pub(crate) ty: GgmlType,
    pub(crate) offset: u64,
    pub(crate) n_elements: u64,
    pub(crate) n_bytes: u64,
}

impl TensorInfo {
    /// Builds a tensor info, checking the dims against the type as the reader does.
    pub fn new(name: impl Into<String>, dims: &[u64], ty: GgmlType, offset: u64) -> Result<Self> {
        let (n_elements, n_bytes) = tensor_size(ty, dims)?;
        Ok(TensorInfo {
            name: name.into(),
            dims: dims.to_vec(),
            ty,
            offset,
            n_elements,
            n_bytes,
        })
    }

    /// The tensor's name (`blk.0.attn_q.weight`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Dims in ggml order (`ne[0]` first), 1 to 4 of them.
    pub fn dims(&self) -> &[u64] {
        &self.dims
    }

    /// Dims in PyTorch / NumPy order (outermost first).
    pub fn shape_pytorch(&self) -> Vec<u64> {
        self.dims.iter().rev().copied().collect()
    }

    /// The ggml type of the stored data.
    pub fn ggml_type(&self) -> GgmlType {
        self.ty
    }

    /// Offset of the data from the start of the data section.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Number of elements (product of the dims).
    pub fn n_elements(&self) -> u64 {
        self.n_elements
    }

    /// Number of bytes of the stored data.
    pub fn n_bytes(&self) -> u64 {
        self.n_bytes
    }
}

/// Element count and byte size of a tensor of type `ty` and ggml dims `dims`, with ggml's
/// checks: 1 to 4 dims, each a non-negative int64, a product that fits int64, and `ne[0]` a
/// multiple of the block size.
pub fn tensor_size(ty: GgmlType, dims: &[u64]) -> Result<(u64, u64)> {
    if dims.is_empty() || dims.len() > MAX_DIMS {
        return Err(Error::BadDimCount {
            n_dims: u32::try_from(dims.len()).unwrap_or(u32::MAX),
            max: MAX_DIMS as u32,
        });
    }
    // Like ggml: each dim a non-negative int64 and the product of the dims fits in int64. Zero
    // dims are skipped in that product, so [0, 2^62, 4] is refused as llama.cpp refuses it.
    let mut nonzero_product: u64 = 1;
    for (index, &d) in dims.iter().enumerate() {
        if d > i64::MAX as u64 {
            return Err(Error::BadDim { index, value: d });
        }
        if d != 0 {
            nonzero_product = nonzero_product
                .checked_mul(d)
                .filter(|&p| p <= i64::MAX as u64)
                .ok_or(Error::BadDim { index, value: d })?;
        }
    }
    let has_zero = dims.contains(&0);
    let n = if has_zero { 0 } else { nonzero_product };
    let ne0 = dims[0];
    if ne0 % ty.block_size() != 0 {
        return Err(Error::NotBlockMultiple {
            ne0,
            ty,
            block_size: ty.block_size(),
        });
    }
    let row = ty.row_size(ne0).ok_or(Error::BadDim {
        index: 0,
        value: ne0,
    })?;
    // The product of dims[1..] divides (or, with a zero, is at most) `nonzero_product`.
    let rows: u64 = if dims[1..].contains(&0) {
        0
    } else {
        dims[1..].iter().product()
    };
    let bytes = row.checked_mul(rows).ok_or(Error::BadDim {
        index: 0,
        value: ne0,
    })?;
    Ok((n, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_checks() {
        assert_eq!(
            tensor_size(GgmlType::Q4_0, &[64, 3]).unwrap(),
            (192, 2 * 18 * 3)
        );
        assert!(matches!(
            tensor_size(GgmlType::Q4_0, &[33]),
            Err(Error::NotBlockMultiple { .. })
        ));
        assert!(matches!(
            tensor_size(GgmlType::F32, &[]),
            Err(Error::BadDimCount { .. })
        ));
        assert!(matches!(
            tensor_size(GgmlType::F32, &[1, 1, 1, 1, 1]),
            Err(Error::BadDimCount { .. })
        ));
        assert!(matches!(
            tensor_size(GgmlType::F32, &[1 << 40, 1 << 40]),
            Err(Error::BadDim { index: 1, .. })
        ));
        assert!(matches!(
            tensor_size(GgmlType::F32, &[u64::MAX]),
            Err(Error::BadDim { .. })
        ));
        assert_eq!(tensor_size(GgmlType::F32, &[0, 5]).unwrap(), (0, 0));
        assert!(matches!(
            tensor_size(GgmlType::F32, &[0, 1 << 62, 4]),
            Err(Error::BadDim { index: 2, .. })
        ));
    }
}
