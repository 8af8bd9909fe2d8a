//! How each output tensor is made: its inputs (checkpoint tensors or generated values), the
//! transforms applied in order, and the final encoding into the output type.
//!
//! Values follow the reference's torch numerics: every source dtype other than F16 and F32 is
//! widened to F32 first; an F16 tensor stays F16 through the transforms (an addition rounds back
//! to F16); the output type is then produced the way gguf-py's `quants.quantize` does (numpy
//! casts for F32/F16, its BF16 rounding, ggml's block quantizers for Q8_0/TQ1_0/TQ2_0).

use rayon::prelude::*;

use ggufpack_gguf::GgmlType;

use crate::error::ConvertError;

/// Where an output tensor's values come from.
#[derive(Debug, Clone)]
pub enum Input {
    /// A checkpoint tensor, by index in the checkpoint's logical tensor list.
    Source(usize),
    /// Values computed by the converter (RoPE factors), F32.
    Generated(Vec<f32>),
    /// Several tensors of equal shape stacked along a new first axis (experts).
    Stack(Vec<OutTensor>),
}

/// A transform, applied in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// LLaMA's Q/K head permutation (`LlamaModel.permute` with this head count).
    Permute(u64),
    /// Add a constant to every element (Gemma's norm `+ 1`).
    Add(f32),
    /// Keep the first rows of the first axis (Gemma 3's vocabulary trim).
    TrimRows(u64),
    /// Transpose a matrix (a LoRA token embedding's A).
    Transpose,
}

/// One output tensor while planning: name, row-major shape (as torch sees it), element type of
/// the values (F16 or F32), and the recipe.
#[derive(Debug, Clone)]
pub struct OutTensor {
    /// The name: the checkpoint's until `modify_tensors` maps it, then the GGUF name.
    pub name: String,
    /// Row-major shape after the transforms, outermost first (the checkpoint's order).
    pub shape: Vec<u64>,
    /// Row-major shape of the input, before the transforms.
    pub input_shape: Vec<u64>,
    /// Whether the values are F16 in torch (a F16 source); otherwise F32.
    pub is_f16: bool,
    /// Where the values come from.
    pub input: Input,
    /// Transforms, in order.
    pub ops: Vec<Op>,
    /// The checkpoint name this tensor came from (for `tensor_force_quant` and messages).
    pub source_name: String,
    /// For an adapted weight of a LoRA adapter: its `lora_A` tensor (this tensor's input is
    /// then `lora_B`, and the transforms apply to it).
    pub lora_a: Option<Box<OutTensor>>,
}

impl OutTensor {
    /// The number of elements.
    pub fn n_elements(&self) -> u64 {
        self.shape.iter().product()
    }

    /// GGUF dims (`ne[0]` first): the row-major shape reversed.
    pub fn ggml_dims(&self) -> Vec<u64> {
        self.shape.iter().rev().copied().collect()
    }
}

/// The values of a tensor after its transforms.
pub struct Values {
    /// Elements (exactly F16-representable when `is_f16`).
    pub data: Vec<f32>,
    /// Whether torch holds them as F16.
    pub is_f16: bool,
}

/// Applies `ops` to `v` of row-major `shape` (the shape before the ops).
pub fn apply_ops(
    name: &str,
    mut v: Values,
    shape: &[u64],
    ops: &[Op],
) -> Result<Values, ConvertError> {
    let mut shape = shape.to_vec();
    for op in ops {
        match *op {
            Op::Permute(n_head) => {
                v.data = permute(name, &v.data, &shape, n_head)?;
            }
            Op::Add(c) => {
                if v.is_f16 {
                    v.data.par_iter_mut().for_each(|x| *x = round_f16(*x + c));
                } else {
                    v.data.par_iter_mut().for_each(|x| *x += c);
                }
            }
            Op::Transpose => {
                if let [r, c] = shape[..] {
                    let (r, c) = (r as usize, c as usize);
                    let mut out = vec![0f32; v.data.len()];
                    for i in 0..r {
                        for j in 0..c {
                            out[j * r + i] = v.data[i * c + j];
                        }
                    }
                    v.data = out;
                    shape = vec![c as u64, r as u64];
                }
            }
            Op::TrimRows(rows) => {
                let first = shape.first().copied().unwrap_or(0);
                if rows < first {
                    let row_len: u64 = shape.iter().skip(1).product();
                    v.data.truncate((rows * row_len) as usize);
                    shape[0] = rows;
                }
            }
        }
    }
    Ok(v)
}

/// The shape after `ops`.
pub fn shape_after(shape: &[u64], ops: &[Op]) -> Vec<u64> {
    let mut s = shape.to_vec();
    for op in ops {
        match *op {
            Op::TrimRows(rows) => {
                if let Some(first) = s.first_mut() {
                    *first = (*first).min(rows);
                }
            }
            Op::Transpose => {
                if let [r, c] = s[..] {
                    s = vec![c, r];
                }
            }
            _ => {}
        }
    }
    s
}

