//! ggml's per-sub-block scale searches, run on eight sub-blocks at once: lane `j` of every
//! array is sub-block `j`, and each lane performs exactly the floating-point operations of the
//! scalar reference ([`crate::numerics`]) in the same order — no fused multiply-add, no
//! reassociation — so the results are bit-identical. Data-dependent branches of the reference
//! become per-lane selects.
//!
//! The code is plain safe Rust over `[f32; 8]` / `[i32; 8]`; it is compiled into the AVX2
//! backend (`#[target_feature(enable = "avx2")]`), where LLVM turns each lane loop into one
//! 256-bit instruction.

use crate::numerics::GROUP_MAX_EPS;

/// Lanes per batch: sub-blocks searched together.
pub(crate) const L: usize = 8;

type F = [f32; L];
type I = [i32; L];

#[inline(always)]
fn splat(v: f32) -> F {
    [v; L]
}

/// ggml's `nearest_int` per lane.
#[inline(always)]
fn nearest(v: F) -> I {
    let mut r = [0i32; L];
    for j in 0..L {
        let b = (v[j] + 12_582_912.0).to_bits() as i32;
        r[j] = (b & 0x007f_ffff) - 0x0040_0000;
    }
    r
}

/// `MAX(lo, MIN(hi, v))` per lane.
#[inline(always)]
fn clamp(v: I, lo: i32, hi: i32) -> I {
    let mut r = [0i32; L];
    for j in 0..L {
        r[j] = lo.max(hi.min(v[j]));
    }
    r
}

#[inline(always)]
fn to_f(v: I) -> F {
    let mut r = [0f32; L];
    for j in 0..L {
        r[j] = v[j] as f32;
    }
    r
}

/// `make_qkx2_quants` (all-equal test `max == min`) or, with `all_equal_le`, `make_qkx3_quants`
/// with weights (test `max <= min`) on eight sub-blocks of `N` elements, `x[i][j]` being element
/// `i` of sub-block `j`. Writes the levels to `l` and the negated minimums to `the_min`; returns
/// the scales.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn make_qkx2_quants<const N: usize>(
    nmax: i32,
    x: &[F; N],
    w: &[F; N],
    l: &mut [I; N],
    the_min: &mut F,
    rmin: f32,
    rdelta: f32,
    nstep: i32,
    use_mad: bool,
    all_equal_le: bool,
) -> F {
    let mut min = x[0];
    let mut max = x[0];
    let mut sum_w = w[0];
    let mut sum_x = [0f32; L];
    for j in 0..L {
        sum_x[j] = sum_w[j] * x[0][j];
    }
    for i in 1..N {
        for j in 0..L {
            let xi = x[i][j];
            if xi < min[j] {
                min[j] = xi;
            }
            if xi > max[j] {
                max[j] = xi;
            }
            sum_w[j] += w[i][j];
            sum_x[j] += w[i][j] * xi;
        }
    }
    let mut range = [0f32; L];
    let mut degenerate = [false; L];
    for j in 0..L {
        if min[j] > 0.0 {
            min[j] = 0.0;
        }
        // make_qkx2_quants tests `max == min`, make_qkx3_quants `max <= min`
        degenerate[j] = if all_equal_le {
            max[j] <= min[j]
        } else {
            max[j] == min[j]
        };
        range[j] = max[j] - min[j];
    }
    let min_at_start = min;
    let mut iscale = [0f32; L];
    let mut scale = [0f32; L];
    for j in 0..L {
        iscale[j] = nmax as f32 / range[j];
        scale[j] = 1.0 / iscale[j];
    }
    let mut best_error = splat(0.0);
    for i in 0..N {
        let mut t = [0f32; L];
        for j in 0..L {
            t[j] = iscale[j] * (x[i][j] - min[j]);
        }
        l[i] = clamp(nearest(t), 0, nmax);
        let lf = to_f(l[i]);
        for j in 0..L {
            let diff = scale[j] * lf[j] + min[j] - x[i][j];
            let diff = if use_mad { diff.abs() } else { diff * diff };
            best_error[j] += w[i][j] * diff;
        }
    }
    if nstep >= 1 {
        let mut laux = [[0i32; L]; N];
        for is in 0..=nstep {
            for j in 0..L {
                // as in the reference, `min` is the best minimum found so far
                iscale[j] = (rmin + rdelta * is as f32 + nmax as f32) / (max[j] - min[j]);
            }
            let (mut sum_l, mut sum_l2, mut sum_xl) = (splat(0.0), splat(0.0), splat(0.0));
            for i in 0..N {
                let mut t = [0f32; L];
                for j in 0..L {
                    t[j] = iscale[j] * (x[i][j] - min[j]);
                }
                laux[i] = clamp(nearest(t), 0, nmax);
                let lf = to_f(laux[i]);
                for j in 0..L {
                    let wl = w[i][j] * lf[j];
                    sum_l[j] += wl;
                    sum_l2[j] += wl * lf[j];
                    sum_xl[j] += wl * x[i][j];
                }
            }
            let mut this_scale = [0f32; L];
            let mut this_min = [0f32; L];
            let mut ok = [false; L];
            for j in 0..L {
                let d = sum_w[j] * sum_l2[j] - sum_l[j] * sum_l[j];
                ok[j] = d > 0.0;
                this_scale[j] = (sum_w[j] * sum_xl[j] - sum_x[j] * sum_l[j]) / d;
                this_min[j] = (sum_l2[j] * sum_x[j] - sum_l[j] * sum_xl[j]) / d;
                if this_min[j] > 0.0 {
                    this_min[j] = 0.0;
                    this_scale[j] = sum_xl[j] / sum_l2[j];
                }
            }
            let mut cur_error = splat(0.0);
            for i in 0..N {
                let lf = to_f(laux[i]);
                for j in 0..L {
                    let diff = this_scale[j] * lf[j] + this_min[j] - x[i][j];
                    let diff = if use_mad { diff.abs() } else { diff * diff };
                    cur_error[j] += w[i][j] * diff;
                }
            }
            let mut better = [false; L];
            for j in 0..L {
                better[j] = ok[j] && cur_error[j] < best_error[j];
                if better[j] {
                    best_error[j] = cur_error[j];
                    scale[j] = this_scale[j];
                    min[j] = this_min[j];
                }
            }
            for i in 0..N {
                for j in 0..L {
                    if better[j] {
                        l[i][j] = laux[i][j];
                    }
                }
            }
        }
    }
    for j in 0..L {
        if degenerate[j] {
            // the reference returns before any search
            scale[j] = 0.0;
            min[j] = min_at_start[j];
            for li in l.iter_mut() {
                li[j] = 0;
            }
        }
        the_min[j] = -min[j];
    }
    scale
}

