use crate::ElementType::{F32, I16};
use crate::catalog::{ArgSpec, ArgType, Inputs, OutPort, Outputs, Port, ProcBlockSignature};

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
};
