//! `CONV_2D` and `DEPTHWISE_CONV_2D` (any depth multiplier), float, quantized and hybrid.
//!
//! Both become tract's `Conv` on NHWC data with f32 weights (dequantized per channel). A
//! depthwise convolution with multiplier `M` is a grouped convolution with one group per input
//! channel: TFLite's kernel `[1, H, W, C·M]` puts output channel `c·M + m` on input channel `c`,
//! which is tract's `HWIO` kernel `[H, W, C, M]` with `C` groups.
//!
//! Hybrid convolutions (float input, int8 weights) quantize their input per batch first, as
//! TFLite does: asymmetrically with per-channel weights, symmetrically otherwise.

use tract_core::internal::*;
use tract_core::ops::cnn::{Conv, KernelFormat, PaddingSpec, PoolSpec};
use tract_core::ops::nn::DataFormat;

use super::activation::fused;
use super::import::{OpCtx, unsupported};
use super::qint;
use super::quant::{DynamicMode, DynamicQuant};
use crate::tflite::{Padding, TensorKind};

/// Largest kernel size, stride or dilation accepted (far beyond any real model; keeps the
/// geometry arithmetic, here and in tract, from overflowing even with 32-bit `usize`).
const MAX_GEOMETRY: usize = 1 << 12;

/// Spatial geometry of a 2-D window operator (convolution or pool).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub padding: Padding,
    pub stride: [usize; 2],
    pub dilation: [usize; 2],
    pub kernel: [usize; 2],
}

fn positive(value: i32, what: &str) -> TractResult<usize> {
    match usize::try_from(value) {
        Ok(v) if (1..=MAX_GEOMETRY).contains(&v) => Ok(v),
        _ => bail!("{what} is {value}, not between 1 and {MAX_GEOMETRY}"),
    }
}

impl Window {
    pub fn new(padding: i8, stride: (i32, i32), dilation: (i32, i32), kernel: [usize; 2]) -> TractResult<Window> {
        let Some(padding) = Padding::from_code(padding) else {
            bail!("unknown padding {padding}");
        };
        ensure!(
            kernel.iter().all(|k| (1..=MAX_GEOMETRY).contains(k)),
            "kernel size {kernel:?} is not between 1 and {MAX_GEOMETRY}"
        );
        Ok(Window {
            padding,
            stride: [positive(stride.0, "stride height")?, positive(stride.1, "stride width")?],
            dilation: [positive(dilation.0, "dilation height")?, positive(dilation.1, "dilation width")?],
            kernel,
        })
    }

    /// Checks that the window fits an input of spatial size `hw` (a VALID window larger than the
    /// input has no output).
    pub fn check(&self, hw: [usize; 2]) -> TractResult<()> {
        for ((kernel, dilation), size) in self.kernel.iter().zip(self.dilation).zip(hw) {
            // At most 4095 · 4096 + 1: no overflow.
            let field = (kernel - 1) * dilation + 1;
            ensure!(size > 0, "the input has an empty spatial dimension");
            if self.padding == Padding::Valid {
                ensure!(field <= size, "the window ({field} with dilation) is larger than the input ({size})");
            }
        }
        Ok(())
    }

    pub fn pool_spec(&self, channels_in: usize, channels_out: usize) -> PoolSpec {
        PoolSpec {
            data_format: DataFormat::NHWC,
            kernel_shape: tvec!(self.kernel[0], self.kernel[1]),
            padding: match self.padding {
                Padding::Same => PaddingSpec::SameUpper,
                Padding::Valid => PaddingSpec::Valid,
            },
            dilations: Some(tvec!(self.dilation[0], self.dilation[1])),
            strides: Some(tvec!(self.stride[0], self.stride[1])),
            input_channels: channels_in,
            output_channels: channels_out,
        }
    }
}

