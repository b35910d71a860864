//! The TFLite schema's tables, read lazily from a [`Model`].
//!
//! Each type wraps a [`Table`] and reads its fields by the slots of `schema.fbs`; accessors check
//! what they read and return a [`TfliteError`] naming the table and field at fault.

use std::borrow::Cow;

use super::table::{FieldName, Owner, Table, TableVector, Vector, follow};
use super::{MAX_ENTRIES, MAX_FILE_SIZE, MAX_RANK, OpCode, TensorKind, TfliteError, builtin};

use FieldName::Named;

/// The identifier at bytes 4..8 of every TensorFlow Lite file.
const FILE_IDENTIFIER: &[u8; 4] = b"TFL3";

/// Checks that a vector of tables has at most [`MAX_ENTRIES`] entries.
fn limit_entries<'a>(
    tables: Option<TableVector<'a>>,
    bytes: &'a [u8],
    what: impl FnOnce() -> String,
) -> Result<TableVector<'a>, TfliteError> {
    let tables = tables.unwrap_or_else(|| TableVector::empty(bytes));
    if tables.len() > MAX_ENTRIES {
        return Err(TfliteError::TooMany { what: what(), count: tables.len(), limit: MAX_ENTRIES });
    }
    Ok(tables)
}

/// Entry `index` of `tables`, or [`TfliteError::NoSuchEntry`].
fn entry<'a>(
    tables: &TableVector<'a>,
    index: usize,
    owner: Owner,
    container: impl FnOnce() -> String,
    target: &'static str,
) -> Result<Table<'a>, TfliteError> {
    tables.get_as(index, owner).unwrap_or_else(|| {
        Err(TfliteError::NoSuchEntry {
            container: container(),
            target,
            index: i64::try_from(index).unwrap_or(i64::MAX),
            count: tables.len(),
        })
    })
}

/// Data stored outside the flatbuffer, at `offset` from the start of the file (the layout of
/// models over 2 GiB). Offsets 0 and 1 mean "not stored outside", per the schema.
fn external_data(
    bytes: &[u8],
    offset: u64,
    size: u64,
    what: impl FnOnce() -> String,
) -> Result<Option<&[u8]>, TfliteError> {
    if offset <= 1 {
        return Ok(None);
    }
    let range = usize::try_from(offset)
        .ok()
        .zip(usize::try_from(size).ok())
        .and_then(|(start, len)| Some(start..start.checked_add(len)?));
    match range.and_then(|range| bytes.get(range)) {
        Some(data) => Ok(Some(data)),
        None => Err(TfliteError::OutOfBounds {
            what: what(),
            offset: i64::try_from(offset.saturating_add(size)).unwrap_or(i64::MAX),
            len: bytes.len(),
        }),
    }
}

/// A parsed TensorFlow Lite model, borrowing the file's bytes.
///
/// [`Model::parse`] checks the header and the model table; the other tables are checked when
/// they are read, or all at once by [`Model::validate`].
#[derive(Debug, Clone, Copy)]
pub struct Model<'a> {
    bytes: &'a [u8],
    table: Table<'a>,
    version: u32,
    operator_codes: TableVector<'a>,
    subgraphs: TableVector<'a>,
    buffers: TableVector<'a>,
    metadata: TableVector<'a>,
}

