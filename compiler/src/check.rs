//! Checks on the lowered graph: cycles, stage signatures against the runtime's catalogue,
//! declared model I/O against the model file, capability arguments. Errors here are what the
//! original only found when rustc compiled the generated code, or at run time.
use runtime::catalog::{self, ArgType, Inputs, OutPort, Outputs, ProcBlockSignature};
use runtime::{CapabilityKind, ElementType, TensorType};

use crate::diagnostics::{Diagnostic, Diagnostics, did_you_mean};
use crate::graph::{Graph, ModelData, Stage, StageKind};

/// Runs every check, in the original's order (cycles first), and marks stages with errors.
pub fn check(graph: &mut Graph, diagnostics: &mut Diagnostics) {
    check_cycles(graph, diagnostics);
    for stage in &graph.stages {
        match &stage.kind {
            StageKind::Model { format, data, .. } => check_model(graph, stage, *format, data.as_ref(), diagnostics),
            StageKind::ProcBlock { block: Some(block), .. } => check_proc_block(graph, stage, block, diagnostics),
            StageKind::ProcBlock { block: None, .. } => {}
            StageKind::Capability { kind: Some(kind), .. } => check_capability(stage, *kind, diagnostics),
            StageKind::Capability { kind: None, .. } => {}
            StageKind::Out { kind, .. } => check_out(stage, *kind, diagnostics),
        }
    }
    for d in diagnostics.iter().filter(|d| d.is_error()) {
        if let Some(name) = &d.stage
            && let Some(stage) = graph.stages.iter_mut().find(|s| &s.name.value == name)
        {
            stage.has_errors = true;
        }
    }
}

/// Reports the first cycle found by a depth-first search in declaration order.
fn check_cycles(graph: &Graph, diagnostics: &mut Diagnostics) {
    let n = graph.stages.len();
    // consumers[i] = stages that take an output of stage i ("i passes data to j").
    let mut consumers = vec![Vec::new(); n];
    for (j, stage) in graph.stages.iter().enumerate() {
        for input in &stage.inputs {
            if let Some(i) = input.resolved.as_ref().and_then(|t| graph.stage_index(&t.stage))
                && !consumers[i].contains(&j)
            {
                consumers[i].push(j);
            }
        }
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks = vec![Mark::New; n];
    for root in 0..n {
        if marks[root] != Mark::New {
            continue;
        }
        // Iterative DFS: (node, next consumer to visit).
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        marks[root] = Mark::Active;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&consumer) = consumers[node].get(*next) {
                *next += 1;
                match marks[consumer] {
                    Mark::New => {
                        marks[consumer] = Mark::Active;
                        stack.push((consumer, 0));
                    }
                    Mark::Active => {
                        let start = stack.iter().position(|&(s, _)| s == consumer).unwrap_or(0);
                        let cycle: Vec<usize> = stack[start..].iter().map(|&(s, _)| s).collect();
                        diagnostics.push(cycle_diagnostic(graph, &cycle));
                        return;
                    }
                    Mark::Done => {}
                }
            } else {
                marks[node] = Mark::Done;
                stack.pop();
            }
        }
    }
}

fn cycle_diagnostic(graph: &Graph, cycle: &[usize]) -> Diagnostic {
    let first = &graph.stages[cycle[0]];
    let name = |i: usize| graph.stages[i].name.value.as_str();
    let mut d = Diagnostic::error("cycle", format!("Cycle detected when checking \"{}\"", first.name.value))
        .with_primary(first.name.span, "this stage depends on its own output")
        .in_stage(&first.name.value);
    for &i in &cycle[1..] {
        d = d.with_note(format!("... which passes data to \"{}\"...", name(i)));
    }
    d = d.with_note(format!("... which passes data to \"{}\", completing the cycle.", first.name.value));
    // Label every edge of the cycle at the consuming input.
    for (k, &i) in cycle.iter().enumerate() {
        let consumer = &graph.stages[cycle[(k + 1) % cycle.len()]];
        if let Some(input) =
            consumer.inputs.iter().find(|inp| inp.resolved.as_ref().is_some_and(|t| t.stage == name(i)))
        {
            d = d.with_secondary(
                input.text.span,
                format!("\"{}\" passes data to \"{}\" here", name(i), consumer.name.value),
            );
        }
    }
    d
}