/// One trial scale of `make_qx_quants`: the levels for `iscale` into `li` and the sums
/// `Σ w·x·l`, `Σ w·l²`.
#[inline(always)]
fn qx_sums<const N: usize>(
    nmax: i32,
    x: &[F; N],
    w: &[F; N],
    iscale: &F,
    li: &mut [I; N],
) -> (F, F) {
    let (mut sumlx, mut suml2) = (splat(0.0), splat(0.0));
    for i in 0..N {
        let mut t = [0f32; L];
        for j in 0..L {
            t[j] = iscale[j] * x[i][j];
        }
        li[i] = clamp(nearest(t), -nmax, nmax - 1);
        let lf = to_f(li[i]);
        for j in 0..L {
            sumlx[j] += w[i][j] * x[i][j] * lf[j];
            suml2[j] += w[i][j] * lf[j] * lf[j];
        }
    }
    (sumlx, suml2)
}

/// `make_qx_quants` with `rmse_type` 1 (weights `x²`, or `qw` when given) on eight
/// sub-blocks of `N` elements. Writes the levels (offset by `nmax`) to `l`; returns the scales.
#[inline(always)]
pub(crate) fn make_qx_quants_rmse1<const N: usize>(
    nmax: i32,
    x: &[F; N],
    qw: Option<&[F; N]>,
    l: &mut [I; N],
) -> F {
    let mut max = splat(0.0);
    let mut amax = splat(0.0);
    for xi in x {
        for j in 0..L {
            let ax = xi[j].abs();
            if ax > amax[j] {
                amax[j] = ax;
                max[j] = xi[j];
            }
        }
    }
    let mut w = [[0f32; L]; N];
    for i in 0..N {
        for j in 0..L {
            w[i][j] = match qw {
                Some(q) => q[i][j],
                None => x[i][j] * x[i][j],
            };
        }
    }
    let mut iscale = [0f32; L];
    for j in 0..L {
        iscale[j] = (-nmax) as f32 / max[j];
    }
    let mut best_l = [[0i32; L]; N];
    let (sumlx, suml2) = qx_sums(nmax, x, &w, &iscale, &mut best_l);
    let mut scale = [0f32; L];
    let mut best = [0f32; L];
    for j in 0..L {
        scale[j] = if suml2[j] != 0.0 {
            sumlx[j] / suml2[j]
        } else {
            0.0
        };
        best[j] = scale[j] * sumlx[j];
    }
    let mut li = [[0i32; L]; N];
    for is in -9..=9 {
        if is == 0 {
            continue;
        }
        for j in 0..L {
            iscale[j] = -(nmax as f32 + 0.1 * is as f32) / max[j];
        }
        let (sumlx, suml2) = qx_sums(nmax, x, &w, &iscale, &mut li);
        let mut better = [false; L];
        for j in 0..L {
            better[j] = suml2[j] > 0.0 && sumlx[j] * sumlx[j] > best[j] * suml2[j];
            if better[j] {
                scale[j] = sumlx[j] / suml2[j];
                best[j] = scale[j] * sumlx[j];
            }
        }
        for i in 0..N {
            for j in 0..L {
                if better[j] {
                    best_l[i][j] = li[i][j];
                }
            }
        }
    }
    for j in 0..L {
        let zero = amax[j] < GROUP_MAX_EPS;
        if zero {
            scale[j] = 0.0;
        }
        for i in 0..N {
            l[i][j] = if zero { 0 } else { best_l[i][j] + nmax };
        }
    }
    scale
}

