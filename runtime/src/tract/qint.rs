//! TFLite's integer kernels, emulated exactly.
//!
//! Rounding every float result to its output's grid ([`FakeQuant`](super::quant::FakeQuant)) is
//! within one quantization step of TFLite per operator, but deep quantized networks amplify those
//! single steps (a MobileNet v2 ends up several steps away). So the operators quantized models are
//! made of compute exactly what TFLite's builtin integer kernels compute:
//! - `CONV_2D`, `DEPTHWISE_CONV_2D` and `FULLY_CONNECTED` accumulate in i32 on the stored 8-bit
//!   values (tract's quantized convolution and einsum, with unit scales), then [`Requant`]
//!   applies TFLite's fixed-point multiplier (`QuantizeMultiplier`, then
//!   `MultiplyByQuantizedMultiplier`: a rounding doubling high multiply and a rounding right
//!   shift) and the activation range;
//! - `ADD`, `SUB` and `MUL` ([`QBinary`]) rescale in fixed point as TFLite's 8-bit kernels do;
//! - `AVERAGE_POOL_2D` ([`QAvgPool`]) averages stored values with TFLite's integer rounding;
//! - int8 `MEAN` over height and width ([`QMean`]).
//!
//! Tensors are f32 real values between operators: [`ToRaw`] recovers the stored values (exactly,
//! as real values are `(q - zero_point) * scale`) and the kernels output real values again.
//! Between two integer kernels the values also travel *centred* (`q - zero_point` as f32, what
//! the exact f32 convolutions take): [`Requant`] and [`QBinary`] output centred values, a
//! [`FromCentered`] pass makes the real ones for other consumers (tract drops it when there is
//! none), and the next kernel takes the centred tensor instead of centring the real one again
//! ([`ToCentered`]); see `centred_input`.

use tract_core::internal::*;
use tract_core::ops::array::MultiBroadcastTo;
use tract_core::ops::cnn::{Conv, KernelFormat, PoolSpec};
use tract_core::ops::einsum::EinSum;
use tract_core::ops::element_wise::ElementWiseOp;

use super::conv::Window;
use super::import::OpCtx;
use super::outputs;
use super::qgemm::QPointwise;
use super::quant::Quant;
use crate::tflite::{Padding, TensorKind};

/// `frexp`: `x = q · 2^e` with `q` in [0.5, 1), for positive finite `x`.
fn frexp(x: f64) -> (f64, i32) {
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        let (q, e) = frexp(x * 2f64.powi(64));
        return (q, e - 64);
    }
    let q = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    (q, exp - 1022)
}

/// TFLite's `QuantizeMultiplier`: `m ≈ qm / 2^31 · 2^shift` with `qm` in [2^30, 2^31).
pub(crate) fn quantize_multiplier(m: f64) -> (i32, i32) {
    if !(m > 0.0 && m.is_finite()) {
        return (0, 0);
    }
    let (q, mut shift) = frexp(m);
    let mut q_fixed = (q * 2f64.powi(31)).round() as i64;
    if q_fixed == 1i64 << 31 {
        q_fixed /= 2;
        shift += 1;
    }
    if shift < -31 {
        shift = 0;
        q_fixed = 0;
    }
    if shift > 30 {
        shift = 30;
        q_fixed = (1i64 << 31) - 1;
    }
    (q_fixed as i32, shift)
}

/// gemmlowp's `SaturatingRoundingDoublingHighMul`, without branches (selects only), so that
/// loops over it vectorise.
#[inline(always)]
fn srdhm(a: i32, b: i32) -> i32 {
    let overflow = a == i32::MIN && b == i32::MIN;
    // gemmlowp adds 2^30 (or 1 - 2^30 when negative) and divides truncating towards zero: that
    // is rounding `ab / 2^31` half up, which an arithmetic shift does in one step.
    let ab = i64::from(a) * i64::from(b);
    let high = ((ab + (1i64 << 30)) >> 31) as i32;
    if overflow { i32::MAX } else { high }
}

/// [`srdhm`] for `b != i32::MIN` (then the product cannot overflow: no select). TFLite's
/// multipliers are in [2^30, 2^31) or 0.
#[inline(always)]
pub(crate) fn srdhm_unsaturated(a: i32, b: i32) -> i32 {
    ((i64::from(a) * i64::from(b) + (1i64 << 30)) >> 31) as i32
}

/// gemmlowp's `RoundingDivideByPOT` (round half away from zero), for exponents in [0, 31]
/// (0 divides by 1: the mask and the remainder are 0), without branches.
#[inline(always)]
pub(crate) fn rdbpot(x: i32, exponent: u32) -> i32 {
    let exponent = exponent.min(31);
    let mask = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i32::from(x < 0);
    (x >> exponent) + i32::from(remainder > threshold)
}

/// TFLite's `MultiplyByQuantizedMultiplier`.
#[inline(always)]
pub(crate) fn mul_by_qm(x: i32, qm: i32, shift: i32) -> i32 {
    let left = shift.clamp(0, 30);
    let right = (-shift).clamp(0, 31) as u32;
    rdbpot(srdhm(x.wrapping_mul(1 << left), qm), right)
}

/// [`mul_by_qm`] for `qm != i32::MIN`.
#[inline(always)]
fn mul_by_qm_unsaturated(x: i32, qm: i32, shift: i32) -> i32 {
    let left = shift.clamp(0, 30);
    let right = (-shift).clamp(0, 31) as u32;
    rdbpot(srdhm_unsaturated(x.wrapping_mul(1 << left), qm), right)
}

/// `x as i32` for f32 holding an integer of magnitude below 2^22, in two operations that
/// vectorise (wasm's saturating `i32x4.trunc_sat_f32x4_s` takes several on x86): adding
/// 1.5 · 2^23 puts the integer in the low mantissa bits.
#[inline(always)]
pub(crate) fn small_f32_to_i32(x: f32) -> i32 {
    const MAGIC: f32 = 12_582_912.0;
    (x + MAGIC).to_bits() as i32 - MAGIC.to_bits() as i32
}

/// `v.round()` (half away from zero) for `|v| < 2^22`; NaN gives 0. No libm call, no branch and
/// no float-to-int conversion (saturating conversions do not vectorise on x86), so loops over it
/// vectorise: adding and subtracting 1.5 · 2^23 rounds to the nearest integer, ties to even (the
/// float environment's default), and the exact difference `v - r` tells the ties that went
/// towards zero.
#[inline(always)]
fn round_half_away(v: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    let v = if v.is_nan() { 0.0 } else { v };
    let r = (v + MAGIC) - MAGIC;
    let d = v - r;
    r + f32::from(u8::from(d == 0.5 && v > 0.0)) - f32::from(u8::from(d == -0.5 && v < 0.0))
}

/// A per-tensor quantization of an 8-bit tensor, as TFLite's kernels see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Q8 {
    pub scale: f32,
    pub zero_point: i32,
    pub kind: TensorKind,
}

impl Q8 {
    fn of(q: Option<&Quant>, kind: TensorKind) -> Option<Q8> {
        let (scale, zero_point) = q?.per_tensor()?;
        if !matches!(kind, TensorKind::UInt8 | TensorKind::Int8) {
            return None;
        }
        let q = Q8 { scale, zero_point: i32::try_from(zero_point).ok()?, kind };
        // TFLite's kernels require the zero point in the type's range; so do the bounds here
        // (clamped values stay below 2^9 in magnitude).
        let (lo, hi) = q.range();
        (lo..=hi).contains(&q.zero_point).then_some(q)
    }

    fn range(&self) -> (i32, i32) {
        if self.kind == TensorKind::UInt8 { (0, 255) } else { (-128, 127) }
    }

    /// The stored value of real value `x` (exact for values on the grid): `x / scale` rounded
    /// half away from zero, plus the zero point, clamped to the type's range (NaN: the zero
    /// point).
    #[inline]
    fn raw(&self, x: f32) -> i32 {
        self.centered(x) as i32 + self.zero_point
    }

    /// `raw(x) - zero_point`, as f32.
    #[inline]
    fn centered(&self, x: f32) -> f32 {
        let (lo, hi) = self.range();
        // Rounding commutes with clamping to integer bounds, and the bounds (at most 255 in
        // magnitude, the zero point being in range) keep the rounding exact. NaN stays NaN
        // through the clamp and rounds to 0 (the zero point).
        round_half_away((x / self.scale).clamp((lo - self.zero_point) as f32, (hi - self.zero_point) as f32))
    }

    fn real(&self, q: i32) -> f32 {
        (q - self.zero_point) as f32 * self.scale
    }

    /// TFLite's `CalculateActivationRangeQuantized` for fused activation `code`; `None` for
    /// activations the integer kernels do not clamp with.
    fn activation_range(&self, code: i8) -> Option<(i32, i32)> {
        let (qmin, qmax) = self.range();
        let quantize = |f: f32| self.zero_point.saturating_add((f / self.scale).round() as i32);
        match code {
            0 => Some((qmin, qmax)),
            1 => Some((qmin.max(quantize(0.0)), qmax)),
            2 => Some((qmin.max(quantize(-1.0)), qmax.min(quantize(1.0)))),
            3 => Some((qmin.max(quantize(0.0)), qmax.min(quantize(6.0)))),
            _ => None,
        }
    }
}

/// The 8-bit quantization of input `k`, when it has one.
fn input_q8(ctx: &OpCtx<'_, '_>, k: usize) -> TractResult<Option<Q8>> {
    let meta = ctx.input_meta(k)?;
    Ok(Q8::of(meta.quant.as_ref(), meta.kind))
}

fn output_q8(ctx: &OpCtx<'_, '_>) -> TractResult<Option<Q8>> {
    let meta = ctx.output_meta(0)?;
    Ok(Q8::of(meta.quant.as_ref(), meta.kind))
}

// ----- ToRaw -----

/// Real values to the stored values of an 8-bit quantization.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ToRaw {
    pub q: Q8,
}

impl Eq for ToRaw {}

impl ToRaw {
    fn dt(&self) -> DatumType {
        if self.q.kind == TensorKind::UInt8 { DatumType::U8 } else { DatumType::I8 }
    }
}

impl Op for ToRaw {
    fn name(&self) -> StaticName {
        "ToRaw".into()
    }

    op_as_typed_op!();
}

impl EvalOp for ToRaw {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let Some(input) = inputs.first() else { bail!("ToRaw expects one input") };
        let plain = input.try_as_plain_ram()?;
        let xs = plain.as_slice::<f32>()?;
        let t = if self.q.kind == TensorKind::UInt8 {
            let v: Vec<u8> = xs.iter().map(|&x| self.q.raw(x) as u8).collect();
            Tensor::from_shape(input.shape(), &v)?
        } else {
            let v: Vec<i8> = xs.iter().map(|&x| self.q.raw(x) as i8).collect();
            Tensor::from_shape(input.shape(), &v)?
        };
        Ok(tvec!(t.into_tvalue()))
    }
}

