//! Parser + checker + renderers on arbitrary text: must never panic, and every diagnostic span
//! must lie inside the text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    let mut files = compiler::MemoryFiles::new();
    files.insert("sine.tflite", runtime::samples::sine_model());
    let compilation = compiler::compile(&source, "fuzz", &files);
    let index = compiler::LineIndex::new(&source);
    for d in compilation.diagnostics.iter() {
        for label in &d.labels {
            assert!(label.span.start <= label.span.end && label.span.end as usize <= source.len(), "span outside the text");
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
});
