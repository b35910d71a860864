//! The messages between the page and the Web Worker that runs pipelines, and the conversion of
//! a [`runtime::pipeline::Run`] into what the Results panel shows.
//!
//! # Protocol
//! The page posts one JS array per run: `[header, rune, input₀, input₁, …]` where `header` is a
//! [`RunRequest`] as JSON text, `rune` the `.rune` bytes and each `inputᵢ` the bytes of the
//! input described by `header.inputs[i]` (all `Uint8Array`s whose buffers are transferred).
//! The worker first posts [`Reply::Ready`] once it listens (the page holds its first request
//! until then). It answers each request with [`Reply`]s: zero or more [`Reply::Status`], then
//! one [`Reply::Done`] or [`Reply::Failed`], all carrying the request's `id`. A reply is JSON
//! text, or, when it carries numeric tensors, a JS array `[json, buffer₀, buffer₁, …]` whose
//! JSON leaves those tensors' values empty and names the buffer that holds them in the
//! tensor's element type (`packed`, see [`Reply::to_message`]): no number goes through JSON,
//! and the buffers are transferred, not copied.
//!
//! Everything here is plain Rust (serde), unit-tested natively.
use runtime::pipeline::{Run, RuntimeError};
use runtime::{CapabilityKind, ElementType, Manifest, StageKind, Tensor, TensorData};
use serde::{Deserialize, Serialize};

/// At most this many values of one tensor are sent back (a 256×256 RGB image fits).
pub const MAX_VALUES: usize = 320 * 320 * 3;

/// What the page asks the worker to do: run the `.rune` once on the given inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRequest {
    pub id: u32,
    /// Seeds the RAND capabilities.
    pub seed: u64,
    /// One entry per input buffer that follows the header, in order.
    pub inputs: Vec<InputMeta>,
    /// Set when the `.rune` is not sent again: the [`rune_key`] of the `.rune` the worker
    /// loaded for an earlier request (the `rune` buffer is then empty). Live mode sends every
    /// frame this way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached: Option<u64>,
}

/// One input of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputMeta {
    /// The capability kind, as a Runefile spells it (`IMAGE`).
    pub kind: String,
    /// The file name (for messages).
    pub name: String,
    /// Set when the bytes are a decoded RGBA8 frame of this size (a camera picture), not a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<FrameSize>,
}

/// The size of an RGBA8 frame (`width * height * 4` bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameSize {
    pub width: u32,
    pub height: u32,
}

impl FrameSize {
    /// The number of bytes of a frame of this size.
    pub fn bytes(self) -> u64 {
        u64::from(self.width) * u64::from(self.height) * 4
    }
}

/// Identifies `.rune` bytes between the page and the worker (64-bit FNV-1a of the bytes).
pub fn rune_key(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// How far the worker has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Reading the `.rune` and loading its models (only when the `.rune` changed).
    Loading,
    Running,
}

/// A message from the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Reply {
    /// The worker has started and listens (sent once; messages posted before it are lost).
    Ready,
    /// The worker's loader script (`app/worker-loader.js`) is downloading the engine's wasm:
    /// `loaded` of `total` bytes (`total` 0 when unknown). Sent before [`Reply::Ready`].
    Fetching {
        loaded: u64,
        total: u64,
    },
    /// The loader could not download or start the engine (`message` says why).
    Unavailable {
        message: String,
    },
    Status {
        id: u32,
        phase: Phase,
    },
    Done {
        id: u32,
        result: RunResult,
    },
    Failed {
        id: u32,
        failure: RunFailure,
    },
}