impl TypedOp for ToRaw {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let Some(input) = inputs.first() else { bail!("ToRaw expects one input") };
        ensure!(input.datum_type == DatumType::F32, "ToRaw works on f32");
        Ok(tvec!(self.dt().fact(input.shape.clone())))
    }

    as_op!();
}

// ----- ToCentered -----

/// Real values to `q - zero_point` (the stored values minus the zero point) as f32: the operand
/// of an exact f32 convolution.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ToCentered {
    pub q: Q8,
}

impl Eq for ToCentered {}

impl ElementWiseMiniOp for ToCentered {
    fn name(&self) -> String {
        "ToCentered".into()
    }

    fn eval_in_place(&self, t: &mut Tensor, _out_dt: Option<DatumType>) -> TractResult<()> {
        let mut plain = t.try_as_plain_ram_mut()?;
        for x in plain.as_slice_mut::<f32>()? {
            *x = self.q.centered(*x);
        }
        Ok(())
    }
}

// ----- FromCentered -----

/// Centred values (`q - zero_point`, see [`ToCentered`]) to real values: times the scale, the
/// product [`Requant`] and [`QBinary`] compute for their real outputs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FromCentered {
    pub scale: f32,
}

impl Eq for FromCentered {}

impl ElementWiseMiniOp for FromCentered {
    fn name(&self) -> String {
        "FromCentered".into()
    }

    fn eval_in_place(&self, t: &mut Tensor, _out_dt: Option<DatumType>) -> TractResult<()> {
        let mut plain = t.try_as_plain_ram_mut()?;
        for x in plain.as_slice_mut::<f32>()? {
            *x *= self.scale;
        }
        Ok(())
    }
}

/// The centred values of `x` (real values of quantization `q`): those its producer computed
/// when it was an integer kernel with the same output quantization (so the centred tensor
/// flows from layer to layer and the real one is only computed for other consumers), a
/// [`ToCentered`] pass otherwise. Both are the same numbers: real values on `q`'s grid are
/// `c · scale` with `c` the centred integer, and `ToCentered` rounds `c · scale / scale` back to
/// `c`.
fn centred_input(ctx: &mut OpCtx<'_, '_>, x: OutletId, q: Q8) -> TractResult<OutletId> {
    match centred_made(ctx, x, q) {
        Some(c) => Ok(c),
        None => ctx.wire1(ElementWiseOp(Box::new(ToCentered { q }), None), &[x]),
    }
}

/// The centred values an integer kernel computed for `x` with quantization `q`, if any.
fn centred_made(ctx: &OpCtx<'_, '_>, x: OutletId, q: Q8) -> Option<OutletId> {
    ctx.imp.centred.get(&x).filter(|(made, _)| *made == q).map(|&(_, c)| c)
}

/// Wires `op`, which outputs centred values of quantization `q`, and the real values after it
/// (the operator's output); remembers the centred outlet for [`centred_input`].
fn centred_output(
    ctx: &mut OpCtx<'_, '_>,
    op: impl Into<Box<dyn TypedOp>>,
    inputs: &[OutletId],
    q: Q8,
) -> TractResult<OutletId> {
    let c = ctx.wire1(op, inputs)?;
    let y = ctx.wire1(ElementWiseOp(Box::new(FromCentered { scale: q.scale }), None), &[c])?;
    ctx.imp.centred.insert(y, (q, c));
    Ok(y)
}

// ----- Requant -----

/// TFLite's output stage of its integer convolutions: i32 accumulators (bias included) times a
/// per-channel fixed-point multiplier, plus the zero point, clamped to the activation range; the
/// result as real values.
///
/// The accumulators are i32 (bias included) or f32 holding exact integers (then `bias`, one per
/// channel of the last axis, is added in i32).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Requant {
    /// `(multiplier, shift)` per channel of the last axis, or one for all.
    pub multipliers: Vec<(i32, i32)>,
    /// The bias added to f32 accumulators, per channel of the last axis (empty for i32 ones).
    pub bias: Vec<i32>,
    pub out: Q8,
    pub min: i32,
    pub max: i32,
    /// Outputs `q - zero_point` (a [centred](ToCentered) tensor) instead of real values.
    pub centred: bool,
    /// f32 accumulators are below 2^22 in magnitude (bias included): see [`small_f32_to_i32`].
    pub small_accs: bool,
}

impl Eq for Requant {}

impl Requant {
    /// The number of channels of the last axis the parameters are given for (1: all alike).
    fn channels(&self) -> usize {
        self.multipliers.len().max(self.bias.len()).max(1)
    }

    /// The clamping range minus the zero point and the output factor: clamping `q` to the range
    /// minus the zero point is clamping `q + zero_point` to the range (saturation included), then
    /// taking the zero point off again; centred outputs are `q - zero_point` itself (times 1,
    /// exactly), real ones times the scale.
    fn output(&self) -> (i32, i32, f32) {
        let zero_point = self.out.zero_point;
        let lo = self.min.saturating_sub(zero_point);
        let hi = self.max.saturating_sub(zero_point).max(lo);
        (lo, hi, if self.centred { 1.0 } else { self.out.scale })
    }

    /// Requantizes `accs` (channel-last) into `out` (of the same length).
    fn apply<T: Copy>(&self, accs: &[T], to_i32: impl Fn(T) -> i32, out: &mut [f32]) {
        let channels = self.channels();
        let single = self.multipliers.first().copied().unwrap_or((0, 0));
        let bias: Vec<i32> = (0..channels).map(|c| self.bias.get(c).copied().unwrap_or(0)).collect();
        let (lo, hi, factor) = self.output();
        let one = |a: i32, qm: i32, shift: i32, bias: i32| {
            mul_by_qm(a.wrapping_add(bias), qm, shift).clamp(lo, hi) as f32 * factor
        };
        // A multiplier of i32::MIN (never TFLite's) takes the general loop below, which has
        // gemmlowp's overflow select.
        if self.multipliers.len() <= 1 && single.0 != i32::MIN {
            // One multiplier (per-tensor weights): the shifts are the same for every lane, which
            // wasm SIMD's shifts need (they take one amount for all lanes), so this loop
            // vectorises. It runs over rows of whole positions, at least 64 values (so that a
            // few channels still make a long loop), with the bias repeated along the row.
            let (qm, shift) = single;
            let width = channels * (64 / channels).max(1);
            let bias: Vec<i32> = bias.iter().copied().cycle().take(width).collect();
            // The multiplier is read from an array all the same: with a loop-invariant operand
            // LLVM multiplies in wasm SIMD's full 64-bit `i64x2.mul` (which engines emulate on
            // x86 in several instructions); from an array it finds `i64x2.extmul_*_i32x4_s`, one
            // widening multiply (the per-lane shifts, not the multiply, are what the per-channel
            // loop below pays for).
            let qms = vec![qm; width];
            for (outs, accs) in out.chunks_mut(width).zip(accs.chunks(width)) {
                for ((o, &a), (&bias, &qm)) in outs.iter_mut().zip(accs).zip(bias.iter().zip(&qms)) {
                    *o = mul_by_qm_unsaturated(to_i32(a).wrapping_add(bias), qm, shift).clamp(lo, hi) as f32 * factor;
                }
            }
            return;
        }
        let (qm, shift): (Vec<i32>, Vec<i32>) =
            (0..channels).map(|c| self.multipliers.get(c).copied().unwrap_or(single)).unzip();
        // One loop over the channels of each position, on arrays of the parameters: its body has
        // no branches, so it vectorises (wasm SIMD has the widening i32 multiply it needs).
        for (outs, accs) in out.chunks_exact_mut(channels).zip(accs.chunks_exact(channels)) {
            let params = qm.iter().zip(&shift).zip(&bias);
            for ((o, &a), ((&qm, &shift), &bias)) in outs.iter_mut().zip(accs).zip(params) {
                *o = one(to_i32(a), qm, shift, bias);
            }
        }
    }
}

impl Requant {
    /// Requantizes f32 accumulators in place: block by block through a small buffer (a whole
    /// number of positions), so that no second tensor is allocated and written.
    fn apply_in_place(&self, xs: &mut [f32]) {
        let (lo, hi, factor) = self.output();
        // The f32 path where it was measured faster: wasm SIMD (see `int_gemm`).
        if int_gemm()
            && let Some(f32_path) = FloatRequant::of(self, lo, hi, factor)
        {
            f32_path.apply_in_place(xs);
            return;
        }
        let block = self.channels() * (1024 / self.channels()).max(1);
        let mut accs = vec![0f32; block];
        for out in xs.chunks_mut(block) {
            let Some(accs) = accs.get_mut(..out.len()) else { return };
            accs.copy_from_slice(out);
            // Exact integers below 2^24 in magnitude (checked when wiring): the cast is exact.
            if self.small_accs {
                self.apply(accs, small_f32_to_i32, out);
            } else {
                self.apply(accs, |a| a as i32, out);
            }
        }
    }
}

// ----- Requant in f32, checked -----

/// [`Requant`]'s arithmetic in f32 for the common case (one multiplier, the bias inside the
/// accumulators, no left shift), with TFLite's exact result wherever f32 could round differently.
///
/// With `p = acc · qm` and `e` the right shift, TFLite's two roundings (`srdhm`, then `rdbpot`)
/// are one: `floor((p + 2^30 + 2^(30+e)) / 2^(31+e))` for `p ≥ -2^30`, and `2^-e` less inside
/// the floor otherwise (the ties of the second rounding go away from zero; for `e = 0` there is
/// no second rounding and no difference). So the result is `floor(t)` with `t = acc · M + c`,
/// `M = qm / 2^(31+e)`, `c = 1/2 + 2^-(1+e)` for `acc ≥ 0` and `1/2 - 2^-(1+e)` for `acc < 0`
/// (the two cases differ only where `-2^30 ≤ p < 0`, where both floors are 0). In f32, `t` is
/// within [`FloatRequant::ERROR`] of the exact value when `|t| ≤ 2^9` (two roundings of relative
/// error 2^-24 and the multiplier's); outside the clamping range (`[lo, hi]`, at most 2^8 in
/// magnitude) the floor does not matter, so `t` is clamped to `[lo + 1/2, hi + 1/2]` first.
/// Lanes whose fractional part is closer than that to an integer (rare: about 2^-11 of them)
/// take TFLite's integer arithmetic. For `e ≥ 6`, `Requant` uses one `c` (the first) and flags
/// the fractions below `2^-e` too, where the two floors could differ: fewer operations.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FloatRequant {
    pub m: f32,
    /// `c` for accumulators `≥ 0` and `< 0`.
    pub c: f32,
    pub c_neg: f32,
    /// `lo + 1/2`, `hi + 1/2`.
    pub lo: f32,
    pub hi: f32,
    /// Fractional parts outside `[flag_lo, flag_hi]` take the integer arithmetic.
    pub flag_lo: f32,
    pub flag_hi: f32,
    /// The output factor (1: centred outputs; the scale: real ones).
    factor: f32,
    /// `c` depends on the sign (else `c_neg == c` and the flagged band is `2^-e` wider).
    signed: bool,
    qm: i32,
    exponent: i32,
    lo_i: i32,
    hi_i: i32,
}

