//! Compute backends, chosen once at run time (the shape of blake3's `platform.rs`): the scalar
//! reference, and AVX2 on x86-64 CPUs that have it. Every backend produces the same bytes as
//! the scalar reference (and so as ggml); the tests run each one against it.
//!
//! `GGUFPACK_BACKEND=scalar` in the environment forces the scalar path (for CI and for
//! comparing); [`Backend::avx2`] lets tests and benches pin a backend explicitly.

mod avx2;
pub(crate) mod lanes;

use std::sync::OnceLock;

use ggufpack_gguf::GgmlType;

use crate::table::{DequantizeFn, QuantizeFn};

/// A compute backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// The portable scalar reference, written for clarity; always available.
    Scalar,
    /// x86-64 AVX2 kernels (`#[target_feature(enable = "avx2")]`), bit-identical to `Scalar`.
    Avx2,
}

impl Backend {
    /// The scalar reference backend.
    pub fn scalar() -> Backend {
        Backend::Scalar
    }

    /// The AVX2 backend, when this CPU supports it.
    pub fn avx2() -> Option<Backend> {
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Some(Backend::Avx2);
        }
        None
    }

    /// The fastest backend this CPU supports, or `Scalar` when the environment variable
    /// `GGUFPACK_BACKEND` is `scalar`.
    pub fn detect() -> Backend {
        if std::env::var("GGUFPACK_BACKEND").is_ok_and(|v| v.eq_ignore_ascii_case("scalar")) {
            return Backend::Scalar;
        }
        Self::avx2().unwrap_or(Backend::Scalar)
    }

    /// [`Backend::detect`], run once per process and cached.
    pub fn active() -> Backend {
        static ACTIVE: OnceLock<Backend> = OnceLock::new();
        *ACTIVE.get_or_init(Self::detect)
    }

    /// Every backend this CPU supports, the scalar reference first.
    pub fn available() -> Vec<Backend> {
        std::iter::once(Backend::Scalar)
            .chain(Self::avx2())
            .collect()
    }

    /// A short name (`"scalar"`, `"avx2"`).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Scalar => "scalar",
            Backend::Avx2 => "avx2",
        }
    }
}

/// The row quantizer `backend` has for `ty`, when it has its own (otherwise the scalar one in
/// the format table is used).
pub(crate) fn quantize_fn(ty: GgmlType, backend: Backend) -> Option<QuantizeFn> {
    match backend {
        Backend::Scalar => None,
        Backend::Avx2 => avx2::quantize_fn(ty),
    }
}

/// The dequantizer `backend` has for `ty`, when it has its own.
pub(crate) fn dequantize_fn(ty: GgmlType, backend: Backend) -> Option<DequantizeFn> {
    match backend {
        Backend::Scalar => None,
        Backend::Avx2 => avx2::dequantize_fn(ty),
    }
}
