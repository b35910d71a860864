use super::INTEGER;
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlockSignature};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "zero_indexing",
    type_name: "ZeroIndexing",
    description: "Subtracts 1 from every element (1-based class ids to 0-based).",
    args: &[],
    inputs: Inputs::Fixed(&[Port { name: "input", types: INTEGER }]),
    outputs: Outputs::Fixed(&[OutPort::SameAsInput(0)]),
    check_shapes: None,
};
