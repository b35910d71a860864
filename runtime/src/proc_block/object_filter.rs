//! `object_filter` (v0.11.3): keeps the detections of a `[1, N, 5 + C]` tensor whose objectness
//! (`row[4]`) is above the threshold, then merges near-duplicates.
//!
//! Each kept row becomes `[x, y, h, w, confidence, class]` with x, y, h, w = row[0..4] passed
//! through, class = the argmax of `row[5..]` (Rust `max_by`, so the last of equal maxima; NaN
//! compares as equal) and confidence = that class score. Then, until nothing changes: the first
//! pair `i < j` with |x_i - x_j| <= 0.01 and |y_i - y_j| <= 0.01 loses j if conf_i > conf_j,
//! otherwise i. Only the first batch (`[0, ..]`) is read.
use std::cmp::Ordering;

use super::{Configure, error, parse_arg, shaped, take_inputs, unknown_arg, unsupported};
use crate::ElementType::F32;
use crate::TensorType;
use crate::catalog::{ArgSpec, ArgType, Inputs, OutPort, Outputs, Port, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorData};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "object_filter",
    type_name: "ObjectFilter",
    description: "Keeps detections above the objectness threshold, merges near-duplicates; rows [x, y, h, w, confidence, class].",
    args: &[ArgSpec { name: "threshold", ty: ArgType::F32, default: Some("0.7"), doc: "objectness threshold" }],
    inputs: Inputs::Fixed(&[Port { name: "detections", types: &[F32] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(F32)]),
    check_shapes: Some(check),
    create: super::create::<ObjectFilter>,
};

fn check(inputs: &[TensorType], _outputs: &[TensorType], _args: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    match inputs.first() {
        Some(input) if input.dimensions.len() != 3 || input.dimensions[2] < 6 => {
            vec![format!("object_filter needs a [1, N, 5 + classes] input, but its input is {input}")]
        }
        _ => Vec::new(),
    }
}

/// How close two centres must be to count as the same object.
const DUPLICATE_DISTANCE: f32 = 0.01;

#[derive(Debug)]
struct ObjectFilter {
    threshold: f32,
}

impl Default for ObjectFilter {
    fn default() -> Self {
        ObjectFilter { threshold: 0.7 }
    }
}

