//! One module per ggml block format: the block struct with its size assertion, quantize (the
//! `_ref` path and the importance-weighted path), dequantize and the dot product against the
//! activation type, each as ggml's portable C defines it.

pub mod float;

pub mod q1_0;
pub mod q2_0;
pub mod q4_0;
pub mod q4_1;
pub mod q5_0;
pub mod q5_1;
pub mod q8_0;
pub mod q8_1;

pub mod q2_k;
pub mod q3_k;
pub mod q4_k;
pub mod q5_k;
pub mod q6_k;
pub mod q8_k;

pub mod tq1_0;
pub mod tq2_0;

pub mod iq4_nl;
pub mod iq4_xs;
pub mod mxfp4;
pub mod nvfp4;

pub mod iq_grids;

pub mod iq1_m;
pub mod iq1_s;
pub mod iq2_s;
pub mod iq2_xs;
pub mod iq2_xxs;
pub mod iq3_s;
pub mod iq3_xxs;
