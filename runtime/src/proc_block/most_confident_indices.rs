//! `most_confident_indices` (v0.11.3): the indices of the `count` largest values, largest first.
//!
//! Leading and trailing dimensions of 1 are dropped and what remains must be one dimension. The
//! (index, value) pairs are stable-sorted by value, descending, so ties keep the lower index
//! first. A NaN makes the original's comparison `unwrap` fail (when there is anything to compare).
use std::cmp::Ordering;

use super::{
    Configure, Element, NUMERIC, UNWRAP_NONE, error, parse_arg, squeeze, take_inputs, unknown_arg, with_numeric,
};
use crate::ElementType::U32;
use crate::TensorType;
use crate::catalog::{ArgSpec, ArgType, Inputs, OutPort, Outputs, Port, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorData};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "most_confident_indices",
    type_name: "MostConfidentIndices",
    description: "Indices of the `count` largest values, largest first (ties keep the lower index first).",
    args: &[ArgSpec { name: "count", ty: ArgType::Usize, default: Some("1"), doc: "how many indices" }],
    inputs: Inputs::Fixed(&[Port { name: "confidences", types: NUMERIC }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(U32)]),
    check_shapes: Some(check),
    create: super::create::<MostConfidentIndices>,
};

fn check(inputs: &[TensorType], _outputs: &[TensorType], args: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let Some(input) = inputs.first() else { return Vec::new() };
    let core = squeeze(&input.dimensions);
    if core.len() > 1 {
        return vec![format!(
            "most_confident_indices only works with 1D inputs (after dropping leading and trailing 1s), but its input is {input}"
        )];
    }
    let len = core.first().copied().unwrap_or(1);
    let count = args("count").and_then(|c| c.parse::<usize>().ok()).unwrap_or(1);
    if count > len {
        return vec![format!("Unable to take the top {count} values from a {len}-item input ({input})")];
    }
    Vec::new()
}

#[derive(Debug)]
struct MostConfidentIndices {
    count: usize,
}

impl Default for MostConfidentIndices {
    fn default() -> Self {
        MostConfidentIndices { count: 1 }
    }
}

impl Configure for MostConfidentIndices {
    fn set(&mut self, key: &str, value: &str) -> Result<(), ProcBlockError> {
        match key {
            "count" => self.count = parse_arg(key, value)?,
            _ => return Err(unknown_arg(key)),
        }
        Ok(())
    }
}

impl ProcBlock for MostConfidentIndices {
    fn transform(&mut self, inputs: &[Tensor], _outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        let [input] = take_inputs::<1>("most_confident_indices", inputs)?;
        // The original's `simplify_dimensions`: all 1s (or no dimensions) count as `[1]`.
        let core = match squeeze(input.dimensions()) {
            [] => &[1][..],
            core => core,
        };
        match *core {
            [len] if self.count > len => {
                return Err(error(format!("Unable to take the top {} values from a {len}-item input", self.count)));
            }
            [_] => {}
            _ => return Err(error(format!("This proc-block only works with 1D inputs, but found {core:?}"))),
        }
        let indices = with_numeric!(input.data(), values => top(values, self.count)?, _ => {
            return Err(super::unsupported("most_confident_indices", input));
        });
        Ok(vec![Tensor::vector(TensorData::U32(indices))])
    }
}

fn top<T: Element>(values: &[T], count: usize) -> Result<Vec<u32>, ProcBlockError> {
    // Any comparison involving NaN fails, and with two or more elements every element is
    // compared at least once.
    if values.len() > 1 && values.iter().any(|v| v.is_nan()) {
        return Err(error(UNWRAP_NONE));
    }
    let mut pairs: Vec<(usize, T)> = values.iter().copied().enumerate().collect();
    pairs.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(Ordering::Equal));
    pairs.into_iter().take(count).map(|(i, _)| u32::try_from(i).map_err(|e| error(e.to_string()))).collect()
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::Tensor;
    use crate::TensorData::{F32, F64, I32, U8, U32};

    fn top(count: &str, input: Tensor) -> Result<Vec<u32>, String> {
        match run1("most_confident_indices", &[("count", count)], input).map_err(|e| e.0)?.into_data() {
            U32(v) => Ok(v),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn top_values_largest_first() {
        assert_eq!(top("3", v(F64(vec![0.0, 0.5, 10.0, 3.5, -200.0]))), Ok(vec![2, 3, 1]));
        assert_eq!(top("1", t(&[1, 4], U8(vec![3, 200, 7, 1]))), Ok(vec![1]));
        let out = run1("most_confident_indices", &[("count", "2")], t(&[1, 3], F32(vec![0.1, 0.7, 0.2]))).unwrap();
        assert_eq!(out.dimensions(), [2]);
    }

    #[test]
    fn ties_keep_the_lower_index_first() {
        assert_eq!(top("4", v(I32(vec![5, 9, 5, 9]))), Ok(vec![1, 3, 0, 2]));
        assert_eq!(top("2", v(F32(vec![0.0; 5]))), Ok(vec![0, 1]));
    }

    #[test]
    fn squeezes_dimensions_of_one() {
        assert_eq!(top("1", t(&[1, 1, 1, 3], F32(vec![0.1, 0.9, 0.3]))), Ok(vec![1]));
        assert_eq!(top("1", t(&[1, 5, 1, 1, 1], I32(vec![0, 0, 0, 0, 0]))), Ok(vec![0]));
        assert_eq!(top("1", t(&[1, 1], F32(vec![0.5]))), Ok(vec![0]));
        assert_eq!(top("1", t(&[], F32(vec![0.5]))), Ok(vec![0]));
    }

    #[test]
    fn errors() {
        let err = top("1", t(&[2, 3], F32(vec![0.0; 6]))).unwrap_err();
        assert_eq!(err, "This proc-block only works with 1D inputs, but found [2, 3]");
        let err = top("42", v(I32(vec![0, 0, 1, 2]))).unwrap_err();
        assert_eq!(err, "Unable to take the top 42 values from a 4-item input");
        let err = top("2", t(&[1, 1], F32(vec![0.5]))).unwrap_err();
        assert_eq!(err, "Unable to take the top 2 values from a 1-item input");
        let err = top("1", v(F32(vec![0.5, f32::NAN]))).unwrap_err();
        assert_eq!(err, "called `Option::unwrap()` on a `None` value");
        assert_eq!(top("1", v(F32(vec![f32::NAN]))), Ok(vec![0]), "a single NaN is never compared");
        assert!(instance("most_confident_indices", &[("count", "-1")]).is_err());
        assert_eq!(top("0", v(F32(vec![]))), Ok(vec![]));
    }
}
