//! `binary_classification` (v0.11.3): compares the element slice lexicographically with
//! `[threshold]`, so the answer is 1 when `x[0] > threshold`, or when `x[0] == threshold` and
//! there is more than one element; otherwise (and for an empty input) 0.
use std::cmp::Ordering;

use super::{Configure, parse_arg, take_inputs, unknown_arg, unsupported};
use crate::ElementType::{F32, U32};
use crate::catalog::{ArgSpec, ArgType, Inputs, OutPort, Outputs, Port, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorData, TensorType};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "binary_classification",
    type_name: "BinaryClassification",
    description: "1 if the first element is above the threshold, else 0.",
    args: &[ArgSpec { name: "threshold", ty: ArgType::F32, default: Some("0.5"), doc: "decision threshold" }],
    inputs: Inputs::Fixed(&[Port { name: "input", types: &[F32] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(U32)]),
    check_shapes: None,
    create: super::create::<BinaryClassification>,
};

#[derive(Debug)]
struct BinaryClassification {
    threshold: f32,
}

impl Default for BinaryClassification {
    fn default() -> Self {
        BinaryClassification { threshold: 0.5 }
    }
}

impl Configure for BinaryClassification {
    fn set(&mut self, key: &str, value: &str) -> Result<(), ProcBlockError> {
        match key {
            "threshold" => self.threshold = parse_arg(key, value)?,
            _ => return Err(unknown_arg(key)),
        }
        Ok(())
    }
}

impl ProcBlock for BinaryClassification {
    fn transform(&mut self, inputs: &[Tensor], _outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        let [input] = take_inputs::<1>("binary_classification", inputs)?;
        let TensorData::F32(values) = input.data() else {
            return Err(unsupported("binary_classification", input));
        };
        // `elements > [threshold]` on slices (PartialOrd: NaN makes the comparison false).
        let above = values.as_slice().partial_cmp(&[self.threshold][..]) == Some(Ordering::Greater);
        Ok(vec![Tensor::vector(TensorData::U32(vec![u32::from(above)]))])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::TensorData::{F32, U32};

    fn classify(args: &[(&str, &str)], values: &[f32]) -> u32 {
        match run1("binary_classification", args, v(F32(values.to_vec()))).unwrap().into_data() {
            U32(v) if v.len() == 1 => v[0],
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lexicographic_rule() {
        assert_eq!(classify(&[], &[0.7]), 1);
        assert_eq!(classify(&[], &[0.3]), 0);
        assert_eq!(classify(&[], &[0.5]), 0);
        assert_eq!(classify(&[], &[0.5, 0.0]), 1, "equal first element and more elements");
        assert_eq!(classify(&[], &[0.4, 9.0]), 0, "only the first element is compared");
        assert_eq!(classify(&[], &[]), 0);
        assert_eq!(classify(&[], &[f32::NAN]), 0);
        assert_eq!(classify(&[("threshold", "0.8")], &[0.7]), 0);
    }
}
