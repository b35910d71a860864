//! The importer: walks a validated TensorFlow Lite subgraph and wires a tract [`TypedModel`].
//!
//! Every TFLite tensor becomes one tract outlet. Float and quantized tensors are f32 outlets
//! (quantized ones hold the dequantized values `(q - zero_point) * scale`); integer and boolean
//! tensors keep their own type (they are indices, shapes and masks). Operators are wired by the
//! builders of the [registry](super::registry), through an [`OpCtx`], which:
//! - hands out inputs (constants are read from the file, dequantized, and added on first use);
//! - checks every shape tract computes (concrete, at most [`MAX_ELEMENTS`] elements);
//! - after the builder, casts outputs to their tensor's type and, for quantized outputs, adds the
//!   quantization point ([`FakeQuant`](super::quant::FakeQuant)) unless the builder only moved
//!   values around.
//!
//! Builders validate everything tract would otherwise assert on (ranks, axes, channel counts,
//! sizes), so that a malformed model is an error, never a panic.

use std::collections::HashMap;
use std::fmt;

use tract_core::internal::*;

use super::qint;
use super::quant::{self, Quant};
use crate::MAX_ELEMENTS;
use crate::tflite::{self, OpCode, Table, TensorKind};

/// A variant of an operator the importer does not handle (reported as
/// [`ModelError::UnsupportedOps`](crate::model::ModelError::UnsupportedOps)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unsupported(pub String);

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unsupported {}

/// Fails with [`Unsupported`].
macro_rules! unsupported {
    ($($arg:tt)*) => {
        return Err(tract_core::internal::anyhow!($crate::tract::import::Unsupported(format!($($arg)*))))
    };
}
pub(crate) use unsupported;

/// What the importer knows about a TFLite tensor.
#[derive(Debug, Clone)]
pub(crate) struct TensorMeta {
    pub name: String,
    pub kind: TensorKind,
    /// The shape in the file, `None` when the file gives none.
    pub shape: Option<Vec<usize>>,
    /// Quantization of an integer tensor (`None` for float and plain integer tensors).
    pub quant: Option<Quant>,
    pub buffer: u32,
    /// The tract type of the tensor's outlet; `None` for types the importer cannot represent.
    pub dt: Option<DatumType>,
    pub variable: bool,
    pub sparse: bool,
}

impl TensorMeta {
    fn read(tensor: &tflite::Tensor<'_>) -> TractResult<TensorMeta> {
        let kind = tensor.kind()?;
        let shape = match tensor.shape()? {
            Some(dims) => Some(
                dims.iter()
                    .map(|d| usize::try_from(d).map_err(|_| format_err!("it has a negative dimension ({d})")))
                    .collect::<TractResult<Vec<usize>>>()?,
            ),
            None => None,
        };
        if let Some(shape) = &shape {
            volume(shape)?;
        }
        let quant = match tensor.quantization()? {
            Some(q) if !q.scale()?.is_empty() && is_integer(kind) => Some(Quant::read(&q, kind)?),
            _ => None,
        };
        let dt = tract_type(kind, quant.is_some());
        Ok(TensorMeta {
            name: tensor.name()?.into_owned(),
            kind,
            shape,
            quant,
            buffer: tensor.buffer()?,
            dt,
            variable: tensor.is_variable()?,
            sparse: tensor.is_sparse(),
        })
    }

    /// The tract type, or an [`Unsupported`] error naming the TFLite type.
    pub fn dt(&self) -> TractResult<DatumType> {
        match self.dt {
            Some(dt) => Ok(dt),
            None => {
                unsupported!("tensor \"{}\" has type {}, which the playground can't compute with", self.name, self.kind)
            }
        }
    }
}

fn is_integer(kind: TensorKind) -> bool {
    matches!(
        kind,
        TensorKind::UInt8
            | TensorKind::Int8
            | TensorKind::Int16
            | TensorKind::UInt16
            | TensorKind::Int32
            | TensorKind::UInt32
            | TensorKind::Int64
            | TensorKind::UInt64
    )
}

/// The tract type holding a tensor of `kind`: f32 for float and quantized tensors.
pub(crate) fn tract_type(kind: TensorKind, quantized: bool) -> Option<DatumType> {
    if quantized {
        return Some(DatumType::F32);
    }
    Some(match kind {
        TensorKind::Float32 | TensorKind::Float16 | TensorKind::Float64 => DatumType::F32,
        TensorKind::UInt8 => DatumType::U8,
        TensorKind::Int8 => DatumType::I8,
        TensorKind::Int16 => DatumType::I16,
        TensorKind::UInt16 => DatumType::U16,
        TensorKind::Int32 => DatumType::I32,
        TensorKind::UInt32 => DatumType::U32,
        TensorKind::Int64 => DatumType::I64,
        TensorKind::UInt64 => DatumType::U64,
        TensorKind::Bool => DatumType::Bool,
        _ => return None,
    })
}

