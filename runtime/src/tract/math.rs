//! Element-wise operators with numpy-style broadcasting: `ADD`, `SUB`, `MUL`, `DIV`, `MAXIMUM`,
//! `MINIMUM`, `SQUARED_DIFFERENCE`, `POW`, `FLOOR_DIV`, comparisons, logical operators,
//! `SELECT`/`SELECT_V2`, and unary math (`RSQRT`, `EXP`, `LOG`, `SQRT`, `ABS`, ...).
//!
//! Quantized operands are real values here, so inputs with different scales need no special
//! treatment: the output's quantization point does the requantization TFLite does.

use tract_core::internal::*;
use tract_core::ops::binary::{BinMiniOp, TypedBinOp};
use tract_core::ops::element_wise::ElementWiseOp;
use tract_core::ops::logic;
use tract_core::ops::math;

use super::activation::fused;
use super::import::{OpCtx, unsupported};
use super::qint::{self, BinaryKind};

/// The numpy broadcast of `shapes`, or an error naming them.
pub(crate) fn broadcast_shape(shapes: &[Vec<usize>]) -> TractResult<Vec<usize>> {
    let rank = shapes.iter().map(Vec::len).max().unwrap_or(0);
    let mut out = vec![1usize; rank];
    for shape in shapes {
        let offset = rank - shape.len();
        for (i, &d) in shape.iter().enumerate() {
            let o = &mut out[offset + i];
            if *o == 1 {
                *o = d;
            } else if d != 1 && d != *o {
                bail!("shapes {shapes:?} cannot be broadcast together");
            }
        }
    }
    Ok(out)
}

/// Checks that `outlets` broadcast together and gives them all the same rank (leading axes of
/// size 1), as tract's binary operators require.
pub(crate) fn broadcast_all(ctx: &mut OpCtx<'_, '_>, outlets: &[OutletId]) -> TractResult<TVec<OutletId>> {
    let shapes = outlets.iter().map(|o| ctx.shape(*o)).collect::<TractResult<Vec<_>>>()?;
    let out = broadcast_shape(&shapes)?;
    let mut wires = tvec!();
    for (outlet, shape) in outlets.iter().zip(&shapes) {
        let mut wire = *outlet;
        for _ in shape.len()..out.len() {
            wire = ctx.wire1(AxisOp::Add(0), &[wire])?;
        }
        wires.push(wire);
    }
    Ok(wires)
}

/// [`broadcast_all`] for two outlets.
pub(crate) fn broadcast_pair(ctx: &mut OpCtx<'_, '_>, a: OutletId, b: OutletId) -> TractResult<(OutletId, OutletId)> {
    let wires = broadcast_all(ctx, &[a, b])?;
    match wires.as_slice() {
        [a, b] => Ok((*a, *b)),
        _ => bail!("broadcasting lost an operand"),
    }
}

/// The two inputs of a binary operator, of the same type, broadcast to the same rank.
fn binary_inputs(ctx: &mut OpCtx<'_, '_>) -> TractResult<(OutletId, OutletId, DatumType)> {
    ctx.expect_io(2..=2, 1)?;
    let a = ctx.input(0)?;
    let b = ctx.input(1)?;
    let (ta, tb) = (ctx.datum_type(a)?, ctx.datum_type(b)?);
    if ta != tb {
        unsupported!("operands of different types ({ta:?} and {tb:?})");
    }
    let (a, b) = broadcast_pair(ctx, a, b)?;
    Ok((a, b, ta))
}

