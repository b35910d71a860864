//! Unit tests of the importer on generated models.
use super::*;
use crate::samples;
use crate::{Tensor as RTensor, TensorData};

fn load(bytes: &[u8], inputs: &[TensorType], outputs: &[TensorType]) -> Box<dyn Model> {
    TractBackend.load(ModelFormat::TensorFlowLite, bytes, inputs, outputs).unwrap()
}

/// Small models written with the builder, and helpers to run them.
mod build {
    pub use crate::tflite::{
        Activation, BuiltinOptions, ModelBuilder, Padding, Quantization, TensorKind, builtin, bytes_of_f32,
        bytes_of_i32,
    };

    pub fn q(scale: f32, zero_point: i64) -> Option<Quantization> {
        Some(Quantization { scale: vec![scale], zero_point: vec![zero_point], quantized_dimension: 0 })
    }

    /// A float activation tensor.
    pub fn f32t(b: &mut ModelBuilder, name: &str, shape: &[i32]) -> i32 {
        b.tensor(name, TensorKind::Float32, shape, None, None)
    }

    pub fn const_f32(b: &mut ModelBuilder, name: &str, shape: &[i32], values: &[f32]) -> i32 {
        let buf = b.buffer(bytes_of_f32(values));
        b.tensor(name, TensorKind::Float32, shape, Some(buf), None)
    }

    pub fn const_i32(b: &mut ModelBuilder, name: &str, shape: &[i32], values: &[i32]) -> i32 {
        let buf = b.buffer(bytes_of_i32(values));
        b.tensor(name, TensorKind::Int32, shape, Some(buf), None)
    }
}

use build::*;

/// A float tensor.
fn tf32(dims: &[usize], values: &[f32]) -> RTensor {
    RTensor::new(dims.to_vec(), TensorData::F32(values.to_vec())).unwrap()
}

/// Loads a model with its own input and output types and runs it once.
fn run(bytes: &[u8], inputs: &[RTensor]) -> Vec<RTensor> {
    let (declared_in, declared_out) = io_types(bytes);
    let mut model = load(bytes, &declared_in, &declared_out);
    let outputs = model.run(inputs).unwrap();
    // `RUNE_DUMP_MODELS=dir` writes every model with its inputs and outputs, to check them
    // against the reference interpreter.
    if let Some(dir) = std::env::var_os("RUNE_DUMP_MODELS") {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::path::Path::new(&dir).join(format!("m{:03}", COUNT.fetch_add(1, Ordering::Relaxed)));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("model.tflite"), bytes).unwrap();
        for (i, t) in inputs.iter().enumerate() {
            std::fs::write(dir.join(format!("in{i}.bin")), t.data().to_le_bytes().unwrap()).unwrap();
        }
        for (i, t) in outputs.iter().enumerate() {
            std::fs::write(dir.join(format!("ours{i}.bin")), t.data().to_le_bytes().unwrap()).unwrap();
        }
    }
    outputs
}

fn floats(t: &RTensor) -> Vec<f32> {
    t.data().to_f64().unwrap().iter().map(|&v| v as f32).collect()
}

fn assert_close(actual: &[f32], expected: &[f32], tolerance: f32) {
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() <= tolerance, "{actual:?} vs {expected:?}");
    }
}

/// A model with one builtin operator on float inputs; `extra` are constant inputs.
fn one_op(
    code: i32,
    inputs: &[(&str, &[i32])],
    consts: &[(&[i32], &[f32])],
    int_consts: &[(&[i32], &[i32])],
    output: &[i32],
    options: Option<BuiltinOptions>,
) -> Vec<u8> {
    let mut b = ModelBuilder::new();
    let mut ins: Vec<i32> = inputs.iter().map(|(name, shape)| f32t(&mut b, name, shape)).collect();
    let graph_inputs = ins.clone();
    for (i, (shape, values)) in consts.iter().enumerate() {
        ins.push(const_f32(&mut b, &format!("c{i}"), shape, values));
    }
    for (i, (shape, values)) in int_consts.iter().enumerate() {
        ins.push(const_i32(&mut b, &format!("i{i}"), shape, values));
    }
    let out = f32t(&mut b, "out", output);
    b.operator(code, &ins, &[out], options);
    b.inputs(&graph_inputs).outputs(&[out]);
    b.finish()
}

#[test]
fn sine_sample_interpolates_sine_through_its_knots() {
    let f = |d: Vec<usize>| TensorType::new(ElementType::F32, d);
    let mut m = load(&samples::sine_model(), &[f(vec![1, 1])], &[f(vec![1, 1])]);
    let step = 2.0 * std::f32::consts::PI / 16.0;
    for i in 0..=160 {
        let x = i as f32 / 160.0 * 2.0 * std::f32::consts::PI;
        let out = m.run(&[tf32(&[1, 1], &[x])]).unwrap();
        let y = floats(&out[0])[0];
        // The sample is the piecewise-linear interpolation of sin through 17 knots.
        let k = ((x / step).floor() as usize).min(15);
        let (x0, x1) = (k as f32 * step, (k + 1) as f32 * step);
        let expected = x0.sin() + (x1.sin() - x0.sin()) * (x - x0) / step;
        assert!((y - expected).abs() < 1e-4, "f({x}) = {y}, interpolation {expected}");
        // Linear pieces of 2π/16 stay within 0.02 of sin(x), and meet it at the knots.
        assert!((y - x.sin()).abs() < 0.02, "f({x}) = {y} vs sin {}", x.sin());
        if i % 10 == 0 {
            assert!((y - x.sin()).abs() < 1e-4, "knot {x}: {y} vs {}", x.sin());
        }
    }
}

#[test]
fn colour_classifier_sample_classifies_mean_colours() {
    let bytes = samples::colour_classifier(8, 4, 6);
    let u8t = |d: Vec<usize>| TensorType::new(ElementType::U8, d);
    // The Rune may declare other dimensions with the same element count.
    let mut m = load(&bytes, &[u8t(vec![1, 4, 8, 3])], &[u8t(vec![6])]);
    let image = |rgb: [u8; 3]| {
        let data: Vec<u8> = (0..32).flat_map(|_| rgb).collect();
        RTensor::new(vec![1, 4, 8, 3], TensorData::U8(data)).unwrap()
    };
    for (rgb, class) in [([230, 20, 10], 1), ([10, 200, 30], 2), ([20, 10, 250], 3), ([128, 128, 128], 0)] {
        let out = m.run(&[image(rgb)]).unwrap();
        assert_eq!(out[0].dimensions(), &[6]);
        let TensorData::U8(scores) = out[0].data() else { panic!("u8 scores expected") };
        let best = (0..6).max_by_key(|&i| scores[i]).unwrap();
        assert_eq!(best, class, "{rgb:?} scored {scores:?}");
    }
    // Red: the mean colour (230, 20, 10)/255 gives 0.902 - 0.5·0.118 = 0.843 for class 1,
    // which is 215 in steps of 1/255; background is 0.1 = 26 steps.
    let TensorData::U8(scores) = m.run(&[image([230, 20, 10])]).unwrap()[0].data().clone() else { panic!() };
    assert_eq!(scores[0], 26);
    assert!((i32::from(scores[1]) - 215).abs() <= 1, "{scores:?}");
}

#[test]
fn keyword_sample_runs_in_int8() {
    let bytes = samples::keyword_model();
    let input = RTensor::new(vec![1, 1960], TensorData::I8(vec![-128; 1960])).unwrap();
    let out = run(&bytes, &[input]);
    // All inputs at the zero point: the scores are the biases, 0.001·bias/0.5 rounded: all 0.
    assert_eq!(out[0].data(), &TensorData::I8(vec![0; 6]));
    let input = RTensor::new(vec![1, 1960], TensorData::I8((0..1960).map(|i| (i % 256) as i8).collect())).unwrap();
    let a = run(&bytes, std::slice::from_ref(&input));
    assert_eq!(a, run(&bytes, &[input]), "deterministic");
}

#[test]
fn conv_2d_float_valid_and_same() {
    // 1x3x3x1 input 1..9, 2x2 kernel [[1, 0], [0, -1]], bias 0.5.
    let x: Vec<f32> = (1..=9).map(|v| v as f32).collect();
    for (padding, out_hw, expected) in [
        (Padding::Valid, 2, vec![-3.5, -3.5, -3.5, -3.5]),
        // SAME pads one row and column after: the last row/column only see x[i][j].
        (Padding::Same, 3, vec![-3.5, -3.5, 3.5, -3.5, -3.5, 6.5, 7.5, 8.5, 9.5]),
    ] {
        let options = BuiltinOptions::Conv2D {
            padding,
            stride_w: 1,
            stride_h: 1,
            fused_activation: Activation::None,
            dilation_w: 1,
            dilation_h: 1,
        };
        let bytes = one_op(
            builtin::CONV_2D,
            &[("x", &[1, 3, 3, 1])],
            &[(&[1, 2, 2, 1], &[1.0, 0.0, 0.0, -1.0]), (&[1], &[0.5])],
            &[],
            &[1, out_hw, out_hw, 1],
            Some(options),
        );
        let out = run(&bytes, &[tf32(&[1, 3, 3, 1], &x)]);
        assert_close(&floats(&out[0]), &expected, 1e-6);
    }
}

