//! `zero_indexing` (the zoo's efficientdet local proc-block): subtracts 1 from every element
//! (1-based class ids to 0-based). Like the original's release build, 0 wraps for unsigned
//! types and `MIN` wraps for signed ones.
use super::{Configure, INTEGER, shaped, take_inputs, unsupported};
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorData, TensorType};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "zero_indexing",
    type_name: "ZeroIndexing",
    description: "Subtracts 1 from every element (1-based class ids to 0-based).",
    args: &[],
    inputs: Inputs::Fixed(&[Port { name: "input", types: INTEGER }]),
    outputs: Outputs::Fixed(&[OutPort::SameAsInput(0)]),
    check_shapes: None,
    create: super::create::<ZeroIndexing>,
};

#[derive(Debug, Default)]
struct ZeroIndexing;

impl Configure for ZeroIndexing {}

impl ProcBlock for ZeroIndexing {
    fn transform(&mut self, inputs: &[Tensor], _outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        let [input] = take_inputs::<1>("zero_indexing", inputs)?;
        macro_rules! minus_one {
            ($variant:ident, $v:expr) => {
                TensorData::$variant($v.iter().map(|x| x.wrapping_sub(1)).collect())
            };
        }
        let data = match input.data() {
            TensorData::U8(v) => minus_one!(U8, v),
            TensorData::I8(v) => minus_one!(I8, v),
            TensorData::U16(v) => minus_one!(U16, v),
            TensorData::I16(v) => minus_one!(I16, v),
            TensorData::U32(v) => minus_one!(U32, v),
            TensorData::I32(v) => minus_one!(I32, v),
            TensorData::U64(v) => minus_one!(U64, v),
            TensorData::I64(v) => minus_one!(I64, v),
            _ => return Err(unsupported("zero_indexing", input)),
        };
        Ok(vec![shaped(input.dimensions().to_vec(), data)?])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::TensorData::{F32, I32, U8};

    #[test]
    fn subtracts_one() {
        let out = run1("zero_indexing", &[], t(&[1, 3], I32(vec![1, 5, 0]))).unwrap();
        assert_eq!(out.dimensions(), [1, 3]);
        assert_eq!(out.into_data(), I32(vec![0, 4, -1]));
        assert_eq!(run1("zero_indexing", &[], v(U8(vec![0, 1]))).unwrap().into_data(), U8(vec![255, 0]));
        assert!(err1("zero_indexing", &[], v(F32(vec![1.0]))).contains("doesn't support f32"));
    }
}
