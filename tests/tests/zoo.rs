//! Every Runefile in `../shared/zoo` either builds, or gets at least one error diagnostic with a
//! location (line and column). Prints a table of the results.
#![allow(clippy::unwrap_used)]
use std::path::{Path, PathBuf};

use compiler::LineIndex;
use rune_cli::DiskFiles;
use rune_tests::{shared_dir, skip_notice};
use runtime::{Artifact, BuildInfo};

fn runefiles(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            runefiles(&path, out);
        } else if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("Runefile")) {
            out.push(path);
        }
    }
}

#[test]
fn every_zoo_runefile_builds_or_gets_a_located_diagnostic() {
    let Some(shared) = shared_dir() else {
        skip_notice("zoo Runefiles");
        return;
    };
    let zoo = shared.join("zoo");
    let mut files = Vec::new();
    runefiles(&zoo, &mut files);
    let mut built = 0;
    let mut problems = Vec::new();
    println!("{:<44} result", "Runefile");
    for path in &files {
        let source = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        let dir = path.parent().unwrap();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let compilation = compiler::compile(&source, &name, &DiskFiles::new(dir));
        let rel = path.strip_prefix(&zoo).unwrap().display().to_string();
        let index = LineIndex::new(&source);
        if compilation.has_errors() {
            let first = compilation.diagnostics.iter().find(|d| d.is_error()).unwrap();
            let Some(span) = first.primary_span() else {
                problems.push(format!("{rel}: error without a location: {}", first.message));
                continue;
            };
            let pos = index.position(span.start);
            let errors = compilation.diagnostics.error_count();
            println!("{rel:<44} {errors} error(s); first at {}:{}: {}", pos.line, pos.column, first.message);
            for d in compilation.diagnostics.iter().filter(|d| d.is_error()) {
                if d.primary_span().is_none() {
                    problems.push(format!("{rel}: error without a location: {}", d.message));
                }
            }
        } else {
            let bytes = compilation.to_bytes(BuildInfo::playground(None)).unwrap();
            let read = Artifact::from_bytes(&bytes).unwrap();
            assert_eq!(read.manifest, compilation.manifest().unwrap(), "{rel}: round trip");
            built += 1;
            let warnings = compilation.diagnostics.len();
            println!("{rel:<44} builds ({} bytes, {warnings} warning(s))", bytes.len());
        }
    }
    println!("zoo: {built} of {} Runefiles build", files.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(built >= 8, "only {built} zoo Runefiles build");
}
