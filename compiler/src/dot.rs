//! `rune graph`: the pipeline as Graphviz DOT, in the original's exact format (spec §5.5).
//!
//! ```text
//! digraph {
//!   rankdir=TD;
//!   node [shape=plaintext];
//!   node_<name> [fillcolor=<colour>, style="filled", label=<
//!     <table border="0" cellborder="0" cellspacing="5">
//!       <tr><td><table cellborder="1" cellspacing="0"><tr><td port="input_0">0</td>...</tr></table></td></tr>
//!       <tr><td><name>: <qualifier></td></tr>
//!       <tr><td><table cellborder="1" cellspacing="0"><tr><td port="output_0">0</td>...</tr></table></td></tr>
//!     </table>
//!   >];
//!   ...
//!   node_<producer>:output_<i>:s -> node_<consumer>:input_<j>:n [label="<shape>"];
//! }
//! ```
//!
//! * Nodes: capabilities, then models, then proc-blocks, then outputs; each group in declaration
//!   order (the original used `HashMap` order, which is not reproducible). Port rows are left out
//!   when a stage has no inputs / outputs.
//! * Colours: capability `lightgreen`, model `violet`, proc-block `tan1`, output `indianred1`.
//! * Edges: one per consumer input that resolves, in node order and then input order, labelled
//!   with the producer's declared tensor type (`f32[1, 1]`), or `?` when that type is unknown.
//!   Inputs that do not resolve have no edge.
//!
//! Playground extensions (a [`Graph`] can come from a broken Runefile):
//! * A stage with `has_errors` gets `color=red, penwidth=2` after `style="filled"`.
//! * Names and qualifiers are HTML-escaped in labels (`&`, `<`, `>`, `"`); the original wrote
//!   them raw, which only differs for text Graphviz could not have parsed anyway.
//! * A stage name that is not a plain identifier (`[A-Za-z0-9_]+`) gets a quoted node ID
//!   (`"node_my-stage"`) so the output stays valid DOT.
use std::fmt::Write as _;

use crate::graph::{Graph, Stage, StageKind};

/// Renders the pipeline as Graphviz DOT in the format of the original `rune graph`.
pub fn to_dot(graph: &Graph) -> String {
    let nodes = node_order(graph);
    let mut out = String::from("digraph {\n  rankdir=TD;\n  node [shape=plaintext];\n");
    for stage in &nodes {
        write_node(&mut out, stage);
    }
    for stage in &nodes {
        write_input_edges(&mut out, graph, stage);
    }
    out.push_str("}\n");
    out
}

/// Stages grouped by kind (capabilities, models, proc-blocks, outputs), declaration order within.
fn node_order(graph: &Graph) -> Vec<&Stage> {
    let group = |stage: &Stage| match stage.kind {
        StageKind::Capability { .. } => 0,
        StageKind::Model { .. } => 1,
        StageKind::ProcBlock { .. } => 2,
        StageKind::Out { .. } => 3,
    };
    let mut nodes: Vec<&Stage> = graph.stages.iter().collect();
    // A stable sort keeps declaration order inside each group.
    nodes.sort_by_key(|stage| group(stage));
    nodes
}

fn colour(kind: &StageKind) -> &'static str {
    match kind {
        StageKind::Capability { .. } => "lightgreen",
        StageKind::Model { .. } => "violet",
        StageKind::ProcBlock { .. } => "tan1",
        StageKind::Out { .. } => "indianred1",
    }
}

fn write_node(out: &mut String, stage: &Stage) {
    let id = node_id(&stage.name.value);
    let error_style = if stage.has_errors { ", color=red, penwidth=2" } else { "" };
    let _ = writeln!(out, "  {id} [fillcolor={}, style=\"filled\"{error_style}, label=<", colour(&stage.kind));
    out.push_str("    <table border=\"0\" cellborder=\"0\" cellspacing=\"5\">\n");
    write_ports(out, "input", stage.inputs.len());
    let _ = writeln!(
        out,
        "      <tr><td>{}: {}</td></tr>",
        escape_html(&stage.name.value),
        escape_html(&stage.kind.qualifier())
    );
    write_ports(out, "output", stage.outputs.len());
    out.push_str("    </table>\n  >];\n");
}

/// One table row with a cell per port (`<td port="input_0">0</td>`); nothing when `count` is 0.
fn write_ports(out: &mut String, prefix: &str, count: usize) {
    if count == 0 {
        return;
    }
    out.push_str("      <tr><td><table cellborder=\"1\" cellspacing=\"0\"><tr>");
    for i in 0..count {
        let _ = write!(out, "<td port=\"{prefix}_{i}\">{i}</td>");
    }
    out.push_str("</tr></table></td></tr>\n");
}

