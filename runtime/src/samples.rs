//! Small, real TensorFlow Lite models this project generates itself (no downloads), for tests,
//! fuzzing seeds and the playground's examples.
//!
//! * [`sine_model`]: `f32[1, 1] → f32[1, 1]`, three `FULLY_CONNECTED` layers computing the
//!   piecewise-linear interpolation of sin(x) on 0..2π through 17 knots.
//! * [`colour_classifier`]: `u8[1, H, W, 3] → u8[1, N]`, a quantized classifier of an image's mean
//!   colour (`AVERAGE_POOL_2D` → `RESHAPE` → `FULLY_CONNECTED`): class 1 is red, 2 green, 3 blue,
//!   class 0 (background) wins for grey images; all other classes score 0.
//! * [`keyword_model`]: `i8[1, 1960] → i8[1, 6]`, an int8 `FULLY_CONNECTED` layer shaped like the
//!   microspeech model, with fixed pseudo-random weights.
use std::f32::consts::PI;

use crate::tflite::{
    Activation, BuiltinOptions, ModelBuilder, Padding, Quantization, TensorKind, builtin, bytes_of_f32, bytes_of_i32,
};

fn quant(scale: f32, zero_point: i64) -> Option<Quantization> {
    Some(Quantization { scale: vec![scale], zero_point: vec![zero_point], quantized_dimension: 0 })
}

/// Number of linear pieces of [`sine_model`].
const PIECES: usize = 16;

/// `f32[1, 1] → f32[1, 1]`: sin(x) for x in 0..2π (piecewise linear, exact at 17 knots).
pub fn sine_model() -> Vec<u8> {
    let step = 2.0 * PI / PIECES as f32;
    let knots: Vec<f32> = (0..=PIECES).map(|i| i as f32 * step).collect();
    let slopes: Vec<f32> = knots.windows(2).map(|w| (w[1].sin() - w[0].sin()) / step).collect();
    // Layer 1: h_i = relu(x - k_i).
    let w1 = vec![1.0f32; PIECES];
    let b1: Vec<f32> = knots[..PIECES].iter().map(|k| -k).collect();
    // Layer 2: identity (values are already >= 0).
    let w2: Vec<f32> = (0..PIECES * PIECES).map(|i| if i / PIECES == i % PIECES { 1.0 } else { 0.0 }).collect();
    let b2 = vec![0.0f32; PIECES];
    // Layer 3: sum of slope changes.
    let w3: Vec<f32> = (0..PIECES).map(|i| if i == 0 { slopes[0] } else { slopes[i] - slopes[i - 1] }).collect();
    let b3 = vec![knots[0].sin()];

    let mut b = ModelBuilder::new();
    b.description("rune-playground sine: piecewise-linear sin(x) on 0..2pi");
    let pieces = PIECES as i32;
    let input = b.tensor("x", TensorKind::Float32, &[1, 1], None, None);
    let layer = |b: &mut ModelBuilder,
                 name: &str,
                 input: i32,
                 (inputs, out): (i32, i32),
                 w: &[f32],
                 bias: &[f32],
                 act: Activation| {
        let wb = b.buffer(bytes_of_f32(w));
        let bb = b.buffer(bytes_of_f32(bias));
        let weights = b.tensor(&format!("{name}/weights"), TensorKind::Float32, &[out, inputs], Some(wb), None);
        let bias_t = b.tensor(&format!("{name}/bias"), TensorKind::Float32, &[out], Some(bb), None);
        let output = b.tensor(name, TensorKind::Float32, &[1, out], None, None);
        b.operator(
            builtin::FULLY_CONNECTED,
            &[input, weights, bias_t],
            &[output],
            Some(BuiltinOptions::FullyConnected { fused_activation: act }),
        );
        output
    };
    let h1 = layer(&mut b, "dense_1", input, (1, pieces), &w1, &b1, Activation::Relu);
    let h2 = layer(&mut b, "dense_2", h1, (pieces, pieces), &w2, &b2, Activation::Relu);
    let y = layer(&mut b, "sin_x", h2, (pieces, 1), &w3, &b3, Activation::None);
    b.inputs(&[input]).outputs(&[y]);
    b.finish()
}