fn input_types<'g>(graph: &'g Graph, stage: &Stage) -> Vec<Option<&'g TensorType>> {
    stage.inputs.iter().map(|i| i.resolved.as_ref().and_then(|t| graph.tensor_type(t))).collect()
}

fn list(types: &[ElementType]) -> String {
    if types.len() == ElementType::NUMERIC.len() && types.iter().all(|t| *t != ElementType::Utf8) {
        return "any numeric type".to_string();
    }
    types.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") }
}

/// "1 is" / "2 are".
fn count_is(n: usize) -> String {
    if n == 1 { "1 is".to_string() } else { format!("{n} are") }
}

fn check_proc_block(graph: &Graph, stage: &Stage, block: &ProcBlockSignature, out: &mut Diagnostics) {
    let name = stage.name.value.as_str();
    let who = format!("\"{name}\" ({})", block.name);
    check_args(stage, &who, block.args, true, out);
    let inputs = input_types(graph, stage);
    // Inputs: count and element types.
    match block.inputs {
        Inputs::Fixed(ports) => {
            if ports.len() != stage.inputs.len() && !stage.incomplete {
                let names: Vec<&str> = ports.iter().map(|p| p.name).collect();
                out.push(
                    Diagnostic::error(
                        "input-count",
                        format!(
                            "{who} takes {} ({}), but {} given",
                            plural(ports.len(), "input"),
                            names.join(", "),
                            count_is(stage.inputs.len())
                        ),
                    )
                    .with_primary(stage.name.span, "wrong number of inputs")
                    .in_stage(name),
                );
            }
            for ((port, ty), input) in ports.iter().zip(&inputs).zip(&stage.inputs) {
                if let Some(ty) = ty
                    && !port.types.contains(&ty.element_type)
                {
                    out.push(
                        Diagnostic::error(
                            "input-type",
                            format!(
                                "The \"{}\" input of {who} can't be {}; it accepts {}",
                                port.name,
                                ty.element_type,
                                list(port.types)
                            ),
                        )
                        .with_primary(input.text.span, format!("this is {ty}"))
                        .in_stage(name),
                    );
                }
            }
        }
        Inputs::Variadic { min } => {
            if stage.inputs.len() < min && !stage.incomplete {
                out.push(
                    Diagnostic::error("input-count", format!("{who} needs at least {}", plural(min, "input")))
                        .with_primary(stage.name.span, "too few inputs")
                        .in_stage(name),
                );
            }
        }
    }
    // Outputs: count and element types.
    let expected: Vec<ExpectedOutput> = match block.outputs {
        Outputs::Fixed(ports) => ports.iter().map(|p| resolve_out_port(p, &inputs)).collect(),
        Outputs::MirrorInputs => inputs
            .iter()
            .map(|t| t.map_or(ExpectedOutput::Unknown, |t| ExpectedOutput::Exactly(t.element_type)))
            .collect(),
    };
    if expected.len() != stage.outputs.len() && !stage.incomplete {
        out.push(
            Diagnostic::error(
                "output-count",
                format!(
                    "{who} produces {}, but {} declared",
                    plural(expected.len(), "output"),
                    count_is(stage.outputs.len())
                ),
            )
            .with_primary(stage.name.span, "wrong number of outputs")
            .in_stage(name),
        );
    }
    for (i, (want, decl)) in expected.iter().zip(&stage.outputs).enumerate() {
        let Some(ty) = &decl.ty else { continue };
        let problem = match want {
            ExpectedOutput::Exactly(t) if *t != ty.element_type => Some(format!("{} produces {t}", block.name)),
            ExpectedOutput::OneOf(ts) if !ts.contains(&ty.element_type) => {
                Some(format!("{} produces one of {}", block.name, list(ts)))
            }
            _ => None,
        };
        if let Some(problem) = problem {
            out.push(
                Diagnostic::error(
                    "output-type",
                    format!("Output {i} of \"{name}\" is declared as {}, but {problem}", ty.element_type),
                )
                .with_primary(decl.type_span, format!("declared as {ty}"))
                .in_stage(name),
            );
        }
    }
    if let Some(check_shapes) = block.check_shapes
        && inputs.iter().all(Option::is_some)
        && stage.outputs.iter().all(|o| o.ty.is_some())
    {
        let ins: Vec<TensorType> = inputs.iter().flatten().map(|t| (*t).clone()).collect();
        let outs: Vec<TensorType> = stage.outputs.iter().filter_map(|o| o.ty.clone()).collect();
        let arg =
            |key: &str| stage.args.iter().find(|(k, _)| k.replace('-', "_") == key).map(|(_, a)| a.value.value.clone());
        for warning in check_shapes(&ins, &outs, &arg) {
            out.push(
                Diagnostic::warning("shape", format!("{warning} (in \"{name}\")"))
                    .with_primary(stage.name.span, "this will fail when the Rune runs")
                    .in_stage(name),
            );
        }
    }
}

