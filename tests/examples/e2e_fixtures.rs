//! Writes the files the playground's end-to-end tests use into `DIR` (scripts/e2e.sh):
//! - `colours.tflite`, the colour classifier the "colours" example uses (32×32 RGB → 4 classes);
//! - `colours.rune`, the colours example (app/examples/colours.yml) built with that model, and
//!   `colours.inspect.txt`, what `rune inspect` prints for it;
//! - `colours-project.zip` and the folder `colours-project/`: the colours example as a Rune
//!   project (`colours/Runefile.yml` + `colours/colours.tflite`);
//! - `junk.rune` (not a Rune at all) and `bad-model.rune` (a Rune whose model is not TFLite).
//! - `red.y4m`, a few 160×120 frames of solid red for Chromium's fake camera
//!   (`--use-file-for-fake-video-capture`), which the classifier names "red".
#![allow(clippy::unwrap_used)]

/// A YUV4MPEG2 (4:2:0) video of `frames` frames of one colour, given as BT.601 limited-range
/// Y, Cb, Cr (what Chromium's fake capture device reads).
fn y4m(width: usize, height: usize, frames: usize, [y, u, v]: [u8; 3]) -> Vec<u8> {
    let mut out = format!("YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    let chroma = width.div_ceil(2) * height.div_ceil(2);
    for _ in 0..frames {
        out.extend_from_slice(b"FRAME\n");
        out.extend(std::iter::repeat_n(y, width * height));
        out.extend(std::iter::repeat_n(u, chroma));
        out.extend(std::iter::repeat_n(v, chroma));
    }
    out
}

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: e2e_fixtures DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let model = runtime::samples::colour_classifier(32, 32, 4);
    std::fs::write(dir.join("colours.tflite"), &model).unwrap();

    let source = include_str!("../../app/examples/colours.yml");
    let mut files = compiler::MemoryFiles::new();
    files.insert("colours.tflite", model.clone());
    let compilation = compiler::compile(source, "colours", &files);
    let build = runtime::BuildInfo::playground(Some("2026-01-01".to_string()));
    let artifact = compilation.artifact(build).unwrap();
    std::fs::write(dir.join("colours.rune"), artifact.to_bytes()).unwrap();
    std::fs::write(dir.join("colours.inspect.txt"), artifact.describe()).unwrap();

    let project = [("colours/Runefile.yml", source.as_bytes().to_vec()), ("colours/colours.tflite", model.clone())];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in &project {
        zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut zip, bytes).unwrap();
        let path = dir.join("colours-project").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    std::fs::write(dir.join("colours-project.zip"), zip.finish().unwrap().into_inner()).unwrap();

    std::fs::write(dir.join("junk.rune"), b"#!/bin/sh\necho this is not a rune\n").unwrap();
    let mut bad = artifact;
    for bytes in bad.models.values_mut() {
        bytes.truncate(24);
    }
    std::fs::write(dir.join("bad-model.rune"), bad.to_bytes()).unwrap();

    // Y 81, Cb 90, Cr 240 ≈ RGB (254, 0, 0).
    std::fs::write(dir.join("red.y4m"), y4m(160, 120, 5, [81, 90, 240])).unwrap();
}
