//! Layers: `FULLY_CONNECTED` (any input rank, `keep_num_dims`, hybrid), `BATCH_MATMUL`,
//! `SOFTMAX`, `LOG_SOFTMAX`, `L2_NORMALIZATION`, `RESIZE_BILINEAR` and
//! `RESIZE_NEAREST_NEIGHBOR`.

use tract_core::internal::*;
use tract_core::ops::array::MultiBroadcastTo;
use tract_core::ops::einsum::EinSum;
use tract_core::ops::math;
use tract_core::ops::nn::{Reduce, Reducer, Softmax, SoftmaxKind};

use super::activation::{fused, splat};
use super::conv::nhwc;
use super::import::{OpCtx, unsupported, volume};
use super::math::broadcast_shape;
use super::qint;
use super::quant::{DynamicMode, DynamicQuant};
use crate::tflite::TensorKind;

/// Reshapes `x` from shape `from` to shape `to` (same element count), if they differ.
pub(crate) fn reshape(ctx: &mut OpCtx<'_, '_>, x: OutletId, from: &[usize], to: &[usize]) -> TractResult<OutletId> {
    if from == to {
        return Ok(x);
    }
    ensure!(volume(from)? == volume(to)?, "cannot reshape {from:?} to {to:?}");
    let from = from.iter().map(|d| d.to_dim()).collect();
    let to = to.iter().map(|d| d.to_dim()).collect();
    ctx.wire1(AxisOp::Reshape(0, from, to), &[x])
}

fn is_hybrid(ctx: &OpCtx<'_, '_>) -> TractResult<bool> {
    let weights = ctx.input_meta(1)?;
    Ok(ctx.input_quant(0)?.is_none() && weights.quant.is_some() && weights.kind == TensorKind::Int8)
}

/// `FULLY_CONNECTED`: options fused activation (0), weights format (1), keep_num_dims (2),
/// asymmetric_quantize_inputs (3). The input is flattened to `[N / K, K]` for weights `[O, K]`.
pub(crate) fn fully_connected(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(2..=3, 1)?;
    if ctx.opt_i8(1, 0)? != 0 {
        unsupported!("shuffled FULLY_CONNECTED weights");
    }
    let keep_num_dims = ctx.opt_bool(2, false)?;
    let asymmetric = ctx.opt_bool(3, false)?;
    let x = ctx.float_input(0)?;
    let w = ctx.float_input(1)?;
    let xshape = ctx.shape(x)?;
    let wshape = ctx.shape(w)?;
    let &[o, k] = wshape.as_slice() else {
        bail!("the weights have shape {wshape:?}, not [outputs, inputs]");
    };
    let total = volume(&xshape)?;
    ensure!(k > 0 && o > 0 && total % k == 0, "an input of shape {xshape:?} does not split into rows of {k}");
    let rows = total / k;
    let mut x = reshape(ctx, x, &xshape, &[rows, k])?;
    let act = ctx.opt_i8(0, 0)?;
    let out_shape = if keep_num_dims {
        ensure!(xshape.last() == Some(&k), "keep_num_dims needs the input's last dimension to be {k}");
        let mut out = xshape.clone();
        if let Some(last) = out.last_mut() {
            *last = o;
        }
        out
    } else {
        vec![rows, o]
    };
    if let Some(layer) = qint::int_layer(ctx, 0, o, act)? {
        let y = qint::fully_connected(ctx, layer, x)?;
        return Ok(tvec!(reshape(ctx, y, &[rows, o], &out_shape)?));
    }
    if is_hybrid(ctx)? {
        let mode = if asymmetric { DynamicMode::Asymmetric } else { DynamicMode::Symmetric };
        x = ctx.wire1(DynamicQuant { mode }, &[x])?;
    }
    let mut y = ctx.wire1(EinSum::new("bk,ok->bo".parse()?, DatumType::F32), &[x, w])?;
    if ctx.has_input(2) {
        let b = ctx.float_input(2)?;
        let bshape = ctx.shape(b)?;
        ensure!(volume(&bshape)? == o, "the bias has shape {bshape:?}, not [{o}]");
        let b = reshape(ctx, b, &bshape, &[1, o])?;
        y = ctx.wire1(math::add(), &[y, b])?;
    }
    y = fused(ctx, y, act)?;
    Ok(tvec!(reshape(ctx, y, &[rows, o], &out_shape)?))
}

