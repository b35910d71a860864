//! `utf8_decode` (v0.11.3): the bytes up to the first NUL, decoded as one UTF-8 string.
use super::{Configure, error, take_inputs, unsupported};
use crate::ElementType::{U8, Utf8};
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorData, TensorType};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "utf8_decode",
    type_name: "Utf8Decode",
    description: "Decodes bytes up to the first NUL as one UTF-8 string.",
    args: &[],
    inputs: Inputs::Fixed(&[Port { name: "bytes", types: &[U8] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(Utf8)]),
    check_shapes: None,
    create: super::create::<Utf8Decode>,
};

#[derive(Debug, Default)]
struct Utf8Decode;

impl Configure for Utf8Decode {}

impl ProcBlock for Utf8Decode {
    fn transform(&mut self, inputs: &[Tensor], _outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        let [input] = take_inputs::<1>("utf8_decode", inputs)?;
        let TensorData::U8(bytes) = input.data() else { return Err(unsupported("utf8_decode", input)) };
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        let text = std::str::from_utf8(&bytes[..end]).map_err(|_| error("Input tensor should be valid UTF8"))?;
        Ok(vec![Tensor::vector(TensorData::Utf8(vec![text.to_string()]))])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::TensorData::{U8, Utf8};

    #[test]
    fn decodes_up_to_the_first_nul() {
        let text = "Hi, use me to convert your u8 bytes to utf8.";
        let out = run1("utf8_decode", &[], v(U8(text.as_bytes().to_vec()))).unwrap();
        assert_eq!(out.dimensions(), [1]);
        assert_eq!(out.into_data(), Utf8(vec![text.to_string()]));
        let out = run1("utf8_decode", &[], v(U8(b"h\xc3\xa9\0\xff junk".to_vec()))).unwrap();
        assert_eq!(out.into_data(), Utf8(vec!["hé".to_string()]));
        assert_eq!(run1("utf8_decode", &[], v(U8(vec![]))).unwrap().into_data(), Utf8(vec![String::new()]));
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        assert_eq!(err1("utf8_decode", &[], v(U8(vec![b'a', 0xff]))), "Input tensor should be valid UTF8");
    }
}