#[test]
fn depthwise_conv_with_depth_multiplier_2() {
    // 2 input channels, multiplier 2: output channel c·2+m = x[c]·w[c·2+m] (+ bias).
    let options = BuiltinOptions::DepthwiseConv2D {
        padding: Padding::Valid,
        stride_w: 1,
        stride_h: 1,
        depth_multiplier: 2,
        fused_activation: Activation::Relu6,
        dilation_w: 1,
        dilation_h: 1,
    };
    let bytes = one_op(
        builtin::DEPTHWISE_CONV_2D,
        &[("x", &[1, 1, 2, 2])],
        &[(&[1, 1, 1, 4], &[1.0, 2.0, -1.0, 10.0]), (&[4], &[0.0, 0.0, 0.5, 0.0])],
        &[],
        &[1, 1, 2, 4],
        Some(options),
    );
    let out = run(&bytes, &[tf32(&[1, 1, 2, 2], &[1.0, 2.0, 3.0, 0.25])]);
    // pixel 0: x = (1, 2) -> (1, 2, -2+0.5 -> 0 (relu6), 20 -> 6); pixel 1: x = (3, 0.25).
    assert_close(&floats(&out[0]), &[1.0, 2.0, 0.0, 6.0, 3.0, 6.0, 0.25, 2.5], 1e-6);
}

#[test]
fn quantized_depthwise_conv_matches_hand_computed_integers() {
    // uint8 input (scale 0.5, zp 128), weights (scale 0.25, zp 128), output (scale 1, zp 100).
    let mut b = ModelBuilder::new();
    let x = b.tensor("x", TensorKind::UInt8, &[1, 1, 1, 1], None, q(0.5, 128));
    let wb = b.buffer(vec![132u8, 124, 136]);
    let w = b.tensor("w", TensorKind::UInt8, &[1, 1, 1, 3], Some(wb), q(0.25, 128));
    let bb = b.buffer(bytes_of_i32(&[0, 8, -3]));
    let bias = b.tensor("b", TensorKind::Int32, &[3], Some(bb), q(0.125, 0));
    let y = b.tensor("y", TensorKind::UInt8, &[1, 1, 1, 3], None, q(1.0, 100));
    let options = BuiltinOptions::DepthwiseConv2D {
        padding: Padding::Valid,
        stride_w: 1,
        stride_h: 1,
        depth_multiplier: 3,
        fused_activation: Activation::None,
        dilation_w: 1,
        dilation_h: 1,
    };
    b.operator(builtin::DEPTHWISE_CONV_2D, &[x, w, bias], &[y], Some(options));
    b.inputs(&[x]).outputs(&[y]);
    // x = 148 -> 10 real; weights 1, -1, 2 real; biases 0, 1, -0.375.
    let input = RTensor::new(vec![1, 1, 1, 1], TensorData::U8(vec![148])).unwrap();
    let out = run(&b.finish(), &[input]);
    // 10, -10 + 1 = -9, 20 - 0.375 = 19.625 -> 20 (+ zero point 100).
    assert_eq!(out[0].data(), &TensorData::U8(vec![110, 91, 120]));
}

#[test]
fn quantized_add_with_different_scales_requantizes() {
    let mut b = ModelBuilder::new();
    let a = b.tensor("a", TensorKind::UInt8, &[1, 4], None, q(0.5, 0));
    let c = b.tensor("c", TensorKind::UInt8, &[1, 4], None, q(0.25, 10));
    let y = b.tensor("y", TensorKind::UInt8, &[1, 4], None, q(1.0, 3));
    b.operator(builtin::ADD, &[a, c], &[y], Some(BuiltinOptions::Add { fused_activation: Activation::None }));
    b.inputs(&[a, c]).outputs(&[y]);
    let ta = RTensor::new(vec![1, 4], TensorData::U8(vec![0, 3, 10, 255])).unwrap();
    let tc = RTensor::new(vec![1, 4], TensorData::U8(vec![10, 11, 0, 255])).unwrap();
    let out = run(&b.finish(), &[ta, tc]);
    // Reals: a = 0, 1.5, 5, 127.5; c = 0, 0.25, -2.5, 61.25. Sums 0, 1.75, 2.5, 188.75,
    // rounded half away from zero: 0, 2, 3 (2.5), 189, plus 3; the last clamps at 255? 192 no.
    assert_eq!(out[0].data(), &TensorData::U8(vec![3, 5, 6, 192]));
}

#[test]
fn quantize_rounds_half_away_from_zero_and_dequantize_restores() {
    let mut b = ModelBuilder::new();
    let x = f32t(&mut b, "x", &[6]);
    let qx = b.tensor("q", TensorKind::Int8, &[6], None, q(0.5, -1));
    let y = f32t(&mut b, "y", &[6]);
    b.operator(builtin::QUANTIZE, &[x], &[qx], None);
    b.operator(builtin::DEQUANTIZE, &[qx], &[y], None);
    b.inputs(&[x]).outputs(&[y, qx]);
    let out = run(&b.finish(), &[tf32(&[6], &[0.75, -0.75, 0.2, 100.0, -100.0, 0.0])]);
    // 0.75/0.5 = 1.5 -> 2, -1.5 -> -2 (away from zero); 0.4 -> 0; then + zp -1, clamped.
    assert_eq!(out[1].data(), &TensorData::I8(vec![1, -3, -1, 127, -128, -1]));
    assert_close(&floats(&out[0]), &[1.0, -1.0, 0.0, 64.0, -63.5, 0.0], 0.0);
}

#[test]
fn mean_is_not_rounded() {
    let bytes = one_op(
        builtin::MEAN,
        &[("x", &[1, 2, 2, 1])],
        &[],
        &[(&[2], &[1, 2])],
        &[1, 1],
        Some(BuiltinOptions::Reducer { keep_dims: false }),
    );
    let out = run(&bytes, &[tf32(&[1, 2, 2, 1], &[0.1, 0.2, 0.3, 0.5])]);
    assert_eq!(out[0].dimensions(), &[1, 1]);
    assert_close(&floats(&out[0]), &[0.275], 1e-7);
}

#[test]
fn fully_connected_flattens_rank_4_inputs_and_keeps_dims() {
    // Weights [2, 3]: rows (1, 0, -1) and (0.5, 0.5, 0.5); bias (0, 1).
    let w: &[f32] = &[1.0, 0.0, -1.0, 0.5, 0.5, 0.5];
    let x: Vec<f32> = (0..6).map(|v| v as f32).collect();
    for (keep, out_shape) in [(false, vec![2, 2]), (true, vec![1, 2, 1, 2])] {
        let options = BuiltinOptions::FullyConnectedWith {
            fused_activation: Activation::None,
            keep_num_dims: keep,
            asymmetric_quantize_inputs: false,
        };
        let bytes = one_op(
            builtin::FULLY_CONNECTED,
            &[("x", &[1, 2, 1, 3])],
            &[(&[2, 3], w), (&[2], &[0.0, 1.0])],
            &[],
            &out_shape.iter().map(|&d| d as i32).collect::<Vec<_>>(),
            Some(options),
        );
        let out = run(&bytes, &[tf32(&[1, 2, 1, 3], &x)]);
        assert_eq!(out[0].dimensions(), out_shape.as_slice());
        // rows (0, 1, 2) and (3, 4, 5): (-2, 2.5) and (-2, 7).
        assert_close(&floats(&out[0]), &[-2.0, 2.5, -2.0, 7.0], 1e-6);
    }
}

#[test]
fn softmax_and_activations() {
    let bytes =
        one_op(builtin::SOFTMAX, &[("x", &[1, 3])], &[], &[], &[1, 3], Some(BuiltinOptions::Softmax { beta: 1.0 }));
    let out = run(&bytes, &[tf32(&[1, 3], &[1.0, 2.0, 3.0])]);
    let e: Vec<f32> = [1.0f32, 2.0, 3.0].iter().map(|v| v.exp()).collect();
    let sum: f32 = e.iter().sum();
    assert_close(&floats(&out[0]), &e.iter().map(|v| v / sum).collect::<Vec<_>>(), 1e-6);

    let x = [-8.0, -0.5, 0.0, 0.5, 7.0];
    let cases: [(i32, Option<BuiltinOptions>, [f32; 5]); 5] = [
        (builtin::RELU, None, [0.0, 0.0, 0.0, 0.5, 7.0]),
        (builtin::RELU6, None, [0.0, 0.0, 0.0, 0.5, 6.0]),
        (builtin::RELU_N1_TO_1, None, [-1.0, -0.5, 0.0, 0.5, 1.0]),
        (builtin::LEAKY_RELU, Some(BuiltinOptions::LeakyRelu { alpha: 0.25 }), [-2.0, -0.125, 0.0, 0.5, 7.0]),
        (builtin::LOGISTIC, None, x.map(|v: f32| 1.0 / (1.0 + (-v).exp()))),
    ];
    for (code, options, expected) in cases {
        let bytes = one_op(code, &[("x", &[5])], &[], &[], &[5], options);
        let out = run(&bytes, &[tf32(&[5], &x)]);
        assert_close(&floats(&out[0]), &expected, 1e-5);
    }
    let bytes = one_op(builtin::TANH, &[("x", &[5])], &[], &[], &[5], None);
    assert_close(&floats(&run(&bytes, &[tf32(&[5], &x)])[0]), &x.map(f32::tanh), 1e-5);
}

