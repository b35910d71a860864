//! Differential test of the tract importer against the reference TensorFlow Lite interpreter.
//!
//! Set `RUNE_REFERENCE_PYTHON` to a Python with `ai_edge_litert` and `numpy`
//! (`python3 -m venv /tmp/litert && /tmp/litert/bin/pip install ai-edge-litert numpy`); without
//! it, or without `../shared/zoo`, the test prints a notice and passes. `RUNE_REFERENCE_RESOLVER`
//! picks the reference kernels (`builtin`, the default, `ref` or `xnnpack`).
//!
//! For every distinct `.tflite` in the zoo, the test builds deterministic inputs (the sample image
//! next to the model, resized, for image inputs; seeded random values otherwise), runs
//! `tests/differential/reference.py` and this project's engine on the same bytes, and compares:
//! - quantized outputs within 1 quantization step;
//! - float outputs within 1e-4 of the output's range, or within 1 step of the quantized tensor a
//!   `DEQUANTIZE` output comes from;
//! - for classifier-shaped outputs (`[1, …, N]`), the same top-1 (or one tied with it in the
//!   reference).
//!
//! It prints a table model → result and fails on any mismatch.
//!
//! The engine's own unit-test models can be checked the same way: run the runtime's tests with
//! `RUNE_DUMP_MODELS=dir` (one thread), then `tests/differential/check_unit_models.py dir`.
#![allow(clippy::unwrap_used)]
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rune_tests::{Rng, shared_dir, temp_dir, workspace_root};
use runtime::model::ModelBackend;
use runtime::tflite::{self, OpCode, TensorKind, builtin};
use runtime::tract::TractBackend;
use runtime::{ElementType, ModelFormat, Tensor, TensorData, TensorType};

fn tflite_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            tflite_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "tflite") {
            out.push(path);
        }
    }
}

/// The first sample image in `dir`, else a fallback from the zoo.
fn sample_image(dir: &Path, zoo: &Path) -> Option<PathBuf> {
    let mut images: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| ["png", "jpg", "jpeg"].contains(&e.to_string_lossy().to_lowercase().as_str()))
        })
        .collect();
    images.sort();
    // handblower.png is all zeros and vase.jpeg tiny: prefer anything else.
    images.retain(|p| !p.ends_with("handblower.png"));
    images.first().cloned().or_else(|| Some(zoo.join("image/mushroom/mushroom.jpeg")).filter(|p| p.is_file()))
}

/// Bilinear resize of an RGBA image to `w`×`h`, as `channels` (1: luminance, 3: RGB) values.
fn resized_pixels(path: &Path, w: usize, h: usize, channels: usize) -> Vec<f64> {
    let img = runtime::capability::decode_image(&std::fs::read(path).unwrap()).unwrap();
    let (iw, ih) = (img.width() as usize, img.height() as usize);
    let px = |x: usize, y: usize, c: usize| f64::from(img.get_pixel(x as u32, y as u32).0[c]);
    let mut out = Vec::with_capacity(w * h * channels);
    for y in 0..h {
        for x in 0..w {
            let fy = ((y as f64 + 0.5) * ih as f64 / h as f64 - 0.5).clamp(0.0, (ih - 1) as f64);
            let fx = ((x as f64 + 0.5) * iw as f64 / w as f64 - 0.5).clamp(0.0, (iw - 1) as f64);
            let (y0, x0) = (fy.floor() as usize, fx.floor() as usize);
            let (y1, x1) = ((y0 + 1).min(ih - 1), (x0 + 1).min(iw - 1));
            let (dy, dx) = (fy - y0 as f64, fx - x0 as f64);
            let rgb: Vec<f64> = (0..3)
                .map(|c| {
                    px(x0, y0, c) * (1.0 - dy) * (1.0 - dx)
                        + px(x1, y0, c) * (1.0 - dy) * dx
                        + px(x0, y1, c) * dy * (1.0 - dx)
                        + px(x1, y1, c) * dy * dx
                })
                .collect();
            if channels == 1 {
                out.push((0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]).round());
            } else {
                out.extend(rgb.iter().map(|v| v.round()));
            }
        }
    }
    out
}

/// The element type a model tensor travels as.
fn element_type(kind: TensorKind) -> ElementType {
    match kind {
        TensorKind::Bool => ElementType::U8,
        other => other.element_type().unwrap(),
    }
}