/// Scatters levels back (`lv[i][j]` → `out[j * N + i]`), converted by `conv`.
#[inline(always)]
pub(crate) fn transpose_out<T, const N: usize>(
    lv: &[I; N],
    out: &mut [T],
    conv: impl Fn(i32) -> T,
) {
    for j in 0..L {
        for i in 0..N {
            out[j * N + i] = conv(lv[i][j]);
        }
    }
}

/// Gathers eight sub-blocks of `N` elements (`src[j * N + i]` → `out[i][j]`).
#[inline(always)]
pub(crate) fn transpose_in<const N: usize>(src: &[f32]) -> [F; N] {
    let mut out = [[0f32; L]; N];
    for j in 0..L {
        for i in 0..N {
            out[i][j] = src[j * N + i];
        }
    }
    out
}

/// Bit-identical [`crate::formats::q4_k::search_ref_k4`]: the eight sub-blocks of 32 of a
/// Q4_K / Q5_K super-block searched together.
#[inline(always)]
pub(crate) fn search_ref_k4(
    xb: &[f32],
    nmax: i32,
    rmin: f32,
    nstep: i32,
    l: &mut [u8; 256],
    scales: &mut [f32; 8],
    mins: &mut [f32; 8],
) {
    let x = transpose_in::<32>(xb);
    let mut w = [[0f32; L]; 32];
    for j in 0..L {
        let av_x = (crate::formats::q4_k::sum_sq(&xb[32 * j..32 * j + 32]) / 32.0).sqrt();
        for i in 0..32 {
            w[i][j] = av_x + x[i][j].abs();
        }
    }
    let mut lv = [[0i32; L]; 32];
    *scales = make_qkx2_quants(nmax, &x, &w, &mut lv, mins, rmin, 0.1, nstep, false, false);
    transpose_out(&lv, l, |v| v as u8);
}

/// Bit-identical [`crate::formats::q6_k::search_scales`]: the 16 sub-blocks of 16 of a Q6_K
/// super-block, eight at a time.
#[inline(always)]
pub(crate) fn search_q6_k(
    xb: &[f32],
    qwb: Option<&[f32]>,
    l: &mut [i8; 256],
    scales: &mut [f32; 16],
) {
    for half in 0..2 {
        let base = 128 * half;
        let x = transpose_in::<16>(&xb[base..base + 128]);
        let qw = qwb.map(|q| transpose_in::<16>(&q[base..base + 128]));
        let mut lv = [[0i32; L]; 16];
        let s = make_qx_quants_rmse1(32, &x, qw.as_ref(), &mut lv);
        scales[8 * half..8 * half + 8].copy_from_slice(&s);
        transpose_out(&lv, &mut l[base..base + 128], |v| v as i8);
    }
}

