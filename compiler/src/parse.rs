//! Parse phase: YAML tree → [`Document`] (Runefile v1 syntax, every user value spanned).
//!
//! Never fails: every problem becomes a diagnostic and the offending item is left out, so later
//! phases still see everything that did parse. Messages of the original's parse phase are kept
//! verbatim (`missing field \`version\``, ...); the original's opaque
//! `data did not match any variant of untagged enum Stage` is replaced by messages naming the stage
//! and field.
use runtime::ResourceType;

use crate::diagnostics::{Diagnostic, Diagnostics, did_you_mean};
use crate::source::{Span, Spanned};
use crate::yaml::{self, Node, NodeKind, Scalar};

/// A Runefile as written.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub version: Option<Spanned<u64>>,
    pub image: Option<Spanned<String>>,
    /// Stages in declaration order (duplicates included; lowering reports them).
    pub pipeline: Vec<StageDecl>,
    pub resources: Vec<ResourceDecl>,
    /// The span of the whole document.
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct StageDecl {
    pub name: Spanned<String>,
    pub span: Span,
    pub kind: KindDecl,
    pub inputs: Vec<InputDecl>,
    pub outputs: Vec<OutputDecl>,
    pub args: Vec<ArgDecl>,
    /// Whether some input or output failed to parse (then counts are not checked).
    pub incomplete: bool,
}

#[derive(Debug, Clone)]
pub enum KindDecl {
    Model(Spanned<String>),
    ProcBlock(Spanned<String>),
    Capability(Spanned<String>),
    Out(Spanned<String>),
}

#[derive(Debug, Clone)]
pub struct InputDecl {
    /// As written (`fft.2`).
    pub text: Spanned<String>,
    pub stage: String,
    pub index: usize,
}

#[derive(Debug, Clone)]
pub struct OutputDecl {
    pub type_name: Spanned<String>,
    pub dimensions: Vec<usize>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct ArgDecl {
    pub key: Spanned<String>,
    /// The value as a string: trimmed text, or a number stringified the Rust way (`360.0` → `360`).
    pub value: Spanned<String>,
}

#[derive(Debug, Clone)]
pub struct ResourceDecl {
    pub name: Spanned<String>,
    pub span: Span,
    pub path: Option<Spanned<String>>,
    pub inline: Option<Spanned<String>>,
    pub ty: Spanned<ResourceType>,
}

/// Parses Runefile text. Never fails; problems are returned as diagnostics.
pub fn parse(text: &str) -> (Document, Diagnostics) {
    let mut p = Parser { text, diagnostics: Diagnostics::default() };
    let doc = match yaml::parse(text) {
        Err(err) => {
            p.diagnostics.push(
                Diagnostic::error("yaml-syntax", format!("Unable to parse the input: {}", err.message))
                    .with_primary(err.span, err.message),
            );
            Document { span: Span::new(0, text.len()), ..Document::default() }
        }
        Ok(None) => {
            let span = Span::new(0, text.len());
            for field in ["version", "image", "pipeline"] {
                p.diagnostics.push(missing_field(field, span).with_note("the Runefile is empty"));
            }
            Document { span, ..Document::default() }
        }
        Ok(Some(root)) => p.document(&root),
    };
    (doc, p.diagnostics)
}

fn missing_field(field: &str, span: Span) -> Diagnostic {
    Diagnostic::error("missing-field", format!("missing field `{field}`"))
        .with_primary(span, format!("`{field}` is required"))
}

/// A stage or resource name: `^[A-Za-z_][A-Za-z0-9_]*$`.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses an input reference `name` or `name.N` (the original's regex
/// `^[a-zA-Z_][\w-]*(\.\d+)?$`).
pub fn parse_input_ref(text: &str) -> Option<(String, usize)> {
    let (name, index) = match text.rsplit_once('.') {
        Some((name, digits)) if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) => {
            (name, digits.parse().ok()?)
        }
        Some(_) => return None,
        None => (text, 0),
    };
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    ok.then(|| (name.to_string(), index))
}

const TOP_LEVEL_KEYS: [&str; 4] = ["version", "image", "pipeline", "resources"];
const STAGE_KEYS: [&str; 7] = ["model", "proc-block", "capability", "out", "inputs", "outputs", "args"];
const KIND_KEYS: [&str; 4] = ["model", "proc-block", "capability", "out"];

