//! The TensorFlow Lite engine: this project's own importer from `.tflite` onto tract-core.
//!
//! [`TractBackend`] loads `application/tflite-model` models:
//! 1. The file is parsed and validated with the bounds-checked [`tflite`](crate::tflite) reader.
//! 2. Every operator of the main subgraph is looked up in the [registry](supported_builtins);
//!    all unsupported ones are reported at once as [`ModelError::UnsupportedOps`]
//!    (`"FlexTranspose (operators 17, 40), GATHER (operator 5)"`).
//! 3. The Rune's declared inputs are checked against the model's (same element types and element
//!    counts; the dimensions may differ), then the graph is wired operator by operator into a
//!    tract `TypedModel`, each builder validating what tract would otherwise assert on. Shapes
//!    are inferred from the graph, so tensors without a shape in the file are fine. The
//!    declared outputs are checked against the inferred output shapes.
//! 4. The model is optimised once (`into_optimized`, `into_runnable`); [`Model::run`] then only
//!    converts tensors and runs the plan.
//!
//! # Numerics
//! Everything computes in f32. Quantized constants are dequantized (per tensor or per channel);
//! quantized inputs are dequantized before the plan runs; after every operator with a quantized
//! output the value is rounded to that output's grid exactly as TFLite rounds it (see
//! [`quant`]), so quantized models agree with TFLite within one quantization step. Quantized
//! outputs are returned in the model's integer type, float outputs as f32. Integer and boolean
//! tensors (indices, shapes, masks) keep their types.
//!
//! Nothing here panics on a malformed model: problems are [`ModelError::Invalid`], unsupported
//! operators or variants [`ModelError::UnsupportedOps`], and run-time failures
//! [`ModelError::Inference`].

mod activation;
mod conv;
mod custom;
mod import;
mod math;
mod nn;
mod outputs;
mod pool;
mod qdepthwise;
mod qgemm;
mod qint;
mod quant;
mod reduce;
mod registry;
mod shape;
#[cfg(test)]
mod tests;
#[cfg(all(test, target_arch = "wasm32"))]
mod timing;

use std::fmt::Write as _;

use tract_core::internal::*;

use crate::model::{Model, ModelBackend, ModelError, describe};
use crate::tflite::{self, OpCode, TensorKind};
use crate::{ElementType, ModelFormat, TensorData, TensorType};

use import::{Importer, OpCtx, TensorMeta, Unsupported};

pub use import::MAX_TENSOR_ELEMENTS;
pub use registry::supported_builtins;

/// Loads TensorFlow Lite models onto tract.
#[derive(Debug, Clone, Copy, Default)]
pub struct TractBackend;

impl ModelBackend for TractBackend {
    fn load(
        &self,
        format: ModelFormat,
        bytes: &[u8],
        inputs: &[TensorType],
        outputs: &[TensorType],
    ) -> Result<Box<dyn Model>, ModelError> {
        match format {
            ModelFormat::TensorFlowLite => Ok(Box::new(TractModel::load(bytes, inputs, outputs)?)),
            other => Err(ModelError::UnsupportedFormat(other.mimetype())),
        }
    }
}

/// How a Rune tensor maps to a tract input or output.
#[derive(Debug, Clone)]
struct Port {
    /// The type the Rune declared (and gets back).
    declared: TensorType,
    /// The model's shape for this tensor (inferred, for outputs).
    shape: Vec<usize>,
    kind: TensorKind,
    /// Per-tensor quantization: the tract tensor holds real values.
    quant: Option<quant::Quant>,
    /// The tract type.
    dt: DatumType,
}

/// A loaded, optimised model.
pub struct TractModel {
    plan: Arc<TypedRunnableModel>,
    /// The plan's run state, kept from run to run (one tract session): the integer kernels take
    /// their outputs from the session's pool of free tensors (`outputs`), so from the second run
    /// on none is allocated or zeroed.
    state: TypedSimpleState,
    inputs: Vec<Port>,
    outputs: Vec<Port>,
}

impl std::fmt::Debug for TractModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TractModel").field("inputs", &self.inputs).field("outputs", &self.outputs).finish()
    }
}

