#![allow(clippy::unwrap_used)]

use std::path::Path;

use flatbuffers::FlatBufferBuilder;

use super::*;
use crate::{ElementType, TensorType};

/// A model like the sine example: three fully connected layers, 1 → 16 → 16 → 1.
fn sine_like() -> Vec<u8> {
    let mut b = ModelBuilder::new();
    b.description("three dense layers");
    let input = b.tensor("input", TensorKind::Float32, &[1, 1], None, None);
    let mut x = input;
    for (layer, (inputs, units)) in [(1, 16), (16, 16), (16, 1)].into_iter().enumerate() {
        let weights: Vec<f32> = (0..units * inputs).map(|i| i as f32 * 0.01 - 0.1).collect();
        let w = b.buffer(bytes_of_f32(&weights));
        let bias = b.buffer(bytes_of_f32(&vec![0.5; units as usize]));
        let w = b.tensor(&format!("dense_{layer}/weights"), TensorKind::Float32, &[units, inputs], Some(w), None);
        let bias = b.tensor(&format!("dense_{layer}/bias"), TensorKind::Float32, &[units], Some(bias), None);
        let y = b.tensor(&format!("dense_{layer}/output"), TensorKind::Float32, &[1, units], None, None);
        let fused_activation = if layer < 2 { Activation::Relu } else { Activation::None };
        b.operator(
            builtin::FULLY_CONNECTED,
            &[x, w, bias],
            &[y],
            Some(BuiltinOptions::FullyConnected { fused_activation }),
        );
        x = y;
    }
    b.inputs(&[input]).outputs(&[x]);
    b.finish()
}

/// A quantized model with options of several kinds and a custom operator.
fn assorted() -> Vec<u8> {
    let mut b = ModelBuilder::new();
    let quant = |scale: f32, zero_point: i64| {
        Some(Quantization { scale: vec![scale], zero_point: vec![zero_point], quantized_dimension: 0 })
    };
    let input = b.tensor("image", TensorKind::UInt8, &[1, 8, 8, 1], None, quant(0.5, 128));
    let filter = b.buffer(vec![1u8; 9 * 4]);
    let per_channel =
        Some(Quantization { scale: vec![0.1, 0.2, 0.3, 0.4], zero_point: vec![0; 4], quantized_dimension: 0 });
    let filter = b.tensor("filter", TensorKind::UInt8, &[4, 3, 3, 1], Some(filter), per_channel);
    let bias = b.buffer(bytes_of_i32(&[1, 2, 3, 4]));
    let bias = b.tensor("bias", TensorKind::Int32, &[4], Some(bias), None);
    let conv = b.tensor("conv", TensorKind::UInt8, &[1, 8, 8, 4], None, quant(0.25, 0));
    let conv_options = BuiltinOptions::Conv2D {
        padding: Padding::Same,
        stride_w: 1,
        stride_h: 1,
        fused_activation: Activation::Relu6,
        dilation_w: 1,
        dilation_h: 2,
    };
    b.operator(builtin::CONV_2D, &[input, filter, bias], &[conv], Some(conv_options));
    let shape = b.buffer(bytes_of_i32(&[1, 256]));
    let shape = b.tensor("shape", TensorKind::Int32, &[2], Some(shape), None);
    let flat = b.tensor("flat", TensorKind::UInt8, &[1, 256], None, quant(0.25, 0));
    b.operator(builtin::RESHAPE, &[conv, shape], &[flat], Some(BuiltinOptions::Reshape { new_shape: vec![1, 256] }));
    let probs = b.tensor("probs", TensorKind::UInt8, &[1, 256], None, quant(1.0 / 256.0, 0));
    b.operator(builtin::SOFTMAX, &[flat], &[probs], Some(BuiltinOptions::Softmax { beta: 1.0 }));
    let post = b.tensor("post", TensorKind::Float32, &[1, 256], None, None);
    b.custom_operator("MyPostProcess", &[probs, -1], &[post], b"\x01\x02\x03");
    let floor = b.tensor("floor", TensorKind::Float32, &[1, 256], None, None);
    b.operator(builtin::FLOOR, &[post], &[floor], None);
    b.inputs(&[input]).outputs(&[floor, probs]);
    b.finish()
}

