//! Writes fuzzing seeds into `<dir>/artifact` and `<dir>/tflite`: the artifacts of the passing
//! fixtures and the generated fixture models.
#![allow(clippy::unwrap_used)]

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: fuzz_seeds DIR"));
    std::fs::create_dir_all(dir.join("artifact")).unwrap();
    std::fs::create_dir_all(dir.join("tflite")).unwrap();
    let files = rune_tests::models::fixture_files();
    for path in files.paths().filter(|p| p.ends_with(".tflite")) {
        std::fs::write(dir.join("tflite").join(path.replace('/', "_")), files.get(path).unwrap()).unwrap();
    }
    let fixtures = rune_tests::workspace_root().join("tests/runefiles/compile-pass");
    for entry in std::fs::read_dir(fixtures).unwrap() {
        let path = entry.unwrap().path();
        let source = std::fs::read_to_string(&path).unwrap();
        let compilation = compiler::compile(&source, "seed", &files);
        if let Ok(bytes) = compilation.to_bytes(runtime::BuildInfo::playground(None)) {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            std::fs::write(dir.join("artifact").join(format!("{name}.rune")), bytes).unwrap();
        }
    }
}
