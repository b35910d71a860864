//! The Rune compiler: Runefile text → checked pipeline graph → `.rune` artifact.
//!
//! # Steps
//! 1. [`parse`](parse::parse): YAML text → [`parse::Document`] (every value spanned) + diagnostics.
//! 2. [`lower`](lower::lower): document → [`Graph`] (names, resources, files, inputs resolved).
//! 3. [`check`](check::check): cycles, stage signatures, model I/O, capability arguments.
//! 4. [`emit`]: graph → [`runtime::Manifest`] → `.rune` bytes.
//!
//! [`compile`] runs steps 1–3. It never fails and never panics: problems are [`Diagnostic`]s with
//! byte spans, rendered by [`render`] or turned into editor marks with [`LineIndex`]. The graph is
//! built even from broken input, so it can be drawn ([`svg`], [`dot`]) while the user types.
//!
//! File access goes through the [`Files`] trait; this crate does no I/O of its own.
#![cfg_attr(test, allow(clippy::unwrap_used))]
pub mod check;
pub mod diagnostics;
pub mod dot;
pub mod emit;
pub mod files;
pub mod graph;
pub mod lower;
pub mod parse;
pub mod render;
pub mod source;
pub mod svg;
mod yaml;

pub use diagnostics::{Diagnostic, Diagnostics, Label, Severity};
pub use files::{FileContent, FileError, Files, MemoryFiles, NoFiles};
pub use graph::Graph;
pub use source::{LineIndex, Position, Span, Spanned};

use runtime::{Artifact, BuildInfo, Manifest};

/// The result of compiling a Runefile.
#[derive(Debug, Clone)]
pub struct Compilation {
    pub graph: Graph,
    /// Every diagnostic of every phase, sorted by position.
    pub diagnostics: Diagnostics,
}

/// Parses, lowers and checks a Runefile. `name` is the Rune's name.
pub fn compile(source: &str, name: &str, files: &dyn Files) -> Compilation {
    let (document, mut diagnostics) = parse::parse(source);
    let (mut graph, lowering) = lower::lower(&document, name, files);
    diagnostics.0.extend(lowering);
    check::check(&mut graph, &mut diagnostics);
    diagnostics.sort();
    Compilation { graph, diagnostics }
}

/// Why a compilation produced no artifact.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("{}", if *.0 == 1 { "There was a build error".to_string() } else { format!("There were {} build errors", .0) })]
    Errors(usize),
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.has_errors()
    }

    /// The checked pipeline, when there are no errors.
    pub fn manifest(&self) -> Result<Manifest, BuildError> {
        self.ensure_ok()?;
        emit::to_manifest(&self.graph).ok_or(BuildError::Errors(1))
    }

    /// The artifact, when there are no errors.
    pub fn artifact(&self, build: BuildInfo) -> Result<Artifact, BuildError> {
        self.ensure_ok()?;
        emit::to_artifact(&self.graph, build).ok_or(BuildError::Errors(1))
    }

    /// The `.rune` bytes, when there are no errors.
    pub fn to_bytes(&self, build: BuildInfo) -> Result<Vec<u8>, BuildError> {
        Ok(self.artifact(build)?.to_bytes())
    }

    fn ensure_ok(&self) -> Result<(), BuildError> {
        match self.diagnostics.error_count() {
            0 => Ok(()),
            n => Err(BuildError::Errors(n)),
        }
    }
}
