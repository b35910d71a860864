//! The model engine the CLI runs Runes with.
pub fn backend() -> runtime::model::NoModels {
    runtime::model::NoModels
}
