//! Browser side effects wrapped as `use_*` functions that return signals and clean up after
//! themselves.
mod use_debounced;
mod use_local_storage;

pub use use_debounced::use_debounced;
pub use use_local_storage::{local_storage, use_local_storage};
