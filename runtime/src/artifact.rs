//! The `.rune` artifact: a valid WebAssembly module whose custom sections carry the pipeline.
//!
//! | section | payload |
//! |---|---|
//! | `.rune_version` | JSON `{"version": "<compiler version>", "compiler": "rune-playground", "date": "YYYY-MM-DD"}` |
//! | `.rune_graph` | JSON pipeline in the original schema (capabilities/models/proc-blocks/outputs/resources/tensors), maps in declaration order, plus the playground's `"order"` (all stage names in declaration order) and `"image"` |
//! | `.rune_resource` | records `u32 BE name_len · name · u32 BE data_len · data`, one per resource with a default |
//! | `.rune_proc_block` | one JSON descriptor per proc-block type used, concatenated (original schema) |
//! | `.rune_model.<stage>` | the model's bytes (playground extension; models from `$RESOURCE` are not repeated) |
//!
//! Tensor IDs in `.rune_graph` are `"<stage>.<output index>"` (the original used random UUIDs).
//! The original `rune inspect` can read these artifacts; the original runtime cannot run them.
//!
//! The reader validates everything and never panics: bounded section sizes and counts, JSON schema,
//! references between stages/tensors/resources/models.
use std::fmt::Write as _;

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use crate::catalog;
use crate::manifest::{
    CapabilityKind, Manifest, ModelFormat, OutKind, Resource, ResourceDefault, ResourceType, Stage, StageKind,
    TensorRef,
};
use crate::{ElementType, TensorType};

pub const VERSION_SECTION: &str = ".rune_version";
pub const GRAPH_SECTION: &str = ".rune_graph";
pub const RESOURCE_SECTION: &str = ".rune_resource";
pub const PROC_BLOCK_SECTION: &str = ".rune_proc_block";
pub const MODEL_SECTION_PREFIX: &str = ".rune_model.";

/// Largest artifact the reader accepts.
pub const MAX_ARTIFACT_BYTES: usize = 512 * 1024 * 1024;
/// Largest JSON section the reader accepts.
pub const MAX_JSON_BYTES: usize = 16 * 1024 * 1024;
/// Most stages/resources/tensors the reader accepts.
pub const MAX_ITEMS: usize = 10_000;

/// Who built an artifact, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// The compiler's version (`0.1.0`), or the original's (`0.11.3`) for original artifacts.
    pub version: String,
    /// Which compiler: `rune-playground` for ours; `None` for original artifacts.
    pub compiler: Option<String>,
    /// Build date `YYYY-MM-DD`, when recorded.
    pub date: Option<String>,
}

impl BuildInfo {
    /// Build info of this crate's version, with a date.
    pub fn playground(date: Option<String>) -> Self {
        BuildInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            compiler: Some("rune-playground".to_string()),
            date,
        }
    }
}

/// A `.rune` in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    pub build: Option<BuildInfo>,
    pub manifest: Manifest,
    /// Default values of resources, by name.
    pub resources: IndexMap<String, Vec<u8>>,
    /// Model bytes, by stage name (models whose file is a resource are not here).
    pub models: IndexMap<String, Vec<u8>>,
}

/// Why an artifact could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArtifactError {
    #[error("not a Rune: the file does not start with the WebAssembly header (\\0asm, version 1)")]
    NotWasm,
    #[error("the file is {0} bytes; the largest Rune accepted is {max} bytes", max = MAX_ARTIFACT_BYTES)]
    TooLarge(usize),
    #[error("the WebAssembly module is malformed: {0}")]
    Malformed(String),
    #[error("the Rune has no \".rune_graph\" section, so it holds no pipeline")]
    MissingGraph,
    #[error("the section \"{0}\" appears more than once")]
    DuplicateSection(String),
    #[error("the \"{section}\" section is invalid: {reason}")]
    InvalidSection { section: String, reason: String },
    #[error("the pipeline is invalid: {0}")]
    InvalidGraph(String),
}

