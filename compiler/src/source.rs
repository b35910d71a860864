//! Byte spans into the Runefile text and line/column conversion (UTF-8 bytes and UTF-16 units).
use serde::Serialize;

/// A byte range `start..end` into the Runefile text (UTF-8 byte offsets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Span { start: clamp(start), end: clamp(end.max(start)) }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// A value together with where the Runefile wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

/// A position: 1-based line, 1-based column. `column` counts UTF-8 bytes, `column_utf16` counts
/// UTF-16 code units (what browser editors use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
    pub column_utf16: u32,
}

/// Converts byte offsets of one text to line/column positions.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, line_starts }
    }

    /// The position of a byte offset (clamped to the text and moved back to a char boundary).
    pub fn position(&self, offset: u32) -> Position {
        let mut offset = (offset as usize).min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s <= offset).saturating_sub(1);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let prefix = self.text.get(start..offset).unwrap_or("");
        Position {
            line: to_u32(line + 1),
            column: to_u32(offset - start + 1),
            column_utf16: to_u32(prefix.encode_utf16().count() + 1),
        }
    }
}

fn to_u32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_bytes_and_utf16_units() {
        let text = "a: 1\nlabel: \"größe\" # 🦀 x\n";
        let index = LineIndex::new(text);
        assert_eq!(index.position(0), Position { line: 1, column: 1, column_utf16: 1 });
        let x = text.find(" x").unwrap() as u32 + 1;
        let pos = index.position(x);
        assert_eq!(pos.line, 2);
        // "label: "größe" # 🦀 " = 7 + 7 chars (ö, ß: 2 bytes each) + 3 + crab (4 bytes, 2 units) + 1
        assert_eq!(pos.column, (x as usize - 5 + 1) as u32);
        assert_eq!(pos.column_utf16, 7 + 7 + 3 + 2 + 1 + 1);
        // past the end and inside a multi-byte char are clamped
        assert_eq!(index.position(10_000).line, 3);
        let inside = (text.find('ö').unwrap() + 1) as u32;
        assert_eq!(index.position(inside), index.position(inside - 1));
    }
}
