use super::NUMERIC;
use crate::ElementType::F32;
use crate::TensorType;
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlockSignature};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "image_normalization",
    type_name: "ImageNormalization",
    description: "Scales integer pixels to f32 in 0..1: (v - MIN) / (MAX - MIN) of the input type.",
    args: &[],
    inputs: Inputs::Fixed(&[Port { name: "image", types: NUMERIC }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(F32)]),
    check_shapes: Some(check),
};

fn check(inputs: &[TensorType], _outputs: &[TensorType], _args: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let Some(input) = inputs.first() else { return Vec::new() };
    let mut problems = Vec::new();
    if input.element_type.is_float() {
        problems.push(format!(
            "image-normalization of {} input gives degenerate values (about 0 or NaN); feed it integer pixels",
            input.element_type
        ));
    }
    if input.dimensions.len() != 4 || input.dimensions.last() != Some(&3) {
        problems.push(format!("image-normalization needs a [1, height, width, 3] image, but its input is {input}"));
    }
    problems
}
