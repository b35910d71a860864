use crate::ElementType::F32;
use crate::TensorType;
use crate::catalog::{ArgSpec, ArgType, Inputs, OutPort, Outputs, Port, ProcBlockSignature};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "object_filter",
    type_name: "ObjectFilter",
    description: "Keeps detections above the objectness threshold, merges near-duplicates; rows [x, y, h, w, confidence, class].",
    args: &[ArgSpec { name: "threshold", ty: ArgType::F32, default: Some("0.7"), doc: "objectness threshold" }],
    inputs: Inputs::Fixed(&[Port { name: "detections", types: &[F32] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(F32)]),
    check_shapes: Some(check),
};

fn check(inputs: &[TensorType], _outputs: &[TensorType], _args: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    match inputs.first() {
        Some(input) if input.dimensions.len() != 3 || input.dimensions[2] < 6 => {
            vec![format!("object_filter needs a [1, N, 5 + classes] input, but its input is {input}")]
        }
        _ => Vec::new(),
    }
}
