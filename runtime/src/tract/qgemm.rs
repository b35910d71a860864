//! An integer convolution ([`QPointwise`]): TFLite's 8-bit `CONV_2D` as a matrix product of
//! the positions by the weights, accumulated in i32 on 16-bit lanes and requantized in the same
//! pass. With a 1×1 kernel and stride 1 a position's row is its pixel's channels; with any other
//! window ([`QPointwise::gathering`]) it is the window's pixels, gathered while packing the rows
//! (im2col), in the order of TFLite's `[n, kh, kw, channels]` weights.
//!
//! It is the bulk of a quantized MobileNet's work. tract's f32 matrix kernel for wasm SIMD does
//! four multiply-adds per two instructions; wasm SIMD's `i32x4.dot_i16x8_s` (x86's `pmaddwd`)
//! does eight products in one. The centred 8-bit values (`q - zero_point`, at most 255 in
//! magnitude) fit 16 bits, two products fit an i32 lane, so the products are exact and the i32
//! sums are TFLite's accumulators as long as they cannot overflow (checked when wiring).
//!
//! # Layout
//! - Inputs: each row (position) of the centred input becomes pairs of 16-bit values packed in
//!   a u32 (values `2i` and `2i + 1`), so that one splat of a pair multiplies it with four channels' pair
//!   of weights in one dot product. Rows are padded to a multiple of [`MR`] and pairs with zeros.
//! - Weights ([`Packed`]): blocks of [`NR`] output channels; per block and pair of inputs, two
//!   vectors of eight 16-bit weights (channels 0–3, then 4–7, each channel's two weights side by
//!   side). Channels past the last are zeros.
//! - The kernel computes an [`MR`] × [`NR`] tile of i32 sums (8 vectors) from the bias, applies
//!   TFLite's fixed-point multiplier and the activation range, and writes centred f32 values
//!   (what the next integer kernel takes, see `qint::centred_input`).
//!
//! [`lanes`] holds the vector operations: wasm SIMD intrinsics when the build has `simd128`,
//! plain arrays otherwise (the same arithmetic lane by lane, which the native tests check against
//! TFLite's scalar helpers).

use std::cell::RefCell;
use std::sync::Arc;

use tract_core::internal::*;

use super::outputs;
use super::qdepthwise::Geometry;
use super::qint::{FloatRequant, Q8, f4, rdbpot, small_f32_to_i32};

/// Rows (positions) per tile.
const MR: usize = 4;
/// Output channels per tile: two vectors of four i32 sums.
const NR: usize = 8;

/// The vector operations of the kernel.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::*;

    /// Four channels' pairs of 16-bit weights.
    pub type W = v128;
    /// Four i32 lanes.
    pub type A = v128;
    /// One pair of 16-bit inputs, in all four lanes.
    pub type S = v128;

    #[inline(always)]
    pub fn weights(w: [i16; 8]) -> W {
        i16x8(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
    }

    #[inline(always)]
    pub fn ints(v: [i32; 4]) -> A {
        i32x4(v[0], v[1], v[2], v[3])
    }

    /// Four f32 lanes.
    pub type F = v128;

    #[inline(always)]
    pub fn floats(v: [f32; 4]) -> F {
        f32x4(v[0], v[1], v[2], v[3])
    }

    /// Lanes whose f32 requantization is undecided (all ones), or none.
    pub type G = v128;

    /// [`requant`] in f32 (`qint::FloatRequant`'s arithmetic, per lane), and the lanes whose
    /// fraction is too near an integer for f32 to decide: [`requant`] gives those values.
    #[inline(always)]
    pub fn requant_f32(x: A, f: &super::FloatLanes) -> (F, G) {
        let c = v128_bitselect(f.c_neg, f.c, i32x4_lt(x, i32x4_splat(0)));
        let t = f32x4_add(f32x4_mul(f32x4_convert_i32x4(x), f.m), c);
        let t = f32x4_pmin(f32x4_pmax(t, f.lo), f.hi);
        let q = f32x4_floor(t);
        let frac = f32x4_sub(t, q);
        (q, v128_or(f32x4_lt(frac, f.flag_lo), f32x4_gt(frac, f.flag_hi)))
    }

    #[inline(always)]
    pub fn either(a: G, b: G) -> G {
        v128_or(a, b)
    }

    #[inline(always)]
    pub fn any(g: G) -> bool {
        v128_any_true(g)
    }

    #[inline(always)]
    pub fn splat(pair: u32) -> S {
        u32x4_splat(pair)
    }

    /// `acc + [x0·w0 + x1·w1, …]` for the pair `s = (x0, x1)` and four channels' weights.
    #[inline(always)]
    pub fn dot_add(acc: A, s: S, w: W) -> A {
        i32x4_add(acc, i32x4_dot_i16x8(s, w))
    }

    /// TFLite's requantization of four accumulators (bias included, see `qint::mul_by_qm`): `acc ·
    /// 2^left`, the rounding doubling high multiply by `qm`, the rounding right shift, the
    /// clamp; as f32.
    #[inline(always)]
    pub fn requant(acc: A, p: &super::Lanes, lo: i32, hi: i32) -> F {
        let x = i32x4_mul(acc, p.left);
        let nudge = i64x2_splat(1 << 30);
        // Only the low 32 bits of each shifted product are kept, and they are the same for a
        // logical shift by 31 as for an arithmetic one; engines have the logical one on x86
        // (`psrlq`) and emulate the arithmetic one in several instructions.
        let low = u64x2_shr(i64x2_add(i64x2_extmul_low_i32x4(x, p.qm), nudge), 31);
        let high = u64x2_shr(i64x2_add(i64x2_extmul_high_i32x4(x, p.qm), nudge), 31);
        let x = i32x4_shuffle::<0, 2, 4, 6>(low, high);
        let x = match p.right {
            super::Right::All(exponent) => {
                let mask = ((1i64 << exponent) - 1) as i32;
                let remainder = v128_and(x, i32x4_splat(mask));
                // mask / 2, plus one for negative values (`x >> 31` is -1 for them).
                let threshold = i32x4_sub(i32x4_splat(mask >> 1), i32x4_shr(x, 31));
                // `gt` is -1 where the remainder rounds away from zero.
                i32x4_sub(i32x4_shr(x, exponent), i32x4_gt(remainder, threshold))
            }
            super::Right::Each(es) => {
                let v = [
                    i32x4_extract_lane::<0>(x),
                    i32x4_extract_lane::<1>(x),
                    i32x4_extract_lane::<2>(x),
                    i32x4_extract_lane::<3>(x),
                ];
                i32x4(
                    super::rdbpot(v[0], es[0]),
                    super::rdbpot(v[1], es[1]),
                    super::rdbpot(v[2], es[2]),
                    super::rdbpot(v[3], es[3]),
                )
            }
        };
        f32x4_convert_i32x4(i32x4_max(i32x4_min(x, i32x4_splat(hi)), i32x4_splat(lo)))
    }
}

