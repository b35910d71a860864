//! An integer depthwise convolution ([`QDepthwise`]): TFLite's 8-bit `DEPTHWISE_CONV_2D` with
//! depth multiplier 1 and one output multiplier, on centred values (`q - zero_point`, exact
//! integers in f32), requantized in the same pass and written centred (what the next integer
//! kernel takes, see `qint::centred_input`).
//!
//! The sums are f32 multiply-adds of exact integers below 2^22 in magnitude (checked when wiring),
//! so they are TFLite's i32 accumulators exactly, as with tract's f32 depthwise kernel; the
//! difference is that the four lanes of a sum are requantized while in registers
//! ([`FloatRequant::requant4`]) instead of by a second pass (`qint::Requant`) over the whole
//! output.
//!
//! For 3×3 and 5×5 windows, position by position: the window's input pixels (a slice of zeros
//! for the padding, which is zero once centred) and the packed bias and weights as vectors of
//! four channels, cut to one length so that the channel loop has no bounds checks and few
//! pointers (V8 keeps them in registers; two positions at a time measured slower). Other
//! windows accumulate in the output over the taps inside the input, then requantize there.

use std::sync::Arc;

use tract_core::internal::*;

use super::conv::Window;
use super::outputs;
use super::qint::{FloatRequant, f4, out_and_pad};

/// The spatial geometry of one depthwise convolution, on concrete sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Geometry {
    /// Input height and width.
    pub input: [usize; 2],
    /// Output height and width.
    pub output: [usize; 2],
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub dilation: [usize; 2],
    /// The padding before the first row and the first column (TFLite's: half the total, the
    /// odd one after).
    pub pad: [usize; 2],
}

impl Geometry {
    /// The geometry of `window` on an input of height and width `hw` (checked with
    /// [`Window::check`]).
    pub fn new(window: &Window, hw: [usize; 2]) -> Geometry {
        let mut output = [0; 2];
        let mut pad = [0; 2];
        for axis in 0..2 {
            // The window's extent with its dilation, as a pool's window.
            let field = window.kernel[axis].saturating_sub(1) * window.dilation[axis] + 1;
            (output[axis], pad[axis]) = out_and_pad(window.padding, hw[axis], field, window.stride[axis]);
        }
        Geometry { input: hw, output, kernel: window.kernel, stride: window.stride, dilation: window.dilation, pad }
    }

    /// The input row or column (`axis` 0 or 1) under tap `k` of output position `o`, if inside.
    #[inline(always)]
    pub fn input_at(&self, axis: usize, o: usize, k: usize) -> Option<usize> {
        let at = (o * self.stride[axis] + k * self.dilation[axis]).checked_sub(self.pad[axis])?;
        (at < self.input[axis]).then_some(at)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct QDepthwise {
    /// Centred weights, `[tap][channel]` with the taps row by row over the window.
    weights: Arc<Vec<f32>>,
    /// The i32 bias as f32 (exact), one per channel.
    bias: Arc<Vec<f32>>,
    /// Per group of four channels (the whole groups), the bias then every tap's weights, four
    /// values each: one pointer for all the kernel's parameters.
    packed: Arc<Vec<f32>>,
    channels: usize,
    geometry: Geometry,
    requant: FloatRequant,
}

impl PartialEq for QDepthwise {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.weights, &other.weights)
            && Arc::ptr_eq(&self.bias, &other.bias)
            && self.geometry == other.geometry
    }
}

impl Eq for QDepthwise {}

impl QDepthwise {
    /// The operator for centred `weights` (`[kh, kw, channels]`), `bias` (one per channel, exact
    /// in f32), on `geometry`, requantized by `requant` (centred output: factor 1). `None` when
    /// the sizes disagree.
    pub(crate) fn new(
        weights: Vec<f32>,
        bias: Vec<f32>,
        geometry: Geometry,
        requant: FloatRequant,
    ) -> Option<QDepthwise> {
        let channels = bias.len();
        let taps = geometry.kernel[0].checked_mul(geometry.kernel[1])?;
        if channels == 0 || weights.len() != taps.checked_mul(channels)? {
            return None;
        }
        let mut packed = Vec::with_capacity((taps + 1) * channels);
        for c0 in (0..channels / 4 * 4).step_by(4) {
            packed.extend_from_slice(bias.get(c0..c0 + 4)?);
            for t in 0..taps {
                packed.extend_from_slice(weights.get(t * channels + c0..t * channels + c0 + 4)?);
            }
        }
        Some(QDepthwise {
            weights: Arc::new(weights),
            bias: Arc::new(bias),
            packed: Arc::new(packed),
            channels,
            geometry,
            requant,
        })
    }

