//! Activations: the fused activations of convolutions, pools and element-wise operators, and the
//! standalone `RELU`, `RELU6`, `RELU_N1_TO_1`, `LOGISTIC`, `TANH`, `LEAKY_RELU`, `HARD_SWISH`,
//! `PRELU` and `GELU` operators.
//!
//! Activations compute on real values; for quantized outputs the importer's quantization point
//! follows, which reproduces TFLite's clamping of quantized activations to the intersection of
//! the activation's range and the type's range.

use tract_core::internal::*;
use tract_core::ops::element_wise::ElementWiseOp;
use tract_core::ops::math;
use tract_core::ops::nn as tnn;

use super::import::{OpCtx, unsupported};
use super::math::broadcast_pair;

/// A constant of `value` with `rank` axes of size 1, to combine with a rank-`rank` tensor.
pub(crate) fn splat(ctx: &mut OpCtx<'_, '_>, value: f32, rank: usize) -> TractResult<OutletId> {
    let shape = vec![1usize; rank];
    ctx.add_const(Tensor::from_shape(&shape, &[value])?)
}

/// `max(x, lo)` and/or `min(x, hi)`.
pub(crate) fn clamp(ctx: &mut OpCtx<'_, '_>, x: OutletId, lo: Option<f32>, hi: Option<f32>) -> TractResult<OutletId> {
    let rank = ctx.shape(x)?.len();
    let mut x = x;
    if let Some(lo) = lo {
        let c = splat(ctx, lo, rank)?;
        x = ctx.wire1(math::max(), &[x, c])?;
    }
    if let Some(hi) = hi {
        let c = splat(ctx, hi, rank)?;
        x = ctx.wire1(math::min(), &[x, c])?;
    }
    Ok(x)
}

/// Applies fused activation `code` (`ActivationFunctionType`) to `x`.
pub(crate) fn fused(ctx: &mut OpCtx<'_, '_>, x: OutletId, code: i8) -> TractResult<OutletId> {
    match code {
        0 => Ok(x),
        1 => clamp(ctx, x, Some(0.0), None),
        2 => clamp(ctx, x, Some(-1.0), Some(1.0)),
        3 => clamp(ctx, x, Some(0.0), Some(6.0)),
        4 => unary(ctx, x, math::tanh()),
        5 => unsupported!("the SIGN_BIT fused activation"),
        other => bail!("unknown fused activation {other}"),
    }
}

/// Wires an element-wise op on a float outlet.
pub(crate) fn unary(ctx: &mut OpCtx<'_, '_>, x: OutletId, op: ElementWiseOp) -> TractResult<OutletId> {
    ctx.wire1(op, &[x])
}

/// The single float input of an activation operator.
fn single_input(ctx: &mut OpCtx<'_, '_>) -> TractResult<OutletId> {
    ctx.expect_io(1..=1, 1)?;
    ctx.float_input(0)
}

pub(crate) fn relu(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    let x = single_input(ctx)?;
    Ok(tvec!(clamp(ctx, x, Some(0.0), None)?))
}

pub(crate) fn relu6(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    let x = single_input(ctx)?;
    Ok(tvec!(clamp(ctx, x, Some(0.0), Some(6.0))?))
}

pub(crate) fn relu_n1_to_1(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    let x = single_input(ctx)?;
    Ok(tvec!(clamp(ctx, x, Some(-1.0), Some(1.0))?))
}

pub(crate) fn relu_0_to_1(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    let x = single_input(ctx)?;
    Ok(tvec!(clamp(ctx, x, Some(0.0), Some(1.0))?))
}

pub(crate) fn logistic(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    let x = single_input(ctx)?;
    Ok(tvec!(unary(ctx, x, tnn::sigmoid())?))
}

pub(crate) fn tanh(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    let x = single_input(ctx)?;
    Ok(tvec!(unary(ctx, x, math::tanh())?))
}

pub(crate) fn hard_swish(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    let x = single_input(ctx)?;
    Ok(tvec!(unary(ctx, x, tnn::hard_swish())?))
}

/// `LEAKY_RELU`: `x` for `x >= 0`, `alpha * x` otherwise (`LeakyReluOptions.alpha`, slot 0).
pub(crate) fn leaky_relu(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    let x = single_input(ctx)?;
    let alpha = ctx.opt_f32(0, 0.0)?;
    ensure!(alpha.is_finite(), "alpha is not a finite number");
    // max(x, 0) + alpha * min(x, 0), which is exact for any alpha.
    let rank = ctx.shape(x)?.len();
    let pos = clamp(ctx, x, Some(0.0), None)?;
    let neg = clamp(ctx, x, None, Some(0.0))?;
    let a = splat(ctx, alpha, rank)?;
    let neg = ctx.wire1(math::mul(), &[neg, a])?;
    Ok(tvec!(ctx.wire1(math::add(), &[pos, neg])?))
}

/// `PRELU`: `x` for `x >= 0`, `alpha * x` otherwise, with a broadcast `alpha` tensor.
pub(crate) fn prelu(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(2..=2, 1)?;
    let x = ctx.float_input(0)?;
    let alpha = ctx.float_input(1)?;
    let pos = clamp(ctx, x, Some(0.0), None)?;
    let neg = clamp(ctx, x, None, Some(0.0))?;
    let (neg, alpha) = broadcast_pair(ctx, neg, alpha)?;
    let neg = ctx.wire1(math::mul(), &[neg, alpha])?;
    let (pos, neg) = broadcast_pair(ctx, pos, neg)?;
    Ok(tvec!(ctx.wire1(math::add(), &[pos, neg])?))
}
