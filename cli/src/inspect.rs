//! `rune inspect`: what a .rune holds.
use std::fmt::Write as _;
use std::path::PathBuf;

use runtime::{Artifact, StageKind};

use crate::{Failure, Format, Io, io_failure};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The .rune (or .wasm) file.
    pub file: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(args: Args, io: &mut Io<'_>) -> Result<(), Failure> {
    let artifact = read_artifact(&args.file)?;
    let text = match args.format {
        Format::Text => describe(&artifact),
        Format::Json => {
            let version = artifact
                .build
                .as_ref()
                .map(|b| serde_json::json!({"version": b.version, "compiler": b.compiler, "date": b.date}));
            let value =
                serde_json::json!({"version": version, "rune": runtime::artifact::graph_json(&artifact.manifest)});
            serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
        }
    };
    io.stdout.write_all(text.as_bytes()).map_err(|e| io_failure("write the output", e))
}

/// Reads a .rune/.wasm, with the original's messages for other files.
pub(crate) fn read_artifact(path: &std::path::Path) -> Result<Artifact, Failure> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("rune" | "wasm") => {}
        Some(ext) => return Err(Failure::new(format!("Unable to inspect a \"{ext}\" file"))),
        None => return Err(Failure::new("Unable to inspect this file")),
    }
    let bytes =
        std::fs::read(path).map_err(|e| Failure::new(format!("Unable to read \"{}\"", path.display())).caused_by(e))?;
    Artifact::from_bytes(&bytes)
        .map_err(|e| Failure::new(format!("Unable to load \"{}\"", path.display())).caused_by(e))
}

/// The text format of `rune inspect` (spec §5.4), groups in declaration order.
pub fn describe(artifact: &Artifact) -> String {
    let m = &artifact.manifest;
    let mut out = String::new();
    let _ = writeln!(out, "Name: {}", m.name);
    let shape = |t: &runtime::TensorRef| m.tensor_type(t).map_or_else(|| "?".to_string(), ToString::to_string);
    type Filter = fn(&StageKind) -> bool;
    let sections: [(&str, Filter); 4] = [
        ("Capabilities", |k| matches!(k, StageKind::Capability(_))),
        ("Models", |k| matches!(k, StageKind::Model { .. })),
        ("Proc Blocks", |k| matches!(k, StageKind::ProcBlock { .. })),
        ("Outputs", |k| matches!(k, StageKind::Out(_))),
    ];
    for (title, filter) in sections {
        let stages: Vec<_> = m.stages.iter().filter(|s| filter(&s.kind)).collect();
        if stages.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{title}:");
        for stage in stages {
            let qualifier = match &stage.kind {
                StageKind::Capability(kind) => kind.display_name().to_string(),
                StageKind::Model { file, format } => {
                    let size =
                        artifact.models.get(&stage.name).map(|b| format!(", {} bytes", b.len())).unwrap_or_default();
                    format!("{file} ({}{size})", format.name())
                }
                StageKind::ProcBlock { path, .. } => path.clone(),
                StageKind::Out(kind) => kind.graph_name().to_string(),
            };
            let _ = writeln!(out, "- {}: {qualifier}", stage.name);
            if !stage.inputs.is_empty() {
                let _ = writeln!(out, "  Inputs:");
                for input in &stage.inputs {
                    let _ = writeln!(out, "  - {}", shape(input));
                }
            }
            if !stage.outputs.is_empty() {
                let _ = writeln!(out, "  Outputs:");
                for output in &stage.outputs {
                    let _ = writeln!(out, "  - {output}");
                }
            }
            if !stage.args.is_empty() {
                let _ = writeln!(out, "  Arguments:");
                for (key, value) in &stage.args {
                    let value =
                        if value.contains('\n') { format!("{} lines", value.lines().count()) } else { value.clone() };
                    let _ = writeln!(out, "    {key}: {value}");
                }
            }
        }
    }
    if !m.resources.is_empty() {
        let _ = writeln!(out, "Resources:");
        for r in &m.resources {
            let size = artifact
                .resources
                .get(&r.name)
                .map(|b| format!(", {} bytes", b.len()))
                .unwrap_or_else(|| ", no default".to_string());
            let _ = writeln!(out, "\t{} ({}{size})", r.name, r.ty.name());
        }
    }
    match &artifact.build {
        Some(b) => {
            let mut extra: Vec<&str> = Vec::new();
            extra.extend(b.compiler.as_deref());
            extra.extend(b.date.as_deref());
            let extra = if extra.is_empty() { String::new() } else { format!(" ({})", extra.join(", ")) };
            let _ = writeln!(out, "Compiled by: Rune v{}{extra}", b.version);
        }
        None => {
            let _ = writeln!(out, "Compiled by: unknown");
        }
    }
    out
}
