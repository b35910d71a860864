//! `rune run`: the original project's run cases (`../shared/conformance/run-{pass,fail}`) through
//! the CLI as the original harness did, and this project's own runs of fixture pipelines.
#![allow(clippy::unwrap_used)]
use std::path::{Path, PathBuf};

use rune_tests::{
    conformance_cases, models, reduce_precision, rune, shared_dir, skip_notice, temp_dir, workspace_root,
};
use runtime::host::{FixedHost, Input};
use runtime::pipeline::Pipeline;
use runtime::{Artifact, BuildInfo, CapabilityKind, TensorData};

fn run_case(case: &Path, family: &str) -> Result<(), String> {
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let out_dir = temp_dir(&format!("run-{name}"));
    let rune_file = out_dir.join(format!("{name}.rune"));
    let build = rune(&["build".as_ref(), case.join("Runefile.yml").as_os_str(), "-o".as_ref(), rune_file.as_os_str()]);
    if build.code != 0 {
        return Err(format!("{name}: the build failed:\n{}", build.stderr));
    }
    let mut args: Vec<std::ffi::OsString> = vec!["run".into(), rune_file.into()];
    let mut files: Vec<PathBuf> = std::fs::read_dir(case).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for file in files {
        let flag = match file.extension().and_then(|e| e.to_str()) {
            Some("png" | "jpg") => "--image",
            Some("wav") => "--sound",
            Some("csv") => "--accelerometer",
            Some("bin") => "--raw",
            _ => continue,
        };
        args.push(flag.into());
        args.push(file.into());
    }
    let out = rune(&args);
    let should_pass = family == "run-pass";
    if should_pass != (out.code == 0) {
        return Err(format!("{family}/{name}: exit status {}\n{}", out.code, out.stderr));
    }
    for file in std::fs::read_dir(case).unwrap().map(|e| e.unwrap().path()) {
        let stream = match file.extension().and_then(|e| e.to_str()) {
            Some("stderr") => &out.stderr,
            Some("stdout") => &out.stdout,
            _ => continue,
        };
        let expected = reduce_precision(std::fs::read_to_string(&file).unwrap().trim());
        // The original printed this line only with RUST_LOG=debug, which its harness always set.
        if expected.starts_with("Running rune:") {
            continue;
        }
        if !reduce_precision(stream).contains(&expected) {
            return Err(format!("{family}/{name}: {} not found:\n{expected}\n--- output:\n{stream}", file.display()));
        }
    }
    Ok(())
}