/// `weights.reshape(n_head, 2, rows / n_head / 2, *rest).swapaxes(1, 2).reshape(shape)`.
fn permute(name: &str, data: &[f32], shape: &[u64], n_head: u64) -> Result<Vec<f32>, ConvertError> {
    let rows = shape.first().copied().unwrap_or(0);
    if n_head == 0 || rows % (n_head * 2) != 0 {
        return Err(ConvertError::BadShape {
            name: name.to_string(),
            shape: shape.to_vec(),
            problem: format!("cannot be split into {n_head} heads of two rotary halves"),
        });
    }
    let row_len = shape.iter().skip(1).product::<u64>() as usize;
    let half = (rows / n_head / 2) as usize;
    let mut out = vec![0f32; data.len()];
    out.par_chunks_mut(row_len.max(1))
        .enumerate()
        .for_each(|(new_row, dst)| {
            let h = new_row / (2 * half);
            let rem = new_row % (2 * half);
            let (i, j) = (rem / 2, rem % 2);
            let old_row = h * 2 * half + j * half + i;
            dst.copy_from_slice(&data[old_row * row_len..(old_row + 1) * row_len]);
        });
    Ok(out)
}

/// Rounds to the nearest F16 value (numpy/torch semantics), returned as f32.
pub fn round_f16(x: f32) -> f32 {
    ggufpack_quant::half::f16_to_f32(numpy_f32_to_f16(x))
}

/// numpy's `float32 → float16` cast: round to nearest even; NaN keeps its sign and the top
/// payload bits (never becoming infinity).
pub fn numpy_f32_to_f16(x: f32) -> u16 {
    if x.is_nan() {
        let bits = x.to_bits();
        let sign = ((bits >> 16) & 0x8000) as u16;
        let mut h = 0x7c00u16 + ((bits & 0x007f_ffff) >> 13) as u16;
        if h == 0x7c00 {
            h += 1;
        }
        return sign | h;
    }
    ggufpack_quant::half::f32_to_f16(x)
}

/// gguf-py's BF16 rounding of an f32 (NaN made quiet, otherwise round to nearest even).
pub fn gguf_py_f32_to_bf16(x: f32) -> u16 {
    let mut n = x.to_bits();
    if n & 0x7fff_ffff > 0x7f80_0000 {
        n = (n & 0xffff_0000) | (64 << 16);
    }
    ((n as u64 + (0x7fff + ((n >> 16) & 1)) as u64) >> 16) as u16
}

/// Encodes `v` (row length `ne0`) as `ty`, the bytes gguf-py writes.
pub fn encode(name: &str, v: &Values, ty: GgmlType, ne0: usize) -> Result<Vec<u8>, ConvertError> {
    const CHUNK: usize = 1 << 16;
    match ty {
        GgmlType::F32 => {
            let mut out = vec![0u8; v.data.len() * 4];
            out.par_chunks_mut(CHUNK * 4)
                .zip(v.data.par_chunks(CHUNK))
                .for_each(|(o, s)| f32_to_le_bytes(s, o));
            Ok(out)
        }
        GgmlType::F16 => Ok(encode_u16(&v.data, f32_to_f16_bytes)),
        GgmlType::BF16 => Ok(encode_u16(&v.data, f32_to_bf16_bytes)),
        _ => {
            ggufpack_quant::quantize(ty, &v.data, ne0, None).map_err(|source| ConvertError::Quant {
                name: name.to_string(),
                source,
            })
        }
    }
}

fn encode_u16(data: &[f32], f: fn(&[f32], &mut [u8])) -> Vec<u8> {
    const CHUNK: usize = 1 << 16;
    let mut out = vec![0u8; data.len() * 2];
    out.par_chunks_mut(CHUNK * 2)
        .zip(data.par_chunks(CHUNK))
        .for_each(|(o, s)| f(s, o));
    out
}

/// Converts a stored F32/F16/BF16 tensor's bytes straight to F32/F16/BF16 output bytes, a block
/// at a time through a small buffer (no whole-tensor f32 copy); `None` for other combinations.
pub fn convert_plain(
    dtype: crate::source::Dtype,
    data: &[u8],
    ty: GgmlType,
) -> Option<Result<Vec<u8>, ConvertError>> {
    use crate::source::Dtype;
    const BLOCK: usize = 4096;
    if !matches!(dtype, Dtype::F32 | Dtype::F16 | Dtype::BF16) {
        return None;
    }
    let enc: fn(&[f32], &mut [u8]) = match ty {
        GgmlType::F16 => f32_to_f16_bytes,
        GgmlType::BF16 => f32_to_bf16_bytes,
        GgmlType::F32 => f32_to_le_bytes,
        _ => return None,
    };
    let in_size = dtype.byte_size()?;
    let out_size = if ty == GgmlType::F32 { 4 } else { 2 };
    let n = data.len() / in_size;
    let mut out = vec![0u8; n * out_size];
    let r = out
        .par_chunks_mut(BLOCK * out_size)
        .zip(data.par_chunks(BLOCK * in_size))
        .try_for_each(|(o, s)| {
            let mut buf = [0f32; BLOCK];
            let k = s.len() / in_size;
            crate::source::to_f32_into(dtype, s, &mut buf[..k])?;
            enc(&buf[..k], o);
            Ok::<(), ConvertError>(())
        });
    Some(r.map(|()| out))
}