enum ExpectedOutput {
    Exactly(ElementType),
    OneOf(&'static [ElementType]),
    Unknown,
}

fn resolve_out_port(port: &OutPort, inputs: &[Option<&TensorType>]) -> ExpectedOutput {
    match port {
        OutPort::Fixed(t) => ExpectedOutput::Exactly(*t),
        OutPort::OneOf(ts) => ExpectedOutput::OneOf(ts),
        OutPort::SameAsInput(i) => inputs
            .get(*i)
            .copied()
            .flatten()
            .map_or(ExpectedOutput::Unknown, |t| ExpectedOutput::Exactly(t.element_type)),
    }
}

/// Unknown argument names and values that do not parse. `strict`: unknown names are errors
/// (proc-blocks, whose generated setters did not exist) rather than warnings (capabilities).
fn check_args(stage: &Stage, who: &str, specs: &[catalog::ArgSpec], strict: bool, out: &mut Diagnostics) {
    let name = stage.name.value.as_str();
    for (key, arg) in &stage.args {
        let Some(spec) = catalog::find_arg(specs, key) else {
            let known: Vec<&str> = specs.iter().map(|a| a.name).collect();
            let message = if strict {
                format!("{who} has no argument \"{key}\"")
            } else {
                format!("The \"{key}\" argument of {who} is not used")
            };
            let mut d = if strict {
                Diagnostic::error("unknown-arg", message)
            } else {
                Diagnostic::warning("unknown-arg", message)
            };
            d = d.with_primary(arg.key_span, "unknown argument").in_stage(name);
            if let Some(s) = did_you_mean(&key.replace('-', "_"), known.iter().copied()) {
                d = d.with_note(format!("did you mean \"{s}\"?"));
            }
            d = d.with_note(if known.is_empty() {
                "it takes no arguments".to_string()
            } else {
                format!("its arguments: {}", known.join(", "))
            });
            out.push(d);
            continue;
        };
        let value = &arg.value.value;
        if value.starts_with('$') {
            if !strict {
                out.push(
                    Diagnostic::error(
                        "resource-capability-arg",
                        format!("The \"{key}\" argument of {who} can't be a resource"),
                    )
                    .with_primary(arg.value.span, "capability arguments are numbers")
                    .in_stage(name),
                );
            }
            continue;
        }
        if value.starts_with('@') && spec.ty != ArgType::PixelFormat {
            out.push(
                Diagnostic::error(
                    "rust-expression",
                    format!(
                        "The \"{key}\" argument of {who} is a Rust expression, which the playground can't evaluate"
                    ),
                )
                .with_primary(arg.value.span, "only @PixelFormat::RGB, ::BGR and ::GrayScale are understood")
                .in_stage(name),
            );
            continue;
        }
        if !spec.ty.accepts(value) {
            out.push(
                Diagnostic::error(
                    "bad-arg",
                    format!("The \"{key}\" argument of {who} should be {}, but it is \"{value}\"", spec.ty.describe()),
                )
                .with_primary(arg.value.span, "invalid value")
                .in_stage(name),
            );
        }
    }
}

fn arg_value<'s>(stage: &'s Stage, key: &str) -> Option<&'s str> {
    stage.args.iter().find(|(k, _)| k.replace('-', "_") == key).map(|(_, a)| a.value.value.as_str())
}

