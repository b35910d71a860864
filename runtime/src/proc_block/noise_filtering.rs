//! `noise-filtering` (v0.11.3): TF-Lite Micro's noise reduction and PCAN gain control with a
//! stateful per-bin noise estimate, then `log2(x + 1)` and min-max scaling to i8.
//!
//! Reproduced exactly, quirks included (spec §6.4):
//! * the estimate update keeps the full `1 << 14` weight on the old estimate (not
//!   `(1 << 14) - smoothing` as in TensorFlow), so the estimate only ever grows;
//! * `x << smoothing_bits` wraps in u32 before being widened;
//! * the gain look-up table is built by `Default` and rebuilt only when strength, offset or
//!   gain_bits change (with the smoothing_bits of that moment);
//! * the gain is sign-extended from i16 to u32, and `shrink` wraps;
//! * the final `as i8` saturates and maps NaN (a constant input) to 0.
//!
//! Integer overflows wrap, as in the original's release build.
use super::{Configure, error, parse_arg, shaped, take_inputs, unknown_arg, unsupported};
use crate::ElementType::{I8, U32};
use crate::TensorType;
use crate::catalog::{ArgSpec, ArgType, Inputs, OutPort, Outputs, Port, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorData};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "noise_filtering",
    type_name: "NoiseFiltering",
    description: "TF-Lite Micro noise reduction and PCAN gain control (stateful), log-scaled to i8.",
    args: &[
        ArgSpec { name: "strength", ty: ArgType::F32, default: Some("0.95"), doc: "PCAN strength" },
        ArgSpec { name: "offset", ty: ArgType::F32, default: Some("80"), doc: "PCAN offset" },
        ArgSpec { name: "gain_bits", ty: ArgType::I32, default: Some("21"), doc: "PCAN gain bits" },
        ArgSpec { name: "smoothing_bits", ty: ArgType::U32, default: Some("10"), doc: "noise estimate smoothing bits" },
        ArgSpec { name: "even_smoothing", ty: ArgType::F32, default: Some("0.025"), doc: "smoothing of even bins" },
        ArgSpec { name: "odd_smoothing", ty: ArgType::F32, default: Some("0.06"), doc: "smoothing of odd bins" },
        ArgSpec {
            name: "min_signal_remaining",
            ty: ArgType::F32,
            default: Some("0.05"),
            doc: "floor of the remaining signal",
        },
    ],
    inputs: Inputs::Fixed(&[Port { name: "spectrogram", types: &[U32] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(I8)]),
    check_shapes: Some(check),
    create: super::create::<NoiseFiltering>,
};

fn check(_inputs: &[TensorType], outputs: &[TensorType], _args: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    match outputs.first() {
        Some(out) if out.dimensions.len() != 2 || out.dimensions[0] != 1 => {
            vec![format!("noise-filtering only supports outputs of the form [1, _], not {out}")]
        }
        _ => Vec::new(),
    }
}

/// `NOISE_REDUCTION_BITS`: the fixed-point scale of the smoothing coefficients.
const NOISE_REDUCTION_BITS: u32 = 14;
const WIDE_DYNAMIC_FUNCTION_BITS: usize = 32;
const WIDE_DYNAMIC_FUNCTION_LUT_SIZE: usize = 4 * WIDE_DYNAMIC_FUNCTION_BITS - 3;
const PCAN_SNR_BITS: i32 = 12;
const PCAN_OUTPUT_BITS: i32 = 6;
const SMOOTHING_BITS: u32 = 10;
const CORRECTION_BITS: i32 = -1;

/// A float in 0..=1 stored as `(x.clamp(0, 1) * 2^14) as u16` (the original's `ScaledU16`).
fn scaled_u16(value: f32) -> u16 {
    (value.clamp(0.0, 1.0) * (1u32 << NOISE_REDUCTION_BITS) as f32) as u16
}

/// The PCAN configuration the look-up table depends on.
#[derive(Debug, Clone, Copy, PartialEq)]
struct GainConfig {
    strength: f32,
    offset: f32,
    gain_bits: i32,
}

const DEFAULT_GAIN: GainConfig = GainConfig { strength: 0.95, offset: 80.0, gain_bits: 21 };

/// The gain-control state: the look-up table of the wide dynamic function.
#[derive(Debug, Clone, PartialEq)]
struct GainState {
    lut: Vec<i16>,
    snr_shift: i32,
    config: GainConfig,
}

