//! The TFLite reader on arbitrary bytes: never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(info) = runtime::tflite::read_info(data) {
        for t in info.inputs.iter().chain(&info.outputs) {
            let _ = t.describe();
            let _ = t.tensor_type();
        }
    }
});
