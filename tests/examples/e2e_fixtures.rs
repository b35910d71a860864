//! Writes the files the playground's end-to-end tests use into `DIR` (scripts/e2e.sh):
//! - `colours.tflite`, the colour classifier the "colours" example uses (32×32 RGB → 4 classes);
//! - `colours.rune`, the colours example (app/examples/colours.yml) built with that model, and
//!   `colours.inspect.txt`, what `rune inspect` prints for it;
//! - `junk.rune` (not a Rune at all) and `bad-model.rune` (a Rune whose model is not TFLite).
#![allow(clippy::unwrap_used)]

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: e2e_fixtures DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let model = runtime::samples::colour_classifier(32, 32, 4);
    std::fs::write(dir.join("colours.tflite"), &model).unwrap();

    let source = include_str!("../../app/examples/colours.yml");
    let mut files = compiler::MemoryFiles::new();
    files.insert("colours.tflite", model);
    let compilation = compiler::compile(source, "colours", &files);
    let build = runtime::BuildInfo::playground(Some("2026-01-01".to_string()));
    let artifact = compilation.artifact(build).unwrap();
    std::fs::write(dir.join("colours.rune"), artifact.to_bytes()).unwrap();
    std::fs::write(dir.join("colours.inspect.txt"), artifact.describe()).unwrap();

    std::fs::write(dir.join("junk.rune"), b"#!/bin/sh\necho this is not a rune\n").unwrap();
    let mut bad = artifact;
    for bytes in bad.models.values_mut() {
        bytes.truncate(24);
    }
    std::fs::write(dir.join("bad-model.rune"), bad.to_bytes()).unwrap();
}
