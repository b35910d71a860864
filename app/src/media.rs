//! The pure side of the camera and the microphone: what a failed `getUserMedia` means in words,
//! how long and at which rate to record for a SOUND capability, and the WAV file a recording
//! becomes. The browser side is [`crate::devices`].
use runtime::{CapabilityKind, Manifest, StageKind};

/// A device the page asks the browser for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Camera,
    Microphone,
}

impl Device {
    /// `camera`, `microphone`.
    pub fn noun(self) -> &'static str {
        match self {
            Device::Camera => "camera",
            Device::Microphone => "microphone",
        }
    }

    fn capitalized(self) -> &'static str {
        match self {
            Device::Camera => "Camera",
            Device::Microphone => "Microphone",
        }
    }
}

/// What the browser's refusal means, as a sentence. `name` is the `DOMException`'s name
/// (`NotAllowedError`, …); `None` when the page has no `navigator.mediaDevices` (not a
/// secure context). `detail` is the browser's own message, added for unknown errors.
pub fn error_message(device: Device, name: Option<&str>, detail: &str) -> String {
    let noun = device.noun();
    match name {
        None => format!(
            "The {noun} cannot be used here: browsers only allow it on pages served over https or from \
             localhost. Open the playground from https:// or http://localhost, or add a file instead."
        ),
        Some("NotAllowedError" | "PermissionDeniedError" | "SecurityError") => format!(
            "{} permission was denied. Allow the {noun} for this site in the browser's address bar \
             (or its settings) and try again, or add a file instead.",
            device.capitalized()
        ),
        Some("NotFoundError" | "DevicesNotFoundError" | "OverconstrainedError" | "ConstraintNotSatisfiedError") => {
            format!("No {noun} was found. Connect one and try again, or add a file instead.")
        }
        Some("NotReadableError" | "TrackStartError") => format!(
            "The {noun} could not be started: another application (or browser tab) may be using it. \
             Close that and try again."
        ),
        Some("AbortError") => format!("Starting the {noun} was interrupted. Try again."),
        Some(other) => {
            let detail = detail.trim();
            if detail.is_empty() {
                format!("The {noun} could not be started ({other}).")
            } else {
                format!("The {noun} could not be started ({other}: {detail}).")
            }
        }
    }
}

/// The sample rate asked for when the Runefile does not say (the rate of the zoo's audio models).
pub const DEFAULT_RATE: u32 = 16_000;
/// The length of a recording when the Runefile does not say.
pub const DEFAULT_RECORD_MS: u32 = 1_000;
/// Recordings are capped at this length.
pub const MAX_RECORD_MS: u32 = 10_000;

/// How to record for a SOUND capability: at `rate` Hz for `ms` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordingPlan {
    pub rate: u32,
    pub ms: u32,
}

impl RecordingPlan {
    /// The number of samples the recording holds.
    pub fn samples(self) -> usize {
        (u64::from(self.rate) * u64::from(self.ms) / 1000) as usize
    }
}

impl Default for RecordingPlan {
    fn default() -> Self {
        RecordingPlan { rate: DEFAULT_RATE, ms: DEFAULT_RECORD_MS }
    }
}

/// The recording the first SOUND capability of `manifest` wants: its `hz` and
/// `sample_duration_ms` when they are sensible numbers, else 16 kHz for 1 s.
pub fn recording_plan(manifest: &Manifest) -> RecordingPlan {
    let sound = manifest.stages.iter().find(|s| matches!(s.kind, StageKind::Capability(CapabilityKind::Sound)));
    let Some(stage) = sound else { return RecordingPlan::default() };
    let arg = |names: &[&str]| names.iter().find_map(|n| stage.args.get(*n)).and_then(|v| v.trim().parse::<u32>().ok());
    let rate = arg(&["hz"]).filter(|r| (3_000..=192_000).contains(r)).unwrap_or(DEFAULT_RATE);
    let ms = arg(&["sample_duration_ms", "sample-duration-ms"])
        .filter(|ms| *ms > 0)
        .map_or(DEFAULT_RECORD_MS, |ms| ms.min(MAX_RECORD_MS));
    RecordingPlan { rate, ms }
}

/// Web Audio samples (−1.0…1.0) as 16-bit PCM; out-of-range values are clipped, NaN is 0.
pub fn to_pcm16(samples: &[f32]) -> Vec<i16> {
    samples
        .iter()
        .map(|&s| {
            let s = if s.is_nan() { 0.0 } else { s.clamp(-1.0, 1.0) };
            (s * 32767.0).round() as i16
        })
        .collect()
}