struct Parser<'t> {
    text: &'t str,
    diagnostics: Diagnostics,
}

/// Key/value pairs of a mapping after duplicate keys were reported (the first one wins).
type Pairs<'n> = Vec<(Spanned<String>, &'n Node)>;

impl Parser<'_> {
    /// An empty span (an empty YAML value) widened back over the `-` or `:` before it, so that it
    /// can be shown.
    fn widen_to_indicator(&self, span: Span) -> Span {
        if span.start != span.end {
            return span;
        }
        let before = self.text.get(..span.start as usize).unwrap_or("");
        let trimmed = before.trim_end();
        match trimmed.chars().last() {
            Some(c @ ('-' | ':')) => Span::new(trimmed.len() - c.len_utf8(), trimmed.len()),
            _ => span,
        }
    }

    fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn document(&mut self, root: &Node) -> Document {
        let mut doc = Document { span: root.span, ..Document::default() };
        if root.as_mapping().is_none() {
            self.push(missing_field("version", root.span).with_note(format!(
                "a Runefile is a YAML mapping with `version`, `image` and `pipeline`, but this document is {}",
                root.describe()
            )));
            return doc;
        }
        let Some(pairs) = self.mapping(root, "the Runefile", None) else { return doc };
        let mut seen = [false; 4];
        for (key, value) in &pairs {
            match key.value.as_str() {
                "version" => {
                    seen[0] = true;
                    doc.version = self.version(value);
                }
                "image" => {
                    seen[1] = true;
                    doc.image = self.string(value, "`image`", None);
                }
                "pipeline" => {
                    seen[2] = true;
                    doc.pipeline = self.pipeline(value);
                }
                "resources" => {
                    seen[3] = true;
                    doc.resources = self.resources(value);
                }
                other => {
                    let mut d =
                        Diagnostic::warning("unknown-key", format!("Unknown top-level key \"{other}\" is ignored"))
                            .with_primary(key.span, "not a Runefile key");
                    if let Some(s) = did_you_mean(other, TOP_LEVEL_KEYS) {
                        d = d.with_note(format!("did you mean \"{s}\"?"));
                    }
                    self.push(d);
                }
            }
        }
        for (field, present) in ["version", "image", "pipeline"].iter().zip(seen) {
            if !present {
                let span = Span::new(root.span.start as usize, root.span.start as usize);
                self.push(missing_field(field, span));
            }
        }
        doc
    }

    fn version(&mut self, node: &Node) -> Option<Spanned<u64>> {
        match node.scalar() {
            Some(Scalar::Int(1)) => Some(Spanned::new(1, node.span)),
            Some(Scalar::Int(n)) if n >= 0 => {
                self.push(
                    Diagnostic::error(
                        "invalid-version",
                        format!("invalid value: integer `{n}`, expected version to be 1"),
                    )
                    .with_primary(node.span, "only version 1 exists"),
                );
                None
            }
            Some(Scalar::Str(s)) if s.trim() == "1" => {
                self.push(
                    missing_field("version", node.span)
                        .with_note("`version` must be the integer 1, not the string \"1\": remove the quotes"),
                );
                None
            }
            _ => {
                self.push(
                    missing_field("version", node.span)
                        .with_note(format!("`version` must be the integer 1, but it is {}", node.describe())),
                );
                None
            }
        }
    }

    /// A mapping's pairs with string keys; reports a non-mapping and duplicate keys.
    fn mapping<'n>(&mut self, node: &'n Node, what: &str, stage: Option<&str>) -> Option<Pairs<'n>> {
        let Some(raw) = node.as_mapping() else {
            let mut d = Diagnostic::error(
                "wrong-type",
                format!("{} should be a mapping, but it is {}", capitalise(what), node.describe()),
            )
            .with_primary(node.span, "expected a mapping");
            if let Some(stage) = stage {
                d = d.in_stage(stage);
            }
            self.push(d);
            return None;
        };
        let mut pairs: Pairs<'n> = Vec::with_capacity(raw.len());
        for (key, value) in raw {
            let Some(text) = scalar_text(key) else {
                self.push(
                    Diagnostic::error(
                        "wrong-type",
                        format!("Keys of {what} should be strings, but this key is {}", key.describe()),
                    )
                    .with_primary(key.span, "expected a string key"),
                );
                continue;
            };
            if let Some((first, _)) = pairs.iter().find(|(k, _)| k.value == text) {
                let mut d =
                    Diagnostic::error("duplicate-key", format!("The key \"{text}\" appears more than once in {what}"))
                        .with_primary(key.span, "duplicate key")
                        .with_secondary(first.span, "first used here")
                        .with_note("the original Rune silently kept the last value; remove one of them");
                if let Some(stage) = stage {
                    d = d.in_stage(stage);
                }
                self.push(d);
                continue;
            }
            pairs.push((Spanned::new(text, key.span), value));
        }
        Some(pairs)
    }

    fn string(&mut self, node: &Node, what: &str, stage: Option<&str>) -> Option<Spanned<String>> {
        match node.scalar() {
            Some(Scalar::Str(s)) => Some(Spanned::new(s.to_string(), node.span)),
            Some(Scalar::Int(_) | Scalar::Float(_)) => scalar_text(node).map(|s| Spanned::new(s, node.span)),
            _ => {
                let mut d = Diagnostic::error(
                    "wrong-type",
                    format!("{} should be a string, but it is {}", capitalise(what), node.describe()),
                )
                .with_primary(node.span, "expected a string");
                if let Some(stage) = stage {
                    d = d.in_stage(stage);
                }
                self.push(d);
                None
            }
        }
    }

    fn pipeline(&mut self, node: &Node) -> Vec<StageDecl> {
        // Duplicate stage names are reported by lowering ("defined multiple times"), so read the raw pairs.
        let Some(raw) = node.as_mapping() else {
            self.push(
                Diagnostic::error(
                    "wrong-type",
                    format!("`pipeline` should be a mapping of stage names to stages, but it is {}", node.describe()),
                )
                .with_primary(node.span, "expected a mapping")
                .with_note("write `pipeline: {}` for an empty pipeline"),
            );
            return Vec::new();
        };
        let mut stages = Vec::new();
        for (key, value) in raw {
            let Some(name) = scalar_text(key) else {
                self.push(
                    Diagnostic::error("wrong-type", "Stage names should be strings")
                        .with_primary(key.span, "expected a name"),
                );
                continue;
            };
            let name = Spanned::new(name, key.span);
            if let Some(stage) = self.stage(name, value) {
                stages.push(stage);
            }
        }
        stages
    }

    fn stage(&mut self, name: Spanned<String>, node: &Node) -> Option<StageDecl> {
        let stage_name = name.value.clone();
        let sn = Some(stage_name.as_str());
        let what = format!("the stage \"{stage_name}\"");
        let pairs = self.mapping(node, &what, sn)?;
        let kinds: Vec<&(Spanned<String>, &Node)> =
            pairs.iter().filter(|(k, _)| KIND_KEYS.contains(&k.value.as_str())).collect();
        let kind = match kinds.as_slice() {
            [] => {
                self.push(
                    Diagnostic::error(
                        "missing-stage-kind",
                        format!("The stage \"{stage_name}\" needs one of `capability`, `model`, `proc-block` or `out`"),
                    )
                    .with_primary(name.span, "what kind of stage is this?")
                    .with_note("the original reported this as: data did not match any variant of untagged enum Stage")
                    .in_stage(&stage_name),
                );
                return None;
            }
            [(key, value)] => {
                let what = format!("`{}` of \"{stage_name}\"", key.value);
                let text = self.string(value, &what, sn)?;
                match key.value.as_str() {
                    "model" => KindDecl::Model(text),
                    "proc-block" => KindDecl::ProcBlock(text),
                    "capability" => KindDecl::Capability(text),
                    _ => KindDecl::Out(text),
                }
            }
            [(first, _), (second, _), ..] => {
                self.push(
                    Diagnostic::error(
                        "conflicting-stage-kind",
                        format!(
                            "The stage \"{stage_name}\" has both `{}` and `{}`; a stage is exactly one kind",
                            first.value, second.value
                        ),
                    )
                    .with_primary(second.span, "second kind")
                    .with_secondary(first.span, "first kind")
                    .in_stage(&stage_name),
                );
                return None;
            }
        };
        let mut stage = StageDecl {
            name,
            span: node.span,
            kind,
            inputs: Vec::new(),
            outputs: Vec::new(),
            args: Vec::new(),
            incomplete: false,
        };
        let errors_before = self.diagnostics.error_count();
        for (key, value) in &pairs {
            match key.value.as_str() {
                "inputs" => {
                    stage.inputs = self.inputs(&stage_name, key, value, &stage.kind);
                    stage.incomplete |= self.diagnostics.error_count() > errors_before;
                }
                "outputs" => {
                    let before = self.diagnostics.error_count();
                    stage.outputs = self.outputs(&stage_name, key, value, &stage.kind);
                    stage.incomplete |= self.diagnostics.error_count() > before;
                }
                "args" => stage.args = self.args(&stage_name, value),
                k if KIND_KEYS.contains(&k) => {}
                other => {
                    let mut d = Diagnostic::warning(
                        "unknown-key",
                        format!("Unknown key \"{other}\" in the stage \"{stage_name}\" is ignored"),
                    )
                    .with_primary(key.span, "not a stage key")
                    .in_stage(&stage_name);
                    if let Some(s) = did_you_mean(other, STAGE_KEYS) {
                        d = d.with_note(format!("did you mean \"{s}\"?"));
                    }
                    self.push(d);
                }
            }
        }
        Some(stage)
    }

    fn inputs(&mut self, stage: &str, key: &Spanned<String>, node: &Node, kind: &KindDecl) -> Vec<InputDecl> {
        if let KindDecl::Capability(_) = kind {
            self.push(
                Diagnostic::warning(
                    "ignored-key",
                    format!("Capabilities take no inputs; `inputs` of \"{stage}\" is ignored"),
                )
                .with_primary(key.span, "ignored")
                .in_stage(stage),
            );
            return Vec::new();
        }
        let Some(items) = node.as_sequence() else {
            self.push(
                Diagnostic::error(
                    "wrong-type",
                    format!("`inputs` of \"{stage}\" should be a list of stage names, but it is {}", node.describe()),
                )
                .with_primary(node.span, "expected a list like [fft] or [fft.1]")
                .in_stage(stage),
            );
            return Vec::new();
        };
        let mut inputs = Vec::new();
        for item in items {
            let text = match item.scalar() {
                Some(Scalar::Str(s)) => s.to_string(),
                Some(Scalar::Null) => {
                    let span = self.widen_to_indicator(item.span);
                    self.push(
                        Diagnostic::error("empty-input", format!("The inputs of \"{stage}\" have an empty entry"))
                            .with_primary(span, "empty list item")
                            .with_note("remove the lone `-` or name the stage this input comes from")
                            .in_stage(stage),
                    );
                    continue;
                }
                _ => scalar_text(item).unwrap_or_default(),
            };
            match parse_input_ref(&text) {
                Some((name, index)) => {
                    inputs.push(InputDecl { text: Spanned::new(text, item.span), stage: name, index })
                }
                None => self.push(
                    Diagnostic::error(
                        "bad-input-syntax",
                        format!("Expected something like \"fft\" or \"fft.2\", found \"{text}\""),
                    )
                    .with_primary(item.span, "not a stage reference")
                    .in_stage(stage),
                ),
            }
        }
        inputs
    }

    fn outputs(&mut self, stage: &str, key: &Spanned<String>, node: &Node, kind: &KindDecl) -> Vec<OutputDecl> {
        if let KindDecl::Out(_) = kind {
            self.push(
                Diagnostic::warning(
                    "ignored-key",
                    format!("Out stages produce no outputs; `outputs` of \"{stage}\" is ignored"),
                )
                .with_primary(key.span, "ignored")
                .in_stage(stage),
            );
            return Vec::new();
        }
        let Some(items) = node.as_sequence() else {
            self.push(
                Diagnostic::error(
                    "wrong-type",
                    format!(
                        "`outputs` of \"{stage}\" should be a list of {{type, dimensions}}, but it is {}",
                        node.describe()
                    ),
                )
                .with_primary(node.span, "expected a list")
                .with_note("for example:\n  outputs:\n    - type: f32\n      dimensions: [1, 10]")
                .in_stage(stage),
            );
            return Vec::new();
        };
        items.iter().enumerate().filter_map(|(i, item)| self.output(stage, i, item)).collect()
    }

    fn output(&mut self, stage: &str, i: usize, node: &Node) -> Option<OutputDecl> {
        let what = format!("output {i} of \"{stage}\"");
        let pairs = self.mapping(node, &what, Some(stage))?;
        let mut type_name = None;
        let mut dimensions = Some(Vec::new());
        for (key, value) in &pairs {
            match key.value.as_str() {
                "type" => type_name = self.string(value, &format!("`type` of {what}"), Some(stage)),
                "dimensions" => dimensions = self.dimensions(stage, &what, value),
                other => self.push(
                    Diagnostic::warning("unknown-key", format!("Unknown key \"{other}\" in {what} is ignored"))
                        .with_primary(key.span, "expected `type` or `dimensions`")
                        .in_stage(stage),
                ),
            }
        }
        let Some(type_name) = type_name else {
            if !pairs.iter().any(|(k, _)| k.value == "type") {
                self.push(
                    missing_field("type", node.span)
                        .in_stage(stage)
                        .with_note(format!("{what} needs an element type such as `type: f32`")),
                );
            }
            return None;
        };
        Some(OutputDecl { type_name, dimensions: dimensions?, span: node.span })
    }

    fn dimensions(&mut self, stage: &str, what: &str, node: &Node) -> Option<Vec<usize>> {
        let bad = |p: &mut Parser<'_>, span: Span, found: &str| {
            p.push(
                Diagnostic::error(
                    "bad-dimensions",
                    format!("The dimensions of {what} should be a list of non-negative integers, but found {found}"),
                )
                .with_primary(span, "not a dimension")
                .in_stage(stage),
            );
        };
        let Some(items) = node.as_sequence() else {
            bad(self, node.span, node.describe());
            return None;
        };
        let mut dims = Vec::with_capacity(items.len());
        for item in items {
            match item.scalar() {
                Some(Scalar::Int(n)) if n >= 0 && usize::try_from(n).is_ok() => dims.push(n as usize),
                _ => {
                    let text = scalar_text(item).map_or_else(|| item.describe().to_string(), |t| format!("\"{t}\""));
                    bad(self, item.span, &text);
                    return None;
                }
            }
        }
        Some(dims)
    }

    fn args(&mut self, stage: &str, node: &Node) -> Vec<ArgDecl> {
        let what = format!("`args` of \"{stage}\"");
        let Some(pairs) = self.mapping(node, &what, Some(stage)) else { return Vec::new() };
        let mut args = Vec::new();
        for (key, value) in pairs {
            let text = match value.scalar() {
                Some(Scalar::Str(s)) => s.trim().to_string(),
                Some(Scalar::Int(n)) => n.to_string(),
                Some(Scalar::Float(f)) => f.to_string(),
                _ => {
                    let mut d = Diagnostic::error(
                        "bad-arg-value",
                        format!(
                            "The \"{}\" argument of \"{stage}\" should be a string or a number, but it is {}",
                            key.value,
                            value.describe()
                        ),
                    )
                    .with_primary(value.span, "unsupported value")
                    .in_stage(stage);
                    if value.as_sequence().is_some() {
                        d.message = format!(
                            "The \"{}\" argument of \"{stage}\" is a list, but lists aren't supported",
                            key.value
                        );
                        d = d.with_note(format!(
                            "write one item per line in a block scalar instead:\n  {}: |\n    first\n    second",
                            key.value
                        ));
                    }
                    self.push(d);
                    continue;
                }
            };
            if let Some(name) = text.strip_prefix('$')
                && !is_valid_name(name)
            {
                self.push(
                    Diagnostic::error(
                        "bad-resource-name",
                        format!("The resource reference \"{text}\" should be a valid identifier"),
                    )
                    .with_primary(value.span, "expected $ followed by a name like $LABELS")
                    .in_stage(stage),
                );
                continue;
            }
            args.push(ArgDecl { key, value: Spanned::new(text, value.span) });
        }
        args
    }

    fn resources(&mut self, node: &Node) -> Vec<ResourceDecl> {
        if let Some(Scalar::Null) = node.scalar() {
            return Vec::new();
        }
        let Some(raw) = node.as_mapping() else {
            self.push(
                Diagnostic::error(
                    "wrong-type",
                    format!("`resources` should be a mapping of names to resources, but it is {}", node.describe()),
                )
                .with_primary(node.span, "expected a mapping"),
            );
            return Vec::new();
        };
        let mut resources = Vec::new();
        for (key, value) in raw {
            let Some(name) = scalar_text(key) else { continue };
            let name = Spanned::new(name, key.span);
            if let Some(resource) = self.resource(name, value) {
                resources.push(resource);
            }
        }
        resources
    }

    fn resource(&mut self, name: Spanned<String>, node: &Node) -> Option<ResourceDecl> {
        let mut decl = ResourceDecl {
            name: name.clone(),
            span: node.span,
            path: None,
            inline: None,
            ty: Spanned::new(ResourceType::String, name.span),
        };
        if let Some(Scalar::Null) = node.scalar() {
            return Some(decl);
        }
        let what = format!("the resource \"{}\"", name.value);
        let pairs = self.mapping(node, &what, None)?;
        for (key, value) in pairs {
            match key.value.as_str() {
                "path" => decl.path = self.string(value, &format!("`path` of {what}"), None),
                "inline" => decl.inline = self.string(value, &format!("`inline` of {what}"), None),
                "type" => match value.scalar() {
                    Some(Scalar::Str("string")) => decl.ty = Spanned::new(ResourceType::String, value.span),
                    Some(Scalar::Str("binary")) => decl.ty = Spanned::new(ResourceType::Binary, value.span),
                    _ => {
                        let found = scalar_text(value).unwrap_or_else(|| value.describe().to_string());
                        self.push(
                            Diagnostic::error(
                                "unknown-resource-type",
                                format!("unknown variant `{found}`, expected `string` or `binary`"),
                            )
                            .with_primary(value.span, format!("not a resource type of \"{}\"", name.value)),
                        );
                    }
                },
                other => self.push(
                    Diagnostic::error(
                        "unknown-resource-field",
                        format!("unknown field `{other}`, expected one of `inline`, `path`, `type`"),
                    )
                    .with_primary(key.span, format!("not a field of the resource \"{}\"", name.value)),
                ),
            }
        }
        Some(decl)
    }
}

