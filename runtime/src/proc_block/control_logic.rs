//! `control_logic` (the zoo's person-gesture / person-micro local proc-block): `b[0]` when
//! `a[0] == 1`, otherwise 6.
use super::{Configure, index_out_of_bounds, take_inputs, unsupported};
use crate::ElementType::U32;
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorData, TensorType};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "control_logic",
    type_name: "ControlLogic",
    description: "The zoo's person-gesture gate: b[0] when a[0] == 1, otherwise 6.",
    args: &[],
    inputs: Inputs::Fixed(&[Port { name: "a", types: &[U32] }, Port { name: "b", types: &[U32] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(U32)]),
    check_shapes: None,
    create: super::create::<ControlLogic>,
};

/// The value emitted when the gate is closed.
const OTHERWISE: u32 = 6;

#[derive(Debug, Default)]
struct ControlLogic;

impl Configure for ControlLogic {}

impl ProcBlock for ControlLogic {
    fn transform(&mut self, inputs: &[Tensor], _outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        let [a, b] = take_inputs::<2>("control_logic", inputs)?;
        let TensorData::U32(a) = a.data() else { return Err(unsupported("control_logic", a)) };
        let TensorData::U32(b) = b.data() else { return Err(unsupported("control_logic", b)) };
        let gate = *a.first().ok_or_else(|| index_out_of_bounds(0, 0))?;
        let value = if gate == 1 { *b.first().ok_or_else(|| index_out_of_bounds(0, 0))? } else { OTHERWISE };
        Ok(vec![Tensor::vector(TensorData::U32(vec![value]))])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::TensorData::U32;

    fn gate(a: Vec<u32>, b: Vec<u32>) -> Result<Vec<u32>, String> {
        let mut out = run("control_logic", &[], vec![v(U32(a)), v(U32(b))]).map_err(|e| e.0)?;
        match out.remove(0).into_data() {
            U32(v) => Ok(v),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn passes_b_only_when_a_is_one() {
        assert_eq!(gate(vec![1], vec![3, 4]), Ok(vec![3]));
        assert_eq!(gate(vec![0], vec![3]), Ok(vec![6]));
        assert_eq!(gate(vec![2, 1], vec![3]), Ok(vec![6]));
        assert_eq!(gate(vec![0], vec![]), Ok(vec![6]));
        assert!(gate(vec![], vec![1]).unwrap_err().contains("index out of bounds"));
        assert!(gate(vec![1], vec![]).unwrap_err().contains("index out of bounds"));
    }
}