/// The NHWC shape of a rank-4 input.
pub(crate) fn nhwc(ctx: &OpCtx<'_, '_>, x: OutletId) -> TractResult<[usize; 4]> {
    let shape = ctx.shape(x)?;
    match shape.as_slice() {
        &[n, h, w, c] => Ok([n, h, w, c]),
        _ => bail!("expects an NHWC input of rank 4, got shape {shape:?}"),
    }
}

/// The bias (input 2) as an f32 vector of `channels` values, zeros when omitted.
fn bias(ctx: &mut OpCtx<'_, '_>, channels: usize) -> TractResult<OutletId> {
    if !ctx.has_input(2) {
        return ctx.add_const(Tensor::zero::<f32>(&[channels])?);
    }
    let b = ctx.input(2)?;
    if ctx.datum_type(b)? != DatumType::F32 {
        unsupported!("an unquantized integer bias");
    }
    let shape = ctx.shape(b)?;
    ensure!(
        shape.iter().product::<usize>() == channels,
        "the bias has shape {shape:?}, not one value per output channel ({channels})"
    );
    if shape.len() != 1 {
        return ctx
            .wire1(AxisOp::Reshape(0, shape.iter().map(|d| d.to_dim()).collect(), tvec!(channels.to_dim())), &[b]);
    }
    Ok(b)
}

/// The input, quantized on the fly when the operator is hybrid (float input, int8 weights).
fn maybe_hybrid(ctx: &mut OpCtx<'_, '_>, x: OutletId, mode: DynamicMode) -> TractResult<OutletId> {
    let input_quantized = ctx.input_quant(0)?.is_some();
    let weights = ctx.input_meta(1)?;
    let hybrid = !input_quantized && weights.quant.is_some() && weights.kind == TensorKind::Int8;
    if hybrid { ctx.wire1(DynamicQuant { mode }, &[x]) } else { Ok(x) }
}

/// The mode of a hybrid convolution's input quantization: asymmetric with per-channel weights
/// (whose scales differ: TFLite takes equal scales for per-tensor ones).
fn conv_hybrid_mode(ctx: &OpCtx<'_, '_>) -> TractResult<DynamicMode> {
    let per_channel = ctx.input_quant(1)?.is_some_and(|q| q.scale.iter().any(|&s| Some(&s) != q.scale.first()));
    Ok(if per_channel { DynamicMode::Asymmetric } else { DynamicMode::Symmetric })
}

/// `CONV_2D`: options padding (0), stride_w (1), stride_h (2), fused activation (3),
/// dilation_w (4), dilation_h (5). Kernel `[O, H, W, I]`; grouped when `I` divides the input
/// channels.
pub(crate) fn conv_2d(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(2..=3, 1)?;
    let x = ctx.float_input(0)?;
    let w = ctx.float_input(1)?;
    let [_, h, wd, c] = nhwc(ctx, x)?;
    let wshape = ctx.shape(w)?;
    let &[o, kh, kw, i] = wshape.as_slice() else {
        bail!("the filter has shape {wshape:?}, not [out, height, width, in]");
    };
    ensure!(i > 0 && c % i == 0, "the filter expects {i} input channels per group, the input has {c}");
    let group = c / i;
    ensure!(o > 0 && o % group == 0, "{o} output channels do not split into {group} groups");
    let window = Window::new(
        ctx.opt_i8(0, 0)?,
        (ctx.opt_i32(2, 0)?, ctx.opt_i32(1, 0)?),
        (ctx.opt_i32(5, 1)?, ctx.opt_i32(4, 1)?),
        [kh, kw],
    )?;
    window.check([h, wd])?;
    let act = ctx.opt_i8(3, 0)?;
    if let Some(layer) = qint::int_layer(ctx, 0, o, act)? {
        if group == 1
            && let Some(y) = qint::gathered_conv(ctx, &layer, x, &window, [h, wd], c)?
        {
            return Ok(tvec!(y));
        }
        let (fmt, grouped) = (if group == 1 { KernelFormat::OHWI } else { KernelFormat::OIHW }, group > 1);
        let y = qint::conv(ctx, layer, x, window.pool_spec(c, o), fmt, group, |ctx, w| {
            if grouped { ctx.wire1(AxisOp::Move(3, 1), &[w]) } else { Ok(w) }
        })?;
        return Ok(tvec!(y));
    }
    let b = bias(ctx, o)?;
    let mode = conv_hybrid_mode(ctx)?;
    let x = maybe_hybrid(ctx, x, mode)?;
    // tract's OHWI kernel holds all input channels and one group's output channels; a grouped
    // TFLite filter [O, H, W, I/g] is an OIHW kernel once its input axis moves.
    let (w, kernel_fmt) =
        if group == 1 { (w, KernelFormat::OHWI) } else { (ctx.wire1(AxisOp::Move(3, 1), &[w])?, KernelFormat::OIHW) };
    let conv = Conv { pool_spec: window.pool_spec(c, o), kernel_fmt, group, q_params: None };
    let y = ctx.wire1(conv, &[x, w, b])?;
    Ok(tvec!(fused(ctx, y, act)?))
}