impl Reply {
    pub fn id(&self) -> u32 {
        match self {
            Reply::Ready | Reply::Fetching { .. } | Reply::Unavailable { .. } => 0,
            Reply::Status { id, .. } | Reply::Done { id, .. } | Reply::Failed { id, .. } => *id,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            let failure = RunFailure::new(None, format!("The worker could not encode its answer: {e}"));
            format!(
                r#"{{"type":"failed","id":{},"failure":{}}}"#,
                self.id(),
                serde_json::to_string(&failure).unwrap_or_else(|_| "null".into())
            )
        })
    }

    pub fn from_json(text: &str) -> Result<Reply, String> {
        serde_json::from_str(text).map_err(|e| format!("The worker sent an unreadable answer: {e}"))
    }

    /// The reply as the worker posts it: the JSON, and one buffer per numeric tensor of a
    /// [`Reply::Done`], which holds its values in the tensor's element type, little-endian (a
    /// `u8` image one byte per value; NaN for a missing float). The JSON's tensors then have
    /// empty `values` and `packed` = the buffer's index. Other replies have no buffers.
    pub fn to_message(mut self) -> (String, Vec<Vec<u8>>) {
        let mut buffers = Vec::new();
        if let Reply::Done { result, .. } = &mut self {
            for tensor in result.stages.iter_mut().flat_map(|stage| stage.tensors.iter_mut()) {
                if let Values::Numbers(numbers) = &mut tensor.values {
                    let numbers = std::mem::take(numbers);
                    tensor.packed = Some(buffers.len());
                    buffers.push(pack(packing(&tensor.element_type), &numbers));
                }
            }
        }
        (self.to_json(), buffers)
    }

    /// Reads what [`Reply::to_message`] wrote (`buffers` empty for a reply that is JSON only).
    pub fn from_message(text: &str, mut buffers: Vec<Vec<u8>>) -> Result<Reply, String> {
        let mut reply = Reply::from_json(text)?;
        if let Reply::Done { result, .. } = &mut reply {
            for tensor in result.stages.iter_mut().flat_map(|stage| stage.tensors.iter_mut()) {
                let Some(index) = tensor.packed.take() else { continue };
                let bytes = buffers
                    .get_mut(index)
                    .map(std::mem::take)
                    .ok_or_else(|| format!("The worker sent an unreadable answer: tensor buffer {index} is missing"))?;
                let numbers = unpack(packing(&tensor.element_type), &bytes).ok_or_else(|| {
                    format!(
                        "The worker sent an unreadable answer: tensor buffer {index} has {} bytes, \
                         not a whole number of {} values",
                        bytes.len(),
                        tensor.element_type
                    )
                })?;
                if numbers.len() > tensor.len {
                    return Err(format!(
                        "The worker sent an unreadable answer: tensor buffer {index} holds {} values of a tensor of {}",
                        numbers.len(),
                        tensor.len
                    ));
                }
                tensor.values = Values::Numbers(numbers);
            }
        }
        Ok(reply)
    }
}

/// The type a numeric tensor's values travel in: their own element type, except the 64-bit
/// ones (and any other name), which travel as the `f64`s the page shows.
fn packing(element_type: &str) -> ElementType {
    use ElementType::*;
    match ElementType::parse(element_type) {
        Ok(ty @ (U8 | I8 | U16 | I16 | U32 | I32 | F32)) => ty,
        _ => F64,
    }
}

/// The values in `packing`'s type. They came from a tensor of that type, so the integer casts
/// are exact; a missing value (a NaN or infinity) is a NaN.
fn pack(packing: ElementType, numbers: &[Option<f64>]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(numbers.len() * packing.size().unwrap_or(8));
    let int = |v: &Option<f64>| v.unwrap_or(0.0);
    match packing {
        ElementType::U8 => bytes.extend(numbers.iter().map(|v| int(v) as u8)),
        ElementType::I8 => bytes.extend(numbers.iter().map(|v| (int(v) as i8).to_le_bytes()[0])),
        ElementType::U16 => numbers.iter().for_each(|v| bytes.extend_from_slice(&(int(v) as u16).to_le_bytes())),
        ElementType::I16 => numbers.iter().for_each(|v| bytes.extend_from_slice(&(int(v) as i16).to_le_bytes())),
        ElementType::U32 => numbers.iter().for_each(|v| bytes.extend_from_slice(&(int(v) as u32).to_le_bytes())),
        ElementType::I32 => numbers.iter().for_each(|v| bytes.extend_from_slice(&(int(v) as i32).to_le_bytes())),
        ElementType::F32 => {
            numbers.iter().for_each(|v| bytes.extend_from_slice(&v.map_or(f32::NAN, |x| x as f32).to_le_bytes()))
        }
        _ => numbers.iter().for_each(|v| bytes.extend_from_slice(&v.unwrap_or(f64::NAN).to_le_bytes())),
    }
    bytes
}