/// `BATCH_MATMUL`: `x @ y` over the last two axes (adj_x (0) and adj_y (1) transpose them),
/// with broadcast batch axes.
pub(crate) fn batch_matmul(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(2..=2, 1)?;
    let (adj_x, adj_y, asymmetric) = (ctx.opt_bool(0, false)?, ctx.opt_bool(1, false)?, ctx.opt_bool(2, false)?);
    let mut a = ctx.float_input(0)?;
    let mut b = ctx.float_input(1)?;
    let (ashape, bshape) = (ctx.shape(a)?, ctx.shape(b)?);
    ensure!(ashape.len() >= 2 && bshape.len() >= 2, "BATCH_MATMUL needs operands of rank 2 or more");
    let (ab, am) = ashape.split_at(ashape.len() - 2);
    let (bb, bm) = bshape.split_at(bshape.len() - 2);
    let (m, ka) = if adj_x { (am[1], am[0]) } else { (am[0], am[1]) };
    let (kb, n) = if adj_y { (bm[1], bm[0]) } else { (bm[0], bm[1]) };
    ensure!(ka == kb, "inner dimensions differ ({ka} and {kb})");
    let batch = broadcast_shape(&[ab.to_vec(), bb.to_vec()])?;
    let mut full_a = batch.clone();
    full_a.extend_from_slice(am);
    let mut full_b = batch.clone();
    full_b.extend_from_slice(bm);
    if is_hybrid(ctx)? {
        let rows = volume(&ashape)? / ashape.last().copied().unwrap_or(1).max(1);
        let flat = reshape(ctx, a, &ashape, &[rows, ashape.last().copied().unwrap_or(1)])?;
        let mode = if asymmetric { DynamicMode::Asymmetric } else { DynamicMode::Symmetric };
        let q = ctx.wire1(DynamicQuant { mode }, &[flat])?;
        a = reshape(ctx, q, &[rows, ashape.last().copied().unwrap_or(1)], &ashape)?;
    }
    for (x, shape, full) in [(&mut a, &ashape, &full_a), (&mut b, &bshape, &full_b)] {
        for _ in shape.len()..full.len() {
            *x = ctx.wire1(AxisOp::Add(0), &[*x])?;
        }
        if shape.len() < full.len() || shape != full {
            let shape = ShapeFact::from_dims(full.iter().map(|d| d.to_dim()));
            *x = ctx.wire1(MultiBroadcastTo { shape }, &[*x])?;
        }
    }
    let batch_axes: String = (0..batch.len()).map(|i| char::from(b'a' + (i as u8 % 20))).collect();
    if batch.len() > 20 {
        unsupported!("BATCH_MATMUL with more than 20 batch axes");
    }
    let lhs = if adj_x { "km" } else { "mk" };
    let rhs = if adj_y { "nk" } else { "kn" };
    let expr = format!("{batch_axes}{lhs},{batch_axes}{rhs}->{batch_axes}mn");
    let y = ctx.wire1(EinSum::new(expr.parse()?, DatumType::F32), &[a, b])?;
    let _ = (m, n);
    Ok(tvec!(y))
}

fn softmax_kind(ctx: &mut OpCtx<'_, '_>, kind: SoftmaxKind, beta: f32) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(1..=1, 1)?;
    let mut x = ctx.float_input(0)?;
    let rank = ctx.shape(x)?.len();
    ensure!(rank >= 1, "softmax needs an input of rank 1 or more");
    ensure!(beta.is_finite(), "beta is not a finite number");
    if beta != 1.0 {
        let b = splat(ctx, beta, rank)?;
        x = ctx.wire1(math::mul(), &[x, b])?;
    }
    let op = Softmax { axes: tvec!(rank - 1), quant_output_dt: None, kind };
    Ok(tvec!(ctx.wire1(op, &[x])?))
}

