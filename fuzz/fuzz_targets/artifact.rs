//! The `.rune` reader on arbitrary bytes: never panics; what it accepts writes back identically.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::artifact(data));