/// The values [`pack`] wrote; `None` when the bytes are not a whole number of values.
fn unpack(packing: ElementType, bytes: &[u8]) -> Option<Vec<Option<f64>>> {
    fn values<const N: usize, T>(bytes: &[u8], read: impl Fn([u8; N]) -> T) -> Option<Vec<T>> {
        let (values, rest) = bytes.as_chunks::<N>();
        rest.is_empty().then(|| values.iter().map(|v| read(*v)).collect())
    }
    let finite = |x: f64| x.is_finite().then_some(x);
    match packing {
        ElementType::U8 => Some(bytes.iter().map(|&b| Some(f64::from(b))).collect()),
        ElementType::I8 => Some(bytes.iter().map(|&b| Some(f64::from(i8::from_le_bytes([b])))).collect()),
        ElementType::U16 => values(bytes, |v| Some(f64::from(u16::from_le_bytes(v)))),
        ElementType::I16 => values(bytes, |v| Some(f64::from(i16::from_le_bytes(v)))),
        ElementType::U32 => values(bytes, |v| Some(f64::from(u32::from_le_bytes(v)))),
        ElementType::I32 => values(bytes, |v| Some(f64::from(i32::from_le_bytes(v)))),
        ElementType::F32 => values(bytes, |v| finite(f64::from(f32::from_le_bytes(v)))),
        _ => values(bytes, |v| finite(f64::from_le_bytes(v))),
    }
}

/// Why a run failed: a message naming the stage, its causes and what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFailure {
    pub stage: Option<String>,
    pub message: String,
    pub causes: Vec<String>,
    pub hint: Option<String>,
}

impl RunFailure {
    pub fn new(stage: Option<String>, message: impl Into<String>) -> Self {
        RunFailure { stage, message: message.into(), causes: Vec::new(), hint: None }
    }

    /// A runtime error with its source chain, and a hint for missing inputs.
    pub fn from_runtime(error: &RuntimeError) -> Self {
        let mut causes = Vec::new();
        let mut source = std::error::Error::source(error);
        while let Some(e) = source {
            causes.push(e.to_string());
            source = e.source();
        }
        let hint = match error {
            RuntimeError::Capability { kind, .. } if causes.iter().any(|c| c.contains("sources")) => {
                Some(missing_input_hint(kind))
            }
            _ => None,
        };
        RunFailure { stage: Some(error.stage().to_string()), message: error.to_string(), causes, hint }
    }
}

/// How to give a capability kind an input in the playground.
pub fn missing_input_hint(kind: &str) -> String {
    match input_kind(kind).and_then(accepted_files) {
        Some(files) => {
            format!("Add {files} in the Inputs panel (the first one is `source: 0`, the next `source: 1`, …).")
        }
        None => format!("The \"{kind}\" capability needs an input."),
    }
}

/// What the Inputs panel accepts for a kind, for messages.
pub fn accepted_files(kind: CapabilityKind) -> Option<&'static str> {
    Some(match kind {
        CapabilityKind::Image | CapabilityKind::FloatImage => "an image (PNG, JPEG, WebP, GIF or BMP)",
        CapabilityKind::Sound => "a WAV file",
        CapabilityKind::Accelerometer => "a CSV file of x,y,z rows",
        CapabilityKind::Raw => "a .bin file",
        CapabilityKind::Random => return None,
    })
}

/// The kind whose inputs a capability reads: FLOAT_IMAGE reads the IMAGE inputs.
pub fn input_kind(kind: &str) -> Option<CapabilityKind> {
    match CapabilityKind::parse(kind)? {
        CapabilityKind::FloatImage => Some(CapabilityKind::Image),
        other => Some(other),
    }
}

/// The outcome of one run, ready to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// Every stage that ran, in execution order.
    pub stages: Vec<StageResult>,
    /// Inputs that were padded or truncated, and similar notes.
    pub warnings: Vec<String>,
    /// What `rune run` prints: the outputs as one JSON line (the original's HEAD format).
    pub serial: String,
    /// Time spent reading the `.rune` and loading models, when this run did it.
    pub load_ms: Option<f64>,
    /// Time of the run itself.
    pub run_ms: f64,
}

/// One stage's outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageResult {
    pub name: String,
    /// `capability`, `model`, `proc-block` or `out`.
    pub kind: String,
    /// What the stage is: `IMAGE`, `./food.tflite`, `label`, `serial`.
    pub detail: String,
    pub elapsed_ms: f64,
    /// What it produced (for out stages: what they received).
    pub tensors: Vec<TensorView>,
}

/// A tensor as the Results panel needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensorView {
    /// `u8`, `f32`, `utf8`, …
    pub element_type: String,
    pub dimensions: Vec<usize>,
    /// The number of elements of the tensor (`values` may hold fewer, see [`MAX_VALUES`]).
    pub len: usize,
    pub values: Values,
    /// Only in the worker's messages: the buffer that holds the numbers (see
    /// [`Reply::to_message`]); `values` is then empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packed: Option<usize>,
}