/// Values (as f64) converted to tensor data of `ty`, saturating.
fn data_of(ty: ElementType, values: &[f64]) -> TensorData {
    match ty {
        ElementType::U8 => TensorData::U8(values.iter().map(|&v| v.clamp(0.0, 255.0) as u8).collect()),
        ElementType::I8 => TensorData::I8(values.iter().map(|&v| v.clamp(-128.0, 127.0) as i8).collect()),
        ElementType::I16 => TensorData::I16(values.iter().map(|&v| v as i16).collect()),
        ElementType::I32 => TensorData::I32(values.iter().map(|&v| v as i32).collect()),
        ElementType::I64 => TensorData::I64(values.iter().map(|&v| v as i64).collect()),
        ElementType::F32 => TensorData::F32(values.iter().map(|&v| v as f32).collect()),
        other => panic!("no test inputs of type {other}"),
    }
}

/// Deterministic inputs: the sample image for image inputs when `images`, seeded random values
/// otherwise. Also says whether an image was used.
fn make_inputs(path: &Path, zoo: &Path, info: &tflite::ModelInfo, images: bool) -> (Vec<Tensor>, String, bool) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let stem = path.file_stem().unwrap().to_string_lossy().to_lowercase();
    let mut tensors = Vec::new();
    let mut notes = Vec::new();
    let mut used_image = false;
    for input in &info.inputs {
        let shape: Vec<usize> = input.shape.clone().unwrap_or_default().iter().map(|&d| d as usize).collect();
        let n: usize = shape.iter().product();
        let ty = element_type(input.ty);
        let image = match shape.as_slice() {
            &[1, h, w, c] if h >= 32 && w >= 32 && (c == 1 || c == 3) => Some((h, w, c)),
            _ => None,
        };
        let sample = if images { sample_image(path.parent().unwrap(), zoo) } else { None };
        let values: Vec<f64> = match (image, sample) {
            (Some((h, w, c)), Some(img)) => {
                used_image = true;
                notes.push(img.file_name().unwrap().to_string_lossy().into_owned());
                let pixels = resized_pixels(&img, w, h, c);
                match ty {
                    ElementType::U8 => pixels,
                    ElementType::I8 => pixels.iter().map(|p| p - 128.0).collect(),
                    // Style models take [0, 1], the others [-1, 1].
                    _ if stem.contains("style") => pixels.iter().map(|p| p / 255.0).collect(),
                    _ => pixels.iter().map(|p| p / 127.5 - 1.0).collect(),
                }
            }
            _ => {
                notes.push("random".into());
                (0..n)
                    .map(|_| match ty {
                        ElementType::U8 => (rng.unit() * 256.0).floor(),
                        ElementType::I8 => (rng.unit() * 256.0).floor() - 128.0,
                        ElementType::I32 | ElementType::I64 | ElementType::I16 => (rng.unit() * 100.0).floor(),
                        _ => rng.unit() * 2.0 - 1.0,
                    })
                    .collect()
            }
        };
        tensors.push(Tensor::new(shape, data_of(ty, &values)).unwrap());
    }
    (tensors, notes.join("+"), used_image)
}

/// One output of the reference run.
struct RefOutput {
    dtype: String,
    scale: f64,
    zero_point: i64,
    shape: Vec<usize>,
    values: Vec<f64>,
}

fn read_reference(dir: &Path) -> Vec<RefOutput> {
    let text = std::fs::read_to_string(dir.join("outputs.txt")).unwrap();
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let mut fields = line.split_whitespace();
            let dtype = fields.next().unwrap().to_string();
            let scale: f64 = fields.next().unwrap().parse().unwrap();
            let zero_point: i64 = fields.next().unwrap().parse().unwrap();
            let shape: Vec<usize> = fields.map(|d| d.parse().unwrap()).collect();
            let bytes = std::fs::read(dir.join(format!("output_{i}.bin"))).unwrap();
            let ty = match dtype.as_str() {
                "uint8" => ElementType::U8,
                "int8" => ElementType::I8,
                "int16" => ElementType::I16,
                "int32" => ElementType::I32,
                "int64" => ElementType::I64,
                "float32" => ElementType::F32,
                "bool" => ElementType::U8,
                other => panic!("reference output of type {other}"),
            };
            let values = TensorData::from_le_bytes(ty, &bytes).unwrap().to_f64().unwrap();
            RefOutput { dtype, scale, zero_point, shape, values }
        })
        .collect()
}

/// The scale of the quantized tensor a float output is dequantized from, if it is.
fn dequantized_from(bytes: &[u8], output_index: usize) -> Option<f64> {
    let model = tflite::Model::parse(bytes).ok()?;
    let graph = model.main_subgraph().ok()?;
    let tensor = graph.outputs().get(output_index)?;
    for op in graph.operators() {
        let op = op.ok()?;
        if op.outputs().ok()?.iter().any(|t| t == tensor)
            && model.op_code(&op).ok()? == OpCode::Builtin(builtin::DEQUANTIZE)
        {
            let input = graph.tensor(usize::try_from(op.inputs().ok()?.get(0)?).ok()?).ok()?;
            let q = input.quantization().ok()??;
            return q.scale().ok()?.get(0).map(f64::from);
        }
    }
    None
}

