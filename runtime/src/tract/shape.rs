//! Operators that move values around: `RESHAPE`, `SQUEEZE`, `EXPAND_DIMS`, `TRANSPOSE`,
//! `CONCATENATION`, `PACK`, `UNPACK`, `SPLIT`, `SPLIT_V`, `GATHER`, `SLICE`, `STRIDED_SLICE`,
//! `PAD`, `PADV2`, `MIRROR_PAD`, `SPACE_TO_BATCH_ND`, `BATCH_TO_SPACE_ND`, `DEPTH_TO_SPACE`,
//! `SPACE_TO_DEPTH`, `TILE`, `SHAPE`, `BROADCAST_TO`, `BROADCAST_ARGS`, `ZEROS_LIKE`, `FILL`
//! and `CAST`.
//!
//! Parameters that shape the output (shapes, axes, paddings, block sizes) must be constants;
//! tract folds small computed shapes (`SHAPE` → `STRIDED_SLICE` → `PACK`) into constants as the
//! graph is wired, so those work too.

use tract_core::internal::*;
use tract_core::ops::array::{MultiBroadcastTo, Pad, PadMode, Slice, Tile, TypedConcat};
use tract_core::ops::downsample::Downsample;

use super::activation::fused;
use super::import::{OpCtx, unsupported, volume};
use super::math::broadcast_shape;
use super::nn::reshape;

/// Normalizes a possibly negative `axis` of a rank-`rank` tensor (`rank + 1` allowed
/// positions when `inclusive`).
pub(crate) fn axis(axis: i64, rank: usize, inclusive: bool) -> TractResult<usize> {
    let n = i64::try_from(rank).unwrap_or(i64::MAX) + i64::from(inclusive);
    let a = if axis < 0 { axis + n } else { axis };
    match usize::try_from(a) {
        Ok(a) if (a as i64) < n => Ok(a),
        _ => bail!("axis {axis} is out of range for rank {rank}"),
    }
}

fn to_usize(values: &[i64], what: &str) -> TractResult<Vec<usize>> {
    values
        .iter()
        .map(|&v| usize::try_from(v).map_err(|_| format_err!("{what} contains the negative value {v}")))
        .collect()
}

/// Permutes the axes of `x`: output axis `i` is input axis `perm[i]`.
pub(crate) fn transpose_axes(ctx: &mut OpCtx<'_, '_>, x: OutletId, perm: &[usize]) -> TractResult<OutletId> {
    let mut current: Vec<usize> = (0..perm.len()).collect();
    let mut sorted = perm.to_vec();
    sorted.sort_unstable();
    ensure!(sorted == current, "{perm:?} is not a permutation of the axes");
    let mut x = x;
    for (i, &want) in perm.iter().enumerate() {
        let j = current.iter().position(|&a| a == want).unwrap_or(i);
        if j != i {
            x = ctx.wire1(AxisOp::Move(j, i), &[x])?;
            let moved = current.remove(j);
            current.insert(i, moved);
        }
    }
    Ok(x)
}

/// `RESHAPE`: the new shape comes from input 1, else `ReshapeOptions.new_shape` (slot 0), else
/// the output tensor's shape; one dimension may be -1.
pub(crate) fn reshape_op(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(1..=2, 1)?;
    let x = ctx.input(0)?;
    let from = ctx.shape(x)?;
    let mut spec: Option<Vec<i64>> = None;
    if ctx.has_input(1) {
        let shape_input = ctx.input(1)?;
        if ctx.konst(shape_input)?.is_some() {
            spec = Some(ctx.const_ints(1)?);
        }
    }
    if spec.is_none() {
        spec = ctx.opt_ints(0)?.map(|v| v.into_iter().map(i64::from).collect());
    }
    if spec.is_none() {
        spec = ctx.output_meta(0)?.shape.as_ref().map(|s| s.iter().map(|&d| d as i64).collect());
    }
    let Some(spec) = spec else {
        unsupported!("RESHAPE to a computed shape");
    };
    let total = volume(&from)?;
    let known: usize = spec
        .iter()
        .filter(|&&d| d >= 0)
        .map(|&d| d as usize)
        .try_fold(1usize, |a, d| a.checked_mul(d))
        .unwrap_or(usize::MAX);
    let unknown = spec.iter().filter(|&&d| d < 0).count();
    let to: Vec<usize> = match unknown {
        0 => spec.iter().map(|&d| d as usize).collect(),
        1 if spec.iter().all(|&d| d >= -1) && known > 0 && total % known == 0 => {
            spec.iter().map(|&d| if d < 0 { total / known } else { d as usize }).collect()
        }
        _ => bail!("cannot reshape {from:?} to {spec:?}"),
    };
    ensure!(volume(&to)? == total, "cannot reshape {from:?} ({total} elements) to {to:?}");
    ctx.preserves_values();
    Ok(tvec!(reshape(ctx, x, &from, &to)?))
}

