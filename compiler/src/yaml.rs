//! The only file that names the YAML crate (saphyr-parser): YAML text → a [`Node`] tree whose
//! every node carries its byte [`Span`].
//!
//! Scalars keep their text and style; typing (null, bool, int, float, string) follows the YAML 1.2
//! core schema and is done by [`Node::scalar`]. Duplicate keys are kept (the parser reports them),
//! aliases are expanded (bounded, to resist "billion laughs" documents).
use std::borrow::Cow;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YamlSpan};

use crate::source::Span;

/// A YAML node with its byte span.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Scalar {
        text: String,
        quoted: bool,
    },
    Sequence(Vec<Node>),
    /// Key/value pairs in document order, duplicates included.
    Mapping(Vec<(Node, Node)>),
}

/// A scalar typed by the YAML 1.2 core schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'a str),
}

/// A YAML syntax error.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub message: String,
    pub span: Span,
}

/// Upper bound on nodes produced by alias expansion.
const MAX_NODES: usize = 1_000_000;
/// Upper bound on nesting depth.
const MAX_DEPTH: usize = 256;

/// Parses the first document of `text`. `Ok(None)` for an empty document.
pub fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let offsets = CharOffsets::new(text);
    let mut builder = Builder { offsets: &offsets, stack: Vec::new(), anchors: Vec::new(), nodes: 0, root: None };
    let mut parser = Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| {
            let at = offsets.byte(e.marker().index());
            SyntaxError { message: e.info().to_string(), span: Span::new(at, at) }
        })?;
        match event {
            Event::DocumentEnd if builder.root.is_some() => break,
            Event::StreamEnd => break,
            other => builder.event(other, span)?,
        }
    }
    Ok(builder.root)
}

struct Frame {
    start: usize,
    anchor: usize,
    kind: FrameKind,
}

enum FrameKind {
    Sequence(Vec<Node>),
    Mapping(Vec<(Node, Node)>, Option<Node>),
}

struct Builder<'o> {
    offsets: &'o CharOffsets,
    stack: Vec<Frame>,
    anchors: Vec<(usize, Node)>,
    nodes: usize,
    root: Option<Node>,
}

impl Builder<'_> {
    fn span(&self, span: YamlSpan) -> Span {
        Span::new(self.offsets.byte(span.start.index()), self.offsets.byte(span.end.index()))
    }

    fn event(&mut self, event: Event<'_>, yspan: YamlSpan) -> Result<(), SyntaxError> {
        let span = self.span(yspan);
        match event {
            Event::Scalar(text, style, anchor, _tag) => {
                let quoted = !matches!(style, ScalarStyle::Plain);
                let node = Node {
                    kind: NodeKind::Scalar { text: cow_into(text), quoted },
                    span: self.scalar_span(span, style),
                };
                self.finish(node, anchor)?;
            }
            Event::SequenceStart(anchor, _) => self.open(span, anchor, FrameKind::Sequence(Vec::new()))?,
            Event::MappingStart(anchor, _) => self.open(span, anchor, FrameKind::Mapping(Vec::new(), None))?,
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else { return Ok(()) };
                let end = self.last_end(&frame).max(span.end as usize).max(frame.start);
                let kind = match frame.kind {
                    FrameKind::Sequence(items) => NodeKind::Sequence(items),
                    FrameKind::Mapping(pairs, _) => NodeKind::Mapping(pairs),
                };
                self.finish(Node { kind, span: Span::new(frame.start, end) }, frame.anchor)?;
            }
            Event::Alias(id) => {
                let node = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(a, _)| *a == id)
                    .map(|(_, n)| n.clone())
                    .ok_or_else(|| SyntaxError { message: "unknown anchor".into(), span })?;
                self.nodes = self.nodes.saturating_add(count_nodes(&node));
                if self.nodes > MAX_NODES {
                    return Err(SyntaxError {
                        message: "the document expands to too many nodes (alias bomb?)".into(),
                        span,
                    });
                }
                let node = Node { span, ..node };
                self.finish(node, 0)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// For quoted scalars saphyr's span covers the quotes; keep it. Block scalars start at `|`.
    fn scalar_span(&self, span: Span, _style: ScalarStyle) -> Span {
        span
    }

    fn last_end(&self, frame: &Frame) -> usize {
        match &frame.kind {
            FrameKind::Sequence(items) => items.last().map_or(frame.start, |n| n.span.end as usize),
            FrameKind::Mapping(pairs, _) => pairs.last().map_or(frame.start, |(_, v)| v.span.end as usize),
        }
    }

    fn open(&mut self, span: Span, anchor: usize, kind: FrameKind) -> Result<(), SyntaxError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(SyntaxError {
                message: format!("the document is nested more than {MAX_DEPTH} levels deep"),
                span,
            });
        }
        self.stack.push(Frame { start: span.start as usize, anchor, kind });
        Ok(())
    }

    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), SyntaxError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(SyntaxError { message: "the document has too many nodes".into(), span: node.span });
        }
        if anchor != 0 {
            self.anchors.push((anchor, node.clone()));
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame { kind: FrameKind::Sequence(items), .. }) => items.push(node),
            Some(Frame { kind: FrameKind::Mapping(pairs, pending), .. }) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => pairs.push((key, node)),
            },
        }
        Ok(())
    }
}

fn cow_into(text: Cow<'_, str>) -> String {
    text.into_owned()
}