/// A binary arithmetic operator with an optional fused activation at option slot 0.
fn arithmetic(ctx: &mut OpCtx<'_, '_>, op: TypedBinOp, activation: bool) -> TractResult<TVec<OutletId>> {
    let (a, b, dt) = binary_inputs(ctx)?;
    if dt == DatumType::Bool {
        unsupported!("arithmetic on booleans");
    }
    let kind = if op.0.is::<math::Add>() {
        Some(BinaryKind::Add)
    } else if op.0.is::<math::Sub>() {
        Some(BinaryKind::Sub)
    } else if op.0.is::<math::Mul>() {
        Some(BinaryKind::Mul)
    } else {
        None
    };
    if let Some(kind) = kind.filter(|_| activation) {
        let code = ctx.opt_i8(0, 0)?;
        if let Some(y) = qint::binary(ctx, kind, a, b, code)? {
            return Ok(tvec!(y));
        }
    }
    let mut y = ctx.wire1(op, &[a, b])?;
    if activation {
        let code = ctx.opt_i8(0, 0)?;
        if code != 0 && dt != DatumType::F32 {
            unsupported!("fused activations on integer tensors");
        }
        y = fused(ctx, y, code)?;
    }
    Ok(tvec!(y))
}

pub(crate) fn add(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    arithmetic(ctx, math::add(), true)
}

pub(crate) fn sub(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    arithmetic(ctx, math::sub(), true)
}

pub(crate) fn mul(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    arithmetic(ctx, math::mul(), true)
}

pub(crate) fn maximum(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    arithmetic(ctx, math::max(), false)
}

pub(crate) fn minimum(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    arithmetic(ctx, math::min(), false)
}

pub(crate) fn pow(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    let (a, b, dt) = binary_inputs(ctx)?;
    if dt != DatumType::F32 {
        unsupported!("POW on integers");
    }
    Ok(tvec!(ctx.wire1(math::pow(), &[a, b])?))
}

/// Checks that an integer divisor is a constant without zeros or -1 (which would make the
/// division trap).
fn check_int_divisor(ctx: &mut OpCtx<'_, '_>) -> TractResult<()> {
    let divisor = ctx.const_ints(1)?;
    if divisor.iter().any(|&d| d == 0 || d == -1) {
        unsupported!("integer division by a divisor containing 0 or -1");
    }
    Ok(())
}

/// `DIV`: float division, or integer division (truncating) by a constant divisor.
pub(crate) fn div(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    let dt = {
        let a = ctx.input(0)?;
        ctx.datum_type(a)?
    };
    if dt != DatumType::F32 {
        check_int_divisor(ctx)?;
    }
    arithmetic(ctx, math::div(), true)
}

/// `FLOOR_DIV`: `floor(a / b)` on floats.
pub(crate) fn floor_div(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    let (a, b, dt) = binary_inputs(ctx)?;
    if dt != DatumType::F32 {
        unsupported!("FLOOR_DIV on integers");
    }
    let q = ctx.wire1(math::div(), &[a, b])?;
    Ok(tvec!(ctx.wire1(math::floor(), &[q])?))
}

/// `SQUARED_DIFFERENCE`: `(a - b)²`.
pub(crate) fn squared_difference(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    let (a, b, dt) = binary_inputs(ctx)?;
    if dt == DatumType::Bool {
        unsupported!("arithmetic on booleans");
    }
    let d = ctx.wire1(math::sub(), &[a, b])?;
    Ok(tvec!(ctx.wire1(math::mul(), &[d, d])?))
}

fn compare(ctx: &mut OpCtx<'_, '_>, op: Box<dyn BinMiniOp>) -> TractResult<TVec<OutletId>> {
    let (a, b, _) = binary_inputs(ctx)?;
    Ok(tvec!(ctx.wire1(TypedBinOp(op, None), &[a, b])?))
}

pub(crate) fn equal(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    compare(ctx, logic::comp_eq())
}

pub(crate) fn not_equal(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    compare(ctx, logic::comp_ne())
}

pub(crate) fn less(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    compare(ctx, logic::comp_lt())
}

pub(crate) fn less_equal(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    compare(ctx, logic::comp_lte())
}

pub(crate) fn greater(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    compare(ctx, logic::comp_gt())
}

pub(crate) fn greater_equal(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    compare(ctx, logic::comp_gte())
}

