//! The TFLite reader on arbitrary bytes: never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::tflite(data));
