//! Reductions: `MEAN`, `SUM`, `REDUCE_MAX`, `REDUCE_MIN`, `REDUCE_PROD`, `REDUCE_ANY`,
//! `REDUCE_ALL`, `ARG_MAX`, `ARG_MIN` and `TOPK_V2`.
//!
//! `MEAN` is a float sum divided by the element count: it is never rounded (tract-tflite's MEAN
//! rounds to integers).

use std::cmp::Ordering;

use tract_core::internal::*;
use tract_core::ops::math;
use tract_core::ops::nn::{Reduce, Reducer};

use super::activation::splat;
use super::import::{OpCtx, unsupported, volume};
use super::qint;
use super::shape::axis;

/// The sorted, de-duplicated axes of input 1 for a tensor of `rank`.
fn reduce_axes(ctx: &mut OpCtx<'_, '_>, rank: usize) -> TractResult<Vec<usize>> {
    let mut axes = ctx.const_ints(1)?.iter().map(|&a| axis(a, rank, false)).collect::<TractResult<Vec<_>>>()?;
    axes.sort_unstable();
    axes.dedup();
    Ok(axes)
}

/// Reduces input 0 over the axes of input 1, then removes them unless `keep_dims` (slot 0).
fn reduce(ctx: &mut OpCtx<'_, '_>, reducer: Reducer, mean: bool) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(2..=2, 1)?;
    let x = ctx.input(0)?;
    let shape = ctx.shape(x)?;
    let dt = ctx.datum_type(x)?;
    match reducer {
        Reducer::Any | Reducer::All if dt != DatumType::Bool => bail!("logical reductions need booleans"),
        Reducer::Any | Reducer::All => {}
        _ if dt == DatumType::Bool => bail!("numeric reductions need numbers"),
        _ if mean && dt != DatumType::F32 => unsupported!("MEAN of integers"),
        _ => {}
    }
    let axes = reduce_axes(ctx, shape.len())?;
    let keep_dims = ctx.opt_bool(0, false)?;
    if axes.is_empty() {
        return Ok(tvec!(x));
    }
    if mean && let Some(y) = qint::mean(ctx, x, &axes, keep_dims)? {
        return Ok(tvec!(y));
    }
    let mut y = ctx.wire1(Reduce::new(axes.iter().copied().collect(), reducer), &[x])?;
    if mean {
        let n: usize = axes.iter().map(|&a| shape[a]).product();
        let c = splat(ctx, n as f32, shape.len())?;
        y = ctx.wire1(math::div(), &[y, c])?;
    }
    if !keep_dims {
        for &a in axes.iter().rev() {
            y = ctx.wire1(AxisOp::Rm(a), &[y])?;
        }
    }
    if matches!(reducer, Reducer::Max | Reducer::Min) {
        ctx.preserves_values();
    }
    Ok(tvec!(y))
}

pub(crate) fn mean(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    reduce(ctx, Reducer::Sum, true)
}

pub(crate) fn sum(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    reduce(ctx, Reducer::Sum, false)
}

pub(crate) fn reduce_max(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    reduce(ctx, Reducer::Max, false)
}

pub(crate) fn reduce_min(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    reduce(ctx, Reducer::Min, false)
}

pub(crate) fn reduce_prod(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    reduce(ctx, Reducer::Prod, false)
}

pub(crate) fn reduce_any(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    reduce(ctx, Reducer::Any, false)
}

pub(crate) fn reduce_all(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    reduce(ctx, Reducer::All, false)
}

/// `ARG_MAX` / `ARG_MIN` over the constant axis of input 1 (first index on ties).
fn arg(ctx: &mut OpCtx<'_, '_>, max: bool) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(2..=2, 1)?;
    let x = ctx.input(0)?;
    let shape = ctx.shape(x)?;
    ensure!(ctx.datum_type(x)? != DatumType::Bool, "{} needs numbers", ctx.code);
    let a = ctx.const_ints(1)?;
    let &[a] = a.as_slice() else { bail!("the axis input must hold one value") };
    let a = axis(a, shape.len(), false)?;
    ensure!(shape[a] > 0, "{} over an empty axis", ctx.code);
    let reducer = if max { Reducer::ArgMax(false) } else { Reducer::ArgMin(false) };
    let y = ctx.wire1(Reduce::new(tvec!(a), reducer), &[x])?;
    Ok(tvec!(ctx.wire1(AxisOp::Rm(a), &[y])?))
}