#[test]
fn tflite_builder_round_trips_fully_connected() {
    let bytes = sine_like();
    assert_eq!(&bytes[4..8], b"TFL3");
    assert_eq!(bytes.len() % 16, 0);
    let info = read_info(&bytes).expect("builder output is valid");
    assert_eq!(info.version, 3);
    assert_eq!(info.description.as_deref(), Some("three dense layers"));
    assert_eq!(info.subgraph_count, 1);
    assert_eq!(info.operators.len(), 3);
    assert!(info.operators.iter().all(|op| op.code == OpCode::Builtin(builtin::FULLY_CONNECTED)));
    assert_eq!(info.operators[0].inputs, vec![0, 1, 2]);
    assert_eq!(info.operators[0].outputs, vec![3]);
    assert_eq!(info.inputs.len(), 1);
    assert_eq!(info.inputs[0].name, "input");
    assert_eq!(info.inputs[0].describe(), "Float32[1, 1]");
    assert_eq!(info.inputs[0].tensor_type(), Some(TensorType::new(ElementType::F32, vec![1, 1])));
    assert_eq!(info.outputs[0].index, 9);
    assert_eq!(info.outputs[0].describe(), "Float32[1, 1]");
    assert_eq!(info.outputs[0].quantization, None);

    let model = Model::parse(&bytes).unwrap();
    assert_eq!(model.buffer_count(), 7);
    assert!(model.buffer(0).unwrap().data().unwrap().is_empty());
    let subgraph = model.main_subgraph().unwrap();
    assert_eq!(subgraph.name().unwrap(), "main");
    let weights = subgraph.tensor(4).unwrap();
    assert_eq!(weights.name().unwrap(), "dense_1/weights");
    assert_eq!(weights.shape().unwrap().unwrap().to_vec(), vec![16, 16]);
    let data = model.tensor_data(&weights).unwrap().unwrap();
    assert_eq!(data.len(), 16 * 16 * 4);
    assert_eq!(&data[4..8], &(1.0f32 * 0.01 - 0.1).to_le_bytes());
    assert_eq!(model.tensor_data(&subgraph.tensor(0).unwrap()).unwrap(), None);
    // Buffer data is aligned to 16 bytes, as the converter writes it.
    for buffer in model.buffers() {
        let data = buffer.unwrap().data().unwrap();
        if !data.is_empty() {
            assert_eq!((data.as_ptr() as usize - bytes.as_ptr() as usize) % 16, 0);
        }
    }
    let first = subgraph.operator(0).unwrap();
    assert_eq!(first.builtin_options_type().unwrap(), 8);
    assert_eq!(builtin_options_name(first.builtin_options_type().unwrap()), Some("FullyConnectedOptions"));
    let options = first.builtin_options().unwrap().unwrap();
    assert_eq!(Activation::from_code(options.scalar(0, 0i8).unwrap()), Some(Activation::Relu));
    assert!(!options.scalar(2, false).unwrap());
    let last = subgraph.operator(2).unwrap();
    assert_eq!(last.builtin_options().unwrap().unwrap().scalar(0, 0i8).unwrap(), 0);
    let code = model.operator_code_of(&first).unwrap();
    assert_eq!(code.builtin_code().unwrap(), 9);
    assert_eq!(code.version().unwrap(), 1);
    assert_eq!(code.custom_code().unwrap(), None);
}