/// The most elements a tensor of the engine may have: 64 Mi (256 MiB of f32), a quarter of the
/// runtime's [`MAX_ELEMENTS`], so that a model cannot make the browser run out of memory with
/// one tensor (the largest in the zoo has 4.7 Mi).
pub const MAX_TENSOR_ELEMENTS: usize = MAX_ELEMENTS / 4;

/// The element count of `shape`, checked against [`MAX_TENSOR_ELEMENTS`].
pub(crate) fn volume(shape: &[usize]) -> TractResult<usize> {
    match shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)) {
        Some(n) if n <= MAX_TENSOR_ELEMENTS => Ok(n),
        _ => bail!("a tensor of shape {shape:?} has more than the limit of {MAX_TENSOR_ELEMENTS} elements"),
    }
}

/// The importer's state while it wires one subgraph.
pub(crate) struct Importer<'a> {
    pub model: tflite::Model<'a>,
    pub graph: tflite::SubGraph<'a>,
    pub target: TypedModel,
    pub tensors: Vec<TensorMeta>,
    values: Vec<Option<OutletId>>,
    /// Real-valued outlets of integer kernels -> the centred values they were computed from
    /// (`qint`: the next integer kernel takes those instead of centring the real ones again).
    pub centred: HashMap<OutletId, (qint::Q8, OutletId)>,
}

impl<'a> Importer<'a> {
    pub fn new(model: tflite::Model<'a>, graph: tflite::SubGraph<'a>) -> TractResult<Importer<'a>> {
        let tensors = graph
            .tensors()
            .enumerate()
            .map(|(i, t)| TensorMeta::read(&t?).with_context(|| format!("tensor {i}")))
            .collect::<TractResult<Vec<_>>>()?;
        let values = vec![None; tensors.len()];
        Ok(Importer { model, graph, target: TypedModel::default(), tensors, values, centred: HashMap::new() })
    }

    pub fn meta(&self, tensor: usize) -> TractResult<&TensorMeta> {
        self.tensors.get(tensor).ok_or_else(|| format_err!("there is no tensor {tensor}"))
    }

    /// Adds a source for subgraph input `tensor`, with the file's shape (a scalar when absent).
    pub fn add_input(&mut self, tensor: usize) -> TractResult<OutletId> {
        let meta = self.meta(tensor)?.clone();
        let dt = meta.dt()?;
        let shape = meta.shape.clone().unwrap_or_default();
        let name = self.target.unique_name(format!("input.{}", meta.name)).into_owned();
        let outlet = self.target.add_source(name, dt.fact(&*shape))?;
        self.set_value(tensor, outlet)?;
        Ok(outlet)
    }

    pub fn set_value(&mut self, tensor: usize, outlet: OutletId) -> TractResult<()> {
        let slot = self.values.get_mut(tensor).ok_or_else(|| format_err!("there is no tensor {tensor}"))?;
        *slot = Some(outlet);
        Ok(())
    }

    /// The outlet holding `tensor`'s values: computed by an earlier operator, a subgraph input, or
    /// a constant from the file (added on first use).
    pub fn value(&mut self, tensor: usize) -> TractResult<OutletId> {
        if let Some(Some(outlet)) = self.values.get(tensor) {
            return Ok(*outlet);
        }
        let meta = self.meta(tensor)?.clone();
        let name = meta.name.clone();
        match self.constant(tensor)? {
            Some(konst) => {
                let outlet = self.target.add_const(format!("const.{tensor}.{name}"), konst)?;
                self.set_value(tensor, outlet)?;
                Ok(outlet)
            }
            None if meta.variable => unsupported!("variable tensor \"{name}\" (model state)"),
            None => bail!("tensor {tensor} (\"{name}\") is read before any operator computes it"),
        }
    }

    /// The constant data of `tensor` as a tract tensor of its outlet type (dequantized when
    /// quantized), or `None` when the tensor has no data in the file.
    pub fn constant(&self, tensor: usize) -> TractResult<Option<Arc<Tensor>>> {
        let meta = self.meta(tensor)?;
        if meta.buffer == 0 {
            return Ok(None);
        }
        let t = self.graph.tensor(tensor)?;
        let Some(data) = self.model.tensor_data(&t)? else {
            return Ok(None);
        };
        if meta.sparse {
            unsupported!("tensor \"{}\" is stored sparse", meta.name);
        }
        let size = meta.kind.size().filter(|_| meta.dt.is_some());
        let Some(size) = size else {
            unsupported!("constant tensor \"{}\" has type {}", meta.name, meta.kind);
        };
        let count = data.len() / size;
        let shape = match &meta.shape {
            Some(shape) => shape.clone(),
            // TFLite reads an absent shape as a scalar's; keep longer data as a vector.
            None if count == 1 => vec![],
            None => vec![count],
        };
        let expected = volume(&shape)?;
        ensure!(
            expected.checked_mul(size) == Some(data.len()),
            "constant tensor {tensor} (\"{}\") of shape {shape:?} needs {} bytes but its buffer has {}",
            meta.name,
            expected.saturating_mul(size),
            data.len()
        );
        let tensor = match &meta.quant {
            Some(q) => {
                let values = quant::dequantize_bytes(data, meta.kind, q, &shape)?;
                Tensor::from_shape(&shape, &values)?
            }
            None => decode(meta.kind, data, &shape)?,
        };
        Ok(Some(tensor.into_arc_tensor()))
    }

    /// The constant data of `tensor` as stored (quantized values not dequantized), or `None`.
    pub fn raw_constant(&self, tensor: usize) -> TractResult<Option<Tensor>> {
        let meta = self.meta(tensor)?;
        if meta.buffer == 0 || meta.sparse {
            return Ok(None);
        }
        let t = self.graph.tensor(tensor)?;
        let Some(data) = self.model.tensor_data(&t)? else {
            return Ok(None);
        };
        let Some(size) = meta.kind.size() else {
            return Ok(None);
        };
        let shape = match &meta.shape {
            Some(shape) => shape.clone(),
            None if data.len() == size => vec![],
            None => vec![data.len() / size],
        };
        if volume(&shape)?.checked_mul(size) != Some(data.len()) {
            return Ok(None);
        }
        decode(meta.kind, data, &shape).map(Some)
    }

    /// The fact of `outlet`.
    pub fn fact(&self, outlet: OutletId) -> TractResult<TypedFact> {
        Ok(self.target.outlet_fact(outlet)?.clone())
    }

    /// The concrete shape of `outlet`.
    pub fn shape(&self, outlet: OutletId) -> TractResult<Vec<usize>> {
        let fact = self.target.outlet_fact(outlet)?;
        match fact.shape.as_concrete() {
            Some(shape) => Ok(shape.to_vec()),
            None => bail!("a tensor has a symbolic shape {:?}", fact.shape),
        }
    }
}

