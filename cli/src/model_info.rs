//! `rune model-info`: a TensorFlow Lite model's operators, inputs and outputs.
use std::fmt::Write as _;
use std::path::PathBuf;

use runtime::tflite::{ModelInfo, TensorInfo};

use crate::{Failure, Format, Io, io_failure};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The .tflite file.
    pub file: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(args: Args, io: &mut Io<'_>) -> Result<(), Failure> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| Failure::new(format!("Unable to read \"{}\"", args.file.display())).caused_by(e))?;
    let info = runtime::tflite::read_info(&bytes)
        .map_err(|e| Failure::new(format!("Unable to load \"{}\"", args.file.display())).caused_by(e))?;
    let engine = runtime::tract::unsupported(&bytes);
    let text = match args.format {
        Format::Text => describe(&info) + &engine_line(&engine),
        Format::Json => {
            let tensors = |ts: &[TensorInfo]| -> Vec<serde_json::Value> {
                ts.iter()
                    .map(|t| {
                        serde_json::json!({
                            "name": t.name,
                            "element_kind": t.ty.name(),
                            "dims": t.shape,
                            "quantization": t.quantization.as_ref().map(|q| serde_json::json!({"scale": q.scale, "zero_point": q.zero_point})),
                        })
                    })
                    .collect()
            };
            let ops: Vec<String> = info.operators.iter().map(|o| o.code.to_string()).collect();
            let value = serde_json::json!({"inputs": tensors(&info.inputs), "outputs": tensors(&info.outputs), "ops": info.operators.len(), "operators": ops, "runnable": matches!(engine, Ok(None)), "unsupported": match &engine { Ok(None) => None, Ok(Some(what)) => Some(what.clone()), Err(e) => Some(e.to_string()) }});
            serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
        }
    };
    io.stdout.write_all(text.as_bytes()).map_err(|e| io_failure("write the output", e))
}

/// Whether the playground's engine can run the model, and if not, what stops it.
fn engine_line(engine: &Result<Option<String>, runtime::model::ModelError>) -> String {
    match engine {
        Ok(None) => "Engine: supported (every operator runs in the playground's engine)\n".to_string(),
        Ok(Some(what)) => format!("Engine: unsupported: {what}\n"),
        Err(e) => format!("Engine: cannot load it: {e}\n"),
    }
}

/// The original's text format, with quantization parameters and an operator summary added.
pub fn describe(info: &ModelInfo) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Ops: {}", info.operators.len());
    for (title, tensors) in [("Inputs", &info.inputs), ("Outputs", &info.outputs)] {
        let _ = writeln!(out, "{title}:");
        for t in tensors {
            let quant = match &t.quantization {
                Some(q) if q.scale.len() == 1 && q.zero_point.len() == 1 => {
                    format!(" (scale {}, zero point {})", q.scale[0], q.zero_point[0])
                }
                Some(q) if !q.scale.is_empty() => format!(" ({} per-channel scales)", q.scale.len()),
                _ => String::new(),
            };
            let _ = writeln!(out, "\t{}: {}{quant}", t.name, t.describe());
        }
    }
    let mut counts: Vec<(String, usize)> = Vec::new();
    for op in &info.operators {
        let name = op.code.to_string();
        match counts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => *c += 1,
            None => counts.push((name, 1)),
        }
    }
    counts.sort();
    let _ = writeln!(out, "Operators:");
    for (name, count) in counts {
        let _ = writeln!(out, "\t{name} x{count}");
    }
    out
}