impl FloatRequant {
    /// A bound on `|t - exact|` for `|t| ≤ 2^9` (about 2^-13.8 by the rounding bound) with room.
    const ERROR: f32 = 1.0 / 4096.0;

    /// The f32 path of `r`, when it applies (see the type).
    fn of(r: &Requant, lo_i: i32, hi_i: i32, factor: f32) -> Option<FloatRequant> {
        let multiplier = match r.multipliers.as_slice() {
            [] => (0, 0),
            [one] => *one,
            _ => return None,
        };
        if !r.small_accs || !r.bias.is_empty() {
            return None;
        }
        Self::tuned(multiplier, lo_i, hi_i, factor)
    }

    /// [`FloatRequant::for_multiplier`], with one `c` for large right shifts.
    pub(crate) fn tuned(multiplier: (i32, i32), lo_i: i32, hi_i: i32, factor: f32) -> Option<FloatRequant> {
        let signed = Self::for_multiplier(multiplier, lo_i, hi_i, factor)?;
        // Large right shifts: one `c` for all and `2^-e` more flagged (both floors agree when
        // the fraction is at least `2^-e`): two operations fewer per four values, and few
        // more lanes to recompute.
        Some(if signed.exponent >= 6 {
            let flag_lo = Self::ERROR + (-f64::from(signed.exponent)).exp2() as f32;
            FloatRequant { c_neg: signed.c, flag_lo, signed: false, ..signed }
        } else {
            signed
        })
    }

    /// The f32 path of TFLite multiplier `(qm, shift)` for accumulators below 2^22 (bias
    /// included), clamped to `[lo_i, hi_i]`, times `factor`, when it applies.
    pub(crate) fn for_multiplier((qm, shift): (i32, i32), lo_i: i32, hi_i: i32, factor: f32) -> Option<FloatRequant> {
        let exponent = -shift;
        let applies = qm >= 0 && (0..=31).contains(&exponent) && lo_i.abs() <= 256 && hi_i.abs() <= 256;
        if !applies {
            return None;
        }
        let scale = (-f64::from(31 + exponent)).exp2();
        Some(FloatRequant {
            m: (f64::from(qm) * scale) as f32,
            c: if exponent == 0 { 0.5 } else { (0.5 + (-f64::from(1 + exponent)).exp2()) as f32 },
            c_neg: if exponent == 0 { 0.5 } else { (0.5 - (-f64::from(1 + exponent)).exp2()) as f32 },
            lo: lo_i as f32 + 0.5,
            hi: hi_i as f32 + 0.5,
            flag_lo: Self::ERROR,
            flag_hi: 1.0 - Self::ERROR,
            factor,
            signed: true,
            qm,
            exponent,
            lo_i,
            hi_i,
        })
    }

    /// TFLite's arithmetic for one accumulator.
    #[inline(always)]
    fn exact(&self, acc: f32) -> f32 {
        self.exact_centred(acc) * self.factor
    }

    /// Requantizes `xs` in place.
    fn apply_in_place(&self, xs: &mut [f32]) {
        let mut fours = xs.chunks_exact_mut(4);
        if self.signed {
            for x in &mut fours {
                self.four::<true>(x);
            }
        } else {
            for x in &mut fours {
                self.four::<false>(x);
            }
        }
        for x in fours.into_remainder() {
            *x = self.exact(*x);
        }
    }

    /// Four accumulators, in place.
    #[inline(always)]
    fn four<const SIGNED: bool>(&self, x: &mut [f32]) {
        let Ok(x) = <&mut [f32; 4]>::try_from(x) else { return };
        match self.requant4::<SIGNED>(f4::load(x)) {
            Some(q) => f4::store(f4::mul(q, f4::splat(self.factor)), x),
            None => {
                for x in x.iter_mut() {
                    *x = self.exact(*x);
                }
            }
        }
    }

    /// The requantized values of four f32 accumulators (bias included) before the output
    /// factor, or `None` when a lane's fraction is too near an integer for f32 to decide (then
    /// [`FloatRequant::exact`] gives the values).
    #[inline(always)]
    pub(crate) fn requant4<const SIGNED: bool>(&self, acc: f4::F4) -> Option<f4::F4> {
        let c = if SIGNED { f4::select_neg(acc, f4::splat(self.c_neg), f4::splat(self.c)) } else { f4::splat(self.c) };
        let t = f4::add(f4::mul(acc, f4::splat(self.m)), c);
        let t = f4::min(f4::max(t, f4::splat(self.lo)), f4::splat(self.hi));
        let q = f4::floor(t);
        let frac = f4::sub(t, q);
        if f4::any_outside(frac, f4::splat(self.flag_lo), f4::splat(self.flag_hi)) { None } else { Some(q) }
    }

    /// Whether `c` depends on the accumulator's sign (see [`FloatRequant::requant4`]'s `SIGNED`).
    pub(crate) fn signed(&self) -> bool {
        self.signed
    }

    /// TFLite's arithmetic for one accumulator, without the output factor (for kernels with
    /// centred outputs).
    #[inline(always)]
    pub(crate) fn exact_centred(&self, acc: f32) -> f32 {
        mul_by_qm_unsaturated(small_f32_to_i32(acc), self.qm, -self.exponent).clamp(self.lo_i, self.hi_i) as f32
    }
}

/// Four f32 lanes: wasm SIMD's `v128` when the build has `simd128`, an array otherwise (the same
/// arithmetic lane by lane, which the native tests check).
pub(crate) mod f4 {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    mod imp {
        use core::arch::wasm32::*;

        pub type F4 = v128;

        /// One `v128.load` (`f32x4(x[0], …)` is four loads and three lane replacements).
        #[inline(always)]
        pub fn load(x: &[f32; 4]) -> F4 {
            bytemuck::cast(*x)
        }

        /// One `v128.store`.
        #[inline(always)]
        pub fn store(v: F4, out: &mut [f32; 4]) {
            *out = bytemuck::cast(v);
        }

        #[inline(always)]
        pub fn splat(v: f32) -> F4 {
            f32x4_splat(v)
        }

        #[inline(always)]
        pub fn add(a: F4, b: F4) -> F4 {
            f32x4_add(a, b)
        }

        #[inline(always)]
        pub fn sub(a: F4, b: F4) -> F4 {
            f32x4_sub(a, b)
        }

        #[inline(always)]
        pub fn mul(a: F4, b: F4) -> F4 {
            f32x4_mul(a, b)
        }

        /// `min` and `max` as wasm's `pmin`/`pmax` (x86's `minps`/`maxps`): no NaN handling.
        #[inline(always)]
        pub fn min(a: F4, b: F4) -> F4 {
            f32x4_pmin(a, b)
        }

        #[inline(always)]
        pub fn max(a: F4, b: F4) -> F4 {
            f32x4_pmax(a, b)
        }

        #[inline(always)]
        pub fn floor(a: F4) -> F4 {
            f32x4_floor(a)
        }

        /// Per lane, `neg` where `x < 0`, else `pos`.
        #[inline(always)]
        pub fn select_neg(x: F4, neg: F4, pos: F4) -> F4 {
            v128_bitselect(neg, pos, f32x4_lt(x, f32x4_splat(0.0)))
        }

        /// Whether a lane of `x` is below `lo` or above `hi`.
        #[inline(always)]
        pub fn any_outside(x: F4, lo: F4, hi: F4) -> bool {
            v128_any_true(v128_or(f32x4_lt(x, lo), f32x4_gt(x, hi)))
        }
    }

    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    mod imp {
        pub type F4 = [f32; 4];

        #[inline(always)]
        pub fn load(x: &[f32; 4]) -> F4 {
            *x
        }

        #[inline(always)]
        pub fn store(v: F4, out: &mut [f32; 4]) {
            *out = v;
        }

        #[inline(always)]
        pub fn splat(v: f32) -> F4 {
            [v; 4]
        }

        #[inline(always)]
        pub fn add(a: F4, b: F4) -> F4 {
            std::array::from_fn(|i| a[i] + b[i])
        }

        #[inline(always)]
        pub fn sub(a: F4, b: F4) -> F4 {
            std::array::from_fn(|i| a[i] - b[i])
        }

        #[inline(always)]
        pub fn mul(a: F4, b: F4) -> F4 {
            std::array::from_fn(|i| a[i] * b[i])
        }

        /// wasm's `pmin`: `b < a ? b : a`.
        #[inline(always)]
        pub fn min(a: F4, b: F4) -> F4 {
            std::array::from_fn(|i| if b[i] < a[i] { b[i] } else { a[i] })
        }

        /// wasm's `pmax`: `a < b ? b : a`.
        #[inline(always)]
        pub fn max(a: F4, b: F4) -> F4 {
            std::array::from_fn(|i| if a[i] < b[i] { b[i] } else { a[i] })
        }

        #[inline(always)]
        pub fn floor(a: F4) -> F4 {
            a.map(f32::floor)
        }

        #[inline(always)]
        pub fn select_neg(x: F4, neg: F4, pos: F4) -> F4 {
            std::array::from_fn(|i| if x[i] < 0.0 { neg[i] } else { pos[i] })
        }

        #[inline(always)]
        pub fn any_outside(x: F4, lo: F4, hi: F4) -> bool {
            (0..4).any(|i| x[i] < lo[i] || x[i] > hi[i])
        }
    }

    pub(crate) use imp::*;
}

impl Op for Requant {
    fn name(&self) -> StaticName {
        "Requant".into()
    }

    op_as_typed_op!();
}

impl EvalOp for Requant {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let Some(input) = inputs.into_iter().next() else { bail!("Requant expects one input") };
        if input.datum_type() == DatumType::F32 {
            // The accumulators' own buffer (the convolution's output has no other reader).
            let mut tensor = input.into_tensor();
            self.apply_in_place(tensor.try_as_plain_ram_mut()?.as_slice_mut::<f32>()?);
            return Ok(tvec!(tensor.into_tvalue()));
        }
        let plain = input.try_as_plain_ram()?;
        let mut tensor = Tensor::zero::<f32>(input.shape())?;
        {
            let mut view = tensor.try_as_plain_ram_mut()?;
            self.apply(plain.as_slice::<i32>()?, |a| a, view.as_slice_mut::<f32>()?);
        }
        Ok(tvec!(tensor.into_tvalue()))
    }
}