/// The vector operations of the kernel, lane by lane.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    pub type W = [i16; 8];
    pub type A = [i32; 4];
    pub type S = [i32; 2];

    #[inline(always)]
    pub fn weights(w: [i16; 8]) -> W {
        w
    }

    #[inline(always)]
    pub fn ints(v: [i32; 4]) -> A {
        v
    }

    pub type F = [f32; 4];

    #[inline(always)]
    pub fn floats(v: [f32; 4]) -> F {
        v
    }

    pub type G = bool;

    #[inline(always)]
    pub fn requant_f32(acc: A, f: &super::FloatLanes) -> (F, G) {
        let mut out = [0f32; 4];
        let mut flagged = false;
        for (lane, o) in out.iter_mut().enumerate() {
            let x = acc[lane] as f32;
            let c = if x < 0.0 { f.c_neg[lane] } else { f.c[lane] };
            let t = (x * f.m[lane] + c).max(f.lo[lane]).min(f.hi[lane]);
            *o = t.floor();
            let frac = t - *o;
            flagged |= frac < f.flag_lo[lane] || frac > f.flag_hi[lane];
        }
        (out, flagged)
    }

    #[inline(always)]
    pub fn either(a: G, b: G) -> G {
        a | b
    }

    #[inline(always)]
    pub fn any(g: G) -> bool {
        g
    }

    #[inline(always)]
    pub fn splat(pair: u32) -> S {
        [i32::from(pair as u16 as i16), i32::from((pair >> 16) as u16 as i16)]
    }

    #[inline(always)]
    pub fn dot_add(acc: A, s: S, w: W) -> A {
        let mut out = acc;
        for (o, w) in out.iter_mut().zip(w.chunks_exact(2)) {
            let products = s[0].wrapping_mul(i32::from(w[0])).wrapping_add(s[1].wrapping_mul(i32::from(w[1])));
            *o = o.wrapping_add(products);
        }
        out
    }

    #[inline(always)]
    pub fn requant(acc: A, p: &super::Lanes, lo: i32, hi: i32) -> F {
        let mut out = [0f32; 4];
        for (lane, o) in out.iter_mut().enumerate() {
            let x = acc[lane].wrapping_mul(p.left[lane]);
            let x = super::super::qint::srdhm_unsaturated(x, p.qm[lane]);
            let exponent = match p.right {
                super::Right::All(e) => e,
                super::Right::Each(es) => es[lane],
            };
            *o = super::rdbpot(x, exponent).clamp(lo, hi) as f32;
        }
        out
    }
}

/// The right shift of a requantization: one exponent for every lane, or one per lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Right {
    All(u32),
    Each([u32; 4]),
}

/// Requantization parameters of four channels.
#[derive(Debug, Clone, Copy)]
struct Lanes {
    /// Where the sums start.
    bias: lanes::A,
    /// `2^left` (TFLite's left shift, as a multiplication).
    left: lanes::A,
    qm: lanes::A,
    right: Right,
}

/// The f32 requantization of four channels (`qint::FloatRequant`'s parameters, per lane).
#[derive(Debug, Clone, Copy)]
struct FloatLanes {
    m: lanes::F,
    /// `c` for sums `≥ 0` and `< 0`.
    c: lanes::F,
    c_neg: lanes::F,
    /// The activation range minus the zero point, plus one half.
    lo: lanes::F,
    hi: lanes::F,
    flag_lo: lanes::F,
    flag_hi: lanes::F,
}

/// The weights of a 1×1 convolution in the kernel's layout, with the requantization parameters
/// of each group of four channels.
#[derive(Debug)]
struct Packed {
    /// Per block of [`NR`] channels, per pair of inputs: two vectors (channels 0–3, 4–7).
    weights: Vec<lanes::W>,
    /// Per group of four channels.
    lanes: Vec<Lanes>,
    /// Per group of four channels, when every channel can be requantized in f32 (sums and bias
    /// below 2^22, no left shift).
    floats: Option<Vec<FloatLanes>>,
}

/// TFLite's 8-bit convolution on centred values, centred outputs (`q - zero_point` as f32): a
/// 1×1 convolution with stride 1, `[…, k]` → `[…, n]`, or, [gathering](QPointwise::gathering)
/// the window, any convolution of one group, `[b, h, w, c]` → `[b, oh, ow, n]`.
#[derive(Debug, Clone)]
pub(crate) struct QPointwise {
    /// Inputs per row: the input channels, or the window's taps times them.
    k: usize,
    /// Output channels.
    n: usize,
    packed: Arc<Packed>,
    /// The activation range minus the output zero point.
    lo: i32,
    hi: i32,
    /// The window whose pixels make a row, when not a 1×1 one with stride 1.
    gather: Option<Gather>,
}

impl PartialEq for QPointwise {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.packed, &other.packed)
            && (self.k, self.n, self.lo, self.hi, self.gather) == (other.k, other.n, other.lo, other.hi, other.gather)
    }
}