impl Configure for ObjectFilter {
    fn set(&mut self, key: &str, value: &str) -> Result<(), ProcBlockError> {
        match key {
            "threshold" => self.threshold = parse_arg(key, value)?,
            _ => return Err(unknown_arg(key)),
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
struct Object {
    x: f32,
    y: f32,
    height: f32,
    width: f32,
    confidence: f32,
    class: usize,
}

impl Object {
    fn from_row(row: &[f32]) -> Result<Object, ProcBlockError> {
        let [x, y, height, width, _, labels @ ..] = row else { return Err(error("expected at least 5 elements")) };
        let (class, confidence) = labels
            .iter()
            .copied()
            .enumerate()
            .max_by(|a, b| {
                if a.1 < b.1 {
                    Ordering::Less
                } else if a.1 > b.1 {
                    Ordering::Greater
                } else {
                    Ordering::Equal
                }
            })
            .ok_or_else(|| error("there should be at least one label"))?;
        Ok(Object { x: *x, y: *y, height: *height, width: *width, confidence, class })
    }

    fn is_duplicate(&self, other: &Object) -> bool {
        (self.x - other.x).abs() <= DUPLICATE_DISTANCE && (self.y - other.y).abs() <= DUPLICATE_DISTANCE
    }
}

fn find_duplicate(objects: &[Object]) -> Option<(usize, usize)> {
    (0..objects.len())
        .flat_map(|i| (i + 1..objects.len()).map(move |j| (i, j)))
        .find(|&(i, j)| objects[i].is_duplicate(&objects[j]))
}

impl ProcBlock for ObjectFilter {
    fn transform(&mut self, inputs: &[Tensor], _outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        let [input] = take_inputs::<1>("object_filter", inputs)?;
        let TensorData::F32(values) = input.data() else { return Err(unsupported("object_filter", input)) };
        let &[batches, rows, width] = input.dimensions() else {
            return Err(error(format!("a 3-d tensor: found dimensions {:?}", input.dimensions())));
        };
        if rows > 0 && batches == 0 {
            return Err(super::index_out_of_bounds(0, 0));
        }
        let mut objects = Vec::new();
        for i in 0..rows {
            let row = values.get(i * width..(i + 1) * width).ok_or_else(|| super::index_out_of_bounds(i, rows))?;
            let objectness = *row.get(4).ok_or_else(|| super::index_out_of_bounds(4, row.len()))?;
            if objectness > self.threshold {
                objects.push(Object::from_row(row)?);
            }
        }
        while let Some((first, second)) = find_duplicate(&objects) {
            if objects[first].confidence > objects[second].confidence {
                objects.remove(second);
            } else {
                objects.remove(first);
            }
        }
        let count = objects.len();
        let elements =
            objects.into_iter().flat_map(|o| [o.x, o.y, o.height, o.width, o.confidence, o.class as f32]).collect();
        Ok(vec![shaped(vec![count, 6], TensorData::F32(elements))?])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::TensorData::F32;

    fn filter(args: &[(&str, &str)], rows: &[&[f32]]) -> Result<(Vec<usize>, Vec<f32>), String> {
        let width = rows.first().map_or(6, |r| r.len());
        let data: Vec<f32> = rows.iter().flat_map(|r| r.iter().copied()).collect();
        let out = run1("object_filter", args, t(&[1, rows.len(), width], F32(data))).map_err(|e| e.0)?;
        let dims = out.dimensions().to_vec();
        let F32(values) = out.into_data() else { panic!() };
        Ok((dims, values))
    }

    /// The original's `test_object_filter` (its literals kept as written).
    #[test]
    #[allow(clippy::excessive_precision)]
    fn original_test_vector() {
        #[rustfmt::skip]
        let data = vec![
            0.27335986, 0.43181776, 0.40072349, 0.33026114, 0.75, 0.1849257,
            0.8824799, 0.26666544, 0.10702547, 0.34699273, 0.27335986,
            0.43181776, 0.40072349, 0.33026114, 0.63204721, 0.2141086,
            0.58288711, 0.08516971, 0.33079992, 0.0627511, 0.51991946,
            0.44326415, 0.09308417, 0.25098184, 0.64352701, 0.48809405,
            0.35556684, 0.23886549, 0.15850841, 0.61959053, 0.62318601,
            0.34463603, 0.07799015, 0.33482861, 0.22496075, 0.58609099,
            0.12996288, 0.47061749, 0.56641317, 0.49165747, 0.3426614,
            0.45904443, 0.07293156, 0.2054915, 0.45656552, 0.36487279,
            0.62364449, 0.32963318, 0.35004969, 0.14574761, 0.44673359,
            0.29083161, 0.2129067, 0.41462883, 0.33459402, 0.17917575,
            0.09818682, 0.04437961, 0.5769604, 0.34821418, 0.44926693,
            0.4287493, 0.2332583, 0.29233373, 0.5974608, 0.02897593,
            0.09843597, 0.44231495, 0.30452269, 0.56230679, 0.0113074,
            0.56081945, 0.53853333, 0.43793348, 0.17007934, 0.35080665,
            0.05898283, 0.05127876, 0.29145357, 0.59377787, 0.51103643,
            0.13517603, 0.19269662, 0.47548843, 0.20795399,
        ];
        let out = run1("object_filter", &[], t(&[1, 1, 85], F32(data))).unwrap();
        assert_eq!(out.dimensions(), [1, 6]);
        assert_eq!(out.into_data(), F32(vec![0.27335986, 0.43181776, 0.40072349, 0.33026114, 0.8824799, 1.0]));
    }

    #[test]
    fn threshold_and_last_of_equal_maxima() {
        let rows: &[&[f32]] = &[&[0.1, 0.1, 1.0, 2.0, 0.9, 0.3, 0.3], &[0.5, 0.5, 1.0, 1.0, 0.7, 0.9, 0.1]];
        let (dims, values) = filter(&[], rows).unwrap();
        assert_eq!(dims, [1, 6], "0.7 is not above the default threshold");
        assert_eq!(values, [0.1, 0.1, 1.0, 2.0, 0.3, 1.0]);
        let (dims, _) = filter(&[("threshold", "0.5")], rows).unwrap();
        assert_eq!(dims, [2, 6]);
        let (dims, values) = filter(&[("threshold", "0.95")], rows).unwrap();
        assert_eq!((dims, values), (vec![0, 6], vec![]));
    }

    #[test]
    fn duplicates_merge_keeping_the_more_confident() {
        let rows: &[&[f32]] = &[
            &[0.500, 0.500, 1.0, 1.0, 0.9, 0.6, 0.0],
            &[0.505, 0.495, 1.0, 1.0, 0.9, 0.8, 0.0],
            &[0.900, 0.900, 1.0, 1.0, 0.9, 0.0, 0.7],
            &[0.905, 0.900, 1.0, 1.0, 0.9, 0.0, 0.7],
        ];
        let (dims, values) = filter(&[], rows).unwrap();
        assert_eq!(dims, [2, 6]);
        // Pair (0, 1): 0.6 is not above 0.8, so row 0 goes. Pair (2, 3) ties: the first goes.
        assert_eq!(values, [0.505, 0.495, 1.0, 1.0, 0.8, 0.0, 0.905, 0.9, 1.0, 1.0, 0.7, 1.0]);
    }

    #[test]
    fn shape_errors() {
        assert!(err1("object_filter", &[], t(&[2, 6], F32(vec![0.0; 12]))).starts_with("a 3-d tensor"));
        let err = err1("object_filter", &[], t(&[1, 1, 5], F32(vec![0.0, 0.0, 0.0, 0.0, 0.9])));
        assert_eq!(err, "there should be at least one label");
        let err = err1("object_filter", &[], t(&[1, 1, 3], F32(vec![0.0; 3])));
        assert!(err.contains("index out of bounds"), "{err}");
    }
}