/// The first [`MAX_VALUES`] elements of a tensor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Values {
    /// Numbers; `None` for NaN and infinities (JSON has no words for them).
    Numbers(Vec<Option<f64>>),
    Text(Vec<String>),
}

impl TensorView {
    pub fn from_tensor(tensor: &Tensor) -> Self {
        let values = match tensor.data() {
            TensorData::Utf8(v) => Values::Text(v.iter().take(MAX_VALUES).cloned().collect()),
            data => {
                let numbers = match data {
                    TensorData::U8(v) => v.iter().take(MAX_VALUES).map(|x| f64::from(*x)).collect(),
                    TensorData::I8(v) => v.iter().take(MAX_VALUES).map(|x| f64::from(*x)).collect(),
                    TensorData::U16(v) => v.iter().take(MAX_VALUES).map(|x| f64::from(*x)).collect(),
                    TensorData::I16(v) => v.iter().take(MAX_VALUES).map(|x| f64::from(*x)).collect(),
                    TensorData::U32(v) => v.iter().take(MAX_VALUES).map(|x| f64::from(*x)).collect(),
                    TensorData::I32(v) => v.iter().take(MAX_VALUES).map(|x| f64::from(*x)).collect(),
                    TensorData::F32(v) => v.iter().take(MAX_VALUES).map(|x| f64::from(*x)).collect(),
                    TensorData::U64(v) => v.iter().take(MAX_VALUES).map(|x| *x as f64).collect(),
                    TensorData::I64(v) => v.iter().take(MAX_VALUES).map(|x| *x as f64).collect(),
                    TensorData::F64(v) => v.iter().take(MAX_VALUES).copied().collect(),
                    TensorData::Utf8(_) => Vec::new(),
                };
                Values::Numbers(numbers.into_iter().map(|x: f64| x.is_finite().then_some(x)).collect())
            }
        };
        TensorView {
            element_type: tensor.element_type().name().to_string(),
            dimensions: tensor.dimensions().to_vec(),
            len: tensor.len(),
            values,
            packed: None,
        }
    }

    /// Whether only the first values were sent.
    pub fn is_truncated(&self) -> bool {
        let sent = match &self.values {
            Values::Numbers(v) => v.len(),
            Values::Text(v) => v.len(),
        };
        sent < self.len
    }

    /// `f32[1, 1]`.
    pub fn type_text(&self) -> String {
        let dims: Vec<String> = self.dimensions.iter().map(ToString::to_string).collect();
        format!("{}[{}]", self.element_type, dims.join(", "))
    }

    /// Height, width and channels when the tensor looks like a picture: `[1, h, w, 3]` or
    /// `[1, h, w, 1]` (also without the leading 1) of `u8` or floats, at least 4×4 pixels.
    pub fn image_shape(&self) -> Option<(usize, usize, usize)> {
        if !matches!(self.element_type.as_str(), "u8" | "f32" | "f64") || self.is_truncated() {
            return None;
        }
        let dims = match self.dimensions.as_slice() {
            [1, h, w, c] | [h, w, c] => (*h, *w, *c),
            _ => return None,
        };
        let (h, w, c) = dims;
        (h >= 4 && w >= 4 && (c == 1 || c == 3)).then_some(dims)
    }

    /// The picture as RGBA bytes (row-major) when [`TensorView::image_shape`] says it is one.
    /// Floats are taken as 0..1 when they all are, else scaled from their minimum to maximum.
    pub fn to_rgba(&self) -> Option<(u32, u32, Vec<u8>)> {
        let (h, w, c) = self.image_shape()?;
        let Values::Numbers(values) = &self.values else { return None };
        let finite = || values.iter().flatten().copied();
        let (min, max) = finite().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
        let to_byte: Box<dyn Fn(f64) -> u8> = if self.element_type == "u8" {
            Box::new(|x| x.clamp(0.0, 255.0) as u8)
        } else if min >= 0.0 && max <= 1.0 {
            Box::new(|x| (x * 255.0).round().clamp(0.0, 255.0) as u8)
        } else if max > min {
            Box::new(move |x| ((x - min) / (max - min) * 255.0).round().clamp(0.0, 255.0) as u8)
        } else {
            Box::new(|_| 0)
        };
        let mut rgba = Vec::with_capacity(h * w * 4);
        for pixel in values.chunks(c) {
            let byte = |i: usize| pixel.get(i).copied().flatten().map_or(0, &to_byte);
            if c == 3 {
                rgba.extend_from_slice(&[byte(0), byte(1), byte(2), 255]);
            } else {
                let v = byte(0);
                rgba.extend_from_slice(&[v, v, v, 255]);
            }
        }
        Some((u32::try_from(w).ok()?, u32::try_from(h).ok()?, rgba))
    }
}