impl<'a> Model<'a> {
    /// Reads the header and the model table of a `.tflite` file.
    pub fn parse(bytes: &'a [u8]) -> Result<Model<'a>, TfliteError> {
        if bytes.len() > MAX_FILE_SIZE {
            return Err(TfliteError::TooLarge { len: bytes.len(), limit: MAX_FILE_SIZE });
        }
        if bytes.len() < 8 {
            return Err(TfliteError::TooShort { len: bytes.len() });
        }
        if bytes.get(4..8) != Some(FILE_IDENTIFIER.as_slice()) {
            return Err(TfliteError::NotTflite);
        }
        let root = follow(bytes, 0, || "the root table offset".to_string())?;
        let table = Table::at(bytes, root, Owner::Model)?;
        let owner = Owner::Model;
        let operator_codes = table.tables_field(1, Named("operator codes vector"))?;
        let subgraphs = table.tables_field(2, Named("subgraphs vector"))?;
        let buffers = table.tables_field(4, Named("buffers vector"))?;
        let metadata = table.tables_field(6, Named("metadata vector"))?;
        let model = Model {
            bytes,
            table,
            version: table.scalar_field(0, 0u32, Named("version"))?,
            operator_codes: limit_entries(operator_codes, bytes, || owner.field(Named("operator codes vector")))?,
            subgraphs: limit_entries(subgraphs, bytes, || owner.field(Named("subgraphs vector")))?,
            buffers: limit_entries(buffers, bytes, || owner.field(Named("buffers vector")))?,
            metadata: limit_entries(metadata, bytes, || owner.field(Named("metadata vector")))?,
        };
        if model.subgraphs.is_empty() {
            return Err(TfliteError::NoSubgraphs);
        }
        Ok(model)
    }

    /// The whole file.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The model table, for fields this type does not read (`signature_defs` is slot 7).
    pub fn table(&self) -> Table<'a> {
        self.table
    }