#[test]
fn elementwise_math_broadcasts() {
    let x = tf32(&[2, 2], &[1.0, 4.0, 9.0, 16.0]);
    let cases: [(i32, Option<BuiltinOptions>, [f32; 4]); 6] = [
        (builtin::SUB, Some(BuiltinOptions::Sub { fused_activation: Activation::None }), [0.0, 2.0, 8.0, 14.0]),
        (builtin::MUL, Some(BuiltinOptions::Mul { fused_activation: Activation::None }), [1.0, 8.0, 9.0, 32.0]),
        (builtin::DIV, Some(BuiltinOptions::Div { fused_activation: Activation::None }), [1.0, 2.0, 9.0, 8.0]),
        (builtin::SQUARED_DIFFERENCE, None, [0.0, 4.0, 64.0, 196.0]),
        (builtin::MAXIMUM, None, [1.0, 4.0, 9.0, 16.0]),
        (builtin::MINIMUM, None, [1.0, 2.0, 1.0, 2.0]),
    ];
    for (code, options, expected) in cases {
        // [2, 2] op [2] broadcasts along the rows.
        let bytes = one_op(code, &[("x", &[2, 2])], &[(&[2], &[1.0, 2.0])], &[], &[2, 2], options);
        let out = run(&bytes, std::slice::from_ref(&x));
        assert_close(&floats(&out[0]), &expected, 1e-6);
    }
    let bytes = one_op(builtin::RSQRT, &[("x", &[2, 2])], &[], &[], &[2, 2], None);
    assert_close(&floats(&run(&bytes, &[x])[0]), &[1.0, 0.5, 1.0 / 3.0, 0.25], 1e-6);
}

#[test]
fn pooling_and_padding() {
    let x: Vec<f32> = (1..=16).map(|v| v as f32).collect();
    let pool = |padding| BuiltinOptions::Pool2D {
        padding,
        stride_w: 2,
        stride_h: 2,
        filter_width: 2,
        filter_height: 2,
        fused_activation: Activation::None,
    };
    let bytes =
        one_op(builtin::MAX_POOL_2D, &[("x", &[1, 4, 4, 1])], &[], &[], &[1, 2, 2, 1], Some(pool(Padding::Valid)));
    assert_close(&floats(&run(&bytes, &[tf32(&[1, 4, 4, 1], &x)])[0]), &[6.0, 8.0, 14.0, 16.0], 0.0);
    let bytes =
        one_op(builtin::AVERAGE_POOL_2D, &[("x", &[1, 4, 4, 1])], &[], &[], &[1, 2, 2, 1], Some(pool(Padding::Valid)));
    assert_close(&floats(&run(&bytes, &[tf32(&[1, 4, 4, 1], &x)])[0]), &[3.5, 5.5, 11.5, 13.5], 1e-6);

    // PAD with [[0, 0], [1, 2]] on [1, 2].
    let bytes = one_op(builtin::PAD, &[("x", &[1, 2])], &[], &[(&[2, 2], &[0, 0, 1, 2])], &[1, 5], None);
    assert_close(&floats(&run(&bytes, &[tf32(&[1, 2], &[7.0, 8.0])])[0]), &[0.0, 7.0, 8.0, 0.0, 0.0], 0.0);
    // MIRROR_PAD of [1, 2, 3] by 2 on both sides.
    for (mode, expected) in [(0, [3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]), (1, [2.0, 1.0, 1.0, 2.0, 3.0, 3.0, 2.0])] {
        let bytes = one_op(
            builtin::MIRROR_PAD,
            &[("x", &[3])],
            &[],
            &[(&[1, 2], &[2, 2])],
            &[7],
            Some(BuiltinOptions::MirrorPad { mode }),
        );
        assert_close(&floats(&run(&bytes, &[tf32(&[3], &[1.0, 2.0, 3.0])])[0]), &expected, 0.0);
    }
}

#[test]
fn space_to_batch_and_back() {
    let x: Vec<f32> = (0..16).map(|v| v as f32).collect();
    let bytes = one_op(
        builtin::SPACE_TO_BATCH_ND,
        &[("x", &[1, 4, 4, 1])],
        &[],
        &[(&[2], &[2, 2]), (&[2, 2], &[0, 0, 0, 0])],
        &[4, 2, 2, 1],
        None,
    );
    let out = run(&bytes, &[tf32(&[1, 4, 4, 1], &x)]);
    let expected = [0.0, 2.0, 8.0, 10.0, 1.0, 3.0, 9.0, 11.0, 4.0, 6.0, 12.0, 14.0, 5.0, 7.0, 13.0, 15.0];
    assert_close(&floats(&out[0]), &expected, 0.0);
    let bytes = one_op(
        builtin::BATCH_TO_SPACE_ND,
        &[("x", &[4, 2, 2, 1])],
        &[],
        &[(&[2], &[2, 2]), (&[2, 2], &[0, 1, 1, 0])],
        &[1, 3, 3, 1],
        None,
    );
    let out = run(&bytes, &[tf32(&[4, 2, 2, 1], &expected)]);
    // The 4x4 image back, cropped by one row at the bottom and one column on the left.
    assert_close(&floats(&out[0]), &[1.0, 2.0, 3.0, 5.0, 6.0, 7.0, 9.0, 10.0, 11.0], 0.0);
}

#[test]
fn resize_bilinear_and_nearest() {
    let x = tf32(&[1, 2, 2, 1], &[0.0, 1.0, 2.0, 3.0]);
    let bilinear =
        |align_corners, half_pixel_centers| BuiltinOptions::ResizeBilinear { align_corners, half_pixel_centers };
    let cases = [
        // Align corners: the corners map onto each other.
        (builtin::RESIZE_BILINEAR, bilinear(true, false), [0.0, 0.5, 1.0, 1.0, 1.5, 2.0, 2.0, 2.5, 3.0]),
        // Asymmetric: source = output · 2/3.
        (
            builtin::RESIZE_BILINEAR,
            bilinear(false, false),
            [0.0, 2.0 / 3.0, 1.0, 4.0 / 3.0, 2.0, 7.0 / 3.0, 2.0, 8.0 / 3.0, 3.0],
        ),
        // Half-pixel centers: source = (output + 0.5) · 2/3 - 0.5.
        (builtin::RESIZE_BILINEAR, bilinear(false, true), [0.0, 0.5, 1.0, 1.0, 1.5, 2.0, 2.0, 2.5, 3.0]),
        (
            builtin::RESIZE_NEAREST_NEIGHBOR,
            BuiltinOptions::ResizeNearestNeighbor { align_corners: false, half_pixel_centers: false },
            [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 2.0, 2.0, 3.0],
        ),
    ];
    for (code, options, expected) in cases {
        let bytes = one_op(code, &[("x", &[1, 2, 2, 1])], &[], &[(&[2], &[3, 3])], &[1, 3, 3, 1], Some(options));
        let out = run(&bytes, std::slice::from_ref(&x));
        assert_close(&floats(&out[0]), &expected, 1e-6);
    }
}

