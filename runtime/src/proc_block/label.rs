use crate::ElementType::{F32, I8, I16, I32, I64, U8, U16, U32, U64, Utf8};
use crate::catalog::{ArgSpec, ArgType, Inputs, OutPort, Outputs, Port, ProcBlockSignature};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "label",
    type_name: "Label",
    description: "Replaces each index with the label on that line of the wordlist (or the name of that id in an `id,name` label-map CSV).",
    args: &[ArgSpec {
        name: "wordlist",
        ty: ArgType::Text,
        default: Some(""),
        doc: "one label per line, or a label-map CSV",
    }],
    inputs: Inputs::Fixed(&[Port { name: "indices", types: &[U8, I8, U16, I16, U32, I32, U64, I64, F32] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(Utf8)]),
    check_shapes: None,
};