    /// The schema version (3 for every current file).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The free-text description ("MLIR Converted."), if any.
    pub fn description(&self) -> Result<Option<Cow<'a, str>>, TfliteError> {
        self.table.string_field(3, Named("description"))
    }

    /// Number of operator codes.
    pub fn operator_code_count(&self) -> usize {
        self.operator_codes.len()
    }

    /// Operator code `index`.
    pub fn operator_code(&self, index: usize) -> Result<OperatorCode<'a>, TfliteError> {
        let table =
            entry(&self.operator_codes, index, Owner::OperatorCode(index), || "the model".into(), "operator code")?;
        Ok(OperatorCode { table })
    }

    /// The operator codes, in order.
    pub fn operator_codes(&self) -> impl Iterator<Item = Result<OperatorCode<'a>, TfliteError>> + 'a {
        let model = *self;
        (0..self.operator_code_count()).map(move |i| model.operator_code(i))
    }

    /// Number of subgraphs (at least 1).
    pub fn subgraph_count(&self) -> usize {
        self.subgraphs.len()
    }

    /// Subgraph `index`; subgraph 0 is the main one.
    pub fn subgraph(&self, index: usize) -> Result<SubGraph<'a>, TfliteError> {
        let owner = Owner::SubGraph(index);
        let table = entry(&self.subgraphs, index, owner, || "the model".into(), "subgraph")?;
        let tensors = table.tables_field(0, Named("tensors vector"))?;
        let operators = table.tables_field(3, Named("operators vector"))?;
        Ok(SubGraph {
            table,
            index,
            tensors: limit_entries(tensors, self.bytes, || owner.field(Named("tensors vector")))?,
            inputs: table.vector_field(1, Named("inputs vector"))?.unwrap_or_else(Vector::empty),
            outputs: table.vector_field(2, Named("outputs vector"))?.unwrap_or_else(Vector::empty),
            operators: limit_entries(operators, self.bytes, || owner.field(Named("operators vector")))?,
        })
    }

    /// The main subgraph, the one that runs.
    pub fn main_subgraph(&self) -> Result<SubGraph<'a>, TfliteError> {
        self.subgraph(0)
    }

    /// The subgraphs, in order.
    pub fn subgraphs(&self) -> impl Iterator<Item = Result<SubGraph<'a>, TfliteError>> + 'a {
        let model = *self;
        (0..self.subgraph_count()).map(move |i| model.subgraph(i))
    }

    /// Number of buffers, including the sentinel buffer 0.
    pub fn buffer_count(&self) -> usize {
        self.buffers.len()
    }

    /// Buffer `index`.
    pub fn buffer(&self, index: usize) -> Result<Buffer<'a>, TfliteError> {
        let table = entry(&self.buffers, index, Owner::Buffer(index), || "the model".into(), "buffer")?;
        Ok(Buffer { table, index })
    }

    /// The buffers, in order.
    pub fn buffers(&self) -> impl Iterator<Item = Result<Buffer<'a>, TfliteError>> + 'a {
        let model = *self;
        (0..self.buffer_count()).map(move |i| model.buffer(i))
    }

    /// Number of metadata entries.
    pub fn metadata_count(&self) -> usize {
        self.metadata.len()
    }

    /// Metadata entry `index` (a named buffer, such as `min_runtime_version` or the TFLite
    /// Support library's `TFLITE_METADATA`).
    pub fn metadata(&self, index: usize) -> Result<Metadata<'a>, TfliteError> {
        let table = entry(&self.metadata, index, Owner::Metadata(index), || "the model".into(), "metadata entry")?;
        Ok(Metadata { table, index })
    }

    /// The operator code `operator` refers to.
    pub fn operator_code_of(&self, operator: &Operator<'a>) -> Result<OperatorCode<'a>, TfliteError> {
        let index = operator.opcode_index()?;
        match usize::try_from(index).ok().filter(|&i| i < self.operator_code_count()) {
            Some(i) => self.operator_code(i),
            None => Err(TfliteError::BadReference {
                what: operator.owner().field(Named("opcode index")),
                target: "operator code",
                index: i64::from(index),
                container: "the model".into(),
                count: self.operator_code_count(),
            }),
        }
    }

    /// The operator `operator` runs.
    pub fn op_code(&self, operator: &Operator<'a>) -> Result<OpCode, TfliteError> {
        self.operator_code_of(operator)?.op_code()
    }

    /// The buffer holding `tensor`'s constant data.
    pub fn buffer_of(&self, tensor: &Tensor<'a>) -> Result<Buffer<'a>, TfliteError> {
        let index = tensor.buffer()?;
        match usize::try_from(index).ok().filter(|&i| i < self.buffer_count()) {
            Some(i) => self.buffer(i),
            None => Err(TfliteError::BadReference {
                what: tensor.owner().field(Named("buffer index")),
                target: "buffer",
                index: i64::from(index),
                container: "the model".into(),
                count: self.buffer_count(),
            }),
        }
    }

    /// `tensor`'s constant data: `None` for tensors computed at run time (those whose buffer is
    /// the sentinel buffer 0, or empty).
    pub fn tensor_data(&self, tensor: &Tensor<'a>) -> Result<Option<&'a [u8]>, TfliteError> {
        if tensor.buffer()? == 0 {
            return Ok(None);
        }
        let data = self.buffer_of(tensor)?.data()?;
        Ok((!data.is_empty()).then_some(data))
    }

    /// Checks everything reachable from the model table: every table, vector and string is inside
    /// the file, every tensor, buffer and operator-code index refers to an existing entry, and
    /// shapes have rank at most [`MAX_RANK`]. Afterwards, accessors only fail for indices the
    /// caller makes up.
    pub fn validate(&self) -> Result<(), TfliteError> {
        let mut steps = Budget::new("checking it", self.bytes.len(), "steps");
        self.table.string_bytes_field(3, Named("description"))?;
        for code in self.operator_codes() {
            let code = code?;
            steps.take(1)?;
            code.table.string_bytes_field(1, Named("custom code"))?;
            code.builtin_code()?;
            code.version()?;
        }
        for buffer in self.buffers() {
            steps.take(1)?;
            buffer?.data()?;
        }
        for index in 0..self.metadata_count() {
            steps.take(1)?;
            let metadata = self.metadata(index)?;
            metadata.table.string_bytes_field(0, Named("name"))?;
            let buffer = metadata.buffer()?;
            if usize::try_from(buffer).map_or(true, |b| b >= self.buffer_count()) {
                return Err(TfliteError::BadReference {
                    what: Owner::Metadata(index).field(Named("buffer index")),
                    target: "buffer",
                    index: i64::from(buffer),
                    container: "the model".into(),
                    count: self.buffer_count(),
                });
            }
        }
        for subgraph in self.subgraphs() {
            self.validate_subgraph(&subgraph?, &mut steps)?;
        }
        Ok(())
    }

    fn validate_subgraph(&self, subgraph: &SubGraph<'a>, steps: &mut Budget) -> Result<(), TfliteError> {
        subgraph.table.string_bytes_field(4, Named("name"))?;
        for tensor in subgraph.tensors() {
            let tensor = tensor?;
            steps.take(1)?;
            tensor.shape()?;
            tensor.shape_signature()?;
            tensor.kind()?;
            tensor.table.string_bytes_field(3, Named("name"))?;
            self.buffer_of(&tensor)?;
            if let Some(quantization) = tensor.quantization()? {
                quantization.min()?;
                quantization.max()?;
                quantization.scale()?;
                quantization.zero_point()?;
                quantization.details_type()?;
                quantization.quantized_dimension()?;
            }
            tensor.is_variable()?;
        }
        let owner = Owner::SubGraph(subgraph.index);
        subgraph.check_indices(subgraph.inputs, false, steps, |k| format!("{} {k}", owner.field(Named("input"))))?;
        subgraph.check_indices(subgraph.outputs, false, steps, |k| format!("{} {k}", owner.field(Named("output"))))?;
        for operator in subgraph.operators() {
            let operator = operator?;
            steps.take(1)?;
            self.operator_code_of(&operator)?;
            let owner = operator.owner();
            subgraph
                .check_indices(operator.inputs()?, true, steps, |k| format!("{} {k}", owner.field(Named("input"))))?;
            subgraph.check_indices(operator.outputs()?, false, steps, |k| {
                format!("{} {k}", owner.field(Named("output")))
            })?;
            subgraph.check_indices(operator.intermediates()?, false, steps, |k| {
                format!("{} {k}", owner.field(Named("intermediate")))
            })?;
            operator.builtin_options_type()?;
            operator.builtin_options()?;
            operator.builtin_options_2_type()?;
            operator.builtin_options_2()?;
            operator.custom_options()?;
        }
        Ok(())
    }
}

/// A limit on the work or memory spent on a file, proportional to its size. Files whose tables
/// share vectors and strings could otherwise make a small file cost a lot.
pub(crate) struct Budget {
    what: &'static str,
    unit: &'static str,
    limit: usize,
    left: usize,
}

impl Budget {
    /// A budget of twice the file's size plus a million `unit`s.
    pub(crate) fn new(what: &'static str, file_len: usize, unit: &'static str) -> Budget {
        let limit = file_len.saturating_mul(2).saturating_add(1_000_000);
        Budget { what, unit, limit, left: limit }
    }

    /// Spends `amount`, or fails when the budget is exhausted.
    pub(crate) fn take(&mut self, amount: usize) -> Result<(), TfliteError> {
        match self.left.checked_sub(amount) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => Err(TfliteError::Overlapping { what: self.what, limit: self.limit, unit: self.unit }),
        }
    }

    /// Spends `count` elements of `size` each.
    pub(crate) fn take_elements(&mut self, size: usize, count: usize) -> Result<(), TfliteError> {
        self.take(size.saturating_mul(count))
    }
}

/// A subgraph: tensors, operators in execution order, and the indices of its input and output
/// tensors.
#[derive(Debug, Clone, Copy)]
pub struct SubGraph<'a> {
    table: Table<'a>,
    index: usize,
    tensors: TableVector<'a>,
    operators: TableVector<'a>,
    inputs: Vector<'a, i32>,
    outputs: Vector<'a, i32>,
}