#[test]
fn tflite_builder_writes_options_quantization_and_custom_ops() {
    let bytes = assorted();
    let info = read_info(&bytes).unwrap();
    let codes: Vec<String> = info.operators.iter().map(|op| op.code.to_string()).collect();
    assert_eq!(codes, ["CONV_2D", "RESHAPE", "SOFTMAX", "CUSTOM:MyPostProcess", "FLOOR"]);
    assert_eq!(info.operators[3].inputs, vec![6, -1]);
    let input = &info.inputs[0];
    assert_eq!(input.describe(), "UInt8[1, 8, 8, 1]");
    assert_eq!(input.tensor_type().unwrap().to_string(), "u8[1, 8, 8, 1]");
    assert_eq!(
        input.quantization,
        Some(Quantization { scale: vec![0.5], zero_point: vec![128], quantized_dimension: 0 })
    );
    assert_eq!(info.outputs.len(), 2);
    assert_eq!(info.outputs[1].quantization.as_ref().unwrap().scale, vec![1.0 / 256.0]);

    let model = Model::parse(&bytes).unwrap();
    model.validate().unwrap();
    let subgraph = model.main_subgraph().unwrap();
    let filter = subgraph.tensor(1).unwrap().quantization().unwrap().unwrap();
    assert_eq!(filter.scale().unwrap().to_vec(), vec![0.1, 0.2, 0.3, 0.4]);
    assert_eq!(filter.zero_point().unwrap().len(), 4);
    assert!(filter.min().unwrap().is_empty());

    let conv = subgraph.operator(0).unwrap();
    assert_eq!(conv.builtin_options_type().unwrap(), 1);
    let options = conv.builtin_options().unwrap().unwrap();
    assert_eq!(Padding::from_code(options.scalar(0, 0i8).unwrap()), Some(Padding::Same));
    assert_eq!(options.scalar(1, 0i32).unwrap(), 1);
    assert_eq!(Activation::from_code(options.scalar(3, 0i8).unwrap()), Some(Activation::Relu6));
    assert_eq!(options.scalar(4, 1i32).unwrap(), 1);
    assert_eq!(options.scalar(5, 1i32).unwrap(), 2);

    let reshape = subgraph.operator(1).unwrap();
    assert_eq!(reshape.builtin_options_type().unwrap(), 17);
    let new_shape = reshape.builtin_options().unwrap().unwrap().vector::<i32>(0).unwrap().unwrap();
    assert_eq!(new_shape.to_vec(), vec![1, 256]);

    let softmax = subgraph.operator(2).unwrap();
    assert_eq!(softmax.builtin_options_type().unwrap(), 9);
    assert_eq!(softmax.builtin_options().unwrap().unwrap().scalar(0, 0f32).unwrap(), 1.0);

    let custom = subgraph.operator(3).unwrap();
    assert_eq!(custom.custom_options().unwrap(), Some(&b"\x01\x02\x03"[..]));
    assert_eq!(custom.builtin_options().unwrap().map(|t| t.offset()), None);
    assert_eq!(model.op_code(&custom).unwrap(), OpCode::Custom("MyPostProcess".into()));
    assert_eq!(subgraph.resolve(-1).unwrap().map(|t| t.index()), None);
    assert_eq!(subgraph.resolve(7).unwrap().map(|t| t.index()), Some(7));
    assert!(subgraph.resolve(-2).is_err());

    let floor = subgraph.operator(4).unwrap();
    assert_eq!(floor.builtin_options_type().unwrap(), 0);
    assert!(floor.builtin_options().unwrap().is_none());
    assert!(floor.custom_options().unwrap().is_none());
}

