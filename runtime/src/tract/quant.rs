//! Quantization: reading scales and zero points, dequantizing constants, and emulating TFLite's
//! quantization points in float.
//!
//! The importer computes in f32. A quantized tensor's outlet holds its real values
//! `(q - zero_point) * scale`; after an operator whose output is quantized, [`FakeQuant`] rounds
//! the float result to the output's grid exactly as TFLite's kernels do (round half away from
//! zero of `x / scale`, add the zero point, clamp to the type's range, which also applies
//! saturating fused activations) and maps it back to real values. `QUANTIZE` and `DEQUANTIZE`
//! become that same rounding and the identity.
//!
//! Hybrid ("dynamic range") operators, with float activations and int8 weights, quantize their
//! input on the fly per batch: [`DynamicQuant`] emulates that rounding too.

use tract_core::internal::*;
use tract_core::ops::element_wise::ElementWiseOp;

use super::import::{OpCtx, unsupported};
use crate::tflite::{QuantizationParameters, TensorKind};

/// A tensor's quantization: `real = scale * (q - zero_point)`, per tensor (one scale) or per
/// channel along `axis`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Quant {
    pub scale: Vec<f32>,
    pub zero_point: Vec<i64>,
    pub axis: usize,
    /// The smallest and largest stored value of the tensor's integer type.
    pub min: i64,
    pub max: i64,
}

impl Quant {
    pub fn read(q: &QuantizationParameters<'_>, kind: TensorKind) -> TractResult<Quant> {
        let scale = q.scale()?.to_vec();
        let mut zero_point = q.zero_point()?.to_vec();
        if zero_point.is_empty() {
            zero_point = vec![0; scale.len()];
        }
        ensure!(zero_point.len() == scale.len(), "it has {} scales but {} zero points", scale.len(), zero_point.len());
        ensure!(scale.iter().all(|s| s.is_finite() && *s > 0.0), "it has a scale that is not a positive number");
        let axis =
            usize::try_from(q.quantized_dimension()?).map_err(|_| format_err!("negative quantized dimension"))?;
        let (min, max) = range(kind)?;
        ensure!(zero_point.iter().all(|z| (min..=max).contains(z)), "a zero point is outside the range of {kind}");
        Ok(Quant { scale, zero_point, axis, min, max })
    }

    /// Scale and zero point of a per-tensor quantization.
    pub fn per_tensor(&self) -> Option<(f32, i64)> {
        match (self.scale.as_slice(), self.zero_point.as_slice()) {
            ([scale], [zero_point]) => Some((*scale, *zero_point)),
            _ => None,
        }
    }

    /// The real value of stored value `q` (per-tensor quantization).
    pub fn dequantize(scale: f32, zero_point: i64, q: i64) -> f32 {
        (q - zero_point) as f32 * scale
    }

    /// The stored value of real value `x` (per-tensor quantization): round half away from zero,
    /// add the zero point, clamp to the type's range.
    pub fn quantize(&self, scale: f32, zero_point: i64, x: f32) -> i64 {
        let q = (x / scale).round();
        let q = if q.is_nan() { 0.0 } else { q.clamp(-1e18, 1e18) } as i64;
        q.saturating_add(zero_point).clamp(self.min, self.max)
    }
}

/// The range of stored values of an integer type.
pub(crate) fn range(kind: TensorKind) -> TractResult<(i64, i64)> {
    Ok(match kind {
        TensorKind::UInt8 => (0, 255),
        TensorKind::Int8 => (-128, 127),
        TensorKind::Int16 => (-32768, 32767),
        TensorKind::UInt16 => (0, 65535),
        TensorKind::Int32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
        TensorKind::UInt32 => (0, i64::from(u32::MAX)),
        TensorKind::Int64 => (i64::MIN, i64::MAX),
        other => unsupported!("quantized tensors of type {other}"),
    })
}

