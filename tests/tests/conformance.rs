//! The original project's compile cases (`../shared/conformance/compile-{pass,fail}`), run through
//! the CLI exactly as the original harness did: expected `.stderr`/`.stdout` files are substrings
//! of the output (after `reduce_precision`), `*-pass` exits 0 and `*-fail` exits non-zero.
#![allow(clippy::unwrap_used)]
use std::path::Path;

use rune_tests::{conformance_cases, reduce_precision, rune, shared_dir, skip_notice, temp_dir};

fn run_case(case: &Path, family: &str, out_dir: &Path) -> Result<(), String> {
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let output = out_dir.join(format!("{name}.rune"));
    let runefile = case.join("Runefile.yml");
    let repo = rune_tests::workspace_root();
    let out = rune(&[
        "--unstable".as_ref(),
        "--colour=never".as_ref(),
        "--rune-repo-dir".as_ref(),
        repo.as_os_str(),
        "build".as_ref(),
        runefile.as_os_str(),
        "--debug".as_ref(),
        "--colour=never".as_ref(),
        "--cache-dir".as_ref(),
        out_dir.as_os_str(),
        "-o".as_ref(),
        output.as_os_str(),
    ]);
    let should_pass = family.ends_with("-pass");
    if should_pass != (out.code == 0) {
        return Err(format!(
            "{family}/{name}: exit status {} ({})\n{}",
            out.code,
            if should_pass { "expected 0" } else { "expected failure" },
            out.stderr
        ));
    }
    let stderr = reduce_precision(&out.stderr);
    let stdout = reduce_precision(&out.stdout);
    let mut files: Vec<_> = std::fs::read_dir(case).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for file in files {
        let stream = match file.extension().and_then(|e| e.to_str()) {
            Some("stderr") => &stderr,
            Some("stdout") => &stdout,
            _ => continue,
        };
        let expected = reduce_precision(std::fs::read_to_string(&file).unwrap().trim());
        if !stream.contains(&expected) {
            return Err(format!(
                "{family}/{name}: {} not found in the output:\n{expected}\n--- output:\n{stream}",
                file.display()
            ));
        }
    }
    if should_pass {
        let bytes = std::fs::read(&output).map_err(|e| format!("{name}: no artifact: {e}"))?;
        runtime::Artifact::from_bytes(&bytes).map_err(|e| format!("{name}: the artifact does not read back: {e}"))?;
    }
    Ok(())
}

/// Copies `src` into `dst` recursively.
fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let target = dst.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// `shared/examples` is a git symlink that may be checked out as a text file holding its target
/// (`zoo/examples`). Cases reach it as `../../../examples/...`, so mirror the cases into a temp
/// folder next to a real `examples` link.
fn mirror(shared: &Path) -> rune_tests::TempDir {
    let root = temp_dir("conformance-mirror");
    let link = shared.join("examples");
    let target = if link.is_file() {
        shared.join(std::fs::read_to_string(&link).unwrap().trim())
    } else {
        link.canonicalize().unwrap()
    };
    std::os::unix::fs::symlink(target, root.join("examples")).unwrap();
    copy_tree(&shared.join("conformance"), &root.join("conformance"));
    root
}

#[test]
fn original_compile_cases() {
    let Some(shared) = shared_dir() else {
        skip_notice("conformance compile cases");
        return;
    };
    let out_dir = temp_dir("conformance");
    let shared = mirror(&shared);
    let mut passed = 0;
    let mut failures = Vec::new();
    for family in ["compile-pass", "compile-fail"] {
        for case in conformance_cases(&shared, family) {
            match run_case(&case, family, &out_dir) {
                Ok(()) => passed += 1,
                Err(e) => failures.push(e),
            }
        }
    }
    println!("conformance compile cases: {passed} passed, {} failed", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(passed, 16, "expected the 10 compile-fail and 6 compile-pass cases");
}
