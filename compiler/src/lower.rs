//! Lowering: [`Document`] → [`Graph`]. Resolves names, resources, files, proc-block references,
//! element types and inputs. Every problem is a diagnostic; the graph keeps everything that
//! resolved so the playground can draw it.
use std::collections::HashMap;
use std::io::Write;

use indexmap::IndexMap;
use runtime::catalog::{self, ProcBlockSignature};
use runtime::{CapabilityKind, ElementType, ModelFormat, OutKind, ResourceType, TensorRef, TensorType};

use crate::diagnostics::{Diagnostic, Diagnostics, did_you_mean};
use crate::files::{FileContent, Files};
use crate::graph::{Arg, Graph, Input, ModelData, Output, Resource, ResourceDefault, Stage, StageKind};
use crate::parse::{ArgDecl, Document, KindDecl, ResourceDecl, StageDecl, is_valid_name};
use crate::source::{Span, Spanned};

/// The proc-block version whose semantics the built-ins implement.
pub const PROC_BLOCKS_VERSION: &str = "v0.11.3";

/// Lowers a parsed document. `name` is the Rune's name.
pub fn lower(doc: &Document, name: &str, files: &dyn Files) -> (Graph, Diagnostics) {
    let mut l = Lowerer { files, diagnostics: Diagnostics::default() };
    let mut graph = Graph { name: name.to_string(), image: doc.image.clone(), ..Graph::default() };
    let (stages, resources) = l.unique_names(doc);
    graph.resources = resources.into_iter().map(|r| l.resource(r)).collect();
    for decl in stages {
        let stage = l.stage(decl, &graph);
        graph.stages.push(stage);
    }
    l.resolve_inputs(&mut graph);
    (graph, l.diagnostics)
}

struct Lowerer<'f> {
    files: &'f dyn Files,
    diagnostics: Diagnostics,
}

