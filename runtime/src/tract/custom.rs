//! Custom operators: `TFLite_Detection_PostProcess`.

use super::registry::Builder;

/// The builder of custom operator `name`, when the playground supports it.
pub(crate) fn builder(name: &str) -> Option<Builder> {
    let _ = name;
    None
}
