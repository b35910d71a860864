use crate::ElementType::{U8, Utf8};
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlockSignature};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "utf8_decode",
    type_name: "Utf8Decode",
    description: "Decodes bytes up to the first NUL as one UTF-8 string.",
    args: &[],
    inputs: Inputs::Fixed(&[Port { name: "bytes", types: &[U8] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(Utf8)]),
    check_shapes: None,
};