pub(crate) fn arg_max(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    arg(ctx, true)
}

pub(crate) fn arg_min(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    arg(ctx, false)
}

/// TFLite's `TOPK_V2` over the last axis: the `k` largest values, sorted in decreasing order
/// (lower indices first among equal values), and their indices as i32.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct TopK {
    pub k: usize,
}

impl Op for TopK {
    fn name(&self) -> StaticName {
        "TfliteTopK".into()
    }

    op_as_typed_op!();
}

impl EvalOp for TopK {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let Some(input) = inputs.first() else { bail!("TopK expects an input") };
        let shape = input.shape();
        let Some((&n, outer)) = shape.split_last() else { bail!("TopK of a scalar") };
        ensure!(self.k <= n, "TOPK_V2 asks for {} values of {n}", self.k);
        let rows: usize = outer.iter().product();
        let values = input.cast_to::<f64>()?;
        let values = values.try_as_plain_ram()?.as_slice::<f64>()?.to_vec();
        let size = input.datum_type().size_of();
        let src = input.try_as_plain_ram()?.as_bytes();
        let mut out_shape: Vec<usize> = outer.to_vec();
        out_shape.push(self.k);
        let mut out = Tensor::zero_dt(input.datum_type(), &out_shape)?;
        let mut indices = Vec::with_capacity(rows * self.k);
        {
            let mut plain = out.try_as_plain_ram_mut()?;
            let dst = plain.as_bytes_mut();
            let mut order: Vec<usize> = Vec::with_capacity(n);
            for r in 0..rows {
                let row = values.get(r * n..(r + 1) * n).unwrap_or_default();
                order.clear();
                order.extend(0..n);
                order.sort_by(|&a, &b| {
                    let (x, y) = (row.get(a).copied().unwrap_or(0.0), row.get(b).copied().unwrap_or(0.0));
                    y.partial_cmp(&x).unwrap_or(Ordering::Equal).then(a.cmp(&b))
                });
                for (j, &i) in order.iter().take(self.k).enumerate() {
                    let s = (r * n + i) * size;
                    let d = (r * self.k + j) * size;
                    if let (Some(s), Some(d)) = (src.get(s..s + size), dst.get_mut(d..d + size)) {
                        d.copy_from_slice(s);
                    }
                    indices.push(i32::try_from(i).unwrap_or(i32::MAX));
                }
            }
        }
        let indices = Tensor::from_shape(&out_shape, &indices)?;
        Ok(tvec!(out.into_tvalue(), indices.into_tvalue()))
    }
}

impl TypedOp for TopK {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let Some(input) = inputs.first() else { bail!("TopK expects an input") };
        ensure!(input.rank() >= 1, "TopK of a scalar");
        let mut shape = input.shape.to_tvec();
        if let Some(last) = shape.last_mut() {
            *last = self.k.to_dim();
        }
        Ok(tvec!(input.datum_type.fact(shape.clone()), DatumType::I32.fact(shape)))
    }

    as_op!();
}

/// `TOPK_V2`: inputs (x, k); outputs (values, indices).
pub(crate) fn topk_v2(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(2..=2, 2)?;
    let x = ctx.input(0)?;
    let shape = ctx.shape(x)?;
    ensure!(ctx.datum_type(x)? != DatumType::Bool, "TOPK_V2 needs numbers");
    let k = ctx.const_ints(1)?;
    let &[k] = k.as_slice() else { bail!("k must be a single value") };
    let Some(&n) = shape.last() else { bail!("TOPK_V2 of a scalar") };
    let k = usize::try_from(k).ok().filter(|&k| k <= n).ok_or_else(|| format_err!("k = {k} is not in 0..={n}"))?;
    volume(&shape)?;
    ctx.preserves_values();
    ctx.wire(TopK { k }, &[x])
}