impl TypedOp for Requant {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let Some(input) = inputs.first() else { bail!("Requant expects one input") };
        ensure!(
            input.datum_type == DatumType::I32 || input.datum_type == DatumType::F32,
            "Requant works on i32 or f32 accumulators"
        );
        let channels = self.channels();
        if channels > 1 {
            ensure!(
                input.shape.last() == Some(&channels.to_dim()),
                "Requant has {} channels for shape {:?}",
                channels,
                input.shape
            );
        }
        Ok(tvec!(DatumType::F32.fact(input.shape.clone())))
    }

    as_op!();
}

// ----- convolutions and fully connected -----

/// Everything an exact integer convolution or fully connected layer needs.
pub(crate) struct IntLayer {
    input: Q8,
    weights: Tensor,
    weights_zero_point: i32,
    /// The axis of `weights` along which the output channels are.
    weight_axis: usize,
    bias: Tensor,
    requant: Requant,
}

/// The integer parameters of a convolution-like operator (input 0, weights input 1 quantized
/// along `weight_axis` with `channels` output channels, optional bias input 2) with fused
/// activation `act`, when it is a plain 8-bit one TFLite runs with integer kernels.
pub(crate) fn int_layer(
    ctx: &mut OpCtx<'_, '_>,
    weight_axis: usize,
    channels: usize,
    act: i8,
) -> TractResult<Option<IntLayer>> {
    let (Some(input), Some(out)) = (input_q8(ctx, 0)?, output_q8(ctx)?) else { return Ok(None) };
    let Some(wt) = ctx.input_tensor(1) else { return Ok(None) };
    let wmeta = ctx.imp.meta(wt)?.clone();
    let Some(wq) = &wmeta.quant else { return Ok(None) };
    if !matches!(wmeta.kind, TensorKind::UInt8 | TensorKind::Int8) {
        return Ok(None);
    }
    let per_channel = wq.scale.len() > 1;
    if per_channel && (wq.scale.len() != channels || wq.axis != weight_axis) {
        return Ok(None);
    }
    let Some(&wzp) = wq.zero_point.first() else { return Ok(None) };
    if wq.zero_point.iter().any(|&z| z != wzp) {
        return Ok(None);
    }
    let Some(weights) = ctx.imp.raw_constant(wt)? else { return Ok(None) };
    let bias = match ctx.input_tensor(2) {
        None => Tensor::zero::<i32>(&[channels])?,
        Some(bt) => {
            let bmeta = ctx.imp.meta(bt)?;
            if bmeta.kind != TensorKind::Int32 {
                return Ok(None);
            }
            let Some(bias) = ctx.imp.raw_constant(bt)? else { return Ok(None) };
            if bias.len() != channels {
                return Ok(None);
            }
            bias.into_shape(&[channels])?
        }
    };
    let Some((min, max)) = out.activation_range(act) else { return Ok(None) };
    let multipliers = (0..if per_channel { channels } else { 1 })
        .map(|c| {
            let ws = wq.scale.get(c).copied().unwrap_or(1.0);
            // TFLite's uint8 kernels take the legacy multiplier, computed from a float product.
            let real = if input.kind == TensorKind::UInt8 && !per_channel {
                f64::from(input.scale * ws) / f64::from(out.scale)
            } else {
                f64::from(input.scale) * f64::from(ws) / f64::from(out.scale)
            };
            quantize_multiplier(real)
        })
        .collect();
    Ok(Some(IntLayer {
        input,
        weights,
        weights_zero_point: i32::try_from(wzp).unwrap_or(0),
        weight_axis,
        bias,
        requant: Requant { multipliers, bias: vec![], out, min, max, centred: false, small_accs: false },
    }))
}

/// The eight extra inputs of tract's quantized convolution and einsum, with unit scales so that
/// they output the raw i32 accumulators.
fn q_inputs(ctx: &mut OpCtx<'_, '_>, layer: &IntLayer) -> TractResult<[OutletId; 6]> {
    let x0 = ctx.add_const(tensor0(layer.input.zero_point))?;
    let one = ctx.add_const(tensor0(1f32))?;
    let k0 = ctx.add_const(tensor0(layer.weights_zero_point))?;
    let y0 = ctx.add_const(tensor0(0i32))?;
    Ok([x0, one, k0, one, y0, one])
}

/// The largest power of two below which f32 holds every integer exactly.
const F32_EXACT: i64 = 1 << 24;

/// The weights minus their zero point as f32, when an f32 accumulation of any input is exact:
/// every product and partial sum of an output is an integer of magnitude at most
/// `max |q - zero_point| · Σ |w - weights_zero_point|` over that output's weights, and f32
/// represents all integers below 2^24 exactly. `None` when the bound does not hold; with the
/// bias as f32 when adding it keeps every output's sums below 2^24 too.
fn exact_f32_weights(layer: &IntLayer) -> TractResult<Option<ExactF32>> {
    let shape = layer.weights.shape().to_vec();
    let Some(&channels) = shape.get(layer.weight_axis) else { return Ok(None) };
    if channels == 0 {
        return Ok(None);
    }
    let inner = shape.get(layer.weight_axis + 1..).unwrap_or_default().iter().product::<usize>().max(1);
    let ints = layer.weights.cast_to::<i32>()?;
    let plain = ints.try_as_plain_ram()?;
    let ws = plain.as_slice::<i32>()?;
    let w0 = layer.weights_zero_point;
    let mut sums = vec![0i64; channels];
    for (i, &w) in ws.iter().enumerate() {
        if let Some(s) = sums.get_mut((i / inner) % channels) {
            *s += i64::from(w.abs_diff(w0));
        }
    }
    let (lo, hi) = layer.input.range();
    let max_input = i64::from((layer.input.zero_point - lo).max(hi - layer.input.zero_point));
    let max_sum = sums.iter().copied().max().unwrap_or(0);
    if max_sum.saturating_mul(max_input) >= F32_EXACT {
        return Ok(None);
    }
    let centered: Vec<f32> = ws.iter().map(|&w| (w - w0) as f32).collect();
    // The bias can join the f32 sums when they stay below 2^24 with it too.
    let plain = layer.bias.try_as_plain_ram()?;
    let bias = plain.as_slice::<i32>()?;
    let with_bias = bias.iter().zip(&sums).map(|(&b, &s)| s.saturating_mul(max_input) + i64::from(b).abs());
    let with_bias = with_bias.max().unwrap_or(0);
    let bias_fits = bias.len() == channels && with_bias < F32_EXACT;
    // The largest accumulator the convolution can output.
    let bound = if bias_fits { with_bias } else { max_sum.saturating_mul(max_input) };
    let bias = bias_fits.then(|| Tensor::from_shape(&[channels], &bias.iter().map(|&b| b as f32).collect::<Vec<_>>()));
    Ok(Some(ExactF32 { weights: Tensor::from_shape(&shape, &centered)?, bias: bias.transpose()?, bound }))
}

/// An integer convolution's operands for tract's f32 kernels (see [`exact_f32_weights`]).
struct ExactF32 {
    /// The weights minus their zero point.
    weights: Tensor,
    /// The bias, when the sums stay exact with it.
    bias: Option<Tensor>,
    /// The largest magnitude of the convolution's f32 outputs.
    bound: i64,
}

/// Whether the wasm SIMD engine's kernels run: convolutions and fully connected layers on
/// [`QPointwise`] (its 16-bit dot products beat tract's f32 kernel four to one; other windows
/// than 1×1 gathered, see [`gathered_conv`] and [`one_channel_depthwise`]) and `Requant` on [`FloatRequant`] (twice as
/// fast as the integer path there). In wasm SIMD builds only: native builds keep tract's
/// AVX/FMA kernels and `Requant`'s integer loop, which LLVM vectorises for AVX, and wasm builds
/// without SIMD measured the scalar f32 path no faster; tests turn it on natively
/// ([`force_int_gemm`]).
fn int_gemm() -> bool {
    #[cfg(test)]
    if let Some(forced) = FORCE_INT_GEMM.get() {
        return forced;
    }
    cfg!(all(target_arch = "wasm32", target_feature = "simd128"))
}

#[cfg(test)]
thread_local! {
    static FORCE_INT_GEMM: std::cell::Cell<Option<bool>> = const { std::cell::Cell::new(None) };
}

/// The tests' pseudo-random numbers: xorshift64 from `seed` (not zero).
#[cfg(test)]
pub(crate) fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

/// Makes this thread's imports use (or not) [`QPointwise`] for 1×1 convolutions.
#[cfg(test)]
pub(crate) fn force_int_gemm(on: Option<bool>) {
    FORCE_INT_GEMM.set(on);
}

/// A 1×1 kernel with stride 1 (padding and dilation then change nothing; no strides: 1).
fn is_pointwise(kernel: &[usize], strides: &[usize]) -> bool {
    kernel.iter().all(|&k| k == 1) && strides.iter().all(|&s| s == 1)
}

/// The [`QPointwise`] operator of a convolution layer's weights `[n, kh, kw, c]`, as `[n, k]`
/// (`k = kh · kw · c`; the rows of a 1×1 convolution, or gathered ones, see
/// [`QPointwise::gathering`]).
fn pointwise(layer: &IntLayer) -> TractResult<Option<QPointwise>> {
    let Some(&n) = layer.weights.shape().first() else { return Ok(None) };
    let k = layer.weights.len() / n.max(1);
    if layer.weight_axis != 0 || n == 0 || n * k != layer.weights.len() {
        return Ok(None);
    }
    let ints = layer.weights.cast_to::<i32>()?;
    let plain = ints.try_as_plain_ram()?;
    let w0 = layer.weights_zero_point;
    let centred: Vec<i32> = plain.as_slice::<i32>()?.iter().map(|&w| w - w0).collect();
    let bias = layer.bias.try_as_plain_ram()?;
    let r = &layer.requant;
    Ok(QPointwise::new(k, n, &centred, bias.as_slice::<i32>()?, &r.multipliers, r.out, (r.min, r.max)))
}

