use crate::ElementType::U32;
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlockSignature};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "control_logic",
    type_name: "ControlLogic",
    description: "The zoo's person-gesture gate: b[0] when a[0] == 1, otherwise 6.",
    args: &[],
    inputs: Inputs::Fixed(&[Port { name: "a", types: &[U32] }, Port { name: "b", types: &[U32] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(U32)]),
    check_shapes: None,
};
