//! Models: the trait the executor runs, and the backend that loads them.
use crate::{ModelFormat, Tensor, TensorType};

/// Why a model could not be loaded or run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("The \"{0}\" format isn't supported")]
    UnsupportedFormat(&'static str),
    #[error("The Rune said tensors would be [{declared}], but the model said they would be [{actual}]")]
    Mismatch { declared: String, actual: String },
    #[error("The model uses operators the playground can't run yet: {0}")]
    UnsupportedOps(String),
    #[error("The model is invalid: {0}")]
    Invalid(String),
    #[error("Inference failed: {0}")]
    Inference(String),
}

/// A loaded model.
pub trait Model: Send {
    /// Runs the model once. `inputs` have the types the model was loaded with.
    fn run(&mut self, inputs: &[Tensor]) -> Result<Vec<Tensor>, ModelError>;
}

/// Loads models of some formats.
pub trait ModelBackend {
    /// Loads a model whose declared inputs and outputs are `inputs` and `outputs`.
    fn load(
        &self,
        format: ModelFormat,
        bytes: &[u8],
        inputs: &[TensorType],
        outputs: &[TensorType],
    ) -> Result<Box<dyn Model>, ModelError>;
}

/// A backend that loads nothing (for pipelines without models, and for compiling without an engine).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoModels;

impl ModelBackend for NoModels {
    fn load(
        &self,
        format: ModelFormat,
        _: &[u8],
        _: &[TensorType],
        _: &[TensorType],
    ) -> Result<Box<dyn Model>, ModelError> {
        Err(ModelError::UnsupportedFormat(format.mimetype()))
    }
}

/// Formats a list of types as the original's descriptor list: `f32[1, 1], u8[3]`.
pub fn describe(types: &[TensorType]) -> String {
    types.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}