/// A convolution's window over an NHWC input: output position `(oy, ox)`'s row is the pixel
/// under each tap, taps row by row over the window, every channel of each (zeros, the centred
/// padding, for taps outside the input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Gather {
    geometry: Geometry,
    /// The input's channels.
    channels: usize,
}

impl Gather {
    /// The values of one input image.
    fn image_len(&self) -> usize {
        (self.geometry.input[0] * self.geometry.input[1] * self.channels).max(1)
    }

    /// The output positions of one image.
    fn positions(&self) -> usize {
        self.geometry.output[0] * self.geometry.output[1]
    }

    /// Gathers and packs the rows of `x` (whole images), one per item of `dst` (its pairs), in
    /// order; `row` is a row's worth of scratch (the window's taps times the channels, made
    /// even). The values are converted to 16 bits as they are gathered, and positions and taps
    /// are counted by nested loops (a division per tap took longer than the matrix product).
    fn pack<'a>(&self, x: &[f32], row: &mut [u16], mut dst: impl Iterator<Item = &'a mut [u32]>) {
        let g = &self.geometry;
        let c = self.channels;
        let [kh, kw] = g.kernel;
        let [oh, ow] = g.output;
        for image in x.chunks_exact(self.image_len()) {
            for oy in 0..oh {
                for ox in 0..ow {
                    let Some(dst) = dst.next() else { return };
                    // The window's columns all inside the input, next to each other: each of
                    // its rows is one run of the image's values (most positions; no test per
                    // tap).
                    match g.input_at(1, ox, 0).filter(|&ix| g.dilation[1] == 1 && ix + kw <= g.input[1]) {
                        Some(ix) => {
                            for (ky, part) in row.chunks_exact_mut(kw * c).take(kh).enumerate() {
                                let at = g.input_at(0, oy, ky).map(|iy| (iy * g.input[1] + ix) * c);
                                to_u16(at.and_then(|at| image.get(at..at + kw * c)), part);
                            }
                        }
                        None => {
                            let mut parts = row.chunks_exact_mut(c);
                            for ky in 0..kh {
                                let iy = g.input_at(0, oy, ky);
                                for kx in 0..kw {
                                    let Some(part) = parts.next() else { break };
                                    let at = match (iy, g.input_at(1, ox, kx)) {
                                        (Some(iy), Some(ix)) => Some((iy * g.input[1] + ix) * c),
                                        _ => None,
                                    };
                                    to_u16(at.and_then(|at| image.get(at..at + c)), part);
                                }
                            }
                        }
                    }
                    for (d, pair) in dst.iter_mut().zip(row.chunks_exact(2)) {
                        *d = u32::from(pair[0]) | (u32::from(pair[1]) << 16);
                    }
                }
            }
        }
    }
}

/// Centred values (exact integers, |v| ≤ 255) as 16-bit lanes in `dst`, element by element (a
/// few values: a copy would be a call), or zeros (the centred padding) for none.
#[inline(always)]
fn to_u16(src: Option<&[f32]>, dst: &mut [u16]) {
    match src {
        Some(src) => {
            for (d, &v) in dst.iter_mut().zip(src) {
                *d = small_f32_to_i32(v) as u16;
            }
        }
        None => dst.fill(0),
    }
}

impl Eq for QPointwise {}

impl QPointwise {
    /// The operator for centred weights `weights` (`[n, k]`, row-major, each `w - zero_point`),
    /// i32 `bias` (`n` values), TFLite multipliers (one, or one per output channel), output
    /// quantization `out` and activation range `[min, max]` (stored values). `None` when the
    /// i32 sums could overflow or a parameter is out of TFLite's range.
    pub(crate) fn new(
        k: usize,
        n: usize,
        weights: &[i32],
        bias: &[i32],
        multipliers: &[(i32, i32)],
        out: Q8,
        (min, max): (i32, i32),
    ) -> Option<QPointwise> {
        if k == 0 || n == 0 || weights.len() != k.checked_mul(n)? || bias.len() != n {
            return None;
        }
        if multipliers.is_empty() || (multipliers.len() != 1 && multipliers.len() != n) {
            return None;
        }
        // Every weight fits 16 bits; the largest sum (inputs at most 255 in magnitude) and the
        // bias stay in i32.
        if weights.iter().any(|&w| i16::try_from(w).is_err()) {
            return None;
        }
        let max_bias = bias.iter().map(|&b| i64::from(b).abs()).max().unwrap_or(0);
        let max_sum =
            weights.chunks_exact(k).map(|row| row.iter().map(|&w| i64::from(w).abs()).sum::<i64>()).max().unwrap_or(0);
        if max_sum.checked_mul(255)?.checked_add(max_bias)? > i64::from(i32::MAX) {
            return None;
        }
        // i32::MIN is never TFLite's multiplier (the kernel skips gemmlowp's overflow select).
        if multipliers.iter().any(|&(qm, _)| qm == i32::MIN) {
            return None;
        }
        let pairs = k.div_ceil(2);
        let blocks = n.div_ceil(NR);
        let weight = |c: usize, i: usize| -> i16 {
            if c < n && i < k { weights.get(c * k + i).map_or(0, |&w| w as i16) } else { 0 }
        };
        let mut packed = Vec::with_capacity(blocks * pairs * 2);
        for block in 0..blocks {
            for pair in 0..pairs {
                for half in 0..2 {
                    let mut w = [0i16; 8];
                    for (lane, ws) in w.chunks_exact_mut(2).enumerate() {
                        let c = block * NR + half * 4 + lane;
                        ws[0] = weight(c, 2 * pair);
                        ws[1] = weight(c, 2 * pair + 1);
                    }
                    packed.push(lanes::weights(w));
                }
            }
        }
        let param = |c: usize| -> (i32, i32, i32, u32) {
            let (qm, shift) = multipliers.get(c).or(multipliers.first()).copied().unwrap_or((0, 0));
            let b = bias.get(c).copied().unwrap_or(0);
            (b, 1 << shift.clamp(0, 30), qm, (-shift).clamp(0, 31) as u32)
        };
        let groups = (0..blocks * 2)
            .map(|g| {
                let ps: [(i32, i32, i32, u32); 4] = std::array::from_fn(|lane| param(g * 4 + lane));
                let rights = ps.map(|p| p.3);
                Lanes {
                    bias: lanes::ints(ps.map(|p| p.0)),
                    left: lanes::ints(ps.map(|p| p.1)),
                    qm: lanes::ints(ps.map(|p| p.2)),
                    right: if rights.iter().all(|&r| r == rights[0]) {
                        Right::All(rights[0])
                    } else {
                        Right::Each(rights)
                    },
                }
            })
            .collect();
        let lo = min.saturating_sub(out.zero_point);
        let hi = max.saturating_sub(out.zero_point).max(lo);
        let small = max_sum * 255 + max_bias < 1 << 22;
        let floats = small
            .then(|| {
                (0..blocks * 2)
                    .map(|g| {
                        let ps: Option<Vec<FloatRequant>> = (0..4)
                            .map(|lane| {
                                let c = g * 4 + lane;
                                let m = multipliers.get(c).or(multipliers.first()).copied().unwrap_or((0, 0));
                                FloatRequant::for_multiplier(m, lo, hi, 1.0)
                            })
                            .collect();
                        let ps = ps?;
                        let lane = |f: fn(&FloatRequant) -> f32| lanes::floats(std::array::from_fn(|i| f(&ps[i])));
                        Some(FloatLanes {
                            m: lane(|p| p.m),
                            c: lane(|p| p.c),
                            c_neg: lane(|p| p.c_neg),
                            lo: lane(|p| p.lo),
                            hi: lane(|p| p.hi),
                            flag_lo: lane(|p| p.flag_lo),
                            flag_hi: lane(|p| p.flag_hi),
                        })
                    })
                    .collect::<Option<Vec<_>>>()
            })
            .flatten();
        let packed = Packed { weights: packed, lanes: groups, floats };
        Some(QPointwise { k, n, packed: Arc::new(packed), lo, hi, gather: None })
    }

