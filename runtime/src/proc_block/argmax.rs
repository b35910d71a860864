//! `argmax` (v0.11.3): the index of the largest f32, scanning from `(0, 0.0)` with a strict `>`.
use super::{Configure, take_inputs, unsupported};
use crate::ElementType::{F32, U32};
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorData, TensorType};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "argmax",
    type_name: "Argmax",
    description: "Index of the largest element (the first one wins; all values <= 0 give 0).",
    args: &[],
    inputs: Inputs::Fixed(&[Port { name: "input", types: &[F32] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(U32)]),
    check_shapes: None,
    create: super::create::<Argmax>,
};

#[derive(Debug, Default)]
struct Argmax;

impl Configure for Argmax {}

impl ProcBlock for Argmax {
    fn transform(&mut self, inputs: &[Tensor], _outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        let [input] = take_inputs::<1>("argmax", inputs)?;
        let TensorData::F32(values) = input.data() else { return Err(unsupported("argmax", input)) };
        let index = argmax(values) as u32;
        Ok(vec![Tensor::vector(TensorData::U32(vec![index]))])
    }
}

/// The original's scan: starts at `(0, 0.0)`, so the first maximum wins, all-non-positive
/// inputs give 0 and NaNs never win.
pub(crate) fn argmax(values: &[f32]) -> usize {
    let mut best = (0, 0.0f32);
    for (i, &v) in values.iter().enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::TensorData::{F32, I32, U32};

    fn argmax(values: &[f32]) -> Vec<u32> {
        match run1("argmax", &[], v(F32(values.to_vec()))).unwrap().into_data() {
            U32(v) => v,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn first_maximum_wins() {
        assert_eq!(argmax(&[2.3, 12.4, 55.1, 15.4]), [2]);
        assert_eq!(argmax(&[1.0, 3.0, 3.0, 2.0]), [1]);
    }

    #[test]
    fn all_non_positive_gives_zero_and_nan_is_ignored() {
        assert_eq!(argmax(&[-5.0, -1.0, -3.0]), [0]);
        assert_eq!(argmax(&[0.0, 0.0]), [0]);
        assert_eq!(argmax(&[]), [0]);
        assert_eq!(argmax(&[f32::NAN, 0.5, f32::NAN]), [1]);
    }

    #[test]
    fn output_is_a_one_element_vector_and_other_types_are_errors() {
        let out = run1("argmax", &[], t(&[1, 3], F32(vec![0.1, 0.7, 0.2]))).unwrap();
        assert_eq!(out.dimensions(), [1]);
        assert!(err1("argmax", &[], v(I32(vec![1]))).contains("doesn't support i32"));
        assert!(run("argmax", &[], vec![]).is_err());
        assert!(instance("argmax", &[("x", "1")]).is_err());
    }
}