/// Decodes little-endian `data` of `kind` into a tensor of its tract type.
fn decode(kind: TensorKind, data: &[u8], shape: &[usize]) -> TractResult<Tensor> {
    fn le<const N: usize, T: Datum + Copy>(
        data: &[u8],
        shape: &[usize],
        f: impl Fn([u8; N]) -> T,
    ) -> TractResult<Tensor> {
        let values: Vec<T> = data.chunks_exact(N).filter_map(|c| c.try_into().ok()).map(f).collect();
        Tensor::from_shape(shape, &values)
    }
    match kind {
        TensorKind::Float32 => le(data, shape, f32::from_le_bytes),
        TensorKind::Float16 => le(data, shape, |b| f16::from_le_bytes(b).to_f32()),
        TensorKind::Float64 => le(data, shape, |b| f64::from_le_bytes(b) as f32),
        TensorKind::UInt8 => le(data, shape, u8::from_le_bytes),
        TensorKind::Int8 => le(data, shape, i8::from_le_bytes),
        TensorKind::Int16 => le(data, shape, i16::from_le_bytes),
        TensorKind::UInt16 => le(data, shape, u16::from_le_bytes),
        TensorKind::Int32 => le(data, shape, i32::from_le_bytes),
        TensorKind::UInt32 => le(data, shape, u32::from_le_bytes),
        TensorKind::Int64 => le(data, shape, i64::from_le_bytes),
        TensorKind::UInt64 => le(data, shape, u64::from_le_bytes),
        TensorKind::Bool => le(data, shape, |[b]: [u8; 1]| b != 0),
        other => unsupported!("constant tensors of type {other}"),
    }
}