#[test]
fn gather_pack_cast_topk_and_shapes() {
    // GATHER rows 2 and 0 of a [3, 2] tensor.
    let mut b = ModelBuilder::new();
    let params = f32t(&mut b, "params", &[3, 2]);
    let indices = b.tensor("indices", TensorKind::Int32, &[2], None, None);
    let out = f32t(&mut b, "out", &[2, 2]);
    b.operator(builtin::GATHER, &[params, indices], &[out], Some(BuiltinOptions::Gather { axis: 0, batch_dims: 0 }));
    b.inputs(&[params, indices]).outputs(&[out]);
    let bytes = b.finish();
    let p = tf32(&[3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let i = RTensor::new(vec![2], TensorData::I32(vec![2, 0])).unwrap();
    assert_close(&floats(&run(&bytes, &[p.clone(), i])[0]), &[5.0, 6.0, 1.0, 2.0], 0.0);
    // An index out of range is an error, not a panic.
    let (declared_in, declared_out) = io_types(&bytes);
    let mut m = load(&bytes, &declared_in, &declared_out);
    let bad = RTensor::new(vec![2], TensorData::I32(vec![3, 0])).unwrap();
    assert!(matches!(m.run(&[p, bad]), Err(ModelError::Inference(_))));

    // PACK two [2] vectors along axis 1 -> [2, 2].
    let mut b = ModelBuilder::new();
    let a = f32t(&mut b, "a", &[2]);
    let c = f32t(&mut b, "c", &[2]);
    let out = f32t(&mut b, "out", &[2, 2]);
    b.operator(builtin::PACK, &[a, c], &[out], Some(BuiltinOptions::Pack { values_count: 2, axis: 1 }));
    b.inputs(&[a, c]).outputs(&[out]);
    let out = run(&b.finish(), &[tf32(&[2], &[1.0, 2.0]), tf32(&[2], &[3.0, 4.0])]);
    assert_close(&floats(&out[0]), &[1.0, 3.0, 2.0, 4.0], 0.0);

    // CAST f32 -> i32 truncates.
    let mut b = ModelBuilder::new();
    let x = f32t(&mut b, "x", &[3]);
    let y = b.tensor("y", TensorKind::Int32, &[3], None, None);
    b.operator(builtin::CAST, &[x], &[y], Some(BuiltinOptions::Cast { in_data_type: 0, out_data_type: 2 }));
    b.inputs(&[x]).outputs(&[y]);
    assert_eq!(run(&b.finish(), &[tf32(&[3], &[1.7, -1.7, 3.0])])[0].data(), &TensorData::I32(vec![1, -1, 3]));

    // TOPK_V2 with k = 2: values and i32 indices, ties to the lower index.
    let mut b = ModelBuilder::new();
    let x = f32t(&mut b, "x", &[1, 5]);
    let k = const_i32(&mut b, "k", &[], &[2]);
    let values = f32t(&mut b, "values", &[1, 2]);
    let idx = b.tensor("indices", TensorKind::Int32, &[1, 2], None, None);
    b.operator(builtin::TOPK_V2, &[x, k], &[values, idx], None);
    b.inputs(&[x]).outputs(&[values, idx]);
    let out = run(&b.finish(), &[tf32(&[1, 5], &[0.5, 3.0, -1.0, 3.0, 2.0])]);
    assert_close(&floats(&out[0]), &[3.0, 3.0], 0.0);
    assert_eq!(out[1].data(), &TensorData::I32(vec![1, 3]));

    // ZEROS_LIKE, and BROADCAST_ARGS folded into a RESHAPE's shape.
    let mut b = ModelBuilder::new();
    let x = f32t(&mut b, "x", &[2, 3]);
    let s1 = const_i32(&mut b, "s1", &[2], &[1, 1]);
    let s2 = const_i32(&mut b, "s2", &[1], &[6]);
    let shape = b.tensor("shape", TensorKind::Int32, &[2], None, None);
    let zeros = f32t(&mut b, "zeros", &[2, 3]);
    let reshaped = f32t(&mut b, "reshaped", &[1, 6]);
    b.operator(builtin::BROADCAST_ARGS, &[s1, s2], &[shape], None);
    b.operator(builtin::ZEROS_LIKE, &[x], &[zeros], None);
    b.operator(builtin::RESHAPE, &[x, shape], &[reshaped], None);
    b.inputs(&[x]).outputs(&[zeros, reshaped]);
    let xs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let out = run(&b.finish(), &[tf32(&[2, 3], &xs)]);
    assert_close(&floats(&out[0]), &[0.0; 6], 0.0);
    assert_eq!(out[1].dimensions(), &[1, 6]);
    assert_close(&floats(&out[1]), &xs, 0.0);
}

#[test]
fn shapeless_tensors_are_inferred() {
    // A scalar constant and an intermediate tensor without a shape field, as some converters
    // write them (tract-tflite panics on these).
    let mut b = ModelBuilder::new();
    let x = f32t(&mut b, "x", &[1, 3]);
    let two = const_f32(&mut b, "two", &[], &[2.0]);
    b.omit_shape(two);
    let doubled = f32t(&mut b, "doubled", &[]);
    b.omit_shape(doubled);
    let y = f32t(&mut b, "y", &[1, 3]);
    b.operator(builtin::MUL, &[x, two], &[doubled], Some(BuiltinOptions::Mul { fused_activation: Activation::None }));
    b.operator(builtin::RELU, &[doubled], &[y], None);
    b.inputs(&[x]).outputs(&[y]);
    let out = run(&b.finish(), &[tf32(&[1, 3], &[-1.0, 0.5, 2.0])]);
    assert_close(&floats(&out[0]), &[0.0, 1.0, 4.0], 0.0);
}

#[test]
fn unsupported_operators_are_listed_together() {
    let mut b = ModelBuilder::new();
    let x = f32t(&mut b, "x", &[2, 2]);
    let t1 = f32t(&mut b, "t1", &[2, 2]);
    let t2 = f32t(&mut b, "t2", &[2, 2]);
    let t3 = f32t(&mut b, "t3", &[2, 2]);
    let t4 = f32t(&mut b, "t4", &[2, 2]);
    b.custom_operator("FlexTranspose", &[x], &[t1], &[]);
    b.operator(builtin::RELU, &[t1], &[t2], None);
    b.operator(builtin::LSTM, &[t2], &[t3], None);
    b.custom_operator("FlexTranspose", &[t3], &[t4], &[]);
    b.inputs(&[x]).outputs(&[t4]);
    let f = TensorType::new(ElementType::F32, vec![2, 2]);
    let bytes = b.finish();
    let err = TractModel::load(&bytes, std::slice::from_ref(&f), std::slice::from_ref(&f)).unwrap_err();
    assert_eq!(err, ModelError::UnsupportedOps("FlexTranspose (operators 0, 3), LSTM (operator 2)".into()));
    assert_eq!(
        err.to_string(),
        "The model uses operators the playground can't run yet: FlexTranspose (operators 0, 3), LSTM (operator 2)"
    );
    assert_eq!(super::unsupported(&bytes), Ok(Some("FlexTranspose (operators 0, 3), LSTM (operator 2)".into())));
    assert_eq!(super::unsupported(&samples::sine_model()), Ok(None));
    assert!(matches!(super::unsupported(b"not a model"), Err(ModelError::Invalid(_))));
}

#[test]
fn declared_types_are_checked() {
    let bytes = samples::sine_model();
    let f = |d: Vec<usize>| TensorType::new(ElementType::F32, d);
    // Other dimensions with the same element count are fine.
    assert!(TractModel::load(&bytes, &[f(vec![1])], &[f(vec![1, 1, 1])]).is_ok());
    let err = TractModel::load(&bytes, &[TensorType::new(ElementType::U8, vec![1, 1])], &[f(vec![1, 1])]).unwrap_err();
    assert_eq!(err, ModelError::Mismatch { declared: "u8[1, 1]".into(), actual: "f32[1, 1]".into() });
    assert_eq!(
        err.to_string(),
        "The Rune said tensors would be [u8[1, 1]], but the model said they would be [f32[1, 1]]"
    );
    let err = TractModel::load(&bytes, &[f(vec![1, 1])], &[f(vec![2])]).unwrap_err();
    assert!(matches!(err, ModelError::Mismatch { .. }), "{err}");
    let err = TractModel::load(&bytes, &[], &[f(vec![1, 1])]).unwrap_err();
    assert!(matches!(err, ModelError::Mismatch { .. }), "{err}");
    // Running with another type than declared is an error, not a panic.
    let mut m = load(&bytes, &[f(vec![1, 1])], &[f(vec![1, 1])]);
    let wrong = RTensor::new(vec![1, 1], TensorData::I32(vec![1])).unwrap();
    assert!(matches!(m.run(&[wrong]), Err(ModelError::Inference(_))));
    assert!(matches!(m.run(&[]), Err(ModelError::Inference(_))));
}

#[test]
fn other_formats_and_garbage_are_errors() {
    let f = TensorType::new(ElementType::F32, vec![1, 1]);
    let one = std::slice::from_ref(&f);
    let err = TractBackend.load(ModelFormat::Onnx, &samples::sine_model(), one, one).err().unwrap();
    assert_eq!(err, ModelError::UnsupportedFormat("application/onnx-model"));
    let err = TractModel::load(b"definitely not a model", one, one).unwrap_err();
    assert!(matches!(err, ModelError::Invalid(_)), "{err}");
    // A convolution whose kernel does not fit its input is invalid, not a panic.
    let options = BuiltinOptions::Conv2D {
        padding: Padding::Valid,
        stride_w: 1,
        stride_h: 1,
        fused_activation: Activation::None,
        dilation_w: 1,
        dilation_h: 1,
    };
    let bytes = one_op(
        builtin::CONV_2D,
        &[("x", &[1, 2, 2, 1])],
        &[(&[1, 3, 3, 1], &[0.0; 9])],
        &[],
        &[1, 1, 1, 1],
        Some(options),
    );
    let x = TensorType::new(ElementType::F32, vec![1, 2, 2, 1]);
    let err = TractModel::load(&bytes, &[x], &[f]).unwrap_err();
    assert!(matches!(err, ModelError::Invalid(_)), "{err}");
}

#[test]
fn mutated_models_never_panic() {
    // Flip bytes of small valid models: every outcome must be a value or an error.
    let models = [samples::sine_model(), samples::colour_classifier(4, 4, 4), samples::keyword_model()];
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for bytes in &models {
        let (inputs, outputs) = io_types(bytes);
        for _ in 0..300 {
            let mut mutated = bytes.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() % mutated.len() as u64) as usize;
                mutated[i] = next() as u8;
            }
            if let Ok(mut model) = TractModel::load(&mutated, &inputs, &outputs) {
                let zeros: Vec<RTensor> = inputs.iter().map(|t| RTensor::zeros(t).unwrap()).collect();
                let _ = model.run(&zeros);
            }
        }
    }
}

/// The zoo next to the workspace, when present.
fn zoo_dir() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/zoo");
    dir.is_dir().then_some(dir)
}

fn tflite_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            tflite_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "tflite") {
            out.push(path);
        }
    }
}

/// The model's own input and output types (as the Rune would declare them).
fn io_types(bytes: &[u8]) -> (Vec<TensorType>, Vec<TensorType>) {
    let info = tflite::read_info(bytes).unwrap();
    let ty = |t: &tflite::TensorInfo| {
        t.tensor_type().unwrap_or_else(|| TensorType::new(element_type(t.ty).unwrap_or(ElementType::F32), vec![]))
    };
    (info.inputs.iter().map(ty).collect(), info.outputs.iter().map(ty).collect())
}

