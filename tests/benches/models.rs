//! Native benchmark: this project's TensorFlow Lite engine (the tract importer) against the
//! reference interpreter (PyPI `ai-edge-litert`), measured in the same run.
//!
//! Run it with `scripts/bench-native.sh` (installs the reference in `.venv-reference`), or
//! `RUNE_REFERENCE_PYTHON=.venv-reference/bin/python cargo bench -p rune-tests --bench models`.
//! Without `RUNE_REFERENCE_PYTHON` (or when that Python cannot be started) only our side runs.
//! `RUNE_REFERENCE_RESOLVER` picks the reference kernels: `xnnpack` (the default: TFLite's default
//! resolver, builtin kernels plus the XNNPACK delegate), `builtin` or `ref`.
//!
//! Models: a few distinct zoo models (`../shared/zoo`, skipped with a notice when absent), with
//! `image/mobilenet/mobilenet_v2_quant.tflite` first, and always the generated samples of
//! `runtime::samples`. Each gets one deterministic input (seeded values of its input types) and
//! a criterion group with two functions:
//! - `rune (tract)`: `Model::run` of a model loaded with `TractBackend` (single-threaded);
//! - `reference (ai-edge-litert)`: one persistent `tests/differential/bench_reference.py` process
//!   per model (loaded once, `num_threads=1`) runs N inferences per request and replies with the
//!   nanoseconds it measured itself, so the pipe's cost is not counted (`iter_custom`).
//!
//! At the end, the medians of both sides (criterion's `estimates.json`) and their ratio are printed
//! as a table and written to `target/criterion/summary.md`.
#![allow(clippy::unwrap_used)]
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, SystemTime};

use criterion::{Criterion, SamplingMode};
use rune_tests::{Rng, shared_dir, skip_notice, temp_dir, workspace_root};
use runtime::model::ModelBackend;
use runtime::tflite::{self, TensorKind};
use runtime::tract::TractBackend;
use runtime::{ElementType, ModelFormat, Tensor, TensorData, TensorType};

const OURS: &str = "rune (tract)";
const REFERENCE: &str = "reference (ai-edge-litert)";

/// Zoo models, by path under `../shared/zoo`, with the group names they get.
const ZOO: &[(&str, &str)] = &[
    ("mobilenet_v2_quant", "image/mobilenet/mobilenet_v2_quant.tflite"),
    ("person_detection", "image/person_detection/model.tflite"),
    ("microspeech", "examples/microspeech/model.tflite"),
    ("deeplabv3", "image/deep_labv3/deeplabv3.tflite"),
    ("style_predict", "examples/style_transfer/style_predict.tflite"),
];

/// One model to benchmark.
struct Bench {
    name: String,
    bytes: Vec<u8>,
    /// Where the reference loads it from.
    path: PathBuf,
}

/// The element type a model tensor travels as (booleans as u8).
fn element_type(kind: TensorKind) -> Option<ElementType> {
    match kind {
        TensorKind::Bool => Some(ElementType::U8),
        other => other.element_type(),
    }
}

fn shape_of(info: &tflite::TensorInfo) -> Option<Vec<usize>> {
    info.shape.as_ref()?.iter().map(|&d| usize::try_from(d).ok()).collect()
}

/// Seeded values of each input's own type and shape.
fn make_inputs(info: &tflite::ModelInfo) -> Result<Vec<Tensor>, String> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut tensors = Vec::new();
    for input in &info.inputs {
        let shape = shape_of(input).ok_or_else(|| format!("input {} has no static shape", input.name))?;
        let n: usize = shape.iter().product();
        let ty = element_type(input.ty).ok_or_else(|| format!("input {} is {:?}", input.name, input.ty))?;
        let data = match ty {
            ElementType::U8 => TensorData::U8((0..n).map(|_| (rng.next() >> 56) as u8).collect()),
            ElementType::I8 => TensorData::I8((0..n).map(|_| (rng.next() >> 56) as u8 as i8).collect()),
            ElementType::I16 => TensorData::I16((0..n).map(|_| (rng.unit() * 100.0) as i16).collect()),
            ElementType::I32 => TensorData::I32((0..n).map(|_| (rng.unit() * 100.0) as i32).collect()),
            ElementType::I64 => TensorData::I64((0..n).map(|_| (rng.unit() * 100.0) as i64).collect()),
            ElementType::F32 => TensorData::F32((0..n).map(|_| (rng.unit() * 2.0 - 1.0) as f32).collect()),
            other => return Err(format!("no benchmark inputs of type {other}")),
        };
        tensors.push(Tensor::new(shape, data).map_err(|e| format!("{e:?}"))?);
    }
    Ok(tensors)
}