impl GainState {
    fn new(config: GainConfig, smoothing_bits: u16) -> GainState {
        let mut lut = vec![0i16; WIDE_DYNAMIC_FUNCTION_LUT_SIZE];
        let snr_shift = config.gain_bits.wrapping_sub(CORRECTION_BITS).wrapping_sub(PCAN_SNR_BITS);
        let input_bits = i32::from(smoothing_bits) - CORRECTION_BITS;
        lut[0] = gain_lookup(config, input_bits, 0);
        lut[1] = gain_lookup(config, input_bits, 1);
        for interval in 2..=WIDE_DYNAMIC_FUNCTION_BITS {
            let x0: u32 = 1 << (interval - 1);
            let x1 = x0 + (x0 >> 1);
            let x2 = if interval == WIDE_DYNAMIC_FUNCTION_BITS { x0 + (x0 - 1) } else { 2 * x0 };
            let y0 = gain_lookup(config, input_bits, x0);
            let y1 = gain_lookup(config, input_bits, x1);
            let y2 = gain_lookup(config, input_bits, x2);
            let diff1 = y1.wrapping_sub(y0);
            let diff2 = y2.wrapping_sub(y0);
            let a1 = diff1.wrapping_mul(4).wrapping_sub(diff2);
            let a2 = diff2.wrapping_sub(a1);
            let offset = 4 * interval - 6;
            lut[offset] = y0;
            lut[offset + 1] = a1;
            lut[offset + 2] = a2;
        }
        GainState { lut, snr_shift, config }
    }

    /// Rebuilds the table when the config changed (`smoothing_bits` alone does not count).
    fn update(&mut self, config: GainConfig, smoothing_bits: u16) {
        if self.config != config {
            *self = GainState::new(config, smoothing_bits);
        }
    }

    /// Applies the gain to each (noise-reduced) value, using the noise estimate.
    fn apply(&self, signal: &mut [u32], estimate: &[u32]) {
        for (value, &noise) in signal.iter_mut().zip(estimate) {
            // Sign extension from i16, as `as u32` does in the original.
            let gain = wide_dynamic_function(noise, &self.lut) as i32 as u32;
            let snr = (u64::from(*value) * u64::from(gain)).wrapping_shr(self.snr_shift as u32);
            *value = shrink(snr as u32);
        }
    }
}

/// `g(x) = min(2^gain_bits * (x / 2^input_bits + offset)^-strength, 32767) + 0.5`, in f32.
fn gain_lookup(config: GainConfig, input_bits: i32, x: u32) -> i16 {
    let x = x as f32 / 1i32.wrapping_shl(input_bits as u32) as f32;
    let gain = 1i32.wrapping_shl(config.gain_bits as u32) as f32 * (x + config.offset).powf(-config.strength);
    let gain = f32::min(gain, f32::from(i16::MAX));
    (gain + 0.5) as i16
}

fn wide_dynamic_function(x: u32, lut: &[i16]) -> i16 {
    let at = |i: usize| lut.get(i).copied().unwrap_or(0);
    if x <= 2 {
        return at(x as usize);
    }
    let interval = 32 - x.leading_zeros();
    let offset = 4 * interval as usize - 6;
    let frac = if interval < 11 { x << (11 - interval) } else { x >> (interval - 11) };
    let frac = i32::from((frac & 0x3ff) as i16);
    let mut result = (i32::from(at(offset + 2)).wrapping_mul(frac)) >> 5;
    result = result.wrapping_add(((at(offset + 1) as i32 as u32) << 5) as i32);
    result = result.wrapping_mul(frac);
    result = result.wrapping_add(1 << 14) >> 15;
    result = result.wrapping_add(i32::from(at(offset)));
    result as i16
}

fn shrink(snr: u32) -> u32 {
    if snr < (2 << PCAN_SNR_BITS) {
        snr.wrapping_mul(snr) >> (2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS)
    } else {
        (snr >> (PCAN_SNR_BITS - PCAN_OUTPUT_BITS)).wrapping_sub(1 << PCAN_OUTPUT_BITS)
    }
}

/// The noise-reduction settings.
#[derive(Debug, Clone, Copy, PartialEq)]
struct NoiseReduction {
    smoothing_bits: u32,
    even_smoothing: u16,
    odd_smoothing: u16,
    min_signal_remaining: u16,
}

impl NoiseReduction {
    /// Reduces the noise of `signal` in place, updating the estimate (resized to the signal).
    fn apply(&self, signal: &mut [u32], estimate: &mut Vec<u32>) {
        estimate.resize(signal.len(), 0);
        let one_minus_smoothing: u64 = 1 << NOISE_REDUCTION_BITS;
        for (i, (value, est)) in signal.iter_mut().zip(estimate.iter_mut()).enumerate() {
            let smoothing = u64::from(if i % 2 == 0 { self.even_smoothing } else { self.odd_smoothing });
            let scaled_up = u64::from(value.wrapping_shl(self.smoothing_bits));
            let mut e = (scaled_up * smoothing + u64::from(*est) * one_minus_smoothing) >> NOISE_REDUCTION_BITS;
            *est = e as u32;
            e = e.min(scaled_up);
            let floor = (u64::from(*value) * u64::from(self.min_signal_remaining)) >> NOISE_REDUCTION_BITS;
            let subtracted = (scaled_up - e).wrapping_shr(self.smoothing_bits);
            *value = floor.max(subtracted) as u32;
        }
    }
}