/// The Rune element type of a model tensor (booleans travel as u8).
fn element_type(kind: TensorKind) -> Option<ElementType> {
    match kind {
        TensorKind::Bool => Some(ElementType::U8),
        TensorKind::String => None,
        other => other.element_type(),
    }
}

/// Describes a model tensor like a Rune type (`u8[1, 96, 96, 1]`).
fn describe_model(kind: TensorKind, shape: &[usize]) -> String {
    match element_type(kind) {
        Some(ty) => TensorType::new(ty, shape.to_vec()).to_string(),
        None => {
            let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
            format!("{}[{}]", kind.name().to_lowercase(), dims.join(", "))
        }
    }
}

/// Checks declared types against the model's: same count, element types and element counts.
fn check_types(declared: &[TensorType], actual: &[(TensorKind, Vec<usize>)]) -> Result<(), ModelError> {
    let matches = declared.len() == actual.len()
        && declared.iter().zip(actual).all(|(d, (kind, shape))| {
            element_type(*kind) == Some(d.element_type)
                && d.element_count().is_some()
                && d.element_count() == shape.iter().try_fold(1usize, |a, &x| a.checked_mul(x))
        });
    if matches {
        return Ok(());
    }
    let actual: Vec<String> = actual.iter().map(|(kind, shape)| describe_model(*kind, shape)).collect();
    Err(ModelError::Mismatch { declared: describe(declared), actual: actual.join(", ") })
}

/// Keeps tract-linalg 0.23.9's Intel AMX int8 matrix kernel out of its kernel pool: on AMX
/// Xeons it intermittently faults (SIGSEGV in `avx512amx_mmm_i32_16x16`) when models run on
/// several threads. The AVX-512 VNNI kernels take its place. Must run before tract probes the
/// CPU (its first matrix product), so every import calls it first; a user's own
/// `TRACT_CPU_ISA` edits are kept.
fn avoid_faulty_kernels() {
    #[cfg(target_arch = "x86_64")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let knob = &tract_core::tract_linalg::knobs::TRACT_CPU_ISA;
            let spec = match knob.get() {
                Some(user) if !user.trim().is_empty() => format!("{user},-amx-int8"),
                _ => "-amx-int8".to_string(),
            };
            knob.set(Some(spec));
        });
    }
}

/// Parses and validates a `.tflite` file, refuses it with every unsupported operator listed, and
/// reads its tensors: the start of every import.
fn open(bytes: &[u8]) -> Result<(Importer<'_>, tflite::SubGraph<'_>), ModelError> {
    let model = tflite::Model::parse(bytes).map_err(invalid)?;
    model.validate().map_err(invalid)?;
    let graph = model.main_subgraph().map_err(invalid)?;
    if let Some(ops) = unsupported_ops(&model, &graph)? {
        return Err(ModelError::UnsupportedOps(ops));
    }
    let imp = Importer::new(model, graph).map_err(|e| import_error(e, "reading the tensors".into()))?;
    Ok((imp, graph))
}

/// The Rune types of a model's own tensors (booleans travel as u8).
fn own_types(tensors: &[(TensorKind, Vec<usize>)]) -> Vec<TensorType> {
    tensors
        .iter()
        .map(|(kind, shape)| TensorType::new(element_type(*kind).unwrap_or(ElementType::U8), shape.clone()))
        .collect()
}

/// What in a `.tflite` file this engine cannot run: `Ok(None)` when the whole model imports.
/// Unknown operators are listed together with where they are; otherwise the first operator
/// variant the importer refuses is named. A file that is not a valid model is an error.
pub fn unsupported(bytes: &[u8]) -> Result<Option<String>, ModelError> {
    match TractModel::load_as_declared(bytes) {
        Ok(_) => Ok(None),
        Err(ModelError::UnsupportedOps(what)) => Ok(Some(what)),
        Err(e) => Err(e),
    }
}