/// At most this many classes make an integer `[h, w]` tensor a segmentation map.
pub const MAX_CLASSES: usize = 256;

/// An RGBA picture: width, height and row-major bytes.
pub type Rgba = (u32, u32, Vec<u8>);

impl TensorView {
    /// Height and width when the tensor looks like a segmentation (class) map: `[h, w]` or
    /// `[1, h, w]` of unsigned integers (what `segment_output` gives), at least 4×4, all sent,
    /// with at most [`MAX_CLASSES`] classes below 2³².
    pub fn mask_shape(&self) -> Option<(usize, usize)> {
        if !matches!(self.element_type.as_str(), "u8" | "u16" | "u32" | "i32" | "u64" | "i64") || self.is_truncated() {
            return None;
        }
        let (h, w) = match self.dimensions.as_slice() {
            [1, h, w] | [h, w] => (*h, *w),
            _ => return None,
        };
        let classes = self.mask_classes()?;
        (h >= 4 && w >= 4 && h * w == self.len && classes.len() <= MAX_CLASSES).then_some((h, w))
    }

    /// The classes in the map, sorted (`None` if a value is not a class number).
    pub fn mask_classes(&self) -> Option<Vec<u32>> {
        let Values::Numbers(values) = &self.values else { return None };
        let mut classes = std::collections::BTreeSet::new();
        for value in values {
            let v = (*value)?;
            if v < 0.0 || v.fract() != 0.0 || v > f64::from(u32::MAX) {
                return None;
            }
            classes.insert(v as u32);
            if classes.len() > MAX_CLASSES {
                return None;
            }
        }
        Some(classes.into_iter().collect())
    }

    /// The map in [`class_colour`]s, laid over `input` (a picture of the same size, e.g. the
    /// IMAGE the pipeline read) when given: class 0 (background) leaves the input as it is, the
    /// other classes tint it. Without an input, class 0 is black.
    pub fn mask_to_rgba(&self, input: Option<&Rgba>) -> Option<Rgba> {
        let (h, w) = self.mask_shape()?;
        let Values::Numbers(values) = &self.values else { return None };
        let (w32, h32) = (u32::try_from(w).ok()?, u32::try_from(h).ok()?);
        let base = input.filter(|(bw, bh, bytes)| (*bw, *bh) == (w32, h32) && bytes.len() == w * h * 4);
        let mut rgba = Vec::with_capacity(w * h * 4);
        for (i, value) in values.iter().enumerate() {
            let class = value.unwrap_or(0.0) as u32;
            let colour = class_colour(class);
            match base {
                Some((_, _, under)) => {
                    let under = &under[i * 4..i * 4 + 3];
                    if class == 0 {
                        rgba.extend_from_slice(&[under[0], under[1], under[2], 255]);
                    } else {
                        let mix = |a: u8, b: u8| ((u16::from(a) * 2 + u16::from(b) * 3) / 5) as u8;
                        rgba.extend_from_slice(&[
                            mix(under[0], colour[0]),
                            mix(under[1], colour[1]),
                            mix(under[2], colour[2]),
                            255,
                        ]);
                    }
                }
                None => rgba.extend_from_slice(&[colour[0], colour[1], colour[2], 255]),
            }
        }
        Some((w32, h32, rgba))
    }
}

/// The colour of class `class` in segmentation maps: the PASCAL VOC palette (0 black, 1 dark
/// red, 2 dark green, …, 15 "person" pink), which DeepLab's classes are usually shown in.
pub fn class_colour(class: u32) -> [u8; 3] {
    let (mut r, mut g, mut b) = (0u8, 0u8, 0u8);
    let mut c = class;
    for shift in (0..8).rev() {
        r |= ((c & 1) as u8) << shift;
        g |= (((c >> 1) & 1) as u8) << shift;
        b |= (((c >> 2) & 1) as u8) << shift;
        c >>= 3;
    }
    [r, g, b]
}