/// `SQUEEZE`: removes the axes of size 1 listed in `squeeze_dims` (slot 0), or all of them.
pub(crate) fn squeeze(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(1..=1, 1)?;
    let x = ctx.input(0)?;
    let shape = ctx.shape(x)?;
    let dims = ctx.opt_ints(0)?.unwrap_or_default();
    let mut axes: Vec<usize> = if dims.is_empty() {
        (0..shape.len()).filter(|&a| shape[a] == 1).collect()
    } else {
        dims.iter().map(|&d| axis(i64::from(d), shape.len(), false)).collect::<TractResult<_>>()?
    };
    axes.sort_unstable();
    axes.dedup();
    let to: Vec<usize> = shape.iter().enumerate().filter(|(a, _)| !axes.contains(a)).map(|(_, &d)| d).collect();
    ensure!(axes.iter().all(|&a| shape[a] == 1), "cannot squeeze axes {axes:?} of shape {shape:?}");
    ctx.preserves_values();
    Ok(tvec!(reshape(ctx, x, &shape, &to)?))
}

/// `EXPAND_DIMS`: inserts an axis of size 1 at the position given by input 1.
pub(crate) fn expand_dims(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(2..=2, 1)?;
    let x = ctx.input(0)?;
    let rank = ctx.shape(x)?.len();
    let a = ctx.const_ints(1)?;
    let &[a] = a.as_slice() else {
        bail!("the axis input has {} values, not 1", a.len());
    };
    let a = axis(a, rank, true)?;
    ctx.preserves_values();
    Ok(tvec!(ctx.wire1(AxisOp::Add(a), &[x])?))
}

/// `TRANSPOSE`: permutes the axes by the constant permutation of input 1.
pub(crate) fn transpose(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(2..=2, 1)?;
    let x = ctx.input(0)?;
    let rank = ctx.shape(x)?.len();
    let perm = ctx.const_ints(1)?;
    ensure!(perm.len() == rank, "a permutation of {} axes for a tensor of rank {rank}", perm.len());
    let perm = perm.iter().map(|&p| axis(p, rank, false)).collect::<TractResult<Vec<_>>>()?;
    ctx.preserves_values();
    Ok(tvec!(transpose_axes(ctx, x, &perm)?))
}

/// Concatenates `inputs` along `axis`, after checking their shapes and types agree.
fn concat(ctx: &mut OpCtx<'_, '_>, inputs: &[OutletId], axis: usize) -> TractResult<OutletId> {
    let shapes = inputs.iter().map(|o| ctx.shape(*o)).collect::<TractResult<Vec<_>>>()?;
    let types = inputs.iter().map(|o| ctx.datum_type(*o)).collect::<TractResult<Vec<_>>>()?;
    let (Some(first), Some(dt)) = (shapes.first(), types.first()) else {
        bail!("nothing to concatenate");
    };
    ensure!(axis < first.len(), "axis {axis} is out of range for rank {}", first.len());
    for (shape, t) in shapes.iter().zip(&types) {
        if t != dt {
            unsupported!("concatenating tensors of different types ({dt:?} and {t:?})");
        }
        ensure!(
            shape.len() == first.len() && shape.iter().zip(first).enumerate().all(|(a, (x, y))| a == axis || x == y),
            "shapes {shapes:?} do not concatenate along axis {axis}"
        );
    }
    if inputs.len() == 1 {
        return Ok(inputs[0]);
    }
    ctx.wire1(TypedConcat::new(axis), inputs)
}