/// Wires an exact integer convolution of `x` (real values) with `pool_spec`; `weights` maps the
/// raw weight constant to the kernel layout `kernel_fmt` expects.
pub(crate) fn conv(
    ctx: &mut OpCtx<'_, '_>,
    layer: IntLayer,
    x: OutletId,
    pool_spec: PoolSpec,
    kernel_fmt: KernelFormat,
    group: usize,
    weights: impl FnOnce(&mut OpCtx<'_, '_>, OutletId) -> TractResult<OutletId>,
) -> TractResult<OutletId> {
    if group == 1
        && int_gemm()
        && is_pointwise(&pool_spec.kernel_shape, pool_spec.strides.as_deref().unwrap_or_default())
        && let Some(op) = pointwise(&layer)?
    {
        // A 1×1 convolution with stride 1: the integer matrix product (see `qgemm`).
        return centred_kernel(ctx, op, x, &layer);
    }
    if let Some(ExactF32 { weights: centered, bias: f32_bias, bound }) = exact_f32_weights(&layer)? {
        // Every partial sum is an integer below 2^24 in magnitude, so tract's f32 convolution
        // (its depthwise kernel, its f32 matrix products) computes the i32 accumulators exactly,
        // bias included when it fits (then Requant has one multiplier for all values and no
        // per-channel parameter).
        let cx = centred_input(ctx, x, layer.input)?;
        let w = ctx.add_const(centered)?;
        let w = weights(ctx, w)?;
        let channels = pool_spec.output_channels;
        let in_conv = f32_bias.is_some();
        let b = ctx.add_const(match f32_bias {
            Some(b) => b,
            None => Tensor::zero::<f32>(&[channels])?,
        })?;
        let op = Conv { pool_spec, kernel_fmt, group, q_params: None };
        let acc = ctx.wire1(op, &[cx, w, b])?;
        let bias = if in_conv { vec![] } else { layer.bias.try_as_plain_ram()?.as_slice::<i32>()?.to_vec() };
        let out = layer.requant.out;
        let requant = Requant { bias, centred: true, small_accs: bound < 1 << 22, ..layer.requant };
        let y = centred_output(ctx, requant, &[acc], out)?;
        ctx.quantized_exactly();
        return Ok(y);
    }
    let raw = ctx.wire1(ToRaw { q: layer.input }, &[x])?;
    let w = ctx.add_const(layer.weights.clone())?;
    let w = weights(ctx, w)?;
    let b = ctx.add_const(layer.bias.clone())?;
    let [x0, xs, k0, ks, y0, ys] = q_inputs(ctx, &layer)?;
    let op = Conv { pool_spec, kernel_fmt, group, q_params: Some(DatumType::I32) };
    let acc = ctx.wire1(op, &[raw, w, b, x0, xs, k0, ks, y0, ys])?;
    let y = ctx.wire1(layer.requant, &[acc])?;
    ctx.quantized_exactly();
    Ok(y)
}

/// Wires a convolution of one group (weights `[n, kh, kw, channels]`) of `x` (real values,
/// spatial size `hw`, `channels` channels) whose window is not 1×1 with stride 1 (those are
/// [`conv`]'s) as [`QPointwise`] gathering each output position's window
/// ([`QPointwise::gathering`]) where it applies: wasm SIMD builds (see [`int_gemm`]) and weights
/// it takes. `None`: wire [`conv`] instead.
pub(crate) fn gathered_conv(
    ctx: &mut OpCtx<'_, '_>,
    layer: &IntLayer,
    x: OutletId,
    window: &super::conv::Window,
    hw: [usize; 2],
    channels: usize,
) -> TractResult<Option<OutletId>> {
    if !int_gemm() || is_pointwise(&window.kernel, &window.stride) {
        return Ok(None);
    }
    let Some(op) = pointwise(layer)? else { return Ok(None) };
    let geometry = super::qdepthwise::Geometry::new(window, hw);
    let Some(op) = op.gathering(geometry, channels) else { return Ok(None) };
    centred_kernel(ctx, op, x, layer).map(Some)
}

/// Wires a depthwise convolution of one input channel (weights `[1, kh, kw, n]`, any depth
/// multiplier `n`) of `x` (real values, spatial size `hw`): the ordinary convolution it is
/// (weights `[n, kh, kw, 1]`), gathered on [`QPointwise`] where [`gathered_conv`] applies (the
/// speech models' and person detection's first layer). `None`: wire [`conv`] instead.
pub(crate) fn one_channel_depthwise(
    ctx: &mut OpCtx<'_, '_>,
    layer: &IntLayer,
    x: OutletId,
    window: &super::conv::Window,
    hw: [usize; 2],
) -> TractResult<Option<OutletId>> {
    if !int_gemm() || layer.weight_axis != 3 || layer.weights.shape().first() != Some(&1) || layer.weights.rank() != 4 {
        return Ok(None);
    }
    let as_conv = IntLayer {
        input: layer.input,
        weights: layer.weights.clone().permute_axes(&[3, 1, 2, 0])?,
        weights_zero_point: layer.weights_zero_point,
        weight_axis: 0,
        bias: layer.bias.clone(),
        requant: layer.requant.clone(),
    };
    gathered_conv(ctx, &as_conv, x, window, hw, 1)
}

/// Wires a depthwise convolution with depth multiplier 1 (weights `[1, kh, kw, c]`) of `x`
/// (real values, spatial size `hw`) as [`QDepthwise`](super::qdepthwise::QDepthwise) where it
/// applies: wasm SIMD builds (see [`int_gemm`]), f32 sums exact and below 2^22 with the bias,
/// one multiplier that requantizes in f32 ([`FloatRequant`]). `None`: wire [`conv`] instead.
pub(crate) fn depthwise(
    ctx: &mut OpCtx<'_, '_>,
    layer: &IntLayer,
    x: OutletId,
    window: &super::conv::Window,
    hw: [usize; 2],
) -> TractResult<Option<OutletId>> {
    if !int_gemm() {
        return Ok(None);
    }
    let Some(ExactF32 { weights, bias: Some(bias), bound }) = exact_f32_weights(layer)? else { return Ok(None) };
    if bound >= 1 << 22 {
        return Ok(None);
    }
    let requant = Requant { bias: vec![], centred: true, small_accs: true, ..layer.requant.clone() };
    let (lo, hi, factor) = requant.output();
    let Some(float) = FloatRequant::of(&requant, lo, hi, factor) else { return Ok(None) };
    let weights = weights.try_as_plain_ram()?.as_slice::<f32>()?.to_vec();
    let bias = bias.try_as_plain_ram()?.as_slice::<f32>()?.to_vec();
    let geometry = super::qdepthwise::Geometry::new(window, hw);
    let Some(op) = super::qdepthwise::QDepthwise::new(weights, bias, geometry, float) else { return Ok(None) };
    centred_kernel(ctx, op, x, layer).map(Some)
}

/// Wires `op`, an integer kernel from centred values of `layer`'s input to centred values of its
/// output, on `x` (real values); returns the real values after it.
fn centred_kernel(
    ctx: &mut OpCtx<'_, '_>,
    op: impl Into<Box<dyn TypedOp>>,
    x: OutletId,
    layer: &IntLayer,
) -> TractResult<OutletId> {
    let cx = centred_input(ctx, x, layer.input)?;
    let y = centred_output(ctx, op, &[cx], layer.requant.out)?;
    ctx.quantized_exactly();
    Ok(y)
}

/// Wires an exact integer fully connected layer on `x` (real values, `[rows, k]`).
/// [`QPointwise`] in wasm SIMD builds (see [`int_gemm`]), tract's integer matrix product
/// otherwise.
pub(crate) fn fully_connected(ctx: &mut OpCtx<'_, '_>, layer: IntLayer, x: OutletId) -> TractResult<OutletId> {
    if int_gemm()
        && let Some(op) = pointwise(&layer)?
    {
        return centred_kernel(ctx, op, x, &layer);
    }
    let raw = ctx.wire1(ToRaw { q: layer.input }, &[x])?;
    let w = ctx.add_const(layer.weights.clone())?;
    let b = ctx.add_const(layer.bias.clone())?;
    let [x0, xs, k0, ks, y0, ys] = q_inputs(ctx, &layer)?;
    let op = EinSum::newq("bk,ok,o,,,,,,->bo".parse()?, DatumType::I32, DatumType::I32);
    let acc = ctx.wire1(op, &[raw, w, b, x0, xs, k0, ks, y0, ys])?;
    let y = ctx.wire1(layer.requant, &[acc])?;
    ctx.quantized_exactly();
    Ok(y)
}

// ----- ADD, SUB, MUL -----

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum BinaryKind {
    Add,
    Sub,
    Mul,
}

/// TFLite's 8-bit `ADD`, `SUB` and `MUL` on real values of equal shapes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QBinary {
    pub kind: BinaryKind,
    pub a: Q8,
    pub b: Q8,
    pub out: Q8,
    /// ADD/SUB: input multipliers and the output multiplier; MUL: the output multiplier only.
    pub a_mult: (i32, i32),
    pub b_mult: (i32, i32),
    pub out_mult: (i32, i32),
    pub min: i32,
    pub max: i32,
    /// Takes and outputs centred values (`q - zero_point`, see [`ToCentered`]) instead of real
    /// ones.
    pub centred: bool,
}

impl Eq for QBinary {}

/// The left shift of TFLite's 8-bit `ADD` and `SUB`.
const LEFT_SHIFT: i32 = 20;

impl QBinary {
    fn new(kind: BinaryKind, a: Q8, b: Q8, out: Q8, act: i8) -> Option<QBinary> {
        let (min, max) = out.activation_range(act)?;
        let (a_mult, b_mult, out_mult) = match kind {
            BinaryKind::Add | BinaryKind::Sub => {
                let twice_max = f64::from(2.0 * a.scale.max(b.scale));
                let out_scale = f64::from((1i32 << LEFT_SHIFT) as f32 * out.scale);
                (
                    quantize_multiplier(f64::from(a.scale) / twice_max),
                    quantize_multiplier(f64::from(b.scale) / twice_max),
                    quantize_multiplier(twice_max / out_scale),
                )
            }
            BinaryKind::Mul => ((0, 0), (0, 0), quantize_multiplier(f64::from(a.scale * b.scale / out.scale))),
        };
        Some(QBinary { kind, a, b, out, a_mult, b_mult, out_mult, min, max, centred: false })
    }

    /// The output for real inputs `x` and `y`, as a real value.
    fn apply(&self, x: f32, y: f32) -> f32 {
        let va = self.a.raw(x) - self.a.zero_point;
        let vb = self.b.raw(y) - self.b.zero_point;
        self.out.real(self.integer(va, vb))
    }

    /// TFLite's kernel on the centred inputs `va` and `vb`: the stored output value.
    #[inline(always)]
    fn integer(&self, va: i32, vb: i32) -> i32 {
        self.integer_with(va, vb, [self.a_mult.0, self.b_mult.0, self.out_mult.0])
    }