#[test]
fn zoo_quantized_models_give_the_same_bytes_on_the_integer_matrix_product() {
    // `qgemm::QPointwise` and `qdepthwise::QDepthwise` (what wasm SIMD builds run for 1×1
    // convolutions and fully connected layers, for depthwise convolutions, and `QPointwise`
    // gathering the window, "QConv", for the other convolutions) against the f32 path and tract's
    // integer matrix product (which the differential tests check against the reference
    // interpreter), on every zoo model with 8-bit inputs, on the same pseudo-random input: every
    // output byte equal.
    let Some(zoo) = zoo_dir() else {
        println!("SKIPPED: zoo models: ../../shared/zoo is not present on this machine");
        return;
    };
    let mut files = Vec::new();
    tflite_files(&zoo, &mut files);
    let (mut pointwise_total, mut depthwise_total, mut gathered_total) = (0, 0, 0);
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let (inputs, outputs) = io_types(&bytes);
        if !inputs.iter().all(|t| matches!(t.element_type, ElementType::U8 | ElementType::I8)) {
            continue;
        }
        let mut state = 0x2545_f491_u32;
        let xs: Vec<RTensor> = inputs
            .iter()
            .map(|t| {
                let n = t.element_count().unwrap();
                let mut next = || {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (state >> 24) as u8
                };
                let data = match t.element_type {
                    ElementType::U8 => TensorData::U8((0..n).map(|_| next()).collect()),
                    _ => TensorData::I8((0..n).map(|_| next() as i8).collect()),
                };
                RTensor::new(t.dimensions.clone(), data).unwrap()
            })
            .collect();
        let mut results = Vec::new();
        for int_gemm in [false, true] {
            super::qint::force_int_gemm(Some(int_gemm));
            let loaded = TractModel::load(&bytes, &inputs, &outputs);
            super::qint::force_int_gemm(None);
            let Ok(mut model) = loaded else { break };
            let names: Vec<String> = model.plan.model().nodes().iter().map(|n| n.op.name().to_string()).collect();
            let count = |op: &str| names.iter().filter(|n| n.contains(op)).count();
            let counts = (count("QPointwise"), count("QDepthwise"), count("QConv"));
            results.push((counts, model.run(&xs).unwrap()));
        }
        let rel = path.strip_prefix(&zoo).unwrap().display().to_string();
        let [(_, f32_path), ((pointwise, depthwise, gathered), int_path)] = &results[..] else {
            println!("{rel}: does not load (see every_zoo_model_loads_or_lists_its_unsupported_ops)");
            continue;
        };
        println!(
            "{rel}: {pointwise} 1×1 convolutions and fully connected layers on QPointwise, {depthwise} \
             depthwise ones on QDepthwise, {gathered} others on QConv"
        );
        pointwise_total += pointwise;
        depthwise_total += depthwise;
        gathered_total += gathered;
        for (k, (a, b)) in f32_path.iter().zip(int_path).enumerate() {
            assert_eq!(a.data(), b.data(), "{rel}: output {k}");
        }
    }
    // MobileNetV2 alone has 35 of them; the speech models' fully connected layers, one each.
    assert!(pointwise_total >= 37, "{pointwise_total} QPointwise nodes in the zoo's models");
    assert!(depthwise_total >= 17, "{depthwise_total} QDepthwise nodes in the zoo's models");
    // MobileNetV2's first convolution (3×3, stride 2), and the first layers of person detection
    // (twice) and of the two speech models (depthwise convolutions of one input channel).
    assert!(gathered_total >= 5, "{gathered_total} QConv nodes in the zoo's models");
}