fn argmax_set(values: &[f64], tolerance: f64) -> Vec<usize> {
    let max = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    (0..values.len()).filter(|&i| values[i] >= max - tolerance).collect()
}

fn argmax(values: &[f64]) -> usize {
    (0..values.len()).fold(0, |best, i| if values[i] > values[best] { i } else { best })
}

/// What one input case of one model gave.
enum Outcome {
    /// The reference interpreter cannot run the model (e.g. a Flex operator).
    ReferenceCannot(String),
    /// We could not load or run it.
    OursFailed(String),
    /// Both ran; `ok` says whether the outputs agree, `report` how closely.
    Compared { ok: bool, report: String, ref_ms: f64, ours_ms: f64 },
}

/// Runs one input case through the reference and our engine and compares the outputs.
fn run_case(python: &std::ffi::OsStr, resolver: &str, path: &Path, bytes: &[u8], inputs: &[Tensor]) -> Outcome {
    let script = workspace_root().join("tests/differential/reference.py");
    let info = tflite::read_info(bytes).unwrap();
    let dir = temp_dir("differential");
    let mut args: Vec<PathBuf> = Vec::new();
    for (i, t) in inputs.iter().enumerate() {
        let p = dir.join(format!("input_{i}.bin"));
        std::fs::write(&p, t.data().to_le_bytes().unwrap()).unwrap();
        args.push(p);
    }
    let out_dir = dir.join("reference");
    let start = Instant::now();
    let status = Command::new(python)
        .arg(&script)
        .arg(path)
        .arg(&out_dir)
        .args(&args)
        .arg("--resolver")
        .arg(resolver)
        .output()
        .unwrap();
    let ref_ms = start.elapsed().as_secs_f64() * 1000.0;
    let reference = match status.status.code() {
        Some(0) => read_reference(&out_dir),
        Some(3) => {
            let why = String::from_utf8_lossy(&status.stderr).lines().last().unwrap_or_default().to_string();
            return Outcome::ReferenceCannot(why);
        }
        _ => panic!("reference.py failed on {}: {}", path.display(), String::from_utf8_lossy(&status.stderr)),
    };
    let _ = std::fs::remove_dir_all(&dir);

    // Declare the model's own types; outputs take the shapes the reference computed (some
    // files give none).
    let declared_in: Vec<TensorType> = inputs.iter().map(Tensor::tensor_type).collect();
    let declared_out: Vec<TensorType> = info
        .outputs
        .iter()
        .zip(&reference)
        .map(|(o, r)| TensorType::new(element_type(o.ty), r.shape.clone()))
        .collect();
    let start = Instant::now();
    let mut model = match TractBackend.load(ModelFormat::TensorFlowLite, bytes, &declared_in, &declared_out) {
        Ok(model) => model,
        Err(e) => return Outcome::OursFailed(format!("we cannot load it: {e}")),
    };
    let outputs = match model.run(inputs) {
        Ok(outputs) => outputs,
        Err(e) => return Outcome::OursFailed(format!("we cannot run it: {e}")),
    };
    let ours_ms = start.elapsed().as_secs_f64() * 1000.0;

    let mut report = Vec::new();
    let mut ok = true;
    for (i, (ours, theirs)) in outputs.iter().zip(&reference).enumerate() {
        let ours = ours.data().to_f64().unwrap();
        if ours.len() != theirs.values.len() {
            return Outcome::OursFailed(format!("output {i} has {} values, not {}", ours.len(), theirs.values.len()));
        }
        let max_diff = ours.iter().zip(&theirs.values).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        let quantized = theirs.dtype != "float32" && theirs.scale > 0.0;
        let (diff, tolerance, unit) = if quantized {
            (max_diff, 1.0, "steps")
        } else if let Some(scale) = dequantized_from(bytes, i) {
            (max_diff / scale, 1.0, "steps")
        } else if theirs.dtype == "float32" {
            let (lo, hi) = theirs.values.iter().fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
            // The range of the values, or their magnitude when there is only one.
            let magnitude = theirs.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let range = (hi - lo).max(magnitude).max(1e-6);
            (max_diff / range, 1e-4, "of range")
        } else {
            (max_diff, 0.0, "exact")
        };
        let mut line = format!("out{i} max|Δ| {diff:.1e} {unit}");
        if diff > tolerance + 1e-9 {
            ok = false;
            line.push_str(&format!(" > {tolerance:.0e} MISMATCH"));
        }
        let classes = *theirs.shape.last().unwrap_or(&1);
        if theirs.values.len() == classes && classes >= 2 && theirs.shape.len() <= 4 {
            let (theirs_top, ours_top) = (argmax(&theirs.values), argmax(&ours));
            line.push_str(&format!(" top-1 {theirs_top}/{ours_top}"));
            // Ours must be the reference's best or tied with it.
            if !argmax_set(&theirs.values, 0.0).contains(&ours_top) {
                ok = false;
                line.push_str(" TOP-1 MISMATCH");
            }
        }
        let _ = theirs.zero_point;
        report.push(line);
    }
    Outcome::Compared { ok, report: report.join("; "), ref_ms, ours_ms }
}