    /// The output shape for an input of `batch` images.
    fn output_shape(&self, batch: usize) -> [usize; 4] {
        let [oh, ow] = self.geometry.output;
        [batch, oh, ow, self.channels]
    }

    /// Computes `out` (`[n, oh, ow, c]` centred values) from `x` (`[n, h, w, c]`).
    fn apply(&self, x: &[f32], out: &mut [f32]) {
        match (self.geometry.kernel, self.requant.signed()) {
            ([3, 3], true) => self.apply_taps::<3, 3, true>(x, out),
            ([3, 3], false) => self.apply_taps::<3, 3, false>(x, out),
            ([5, 5], true) => self.apply_taps::<5, 5, true>(x, out),
            ([5, 5], false) => self.apply_taps::<5, 5, false>(x, out),
            (_, true) => self.apply_any::<true>(x, out),
            (_, false) => self.apply_any::<false>(x, out),
        }
    }

    /// The images of `x` and `out`, with their sizes.
    fn images<'a>(&self, x: &'a [f32], out: &'a mut [f32]) -> impl Iterator<Item = (&'a [f32], &'a mut [f32])> {
        let g = &self.geometry;
        let c = self.channels;
        let image_in = (g.input[0] * g.input[1] * c).max(1);
        let image_out = (g.output[0] * g.output[1] * c).max(1);
        x.chunks_exact(image_in).zip(out.chunks_exact_mut(image_out))
    }

    /// The input pixel (all its channels) at row `iy` and column `ix` ([`Geometry::input_at`]),
    /// or `zeros` (`c` zeros: the centred padding) when either is outside the input.
    #[inline(always)]
    fn pixel<'a>(&self, x: &'a [f32], zeros: &'a [f32], iy: Option<usize>, ix: Option<usize>) -> &'a [f32] {
        let c = self.channels;
        match (iy, ix) {
            (Some(iy), Some(ix)) => {
                let at = (iy * self.geometry.input[1] + ix) * c;
                x.get(at..at + c).unwrap_or(zeros)
            }
            _ => zeros,
        }
    }

    /// A `KH × KW` kernel, position by position (see [`QDepthwise::position`]).
    fn apply_taps<const KH: usize, const KW: usize, const SIGNED: bool>(&self, x: &[f32], out: &mut [f32]) {
        let c = self.channels;
        let zeros = vec![0f32; c];
        let ow = self.geometry.output[1];
        for (x, out) in self.images(x, out) {
            for (p, dst) in out.chunks_exact_mut(c).enumerate() {
                self.position::<KH, KW, SIGNED>(x, &zeros, (p / ow, p % ow), dst);
            }
        }
    }

    /// Output position `(oy, ox)` into `dst` (`c` values): the `KH × KW` input pixels under the
    /// window (or zeros: the centred padding), as vectors of four channels cut to the same
    /// length so that the loop over the channels has no bounds checks; per group of four
    /// channels, the sum of the products in registers, requantized and stored.
    #[inline(always)]
    fn position<const KH: usize, const KW: usize, const SIGNED: bool>(
        &self,
        x: &[f32],
        zeros: &[f32],
        (oy, ox): (usize, usize),
        dst: &mut [f32],
    ) {
        let g = &self.geometry;
        let c = self.channels;
        let n = c / 4;
        let rows: [Option<usize>; KH] = std::array::from_fn(|ky| g.input_at(0, oy, ky));
        let columns: [Option<usize>; KW] = std::array::from_fn(|kx| g.input_at(1, ox, kx));
        let xs: [[&[f32]; KW]; KH] =
            std::array::from_fn(|ky| std::array::from_fn(|kx| self.pixel(x, zeros, rows[ky], columns[kx])));
        let xq = xs.map(|row| row.map(|s| s.as_chunks::<4>().0));
        let (dq, rest) = dst.as_chunks_mut::<4>();
        if xq.iter().flatten().any(|s| s.len() < n) || dq.len() < n {
            return;
        }
        // Every slice exactly `n` long: the indexing below by `q < n` needs no checks.
        let xq = xq.map(|row| row.map(|s| s.split_at(n).0));
        let params = self.packed.as_chunks::<4>().0;
        for (q, (d, ws)) in dq.iter_mut().zip(params.chunks_exact(KH * KW + 1)).enumerate() {
            let mut acc = f4::load(&ws[0]);
            for ky in 0..KH {
                for kx in 0..KW {
                    acc = f4::add(acc, f4::mul(f4::load(&xq[ky][kx][q]), f4::load(&ws[1 + ky * KW + kx])));
                }
            }
            self.finish::<SIGNED>(acc, d);
        }
        // The channels past the last group of four.
        for (ch, d) in (4 * n..c).zip(rest) {
            let mut acc = self.bias.get(ch).copied().unwrap_or(0.0);
            for (t, xs) in xs.iter().flatten().enumerate() {
                let w = self.weights.get(t * c + ch).copied().unwrap_or(0.0);
                acc += xs.get(ch).copied().unwrap_or(0.0) * w;
            }
            *d = self.requant.exact_centred(acc);
        }
    }

    /// Any window: per output position, the sums accumulate in the output over the taps
    /// inside the input (channels inner), then are requantized there.
    fn apply_any<const SIGNED: bool>(&self, x: &[f32], out: &mut [f32]) {
        let g = &self.geometry;
        let c = self.channels;
        let [kh, kw] = g.kernel;
        let zeros = vec![0f32; c];
        for (x, out) in self.images(x, out) {
            for (p, dst) in out.chunks_exact_mut(c).enumerate() {
                let (oy, ox) = (p / g.output[1], p % g.output[1]);
                dst.copy_from_slice(&self.bias);
                for t in 0..kh * kw {
                    let xs = self.pixel(x, &zeros, g.input_at(0, oy, t / kw), g.input_at(1, ox, t % kw));
                    let ws = self.weights.get(t * c..(t + 1) * c).unwrap_or(&zeros);
                    for ((d, &x), &w) in dst.iter_mut().zip(xs).zip(ws) {
                        *d += x * w;
                    }
                }
                let (dq, rest) = dst.as_chunks_mut::<4>();
                for d in dq {
                    self.finish::<SIGNED>(f4::load(d), d);
                }
                for d in rest {
                    *d = self.requant.exact_centred(*d);
                }
            }
        }
    }

    /// The requantized centred values of four sums, into `dst`.
    #[inline(always)]
    fn finish<const SIGNED: bool>(&self, acc: f4::F4, dst: &mut [f32; 4]) {
        match self.requant.requant4::<SIGNED>(acc) {
            Some(q) => f4::store(q, dst),
            None => {
                f4::store(acc, dst);
                for v in dst.iter_mut() {
                    *v = self.requant.exact_centred(*v);
                }
            }
        }
    }
}