impl Artifact {
    /// Serialises to a WebAssembly module.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut module = wasm_encoder::Module::new();
        let mut custom = |name: &str, data: &[u8]| {
            module.section(&wasm_encoder::CustomSection { name: name.into(), data: data.into() });
        };
        if let Some(build) = &self.build {
            let mut v = Map::new();
            v.insert("version".into(), json!(build.version));
            if let Some(c) = &build.compiler {
                v.insert("compiler".into(), json!(c));
            }
            if let Some(d) = &build.date {
                v.insert("date".into(), json!(d));
            }
            custom(VERSION_SECTION, Value::Object(v).to_string().as_bytes());
        }
        let mut records = Vec::new();
        for (name, data) in &self.resources {
            records.extend_from_slice(&len_u32(name.len()).to_be_bytes());
            records.extend_from_slice(name.as_bytes());
            records.extend_from_slice(&len_u32(data.len()).to_be_bytes());
            records.extend_from_slice(data);
        }
        if !records.is_empty() {
            custom(RESOURCE_SECTION, &records);
        }
        let descriptors = proc_block_descriptors(&self.manifest);
        if !descriptors.is_empty() {
            custom(PROC_BLOCK_SECTION, descriptors.as_bytes());
        }
        for (stage, bytes) in &self.models {
            custom(&format!("{MODEL_SECTION_PREFIX}{stage}"), bytes);
        }
        // Last, so that a truncated file always lacks (part of) its pipeline.
        custom(GRAPH_SECTION, graph_json(&self.manifest).to_string().as_bytes());
        module.finish()
    }

    /// Reads and validates an artifact.
    pub fn from_bytes(bytes: &[u8]) -> Result<Artifact, ArtifactError> {
        if bytes.len() > MAX_ARTIFACT_BYTES {
            return Err(ArtifactError::TooLarge(bytes.len()));
        }
        if bytes.len() < 8 || &bytes[..4] != b"\0asm" || bytes[4..8] != [1, 0, 0, 0] {
            return Err(ArtifactError::NotWasm);
        }
        let mut version = None;
        let mut graph = None;
        let mut resources = IndexMap::new();
        let mut models = IndexMap::new();
        for payload in wasmparser::Parser::new(0).parse_all(bytes) {
            let payload = payload.map_err(|e| ArtifactError::Malformed(e.message().to_string()))?;
            let wasmparser::Payload::CustomSection(section) = payload else { continue };
            let name = section.name();
            let data = section.data();
            match name {
                VERSION_SECTION => set_once(&mut version, name, data)?,
                GRAPH_SECTION => set_once(&mut graph, name, data)?,
                RESOURCE_SECTION => read_resources(data, &mut resources)?,
                _ => {
                    if let Some(stage) = name.strip_prefix(MODEL_SECTION_PREFIX)
                        && models.insert(stage.to_string(), data.to_vec()).is_some()
                    {
                        return Err(ArtifactError::DuplicateSection(name.to_string()));
                    }
                }
            }
        }
        let graph = graph.ok_or(ArtifactError::MissingGraph)?;
        let build = version.map(|v| parse_version(&v)).transpose()?;
        let manifest = parse_graph(&graph)?;
        let ours = build.as_ref().is_some_and(|b| b.compiler.as_deref() == Some("rune-playground"));
        validate(&manifest, &resources, &models, ours)?;
        Ok(Artifact { build, manifest, resources, models })
    }
}

fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn set_once(slot: &mut Option<Vec<u8>>, name: &str, data: &[u8]) -> Result<(), ArtifactError> {
    if slot.is_some() {
        return Err(ArtifactError::DuplicateSection(name.to_string()));
    }
    if data.len() > MAX_JSON_BYTES {
        return Err(invalid(name, format!("it is {} bytes, more than the {MAX_JSON_BYTES} accepted", data.len())));
    }
    *slot = Some(data.to_vec());
    Ok(())
}

fn invalid(section: &str, reason: impl Into<String>) -> ArtifactError {
    ArtifactError::InvalidSection { section: section.to_string(), reason: reason.into() }
}

