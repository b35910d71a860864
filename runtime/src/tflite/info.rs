//! [`ModelInfo`]: what the compiler and `rune model-info` need to know about a model.

use std::borrow::Cow;
use std::fmt;

use super::reader::Budget;
use super::{Model, OpCode, SubGraph, Tensor, TfliteError};
use crate::{ElementType, TensorType};

/// Validates a `.tflite` file and summarises its main subgraph.
pub fn read_info(bytes: &[u8]) -> Result<ModelInfo, TfliteError> {
    let model = Model::parse(bytes)?;
    model.validate()?;
    model.info()
}

/// Summary used by the compiler and `rune model-info`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInfo {
    pub version: u32,
    pub description: Option<String>,
    pub subgraph_count: usize,
    /// Operators of the main subgraph (subgraph 0), in execution order.
    pub operators: Vec<OperatorInfo>,
    pub inputs: Vec<TensorInfo>,
    pub outputs: Vec<TensorInfo>,
}

/// An operator of the main subgraph.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorInfo {
    /// Position in execution order.
    pub index: usize,
    pub code: OpCode,
    /// Input tensor indices; -1 marks an omitted optional input.
    pub inputs: Vec<i32>,
    /// Output tensor indices.
    pub outputs: Vec<i32>,
}

/// An input or output tensor of the main subgraph.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    /// The tensor's index in the subgraph.
    pub index: usize,
    pub name: String,
    pub ty: TensorKind,
    /// None when the tensor has no shape in the file (shape-less/dynamic output).
    pub shape: Option<Vec<i32>>,
    /// The shape with -1 for dynamic dimensions, when the file gives one.
    pub shape_signature: Option<Vec<i32>>,
    /// Present when the tensor has quantization scales or zero points.
    pub quantization: Option<Quantization>,
}

/// Quantization parameters: `real = scale * (quantized - zero_point)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantization {
    /// One scale per tensor, or one per channel along `quantized_dimension`.
    pub scale: Vec<f32>,
    /// One zero point per scale.
    pub zero_point: Vec<i64>,
    pub quantized_dimension: i32,
}

/// A tensor's element type (`TensorType` in `schema.fbs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TensorKind {
    Float32,
    Float16,
    Int32,
    UInt8,
    Int64,
    String,
    Bool,
    Int16,
    Complex64,
    Int8,
    Float64,
    Complex128,
    UInt64,
    Resource,
    Variant,
    UInt32,
    UInt16,
    Int4,
    /// A code this reader does not know.
    Unknown(i8),
}

impl TensorKind {
    /// Every known kind, in code order (`ALL[code]` has that code).
    pub const ALL: [TensorKind; 18] = [
        TensorKind::Float32,
        TensorKind::Float16,
        TensorKind::Int32,
        TensorKind::UInt8,
        TensorKind::Int64,
        TensorKind::String,
        TensorKind::Bool,
        TensorKind::Int16,
        TensorKind::Complex64,
        TensorKind::Int8,
        TensorKind::Float64,
        TensorKind::Complex128,
        TensorKind::UInt64,
        TensorKind::Resource,
        TensorKind::Variant,
        TensorKind::UInt32,
        TensorKind::UInt16,
        TensorKind::Int4,
    ];

    /// The kind stored as `code`.
    pub fn from_code(code: i8) -> TensorKind {
        usize::try_from(code).ok().and_then(|i| TensorKind::ALL.get(i)).copied().unwrap_or(TensorKind::Unknown(code))
    }

    /// The code stored in the flatbuffer.
    pub fn code(self) -> i8 {
        match self {
            TensorKind::Float32 => 0,
            TensorKind::Float16 => 1,
            TensorKind::Int32 => 2,
            TensorKind::UInt8 => 3,
            TensorKind::Int64 => 4,
            TensorKind::String => 5,
            TensorKind::Bool => 6,
            TensorKind::Int16 => 7,
            TensorKind::Complex64 => 8,
            TensorKind::Int8 => 9,
            TensorKind::Float64 => 10,
            TensorKind::Complex128 => 11,
            TensorKind::UInt64 => 12,
            TensorKind::Resource => 13,
            TensorKind::Variant => 14,
            TensorKind::UInt32 => 15,
            TensorKind::UInt16 => 16,
            TensorKind::Int4 => 17,
            TensorKind::Unknown(code) => code,
        }
    }