/// Whether every input's quantization equals output 0's (values need no requantization).
fn same_quantization(ctx: &OpCtx<'_, '_>) -> TractResult<bool> {
    let out = ctx.output_meta(0)?.quant.clone();
    for k in 0..ctx.input_count() {
        if ctx.has_input(k) && ctx.input_meta(k)?.quant != out {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `CONCATENATION`: options axis (0), fused activation (1).
pub(crate) fn concatenation(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ensure!(ctx.input_count() >= 1 && ctx.output_count() == 1, "CONCATENATION needs inputs and one output");
    let inputs = (0..ctx.input_count()).map(|k| ctx.input(k)).collect::<TractResult<Vec<_>>>()?;
    let rank = ctx.shape(inputs[0])?.len();
    let a = axis(i64::from(ctx.opt_i32(0, 0)?), rank, false)?;
    let y = concat(ctx, &inputs, a)?;
    let act = ctx.opt_i8(1, 0)?;
    if act == 0 && same_quantization(ctx)? {
        ctx.preserves_values();
    }
    Ok(tvec!(fused(ctx, y, act)?))
}

/// `PACK`: stacks its inputs along a new axis (`PackOptions`: values_count (0), axis (1)).
pub(crate) fn pack(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ensure!(ctx.input_count() >= 1 && ctx.output_count() == 1, "PACK needs inputs and one output");
    let inputs = (0..ctx.input_count()).map(|k| ctx.input(k)).collect::<TractResult<Vec<_>>>()?;
    let rank = ctx.shape(inputs[0])?.len();
    let a = axis(i64::from(ctx.opt_i32(1, 0)?), rank, true)?;
    let mut expanded = Vec::with_capacity(inputs.len());
    for x in inputs {
        ensure!(ctx.shape(x)?.len() == rank, "PACK inputs have different ranks");
        expanded.push(ctx.wire1(AxisOp::Add(a), &[x])?);
    }
    if same_quantization(ctx)? {
        ctx.preserves_values();
    }
    Ok(tvec!(concat(ctx, &expanded, a)?))
}

/// Slices `[start, end)` of `axis`, if that is not the whole axis.
fn slice(ctx: &mut OpCtx<'_, '_>, x: OutletId, axis: usize, start: usize, end: usize) -> TractResult<OutletId> {
    let shape = ctx.shape(x)?;
    let dim = shape.get(axis).copied().unwrap_or(0);
    ensure!(start <= end && end <= dim, "slice {start}..{end} is outside axis {axis} of shape {shape:?}");
    if start == 0 && end == dim {
        return Ok(x);
    }
    ctx.wire1(Slice::new(axis, start, end), &[x])
}

/// `UNPACK`: splits along an axis into that many outputs without it (`UnpackOptions`: num (0),
/// axis (1)).
pub(crate) fn unpack(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ensure!(ctx.input_count() == 1, "UNPACK has one input");
    let x = ctx.input(0)?;
    let shape = ctx.shape(x)?;
    let a = axis(i64::from(ctx.opt_i32(1, 0)?), shape.len(), false)?;
    ensure!(shape[a] == ctx.output_count(), "UNPACK of {} slices into {} outputs", shape[a], ctx.output_count());
    let mut outputs = tvec!();
    for i in 0..shape[a] {
        let s = slice(ctx, x, a, i, i + 1)?;
        outputs.push(ctx.wire1(AxisOp::Rm(a), &[s])?);
    }
    ctx.preserves_values();
    Ok(outputs)
}

fn split_into(ctx: &mut OpCtx<'_, '_>, x: OutletId, a: usize, sizes: &[usize]) -> TractResult<TVec<OutletId>> {
    let mut outputs = tvec!();
    let mut start = 0usize;
    for &size in sizes {
        let end = start.checked_add(size).ok_or_else(|| format_err!("split sizes overflow"))?;
        outputs.push(slice(ctx, x, a, start, end)?);
        start = end;
    }
    ctx.preserves_values();
    Ok(outputs)
}

/// `SPLIT`: inputs (axis, x); `num_splits` (slot 0) equal parts.
pub(crate) fn split(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ensure!(ctx.input_count() == 2, "SPLIT has two inputs");
    let x = ctx.input(1)?;
    let shape = ctx.shape(x)?;
    let a = ctx.const_ints(0)?;
    let &[a] = a.as_slice() else { bail!("the axis input must hold one value") };
    let a = axis(a, shape.len(), false)?;
    let n = ctx.output_count();
    ensure!(n > 0 && shape[a] % n == 0, "axis {a} of shape {shape:?} does not split into {n} parts");
    let sizes = vec![shape[a] / n; n];
    split_into(ctx, x, a, &sizes)
}

/// `SPLIT_V`: inputs (x, size_splits, axis); one size may be -1.
pub(crate) fn split_v(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ensure!(ctx.input_count() == 3, "SPLIT_V has three inputs");
    let x = ctx.input(0)?;
    let shape = ctx.shape(x)?;
    let a = ctx.const_ints(2)?;
    let &[a] = a.as_slice() else { bail!("the axis input must hold one value") };
    let a = axis(a, shape.len(), false)?;
    let sizes = ctx.const_ints(1)?;
    ensure!(sizes.len() == ctx.output_count(), "{} sizes for {} outputs", sizes.len(), ctx.output_count());
    let known: i64 = sizes.iter().filter(|&&s| s >= 0).sum();
    let dim = shape[a] as i64;
    let sizes: Vec<i64> = sizes.iter().map(|&s| if s == -1 { dim - known } else { s }).collect();
    ensure!(sizes.iter().sum::<i64>() == dim, "sizes {sizes:?} do not add up to {dim}");
    let sizes = to_usize(&sizes, "the split sizes")?;
    split_into(ctx, x, a, &sizes)
}

/// `SLICE`: constant begin and size (-1 for "to the end") per axis.
pub(crate) fn slice_op(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(3..=3, 1)?;
    let mut x = ctx.input(0)?;
    let shape = ctx.shape(x)?;
    let begin = ctx.const_ints(1)?;
    let size = ctx.const_ints(2)?;
    ensure!(
        begin.len() == shape.len() && size.len() == shape.len(),
        "SLICE parameters do not match rank {}",
        shape.len()
    );
    for a in 0..shape.len() {
        let b = usize::try_from(begin[a]).map_err(|_| format_err!("negative begin {}", begin[a]))?;
        let end = if size[a] == -1 {
            shape[a]
        } else {
            let s = usize::try_from(size[a]).map_err(|_| format_err!("negative size {}", size[a]))?;
            b.checked_add(s).ok_or_else(|| format_err!("slice end overflows"))?
        };
        x = slice(ctx, x, a, b, end)?;
    }
    ctx.preserves_values();
    Ok(tvec!(x))
}

/// `STRIDED_SLICE`: inputs (x, begin, end, strides); options begin_mask (0), end_mask (1),
/// ellipsis_mask (2), new_axis_mask (3), shrink_axis_mask (4), offset (5). Positive strides
/// only.
pub(crate) fn strided_slice(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(3..=4, 1)?;
    let (begin_mask, end_mask) = (ctx.opt_i32(0, 0)?, ctx.opt_i32(1, 0)?);
    let (ellipsis, new_axis, shrink) = (ctx.opt_i32(2, 0)?, ctx.opt_i32(3, 0)?, ctx.opt_i32(4, 0)?);
    if ellipsis != 0 || new_axis != 0 || ctx.opt_bool(5, false)? {
        unsupported!("STRIDED_SLICE with an ellipsis, new axes or offsets");
    }
    let mut x = ctx.input(0)?;
    let shape = ctx.shape(x)?;
    let rank = shape.len();
    let begin = ctx.const_ints(1)?;
    let end = ctx.const_ints(2)?;
    let strides = if ctx.has_input(3) { ctx.const_ints(3)? } else { vec![1; begin.len()] };
    ensure!(begin.len() == end.len() && begin.len() == strides.len(), "STRIDED_SLICE parameters differ in length");
    ensure!(begin.len() <= rank && rank <= 31, "STRIDED_SLICE parameters do not fit rank {rank}");
    let bit = |mask: i32, a: usize| mask >> a & 1 == 1;
    let mut removed = Vec::new();
    for a in 0..begin.len() {
        let dim = shape[a] as i64;
        let norm = |v: i64| if v < 0 { v + dim } else { v };
        let stride = strides[a];
        if bit(shrink, a) {
            let b = norm(begin[a]);
            ensure!((0..dim).contains(&b), "index {} is out of range for axis {a} of shape {shape:?}", begin[a]);
            x = slice(ctx, x, a, b as usize, b as usize + 1)?;
            removed.push(a);
            continue;
        }
        if stride <= 0 {
            unsupported!("STRIDED_SLICE with stride {stride}");
        }
        let b = if bit(begin_mask, a) { 0 } else { norm(begin[a]).clamp(0, dim) };
        let e = if bit(end_mask, a) { dim } else { norm(end[a]).clamp(0, dim) };
        let e = e.max(b);
        x = slice(ctx, x, a, b as usize, e as usize)?;
        if stride > 1 && e > b {
            let stride = isize::try_from(stride).map_err(|_| format_err!("stride {stride} is too large"))?;
            x = ctx.wire1(Downsample { axis: a, stride, modulo: 0 }, &[x])?;
        }
    }
    for &a in removed.iter().rev() {
        x = ctx.wire1(AxisOp::Rm(a), &[x])?;
    }
    ctx.preserves_values();
    Ok(tvec!(x))
}

/// Constant paddings `[rank, 2]` (input `k`).
fn paddings(ctx: &mut OpCtx<'_, '_>, k: usize, rank: usize) -> TractResult<Vec<(usize, usize)>> {
    let p = ctx.const_ints(k)?;
    ensure!(p.len() == rank * 2, "{} padding values for rank {rank}", p.len());
    let p = to_usize(&p, "the paddings")?;
    Ok(p.chunks_exact(2).map(|c| (c[0], c[1])).collect())
}

/// `PAD` (zeros; the zero point for quantized tensors) and `PADV2` (a constant value, input 2).
pub(crate) fn pad(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(2..=3, 1)?;
    let x = ctx.input(0)?;
    let shape = ctx.shape(x)?;
    let pads = paddings(ctx, 1, shape.len())?;
    let dt = ctx.datum_type(x)?;
    let value = if ctx.has_input(2) {
        let v = ctx.input(2)?;
        let Some(v) = ctx.konst(v)? else { unsupported!("a computed padding value") };
        ensure!(v.len() == 1, "the padding value must be a scalar");
        v.cast_to_dt(dt)?.into_owned().into_shape(&[])?
    } else {
        ctx.preserves_values();
        Tensor::zero_scalar_dt(dt)?
    };
    let mut out = shape.clone();
    for (d, (b, a)) in out.iter_mut().zip(&pads) {
        *d = d.checked_add(*b).and_then(|d| d.checked_add(*a)).ok_or_else(|| format_err!("padding overflows"))?;
    }
    volume(&out)?;
    let op = Pad { pads, mode: PadMode::Constant(value.into_arc_tensor()) };
    Ok(tvec!(ctx.wire1(op, &[x])?))
}

/// `MIRROR_PAD`: mode (slot 0) REFLECT (0, without the edge) or SYMMETRIC (1, with it).
pub(crate) fn mirror_pad(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(2..=2, 1)?;
    let x = ctx.input(0)?;
    let shape = ctx.shape(x)?;
    let pads = paddings(ctx, 1, shape.len())?;
    let symmetric = match ctx.opt_i8(0, 0)? {
        0 => false,
        1 => true,
        other => bail!("unknown mirror pad mode {other}"),
    };
    for (d, (b, a)) in shape.iter().zip(&pads) {
        let limit = if symmetric { *d } else { d.saturating_sub(1) };
        ensure!(*b <= limit && *a <= limit, "padding ({b}, {a}) is too large for a dimension of {d}");
    }
    ctx.preserves_values();
    Ok(tvec!(ctx.wire1(MirrorPad { pads, symmetric }, &[x])?))
}

/// Reflection padding, computed by index mapping for any element type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct MirrorPad {
    pub pads: Vec<(usize, usize)>,
    pub symmetric: bool,
}

impl MirrorPad {
    fn source(&self, o: usize, before: usize, dim: usize) -> usize {
        let i = o as i64 - before as i64;
        let d = dim as i64;
        let s = if i < 0 {
            if self.symmetric { -i - 1 } else { -i }
        } else if i >= d {
            if self.symmetric { 2 * d - 1 - i } else { 2 * d - 2 - i }
        } else {
            i
        };
        s.clamp(0, (d - 1).max(0)) as usize
    }
}

impl Op for MirrorPad {
    fn name(&self) -> StaticName {
        "MirrorPad".into()
    }

    op_as_typed_op!();
}

/// Copies elements of `input` into a new tensor of `out_shape`, element `o` (in row-major
/// order) taking source coordinate `map[axis][coordinate]` on every axis.
pub(crate) fn gather_by_axis_maps(input: &Tensor, out_shape: &[usize], maps: &[Vec<usize>]) -> TractResult<Tensor> {
    let dt = input.datum_type();
    let size = dt.size_of();
    let in_shape = input.shape();
    ensure!(maps.len() == in_shape.len() && out_shape.len() == in_shape.len(), "axis maps do not match the rank");
    let mut out = Tensor::zero_dt(dt, out_shape)?;
    let src = input.try_as_plain_ram()?.as_bytes();
    let rank = in_shape.len();
    let mut strides = vec![1usize; rank];
    for a in (0..rank.saturating_sub(1)).rev() {
        strides[a] = strides[a + 1] * in_shape[a + 1];
    }
    let n = volume(out_shape)?;
    {
        let mut plain = out.try_as_plain_ram_mut()?;
        let dst = plain.as_bytes_mut();
        let mut coords = vec![0usize; rank];
        for o in 0..n {
            let mut offset = 0usize;
            for a in 0..rank {
                offset += maps[a].get(coords[a]).copied().unwrap_or(0) * strides[a];
            }
            let (s, d) = (offset * size, o * size);
            if let (Some(s), Some(d)) = (src.get(s..s + size), dst.get_mut(d..d + size)) {
                d.copy_from_slice(s);
            }
            for a in (0..rank).rev() {
                coords[a] += 1;
                if coords[a] < out_shape[a] {
                    break;
                }
                coords[a] = 0;
            }
        }
    }
    Ok(out)
}

impl EvalOp for MirrorPad {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let Some(input) = inputs.first() else { bail!("MirrorPad expects one input") };
        let shape = input.shape();
        ensure!(shape.len() == self.pads.len(), "MirrorPad rank mismatch");
        let out_shape: Vec<usize> = shape.iter().zip(&self.pads).map(|(d, (b, a))| d + b + a).collect();
        let maps: Vec<Vec<usize>> = shape
            .iter()
            .zip(&self.pads)
            .zip(&out_shape)
            .map(|((&d, &(b, _)), &o)| (0..o).map(|i| self.source(i, b, d)).collect())
            .collect();
        Ok(tvec!(gather_by_axis_maps(input, &out_shape, &maps)?.into_tvalue()))
    }
}

impl TypedOp for MirrorPad {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let Some(input) = inputs.first() else { bail!("MirrorPad expects one input") };
        ensure!(input.rank() == self.pads.len(), "MirrorPad rank mismatch");
        let shape: TVec<TDim> =
            input.shape.iter().zip(&self.pads).map(|(d, (b, a))| d.clone() + b.to_dim() + a.to_dim()).collect();
        Ok(tvec!(input.datum_type.fact(shape)))
    }

    as_op!();
}

