//! `image-normalization` (v0.11.3): `(v - T::MIN) / (T::MAX - T::MIN)` in f32, for a
//! `[_, _, _, 3]` image. There is no mean/std normalisation.
use super::{Configure, Element, NUMERIC, error, shaped, take_inputs, with_numeric};
use crate::ElementType::F32;
use crate::TensorType;
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorData};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "image_normalization",
    type_name: "ImageNormalization",
    description: "Scales integer pixels to f32 in 0..1: (v - MIN) / (MAX - MIN) of the input type.",
    args: &[],
    inputs: Inputs::Fixed(&[Port { name: "image", types: NUMERIC }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(F32)]),
    check_shapes: Some(check),
    create: super::create::<ImageNormalization>,
};

fn check(inputs: &[TensorType], _outputs: &[TensorType], _args: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let Some(input) = inputs.first() else { return Vec::new() };
    let mut problems = Vec::new();
    if input.element_type.is_float() {
        problems.push(format!(
            "image-normalization of {} input gives degenerate values (about 0 or NaN); feed it integer pixels",
            input.element_type
        ));
    }
    if input.dimensions.len() != 4 || input.dimensions.last() != Some(&3) {
        problems.push(format!("image-normalization needs a [1, height, width, 3] image, but its input is {input}"));
    }
    problems
}

#[derive(Debug, Default)]
struct ImageNormalization;

impl Configure for ImageNormalization {}

impl ProcBlock for ImageNormalization {
    fn transform(&mut self, inputs: &[Tensor], _outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        let [input] = take_inputs::<1>("image_normalization", inputs)?;
        let dims = input.dimensions();
        match *dims {
            [_, _, _, 3] => {}
            [_, _, _, channels] => {
                return Err(error(format!("The number of channels should be either 1 or 3, found {channels}")));
            }
            _ => {
                return Err(error(format!(
                    "The image normalization proc block only supports outputs of the form [frames, rows, columns, channels], found {dims:?}"
                )));
            }
        }
        let floats = with_numeric!(input.data(), values => normalize(values), _ => {
            return Err(super::unsupported("image_normalization", input));
        });
        Ok(vec![shaped(dims.to_vec(), TensorData::F32(floats))?])
    }
}

/// `(v - MIN) / (MAX - MIN)`, each term converted to f32 first (so f32/f64 inputs degenerate to
/// about 0 or NaN, as in the original).
fn normalize<T: Element>(values: &[T]) -> Vec<f32> {
    let (min, max) = (T::MIN_F32, T::MAX_F32);
    values.iter().map(|&v| (v.to_f32() - min) / (max - min)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::TensorData::{F32, F64, I8, I16, U8, U16};

    fn floats(data: crate::TensorData) -> Vec<f32> {
        match run1("image_normalization", &[], t(&[1, 1, 1, 3], data)).unwrap().into_data() {
            F32(v) => v,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn per_type_ranges() {
        assert_eq!(floats(U8(vec![0, 127, 255])), [0.0, 127.0 / 255.0, 1.0]);
        assert_eq!(floats(I8(vec![-128, 0, 127])), [0.0, 128.0 / 255.0, 1.0]);
        assert_eq!(floats(U16(vec![0, 65535, 1])), [0.0, 1.0, 1.0 / 65535.0]);
        assert_eq!(floats(I16(vec![-32768, 0, 32767])), [0.0, 32768.0 / 65535.0, 1.0]);
        let degenerate = floats(F32(vec![0.0, 1.0, 255.0]));
        assert!(degenerate.iter().all(|x| *x < 1e-6));
        assert!(floats(F64(vec![0.0, 1.0, 2.0])).iter().all(|x| x.is_nan()));
    }

    #[test]
    fn only_rank_4_images_with_3_channels() {
        let err = err1("image_normalization", &[], t(&[1, 2, 2, 1], U8(vec![0; 4])));
        assert_eq!(err, "The number of channels should be either 1 or 3, found 1");
        let err = err1("image_normalization", &[], t(&[2, 3], U8(vec![0; 6])));
        assert!(err.ends_with("[frames, rows, columns, channels], found [2, 3]"), "{err}");
        let out = run1("image_normalization", &[], t(&[1, 2, 1, 3], U8(vec![0; 6]))).unwrap();
        assert_eq!(out.dimensions(), [1, 2, 1, 3]);
    }
}