#[test]
fn tflite_names() {
    assert_eq!(op_name(0), "ADD");
    assert_eq!(op_name(3), "CONV_2D");
    assert_eq!(op_name(4), "DEPTHWISE_CONV_2D");
    assert_eq!(op_name(6), "DEQUANTIZE");
    assert_eq!(op_name(9), "FULLY_CONNECTED");
    assert_eq!(op_name(22), "RESHAPE");
    assert_eq!(op_name(25), "SOFTMAX");
    assert_eq!(op_name(32), "CUSTOM");
    assert_eq!(op_name(114), "QUANTIZE");
    assert_eq!(op_name(127), "PLACEHOLDER_FOR_GREATER_OP_CODES");
    assert_eq!(op_name(145), "BROADCAST_ARGS");
    assert_eq!(op_name(161), "RIGHT_SHIFT");
    assert_eq!(op_name(162), "BUILTIN_162");
    assert_eq!(op_name(-3), "BUILTIN_-3");
    assert_eq!(builtin::BROADCAST_ARGS, 145);
    assert_eq!(OpCode::Builtin(9).to_string(), "FULLY_CONNECTED");
    assert_eq!(
        OpCode::Custom("TFLite_Detection_PostProcess".into()).to_string(),
        "CUSTOM:TFLite_Detection_PostProcess"
    );
    assert_eq!(builtin_options_name(0), Some("NONE"));
    assert_eq!(builtin_options_name(17), Some("ReshapeOptions"));
    assert_eq!(builtin_options_name(126), Some("RightShiftOptions"));
    assert_eq!(builtin_options_name(127), None);

    for (code, kind) in TensorKind::ALL.into_iter().enumerate() {
        assert_eq!(TensorKind::from_code(code as i8), kind);
        assert_eq!(kind.code(), code as i8);
    }
    assert_eq!(TensorKind::from_code(18), TensorKind::Unknown(18));
    assert_eq!(TensorKind::UInt8.name(), "UInt8");
    assert_eq!(TensorKind::Unknown(-1).name(), "Unknown(-1)");
    assert_eq!(TensorKind::String.element_type(), Some(ElementType::Utf8));
    assert_eq!(TensorKind::Bool.element_type(), None);
    assert_eq!(TensorKind::Float16.element_type(), None);
    let shapeless = TensorInfo {
        index: 0,
        name: String::new(),
        ty: TensorKind::Float32,
        shape: None,
        shape_signature: None,
        quantization: None,
    };
    assert_eq!(shapeless.describe(), "Float32[?]");
    assert_eq!(shapeless.tensor_type(), None);
    let dynamic = TensorInfo { shape: Some(vec![-1, 3]), ..shapeless.clone() };
    assert_eq!(dynamic.describe(), "Float32[-1, 3]");
    assert_eq!(dynamic.tensor_type(), None);
    let scalar = TensorInfo { shape: Some(vec![]), ..shapeless };
    assert_eq!(scalar.describe(), "Float32[]");
    assert_eq!(scalar.tensor_type(), Some(TensorType::new(ElementType::F32, vec![])));
}

fn message(result: Result<impl std::fmt::Debug, TfliteError>) -> String {
    result.expect_err("the model should be rejected").to_string()
}

/// Position of `data` (a slice of `bytes`) in `bytes`.
fn position(bytes: &[u8], data: &[u8]) -> usize {
    data.as_ptr() as usize - bytes.as_ptr() as usize
}