/// Block shape and spatial axes of `SPACE_TO_BATCH_ND` / `BATCH_TO_SPACE_ND`.
fn blocks(ctx: &mut OpCtx<'_, '_>, rank: usize) -> TractResult<Vec<usize>> {
    let block = to_usize(&ctx.const_ints(1)?, "the block shape")?;
    ensure!(!block.is_empty() && block.len() < rank, "a block shape of {} axes for rank {rank}", block.len());
    ensure!(block.iter().all(|&b| b >= 1), "block sizes must be positive");
    Ok(block)
}

/// `SPACE_TO_BATCH_ND`: pads the spatial axes, then moves each block's offsets into the batch.
pub(crate) fn space_to_batch_nd(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(3..=3, 1)?;
    let x = ctx.input(0)?;
    let shape = ctx.shape(x)?;
    let block = blocks(ctx, shape.len())?;
    let m = block.len();
    let pads = {
        let p = to_usize(&ctx.const_ints(2)?, "the paddings")?;
        ensure!(p.len() == 2 * m, "{} padding values for {m} block axes", p.len());
        p
    };
    let mut full_pads = vec![(0usize, 0usize); shape.len()];
    let mut padded = shape.clone();
    for i in 0..m {
        full_pads[i + 1] = (pads[2 * i], pads[2 * i + 1]);
        padded[i + 1] = shape[i + 1] + pads[2 * i] + pads[2 * i + 1];
        ensure!(
            padded[i + 1] % block[i] == 0,
            "padded axis {} ({}) is not a multiple of {}",
            i + 1,
            padded[i + 1],
            block[i]
        );
    }
    let mut y = x;
    if full_pads.iter().any(|&(b, a)| b > 0 || a > 0) {
        let zero = Tensor::zero_scalar_dt(ctx.datum_type(x)?)?;
        y = ctx.wire1(Pad { pads: full_pads, mode: PadMode::Constant(zero.into_arc_tensor()) }, &[y])?;
    }
    // [B, s1/b1, b1, ..., sm/bm, bm, rest...]
    let mut split = vec![padded[0]];
    for i in 0..m {
        split.push(padded[i + 1] / block[i]);
        split.push(block[i]);
    }
    split.extend_from_slice(&padded[m + 1..]);
    y = reshape(ctx, y, &padded, &split)?;
    // -> [b1, ..., bm, B, s1/b1, ..., sm/bm, rest...]
    let mut perm: Vec<usize> = (0..m).map(|i| 2 + 2 * i).collect();
    perm.push(0);
    perm.extend((0..m).map(|i| 1 + 2 * i));
    perm.extend(2 * m + 1..split.len());
    y = transpose_axes(ctx, y, &perm)?;
    let permuted: Vec<usize> = perm.iter().map(|&p| split[p]).collect();
    let mut out = vec![padded[0] * block.iter().product::<usize>()];
    out.extend((0..m).map(|i| padded[i + 1] / block[i]));
    out.extend_from_slice(&padded[m + 1..]);
    ctx.preserves_values();
    Ok(tvec!(reshape(ctx, y, &permuted, &out)?))
}

