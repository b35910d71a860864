//! The TFLite engine (validation, import onto tract, optimisation, one run on zero inputs) on
//! arbitrary bytes: never panics; bad models are error values.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::importer(data));