#[test]
fn original_run_cases() {
    let Some(shared) = shared_dir() else {
        skip_notice("conformance run cases");
        return;
    };
    let (mut passed, mut failures) = (0, Vec::new());
    for family in ["run-pass", "run-fail"] {
        for case in conformance_cases(&shared, family) {
            match run_case(&case, family) {
                Ok(()) => passed += 1,
                Err(e) => failures.push(e),
            }
        }
    }
    println!("conformance run cases: {passed} passed, {} failed", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(passed >= 8, "only {passed} run cases ran");
}

fn artifact_of(fixture: &str) -> Artifact {
    let source = std::fs::read_to_string(workspace_root().join("tests/runefiles/compile-pass").join(fixture)).unwrap();
    compiler::compile(&source, "fixture", &models::fixture_files()).artifact(BuildInfo::playground(None)).unwrap()
}

#[test]
fn tuple_inputs_and_outputs_flow_through_identity() {
    let artifact = artifact_of("multiple-inputs-and-outputs.yml");
    let mut pipeline = Pipeline::new(&artifact, &runtime::model::NoModels).unwrap();
    let mut host = FixedHost::new(42);
    let run = pipeline.run(&mut host).unwrap();
    let [record] = run.outputs.as_slice() else { panic!("{:?}", run.outputs) };
    assert_eq!(record.stage, "debug_output");
    assert_eq!(record.host_id, 2, "RAND is 1, the serial output 2");
    let [mod360, rand, rand_again] = record.tensors.as_slice() else { panic!() };
    assert_eq!(rand, rand_again);
    let (TensorData::F32(m), TensorData::F32(r)) = (mod360.data(), rand.data()) else { panic!() };
    let expected = if r[0].is_finite() { r[0] % 360.0 } else { f32::NAN };
    assert!(m[0] == expected || (m[0].is_nan() && expected.is_nan()), "{m:?} vs {r:?}");
    // Same seed, same run.
    let again = Pipeline::new(&artifact, &runtime::model::NoModels).unwrap().run(&mut FixedHost::new(42)).unwrap();
    assert_eq!(again.outputs, run.outputs);
    assert_eq!(
        run.stages.iter().map(|s| s.stage.as_str()).collect::<Vec<_>>(),
        ["rand", "mod360", "identity", "debug_output"]
    );
}

#[test]
fn label_maps_a_csv_label_map_by_id() {
    let source = "version: 1\nimage: x\npipeline:\n  idx:\n    capability: RAW\n    outputs: [{type: u8, dimensions: [3]}]\n  label:\n    proc-block: hotg-ai/proc-blocks@v0.11.3#label\n    inputs: [idx]\n    outputs: [{type: utf8, dimensions: [3]}]\n    args:\n      wordlist: $LABELS\n  serial:\n    out: serial\n    inputs: [label]\nresources:\n  LABELS:\n    path: ./aiy_food_V1_labelmap.csv\n";
    let artifact =
        compiler::compile(source, "labels", &models::fixture_files()).artifact(BuildInfo::playground(None)).unwrap();
    let mut pipeline = Pipeline::new(&artifact, &runtime::model::NoModels).unwrap();
    let mut host = FixedHost::new(1).with(CapabilityKind::Raw, Input::Bytes(vec![1, 5, 6]));
    let run = pipeline.run(&mut host).unwrap();
    assert_eq!(
        run.to_json().to_string(),
        r#"{"3":[{"element_type":"utf8","dimensions":[3],"elements":["Tomato_soup","Dish_5","Dish_6"]}]}"#
    );
}

#[test]
fn a_missing_input_names_the_capability() {
    let dir = temp_dir("missing-input");
    let raw =
        "version: 1\nimage: x\npipeline:\n  input:\n    capability: RAW\n    outputs: [{type: f32, dimensions: [1]}]\n";
    std::fs::write(dir.join("Runefile.yml"), raw).unwrap();
    let out_path = dir.join("raw.rune");
    assert_eq!(
        rune(&["build".as_ref(), dir.join("Runefile.yml").as_os_str(), "-o".as_ref(), out_path.as_os_str()]).code,
        0
    );
    let out = rune(&["run".as_ref(), out_path.as_os_str()]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("Error: Unable to load the \"RAW\" input"), "{}", out.stderr);
    assert!(out.stderr.contains("The user asked for source 0, but no sources were provided"), "{}", out.stderr);
}

#[test]
fn image_files_feed_float_image_capabilities() {
    let dir = temp_dir("float-image");
    let runefile = "version: 1\nimage: x\npipeline:\n  img:\n    capability: FLOAT_IMAGE\n    outputs: [{type: f32, dimensions: [1, 2, 2, 3]}]\n    args: {width: 2, height: 2}\n  out:\n    out: serial\n    inputs: [img]\n";
    std::fs::write(dir.join("Runefile.yml"), runefile).unwrap();
    let img = image::RgbImage::from_pixel(4, 4, image::Rgb([255, 0, 0]));
    img.save(dir.join("red.png")).unwrap();
    let rune_path = dir.join("f.rune");
    let build = rune(&["build".as_ref(), dir.join("Runefile.yml").as_os_str(), "-o".as_ref(), rune_path.as_os_str()]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let out = rune(&["run".as_ref(), rune_path.as_os_str(), "--image".as_ref(), dir.join("red.png").as_os_str()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let head: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    let values: Vec<f64> = head["2"][0]["elements"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(values, [1.0, 0.0, 0.0].repeat(4));
}
