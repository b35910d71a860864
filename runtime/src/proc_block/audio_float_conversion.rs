//! `audio_float_conversion` (v0.11.3): i16 samples to f32, `clamp(x / 32767, -1, 1)`.
//!
//! The `i16_max_as_float` property is parsed but unused, as in the original.
use super::{Configure, parse_arg, shaped, take_inputs, unknown_arg, unsupported};
use crate::ElementType::{F32, I16};
use crate::catalog::{ArgSpec, ArgType, Inputs, OutPort, Outputs, Port, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorData, TensorType};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "audio_float_conversion",
    type_name: "AudioFloatConversion",
    description: "Converts i16 audio samples to f32 in -1..1 (x / 32767, clamped).",
    args: &[ArgSpec {
        name: "i16_max_as_float",
        ty: ArgType::F32,
        default: Some("32767"),
        doc: "accepted but unused, as in the original",
    }],
    inputs: Inputs::Fixed(&[Port { name: "samples", types: &[I16] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(F32)]),
    check_shapes: None,
    create: super::create::<AudioFloatConversion>,
};

const I16_MAX_AS_FLOAT: f32 = i16::MAX as f32;

#[derive(Debug)]
struct AudioFloatConversion {
    /// Settable, never read (the original divides by the constant).
    #[allow(dead_code)]
    i16_max_as_float: f32,
}

impl Default for AudioFloatConversion {
    fn default() -> Self {
        AudioFloatConversion { i16_max_as_float: I16_MAX_AS_FLOAT }
    }
}

impl Configure for AudioFloatConversion {
    fn set(&mut self, key: &str, value: &str) -> Result<(), ProcBlockError> {
        match key {
            "i16_max_as_float" => self.i16_max_as_float = parse_arg(key, value)?,
            _ => return Err(unknown_arg(key)),
        }
        Ok(())
    }
}

impl ProcBlock for AudioFloatConversion {
    fn transform(&mut self, inputs: &[Tensor], _outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        let [input] = take_inputs::<1>("audio_float_conversion", inputs)?;
        let TensorData::I16(samples) = input.data() else {
            return Err(unsupported("audio_float_conversion", input));
        };
        // The original's dimension assertion is a tautology, so any shape is accepted.
        let floats = samples.iter().map(|&x| (f32::from(x) / I16_MAX_AS_FLOAT).clamp(-1.0, 1.0)).collect();
        Ok(vec![shaped(input.dimensions().to_vec(), TensorData::F32(floats))?])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::TensorData::{F32, I16};

    #[test]
    fn matches_the_original_tests() {
        let (max, min) = (i16::MAX, i16::MIN);
        let out = run1("audio_float_conversion", &[], v(I16(vec![0, max / 2, min / 2]))).unwrap();
        assert_eq!(out.data(), &F32(vec![0.0, 0.49998474, -0.50001526]));
        let out = run1("audio_float_conversion", &[], v(I16(vec![max, min, min + 1]))).unwrap();
        assert_eq!(out.data(), &F32(vec![1.0, -1.0, -1.0]));
    }

    #[test]
    fn the_arg_is_accepted_but_ignored_and_dims_are_kept() {
        let out =
            run1("audio_float_conversion", &[("i16_max_as_float", "1.0")], t(&[1, 2], I16(vec![16384, 0]))).unwrap();
        assert_eq!(out.dimensions(), [1, 2]);
        assert_eq!(out.data(), &F32(vec![16384.0 / 32767.0, 0.0]));
        let err = instance("audio_float_conversion", &[("i16_max_as_float", "big")]).err().unwrap();
        assert_eq!(err.0, "\"i16_max_as_float\" can't be \"big\": invalid float literal");
    }
}
