//! The project's own fixture suite: `tests/runefiles/compile-{pass,fail}/*.yml` with expected
//! diagnostics written inside them (see `rune_tests::annotations`), golden DOT/SVG/inspect
//! outputs in `tests/ref/`, and an artifact round trip for every passing fixture.
#![allow(clippy::unwrap_used)]
use std::path::PathBuf;

use rune_tests::{annotations, assert_golden, models, workspace_root};
use runtime::{Artifact, BuildInfo};

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = workspace_root().join("tests/runefiles").join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

fn stem(path: &std::path::Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

fn compile(path: &std::path::Path) -> (String, compiler::Compilation) {
    let source = std::fs::read_to_string(path).unwrap();
    let compilation = compiler::compile(&source, &stem(path), &models::fixture_files());
    (source, compilation)
}

fn check_annotations(kind: &str) -> usize {
    let mut failures = Vec::new();
    let files = fixtures(kind);
    for path in &files {
        let (source, compilation) = compile(path);
        let expected = annotations::parse(&source);
        let problems = annotations::check(&expected, &compilation.diagnostics.0);
        if kind == "compile-fail" && !compilation.has_errors() {
            failures.push(format!("{}: expected at least one error", path.display()));
        }
        if kind == "compile-pass" && compilation.has_errors() {
            failures.push(format!("{}: expected no errors", path.display()));
        }
        if !problems.is_empty() {
            let rendered = compiler::render::render(&compilation.diagnostics.0, &stem(path), &source);
            failures.push(format!("{}:\n  {}\n--- rendered:\n{rendered}", path.display(), problems.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    files.len()
}

#[test]
fn compile_fail_fixtures_report_exactly_the_annotated_diagnostics() {
    let n = check_annotations("compile-fail");
    println!("{n} compile-fail fixtures passed");
}

#[test]
fn compile_pass_fixtures_build_with_exactly_the_annotated_warnings() {
    let n = check_annotations("compile-pass");
    println!("{n} compile-pass fixtures passed");
}

#[test]
fn golden_outputs_of_passing_fixtures() {
    for path in fixtures("compile-pass") {
        let (source, compilation) = compile(&path);
        let name = stem(&path);
        assert_golden(&format!("{name}.dot"), &compiler::dot::to_dot(&compilation.graph));
        assert_golden(&format!("{name}.svg"), &compiler::svg::to_svg(&compilation.graph));
        let artifact = compilation.artifact(BuildInfo::playground(None)).unwrap();
        assert_golden(&format!("{name}.inspect.txt"), &artifact.describe());
        let rendered = compiler::render::render(&compilation.diagnostics.0, &format!("{name}.yml"), &source);
        assert_golden(&format!("{name}.diagnostics.txt"), &rendered);
    }
    for path in fixtures("compile-fail") {
        let (source, compilation) = compile(&path);
        let name = stem(&path);
        let rendered = compiler::render::render(&compilation.diagnostics.0, &format!("{name}.yml"), &source);
        assert_golden(&format!("{name}.diagnostics.txt"), &rendered);
    }
}

#[test]
fn artifacts_round_trip() {
    for path in fixtures("compile-pass") {
        let (_, compilation) = compile(&path);
        let artifact = compilation.artifact(BuildInfo::playground(Some("2026-11-24".into()))).unwrap();
        let bytes = artifact.to_bytes();
        let read = Artifact::from_bytes(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(read, artifact, "{}", path.display());
        assert_eq!(read.manifest, compilation.manifest().unwrap());
        // The drawing of the read-back pipeline is the drawing of the compiled one (spans aside).
        let redrawn = compiler::dot::to_dot(&compiler::Graph::from_manifest(&read.manifest));
        assert_eq!(redrawn, compiler::dot::to_dot(&compilation.graph), "{}", path.display());
    }
}