fn read_resources(mut data: &[u8], out: &mut IndexMap<String, Vec<u8>>) -> Result<(), ArtifactError> {
    let take = |data: &mut &[u8], n: usize, what: &str| -> Result<Vec<u8>, ArtifactError> {
        if data.len() < n {
            return Err(invalid(
                RESOURCE_SECTION,
                format!("a record is truncated ({what} needs {n} bytes, {} left)", data.len()),
            ));
        }
        let (head, rest) = data.split_at(n);
        *data = rest;
        Ok(head.to_vec())
    };
    let read_len = |data: &mut &[u8], what: &str| -> Result<usize, ArtifactError> {
        let raw = take(data, 4, what)?;
        let mut buf = [0u8; 4];
        buf.copy_from_slice(&raw);
        Ok(u32::from_be_bytes(buf) as usize)
    };
    while !data.is_empty() {
        if out.len() >= MAX_ITEMS {
            return Err(invalid(RESOURCE_SECTION, "too many records"));
        }
        let name_len = read_len(&mut data, "the name length")?;
        let name = String::from_utf8(take(&mut data, name_len, "the name")?)
            .map_err(|_| invalid(RESOURCE_SECTION, "a resource name is not UTF-8"))?;
        let data_len = read_len(&mut data, "the data length")?;
        let bytes = take(&mut data, data_len, "the data")?;
        out.insert(name, bytes);
    }
    Ok(())
}

fn parse_version(data: &[u8]) -> Result<BuildInfo, ArtifactError> {
    let value: Value = serde_json::from_slice(data).map_err(|e| invalid(VERSION_SECTION, e.to_string()))?;
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
    // Original 0.4-era artifacts hold build-info objects; read what is there.
    let version = text("version")
        .or_else(|| value.pointer("/crate_info/version").and_then(Value::as_str).map(str::to_string))
        .ok_or_else(|| invalid(VERSION_SECTION, "no \"version\""))?;
    Ok(BuildInfo { version, compiler: text("compiler"), date: text("date") })
}

impl Artifact {
    /// The text format of `rune inspect` (spec §5.4), groups in declaration order.
    pub fn describe(&self) -> String {
        let artifact = self;
        let m = &artifact.manifest;
        let mut out = String::new();
        let _ = writeln!(out, "Name: {}", m.name);
        let shape = |t: &TensorRef| m.tensor_type(t).map_or_else(|| "?".to_string(), ToString::to_string);
        type Filter = fn(&StageKind) -> bool;
        let sections: [(&str, Filter); 4] = [
            ("Capabilities", |k| matches!(k, StageKind::Capability(_))),
            ("Models", |k| matches!(k, StageKind::Model { .. })),
            ("Proc Blocks", |k| matches!(k, StageKind::ProcBlock { .. })),
            ("Outputs", |k| matches!(k, StageKind::Out(_))),
        ];
        for (title, filter) in sections {
            let stages: Vec<_> = m.stages.iter().filter(|s| filter(&s.kind)).collect();
            if stages.is_empty() {
                continue;
            }
            let _ = writeln!(out, "{title}:");
            for stage in stages {
                let qualifier = match &stage.kind {
                    StageKind::Capability(kind) => kind.display_name().to_string(),
                    StageKind::Model { file, format } => {
                        let size = artifact
                            .models
                            .get(&stage.name)
                            .map(|b| format!(", {} bytes", b.len()))
                            .unwrap_or_default();
                        format!("{file} ({}{size})", format.name())
                    }
                    StageKind::ProcBlock { path, .. } => path.clone(),
                    StageKind::Out(kind) => kind.graph_name().to_string(),
                };
                let _ = writeln!(out, "- {}: {qualifier}", stage.name);
                if !stage.inputs.is_empty() {
                    let _ = writeln!(out, "  Inputs:");
                    for input in &stage.inputs {
                        let _ = writeln!(out, "  - {}", shape(input));
                    }
                }
                if !stage.outputs.is_empty() {
                    let _ = writeln!(out, "  Outputs:");
                    for output in &stage.outputs {
                        let _ = writeln!(out, "  - {output}");
                    }
                }
                if !stage.args.is_empty() {
                    let _ = writeln!(out, "  Arguments:");
                    for (key, value) in &stage.args {
                        let value = if value.contains('\n') {
                            format!("{} lines", value.lines().count())
                        } else {
                            value.clone()
                        };
                        let _ = writeln!(out, "    {key}: {value}");
                    }
                }
            }
        }
        if !m.resources.is_empty() {
            let _ = writeln!(out, "Resources:");
            for r in &m.resources {
                let size = artifact
                    .resources
                    .get(&r.name)
                    .map(|b| format!(", {} bytes", b.len()))
                    .unwrap_or_else(|| ", no default".to_string());
                let _ = writeln!(out, "\t{} ({}{size})", r.name, r.ty.name());
            }
        }
        match &artifact.build {
            Some(b) => {
                let mut extra: Vec<&str> = Vec::new();
                extra.extend(b.compiler.as_deref());
                extra.extend(b.date.as_deref());
                let extra = if extra.is_empty() { String::new() } else { format!(" ({})", extra.join(", ")) };
                let _ = writeln!(out, "Compiled by: Rune v{}{extra}", b.version);
            }
            None => {
                let _ = writeln!(out, "Compiled by: unknown");
            }
        }
        out
    }
}