#[derive(Debug)]
struct NoiseFiltering {
    gain: GainConfig,
    gain_state: GainState,
    reduction: NoiseReduction,
    estimate: Vec<u32>,
}

impl Default for NoiseFiltering {
    fn default() -> Self {
        NoiseFiltering {
            gain: DEFAULT_GAIN,
            gain_state: GainState::new(DEFAULT_GAIN, SMOOTHING_BITS as u16),
            reduction: NoiseReduction {
                smoothing_bits: SMOOTHING_BITS,
                even_smoothing: scaled_u16(0.025),
                odd_smoothing: scaled_u16(0.06),
                min_signal_remaining: scaled_u16(0.05),
            },
            estimate: Vec::new(),
        }
    }
}

impl Configure for NoiseFiltering {
    fn set(&mut self, key: &str, value: &str) -> Result<(), ProcBlockError> {
        match key {
            "strength" => self.gain.strength = parse_arg(key, value)?,
            "offset" => self.gain.offset = parse_arg(key, value)?,
            "gain_bits" => self.gain.gain_bits = parse_arg(key, value)?,
            "smoothing_bits" => self.reduction.smoothing_bits = parse_arg(key, value)?,
            "even_smoothing" => self.reduction.even_smoothing = scaled_u16(parse_arg(key, value)?),
            "odd_smoothing" => self.reduction.odd_smoothing = scaled_u16(parse_arg(key, value)?),
            "min_signal_remaining" => self.reduction.min_signal_remaining = scaled_u16(parse_arg(key, value)?),
            _ => return Err(unknown_arg(key)),
        }
        Ok(())
    }
}

impl NoiseFiltering {
    /// Noise reduction and gain control, before the log scaling.
    fn amplify(&mut self, input: &[u32]) -> Vec<u32> {
        let mut signal = input.to_vec();
        self.reduction.apply(&mut signal, &mut self.estimate);
        let smoothing_bits = self.reduction.smoothing_bits as u16;
        self.gain_state.update(self.gain, smoothing_bits);
        self.gain_state.apply(&mut signal, &self.estimate);
        signal
    }
}