/// Lists the operators the registry has no builder for, grouped by name:
/// `"FlexTranspose (operators 17, 40), GATHER (operator 5)"`.
fn unsupported_ops(model: &tflite::Model<'_>, graph: &tflite::SubGraph<'_>) -> Result<Option<String>, ModelError> {
    let mut found: Vec<(String, Vec<usize>)> = Vec::new();
    for operator in graph.operators() {
        let operator = operator.map_err(invalid)?;
        let code = model.op_code(&operator).map_err(invalid)?;
        if registry::builder(&code).is_some() {
            continue;
        }
        let name = match &code {
            OpCode::Builtin(code) => tflite::op_name(*code).into_owned(),
            OpCode::Custom(name) => name.clone(),
        };
        match found.iter_mut().find(|(n, _)| *n == name) {
            Some((_, indices)) => indices.push(operator.index()),
            None => found.push((name, vec![operator.index()])),
        }
    }
    if found.is_empty() {
        return Ok(None);
    }
    let mut text = String::new();
    for (i, (name, indices)) in found.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        let list: Vec<String> = indices.iter().map(usize::to_string).collect();
        let word = if indices.len() == 1 { "operator" } else { "operators" };
        let _ = write!(text, "{name} ({word} {})", list.join(", "));
    }
    Ok(Some(text))
}

fn invalid(e: impl std::fmt::Display) -> ModelError {
    ModelError::Invalid(e.to_string())
}

/// Maps an import error: [`Unsupported`] variants become `UnsupportedOps`, the rest `Invalid`.
fn import_error(e: TractError, context: String) -> ModelError {
    if let Some(Unsupported(what)) = e.downcast_ref::<Unsupported>() {
        return ModelError::UnsupportedOps(format!("{context}: {what}"));
    }
    ModelError::Invalid(format!("{context}: {e:#}"))
}

impl TractModel {
    /// Loads a `.tflite` model whose declared inputs and outputs are `inputs` and `outputs`.
    pub fn load(bytes: &[u8], inputs: &[TensorType], outputs: &[TensorType]) -> Result<TractModel, ModelError> {
        TractModel::import(bytes, Some(inputs), Some(outputs))
    }

    /// Loads a model with the types it declares itself (for checking what the engine supports).
    pub fn load_as_declared(bytes: &[u8]) -> Result<TractModel, ModelError> {
        TractModel::import(bytes, None, None)
    }

    /// `None` declared types mean the model's own.
    fn import(
        bytes: &[u8],
        inputs: Option<&[TensorType]>,
        outputs: Option<&[TensorType]>,
    ) -> Result<TractModel, ModelError> {
        avoid_faulty_kernels();
        let (mut imp, graph) = open(bytes)?;

        let input_tensors = tensor_indices(graph.inputs().iter())?;
        let mut model_inputs = Vec::new();
        for &t in &input_tensors {
            let meta = imp.meta(t).map_err(invalid)?;
            model_inputs.push((meta.kind, meta.shape.clone().unwrap_or_default()));
        }
        let own_inputs = own_types(&model_inputs);
        let inputs = inputs.unwrap_or(&own_inputs);
        check_types(inputs, &model_inputs)?;
        let mut in_ports = Vec::new();
        for (&t, declared) in input_tensors.iter().zip(inputs) {
            imp.add_input(t).map_err(|e| import_error(e, format!("input tensor {t}")))?;
            let meta = imp.meta(t).map_err(invalid)?;
            in_ports.push(port(meta, declared, meta.shape.clone().unwrap_or_default())?);
        }

        for index in 0..graph.operator_count() {
            let operator = graph.operator(index).map_err(invalid)?;
            let code = imp.model.op_code(&operator).map_err(invalid)?;
            let context = format!("operator {index} ({code})");
            let Some(build) = registry::builder(&code) else {
                return Err(ModelError::UnsupportedOps(context));
            };
            let mut ctx = OpCtx::new(&mut imp, &operator, code).map_err(|e| import_error(e, context.clone()))?;
            let outlets = build(&mut ctx).map_err(|e| import_error(e, context.clone()))?;
            ctx.finish(outlets).map_err(|e| import_error(e, context.clone()))?;
        }

        let output_tensors = tensor_indices(graph.outputs().iter())?;
        let mut outlets: Vec<OutletId> = Vec::new();
        let mut model_outputs = Vec::new();
        for &t in &output_tensors {
            let mut outlet = imp.value(t).map_err(|e| import_error(e, format!("output tensor {t}")))?;
            if outlets.contains(&outlet) {
                let name = imp.target.unique_name(format!("output.{t}")).into_owned();
                outlet = imp
                    .target
                    .wire_node(name, tract_core::ops::identity::Identity, &[outlet])
                    .map_err(|e| import_error(e, format!("output tensor {t}")))?
                    .first()
                    .copied()
                    .ok_or_else(|| ModelError::Invalid("an output has no value".into()))?;
            }
            outlets.push(outlet);
            let shape = imp.shape(outlet).map_err(|e| import_error(e, format!("output tensor {t}")))?;
            let meta = imp.meta(t).map_err(invalid)?;
            model_outputs.push((meta.kind, shape));
        }
        let own_outputs = own_types(&model_outputs);
        let outputs = outputs.unwrap_or(&own_outputs);
        check_types(outputs, &model_outputs)?;
        let mut out_ports = Vec::new();
        for ((&t, declared), (_, shape)) in output_tensors.iter().zip(outputs).zip(&model_outputs) {
            let meta = imp.meta(t).map_err(invalid)?;
            out_ports.push(port(meta, declared, shape.clone())?);
        }

        let mut target = imp.target;
        target.select_output_outlets(&outlets).map_err(|e| import_error(e, "selecting the outputs".into()))?;
        let optimized = target.into_optimized().map_err(|e| import_error(e, "optimising the model".into()))?;
        let plan = optimized.into_runnable().map_err(|e| import_error(e, "planning the model".into()))?;
        let state = plan.spawn().map_err(|e| import_error(e, "planning the model".into()))?;
        Ok(TractModel { plan, state, inputs: in_ports, outputs: out_ports })
    }

