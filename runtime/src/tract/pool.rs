//! `AVERAGE_POOL_2D`, `MAX_POOL_2D` and `L2_POOL_2D` on NHWC data.
//!
//! Options (`Pool2DOptions`): padding (0), stride_w (1), stride_h (2), filter_width (3),
//! filter_height (4), fused activation (5). With SAME padding, TFLite averages over the window's
//! elements inside the input only (`count_include_pad` false).

use tract_core::internal::*;
use tract_core::ops::cnn::{MaxPool, SumPool};
use tract_core::ops::math;

use super::activation::fused;
use super::conv::{Window, nhwc};
use super::import::OpCtx;
use super::qint;

fn window(ctx: &mut OpCtx<'_, '_>) -> TractResult<(OutletId, Window, usize)> {
    ctx.expect_io(1..=1, 1)?;
    let x = ctx.float_input(0)?;
    let [_, h, w, c] = nhwc(ctx, x)?;
    let fw = usize::try_from(ctx.opt_i32(3, 0)?).unwrap_or(0);
    let fh = usize::try_from(ctx.opt_i32(4, 0)?).unwrap_or(0);
    let window = Window::new(ctx.opt_i8(0, 0)?, (ctx.opt_i32(2, 0)?, ctx.opt_i32(1, 0)?), (1, 1), [fh, fw])?;
    window.check([h, w])?;
    Ok((x, window, c))
}

pub(crate) fn average_pool_2d(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    let (x, window, c) = window(ctx)?;
    let act = ctx.opt_i8(5, 0)?;
    if let Some(y) = qint::avg_pool(ctx, x, &window, act)? {
        return Ok(tvec!(y));
    }
    let pool = SumPool { pool_spec: window.pool_spec(c, c), count_include_pad: false, normalize: true };
    let y = ctx.wire1(pool, &[x])?;
    Ok(tvec!(fused(ctx, y, act)?))
}

pub(crate) fn max_pool_2d(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    let (x, window, c) = window(ctx)?;
    let pool = MaxPool { pool_spec: window.pool_spec(c, c), with_index_outputs: None };
    let y = ctx.wire1(pool, &[x])?;
    let act = ctx.opt_i8(5, 0)?;
    if act == 0 {
        ctx.preserves_values();
    }
    Ok(tvec!(fused(ctx, y, act)?))
}

/// `L2_POOL_2D`: the square root of the mean of squares over the window.
pub(crate) fn l2_pool_2d(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    let (x, window, c) = window(ctx)?;
    let sq = ctx.wire1(math::mul(), &[x, x])?;
    let pool = SumPool { pool_spec: window.pool_spec(c, c), count_include_pad: false, normalize: true };
    let mean = ctx.wire1(pool, &[sq])?;
    let y = ctx.wire1(math::sqrt(), &[mean])?;
    let act = ctx.opt_i8(5, 0)?;
    Ok(tvec!(fused(ctx, y, act)?))
}
