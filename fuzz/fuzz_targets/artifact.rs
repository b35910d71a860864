//! The `.rune` reader on arbitrary bytes: never panics; what it accepts writes back identically.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(artifact) = runtime::Artifact::from_bytes(data) {
        let again = runtime::Artifact::from_bytes(&artifact.to_bytes()).expect("a re-written artifact reads back");
        assert_eq!(again, artifact);
    }
});