fn logical(ctx: &mut OpCtx<'_, '_>, op: TypedBinOp) -> TractResult<TVec<OutletId>> {
    let (a, b, dt) = binary_inputs(ctx)?;
    if dt != DatumType::Bool {
        bail!("logical operators need booleans, got {dt:?}");
    }
    Ok(tvec!(ctx.wire1(op, &[a, b])?))
}

pub(crate) fn logical_and(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    logical(ctx, logic::and())
}

pub(crate) fn logical_or(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    logical(ctx, logic::or())
}

pub(crate) fn logical_not(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(1..=1, 1)?;
    let x = ctx.input(0)?;
    if ctx.datum_type(x)? != DatumType::Bool {
        bail!("LOGICAL_NOT needs booleans");
    }
    Ok(tvec!(ctx.wire1(logic::not(), &[x])?))
}

/// `SELECT` and `SELECT_V2`: `cond ? a : b`. `SELECT` also takes a rank-1 condition that picks
/// whole rows of higher-rank operands.
pub(crate) fn select(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(3..=3, 1)?;
    let mut cond = ctx.input(0)?;
    let a = ctx.input(1)?;
    let b = ctx.input(2)?;
    ensure!(ctx.datum_type(cond)? == DatumType::Bool, "the condition must be boolean");
    let (ta, tb) = (ctx.datum_type(a)?, ctx.datum_type(b)?);
    if ta != tb {
        unsupported!("operands of different types ({ta:?} and {tb:?})");
    }
    let (cs, as_) = (ctx.shape(cond)?, ctx.shape(a)?);
    if ctx.code == crate::tflite::OpCode::Builtin(crate::tflite::builtin::SELECT)
        && cs.len() == 1
        && as_.len() > 1
        && as_.first() == cs.first()
    {
        for axis in 1..as_.len() {
            cond = ctx.wire1(AxisOp::Add(axis), &[cond])?;
        }
    }
    let wires = broadcast_all(ctx, &[cond, a, b])?;
    Ok(tvec!(ctx.wire1(logic::Iff, &wires)?))
}

fn float_unary(ctx: &mut OpCtx<'_, '_>, op: ElementWiseOp) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(1..=1, 1)?;
    let x = ctx.float_input(0)?;
    Ok(tvec!(ctx.wire1(op, &[x])?))
}

pub(crate) fn rsqrt(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    float_unary(ctx, math::rsqrt())
}

pub(crate) fn sqrt(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    float_unary(ctx, math::sqrt())
}

pub(crate) fn exp(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    float_unary(ctx, math::exp())
}

pub(crate) fn log(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    float_unary(ctx, math::ln())
}

pub(crate) fn sin(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    float_unary(ctx, math::sin())
}

pub(crate) fn cos(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    float_unary(ctx, math::cos())
}

pub(crate) fn floor(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    float_unary(ctx, math::floor())
}

pub(crate) fn ceil(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    float_unary(ctx, math::ceil())
}

/// `ROUND` rounds half to even, as TensorFlow does.
pub(crate) fn round(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    float_unary(ctx, math::round_half_to_even())
}

pub(crate) fn square(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(1..=1, 1)?;
    let x = ctx.input(0)?;
    if ctx.datum_type(x)? == DatumType::Bool {
        bail!("SQUARE needs numbers");
    }
    Ok(tvec!(ctx.wire1(math::mul(), &[x, x])?))
}

/// `ABS` and `NEG` work on floats and signed integers.
fn signed_unary(ctx: &mut OpCtx<'_, '_>, op: ElementWiseOp) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(1..=1, 1)?;
    let x = ctx.input(0)?;
    let dt = ctx.datum_type(x)?;
    if !matches!(dt, DatumType::F32 | DatumType::I8 | DatumType::I16 | DatumType::I32 | DatumType::I64) {
        unsupported!("{} on {dt:?}", ctx.code);
    }
    Ok(tvec!(ctx.wire1(op, &[x])?))
}

pub(crate) fn abs(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    signed_unary(ctx, math::abs())
}

pub(crate) fn neg(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    signed_unary(ctx, math::neg())
}