impl<'a> SubGraph<'a> {
    /// This subgraph's index in the model.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The subgraph table, for fields this type does not read.
    pub fn table(&self) -> Table<'a> {
        self.table
    }

    /// The subgraph's name ("main"), or "" when it has none.
    pub fn name(&self) -> Result<Cow<'a, str>, TfliteError> {
        Ok(self.table.string_field(4, Named("name"))?.unwrap_or_default())
    }

    /// Number of tensors.
    pub fn tensor_count(&self) -> usize {
        self.tensors.len()
    }

    /// Tensor `index`.
    pub fn tensor(&self, index: usize) -> Result<Tensor<'a>, TfliteError> {
        let owner = Owner::Tensor { subgraph: self.index, index };
        let table = entry(&self.tensors, index, owner, || Owner::SubGraph(self.index).to_string(), "tensor")?;
        Ok(Tensor { table, subgraph: self.index, index })
    }

    /// The tensor an operator or subgraph refers to by `index`: `None` for -1, which marks an
    /// omitted optional operator input.
    pub fn resolve(&self, index: i32) -> Result<Option<Tensor<'a>>, TfliteError> {
        if index == -1 {
            return Ok(None);
        }
        match usize::try_from(index) {
            Ok(i) => self.tensor(i).map(Some),
            Err(_) => Err(TfliteError::NoSuchEntry {
                container: Owner::SubGraph(self.index).to_string(),
                target: "tensor",
                index: i64::from(index),
                count: self.tensor_count(),
            }),
        }
    }

    /// The tensors, in order.
    pub fn tensors(&self) -> impl Iterator<Item = Result<Tensor<'a>, TfliteError>> + 'a {
        let subgraph = *self;
        (0..self.tensor_count()).map(move |i| subgraph.tensor(i))
    }

    /// Number of operators.
    pub fn operator_count(&self) -> usize {
        self.operators.len()
    }

    /// Operator `index`, in execution order.
    pub fn operator(&self, index: usize) -> Result<Operator<'a>, TfliteError> {
        let owner = Owner::Operator { subgraph: self.index, index };
        let table = entry(&self.operators, index, owner, || Owner::SubGraph(self.index).to_string(), "operator")?;
        Ok(Operator { table, subgraph: self.index, index })
    }

    /// The operators, in execution order.
    pub fn operators(&self) -> impl Iterator<Item = Result<Operator<'a>, TfliteError>> + 'a {
        let subgraph = *self;
        (0..self.operator_count()).map(move |i| subgraph.operator(i))
    }

    /// Indices of the input tensors.
    pub fn inputs(&self) -> Vector<'a, i32> {
        self.inputs
    }

    /// Indices of the output tensors.
    pub fn outputs(&self) -> Vector<'a, i32> {
        self.outputs
    }

    /// The tensor `index` refers to, with `what` naming the reference in the error for a
    /// dangling one.
    pub(crate) fn referenced(&self, index: i32, what: impl FnOnce() -> String) -> Result<Tensor<'a>, TfliteError> {
        match usize::try_from(index).ok().filter(|&i| i < self.tensor_count()) {
            Some(i) => self.tensor(i),
            None => Err(self.bad_reference(index, what())),
        }
    }

    fn bad_reference(&self, index: i32, what: String) -> TfliteError {
        TfliteError::BadReference {
            what,
            target: "tensor",
            index: i64::from(index),
            container: Owner::SubGraph(self.index).to_string(),
            count: self.tensor_count(),
        }
    }

    /// Checks that every index in `indices` is a tensor (or -1, if `optional` is allowed).
    fn check_indices(
        &self,
        indices: Vector<'a, i32>,
        optional: bool,
        steps: &mut Budget,
        what: impl Fn(usize) -> String,
    ) -> Result<(), TfliteError> {
        steps.take(indices.len())?;
        for (k, index) in indices.iter().enumerate() {
            let valid = (optional && index == -1) || usize::try_from(index).is_ok_and(|i| i < self.tensor_count());
            if !valid {
                return Err(self.bad_reference(index, what(k)));
            }
        }
        Ok(())
    }
}

