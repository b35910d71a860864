//! The model engine the CLI runs Runes with: the runtime's TFLite importer onto tract.
pub fn backend() -> runtime::tract::TractBackend {
    runtime::tract::TractBackend
}