impl Lowerer<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// Reports invalid and duplicate names; returns the first declaration of each name.
    fn unique_names<'d>(&mut self, doc: &'d Document) -> (Vec<&'d StageDecl>, Vec<&'d ResourceDecl>) {
        let mut spans: IndexMap<&str, Vec<Span>> = IndexMap::new();
        let names = doc.pipeline.iter().map(|s| &s.name).chain(doc.resources.iter().map(|r| &r.name));
        for name in names {
            spans.entry(name.value.as_str()).or_default().push(name.span);
            if !is_valid_name(&name.value) {
                let suggestion: String =
                    name.value.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
                self.push(
                    Diagnostic::error("invalid-name", format!("\"{}\" is not a valid name", name.value))
                        .with_primary(name.span, "names use letters, digits and _, and do not start with a digit")
                        .with_note(format!(
                            "try \"{}\"",
                            if is_valid_name(&suggestion) { suggestion } else { format!("_{suggestion}") }
                        )),
                );
            }
        }
        for (name, spans) in &spans {
            if let [first, rest @ ..] = spans.as_slice()
                && !rest.is_empty()
            {
                let mut d =
                    Diagnostic::error("duplicate-name", format!("The name \"{name}\" is defined multiple times"))
                        .with_secondary(*first, "The first definition is here");
                for (i, span) in rest.iter().enumerate() {
                    d = if i == 0 {
                        d.with_primary(*span, "Redefined here")
                    } else {
                        d.with_secondary(*span, "Redefined here")
                    };
                }
                self.push(d);
            }
        }
        let mut seen = std::collections::HashSet::new();
        let stages = doc.pipeline.iter().filter(|s| seen.insert(s.name.value.as_str())).collect();
        let resources = doc.resources.iter().filter(|r| seen.insert(r.name.value.as_str())).collect();
        (stages, resources)
    }

    fn resource(&mut self, decl: &ResourceDecl) -> Resource {
        let name = &decl.name.value;
        let default = match (&decl.path, &decl.inline) {
            (Some(path), Some(inline)) => {
                self.push(
                    Diagnostic::error(
                        "path-and-inline",
                        format!("The resource \"{name}\" can't specify both a \"path\" and \"inline\" default value"),
                    )
                    .with_primary(inline.span, "inline value")
                    .with_secondary(path.span, "path"),
                );
                None
            }
            (Some(path), None) => {
                let bytes = self.read(&path.value, name, path.span);
                if let Some(bytes) = &bytes
                    && decl.ty.value == ResourceType::String
                    && std::str::from_utf8(bytes).is_err()
                {
                    self.push(
                        Diagnostic::error(
                            "resource-not-utf8",
                            format!("The string resource \"{name}\" is not valid UTF-8"),
                        )
                        .with_primary(path.span, "this file is binary")
                        .with_note("declare it with `type: binary`, or point it at a text file"),
                    );
                }
                Some(ResourceDefault::FromDisk { path: path.clone(), bytes })
            }
            (None, Some(inline)) => Some(ResourceDefault::Inline(inline.clone())),
            (None, None) => None,
        };
        Resource { name: decl.name.clone(), span: decl.span, ty: decl.ty.value, default }
    }

    /// Reads a file (a folder is zipped). Reports `Unable to read ...` on failure.
    fn read(&mut self, path: &str, owner: &str, span: Span) -> Option<Vec<u8>> {
        match self.files.read(path) {
            Ok(FileContent::File(bytes)) => Some(bytes),
            Ok(FileContent::Directory(entries)) => match zip_directory(&entries) {
                Ok(bytes) => Some(bytes),
                Err(e) => {
                    self.push(
                        Diagnostic::error("unreadable-file", format!("Unable to read \"{path}\" for \"{owner}\": {e}"))
                            .with_primary(span, "could not zip this folder"),
                    );
                    None
                }
            },
            Err(e) => {
                self.push(
                    Diagnostic::error(
                        "unreadable-file",
                        format!("Unable to read \"{}\" for \"{owner}\": {}", e.full_path, e.reason),
                    )
                    .with_primary(span, "this file could not be read"),
                );
                None
            }
        }
    }

    fn stage(&mut self, decl: &StageDecl, graph: &Graph) -> Stage {
        let name = decl.name.value.as_str();
        let mut args: IndexMap<String, Arg> = decl
            .args
            .iter()
            .map(|a| (a.key.value.clone(), Arg { key_span: a.key.span, value: a.value.clone() }))
            .collect();
        let kind = match &decl.kind {
            KindDecl::Capability(written) => {
                StageKind::Capability { kind: self.capability_kind(name, written), written: written.clone() }
            }
            KindDecl::Out(written) => StageKind::Out { kind: self.out_kind(name, written), written: written.clone() },
            KindDecl::Model(file) => self.model(name, file, &mut args, graph),
            KindDecl::ProcBlock(path) => {
                StageKind::ProcBlock { path: path.clone(), block: self.proc_block(name, path) }
            }
        };
        self.resource_args(name, &decl.args, graph, matches!(kind, StageKind::Model { .. }));
        let outputs = decl
            .outputs
            .iter()
            .map(|o| {
                let ty = match ElementType::parse(&o.type_name.value) {
                    Ok(element_type) => Some(TensorType::new(element_type, o.dimensions.clone())),
                    Err(e) => {
                        self.push(
                            Diagnostic::error("unknown-element-type", e.to_string())
                                .with_primary(
                                    o.type_name.span,
                                    "expected u8, i8, u16, i16, u32, i32, f32, u64, i64, f64 or utf8",
                                )
                                .in_stage(name),
                        );
                        None
                    }
                };
                Output { ty, span: o.span, type_span: o.type_name.span }
            })
            .collect();
        let inputs = decl.inputs.iter().map(|i| Input { text: i.text.clone(), resolved: None }).collect();
        Stage {
            name: decl.name.clone(),
            span: decl.span,
            kind,
            args,
            inputs,
            outputs,
            has_errors: false,
            incomplete: decl.incomplete,
        }
    }

    fn capability_kind(&mut self, stage: &str, written: &Spanned<String>) -> Option<CapabilityKind> {
        let kind = CapabilityKind::parse(&written.value);
        if kind.is_none() {
            let spellings = CapabilityKind::ALL.map(|k| k.runefile_name());
            let mut d = Diagnostic::error(
                "unknown-capability",
                format!("Unknown capability \"{}\" in \"{stage}\"", written.value),
            )
            .with_primary(written.span, "expected RAND, SOUND, ACCEL, IMAGE, RAW or FLOAT_IMAGE")
            .in_stage(stage);
            let upper = written.value.to_uppercase().replace('-', "_");
            if let Some(s) =
                spellings.iter().find(|s| **s == upper).copied().or_else(|| did_you_mean(&upper, spellings))
            {
                d = d.with_note(format!("did you mean \"{s}\"?"));
            }
            self.push(d);
        }
        kind
    }

    fn out_kind(&mut self, stage: &str, written: &Spanned<String>) -> Option<OutKind> {
        let kind = OutKind::parse(&written.value);
        if kind.is_none() {
            self.push(
                Diagnostic::error("unknown-out", format!("Unknown output kind \"{}\" in \"{stage}\"", written.value))
                    .with_primary(written.span, "expected SERIAL or TENSOR")
                    .in_stage(stage),
            );
        }
        kind
    }

    fn model(
        &mut self,
        stage: &str,
        file: &Spanned<String>,
        args: &mut IndexMap<String, Arg>,
        graph: &Graph,
    ) -> StageKind {
        let format = match args.shift_remove("format") {
            None => ModelFormat::TensorFlowLite,
            Some(arg) if arg.value.value.starts_with('$') => {
                self.push(
                    Diagnostic::error(
                        "resource-format",
                        format!("The format of \"{stage}\" can't come from a resource"),
                    )
                    .with_primary(arg.value.span, "write the format out, e.g. tensorflow-lite")
                    .in_stage(stage),
                );
                ModelFormat::TensorFlowLite
            }
            Some(arg) => ModelFormat::parse(&arg.value.value).unwrap_or_else(|| {
                let names = ModelFormat::ALL.map(|f| f.name());
                let mut d = Diagnostic::error(
                    "unknown-format",
                    format!("Expected the format to be one of {}, but found \"{}\"", names.join(", "), arg.value.value),
                )
                .with_primary(arg.value.span, "unknown model format")
                .in_stage(stage);
                if let Some(s) = did_you_mean(&arg.value.value, names) {
                    d = d.with_note(format!("did you mean \"{s}\"?"));
                }
                self.push(d);
                ModelFormat::TensorFlowLite
            }),
        };
        let data = if let Some(res_name) = file.value.strip_prefix('$') {
            self.model_resource(stage, res_name, file, graph)
        } else {
            self.read(&file.value, stage, file.span).map(|bytes| (bytes, false))
        };
        let data = data.map(|(bytes, from_resource)| {
            let tflite = (format == ModelFormat::TensorFlowLite).then(|| runtime::tflite::read_info(&bytes));
            let tflite = match tflite {
                Some(Ok(info)) => Some(info),
                Some(Err(e)) => {
                    self.push(
                        Diagnostic::error(
                            "invalid-model",
                            format!("\"{}\" is not a valid TensorFlow Lite model: {e}", file.value),
                        )
                        .with_primary(file.span, "could not read this model")
                        .with_note("set `args: {format: ...}` if it is another format")
                        .in_stage(stage),
                    );
                    None
                }
                None => None,
            };
            ModelData { bytes, from_resource, tflite }
        });
        StageKind::Model { file: file.clone(), format, data }
    }

    /// `model: $NAME`: the resource must exist, be a resource, and be binary.
    fn model_resource(
        &mut self,
        stage: &str,
        res_name: &str,
        file: &Spanned<String>,
        graph: &Graph,
    ) -> Option<(Vec<u8>, bool)> {
        let reference = &file.value;
        match graph.resource(res_name) {
            Some(resource) if resource.ty != ResourceType::Binary => {
                self.push(
                    Diagnostic::error("not-binary-resource", format!("\"{reference}\" should be a binary resource"))
                        .with_primary(file.span, "models are binary")
                        .with_secondary(resource.name.span, "declared here")
                        .in_stage(stage),
                );
                None
            }
            Some(resource) => match &resource.default {
                Some(ResourceDefault::FromDisk { bytes: Some(bytes), .. }) => Some((bytes.clone(), true)),
                Some(ResourceDefault::Inline(text)) => Some((text.value.clone().into_bytes(), true)),
                _ => None,
            },
            None if self.is_stage_name(res_name, graph) => {
                self.push(
                    Diagnostic::error("not-a-resource", format!("\"{reference}\" is not a resource"))
                        .with_primary(file.span, "this names a stage")
                        .in_stage(stage),
                );
                None
            }
            None => {
                let mut d = Diagnostic::error("no-definition", format!("No definition for \"{reference}\""))
                    .with_primary(file.span, "no resource has this name")
                    .with_note(format!("declare it under `resources:`, e.g.\nresources:\n  {res_name}:\n    path: ./model.tflite\n    type: binary"))
                    .in_stage(stage);
                if let Some(s) = did_you_mean(res_name, graph.resources.iter().map(|r| r.name.value.as_str())) {
                    d = d.with_note(format!("did you mean \"${s}\"?"));
                }
                self.push(d);
                None
            }
        }
    }

    fn is_stage_name(&self, name: &str, graph: &Graph) -> bool {
        graph.stage(name).is_some()
    }

    /// Every `$NAME` argument must name a resource (models' `format` was handled already).
    fn resource_args(&mut self, stage: &str, args: &[ArgDecl], graph: &Graph, is_model: bool) {
        for arg in args {
            if is_model && arg.key.value == "format" {
                continue;
            }
            let Some(res_name) = arg.value.value.strip_prefix('$') else { continue };
            if graph.resource(res_name).is_none() {
                let mut d = Diagnostic::error("not-a-resource", format!("\"{}\" is not a resource", arg.value.value))
                    .with_primary(arg.value.span, "no resource has this name")
                    .in_stage(stage);
                if let Some(s) = did_you_mean(res_name, graph.resources.iter().map(|r| r.name.value.as_str())) {
                    d = d.with_note(format!("did you mean \"${s}\"?"));
                }
                self.push(d);
            }
        }
    }

    fn proc_block(&mut self, stage: &str, path: &Spanned<String>) -> Option<&'static ProcBlockSignature> {
        let Some(reference) = ProcBlockRef::parse(&path.value) else {
            self.push(
                Diagnostic::error("bad-proc-block-path", format!("\"{}\" is not a proc-block reference", path.value))
                    .with_primary(path.span, "expected something like hotg-ai/proc-blocks@v0.11.3#label")
                    .in_stage(stage),
            );
            return None;
        };
        let name = reference.crate_name();
        let block = catalog::proc_block(name);
        let available = || catalog::proc_blocks().iter().map(|p| p.name).collect::<Vec<_>>().join(", ");
        if reference.is_local() {
            match block {
                Some(b) => self.push(
                    Diagnostic::warning(
                        "local-proc-block",
                        format!(
                            "The local proc-block \"{}\" used by \"{stage}\" is replaced by the built-in \"{}\"",
                            path.value, b.name
                        ),
                    )
                    .with_primary(path.span, "the playground does not build Rust crates")
                    .in_stage(stage),
                ),
                None => self.push(
                    Diagnostic::error(
                        "unavailable-proc-block",
                        format!(
                            "The local proc-block \"{}\" used by \"{stage}\" is not available in the playground",
                            path.value
                        ),
                    )
                    .with_primary(path.span, "the playground cannot build Rust crates")
                    .with_note(format!("built-in proc-blocks: {}", available()))
                    .in_stage(stage),
                ),
            }
            return block;
        }
        let Some(block) = block else {
            let names: Vec<&str> = catalog::proc_blocks().iter().map(|p| p.name).collect();
            let mut d =
                Diagnostic::error("unknown-proc-block", format!("Unknown proc-block \"{name}\" used by \"{stage}\""))
                    .with_primary(path.span, "not a built-in proc-block")
                    .in_stage(stage);
            if let Some(s) = did_you_mean(&name.replace('-', "_"), names) {
                d = d.with_note(format!("did you mean \"{}\"?", s.replace('_', "-")));
            }
            d = d.with_note(format!("built-in proc-blocks: {}", available()));
            self.push(d);
            return None;
        };
        if reference.is_legacy_rune_repo() {
            self.push(
                Diagnostic::warning(
                    "legacy-proc-block",
                    format!(
                        "\"{}\" is a pre-0.9 reference; \"{stage}\" uses the built-in \"{}\"",
                        path.value, block.name
                    ),
                )
                .with_primary(path.span, "proc_blocks/ no longer exists in hotg-ai/rune")
                .with_note(format!(
                    "hint: change it to something like \"hotg-ai/proc-blocks@{PROC_BLOCKS_VERSION}#{name}\""
                ))
                .in_stage(stage),
            );
        } else if reference.version.is_none() {
            self.push(
                Diagnostic::warning(
                    "missing-version-specifier",
                    format!("The \"{}\" proc block used by \"{stage}\" should have a version specifier", path.value),
                )
                .with_primary(path.span, "no @version")
                .with_note(format!(
                    "hint: change it to something like \"{}\"",
                    reference.with_version(PROC_BLOCKS_VERSION)
                ))
                .in_stage(stage),
            );
        } else if let Some(version) = reference.version.filter(|v| !v.trim_start_matches('v').starts_with("0.11")) {
            self.push(
                Diagnostic::warning("proc-block-version", format!("The built-in \"{}\" has the semantics of {PROC_BLOCKS_VERSION}; \"{version}\" is treated as {PROC_BLOCKS_VERSION}", block.name))
                    .with_primary(path.span, "version not available")
                    .in_stage(stage),
            );
        }
        Some(block)
    }

    fn resolve_inputs(&mut self, graph: &mut Graph) {
        let index: HashMap<String, usize> =
            graph.stages.iter().enumerate().map(|(i, s)| (s.name.value.clone(), i)).collect();
        let output_counts: Vec<(usize, bool)> =
            graph.stages.iter().map(|s| (s.outputs.len(), matches!(s.kind, StageKind::Out { .. }))).collect();
        let stage_names: Vec<String> = graph.stages.iter().map(|s| s.name.value.clone()).collect();
        for stage in &mut graph.stages {
            let stage_name = stage.name.value.clone();
            for input in &mut stage.inputs {
                let Some((target, idx)) = crate::parse::parse_input_ref(&input.text.value) else { continue };
                let Some(&producer) = index.get(&target) else {
                    let mut d = Diagnostic::error(
                        "unknown-input",
                        format!("Unable to find \"{}\" to use as an input for \"{stage_name}\"", input.text.value),
                    )
                    .with_primary(input.text.span, "no stage has this name")
                    .in_stage(&stage_name);
                    if let Some(s) = did_you_mean(&target, stage_names.iter().map(String::as_str)) {
                        d = d.with_note(format!("did you mean \"{s}\"?"));
                    }
                    self.push(d);
                    continue;
                };
                let (count, is_out) = output_counts[producer];
                if count == 0 {
                    let mut d = Diagnostic::error(
                        "input-has-no-outputs",
                        format!("The \"{target}\" in {stage_name}'s \"{}\" input has no inputs", input.text.value),
                    )
                    .with_primary(input.text.span, format!("\"{target}\" has no outputs"))
                    .in_stage(&stage_name);
                    if is_out {
                        d = d.with_note(format!("\"{target}\" is an out stage; out stages produce nothing"));
                    }
                    self.push(d);
                    continue;
                }
                if idx >= count {
                    self.push(
                        Diagnostic::error("no-such-output", format!("The \"{target}\" node has no {idx}'th output"))
                            .with_primary(
                                input.text.span,
                                format!("\"{target}\" has {count} output{}", if count == 1 { "" } else { "s" }),
                            )
                            .in_stage(&stage_name),
                    );
                    continue;
                }
                input.resolved = Some(TensorRef { stage: target, index: idx });
            }
        }
    }
}

