//! Every input kept in `fuzz/regressions/<target>/` (hostile inputs written by hand, and any
//! crasher a fuzz run found, once fixed) goes through the same check as its fuzz target
//! (`fuzz/checks.rs`), so none of them can come back. Runs natively, without cargo-fuzz.
#[path = "../../fuzz/checks.rs"]
mod checks;

use std::path::PathBuf;

fn regressions() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions")
}

#[test]
fn every_kept_input_passes_its_fuzz_targets_check() {
    for (target, check) in checks::TARGETS {
        let dir = regressions().join(target);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.is_file())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no kept inputs for {target} in {}", dir.display());
        for file in files {
            let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            println!("{target}: {}", file.display());
            check(&bytes);
        }
    }
}
