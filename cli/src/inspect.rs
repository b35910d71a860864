//! `rune inspect`: what a .rune holds.
use std::path::PathBuf;

use runtime::Artifact;

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
        Format::Text => artifact.describe(),
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