/// A tensor: element type, shape, name, the buffer holding its data if it is constant, and its
/// quantization.
#[derive(Debug, Clone, Copy)]
pub struct Tensor<'a> {
    table: Table<'a>,
    subgraph: usize,
    index: usize,
}

impl<'a> Tensor<'a> {
    fn owner(&self) -> Owner {
        Owner::Tensor { subgraph: self.subgraph, index: self.index }
    }

    /// This tensor's index in its subgraph.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The index of the subgraph this tensor belongs to.
    pub fn subgraph(&self) -> usize {
        self.subgraph
    }

    /// The tensor table, for fields this type does not read (`sparsity` is slot 6).
    pub fn table(&self) -> Table<'a> {
        self.table
    }

    fn dims(
        &self,
        slot: u16,
        name: &'static str,
        vector: &'static str,
    ) -> Result<Option<Vector<'a, i32>>, TfliteError> {
        let dims = self.table.vector_field::<i32>(slot, Named(vector))?;
        match dims {
            Some(dims) if dims.len() > MAX_RANK => Err(TfliteError::RankTooLarge {
                what: self.owner().field(Named(name)),
                rank: dims.len(),
                limit: MAX_RANK,
            }),
            _ => Ok(dims),
        }
    }

    /// The shape, or `None` when the file gives none. TensorFlow Lite reads an absent shape,
    /// like an empty one, as a scalar's. Dynamic dimensions are 1 here and -1 in the
    /// [shape signature](Self::shape_signature).
    pub fn shape(&self) -> Result<Option<Vector<'a, i32>>, TfliteError> {
        self.dims(0, "shape", "shape vector")
    }

    /// The shape with -1 for dynamic dimensions, when the file gives one.
    pub fn shape_signature(&self) -> Result<Option<Vector<'a, i32>>, TfliteError> {
        self.dims(7, "shape signature", "shape signature vector")
    }

    /// The element type.
    pub fn kind(&self) -> Result<TensorKind, TfliteError> {
        Ok(TensorKind::from_code(self.table.scalar_field(1, 0i8, Named("type"))?))
    }

    /// The index of the buffer holding the tensor's data; 0 (the empty sentinel) for tensors
    /// computed at run time. See [`Model::tensor_data`].
    pub fn buffer(&self) -> Result<u32, TfliteError> {
        self.table.scalar_field(2, 0u32, Named("buffer index"))
    }

    /// The tensor's name, or "" when it has none.
    pub fn name(&self) -> Result<Cow<'a, str>, TfliteError> {
        Ok(self.table.string_field(3, Named("name"))?.unwrap_or_default())
    }

    /// The quantization table, when present. Float tensors often have an empty one.
    pub fn quantization(&self) -> Result<Option<QuantizationParameters<'a>>, TfliteError> {
        let owner = Owner::Quantization { subgraph: self.subgraph, tensor: self.index };
        let table = self.table.table_field(4, Named("quantization table"), owner)?;
        Ok(table.map(|table| QuantizationParameters { table }))
    }

    /// Whether the tensor is a variable (state kept between invocations).
    pub fn is_variable(&self) -> Result<bool, TfliteError> {
        self.table.scalar_field(5, false, Named("is_variable flag"))
    }

    /// Whether the tensor's data is stored sparse (the `sparsity` field is present).
    pub fn is_sparse(&self) -> bool {
        self.table.has(6)
    }
}

