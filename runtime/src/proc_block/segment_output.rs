//! `segment_output` (v0.11.3): for a `[1, H, W, C]` f32 tensor, output 0 is the `[H, W]` map of
//! the per-pixel argmax over C (the `argmax` scan: start at `(0, 0.0)`, strict `>`), output 1
//! the sorted, de-duplicated 1-D list of the classes that occur in it.
use std::collections::BTreeSet;

use super::argmax::argmax;
use super::{Configure, error, shaped, take_inputs, unsupported};
use crate::ElementType::{F32, U32};
use crate::TensorType;
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorData};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "segment_output",
    type_name: "SegmentOutput",
    description: "Per-pixel argmax of a [1, H, W, C] segmentation ([H, W] class map) and the sorted list of classes present.",
    args: &[],
    inputs: Inputs::Fixed(&[Port { name: "scores", types: &[F32] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(U32), OutPort::Fixed(U32)]),
    check_shapes: Some(check),
    create: super::create::<SegmentOutput>,
};

fn check(inputs: &[TensorType], _outputs: &[TensorType], _args: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    match inputs.first() {
        Some(input) if input.dimensions.len() != 4 || input.dimensions[0] != 1 => {
            vec![format!(
                "segment_output only accepts a rank 4 tensor whose first dimension is 1, but its input is {input}"
            )]
        }
        _ => Vec::new(),
    }
}

#[derive(Debug, Default)]
struct SegmentOutput;

impl Configure for SegmentOutput {}

impl ProcBlock for SegmentOutput {
    fn transform(&mut self, inputs: &[Tensor], _outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        let [input] = take_inputs::<1>("segment_output", inputs)?;
        let TensorData::F32(values) = input.data() else { return Err(unsupported("segment_output", input)) };
        let &[first, rows, columns, classes] = input.dimensions() else {
            return Err(error("it only accept a rank 4 tensor"));
        };
        if first != 1 {
            return Err(error("the first dimension should be 1"));
        }
        // With C = 0 the element count does not bound H x W, so check it.
        let pixels = rows
            .checked_mul(columns)
            .filter(|&p| p <= crate::MAX_ELEMENTS)
            .ok_or_else(|| error(format!("a [{rows}, {columns}] segmentation map is too large")))?;
        let mut map = Vec::with_capacity(pixels);
        let mut present = BTreeSet::new();
        for pixel in 0..pixels {
            let scores = values.get(pixel * classes..(pixel + 1) * classes).unwrap_or_default();
            let class = argmax(scores) as u32;
            map.push(class);
            present.insert(class);
        }
        Ok(vec![
            shaped(vec![rows, columns], TensorData::U32(map))?,
            Tensor::vector(TensorData::U32(present.into_iter().collect())),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::TensorData::{F32, U32};

    /// The original's `test_argmax`.
    #[test]
    fn original_test_vector() {
        let pixel_row = [
            [1.7611206, -0.824405, 3.3042068],
            [4.1308413, 3.8263698, 13.207806],
            [3.4352894, 4.6627636, 4.464175],
            [1.7611206, 8.24405, 3.3042068],
        ];
        let data: Vec<f32> = (0..5).flat_map(|_| pixel_row.iter().flatten().copied()).collect();
        let out = run("segment_output", &[], vec![t(&[1, 5, 4, 3], F32(data))]).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].dimensions(), [5, 4]);
        assert_eq!(out[0].data(), &U32([2, 2, 1, 1].repeat(5)));
        assert_eq!(out[1].dimensions(), [2]);
        assert_eq!(out[1].data(), &U32(vec![1, 2]));
    }

    #[test]
    fn argmax_scan_and_sorted_classes() {
        // Pixel 0: all negative → 0; pixel 1: tie → first; pixel 2: class 2.
        let data = vec![-1.0, -2.0, -3.0, 0.0, 5.0, 5.0, 0.1, 0.2, 0.3];
        let out = run("segment_output", &[], vec![t(&[1, 1, 3, 3], F32(data))]).unwrap();
        assert_eq!(out[0].data(), &U32(vec![0, 1, 2]));
        assert_eq!(out[1].data(), &U32(vec![0, 1, 2]));
    }

    #[test]
    fn rank_and_batch_errors() {
        let err = run("segment_output", &[], vec![t(&[1, 3, 2], F32(vec![0.0; 6]))]).unwrap_err();
        assert_eq!(err.0, "it only accept a rank 4 tensor");
        let err = run("segment_output", &[], vec![t(&[3, 1, 1, 2], F32(vec![0.0; 6]))]).unwrap_err();
        assert_eq!(err.0, "the first dimension should be 1");
        // No classes: every pixel is class 0.
        let out = run("segment_output", &[], vec![t(&[1, 2, 2, 0], F32(vec![]))]).unwrap();
        assert_eq!((out[0].data(), out[1].data()), (&U32(vec![0; 4]), &U32(vec![0])));
        assert!(run("segment_output", &[], vec![t(&[1, 1 << 30, 1 << 30, 0], F32(vec![]))]).is_err());
    }
}