// ---- .rune_graph (writing) ----

fn tensor_id(stage: &str, index: usize) -> String {
    format!("{stage}.{index}")
}

fn args_json(args: &IndexMap<String, String>) -> Value {
    Value::Object(args.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

pub fn graph_json(m: &Manifest) -> Value {
    let mut groups: [Map<String, Value>; 4] = Default::default();
    let mut tensors = Map::new();
    for stage in &m.stages {
        let inputs: Vec<Value> = stage.inputs.iter().map(|t| json!(tensor_id(&t.stage, t.index))).collect();
        let outputs: Vec<Value> = (0..stage.outputs.len()).map(|i| json!(tensor_id(&stage.name, i))).collect();
        for (i, ty) in stage.outputs.iter().enumerate() {
            tensors.insert(
                tensor_id(&stage.name, i),
                json!({"element_type": ty.element_type.graph_name(), "dimensions": ty.dimensions}),
            );
        }
        let mut entry = Map::new();
        let group = match &stage.kind {
            StageKind::Capability(kind) => {
                entry.insert("kind".into(), json!({"type": kind.graph_name()}));
                0
            }
            StageKind::Model { file, format } => {
                entry.insert("file".into(), json!(file));
                entry.insert("format".into(), json!(format.name()));
                1
            }
            StageKind::ProcBlock { path, block } => {
                entry.insert("path".into(), json!(path));
                entry.insert("block".into(), json!(block));
                2
            }
            StageKind::Out(kind) => {
                entry.insert("kind".into(), json!({"type": kind.graph_name()}));
                3
            }
        };
        if !stage.args.is_empty() {
            entry.insert("args".into(), args_json(&stage.args));
        }
        if group != 0 {
            entry.insert("inputs".into(), Value::Array(inputs));
        }
        if group != 3 {
            entry.insert("outputs".into(), Value::Array(outputs));
        }
        groups[group].insert(stage.name.clone(), Value::Object(entry));
    }
    let mut root = Map::new();
    root.insert("rune".into(), json!({"name": m.name}));
    for (key, group) in ["capabilities", "models", "proc-blocks", "outputs"].iter().zip(groups) {
        if !group.is_empty() {
            root.insert((*key).into(), Value::Object(group));
        }
    }
    if !m.resources.is_empty() {
        let resources: Map<String, Value> = m
            .resources
            .iter()
            .map(|r| {
                let default = match &r.default {
                    Some(ResourceDefault::Inline(s)) => json!({"Inline": s}),
                    Some(ResourceDefault::FromDisk(p)) => json!({"FromDisk": p}),
                    None => Value::Null,
                };
                (r.name.clone(), json!({"default_value": default, "ty": r.ty.name()}))
            })
            .collect();
        root.insert("resources".into(), Value::Object(resources));
    }
    if !tensors.is_empty() {
        root.insert("tensors".into(), Value::Object(tensors));
    }
    root.insert("order".into(), json!(m.stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>()));
    root.insert("image".into(), json!(m.image));
    Value::Object(root)
}

/// `.rune_proc_block`: one descriptor per block type used, in the original's shape.
fn proc_block_descriptors(m: &Manifest) -> String {
    let mut out = String::new();
    let mut seen = Vec::new();
    for stage in &m.stages {
        let StageKind::ProcBlock { block, .. } = &stage.kind else { continue };
        let Some(sig) = catalog::proc_block(block) else { continue };
        if seen.contains(&sig.name) {
            continue;
        }
        seen.push(sig.name);
        let shape = |t: &TensorType| json!({"element_type": t.element_type.graph_name(), "dimensions": {"Finite": t.dimensions.iter().map(|d| json!({"Value": d})).collect::<Vec<_>>()}});
        let inputs: Vec<Value> = stage.inputs.iter().filter_map(|t| m.tensor_type(t)).map(shape).collect();
        let outputs: Vec<Value> = stage.outputs.iter().map(shape).collect();
        let descriptor = json!({
            "type_name": sig.type_name,
            "description": sig.description,
            "available_transforms": [{"inputs": inputs, "outputs": outputs}],
        });
        out.push_str(&descriptor.to_string());
    }
    out
}

// ---- .rune_graph (reading) ----

fn graph_err(reason: impl Into<String>) -> ArtifactError {
    ArtifactError::InvalidGraph(reason.into())
}

fn object<'v>(value: &'v Value, what: &str) -> Result<&'v Map<String, Value>, ArtifactError> {
    value.as_object().ok_or_else(|| graph_err(format!("{what} should be an object")))
}

