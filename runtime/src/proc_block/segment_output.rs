use crate::ElementType::{F32, U32};
use crate::TensorType;
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlockSignature};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "segment_output",
    type_name: "SegmentOutput",
    description: "Per-pixel argmax of a [1, H, W, C] segmentation ([H, W] class map) and the sorted list of classes present.",
    args: &[],
    inputs: Inputs::Fixed(&[Port { name: "scores", types: &[F32] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(U32), OutPort::Fixed(U32)]),
    check_shapes: Some(check),
};

fn check(inputs: &[TensorType], _outputs: &[TensorType], _args: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    match inputs.first() {
        Some(input) if input.dimensions.len() != 4 || input.dimensions[0] != 1 => {
            vec![format!(
                "segment_output only accepts a rank 4 tensor whose first dimension is 1, but its input is {input}"
            )]
        }
        _ => Vec::new(),
    }
}