/// Dequantizes little-endian values of `kind` stored in `data` (per tensor or per channel).
pub(crate) fn dequantize_bytes(data: &[u8], kind: TensorKind, q: &Quant, shape: &[usize]) -> TractResult<Vec<f32>> {
    let ints: Vec<i64> = match kind {
        TensorKind::UInt8 => data.iter().map(|&b| i64::from(b)).collect(),
        TensorKind::Int8 => data.iter().map(|&b| i64::from(b as i8)).collect(),
        TensorKind::Int16 => chunks(data, |b: [u8; 2]| i64::from(i16::from_le_bytes(b))),
        TensorKind::UInt16 => chunks(data, |b: [u8; 2]| i64::from(u16::from_le_bytes(b))),
        TensorKind::Int32 => chunks(data, |b: [u8; 4]| i64::from(i32::from_le_bytes(b))),
        TensorKind::UInt32 => chunks(data, |b: [u8; 4]| i64::from(u32::from_le_bytes(b))),
        TensorKind::Int64 => chunks(data, i64::from_le_bytes),
        other => unsupported!("quantized constants of type {other}"),
    };
    if let Some((scale, zero_point)) = q.per_tensor() {
        return Ok(ints.iter().map(|&v| Quant::dequantize(scale, zero_point, v)).collect());
    }
    // Per channel: the channel of element i is (i / inner) % channels.
    let Some(&channels) = shape.get(q.axis) else {
        bail!("the quantized dimension {} is not an axis of shape {shape:?}", q.axis);
    };
    ensure!(
        channels == q.scale.len(),
        "{} scales for {channels} channels along axis {} of shape {shape:?}",
        q.scale.len(),
        q.axis
    );
    let inner: usize = shape.get(q.axis + 1..).unwrap_or_default().iter().product();
    let inner = inner.max(1);
    Ok(ints
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = (i / inner) % channels;
            let scale = q.scale.get(c).copied().unwrap_or(1.0);
            let zero_point = q.zero_point.get(c).copied().unwrap_or(0);
            Quant::dequantize(scale, zero_point, v)
        })
        .collect())
}

fn chunks<const N: usize>(data: &[u8], f: impl Fn([u8; N]) -> i64) -> Vec<i64> {
    data.chunks_exact(N).filter_map(|c| c.try_into().ok()).map(f).collect()
}

/// The quantization point of a per-tensor quantized tensor, applied to real values:
/// `(clamp(round(x / scale) + zero_point, min, max) - zero_point) * scale`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FakeQuant {
    pub scale: f32,
    pub zero_point: f32,
    pub min: f32,
    pub max: f32,
}

impl Eq for FakeQuant {}

impl FakeQuant {
    pub fn new(q: &Quant) -> TractResult<FakeQuant> {
        let Some((scale, zero_point)) = q.per_tensor() else {
            unsupported!("per-channel quantized activations");
        };
        Ok(FakeQuant { scale, zero_point: zero_point as f32, min: q.min as f32, max: q.max as f32 })
    }

    pub fn apply(&self, x: f32) -> f32 {
        let q = ((x / self.scale).round() + self.zero_point).clamp(self.min, self.max);
        (q - self.zero_point) * self.scale
    }
}

impl ElementWiseMiniOp for FakeQuant {
    fn name(&self) -> String {
        "FakeQuant".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!("scale {} zero point {} range {}..={}", self.scale, self.zero_point, self.min, self.max)])
    }

    fn eval_in_place(&self, t: &mut Tensor, _out_dt: Option<DatumType>) -> TractResult<()> {
        let mut plain = t.try_as_plain_ram_mut()?;
        for x in plain.as_slice_mut::<f32>()? {
            *x = self.apply(*x);
        }
        Ok(())
    }
}

/// Wires the quantization point of `q` after `outlet` (an f32 outlet).
pub(crate) fn wire_fake_quant(ctx: &mut OpCtx<'_, '_>, outlet: OutletId, q: &Quant) -> TractResult<OutletId> {
    let op = ElementWiseOp(Box::new(FakeQuant::new(q)?), None);
    ctx.wire1(op, &[outlet])
}

/// `QUANTIZE`: float (or differently quantized) input to a quantized output. The importer's
/// output step adds the rounding.
pub(crate) fn quantize(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(1..=1, 1)?;
    let input = ctx.float_input(0)?;
    if ctx.output_meta(0)?.quant.is_none() {
        unsupported!("QUANTIZE to an unquantized {} output", ctx.output_meta(0)?.kind);
    }
    Ok(tvec!(input))
}

