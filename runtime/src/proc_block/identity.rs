//! `identity` (rune's `examples/debugging/identity`): returns every input unchanged.
use super::{Configure, error};
use crate::catalog::{Inputs, Outputs, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorType};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "identity",
    type_name: "Identity",
    description: "Passes every input through unchanged (one output per input), for debugging.",
    args: &[],
    inputs: Inputs::Variadic { min: 1 },
    outputs: Outputs::MirrorInputs,
    check_shapes: None,
    create: super::create::<Identity>,
};

#[derive(Debug, Default)]
struct Identity;

impl Configure for Identity {}

impl ProcBlock for Identity {
    fn transform(&mut self, inputs: &[Tensor], _outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        if inputs.is_empty() {
            return Err(error("identity takes at least 1 input, but it was given 0"));
        }
        Ok(inputs.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::TensorData::{F32, Utf8};

    #[test]
    fn returns_every_input() {
        let inputs = vec![t(&[1, 2], F32(vec![1.0, 2.0])), v(Utf8(vec!["a".into()]))];
        assert_eq!(run("identity", &[], inputs.clone()).unwrap(), inputs);
        assert!(run("identity", &[], vec![]).is_err());
    }
}
