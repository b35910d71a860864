//! From the compiler's byte spans to what a browser editor works in.
//!
//! The compiler reports [`Span`]s as UTF-8 byte offsets into the Runefile text. The DOM counts
//! UTF-16 code units (`selectionStart`, `setSelectionRange`, CodeMirror positions), and
//! people read 1-based `line:column`. Everything here is pure and unit-tested natively; the
//! components only call it.
use std::collections::BTreeMap;

use compiler::{Diagnostic, LineIndex, Severity, Span};

/// A range of the editor's text in **UTF-16 code units** from the start (`from <= to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EditorRange {
    pub from: u32,
    pub to: u32,
}

/// Where a span starts, for people: 1-based line and 1-based column in **UTF-16 code units**
/// (the column a browser editor shows, so the cursor lands where the number says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineColumn {
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for LineColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The UTF-16 offset of a byte offset (clamped to the text, moved back to a char boundary).
pub fn utf16_offset(text: &str, byte: u32) -> u32 {
    let mut end = (byte as usize).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let units = text.get(..end).map_or(0, |prefix| prefix.encode_utf16().count());
    u32::try_from(units).unwrap_or(u32::MAX)
}

/// The editor range of a byte span of `text`.
pub fn utf16_range(text: &str, span: Span) -> EditorRange {
    let from = utf16_offset(text, span.start);
    let to = utf16_offset(text, span.end).max(from);
    EditorRange { from, to }
}

/// The `line:column` of a byte offset of `text`.
pub fn line_column(text: &str, byte: u32) -> LineColumn {
    let position = LineIndex::new(text).position(byte);
    LineColumn { line: position.line, column: position.column_utf16 }
}

/// The worst severity on each 1-based line that holds a diagnostic's primary span start
/// (for the editor's gutter).
pub fn line_severities(text: &str, diagnostics: &[Diagnostic]) -> BTreeMap<u32, Severity> {
    let index = LineIndex::new(text);
    let mut lines = BTreeMap::new();
    for diagnostic in diagnostics {
        let Some(span) = diagnostic.primary_span() else { continue };
        let line = index.position(span.start).line;
        lines
            .entry(line)
            .and_modify(|worst: &mut Severity| *worst = (*worst).min(diagnostic.severity))
            .or_insert(diagnostic.severity);
    }
    lines
}

/// A diagnostic as the code editor underlines it: a UTF-16 range, a severity and the text its
/// hover tooltip shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintMark {
    pub range: EditorRange,
    pub severity: Severity,
    /// The message, then the primary label (when it says something) and the notes, one a line.
    pub message: String,
}