fn write_input_edges(out: &mut String, graph: &Graph, consumer: &Stage) {
    for (j, input) in consumer.inputs.iter().enumerate() {
        let Some(tensor) = &input.resolved else {
            continue;
        };
        let shape = graph.tensor_type(tensor).map_or_else(|| "?".to_string(), |ty| ty.to_string());
        let _ = writeln!(
            out,
            "  {}:output_{}:s -> {}:input_{j}:n [label=\"{}\"];",
            node_id(&tensor.stage),
            tensor.index,
            node_id(&consumer.name.value),
            escape_dot_string(&shape)
        );
    }
}

/// `node_<name>`, quoted when the name is not a plain identifier.
fn node_id(name: &str) -> String {
    let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain { format!("node_{name}") } else { format!("\"node_{}\"", escape_dot_string(name)) }
}

/// Escapes text for a double-quoted DOT string.
fn escape_dot_string(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Escapes text for a Graphviz HTML-like label.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Hand-built graphs for the unit tests of this module and of `svg`.
#[cfg(test)]
pub(crate) mod fixtures {
    use indexmap::IndexMap;
    use runtime::{CapabilityKind, ElementType, ModelFormat, OutKind, TensorRef, TensorType};

    use crate::graph::{Graph, Input, Output, Stage, StageKind};
    use crate::source::{Span, Spanned};

    pub(crate) fn capability(kind: CapabilityKind) -> StageKind {
        let written = Spanned::new(kind.display_name().to_uppercase(), Span::default());
        StageKind::Capability { kind: Some(kind), written }
    }

    pub(crate) fn model(file: &str) -> StageKind {
        StageKind::Model {
            file: Spanned::new(file.to_string(), Span::default()),
            format: ModelFormat::TensorFlowLite,
            data: None,
        }
    }

    pub(crate) fn proc_block(path: &str) -> StageKind {
        StageKind::ProcBlock { path: Spanned::new(path.to_string(), Span::default()), block: None }
    }

    pub(crate) fn out(kind: OutKind) -> StageKind {
        let written = Spanned::new(kind.display_name().to_uppercase(), Span::default());
        StageKind::Out { kind: Some(kind), written }
    }

    pub(crate) fn f32s(dims: &[usize]) -> Option<TensorType> {
        Some(TensorType::new(ElementType::F32, dims.to_vec()))
    }

    /// A stage spec: name, kind, inputs as written (`fft`, `fft.1`), output types.
    pub(crate) type Spec<'a> = (&'a str, StageKind, &'a [&'a str], Vec<Option<TensorType>>);

    /// Builds a graph; each input resolves when it names an existing stage and output.
    /// Stage `i`'s name span is `100 * i .. 100 * i + len`.
    pub(crate) fn graph(specs: Vec<Spec<'_>>) -> Graph {
        let mut stages: Vec<Stage> = specs
            .into_iter()
            .enumerate()
            .map(|(i, (name, kind, inputs, outputs))| {
                let start = 100 * i;
                let inputs = inputs
                    .iter()
                    .map(|text| Input { text: Spanned::new(text.to_string(), Span::default()), resolved: None })
                    .collect();
                Stage {
                    name: Spanned::new(name.to_string(), Span::new(start, start + name.len())),
                    span: Span::new(start, start + 50),
                    kind,
                    args: IndexMap::new(),
                    inputs,
                    outputs: outputs
                        .into_iter()
                        .map(|ty| Output { ty, span: Span::default(), type_span: Span::default() })
                        .collect(),
                    has_errors: false,
                    incomplete: false,
                }
            })
            .collect();
        let outputs: Vec<(String, usize)> = stages.iter().map(|s| (s.name.value.clone(), s.outputs.len())).collect();
        for stage in &mut stages {
            for input in &mut stage.inputs {
                let (name, index) = match input.text.value.split_once('.') {
                    Some((name, index)) => (name, index.parse().unwrap_or(usize::MAX)),
                    None => (input.text.value.as_str(), 0),
                };
                let exists = outputs.iter().any(|(n, count)| n == name && index < *count);
                input.resolved = exists.then(|| TensorRef { stage: name.to_string(), index });
            }
        }
        Graph { name: "test".into(), image: None, stages, resources: Vec::new() }
    }

    /// rand → sine model → serial.
    pub(crate) fn sine() -> Graph {
        graph(vec![
            ("rand", capability(CapabilityKind::Random), &[], vec![f32s(&[1, 1])]),
            ("sine", model("./sine.tflite"), &["rand"], vec![f32s(&[1, 1])]),
            ("serial", out(OutKind::Serial), &["sine"], vec![]),
        ])
    }
}

#[cfg(test)]
mod tests {
    use runtime::{CapabilityKind, OutKind};

    use super::fixtures::*;
    use super::*;

