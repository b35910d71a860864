//! `softmax` (v0.11.3): `exp(x) / Σ exp(x)` over the whole tensor, without subtracting the
//! maximum first (so large logits overflow to inf/NaN, as in the original).
use super::{Configure, shaped, take_inputs, unsupported};
use crate::ElementType::F32;
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorData, TensorType};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "softmax",
    type_name: "Softmax",
    description: "exp(x) / sum(exp(x)) over the whole tensor (no max subtraction, as in the original).",
    args: &[],
    inputs: Inputs::Fixed(&[Port { name: "logits", types: &[F32] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(F32)]),
    check_shapes: None,
    create: super::create::<Softmax>,
};

#[derive(Debug, Default)]
struct Softmax;

impl Configure for Softmax {}

impl ProcBlock for Softmax {
    fn transform(&mut self, inputs: &[Tensor], _outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        let [input] = take_inputs::<1>("softmax", inputs)?;
        let TensorData::F32(values) = input.data() else { return Err(unsupported("softmax", input)) };
        let exps: Vec<f32> = values.iter().map(|x| x.exp()).collect();
        let sum: f32 = exps.iter().sum();
        let out = exps.into_iter().map(|x| x / sum).collect();
        Ok(vec![shaped(input.dimensions().to_vec(), TensorData::F32(out))?])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::TensorData::F32;

    fn softmax(values: Vec<f32>) -> Vec<f32> {
        let F32(out) = run1("softmax", &[], v(F32(values))).unwrap().into_data() else { panic!() };
        out
    }

    /// The original's `test_softmax` (exact up to one ulp of `expf`).
    #[test]
    fn original_test_vector() {
        let got = softmax(vec![2.3, 12.4, 5.1]);
        let expected = [0.000041050153f32, 0.99928397, 0.00067505526];
        for (g, e) in got.iter().zip(expected) {
            assert!((g - e).abs() <= e * 2.0 * f32::EPSILON, "{got:?}");
        }
    }

    #[test]
    fn whole_tensor_no_max_subtraction() {
        let out = run1("softmax", &[], t(&[2, 2], F32(vec![0.0; 4]))).unwrap();
        assert_eq!(out.dimensions(), [2, 2]);
        assert_eq!(out.into_data(), F32(vec![0.25; 4]));
        assert!(softmax(vec![100.0, 1.0]).iter().any(|x| x.is_nan()), "exp(100) overflows f32");
    }
}