/// Converts a finished run: each stage with its kind, time and tensors; out stages with what
/// they received.
pub fn run_result(run: &Run, manifest: &Manifest, load_ms: Option<f64>, run_ms: f64) -> RunResult {
    let stages = run
        .stages
        .iter()
        .map(|output| {
            let stage = manifest.stage(&output.stage);
            let (kind, detail) = stage.map_or(("stage", String::new()), |s| describe_stage(&s.kind));
            let received = run.outputs.iter().find(|o| o.stage == output.stage).map(|o| &o.tensors);
            let tensors = match (&stage.map(|s| &s.kind), received) {
                (Some(StageKind::Out(_)), Some(received)) => received,
                _ => &output.tensors,
            };
            StageResult {
                name: output.stage.clone(),
                kind: kind.to_string(),
                detail,
                elapsed_ms: output.elapsed_ms,
                tensors: tensors.iter().map(TensorView::from_tensor).collect(),
            }
        })
        .collect();
    RunResult { stages, warnings: run.warnings.clone(), serial: run.to_json().to_string(), load_ms, run_ms }
}

fn describe_stage(kind: &StageKind) -> (&'static str, String) {
    let detail = match kind {
        StageKind::Capability(kind) => kind.runefile_name().to_string(),
        StageKind::Model { file, .. } => file.clone(),
        StageKind::ProcBlock { block, .. } => block.clone(),
        StageKind::Out(kind) => kind.graph_name().to_string(),
    };
    (kind.word(), detail)
}

/// One input a pipeline needs: a capability stage, the kind of file it reads and which one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeededInput {
    pub stage: String,
    /// The capability as written (`FLOAT_IMAGE`).
    pub capability: &'static str,
    /// The kind of input it reads (`IMAGE` for FLOAT_IMAGE).
    pub kind: CapabilityKind,
    pub source: usize,
}

/// The inputs the manifest's capabilities read (RAND needs none). A `source` that is not a
/// number counts as 0 (the run reports the bad argument).
pub fn needed_inputs(manifest: &Manifest) -> Vec<NeededInput> {
    manifest
        .stages
        .iter()
        .filter_map(|stage| {
            let StageKind::Capability(capability) = stage.kind else { return None };
            let kind = input_kind(capability.runefile_name())?;
            if kind == CapabilityKind::Random {
                return None;
            }
            let source = stage.args.get("source").and_then(|s| s.trim().parse::<usize>().ok()).unwrap_or(0);
            Some(NeededInput { stage: stage.name.clone(), capability: capability.runefile_name(), kind, source })
        })
        .collect()
}

