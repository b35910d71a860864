//! The `rune` command-line tool over the compiler and runtime crates.
//!
//! [`run`] takes the arguments and two writers, so tests drive the CLI in-process exactly as a user
//! would from a shell.
#![cfg_attr(test, allow(clippy::unwrap_used))]
use std::ffi::OsString;
use std::io::Write;

use clap::{Parser, Subcommand, ValueEnum};

mod build;
mod disk;
mod engine;
mod graph;
mod inspect;
mod model_info;
mod run;
pub mod serve;

pub use disk::DiskFiles;

/// Rune: build, inspect and run ML pipelines described by Runefiles.
#[derive(Debug, Parser)]
#[command(name = "rune", version, about, propagate_version = true)]
pub struct Cli {
    /// When to use colours in diagnostics.
    #[arg(long, alias = "color", global = true, value_enum, default_value_t = Colour::Auto)]
    pub colour: Colour,
    /// Accepted for compatibility with the original CLI (no effect).
    #[arg(long, global = true, hide = true)]
    pub unstable: bool,
    /// Accepted for compatibility with the original CLI (no effect).
    #[arg(long, global = true, hide = true, env = "RUNE_REPO_DIR")]
    pub rune_repo_dir: Option<OsString>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Colour {
    Always,
    Auto,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compile a Runefile into a .rune.
    Build(build::Args),
    /// Show what a .rune contains: capabilities, models, proc-blocks, outputs, resources.
    Inspect(inspect::Args),
    /// Draw the pipeline of a Runefile or .rune as Graphviz DOT or SVG.
    Graph(graph::Args),
    /// Show a TensorFlow Lite model's operators, inputs and outputs.
    ModelInfo(model_info::Args),
    /// Run a compiled Rune on inputs from files and print what its outputs received.
    Run(run::Args),
    /// Serve the playground (and a .rune) on the local network, with a QR code for phones.
    Serve(serve::Args),
    /// Print the version.
    Version,
}

/// Where output goes, and whether stderr is a terminal.
pub struct Io<'a> {
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    pub stderr_is_terminal: bool,
}

/// A command's failure: printed as `Error: <message>` plus `Caused by:` lines; exit status 1.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub causes: Vec<String>,
    /// What the user can do about it, printed last.
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Failure { message: message.into(), causes: Vec::new(), hint: None }
    }

    pub fn caused_by(mut self, cause: impl ToString) -> Self {
        self.causes.push(cause.to_string());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Runs the CLI with `args` (including the program name). Returns the exit status.
pub fn run<I, T>(args: I, io: &mut Io<'_>) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = e.exit_code();
            let text = if io.stderr_is_terminal { e.render().ansi().to_string() } else { e.render().to_string() };
            let out: &mut dyn Write = if e.use_stderr() { io.stderr } else { io.stdout };
            let _ = write!(out, "{text}");
            return code;
        }
    };
    let colour = match cli.colour {
        Colour::Always => true,
        Colour::Never => false,
        Colour::Auto => io.stderr_is_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let result = match cli.command {
        Command::Build(args) => build::run(args, colour, io),
        Command::Inspect(args) => inspect::run(args, io),
        Command::Graph(args) => graph::run(args, colour, io),
        Command::ModelInfo(args) => model_info::run(args, io),
        Command::Run(args) => run::run(args, io),
        Command::Serve(args) => serve::run(args, io),
        Command::Version => {
            writeln!(io.stdout, "rune {}", env!("CARGO_PKG_VERSION")).map_err(|e| Failure::new(e.to_string()))
        }
    };
    match result {
        Ok(()) => 0,
        Err(failure) => {
            let _ = writeln!(io.stderr, "Error: {}", failure.message);
            if !failure.causes.is_empty() {
                let _ = writeln!(io.stderr, "\nCaused by:");
                for (i, cause) in failure.causes.iter().enumerate() {
                    let _ = writeln!(io.stderr, "    {i}: {cause}");
                }
            }
            if let Some(hint) = &failure.hint {
                let _ = writeln!(io.stderr, "\nhint: {hint}");
            }
            1
        }
    }
}

fn io_failure(what: &str, e: std::io::Error) -> Failure {
    Failure::new(format!("Unable to {what}")).caused_by(e)
}

/// Today's date (UTC) as `YYYY-MM-DD`; `SOURCE_DATE_EPOCH` makes builds reproducible.
pub fn build_date() -> Option<String> {
    let secs = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => v.trim().parse::<i64>().ok()?,
        Err(_) => {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?;
            i64::try_from(now.as_secs()).ok()?
        }
    };
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_416), (2025, 11, 24));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
