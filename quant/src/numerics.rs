//! ggml's shared quantization numerics (`nearest_int` and the `make_*_quants` scale searches),
//! ported from `ggml-quants.c` operation for operation so that results are bit-exact.
//!
//! Conventions: the element count `n` of the C functions is the length of `x`; every other slice
//! must be at least that long. Quant outputs are `&mut [i8]` / `&mut [u8]` as in the C
//! (`int8_t *` / `uint8_t *`), extra outputs such as `the_min` are `&mut f32`, and the order of
//! the remaining parameters is the C order. All arithmetic is `f32` exactly where the C uses
//! `float`, with no fused multiply-add.

use crate::block::F16;

/// `GROUP_MAX_EPS`: below this absolute maximum a group is treated as all zero.
pub const GROUP_MAX_EPS: f32 = 1e-15;
/// `GROUP_MAX_EPS_IQ3_XXS`.
pub const GROUP_MAX_EPS_IQ3_XXS: f32 = 1e-8;
/// `GROUP_MAX_EPS_IQ2_S`.
pub const GROUP_MAX_EPS_IQ2_S: f32 = 1e-8;
/// `GROUP_MAX_EPS_IQ1_M`.
pub const GROUP_MAX_EPS_IQ1_M: f32 = 1e-7;
/// `GROUP_MAX_EPS_IQ1_S`.
pub const GROUP_MAX_EPS_IQ1_S: f32 = 1e-12;

/// `kvalues_iq4nl`: the 16 non-linear levels of IQ4_NL and IQ4_XS.
pub const KVALUES_IQ4NL: [i8; 16] = [
    -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
];

/// `kvalues_mxfp4` (`kvalues_fp4`): the E2M1 values doubled, shared by MXFP4 and NVFP4.
pub const KVALUES_MXFP4: [i8; 16] = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];

/// ggml's `nearest_int`: rounds `fval` to the nearest integer, ties to even, with the
/// "add 1.5·2^23 and read the mantissa" trick. Meaningful for `|fval| <= 4194303`; ggml only
/// asserts that in debug builds, so larger inputs give the same (meaningless) bits as its release
/// builds rather than a panic.
#[inline]
pub fn nearest_int(fval: f32) -> i32 {
    let val = fval + 12_582_912.0;
    let i = val.to_bits() as i32;
    (i & 0x007f_ffff) - 0x0040_0000
}

/// C's `float` → integer conversion as ggml's x86-64 builds execute it (`cvttss2si`):
/// truncation toward zero, and the "integer indefinite" value `i32::MIN` for NaN and values out
/// of `i32` range (Rust's `as` saturates instead). Casts to `int8_t` / `uint8_t` keep the low
/// byte of this (`c_float_to_int(v) as i8`), which is what the compiled C does for the infinite
/// or NaN intermediates a denormal block scale produces.
#[inline(always)]
pub fn c_float_to_int(v: f32) -> i32 {
    // both comparisons are false for NaN; written as a select (no short-circuit branch) so
    // loops of it compile to `cvttps2dq` and a blend
    let in_range = (-2_147_483_648.0..2_147_483_648.0).contains(&v);
    let t = v as i32;
    if in_range {
        t
    } else {
        i32::MIN
    }
}

/// C's `roundf` (half away from zero), exact for every input, without a libm call so loops
/// over it vectorize: below 2^23 the fraction is exact after truncation; above, every float is
/// already an integer (and NaN/infinities pass through).
#[inline(always)]
pub fn round_half_away(x: f32) -> f32 {
    let t = (x as i32) as f32;
    let frac = x - t;
    let r = if frac >= 0.5 {
        t + 1.0
    } else if frac <= -0.5 {
        t - 1.0
    } else {
        t
    };
    // -0.4 truncates to +0.0 where roundf gives -0.0: keep the sign.
    let r = f32::from_bits(r.to_bits() | (x.to_bits() & 0x8000_0000));
    if x.abs() < 8_388_608.0 {
        r
    } else {
        x
    }
}

/// `MAX(lo, MIN(hi, v))` on integers.
#[inline]
fn clamp_i(v: i32, lo: i32, hi: i32) -> i32 {
    lo.max(hi.min(v))
}

/// The weight `make_qx_quants` gives element `i`: `qw[i]` or a function of `x[i]` chosen by
/// `rmse_type` (1: x², 2: 1, 3: |x|, otherwise √|x|).
#[inline]
fn qx_weight(qw: Option<&[f32]>, rmse_type: i32, x: &[f32], i: usize) -> f32 {
    match qw {
        Some(qw) => qw[i],
        None => match rmse_type {
            1 => x[i] * x[i],
            2 => 1.0,
            3 => x[i].abs(),
            _ => x[i].abs().sqrt(),
        },
    }
}