/// The text of a scalar node (any style); `None` for collections and null.
fn scalar_text(node: &Node) -> Option<String> {
    match &node.kind {
        NodeKind::Scalar { text, .. } => match node.scalar() {
            Some(Scalar::Null) => None,
            Some(Scalar::Int(n)) => Some(n.to_string()),
            Some(Scalar::Float(f)) => Some(f.to_string()),
            _ => Some(text.clone()),
        },
        _ => None,
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(text: &str) -> Vec<String> {
        parse(text).1.iter().map(|d| d.message.clone()).collect()
    }

    #[test]
    fn required_fields_are_reported_together() {
        assert_eq!(messages("pipeline: {}\n"), vec!["missing field `version`", "missing field `image`"]);
        assert_eq!(
            messages("version: 2\nimage: x\npipeline: {}\n"),
            vec!["invalid value: integer `2`, expected version to be 1"]
        );
        assert_eq!(messages("version: \"1\"\nimage: x\npipeline: {}\n"), vec!["missing field `version`"]);
        assert_eq!(messages("- a\n- b\n"), vec!["missing field `version`"]);
        assert_eq!(messages("").len(), 3);
    }

    #[test]
    fn args_are_stringified_and_trimmed() {
        let (doc, diags) = parse(
            "version: 1\nimage: x\npipeline:\n  m:\n    proc-block: p@1#modulo\n    args:\n      modulus: 360.0\n      eps: 1e-3\n      n: 5\n      w: |\n        a\n        b\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        let args: Vec<_> =
            doc.pipeline[0].args.iter().map(|a| (a.key.value.as_str(), a.value.value.as_str())).collect();
        assert_eq!(args, vec![("modulus", "360"), ("eps", "0.001"), ("n", "5"), ("w", "a\nb")]);
    }

    #[test]
    fn input_references() {
        assert_eq!(parse_input_ref("fft"), Some(("fft".into(), 0)));
        assert_eq!(parse_input_ref("fft.2"), Some(("fft".into(), 2)));
        assert_eq!(parse_input_ref("my-stage.1"), Some(("my-stage".into(), 1)));
        assert_eq!(parse_input_ref("2fft"), None);
        assert_eq!(parse_input_ref("fft."), None);
        assert_eq!(parse_input_ref("a.b"), None);
    }

    #[test]
    fn list_args_and_null_inputs_name_the_stage() {
        let msgs = messages(
            "version: 1\nimage: x\npipeline:\n  l:\n    proc-block: p@1#label\n    inputs:\n      -\n    args:\n      labels: [a, b]\n",
        );
        assert!(msgs.contains(&"The inputs of \"l\" have an empty entry".to_string()), "{msgs:?}");
        assert!(
            msgs.contains(&"The \"labels\" argument of \"l\" is a list, but lists aren't supported".to_string()),
            "{msgs:?}"
        );
    }
}