    /// The same weights as a convolution with the window of `geometry` over an NHWC input of
    /// `channels` channels: each output position's row is gathered from the window's pixels
    /// (see [`Gather`]), in the order of TFLite's `[n, kh, kw, channels]` weights. `None` when
    /// `k` is not the window's taps times `channels`.
    pub(crate) fn gathering(self, geometry: Geometry, channels: usize) -> Option<QPointwise> {
        let taps = geometry.kernel[0].checked_mul(geometry.kernel[1])?;
        if channels == 0 || taps.checked_mul(channels)? != self.k {
            return None;
        }
        Some(QPointwise { gather: Some(Gather { geometry, channels }), ..self })
    }

    /// The output's shape for an input of shape `input`.
    fn output_shape(&self, input: &[usize]) -> TractResult<TVec<usize>> {
        let Some(g) = &self.gather else {
            ensure!(input.last() == Some(&self.k), "QPointwise expects {} channels, got shape {input:?}", self.k);
            let mut shape: TVec<usize> = input.into();
            if let Some(last) = shape.last_mut() {
                *last = self.n;
            }
            return Ok(shape);
        };
        let [h, w] = g.geometry.input;
        let [oh, ow] = g.geometry.output;
        let &[b, ih, iw, c] = input else { bail!("QPointwise expects an NHWC input, got shape {input:?}") };
        ensure!([ih, iw, c] == [h, w, g.channels], "QPointwise expects [n, {h}, {w}, {}], got {input:?}", g.channels);
        Ok(tvec![b, oh, ow, self.n])
    }

    /// Computes `out` (`rows × n` centred values) from `x` (centred values, exact integers of
    /// magnitude at most 255): `rows × k` of them, or whole images when gathering.
    fn apply(&self, x: &[f32], out: &mut [f32]) {
        let k = self.k;
        let pairs = k.div_ceil(2);
        let rows = match &self.gather {
            None => x.len() / k,
            Some(g) => x.len() / g.image_len() * g.positions(),
        };
        let tiles = rows.div_ceil(MR);
        SCRATCH.with_borrow_mut(|scratch| {
            scratch.clear();
            scratch.resize(tiles * MR * pairs, 0);
            match &self.gather {
                None => {
                    for (dst, src) in scratch.chunks_exact_mut(pairs).zip(x.chunks_exact(k)) {
                        pack_row(src, dst);
                    }
                }
                Some(g) => g.pack(x, &mut vec![0; 2 * pairs], scratch.chunks_exact_mut(pairs).take(rows)),
            }
            for (tile, xs) in scratch.chunks_exact(MR * pairs).enumerate() {
                let row0 = tile * MR;
                self.tile_rows(xs, pairs, row0, rows, out);
            }
        });
    }