impl Op for QDepthwise {
    fn name(&self) -> StaticName {
        "QDepthwise".into()
    }

    op_as_typed_op!();
}

impl EvalOp for QDepthwise {
    op_out_of_plan!();

    fn eval(&self, ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let Some(input) = inputs.first() else { bail!("QDepthwise expects one input") };
        let [h, w] = self.geometry.input;
        let &[n, ih, iw, ic] = input.shape() else { bail!("QDepthwise expects an NHWC input") };
        ensure!([ih, iw, ic] == [h, w, self.channels], "QDepthwise expects [n, {h}, {w}, {}]", self.channels);
        let plain = input.try_as_plain_ram()?;
        let x = plain.as_slice::<f32>()?;
        // `apply` writes every output value.
        Ok(tvec!(outputs::output(ctx, &self.output_shape(n), |out| self.apply(x, out))?))
    }

    fn drop_session(&self, session: SessionId, _node_id: usize) {
        outputs::forget(session);
    }
}

impl TypedOp for QDepthwise {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let Some(input) = inputs.first() else { bail!("QDepthwise expects one input") };
        ensure!(input.datum_type == DatumType::F32, "QDepthwise works on f32 centred values");
        let [h, w] = self.geometry.input;
        let [oh, ow] = self.geometry.output;
        let shape = input.shape.as_concrete().map(|s| s.to_vec());
        let Some(&[n, ih, iw, ic]) = shape.as_deref() else { bail!("QDepthwise expects a concrete NHWC input") };
        ensure!([ih, iw, ic] == [h, w, self.channels], "QDepthwise expects [n, {h}, {w}, {}]", self.channels);
        Ok(tvec!(DatumType::F32.fact([n, oh, ow, self.channels])))
    }

    as_op!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tflite::Padding;
    use crate::tract::qint::{mul_by_qm, quantize_multiplier};

    /// TFLite's depthwise convolution (multiplier 1) in i32, requantized, centred.
    fn reference(
        g: &Geometry,
        x: &[i32],
        w: &[i32],
        bias: &[i32],
        (qm, shift): (i32, i32),
        lo: i32,
        hi: i32,
    ) -> Vec<f32> {
        let c = bias.len();
        let [oh, ow] = g.output;
        let [kh, kw] = g.kernel;
        let mut out = Vec::new();
        for oy in 0..oh {
            for ox in 0..ow {
                for ch in 0..c {
                    let mut acc = bias[ch];
                    for ky in 0..kh {
                        for kx in 0..kw {
                            let (Some(iy), Some(ix)) = (g.input_at(0, oy, ky), g.input_at(1, ox, kx)) else { continue };
                            acc += x[(iy * g.input[1] + ix) * c + ch] * w[(ky * kw + kx) * c + ch];
                        }
                    }
                    out.push(mul_by_qm(acc, qm, shift).clamp(lo, hi) as f32);
                }
            }
        }
        out
    }

    /// Every geometry the kernel has paths for (3×3 and 5×5 unrolled, others looped; strides 1
    /// and 2; dilation; SAME and VALID; channels that are and are not multiples of four; widths
    /// with and without interior blocks) against TFLite's integer arithmetic, for multipliers
    /// with signed and unsigned rounding constants and ranges that clamp.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn depthwise_matches_tflite_arithmetic() {
        let mut cases = 0;
        for (kernel, stride, dilation) in [
            ([3, 3], [1, 1], [1, 1]),
            ([3, 3], [2, 2], [1, 1]),
            ([5, 5], [1, 1], [1, 1]),
            ([5, 5], [2, 1], [1, 1]),
            ([3, 3], [1, 1], [2, 2]),
            ([3, 2], [1, 2], [1, 1]),
            ([1, 1], [1, 1], [1, 1]),
        ] {
            for padding in [Padding::Same, Padding::Valid] {
                for (h, w, c) in [(7, 13, 8), (6, 9, 6), (5, 5, 3), (12, 17, 12)] {
                    let window = Window { padding, stride, dilation, kernel };
                    if window.check([h, w]).is_err() {
                        continue;
                    }
                    for (real, (lo, hi)) in [(0.0031, (-128, 127)), (0.21, (-3, 200)), (0.000_9, (0, 255))] {
                        let g = Geometry::new(&window, [h, w]);
                        let taps = kernel[0] * kernel[1];
                        let x: Vec<i32> = (0..h * w * c).map(|i| ((i * 151 + 7) % 511) as i32 - 255).collect();
                        let wt: Vec<i32> = (0..taps * c).map(|i| ((i * 73 + 11) % 511) as i32 - 255).collect();
                        let bias: Vec<i32> = (0..c).map(|i| i as i32 * 997 - 4000).collect();
                        let m = quantize_multiplier(real);
                        let Some(requant) = FloatRequant::tuned(m, lo, hi, 1.0) else {
                            panic!("no f32 path for {m:?}")
                        };
                        let f = |v: &[i32]| v.iter().map(|&v| v as f32).collect::<Vec<_>>();
                        let Some(op) = QDepthwise::new(f(&wt), f(&bias), g, requant) else { panic!("no operator") };
                        let mut got = vec![f32::NAN; g.output[0] * g.output[1] * c];
                        op.apply(&f(&x), &mut got);
                        let want = reference(&g, &x, &wt, &bias, m, lo, hi);
                        assert_eq!(got, want, "{g:?} channels {c} multiplier {m:?}");
                        cases += 1;
                    }
                }
            }
        }
        assert!(cases > 100, "{cases} cases");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn geometry_is_tflite_padding() {
        let same = |k, s, d| Window { padding: Padding::Same, stride: [s, s], dilation: [d, d], kernel: [k, k] };
        // 112 with 3×3 stride 2: 56 outputs, total padding 1, all of it after.
        let g = Geometry::new(&same(3, 2, 1), [112, 112]);
        assert_eq!((g.output, g.pad), ([56, 56], [0, 0]));
        // Stride 1: one before, one after.
        let g = Geometry::new(&same(3, 1, 1), [14, 14]);
        assert_eq!((g.output, g.pad), ([14, 14], [1, 1]));
        // Dilation 2: a 5-wide field, two before.
        let g = Geometry::new(&same(3, 1, 2), [10, 10]);
        assert_eq!((g.output, g.pad), ([10, 10], [2, 2]));
        let valid = Window { padding: Padding::Valid, stride: [2, 2], dilation: [1, 1], kernel: [3, 3] };
        let g = Geometry::new(&valid, [9, 8]);
        assert_eq!((g.output, g.pad), ([4, 3], [0, 0]));
    }

    /// MobileNetV2's 17 depthwise layers (3×3) on this kernel, against what it replaces: tract's
    /// f32 depthwise convolution followed by `Requant` (its f32 path), both as optimised tract
    /// plans, measured in the same run; and each shape's kernel alone against writing its
    /// output. Ignored by `cargo test`: `scripts/bench-kernels.sh` runs it in headless Chromium
    /// (the SIMD worker's build).
    #[cfg(target_arch = "wasm32")]
    #[wasm_bindgen_test::wasm_bindgen_test]
    #[ignore]
    fn depthwise_speed() {
        use crate::tflite::TensorKind;
        use crate::tract::qint::Q8;
        use crate::tract::timing;
        use tract_core::ops::cnn::{Conv, KernelFormat};
        // (input side, channels, stride, layers of that shape)
        let shapes = [
            (112, 32, 1, 1),
            (112, 96, 2, 1),
            (56, 144, 1, 1),
            (56, 144, 2, 1),
            (28, 192, 1, 2),
            (28, 192, 2, 1),
            (14, 384, 1, 4),
            (14, 576, 1, 2),
            (14, 576, 2, 1),
            (7, 960, 1, 3),
        ];
        let out = Q8 { scale: 0.023, zero_point: 0, kind: TensorKind::UInt8 };
        let m = quantize_multiplier(0.000_31);
        let (lo, hi) = (0, 255);
        let Some(float) = FloatRequant::tuned(m, lo, hi, 1.0) else { panic!("no f32 path") };
        let mut plans = Vec::new();
        wasm_bindgen_test::console_log!("| layer | kernel ms | writing the output ms | ratio |");
        wasm_bindgen_test::console_log!("|---|---:|---:|---:|");
        for (side, c, stride, count) in shapes {
            let window = Window { padding: Padding::Same, stride: [stride; 2], dilation: [1; 2], kernel: [3, 3] };
            let weights: Vec<f32> = (0..9 * c).map(|i| ((i * 37 % 255) as i32 - 127) as f32).collect();
            let bias: Vec<f32> = (0..c).map(|i| i as f32 * 10.0 - 500.0).collect();
            let xs: Vec<f32> = (0..side * side * c).map(|i| ((i * 13 % 255) as i32 - 127) as f32).collect();
            let x = Tensor::from_shape(&[1, side, side, c], &xs).unwrap();
            let g = Geometry::new(&window, [side, side]);
            let op = QDepthwise::new(weights.clone(), bias.clone(), g, float).unwrap();
            let ours = timing::plan_of([1, side, side, c], op.clone());
            let conv =
                Conv { pool_spec: window.pool_spec(c, c), kernel_fmt: KernelFormat::HWIO, group: c, q_params: None };
            let theirs = timing::tract_conv_requant(
                [1, side, side, c],
                conv,
                (&[3, 3, c, 1], &weights),
                &bias,
                (m, out, lo, hi),
            );
            // Same values (the test above checks them against TFLite's arithmetic).
            timing::assert_same_values(&ours, &theirs, &x, &format!("{side} {c} {stride}"));
            // The kernel alone on slices (no plan, no tensors), against writing its output.
            let mut got = vec![0f32; g.output[0] * g.output[1] * c];
            let [kernel, write] =
                timing::best_of(|s, n| if s == 0 { op.apply(&xs, &mut got) } else { got.fill(n as f32) });
            wasm_bindgen_test::console_log!(
                "| {side}×{side}×{c}, stride {stride} | {kernel:.3} | {write:.3} | {:.1}× |",
                kernel / write.max(0.001)
            );
            for _ in 0..count {
                plans.push((ours.clone(), theirs.clone(), x.clone()));
            }
        }
        let best = timing::best_of(|side, _| {
            for (ours, theirs, x) in &plans {
                let plan = if side == 0 { ours } else { theirs };
                assert!(plan.run(tvec!(x.clone().into_tvalue())).is_ok());
            }
        });
        let [ours, theirs] = best;
        wasm_bindgen_test::console_log!(
            "| QDepthwise, MobileNetV2's 17 layers | {ours:.3} ms | tract depthwise + Requant {theirs:.3} ms | {:.2}× |",
            ours / theirs.max(0.001)
        );
    }
}
