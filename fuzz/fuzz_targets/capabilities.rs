//! The IMAGE, SOUND and ACCEL capabilities on arbitrary file bytes: decoding, resizing and
//! conversion never panic and respect the size limits.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::capabilities(data));
