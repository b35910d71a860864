//! The Rune runtime: everything a compiled Rune needs, without a browser or a file system.
//!
//! # Steps
//! 1. [`Artifact::from_bytes`] reads and validates a `.rune` file (a WebAssembly module whose custom
//!    sections carry the [`Manifest`], resources and models; see `ARCHITECTURE.md`).
//! 2. The [`Manifest`] is the checked pipeline: stages in declaration order, their tensors and args.
//! 3. The [`catalog`] describes every capability, proc-block and output kind (names, args, element
//!    types). The compiler checks Runefiles against it, so the check and the behaviour share one source.
//! 4. [`tflite`] reads TensorFlow Lite flatbuffers (inputs, outputs, operators) with bounds checks.
#![cfg_attr(test, allow(clippy::unwrap_used))]
#![forbid(unsafe_code)]

pub mod artifact;
pub mod capability;
pub mod catalog;
mod element;
pub mod host;
pub mod manifest;
pub mod model;
pub mod pipeline;
mod proc_block;
pub mod samples;
pub mod serial;
mod tensor;
pub mod tflite;
#[cfg(feature = "tract")]
pub mod tract;

pub use artifact::{Artifact, ArtifactError, BuildInfo};
pub use element::{ElementType, TensorType, UnknownElementType};
pub use manifest::{
    CapabilityKind, Manifest, ModelFormat, OutKind, Resource, ResourceDefault, ResourceType, Stage, StageKind,
    TensorRef,
};
pub use tensor::{MAX_ELEMENTS, ShapeMismatch, Tensor, TensorData};