#[test]
fn zoo_models_match_the_reference_interpreter() {
    let Some(shared) = shared_dir() else {
        rune_tests::skip_notice("differential test against the reference interpreter");
        return;
    };
    let Some(python) = std::env::var_os("RUNE_REFERENCE_PYTHON") else {
        println!(
            "SKIPPED: differential test: set RUNE_REFERENCE_PYTHON to a Python with ai_edge_litert \
             (python3 -m venv /tmp/litert && /tmp/litert/bin/pip install ai-edge-litert numpy)"
        );
        return;
    };
    // TFLite's reference kernels by default: its optimized kernels (`builtin`) and XNNPACK
    // round some quantized results differently from them (and from each other).
    let resolver = std::env::var("RUNE_REFERENCE_RESOLVER").unwrap_or_else(|_| "ref".into());
    let zoo = shared.join("zoo");
    let mut files = Vec::new();
    tflite_files(&zoo, &mut files);

    // Distinct models (by content), with the paths they appear at.
    let mut models: Vec<(Vec<u8>, Vec<PathBuf>)> = Vec::new();
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        match models.iter_mut().find(|(b, _)| *b == bytes) {
            Some((_, paths)) => paths.push(path),
            None => models.push((bytes, vec![path])),
        }
    }

    let (mut reference_runs, mut we_run, mut matches) = (0, 0, 0);
    let mut failures = Vec::new();
    println!("reference: ai-edge-litert, {resolver} kernels");
    println!("{:<52} {:<22} {:>8} {:>8}  result", "model", "input", "ref ms", "ours ms");
    for (bytes, paths) in &models {
        let path = &paths[0];
        let rel = path.strip_prefix(&zoo).unwrap().display().to_string();
        let name = if paths.len() > 1 { format!("{rel} (+{})", paths.len() - 1) } else { rel.clone() };
        let info = tflite::read_info(bytes).unwrap();
        // The sample image (when the model takes images and the folder has one), then random.
        let mut cases = Vec::new();
        let (inputs, note, used_image) = make_inputs(path, &zoo, &info, true);
        cases.push((inputs, note));
        if used_image {
            let (inputs, note, _) = make_inputs(path, &zoo, &info, false);
            cases.push((inputs, note));
        }
        let (mut reference_ok, mut ours_ok, mut all_match) = (true, true, true);
        for (inputs, note) in &cases {
            match run_case(&python, &resolver, path, bytes, inputs) {
                Outcome::ReferenceCannot(why) => {
                    reference_ok = false;
                    println!("{name:<52} {note:<22} {:>8} {:>8}  reference cannot run it: {why}", "-", "-");
                }
                Outcome::OursFailed(why) => {
                    ours_ok = false;
                    println!("{name:<52} {note:<22} {:>8} {:>8}  MISMATCH: {why}", "-", "-");
                    failures.push(format!("{rel} ({note}): {why}"));
                }
                Outcome::Compared { ok, report, ref_ms, ours_ms } => {
                    let verdict = if ok { "match" } else { "MISMATCH" };
                    println!("{name:<52} {note:<22} {ref_ms:>8.1} {ours_ms:>8.1}  {verdict}: {report}");
                    if !ok {
                        all_match = false;
                        failures.push(format!("{rel} ({note}): {report}"));
                    }
                }
            }
        }
        if reference_ok {
            reference_runs += 1;
            if ours_ok {
                we_run += 1;
                if all_match {
                    matches += 1;
                }
            }
        }
    }
    println!(
        "{} distinct zoo models: the reference runs {reference_runs}, we run {we_run} of those, {matches} match",
        models.len()
    );
    assert!(failures.is_empty(), "differences from the reference:\n{}", failures.join("\n"));
}