#[test]
fn tflite_rejects_files_that_are_not_models() {
    assert_eq!(message(Model::parse(b"")), "the file is too short to be a TensorFlow Lite model (0 bytes)");
    assert_eq!(message(Model::parse(b"hello, world")), "not a TensorFlow Lite model (missing the TFL3 identifier)");
    let mut bytes = sine_like();
    bytes[4..8].copy_from_slice(b"TFL2");
    assert_eq!(Model::parse(&bytes).unwrap_err(), TfliteError::NotTflite);
    // `vec!` of zeros only reserves address space, so this is cheap.
    let huge = vec![0u8; MAX_FILE_SIZE + 1];
    assert_eq!(
        message(Model::parse(&huge)),
        "the file is 536870913 bytes, more than the limit of 536870912 bytes for a model"
    );
    let mut bytes = sine_like();
    bytes[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
    let len = bytes.len();
    assert_eq!(
        message(Model::parse(&bytes)),
        format!("the root table offset points outside the file (offset 4294967295 of {len} bytes)")
    );
}

#[test]
fn tflite_errors_name_the_field() {
    let bytes = sine_like();
    let len = bytes.len();
    let model = Model::parse(&bytes).unwrap();
    let shape = model.main_subgraph().unwrap().tensor(1).unwrap().shape().unwrap().unwrap();
    let count_at = position(&bytes, shape.bytes()) - 4;
    let mut corrupt = bytes.clone();
    corrupt[count_at..count_at + 4].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    assert_eq!(
        message(read_info(&corrupt)),
        format!(
            "tensor 1's shape vector claims 2147483647 elements, more than the file could hold (offset {count_at} of {len} bytes)"
        )
    );

    let mut b = ModelBuilder::new();
    let input = b.tensor("input", TensorKind::Float32, &[1; 17], None, None);
    b.inputs(&[input]).outputs(&[input]);
    assert_eq!(message(read_info(&b.finish())), "tensor 0's shape has rank 17, more than the limit of 16");

    let mut b = ModelBuilder::new();
    let input = b.tensor("input", TensorKind::Float32, &[1], None, None);
    let output = b.tensor("output", TensorKind::Float32, &[1], None, None);
    b.operator(builtin::RELU, &[99], &[output], None);
    b.inputs(&[input]).outputs(&[output]);
    assert_eq!(
        message(read_info(&b.finish())),
        "operator 0's input 0 refers to tensor 99, which subgraph 0 does not have (it has 2)"
    );

    let mut b = ModelBuilder::new();
    let input = b.tensor("input", TensorKind::Float32, &[1], Some(5), None);
    b.inputs(&[input]).outputs(&[input, 2]);
    let bytes = b.finish();
    assert_eq!(
        message(read_info(&bytes)),
        "tensor 0's buffer index refers to buffer 5, which the model does not have (it has 1)"
    );
    let model = Model::parse(&bytes).unwrap();
    assert_eq!(
        message(model.info()),
        "subgraph 0's output 1 refers to tensor 2, which subgraph 0 does not have (it has 1)"
    );
    assert_eq!(message(model.subgraph(1)), "the model has no subgraph 1 (it has 1)");
    assert_eq!(message(model.main_subgraph().unwrap().tensor(3)), "subgraph 0 has no tensor 3 (it has 1)");

    let mut b = ModelBuilder::new();
    for i in 0..=MAX_ENTRIES {
        b.tensor("", TensorKind::Int8, &[], None, None);
        if i == 0 {
            b.inputs(&[0]).outputs(&[0]);
        }
    }
    let bytes = b.finish();
    assert_eq!(
        message(read_info(&bytes)),
        "subgraph 0's tensors vector has 100001 entries, more than the limit of 100000"
    );
}

/// A hostile model: 50 000 operators that all share one inputs vector of 100 000 entries. Each
/// check is cheap, but checking or copying every operator's inputs would cost 5 billion steps.
fn overlapping() -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::new();
    let shared = fbb.create_vector(&vec![0i32; 100_000]);
    let outputs = fbb.create_vector(&[0i32]);
    let operators: Vec<_> = (0..50_000)
        .map(|_| {
            let table = fbb.start_table();
            fbb.push_slot_always(6, shared);
            fbb.push_slot_always(8, outputs);
            fbb.end_table(table)
        })
        .collect();
    let operators = fbb.create_vector(&operators);
    let shape = fbb.create_vector(&[1i32]);
    let tensor = fbb.start_table();
    fbb.push_slot_always(4, shape);
    let tensor = fbb.end_table(tensor);
    let tensors = fbb.create_vector(&[tensor]);
    let subgraph = fbb.start_table();
    fbb.push_slot_always(4, tensors);
    fbb.push_slot_always(10, operators);
    let subgraph = fbb.end_table(subgraph);
    let subgraphs = fbb.create_vector(&[subgraph]);
    let code = fbb.start_table();
    let code = fbb.end_table(code);
    let codes = fbb.create_vector(&[code]);
    let buffer = fbb.start_table();
    let buffer = fbb.end_table(buffer);
    let buffers = fbb.create_vector(&[buffer]);
    let model = fbb.start_table();
    fbb.push_slot_always(4, 3u32);
    fbb.push_slot_always(6, codes);
    fbb.push_slot_always(8, subgraphs);
    fbb.push_slot_always(12, buffers);
    let model = fbb.end_table(model);
    fbb.finish(model, Some("TFL3"));
    fbb.finished_data().to_vec()
}

#[test]
fn tflite_budgets_shared_data() {
    let bytes = overlapping();
    let model = Model::parse(&bytes).unwrap();
    assert_eq!(model.main_subgraph().unwrap().operator_count(), 50_000);
    let validated = message(model.validate());
    assert!(
        validated.starts_with("the model's tables overlap so much that checking it would exceed its limit of "),
        "{validated}"
    );
    let summarised = message(model.info());
    assert!(
        summarised.starts_with("the model's tables overlap so much that summarising it would exceed its limit of "),
        "{summarised}"
    );
    assert!(summarised.ends_with(" bytes"), "{summarised}");
}