fn check_capability(stage: &Stage, kind: CapabilityKind, out: &mut Diagnostics) {
    let name = stage.name.value.as_str();
    let sig = catalog::capability(kind);
    let who = format!("the {} capability \"{name}\"", kind.runefile_name());
    check_args(stage, &who, sig.args, false, out);
    for spec in sig.args.iter().filter(|a| a.default.is_none()) {
        if arg_value(stage, spec.name).is_none() {
            out.push(
                Diagnostic::error(
                    "missing-arg",
                    format!(
                        "The {} capability \"{name}\" needs a \"{}\" argument ({})",
                        kind.runefile_name(),
                        spec.name,
                        spec.doc
                    ),
                )
                .with_primary(stage.name.span, format!("add `{}: ...` under args", spec.name))
                .in_stage(name),
            );
        }
    }
    if stage.outputs.len() != 1 {
        if stage.incomplete {
            return;
        }
        out.push(
            Diagnostic::error(
                "capability-outputs",
                format!("A capability has exactly one output, but \"{name}\" declares {}", stage.outputs.len()),
            )
            .with_primary(stage.name.span, "declare one output")
            .in_stage(name),
        );
        return;
    }
    let Some(ty) = &stage.outputs[0].ty else { return };
    if !sig.output_types.contains(&ty.element_type) {
        out.push(
            Diagnostic::error(
                "capability-type",
                format!(
                    "The {} capability \"{name}\" produces {}, but its output is declared as {}",
                    kind.runefile_name(),
                    list(sig.output_types),
                    ty.element_type
                ),
            )
            .with_primary(stage.outputs[0].type_span, format!("declared as {ty}"))
            .in_stage(name),
        );
        return;
    }
    let number = |key: &str| arg_value(stage, key).and_then(|v| v.parse::<u64>().ok());
    let expected = match kind {
        CapabilityKind::Image | CapabilityKind::FloatImage => {
            let channels =
                arg_value(stage, "pixel_format").and_then(catalog::parse_pixel_format).map_or(3, |p| p.channels());
            number("width")
                .zip(number("height"))
                .map(|(w, h)| (w * h * channels as u64, format!("{w} x {h} x {channels} channels")))
        }
        CapabilityKind::Sound => number("hz")
            .zip(number("sample_duration_ms"))
            .map(|(hz, ms)| (hz.saturating_mul(ms) / 1000, format!("{hz} Hz x {ms} ms"))),
        _ => None,
    };
    if let (Some((want, why)), Some(have)) = (expected, ty.element_count())
        && want != have as u64
    {
        out.push(
            Diagnostic::warning("capability-size", format!("\"{name}\" declares {ty} ({have} elements), but {why} gives {want}; the input will be padded with zeros or truncated"))
                .with_primary(stage.outputs[0].span, "size mismatch")
                .in_stage(name),
        );
    }
}

fn check_out(stage: &Stage, kind: Option<runtime::OutKind>, out: &mut Diagnostics) {
    let name = stage.name.value.as_str();
    if let Some(kind) = kind
        && stage.inputs.len() > kind.max_inputs()
    {
        out.push(
            Diagnostic::error(
                "too-many-inputs",
                format!(
                    "\"{name}\" has {} inputs, but a {} output takes at most {}",
                    stage.inputs.len(),
                    kind.graph_name(),
                    kind.max_inputs()
                ),
            )
            .with_primary(stage.name.span, "too many inputs")
            .in_stage(name),
        );
    }
    if stage.inputs.is_empty() {
        out.push(
            Diagnostic::warning(
                "unused-out",
                format!("The out stage \"{name}\" has no inputs, so it receives nothing"),
            )
            .with_primary(stage.name.span, "add inputs")
            .in_stage(name),
        );
    }
}