fn count_nodes(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Scalar { .. } => 1,
        NodeKind::Sequence(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        NodeKind::Mapping(pairs) => 1 + pairs.iter().map(|(k, v)| count_nodes(k) + count_nodes(v)).sum::<usize>(),
    }
}

/// Maps saphyr's character indices to byte offsets.
struct CharOffsets {
    /// Byte offset of every char (plus the end), or empty when the text is ASCII.
    table: Vec<usize>,
    len: usize,
}

impl CharOffsets {
    fn new(text: &str) -> Self {
        let table = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len())).collect()
        };
        CharOffsets { table, len: text.len() }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.table.is_empty() {
            char_index.min(self.len)
        } else {
            self.table.get(char_index).copied().unwrap_or(self.len)
        }
    }
}

impl Node {
    /// The scalar typed by the YAML 1.2 core schema; `None` for sequences and mappings.
    pub fn scalar(&self) -> Option<Scalar<'_>> {
        let NodeKind::Scalar { text, quoted } = &self.kind else { return None };
        if *quoted {
            return Some(Scalar::Str(text));
        }
        Some(classify_plain(text))
    }

    pub fn as_mapping(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Mapping(pairs) => Some(pairs),
            _ => None,
        }
    }

    pub fn as_sequence(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Sequence(items) => Some(items),
            _ => None,
        }
    }

    /// A word for what this node is, for messages: "a mapping", "a list", "a string", ...
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            NodeKind::Mapping(_) => "a mapping",
            NodeKind::Sequence(_) => "a list",
            NodeKind::Scalar { .. } => match self.scalar() {
                Some(Scalar::Null) => "empty (null)",
                Some(Scalar::Bool(_)) => "a boolean",
                Some(Scalar::Int(_)) => "an integer",
                Some(Scalar::Float(_)) => "a number",
                _ => "a string",
            },
        }
    }
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn classify_plain(text: &str) -> Scalar<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
        "true" | "True" | "TRUE" => return Scalar::Bool(true),
        "false" | "False" | "FALSE" => return Scalar::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Scalar::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Scalar::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Scalar::Float(f64::NAN),
        _ => {}
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if !hex.is_empty()
            && hex.chars().all(|c| c.is_ascii_hexdigit())
            && let Ok(v) = i128::from_str_radix(hex, 16)
        {
            return Scalar::Int(v);
        }
        return Scalar::Str(text);
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if !oct.is_empty()
            && oct.chars().all(|c| ('0'..='7').contains(&c))
            && let Ok(v) = i128::from_str_radix(oct, 8)
        {
            return Scalar::Int(v);
        }
        return Scalar::Str(text);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && let Ok(v) = text.parse::<i128>()
    {
        return Scalar::Int(v);
    }
    if is_core_float(digits)
        && let Ok(v) = text.parse::<f64>()
    {
        return Scalar::Float(v);
    }
    Scalar::Str(text)
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` (sign already stripped).
fn is_core_float(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let all_digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => all_digits(int) && all_digits(frac) && !(int.is_empty() && frac.is_empty()),
        None => !mantissa.is_empty() && all_digits(mantissa),
    };
    let exponent_ok = match exponent {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
        }
    };
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        parse(text).expect("valid yaml").expect("a document")
    }

    #[test]
    fn spans_are_bytes_even_after_multibyte_text() {
        let text = "a: \"größe\"\nb: 1\n";
        let node = root(text);
        let pairs = node.as_mapping().unwrap();
        let (key, value) = &pairs[1];
        assert_eq!(&text[key.span.range()], "b");
        assert_eq!(&text[value.span.range()], "1");
        assert_eq!(value.scalar(), Some(Scalar::Int(1)));
    }

    #[test]
    fn core_schema_typing() {
        let node = root("[1, -2, 0x10, 1.5, 1e-3, .5, 360.0, yes, true, ~, '1', 1.2.3, .]");
        let items: Vec<_> = node.as_sequence().unwrap().iter().map(|n| n.scalar().unwrap()).collect();
        assert_eq!(
            items,
            vec![
                Scalar::Int(1),
                Scalar::Int(-2),
                Scalar::Int(16),
                Scalar::Float(1.5),
                Scalar::Float(0.001),
                Scalar::Float(0.5),
                Scalar::Float(360.0),
                Scalar::Str("yes"),
                Scalar::Bool(true),
                Scalar::Null,
                Scalar::Str("1"),
                Scalar::Str("1.2.3"),
                Scalar::Str("."),
            ]
        );
    }

    #[test]
    fn duplicate_keys_are_kept_and_syntax_errors_located() {
        let node = root("a: 1\na: 2\n");
        assert_eq!(node.as_mapping().unwrap().len(), 2);
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(!err.message.is_empty());
        assert!(err.span.start > 0);
    }

    #[test]
    fn aliases_expand_but_bombs_are_refused() {
        let node = root("a: &x [1, 2]\nb: *x\n");
        assert_eq!(node.as_mapping().unwrap()[1].1.as_sequence().unwrap().len(), 2);
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = format!("*a{}", i - 1);
            bomb.push_str(&format!("a{i}: &a{i} [{}]\n", [prev.as_str(); 10].join(", ")));
        }
        assert!(parse(&bomb).is_err());
    }

    #[test]
    fn empty_and_block_scalars() {
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("# only a comment\n").unwrap(), None);
        let node = root("w: |\n  a\n  b\n");
        let (_, v) = &node.as_mapping().unwrap()[0];
        assert_eq!(v.scalar(), Some(Scalar::Str("a\nb\n")));
    }
}