    /// The name `rune model-info` prints: "UInt8", "Float32", "Int8", ..., and "Unknown(20)" for
    /// codes this reader does not know.
    pub fn name(self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            TensorKind::Float32 => "Float32",
            TensorKind::Float16 => "Float16",
            TensorKind::Int32 => "Int32",
            TensorKind::UInt8 => "UInt8",
            TensorKind::Int64 => "Int64",
            TensorKind::String => "String",
            TensorKind::Bool => "Bool",
            TensorKind::Int16 => "Int16",
            TensorKind::Complex64 => "Complex64",
            TensorKind::Int8 => "Int8",
            TensorKind::Float64 => "Float64",
            TensorKind::Complex128 => "Complex128",
            TensorKind::UInt64 => "UInt64",
            TensorKind::Resource => "Resource",
            TensorKind::Variant => "Variant",
            TensorKind::UInt32 => "UInt32",
            TensorKind::UInt16 => "UInt16",
            TensorKind::Int4 => "Int4",
            TensorKind::Unknown(code) => return Cow::Owned(format!("Unknown({code})")),
        })
    }

    /// The Runefile element type, when there is one.
    pub fn element_type(self) -> Option<ElementType> {
        Some(match self {
            TensorKind::UInt8 => ElementType::U8,
            TensorKind::Int8 => ElementType::I8,
            TensorKind::Int16 => ElementType::I16,
            TensorKind::UInt16 => ElementType::U16,
            TensorKind::Int32 => ElementType::I32,
            TensorKind::UInt32 => ElementType::U32,
            TensorKind::Float32 => ElementType::F32,
            TensorKind::Int64 => ElementType::I64,
            TensorKind::UInt64 => ElementType::U64,
            TensorKind::Float64 => ElementType::F64,
            TensorKind::String => ElementType::Utf8,
            _ => return None,
        })
    }

    /// Size of one element in bytes, for the kinds stored densely with whole bytes per element.
    pub fn size(self) -> Option<usize> {
        match self {
            TensorKind::UInt8 | TensorKind::Int8 | TensorKind::Bool => Some(1),
            TensorKind::Float16 | TensorKind::Int16 | TensorKind::UInt16 => Some(2),
            TensorKind::Float32 | TensorKind::Int32 | TensorKind::UInt32 => Some(4),
            TensorKind::Float64 | TensorKind::Int64 | TensorKind::UInt64 | TensorKind::Complex64 => Some(8),
            TensorKind::Complex128 => Some(16),
            TensorKind::String
            | TensorKind::Resource
            | TensorKind::Variant
            | TensorKind::Int4
            | TensorKind::Unknown(_) => None,
        }
    }
}

impl fmt::Display for TensorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl TensorInfo {
    /// "UInt8[1, 192, 192, 3]" as `rune model-info` prints it; "Float32[?]" without a shape.
    pub fn describe(&self) -> String {
        match &self.shape {
            Some(shape) => {
                let dims: Vec<String> = shape.iter().map(i32::to_string).collect();
                format!("{}[{}]", self.ty, dims.join(", "))
            }
            None => format!("{}[?]", self.ty),
        }
    }

    /// The Runefile tensor type (`u8[1, 192, 192, 3]`) when the element type maps and the shape
    /// is known and non-negative.
    pub fn tensor_type(&self) -> Option<TensorType> {
        let element_type = self.ty.element_type()?;
        let dims = self.shape.as_ref()?.iter().map(|&d| usize::try_from(d).ok()).collect::<Option<Vec<_>>>()?;
        Some(TensorType::new(element_type, dims))
    }
}

impl<'a> Model<'a> {
    /// Summarises the main subgraph: its operators, inputs and outputs. Reads only what it
    /// reports; [`read_info`] validates the whole model first.
    pub fn info(&self) -> Result<ModelInfo, TfliteError> {
        // Memory for names, shapes, index lists and quantization, which tables may share.
        let mut memory = Budget::new("summarising it", self.bytes().len(), "bytes");
        let subgraph = self.main_subgraph()?;
        let mut operators = Vec::with_capacity(subgraph.operator_count());
        for operator in subgraph.operators() {
            let operator = operator?;
            let code = self.operator_code_of(&operator)?;
            let custom_len = code.custom_code()?.map_or(0, |name| name.len());
            let (inputs, outputs) = (operator.inputs()?, operator.outputs()?);
            memory.take(custom_len)?;
            memory.take_elements(4, inputs.len().saturating_add(outputs.len()))?;
            operators.push(OperatorInfo {
                index: operator.index(),
                code: code.op_code()?,
                inputs: inputs.to_vec(),
                outputs: outputs.to_vec(),
            });
        }
        Ok(ModelInfo {
            version: self.version(),
            description: self.description()?.map(Cow::into_owned),
            subgraph_count: self.subgraph_count(),
            operators,
            inputs: io_tensors(&subgraph, subgraph.inputs().iter(), "input", &mut memory)?,
            outputs: io_tensors(&subgraph, subgraph.outputs().iter(), "output", &mut memory)?,
        })
    }
}

/// The [`TensorInfo`]s of a subgraph's inputs or outputs.
fn io_tensors(
    subgraph: &SubGraph<'_>,
    indices: impl Iterator<Item = i32>,
    role: &str,
    memory: &mut Budget,
) -> Result<Vec<TensorInfo>, TfliteError> {
    indices
        .enumerate()
        .map(|(k, index)| {
            let tensor = subgraph.referenced(index, || format!("subgraph {}'s {role} {k}", subgraph.index()))?;
            tensor_info(&tensor, memory)
        })
        .collect()
}

fn tensor_info(tensor: &Tensor<'_>, memory: &mut Budget) -> Result<TensorInfo, TfliteError> {
    let name = tensor.name()?;
    let shape = tensor.shape()?;
    let shape_signature = tensor.shape_signature()?;
    let quantization = tensor.quantization()?;
    let (scale, zero_point, quantized_dimension) = match quantization {
        Some(q) => (q.scale()?, q.zero_point()?, q.quantized_dimension()?),
        None => Default::default(),
    };
    memory.take(name.len())?;
    memory.take_elements(4, shape.map_or(0, |s| s.len()))?;
    memory.take_elements(4, shape_signature.map_or(0, |s| s.len()))?;
    memory.take_elements(4, scale.len())?;
    memory.take_elements(8, zero_point.len())?;
    let quantization = (!scale.is_empty() || !zero_point.is_empty()).then(|| Quantization {
        scale: scale.to_vec(),
        zero_point: zero_point.to_vec(),
        quantized_dimension,
    });
    Ok(TensorInfo {
        index: tensor.index(),
        name: name.into_owned(),
        ty: tensor.kind()?,
        shape: shape.map(|s| s.to_vec()),
        shape_signature: shape_signature.map(|s| s.to_vec()),
        quantization,
    })
}