fn string_list(value: Option<&Value>, what: &str) -> Result<Vec<String>, ArtifactError> {
    let Some(value) = value else { return Ok(Vec::new()) };
    let items = value.as_array().ok_or_else(|| graph_err(format!("{what} should be a list")))?;
    items
        .iter()
        .map(|v| v.as_str().map(str::to_string).ok_or_else(|| graph_err(format!("{what} should hold strings"))))
        .collect()
}

fn parse_args(value: Option<&Value>, stage: &str) -> Result<IndexMap<String, String>, ArtifactError> {
    let Some(value) = value else { return Ok(IndexMap::new()) };
    object(value, &format!("the args of \"{stage}\""))?
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            Value::Number(n) => Ok((k.clone(), n.to_string())),
            _ => Err(graph_err(format!("the \"{k}\" arg of \"{stage}\" should be a string"))),
        })
        .collect()
}

fn kind_type<'v>(entry: &'v Map<String, Value>, stage: &str) -> Result<&'v str, ArtifactError> {
    entry
        .get("kind")
        .and_then(|k| k.get("type"))
        .and_then(Value::as_str)
        .ok_or_else(|| graph_err(format!("\"{stage}\" has no kind")))
}

fn parse_graph(data: &[u8]) -> Result<Manifest, ArtifactError> {
    let root: Value = serde_json::from_slice(data).map_err(|e| invalid(GRAPH_SECTION, e.to_string()))?;
    let root = object(&root, "the graph")?;
    if root.contains_key("stages") || root.contains_key("base-image") {
        return Err(graph_err("this Rune was built by rune 0.4 or older, whose pipeline format is not supported"));
    }
    let name = root.get("rune").and_then(|r| r.get("name")).and_then(Value::as_str).unwrap_or_default().to_string();
    let image = root.get("image").and_then(Value::as_str).unwrap_or("runicos/base").to_string();
    // Tensors: id → type.
    let mut tensors: IndexMap<String, TensorType> = IndexMap::new();
    if let Some(t) = root.get("tensors") {
        for (id, value) in object(t, "tensors")? {
            let ty = value
                .get("element_type")
                .and_then(Value::as_str)
                .and_then(ElementType::from_graph_name)
                .ok_or_else(|| graph_err(format!("tensor \"{id}\" has no valid element_type")))?;
            let dims = value
                .get("dimensions")
                .and_then(Value::as_array)
                .ok_or_else(|| graph_err(format!("tensor \"{id}\" has no dimensions")))?
                .iter()
                .map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok()))
                .collect::<Option<Vec<usize>>>()
                .ok_or_else(|| graph_err(format!("tensor \"{id}\" has invalid dimensions")))?;
            if dims.len() > 32 {
                return Err(graph_err(format!("tensor \"{id}\" has rank {}, more than 32", dims.len())));
            }
            tensors.insert(id.clone(), TensorType::new(ty, dims));
        }
    }
    let mut stages: Vec<Stage> = Vec::new();
    // tensor id → (producing stage, output index)
    let mut producers: IndexMap<String, TensorRef> = IndexMap::new();
    let mut pending_inputs: Vec<Vec<String>> = Vec::new();
    for group in ["capabilities", "models", "proc-blocks", "outputs"] {
        let Some(entries) = root.get(group) else { continue };
        for (stage_name, value) in object(entries, group)? {
            if stages.len() >= MAX_ITEMS {
                return Err(graph_err("too many stages"));
            }
            let entry = object(value, &format!("\"{stage_name}\""))?;
            let kind = match group {
                "capabilities" => {
                    let t = kind_type(entry, stage_name)?;
                    StageKind::Capability(
                        CapabilityKind::from_graph_name(t)
                            .ok_or_else(|| graph_err(format!("unknown capability kind \"{t}\"")))?,
                    )
                }
                "models" => {
                    let file = entry
                        .get("file")
                        .and_then(Value::as_str)
                        .ok_or_else(|| graph_err(format!("model \"{stage_name}\" has no file")))?;
                    let format = match entry.get("format").and_then(Value::as_str) {
                        None => ModelFormat::TensorFlowLite,
                        Some(f) => {
                            ModelFormat::parse(f).ok_or_else(|| graph_err(format!("unknown model format \"{f}\"")))?
                        }
                    };
                    StageKind::Model { file: file.to_string(), format }
                }
                "proc-blocks" => {
                    let path = entry
                        .get("path")
                        .and_then(Value::as_str)
                        .ok_or_else(|| graph_err(format!("proc-block \"{stage_name}\" has no path")))?;
                    let block = match entry.get("block").and_then(Value::as_str) {
                        Some(b) => b.to_string(),
                        None => crate_name(path).replace('-', "_"),
                    };
                    StageKind::ProcBlock { path: path.to_string(), block }
                }
                _ => {
                    let t = kind_type(entry, stage_name)?;
                    StageKind::Out(
                        OutKind::from_graph_name(t).ok_or_else(|| graph_err(format!("unknown output kind \"{t}\"")))?,
                    )
                }
            };
            let outputs_ids = string_list(entry.get("outputs"), &format!("the outputs of \"{stage_name}\""))?;
            let mut outputs = Vec::with_capacity(outputs_ids.len());
            for (i, id) in outputs_ids.iter().enumerate() {
                let ty = tensors
                    .get(id)
                    .ok_or_else(|| graph_err(format!("\"{stage_name}\" outputs the unknown tensor \"{id}\"")))?;
                if producers.insert(id.clone(), TensorRef { stage: stage_name.clone(), index: i }).is_some() {
                    return Err(graph_err(format!("the tensor \"{id}\" is produced twice")));
                }
                outputs.push(ty.clone());
            }
            pending_inputs.push(string_list(entry.get("inputs"), &format!("the inputs of \"{stage_name}\""))?);
            let args = parse_args(entry.get("args"), stage_name)?;
            stages.push(Stage { name: stage_name.clone(), kind, args, inputs: Vec::new(), outputs });
        }
    }
    for (stage, ids) in stages.iter_mut().zip(pending_inputs) {
        for id in ids {
            let r = producers
                .get(&id)
                .ok_or_else(|| graph_err(format!("\"{}\" takes the unknown tensor \"{id}\"", stage.name)))?;
            stage.inputs.push(r.clone());
        }
    }
    // Restore declaration order when recorded.
    if let Some(order) = root.get("order") {
        let order = string_list(Some(order), "order")?;
        if order.len() != stages.len() {
            return Err(graph_err("\"order\" does not list every stage once"));
        }
        let mut sorted = Vec::with_capacity(stages.len());
        for name in &order {
            let pos = stages
                .iter()
                .position(|s| &s.name == name)
                .ok_or_else(|| graph_err(format!("\"order\" names the unknown stage \"{name}\"")))?;
            sorted.push(stages.swap_remove(pos));
        }
        stages = sorted;
    }
    let mut resources = Vec::new();
    if let Some(r) = root.get("resources") {
        for (name, value) in object(r, "resources")? {
            let ty = match value.get("ty").and_then(Value::as_str) {
                Some("binary") => ResourceType::Binary,
                Some("string") | None => ResourceType::String,
                Some(other) => return Err(graph_err(format!("resource \"{name}\" has the unknown type \"{other}\""))),
            };
            let default = match value.get("default_value") {
                Some(Value::Object(d)) => {
                    match (d.get("Inline").and_then(Value::as_str), d.get("FromDisk").and_then(Value::as_str)) {
                        (Some(s), _) => Some(ResourceDefault::Inline(s.to_string())),
                        (None, Some(p)) => Some(ResourceDefault::FromDisk(p.to_string())),
                        _ => return Err(graph_err(format!("resource \"{name}\" has an invalid default"))),
                    }
                }
                _ => None,
            };
            resources.push(Resource { name: name.clone(), ty, default });
        }
    }
    Ok(Manifest { name, image, stages, resources })
}

