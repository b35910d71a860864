//! `fft` (v0.11.3, `ShortTimeFourierTransform`): the microspeech front end. i16 samples become a
//! 49-frame short-time power spectrum, a 40-band mel spectrogram, its square root, min-max scaled
//! to `0..=65536` as u32, frame-major `[1, 1960]` (index = frame · 40 + band).
//!
//! Written from the description in the spec (§6.3); the original's helper crate `sonogram` is
//! GPL and is not used or ported. The quirks that matter for bit-faithful output are kept:
//! * the hop is `⌊bins · (1 − window_overlap)⌋` computed in f32 (159 for the defaults) and the
//!   odd padding/frame-count rules select 49 of the frames (`⌊j⌋ · hop`, j += frames / 49);
//! * each frame is zero-extended to the next power of two P and the Hann window spans all P
//!   samples (`0.5 · (1 − cos(2πk / (P − 1)))`, f32);
//! * a radix-2 f32 FFT whose twiddles are `cos/sin(2π · (−m) / size)` with m the absolute index;
//! * the power spectrum is sampled at bins `⌊r / 241 · P/2⌋` for r = 0..241 (the 256 lowest bins
//!   for the default 480-sample window), with no log;
//! * the mel matrix (40 × 241, f64) is hard-wired for 16 kHz and a 480-sample window, whatever
//!   `sample_rate` and `bins` say; `sample_rate` has no effect at all;
//! * a constant spectrum scales as NaN, which `as u32` turns into 0.
//!
//! An input too short to give 49 frames (only an empty one, with these rules) is an error where
//! the original panicked with an index out of bounds.
use std::f32::consts::PI;

use super::{Configure, error, index_out_of_bounds, parse_arg, shaped, take_inputs, unknown_arg, unsupported};
use crate::ElementType::{I16, U32};
use crate::TensorType;
use crate::catalog::{ArgSpec, ArgType, Inputs, OutPort, Outputs, Port, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorData};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "fft",
    type_name: "Fft",
    description: "Short-time Fourier transform to a 49 x 40 mel spectrogram, scaled to 0..65536 (microspeech front end).",
    args: &[
        ArgSpec {
            name: "sample_rate",
            ty: ArgType::U32,
            default: Some("16000"),
            doc: "sample rate (no effect on the output)",
        },
        ArgSpec { name: "bins", ty: ArgType::Usize, default: Some("480"), doc: "window length" },
        ArgSpec {
            name: "window_overlap",
            ty: ArgType::F32,
            default: Some("0.6666667"),
            doc: "overlap between windows",
        },
    ],
    inputs: Inputs::Fixed(&[Port { name: "samples", types: &[I16] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(U32)]),
    check_shapes: Some(check),
    create: super::create::<Fft>,
};

fn check(inputs: &[TensorType], outputs: &[TensorType], _args: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(out) = outputs.first()
        && out.element_count() != Some(1960)
    {
        problems.push(format!(
            "fft always produces 1960 values (49 frames x 40 mel bands), but the output is declared as {out}"
        ));
    }
    if let Some(input) = inputs.first()
        && input.element_count().is_some_and(|n| n < 16000)
    {
        problems.push(format!("fft needs at least 16000 samples for its 49 frames, but its input is {input}"));
    }
    problems
}

/// Frames in the spectrogram (its width).
const FRAMES: usize = 49;
/// Rows of the sampled power spectrum (its height).
const SPECTRUM_ROWS: usize = 241;
/// Mel filters.
const FILTERS: usize = 40;
/// The mel matrix's hard-wired parameters.
const MEL_SAMPLE_RATE: f64 = 16000.0;
const MEL_WINDOW: f64 = 480.0;
/// The largest FFT this block agrees to run (the original would run out of memory).
const MAX_FFT: usize = 1 << 22;