/// `BATCH_TO_SPACE_ND`: the inverse of `SPACE_TO_BATCH_ND`, then crops.
pub(crate) fn batch_to_space_nd(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(3..=3, 1)?;
    let x = ctx.input(0)?;
    let shape = ctx.shape(x)?;
    let block = blocks(ctx, shape.len())?;
    let m = block.len();
    let crops = to_usize(&ctx.const_ints(2)?, "the crops")?;
    ensure!(crops.len() == 2 * m, "{} crop values for {m} block axes", crops.len());
    let prod: usize = block.iter().product();
    ensure!(shape[0] % prod == 0, "batch {} is not a multiple of the block size {prod}", shape[0]);
    let batch = shape[0] / prod;
    // [b1, ..., bm, B, s1, ..., sm, rest...]
    let mut split = block.clone();
    split.push(batch);
    split.extend_from_slice(&shape[1..]);
    let mut y = reshape(ctx, x, &shape, &split)?;
    // -> [B, s1, b1, ..., sm, bm, rest...]
    let mut perm = vec![m];
    for i in 0..m {
        perm.push(m + 1 + i);
        perm.push(i);
    }
    perm.extend(2 * m + 1..split.len());
    y = transpose_axes(ctx, y, &perm)?;
    let permuted: Vec<usize> = perm.iter().map(|&p| split[p]).collect();
    let mut out = vec![batch];
    out.extend((0..m).map(|i| shape[i + 1] * block[i]));
    out.extend_from_slice(&shape[m + 1..]);
    y = reshape(ctx, y, &permuted, &out)?;
    for i in 0..m {
        let (b, a) = (crops[2 * i], crops[2 * i + 1]);
        let dim = out[i + 1];
        ensure!(b.saturating_add(a) <= dim, "crops ({b}, {a}) are larger than axis {} ({dim})", i + 1);
        y = slice(ctx, y, i + 1, b, dim - a)?;
    }
    ctx.preserves_values();
    Ok(tvec!(y))
}

