//! `normalize` (v0.11.3): min-max scaling over the whole tensor, `(x - min) / (max - min)`, in
//! the input's own type. Integers get integer division (results 0 or 1; the subtractions wrap
//! as in a release build). When min == max (or the input is empty) the input is returned as is.
use super::{Configure, Element, NUMERIC, error, shaped, take_inputs, with_numeric};
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorData, TensorType};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "normalize",
    type_name: "Normalize",
    description: "Min-max scaling of the whole tensor to 0..1, in the input's own type.",
    args: &[],
    inputs: Inputs::Fixed(&[Port { name: "input", types: NUMERIC }]),
    outputs: Outputs::Fixed(&[OutPort::SameAsInput(0)]),
    check_shapes: None,
    create: super::create::<Normalize>,
};

#[derive(Debug, Default)]
struct Normalize;

impl Configure for Normalize {}

impl ProcBlock for Normalize {
    fn transform(&mut self, inputs: &[Tensor], _outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        let [input] = take_inputs::<1>("normalize", inputs)?;
        let data = with_numeric!(input.data(), values => normalize(values)?, _ => {
            return Err(super::unsupported("normalize", input));
        });
        Ok(vec![shaped(input.dimensions().to_vec(), data)?])
    }
}

fn normalize<T: Element>(values: &[T]) -> Result<TensorData, ProcBlockError> {
    let Some((&first, rest)) = values.split_first() else { return Ok(T::into_data(Vec::new())) };
    let (mut min, mut max) = (first, first);
    for &x in rest {
        if x < min {
            min = x;
        }
        if max < x {
            max = x;
        }
    }
    if min == max {
        return Ok(T::into_data(values.to_vec()));
    }
    let range = max.sub(min);
    let out = values.iter().map(|&x| x.sub(min).div(range).ok_or_else(|| error("attempt to divide with overflow")));
    Ok(T::into_data(out.collect::<Result<_, _>>()?))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::TensorData::{self, F32, F64, I8, I32, U8};

    fn normalize(data: TensorData) -> Result<TensorData, String> {
        Ok(run1("normalize", &[], t(&[1, data.len()], data)).map_err(|e| e.0)?.into_data())
    }

    #[test]
    fn floats_scale_to_unit_range() {
        assert_eq!(normalize(F32(vec![0.0, 1.0, 2.0])), Ok(F32(vec![0.0, 0.5, 1.0])));
        assert_eq!(normalize(F64(vec![-1.0, 3.0])), Ok(F64(vec![0.0, 1.0])));
    }

    #[test]
    fn integers_use_integer_division() {
        assert_eq!(normalize(I32(vec![0, 1, 2])), Ok(I32(vec![0, 0, 1])));
        assert_eq!(normalize(U8(vec![10, 20, 30, 25])), Ok(U8(vec![0, 0, 1, 0])));
        // 127 - (-128) wraps to -1 in i8, as in the original's release build.
        assert_eq!(normalize(I8(vec![-128, 127])), Ok(I8(vec![0, 1])));
        assert_eq!(normalize(I8(vec![-128, 0, 127])).unwrap_err(), "attempt to divide with overflow");
    }

    #[test]
    fn constant_and_empty_inputs_are_unchanged() {
        assert_eq!(normalize(F32(vec![0.0; 384])), Ok(F32(vec![0.0; 384])));
        assert_eq!(normalize(U8(vec![7, 7])), Ok(U8(vec![7, 7])));
        assert_eq!(normalize(F32(vec![])), Ok(F32(vec![])));
        let out = run1("normalize", &[], t(&[2, 1], F32(vec![3.0, 1.0]))).unwrap();
        assert_eq!(out.dimensions(), [2, 1]);
    }
}