/// A parsed proc-block reference `base[@version][#sub_path]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcBlockRef<'a> {
    pub base: &'a str,
    pub version: Option<&'a str>,
    pub sub_path: Option<&'a str>,
}

impl<'a> ProcBlockRef<'a> {
    pub fn parse(text: &'a str) -> Option<Self> {
        let text = text.trim();
        let (before, sub_path) = match text.split_once('#') {
            Some((b, s)) => (b, Some(s)),
            None => (text, None),
        };
        let (base, version) = match before.split_once('@') {
            Some((b, v)) => (b, Some(v)),
            None => (before, None),
        };
        let word = |c: char| c.is_alphanumeric() || c == '_';
        let base_ok = !base.is_empty() && base.chars().all(|c| word(c) || ":/.-".contains(c));
        let version_ok = version.is_none_or(|v| !v.is_empty() && v.chars().all(|c| word(c) || "./-".contains(c)));
        let sub_ok = sub_path.is_none_or(|s| !s.is_empty() && s.chars().all(|c| word(c) || "./-".contains(c)));
        (base_ok && version_ok && sub_ok).then_some(ProcBlockRef { base, version, sub_path })
    }

    /// The last `/` segment of the sub-path, or of the base.
    pub fn crate_name(&self) -> &'a str {
        let source = self.sub_path.unwrap_or(self.base).trim_end_matches('/');
        source.rsplit('/').next().unwrap_or(source)
    }

    pub fn is_local(&self) -> bool {
        self.base.starts_with('.') || self.base.starts_with('/')
    }

    fn is_legacy_rune_repo(&self) -> bool {
        self.base == "hotg-ai/rune" && self.sub_path.is_some_and(|s| s.starts_with("proc_blocks/"))
    }

    fn with_version(&self, version: &str) -> String {
        match self.sub_path {
            Some(sub) => format!("{}@{version}#{sub}", self.base),
            None => format!("{}@{version}", self.base),
        }
    }
}