/// Reads everything reachable, through every accessor, ignoring errors: it must not panic. Also
/// checks that error messages are sentences without a trailing period.
fn exercise(bytes: &[u8]) {
    fn check<T>(result: Result<T, TfliteError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                let text = error.to_string();
                assert!(!text.is_empty() && !text.ends_with('.'), "{text:?}");
                None
            }
        }
    }
    fn raw(table: Table<'_>) {
        for slot in 0..14 {
            check(table.scalar(slot, 0u64));
            check(table.scalar(slot, false));
            check(table.vector::<f64>(slot));
            check(table.bytes(slot));
            check(table.string(slot));
            check(table.table(slot));
            if let Some(Some(tables)) = check(table.tables(slot)) {
                for i in 0..tables.len().min(4) {
                    tables.get(i).map(check);
                }
            }
        }
    }
    let Some(model) = check(Model::parse(bytes)) else {
        return;
    };
    check(model.validate());
    check(model.info());
    check(read_info(bytes));
    check(model.description());
    raw(model.table());
    for code in model.operator_codes().filter_map(check) {
        check(code.op_code());
        check(code.version());
        check(code.custom_code());
    }
    for buffer in model.buffers().filter_map(check) {
        check(buffer.data());
    }
    for index in 0..model.metadata_count() {
        if let Some(metadata) = check(model.metadata(index)) {
            check(metadata.name());
            check(metadata.buffer());
        }
    }
    for subgraph in model.subgraphs().filter_map(check) {
        check(subgraph.name());
        let _ = (subgraph.inputs().to_vec(), subgraph.outputs().to_vec());
        for tensor in subgraph.tensors().filter_map(check) {
            check(tensor.shape());
            check(tensor.shape_signature());
            check(tensor.kind());
            check(tensor.name());
            check(tensor.is_variable());
            check(model.tensor_data(&tensor));
            if let Some(Some(q)) = check(tensor.quantization()) {
                check(q.min());
                check(q.max());
                check(q.scale().map(|s| s.to_vec()));
                check(q.zero_point().map(|z| z.to_vec()));
                check(q.quantized_dimension());
                check(q.details_type());
                raw(q.table());
            }
            raw(tensor.table());
        }
        for operator in subgraph.operators().filter_map(check) {
            check(model.op_code(&operator));
            if let Some(inputs) = check(operator.inputs()) {
                for index in inputs.iter() {
                    check(subgraph.resolve(index));
                }
            }
            check(operator.outputs());
            check(operator.intermediates());
            check(operator.builtin_options_type());
            if let Some(Some(options)) = check(operator.builtin_options()) {
                raw(options);
            }
            check(operator.builtin_options_2());
            check(operator.custom_options());
            raw(operator.table());
        }
    }
}

/// xorshift64: deterministic pseudo-random numbers.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn corrupt(bytes: &[u8], seed: u64, rounds: usize) {
    let mut rng = XorShift(seed);
    for _ in 0..rounds {
        let mut copy = bytes.to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(copy.len());
            match rng.below(3) {
                0 => copy[at] ^= 1 << rng.below(8),
                1 => copy[at] = rng.next() as u8,
                _ => {
                    // A whole offset or length, at a 4-aligned position.
                    let at = at & !3;
                    let value = [0u32, 1, 4, 0x7fff_ffff, u32::MAX, rng.next() as u32][rng.below(6)];
                    if let Some(word) = copy.get_mut(at..at + 4) {
                        word.copy_from_slice(&value.to_le_bytes());
                    }
                }
            }
        }
        exercise(&copy);
    }
}

#[test]
fn tflite_survives_truncation_and_corruption() {
    for bytes in [sine_like(), assorted()] {
        exercise(&bytes);
        for len in 0..bytes.len() {
            exercise(&bytes[..len]);
        }
        corrupt(&bytes, 0x9e37_79b9_7f4a_7c15, 400);
    }
    for path in ["examples/sine/sinemodel.tflite", "examples/microspeech/model.tflite"] {
        let Some(bytes) = zoo(path) else { continue };
        if bytes.len() < 5000 {
            for len in 0..bytes.len() {
                exercise(&bytes[..len]);
            }
        }
        corrupt(&bytes, 0x2545_f491_4f6c_dd1d, 300);
    }
}