    /// [`integer`](Self::integer) with the fixed-point multipliers (a, b, out) given: read from
    /// arrays in a loop, they let LLVM use wasm SIMD's widening multiply (see `Requant::apply`).
    /// The multipliers come from [`quantize_multiplier`], never `i32::MIN`: no overflow select.
    #[inline(always)]
    fn integer_with(&self, va: i32, vb: i32, [qa, qb, qo]: [i32; 3]) -> i32 {
        let raw = match self.kind {
            BinaryKind::Add | BinaryKind::Sub => {
                let sa = mul_by_qm_unsaturated(va.wrapping_mul(1 << LEFT_SHIFT), qa, self.a_mult.1);
                let sb = mul_by_qm_unsaturated(vb.wrapping_mul(1 << LEFT_SHIFT), qb, self.b_mult.1);
                let sum = if self.kind == BinaryKind::Add { sa.wrapping_add(sb) } else { sa.wrapping_sub(sb) };
                mul_by_qm_unsaturated(sum, qo, self.out_mult.1)
            }
            BinaryKind::Mul => mul_by_qm_unsaturated(va.wrapping_mul(vb), qo, self.out_mult.1),
        };
        raw.saturating_add(self.out.zero_point).clamp(self.min, self.max)
    }

    /// The centred outputs of the centred inputs `xs` and `ys` (equal lengths), in `out`.
    fn centred_into(&self, xs: &[f32], ys: &[f32], out: &mut [f32]) {
        // Clamping to the range minus the zero point is clamping `q + zero_point` to the range
        // (saturation included), then taking the zero point off again.
        let zero_point = self.out.zero_point;
        let range = (self.min.saturating_sub(zero_point), self.max.saturating_sub(zero_point));
        let (a, b, o) = (self.a_mult, self.b_mult, self.out_mult);
        let left = |v: i32| v.wrapping_mul(1 << LEFT_SHIFT);
        match self.kind {
            BinaryKind::Add => centred_loop(xs, ys, out, [a.0, b.0, o.0], range, |x, y, [qa, qb, qo]| {
                let sum = mul_by_qm_unsaturated(left(x), qa, a.1).wrapping_add(mul_by_qm_unsaturated(left(y), qb, b.1));
                mul_by_qm_unsaturated(sum, qo, o.1)
            }),
            BinaryKind::Sub => centred_loop(xs, ys, out, [a.0, b.0, o.0], range, |x, y, [qa, qb, qo]| {
                let diff =
                    mul_by_qm_unsaturated(left(x), qa, a.1).wrapping_sub(mul_by_qm_unsaturated(left(y), qb, b.1));
                mul_by_qm_unsaturated(diff, qo, o.1)
            }),
            BinaryKind::Mul => centred_loop(xs, ys, out, [0, 0, o.0], range, |x, y, [_, _, qo]| {
                mul_by_qm_unsaturated(x.wrapping_mul(y), qo, o.1)
            }),
        }
    }
}

/// `out[i] = f(xs[i], ys[i], multipliers).clamp(lo, hi)` on centred values (exact integers of
/// magnitude at most 255 as f32), the body of [`QBinary::centred_into`] for one kind of
/// operator. Not inlined, and with the kind's arithmetic as its own closure: a loop that LLVM
/// vectorises in every build profile (inlined into its caller's `match` with fat LTO, the same
/// loop stayed scalar, 4× slower). The multipliers come from arrays (see `Requant::apply`).
#[inline(never)]
fn centred_loop(
    xs: &[f32],
    ys: &[f32],
    out: &mut [f32],
    multipliers: [i32; 3],
    (lo, hi): (i32, i32),
    f: impl Fn(i32, i32, [i32; 3]) -> i32,
) {
    const ROW: usize = 64;
    let [qa, qb, qo] = multipliers.map(|m| [m; ROW]);
    for ((out, xs), ys) in out.chunks_mut(ROW).zip(xs.chunks(ROW)).zip(ys.chunks(ROW)) {
        let mults = qa.iter().zip(&qb).zip(&qo);
        for (((o, &x), &y), ((&qa, &qb), &qo)) in out.iter_mut().zip(xs).zip(ys).zip(mults) {
            let (x, y) = (small_f32_to_i32(x), small_f32_to_i32(y));
            *o = f(x, y, [qa, qb, qo]).clamp(lo, hi) as f32;
        }
    }
}

impl Op for QBinary {
    fn name(&self) -> StaticName {
        format!("Q{:?}", self.kind).into()
    }

    op_as_typed_op!();
}

impl EvalOp for QBinary {
    op_out_of_plan!();

    fn eval(&self, ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let (Some(a), Some(b)) = (inputs.first(), inputs.get(1)) else { bail!("QBinary expects two inputs") };
        ensure!(a.shape() == b.shape(), "QBinary inputs differ in shape");
        let (pa, pb) = (a.try_as_plain_ram()?, b.try_as_plain_ram()?);
        let (xs, ys) = (pa.as_slice::<f32>()?, pb.as_slice::<f32>()?);
        // Both ways write every output value.
        let output = outputs::output(ctx, a.shape(), |out| {
            // Two loops rather than a branch per element: each vectorises on its own.
            if self.centred {
                self.centred_into(xs, ys, out);
            } else {
                for ((o, &x), &y) in out.iter_mut().zip(xs).zip(ys) {
                    *o = self.apply(x, y);
                }
            }
        })?;
        Ok(tvec!(output))
    }

    fn drop_session(&self, session: SessionId, _node_id: usize) {
        outputs::forget(session);
    }
}

impl TypedOp for QBinary {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let (Some(a), Some(b)) = (inputs.first(), inputs.get(1)) else { bail!("QBinary expects two inputs") };
        ensure!(a.shape == b.shape, "QBinary inputs differ in shape");
        Ok(tvec!(DatumType::F32.fact(a.shape.clone())))
    }

    as_op!();
}

/// Wires TFLite's exact 8-bit `ADD`/`SUB`/`MUL` of inputs 0 and 1 (real values already broadcast
/// to the same rank), when all three tensors are 8-bit quantized; `None` otherwise.
pub(crate) fn binary(
    ctx: &mut OpCtx<'_, '_>,
    kind: BinaryKind,
    a: OutletId,
    b: OutletId,
    act: i8,
) -> TractResult<Option<OutletId>> {
    let (Some(qa), Some(qb), Some(qo)) = (input_q8(ctx, 0)?, input_q8(ctx, 1)?, output_q8(ctx)?) else {
        return Ok(None);
    };
    if qa.kind != qo.kind || qb.kind != qo.kind {
        return Ok(None);
    }
    let Some(op) = QBinary::new(kind, qa, qb, qo, act) else { return Ok(None) };
    let (sa, sb) = (ctx.shape(a)?, ctx.shape(b)?);
    if let (true, Some(ca), Some(cb)) = (sa == sb, centred_made(ctx, a, qa), centred_made(ctx, b, qb)) {
        // Both inputs come centred from integer kernels (the residual connections of MobileNet
        // v2, say): the output stays centred too.
        let y = centred_output(ctx, QBinary { centred: true, ..op }, &[ca, cb], qo)?;
        ctx.quantized_exactly();
        return Ok(Some(y));
    }
    let shape = super::math::broadcast_shape(&[sa.clone(), sb.clone()])?;
    let fact = ShapeFact::from_dims(shape.iter().map(|d| d.to_dim()));
    let a = if sa == shape { a } else { ctx.wire1(MultiBroadcastTo { shape: fact.clone() }, &[a])? };
    let b = if sb == shape { b } else { ctx.wire1(MultiBroadcastTo { shape: fact }, &[b])? };
    let y = ctx.wire1(op, &[a, b])?;
    ctx.quantized_exactly();
    Ok(Some(y))
}

// ----- AVERAGE_POOL_2D -----

/// TFLite's 8-bit average pool: the rounded average of the stored values inside the input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QAvgPool {
    pub q: Q8,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub pad: [usize; 2],
    pub out_hw: [usize; 2],
    pub min: i32,
    pub max: i32,
    /// Input and output are [centred](ToCentered) (`q - zero_point`), not real values.
    pub centred: bool,
}

impl Eq for QAvgPool {}

impl QAvgPool {
    /// The pool of NHWC `xs` (`[n, h, w, c]`), each value's stored value given by `raw`, into
    /// `out` (`[n, oh, ow, c]`), as `value(q)`. Channels are the inner loop: one row of sums per
    /// output position, added to position by position (contiguous rows, a loop that vectorises).
    fn pool(
        &self,
        [n, h, w, c]: [usize; 4],
        xs: &[f32],
        raw: impl Fn(f32) -> i32,
        value: impl Fn(i32) -> f32,
        out: &mut [f32],
    ) {
        let [oh, ow] = self.out_hw;
        let signed = self.q.kind == TensorKind::Int8;
        let mut acc = vec![0i32; c];
        let mut outs = out.chunks_exact_mut(c.max(1));
        for b in 0..n {
            for oy in 0..oh {
                let y0 = (oy * self.stride[0]) as i64 - self.pad[0] as i64;
                let ys = (-y0).max(0) as usize;
                let ye = (self.kernel[0] as i64).min(h as i64 - y0).max(0) as usize;
                for ox in 0..ow {
                    let x0 = (ox * self.stride[1]) as i64 - self.pad[1] as i64;
                    let xs_ = (-x0).max(0) as usize;
                    let xe = (self.kernel[1] as i64).min(w as i64 - x0).max(0) as usize;
                    let count = (ye.saturating_sub(ys) * xe.saturating_sub(xs_)) as i32;
                    acc.fill(0);
                    for fy in ys..ye {
                        for fx in xs_..xe {
                            let y = (y0 + fy as i64) as usize;
                            let x = (x0 + fx as i64) as usize;
                            let start = ((b * h + y) * w + x) * c;
                            let Some(row) = xs.get(start..start + c) else { continue };
                            for (a, &v) in acc.iter_mut().zip(row) {
                                *a = a.wrapping_add(raw(v));
                            }
                        }
                    }
                    let Some(o) = outs.next() else { return };
                    for (o, &acc) in o.iter_mut().zip(&acc) {
                        let avg = if count == 0 {
                            0
                        } else if signed && acc < 0 {
                            (acc - count / 2) / count
                        } else {
                            (acc + count / 2) / count
                        };
                        *o = value(avg.clamp(self.min, self.max));
                    }
                }
            }
        }
    }
}

impl Op for QAvgPool {
    fn name(&self) -> StaticName {
        "QAvgPool".into()
    }

    op_as_typed_op!();
}

impl EvalOp for QAvgPool {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let Some(input) = inputs.first() else { bail!("QAvgPool expects one input") };
        let &[n, h, w, c] = input.shape() else { bail!("QAvgPool expects NHWC data") };
        let plain = input.try_as_plain_ram()?;
        let xs = plain.as_slice::<f32>()?;
        let [oh, ow] = self.out_hw;
        let mut out = vec![0f32; n * oh * ow * c];
        let (q, zero_point) = (self.q, self.q.zero_point);
        if self.centred {
            // Centred values are exact integers of magnitude at most 255.
            let raw = |v| small_f32_to_i32(v) + zero_point;
            self.pool([n, h, w, c], xs, raw, |q| (q - zero_point) as f32, &mut out);
        } else {
            self.pool([n, h, w, c], xs, |v| q.raw(v), |v| q.real(v), &mut out);
        }
        Ok(tvec!(Tensor::from_shape(&[n, oh, ow, c], &out)?.into_tvalue()))
    }
}

