use super::NUMERIC;
use crate::catalog::{ArgSpec, ArgType, Inputs, OutPort, Outputs, Port, ProcBlockSignature};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "modulo",
    type_name: "Modulo",
    description: "x % modulus for every element (truncated remainder, sign of x).",
    args: &[ArgSpec { name: "modulus", ty: ArgType::F32, default: Some("1"), doc: "the modulus" }],
    inputs: Inputs::Fixed(&[Port { name: "input", types: NUMERIC }]),
    outputs: Outputs::Fixed(&[OutPort::SameAsInput(0)]),
    check_shapes: None,
};