    #[test]
    fn three_stage_pipeline_matches_the_original_format() {
        let expected = r#"digraph {
  rankdir=TD;
  node [shape=plaintext];
  node_rand [fillcolor=lightgreen, style="filled", label=<
    <table border="0" cellborder="0" cellspacing="5">
      <tr><td>rand: Random</td></tr>
      <tr><td><table cellborder="1" cellspacing="0"><tr><td port="output_0">0</td></tr></table></td></tr>
    </table>
  >];
  node_sine [fillcolor=violet, style="filled", label=<
    <table border="0" cellborder="0" cellspacing="5">
      <tr><td><table cellborder="1" cellspacing="0"><tr><td port="input_0">0</td></tr></table></td></tr>
      <tr><td>sine: ./sine.tflite</td></tr>
      <tr><td><table cellborder="1" cellspacing="0"><tr><td port="output_0">0</td></tr></table></td></tr>
    </table>
  >];
  node_serial [fillcolor=indianred1, style="filled", label=<
    <table border="0" cellborder="0" cellspacing="5">
      <tr><td><table cellborder="1" cellspacing="0"><tr><td port="input_0">0</td></tr></table></td></tr>
      <tr><td>serial: Serial</td></tr>
    </table>
  >];
  node_rand:output_0:s -> node_sine:input_0:n [label="f32[1, 1]"];
  node_sine:output_0:s -> node_serial:input_0:n [label="f32[1, 1]"];
}
"#;
        assert_eq!(to_dot(&sine()), expected);
    }

    #[test]
    fn nodes_are_grouped_by_kind_in_declaration_order() {
        let g = graph(vec![
            ("serial", out(OutKind::Serial), &["label"], vec![]),
            ("label", proc_block("hotg-ai/proc-blocks@v0.11.3#label"), &["m2"], vec![None]),
            ("m2", model("b.tflite"), &["m1"], vec![f32s(&[2])]),
            ("m1", model("a.tflite"), &["audio"], vec![f32s(&[2])]),
            ("audio", capability(CapabilityKind::Sound), &[], vec![f32s(&[16000])]),
        ]);
        let dot = to_dot(&g);
        let order: Vec<usize> = ["node_audio [", "node_m2 [", "node_m1 [", "node_label [", "node_serial ["]
            .iter()
            .map(|needle| dot.find(needle).expect(needle))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{dot}");
        // Edges follow node order; an unknown type is labelled `?`.
        let edges: Vec<&str> = dot.lines().filter(|l| l.contains("->")).collect();
        assert_eq!(
            edges,
            [
                "  node_m1:output_0:s -> node_m2:input_0:n [label=\"f32[2]\"];",
                "  node_audio:output_0:s -> node_m1:input_0:n [label=\"f32[16000]\"];",
                "  node_m2:output_0:s -> node_label:input_0:n [label=\"f32[2]\"];",
                "  node_label:output_0:s -> node_serial:input_0:n [label=\"?\"];",
            ]
        );
    }

    #[test]
    fn multiple_ports_and_indexed_inputs() {
        let g = graph(vec![
            ("a", capability(CapabilityKind::Raw), &[], vec![f32s(&[1])]),
            ("split", proc_block("split"), &["a"], vec![f32s(&[1]), f32s(&[3])]),
            ("both", out(OutKind::Tensor), &["split.1", "split", "missing"], vec![]),
        ]);
        let dot = to_dot(&g);
        assert!(dot.contains(
            "<tr><td><table cellborder=\"1\" cellspacing=\"0\"><tr><td port=\"output_0\">0</td><td port=\"output_1\">1</td></tr></table></td></tr>"
        ));
        assert!(dot.contains("<td port=\"input_2\">2</td>"));
        assert!(dot.contains("  node_split:output_1:s -> node_both:input_0:n [label=\"f32[3]\"];"));
        assert!(dot.contains("  node_split:output_0:s -> node_both:input_1:n [label=\"f32[1]\"];"));
        // The unresolved input has a port but no edge.
        assert_eq!(dot.matches("-> node_both").count(), 2);
    }

    #[test]
    fn errors_and_escaping() {
        let mut g = graph(vec![
            ("my-cap", capability(CapabilityKind::Image), &[], vec![f32s(&[1])]),
            ("m", model("<a&b>\"x\".tflite"), &["my-cap"], vec![]),
        ]);
        g.stages[1].has_errors = true;
        let dot = to_dot(&g);
        assert!(dot.contains("  node_m [fillcolor=violet, style=\"filled\", color=red, penwidth=2, label=<\n"));
        assert!(dot.contains("  \"node_my-cap\" [fillcolor=lightgreen, style=\"filled\", label=<\n"));
        assert!(dot.contains("<tr><td>m: &lt;a&amp;b&gt;&quot;x&quot;.tflite</td></tr>"));
        assert!(dot.contains("  \"node_my-cap\":output_0:s -> node_m:input_0:n [label=\"f32[1]\"];"));
    }

    #[test]
    fn empty_graph() {
        let g = graph(vec![]);
        assert_eq!(to_dot(&g), "digraph {\n  rankdir=TD;\n  node [shape=plaintext];\n}\n");
    }
}