#[derive(Debug)]
struct Fft {
    /// Parsed and kept, never used (as in the original).
    #[allow(dead_code)]
    sample_rate: u32,
    bins: usize,
    window_overlap: f32,
    /// `FILTERS x SPECTRUM_ROWS`, row-major.
    mel: Vec<f64>,
}

impl Default for Fft {
    fn default() -> Self {
        Fft { sample_rate: 16000, bins: 480, window_overlap: 0.6666667, mel: mel_matrix() }
    }
}

impl Configure for Fft {
    fn set(&mut self, key: &str, value: &str) -> Result<(), ProcBlockError> {
        match key {
            "sample_rate" => self.sample_rate = parse_arg(key, value)?,
            "bins" => self.bins = parse_arg(key, value)?,
            "window_overlap" => self.window_overlap = parse_arg(key, value)?,
            _ => return Err(unknown_arg(key)),
        }
        Ok(())
    }
}

impl ProcBlock for Fft {
    fn transform(&mut self, inputs: &[Tensor], _outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        let [input] = take_inputs::<1>("fft", inputs)?;
        let TensorData::I16(samples) = input.data() else { return Err(unsupported("fft", input)) };
        let spectrogram = self.spectrogram(samples)?;
        let out = self.mel_scale(&spectrogram);
        Ok(vec![shaped(vec![1, out.len()], TensorData::U32(out))?])
    }
}

impl Fft {
    /// The sampled power spectrum: `SPECTRUM_ROWS` rows of `FRAMES` values, row-major.
    fn spectrogram(&self, samples: &[i16]) -> Result<Vec<f32>, ProcBlockError> {
        let len = self.bins;
        let hop = (len as f32 * (1.0 - self.window_overlap)) as usize;
        if hop == 0 {
            return Err(error(format!(
                "fft can't step through the samples: bins = {len} and window_overlap = {} leave a hop of 0 samples",
                self.window_overlap
            )));
        }
        let size = len.max(2).checked_next_power_of_two().filter(|&p| p <= MAX_FFT).ok_or_else(|| {
            error(format!("fft can't use {len} bins (the largest supported window is {MAX_FFT} samples)"))
        })?;

        // Zero padding: advance by hops while a whole window still fits before the end, then
        // make room for one more window.
        let n = samples.len();
        let mut padded_len = 0usize;
        while padded_len.saturating_add(len) < n {
            padded_len = padded_len.saturating_add(hop);
        }
        if padded_len != n {
            padded_len = padded_len.saturating_add(len);
        }
        if padded_len > crate::MAX_ELEMENTS {
            return Err(error(format!("fft would have to pad its {n} samples to {padded_len}")));
        }
        let mut data: Vec<f32> = samples.iter().map(|&s| f32::from(s)).collect();
        data.resize(padded_len.max(n), 0.0);

        // Frame count, with the original's off-by-one when the hops land exactly on the end.
        let (mut i, mut count) = (0usize, 0usize);
        while i.saturating_add(len) <= padded_len {
            i = i.saturating_add(hop);
            count += 1;
        }
        if i == padded_len {
            count = count.checked_sub(1).ok_or_else(|| index_out_of_bounds(0, 0))?;
        }

        // Pick FRAMES of them, evenly spaced in f32.
        let ratio = count as f32 / FRAMES as f32;
        let mut starts = Vec::with_capacity(FRAMES + 1);
        let mut j = 0.0f32;
        while j < count as f32 && starts.len() <= FRAMES {
            starts.push((j as usize).saturating_mul(hop));
            j += ratio;
        }
        if starts.len() < FRAMES {
            return Err(index_out_of_bounds(starts.len(), starts.len()));
        }
        starts.truncate(FRAMES);

        let window = hann(size);
        let half = size / 2;
        let rows: Vec<usize> =
            (0..SPECTRUM_ROWS).map(|r| (r as f32 / SPECTRUM_ROWS as f32 * half as f32) as usize).collect();
        let mut spectrogram = vec![0.0f32; SPECTRUM_ROWS * FRAMES];
        let mut buffer = vec![(0.0f32, 0.0f32); size];
        for (t, &start) in starts.iter().enumerate() {
            let end = start.saturating_add(len);
            let frame = data.get(start..end).ok_or_else(|| index_out_of_bounds(end, data.len()))?;
            for (k, slot) in buffer.iter_mut().enumerate() {
                let sample = frame.get(k).copied().unwrap_or(0.0);
                *slot = (sample * window[k], 0.0);
            }
            fft_in_place(&mut buffer);
            for (r, &bin) in rows.iter().enumerate() {
                let (re, im) = buffer.get(bin).copied().ok_or_else(|| index_out_of_bounds(bin, size))?;
                spectrogram[r * FRAMES + t] = re * re + im * im;
            }
        }
        Ok(spectrogram)
    }