/// `DEPTHWISE_CONV_2D`: options padding (0), stride_w (1), stride_h (2), depth_multiplier (3,
/// which TFLite infers from the shapes), fused activation (4), dilation_w (5), dilation_h (6).
pub(crate) fn depthwise_conv_2d(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(2..=3, 1)?;
    let x = ctx.float_input(0)?;
    let w = ctx.float_input(1)?;
    let [_, h, wd, c] = nhwc(ctx, x)?;
    let wshape = ctx.shape(w)?;
    let &[one, kh, kw, o] = wshape.as_slice() else {
        bail!("the filter has shape {wshape:?}, not [1, height, width, channels]");
    };
    ensure!(one == 1, "the filter has shape {wshape:?}, not [1, height, width, channels]");
    ensure!(c > 0 && o > 0 && o % c == 0, "{o} output channels are not a multiple of {c} input channels");
    let window = Window::new(
        ctx.opt_i8(0, 0)?,
        (ctx.opt_i32(2, 0)?, ctx.opt_i32(1, 0)?),
        (ctx.opt_i32(6, 1)?, ctx.opt_i32(5, 1)?),
        [kh, kw],
    )?;
    window.check([h, wd])?;
    let act = ctx.opt_i8(4, 0)?;
    // [1, H, W, C·M] -> [H, W, C, M]: tract's HWIO kernel holds all input channels and the
    // output channels of one group.
    let from = tvec!(1.to_dim(), kh.to_dim(), kw.to_dim(), o.to_dim());
    let to = tvec!(kh.to_dim(), kw.to_dim(), c.to_dim(), (o / c).to_dim());
    let to_hwio = AxisOp::Reshape(0, from, to);
    if let Some(layer) = qint::int_layer(ctx, 3, o, act)? {
        if o == c
            && let Some(y) = qint::depthwise(ctx, &layer, x, &window, [h, wd])?
        {
            return Ok(tvec!(y));
        }
        if c == 1
            && let Some(y) = qint::one_channel_depthwise(ctx, &layer, x, &window, [h, wd])?
        {
            return Ok(tvec!(y));
        }
        let y = qint::conv(ctx, layer, x, window.pool_spec(c, o), KernelFormat::HWIO, c, |ctx, w| {
            ctx.wire1(to_hwio.clone(), &[w])
        })?;
        return Ok(tvec!(y));
    }
    let b = bias(ctx, o)?;
    // TFLite's hybrid depthwise convolution is per-channel and quantizes asymmetrically.
    let x = maybe_hybrid(ctx, x, DynamicMode::Asymmetric)?;
    let w = ctx.wire1(to_hwio, &[w])?;
    let conv = Conv { pool_spec: window.pool_spec(c, o), kernel_fmt: KernelFormat::HWIO, group: c, q_params: None };
    let y = ctx.wire1(conv, &[x, w, b])?;
    Ok(tvec!(fused(ctx, y, act)?))
}