/// `SOFTMAX`: `exp(beta·x) / Σ exp(beta·x)` over the last axis (`SoftmaxOptions.beta`, slot 0).
pub(crate) fn softmax(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    let beta = ctx.opt_f32(0, 0.0)?;
    softmax_kind(ctx, SoftmaxKind::Softmax, beta)
}

pub(crate) fn log_softmax(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    softmax_kind(ctx, SoftmaxKind::LogSoftmax, 1.0)
}

/// `L2_NORMALIZATION`: `x / max(‖x‖, 1e-6)` over the last axis.
pub(crate) fn l2_normalization(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(1..=1, 1)?;
    let x = ctx.float_input(0)?;
    let rank = ctx.shape(x)?.len();
    ensure!(rank >= 1, "L2_NORMALIZATION needs an input of rank 1 or more");
    let sq = ctx.wire1(math::mul(), &[x, x])?;
    let sum = ctx.wire1(Reduce::new(tvec!(rank - 1), Reducer::Sum), &[sq])?;
    let norm = ctx.wire1(math::sqrt(), &[sum])?;
    let eps = splat(ctx, 1e-6, rank)?;
    let norm = ctx.wire1(math::max(), &[norm, eps])?;
    let y = ctx.wire1(math::div(), &[x, norm])?;
    let act = ctx.opt_i8(0, 0)?;
    Ok(tvec!(fused(ctx, y, act)?))
}

/// TFLite's resize of the two spatial axes of NHWC f32 data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Resize {
    pub bilinear: bool,
    pub align_corners: bool,
    pub half_pixel_centers: bool,
    pub size: [usize; 2],
}

impl Resize {
    fn scale(&self, input: usize, output: usize) -> f32 {
        if self.align_corners && output > 1 {
            (input as f32 - 1.0) / (output as f32 - 1.0)
        } else {
            input as f32 / output as f32
        }
    }

    /// The nearest source index of output index `i` (TFLite's `GetNearestNeighbor`).
    fn nearest(&self, i: usize, input: usize, scale: f32) -> usize {
        let offset = if self.half_pixel_centers { 0.5 } else { 0.0 };
        let x = (i as f32 + offset) * scale;
        let v = if self.align_corners { x.round() } else { x.floor() };
        (v.max(0.0) as usize).min(input - 1)
    }

    /// The two source indices of output index `i` and the position between them
    /// (TFLite's `ComputeInterpolationValues`).
    fn linear(&self, i: usize, input: usize, scale: f32) -> (usize, usize, f32) {
        let x = if self.half_pixel_centers { (i as f32 + 0.5) * scale - 0.5 } else { i as f32 * scale };
        let lo = (x.floor().max(0.0) as usize).min(input - 1);
        let hi = (x.ceil().max(0.0) as usize).min(input - 1);
        (lo, hi, x - lo as f32)
    }
}

impl Op for Resize {
    fn name(&self) -> StaticName {
        if self.bilinear { "ResizeBilinear".into() } else { "ResizeNearest".into() }
    }

    op_as_typed_op!();
}

