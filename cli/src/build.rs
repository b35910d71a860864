//! `rune build`: Runefile → .rune.
use std::path::{Path, PathBuf};

use runtime::BuildInfo;

use crate::{DiskFiles, Failure, Io, build_date, io_failure};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Runefile to compile.
    #[arg(default_value = "Runefile.yml")]
    pub runefile: PathBuf,
    /// The Rune's name (default: the name of the Runefile's folder).
    #[arg(short, long)]
    pub name: Option<String>,
    /// Where to write the Rune (default: <current dir>/<name>.rune).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// The folder that relative model and resource paths start from (default: the Runefile's folder).
    #[arg(short = 'c', long, env = "CURRENT_DIR")]
    pub current_dir: Option<PathBuf>,
    /// Accepted for compatibility with the original CLI (no effect: nothing is cached).
    #[arg(long, env = "CACHE_DIR", hide = true)]
    pub cache_dir: Option<PathBuf>,
    /// Accepted for compatibility with the original CLI (no effect).
    #[arg(long, hide = true)]
    pub debug: bool,
    /// Print nothing but diagnostics.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print the compiled pipeline's stages.
    #[arg(short, long)]
    pub verbose: bool,
}

pub fn run(args: Args, colour: bool, io: &mut Io<'_>) -> Result<(), Failure> {
    let runefile = resolve_runefile(&args.runefile, io)?;
    let source = std::fs::read_to_string(&runefile)
        .map_err(|e| Failure::new(format!("Unable to read \"{}\"", runefile.display())).caused_by(e))?;
    let current_dir = match &args.current_dir {
        Some(dir) => dir.clone(),
        None => runefile_dir(&runefile),
    };
    let name = args.name.clone().unwrap_or_else(|| folder_name(&current_dir));
    let compilation = compiler::compile(&source, &name, &DiskFiles::new(&current_dir));
    let shown = runefile.display().to_string();
    print_diagnostics(&compilation.diagnostics, &shown, &source, colour, io);
    let bytes = compilation.to_bytes(BuildInfo::playground(build_date())).map_err(|e| Failure::new(e.to_string()))?;
    let output = args.output.clone().unwrap_or_else(|| current_dir.join(format!("{name}.rune")));
    std::fs::write(&output, &bytes).map_err(|e| io_failure(&format!("write \"{}\"", output.display()), e))?;
    if args.verbose
        && let Ok(manifest) = compilation.manifest()
    {
        for stage in &manifest.stages {
            let _ = writeln!(io.stderr, "  {:<12} {}", stage.kind.word(), stage.name);
        }
    }
    if !args.quiet {
        let _ = writeln!(io.stderr, "The Rune was written to \"{}\" ({} bytes)", output.display(), bytes.len());
    }
    Ok(())
}

/// The Runefile path; when it does not exist but the `.yml`/`.yaml` twin does, that one (with a note).
fn resolve_runefile(path: &Path, io: &mut Io<'_>) -> Result<PathBuf, Failure> {
    if path.exists() {
        return Ok(path.to_path_buf());
    }
    let twin = match path.extension().and_then(|e| e.to_str()) {
        Some("yaml") => Some(path.with_extension("yml")),
        Some("yml") => Some(path.with_extension("yaml")),
        _ => None,
    };
    if let Some(twin) = twin.filter(|t| t.exists()) {
        let _ = writeln!(io.stderr, "note: \"{}\" does not exist; using \"{}\"", path.display(), twin.display());
        return Ok(twin);
    }
    Err(Failure::new(format!("Unable to read \"{}\"", path.display())).caused_by("No such file or directory"))
}

/// The folder of the Runefile (canonical), where relative paths start.
pub(crate) fn runefile_dir(runefile: &Path) -> PathBuf {
    let parent = match runefile.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::canonicalize(&parent).unwrap_or(parent)
}

fn folder_name(dir: &Path) -> String {
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    canonical.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "rune".to_string())
}

pub(crate) fn print_diagnostics(
    diagnostics: &compiler::Diagnostics,
    file: &str,
    source: &str,
    colour: bool,
    io: &mut Io<'_>,
) {
    if diagnostics.is_empty() {
        return;
    }
    let text = if colour {
        compiler::render::render_ansi(&diagnostics.0, file, source)
    } else {
        compiler::render::render(&diagnostics.0, file, source)
    };
    let _ = write!(io.stderr, "{text}");
}