/// One operator being wired: its inputs, outputs and options, and the helpers builders use.
pub(crate) struct OpCtx<'i, 'a> {
    pub imp: &'i mut Importer<'a>,
    pub code: OpCode,
    prefix: String,
    options: Option<Table<'a>>,
    custom_options: Option<&'a [u8]>,
    inputs: Vec<i32>,
    outputs: Vec<usize>,
    /// Set by builders whose outputs are (a rearrangement of) their first input's values, so
    /// that equally quantized outputs need no requantization.
    preserves_values: bool,
    /// Set by builders that computed their quantized outputs exactly as TFLite's integer kernels.
    quantized_exactly: bool,
}

impl<'i, 'a> OpCtx<'i, 'a> {
    pub fn new(imp: &'i mut Importer<'a>, operator: &tflite::Operator<'a>, code: OpCode) -> TractResult<Self> {
        let outputs = operator
            .outputs()?
            .iter()
            .map(|t| usize::try_from(t).map_err(|_| format_err!("output tensor index {t} is invalid")))
            .collect::<TractResult<Vec<_>>>()?;
        let prefix = format!("op{}.{}", operator.index(), code);
        Ok(OpCtx {
            imp,
            code,
            prefix,
            options: operator.builtin_options()?,
            custom_options: operator.custom_options()?,
            inputs: operator.inputs()?.to_vec(),
            outputs,
            preserves_values: false,
            quantized_exactly: false,
        })
    }

    // ----- inputs and outputs -----

    /// Number of inputs, including omitted optional ones.
    pub fn input_count(&self) -> usize {
        self.inputs.len()
    }

    pub fn output_count(&self) -> usize {
        self.outputs.len()
    }

    /// The tensor index of input `k`, or `None` when it is absent or omitted (-1).
    pub fn input_tensor(&self, k: usize) -> Option<usize> {
        self.inputs.get(k).and_then(|&t| usize::try_from(t).ok())
    }

    pub fn has_input(&self, k: usize) -> bool {
        self.input_tensor(k).is_some()
    }

    /// Checks the number of inputs (counting omitted optional ones) and outputs.
    pub fn expect_io(&self, inputs: std::ops::RangeInclusive<usize>, outputs: usize) -> TractResult<()> {
        ensure!(
            inputs.contains(&self.inputs.len()),
            "expects {} to {} inputs, has {}",
            inputs.start(),
            inputs.end(),
            self.inputs.len()
        );
        ensure!(self.outputs.len() == outputs, "expects {outputs} outputs, has {}", self.outputs.len());
        Ok(())
    }

    /// The outlet of input `k`.
    pub fn input(&mut self, k: usize) -> TractResult<OutletId> {
        let tensor = self.input_tensor(k).ok_or_else(|| format_err!("input {k} is missing"))?;
        self.imp.value(tensor)
    }

    /// The outlet of input `k`, which must be float or quantized (an f32 outlet).
    pub fn float_input(&mut self, k: usize) -> TractResult<OutletId> {
        let outlet = self.input(k)?;
        let dt = self.imp.fact(outlet)?.datum_type;
        if dt != DatumType::F32 {
            unsupported!("input {k} of type {:?} (only float and quantized inputs are supported)", dt);
        }
        Ok(outlet)
    }

    /// What the importer knows about input `k`'s tensor.
    pub fn input_meta(&self, k: usize) -> TractResult<&TensorMeta> {
        let tensor = self.input_tensor(k).ok_or_else(|| format_err!("input {k} is missing"))?;
        self.imp.meta(tensor)
    }

    pub fn output_meta(&self, k: usize) -> TractResult<&TensorMeta> {
        let tensor = *self.outputs.get(k).ok_or_else(|| format_err!("output {k} is missing"))?;
        self.imp.meta(tensor)
    }

    /// Input `k`'s quantization (`None` when it is not quantized).
    pub fn input_quant(&self, k: usize) -> TractResult<Option<&Quant>> {
        Ok(self.input_meta(k)?.quant.as_ref())
    }

    /// The concrete shape of `outlet`.
    pub fn shape(&self, outlet: OutletId) -> TractResult<Vec<usize>> {
        self.imp.shape(outlet)
    }

    pub fn datum_type(&self, outlet: OutletId) -> TractResult<DatumType> {
        Ok(self.imp.target.outlet_fact(outlet)?.datum_type)
    }

    /// The constant value of `outlet`, when tract knows it.
    pub fn konst(&self, outlet: OutletId) -> TractResult<Option<Arc<Tensor>>> {
        Ok(self.imp.target.outlet_fact(outlet)?.konst.clone())
    }