fn crate_name(path: &str) -> &str {
    let source = path.split_once('#').map_or_else(|| path.split('@').next().unwrap_or(path), |(_, s)| s);
    source.trim_end_matches('/').rsplit('/').next().unwrap_or(source)
}

/// Cross-references. `ours`: built by this compiler, so models and resource defaults are embedded.
fn validate(
    m: &Manifest,
    resources: &IndexMap<String, Vec<u8>>,
    models: &IndexMap<String, Vec<u8>>,
    ours: bool,
) -> Result<(), ArtifactError> {
    let mut names = std::collections::HashSet::new();
    for name in m.stages.iter().map(|s| &s.name).chain(m.resources.iter().map(|r| &r.name)) {
        if !names.insert(name.as_str()) {
            return Err(graph_err(format!("the name \"{name}\" is defined twice")));
        }
    }
    for name in resources.keys() {
        if m.resource(name).is_none() {
            return Err(graph_err(format!("the data of the undeclared resource \"{name}\" is present")));
        }
    }
    for stage_name in models.keys() {
        match m.stage(stage_name).map(|s| &s.kind) {
            Some(StageKind::Model { .. }) => {}
            _ => return Err(graph_err(format!("model data for \"{stage_name}\", which is not a model stage"))),
        }
    }
    for stage in &m.stages {
        match &stage.kind {
            StageKind::Capability(_) if stage.outputs.len() != 1 => {
                return Err(graph_err(format!(
                    "the capability \"{}\" has {} outputs",
                    stage.name,
                    stage.outputs.len()
                )));
            }
            StageKind::Model { file, .. } if ours && !file.starts_with('$') && !models.contains_key(&stage.name) => {
                return Err(graph_err(format!("the model of \"{}\" is missing", stage.name)));
            }
            StageKind::Model { file, .. } if file.starts_with('$') && m.resource(&file[1..]).is_none() => {
                return Err(graph_err(format!(
                    "the model of \"{}\" names the undeclared resource \"{file}\"",
                    stage.name
                )));
            }
            _ => {}
        }
    }
    for r in &m.resources {
        if ours && r.default.is_some() && !resources.contains_key(&r.name) {
            return Err(graph_err(format!("the default value of the resource \"{}\" is missing", r.name)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Artifact {
        let f32_11 = TensorType::new(ElementType::F32, vec![1, 1]);
        let manifest = Manifest {
            name: "sine".into(),
            image: "runicos/base".into(),
            stages: vec![
                Stage {
                    name: "rand".into(),
                    kind: StageKind::Capability(CapabilityKind::Raw),
                    args: [("length".to_string(), "4".to_string())].into_iter().collect(),
                    inputs: vec![],
                    outputs: vec![f32_11.clone()],
                },
                Stage {
                    name: "mod360".into(),
                    kind: StageKind::ProcBlock {
                        path: "hotg-ai/proc-blocks@v0.11.3#modulo".into(),
                        block: "modulo".into(),
                    },
                    args: [("modulus".to_string(), "360".to_string())].into_iter().collect(),
                    inputs: vec![TensorRef { stage: "rand".into(), index: 0 }],
                    outputs: vec![f32_11.clone()],
                },
                Stage {
                    name: "sine".into(),
                    kind: StageKind::Model { file: "$MODEL".into(), format: ModelFormat::TensorFlowLite },
                    args: IndexMap::new(),
                    inputs: vec![TensorRef { stage: "mod360".into(), index: 0 }],
                    outputs: vec![f32_11],
                },
                Stage {
                    name: "serial".into(),
                    kind: StageKind::Out(OutKind::Serial),
                    args: IndexMap::new(),
                    inputs: vec![TensorRef { stage: "sine".into(), index: 0 }],
                    outputs: vec![],
                },
            ],
            resources: vec![Resource {
                name: "MODEL".into(),
                ty: ResourceType::Binary,
                default: Some(ResourceDefault::FromDisk("./sinemodel.tflite".into())),
            }],
        };
        Artifact {
            build: Some(BuildInfo::playground(Some("2026-11-24".into()))),
            manifest,
            resources: [("MODEL".to_string(), vec![1, 2, 3])].into_iter().collect(),
            models: IndexMap::new(),
        }
    }

    #[test]
    fn round_trip() {
        let a = sample();
        let bytes = a.to_bytes();
        assert!(wasmparser::Validator::new().validate_all(&bytes).is_ok());
        assert_eq!(Artifact::from_bytes(&bytes), Ok(a));
    }

    #[test]
    fn rejects_garbage_and_truncation_without_panicking() {
        assert_eq!(Artifact::from_bytes(b"hello"), Err(ArtifactError::NotWasm));
        assert_eq!(Artifact::from_bytes(b"\0asm\x01\0\0\0"), Err(ArtifactError::MissingGraph));
        let bytes = sample().to_bytes();
        for len in 0..bytes.len() {
            assert!(Artifact::from_bytes(&bytes[..len]).is_err(), "prefix of {len} bytes accepted");
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut corrupt = bytes.clone();
            let at = (state as usize) % corrupt.len();
            corrupt[at] ^= (state >> 32) as u8 | 1;
            let _ = Artifact::from_bytes(&corrupt);
        }
    }

    #[test]
    fn resource_records_are_bounds_checked() {
        let mut out = IndexMap::new();
        assert!(read_resources(&[0, 0, 0, 9, b'a'], &mut out).is_err());
        assert!(read_resources(&[0, 0, 0, 1, b'a', 255, 255, 255, 255], &mut out).is_err());
    }
}

#[cfg(test)]
mod original_format_tests {
    use super::*;

    /// A module shaped like an original 0.11 Rune: code elsewhere, a graph with UUID tensor IDs
    /// and no `order`, and `{"version":"0.11.3"}`.
    fn original() -> Vec<u8> {
        let graph = serde_json::json!({
            "rune": {"name": "sine"},
            "capabilities": {"rand": {"kind": {"type": "raw"}, "args": {"length": "4"}, "outputs": ["6f1c"]}},
            "models": {"sine": {"file": "./sinemodel.tflite", "inputs": ["9a2e"], "outputs": ["77b0"]}},
            "proc-blocks": {"mod360": {"path": "hotg-ai/proc-blocks@v0.11.3#modulo", "args": {"modulus": "360"}, "inputs": ["6f1c"], "outputs": ["9a2e"]}},
            "outputs": {"serial": {"kind": {"type": "serial"}, "inputs": ["77b0"]}},
            "tensors": {
                "6f1c": {"element_type": "F32", "dimensions": [1, 1]},
                "9a2e": {"element_type": "F32", "dimensions": [1, 1]},
                "77b0": {"element_type": "F32", "dimensions": [1, 1]}
            }
        });
        let mut module = wasm_encoder::Module::new();
        module.section(&wasm_encoder::CustomSection {
            name: ".rune_graph".into(),
            data: graph.to_string().into_bytes().into(),
        });
        module.section(&wasm_encoder::CustomSection {
            name: ".rune_version".into(),
            data: br#"{"version":"0.11.3"}"#.into(),
        });
        module.finish()
    }

    #[test]
    fn original_artifacts_are_read() {
        let artifact = Artifact::from_bytes(&original()).expect("an original artifact");
        assert_eq!(artifact.build.as_ref().map(|b| b.version.as_str()), Some("0.11.3"));
        let m = &artifact.manifest;
        let names: Vec<&str> = m.stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["rand", "sine", "mod360", "serial"]);
        let mod360 = m.stage("mod360").expect("mod360");
        assert_eq!(mod360.inputs, vec![TensorRef { stage: "rand".into(), index: 0 }]);
        assert_eq!(m.stage("sine").map(|s| s.inputs[0].stage.as_str()), Some("mod360"));
        assert!(matches!(&mod360.kind, StageKind::ProcBlock { block, .. } if block == "modulo"));
    }
}