    /// Every tile of rows `row0..row0 + MR` (`xs`: their packed pairs).
    #[inline(always)]
    fn tile_rows(&self, xs: &[u32], pairs: usize, row0: usize, rows: usize, out: &mut [f32]) {
        let n = self.n;
        let (x0, rest) = xs.split_at(pairs);
        let (x1, rest) = rest.split_at(pairs);
        let (x2, x3) = rest.split_at(pairs);
        let packed = &*self.packed;
        for (block, (ws, ls)) in packed.weights.chunks_exact(2 * pairs).zip(packed.lanes.chunks_exact(2)).enumerate() {
            let fs = packed.floats.as_ref().and_then(|fs| fs.get(2 * block..2 * block + 2));
            let (l0, l1) = (&ls[0], &ls[1]);
            // The sums start from the bias (the requantization takes `sum + bias`).
            let (b0, b1) = (l0.bias, l1.bias);
            let [mut a00, mut a01, mut a10, mut a11, mut a20, mut a21, mut a30, mut a31] =
                [b0, b1, b0, b1, b0, b1, b0, b1];
            for ((((w, &p0), &p1), &p2), &p3) in ws.chunks_exact(2).zip(x0).zip(x1).zip(x2).zip(x3) {
                let (w0, w1) = (w[0], w[1]);
                let s = lanes::splat(p0);
                a00 = lanes::dot_add(a00, s, w0);
                a01 = lanes::dot_add(a01, s, w1);
                let s = lanes::splat(p1);
                a10 = lanes::dot_add(a10, s, w0);
                a11 = lanes::dot_add(a11, s, w1);
                let s = lanes::splat(p2);
                a20 = lanes::dot_add(a20, s, w0);
                a21 = lanes::dot_add(a21, s, w1);
                let s = lanes::splat(p3);
                a30 = lanes::dot_add(a30, s, w0);
                a31 = lanes::dot_add(a31, s, w1);
            }
            let c0 = block * NR;
            let width = (n - c0).min(NR);
            // f32 where it decides (see `qint::FloatRequant`), else the integers. A flagged lane
            // is rare, so the tile's eight vectors are tested at once and one by one only when
            // one has a flagged lane (on layers with few inputs, requantizing costs about as much
            // as the sums).
            let v = match fs {
                Some([f0, f1]) => {
                    let (v00, g00) = lanes::requant_f32(a00, f0);
                    let (v01, g01) = lanes::requant_f32(a01, f1);
                    let (v10, g10) = lanes::requant_f32(a10, f0);
                    let (v11, g11) = lanes::requant_f32(a11, f1);
                    let (v20, g20) = lanes::requant_f32(a20, f0);
                    let (v21, g21) = lanes::requant_f32(a21, f1);
                    let (v30, g30) = lanes::requant_f32(a30, f0);
                    let (v31, g31) = lanes::requant_f32(a31, f1);
                    let g = lanes::either(
                        lanes::either(lanes::either(g00, g01), lanes::either(g10, g11)),
                        lanes::either(lanes::either(g20, g21), lanes::either(g30, g31)),
                    );
                    if lanes::any(g) {
                        // Per vector (a macro: a closure is not always inlined).
                        macro_rules! fix {
                            ($v:expr, $g:expr, $a:expr, $l:expr) => {
                                if lanes::any($g) { lanes::requant($a, $l, self.lo, self.hi) } else { $v }
                            };
                        }
                        [
                            fix!(v00, g00, a00, l0),
                            fix!(v01, g01, a01, l1),
                            fix!(v10, g10, a10, l0),
                            fix!(v11, g11, a11, l1),
                            fix!(v20, g20, a20, l0),
                            fix!(v21, g21, a21, l1),
                            fix!(v30, g30, a30, l0),
                            fix!(v31, g31, a31, l1),
                        ]
                    } else {
                        [v00, v01, v10, v11, v20, v21, v30, v31]
                    }
                }
                _ => {
                    let (lo, hi) = (self.lo, self.hi);
                    [
                        lanes::requant(a00, l0, lo, hi),
                        lanes::requant(a01, l1, lo, hi),
                        lanes::requant(a10, l0, lo, hi),
                        lanes::requant(a11, l1, lo, hi),
                        lanes::requant(a20, l0, lo, hi),
                        lanes::requant(a21, l1, lo, hi),
                        lanes::requant(a30, l0, lo, hi),
                        lanes::requant(a31, l1, lo, hi),
                    ]
                }
            };
            // Row by row, unrolled (a loop over an array of the values makes LLVM spill them).
            macro_rules! emit {
                ($r:expr, $low:expr, $high:expr) => {{
                    let row = row0 + $r;
                    if row < rows {
                        let (low, high) = ($low, $high);
                        let start = row * n + c0;
                        if let Some(dst) = out.get_mut(start..start + width) {
                            if let ([a, b], []) = dst.as_chunks_mut::<4>() {
                                f4::store(low, a);
                                f4::store(high, b);
                            } else {
                                let mut both = [[0f32; 4]; 2];
                                f4::store(low, &mut both[0]);
                                f4::store(high, &mut both[1]);
                                for (d, &v) in dst.iter_mut().zip(both.as_flattened()) {
                                    *d = v;
                                }
                            }
                        }
                    }
                }};
            }
            let [v00, v01, v10, v11, v20, v21, v30, v31] = v;
            emit!(0, v00, v01);
            emit!(1, v10, v11);
            emit!(2, v20, v21);
            emit!(3, v30, v31);
        }
    }
}

/// A row of centred values as pairs in `dst` (an odd last value with a zero).
#[inline(always)]
fn pack_row(src: &[f32], dst: &mut [u32]) {
    let (whole, odd) = src.split_at(src.len() - src.len() % 2);
    for (d, s) in dst.iter_mut().zip(whole.chunks_exact(2)) {
        *d = pack(s[0], s[1]);
    }
    if let (Some(d), Some(&s)) = (dst.last_mut(), odd.first()) {
        *d = pack(s, 0.0);
    }
}

/// Two centred values (exact integers, |v| ≤ 255) as 16-bit lanes of a u32.
#[inline(always)]
fn pack(a: f32, b: f32) -> u32 {
    // Not `as i32`: wasm's saturating f32 → i32 conversion takes several instructions on x86.
    u32::from(small_f32_to_i32(a) as u16) | (u32::from(small_f32_to_i32(b) as u16) << 16)
}