/// Bit-identical [`crate::formats::q4_k::search_impl_k4`]: the importance-weighted search of a
/// Q4_K / Q5_K super-block, its eight `make_qkx3_quants` calls run together.
#[inline(always)]
pub(crate) fn search_impl_k4(
    xb: &[f32],
    qwb: &[f32],
    nmax: i32,
    l: &mut [u8; 256],
) -> ([u8; 8], [u8; 8], f32, f32) {
    use crate::formats::q4_k::{imatrix_weights, sum_sq};
    let sigma2 = 2.0 * sum_sq(xb) / 256.0;
    let mut weights = [0f32; 256];
    imatrix_weights(xb, qwb, sigma2, &mut weights);
    let mut sw = [0f32; 8];
    for (s, w) in sw.iter_mut().zip(weights.chunks_exact(32)) {
        let mut sumw = 0f32;
        for &v in w {
            sumw += v;
        }
        *s = sumw;
    }
    let x = transpose_in::<32>(xb);
    let w = transpose_in::<32>(&weights);
    let mut lv = [[0i32; L]; 32];
    let mut mins = [0f32; 8];
    let scales = make_qkx2_quants(
        nmax, &x, &w, &mut lv, &mut mins, -0.9, 0.05, 36, false, true,
    );
    transpose_out(&lv, l, |v| v as u8);
    let mut ls = [0u8; 8];
    let mut lm = [0u8; 8];
    let d_block = crate::numerics::make_qp_quants(63, &scales, &mut ls, &sw);
    let m_block = crate::numerics::make_qp_quants(63, &mins, &mut lm, &sw);
    (ls, lm, d_block, m_block)
}

/// Bit-identical [`crate::formats::q2_k::search_ref`]: the 16 sub-blocks of 16 of a Q2_K
/// super-block, eight at a time.
#[inline(always)]
pub(crate) fn search_q2_k(
    xb: &[f32],
    l: &mut [u8; 256],
    scales: &mut [f32; 16],
    mins: &mut [f32; 16],
) {
    for half in 0..2 {
        let base = 128 * half;
        let x = transpose_in::<16>(&xb[base..base + 128]);
        let mut w = [[0f32; L]; 16];
        for i in 0..16 {
            for j in 0..L {
                w[i][j] = x[i][j].abs();
            }
        }
        let mut lv = [[0i32; L]; 16];
        let mut mn = [0f32; L];
        let s = make_qkx2_quants(3, &x, &w, &mut lv, &mut mn, -0.5, 0.1, 15, true, false);
        scales[8 * half..8 * half + 8].copy_from_slice(&s);
        mins[8 * half..8 * half + 8].copy_from_slice(&mn);
        transpose_out(&lv, &mut l[base..base + 128], |v| v as u8);
    }
}

/// Bit-identical [`crate::numerics::qx_blocks`] (the importance-weighted search of Q4_0 and
/// Q5_0): eight blocks of 32 together; a shorter tail goes to the scalar version.
#[inline(always)]
pub(crate) fn qx_blocks(nmax: i32, x: &[f32], w: &[f32], l: &mut [i8], d: &mut [f32]) {
    if d.len() != L {
        return crate::numerics::qx_blocks(nmax, x, w, l, d);
    }
    let xt = transpose_in::<32>(x);
    let wt = transpose_in::<32>(w);
    let mut lv = [[0i32; L]; 32];
    d.copy_from_slice(&make_qx_quants_rmse1(nmax, &xt, Some(&wt), &mut lv));
    transpose_out(&lv, l, |v| v as i8);
}

/// Bit-identical [`crate::numerics::qkx3_blocks`] (the importance-weighted search of Q4_1 and
/// Q5_1): eight blocks of 32 together; a shorter tail goes to the scalar version.
#[inline(always)]
pub(crate) fn qkx3_blocks(
    nmax: i32,
    x: &[f32],
    w: &[f32],
    l: &mut [u8],
    d: &mut [f32],
    min: &mut [f32],
) {
    if d.len() != L {
        return crate::numerics::qkx3_blocks(nmax, x, w, l, d, min);
    }
    let xt = transpose_in::<32>(x);
    let wt = transpose_in::<32>(w);
    let mut lv = [[0i32; L]; 32];
    let mut mn = [0f32; L];
    let s = make_qkx2_quants(
        nmax, &xt, &wt, &mut lv, &mut mn, -0.9, 0.05, 36, false, true,
    );
    d.copy_from_slice(&s);
    min.copy_from_slice(&mn);
    transpose_out(&lv, l, |v| v as u8);
}

/// IEEE binary16 → f32, as [`crate::half::f16_to_f32`] (the same bits for every input, NaN
/// payloads included) but without branches, so a loop of it vectorizes.
#[inline(always)]
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let h = u32::from(h);
    let sign = (h & 0x8000) << 16;
    let exp = (h >> 10) & 0x1F;
    let mant = h & 0x3FF;
    let normal = sign | ((exp + 112) << 23) | (mant << 13);
    let inf_nan = sign | 0x7F80_0000 | (mant << 13);
    // subnormals and zeros: m · 2^-24, then the sign
    let sub = (mant as f32 * f32::from_bits(0x3380_0000)).to_bits() | sign;
    let bits = if exp == 0 {
        sub
    } else if exp == 0x1F {
        inf_nan
    } else {
        normal
    };
    f32::from_bits(bits)
}
