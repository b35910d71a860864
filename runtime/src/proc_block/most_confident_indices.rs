use super::{NUMERIC, squeeze};
use crate::ElementType::U32;
use crate::TensorType;
use crate::catalog::{ArgSpec, ArgType, Inputs, OutPort, Outputs, Port, ProcBlockSignature};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "most_confident_indices",
    type_name: "MostConfidentIndices",
    description: "Indices of the `count` largest values, largest first (ties keep the lower index first).",
    args: &[ArgSpec { name: "count", ty: ArgType::Usize, default: Some("1"), doc: "how many indices" }],
    inputs: Inputs::Fixed(&[Port { name: "confidences", types: NUMERIC }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(U32)]),
    check_shapes: Some(check),
};

fn check(inputs: &[TensorType], _outputs: &[TensorType], args: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let Some(input) = inputs.first() else { return Vec::new() };
    let core = squeeze(&input.dimensions);
    if core.len() > 1 {
        return vec![format!(
            "most_confident_indices only works with 1D inputs (after dropping leading and trailing 1s), but its input is {input}"
        )];
    }
    let len = core.first().copied().unwrap_or(1);
    let count = args("count").and_then(|c| c.parse::<usize>().ok()).unwrap_or(1);
    if count > len {
        return vec![format!("Unable to take the top {count} values from a {len}-item input ({input})")];
    }
    Vec::new()
}
