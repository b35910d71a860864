//! Writes the files the playground's end-to-end tests upload into `DIR` (scripts/e2e.sh):
//! `colours.tflite`, the colour classifier the "colours" example uses (32×32 RGB → 4 classes).
#![allow(clippy::unwrap_used)]

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: e2e_fixtures DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("colours.tflite"), runtime::samples::colour_classifier(32, 32, 4)).unwrap();
}
