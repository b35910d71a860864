//! `rune run`: run a compiled Rune once (or `--repeats N` times) on inputs from files.
use std::path::PathBuf;
use std::time::Instant;

use runtime::capability::CapabilityError;
use runtime::host::{Host, HostError, Input, SeededRandom};
use runtime::pipeline::{Pipeline, RuntimeError};
use runtime::{Artifact, CapabilityKind};

use crate::{Failure, Io, io_failure};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The .rune to run.
    pub rune: PathBuf,
    /// An image for IMAGE capabilities (repeatable; the n-th is `source: n`).
    #[arg(long, visible_alias = "img")]
    pub image: Vec<PathBuf>,
    /// A WAV file for SOUND capabilities (repeatable).
    #[arg(long)]
    pub sound: Vec<PathBuf>,
    /// A CSV of x,y,z rows for ACCEL capabilities (repeatable).
    #[arg(long, visible_alias = "accel")]
    pub accelerometer: Vec<PathBuf>,
    /// A file whose bytes feed RAW capabilities (repeatable).
    #[arg(long)]
    pub raw: Vec<PathBuf>,
    /// Seed for RAND capabilities (default: a different seed every run).
    #[arg(long, visible_alias = "rand")]
    pub random: Option<u64>,
    /// Replace a resource's value with a file's bytes (NAME=path; repeatable).
    #[arg(long, value_parser = parse_pair)]
    pub file_resource: Vec<(String, String)>,
    /// Replace a string resource's value (NAME=value; repeatable).
    #[arg(long, value_parser = parse_pair)]
    pub string_resource: Vec<(String, String)>,
    /// Run the pipeline this many times (state carries over between runs).
    #[arg(short, long, default_value_t = 1)]
    pub repeats: usize,
    /// Print each stage's time to stderr.
    #[arg(long)]
    pub timings: bool,
    /// Accepted for compatibility with the original CLI (there is one engine).
    #[arg(long, hide = true)]
    pub engine: Option<String>,
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected NAME=VALUE, found \"{s}\""))
}

/// Inputs from the command line.
struct CliHost {
    inputs: Vec<(CapabilityKind, PathBuf)>,
    random: SeededRandom,
    start: Instant,
}

impl Host for CliHost {
    fn input(&mut self, kind: CapabilityKind, source: usize) -> Result<Input, HostError> {
        // `--image` files feed FLOAT_IMAGE capabilities too.
        let kind = if kind == CapabilityKind::FloatImage { CapabilityKind::Image } else { kind };
        let of_kind: Vec<&PathBuf> = self.inputs.iter().filter(|(k, _)| *k == kind).map(|(_, p)| p).collect();
        match of_kind.get(source) {
            Some(path) => std::fs::read(path)
                .map(Input::Bytes)
                .map_err(|e| HostError::Other(format!("Unable to read \"{}\": {e}", path.display()))),
            None if of_kind.is_empty() => Err(HostError::NoSources { requested: source }),
            None => Err(HostError::TooFewSources { requested: source, available: of_kind.len() }),
        }
    }

    fn random_bytes(&mut self, buf: &mut [u8]) {
        self.random.fill(buf);
    }

    fn now_ms(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * 1000.0
    }
}

fn log_enabled() -> bool {
    std::env::var("RUST_LOG")
        .is_ok_and(|v| ["info", "debug", "trace"].iter().any(|l| v.to_ascii_lowercase().contains(l)))
}

pub fn run(args: Args, io: &mut Io<'_>) -> Result<(), Failure> {
    let shown = args.rune.display().to_string();
    if log_enabled() {
        let _ = writeln!(io.stderr, "[INFO  rune::run] Running rune: {shown}");
    }
    let bytes =
        std::fs::read(&args.rune).map_err(|e| Failure::new(format!("Unable to read \"{shown}\"")).caused_by(e))?;
    let mut artifact =
        Artifact::from_bytes(&bytes).map_err(|e| Failure::new("Unable to load the Runtime").caused_by(e))?;
    for (name, path) in &args.file_resource {
        let data = std::fs::read(path)
            .map_err(|e| Failure::new(format!("Unable to read \"{path}\" for \"{name}\"")).caused_by(e))?;
        set_resource(&mut artifact, name, data)?;
    }
    for (name, value) in &args.string_resource {
        set_resource(&mut artifact, name, value.clone().into_bytes())?;
    }
    let models = crate::engine::backend();
    let mut pipeline =
        Pipeline::new(&artifact, &models).map_err(|e| chain(Failure::new("Unable to load the Runtime"), &e))?;
    let seed = args.random.unwrap_or_else(entropy);
    let mut inputs = Vec::new();
    for (kind, paths) in [
        (CapabilityKind::Image, &args.image),
        (CapabilityKind::Sound, &args.sound),
        (CapabilityKind::Accelerometer, &args.accelerometer),
        (CapabilityKind::Raw, &args.raw),
    ] {
        inputs.extend(paths.iter().map(|p| (kind, p.clone())));
    }
    let mut host = CliHost { inputs, random: SeededRandom::new(seed), start: Instant::now() };
    for _ in 0..args.repeats.max(1) {
        let result = pipeline.run(&mut host).map_err(|e| {
            let failure = chain(Failure::new(e.to_string()), &e);
            match &e {
                RuntimeError::Capability {
                    kind, error: CapabilityError::Host(HostError::NoSources { .. }), ..
                } => failure.hint(missing_input_hint(kind)),
                _ => failure,
            }
        })?;
        for warning in &result.warnings {
            let _ = writeln!(io.stderr, "warning: {warning}");
        }
        if args.timings {
            for stage in &result.stages {
                let _ = writeln!(io.stderr, "{:>10.3} ms  {}", stage.elapsed_ms, stage.stage);
            }
        }
        writeln!(io.stdout, "{}", result.to_json()).map_err(|e| io_failure("write the output", e))?;
    }
    Ok(())
}

fn set_resource(artifact: &mut Artifact, name: &str, data: Vec<u8>) -> Result<(), Failure> {
    if artifact.manifest.resource(name).is_none() {
        let known: Vec<&str> = artifact.manifest.resources.iter().map(|r| r.name.as_str()).collect();
        return Err(Failure::new(format!("The Rune has no resource named \"{name}\""))
            .caused_by(format!("its resources: {}", known.join(", "))));
    }
    artifact.resources.insert(name.to_string(), data);
    Ok(())
}

/// How to give a capability its input.
fn missing_input_hint(kind: &str) -> String {
    let flag = match kind {
        "IMAGE" | "FLOAT_IMAGE" => "--image <FILE>",
        "SOUND" => "--sound <FILE.wav>",
        "ACCEL" => "--accelerometer <FILE.csv>",
        "RAW" => "--raw <FILE>",
        _ => return format!("the \"{kind}\" capability needs an input"),
    };
    format!(
        "No sources were provided for this capability type: pass one with `{flag}` (repeat it for `source: 1`, 2, …)"
    )
}

/// Adds the error's source chain as `Caused by:` lines.
fn chain(mut failure: Failure, error: &dyn std::error::Error) -> Failure {
    if failure.message != error.to_string() {
        failure = failure.caused_by(error);
    }
    let mut source = error.source();
    while let Some(e) = source {
        failure = failure.caused_by(e);
        source = e.source();
    }
    failure
}

/// A seed from the clock and the process id (the CLI is the host: it may use the OS).
fn entropy() -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(std::process::id()) << 32)
}