/// A tensor's quantization: `real = scale * (quantized - zero_point)`, per tensor (one scale) or
/// per channel along [`quantized_dimension`](Self::quantized_dimension).
#[derive(Debug, Clone, Copy)]
pub struct QuantizationParameters<'a> {
    table: Table<'a>,
}

impl<'a> QuantizationParameters<'a> {
    /// The quantization table, for fields this type does not read.
    pub fn table(&self) -> Table<'a> {
        self.table
    }

    fn floats(&self, slot: u16, name: &'static str) -> Result<Vector<'a, f32>, TfliteError> {
        Ok(self.table.vector_field(slot, Named(name))?.unwrap_or_else(Vector::empty))
    }

    /// Minimum values (recorded by some converters; not used for computing).
    pub fn min(&self) -> Result<Vector<'a, f32>, TfliteError> {
        self.floats(0, "min vector")
    }

    /// Maximum values (recorded by some converters; not used for computing).
    pub fn max(&self) -> Result<Vector<'a, f32>, TfliteError> {
        self.floats(1, "max vector")
    }

    /// Scales; empty when the tensor is not quantized.
    pub fn scale(&self) -> Result<Vector<'a, f32>, TfliteError> {
        self.floats(2, "scale vector")
    }

    /// Zero points, one per scale.
    pub fn zero_point(&self) -> Result<Vector<'a, i64>, TfliteError> {
        Ok(self.table.vector_field(3, Named("zero point vector"))?.unwrap_or_else(Vector::empty))
    }

    /// The `QuantizationDetails` union type (0 for none, 1 for custom quantization).
    pub fn details_type(&self) -> Result<u8, TfliteError> {
        self.table.scalar_field(4, 0u8, Named("details type"))
    }

    /// The dimension the scales apply along, for per-channel quantization.
    pub fn quantized_dimension(&self) -> Result<i32, TfliteError> {
        self.table.scalar_field(6, 0i32, Named("quantized dimension"))
    }
}