impl TypedOp for QAvgPool {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let Some(input) = inputs.first() else { bail!("QAvgPool expects one input") };
        ensure!(input.rank() == 4 && input.datum_type == DatumType::F32, "QAvgPool expects NHWC f32 data");
        let mut shape = input.shape.to_tvec();
        shape[1] = self.out_hw[0].to_dim();
        shape[2] = self.out_hw[1].to_dim();
        Ok(tvec!(DatumType::F32.fact(shape)))
    }

    as_op!();
}

/// TFLite's output size and leading padding of a window along one axis.
pub(crate) fn out_and_pad(padding: Padding, input: usize, kernel: usize, stride: usize) -> (usize, usize) {
    let out = match padding {
        Padding::Same => input.div_ceil(stride),
        Padding::Valid => (input + 1).saturating_sub(kernel).div_ceil(stride),
    };
    let pad = match padding {
        Padding::Same => ((out.saturating_sub(1) * stride + kernel).saturating_sub(input)) / 2,
        Padding::Valid => 0,
    };
    (out, pad)
}

/// Wires TFLite's exact 8-bit average pool when input and output share their quantization.
pub(crate) fn avg_pool(
    ctx: &mut OpCtx<'_, '_>,
    x: OutletId,
    window: &Window,
    act: i8,
) -> TractResult<Option<OutletId>> {
    let (Some(qi), Some(qo)) = (input_q8(ctx, 0)?, output_q8(ctx)?) else { return Ok(None) };
    if qi != qo {
        return Ok(None);
    }
    let Some((min, max)) = qo.activation_range(act) else { return Ok(None) };
    let [_, h, w, _] = super::conv::nhwc(ctx, x)?;
    let (oh, ph) = out_and_pad(window.padding, h, window.kernel[0], window.stride[0]);
    let (ow, pw) = out_and_pad(window.padding, w, window.kernel[1], window.stride[1]);
    let op = QAvgPool {
        q: qi,
        kernel: window.kernel,
        stride: window.stride,
        pad: [ph, pw],
        out_hw: [oh, ow],
        min,
        max,
        centred: false,
    };
    // Centred input from an integer kernel (MobileNet's last convolution): pool that and keep
    // the output centred for the classifier, skipping both conversions.
    let y = match centred_made(ctx, x, qi) {
        Some(c) => centred_output(ctx, QAvgPool { centred: true, ..op }, &[c], qo)?,
        None => ctx.wire1(op, &[x])?,
    };
    ctx.quantized_exactly();
    Ok(Some(y))
}

// ----- MEAN -----

/// TFLite's int8 `MEAN` over height and width with `keep_dims` (`reference_integer_ops::Mean`):
/// the sum of `q - zero_point` rescaled in fixed point by `input_scale / output_scale / count`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QMean {
    pub input: Q8,
    pub out: Q8,
    pub multiplier: (i32, i32),
}

impl Eq for QMean {}

impl Op for QMean {
    fn name(&self) -> StaticName {
        "QMean".into()
    }

    op_as_typed_op!();
}

impl EvalOp for QMean {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let Some(input) = inputs.first() else { bail!("QMean expects one input") };
        let &[n, h, w, c] = input.shape() else { bail!("QMean expects NHWC data") };
        let plain = input.try_as_plain_ram()?;
        let xs = plain.as_slice::<f32>()?;
        let (lo, hi) = self.out.range();
        let mut out = vec![0f32; n * c];
        for b in 0..n {
            for ch in 0..c {
                let mut acc = 0i32;
                for p in 0..h * w {
                    let v = xs.get((b * h * w + p) * c + ch).copied().unwrap_or(0.0);
                    acc = acc.wrapping_add(self.input.raw(v) - self.input.zero_point);
                }
                let avg = mul_by_qm(acc, self.multiplier.0, self.multiplier.1);
                let q = avg.saturating_add(self.out.zero_point).clamp(lo, hi);
                if let Some(o) = out.get_mut(b * c + ch) {
                    *o = self.out.real(q);
                }
            }
        }
        Ok(tvec!(Tensor::from_shape(&[n, 1, 1, c], &out)?.into_tvalue()))
    }
}

impl TypedOp for QMean {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let Some(input) = inputs.first() else { bail!("QMean expects one input") };
        ensure!(input.rank() == 4 && input.datum_type == DatumType::F32, "QMean expects NHWC f32 data");
        let mut shape = input.shape.to_tvec();
        shape[1] = 1.to_dim();
        shape[2] = 1.to_dim();
        Ok(tvec!(DatumType::F32.fact(shape)))
    }

    as_op!();
}

