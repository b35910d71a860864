//! Parser + checker + renderers on arbitrary text: must never panic, and every diagnostic span
//! must lie inside the text.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::runefile(data));
