use crate::ElementType::{F32, U32};
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlockSignature};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "argmax",
    type_name: "Argmax",
    description: "Index of the largest element (the first one wins; all values <= 0 give 0).",
    args: &[],
    inputs: Inputs::Fixed(&[Port { name: "input", types: &[F32] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(U32)]),
    check_shapes: None,
};
