//! The checked pipeline stored in a `.rune`: what the compiler produced and the runtime executes.
//!
//! Stages are kept in Runefile declaration order; that order defines host-ID allocation and the
//! execution order ("declaration order, dependencies first").
use indexmap::IndexMap;

use crate::TensorType;

/// A compiled pipeline.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Manifest {
    /// The Rune's name (`rune build --name`, default: the Runefile's folder name).
    pub name: String,
    /// The `image:` of the Runefile (recorded, never validated, as in the original).
    pub image: String,
    /// Every stage, in declaration order.
    pub stages: Vec<Stage>,
    /// Every declared resource, in declaration order.
    pub resources: Vec<Resource>,
}

/// One pipeline stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub name: String,
    pub kind: StageKind,
    /// Arguments as written (keys as written; values are strings, `$NAME` for resources).
    /// For models, `format` is not here: it is [`StageKind::Model::format`].
    pub args: IndexMap<String, String>,
    /// The tensors this stage consumes, in order.
    pub inputs: Vec<TensorRef>,
    /// The tensors this stage produces (declared types), in order.
    pub outputs: Vec<TensorType>,
}

/// What a stage is.
#[derive(Debug, Clone, PartialEq)]
pub enum StageKind {
    Capability(CapabilityKind),
    Model {
        /// The model path as written in the Runefile, or `$RESOURCE`.
        file: String,
        format: ModelFormat,
    },
    ProcBlock {
        /// The reference as written (`hotg-ai/proc-blocks@v0.11.3#label`).
        path: String,
        /// The catalogue name it resolved to (`label`).
        block: String,
    },
    Out(OutKind),
}

impl StageKind {
    /// A short word for the kind: `capability`, `model`, `proc-block`, `out`.
    pub fn word(&self) -> &'static str {
        match self {
            StageKind::Capability(_) => "capability",
            StageKind::Model { .. } => "model",
            StageKind::ProcBlock { .. } => "proc-block",
            StageKind::Out(_) => "out",
        }
    }
}

/// A reference to the `index`-th output of `stage` (`fft.2` in a Runefile).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TensorRef {
    pub stage: String,
    pub index: usize,
}

impl std::fmt::Display for TensorRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.stage, self.index)
    }
}

/// Host inputs (the `capability:` of a stage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CapabilityKind {
    Random,
    Sound,
    Accelerometer,
    Image,
    Raw,
    FloatImage,
}

impl CapabilityKind {
    pub const ALL: [CapabilityKind; 6] = [
        CapabilityKind::Random,
        CapabilityKind::Sound,
        CapabilityKind::Accelerometer,
        CapabilityKind::Image,
        CapabilityKind::Raw,
        CapabilityKind::FloatImage,
    ];

    /// Parses the exact spellings the original accepts (`IMAGE`/`image`, `float-image`, ...).
    pub fn parse(name: &str) -> Option<CapabilityKind> {
        Some(match name {
            "RAND" | "rand" => CapabilityKind::Random,
            "SOUND" | "sound" => CapabilityKind::Sound,
            "ACCEL" | "accel" => CapabilityKind::Accelerometer,
            "IMAGE" | "image" => CapabilityKind::Image,
            "RAW" | "raw" => CapabilityKind::Raw,
            "FLOAT_IMAGE" | "float-image" => CapabilityKind::FloatImage,
            _ => return None,
        })
    }

