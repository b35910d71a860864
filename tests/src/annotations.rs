//! Fixture Runefiles carry their expected diagnostics as comments:
//!
//! ```yaml
//!     inputs:
//!       - asdf
//!       # ^^^^ error: Unable to find "asdf"
//! # error: missing field `image`         <- anywhere in the file
//! ```
//!
//! A caret line refers to the nearest line above it that is not an annotation; the carets mark
//! the exact primary span. The text after `error:`/`warning:` must be contained in the message.
//! Every diagnostic the compiler reports must be annotated.
use compiler::{Diagnostic, Severity, Span};

#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    pub severity: Severity,
    pub message: String,
    /// `None` for file-level annotations.
    pub span: Option<Span>,
    /// 1-based line of the annotation, for messages.
    pub line: usize,
}

/// Reads the annotations of a fixture.
pub fn parse(source: &str) -> Vec<Expected> {
    let mut expected = Vec::new();
    let mut offset = 0;
    let mut target: Option<(usize, &str)> = None; // (byte offset of line start, line)
    for (i, line) in source.split_inclusive('\n').enumerate() {
        let content = line.trim_end_matches(['\n', '\r']);
        if let Some(annotation) = annotation(content) {
            let span = annotation
                .carets
                .and_then(|(col, len)| target.map(|(start, _)| Span::new(start + col, start + col + len)));
            expected.push(Expected { severity: annotation.severity, message: annotation.message, span, line: i + 1 });
        } else if !content.trim().is_empty() {
            target = Some((offset, content));
        }
        offset += line.len();
    }
    expected
}

struct Annotation {
    severity: Severity,
    message: String,
    carets: Option<(usize, usize)>,
}

fn annotation(line: &str) -> Option<Annotation> {
    let hash = line.find('#')?;
    if !line[..hash].trim().is_empty() {
        return None;
    }
    let rest = &line[hash + 1..];
    let trimmed = rest.trim_start();
    let carets = if trimmed.starts_with('^') {
        let col = hash + 1 + (rest.len() - trimmed.len());
        let len = trimmed.chars().take_while(|c| *c == '^').count();
        Some((col, len))
    } else {
        None
    };
    let after = trimmed.trim_start_matches('^').trim_start();
    let (severity, message) = if let Some(m) = after.strip_prefix("error:") {
        (Severity::Error, m)
    } else if let Some(m) = after.strip_prefix("warning:") {
        (Severity::Warning, m)
    } else {
        return None;
    };
    Some(Annotation { severity, message: message.trim().to_string(), carets })
}

/// Matches diagnostics against expectations; returns the problems found (empty when all match).
pub fn check(expected: &[Expected], actual: &[Diagnostic]) -> Vec<String> {
    let mut unmatched: Vec<&Diagnostic> = actual.iter().collect();
    let mut problems = Vec::new();
    for e in expected {
        let found = unmatched.iter().position(|d| {
            d.severity == e.severity
                && d.message.contains(&e.message)
                && e.span.is_none_or(|s| d.primary_span() == Some(s))
        });
        match found {
            Some(i) => {
                unmatched.remove(i);
            }
            None => problems.push(format!(
                "line {}: expected {:?} {:?} at {:?}, not reported",
                e.line, e.severity, e.message, e.span
            )),
        }
    }
    for d in unmatched {
        problems.push(format!("unexpected {:?}: {} at {:?}", d.severity, d.message, d.primary_span()));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carets_point_at_the_line_above() {
        let src = "a:\n  - asdf\n  # ^^^^ error: Unable\n# warning: anywhere\n";
        let exp = parse(src);
        assert_eq!(exp.len(), 2);
        let span = exp[0].span.unwrap();
        assert_eq!(&src[span.range()], "asdf");
        assert_eq!(exp[1].span, None);
        assert_eq!(exp[1].severity, Severity::Warning);
    }
}