    /// The model's input shapes (as the model sees them).
    pub fn input_shapes(&self) -> Vec<Vec<usize>> {
        self.inputs.iter().map(|p| p.shape.clone()).collect()
    }

    /// The model's output shapes (inferred).
    pub fn output_shapes(&self) -> Vec<Vec<usize>> {
        self.outputs.iter().map(|p| p.shape.clone()).collect()
    }
}

/// Runs the model's graph without optimising it and returns the real values of every tensor an
/// operator computes, by tensor index: a debugging aid for comparing with a reference
/// interpreter's intermediate tensors.
#[doc(hidden)]
pub fn trace(bytes: &[u8], inputs: &[crate::Tensor]) -> Result<Vec<(usize, Vec<f32>)>, ModelError> {
    avoid_faulty_kernels();
    let (mut imp, graph) = open(bytes)?;
    let input_tensors = tensor_indices(graph.inputs().iter())?;
    let mut values = TVec::new();
    for (&t, tensor) in input_tensors.iter().zip(inputs) {
        imp.add_input(t).map_err(|e| import_error(e, format!("input tensor {t}")))?;
        let meta = imp.meta(t).map_err(invalid)?;
        let p = port(meta, &tensor.tensor_type(), meta.shape.clone().unwrap_or_default())?;
        values.push(to_tract(&p, tensor.data()).map_err(|e| ModelError::Inference(format!("{e:#}")))?.into_tvalue());
    }
    let mut traced = Vec::new();
    for index in 0..graph.operator_count() {
        let operator = graph.operator(index).map_err(invalid)?;
        let code = imp.model.op_code(&operator).map_err(invalid)?;
        let context = format!("operator {index} ({code})");
        let Some(build) = registry::builder(&code) else {
            return Err(ModelError::UnsupportedOps(context));
        };
        let mut ctx = OpCtx::new(&mut imp, &operator, code).map_err(|e| import_error(e, context.clone()))?;
        let outlets = build(&mut ctx).map_err(|e| import_error(e, context.clone()))?;
        ctx.finish(outlets).map_err(|e| import_error(e, context.clone()))?;
        for t in operator.outputs().map_err(invalid)?.iter() {
            let t = usize::try_from(t).map_err(invalid)?;
            traced.push((t, imp.value(t).map_err(|e| import_error(e, context.clone()))?));
        }
    }
    let mut target = imp.target;
    let outlets: Vec<OutletId> = traced.iter().map(|(_, o)| *o).collect();
    target.select_output_outlets(&outlets).map_err(|e| import_error(e, "selecting the outputs".into()))?;
    let plan = target.into_runnable().map_err(|e| import_error(e, "planning the model".into()))?;
    let results = plan.run(values).map_err(|e| ModelError::Inference(format!("{e:#}")))?;
    let mut out = Vec::new();
    for ((t, _), value) in traced.iter().zip(results.iter()) {
        let floats = value.cast_to::<f32>().map_err(|e| ModelError::Inference(format!("{e:#}")))?;
        let plain = floats.try_as_plain_ram().map_err(|e| ModelError::Inference(format!("{e:#}")))?;
        out.push((*t, plain.as_slice::<f32>().map_err(|e| ModelError::Inference(format!("{e:#}")))?.to_vec()));
    }
    Ok(out)
}

