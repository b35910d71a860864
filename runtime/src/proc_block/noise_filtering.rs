use crate::ElementType::{I8, U32};
use crate::TensorType;
use crate::catalog::{ArgSpec, ArgType, Inputs, OutPort, Outputs, Port, ProcBlockSignature};

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
};

fn check(_inputs: &[TensorType], outputs: &[TensorType], _args: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    match outputs.first() {
        Some(out) if out.dimensions.len() != 2 || out.dimensions[0] != 1 => {
            vec![format!("noise-filtering only supports outputs of the form [1, _], not {out}")]
        }
        _ => Vec::new(),
    }
}