impl ProcBlock for NoiseFiltering {
    fn transform(&mut self, inputs: &[Tensor], _outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        let [input] = take_inputs::<1>("noise_filtering", inputs)?;
        let TensorData::U32(values) = input.data() else { return Err(unsupported("noise_filtering", input)) };
        let dims = input.dimensions();
        if !matches!(dims, [1, _]) {
            return Err(error(format!("This transform only supports outputs of the form [1, _], not {dims:?}")));
        }
        let amplified: Vec<f64> = self.amplify(values).into_iter().map(|e| (f64::from(e) + 1.0).log2()).collect();
        let (min, max) =
            amplified.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        let out = amplified.iter().map(|&e| ((255.0 * (e - min) / (max - min)) - 128.0) as i8).collect();
        Ok(vec![shaped(dims.to_vec(), TensorData::I8(out))?])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::TensorData::{I8, U32};

    #[test]
    fn scaled_u16_properties() {
        let nf = NoiseFiltering::default();
        assert_eq!(
            (nf.reduction.even_smoothing, nf.reduction.odd_smoothing, nf.reduction.min_signal_remaining),
            (409, 983, 819)
        );
        assert_eq!(scaled_u16(0.5), 8192);
        assert_eq!(scaled_u16(7.0), 16384);
        assert_eq!(scaled_u16(-1.0), 0);
    }

    /// TensorFlow's `noise_reduction_test.cc` vectors, as in the original's tests.
    #[test]
    fn noise_reduction_test_vectors() {
        let nf = NoiseFiltering::default();
        let mut signal = vec![247311, 508620];
        let mut estimate = Vec::new();
        nf.reduction.apply(&mut signal, &mut estimate);
        assert_eq!(estimate, [6321887, 31248341]);
        assert_eq!(signal, [241137, 478104]);
    }

    /// TensorFlow's `pcan_gain_control_test.cc` vectors, as in the original's tests.
    #[test]
    fn gain_control_test_vectors() {
        let state = GainState::new(DEFAULT_GAIN, SMOOTHING_BITS as u16);
        let mut signal = vec![241137, 478104];
        state.apply(&mut signal, &[6321887, 31248341]);
        assert_eq!(signal, [3578, 1533]);
        assert_eq!(wide_dynamic_function(6321887, &state.lut), 990);
        assert_eq!(wide_dynamic_function(31248341, &state.lut), 219);
    }

    /// The original's `initialize_state` test: the whole look-up table.
    #[test]
    fn gain_lookup_table() {
        let state = GainState::new(DEFAULT_GAIN, SMOOTHING_BITS as u16);
        assert_eq!(state.snr_shift, 10);
        #[rustfmt::skip]
        let lut: [i16; 125] = [
            32636, 32636, 32635, 0, 0, 0, 32635, 1, -2, 0, 32634, 1, -2, 0,
            32633, -5, 2, 0, 32630, -6, 0, 0, 32624, -12, 0, 0, 32612, -23,
            -2, 0, 32587, -48, 0, 0, 32539, -96, 0, 0, 32443, -190, 0, 0,
            32253, -378, 4, 0, 31879, -739, 18, 0, 31158, -1409, 62, 0,
            29811, -2567, 202, 0, 27446, -4301, 562, 0, 23707, -6265, 1230,
            0, 18672, -7458, 1952, 0, 13166, -7030, 2212, 0, 8348, -5342,
            1868, 0, 4874, -3459, 1282, 0, 2697, -2025, 774, 0, 1446,
            -1120, 436, 0, 762, -596, 232, 0, 398, -313, 122, 0, 207, -164,
            64, 0, 107, -85, 34, 0, 56, -45, 18, 0, 29, -22, 8, 0, 15, -13,
            6, 0, 8, -8, 4, 0, 4, -2, 0,
        ];
        assert_eq!(state.lut, lut);
    }

    /// The original's `smoke_test`: a microspeech fft output through `NoiseFiltering::default()`.
    #[test]
    fn smoke_test_golden_vector() {
        let (input, expected) = smoke_vectors();
        assert_eq!((input.len(), expected.len()), (1960, 1960));
        let out = run1("noise_filtering", &[], t(&[1, 1960], U32(input))).unwrap();
        assert_eq!(out.dimensions(), [1, 1960]);
        let I8(got) = out.into_data() else { panic!() };
        let wrong: Vec<usize> = (0..1960).filter(|&i| got[i] != expected[i]).collect();
        assert!(wrong.is_empty(), "{} differ, first at {:?}", wrong.len(), wrong.first());
    }

    #[test]
    fn the_estimate_is_state() {
        let (input, _) = smoke_vectors();
        let mut block = instance("noise_filtering", &[]).unwrap();
        let input = t(&[1, 1960], U32(input));
        let first = block.transform(std::slice::from_ref(&input), &[]).unwrap();
        let second = block.transform(std::slice::from_ref(&input), &[]).unwrap();
        assert_ne!(first, second, "the second call sees the grown noise estimate");
    }

    #[test]
    fn shape_errors_and_constant_inputs() {
        let err = err1("noise_filtering", &[], v(U32(vec![1, 2, 3])));
        assert_eq!(err, "This transform only supports outputs of the form [1, _], not [3]");
        let err = err1("noise_filtering", &[], t(&[2, 1], U32(vec![1, 2])));
        assert_eq!(err, "This transform only supports outputs of the form [1, _], not [2, 1]");
        // All-equal results give NaN, which `as i8` turns into 0.
        let out = run1("noise_filtering", &[], t(&[1, 4], U32(vec![0; 4]))).unwrap();
        assert_eq!(out.into_data(), I8(vec![0; 4]));
        assert!(run1("noise_filtering", &[], t(&[1, 0], U32(vec![]))).unwrap().is_empty());
    }

    #[test]
    fn args_and_table_rebuilds() {
        assert!(instance("noise_filtering", &[("gain_bits", "1.5")]).is_err());
        assert!(instance("noise_filtering", &[("smoothing_bits", "-1")]).is_err());
        let mut nf = NoiseFiltering::default();
        nf.set("smoothing_bits", "12").unwrap();
        nf.amplify(&[5, 6]);
        assert_eq!(nf.gain_state, GainState::new(DEFAULT_GAIN, 10), "smoothing_bits alone does not rebuild");
        nf.set("strength", "0.5").unwrap();
        nf.amplify(&[5, 6]);
        let config = GainConfig { strength: 0.5, ..DEFAULT_GAIN };
        assert_eq!(nf.gain_state, GainState::new(config, 12));
        // Huge smoothing_bits wrap instead of panicking.
        nf.set("smoothing_bits", "40").unwrap();
        nf.set("gain_bits", "99").unwrap();
        assert_eq!(nf.amplify(&[u32::MAX, 1]).len(), 2);
    }
}