fn tensor_indices(indices: impl Iterator<Item = i32>) -> Result<Vec<usize>, ModelError> {
    indices
        .map(|i| usize::try_from(i).map_err(|_| ModelError::Invalid(format!("tensor index {i} is invalid"))))
        .collect()
}

fn port(meta: &TensorMeta, declared: &TensorType, shape: Vec<usize>) -> Result<Port, ModelError> {
    let dt = meta.dt().map_err(|e| import_error(e, format!("tensor \"{}\"", meta.name)))?;
    let quant = meta.quant.clone();
    if let Some(q) = &quant
        && q.per_tensor().is_none()
    {
        return Err(ModelError::UnsupportedOps(format!(
            "tensor \"{}\": per-channel quantized inputs or outputs",
            meta.name
        )));
    }
    Ok(Port { declared: declared.clone(), shape, kind: meta.kind, quant, dt })
}

/// Converts a Rune tensor to the tract tensor `port` expects.
fn to_tract(port: &Port, data: &TensorData) -> TractResult<Tensor> {
    let shape = &port.shape;
    if let Some((scale, zero_point)) = port.quant.as_ref().and_then(quant::Quant::per_tensor) {
        let ints: Vec<i64> = match data {
            TensorData::U8(v) => v.iter().map(|&x| i64::from(x)).collect(),
            TensorData::I8(v) => v.iter().map(|&x| i64::from(x)).collect(),
            TensorData::I16(v) => v.iter().map(|&x| i64::from(x)).collect(),
            TensorData::U16(v) => v.iter().map(|&x| i64::from(x)).collect(),
            TensorData::I32(v) => v.iter().map(|&x| i64::from(x)).collect(),
            TensorData::U32(v) => v.iter().map(|&x| i64::from(x)).collect(),
            TensorData::I64(v) => v.clone(),
            other => bail!("a {} tensor for a quantized input", other.element_type()),
        };
        let values: Vec<f32> = ints.iter().map(|&q| quant::Quant::dequantize(scale, zero_point, q)).collect();
        return Tensor::from_shape(shape, &values);
    }
    match (port.dt, data) {
        (DatumType::F32, TensorData::F32(v)) => Tensor::from_shape(shape, v),
        (DatumType::F32, TensorData::F64(v)) => {
            Tensor::from_shape(shape, &v.iter().map(|&x| x as f32).collect::<Vec<_>>())
        }
        (DatumType::U8, TensorData::U8(v)) => Tensor::from_shape(shape, v),
        (DatumType::I8, TensorData::I8(v)) => Tensor::from_shape(shape, v),
        (DatumType::I16, TensorData::I16(v)) => Tensor::from_shape(shape, v),
        (DatumType::U16, TensorData::U16(v)) => Tensor::from_shape(shape, v),
        (DatumType::I32, TensorData::I32(v)) => Tensor::from_shape(shape, v),
        (DatumType::U32, TensorData::U32(v)) => Tensor::from_shape(shape, v),
        (DatumType::I64, TensorData::I64(v)) => Tensor::from_shape(shape, v),
        (DatumType::U64, TensorData::U64(v)) => Tensor::from_shape(shape, v),
        (DatumType::Bool, TensorData::U8(v)) => {
            Tensor::from_shape(shape, &v.iter().map(|&x| x != 0).collect::<Vec<_>>())
        }
        (dt, other) => bail!("a {} tensor for a {dt:?} input", other.element_type()),
    }
}