    /// Mel filtering, square root and min-max scaling, frame-major.
    fn mel_scale(&self, spectrogram: &[f32]) -> Vec<u32> {
        let mut energies = vec![0.0f64; FRAMES * FILTERS];
        for t in 0..FRAMES {
            for k in 0..FILTERS {
                let filter = &self.mel[k * SPECTRUM_ROWS..(k + 1) * SPECTRUM_ROWS];
                let sum: f64 =
                    filter.iter().enumerate().map(|(r, &w)| w * f64::from(spectrogram[r * FRAMES + t])).sum();
                energies[t * FILTERS + k] = sum.sqrt();
            }
        }
        let lo = energies.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = energies.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        energies.iter().map(|&e| (65536.0 * (e - lo) / (hi - lo)) as u32).collect()
    }
}

/// A Hann window over all `size` samples of the (zero-extended) frame, in f32.
fn hann(size: usize) -> Vec<f32> {
    let denominator = (size - 1) as f32;
    (0..size).map(|k| 0.5 * (1.0 - (2.0 * PI * k as f32 / denominator).cos())).collect()
}

/// An iterative radix-2 decimation-in-time FFT (forward, unnormalised) of a power-of-two
/// length, in f32. Twiddles are computed from the absolute index `m` of each butterfly,
/// `e^{-2πi·m/size}`, as in the original (equal to the usual in-group index mathematically).
fn fft_in_place(x: &mut [(f32, f32)]) {
    let n = x.len();
    if n < 2 {
        return;
    }
    let bits = n.trailing_zeros();
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if j > i {
            x.swap(i, j);
        }
    }
    let mut size = 2;
    while size <= n {
        let half = size / 2;
        for start in (0..n).step_by(size) {
            for m in start..start + half {
                let angle = 2.0 * PI * -(m as f32) / size as f32;
                let (w_re, w_im) = (angle.cos(), angle.sin());
                let (b_re, b_im) = x[m + half];
                let t = (w_re * b_re - w_im * b_im, w_re * b_im + w_im * b_re);
                let a = x[m];
                x[m] = (a.0 + t.0, a.1 + t.1);
                x[m + half] = (a.0 - t.0, a.1 - t.1);
            }
        }
        size *= 2;
    }
}