fn check_model(
    graph: &Graph,
    stage: &Stage,
    format: runtime::ModelFormat,
    data: Option<&ModelData>,
    out: &mut Diagnostics,
) {
    let name = stage.name.value.as_str();
    if !stage.args.is_empty() {
        let keys: Vec<&str> = stage.args.keys().map(String::as_str).collect();
        let mut d =
            Diagnostic::warning("unused-model-args", format!("Unused arguments for {name}: {}", keys.join(", ")))
                .in_stage(name);
        for arg in stage.args.values() {
            d = d.with_primary(arg.key_span, "unused");
        }
        out.push(d.with_note("models only use the `format` argument"));
    }
    if (stage.inputs.is_empty() || stage.outputs.is_empty()) && !stage.incomplete {
        let what = if stage.inputs.is_empty() { "inputs" } else { "outputs" };
        out.push(
            Diagnostic::error("model-io", format!("The model \"{name}\" has no {what}"))
                .with_primary(stage.name.span, format!("declare its {what}"))
                .in_stage(name),
        );
    }
    if !format.is_runnable() {
        let file = match &stage.kind {
            StageKind::Model { file, .. } => file.span,
            _ => stage.name.span,
        };
        out.push(
            Diagnostic::warning(
                "format-not-runnable",
                format!(
                    "\"{name}\" is a {} model, which the playground can't run yet (only tensorflow-lite)",
                    format.name()
                ),
            )
            .with_primary(file, "compiled, but not runnable")
            .in_stage(name),
        );
    }
    let Some(info) = data.and_then(|d| d.tflite.as_ref()) else { return };
    if stage.incomplete || stage.inputs.is_empty() || stage.outputs.is_empty() {
        return;
    }
    let given = input_types(graph, stage);
    compare_io(stage, "input", &given, &info.inputs, out);
    let declared: Vec<Option<&TensorType>> = stage.outputs.iter().map(|o| o.ty.as_ref()).collect();
    compare_io(stage, "output", &declared, &info.outputs, out);
}

/// Declared vs actual model tensors; warnings, since the original compiles such Runes.
fn compare_io(
    stage: &Stage,
    what: &str,
    declared: &[Option<&TensorType>],
    actual: &[runtime::tflite::TensorInfo],
    out: &mut Diagnostics,
) {
    let name = stage.name.value.as_str();
    if declared.len() != actual.len() {
        let list: Vec<String> = actual.iter().map(|t| t.describe()).collect();
        out.push(
            Diagnostic::warning(
                "model-io-count",
                format!(
                    "\"{name}\" has {} {what}s, but the model has {}: {}",
                    declared.len(),
                    actual.len(),
                    list.join(", ")
                ),
            )
            .with_primary(stage.name.span, format!("{what} count differs from the model"))
            .in_stage(name),
        );
    }
    for (i, (decl, real)) in declared.iter().zip(actual).enumerate() {
        let (Some(decl), Some(real_ty)) = (decl, real.tensor_type()) else { continue };
        if **decl != real_ty {
            let span = if what == "input" { stage.inputs[i].text.span } else { stage.outputs[i].span };
            out.push(
                Diagnostic::warning(
                    "model-io-mismatch",
                    format!(
                        "{} {i} of \"{name}\" is {decl}, but the model's \"{}\" is {real_ty}",
                        capital(what),
                        real.name
                    ),
                )
                .with_primary(span, format!("the model expects {real_ty}"))
                .in_stage(name),
            );
        }
    }
}

fn capital(word: &str) -> String {
    let mut c = word.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