/// Converts a tract output to the Rune tensor data of `port`.
fn from_tract(port: &Port, value: &Tensor) -> TractResult<TensorData> {
    let plain = value.try_as_plain_ram()?;
    if let Some(q) = &port.quant {
        let Some((scale, zero_point)) = q.per_tensor() else { bail!("per-channel quantized output") };
        let ints: Vec<i64> = plain.as_slice::<f32>()?.iter().map(|&x| q.quantize(scale, zero_point, x)).collect();
        // `quantize` clamps to the type's range, so the conversions below are exact.
        return Ok(match port.kind {
            TensorKind::UInt8 => TensorData::U8(ints.iter().map(|&x| x as u8).collect()),
            TensorKind::Int8 => TensorData::I8(ints.iter().map(|&x| x as i8).collect()),
            TensorKind::Int16 => TensorData::I16(ints.iter().map(|&x| x as i16).collect()),
            TensorKind::UInt16 => TensorData::U16(ints.iter().map(|&x| x as u16).collect()),
            TensorKind::Int32 => TensorData::I32(ints.iter().map(|&x| x as i32).collect()),
            TensorKind::UInt32 => TensorData::U32(ints.iter().map(|&x| x as u32).collect()),
            TensorKind::Int64 => TensorData::I64(ints),
            other => bail!("quantized {other} output"),
        });
    }
    Ok(match value.datum_type() {
        DatumType::F32 => TensorData::F32(plain.as_slice::<f32>()?.to_vec()),
        DatumType::U8 => TensorData::U8(plain.as_slice::<u8>()?.to_vec()),
        DatumType::I8 => TensorData::I8(plain.as_slice::<i8>()?.to_vec()),
        DatumType::I16 => TensorData::I16(plain.as_slice::<i16>()?.to_vec()),
        DatumType::U16 => TensorData::U16(plain.as_slice::<u16>()?.to_vec()),
        DatumType::I32 => TensorData::I32(plain.as_slice::<i32>()?.to_vec()),
        DatumType::U32 => TensorData::U32(plain.as_slice::<u32>()?.to_vec()),
        DatumType::I64 => TensorData::I64(plain.as_slice::<i64>()?.to_vec()),
        DatumType::U64 => TensorData::U64(plain.as_slice::<u64>()?.to_vec()),
        DatumType::Bool => TensorData::U8(plain.as_slice::<bool>()?.iter().map(|&b| u8::from(b)).collect()),
        other => bail!("an output of type {other:?}"),
    })
}

impl Model for TractModel {
    fn run(&mut self, inputs: &[crate::Tensor]) -> Result<Vec<crate::Tensor>, ModelError> {
        if inputs.len() != self.inputs.len() {
            return Err(ModelError::Inference(format!(
                "the model takes {} inputs, but {} were given",
                self.inputs.len(),
                inputs.len()
            )));
        }
        let mut values = TVec::new();
        for (i, (port, tensor)) in self.inputs.iter().zip(inputs).enumerate() {
            if tensor.element_type() != port.declared.element_type
                || Some(tensor.len()) != port.declared.element_count()
            {
                return Err(ModelError::Inference(format!(
                    "input {i} is {}, but the model was loaded for {}",
                    tensor.tensor_type(),
                    port.declared
                )));
            }
            let t = to_tract(port, tensor.data()).map_err(|e| ModelError::Inference(format!("input {i}: {e:#}")))?;
            values.push(t.into_tvalue());
        }
        let results = match self.state.run(values) {
            Ok(results) => results,
            Err(e) => {
                // A fresh state for the next run: this one stopped halfway.
                if let Ok(state) = self.plan.spawn() {
                    self.state = state;
                }
                return Err(ModelError::Inference(format!("{e:#}")));
            }
        };
        let mut outputs = Vec::with_capacity(self.outputs.len());
        for (i, (port, value)) in self.outputs.iter().zip(results.iter()).enumerate() {
            let data = from_tract(port, value).map_err(|e| ModelError::Inference(format!("output {i}: {e:#}")))?;
            let tensor = crate::Tensor::new(port.declared.dimensions.clone(), data)
                .map_err(|e| ModelError::Inference(format!("output {i}: {e}")))?;
            outputs.push(tensor);
        }
        Ok(outputs)
    }
}