fn block_size(ctx: &OpCtx<'_, '_>) -> TractResult<usize> {
    match usize::try_from(ctx.opt_i32(0, 0)?) {
        Ok(b) if b >= 1 => Ok(b),
        _ => bail!("the block size must be positive"),
    }
}

/// `DEPTH_TO_SPACE` (NHWC, DCR order): `[N, H, W, b·b·C] -> [N, H·b, W·b, C]`.
pub(crate) fn depth_to_space(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(1..=1, 1)?;
    let x = ctx.input(0)?;
    let [n, h, w, c] = super::conv::nhwc(ctx, x)?;
    let b = block_size(ctx)?;
    ensure!(c % (b * b) == 0, "{c} channels do not split into blocks of {b}×{b}");
    let c2 = c / (b * b);
    let y = reshape(ctx, x, &[n, h, w, c], &[n, h, w, b, b, c2])?;
    let y = transpose_axes(ctx, y, &[0, 1, 3, 2, 4, 5])?;
    ctx.preserves_values();
    Ok(tvec!(reshape(ctx, y, &[n, h, b, w, b, c2], &[n, h * b, w * b, c2])?))
}

/// `SPACE_TO_DEPTH` (NHWC): `[N, H·b, W·b, C] -> [N, H, W, b·b·C]`.
pub(crate) fn space_to_depth(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(1..=1, 1)?;
    let x = ctx.input(0)?;
    let [n, h, w, c] = super::conv::nhwc(ctx, x)?;
    let b = block_size(ctx)?;
    ensure!(h % b == 0 && w % b == 0, "{h}×{w} does not split into blocks of {b}×{b}");
    let y = reshape(ctx, x, &[n, h, w, c], &[n, h / b, b, w / b, b, c])?;
    let y = transpose_axes(ctx, y, &[0, 1, 3, 2, 4, 5])?;
    ctx.preserves_values();
    Ok(tvec!(reshape(ctx, y, &[n, h / b, w / b, b, b, c], &[n, h / b, w / b, b * b * c])?))
}

