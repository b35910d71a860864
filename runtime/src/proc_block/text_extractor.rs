use crate::ElementType::{U8, U32, Utf8};
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlockSignature};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "text_extractor",
    type_name: "TextExtractor",
    description: "Joins the word-piece lines start..=end of a UTF-8 text into one string.",
    args: &[],
    inputs: Inputs::Fixed(&[
        Port { name: "text", types: &[U8] },
        Port { name: "start", types: &[U32] },
        Port { name: "end", types: &[U32] },
    ]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(Utf8)]),
    check_shapes: None,
};