const ZOO: &str = "/work/shared/zoo";

/// A file from the model zoo, or `None` (with a notice) when it is absent.
fn zoo(path: &str) -> Option<Vec<u8>> {
    let full = Path::new(ZOO).join(path);
    match std::fs::read(&full) {
        Ok(bytes) => Some(bytes),
        Err(error) => {
            println!("skipping {}: {error}", full.display());
            None
        }
    }
}

fn describe(tensors: &[TensorInfo]) -> Vec<String> {
    tensors.iter().map(TensorInfo::describe).collect()
}

#[test]
fn tflite_reads_zoo_examples() {
    if let Some(bytes) = zoo("examples/sine/sinemodel.tflite") {
        let info = read_info(&bytes).unwrap();
        assert_eq!(describe(&info.inputs), ["Float32[1, 1]"]);
        assert_eq!(describe(&info.outputs), ["Float32[1, 1]"]);
        assert_eq!(info.inputs[0].tensor_type(), Some(TensorType::new(ElementType::F32, vec![1, 1])));
        let codes: Vec<_> = info.operators.iter().map(|op| op.code.to_string()).collect();
        assert_eq!(codes, ["FULLY_CONNECTED"; 3]);
    }
    if let Some(bytes) = zoo("examples/microspeech/model.tflite") {
        let info = read_info(&bytes).unwrap();
        assert_eq!(describe(&info.inputs), ["Int8[1, 1960]"]);
        assert_eq!(describe(&info.outputs), ["Int8[1, 6]"]);
        assert!(info.inputs[0].quantization.is_some());
    }
    if let Some(bytes) = zoo("image/mobilenet/mobilenet_v2_quant.tflite") {
        let info = read_info(&bytes).unwrap();
        assert_eq!(describe(&info.inputs), ["UInt8[1, 224, 224, 3]"]);
        assert_eq!(describe(&info.outputs), ["UInt8[1, 1001]"]);
        assert_eq!(info.inputs[0].tensor_type().unwrap().to_string(), "u8[1, 224, 224, 3]");
    }
    if let Some(bytes) = zoo("image/person_detection/model.tflite") {
        let info = read_info(&bytes).unwrap();
        assert_eq!(describe(&info.inputs), ["UInt8[1, 96, 96, 1]"]);
        assert_eq!(describe(&info.outputs), ["UInt8[1, 1, 1, 3]"]);
    }
}

/// Every model in the zoo reads, and every constant tensor's data has the size its shape and
/// type imply.
#[test]
fn tflite_reads_every_zoo_model() {
    let mut files = Vec::new();
    let mut dirs = vec![Path::new(ZOO).to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "tflite") {
                files.push(path);
            }
        }
    }
    if files.is_empty() {
        println!("skipping: no .tflite files under {ZOO}");
        return;
    }
    files.sort();
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let info = read_info(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        println!(
            "{}: {} operators, {} -> {}",
            path.display(),
            info.operators.len(),
            describe(&info.inputs).join(", "),
            describe(&info.outputs).join(", ")
        );
        let model = Model::parse(&bytes).unwrap();
        for subgraph in model.subgraphs() {
            let subgraph = subgraph.unwrap();
            for tensor in subgraph.tensors() {
                let tensor = tensor.unwrap();
                let (Some(data), Some(size)) = (model.tensor_data(&tensor).unwrap(), tensor.kind().unwrap().size())
                else {
                    continue;
                };
                if tensor.is_sparse() {
                    continue;
                }
                // Constants without a shape (in style_transform.tflite) are scalars.
                let elements: i64 = tensor.shape().unwrap().map_or(1, |shape| shape.iter().map(i64::from).product());
                assert_eq!(data.len() as i64, elements * size as i64, "{}: tensor {}", path.display(), tensor.index());
            }
        }
    }
}