/// Wires TFLite's exact int8 `MEAN` over axes 1 and 2 of a rank-4 input with `keep_dims`;
/// `None` for other cases.
pub(crate) fn mean(
    ctx: &mut OpCtx<'_, '_>,
    x: OutletId,
    axes: &[usize],
    keep_dims: bool,
) -> TractResult<Option<OutletId>> {
    let (Some(qi), Some(qo)) = (input_q8(ctx, 0)?, output_q8(ctx)?) else { return Ok(None) };
    if qi.kind != TensorKind::Int8 || qo.kind != TensorKind::Int8 || !keep_dims || axes != [1, 2] {
        return Ok(None);
    }
    let shape = ctx.shape(x)?;
    let &[_, h, w, _] = shape.as_slice() else { return Ok(None) };
    let count = (h * w).max(1) as f64;
    let multiplier = quantize_multiplier(f64::from(qi.scale) / f64::from(qo.scale) / count);
    let y = ctx.wire1(QMean { input: qi, out: qo, multiplier }, &[x])?;
    ctx.quantized_exactly();
    Ok(Some(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_helpers_match_tflite() {
        assert_eq!(quantize_multiplier(0.5), (1 << 30, 0));
        assert_eq!(quantize_multiplier(0.25), (1 << 30, -1));
        let (qm, shift) = quantize_multiplier(0.011_28);
        assert!((f64::from(qm) / 2f64.powi(31) * 2f64.powi(shift) / 0.011_28 - 1.0).abs() < 1e-9);
        // 1000 · 0.5 = 500; the doubling high multiply rounds 1.5 up but -1.5 towards zero
        // (gemmlowp's nudge), the shift rounds halves away from zero.
        assert_eq!(mul_by_qm(1000, 1 << 30, 0), 500);
        assert_eq!(mul_by_qm(3, 1 << 30, 0), 2);
        assert_eq!(mul_by_qm(-3, 1 << 30, 0), -1);
        // 3 · 0.25 = 0.75 -> 1; 2 · 0.25 = 0.5 -> 1; -2 · 0.25 -> -1.
        assert_eq!(mul_by_qm(3, 1 << 30, -1), 1);
        assert_eq!(mul_by_qm(2, 1 << 30, -1), 1);
        assert_eq!(mul_by_qm(-2, 1 << 30, -1), -1);
        assert_eq!(rdbpot(5, 1), 3);
        assert_eq!(rdbpot(-5, 1), -3);
        assert_eq!(srdhm(i32::MIN, i32::MIN), i32::MAX);
        assert_eq!(mul_by_qm(i32::MIN, i32::MIN, 0), i32::MAX);
        assert_eq!(mul_by_qm(i32::MIN, i32::MIN, -3), reference_mul_by_qm(i32::MIN, i32::MIN, -3));
        for v in [0.0f32, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.499_999_97, -0.499_999_97, 254.5, -255.5, 3.7, -3.7] {
            assert_eq!(round_half_away(v), v.round(), "{v}");
        }
        for i in -600_000i32..600_000 {
            let v = i as f32 / 1024.0;
            assert_eq!(round_half_away(v), v.round(), "{v}");
        }
        for v in [4_194_303.5f32, -4_194_303.5, 4_194_302.5, 4_194_303.0, -4_194_302.5] {
            assert_eq!(round_half_away(v), v.round(), "{v}");
        }
        assert_eq!(round_half_away(f32::NAN), 0.0);
    }

    #[test]
    fn small_f32_to_i32_is_the_cast_below_2_22() {
        let limit = (1 << 22) - 1;
        for v in [0, 1, -1, 2, -2, 255, -255, 65_537, -65_537, limit, -limit, 1_234_567, -3_000_001] {
            assert_eq!(small_f32_to_i32(v as f32), v);
            // -0.0 too.
            assert_eq!(small_f32_to_i32(-(v as f32)), -v);
        }
    }

    /// TFLite's `MultiplyByQuantizedMultiplier` as gemmlowp writes it, with its branches.
    fn reference_mul_by_qm(x: i32, qm: i32, shift: i32) -> i32 {
        let x = x.wrapping_mul(1 << shift.clamp(0, 30));
        let high = if x == i32::MIN && qm == i32::MIN {
            i32::MAX
        } else {
            let ab = i64::from(x) * i64::from(qm);
            let nudge = if ab >= 0 { 1i64 << 30 } else { 1 - (1i64 << 30) };
            ((ab + nudge) / (1i64 << 31)) as i32
        };
        let exponent = (-shift).max(0);
        if exponent <= 0 {
            return high;
        }
        let exponent = exponent.min(31);
        let mask = ((1i64 << exponent) - 1) as i32;
        let threshold = (mask >> 1) + i32::from(high < 0);
        (high >> exponent) + i32::from((high & mask) > threshold)
    }

    /// The branchless helpers and requantization loop compute what gemmlowp's branches compute,
    /// for every shift TFLite produces, extreme accumulators, biases that overflow and odd zero
    /// points.
    #[test]
    fn requant_matches_the_scalar_helpers() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        let out = Q8 { scale: 0.023_5, zero_point: 7, kind: TensorKind::Int8 };
        let multipliers: Vec<(i32, i32)> = [1e-9, 3e-6, 0.000_71, 0.011_28, 0.25, 0.5, 0.999_999, 1.0, 3.7, 1e3, 1e9]
            .iter()
            .map(|&m| quantize_multiplier(m))
            .collect();
        let bias: Vec<i32> = (0..multipliers.len()).map(|_| next() as i32 >> (next() % 32)).collect();
        for (min, max) in [(-128, 127), (7, 127), (-3, 40)] {
            let per_channel = Requant {
                multipliers: multipliers.clone(),
                bias: bias.clone(),
                out,
                min,
                max,
                centred: false,
                small_accs: false,
            };
            let per_tensor = Requant {
                multipliers: vec![(1_518_500_250, -7)],
                bias: vec![],
                out,
                min,
                max,
                centred: false,
                small_accs: false,
            };
            // One multiplier, a bias per channel (the f32 path of per-tensor weights), centred.
            let uniform = Requant { bias: bias.clone(), centred: true, ..per_tensor.clone() };
            for r in [&per_channel, &per_tensor, &uniform] {
                let channels = r.channels();
                let mut accs: Vec<i32> = (0..channels * 500).map(|_| next() as i32 >> (next() % 32)).collect();
                accs.extend([i32::MIN, i32::MAX, 0, -1, 1].iter().cycle().take(channels * 5));
                let mut got = vec![0f32; accs.len()];
                r.apply(&accs, |a| a, &mut got);
                // In place on f32 accumulators (exact integers below 2^24), over several blocks.
                let small: Vec<i32> = accs.iter().cycle().take(channels * 700).map(|&a| a >> 10).collect();
                let mut in_place: Vec<f32> = small.iter().map(|&a| a as f32).collect();
                let mut want = vec![0f32; small.len()];
                r.apply(&small, |a| a, &mut want);
                let mut fast = in_place.clone();
                r.apply_in_place(&mut in_place);
                assert_eq!(in_place, want);
                // Below 2^22 (>> 10 of an i32 is), with the two-operation conversion.
                Requant { small_accs: true, ..r.clone() }.apply_in_place(&mut fast);
                assert_eq!(fast, want);
                for (i, (&a, &g)) in accs.iter().zip(&got).enumerate() {
                    let c = i % channels;
                    let (qm, shift) = r.multipliers.get(c).copied().unwrap_or(r.multipliers[0]);
                    let b = r.bias.get(c).copied().unwrap_or(0);
                    let q = reference_mul_by_qm(a.wrapping_add(b), qm, shift)
                        .saturating_add(out.zero_point)
                        .clamp(min, max);
                    let want = if r.centred { (q - out.zero_point) as f32 } else { out.real(q) };
                    assert_eq!(g, want, "acc {a} channel {c} (qm {qm}, shift {shift}, bias {b})");
                }
            }
        }
    }

    /// `Requant`'s f32 path gives TFLite's values: for right shifts from 0 to 14, multipliers
    /// of exactly 2^-e among them, every accumulator whose result is not clamped (and
    /// a margin around the clamping range), random ones up to 2^22 beyond; int8 and uint8,
    /// activation ranges, centred and real outputs.
    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn requant_in_f32_is_exact() {
        // Natively too (the f32 path runs in wasm SIMD builds; see `int_gemm`).
        force_int_gemm(Some(true));
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        let configs = [
            (0.04, TensorKind::Int8, -3, (-128, 127), true),
            (0.031_25, TensorKind::Int8, 0, (-128, 127), true),
            (0.0123, TensorKind::UInt8, 128, (0, 255), true),
            (0.003_11, TensorKind::UInt8, 0, (0, 255), true),
            (0.003_11, TensorKind::UInt8, 3, (3, 140), false),
            (0.000_77, TensorKind::Int8, -128, (-128, 127), true),
            (0.000_061, TensorKind::Int8, 7, (7, 127), true),
            (0.93, TensorKind::Int8, 0, (-128, 127), true),
            (0.5, TensorKind::Int8, -1, (-128, 127), true),
            (0.37, TensorKind::UInt8, 128, (0, 255), true),
            (0.25, TensorKind::Int8, 4, (-128, 127), true),
            (0.19, TensorKind::UInt8, 128, (0, 255), false),
            (0.093, TensorKind::Int8, -3, (-100, 127), true),
        ];
        for (real, kind, zero_point, (min, max), centred) in configs {
            let out = Q8 { scale: 0.05, zero_point, kind };
            let (qm, shift) = quantize_multiplier(real);
            let r = Requant { multipliers: vec![(qm, shift)], bias: vec![], out, min, max, centred, small_accs: true };
            let (lo, hi) = (min - zero_point, max - zero_point);
            let factor = if centred { 1.0 } else { out.scale };
            assert!(FloatRequant::of(&r, lo, hi, factor).is_some(), "{real}: not on the f32 path");
            // Every accumulator up to 4 steps beyond the range, then random ones.
            let reach = ((f64::from(lo.abs().max(hi.abs()) + 4) / real) as i32).min((1 << 22) - 1);
            let mut accs: Vec<i32> = (-reach..=reach).collect();
            accs.extend((0..20_000).map(|_| (next() % (1 << 23)) as i32 - (1 << 22) + 1));
            let mut got: Vec<f32> = accs.iter().map(|&a| a as f32).collect();
            r.apply_in_place(&mut got);
            for (&a, &g) in accs.iter().zip(&got) {
                let q = reference_mul_by_qm(a, qm, shift).saturating_add(zero_point).clamp(min, max);
                let want = if centred { (q - zero_point) as f32 } else { out.real(q) };
                assert_eq!(g, want, "acc {a}, multiplier {real} (qm {qm}, shift {shift})");
            }
        }
        force_int_gemm(None);
    }

    /// The centred loop of ADD, SUB and MUL gives the scalar kernel's values for every pair of
    /// 8-bit inputs, with and without a fused activation, uint8 and int8.
    #[test]
    fn centred_binary_ops_match_the_scalar_kernel() {
        for kind in [BinaryKind::Add, BinaryKind::Sub, BinaryKind::Mul] {
            for (tk, zps) in [(TensorKind::UInt8, [131, 120, 7]), (TensorKind::Int8, [-3, 5, -128])] {
                for act in [0, 1, 3] {
                    let q = |scale, zero_point| Q8 { scale, zero_point, kind: tk };
                    let (qa, qb, qo) = (q(0.021, zps[0]), q(0.034, zps[1]), q(0.047, zps[2]));
                    let Some(mut op) = QBinary::new(kind, qa, qb, qo, act) else { panic!("no operator") };
                    op.centred = true;
                    let (lo, hi) = qa.range();
                    let pairs: Vec<(i32, i32)> = (lo..=hi).flat_map(|a| (lo..=hi).map(move |b| (a, b))).collect();
                    let xs: Vec<f32> = pairs.iter().map(|&(a, _)| (a - qa.zero_point) as f32).collect();
                    let ys: Vec<f32> = pairs.iter().map(|&(_, b)| (b - qb.zero_point) as f32).collect();
                    let mut got = vec![0f32; pairs.len()];
                    op.centred_into(&xs, &ys, &mut got);
                    for (&(a, b), &g) in pairs.iter().zip(&got) {
                        let want = op.integer(a - qa.zero_point, b - qb.zero_point) - qo.zero_point;
                        assert_eq!(g, want as f32, "{kind:?} {tk:?} act {act}: {a}, {b}");
                    }
                }
            }
        }
    }

    /// Times the centred quantized ADD over MobileNetV2's residual shapes against writing its
    /// output (`f32::fill`), in the same run. Ignored by `cargo test`: `scripts/bench-kernels.sh`
    /// runs it in headless Chromium (the SIMD worker's build).
    #[cfg(target_arch = "wasm32")]
    #[wasm_bindgen_test::wasm_bindgen_test]
    #[ignore]
    fn binary_speed() {
        let q = |scale, zero_point| Q8 { scale, zero_point, kind: TensorKind::Int8 };
        let Some(mut op) = QBinary::new(BinaryKind::Add, q(0.21, -3), q(0.34, 5), q(0.4, -7), 0) else {
            panic!("no operator");
        };
        op.centred = true;
        // MobileNetV2's residual ADDs: 56·56·24 once, 28·28·32 twice, 14·14·64 three times,
        // 14·14·96 twice, 7·7·160 twice.
        let len = 56 * 56 * 24 + 2 * 28 * 28 * 32 + 3 * 14 * 14 * 64 + 2 * 14 * 14 * 96 + 2 * 7 * 7 * 160;
        let xs: Vec<f32> = (0..len).map(|i| (i * 13 % 255) as f32 - 127.0).collect();
        let ys: Vec<f32> = (0..len).map(|i| (i * 29 % 255) as f32 - 127.0).collect();
        let mut out = vec![0f32; len];
        let best = crate::tract::timing::best_of(|side, n| {
            if side == 0 {
                op.centred_into(&xs, &ys, &mut out);
            } else {
                out.fill(n as f32);
            }
        });
        assert!(out.iter().all(|v| v.is_finite()));
        let [add, write] = best;
        wasm_bindgen_test::console_log!(
            "| centred ADD, {len} values | {add:.3} ms | writing the output {write:.3} ms | {:.1}× | {:.2} ns per value |",
            add / write.max(0.001),
            add * 1e6 / len as f64
        );
    }

    /// Times `Requant` on f32 accumulators (centred output, one multiplier, the bias inside the
    /// accumulators: what follows MobileNetV2's first convolution and its 17 depthwise ones) over those layers'
    /// outputs, against writing them (`f32::fill`), in the same run. Ignored by `cargo test`:
    /// `scripts/bench-kernels.sh` runs it in headless Chromium (the SIMD worker's build).
    #[cfg(target_arch = "wasm32")]
    #[wasm_bindgen_test::wasm_bindgen_test]
    #[ignore]
    fn requant_speed() {
        // (side, channels, layers of that shape)
        let shapes = [
            (112, 32, 2),
            (56, 96, 1),
            (56, 144, 1),
            (28, 144, 1),
            (28, 192, 2),
            (14, 192, 1),
            (14, 384, 4),
            (14, 576, 2),
            (7, 576, 1),
            (7, 960, 3),
        ];
        let out = Q8 { scale: 0.023, zero_point: 0, kind: TensorKind::UInt8 };
        let mut layers: Vec<(Requant, Vec<f32>)> = Vec::new();
        for (side, channels, count) in shapes {
            for _ in 0..count {
                // The bias inside the accumulators (it fits MobileNetV2's exact f32 sums).
                let (multipliers, min, max) = (vec![quantize_multiplier(0.000_31)], 0, 255);
                let requant = Requant { multipliers, bias: vec![], out, min, max, centred: true, small_accs: true };
                let accs: Vec<f32> =
                    (0..side * side * channels).map(|i| (i * 7919 % 60_001) as f32 - 30_000.0).collect();
                layers.push((requant, accs));
            }
        }
        let len: usize = layers.iter().map(|(_, accs)| accs.len()).sum();
        let best = crate::tract::timing::best_of(|side, n| {
            for (requant, accs) in &mut layers {
                if side == 0 {
                    requant.apply_in_place(accs);
                } else {
                    accs.fill(n as f32);
                }
            }
        });
        assert!(layers.iter().all(|(_, accs)| accs.iter().all(|v| v.is_finite())));
        let [requant, write] = best;
        wasm_bindgen_test::console_log!(
            "| Requant, {len} values | {requant:.3} ms | writing the output {write:.3} ms | {:.1}× | {:.2} ns per value |",
            requant / write.max(0.001),
            requant * 1e6 / len as f64
        );
    }
}
