//! Alignment-free little-endian fields for block structs, so that every block type has
//! alignment 1 and a `&[u8]` of any address casts to `&[Block]` with `bytemuck`.

use bytemuck::{Pod, Zeroable};

use crate::half::{f16_to_f32, f32_to_f16};

/// An IEEE half stored as two little-endian bytes (`ggml_half`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(transparent)]
pub struct F16([u8; 2]);

impl F16 {
    /// Rounds `f` to the nearest half, as ggml's `GGML_FP32_TO_FP16`.
    pub fn from_f32(f: f32) -> Self {
        F16(f32_to_f16(f).to_le_bytes())
    }

    /// The value, as ggml's `GGML_FP16_TO_FP32`.
    pub fn to_f32(self) -> f32 {
        f16_to_f32(u16::from_le_bytes(self.0))
    }

    /// The raw bits.
    pub fn bits(self) -> u16 {
        u16::from_le_bytes(self.0)
    }
}

/// An `f32` stored as four little-endian bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(transparent)]
pub struct F32Le([u8; 4]);

impl F32Le {
    /// Stores `f`.
    pub fn new(f: f32) -> Self {
        F32Le(f.to_le_bytes())
    }

    /// The value.
    pub fn get(self) -> f32 {
        f32::from_le_bytes(self.0)
    }
}

/// An `i16` stored as two little-endian bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(transparent)]
pub struct I16Le([u8; 2]);

impl I16Le {
    /// Stores `v`.
    pub fn new(v: i16) -> Self {
        I16Le(v.to_le_bytes())
    }

    /// The value.
    pub fn get(self) -> i16 {
        i16::from_le_bytes(self.0)
    }
}

/// A ggml block type: a plain-old-data struct of alignment 1 holding `BLOCK` elements.
pub trait Block: Pod {
    /// Elements per block (`QK_*`).
    const BLOCK: usize;
}