/// `DEQUANTIZE`: quantized (or float16) input to float; the values are already real.
pub(crate) fn dequantize(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(1..=1, 1)?;
    let input = ctx.float_input(0)?;
    Ok(tvec!(input))
}

/// How a hybrid operator quantizes its float input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum DynamicMode {
    /// `scale = max|x| / 127`, values in -127..=127 (TFLite's `SymmetricQuantizeFloats`).
    Symmetric,
    /// Min/max over the row with a nudged zero point, values in -128..=127
    /// (`AsymmetricQuantizeFloats`).
    Asymmetric,
}

/// Emulates the on-the-fly int8 quantization of a hybrid operator's input: each slice along
/// axis 0 (a batch, or a row of a fully connected input) is quantized with its own scale and
/// mapped back to real values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct DynamicQuant {
    pub mode: DynamicMode,
}

impl DynamicQuant {
    fn row(&self, xs: &mut [f32]) {
        match self.mode {
            DynamicMode::Symmetric => {
                let range = xs.iter().fold(0f32, |m, x| m.max(x.abs()));
                if range == 0.0 || !range.is_finite() {
                    xs.iter_mut().for_each(|x| *x = 0.0);
                    return;
                }
                let scale = range / 127.0;
                let inv = 127.0 / range;
                for x in xs.iter_mut() {
                    let q = (*x * inv).round().clamp(-127.0, 127.0);
                    *x = q * scale;
                }
            }
            DynamicMode::Asymmetric => {
                let (lo, hi) = xs.iter().fold((0f32, 0f32), |(lo, hi), &x| (lo.min(x), hi.max(x)));
                let (rmin, rmax) = (f64::from(lo), f64::from(hi));
                if rmin == rmax || !rmin.is_finite() || !rmax.is_finite() {
                    xs.iter_mut().for_each(|x| *x = 0.0);
                    return;
                }
                let (qmin, qmax) = (-128f64, 127f64);
                let scale = (rmax - rmin) / (qmax - qmin);
                let zp_from_min = qmin - rmin / scale;
                let zp_from_max = qmax - rmax / scale;
                let err_min = qmin.abs() + (rmin / scale).abs();
                let err_max = qmax.abs() + (rmax / scale).abs();
                let zp = if err_min < err_max { zp_from_min } else { zp_from_max };
                let zp = if zp <= qmin {
                    qmin
                } else if zp >= qmax {
                    qmax
                } else {
                    zp.round()
                } as f32;
                // The reference interpreter rounds `offset + x / scale` computed in double (as
                // checked on ties such as 0.3 · 255 - 128), and dequantizes with the f32 scale.
                let scale_f = scale as f32;
                let (inv, zp64) = (1.0 / scale, f64::from(zp));
                for x in xs.iter_mut() {
                    let q = (zp64 + f64::from(*x) * inv).round().clamp(-128.0, 127.0) as f32;
                    *x = (q - zp) * scale_f;
                }
            }
        }
    }
}

impl Op for DynamicQuant {
    fn name(&self) -> StaticName {
        "DynamicQuant".into()
    }

    op_as_typed_op!();
}

impl EvalOp for DynamicQuant {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let Some(input) = inputs.into_iter().next() else {
            bail!("DynamicQuant expects one input");
        };
        let mut t = input.into_tensor();
        let rows = t.shape().first().copied().unwrap_or(1).max(1);
        let len = t.len();
        {
            let mut plain = t.try_as_plain_ram_mut()?;
            let xs = plain.as_slice_mut::<f32>()?;
            let per_row = len / rows;
            if per_row > 0 {
                for row in xs.chunks_mut(per_row) {
                    self.row(row);
                }
            }
        }
        Ok(tvec!(t.into_tvalue()))
    }
}

impl TypedOp for DynamicQuant {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let Some(input) = inputs.first() else {
            bail!("DynamicQuant expects one input");
        };
        ensure!(input.datum_type == DatumType::F32, "DynamicQuant works on f32");
        Ok(tvec!(input.without_value()))
    }

    as_op!();
}