/// The 40 x 241 triangular mel filter bank (row-major, f64): 42 points evenly spaced in mel
/// between 16000/480 Hz and 8000 Hz; filter k spans points k..k+2 over the columns
/// `⌊hz / 8000 · 241⌋`, with the weights `(1 − |(q − (w−1)/2) / (w/2)|) / w`.
fn mel_matrix() -> Vec<f64> {
    let columns = SPECTRUM_ROWS;
    let min_hz = MEL_SAMPLE_RATE / MEL_WINDOW;
    let max_hz = MEL_SAMPLE_RATE / 2.0;
    let mel = |hz: f64| 2595.0 * (1.0 + hz / 700.0).log10();
    let hz = |mel: f64| 700.0 * (10f64.powf(mel / 2595.0) - 1.0);
    let (low, high) = (mel(min_hz), mel(max_hz));
    let step = (high - low) / (FILTERS + 1) as f64;
    let point = |i: usize| low + step * i as f64;
    let column = |mel: f64| (hz(mel) / max_hz * columns as f64).floor() as usize;

    let mut matrix = vec![0.0; FILTERS * columns];
    for k in 0..FILTERS {
        let start = column(point(k));
        let end = column(point(k + 2));
        let width = end.saturating_sub(start).max(1);
        for q in 0..width {
            let col = start + q;
            if col >= columns {
                break;
            }
            let triangle = 1.0 - ((q as f64 - (width - 1) as f64 / 2.0) / (width as f64 / 2.0)).abs();
            matrix[k * columns + col] = triangle / width as f64;
        }
    }
    matrix
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::TensorData::{I16, U32};

    fn fft(samples: Vec<i16>) -> Vec<u32> {
        let n = samples.len();
        let out = run1("fft", &[], t(&[1, n], I16(samples))).unwrap();
        assert_eq!(out.dimensions(), [1, 1960]);
        let U32(values) = out.into_data() else { panic!() };
        values
    }

    fn tone(freq: f32, amplitude: f32) -> Vec<i16> {
        (0..16000).map(|i| (amplitude * (2.0 * PI * freq * i as f32 / 16000.0).sin()) as i16).collect()
    }

    /// The band (0..40) with the largest total over all frames.
    fn loudest_band(out: &[u32]) -> usize {
        let totals: Vec<u64> =
            (0..FILTERS).map(|k| (0..FRAMES).map(|t| u64::from(out[t * FILTERS + k])).sum()).collect();
        (0..FILTERS).max_by_key(|&k| totals[k]).unwrap()
    }

    /// The band whose filter weighs frequency `hz` most (columns are 8000/241 Hz apart).
    fn band_of(hz: f32) -> usize {
        let matrix = mel_matrix();
        let col = (hz / 8000.0 * 241.0).round() as usize;
        (0..FILTERS).max_by(|&a, &b| matrix[a * 241 + col].total_cmp(&matrix[b * 241 + col])).unwrap()
    }

    #[test]
    fn geometry_of_the_defaults() {
        let block = Fft::default();
        assert_eq!((block.bins as f32 * (1.0 - block.window_overlap)) as usize, 159);
        let ramp: Vec<i16> = (0..16000).map(|i| (i % 200) as i16).collect();
        let spectrogram = block.spectrogram(&ramp).unwrap();
        assert_eq!(spectrogram.len(), 241 * 49);
    }

    #[test]
    fn output_is_1960_values_in_0_to_65536() {
        let out = fft(tone(1000.0, 8000.0));
        assert_eq!(out.len(), 1960);
        assert!(out.iter().all(|&v| v <= 65536));
        assert!(out.contains(&65536) && out.contains(&0));
    }

    #[test]
    fn pure_tones_peak_in_their_mel_band() {
        for freq in [250.0, 1000.0, 3000.0, 6000.0] {
            let out = fft(tone(freq, 10000.0));
            let band = loudest_band(&out);
            assert!(band.abs_diff(band_of(freq)) <= 1, "{freq} Hz peaks in band {band}, expected {}", band_of(freq));
        }
        assert!(band_of(6000.0) > band_of(1000.0));
    }

    #[test]
    fn constant_input_scales_as_nan_which_is_zero() {
        assert_eq!(fft(vec![0; 16000]), vec![0; 1960]);
    }

    #[test]
    fn short_and_empty_inputs() {
        // The framing rules repeat frames for short inputs; only an empty input fails.
        assert_eq!(fft(tone(1000.0, 8000.0)[..1000].to_vec()).len(), 1960);
        let err = run1("fft", &[], v(I16(vec![]))).unwrap_err();
        assert!(err.0.contains("index out of bounds"), "{err}");
        let err = run1("fft", &[("window_overlap", "1.0")], v(I16(vec![0; 16000]))).unwrap_err();
        assert!(err.0.contains("hop of 0"), "{err}");
        assert!(instance("fft", &[("bins", "4.5")]).is_err());
        assert!(run1("fft", &[("bins", "1000000000")], v(I16(vec![0; 10]))).is_err());
        // Absurd overlaps give absurd hops: errors, not overflows or huge allocations.
        assert!(run1("fft", &[("window_overlap", "-inf")], v(I16(vec![0; 16000]))).is_err());
        assert!(run1("fft", &[("window_overlap", "NaN")], v(I16(vec![0; 16000]))).is_err());
        assert_eq!(run1("fft", &[("window_overlap", "-1e30")], v(I16(vec![0; 100]))).unwrap().len(), 1960);
    }

    #[test]
    fn other_window_lengths_work() {
        let out = run1("fft", &[("bins", "256"), ("window_overlap", "0.5")], v(I16(tone(2000.0, 5000.0))));
        assert_eq!(out.unwrap().len(), 1960);
    }

    /// The golden chain: the shared zoo's `up` sample gives exactly the fft output that the
    /// original noise-filtering `smoke_test` uses as input ("a Rune known to work: microspeech"),
    /// and noise-filtering then gives exactly its expected output. The other samples must give
    /// sane i8 spectrograms. Skipped (with a notice) when the zoo is absent.
    #[test]
    fn microspeech_wavs_through_fft_and_noise_filtering() {
        let (smoke_input, smoke_expected) = smoke_vectors();
        let wavs = microspeech_wavs();
        for (word, samples) in &wavs {
            let spectrum = fft(samples.clone());
            let filtered = run1("noise_filtering", &[], t(&[1, 1960], U32(spectrum.clone()))).unwrap();
            let crate::TensorData::I8(filtered) = filtered.into_data() else { panic!() };
            if word == "up" {
                let wrong = (0..1960).filter(|&i| spectrum[i] != smoke_input[i]).count();
                assert_eq!(wrong, 0, "fft of up.wav differs from the golden vector in {wrong} places");
                assert_eq!(filtered, smoke_expected);
            }
            assert!(filtered.contains(&-128) && filtered.iter().any(|&x| x > 0), "{word}: {filtered:?}");
        }
        if !wavs.is_empty() {
            assert!(wavs.iter().any(|(word, _)| word == "up"), "the zoo's up sample is missing");
        }
    }

    #[test]
    fn radix_2_matches_a_direct_dft() {
        let signal: Vec<(f32, f32)> = (0..16).map(|i| (((i * 7) % 5) as f32 - 2.0, 0.0)).collect();
        let mut fast = signal.clone();
        fft_in_place(&mut fast);
        for (k, &(re, im)) in fast.iter().enumerate() {
            let (mut dre, mut dim) = (0.0f64, 0.0f64);
            for (n, &(x, _)) in signal.iter().enumerate() {
                let angle = -2.0 * std::f64::consts::PI * (k * n) as f64 / 16.0;
                dre += f64::from(x) * angle.cos();
                dim += f64::from(x) * angle.sin();
            }
            assert!((f64::from(re) - dre).abs() < 1e-4 && (f64::from(im) - dim).abs() < 1e-4, "bin {k}");
        }
    }

    #[test]
    fn mel_matrix_shape() {
        let matrix = mel_matrix();
        assert_eq!(matrix.len(), 40 * 241);
        for k in 0..FILTERS {
            let row = &matrix[k * 241..(k + 1) * 241];
            assert!(row.iter().any(|&w| w > 0.0), "filter {k} is empty");
            let first = row.iter().position(|&w| w > 0.0).unwrap();
            if k > 0 {
                let previous = matrix[(k - 1) * 241..k * 241].iter().position(|&w| w > 0.0).unwrap();
                assert!(first >= previous, "filters move up in frequency");
            }
        }
    }
}