/// `u8[1, height, width, 3] → u8[1, classes]` (`classes` ≥ 4): class 1 red, 2 green, 3 blue,
/// 0 background (grey); the other classes always score 0.
pub fn colour_classifier(width: usize, height: usize, classes: usize) -> Vec<u8> {
    let classes = classes.max(4);
    let (w, h, n) = (width as i32, height as i32, classes as i32);
    let pixel = quant(1.0 / 255.0, 0);
    let mut b = ModelBuilder::new();
    b.description("rune-playground colour classifier: mean colour -> red/green/blue/background");
    let image = b.tensor("image", TensorKind::UInt8, &[1, h, w, 3], None, pixel.clone());
    let mean = b.tensor("mean_colour", TensorKind::UInt8, &[1, 1, 1, 3], None, pixel.clone());
    b.operator(
        builtin::AVERAGE_POOL_2D,
        &[image],
        &[mean],
        Some(BuiltinOptions::Pool2D {
            padding: Padding::Valid,
            stride_w: 1,
            stride_h: 1,
            filter_width: w,
            filter_height: h,
            fused_activation: Activation::None,
        }),
    );
    let shape_buffer = b.buffer(bytes_of_i32(&[1, 3]));
    let shape = b.tensor("flat_shape", TensorKind::Int32, &[2], Some(shape_buffer), None);
    let flat = b.tensor("flat", TensorKind::UInt8, &[1, 3], None, pixel);
    b.operator(builtin::RESHAPE, &[mean, shape], &[flat], Some(BuiltinOptions::Reshape { new_shape: vec![1, 3] }));
    // Weights in real units: class c (1..=3) = colour c minus half of the other two.
    let weight_scale = 1.0 / 127.0;
    let mut weights = vec![128u8; classes * 3];
    for class in 1..=3 {
        for channel in 0..3 {
            let real: f32 = if channel == class - 1 { 1.0 } else { -0.5 };
            weights[class * 3 + channel] = ((real / weight_scale).round() as i32 + 128).clamp(0, 255) as u8;
        }
    }
    let weights_buffer = b.buffer(weights);
    let weights_t =
        b.tensor("classifier/weights", TensorKind::UInt8, &[n, 3], Some(weights_buffer), quant(weight_scale, 128));
    // Background scores a constant 0.1.
    let bias_scale = (1.0 / 255.0) * weight_scale;
    let mut bias = vec![0i32; classes];
    bias[0] = (0.1 / bias_scale).round() as i32;
    let bias_buffer = b.buffer(bytes_of_i32(&bias));
    let bias_t = b.tensor("classifier/bias", TensorKind::Int32, &[n], Some(bias_buffer), quant(bias_scale, 0));
    let scores = b.tensor("scores", TensorKind::UInt8, &[1, n], None, quant(1.0 / 255.0, 0));
    b.operator(
        builtin::FULLY_CONNECTED,
        &[flat, weights_t, bias_t],
        &[scores],
        Some(BuiltinOptions::FullyConnected { fused_activation: Activation::None }),
    );
    b.inputs(&[image]).outputs(&[scores]);
    b.finish()
}

/// `i8[1, 1960] → i8[1, 6]`: an int8 layer shaped like the microspeech model (fixed weights).
pub fn keyword_model() -> Vec<u8> {
    let (inputs, outputs) = (1960usize, 6usize);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let weights: Vec<u8> = (0..inputs * outputs)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state % 15) as i8 - 7) as u8
        })
        .collect();
    let mut b = ModelBuilder::new();
    b.description("rune-playground keyword model: int8 fully connected, microspeech-shaped");
    let input = b.tensor("spectrogram", TensorKind::Int8, &[1, inputs as i32], None, quant(0.1, -128));
    let wb = b.buffer(weights);
    let w = b.tensor("keywords/weights", TensorKind::Int8, &[outputs as i32, inputs as i32], Some(wb), quant(0.01, 0));
    let bb = b.buffer(bytes_of_i32(&[0, 100, -100, 50, -50, 25]));
    let bias = b.tensor("keywords/bias", TensorKind::Int32, &[outputs as i32], Some(bb), quant(0.001, 0));
    let out = b.tensor("scores", TensorKind::Int8, &[1, outputs as i32], None, quant(0.5, 0));
    b.operator(
        builtin::FULLY_CONNECTED,
        &[input, w, bias],
        &[out],
        Some(BuiltinOptions::FullyConnected { fused_activation: Activation::None }),
    );
    b.inputs(&[input]).outputs(&[out]);
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tflite::read_info;

    #[test]
    fn samples_read_back_with_the_declared_io() {
        let sine = read_info(&sine_model()).expect("sine");
        assert_eq!(sine.inputs[0].describe(), "Float32[1, 1]");
        assert_eq!(sine.outputs[0].describe(), "Float32[1, 1]");
        assert_eq!(sine.operators.len(), 3);
        let food = read_info(&colour_classifier(192, 192, 2024)).expect("food");
        assert_eq!(food.inputs[0].describe(), "UInt8[1, 192, 192, 3]");
        assert_eq!(food.outputs[0].describe(), "UInt8[1, 2024]");
        let speech = read_info(&keyword_model()).expect("speech");
        assert_eq!(speech.inputs[0].describe(), "Int8[1, 1960]");
        assert_eq!(speech.outputs[0].describe(), "Int8[1, 6]");
        assert_eq!(sine_model(), sine_model(), "deterministic");
    }
}