/// `TILE`: repeats the input by constant multiples per axis.
pub(crate) fn tile(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(2..=2, 1)?;
    let x = ctx.input(0)?;
    let shape = ctx.shape(x)?;
    let m = to_usize(&ctx.const_ints(1)?, "the multiples")?;
    ensure!(m.len() == shape.len(), "{} multiples for rank {}", m.len(), shape.len());
    let out: Vec<usize> = shape
        .iter()
        .zip(&m)
        .map(|(d, k)| d.checked_mul(*k))
        .collect::<Option<_>>()
        .ok_or_else(|| format_err!("TILE overflows"))?;
    volume(&out)?;
    ctx.preserves_values();
    Ok(tvec!(ctx.wire1(Tile::new(m.iter().map(|k| k.to_dim()).collect()), &[x])?))
}

/// Adds a constant of the output tensor's type holding `values`.
fn int_const(ctx: &mut OpCtx<'_, '_>, values: &[i64], shape: &[usize]) -> TractResult<OutletId> {
    let dt = ctx.output_meta(0)?.dt()?;
    let t = Tensor::from_shape(shape, values)?;
    let t = t.cast_to_dt(dt)?.into_owned();
    ctx.add_const(t)
}

/// `SHAPE`: the input's shape, as a constant.
pub(crate) fn shape_op(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(1..=1, 1)?;
    let x = ctx.input(0)?;
    let shape: Vec<i64> = ctx.shape(x)?.iter().map(|&d| d as i64).collect();
    Ok(tvec!(int_const(ctx, &shape, &[shape.len()])?))
}

/// `BROADCAST_ARGS`: the broadcast of two constant shapes.
pub(crate) fn broadcast_args(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(2..=2, 1)?;
    let a = to_usize(&ctx.const_ints(0)?, "the first shape")?;
    let b = to_usize(&ctx.const_ints(1)?, "the second shape")?;
    let out: Vec<i64> = broadcast_shape(&[a, b])?.iter().map(|&d| d as i64).collect();
    Ok(tvec!(int_const(ctx, &out, &[out.len()])?))
}

/// Broadcasts `x` to `shape` (checking that it can be).
fn broadcast_to_shape(ctx: &mut OpCtx<'_, '_>, x: OutletId, shape: &[usize]) -> TractResult<OutletId> {
    let from = ctx.shape(x)?;
    let out = broadcast_shape(&[from.clone(), shape.to_vec()])?;
    ensure!(out == shape, "cannot broadcast {from:?} to {shape:?}");
    volume(shape)?;
    let mut y = x;
    for _ in from.len()..shape.len() {
        y = ctx.wire1(AxisOp::Add(0), &[y])?;
    }
    if from == shape {
        return Ok(y);
    }
    let fact = ShapeFact::from_dims(shape.iter().map(|d| d.to_dim()));
    ctx.wire1(MultiBroadcastTo { shape: fact }, &[y])
}

/// `BROADCAST_TO`: broadcasts the input to a constant shape.
pub(crate) fn broadcast_to(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(2..=2, 1)?;
    let x = ctx.input(0)?;
    let shape = to_usize(&ctx.const_ints(1)?, "the shape")?;
    ctx.preserves_values();
    Ok(tvec!(broadcast_to_shape(ctx, x, &shape)?))
}

/// `ZEROS_LIKE`: zeros of the input's shape and type.
pub(crate) fn zeros_like(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(1..=1, 1)?;
    let x = ctx.input(0)?;
    let shape = ctx.shape(x)?;
    let zero = ctx.add_const(Tensor::zero_scalar_dt(ctx.datum_type(x)?)?)?;
    Ok(tvec!(broadcast_to_shape(ctx, zero, &shape)?))
}

