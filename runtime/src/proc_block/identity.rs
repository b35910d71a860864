use crate::catalog::{Inputs, Outputs, ProcBlockSignature};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "identity",
    type_name: "Identity",
    description: "Passes every input through unchanged (one output per input), for debugging.",
    args: &[],
    inputs: Inputs::Variadic { min: 1 },
    outputs: Outputs::MirrorInputs,
    check_shapes: None,
};
