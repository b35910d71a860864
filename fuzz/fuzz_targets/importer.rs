//! The TFLite engine (validation, import onto tract, optimisation, one run on zero inputs) on
//! arbitrary bytes: never panics; bad models are error values.
#![no_main]
use libfuzzer_sys::fuzz_target;
use runtime::model::Model;
use runtime::tract::TractModel;
use runtime::{Tensor, TensorType};

fuzz_target!(|data: &[u8]| {
    let Ok(mut model) = TractModel::load_as_declared(data) else { return };
    let Ok(info) = runtime::tflite::read_info(data) else { return };
    let mut inputs = Vec::new();
    for input in &info.inputs {
        let Some(ty) = input.tensor_type() else { return };
        let Some(tensor) = zeros(&ty) else { return };
        inputs.push(tensor);
    }
    let _ = model.run(&inputs);
});

/// A tensor of zeros of `ty`, unless it is large (the fuzzer would spend its time allocating).
fn zeros(ty: &TensorType) -> Option<Tensor> {
    let bytes = vec![0u8; ty.byte_len().filter(|&n| n <= 1 << 18)?];
    let data = runtime::TensorData::from_le_bytes(ty.element_type, &bytes)?;
    Tensor::new(ty.dimensions.clone(), data).ok()
}
