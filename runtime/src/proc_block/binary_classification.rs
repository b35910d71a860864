use crate::ElementType::{F32, U32};
use crate::catalog::{ArgSpec, ArgType, Inputs, OutPort, Outputs, Port, ProcBlockSignature};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "binary_classification",
    type_name: "BinaryClassification",
    description: "1 if the first element is above the threshold, else 0.",
    args: &[ArgSpec { name: "threshold", ty: ArgType::F32, default: Some("0.5"), doc: "decision threshold" }],
    inputs: Inputs::Fixed(&[Port { name: "input", types: &[F32] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(U32)]),
    check_shapes: None,
};
