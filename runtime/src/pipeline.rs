//! The executor: a compiled pipeline, instantiated against a [`Host`] and a [`ModelBackend`],
//! run once per input.
//!
//! Set-up follows the original's `_manifest`: capabilities, then proc-blocks (whose `$RESOURCE`
//! arguments open resources), then models (a `$RESOURCE` model is opened first), then outputs,
//! all in declaration order, numbered by one counter from 1 (the host IDs `rune run` prints).
//! Each run visits the stages in declaration order, dependencies first; every stage runs once.
//! Proc-blocks and models keep their state between runs.
use indexmap::IndexMap;

use crate::capability::{Capability, CapabilityError};
use crate::catalog::{self, ProcBlock};
use crate::host::Host;
use crate::model::{Model, ModelBackend, ModelError};
use crate::{Artifact, OutKind, ResourceType, StageKind, Tensor, TensorRef, TensorType};

/// Why a pipeline could not be set up or run. Every variant names the stage.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuntimeError {
    #[error("Unable to load the \"{kind}\" input")]
    Capability {
        stage: String,
        kind: &'static str,
        #[source]
        error: CapabilityError,
    },
    #[error("Unable to set up \"{stage}\": {message}")]
    Setup { stage: String, message: String },
    #[error("The proc-block \"{block}\" of \"{stage}\" is not available")]
    UnknownProcBlock { stage: String, block: String },
    #[error("The \"{stage}\" proc-block failed: {message}")]
    ProcBlock { stage: String, message: String },
    #[error("Unable to load the model of \"{stage}\"")]
    ModelLoad {
        stage: String,
        #[source]
        error: ModelError,
    },
    #[error("The model \"{stage}\" failed")]
    Model {
        stage: String,
        #[source]
        error: ModelError,
    },
    #[error("No resource named \"{resource}\" (used by \"{stage}\")")]
    MissingResource { stage: String, resource: String },
    #[error("The \"{resource}\" resource used by \"{stage}\" is not valid UTF-8")]
    ResourceNotText { stage: String, resource: String },
    #[error("\"{stage}\" produced {actual} outputs, but {declared} were declared")]
    OutputCount { stage: String, declared: usize, actual: usize },
    #[error("The input \"{input}\" of \"{stage}\" was not produced")]
    MissingTensor { stage: String, input: String },
}

impl RuntimeError {
    /// The stage the error is about.
    pub fn stage(&self) -> &str {
        match self {
            RuntimeError::Capability { stage, .. }
            | RuntimeError::Setup { stage, .. }
            | RuntimeError::UnknownProcBlock { stage, .. }
            | RuntimeError::ProcBlock { stage, .. }
            | RuntimeError::ModelLoad { stage, .. }
            | RuntimeError::Model { stage, .. }
            | RuntimeError::MissingResource { stage, .. }
            | RuntimeError::ResourceNotText { stage, .. }
            | RuntimeError::OutputCount { stage, .. }
            | RuntimeError::MissingTensor { stage, .. } => stage,
        }
    }
}

enum Runner {
    Capability(Capability),
    ProcBlock(Box<dyn ProcBlock>),
    Model(Box<dyn Model>),
    Out(OutKind),
}

struct StageRunner {
    name: String,
    inputs: Vec<(usize, usize)>,
    outputs: Vec<TensorType>,
    runner: Runner,
    host_id: Option<u32>,
}

/// What one stage produced in a run.
#[derive(Debug, Clone, PartialEq)]
pub struct StageOutput {
    pub stage: String,
    pub tensors: Vec<Tensor>,
    pub elapsed_ms: f64,
}

/// The result of one run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Run {
    /// Every stage that ran, in execution order.
    pub stages: Vec<StageOutput>,
    /// What each out stage received: (host ID, stage name, kind, tensors), in execution order.
    pub outputs: Vec<OutputRecord>,
    /// Inputs that were padded or truncated, and similar notes.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutputRecord {
    pub host_id: u32,
    pub stage: String,
    pub kind: OutKind,
    pub tensors: Vec<Tensor>,
}

impl Run {
    /// The `rune run` JSON line.
    pub fn to_json(&self) -> serde_json::Value {
        let outputs: Vec<(u32, Vec<Tensor>)> = self.outputs.iter().map(|o| (o.host_id, o.tensors.clone())).collect();
        crate::serial::outputs_json(&outputs)
    }
}