    /// The Runefile spelling (`IMAGE`).
    pub fn runefile_name(self) -> &'static str {
        match self {
            CapabilityKind::Random => "RAND",
            CapabilityKind::Sound => "SOUND",
            CapabilityKind::Accelerometer => "ACCEL",
            CapabilityKind::Image => "IMAGE",
            CapabilityKind::Raw => "RAW",
            CapabilityKind::FloatImage => "FLOAT_IMAGE",
        }
    }

    /// The `.rune_graph` spelling (`image`, `float-image`).
    pub fn graph_name(self) -> &'static str {
        match self {
            CapabilityKind::Random => "random",
            CapabilityKind::Sound => "sound",
            CapabilityKind::Accelerometer => "accelerometer",
            CapabilityKind::Image => "image",
            CapabilityKind::Raw => "raw",
            CapabilityKind::FloatImage => "float-image",
        }
    }

    pub fn from_graph_name(name: &str) -> Option<CapabilityKind> {
        CapabilityKind::ALL.into_iter().find(|k| k.graph_name() == name)
    }

    /// The name `rune inspect` and `rune graph` print (`Image`, `FloatImage`).
    pub fn display_name(self) -> &'static str {
        match self {
            CapabilityKind::Random => "Random",
            CapabilityKind::Sound => "Sound",
            CapabilityKind::Accelerometer => "Accelerometer",
            CapabilityKind::Image => "Image",
            CapabilityKind::Raw => "Raw",
            CapabilityKind::FloatImage => "FloatImage",
        }
    }

    /// The numeric ID of the host ABI.
    pub fn host_id(self) -> u32 {
        match self {
            CapabilityKind::Random => 1,
            CapabilityKind::Sound => 2,
            CapabilityKind::Accelerometer => 3,
            CapabilityKind::Image => 4,
            CapabilityKind::Raw => 5,
            CapabilityKind::FloatImage => 6,
        }
    }
}

/// Host outputs (the `out:` of a stage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutKind {
    Serial,
    Tensor,
}

impl OutKind {
    pub fn parse(name: &str) -> Option<OutKind> {
        match name {
            "SERIAL" | "serial" => Some(OutKind::Serial),
            "TENSOR" | "tensor" => Some(OutKind::Tensor),
            _ => None,
        }
    }

    pub fn graph_name(self) -> &'static str {
        match self {
            OutKind::Serial => "serial",
            OutKind::Tensor => "tensor",
        }
    }

    pub fn from_graph_name(name: &str) -> Option<OutKind> {
        match name {
            "serial" => Some(OutKind::Serial),
            "tensor" => Some(OutKind::Tensor),
            _ => None,
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            OutKind::Serial => "Serial",
            OutKind::Tensor => "Tensor",
        }
    }

    /// The largest number of inputs the original guest library supports.
    pub fn max_inputs(self) -> usize {
        match self {
            OutKind::Serial => 31,
            OutKind::Tensor => 32,
        }
    }
}

/// Model file formats (`args.format` of a model stage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelFormat {
    TensorFlowLite,
    TensorFlow,
    TensorFlowJs,
    Onnx,
}

impl ModelFormat {
    pub const ALL: [ModelFormat; 4] =
        [ModelFormat::Onnx, ModelFormat::TensorFlow, ModelFormat::TensorFlowJs, ModelFormat::TensorFlowLite];

    pub fn parse(name: &str) -> Option<ModelFormat> {
        ModelFormat::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The Runefile spelling (`tensorflow-lite`).
    pub fn name(self) -> &'static str {
        match self {
            ModelFormat::TensorFlowLite => "tensorflow-lite",
            ModelFormat::TensorFlow => "tensorflow",
            ModelFormat::TensorFlowJs => "tensorflow-js",
            ModelFormat::Onnx => "onnx",
        }
    }

    /// The mimetype the original sends to the host.
    pub fn mimetype(self) -> &'static str {
        match self {
            ModelFormat::TensorFlowLite => "application/tflite-model",
            ModelFormat::TensorFlow => "application/tf-model",
            ModelFormat::TensorFlowJs => "application/tfjs-model",
            ModelFormat::Onnx => "application/onnx-model",
        }
    }

    /// Whether the playground can execute models of this format.
    pub fn is_runnable(self) -> bool {
        matches!(self, ModelFormat::TensorFlowLite)
    }
}

/// A named resource (`resources:` section).
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub name: String,
    pub ty: ResourceType,
    /// Where the default value came from; the bytes themselves live in the artifact.
    pub default: Option<ResourceDefault>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceType {
    String,
    Binary,
}

impl ResourceType {
    pub fn name(self) -> &'static str {
        match self {
            ResourceType::String => "string",
            ResourceType::Binary => "binary",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ResourceDefault {
    /// `inline:` text.
    Inline(String),
    /// `path:` as written.
    FromDisk(String),
}

impl Manifest {
    pub fn stage(&self, name: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.name == name)
    }

    pub fn resource(&self, name: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.name == name)
    }

    /// The declared type of a tensor reference, if it resolves.
    pub fn tensor_type(&self, tensor: &TensorRef) -> Option<&TensorType> {
        self.stage(&tensor.stage)?.outputs.get(tensor.index)
    }
}