impl EvalOp for Resize {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let Some(input) = inputs.first() else {
            bail!("Resize expects one input");
        };
        let &[n, h, w, c] = input.shape() else {
            bail!("Resize expects NHWC data");
        };
        ensure!(h > 0 && w > 0, "Resize of an empty image");
        let [oh, ow] = self.size;
        let plain = input.try_as_plain_ram()?;
        let x = plain.as_slice::<f32>()?;
        let mut out = vec![0f32; volume(&[n, oh, ow, c])?];
        let (sy, sx) = (self.scale(h, oh), self.scale(w, ow));
        let at = |b: usize, y: usize, xx: usize| ((b * h + y) * w + xx) * c;
        for b in 0..n {
            for oy in 0..oh {
                for ox in 0..ow {
                    let o = ((b * oh + oy) * ow + ox) * c;
                    let dst = out.get_mut(o..o + c).unwrap_or_default();
                    if self.bilinear {
                        let (y0, y1, fy) = self.linear(oy, h, sy);
                        let (x0, x1, fx) = self.linear(ox, w, sx);
                        let (fy, fx) = (fy, fx);
                        let p00 = x.get(at(b, y0, x0)..).unwrap_or_default();
                        let p01 = x.get(at(b, y0, x1)..).unwrap_or_default();
                        let p10 = x.get(at(b, y1, x0)..).unwrap_or_default();
                        let p11 = x.get(at(b, y1, x1)..).unwrap_or_default();
                        for (ch, d) in dst.iter_mut().enumerate() {
                            let v = |p: &[f32]| p.get(ch).copied().unwrap_or(0.0);
                            *d = v(p00) * (1.0 - fy) * (1.0 - fx)
                                + v(p10) * fy * (1.0 - fx)
                                + v(p01) * (1.0 - fy) * fx
                                + v(p11) * fy * fx;
                        }
                    } else {
                        let y = self.nearest(oy, h, sy);
                        let xx = self.nearest(ox, w, sx);
                        let src = x.get(at(b, y, xx)..).unwrap_or_default();
                        for (d, s) in dst.iter_mut().zip(src) {
                            *d = *s;
                        }
                    }
                }
            }
        }
        Ok(tvec!(Tensor::from_shape(&[n, oh, ow, c], &out)?.into_tvalue()))
    }
}

impl TypedOp for Resize {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let Some(input) = inputs.first() else {
            bail!("Resize expects one input");
        };
        ensure!(input.datum_type == DatumType::F32 && input.rank() == 4, "Resize expects NHWC f32 data");
        let mut shape = input.shape.to_tvec();
        shape[1] = self.size[0].to_dim();
        shape[2] = self.size[1].to_dim();
        Ok(tvec!(DatumType::F32.fact(shape)))
    }

    as_op!();
}

fn resize(
    ctx: &mut OpCtx<'_, '_>,
    bilinear: bool,
    align_corners: bool,
    half_pixel_centers: bool,
) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(2..=2, 1)?;
    let x = ctx.float_input(0)?;
    let [_, h, w, _] = nhwc(ctx, x)?;
    ensure!(h > 0 && w > 0, "the input image is empty");
    let size = ctx.const_ints(1)?;
    let &[oh, ow] = size.as_slice() else {
        bail!("the size input has {} values, not 2", size.len());
    };
    let (Ok(oh), Ok(ow)) = (usize::try_from(oh), usize::try_from(ow)) else {
        bail!("the output size {size:?} is negative");
    };
    ensure!(oh > 0 && ow > 0, "the output size {size:?} is empty");
    if oh == h && ow == w && !half_pixel_centers {
        ctx.preserves_values();
    }
    let op = Resize { bilinear, align_corners, half_pixel_centers, size: [oh, ow] };
    Ok(tvec!(ctx.wire1(op, &[x])?))
}

/// `RESIZE_BILINEAR`: options align_corners (2), half_pixel_centers (3).
pub(crate) fn resize_bilinear(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    let (align, half) = (ctx.opt_bool(2, false)?, ctx.opt_bool(3, false)?);
    resize(ctx, true, align, half)
}

/// `RESIZE_NEAREST_NEIGHBOR`: options align_corners (0), half_pixel_centers (1).
pub(crate) fn resize_nearest_neighbor(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    let (align, half) = (ctx.opt_bool(0, false)?, ctx.opt_bool(1, false)?);
    ctx.preserves_values();
    resize(ctx, false, align, half)
}