/// A pipeline ready to run.
pub struct Pipeline {
    stages: Vec<StageRunner>,
    order: Vec<usize>,
}

impl Pipeline {
    /// Sets up every stage of an artifact (host IDs, proc-blocks, models).
    pub fn new(artifact: &Artifact, models: &dyn ModelBackend) -> Result<Pipeline, RuntimeError> {
        let m = &artifact.manifest;
        let index: IndexMap<&str, usize> = m.stages.iter().enumerate().map(|(i, s)| (s.name.as_str(), i)).collect();
        let resolve = |stage: &str, t: &TensorRef| -> Result<(usize, usize), RuntimeError> {
            index
                .get(t.stage.as_str())
                .map(|&i| (i, t.index))
                .ok_or_else(|| RuntimeError::MissingTensor { stage: stage.to_string(), input: t.to_string() })
        };
        let mut next_id = 1u32;
        let mut take_id = || {
            let id = next_id;
            next_id += 1;
            id
        };
        let mut opened: IndexMap<String, u32> = IndexMap::new();
        let mut slots: Vec<Option<StageRunner>> = m.stages.iter().map(|_| None).collect();
        let phases: [fn(&StageKind) -> bool; 4] = [
            |k| matches!(k, StageKind::Capability(_)),
            |k| matches!(k, StageKind::ProcBlock { .. }),
            |k| matches!(k, StageKind::Model { .. }),
            |k| matches!(k, StageKind::Out(_)),
        ];
        for phase in phases {
            for (i, stage) in m.stages.iter().enumerate().filter(|(_, s)| phase(&s.kind)) {
                let name = stage.name.clone();
                let inputs = stage.inputs.iter().map(|t| resolve(&name, t)).collect::<Result<Vec<_>, _>>()?;
                let (runner, host_id) = match &stage.kind {
                    StageKind::Capability(kind) => {
                        let output = stage
                            .outputs
                            .first()
                            .cloned()
                            .unwrap_or_else(|| TensorType::new(crate::ElementType::U8, vec![0]));
                        (Runner::Capability(Capability::new(*kind, &stage.args, output)), Some(take_id()))
                    }
                    StageKind::ProcBlock { block, .. } => {
                        let sig = catalog::proc_block(block).ok_or_else(|| RuntimeError::UnknownProcBlock {
                            stage: name.clone(),
                            block: block.clone(),
                        })?;
                        let mut args = Vec::with_capacity(stage.args.len());
                        for (key, value) in &stage.args {
                            let value = match value.strip_prefix('$') {
                                Some(res) => {
                                    if !opened.contains_key(res) {
                                        opened.insert(res.to_string(), take_id());
                                    }
                                    resource_text(artifact, &name, res)?
                                }
                                None => value.clone(),
                            };
                            args.push((key.replace('-', "_"), value));
                        }
                        let block = (sig.create)(&args)
                            .map_err(|e| RuntimeError::Setup { stage: name.clone(), message: e.0 })?;
                        (Runner::ProcBlock(block), None)
                    }
                    StageKind::Model { file, format } => {
                        let bytes = match file.strip_prefix('$') {
                            Some(res) => {
                                if !opened.contains_key(res) {
                                    opened.insert(res.to_string(), take_id());
                                }
                                artifact.resources.get(res).ok_or_else(|| RuntimeError::MissingResource {
                                    stage: name.clone(),
                                    resource: res.to_string(),
                                })?
                            }
                            None => artifact.models.get(&name).ok_or_else(|| RuntimeError::ModelLoad {
                                stage: name.clone(),
                                error: ModelError::Invalid("the Rune holds no model for this stage".into()),
                            })?,
                        };
                        let input_types: Vec<TensorType> =
                            stage.inputs.iter().filter_map(|t| m.tensor_type(t).cloned()).collect();
                        let model = models
                            .load(*format, bytes, &input_types, &stage.outputs)
                            .map_err(|error| RuntimeError::ModelLoad { stage: name.clone(), error })?;
                        (Runner::Model(model), Some(take_id()))
                    }
                    StageKind::Out(kind) => (Runner::Out(*kind), Some(take_id())),
                };
                slots[i] = Some(StageRunner { name, inputs, outputs: stage.outputs.clone(), runner, host_id });
            }
        }
        let stages: Vec<StageRunner> = slots.into_iter().flatten().collect();
        let order = execution_order(&stages);
        Ok(Pipeline { stages, order })
    }