/// An operator: which operator code it runs, its input and output tensor indices, and its
/// options.
#[derive(Debug, Clone, Copy)]
pub struct Operator<'a> {
    table: Table<'a>,
    subgraph: usize,
    index: usize,
}

impl<'a> Operator<'a> {
    fn owner(&self) -> Owner {
        Owner::Operator { subgraph: self.subgraph, index: self.index }
    }

    /// This operator's index in its subgraph (its position in execution order).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The index of the subgraph this operator belongs to.
    pub fn subgraph(&self) -> usize {
        self.subgraph
    }

    /// The operator table, for fields this type does not read.
    pub fn table(&self) -> Table<'a> {
        self.table
    }

    /// The index of the operator code this operator runs; see [`Model::operator_code_of`].
    pub fn opcode_index(&self) -> Result<u32, TfliteError> {
        self.table.scalar_field(0, 0u32, Named("opcode index"))
    }

    fn indices(&self, slot: u16, name: &'static str) -> Result<Vector<'a, i32>, TfliteError> {
        Ok(self.table.vector_field(slot, Named(name))?.unwrap_or_else(Vector::empty))
    }

    /// Input tensor indices; -1 marks an omitted optional input.
    pub fn inputs(&self) -> Result<Vector<'a, i32>, TfliteError> {
        self.indices(1, "inputs vector")
    }

    /// Output tensor indices.
    pub fn outputs(&self) -> Result<Vector<'a, i32>, TfliteError> {
        self.indices(2, "outputs vector")
    }

    /// Intermediate tensor indices (used by some quantized LSTMs).
    pub fn intermediates(&self) -> Result<Vector<'a, i32>, TfliteError> {
        self.indices(8, "intermediates vector")
    }

    /// The `BuiltinOptions` union type of [`builtin_options`](Self::builtin_options) (0 for none;
    /// see [`builtin_options_name`](super::builtin_options_name)).
    pub fn builtin_options_type(&self) -> Result<u8, TfliteError> {
        self.table.scalar_field(3, 0u8, Named("builtin options type"))
    }

    /// The options table, whose fields depend on the [options type](Self::builtin_options_type);
    /// read them by slot, e.g. `FullyConnectedOptions`' fused activation is `scalar(0, 0i8)`.
    pub fn builtin_options(&self) -> Result<Option<Table<'a>>, TfliteError> {
        let owner = Owner::BuiltinOptions { subgraph: self.subgraph, operator: self.index };
        self.table.table_field(4, Named("builtin options table"), owner)
    }

    /// The `BuiltinOptions2` union type (options of the StableHLO operators; 0 for none).
    pub fn builtin_options_2_type(&self) -> Result<u8, TfliteError> {
        self.table.scalar_field(11, 0u8, Named("builtin options 2 type"))
    }

    /// The `BuiltinOptions2` table.
    pub fn builtin_options_2(&self) -> Result<Option<Table<'a>>, TfliteError> {
        let owner = Owner::BuiltinOptions { subgraph: self.subgraph, operator: self.index };
        self.table.table_field(12, Named("builtin options 2 table"), owner)
    }

    /// A custom operator's options (usually a FlexBuffer), stored in the flatbuffer or, in models
    /// over 2 GiB, after it.
    pub fn custom_options(&self) -> Result<Option<&'a [u8]>, TfliteError> {
        let name = Named("custom options");
        if let Some(data) = self.table.bytes_field(5, name)? {
            return Ok(Some(data));
        }
        let offset = self.table.scalar_field(9, 0u64, Named("large custom options offset"))?;
        let size = self.table.scalar_field(10, 0u64, Named("large custom options size"))?;
        external_data(self.table.file(), offset, size, || self.owner().field(name))
    }
}