    /// Input `k`'s values as integers; it must be a constant (or folded to one).
    pub fn const_ints(&mut self, k: usize) -> TractResult<Vec<i64>> {
        let outlet = self.input(k)?;
        let Some(konst) = self.konst(outlet)? else {
            unsupported!("input {k} must be a constant (computed values are not supported here)");
        };
        ensure!(konst.datum_type().is_integer(), "input {k} must be integers, not {:?}", konst.datum_type());
        let ints = konst.cast_to::<i64>()?;
        Ok(ints.try_as_plain_ram()?.as_slice::<i64>()?.to_vec())
    }

    // ----- options -----

    fn options(&self) -> Option<&Table<'a>> {
        self.options.as_ref()
    }

    /// Option field `slot` as an `i32` (`default` when absent).
    pub fn opt_i32(&self, slot: u16, default: i32) -> TractResult<i32> {
        Ok(match self.options() {
            Some(t) => t.scalar(slot, default)?,
            None => default,
        })
    }

    pub fn opt_i8(&self, slot: u16, default: i8) -> TractResult<i8> {
        Ok(match self.options() {
            Some(t) => t.scalar(slot, default)?,
            None => default,
        })
    }

    pub fn opt_bool(&self, slot: u16, default: bool) -> TractResult<bool> {
        Ok(match self.options() {
            Some(t) => t.scalar(slot, default)?,
            None => default,
        })
    }

    pub fn opt_f32(&self, slot: u16, default: f32) -> TractResult<f32> {
        Ok(match self.options() {
            Some(t) => t.scalar(slot, default)?,
            None => default,
        })
    }

    /// Option field `slot` as an `[int]` vector, `None` when absent.
    pub fn opt_ints(&self, slot: u16) -> TractResult<Option<Vec<i32>>> {
        Ok(match self.options() {
            Some(t) => t.vector::<i32>(slot)?.map(|v| v.to_vec()),
            None => None,
        })
    }

    pub fn custom_options(&self) -> Option<&'a [u8]> {
        self.custom_options
    }

    // ----- wiring -----

    /// Wires `op` on `inputs`, checking that every output has a concrete shape within the limits.
    pub fn wire(&mut self, op: impl Into<Box<dyn TypedOp>>, inputs: &[OutletId]) -> TractResult<TVec<OutletId>> {
        let name = self.imp.target.unique_name(self.prefix.clone()).into_owned();
        let outlets = self.imp.target.wire_node(name, op, inputs)?;
        for outlet in &outlets {
            let shape = self.shape(*outlet)?;
            volume(&shape)?;
        }
        Ok(outlets)
    }

    /// Wires a single-output `op`.
    pub fn wire1(&mut self, op: impl Into<Box<dyn TypedOp>>, inputs: &[OutletId]) -> TractResult<OutletId> {
        let outlets = self.wire(op, inputs)?;
        outlets.first().copied().ok_or_else(|| format_err!("an operator produced no output"))
    }

    /// Adds a constant.
    pub fn add_const(&mut self, tensor: Tensor) -> TractResult<OutletId> {
        volume(tensor.shape())?;
        let name = format!("{}.const", self.prefix);
        self.imp.target.add_const(name, tensor.into_arc_tensor())
    }

    /// Marks the operator as only moving values (reshape, pooling by max, padding with zeros...).
    pub fn preserves_values(&mut self) {
        self.preserves_values = true;
    }

    /// Marks the quantized outputs as already rounded exactly as TFLite's integer kernels do.
    pub fn quantized_exactly(&mut self) {
        self.quantized_exactly = true;
    }

    /// Stores the operator's outputs: casts each to its tensor's type and adds the quantization
    /// point of quantized outputs.
    pub fn finish(mut self, outlets: TVec<OutletId>) -> TractResult<()> {
        ensure!(
            outlets.len() == self.outputs.len(),
            "produced {} outputs for {} output tensors",
            outlets.len(),
            self.outputs.len()
        );
        let input_quant = match self.input_tensor(0) {
            Some(t) => self.imp.meta(t)?.quant.clone(),
            None => None,
        };
        for (k, mut outlet) in outlets.into_iter().enumerate() {
            let tensor = self.outputs[k];
            let meta = self.imp.meta(tensor)?.clone();
            let dt = meta.dt()?;
            if self.datum_type(outlet)? != dt {
                outlet = self.wire1(tract_core::ops::cast::cast(dt), &[outlet])?;
            }
            if let Some(q) = &meta.quant {
                let exact = self.quantized_exactly || (self.preserves_values && input_quant.as_ref() == Some(q));
                if !exact {
                    outlet = quant::wire_fake_quant(&mut self, outlet, q)?;
                }
            }
            self.imp.set_value(tensor, outlet)?;
        }
        Ok(())
    }
}
