//! The IMAGE, SOUND and ACCEL capabilities on arbitrary file bytes: decoding, resizing and
//! conversion never panic and respect the size limits (images over `checks::FUZZ_MAX_PIXELS`
//! are left to the native replay: see there).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::capabilities_fuzzed(data));