/// `FILL`: a constant shape filled with a scalar value.
pub(crate) fn fill(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(2..=2, 1)?;
    let shape = to_usize(&ctx.const_ints(0)?, "the shape")?;
    let v = ctx.input(1)?;
    let vs = ctx.shape(v)?;
    ensure!(volume(&vs)? == 1, "FILL needs a scalar value");
    let v = reshape(ctx, v, &vs, &[])?;
    Ok(tvec!(broadcast_to_shape(ctx, v, &shape)?))
}

/// `CAST`: converts between element types (the importer's output step inserts the cast).
/// Floats convert to integers by truncation, as in TFLite.
pub(crate) fn cast(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(1..=1, 1)?;
    if ctx.input_quant(0)?.is_some() || ctx.output_meta(0)?.quant.is_some() {
        unsupported!("CAST of quantized tensors");
    }
    let x = ctx.input(0)?;
    Ok(tvec!(x))
}

/// TFLite's `GATHER` with `axis` and `batch_dims`: indices are checked at run time (an index
/// out of range is an error, as in TFLite).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Gather {
    pub axis: usize,
    pub batch_dims: usize,
}

impl Gather {
    fn output_shape<D: Clone>(&self, params: &[D], indices: &[D]) -> TractResult<TVec<D>> {
        ensure!(self.axis < params.len() && self.batch_dims <= self.axis && self.batch_dims <= indices.len());
        let mut shape: TVec<D> = params[..self.axis].iter().cloned().collect();
        shape.extend(indices[self.batch_dims..].iter().cloned());
        shape.extend(params[self.axis + 1..].iter().cloned());
        Ok(shape)
    }
}

impl Op for Gather {
    fn name(&self) -> StaticName {
        "TfliteGather".into()
    }

    op_as_typed_op!();
}

impl EvalOp for Gather {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let (Some(params), Some(indices)) = (inputs.first(), inputs.get(1)) else {
            bail!("Gather expects two inputs");
        };
        let pshape = params.shape();
        let ishape = indices.shape();
        let out_shape = self.output_shape(pshape, ishape)?;
        let idx = indices.cast_to::<i64>()?;
        let idx = idx.try_as_plain_ram()?.as_slice::<i64>()?.to_vec();
        let dim = pshape[self.axis];
        let batch: usize = pshape[..self.batch_dims].iter().product();
        let outer: usize = pshape[self.batch_dims..self.axis].iter().product();
        let inner: usize = pshape[self.axis + 1..].iter().product();
        let per_batch: usize = ishape[self.batch_dims..].iter().product();
        let size = params.datum_type().size_of();
        let mut out = Tensor::zero_dt(params.datum_type(), &out_shape)?;
        let src = params.try_as_plain_ram()?.as_bytes();
        {
            let mut plain = out.try_as_plain_ram_mut()?;
            let dst = plain.as_bytes_mut();
            let chunk = inner * size;
            let mut o = 0usize;
            for b in 0..batch {
                for outer_i in 0..outer {
                    for k in 0..per_batch {
                        let i = idx.get(b * per_batch + k).copied().unwrap_or(-1);
                        let Some(i) = usize::try_from(i).ok().filter(|&i| i < dim) else {
                            bail!("GATHER index {i} is out of range for a dimension of {dim}");
                        };
                        let s = ((b * outer + outer_i) * dim + i) * chunk;
                        let (Some(s), Some(d)) = (src.get(s..s + chunk), dst.get_mut(o..o + chunk)) else {
                            bail!("GATHER read outside its tensors");
                        };
                        d.copy_from_slice(s);
                        o += chunk;
                    }
                }
            }
        }
        Ok(tvec!(out.into_tvalue()))
    }
}

impl TypedOp for Gather {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let (Some(params), Some(indices)) = (inputs.first(), inputs.get(1)) else {
            bail!("Gather expects two inputs");
        };
        ensure!(indices.datum_type.is_integer(), "GATHER indices must be integers");
        let shape = self.output_shape(&params.shape.to_tvec(), &indices.shape.to_tvec())?;
        Ok(tvec!(params.datum_type.fact(shape)))
    }

    as_op!();
}

/// `GATHER`: options axis (0), batch_dims (1).
pub(crate) fn gather(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(2..=2, 1)?;
    let params = ctx.input(0)?;
    let indices = ctx.input(1)?;
    let (ps, is) = (ctx.shape(params)?, ctx.shape(indices)?);
    ensure!(ctx.datum_type(indices)?.is_integer(), "GATHER indices must be integers");
    let a = axis(i64::from(ctx.opt_i32(0, 0)?), ps.len(), false)?;
    let bd = ctx.opt_i32(1, 0)?;
    let bd =
        usize::try_from(if bd < 0 { bd + is.len() as i32 } else { bd }).map_err(|_| format_err!("bad batch_dims"))?;
    ensure!(bd <= a && bd <= is.len(), "batch_dims {bd} is larger than the axis or the indices' rank");
    ensure!(ps[..bd] == is[..bd], "batch dimensions of {ps:?} and {is:?} differ");
    ctx.preserves_values();
    Ok(tvec!(ctx.wire1(Gather { axis: a, batch_dims: bd }, &[params, indices])?))
}