#[test]
fn every_zoo_model_loads_or_lists_its_unsupported_ops() {
    let Some(zoo) = zoo_dir() else {
        println!("SKIPPED: zoo models: ../../shared/zoo is not present on this machine");
        return;
    };
    let mut files = Vec::new();
    tflite_files(&zoo, &mut files);
    println!("{:<52} {:<60} result", "model", "operators");
    let mut loaded = 0;
    let mut problems = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let info = tflite::read_info(&bytes).unwrap();
        let mut ops: Vec<String> = info.operators.iter().map(|o| o.code.to_string()).collect();
        ops.sort();
        ops.dedup();
        let (inputs, outputs) = io_types(&bytes);
        // Outputs without shapes in the file are only known after loading: declare them after.
        let result = match TractModel::load(&bytes, &inputs, &outputs) {
            Ok(mut model) => {
                loaded += 1;
                // And it runs (on zeros).
                let zeros: Vec<RTensor> = inputs.iter().map(|t| RTensor::zeros(t).unwrap()).collect();
                match model.run(&zeros) {
                    Ok(_) => "loaded, runs".to_string(),
                    Err(e) => format!("loaded, RUN ERROR: {e}"),
                }
            }
            Err(e @ ModelError::UnsupportedOps(_)) => format!("error: {e}"),
            Err(e) => format!("ERROR: {e}"),
        };
        let rel = path.strip_prefix(&zoo).unwrap().display().to_string();
        println!("{rel:<52} {:<60} {result}", ops.join(" "));
        // Unsupported operators are a clean outcome; anything else is a bug to look at.
        if result.contains("ERROR") {
            problems.push(format!("{rel}: {result}"));
        }
    }
    println!("{loaded} of {} zoo models load", files.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Debugging aid: `RUNE_TRACE_MODEL=m.tflite RUNE_TRACE_INPUTS=a.bin,b.bin RUNE_TRACE_OUT=dir`
/// writes every computed tensor as `dir/t<index>.bin` (f32, real values).
#[test]
#[ignore = "debugging aid, driven by environment variables"]
fn trace_model_tensors() {
    let (Ok(model), Ok(inputs), Ok(out)) =
        (std::env::var("RUNE_TRACE_MODEL"), std::env::var("RUNE_TRACE_INPUTS"), std::env::var("RUNE_TRACE_OUT"))
    else {
        return;
    };
    let bytes = std::fs::read(model).unwrap();
    let info = tflite::read_info(&bytes).unwrap();
    let tensors: Vec<RTensor> = inputs
        .split(',')
        .zip(&info.inputs)
        .map(|(path, t)| {
            let ty = element_type(t.ty).unwrap();
            let data = TensorData::from_le_bytes(ty, &std::fs::read(path).unwrap()).unwrap();
            let shape = t.shape.clone().unwrap().iter().map(|&d| d as usize).collect();
            RTensor::new(shape, data).unwrap()
        })
        .collect();
    std::fs::create_dir_all(&out).unwrap();
    for (t, values) in trace(&bytes, &tensors).unwrap() {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(format!("{out}/t{t}.bin"), bytes).unwrap();
    }
}

/// A `TFLite_Detection_PostProcess` model: 6 anchors, 3 classes plus background.
fn detection_model(regular: bool) -> Vec<u8> {
    let mut b = ModelBuilder::new();
    let enc = f32t(&mut b, "box_encodings", &[1, 6, 4]);
    let cls = f32t(&mut b, "class_predictions", &[1, 6, 4]);
    // Anchors (ycenter, xcenter, h, w): two overlapping pairs and two apart.
    let anchors: Vec<f32> = [
        [0.5, 0.5, 0.2, 0.2],
        [0.51, 0.5, 0.2, 0.2],
        [0.2, 0.2, 0.1, 0.1],
        [0.8, 0.8, 0.3, 0.3],
        [0.21, 0.2, 0.1, 0.1],
        [0.5, 0.9, 0.1, 0.2],
    ]
    .concat();
    let anc = const_f32(&mut b, "anchors", &[6, 4], &anchors);
    let boxes = f32t(&mut b, "boxes", &[1, 3, 4]);
    let classes = f32t(&mut b, "classes", &[1, 3]);
    let scores = f32t(&mut b, "scores", &[1, 3]);
    let count = f32t(&mut b, "count", &[1]);
    let options = ModelBuilder::flex_map(
        &[("max_detections", 3), ("max_classes_per_detection", 1), ("detections_per_class", 2), ("num_classes", 3)],
        &[
            ("nms_score_threshold", 0.3),
            ("nms_iou_threshold", 0.5),
            ("y_scale", 10.0),
            ("x_scale", 10.0),
            ("h_scale", 5.0),
            ("w_scale", 5.0),
        ],
        &[("use_regular_nms", regular)],
    );
    b.custom_operator("TFLite_Detection_PostProcess", &[enc, cls, anc], &[boxes, classes, scores, count], &options);
    b.inputs(&[enc, cls]).outputs(&[boxes, classes, scores, count]);
    b.finish()
}

fn detection_inputs() -> [RTensor; 2] {
    let mut enc = vec![0f32; 24];
    enc[4] = 1.0; // anchor 1 moves down by 0.1 · 0.2 = 0.02
    enc[8 + 2] = 5.0; // anchor 2 grows e times in height
    // Class scores (background first).
    let cls = [
        [0.0, 0.9, 0.1, 0.0],
        [0.0, 0.8, 0.7, 0.0],
        [0.0, 0.2, 0.1, 0.6],
        [0.0, 0.1, 0.95, 0.0],
        [0.0, 0.0, 0.0, 0.5],
        [0.0, 0.1, 0.1, 0.1],
    ]
    .concat();
    [tf32(&[1, 6, 4], &enc), tf32(&[1, 6, 4], &cls)]
}

#[test]
fn detection_postprocess_fast_and_regular_nms() {
    let inputs = detection_inputs();
    let out = run(&detection_model(false), &inputs);
    // Fast NMS on each anchor's best class: 3 (0.95, class 1), 0 (0.9, class 0),
    // 1 (0.8) overlaps 0 (IoU ≈ 0.82) and goes, 2 (0.6, class 2); 4 overlaps 2 less than 0.5.
    assert_close(&floats(&out[2]), &[0.95, 0.9, 0.6], 1e-6);
    assert_close(&floats(&out[1]), &[1.0, 0.0, 2.0], 0.0);
    assert_close(&floats(&out[3]), &[3.0], 0.0);
    // Anchor 3 decodes to itself (0.8 ± 0.15); anchor 2 is e times taller. The boxes are those
    // the reference interpreter outputs for this model.
    let fast_boxes = [0.65, 0.65, 0.95, 0.95, 0.4, 0.4, 0.6, 0.6, 0.064_085_92, 0.15, 0.335_914_08, 0.25];
    assert_close(&floats(&out[0]), &fast_boxes, 1e-6);
    let out = run(&detection_model(true), &inputs);
    // Regular NMS per class: class 0 keeps 0 (0.9), class 1 keeps 3 (0.95) and 1 (0.7),
    // class 2 keeps 2 (0.6) and 4 (0.5); the best 3 overall.
    assert_close(&floats(&out[2]), &[0.95, 0.9, 0.7], 1e-6);
    assert_close(&floats(&out[1]), &[1.0, 0.0, 1.0], 0.0);
    assert_close(&floats(&out[3]), &[3.0], 0.0);
    // Anchor 1 moved down by 0.02.
    assert_close(&floats(&out[0])[8..], &[0.43, 0.4, 0.63, 0.6], 1e-6);
    if let Ok(dir) = std::env::var("RUNE_WRITE_DETECTION_MODEL") {
        for (i, regular) in [false, true].into_iter().enumerate() {
            std::fs::write(format!("{dir}/detection_{i}.tflite"), detection_model(regular)).unwrap();
        }
        for (i, t) in inputs.iter().enumerate() {
            std::fs::write(format!("{dir}/detection_in{i}.bin"), t.data().to_le_bytes().unwrap()).unwrap();
        }
    }
}

#[test]
fn hybrid_layers_quantize_their_float_inputs_like_tflite() {
    // FULLY_CONNECTED with int8 weights (1, 1) on a float input (1, 0.3): TFLite quantizes the
    // input row symmetrically (scale 1/127), so 0.3 becomes 38/127.
    let mut b = ModelBuilder::new();
    let x = f32t(&mut b, "x", &[1, 2]);
    let wb = b.buffer(vec![127u8, 127]);
    let w = b.tensor("w", TensorKind::Int8, &[1, 2], Some(wb), q(1.0 / 127.0, 0));
    let y = f32t(&mut b, "y", &[1, 1]);
    b.operator(
        builtin::FULLY_CONNECTED,
        &[x, w],
        &[y],
        Some(BuiltinOptions::FullyConnected { fused_activation: Activation::None }),
    );
    b.inputs(&[x]).outputs(&[y]);
    let out = run(&b.finish(), &[tf32(&[1, 2], &[1.0, 0.3])]);
    assert_close(&floats(&out[0]), &[1.0 + 38.0 / 127.0], 1e-6);

    // CONV_2D 1x1 with per-channel int8 weights (reals 1 and 2): the input is quantized
    // asymmetrically over the batch (range [0, 1], scale 1/255, zero point -128), so 0.3
    // becomes (-51 + 128)/255: -128 + 0.3 · 255 is -51.499997 before rounding in double, as in
    // the reference interpreter (two f32 operations would give -51.5 and -52).
    let mut b = ModelBuilder::new();
    let x = f32t(&mut b, "x", &[1, 1, 2, 1]);
    let wb = b.buffer(vec![127u8, 127]);
    let per_channel =
        Quantization { scale: vec![1.0 / 127.0, 2.0 / 127.0], zero_point: vec![0, 0], quantized_dimension: 0 };
    let w = b.tensor("w", TensorKind::Int8, &[2, 1, 1, 1], Some(wb), Some(per_channel));
    let y = f32t(&mut b, "y", &[1, 1, 2, 2]);
    let options = BuiltinOptions::Conv2D {
        padding: Padding::Valid,
        stride_w: 1,
        stride_h: 1,
        fused_activation: Activation::None,
        dilation_w: 1,
        dilation_h: 1,
    };
    let bias = const_f32(&mut b, "bias", &[2], &[0.0, 0.0]);
    b.operator(builtin::CONV_2D, &[x, w, bias], &[y], Some(options.clone()));
    b.inputs(&[x]).outputs(&[y]);
    let out = run(&b.finish(), &[tf32(&[1, 1, 2, 1], &[1.0, 0.3])]);
    let v = 77.0 / 255.0;
    assert_close(&floats(&out[0]), &[1.0, 2.0, v, 2.0 * v], 1e-6);

    // The same with equal scales is a per-tensor hybrid convolution, quantized symmetrically
    // (0.3 -> 38/127); and a depthwise one (multiplier 2), always asymmetric.
    for depthwise in [false, true] {
        let mut b = ModelBuilder::new();
        let x = f32t(&mut b, "x", &[1, 1, 2, 1]);
        let wb = b.buffer(vec![127u8, 127]);
        let scales = if depthwise { vec![1.0 / 127.0, 2.0 / 127.0] } else { vec![1.0 / 127.0; 2] };
        let axis = if depthwise { 3 } else { 0 };
        let quant = Quantization { scale: scales, zero_point: vec![0, 0], quantized_dimension: axis };
        let shape: &[i32] = if depthwise { &[1, 1, 1, 2] } else { &[2, 1, 1, 1] };
        let w = b.tensor("w", TensorKind::Int8, shape, Some(wb), Some(quant));
        let bias = const_f32(&mut b, "bias", &[2], &[0.0, 0.0]);
        let y = f32t(&mut b, "y", &[1, 1, 2, 2]);
        let (code, options) = if depthwise {
            let options = BuiltinOptions::DepthwiseConv2D {
                padding: Padding::Valid,
                stride_w: 1,
                stride_h: 1,
                depth_multiplier: 2,
                fused_activation: Activation::None,
                dilation_w: 1,
                dilation_h: 1,
            };
            (builtin::DEPTHWISE_CONV_2D, options)
        } else {
            (builtin::CONV_2D, options.clone())
        };
        b.operator(code, &[x, w, bias], &[y], Some(options));
        b.inputs(&[x]).outputs(&[y]);
        let out = run(&b.finish(), &[tf32(&[1, 1, 2, 1], &[1.0, 0.3])]);
        let expected = if depthwise { [1.0, 2.0, v, 2.0 * v] } else { [1.0, 1.0, 38.0 / 127.0, 38.0 / 127.0] };
        assert_close(&floats(&out[0]), &expected, 1e-6);
    }
}

/// A one-operator int8 model: quantized input(s) `[1, 4, 4, 3]`, quantized output.
fn int8_op(
    code: i32,
    inputs: usize,
    output_shape: &[i32],
    out_q: (f32, i64),
    options: Option<BuiltinOptions>,
) -> Vec<u8> {
    let mut b = ModelBuilder::new();
    let ins: Vec<i32> = (0..inputs)
        .map(|i| {
            b.tensor(
                &format!("x{i}"),
                TensorKind::Int8,
                &[1, 4, 4, 3],
                None,
                q(0.05 * (i + 1) as f32, i as i64 * 7 - 3),
            )
        })
        .collect();
    let y = b.tensor("y", TensorKind::Int8, output_shape, None, q(out_q.0, out_q.1));
    b.operator(code, &ins, &[y], options);
    b.inputs(&ins).outputs(&[y]);
    b.finish()
}

#[test]
fn int8_operators_stay_within_one_step_of_real_arithmetic() {
    let data: Vec<i8> = (0..48).map(|i| ((i * 37 + 11) % 256) as u8 as i8).collect();
    let input = |i: usize| {
        let rotated: Vec<i8> = data.iter().cycle().skip(i * 5).take(48).copied().collect();
        RTensor::new(vec![1, 4, 4, 3], TensorData::I8(rotated)).unwrap()
    };
    let real = |i: usize| -> Vec<f32> {
        let TensorData::I8(v) = input(i).into_data() else { unreachable!() };
        let (scale, zp) = (0.05 * (i + 1) as f32, i as f32 * 7.0 - 3.0);
        v.iter().map(|&q| (f32::from(q) - zp) * scale).collect()
    };
    let check = |bytes: Vec<u8>, n: usize, out_q: (f32, i64), expected: Vec<f32>| {
        let out = run(&bytes, &(0..n).map(input).collect::<Vec<_>>());
        let TensorData::I8(got) = out[0].data() else { panic!("int8 expected") };
        for (g, e) in got.iter().zip(&expected) {
            let want = ((e / out_q.0).round() + out_q.1 as f32).clamp(-128.0, 127.0);
            assert!((f32::from(*g) - want).abs() <= 1.0, "{got:?} vs {expected:?}");
        }
    };
    let (a, b) = (real(0), real(1));
    let mul = BuiltinOptions::Mul { fused_activation: Activation::None };
    let sub = BuiltinOptions::Sub { fused_activation: Activation::Relu };
    check(
        int8_op(builtin::MUL, 2, &[1, 4, 4, 3], (0.4, 5), Some(mul)),
        2,
        (0.4, 5),
        a.iter().zip(&b).map(|(x, y)| x * y).collect(),
    );
    check(
        int8_op(builtin::SUB, 2, &[1, 4, 4, 3], (0.1, -20), Some(sub)),
        2,
        (0.1, -20),
        a.iter().zip(&b).map(|(x, y)| (x - y).max(0.0)).collect(),
    );
    let concat = BuiltinOptions::Concatenation { axis: 3, fused_activation: Activation::None };
    let mut joined = Vec::new();
    for p in 0..16 {
        joined.extend_from_slice(&a[p * 3..p * 3 + 3]);
        joined.extend_from_slice(&b[p * 3..p * 3 + 3]);
    }
    check(int8_op(builtin::CONCATENATION, 2, &[1, 4, 4, 6], (0.08, 0), Some(concat)), 2, (0.08, 0), joined);
    let logistic: Vec<f32> = a.iter().map(|x| 1.0 / (1.0 + (-x).exp())).collect();
    check(int8_op(builtin::LOGISTIC, 1, &[1, 4, 4, 3], (1.0 / 256.0, -128), None), 1, (1.0 / 256.0, -128), logistic);
    check(
        int8_op(builtin::TANH, 1, &[1, 4, 4, 3], (1.0 / 128.0, 0), None),
        1,
        (1.0 / 128.0, 0),
        a.iter().map(|x| x.tanh()).collect(),
    );
    let mut softmax = Vec::new();
    for row in a.chunks(3) {
        let e: Vec<f32> = row.iter().map(|x| x.exp()).collect();
        let s: f32 = e.iter().sum();
        softmax.extend(e.iter().map(|v| v / s));
    }
    let options = BuiltinOptions::Softmax { beta: 1.0 };
    check(
        int8_op(builtin::SOFTMAX, 1, &[1, 4, 4, 3], (1.0 / 256.0, -128), Some(options)),
        1,
        (1.0 / 256.0, -128),
        softmax,
    );
    let pool = BuiltinOptions::Pool2D {
        padding: Padding::Same,
        stride_w: 2,
        stride_h: 2,
        filter_width: 3,
        filter_height: 3,
        fused_activation: Activation::None,
    };
    let mut maxes = Vec::new();
    for (oy, ox, c) in (0..2).flat_map(|y| (0..2).flat_map(move |x| (0..3).map(move |c| (y, x, c)))) {
        let mut m = f32::MIN;
        for y in oy * 2..(oy * 2 + 3).min(4) {
            for x in ox * 2..(ox * 2 + 3).min(4) {
                m = m.max(a[(y * 4 + x) * 3 + c]);
            }
        }
        maxes.push(m);
    }
    check(int8_op(builtin::MAX_POOL_2D, 1, &[1, 2, 2, 3], (0.05, -3), Some(pool)), 1, (0.05, -3), maxes);
}

/// TFLite's int8 average pool (`reference_integer_ops::AveragePool`): the sum of the stored
/// values inside the input, divided by their count rounding half away from zero, exactly; edge
/// windows count only the values inside.
#[test]
fn int8_average_pool_rounds_as_tflite() {
    let data: Vec<i8> = (0..48).map(|i| ((i * 37 + 11) % 256) as u8 as i8).collect();
    let x = RTensor::new(vec![1, 4, 4, 3], TensorData::I8(data.clone())).unwrap();
    for (stride, side) in [(2, 2), (1, 4)] {
        let pool = BuiltinOptions::Pool2D {
            padding: Padding::Same,
            stride_w: stride,
            stride_h: stride,
            filter_width: 3,
            filter_height: 3,
            fused_activation: Activation::None,
        };
        let bytes = int8_op(builtin::AVERAGE_POOL_2D, 1, &[1, side, side, 3], (0.05, -3), Some(pool));
        let out = run(&bytes, std::slice::from_ref(&x));
        let TensorData::I8(got) = out[0].data() else { panic!("int8 expected") };
        // TFLite's SAME padding: (out - 1) · stride + filter - in, half of it before.
        let (s, n) = (stride as usize, side as usize);
        let pad = ((n - 1) * s + 3).saturating_sub(4) / 2;
        let mut want = Vec::new();
        for (oy, ox, c) in (0..n).flat_map(|y| (0..n).flat_map(move |x| (0..3).map(move |c| (y, x, c)))) {
            let (mut sum, mut count) = (0i32, 0i32);
            for y in (oy * s).saturating_sub(pad)..(oy * s + 3 - pad).min(4) {
                for x in (ox * s).saturating_sub(pad)..(ox * s + 3 - pad).min(4) {
                    sum += i32::from(data[(y * 4 + x) * 3 + c]);
                    count += 1;
                }
            }
            let avg = if sum > 0 { (sum + count / 2) / count } else { (sum - count / 2) / count };
            want.push(avg.clamp(-128, 127) as i8);
        }
        assert_eq!(got, &want, "stride {stride}");
    }
}

/// A uint8 chain as MobileNet v2 is made of: 1x1 convolution (ReLU6) -> 3x3 depthwise -> 1x1
/// projection, a residual ADD of the projection and an earlier layer's output, a 1x1
/// convolution of the sum, a 3x3 average pool and a last 1x1 convolution (the classifier). Between these integer kernels the values travel centred (`qint::centred_output`): no
/// `ToCentered` pass is left in the plan, and every output equals what the same operators give
/// one at a time, each centring its input from real values.
#[test]
fn quantized_chains_hand_centred_values_from_kernel_to_kernel() {
    // tract's convolutions, then 1×1 ones on the integer matrix product: the same values.
    let tract = quantized_chain(false);
    let int_gemm = quantized_chain(true);
    for (k, (a, b)) in tract.iter().zip(&int_gemm).enumerate() {
        assert_eq!(a.data(), b.data(), "layer {k}");
    }
}

/// Runs a MobileNet-like uint8 chain whole, checks it against its layers run one by one, and
/// returns every layer's output; `int_gemm`: 1×1 convolutions on `qgemm::QPointwise`, the
/// depthwise one on `qdepthwise::QDepthwise`.
fn quantized_chain(int_gemm: bool) -> Vec<RTensor> {
    super::qint::force_int_gemm(Some(int_gemm));
    // The quantization (scale, zero point) of x and of each layer's output.
    let quants =
        [(0.02, 128), (0.03, 5), (0.05, 131), (0.02, 120), (0.04, 127), (0.06, 110), (0.06, 110), (0.005, 128)];
    let conv_with = |fused_activation| BuiltinOptions::Conv2D {
        padding: Padding::Same,
        stride_w: 1,
        stride_h: 1,
        fused_activation,
        dilation_w: 1,
        dilation_h: 1,
    };
    let (conv1, conv) = (conv_with(Activation::Relu6), conv_with(Activation::None));
    let depthwise = BuiltinOptions::DepthwiseConv2D {
        padding: Padding::Same,
        stride_w: 1,
        stride_h: 1,
        depth_multiplier: 1,
        fused_activation: Activation::None,
        dilation_w: 1,
        dilation_h: 1,
    };
    let pool = BuiltinOptions::Pool2D {
        padding: Padding::Same,
        stride_w: 1,
        stride_h: 1,
        filter_width: 3,
        filter_height: 3,
        fused_activation: Activation::None,
    };
    let weights =
        |n: usize, seed: usize| -> Vec<u8> { (0..n).map(|i| ((i * 73 + seed * 29) % 61 + 100) as u8).collect() };
    // One layer: the operator, its weights (shape, values) and its output channels.
    struct Layer {
        code: i32,
        options: BuiltinOptions,
        weights: Option<(Vec<i32>, Vec<u8>)>,
        channels: i32,
    }
    let layers = [
        Layer {
            code: builtin::CONV_2D,
            options: conv1,
            weights: Some((vec![6, 1, 1, 3], weights(18, 1))),
            channels: 6,
        },
        Layer {
            code: builtin::DEPTHWISE_CONV_2D,
            options: depthwise,
            weights: Some((vec![1, 3, 3, 6], weights(54, 2))),
            channels: 6,
        },
        Layer {
            code: builtin::CONV_2D,
            options: conv.clone(),
            weights: Some((vec![6, 1, 1, 6], weights(36, 3))),
            channels: 6,
        },
        Layer {
            code: builtin::ADD,
            options: BuiltinOptions::Add { fused_activation: Activation::None },
            weights: None,
            channels: 6,
        },
        Layer {
            code: builtin::CONV_2D,
            options: conv.clone(),
            weights: Some((vec![4, 1, 1, 6], weights(24, 4))),
            channels: 4,
        },
        Layer { code: builtin::AVERAGE_POOL_2D, options: pool, weights: None, channels: 4 },
        Layer { code: builtin::CONV_2D, options: conv, weights: Some((vec![3, 1, 1, 4], weights(12, 5))), channels: 3 },
    ];
    // Which earlier tensors (0: x, k: layer k's output) each layer reads.
    let reads: [&[usize]; 7] = [&[0], &[1], &[2], &[3, 1], &[4], &[5], &[6]];
    let channels = [3, 6, 6, 6, 6, 4, 4, 3];
    let add_layer = |b: &mut ModelBuilder, k: usize, ins: &[i32], out: i32| {
        let layer = &layers[k];
        let mut inputs = ins.to_vec();
        if let Some((shape, w)) = &layer.weights {
            let wb = b.buffer(w.clone());
            inputs.push(b.tensor(&format!("w{k}"), TensorKind::UInt8, shape, Some(wb), q(0.01, 128)));
            let bias: Vec<i32> = (0..layer.channels).map(|c| c * 37 - 50).collect();
            let bb = b.buffer(bytes_of_i32(&bias));
            inputs.push(b.tensor(&format!("b{k}"), TensorKind::Int32, &[layer.channels], Some(bb), q(0.0002, 0)));
        }
        b.operator(layer.code, &inputs, &[out], Some(layer.options.clone()));
    };
    let tensor = |b: &mut ModelBuilder, i: usize| {
        let (scale, zp) = quants[i];
        b.tensor(&format!("t{i}"), TensorKind::UInt8, &[1, 5, 5, channels[i]], None, q(scale, zp))
    };
    let pixels: Vec<u8> = (0..75).map(|i| ((i * 151 + 7) % 256) as u8).collect();
    let x = RTensor::new(vec![1, 5, 5, 3], TensorData::U8(pixels)).unwrap();

    // The whole chain in one model, every tensor an output.
    let mut b = ModelBuilder::new();
    let ts: Vec<i32> = (0..8).map(|i| tensor(&mut b, i)).collect();
    for k in 0..7 {
        let ins: Vec<i32> = reads[k].iter().map(|&i| ts[i]).collect();
        add_layer(&mut b, k, &ins, ts[k + 1]);
    }
    b.inputs(&[ts[0]]).outputs(&ts[1..]);
    let bytes = b.finish();
    let chained = run(&bytes, std::slice::from_ref(&x));

    // No ToCentered left: x is centred once, by the first layer (which reads real values).
    let model = TractModel::load_as_declared(&bytes).unwrap();
    let names: Vec<String> = model.plan.model().nodes().iter().map(|n| n.op.name().to_string()).collect();
    let centring = names.iter().filter(|n| n.contains("ToCentered")).count();
    assert_eq!(centring, 1, "{names:?}");
    let pointwise = names.iter().filter(|n| n.contains("QPointwise")).count();
    assert_eq!(pointwise, if int_gemm { 4 } else { 0 }, "{names:?}");
    let depthwise = names.iter().filter(|n| n.contains("QDepthwise")).count();
    assert_eq!(depthwise, if int_gemm { 1 } else { 0 }, "{names:?}");
    let pools = names.iter().filter(|n| n.contains("QAvgPool")).count();
    assert_eq!(pools, 1, "{names:?}");

    // Run after run, one model gives each input's values: the integer kernels write into
    // tensors earlier kernels made (`outputs`), whose old values must not show.
    let (declared_in, declared_out) = io_types(&bytes);
    let other: Vec<u8> = (0..75).map(|i| ((i * 89 + 200) % 256) as u8).collect();
    let other = RTensor::new(vec![1, 5, 5, 3], TensorData::U8(other)).unwrap();
    let inputs = [&x, &other, &x, &other];
    let wants: Vec<Vec<RTensor>> = inputs.iter().map(|&input| run(&bytes, std::slice::from_ref(input))).collect();
    let (kept, reused) = (super::outputs::kept(), super::outputs::reused());
    let mut again = load(&bytes, &declared_in, &declared_out);
    for (i, (input, want)) in inputs.iter().zip(&wants).enumerate() {
        let got = again.run(std::slice::from_ref(*input)).unwrap();
        for (k, (a, b)) in got.iter().zip(want).enumerate() {
            assert_eq!(a.data(), b.data(), "run {i}, layer {k}");
        }
        // The integer ADD's output, and with `int_gemm` the four 1×1 convolutions' and the
        // depthwise one's: six per run, four of the same shape, of which the last (the ADD)
        // takes the first's tensor, free by then, so the pool holds five; every output of a later
        // run reuses one.
        let (pool, reuses) = if int_gemm { (5, 1 + 6 * i) } else { (1, i) };
        assert_eq!(super::outputs::kept() - kept, pool, "run {i}");
        assert_eq!(super::outputs::reused() - reused, reuses, "run {i}");
    }
    // Released with the model.
    drop(again);
    assert_eq!(super::outputs::kept(), kept);

    // Layer by layer, from the chain's own tensors.
    let mut values = vec![x];
    for k in 0..7 {
        let mut b = ModelBuilder::new();
        let ins: Vec<i32> = reads[k].iter().map(|&i| tensor(&mut b, i)).collect();
        let out = tensor(&mut b, k + 1);
        add_layer(&mut b, k, &ins, out);
        b.inputs(&ins).outputs(&[out]);
        let inputs: Vec<RTensor> = reads[k].iter().map(|&i| values[i].clone()).collect();
        let out = run(&b.finish(), &inputs).remove(0);
        assert_eq!(out.data(), chained[k].data(), "layer {k}");
        values.push(out);
    }
    // Not all clamped or equal: the chain computes something.
    for k in [4, 6] {
        let TensorData::U8(z) = chained[k].data() else { panic!("layer {k} is not u8") };
        assert!(z.iter().collect::<std::collections::BTreeSet<_>>().len() > 5, "layer {k}: {z:?}");
    }
    super::qint::force_int_gemm(None);
    chained
}

/// A model of the speech models' layers (microspeech, multispeech): an 8-bit spectrogram
/// `[1, h, w, 1]` (`kind`: int8, or uint8), a depthwise convolution of its one channel with depth
/// multiplier 8 (window `kernel`, stride 2, SAME, ReLU; per-channel weights in int8, per-tensor in
/// uint8), then a fully connected layer to 6 outputs; both layers are outputs. With its input.
fn speech_layers(kind: TensorKind, [side_h, side_w]: [usize; 2], [kh, kw]: [usize; 2]) -> (Vec<u8>, RTensor) {
    let int8 = kind == TensorKind::Int8;
    let dim = |v: usize| i32::try_from(v).unwrap();
    let (oh, ow) = (side_h.div_ceil(2), side_w.div_ceil(2));
    let mut b = ModelBuilder::new();
    let x = b.tensor("x", kind, &[1, dim(side_h), dim(side_w), 1], None, q(0.1, if int8 { -3 } else { 125 }));
    let weights: Vec<u8> = (0..kh * kw * 8).map(|i| ((i * 73 + 11) % 251) as u8).collect();
    let wq = if int8 {
        let scale = (0..8).map(|c| 0.002 + 0.0005 * c as f32).collect();
        Some(Quantization { scale, zero_point: vec![0; 8], quantized_dimension: 3 })
    } else {
        q(0.004, 131)
    };
    let wb = b.buffer(weights);
    let w = b.tensor("w", kind, &[1, dim(kh), dim(kw), 8], Some(wb), wq);
    let bias = const_i32(&mut b, "b", &[8], &[-900, 40, 300, -25, 0, 1200, -3000, 77]);
    let h = b.tensor("h", kind, &[1, dim(oh), dim(ow), 8], None, q(0.08, if int8 { -128 } else { 0 }));
    let depthwise = BuiltinOptions::DepthwiseConv2D {
        padding: Padding::Same,
        stride_w: 2,
        stride_h: 2,
        depth_multiplier: 8,
        fused_activation: Activation::Relu,
        dilation_w: 1,
        dilation_h: 1,
    };
    b.operator(builtin::DEPTHWISE_CONV_2D, &[x, w, bias], &[h], Some(depthwise));
    let k = oh * ow * 8;
    let fc_weights: Vec<u8> = (0..6 * k).map(|i| ((i * 29 + 5) % 253) as u8).collect();
    let fb = b.buffer(fc_weights);
    let fw = b.tensor("fw", kind, &[6, dim(k)], Some(fb), q(0.003, if int8 { 0 } else { 126 }));
    let fbias = const_i32(&mut b, "fb", &[6], &[500, -500, 0, 2500, -1000, 10]);
    let y = b.tensor("y", kind, &[1, 6], None, q(0.2, if int8 { 4 } else { 130 }));
    let fc = BuiltinOptions::FullyConnected { fused_activation: Activation::None };
    b.operator(builtin::FULLY_CONNECTED, &[h, fw, fbias], &[y], Some(fc));
    b.inputs(&[x]).outputs(&[h, y]);
    let data: Vec<u8> = (0..side_h * side_w).map(|i| ((i * 151 + 7) % 256) as u8).collect();
    let data = if int8 { TensorData::I8(data.iter().map(|&v| v as i8).collect()) } else { TensorData::U8(data) };
    (b.finish(), RTensor::new(vec![1, side_h, side_w, 1], data).unwrap())
}

/// [`speech_layers`] small (`[1, 9, 8, 1]`, 4×3 window), int8 and uint8 (person detection's first
/// layer is such a depthwise one, in uint8). With the integer kernels (what wasm SIMD builds run)
/// the depthwise layer is the ordinary convolution it is, on `QPointwise` gathering its window
/// ("QConv"), and the fully connected one `QPointwise`; every output byte is what tract's
/// convolution and integer matrix product give.
#[test]
fn one_channel_depthwise_and_fully_connected_layers_run_on_the_integer_matrix_product() {
    for kind in [TensorKind::Int8, TensorKind::UInt8] {
        let (bytes, input) = speech_layers(kind, [9, 8], [4, 3]);
        let mut outputs = Vec::new();
        for int_gemm in [false, true] {
            super::qint::force_int_gemm(Some(int_gemm));
            let model = TractModel::load_as_declared(&bytes);
            let out = run(&bytes, std::slice::from_ref(&input));
            super::qint::force_int_gemm(None);
            let names: Vec<String> =
                model.unwrap().plan.model().nodes().iter().map(|n| n.op.name().to_string()).collect();
            let count = |op: &str| names.iter().filter(|n| n.contains(op)).count();
            let want = usize::from(int_gemm);
            assert_eq!((count("QConv"), count("QPointwise")), (want, want), "{kind:?}: {names:?}");
            outputs.push(out);
        }
        for (k, (a, b)) in outputs[0].iter().zip(&outputs[1]).enumerate() {
            assert_eq!(a.data(), b.data(), "{kind:?}: output {k}");
        }
        // Neither clamped nor constant: the layers compute something.
        let distinct =
            |t: &RTensor| t.data().to_le_bytes().unwrap().into_iter().collect::<std::collections::BTreeSet<_>>().len();
        assert!(distinct(&outputs[0][0]) > 20, "{kind:?}: {:?}", outputs[0][0]);
        assert!(distinct(&outputs[0][1]) > 3, "{kind:?}: {:?}", outputs[0][1]);
    }
}

/// [`speech_layers`] at the speech models' size (49×40 spectrogram, 10×8 window, 4000 inputs to
/// the fully connected layer), int8, on the integer kernels (the one-channel depthwise layer on
/// `QPointwise` gathering, the fully connected one on `QPointwise`) against tract's convolution
/// and integer matrix product, as whole models. Ignored by `cargo test`:
/// `scripts/bench-kernels.sh speech_speed` runs it in headless Chromium (release, +simd128).
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen_test::wasm_bindgen_test]
#[ignore]
fn speech_speed() {
    let (bytes, input) = speech_layers(TensorKind::Int8, [49, 40], [10, 8]);
    let (declared_in, declared_out) = io_types(&bytes);
    let mut models: Vec<Box<dyn Model>> = [true, false]
        .into_iter()
        .map(|int_gemm| {
            super::qint::force_int_gemm(Some(int_gemm));
            let model = load(&bytes, &declared_in, &declared_out);
            super::qint::force_int_gemm(None);
            model
        })
        .collect();
    let inputs = [input];
    let outputs: Vec<Vec<RTensor>> = models.iter_mut().map(|m| m.run(&inputs).unwrap()).collect();
    for (a, b) in outputs[0].iter().zip(&outputs[1]) {
        assert_eq!(a.data(), b.data());
    }
    let [ours, theirs] = super::timing::best_of(|side, _| {
        assert!(models[side].run(&inputs).is_ok());
    });
    wasm_bindgen_test::console_log!(
        "| speech layers (one-channel depthwise 10×8 ×8, fully connected 4000 → 6) | {ours:.3} ms | tract {theirs:.3} ms | {:.2}× |",
        ours / theirs.max(0.001)
    );
}