impl LintMark {
    /// The severity's name in CodeMirror's lint API.
    pub fn severity_name(&self) -> &'static str {
        match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// The editor's lint marks for `diagnostics` of `text`: one per diagnostic with a primary span,
/// at that span (diagnostics without a location are only listed in the Problems panel).
pub fn lint_marks(text: &str, diagnostics: &[Diagnostic]) -> Vec<LintMark> {
    diagnostics
        .iter()
        .filter_map(|diagnostic| {
            let label = diagnostic.labels.iter().find(|label| label.primary)?;
            let mut message = diagnostic.message.clone();
            let extra = Some(label.message.trim()).filter(|m| !m.is_empty() && *m != diagnostic.message);
            for line in extra.into_iter().chain(diagnostic.notes.iter().map(|note| note.trim())) {
                message.push('\n');
                message.push_str(line);
            }
            Some(LintMark { range: utf16_range(text, label.span), severity: diagnostic.severity, message })
        })
        .collect()
}

/// How far to scroll an editor so that 1-based `line` sits about a third of the way down.
pub fn scroll_top_for_line(line: u32, line_height: f64, viewport_height: f64) -> f64 {
    let top = f64::from(line.saturating_sub(1)) * line_height;
    (top - viewport_height / 3.0).max(0.0)
}

/// "2 errors, 1 warning", "1 error", "No problems".
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => "No problems".to_string(),
        (e, 0) => plural(e, "error"),
        (0, w) => plural(w, "warning"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // "é" is 2 UTF-8 bytes and 1 UTF-16 unit; "🦀" is 4 bytes and 2 units.
    const TEXT: &str = "name: é\nlabel: 🦀 crab\n";

    fn byte_of(needle: &str) -> u32 {
        TEXT.find(needle).map_or(u32::MAX, |i| i as u32)
    }

    #[test]
    fn utf16_offsets_count_code_units() {
        assert_eq!(utf16_offset(TEXT, 0), 0);
        assert_eq!(utf16_offset(TEXT, byte_of("\nlabel")), 7);
        // "label: " starts at unit 8; the crab takes 2 units, then a space.
        assert_eq!(utf16_offset(TEXT, byte_of("crab")), 8 + 7 + 2 + 1);
        // Inside a multi-byte character: moved back to its start.
        assert_eq!(utf16_offset(TEXT, byte_of("é") + 1), 6);
        // Past the end: clamped.
        assert_eq!(utf16_offset(TEXT, 10_000), TEXT.encode_utf16().count() as u32);
    }

    #[test]
    fn ranges_are_converted_and_never_reversed() {
        let start = byte_of("crab");
        let range = utf16_range(TEXT, Span::new(start as usize, start as usize + 4));
        assert_eq!(range, EditorRange { from: 18, to: 22 });
        let reversed = Span { start: 20, end: 3 };
        let range = utf16_range(TEXT, reversed);
        assert!(range.from <= range.to);
    }

    #[test]
    fn line_columns_are_one_based_utf16() {
        assert_eq!(line_column(TEXT, 0), LineColumn { line: 1, column: 1 });
        assert_eq!(line_column(TEXT, byte_of("crab")).to_string(), "2:11");
        assert_eq!(line_column("", 5), LineColumn { line: 1, column: 1 });
    }

    #[test]
    fn gutter_marks_keep_the_worst_severity_per_line() {
        let text = "a\nb\nc\n";
        let at = |start: usize| Span::new(start, start + 1);
        let diagnostics = vec![
            Diagnostic::warning("w", "warn").with_primary(at(2), ""),
            Diagnostic::error("e", "err").with_primary(at(2), ""),
            Diagnostic::warning("w", "warn").with_primary(at(4), ""),
            Diagnostic::error("e", "no span"),
        ];
        let lines = line_severities(text, &diagnostics);
        assert_eq!(lines.into_iter().collect::<Vec<_>>(), vec![(2, Severity::Error), (3, Severity::Warning)]);
    }

    #[test]
    fn lint_marks_are_utf16_ranges_with_the_notes_in_the_message() {
        let start = byte_of("crab");
        let diagnostics = vec![
            Diagnostic::error("e", "Unable to find \"crab\"")
                .with_primary(Span::new(start as usize, start as usize + 4), "not a stage")
                .with_note("did you mean \"crabs\"?"),
            Diagnostic::warning("w", "odd").with_primary(Span::new(0, 4), "odd"),
            Diagnostic::error("e", "no span"),
        ];
        let marks = lint_marks(TEXT, &diagnostics);
        assert_eq!(marks.len(), 2);
        assert_eq!(marks[0].range, EditorRange { from: 18, to: 22 });
        assert_eq!(marks[0].severity_name(), "error");
        assert_eq!(marks[0].message, "Unable to find \"crab\"\nnot a stage\ndid you mean \"crabs\"?");
        // A label that repeats the message is not shown twice.
        assert_eq!(marks[1].message, "odd");
        assert_eq!(marks[1].severity_name(), "warning");
    }

    #[test]
    fn summaries_pluralise() {
        let error = Diagnostic::error("e", "x");
        let warning = Diagnostic::warning("w", "y");
        assert_eq!(summary(&[]), "No problems");
        assert_eq!(summary(std::slice::from_ref(&error)), "1 error");
        assert_eq!(summary(&[warning.clone(), warning.clone()]), "2 warnings");
        assert_eq!(summary(&[error.clone(), warning, error]), "2 errors, 1 warning");
    }

    #[test]
    fn scrolling_puts_the_line_a_third_down() {
        assert_eq!(scroll_top_for_line(1, 20.0, 300.0), 0.0);
        assert_eq!(scroll_top_for_line(31, 20.0, 300.0), 500.0);
    }
}