/// Zips a folder's files (sorted, deflated, fixed timestamps so builds are reproducible).
fn zip_directory(entries: &[(String, Vec<u8>)]) -> Result<Vec<u8>, zip::result::ZipError> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (name, bytes) in entries {
        writer.start_file(name.as_str(), options)?;
        writer.write_all(bytes)?;
    }
    Ok(writer.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_block_references() {
        let r = ProcBlockRef::parse("hotg-ai/proc-blocks@v0.11.3#most_confident_indices").unwrap();
        assert_eq!(
            (r.base, r.version, r.crate_name()),
            ("hotg-ai/proc-blocks", Some("v0.11.3"), "most_confident_indices")
        );
        assert_eq!(ProcBlockRef::parse("./identity").unwrap().crate_name(), "identity");
        assert!(ProcBlockRef::parse("./identity").unwrap().is_local());
        assert_eq!(ProcBlockRef::parse("hotg-ai/rune#proc_blocks/fft").unwrap().crate_name(), "fft");
        assert_eq!(ProcBlockRef::parse("whatever@1.2").unwrap().crate_name(), "whatever");
        assert_eq!(
            ProcBlockRef::parse("hotg-ai/proc-blocks#label").unwrap().with_version("v0.11.3"),
            "hotg-ai/proc-blocks@v0.11.3#label"
        );
        assert!(ProcBlockRef::parse("a b").is_none());
        assert!(ProcBlockRef::parse("x@#y").is_none());
    }

    #[test]
    fn zips_are_reproducible() {
        let entries = vec![("a.json".to_string(), b"{}".to_vec()), ("b.bin".to_string(), vec![0; 100])];
        let a = zip_directory(&entries).unwrap();
        assert_eq!(a, zip_directory(&entries).unwrap());
        assert_eq!(&a[..4], b"PK\x03\x04");
    }
}