/// Why a pipeline cannot run with `available(kind)` inputs of each kind: one sentence per
/// missing input, naming the stage and the capability.
pub fn missing_inputs(manifest: &Manifest, available: impl Fn(CapabilityKind) -> usize) -> Vec<String> {
    needed_inputs(manifest)
        .into_iter()
        .filter(|need| need.source >= available(need.kind))
        .map(|need| {
            let what = accepted_files(need.kind).unwrap_or("an input");
            let which = if need.source == 0 {
                String::new()
            } else {
                format!(" (source {}: add {} of them)", need.source, need.source + 1)
            };
            format!(
                "Unable to load the \"{}\" input of \"{}\": add {what} in the Inputs panel{which}.",
                need.capability, need.stage
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_round_trip_through_json() {
        let view =
            TensorView::from_tensor(&Tensor::new(vec![1, 2], TensorData::F32(vec![0.5, f32::NAN])).expect("a tensor"));
        assert_eq!(view.values, Values::Numbers(vec![Some(0.5), None]));
        let result = RunResult {
            stages: vec![StageResult {
                name: "sine".into(),
                kind: "model".into(),
                detail: "./sine.tflite".into(),
                elapsed_ms: 1.5,
                tensors: vec![view],
            }],
            warnings: vec![],
            serial: "{}".into(),
            load_ms: None,
            run_ms: 2.0,
        };
        for reply in [
            Reply::Ready,
            Reply::Status { id: 3, phase: Phase::Loading },
            Reply::Done { id: 3, result },
            Reply::Failed { id: 4, failure: RunFailure::new(Some("x".into()), "boom") },
        ] {
            assert_eq!(Reply::from_json(&reply.to_json()), Ok(reply));
        }
        assert!(Reply::from_json("{").is_err());
    }

    #[test]
    fn numeric_tensors_travel_in_buffers_of_their_own_type() {
        let tensors = [
            Tensor::new(vec![1, 2, 2, 3], TensorData::U8((0..12).map(|i| i * 21).collect())).expect("u8"),
            Tensor::vector(TensorData::I8(vec![-128, -1, 0, 127])),
            Tensor::vector(TensorData::U16(vec![0, 65535])),
            Tensor::vector(TensorData::I16(vec![-32768, 7])),
            Tensor::vector(TensorData::U32(vec![u32::MAX, 3])),
            Tensor::vector(TensorData::I32(vec![i32::MIN, -5])),
            Tensor::vector(TensorData::F32(vec![0.25, f32::NAN, f32::NEG_INFINITY, -1e30])),
            Tensor::vector(TensorData::I64(vec![-(1 << 40), 9])),
            Tensor::vector(TensorData::F64(vec![0.1, f64::INFINITY])),
            Tensor::vector(TensorData::Utf8(vec!["red".into(), "blue".into()])),
            Tensor::vector(TensorData::F32(vec![])),
        ];
        let views: Vec<TensorView> = tensors.iter().map(TensorView::from_tensor).collect();
        let result = RunResult {
            stages: vec![
                StageResult {
                    name: "a".into(),
                    kind: "model".into(),
                    detail: "./m.tflite".into(),
                    elapsed_ms: 1.0,
                    tensors: views[..5].to_vec(),
                },
                StageResult {
                    name: "b".into(),
                    kind: "proc-block".into(),
                    detail: "label".into(),
                    elapsed_ms: 2.0,
                    tensors: views[5..].to_vec(),
                },
            ],
            warnings: vec!["w".into()],
            serial: "{}".into(),
            load_ms: Some(3.0),
            run_ms: 4.0,
        };
        let done = Reply::Done { id: 9, result };
        let (json, buffers) = done.clone().to_message();
        // Ten numeric tensors, each in its own type's width; no number in the JSON.
        let widths: Vec<usize> = buffers.iter().map(Vec::len).collect();
        assert_eq!(widths, vec![12, 4, 4, 4, 8, 8, 16, 16, 16, 0]);
        assert_eq!(buffers[0], (0..12).map(|i| i * 21).collect::<Vec<u8>>());
        assert!(!json.contains("252") && !json.contains("0.25") && json.contains(r#""packed":6"#), "{json}");
        assert_eq!(Reply::from_message(&json, buffers.clone()), Ok(done));
        // Replies without tensors are plain JSON, as before.
        let status = Reply::Status { id: 9, phase: Phase::Running };
        assert_eq!(status.clone().to_message(), (status.to_json(), vec![]));
        assert_eq!(Reply::from_message(&status.to_json(), vec![]), Ok(status));
        // A missing buffer, or one that is not whole values, is an error, not a panic.
        let err = Reply::from_message(&json, buffers[..3].to_vec()).expect_err("missing");
        assert!(err.contains("tensor buffer 3 is missing"), "{err}");
        let mut short = buffers.clone();
        short[6].pop();
        let err = Reply::from_message(&json, short).expect_err("short");
        assert!(err.contains("buffer 6 has 15 bytes"), "{err}");
        let mut long = buffers;
        long[0].push(0);
        let err = Reply::from_message(&json, long).expect_err("long");
        assert!(err.contains("13 values of a tensor of 12"), "{err}");
    }

    #[test]
    fn class_maps_are_drawn_in_the_voc_palette_over_the_input() {
        assert_eq!(class_colour(0), [0, 0, 0]);
        assert_eq!(class_colour(1), [128, 0, 0]);
        assert_eq!(class_colour(2), [0, 128, 0]);
        assert_eq!(class_colour(15), [192, 128, 128]);
        // A 4×4 map: background with a 2×2 "person" (15) in the middle.
        let mut classes = vec![0u32; 16];
        for i in [5, 6, 9, 10] {
            classes[i] = 15;
        }
        let map = TensorView::from_tensor(&Tensor::new(vec![4, 4], TensorData::U32(classes)).expect("a map"));
        assert_eq!(map.mask_shape(), Some((4, 4)));
        assert_eq!(map.mask_classes(), Some(vec![0, 15]));
        assert_eq!(map.image_shape(), None);
        let (w, h, alone) = map.mask_to_rgba(None).expect("a picture");
        assert_eq!((w, h), (4, 4));
        assert_eq!(&alone[..4], &[0, 0, 0, 255]);
        assert_eq!(&alone[5 * 4..5 * 4 + 4], &[192, 128, 128, 255]);
        // Over a grey input: the background shows the input, the person tints it.
        let input: Rgba = (4, 4, [100, 100, 100, 255].repeat(16));
        let (_, _, over) = map.mask_to_rgba(Some(&input)).expect("a picture");
        assert_eq!(&over[..4], &[100, 100, 100, 255]);
        assert_eq!(&over[5 * 4..5 * 4 + 4], &[155, 116, 116, 255]);
        // An input of another size is not used.
        let small: Rgba = (2, 2, [100, 100, 100, 255].repeat(4));
        assert_eq!(map.mask_to_rgba(Some(&small)).map(|p| p.2), Some(alone));
        // Not class maps: floats, too small, scores.
        let floats = Tensor::new(vec![4, 4], TensorData::F32(vec![0.5; 16])).expect("floats");
        assert_eq!(TensorView::from_tensor(&floats).mask_shape(), None);
        let tiny = Tensor::new(vec![2, 2], TensorData::U32(vec![0; 4])).expect("tiny");
        assert_eq!(TensorView::from_tensor(&tiny).mask_shape(), None);
        let many = Tensor::new(vec![32, 32], TensorData::U32((0..1024).collect())).expect("many");
        assert_eq!(TensorView::from_tensor(&many).mask_shape(), None);
    }

    #[test]
    fn the_loader_scripts_messages_are_replies() {
        // app/worker-loader.js posts these (JSON.stringify of its object literals).
        let loader = include_str!("../worker-loader.js");
        assert!(loader.contains(r#"JSON.stringify({ type: "fetching", loaded, total })"#));
        assert!(loader.contains(r#"JSON.stringify({ type: "unavailable", message })"#));
        assert_eq!(
            Reply::from_json(r#"{"type":"fetching","loaded":1024,"total":4096}"#),
            Ok(Reply::Fetching { loaded: 1024, total: 4096 })
        );
        assert_eq!(
            Reply::from_json(r#"{"type":"unavailable","message":"HTTP 404"}"#),
            Ok(Reply::Unavailable { message: "HTTP 404".into() })
        );
    }

    #[test]
    fn large_tensors_are_capped_and_pictures_recognised() {
        let big = Tensor::vector(TensorData::U8(vec![7; MAX_VALUES + 10]));
        let view = TensorView::from_tensor(&big);
        assert!(view.is_truncated());
        assert_eq!(view.len, MAX_VALUES + 10);

        let red = Tensor::new(vec![1, 4, 4, 3], TensorData::U8([255, 0, 0].repeat(16))).expect("an image");
        let view = TensorView::from_tensor(&red);
        assert_eq!(view.image_shape(), Some((4, 4, 3)));
        let (w, h, rgba) = view.to_rgba().expect("rgba");
        assert_eq!((w, h, rgba.len()), (4, 4, 64));
        assert_eq!(&rgba[..4], &[255, 0, 0, 255]);
        let grey = Tensor::new(vec![4, 4, 1], TensorData::F32(vec![0.5; 16])).expect("an image");
        assert_eq!(
            TensorView::from_tensor(&grey).to_rgba().map(|(_, _, p)| p[..4].to_vec()),
            Some(vec![128, 128, 128, 255])
        );
        let scores = Tensor::new(vec![1, 4], TensorData::U8(vec![0; 4])).expect("scores");
        assert_eq!(TensorView::from_tensor(&scores).image_shape(), None);
        assert_eq!(TensorView::from_tensor(&scores).type_text(), "u8[1, 4]");
    }

    #[test]
    fn missing_inputs_name_the_capability_and_stage() {
        let manifest = Manifest {
            stages: vec![runtime::Stage {
                name: "image".into(),
                kind: StageKind::Capability(CapabilityKind::FloatImage),
                args: [("source".to_string(), "1".to_string())].into_iter().collect(),
                inputs: vec![],
                outputs: vec![],
            }],
            ..Manifest::default()
        };
        let missing = missing_inputs(&manifest, |_| 1);
        assert_eq!(
            missing,
            vec![
                "Unable to load the \"FLOAT_IMAGE\" input of \"image\": add an image (PNG, JPEG, WebP, GIF or BMP) in the Inputs panel (source 1: add 2 of them)."
                    .to_string()
            ]
        );
        assert!(missing_inputs(&manifest, |kind| if kind == CapabilityKind::Image { 2 } else { 0 }).is_empty());
        assert!(missing_input_hint("SOUND").contains("a WAV file"));
    }
}