thread_local! {
    /// The packed input pairs, reused from run to run.
    static SCRATCH: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

impl Op for QPointwise {
    fn name(&self) -> StaticName {
        if self.gather.is_some() { "QConv" } else { "QPointwise" }.into()
    }

    op_as_typed_op!();
}

impl EvalOp for QPointwise {
    op_out_of_plan!();

    fn eval(&self, ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let Some(input) = inputs.first() else { bail!("QPointwise expects one input") };
        let shape = self.output_shape(input.shape())?;
        let plain = input.try_as_plain_ram()?;
        let x = plain.as_slice::<f32>()?;
        // `apply` writes every output value.
        Ok(tvec!(outputs::output(ctx, &shape, |out| self.apply(x, out))?))
    }

    fn drop_session(&self, session: SessionId, _node_id: usize) {
        outputs::forget(session);
    }
}

impl TypedOp for QPointwise {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let Some(input) = inputs.first() else { bail!("QPointwise expects one input") };
        ensure!(input.datum_type == DatumType::F32, "QPointwise works on f32 centred values");
        if self.gather.is_some() {
            let Some(shape) = input.shape.as_concrete() else { bail!("QPointwise expects a concrete NHWC input") };
            return Ok(tvec!(DatumType::F32.fact(self.output_shape(shape)?)));
        }
        ensure!(input.shape.last() == Some(&self.k.to_dim()), "QPointwise expects {} channels", self.k);
        let mut shape: TVec<TDim> = input.shape.iter().cloned().collect();
        if let Some(last) = shape.last_mut() {
            *last = self.n.to_dim();
        }
        Ok(tvec!(DatumType::F32.fact(shape)))
    }

    as_op!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tflite::TensorKind;
    use crate::tract::qint::{mul_by_qm, quantize_multiplier, xorshift};

    /// The kernel computes TFLite's sums and requantization, for every shape of tile and tail
    /// (rows, input and output channels not multiples of the tile's), per-tensor and per-channel
    /// multipliers, left and right shifts, and inputs and weights at the ends of their range.
    /// Also run on wasm SIMD (`scripts/test.sh`: wasm-bindgen-test in Node, `+simd128`), where
    /// `lanes` are the SIMD intrinsics the SIMD worker runs.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn pointwise_matches_tflite_arithmetic() {
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        let out = Q8 { scale: 0.05, zero_point: 3, kind: TensorKind::Int8 };
        let mut tried = 0;
        for (k, n, rows) in
            [(1, 1, 1), (2, 8, 4), (3, 5, 7), (16, 96, 9), (17, 9, 4), (40, 24, 13), (7, 17, 3), (160, 32, 5)]
        {
            // Full-range values (most outputs clamp or go through large right shifts), and small
            // ones with multipliers near 1, whose outputs stay in range: there every rounding
            // (the doubling high multiply's nudge, the right shift's) shows in the output.
            // Medium sums (below 2^22 with the bias) and right shifts: f32 requantization
            // (`qint::FloatRequant`) with the integer one for undecided lanes.
            for (per_channel, size) in [(false, 0), (true, 0), (false, 1), (true, 1), (false, 2), (true, 2)] {
                for (min, max) in [(-128, 127), (3, 127), (-20, 90)] {
                    let (w_max, x_max, b_max) = [(255, 255, 100_000), (3, 5, 20), (100, 255, 30_000)][size];
                    let weights: Vec<i32> = (0..k * n)
                        .map(|i| match i % 7 {
                            0 => w_max,
                            1 => -w_max,
                            _ => (next() % (2 * w_max as u64 + 1)) as i32 - w_max,
                        })
                        .collect();
                    let bias: Vec<i32> = (0..n).map(|_| (next() % (2 * b_max as u64 + 1)) as i32 - b_max).collect();
                    let reals = [
                        [1e-6, 0.000_71, 0.011_28, 0.3, 0.999, 1.7, 40.0],
                        [0.093_7, 0.3, 0.51, 0.77, 0.999, 1.3, 3.7],
                        [0.000_4, 0.002_1, 0.011, 0.06, 0.19, 0.37, 0.93],
                    ][size];
                    let count = if per_channel { n } else { 1 };
                    let multipliers: Vec<(i32, i32)> =
                        (0..count).map(|_| quantize_multiplier(reals[(next() % 7) as usize])).collect();
                    let Some(op) = QPointwise::new(k, n, &weights, &bias, &multipliers, out, (min, max)) else {
                        panic!("no operator for k {k} n {n}");
                    };
                    // Medium configurations take the f32 path; the others when no multiplier
                    // shifts left and the sums stay below 2^22.
                    if size == 2 {
                        assert!(op.packed.floats.is_some(), "k {k} n {n}: not on the f32 path");
                    }
                    let x: Vec<f32> = (0..rows * k)
                        .map(|i| match i % 11 {
                            0 => x_max as f32,
                            1 => -x_max as f32,
                            _ => ((next() % (2 * x_max as u64 + 1)) as i32 - x_max) as f32,
                        })
                        .collect();
                    let mut want = vec![0f32; rows * n];
                    for r in 0..rows {
                        for c in 0..n {
                            let acc: i32 = (0..k).map(|i| x[r * k + i] as i32 * weights[c * k + i]).sum();
                            let (qm, shift) = multipliers.get(c).copied().unwrap_or(multipliers[0]);
                            let q = mul_by_qm(acc + bias[c], qm, shift).saturating_add(out.zero_point).clamp(min, max);
                            want[r * n + c] = (q - out.zero_point) as f32;
                        }
                    }
                    // On the f32 path, also with more lanes flagged than f32 needs: about half
                    // (tiles where some vectors take the integers and some not), and all.
                    let mut ops = vec![op.clone()];
                    if op.packed.floats.is_some() {
                        ops.push(with_flag_band(&op, 0.25, 0.75));
                        ops.push(with_flag_band(&op, 2.0, -1.0));
                    }
                    for (variant, op) in ops.iter().enumerate() {
                        let mut got = vec![f32::NAN; rows * n];
                        op.apply(&x, &mut got);
                        for r in 0..rows {
                            for c in 0..n {
                                let i = r * n + c;
                                assert_eq!(got[i], want[i], "k {k} n {n} row {r} channel {c} variant {variant}");
                            }
                        }
                    }
                    tried += 1;
                }
            }
        }
        assert_eq!(tried, 144);
    }

    /// Gathered rows: TFLite's convolution (padding with the input's zero point, i.e. centred
    /// zeros) for SAME and VALID windows, strides, dilations, windows that do not tile the input
    /// evenly, 1×1 with stride 2, several images, odd `k`, on the integer and the f32
    /// requantization, against the sums over the window in i32.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn gathered_convolution_matches_tflite_arithmetic() {
        use crate::tflite::Padding;
        use crate::tract::conv::Window;
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        let out = Q8 { scale: 0.05, zero_point: 3, kind: TensorKind::Int8 };
        let (min, max) = (-20, 127);
        let mut tried = 0;
        for (padding, kernel, stride, dilation, [h, w], c, n, batch) in [
            // MobileNet's first layer, smaller.
            (Padding::Same, [3, 3], [2, 2], [1, 1], [9, 8], 3, 32, 1),
            (Padding::Valid, [3, 3], [1, 1], [1, 1], [6, 7], 5, 9, 2),
            (Padding::Same, [2, 3], [1, 2], [2, 1], [7, 5], 2, 8, 1),
            // Dilated columns (not one run of the input per window row).
            (Padding::Same, [3, 2], [1, 1], [1, 2], [6, 7], 3, 6, 1),
            (Padding::Valid, [2, 3], [1, 1], [1, 2], [5, 8], 2, 4, 1),
            (Padding::Same, [1, 1], [2, 2], [1, 1], [5, 5], 4, 5, 1),
            (Padding::Valid, [5, 5], [1, 1], [1, 1], [5, 5], 1, 3, 3),
            (Padding::Same, [3, 3], [1, 1], [1, 1], [1, 1], 3, 4, 2),
        ] {
            let window = Window { padding, stride, dilation, kernel };
            let g = Geometry::new(&window, [h, w]);
            let [oh, ow] = g.output;
            let k = kernel[0] * kernel[1] * c;
            // Large values (a bias of 2^22 on channel 0 sends the layer to the integer
            // requantization) and medium ones (f32: sums and bias below 2^22).
            for (w_max, x_max, b_max, real) in [(255, 255, 100_000, 0.000_07), (100, 255, 30_000, 0.002_1)] {
                let weights: Vec<i32> = (0..n * k).map(|_| (next() % (2 * w_max as u64 + 1)) as i32 - w_max).collect();
                let mut bias: Vec<i32> = (0..n).map(|_| (next() % (2 * b_max as u64 + 1)) as i32 - b_max).collect();
                if w_max == 255 {
                    bias[0] = 1 << 22;
                }
                let m = [quantize_multiplier(real)];
                let op = QPointwise::new(k, n, &weights, &bias, &m, out, (min, max)).and_then(|op| op.gathering(g, c));
                let Some(op) = op else { panic!("no operator for {kernel:?} over {c} channels") };
                assert_eq!(op.packed.floats.is_some(), w_max == 100, "{kernel:?}: requantization path");
                let x: Vec<f32> =
                    (0..batch * h * w * c).map(|_| ((next() % (2 * x_max as u64 + 1)) as i32 - x_max) as f32).collect();
                let mut want = Vec::new();
                for b in 0..batch {
                    for oy in 0..oh {
                        for ox in 0..ow {
                            for ch in 0..n {
                                let mut acc = bias[ch];
                                for ky in 0..kernel[0] {
                                    for kx in 0..kernel[1] {
                                        let (Some(iy), Some(ix)) = (g.input_at(0, oy, ky), g.input_at(1, ox, kx))
                                        else {
                                            continue;
                                        };
                                        for i in 0..c {
                                            let v = x[((b * h + iy) * w + ix) * c + i] as i32;
                                            acc += v * weights[ch * k + (ky * kernel[1] + kx) * c + i];
                                        }
                                    }
                                }
                                let q = mul_by_qm(acc, m[0].0, m[0].1).saturating_add(out.zero_point).clamp(min, max);
                                want.push((q - out.zero_point) as f32);
                            }
                        }
                    }
                }
                let shape = op.output_shape(&[batch, h, w, c]).unwrap();
                assert_eq!(&shape[..], &[batch, oh, ow, n]);
                assert!(op.output_shape(&[batch, h, w, c + 1]).is_err());
                let mut got = vec![f32::NAN; want.len()];
                op.apply(&x, &mut got);
                assert_eq!(
                    got, want,
                    "{kernel:?} stride {stride:?} dilation {dilation:?} over [{batch}, {h}, {w}, {c}]"
                );
                tried += 1;
            }
        }
        assert_eq!(tried, 16);
        // `k` must be the window's taps times the channels.
        let g =
            Geometry::new(&Window { padding: Padding::Same, stride: [1; 2], dilation: [1; 2], kernel: [3, 3] }, [4, 4]);
        let op = QPointwise::new(8, 1, &[1; 8], &[0], &[(1 << 30, 0)], out, (min, max));
        assert!(op.and_then(|op| op.gathering(g, 1)).is_none());
    }

    /// `op` with its band of undecided fractions replaced: lanes whose fraction is outside
    /// `[flag_lo, flag_hi]` take the integer requantization.
    fn with_flag_band(op: &QPointwise, flag_lo: f32, flag_hi: f32) -> QPointwise {
        let floats = op.packed.floats.as_ref().map(|fs| {
            fs.iter()
                .map(|f| FloatLanes {
                    flag_lo: lanes::floats([flag_lo; 4]),
                    flag_hi: lanes::floats([flag_hi; 4]),
                    ..*f
                })
                .collect()
        });
        let packed = Packed { weights: op.packed.weights.clone(), lanes: op.packed.lanes.clone(), floats };
        QPointwise { packed: Arc::new(packed), ..op.clone() }
    }

    /// Sums that could leave i32, and weights that do not fit 16 bits, are refused.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn pointwise_refuses_what_it_cannot_compute_exactly() {
        let out = Q8 { scale: 1.0, zero_point: 0, kind: TensorKind::Int8 };
        let m = [(1 << 30, 0)];
        assert!(QPointwise::new(2, 1, &[1, 2], &[0], &m, out, (-128, 127)).is_some());
        assert!(QPointwise::new(2, 1, &[40_000, 2], &[0], &m, out, (-128, 127)).is_none());
        let k = 40_000;
        assert!(QPointwise::new(k, 1, &vec![255; k], &[0], &m, out, (-128, 127)).is_none());
        assert!(QPointwise::new(2, 1, &[1, 2], &[0], &[(i32::MIN, 0)], out, (-128, 127)).is_none());
        assert!(QPointwise::new(2, 2, &[1, 2], &[0, 0], &m, out, (-128, 127)).is_none());
    }

    /// The kernel's time on MobileNetV2's 1×1 shapes, against writing its output once (the
    /// memory traffic no kernel avoids), measured in the same run. Ignored by `cargo test`:
    /// `scripts/bench-kernels.sh` runs it in headless Chromium (release, +simd128).
    #[cfg(target_arch = "wasm32")]
    #[wasm_bindgen_test::wasm_bindgen_test]
    #[ignore]
    fn pointwise_speed() {
        /// A row of the table: the kernel's and the reference's ms, their ratio, the kernel's
        /// multiply-adds per ns.
        fn row(label: &str, [kernel, write]: [f64; 2], macs: f64) {
            let (ratio, rate) = (kernel / write.max(0.01), macs / (kernel * 1e6));
            wasm_bindgen_test::console_log!("| {label} | {kernel:.2} | {write:.2} | {ratio:.1}× | {rate:.1} |");
        }
        let out = Q8 { scale: 0.05, zero_point: 3, kind: TensorKind::Int8 };
        let mut total = [0.0; 2];
        let mut macs = 0.0;
        let shapes = [
            (16, 96, 112),
            (24, 144, 56),
            (144, 24, 56),
            (32, 192, 28),
            (192, 32, 28),
            (64, 384, 14),
            (384, 64, 14),
            (96, 576, 14),
            (576, 96, 14),
            (160, 960, 7),
            (960, 160, 7),
        ];
        wasm_bindgen_test::console_log!(
            "| k | n | rows | kernel ms | writing the output ms | ratio | multiply-adds per ns |"
        );
        wasm_bindgen_test::console_log!("|---:|---:|---:|---:|---:|---:|---:|");
        for (k, n, side) in shapes {
            let rows = side * side;
            let weights: Vec<i32> = (0..k * n).map(|i| (i * 37 % 255) as i32 - 127).collect();
            let bias: Vec<i32> = (0..n).map(|i| i as i32 * 100 - 5000).collect();
            let m = [quantize_multiplier(0.000_71)];
            let Some(op) = QPointwise::new(k, n, &weights, &bias, &m, out, (-128, 127)) else {
                panic!("no operator for k {k} n {n}");
            };
            let x: Vec<f32> = (0..rows * k).map(|i| (i * 13 % 255) as f32 - 127.0).collect();
            let mut got = vec![0f32; rows * n];
            let best = crate::tract::timing::best_of(|side, n| {
                if side == 0 {
                    op.apply(&x, &mut got);
                } else {
                    got.fill(n as f32);
                }
            });
            assert!(got.iter().all(|v| v.is_finite()));
            total[0] += best[0];
            total[1] += best[1];
            let work = (k * n * rows) as f64;
            macs += work;
            row(&format!("{k} | {n} | {rows}"), best, work);
        }
        row("all | |", total, macs);
    }

    /// MobileNetV2's first convolution (224×224×3, 3×3 with stride 2, 32 channels) on
    /// `QPointwise` gathering its window, against what it replaces: tract's f32 convolution
    /// (im2col and its f32 matrix kernel) then `Requant`, as optimised tract plans, after checking
    /// that both give the same values. Ignored by `cargo test`: `scripts/bench-kernels.sh
    /// gathered_speed` runs it in headless Chromium (release, +simd128).
    #[cfg(target_arch = "wasm32")]
    #[wasm_bindgen_test::wasm_bindgen_test]
    #[ignore]
    fn gathered_speed() {
        use crate::tflite::Padding;
        use crate::tract::conv::Window;
        use crate::tract::timing;
        use tract_core::ops::cnn::{Conv, KernelFormat};
        let (side, c, n) = (224, 3, 32);
        let k = 9 * c;
        let window = Window { padding: Padding::Same, stride: [2; 2], dilation: [1; 2], kernel: [3, 3] };
        let out = Q8 { scale: 0.023, zero_point: 0, kind: TensorKind::UInt8 };
        let m = quantize_multiplier(0.000_31);
        let weights: Vec<i32> = (0..n * k).map(|i| (i * 37 % 255) as i32 - 127).collect();
        let bias: Vec<i32> = (0..n).map(|i| i as i32 * 10 - 500).collect();
        let x: Vec<f32> = (0..side * side * c).map(|i| ((i * 13 % 255) as i32 - 127) as f32).collect();
        let x = Tensor::from_shape(&[1, side, side, c], &x).unwrap();
        let shape = [1, side, side, c];
        let g = Geometry::new(&window, [side, side]);
        let op = QPointwise::new(k, n, &weights, &bias, &[m], out, (0, 255)).and_then(|op| op.gathering(g, c));
        let ours = timing::plan_of(shape, op.unwrap());
        let conv = Conv { pool_spec: window.pool_spec(c, n), kernel_fmt: KernelFormat::OHWI, group: 1, q_params: None };
        let w: Vec<f32> = weights.iter().map(|&w| w as f32).collect();
        let b: Vec<f32> = bias.iter().map(|&b| b as f32).collect();
        let theirs = timing::tract_conv_requant(shape, conv, (&[n, 3, 3, c], &w), &b, (m, out, 0, 255));
        timing::assert_same_values(&ours, &theirs, &x, "MobileNetV2's first layer");
        let [ours_ms, theirs_ms] = timing::best_of(|side, _| {
            let plan = if side == 0 { &ours } else { &theirs };
            assert!(plan.run(tvec!(x.clone().into_tvalue())).is_ok());
        });
        wasm_bindgen_test::console_log!(
            "| QConv, MobileNetV2's first layer | {ours_ms:.3} ms | tract conv + Requant {theirs_ms:.3} ms | {:.2}× |",
            ours_ms / theirs_ms.max(0.001)
        );
    }
}
