//! What each fuzz target checks, one function per target. Shared (by `#[path]`) by the fuzz
//! targets in `fuzz_targets/` and by the native test `tests/tests/fuzz_regressions.rs`, which runs
//! every input kept in `fuzz/regressions/<target>/` through the same function: a crasher, once
//! fixed, stays fixed. Each function panics when the check fails.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::type_complexity)]
use indexmap::IndexMap;
use runtime::capability::Capability;
use runtime::host::{FixedHost, Input};
use runtime::model::Model;
use runtime::tract::TractModel;
use runtime::{CapabilityKind, ElementType, Tensor, TensorType};

/// The targets, by name (the folders of `fuzz/regressions/`), with their check.
pub const TARGETS: [(&str, fn(&[u8])); 5] = [
    ("runefile", runefile),
    ("artifact", artifact),
    ("tflite", tflite),
    ("importer", importer),
    ("capabilities", capabilities),
];

/// Parser + checker + renderers on arbitrary text: must never panic, and every diagnostic span
/// must lie inside the text.
pub fn runefile(data: &[u8]) {
    let source = String::from_utf8_lossy(data);
    let mut files = compiler::MemoryFiles::new();
    files.insert("sine.tflite", runtime::samples::sine_model());
    let compilation = compiler::compile(&source, "fuzz", &files);
    let index = compiler::LineIndex::new(&source);
    for d in compilation.diagnostics.iter() {
        for label in &d.labels {
            assert!(
                label.span.start <= label.span.end && label.span.end as usize <= source.len(),
                "span outside the text"
            );
            let _ = index.position(label.span.start);
        }
    }
    let _ = compiler::render::render(&compilation.diagnostics.0, "fuzz.yml", &source);
    let _ = compiler::dot::to_dot(&compilation.graph);
    let _ = compiler::svg::to_svg(&compilation.graph);
    if let Ok(bytes) = compilation.to_bytes(runtime::BuildInfo::playground(None)) {
        let read = runtime::Artifact::from_bytes(&bytes).expect("our own artifact reads back");
        assert_eq!(Ok(read.manifest), compilation.manifest());
    }
}

/// The `.rune` reader on arbitrary bytes: never panics; what it accepts writes back identically.
pub fn artifact(data: &[u8]) {
    if let Ok(artifact) = runtime::Artifact::from_bytes(data) {
        let again = runtime::Artifact::from_bytes(&artifact.to_bytes()).expect("a re-written artifact reads back");
        assert_eq!(again, artifact);
    }
}

/// The TFLite reader on arbitrary bytes: never panics.
pub fn tflite(data: &[u8]) {
    if let Ok(info) = runtime::tflite::read_info(data) {
        for t in info.inputs.iter().chain(&info.outputs) {
            let _ = t.describe();
            let _ = t.tensor_type();
        }
    }
}

/// The TFLite engine (validation, import onto tract, optimisation, one run on zero inputs) on
/// arbitrary bytes: never panics; bad models are error values.
pub fn importer(data: &[u8]) {
    let Ok(mut model) = TractModel::load_as_declared(data) else { return };
    let Ok(info) = runtime::tflite::read_info(data) else { return };
    let mut inputs = Vec::new();
    for input in &info.inputs {
        let Some(ty) = input.tensor_type() else { return };
        let Some(tensor) = zeros(&ty) else { return };
        inputs.push(tensor);
    }
    let _ = model.run(&inputs);
}

/// The IMAGE, SOUND and ACCEL capabilities on arbitrary file bytes: decoding, resizing and
/// conversion never panic and respect the size limits.
/// Images the fuzz target decodes at most (claimed by their header): under the fuzzer's
/// instrumentation a real 50-megapixel photo takes tens of seconds to decode and resize, which
/// is slowness, not a bug, and would trip libFuzzer's timeout. The native replay of the
/// regression inputs (and the runtime's tests) decode every size the runtime accepts.
pub const FUZZ_MAX_PIXELS: u64 = 4_000_000;

/// The fuzz target's check: [`capabilities`], leaving IMAGE inputs over [`FUZZ_MAX_PIXELS`] to
/// the native tests.
pub fn capabilities_fuzzed(data: &[u8]) {
    capabilities_up_to(data, FUZZ_MAX_PIXELS);
}

pub fn capabilities(data: &[u8]) {
    capabilities_up_to(data, u64::MAX);
}

fn capabilities_up_to(data: &[u8], max_pixels: u64) {
    let huge =
        runtime::capability::image_dimensions(data).is_some_and(|(w, h)| u64::from(w) * u64::from(h) > max_pixels);
    let cases: [(CapabilityKind, &[(&str, &str)], TensorType); 4] = [
        (
            CapabilityKind::Image,
            &[("width", "16"), ("height", "12"), ("pixel_format", "@PixelFormat::RGB")],
            TensorType::new(ElementType::U8, vec![1, 12, 16, 3]),
        ),
        (
            CapabilityKind::Image,
            &[("width", "8"), ("height", "8"), ("pixel_format", "@PixelFormat::GrayScale")],
            TensorType::new(ElementType::U8, vec![1, 8, 8, 1]),
        ),
        (
            CapabilityKind::Sound,
            &[("hz", "16000"), ("sample_duration_ms", "100")],
            TensorType::new(ElementType::I16, vec![1, 1600]),
        ),
        (CapabilityKind::Accelerometer, &[("samples", "4")], TensorType::new(ElementType::F32, vec![1, 4, 3])),
    ];
    for (kind, args, output) in cases {
        if huge && kind == CapabilityKind::Image {
            continue;
        }
        let args: IndexMap<String, String> = args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let capability = Capability::new(kind, &args, output.clone());
        let mut host = FixedHost::new(0).with(kind, Input::Bytes(data.to_vec()));
        if let Ok(tensor) = capability.produce(&mut host, &mut Vec::new()) {
            assert_eq!(tensor.tensor_type().element_count(), output.element_count());
        }
    }
}

/// A tensor of zeros of `ty`, unless it is large (the fuzzer would spend its time allocating).
fn zeros(ty: &TensorType) -> Option<Tensor> {
    let bytes = vec![0u8; ty.byte_len().filter(|&n| n <= 1 << 18)?];
    let data = runtime::TensorData::from_le_bytes(ty.element_type, &bytes)?;
    Tensor::new(ty.dimensions.clone(), data).ok()
}