/// An operator code: a builtin operator or a named custom one, and the version of its kernel.
#[derive(Debug, Clone, Copy)]
pub struct OperatorCode<'a> {
    table: Table<'a>,
}

impl<'a> OperatorCode<'a> {
    /// The operator code table, for fields this type does not read.
    pub fn table(&self) -> Table<'a> {
        self.table
    }

    /// The `BuiltinOperator` code: the larger of the old byte-sized field and the new `i32` one,
    /// as TensorFlow Lite resolves it.
    pub fn builtin_code(&self) -> Result<i32, TfliteError> {
        let deprecated = self.table.scalar_field(0, 0i8, Named("deprecated builtin code"))?;
        let code = self.table.scalar_field(3, 0i32, Named("builtin code"))?;
        Ok(code.max(i32::from(deprecated)))
    }

    /// The custom operator's name ("TFLite_Detection_PostProcess"), when it is one.
    pub fn custom_code(&self) -> Result<Option<Cow<'a, str>>, TfliteError> {
        self.table.string_field(1, Named("custom code"))
    }

    /// The operator's version (1 when absent).
    pub fn version(&self) -> Result<i32, TfliteError> {
        self.table.scalar_field(2, 1i32, Named("version"))
    }

    /// The operator: [`OpCode::Custom`] when the builtin code is `CUSTOM` and a custom code is
    /// given, [`OpCode::Builtin`] otherwise.
    pub fn op_code(&self) -> Result<OpCode, TfliteError> {
        let code = self.builtin_code()?;
        if code == builtin::CUSTOM
            && let Some(name) = self.custom_code()?
        {
            return Ok(OpCode::Custom(name.into_owned()));
        }
        Ok(OpCode::Builtin(code))
    }
}

/// A buffer of constant tensor data.
#[derive(Debug, Clone, Copy)]
pub struct Buffer<'a> {
    table: Table<'a>,
    index: usize,
}

impl<'a> Buffer<'a> {
    /// This buffer's index in the model.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The buffer table, for fields this type does not read.
    pub fn table(&self) -> Table<'a> {
        self.table
    }

    /// The buffer's bytes (little-endian elements), stored in the flatbuffer or, in models over
    /// 2 GiB, after it. Empty for the sentinel buffer 0 and for buffers without data.
    pub fn data(&self) -> Result<&'a [u8], TfliteError> {
        let name = Named("data");
        if let Some(data) = self.table.bytes_field(0, name)? {
            return Ok(data);
        }
        let offset = self.table.scalar_field(1, 0u64, Named("data offset"))?;
        let size = self.table.scalar_field(2, 0u64, Named("data size"))?;
        let data = external_data(self.table.file(), offset, size, || Owner::Buffer(self.index).field(name))?;
        Ok(data.unwrap_or_default())
    }
}

/// A named metadata entry, pointing to a buffer.
#[derive(Debug, Clone, Copy)]
pub struct Metadata<'a> {
    table: Table<'a>,
    index: usize,
}

impl<'a> Metadata<'a> {
    /// This entry's index in the model's metadata.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The entry's name, or "" when it has none.
    pub fn name(&self) -> Result<Cow<'a, str>, TfliteError> {
        Ok(self.table.string_field(0, Named("name"))?.unwrap_or_default())
    }

    /// The index of the buffer holding the entry's data.
    pub fn buffer(&self) -> Result<u32, TfliteError> {
        self.table.scalar_field(1, 0u32, Named("buffer index"))
    }
}