/// ggml's `make_qx_quants`: symmetric quantization of `x` to levels `-nmax..nmax-1`, stored
/// offset by `nmax` in `l`; returns the scale.
///
/// `rmse_type` 0 takes the plain `max / -nmax` scale; otherwise the weighted least-squares scale
/// (weights `qw`, or derived from `x` by `rmse_type`) refined over 18 trial scales. A negative
/// `rmse_type` stops after the first least-squares step and returns the mean of the two scales.
pub fn make_qx_quants(
    nmax: i32,
    x: &[f32],
    l: &mut [i8],
    rmse_type: i32,
    qw: Option<&[f32]>,
) -> f32 {
    let n = x.len();
    let l = &mut l[..n];
    let mut max = 0f32;
    let mut amax = 0f32;
    for &v in x {
        let ax = v.abs();
        if ax > amax {
            amax = ax;
            max = v;
        }
    }
    if amax < GROUP_MAX_EPS {
        l.fill(0);
        return 0.0;
    }
    let mut iscale = (-nmax) as f32 / max;
    if rmse_type == 0 {
        for (q, &v) in l.iter_mut().zip(x) {
            let li = nearest_int(iscale * v);
            *q = (nmax + clamp_i(li, -nmax, nmax - 1)) as i8;
        }
        return 1.0 / iscale;
    }
    let mut rmse_type = rmse_type;
    let mut return_early = false;
    if rmse_type < 0 {
        rmse_type = -rmse_type;
        return_early = true;
    }
    let mut sumlx = 0f32;
    let mut suml2 = 0f32;
    for i in 0..n {
        let li = clamp_i(nearest_int(iscale * x[i]), -nmax, nmax - 1);
        l[i] = (li + nmax) as i8;
        let w = qx_weight(qw, rmse_type, x, i);
        let lf = li as f32;
        sumlx += w * x[i] * lf;
        suml2 += w * lf * lf;
    }
    let mut scale = if suml2 != 0.0 { sumlx / suml2 } else { 0.0 };
    if return_early {
        return if suml2 > 0.0 {
            0.5 * (scale + 1.0 / iscale)
        } else {
            1.0 / iscale
        };
    }
    let mut best = scale * sumlx;
    for is in -9..=9 {
        if is == 0 {
            continue;
        }
        iscale = -(nmax as f32 + 0.1 * is as f32) / max;
        sumlx = 0.0;
        suml2 = 0.0;
        for i in 0..n {
            let li = clamp_i(nearest_int(iscale * x[i]), -nmax, nmax - 1);
            let w = qx_weight(qw, rmse_type, x, i);
            let lf = li as f32;
            sumlx += w * x[i] * lf;
            suml2 += w * lf * lf;
        }
        if suml2 > 0.0 && sumlx * sumlx > best * suml2 {
            for (q, &v) in l.iter_mut().zip(x) {
                let li = nearest_int(iscale * v);
                *q = (nmax + clamp_i(li, -nmax, nmax - 1)) as i8;
            }
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    scale
}

/// ggml's `make_q3_quants`: symmetric quantization to `-nmax..nmax-1` (stored offset by `nmax`
/// in `l`); with `do_rmse`, up to five passes of per-element coordinate descent on the
/// x²-weighted error. Returns the scale.
pub fn make_q3_quants(nmax: i32, x: &[f32], l: &mut [i8], do_rmse: bool) -> f32 {
    let n = x.len();
    let l = &mut l[..n];
    let mut max = 0f32;
    let mut amax = 0f32;
    for &v in x {
        let ax = v.abs();
        if ax > amax {
            amax = ax;
            max = v;
        }
    }
    if amax < GROUP_MAX_EPS {
        l.fill(0);
        return 0.0;
    }
    let iscale = (-nmax) as f32 / max;
    if do_rmse {
        let mut sumlx = 0f32;
        let mut suml2 = 0f32;
        for i in 0..n {
            let li = clamp_i(nearest_int(iscale * x[i]), -nmax, nmax - 1);
            l[i] = li as i8;
            let w = x[i] * x[i];
            let lf = li as f32;
            sumlx += w * x[i] * lf;
            suml2 += w * lf * lf;
        }
        for _itry in 0..5 {
            let mut n_changed = 0;
            for i in 0..n {
                let w = x[i] * x[i];
                let li = f32::from(l[i]);
                let mut slx = sumlx - w * x[i] * li;
                if slx > 0.0 {
                    let mut sl2 = suml2 - w * li * li;
                    let new_l = clamp_i(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
                    if new_l != i32::from(l[i]) {
                        let nf = new_l as f32;
                        slx += w * x[i] * nf;
                        sl2 += w * nf * nf;
                        if sl2 > 0.0 && slx * slx * suml2 > sumlx * sumlx * sl2 {
                            l[i] = new_l as i8;
                            sumlx = slx;
                            suml2 = sl2;
                            n_changed += 1;
                        }
                    }
                }
            }
            if n_changed == 0 {
                break;
            }
        }
        for q in l.iter_mut() {
            *q = (i32::from(*q) + nmax) as i8;
        }
        return if suml2 > 0.0 { sumlx / suml2 } else { 0.0 };
    }
    for (q, &v) in l.iter_mut().zip(x) {
        let li = clamp_i(nearest_int(iscale * v), -nmax, nmax - 1);
        *q = (li + nmax) as i8;
    }
    1.0 / iscale
}

/// The shared body of `make_qkx2_quants` / `make_qkx3_quants`; `weight(i)` gives element `i`'s
/// weight and `all_equal` is the early-exit test on (max, min).
#[allow(clippy::too_many_arguments)]
#[inline]
fn make_qkx_quants_impl(
    nmax: i32,
    x: &[f32],
    weight: impl Fn(usize) -> f32,
    l: &mut [u8],
    the_min: &mut f32,
    laux: &mut [u8],
    rmin: f32,
    rdelta: f32,
    nstep: i32,
    use_mad: bool,
    degenerate: fn(f32, f32) -> bool,
) -> f32 {
    let n = x.len();
    let l = &mut l[..n];
    let laux = &mut laux[..n];
    let mut min = x[0];
    let mut max = x[0];
    let mut sum_w = weight(0);
    let mut sum_x = sum_w * x[0];
    for (i, &xi) in x.iter().enumerate().skip(1) {
        if xi < min {
            min = xi;
        }
        if xi > max {
            max = xi;
        }
        let w = weight(i);
        sum_w += w;
        sum_x += w * xi;
    }
    if min > 0.0 {
        min = 0.0;
    }
    if degenerate(max, min) {
        l.fill(0);
        *the_min = -min;
        return 0.0;
    }
    let mut iscale = nmax as f32 / (max - min);
    let mut scale = 1.0 / iscale;
    let mut best_error = 0f32;
    for i in 0..n {
        let li = nearest_int(iscale * (x[i] - min));
        l[i] = clamp_i(li, 0, nmax) as u8;
        let diff = scale * f32::from(l[i]) + min - x[i];
        let diff = if use_mad { diff.abs() } else { diff * diff };
        best_error += weight(i) * diff;
    }
    if nstep < 1 {
        *the_min = -min;
        return scale;
    }
    for is in 0..=nstep {
        iscale = (rmin + rdelta * is as f32 + nmax as f32) / (max - min);
        let mut sum_l = 0f32;
        let mut sum_l2 = 0f32;
        let mut sum_xl = 0f32;
        for i in 0..n {
            let li = clamp_i(nearest_int(iscale * (x[i] - min)), 0, nmax);
            laux[i] = li as u8;
            let w = weight(i);
            let lf = li as f32;
            sum_l += w * lf;
            sum_l2 += w * lf * lf;
            sum_xl += w * lf * x[i];
        }
        let d = sum_w * sum_l2 - sum_l * sum_l;
        if d > 0.0 {
            let mut this_scale = (sum_w * sum_xl - sum_x * sum_l) / d;
            let mut this_min = (sum_l2 * sum_x - sum_l * sum_xl) / d;
            if this_min > 0.0 {
                this_min = 0.0;
                this_scale = sum_xl / sum_l2;
            }
            let mut cur_error = 0f32;
            for i in 0..n {
                let diff = this_scale * f32::from(laux[i]) + this_min - x[i];
                let diff = if use_mad { diff.abs() } else { diff * diff };
                cur_error += weight(i) * diff;
            }
            if cur_error < best_error {
                l.copy_from_slice(laux);
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *the_min = -min;
    scale
}

/// ggml's `make_qkx2_quants`: asymmetric quantization of `x` to `0..=nmax` with a minimum,
/// searching `nstep + 1` trial scales `(rmin + rdelta·is + nmax) / (max - min)` for the lowest
/// `weights`-weighted error (absolute with `use_mad`, squared otherwise). Writes the levels to
/// `l` (`laux` is scratch), the negated minimum to `the_min`, and returns the scale.
#[allow(clippy::too_many_arguments)]
pub fn make_qkx2_quants(
    nmax: i32,
    x: &[f32],
    weights: &[f32],
    l: &mut [u8],
    the_min: &mut f32,
    laux: &mut [u8],
    rmin: f32,
    rdelta: f32,
    nstep: i32,
    use_mad: bool,
) -> f32 {
    let weights = &weights[..x.len()];
    make_qkx_quants_impl(
        nmax,
        x,
        |i| weights[i],
        l,
        the_min,
        laux,
        rmin,
        rdelta,
        nstep,
        use_mad,
        |max, min| max == min,
    )
}

/// ggml's `make_qkx3_quants`: as [`make_qkx2_quants`], but the weights are optional (`None`
/// weighs each element by x²) and the all-equal test is `max <= min`.
#[allow(clippy::too_many_arguments)]
pub fn make_qkx3_quants(
    nmax: i32,
    x: &[f32],
    weights: Option<&[f32]>,
    l: &mut [u8],
    the_min: &mut f32,
    laux: &mut [u8],
    rmin: f32,
    rdelta: f32,
    nstep: i32,
    use_mad: bool,
) -> f32 {
    let weights = weights.map(|w| &w[..x.len()]);
    make_qkx_quants_impl(
        nmax,
        x,
        |i| match weights {
            Some(w) => w[i],
            None => x[i] * x[i],
        },
        l,
        the_min,
        laux,
        rmin,
        rdelta,
        nstep,
        use_mad,
        |max, min| max <= min,
    )
}

/// ggml's `make_qp_quants`: quantization of non-negative `x` (typically sub-block scales) to
/// `0..=nmax` with weights `quant_weights`: picks the best of nine trial scales by weighted
/// squared error, then refines the levels by coordinate descent. Writes the levels to `l` and
/// returns the scale.
///
/// Levels are stored as `uint8_t` exactly as in the C (a negative level, possible only for
/// negative inputs, wraps modulo 256).
pub fn make_qp_quants(nmax: i32, x: &[f32], l: &mut [u8], quant_weights: &[f32]) -> f32 {
    let n = x.len();
    let l = &mut l[..n];
    let qw = &quant_weights[..n];
    let mut max = 0f32;
    for &v in x {
        max = if max > v { max } else { v };
    }
    if max < GROUP_MAX_EPS {
        l.fill(0);
        return 0.0;
    }
    let mut iscale = nmax as f32 / max;
    for (q, &v) in l.iter_mut().zip(x) {
        *q = nearest_int(iscale * v) as u8;
    }
    let scale = 1.0 / iscale;
    let mut best_mse = 0f32;
    for i in 0..n {
        let diff = x[i] - scale * f32::from(l[i]);
        best_mse += qw[i] * diff * diff;
    }
    for is in -4..=4 {
        if is == 0 {
            continue;
        }
        let iscale_is = (0.1 * is as f32 + nmax as f32) / max;
        let scale_is = 1.0 / iscale_is;
        let mut mse = 0f32;
        for i in 0..n {
            let li = nmax.min(nearest_int(iscale_is * x[i]));
            let diff = x[i] - scale_is * li as f32;
            mse += qw[i] * diff * diff;
        }
        if mse < best_mse {
            best_mse = mse;
            iscale = iscale_is;
        }
    }
    let mut sumlx = 0f32;
    let mut suml2 = 0f32;
    for i in 0..n {
        let li = nmax.min(nearest_int(iscale * x[i]));
        l[i] = li as u8;
        let w = qw[i];
        let lf = li as f32;
        sumlx += w * x[i] * lf;
        suml2 += w * lf * lf;
    }
    for _itry in 0..5 {
        let mut n_changed = 0;
        for i in 0..n {
            let w = qw[i];
            let li = f32::from(l[i]);
            let mut slx = sumlx - w * x[i] * li;
            let mut sl2 = suml2 - w * li * li;
            if slx > 0.0 && sl2 > 0.0 {
                let new_l = nmax.min(nearest_int(x[i] * sl2 / slx));
                if new_l != i32::from(l[i]) {
                    let nf = new_l as f32;
                    slx += w * x[i] * nf;
                    sl2 += w * nf * nf;
                    if slx * slx * suml2 > sumlx * sumlx * sl2 {
                        l[i] = new_l as u8;
                        sumlx = slx;
                        suml2 = sl2;
                        n_changed += 1;
                    }
                }
            }
        }
        if n_changed == 0 {
            break;
        }
    }
    if suml2 > 0.0 {
        sumlx / suml2
    } else {
        0.0
    }
}

/// ggml's `best_index_int8`: the index of the entry of the sorted table `val` nearest to `x`
/// (binary search; on a tie between neighbours, the upper one).
pub fn best_index_int8(val: &[i8], x: f32) -> usize {
    let n = val.len();
    if x <= f32::from(val[0]) {
        return 0;
    }
    if x >= f32::from(val[n - 1]) {
        return n - 1;
    }
    let (mut ml, mut mu) = (0usize, n - 1);
    while mu - ml > 1 {
        let mav = (ml + mu) / 2;
        if x < f32::from(val[mav]) {
            mu = mav;
        } else {
            ml = mav;
        }
    }
    if x - f32::from(val[mu - 1]) < f32::from(val[mu]) - x {
        mu - 1
    } else {
        mu
    }
}

/// ggml's `best_index_mxfp4`: the index of the [`KVALUES_MXFP4`] entry whose value times `e` is
/// nearest to `x` (linear scan, first index on ties).
pub fn best_index_mxfp4(x: f32, e: f32) -> u8 {
    let mut best_index = 0u8;
    let mut best_err = (f32::from(KVALUES_MXFP4[0]) * e - x).abs();
    for (i, &k) in KVALUES_MXFP4.iter().enumerate().skip(1) {
        let err = (f32::from(k) * e - x).abs();
        if err < best_err {
            best_index = i as u8;
            best_err = err;
        }
    }
    best_index
}

/// ggml's `ggml_e8m0_to_fp32`: the E8M0 scale `2^(x-127)` (`x == 0` gives `2^-127`).
pub fn e8m0_to_fp32(x: u8) -> f32 {
    let bits = if x == 0 {
        0x0040_0000
    } else {
        u32::from(x) << 23
    };
    f32::from_bits(bits)
}

/// ggml's `ggml_e8m0_to_fp32_half`: half the E8M0 scale, `2^(x-128)` (MXFP4 stores doubled
/// E2M1 values).
pub fn e8m0_to_fp32_half(x: u8) -> f32 {
    let bits = if x < 2 {
        0x0020_0000u32 << x
    } else {
        u32::from(x - 1) << 23
    };
    f32::from_bits(bits)
}

/// `2^e` as an `f32`, for the normal range of exponents used here (`ldexpf` of an exact value).
fn pow2(e: i32) -> f32 {
    debug_assert!((-126..=127).contains(&e));
    f32::from_bits(((e + 127) as u32) << 23)
}

/// ggml's `ggml_ue4m3_to_fp32`: an unsigned E4M3 scale (bias 7; `0` and `0x7F` are zero), halved
/// to match the doubled E2M1 values of [`KVALUES_MXFP4`].
pub fn ue4m3_to_fp32(x: u8) -> f32 {
    if x == 0 || x == 0x7F {
        return 0.0;
    }
    let exp = i32::from((x >> 3) & 0xF);
    let man = x & 0x7;
    let raw = if exp == 0 {
        f32::from(man) * pow2(-9)
    } else {
        (1.0 + f32::from(man) / 8.0) * pow2(exp - 7)
    };
    raw * 0.5
}

/// ggml's `ggml_fp32_to_ue4m3`: rounds a positive `x` to an unsigned E4M3 scale (the mantissa
/// rounded half up on the first dropped bit, saturating at 448 = `0x7E`); non-positive or NaN
/// gives 0.
#[allow(clippy::neg_cmp_op_on_partial_ord)]
pub fn fp32_to_ue4m3(x: f32) -> u8 {
    if !(x > 0.0) {
        return 0;
    }
    let x = if x > 448.0 { 448.0 } else { x };
    let bits = x.to_bits();
    let fp32_exp = ((bits >> 23) & 0xFF) as i32 - 127;
    let fp32_man = ((bits >> 20) & 0x7) as i32;
    let mut ue4m3_exp = fp32_exp + 7;
    if ue4m3_exp <= 0 {
        let man = (x * 512.0 + 0.5) as i32;
        let man = man.min(7);
        if man < 1 {
            return 0;
        }
        return man as u8;
    }
    if ue4m3_exp >= 15 {
        return 0x7E;
    }
    let round_bit = ((bits >> 19) & 1) as i32;
    let mut ue4m3_man = fp32_man + round_bit;
    if ue4m3_man > 7 {
        ue4m3_man = 0;
        ue4m3_exp += 1;
        if ue4m3_exp >= 15 {
            return 0x7E;
        }
    }
    ((ue4m3_exp << 3) | ue4m3_man) as u8
}

/// Largest super-block [`quantize_row_iq4_nl_impl`] handles (`QK_K`).
const IQ4_MAX_SUPER_BLOCK: usize = 256;

/// ggml's `quantize_row_iq4_nl_impl`, shared by IQ4_NL (one block of 32, `scales_l` empty) and
/// IQ4_XS (a super-block of 256 with 6-bit sub-block scales): quantizes `x` (one super-block)
/// to indices into `values`, writing the f16 super-scale to `dh`, the packed nibbles to `q4`,
/// and for more than one sub-block the scale bits to `scales_h` / `scales_l`.
///
/// `l` is the C's level buffer (`uint8_t L[]`), passed in because the C reuses it across blocks:
/// a sub-block whose maximum is below [`GROUP_MAX_EPS`] keeps the levels already in it when no
/// later pass rewrites them (the IQ4_NL `_ref` path, `ntry <= 0`). The other scratch arrays of
/// the C signature (`scales`, `weight`) are internal. `ntry > 0` searches `2·ntry + 1` trial
/// scales and re-quantizes with the final scale; `ntry <= 0` is the reference (no search).
#[allow(clippy::too_many_arguments)]
pub fn quantize_row_iq4_nl_impl(
    block_size: usize,
    x: &[f32],
    dh: &mut F16,
    q4: &mut [u8],
    scales_h: &mut u16,
    scales_l: &mut [u8],
    l: &mut [u8],
    values: &[i8; 16],
    quant_weights: Option<&[f32]>,
    ntry: i32,
) {
    let super_block_size = x.len();
    assert!(super_block_size <= IQ4_MAX_SUPER_BLOCK && super_block_size % block_size == 0);
    assert!(block_size <= 32 && super_block_size % 32 == 0);
    let nb = super_block_size / block_size;
    let l = &mut l[..super_block_size];
    let q4 = &mut q4[..super_block_size / 2];
    let mut scales = [0f32; IQ4_MAX_SUPER_BLOCK / 32];
    let mut weight = [0f32; 32];
    let v0 = f32::from(values[0]);

    let mut sigma2 = 0f32;
    for &v in x {
        sigma2 += v * v;
    }
    sigma2 *= 2.0 / super_block_size as f32;

    q4.fill(0);
    *dh = F16::from_f32(0.0);

    let mut max_scale = 0f32;
    let mut amax_scale = 0f32;
    for ib in 0..nb {
        let xb = &x[ib * block_size..(ib + 1) * block_size];
        let lb = &mut l[ib * block_size..(ib + 1) * block_size];
        let weight = &mut weight[..block_size];
        match quant_weights {
            Some(qw) => {
                let qw = &qw[ib * block_size..(ib + 1) * block_size];
                for ((w, &q), &v) in weight.iter_mut().zip(qw).zip(xb) {
                    *w = q * (sigma2 + v * v).sqrt();
                }
            }
            None => {
                for (w, &v) in weight.iter_mut().zip(xb) {
                    *w = v * v;
                }
            }
        }
        let mut amax = 0f32;
        let mut max = 0f32;
        for &v in xb {
            let ax = v.abs();
            if ax > amax {
                amax = ax;
                max = v;
            }
        }
        if amax < GROUP_MAX_EPS {
            scales[ib] = 0.0;
            continue;
        }
        let mut d = if ntry > 0 { -max / v0 } else { max / v0 };
        let mut id = 1.0 / d;
        let mut sumqx = 0f32;
        let mut sumq2 = 0f32;
        for j in 0..block_size {
            let al = id * xb[j];
            let li = best_index_int8(values, al);
            lb[j] = li as u8;
            let q = f32::from(values[li]);
            let w = weight[j];
            sumqx += w * q * xb[j];
            sumq2 += w * q * q;
        }
        d = if sumq2 > 0.0 { sumqx / sumq2 } else { 0.0 };
        let mut best = d * sumqx;
        for itry in -ntry..=ntry {
            id = (itry + i32::from(values[0])) as f32 / max;
            sumqx = 0.0;
            sumq2 = 0.0;
            for j in 0..block_size {
                let al = id * xb[j];
                let li = best_index_int8(values, al);
                let q = f32::from(values[li]);
                let w = weight[j];
                sumqx += w * q * xb[j];
                sumq2 += w * q * q;
            }
            if sumq2 > 0.0 && sumqx * sumqx > best * sumq2 {
                d = sumqx / sumq2;
                best = d * sumqx;
            }
        }
        scales[ib] = d;
        let abs_d = d.abs();
        if abs_d > amax_scale {
            amax_scale = abs_d;
            max_scale = d;
        }
    }

    if nb > 1 {
        *scales_h = 0;
        let d = -max_scale / 32.0;
        *dh = F16::from_f32(d);
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        for ib in 0..nb {
            let li = clamp_i(nearest_int(id * scales[ib]), -32, 31);
            let dl = d * li as f32;
            let idl = if dl != 0.0 { 1.0 / dl } else { 0.0 };
            let xb = &x[ib * block_size..(ib + 1) * block_size];
            let lb = &mut l[ib * block_size..(ib + 1) * block_size];
            for (q, &v) in lb.iter_mut().zip(xb) {
                *q = best_index_int8(values, idl * v) as u8;
            }
            let li = (li + 32) as u8;
            let l_l = li & 0xf;
            let l_h = li >> 4;
            if ib % 2 == 0 {
                scales_l[ib / 2] = l_l;
            } else {
                scales_l[ib / 2] |= l_l << 4;
            }
            *scales_h |= u16::from(l_h) << (2 * (ib % 8));
        }
    } else {
        *dh = F16::from_f32(scales[0]);
        if ntry > 0 {
            let id = if scales[0] != 0.0 {
                1.0 / scales[0]
            } else {
                0.0
            };
            for (q, &v) in l.iter_mut().zip(x) {
                *q = best_index_int8(values, id * v) as u8;
            }
        }
    }

    for (q, lc) in q4.chunks_exact_mut(16).zip(l.chunks_exact(32)) {
        for j in 0..16 {
            q[j] = lc[j] | (lc[16 + j] << 4);
        }
    }
}

/// The importance-weighted block search of Q4_0 / Q5_0 on up to eight blocks of 32:
/// `make_qx_quants(nmax, block, rmse_type 1, weights)` per block, scales into `d`.
pub(crate) type QxBlocks = fn(i32, &[f32], &[f32], &mut [i8], &mut [f32]);

/// The scalar [`QxBlocks`].
pub(crate) fn qx_blocks(nmax: i32, x: &[f32], w: &[f32], l: &mut [i8], d: &mut [f32]) {
    let blocks = x
        .chunks_exact(32)
        .zip(w.chunks_exact(32))
        .zip(l.chunks_exact_mut(32));
    for (((xb, wb), lb), db) in blocks.zip(d.iter_mut()) {
        *db = make_qx_quants(nmax, xb, lb, 1, Some(wb));
    }
}

/// The importance-weighted block search of Q4_1 / Q5_1 on up to eight blocks of 32:
/// `make_qkx3_quants(nmax, block, weights, -0.9, 0.05, 36)` per block, scales into `d` and
/// negated minimums into `min`.
pub(crate) type Qkx3Blocks = fn(i32, &[f32], &[f32], &mut [u8], &mut [f32], &mut [f32]);

/// The scalar [`Qkx3Blocks`].
pub(crate) fn qkx3_blocks(
    nmax: i32,
    x: &[f32],
    w: &[f32],
    l: &mut [u8],
    d: &mut [f32],
    min: &mut [f32],
) {
    let mut laux = [0u8; 32];
    let blocks = x
        .chunks_exact(32)
        .zip(w.chunks_exact(32))
        .zip(l.chunks_exact_mut(32));
    for ((((xb, wb), lb), db), mb) in blocks.zip(d.iter_mut()).zip(min.iter_mut()) {
        *db = make_qkx3_quants(nmax, xb, Some(wb), lb, mb, &mut laux, -0.9, 0.05, 36, false);
    }
}

/// `max |x|` as ggml's loops compute it (`amax = MAX(amax, fabsf(v))` from 0), in eight
/// partial maxima so the loop vectorizes; for finite input the order does not change the value.
#[inline(always)]
pub(crate) fn abs_max(x: &[f32]) -> f32 {
    let mut m = [0f32; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for j in 0..8 {
            let a = c[j].abs();
            m[j] = if m[j] > a { m[j] } else { a };
        }
    }
    let mut amax = 0f32;
    for a in chunks.remainder().iter().map(|v| v.abs()).chain(m) {
        amax = if amax > a { amax } else { a };
    }
    amax
}

/// `(amax, max)` as ggml's `if (amax < fabsf(v)) { amax = fabsf(v); max = v; }` from zeros:
/// the largest magnitude and the first element that has it (`+0.0` when all are zero).
#[inline(always)]
pub(crate) fn first_abs_max(x: &[f32]) -> (f32, f32) {
    let amax = abs_max(x);
    if amax == 0.0 {
        return (0.0, 0.0);
    }
    let max = x.iter().copied().find(|v| v.abs() == amax).unwrap_or(0.0);
    (amax, max)
}

/// `(min, max)` as ggml's `if (v < min) min = v; if (v > max) max = v;` from `±FLT_MAX`: the
/// values in eight partial lanes (vectorizes), then the first element equal to each, so a zero
/// keeps the sign of the first zero, as in the sequential loop.
#[inline(always)]
pub(crate) fn min_max(x: &[f32]) -> (f32, f32) {
    let mut lo = [f32::MAX; 8];
    let mut hi = [-f32::MAX; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for j in 0..8 {
            lo[j] = if c[j] < lo[j] { c[j] } else { lo[j] };
            hi[j] = if c[j] > hi[j] { c[j] } else { hi[j] };
        }
    }
    let (mut min, mut max) = (f32::MAX, -f32::MAX);
    for v in chunks.remainder().iter().copied().chain(lo) {
        min = if v < min { v } else { min };
    }
    for v in chunks.remainder().iter().copied().chain(hi) {
        max = if v > max { v } else { max };
    }
    if min == 0.0 {
        min = x.iter().copied().find(|&v| v == 0.0).unwrap_or(min);
    }
    if max == 0.0 {
        max = x.iter().copied().find(|&v| v == 0.0).unwrap_or(max);
    }
    (min, max)
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_half_away_is_roundf() {
        // Every 97th bit pattern (all exponents and signs) plus the halfway points near 0..2^24.
        let mut bits = 0u32;
        loop {
            let x = f32::from_bits(bits);
            let (a, b) = (super::round_half_away(x), x.round());
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{x:e}: {a} vs {b}"
            );
            match bits.checked_add(97) {
                Some(b) => bits = b,
                None => break,
            }
        }
        for i in -300_000i32..300_000 {
            for x in [
                i as f32 + 0.5,
                i as f32 - 0.5,
                i as f32 + 0.49999997,
                i as f32 - 0.49999997,
            ] {
                assert_eq!(
                    super::round_half_away(x).to_bits(),
                    x.round().to_bits(),
                    "{x}"
                );
            }
        }
    }

    use super::*;

    #[test]
    fn nearest_int_rounds_half_to_even() {
        assert_eq!(nearest_int(0.5), 0);
        assert_eq!(nearest_int(1.5), 2);
        assert_eq!(nearest_int(2.5), 2);
        assert_eq!(nearest_int(-0.5), 0);
        assert_eq!(nearest_int(-1.5), -2);
        assert_eq!(nearest_int(-2.4), -2);
        assert_eq!(nearest_int(3.7), 4);
        assert_eq!(nearest_int(4_194_303.0), 4_194_303);
        assert_eq!(nearest_int(-4_194_303.0), -4_194_303);
    }

    #[test]
    fn best_index_int8_picks_nearest_and_upper_on_tie() {
        let v = KVALUES_IQ4NL;
        assert_eq!(best_index_int8(&v, -200.0), 0);
        assert_eq!(best_index_int8(&v, 200.0), 15);
        assert_eq!(best_index_int8(&v, 0.0), 8); // -10 vs 1: 1 is nearer
        assert_eq!(best_index_int8(&v, -4.5), 8); // tie between -10 and 1 → upper
        assert_eq!(best_index_int8(&v, -5.0), 7);
    }

    #[test]
    fn ue4m3_round_trips_every_code() {
        // Exponent 15 is reserved except for the saturation value 0x7E (448).
        for c in (1u8..0x78).chain([0x7E]) {
            let v = ue4m3_to_fp32(c) * 2.0;
            assert_eq!(fp32_to_ue4m3(v), c, "code {c:#x}");
        }
        assert_eq!(fp32_to_ue4m3(1e6), 0x7E);
        assert_eq!(fp32_to_ue4m3(-1.0), 0);
        assert_eq!(fp32_to_ue4m3(f32::NAN), 0);
    }

    #[test]
    fn e8m0_half_is_half() {
        for x in 0u8..=254 {
            assert_eq!(e8m0_to_fp32_half(x) * 2.0, e8m0_to_fp32(x), "{x}");
        }
    }

    #[test]
    fn make_qx_quants_all_zero() {
        let x = [0f32; 16];
        let mut l = [5i8; 16];
        assert_eq!(make_qx_quants(8, &x, &mut l, 1, None), 0.0);
        assert_eq!(l, [0; 16]);
    }

    #[test]
    fn make_qx_quants_exact_grid_recovers_scale() {
        // Values on the grid k·0.5 for k in -8..=7: the least-squares scale is exactly 0.5·(-1)
        // times the sign convention (max = -4 maps to level 0).
        let x: Vec<f32> = (0..16).map(|k| (k as f32 - 8.0) * 0.5).collect();
        let mut l = [0i8; 16];
        let d = make_qx_quants(8, &x, &mut l, 1, None);
        for (q, v) in l.iter().zip(&x) {
            assert_eq!((f32::from(*q) - 8.0) * d, *v);
        }
    }

    #[test]
    fn make_qkx3_quants_constant_input() {
        let x = [2.0f32; 32];
        let (mut l, mut aux) = ([9u8; 32], [0u8; 32]);
        let mut the_min = 1.0;
        let s = make_qkx3_quants(
            15,
            &x,
            None,
            &mut l,
            &mut the_min,
            &mut aux,
            -0.9,
            0.05,
            36,
            false,
        );
        // min clamps to 0, so one level spans [0, 2].
        assert_eq!(the_min, 0.0);
        for q in l {
            assert_eq!(f32::from(q) * s, 2.0);
        }
    }

    #[test]
    fn vectorizable_extrema_match_the_sequential_loops() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for case in 0..4000 {
            let n = [32, 33, 7, 64][case % 4];
            let x: Vec<f32> = (0..n)
                .map(|_| match next() % 6 {
                    0 => 0.0,
                    1 => -0.0,
                    2 => 1.5,
                    3 => -1.5,
                    _ => (next() % 2000) as f32 / 100.0 - 10.0,
                })
                .collect();
            let (mut amax, mut max) = (0f32, 0f32);
            let (mut lo, mut hi) = (f32::MAX, -f32::MAX);
            for &v in &x {
                if amax < v.abs() {
                    amax = v.abs();
                    max = v;
                }
                if v < lo {
                    lo = v;
                }
                if v > hi {
                    hi = v;
                }
            }
            let (a, m) = super::first_abs_max(&x);
            assert_eq!(
                (a.to_bits(), m.to_bits()),
                (amax.to_bits(), max.to_bits()),
                "{x:?}"
            );
            let (l, h) = super::min_max(&x);
            assert_eq!(
                (l.to_bits(), h.to_bits()),
                (lo.to_bits(), hi.to_bits()),
                "{x:?}"
            );
        }
    }
}
