//! `rune graph`: the pipeline as Graphviz DOT or SVG, from a Runefile or a .rune.
use std::path::PathBuf;

use clap::ValueEnum;

use crate::build::{print_diagnostics, runefile_dir};
use crate::{DiskFiles, Failure, Io, io_failure};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum GraphFormat {
    #[default]
    Dot,
    Svg,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A Runefile, or a compiled .rune.
    pub file: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// Write to this file instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args, colour: bool, io: &mut Io<'_>) -> Result<(), Failure> {
    let is_artifact = matches!(args.file.extension().and_then(|e| e.to_str()), Some("rune" | "wasm"));
    let mut failed = None;
    let graph = if is_artifact {
        let artifact = crate::inspect::read_artifact(&args.file)?;
        compiler::graph::Graph::from_manifest(&artifact.manifest)
    } else {
        let source = std::fs::read_to_string(&args.file)
            .map_err(|e| Failure::new(format!("Unable to read \"{}\"", args.file.display())).caused_by(e))?;
        let dir = runefile_dir(&args.file);
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let compilation = compiler::compile(&source, &name, &DiskFiles::new(&dir));
        print_diagnostics(&compilation.diagnostics, &args.file.display().to_string(), &source, colour, io);
        if compilation.has_errors() {
            failed = Some(compilation.diagnostics.error_count());
        }
        compilation.graph
    };
    let text = match args.format {
        GraphFormat::Dot => compiler::dot::to_dot(&graph),
        GraphFormat::Svg => compiler::svg::to_svg(&graph),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| io_failure(&format!("write \"{}\"", path.display()), e))?
        }
        None => io.stdout.write_all(text.as_bytes()).map_err(|e| io_failure("write the output", e))?,
    }
    match failed {
        None => Ok(()),
        Some(n) => Err(Failure::new(compiler::BuildError::Errors(n).to_string())
            .caused_by("the graph was drawn with the stages in error marked")),
    }
}
