use super::NUMERIC;
use crate::ElementType::Utf8;
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlockSignature};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "parse",
    type_name: "Parse",
    description: "Splits strings on whitespace and parses each token as the declared output type.",
    args: &[],
    inputs: Inputs::Fixed(&[Port { name: "text", types: &[Utf8] }]),
    outputs: Outputs::Fixed(&[OutPort::OneOf(NUMERIC)]),
    check_shapes: None,
};
