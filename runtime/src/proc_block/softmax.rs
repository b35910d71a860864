use crate::ElementType::F32;
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlockSignature};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "softmax",
    type_name: "Softmax",
    description: "exp(x) / sum(exp(x)) over the whole tensor (no max subtraction, as in the original).",
    args: &[],
    inputs: Inputs::Fixed(&[Port { name: "logits", types: &[F32] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(F32)]),
    check_shapes: None,
};
