//! TensorFlow Lite models: a bounds-checked reader and a small builder.
//!
//! # The format
//! A `.tflite` file is a [FlatBuffer](https://flatbuffers.dev/) with the schema of TensorFlow's
//! `tensorflow/lite/schema/schema.fbs`:
//!
//! - The file starts with a `u32` offset to the root table (a `Model`), followed by the file
//!   identifier `TFL3`.
//! - A *table* starts with an `i32` that, subtracted from the table's position, locates its
//!   *vtable*: two `u16` sizes (the vtable's and the table's) and then one `u16` per field, the
//!   field's offset from the table's start, or 0 when the field is absent and reads as its default.
//!   The field declared `n`th in the schema (its *slot*) has its entry at byte `4 + 2 * n`.
//! - Tables, vectors and strings are referenced by `u32` offsets relative to where the offset is
//!   stored. A vector is a `u32` element count followed by the elements; a string is a vector of
//!   bytes (followed by a NUL this reader does not require).
//! - All scalars are little-endian.
//!
//! A `Model` has operator codes (which builtin or custom operator each operator index stands
//! for), subgraphs (subgraph 0 is the one that runs; the others are bodies of control flow), and
//! buffers (constant tensor data; buffer 0 is an empty sentinel that tensors without data point
//! to). A subgraph lists its tensors, its input and output tensor indices, and its operators in
//! execution order, each with its input and output tensor indices (-1 for an omitted optional
//! input) and an options table whose layout depends on the operator. Buffers of models over 2 GiB
//! keep their data after the flatbuffer, located by an offset from the start of the file.
//!
//! # This module
//! - [`Model::parse`] checks the header and the top-level vectors and gives access to every
//!   table, lazily: each accessor checks what it reads and returns a [`TfliteError`] naming the
//!   faulty field and its offset. [`Model::validate`] checks everything reachable at once.
//! - [`read_info`] validates a model and summarises it as a [`ModelInfo`] (inputs, outputs,
//!   operators), for the compiler and `rune model-info`.
//! - [`Table`] reads any field by slot, for the operator options this module does not model.
//! - [`ModelBuilder`] writes small models for tests and examples.
//!
//! The reader never panics and never allocates more than a small multiple of the file's size,
//! whatever the input: files over [`MAX_FILE_SIZE`], vectors longer than the file could hold,
//! more than [`MAX_ENTRIES`] tensors, operators, buffers, operator codes or subgraphs, and shapes
//! of rank above [`MAX_RANK`] are errors.

mod builder;
mod info;
mod ops;
mod reader;
mod table;
#[cfg(test)]
mod tests;

pub use builder::{BuiltinOptions, ModelBuilder, bytes_of_f32, bytes_of_i8, bytes_of_i16, bytes_of_i32, bytes_of_i64};
pub use info::{ModelInfo, OperatorInfo, Quantization, TensorInfo, TensorKind, read_info};
pub use ops::{Activation, OpCode, Padding, builtin, builtin_name, builtin_options_name, op_name};
pub use reader::{Buffer, Metadata, Model, Operator, OperatorCode, QuantizationParameters, SubGraph, Tensor};
pub use table::{Scalar, Table, TableVector, Vector};

/// The largest file the reader accepts, 512 MiB.
pub const MAX_FILE_SIZE: usize = 512 * 1024 * 1024;
/// The most entries the reader accepts in a model's or subgraph's vector of tensors, operators,
/// buffers, operator codes or subgraphs.
pub const MAX_ENTRIES: usize = 100_000;
/// The highest tensor rank the reader accepts.
pub const MAX_RANK: usize = 16;

/// What is wrong with a TensorFlow Lite file, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TfliteError {
    #[error("not a TensorFlow Lite model (missing the TFL3 identifier)")]
    NotTflite,
    #[error("the file is too short to be a TensorFlow Lite model ({len} bytes)")]
    TooShort { len: usize },
    #[error("the file is {len} bytes, more than the limit of {limit} bytes for a model")]
    TooLarge { len: usize, limit: usize },
    /// An offset leads outside the file. `what` names it ("tensor 12's shape vector").
    #[error("{what} points outside the file (offset {offset} of {len} bytes)")]
    OutOfBounds { what: String, offset: i64, len: usize },
    /// A vector's element count is more than the rest of the file could hold.
    #[error("{what} claims {count} elements, more than the file could hold (offset {offset} of {len} bytes)")]
    VectorTooLong { what: String, count: u32, offset: usize, len: usize },
    #[error("{what} has a malformed vtable at offset {offset}: {reason}")]
    BadVTable { what: String, offset: usize, reason: &'static str },
    #[error("{what} has {count} entries, more than the limit of {limit}")]
    TooMany { what: String, count: usize, limit: usize },
    #[error("{what} has rank {rank}, more than the limit of {limit}")]
    RankTooLarge { what: String, rank: usize, limit: usize },
    #[error("the model has no subgraphs")]
    NoSubgraphs,
    /// An index stored in the file refers to an entry that does not exist.
    #[error("{what} refers to {target} {index}, which {container} does not have (it has {count})")]
    BadReference { what: String, target: &'static str, index: i64, container: String, count: usize },
    /// An accessor was asked for an entry that does not exist.
    #[error("{container} has no {target} {index} (it has {count})")]
    NoSuchEntry { container: String, target: &'static str, index: i64, count: usize },
    /// Tables share data so much that reading them would cost far more than the file's size
    /// warrants; only hostile files do this.
    #[error("the model's tables overlap so much that {what} would exceed its limit of {limit} {unit}")]
    Overlapping { what: &'static str, limit: usize, unit: &'static str },
}