/// [`numpy_f32_to_f16`] over a slice, written without branches so it vectorizes; `dst` receives
/// the little-endian F16 bytes (`2 * src.len()`).
pub fn f32_to_f16_bytes(src: &[f32], dst: &mut [u8]) {
    for (x, d) in src.iter().zip(dst.chunks_exact_mut(2)) {
        d.copy_from_slice(&f32_to_f16_branchless(*x).to_le_bytes());
    }
}

#[inline(always)]
fn f32_to_f16_branchless(x: f32) -> u16 {
    let w = x.to_bits();
    let sign = (w >> 16) & 0x8000;
    let abs = w & 0x7fff_ffff;
    // Normal: rebias the exponent and round the 13 dropped bits to nearest even.
    let normal = abs.wrapping_add(0xc800_0fff).wrapping_add((abs >> 13) & 1) >> 13;
    // Subnormal or zero: let an f32 addition do the rounding.
    let sub = (f32::from_bits(abs) + 0.5)
        .to_bits()
        .wrapping_sub(0x3f00_0000);
    // NaN as numpy: the top payload bits, never turning into infinity.
    let nan = 0x7c00 + ((w & 0x007f_ffff) >> 13);
    let nan = nan + u32::from(nan == 0x7c00);
    let mut r = if abs < 0x3880_0000 { sub } else { normal };
    r = if abs >= 0x477f_f000 { 0x7c00 } else { r };
    r = if abs > 0x7f80_0000 { nan } else { r };
    (sign | r) as u16
}

/// F32 values as their little-endian bytes.
fn f32_to_le_bytes(src: &[f32], dst: &mut [u8]) {
    for (x, d) in src.iter().zip(dst.chunks_exact_mut(4)) {
        d.copy_from_slice(&x.to_le_bytes());
    }
}

/// [`gguf_py_f32_to_bf16`] over a slice, into little-endian bytes.
pub fn f32_to_bf16_bytes(src: &[f32], dst: &mut [u8]) {
    for (x, d) in src.iter().zip(dst.chunks_exact_mut(2)) {
        d.copy_from_slice(&gguf_py_f32_to_bf16(*x).to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permute_matches_reshape_swapaxes() {
        // 2 heads of 4 rows (two halves of 2), rows of 1 element: rows 0..8.
        let data: Vec<f32> = (0..8).map(|x| x as f32).collect();
        let out = permute("t", &data, &[8], 2).unwrap();
        assert_eq!(out, [0.0, 2.0, 1.0, 3.0, 4.0, 6.0, 5.0, 7.0]);
    }

    #[test]
    fn bf16_rounding_matches_gguf_py() {
        assert_eq!(gguf_py_f32_to_bf16(1.0), 0x3f80);
        assert_eq!(gguf_py_f32_to_bf16(f32::from_bits(0x3f80_8000)), 0x3f80); // tie to even
        assert_eq!(gguf_py_f32_to_bf16(f32::from_bits(0x3f81_8000)), 0x3f82);
        assert_eq!(gguf_py_f32_to_bf16(f32::from_bits(0x7f80_0001)), 0x7fc0);
    }

    #[test]
    fn branchless_f16_matches_scalar_everywhere() {
        // Every f32 whose low 9 bits are a sample pattern: covers all exponents, rounding ties,
        // subnormals, infinities and NaN payloads.
        let mut dst = [0u8; 2];
        for hi in 0..(1u32 << 23) {
            for lo in [0u32, 0x0ff, 0x100, 0x1ff] {
                let x = f32::from_bits((hi << 9) | lo);
                f32_to_f16_bytes(&[x], &mut dst);
                assert_eq!(
                    u16::from_le_bytes(dst),
                    numpy_f32_to_f16(x),
                    "{:#x}",
                    x.to_bits()
                );
            }
        }
    }

    #[test]
    fn f16_nan_keeps_payload() {
        assert_eq!(numpy_f32_to_f16(f32::from_bits(0x7fc0_0000)), 0x7e00);
        assert_eq!(numpy_f32_to_f16(f32::from_bits(0x7f80_0001)), 0x7c01);
        assert_eq!(numpy_f32_to_f16(1.0), 0x3c00);
    }
}