/// `samples` at `from` Hz, linearly interpolated to `to` Hz.
pub fn resample(samples: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == 0 || to == 0 || from == to || samples.is_empty() {
        return samples.to_vec();
    }
    let len = (samples.len() as u64 * u64::from(to) / u64::from(from)) as usize;
    let step = f64::from(from) / f64::from(to);
    let last = samples.len() - 1;
    (0..len)
        .map(|i| {
            let at = i as f64 * step;
            let left = (at.floor() as usize).min(last);
            let right = (left + 1).min(last);
            let t = (at - left as f64) as f32;
            samples[left] * (1.0 - t) + samples[right] * t
        })
        .collect()
}

/// A mono 16-bit PCM WAV file of `samples` at `rate` Hz.
pub fn encode_wav(rate: u32, samples: &[i16]) -> Vec<u8> {
    let data_len = u32::try_from(samples.len() * 2).unwrap_or(u32::MAX - 36) & !1;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&rate.saturating_mul(2).to_le_bytes()); // bytes per second
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples.iter().take(data_len as usize / 2) {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_become_sentences_naming_the_device() {
        let denied = error_message(Device::Camera, Some("NotAllowedError"), "Permission denied");
        assert!(denied.starts_with("Camera permission was denied."), "{denied}");
        assert!(error_message(Device::Microphone, Some("NotAllowedError"), "").starts_with("Microphone permission"));
        assert!(error_message(Device::Camera, Some("NotFoundError"), "").starts_with("No camera was found."));
        assert!(error_message(Device::Camera, Some("OverconstrainedError"), "").starts_with("No camera was found."));
        assert!(error_message(Device::Microphone, Some("NotReadableError"), "").contains("another application"));
        assert!(error_message(Device::Camera, None, "").contains("https or from localhost"));
        assert_eq!(
            error_message(Device::Camera, Some("WeirdError"), " something broke "),
            "The camera could not be started (WeirdError: something broke)."
        );
        assert_eq!(
            error_message(Device::Camera, Some("WeirdError"), ""),
            "The camera could not be started (WeirdError)."
        );
    }

    #[test]
    fn recordings_follow_the_sound_capability() {
        let source = "version: 1\nimage: runicos/base\npipeline:\n  audio:\n    capability: SOUND\n    outputs:\n      - type: I16\n        dimensions: [1, 8000]\n    args:\n      hz: 8000\n      sample_duration_ms: 1000\n  serial:\n    out: serial\n    inputs: [audio]\n";
        let compilation = compiler::compile(source, "t", &compiler::MemoryFiles::new());
        let manifest = compilation.manifest().expect("a manifest");
        assert_eq!(recording_plan(&manifest), RecordingPlan { rate: 8000, ms: 1000 });
        assert_eq!(recording_plan(&manifest).samples(), 8000);

        let none = compiler::compile(
            "version: 1\nimage: runicos/base\npipeline:\n  rand:\n    capability: RAND\n    outputs:\n      - type: F32\n        dimensions: [1]\n  serial:\n    out: serial\n    inputs: [rand]\n",
            "t",
            &compiler::MemoryFiles::new(),
        );
        assert_eq!(recording_plan(&none.manifest().expect("a manifest")), RecordingPlan::default());
        assert_eq!(RecordingPlan::default().samples(), 16_000);
    }

    #[test]
    fn wav_files_are_16_bit_mono_pcm_the_runtime_reads() {
        let pcm = to_pcm16(&[0.0, 1.0, -1.0, 2.0, f32::NAN, 0.5]);
        assert_eq!(pcm, vec![0, 32767, -32767, 32767, 0, 16384]);
        let wav = encode_wav(16_000, &pcm);
        assert_eq!(wav.len(), 44 + 12);
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(u32::from_le_bytes([wav[4], wav[5], wav[6], wav[7]]), 36 + 12);
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        assert_eq!(u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]]), 16_000);
        assert_eq!(&wav[36..40], b"data");
        assert!(crate::uploads::classify("mic.wav", &wav).is_ok());
        let reader = data_chunk(&wav);
        assert_eq!(reader, pcm);
        assert_eq!(encode_wav(8000, &[]).len(), 44);

        assert_eq!(resample(&[0.0, 1.0, 0.0, -1.0], 48_000, 24_000), vec![0.0, 0.0]);
        assert_eq!(resample(&[0.0, 1.0], 8_000, 16_000), vec![0.0, 0.5, 1.0, 1.0]);
        assert_eq!(resample(&[0.25], 44_100, 44_100), vec![0.25]);
        assert_eq!(resample(&[], 44_100, 16_000), Vec::<f32>::new());
    }

    /// The samples of a WAV written by [`encode_wav`] (its data chunk).
    fn data_chunk(wav: &[u8]) -> Vec<i16> {
        wav[44..].chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect()
    }
}
