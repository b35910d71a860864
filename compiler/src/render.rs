//! Renders diagnostics as text with codespan-reporting (terminal, tests, the app's Problems panel).
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel, Severity as CsSeverity};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Config};

use crate::diagnostics::{Diagnostic, Severity};

/// Renders diagnostics (no colour) for a file named `file_name` with `source` text.
pub fn render(diagnostics: &[Diagnostic], file_name: &str, source: &str) -> String {
    let file = SimpleFile::new(file_name, source);
    let config = Config::default();
    let mut out = String::new();
    for d in diagnostics {
        match term::emit_into_string(&config, &file, &to_codespan(d, source.len())) {
            Ok(text) => out.push_str(&text),
            Err(_) => {
                out.push_str(&plain(d));
                out.push('\n');
            }
        }
    }
    out
}

/// Renders diagnostics with ANSI colours, for terminals.
#[cfg(feature = "colour")]
pub fn render_ansi(diagnostics: &[Diagnostic], file_name: &str, source: &str) -> String {
    use codespan_reporting::term::termcolor::Ansi;
    let file = SimpleFile::new(file_name, source);
    let config = Config::default();
    let mut writer = Ansi::new(Vec::new());
    for d in diagnostics {
        if term::emit_to_write_style(&mut writer, &config, &file, &to_codespan(d, source.len())).is_err() {
            return render(diagnostics, file_name, source);
        }
    }
    String::from_utf8_lossy(&writer.into_inner()).into_owned()
}

/// One line per diagnostic: `error: message` plus `= note` lines.
pub fn plain(d: &Diagnostic) -> String {
    let mut s = format!("{}: {}", severity_word(d.severity), d.message);
    for note in &d.notes {
        s.push_str(&format!("\n  = {note}"));
    }
    s
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn to_codespan(d: &Diagnostic, len: usize) -> CsDiagnostic<()> {
    let severity = match d.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
    };
    let labels = d
        .labels
        .iter()
        .map(|l| {
            let range = (l.span.start as usize).min(len)..(l.span.end as usize).min(len);
            let label = if l.primary { CsLabel::primary((), range) } else { CsLabel::secondary((), range) };
            label.with_message(l.message.clone())
        })
        .collect();
    CsDiagnostic::new(severity).with_message(d.message.clone()).with_labels(labels).with_notes(d.notes.clone())
}