    /// The host ID of each stage that has one (capabilities, models, outputs), by stage name.
    pub fn host_ids(&self) -> Vec<(&str, u32)> {
        self.stages.iter().filter_map(|s| s.host_id.map(|id| (s.name.as_str(), id))).collect()
    }

    /// Runs the pipeline once.
    pub fn run(&mut self, host: &mut dyn Host) -> Result<Run, RuntimeError> {
        let mut results: Vec<Option<Vec<Tensor>>> = self.stages.iter().map(|_| None).collect();
        let mut run = Run::default();
        for &i in &self.order {
            let started = host.now_ms();
            let stage = &mut self.stages[i];
            let mut inputs = Vec::with_capacity(stage.inputs.len());
            for &(producer, index) in &stage.inputs {
                let tensor = results[producer].as_ref().and_then(|ts| ts.get(index)).cloned();
                inputs.push(tensor.ok_or_else(|| RuntimeError::MissingTensor {
                    stage: stage.name.clone(),
                    input: format!("{producer}.{index}"),
                })?);
            }
            let outputs = match &mut stage.runner {
                Runner::Capability(cap) => {
                    let tensor = cap.produce(host, &mut run.warnings).map_err(|error| RuntimeError::Capability {
                        stage: stage.name.clone(),
                        kind: cap.kind.runefile_name(),
                        error,
                    })?;
                    vec![tensor]
                }
                Runner::ProcBlock(block) => block
                    .transform(&inputs, &stage.outputs)
                    .map_err(|e| RuntimeError::ProcBlock { stage: stage.name.clone(), message: e.0 })?,
                Runner::Model(model) => {
                    model.run(&inputs).map_err(|error| RuntimeError::Model { stage: stage.name.clone(), error })?
                }
                Runner::Out(kind) => {
                    run.outputs.push(OutputRecord {
                        host_id: stage.host_id.unwrap_or(0),
                        stage: stage.name.clone(),
                        kind: *kind,
                        tensors: inputs,
                    });
                    Vec::new()
                }
            };
            if !matches!(stage.runner, Runner::Out(_)) && outputs.len() != stage.outputs.len() {
                return Err(RuntimeError::OutputCount {
                    stage: stage.name.clone(),
                    declared: stage.outputs.len(),
                    actual: outputs.len(),
                });
            }
            run.stages.push(StageOutput {
                stage: stage.name.clone(),
                tensors: outputs.clone(),
                elapsed_ms: host.now_ms() - started,
            });
            results[i] = Some(outputs);
        }
        Ok(run)
    }
}

fn resource_text(artifact: &Artifact, stage: &str, res: &str) -> Result<String, RuntimeError> {
    let missing = || RuntimeError::MissingResource { stage: stage.to_string(), resource: res.to_string() };
    let decl = artifact.manifest.resource(res).ok_or_else(missing)?;
    let bytes = artifact.resources.get(res).ok_or_else(missing)?;
    match decl.ty {
        ResourceType::String | ResourceType::Binary => String::from_utf8(bytes.clone())
            .map_err(|_| RuntimeError::ResourceNotText { stage: stage.to_string(), resource: res.to_string() }),
    }
}

/// Declaration order, dependencies first (depth-first; cycles are impossible in a checked graph,
/// and are cut if present).
fn execution_order(stages: &[StageRunner]) -> Vec<usize> {
    let mut state = vec![0u8; stages.len()]; // 0 new, 1 visiting, 2 done
    let mut order = Vec::with_capacity(stages.len());
    for root in 0..stages.len() {
        let mut stack = vec![(root, 0usize)];
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if state[node] == 2 {
                stack.pop();
                continue;
            }
            state[node] = 1;
            if let Some(&(producer, _)) = stages[node].inputs.get(*next) {
                *next += 1;
                if state[producer] == 0 {
                    stack.push((producer, 0));
                }
            } else {
                state[node] = 2;
                order.push(node);
                stack.pop();
            }
        }
    }
    order
}
