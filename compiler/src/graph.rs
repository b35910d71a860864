//! The compiler's IR: the pipeline as the Runefile wrote it, resolved and checked.
//!
//! A [`Graph`] is built even from a broken Runefile (the playground draws it while the user types):
//! stages that failed to parse are absent, inputs that do not resolve have `resolved: None`, and
//! stages with errors have `has_errors` set. Only a graph without error diagnostics is emitted.
//!
//! Semantics:
//! * Every output declaration of a stage is one tensor; `inputs` refer to those tensors.
//! * Capabilities have no inputs and one output; out stages have no outputs.
//! * `stages` keeps declaration order; execution order is "declaration order, dependencies first".
use indexmap::IndexMap;
use runtime::{CapabilityKind, ModelFormat, OutKind, ResourceType, TensorRef, TensorType};

use crate::source::{Span, Spanned};

#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// The Rune's name.
    pub name: String,
    pub image: Option<Spanned<String>>,
    /// Stages in declaration order.
    pub stages: Vec<Stage>,
    /// Resources in declaration order.
    pub resources: Vec<Resource>,
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub name: Spanned<String>,
    /// The whole stage (its mapping in the Runefile).
    pub span: Span,
    pub kind: StageKind,
    /// Arguments in declaration order: key as written → value as a string (numbers stringified).
    pub args: IndexMap<String, Arg>,
    pub inputs: Vec<Input>,
    pub outputs: Vec<Output>,
    /// Set when any error diagnostic points into this stage.
    pub has_errors: bool,
    /// Set when part of the stage (its inputs or outputs) did not parse; count checks are skipped.
    pub incomplete: bool,
}

#[derive(Debug, Clone)]
pub struct Arg {
    pub key_span: Span,
    pub value: Spanned<String>,
}

#[derive(Debug, Clone)]
pub enum StageKind {
    /// `kind` is `None` when the spelling is unknown.
    Capability { kind: Option<CapabilityKind>, written: Spanned<String> },
    Model {
        /// Path as written, or `$RESOURCE`.
        file: Spanned<String>,
        format: ModelFormat,
        /// The model's bytes when known at compile time (a file, a zipped folder, or the default
        /// of a binary resource).
        data: Option<ModelData>,
    },
    ProcBlock {
        path: Spanned<String>,
        /// The catalogue entry it resolved to.
        block: Option<&'static runtime::catalog::ProcBlockSignature>,
    },
    /// `kind` is `None` when the spelling is unknown.
    Out { kind: Option<OutKind>, written: Spanned<String> },
}

#[derive(Debug, Clone)]
pub struct ModelData {
    pub bytes: Vec<u8>,
    /// True when the bytes come from a resource (then they are stored once, as the resource).
    pub from_resource: bool,
    /// Parsed TFLite I/O when the format is TFLite and the bytes parse.
    pub tflite: Option<runtime::tflite::ModelInfo>,
}

#[derive(Debug, Clone)]
pub struct Input {
    /// The reference as written (`fft.2`).
    pub text: Spanned<String>,
    /// The tensor it names, when that exists.
    pub resolved: Option<TensorRef>,
}

#[derive(Debug, Clone)]
pub struct Output {
    /// `None` when the element type is unknown.
    pub ty: Option<TensorType>,
    /// The whole declaration (`type` and `dimensions`).
    pub span: Span,
    /// The element type as written.
    pub type_span: Span,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub name: Spanned<String>,
    pub span: Span,
    pub ty: ResourceType,
    pub default: Option<ResourceDefault>,
}

#[derive(Debug, Clone)]
pub enum ResourceDefault {
    Inline(Spanned<String>),
    /// Path as written and the bytes read (a zip for a folder).
    FromDisk {
        path: Spanned<String>,
        bytes: Option<Vec<u8>>,
    },
}

impl StageKind {
    /// A short word for the kind: `capability`, `model`, `proc-block`, `out`.
    pub fn word(&self) -> &'static str {
        match self {
            StageKind::Capability { .. } => "capability",
            StageKind::Model { .. } => "model",
            StageKind::ProcBlock { .. } => "proc-block",
            StageKind::Out { .. } => "out",
        }
    }

    /// What `rune graph` prints after the stage name: the capability kind, the model file,
    /// the proc-block path, or the output kind.
    pub fn qualifier(&self) -> String {
        match self {
            StageKind::Capability { kind: Some(kind), .. } => kind.display_name().to_string(),
            StageKind::Capability { written, .. } => written.value.clone(),
            StageKind::Model { file, .. } => file.value.clone(),
            StageKind::ProcBlock { path, .. } => path.value.clone(),
            StageKind::Out { kind: Some(kind), .. } => kind.display_name().to_string(),
            StageKind::Out { written, .. } => written.value.clone(),
        }
    }
}

impl Graph {
    pub fn stage(&self, name: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.name.value == name)
    }

    pub fn stage_index(&self, name: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.name.value == name)
    }

    pub fn resource(&self, name: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.name.value == name)
    }

    /// The declared type of a tensor, when it resolves and its type is known.
    pub fn tensor_type(&self, tensor: &TensorRef) -> Option<&TensorType> {
        self.stage(&tensor.stage)?.outputs.get(tensor.index)?.ty.as_ref()
    }
}

impl Graph {
    /// A graph (without spans) from a compiled pipeline, for drawing a `.rune`.
    pub fn from_manifest(m: &runtime::Manifest) -> Graph {
        let none = Span::default();
        let spanned = |s: &str| Spanned::new(s.to_string(), none);
        let stages = m
            .stages
            .iter()
            .map(|s| {
                let kind = match &s.kind {
                    runtime::StageKind::Capability(k) => {
                        StageKind::Capability { kind: Some(*k), written: spanned(k.runefile_name()) }
                    }
                    runtime::StageKind::Out(k) => StageKind::Out { kind: Some(*k), written: spanned(k.graph_name()) },
                    runtime::StageKind::Model { file, format } => {
                        StageKind::Model { file: spanned(file), format: *format, data: None }
                    }
                    runtime::StageKind::ProcBlock { path, block } => {
                        StageKind::ProcBlock { path: spanned(path), block: runtime::catalog::proc_block(block) }
                    }
                };
                Stage {
                    name: spanned(&s.name),
                    span: none,
                    kind,
                    args: s.args.iter().map(|(k, v)| (k.clone(), Arg { key_span: none, value: spanned(v) })).collect(),
                    inputs: s
                        .inputs
                        .iter()
                        .map(|t| Input { text: spanned(&t.to_string()), resolved: Some(t.clone()) })
                        .collect(),
                    outputs: s
                        .outputs
                        .iter()
                        .map(|t| Output { ty: Some(t.clone()), span: none, type_span: none })
                        .collect(),
                    has_errors: false,
                    incomplete: false,
                }
            })
            .collect();
        let resources = m
            .resources
            .iter()
            .map(|r| Resource {
                name: spanned(&r.name),
                span: none,
                ty: r.ty,
                default: r.default.as_ref().map(|d| match d {
                    runtime::ResourceDefault::Inline(s) => ResourceDefault::Inline(spanned(s)),
                    runtime::ResourceDefault::FromDisk(p) => {
                        ResourceDefault::FromDisk { path: spanned(p), bytes: None }
                    }
                }),
            })
            .collect();
        Graph { name: m.name.clone(), image: Some(spanned(&m.image)), stages, resources }
    }
}
