use super::NUMERIC;
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlockSignature};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "normalize",
    type_name: "Normalize",
    description: "Min-max scaling of the whole tensor to 0..1, in the input's own type.",
    args: &[],
    inputs: Inputs::Fixed(&[Port { name: "input", types: NUMERIC }]),
    outputs: Outputs::Fixed(&[OutPort::SameAsInput(0)]),
    check_shapes: None,
};
