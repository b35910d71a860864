//! The runtime's only window on the outside world: inputs, randomness, time and logs.
//!
//! The CLI implements [`Host`] over files given on the command line, the browser app over
//! uploads, the webcam and the microphone, and tests over fixed data ([`FixedHost`]).
use crate::CapabilityKind;

/// What the host hands a capability.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A file: an image (PNG, JPEG, WebP, GIF, BMP), a WAV, an accelerometer CSV, or raw bytes.
    Bytes(Vec<u8>),
    /// A decoded RGBA8 frame (e.g. from a camera), row-major, `width * height * 4` bytes.
    Frame { width: u32, height: u32, rgba: Vec<u8> },
    /// Decoded mono audio samples (e.g. from a microphone) at `rate` Hz.
    Samples { rate: u32, samples: Vec<i16> },
}

/// Why the host could not provide an input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("The user asked for source {requested}, but no sources were provided")]
    NoSources { requested: usize },
    #[error("The user asked for source {requested}, but there are only {available} sources available")]
    TooFewSources { requested: usize, available: usize },
    #[error("{0}")]
    Other(String),
}

/// The environment of a running Rune.
pub trait Host {
    /// The `source`-th input (0-based) of a capability kind, in the order the user gave them.
    fn input(&mut self, kind: CapabilityKind, source: usize) -> Result<Input, HostError>;
    /// Fills `buf` with random bytes (seeded by the user, or from the host's entropy).
    fn random_bytes(&mut self, buf: &mut [u8]);
    /// Milliseconds since an arbitrary origin, for stage timings (`performance.now()` in browsers).
    fn now_ms(&self) -> f64;
}

/// The `source`-th input of `kind` among a host's inputs (in the order given): what
/// [`Host::input`] answers for hosts that hold their inputs in a list.
pub fn pick_source<'a>(
    inputs: impl Iterator<Item = (CapabilityKind, &'a Input)>,
    kind: CapabilityKind,
    source: usize,
) -> Result<Input, HostError> {
    let mut available = 0;
    for (k, input) in inputs {
        if k == kind {
            if available == source {
                return Ok(input.clone());
            }
            available += 1;
        }
    }
    Err(if available == 0 {
        HostError::NoSources { requested: source }
    } else {
        HostError::TooFewSources { requested: source, available }
    })
}

/// A deterministic random generator (xorshift64*), for hosts given a seed.
#[derive(Debug, Clone)]
pub struct SeededRandom(u64);

impl SeededRandom {
    pub fn new(seed: u64) -> Self {
        // Avoid the all-zero state, which xorshift never leaves.
        SeededRandom(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// A host with fixed inputs per kind, seeded randomness and a clock that does not move.
#[derive(Debug, Clone)]
pub struct FixedHost {
    pub inputs: Vec<(CapabilityKind, Input)>,
    pub random: SeededRandom,
}

impl FixedHost {
    pub fn new(seed: u64) -> Self {
        FixedHost { inputs: Vec::new(), random: SeededRandom::new(seed) }
    }

    pub fn with(mut self, kind: CapabilityKind, input: Input) -> Self {
        self.inputs.push((kind, input));
        self
    }
}

impl Host for FixedHost {
    fn input(&mut self, kind: CapabilityKind, source: usize) -> Result<Input, HostError> {
        pick_source(self.inputs.iter().map(|(k, i)| (*k, i)), kind, source)
    }

    fn random_bytes(&mut self, buf: &mut [u8]) {
        self.random.fill(buf);
    }

    fn now_ms(&self) -> f64 {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_count_within_their_kind() {
        let inputs = [
            (CapabilityKind::Image, Input::Bytes(vec![1])),
            (CapabilityKind::Sound, Input::Bytes(vec![2])),
            (CapabilityKind::Image, Input::Bytes(vec![3])),
        ];
        let pick = |kind, source| pick_source(inputs.iter().map(|(k, i)| (*k, i)), kind, source);
        assert!(matches!(pick(CapabilityKind::Image, 1), Ok(Input::Bytes(b)) if b == [3]));
        assert!(matches!(pick(CapabilityKind::Sound, 0), Ok(Input::Bytes(b)) if b == [2]));
        assert!(matches!(pick(CapabilityKind::Image, 2), Err(HostError::TooFewSources { requested: 2, available: 2 })));
        assert!(matches!(pick(CapabilityKind::Raw, 0), Err(HostError::NoSources { requested: 0 })));
    }
}