/// The models: zoo ones when `../shared` exists, then the generated samples (written to `dir`
/// for the reference).
fn models(dir: &Path) -> Vec<Bench> {
    let mut out = Vec::new();
    match shared_dir() {
        Some(shared) => {
            let zoo = shared.join("zoo");
            for (name, rel) in ZOO {
                let path = zoo.join(rel);
                match std::fs::read(&path) {
                    Ok(bytes) => out.push(Bench { name: (*name).into(), bytes, path }),
                    Err(e) => println!("SKIPPED: {name}: cannot read {}: {e}", path.display()),
                }
            }
        }
        None => skip_notice("zoo models in the native benchmark (the generated samples still run)"),
    }
    let samples = [
        ("sample_sine", runtime::samples::sine_model()),
        ("sample_colour_224", runtime::samples::colour_classifier(224, 224, 1001)),
        ("sample_keyword", runtime::samples::keyword_model()),
    ];
    for (name, bytes) in samples {
        let path = dir.join(format!("{name}.tflite"));
        std::fs::write(&path, &bytes).unwrap();
        out.push(Bench { name: name.into(), bytes, path });
    }
    out
}

/// A running `bench_reference.py` with one model loaded.
struct Reference {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    stderr_path: PathBuf,
}

impl Reference {
    /// Starts the server and waits for its `ready` line, which describes the interpreter.
    fn start(
        python: &OsString,
        resolver: &str,
        model: &Path,
        inputs: &[Tensor],
        dir: &Path,
    ) -> Result<(Reference, String), String> {
        let mut args = vec![model.as_os_str().to_os_string()];
        for (i, t) in inputs.iter().enumerate() {
            let p = dir.join(format!("{}.input_{i}.bin", model.file_stem().unwrap().to_string_lossy()));
            std::fs::write(&p, t.data().to_le_bytes().unwrap()).unwrap();
            args.push(p.into_os_string());
        }
        let stderr_path = dir.join(format!("{}.stderr.txt", model.file_stem().unwrap().to_string_lossy()));
        let mut child = Command::new(python)
            .arg(workspace_root().join("tests/differential/bench_reference.py"))
            .args(&args)
            .args(["--resolver", resolver, "--threads", "1"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", python.to_string_lossy()))?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut reference = Reference { child, stdin, stdout, stderr_path };
        let line = reference.read_line();
        match line.strip_prefix("ready ") {
            Some(description) => Ok((reference, description.to_string())),
            None => {
                let stderr = std::fs::read_to_string(&reference.stderr_path).unwrap_or_default();
                let why = line.strip_prefix("error ").map(str::to_string).unwrap_or_else(|| {
                    stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no reply").to_string()
                });
                Err(why)
            }
        }
    }

    fn read_line(&mut self) -> String {
        let mut line = String::new();
        let _ = self.stdout.read_line(&mut line);
        line.trim().to_string()
    }

    /// Runs `iters` inferences; the time the reference measured for them.
    fn time(&mut self, iters: u64) -> Duration {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{iters}").unwrap();
        stdin.flush().unwrap();
        let line = self.read_line();
        let nanos: u64 = line.parse().unwrap_or_else(|_| {
            let stderr = std::fs::read_to_string(&self.stderr_path).unwrap_or_default();
            panic!("bench_reference.py replied {line:?}; its stderr:\n{stderr}")
        });
        Duration::from_nanos(nanos)
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        // The end of stdin stops the server.
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// The Python of the reference, when it is set and can be started.
fn reference_python() -> Option<OsString> {
    let Some(python) = std::env::var_os("RUNE_REFERENCE_PYTHON") else {
        println!(
            "NOTICE: RUNE_REFERENCE_PYTHON is not set: only our engine is measured (scripts/bench-native.sh \
             sets it to the venv that scripts/setup.sh installs)"
        );
        return None;
    };
    let works = Command::new(&python)
        .args(["-c", "import ai_edge_litert, numpy"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        println!(
            "NOTICE: RUNE_REFERENCE_PYTHON={} cannot import ai_edge_litert and numpy: only our engine is measured",
            python.to_string_lossy()
        );
        return None;
    }
    Some(python)
}

/// One row of the summary.
struct Row {
    name: String,
    input: String,
    /// Whether the reference ran it.
    reference: bool,
}

fn main() {
    let started = SystemTime::now();
    let args: Vec<String> = std::env::args().collect();
    // As criterion decides: without `--bench` (`cargo test --benches`) or with `--test`, each
    // function runs once; `--list` and `--profile-time` measure nothing either. No summary then.
    let has = |flag: &str| args.iter().any(|a| a == flag || a.starts_with(&format!("{flag}=")));
    let measuring = has("--bench") && !has("--test") && !has("--list") && !has("--profile-time");
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .nresamples(20_000)
        .without_plots()
        .configure_from_args();

    let dir = temp_dir("bench");
    let python = reference_python();
    let resolver = std::env::var("RUNE_REFERENCE_RESOLVER").unwrap_or_else(|_| "xnnpack".into());
    let mut rows = Vec::new();
    let mut interpreter = None;
    for bench in models(&dir) {
        let info = match tflite::read_info(&bench.bytes) {
            Ok(info) => info,
            Err(e) => {
                println!("SKIPPED: {}: not a valid model: {e}", bench.name);
                continue;
            }
        };
        let inputs = match make_inputs(&info) {
            Ok(inputs) => inputs,
            Err(e) => {
                println!("SKIPPED: {}: {e}", bench.name);
                continue;
            }
        };
        let input_types: Vec<TensorType> = inputs.iter().map(Tensor::tensor_type).collect();
        let output_types: Option<Vec<TensorType>> =
            info.outputs.iter().map(|o| Some(TensorType::new(element_type(o.ty)?, shape_of(o)?))).collect();
        let Some(output_types) = output_types else {
            println!("SKIPPED: {}: an output has no static shape", bench.name);
            continue;
        };
        let mut model = match TractBackend.load(ModelFormat::TensorFlowLite, &bench.bytes, &input_types, &output_types)
        {
            Ok(model) => model,
            Err(e) => {
                println!("SKIPPED: {}: our engine cannot load it: {e}", bench.name);
                continue;
            }
        };
        if let Err(e) = model.run(&inputs) {
            println!("SKIPPED: {}: our engine cannot run it: {e}", bench.name);
            continue;
        }
        let mut reference = None;
        if let Some(python) = &python {
            match Reference::start(python, &resolver, &bench.path, &inputs, &dir) {
                Ok((r, description)) => {
                    if interpreter.is_none() {
                        println!("reference: {description}");
                        interpreter = Some(description);
                    }
                    reference = Some(r);
                }
                Err(why) => {
                    println!("NOTICE: {}: the reference cannot run it ({why}): only ours is measured", bench.name)
                }
            }
        }

        let mut group = criterion.benchmark_group(&bench.name);
        group.sampling_mode(SamplingMode::Flat);
        group.bench_function(OURS, |b| b.iter(|| model.run(std::hint::black_box(&inputs)).unwrap()));
        if let Some(reference) = reference.as_mut() {
            group.bench_function(REFERENCE, |b| b.iter_custom(|iters| reference.time(iters)));
        }
        group.finish();
        let input = input_types.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        rows.push(Row { name: bench.name, input, reference: reference.is_some() });
    }
    criterion.final_summary();
    let _ = std::fs::remove_dir_all(&dir);
    if measuring {
        summary(&rows, started, interpreter.as_deref());
    }
}

/// Where criterion writes its results (as criterion finds it).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("criterion")
}

/// The median (ms) criterion estimated for `group/function` in this run, if it ran.
fn median_ms(group: &str, function: &str, since: SystemTime) -> Option<f64> {
    let safe = |s: &str| s.replace(['?', '"', '/', '\\', '*', '<', '>', ':', '|', '^'], "_");
    let path = criterion_dir().join(safe(group)).join(safe(function)).join("new/estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < since {
        return None; // from an earlier run (filtered out of this one)
    }
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    Some(json["median"]["point_estimate"].as_f64()? / 1e6)
}

fn summary(rows: &[Row], since: SystemTime, interpreter: Option<&str>) {
    let ms =
        |v: Option<f64>| v.map_or("-".to_string(), |v| if v < 0.1 { format!("{v:.4}") } else { format!("{v:.2}") });
    let mut text =
        String::from("| model | input | rune (tract) median ms | reference median ms | ours / reference |\n");
    text.push_str("|---|---|---:|---:|---:|\n");
    for row in rows {
        let ours = median_ms(&row.name, OURS, since);
        let theirs = if row.reference { median_ms(&row.name, REFERENCE, since) } else { None };
        if ours.is_none() && theirs.is_none() {
            continue;
        }
        let ratio = match (ours, theirs) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
            _ => "-".into(),
        };
        text.push_str(&format!("| {} | {} | {} | {} | {ratio} |\n", row.name, row.input, ms(ours), ms(theirs)));
    }
    let reference = match interpreter {
        Some(description) => format!("reference: {description}"),
        None => "reference: not run (set RUNE_REFERENCE_PYTHON)".into(),
    };
    let text = format!("{text}\nours: rune-runtime TractBackend (tract-core), single thread; {reference}\n");
    println!("\n{text}");
    let path = criterion_dir().join("summary.md");
    if std::fs::create_dir_all(criterion_dir()).is_ok() && std::fs::write(&path, &text).is_ok() {
        println!("written to {}", path.display());
    }
}
