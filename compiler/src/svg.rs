//! The pipeline as a standalone SVG drawing, laid out here (no Graphviz): used by the playground
//! app and by `rune graph --format svg`.
//!
//! [`layout`] computes pure geometry ([`Layout`]: boxes, Bézier paths, label positions), which the
//! app may draw itself; [`Layout::to_svg`] / [`to_svg`] render it. Output is deterministic.
//!
//! # Algorithm (a small Sugiyama-style layered layout, top to bottom)
//! 1. **Edges**: one per consumer input that resolves (producer output → consumer input).
//! 2. **Cycles** (only in broken Runefiles): a depth-first search in declaration order marks
//!    edges that point back into the DFS stack as *back edges*; they are ignored for ranking and
//!    drawn dashed, upwards from the producer's top to the consumer's bottom (both near the
//!    right end of the box, away from the ports). Self-loops are a small loop on the box's
//!    right side.
//! 3. **Ranks**: longest path from the sources over the remaining (acyclic) edges.
//! 4. **Dummies**: an edge spanning several ranks gets one dummy item per rank in between, so
//!    long edges get their own slot and do not run through nodes.
//! 5. **Order within a rank**: declaration order first, then alternating down/up barycenter sweeps
//!    (port positions count, ties keep the current order); the ordering with the fewest
//!    crossings wins.
//! 6. **x coordinates**: each rank is packed, then alternating down/up sweeps pull every item
//!    towards the mean position of its neighbours' ports (a stage follows neighbouring stages
//!    rather than long edges, so chains stay straight; a stage without neighbours sits next to
//!    its left neighbour). The closest non-overlapping placement that keeps the order is a
//!    weighted isotonic regression (pool adjacent violators); long edges weigh little, so they
//!    make way for stages.
//! 7. **Edges**: cubic Béziers with vertical tangents from an output port (spread along the
//!    producer's bottom by output index; `name.N` uses port N) to an input port (spread along the
//!    consumer's top by input index), straight down through the dummies; the arrow stops on the
//!    port marker. Each edge is labelled with the producer's tensor type (`?` when unknown) on
//!    its piece next to the producer, in the middle of the gap. When labels of one gap would
//!    overlap, they are split over two rows (each still on its edge) and then pushed apart.
//!
//! # Markup
//! * Root: `<svg class="pipeline-graph" role="group" aria-label="Pipeline graph">` with an embedded
//!   `<style>` whose rules are all scoped to `.pipeline-graph`, and an arrow `<marker>`.
//! * Every stage is a `<g class="stage <kind>[ error]">` (`capability`, `model`, `proc-block`,
//!   `out`) with `data-stage`, `data-span-start` / `data-span-end` (byte offsets of the stage
//!   name in the Runefile), `tabindex="0"`, `role="button"`, `aria-label` and a `<title>` tooltip
//!   with the full qualifier. It holds the box, the name, `kind: qualifier` (shortened in the
//!   middle with `…` when long), port markers (`port input|output`, `unconnected` for an input
//!   that does not resolve) and, with errors, a `⚠`.
//! * Every edge is a `<path class="edge[ back]" data-from data-to>` with a `<title>`; labels are
//!   `<g class="edge-label">` (a white `rect` and a `text`), drawn above the edges.
//! * An empty pipeline is a small drawing saying "Empty pipeline".
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::graph::{Graph, Stage};
use crate::source::Span;

/// Height of a stage box.
const NODE_H: f64 = 52.0;
/// Smallest stage box width.
const NODE_MIN_W: f64 = 150.0;
/// Horizontal padding inside a stage box.
const NODE_PAD_X: f64 = 16.0;
/// Extra padding on each side of a box with errors (room for the ⚠ marker).
const ERROR_PAD_X: f64 = 12.0;
/// Advance of one character of the stage name (13px bold monospace).
const NAME_CHAR_W: f64 = 7.8;
/// Advance of one character of the detail line (12px monospace).
const DETAIL_CHAR_W: f64 = 7.2;
/// Advance of one character of an edge label (11px monospace).
const LABEL_CHAR_W: f64 = 6.6;
const LABEL_H: f64 = 16.0;
const LABEL_PAD_X: f64 = 5.0;
/// Vertical offset of the two label rows from the middle of a gap, when one row is not enough.
const LABEL_ROW_DY: f64 = 10.0;
/// Smallest horizontal distance between two edge labels of one gap.
const LABEL_GAP: f64 = 8.0;
const MAX_NAME_CHARS: usize = 32;
/// Longest `kind: qualifier` line; longer qualifiers are shortened in the middle.
const MAX_DETAIL_CHARS: usize = 48;
/// Vertical distance between two ranks.
const RANK_GAP: f64 = 64.0;
/// Horizontal distance between two stage boxes.
const NODE_GAP: f64 = 40.0;
/// Horizontal distance next to a dummy (a long edge passing through a rank).
const DUMMY_GAP: f64 = 18.0;
const DUMMY_W: f64 = 8.0;
/// How far a self-loop reaches to the right of its box.
const LOOP_REACH: f64 = 40.0;
/// Radius of a port marker; arrows stop on it.
const PORT_R: f64 = 3.5;
/// Where back edges attach along both boxes (a fraction of the width), away from the ports.
const BACK_FRAC: f64 = 0.92;
/// How little a long edge resists being pushed aside by a stage in x placement (a stage weighs 1).
const DUMMY_WEIGHT: f64 = 0.001;
const MARGIN: f64 = 20.0;
const ORDER_SWEEPS: usize = 6;
const X_SWEEPS: usize = 10;
const ARROW_ID: &str = "pipeline-graph-arrow";

/// A point in SVG user units.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// The laid-out pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    /// One node per stage, in declaration order (`nodes[i].stage == i`).
    pub nodes: Vec<Node>,
    /// One edge per resolved input, in declaration order of the consumers, then input order.
    pub edges: Vec<Edge>,
}

/// A stage box. `x`, `y` is the top-left corner.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    /// Index into [`Graph::stages`].
    pub stage: usize,
    pub name: String,
    /// [`crate::graph::StageKind::word`]: `capability`, `model`, `proc-block` or `out`.
    pub kind: &'static str,
    /// The full qualifier ([`crate::graph::StageKind::qualifier`]).
    pub qualifier: String,
    /// The first text line: the name, shortened with `…` when very long.
    pub name_line: String,
    /// The second text line: `kind: qualifier`, the qualifier shortened in the middle with `…`.
    pub detail_line: String,
    /// The stage name's span in the Runefile.
    pub span: Span,
    pub has_errors: bool,
    /// Layer, 0 at the top.
    pub rank: usize,
    /// Position within the layer, 0 at the left.
    pub order: usize,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    /// Input ports along the top edge, in input order.
    pub inputs: Vec<Port>,
    /// Output ports along the bottom edge, in output order.
    pub outputs: Vec<Port>,
}

/// A port marker on a box's edge.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Port {
    pub at: Point,
    /// For inputs: the input resolves. For outputs: some input consumes it.
    pub connected: bool,
}

/// A tensor flowing from `from.output` to `to.input` (indices into [`Layout::nodes`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Edge {
    pub from: usize,
    pub output: usize,
    pub to: usize,
    pub input: usize,
    /// The producer's declared tensor type (`f32[1, 1]`), or `?`.
    pub label: String,
    /// A chain of cubic Béziers from producer to consumer: the start point, then
    /// `(control 1, control 2, end)` triples.
    pub path: Vec<Point>,
    /// Centre of the label.
    pub label_at: Point,
    pub label_w: f64,
    /// The edge closes a cycle (drawn upwards, dashed).
    pub back: bool,
}

impl Edge {
    /// The SVG path data (`M x y C ...`).
    pub fn path_data(&self) -> String {
        let mut d = String::new();
        let mut points = self.path.iter();
        if let Some(p) = points.next() {
            let _ = write!(d, "M{} {}", num(p.x), num(p.y));
        }
        let rest: Vec<&Point> = points.collect();
        for triple in rest.chunks(3) {
            d.push_str(" C");
            for (i, p) in triple.iter().enumerate() {
                let sep = if i == 0 { "" } else { " " };
                let _ = write!(d, "{sep}{} {}", num(p.x), num(p.y));
            }
        }
        d
    }
}

/// Lays the pipeline out (see the module documentation for the algorithm).
pub fn layout(graph: &Graph) -> Layout {
    let mut nodes: Vec<Node> = graph.stages.iter().enumerate().map(|(i, s)| new_node(i, s)).collect();
    let edges = collect_edges(graph);
    let back = back_edges(nodes.len(), &edges);
    let ranks = assign_ranks(nodes.len(), &edges, &back);
    let mut layered = Layered::new(&nodes, &ranks, &edges, &back);
    layered.order();
    // Whole-pixel box edges keep the strokes crisp.
    let cx: Vec<f64> = layered
        .assign_x()
        .iter()
        .zip(&layered.items)
        .map(|(x, item)| (x - item.w / 2.0).round() + item.w / 2.0)
        .collect();
    for (item_id, item) in layered.items.iter().enumerate() {
        if let Some(node) = item.stage.and_then(|s| nodes.get_mut(s)) {
            node.rank = item.rank;
            node.order = layered.pos[item_id];
            node.x = cx[item_id] - node.w / 2.0;
            node.y = rank_y(item.rank);
        }
    }
    place_ports(&mut nodes, &edges);
    let (mut out_edges, label_segs) = route_edges(&nodes, &layered, &cx, &edges, &back);
    spread_labels(&mut out_edges, &label_segs);
    finish(nodes, out_edges)
}

/// Lays the pipeline out and renders it as a standalone SVG document.
pub fn to_svg(graph: &Graph) -> String {
    layout(graph).to_svg()
}

// ---------------------------------------------------------------------------------------------
// Nodes and edges

fn new_node(stage: usize, s: &Stage) -> Node {
    let kind = s.kind.word();
    let qualifier = s.kind.qualifier();
    let name_line = truncate_end(&s.name.value, MAX_NAME_CHARS);
    let budget = MAX_DETAIL_CHARS.saturating_sub(kind.len() + 2);
    let detail_line = format!("{kind}: {}", truncate_middle(&qualifier, budget));
    let text_w = (chars(&name_line) as f64 * NAME_CHAR_W).max(chars(&detail_line) as f64 * DETAIL_CHAR_W);
    let pad = NODE_PAD_X + if s.has_errors { ERROR_PAD_X } else { 0.0 };
    Node {
        stage,
        name: s.name.value.clone(),
        kind,
        qualifier,
        name_line,
        detail_line,
        span: s.name.span,
        has_errors: s.has_errors,
        rank: 0,
        order: 0,
        x: 0.0,
        y: 0.0,
        w: (text_w + 2.0 * pad).max(NODE_MIN_W).ceil(),
        h: NODE_H,
        inputs: vec![Port::default(); s.inputs.len()],
        outputs: vec![Port::default(); s.outputs.len()],
    }
}

/// A resolved input, before layout.
#[derive(Debug, Clone)]
struct RawEdge {
    from: usize,
    output: usize,
    to: usize,
    input: usize,
    label: String,
}

fn collect_edges(graph: &Graph) -> Vec<RawEdge> {
    let mut edges = Vec::new();
    for (to, stage) in graph.stages.iter().enumerate() {
        for (input, inp) in stage.inputs.iter().enumerate() {
            let Some(tensor) = &inp.resolved else {
                continue;
            };
            let Some(from) = graph.stage_index(&tensor.stage) else {
                continue;
            };
            let label = graph.tensor_type(tensor).map_or_else(|| "?".to_string(), |ty| ty.to_string());
            edges.push(RawEdge { from, output: tensor.index, to, input, label });
        }
    }
    edges
}

/// Marks the edges that close a cycle: a DFS in declaration order (following edges in their
/// order) flags every edge into a stage that is still on the DFS stack. Self-loops are back edges.
fn back_edges(n: usize, edges: &[RawEdge]) -> Vec<bool> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (e, edge) in edges.iter().enumerate() {
        out[edge.from].push(e);
    }
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        OnStack,
        Done,
    }
    let mut state = vec![State::New; n];
    let mut back = vec![false; edges.len()];
    for root in 0..n {
        if state[root] != State::New {
            continue;
        }
        // (stage, next outgoing edge to look at)
        let mut stack = vec![(root, 0usize)];
        state[root] = State::OnStack;
        while let Some(top) = stack.last_mut() {
            let (v, next) = *top;
            let Some(&e) = out[v].get(next) else {
                state[v] = State::Done;
                stack.pop();
                continue;
            };
            top.1 += 1;
            let w = edges[e].to;
            match state[w] {
                State::OnStack => back[e] = true,
                State::New => {
                    state[w] = State::OnStack;
                    stack.push((w, 0));
                }
                State::Done => {}
            }
        }
    }
    back
}

/// Longest path from the sources over the forward (non-back) edges.
fn assign_ranks(n: usize, edges: &[RawEdge], back: &[bool]) -> Vec<usize> {
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (edge, _) in edges.iter().zip(back).filter(|(_, b)| !**b) {
        indegree[edge.to] += 1;
        out[edge.from].push(edge.to);
    }
    let mut rank = vec![0usize; n];
    let mut ready: Vec<usize> = (0..n).filter(|&v| indegree[v] == 0).rev().collect();
    while let Some(v) = ready.pop() {
        for &w in &out[v] {
            rank[w] = rank[w].max(rank[v] + 1);
            indegree[w] -= 1;
            if indegree[w] == 0 {
                ready.push(w);
            }
        }
    }
    rank
}

/// Where port `index` of `count` sits along a box edge, as a fraction of the width.
fn port_frac(index: usize, count: usize) -> f64 {
    let count = count.max(index + 1);
    (index + 1) as f64 / (count + 1) as f64
}

fn rank_y(rank: usize) -> f64 {
    rank as f64 * (NODE_H + RANK_GAP)
}

fn place_ports(nodes: &mut [Node], edges: &[RawEdge]) {
    for edge in edges {
        if let Some(port) = nodes.get_mut(edge.to).and_then(|n| n.inputs.get_mut(edge.input)) {
            port.connected = true;
        }
        if let Some(port) = nodes.get_mut(edge.from).and_then(|n| n.outputs.get_mut(edge.output)) {
            port.connected = true;
        }
    }
    for node in nodes {
        let (x, y, w, h) = (node.x, node.y, node.w, node.h);
        let count = node.inputs.len();
        for (i, port) in node.inputs.iter_mut().enumerate() {
            port.at = Point { x: x + w * port_frac(i, count), y };
        }
        let count = node.outputs.len();
        for (i, port) in node.outputs.iter_mut().enumerate() {
            port.at = Point { x: x + w * port_frac(i, count), y: y + h };
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The layered graph: real stages plus dummies, ordering and x coordinates

/// A stage or a dummy in one rank.
#[derive(Debug, Clone)]
struct Item {
    /// `None` for a dummy.
    stage: Option<usize>,
    rank: usize,
    w: f64,
    /// Extra room to the right (a self-loop and its label).
    extra_right: f64,
}

/// A piece of an edge between two adjacent ranks. `*_frac` is the port position as a fraction
/// of the item's width (0.5 for dummies).
#[derive(Debug, Clone)]
struct Segment {
    upper: usize,
    upper_frac: f64,
    lower: usize,
    lower_frac: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Sweep {
    Down,
    Up,
}

#[derive(Debug, Clone)]
struct Layered {
    items: Vec<Item>,
    /// Item ids per rank, left to right.
    layers: Vec<Vec<usize>>,
    /// Position of every item within its rank.
    pos: Vec<usize>,
    segments: Vec<Segment>,
    /// Per edge: its segment ids from top to bottom (empty for a self-loop).
    chains: Vec<Vec<usize>>,
    /// Per item: segments ending at it from above / starting at it downwards.
    ups: Vec<Vec<usize>>,
    downs: Vec<Vec<usize>>,
}

impl Layered {
    fn new(nodes: &[Node], ranks: &[usize], edges: &[RawEdge], back: &[bool]) -> Layered {
        let mut items: Vec<Item> = nodes
            .iter()
            .zip(ranks)
            .map(|(node, &rank)| Item { stage: Some(node.stage), rank, w: node.w, extra_right: 0.0 })
            .collect();
        let mut segments = Vec::new();
        let mut chains = Vec::with_capacity(edges.len());
        for (edge, &is_back) in edges.iter().zip(back) {
            if edge.from == edge.to {
                let label_w = label_width(&edge.label);
                let item = &mut items[edge.from];
                item.extra_right = item.extra_right.max(LOOP_REACH + label_w + LABEL_GAP);
                chains.push(Vec::new());
                continue;
            }
            // Top to bottom: a back edge runs from the consumer (above) down to the producer,
            // attached near the right ends of both boxes.
            let (top, top_frac, bottom, bottom_frac) = if !is_back {
                let out_frac = port_frac(edge.output, nodes[edge.from].outputs.len());
                (edge.from, out_frac, edge.to, port_frac(edge.input, nodes[edge.to].inputs.len()))
            } else {
                (edge.to, BACK_FRAC, edge.from, BACK_FRAC)
            };
            let mut chain = Vec::new();
            let (mut upper, mut upper_frac) = (top, top_frac);
            for rank in ranks[top] + 1..ranks[bottom] {
                items.push(Item { stage: None, rank, w: DUMMY_W, extra_right: 0.0 });
                let dummy = items.len() - 1;
                chain.push(segments.len());
                segments.push(Segment { upper, upper_frac, lower: dummy, lower_frac: 0.5 });
                (upper, upper_frac) = (dummy, 0.5);
            }
            chain.push(segments.len());
            segments.push(Segment { upper, upper_frac, lower: bottom, lower_frac: bottom_frac });
            chains.push(chain);
        }
        let rank_count = items.iter().map(|i| i.rank + 1).max().unwrap_or(0);
        // Declaration order first; dummies after the stages, in edge order.
        let mut layers = vec![Vec::new(); rank_count];
        for (id, item) in items.iter().enumerate() {
            layers[item.rank].push(id);
        }
        let mut ups = vec![Vec::new(); items.len()];
        let mut downs = vec![Vec::new(); items.len()];
        for (s, seg) in segments.iter().enumerate() {
            downs[seg.upper].push(s);
            ups[seg.lower].push(s);
        }
        let mut layered = Layered { pos: vec![0; items.len()], items, layers, segments, chains, ups, downs };
        layered.refresh_pos();
        layered
    }

    fn refresh_pos(&mut self) {
        for layer in &self.layers {
            for (p, &id) in layer.iter().enumerate() {
                self.pos[id] = p;
            }
        }
    }

    /// Barycenter sweeps; keeps the ordering with the fewest crossings.
    fn order(&mut self) {
        let mut best = self.layers.clone();
        let mut best_crossings = self.crossings();
        for _ in 0..ORDER_SWEEPS {
            if best_crossings == 0 {
                break;
            }
            for sweep in [Sweep::Down, Sweep::Up] {
                let ranks: Vec<usize> = match sweep {
                    Sweep::Down => (1..self.layers.len()).collect(),
                    Sweep::Up => (0..self.layers.len().saturating_sub(1)).rev().collect(),
                };
                for rank in ranks {
                    self.sort_rank(rank, sweep);
                }
                let crossings = self.crossings();
                if crossings < best_crossings {
                    best_crossings = crossings;
                    best = self.layers.clone();
                }
            }
        }
        self.layers = best;
        self.refresh_pos();
    }

    /// The neighbours of an item in the rank above (down sweep) or below (up sweep), each as
    /// `(neighbour, neighbour's port fraction, own port fraction)`.
    fn neighbours(&self, item: usize, sweep: Sweep) -> impl Iterator<Item = (usize, f64, f64)> + '_ {
        let list = match sweep {
            Sweep::Down => &self.ups[item],
            Sweep::Up => &self.downs[item],
        };
        list.iter().map(move |&s| {
            let seg = &self.segments[s];
            match sweep {
                Sweep::Down => (seg.upper, seg.upper_frac, seg.lower_frac),
                Sweep::Up => (seg.lower, seg.lower_frac, seg.upper_frac),
            }
        })
    }

    /// Sorts one rank by the barycenter of its neighbours' ports; items without neighbours keep
    /// their place, ties keep the current order.
    fn sort_rank(&mut self, rank: usize, sweep: Sweep) {
        let mut keyed: Vec<(f64, usize, usize)> = self.layers[rank]
            .iter()
            .map(|&id| {
                let (sum, count) = self
                    .neighbours(id, sweep)
                    .fold((0.0, 0usize), |(sum, count), (nb, frac, _)| (sum + self.pos[nb] as f64 + frac, count + 1));
                let bary = if count == 0 { self.pos[id] as f64 + 0.5 } else { sum / count as f64 };
                (bary, self.pos[id], id)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        self.layers[rank] = keyed.into_iter().map(|(_, _, id)| id).collect();
        self.refresh_pos();
    }

    /// Number of segment pairs that cross (ports count as positions within an item).
    fn crossings(&self) -> usize {
        let mut by_rank: BTreeMap<usize, Vec<(f64, f64)>> = BTreeMap::new();
        for seg in &self.segments {
            let upper = self.pos[seg.upper] as f64 + seg.upper_frac;
            let lower = self.pos[seg.lower] as f64 + seg.lower_frac;
            by_rank.entry(self.items[seg.upper].rank).or_default().push((upper, lower));
        }
        let mut total = 0;
        for segs in by_rank.values() {
            for (i, a) in segs.iter().enumerate() {
                total += segs[i + 1..].iter().filter(|b| (a.0 - b.0) * (a.1 - b.1) < 0.0).count();
            }
        }
        total
    }

    /// The smallest distance between the centres of two neighbouring items of a rank.
    fn separation(&self, left: usize, right: usize) -> f64 {
        let (a, b) = (&self.items[left], &self.items[right]);
        let gap = if a.stage.is_some() && b.stage.is_some() { NODE_GAP } else { DUMMY_GAP };
        (a.w + b.w) / 2.0 + gap + a.extra_right
    }

    /// Centre x of every item.
    fn assign_x(&self) -> Vec<f64> {
        let mut cx = vec![0.0; self.items.len()];
        for layer in &self.layers {
            let mut x = 0.0;
            for (k, &id) in layer.iter().enumerate() {
                if k > 0 {
                    x += self.separation(layer[k - 1], id);
                }
                cx[id] = x;
            }
            for &id in layer {
                cx[id] -= x / 2.0;
            }
        }
        for _ in 0..X_SWEEPS {
            for rank in 1..self.layers.len() {
                self.align_rank(&mut cx, rank, Sweep::Down);
            }
            for rank in (0..self.layers.len().saturating_sub(1)).rev() {
                self.align_rank(&mut cx, rank, Sweep::Up);
            }
        }
        for rank in 1..self.layers.len() {
            self.align_rank(&mut cx, rank, Sweep::Down);
        }
        cx
    }

    /// Where an item would like its centre: its port(s) under / over the mean of its neighbours'
    /// ports. A stage follows its stage neighbours and only follows long edges when it has no
    /// stage neighbour on that side (keeps chains of stages straight). `None` without neighbours.
    fn desired_x(&self, cx: &[f64], id: usize, sweep: Sweep) -> Option<f64> {
        let own = &self.items[id];
        // (sum, count) over stage neighbours and over dummy neighbours.
        let mut stages = (0.0, 0usize);
        let mut dummies = (0.0, 0usize);
        for (nb, nb_frac, own_frac) in self.neighbours(id, sweep) {
            let other = &self.items[nb];
            let x = cx[nb] + (nb_frac - 0.5) * other.w - (own_frac - 0.5) * own.w;
            let acc = if other.stage.is_some() || own.stage.is_none() { &mut stages } else { &mut dummies };
            *acc = (acc.0 + x, acc.1 + 1);
        }
        let (sum, count) = if stages.1 > 0 { stages } else { dummies };
        (count > 0).then(|| sum / count as f64)
    }

    /// Moves the items of a rank towards their neighbours' ports without overlaps.
    fn align_rank(&self, cx: &mut [f64], rank: usize, sweep: Sweep) {
        let layer = &self.layers[rank];
        let wishes: Vec<Option<f64>> = layer.iter().map(|&id| self.desired_x(cx, id, sweep)).collect();
        let seps: Vec<f64> = layer.windows(2).map(|w| self.separation(w[0], w[1])).collect();
        let Some(desired) = fill_free(&wishes, &seps) else {
            return;
        };
        // Long edges make way for stages.
        let weights: Vec<f64> =
            layer.iter().map(|&id| if self.items[id].stage.is_some() { 1.0 } else { DUMMY_WEIGHT }).collect();
        for (&id, x) in layer.iter().zip(place_in_order(&desired, &seps, &weights)) {
            cx[id] = x;
        }
    }
}

/// Gives items without a wish the place right of their left neighbour (or left of the first
/// item with a wish), so stages without neighbours stay close to the rest. `None` when no item
/// has a wish.
fn fill_free(wishes: &[Option<f64>], seps: &[f64]) -> Option<Vec<f64>> {
    let first = wishes.iter().position(Option::is_some)?;
    let mut out = vec![0.0; wishes.len()];
    for k in first..wishes.len() {
        let follow = || out[k - 1] + seps.get(k - 1).copied().unwrap_or(0.0);
        out[k] = wishes[k].unwrap_or_else(follow);
    }
    for k in (0..first).rev() {
        out[k] = out[k + 1] - seps.get(k).copied().unwrap_or(0.0);
    }
    Some(out)
}

/// The positions closest (weighted least squares) to `desired` that keep the order and keep
/// neighbours at least `seps[i]` apart: an isotonic regression (pool adjacent violators) on
/// `desired[i] - offset[i]`, where `offset` accumulates the separations. Items with a higher
/// `weights[i]` move less.
fn place_in_order(desired: &[f64], seps: &[f64], weights: &[f64]) -> Vec<f64> {
    let mut offsets = Vec::with_capacity(desired.len());
    let mut acc = 0.0;
    for i in 0..desired.len() {
        if i > 0 {
            acc += seps.get(i - 1).copied().unwrap_or(0.0);
        }
        offsets.push(acc);
    }
    // Blocks of pooled values: (weighted sum, total weight, item count).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for (i, (d, o)) in desired.iter().zip(&offsets).enumerate() {
        let w = weights.get(i).copied().unwrap_or(1.0).max(1e-6);
        blocks.push((w * (d - o), w, 1));
        while blocks.len() >= 2 {
            let (s2, w2, c2) = blocks[blocks.len() - 1];
            let (s1, w1, c1) = blocks[blocks.len() - 2];
            if s1 / w1 <= s2 / w2 {
                break;
            }
            blocks.pop();
            if let Some(last) = blocks.last_mut() {
                *last = (s1 + s2, w1 + w2, c1 + c2);
            }
        }
    }
    let fitted = blocks.iter().flat_map(|&(s, w, c)| std::iter::repeat_n(s / w, c));
    fitted.zip(&offsets).map(|(y, o)| y + o).collect()
}

// ---------------------------------------------------------------------------------------------
// Edge routing and labels

fn route_edges(
    nodes: &[Node],
    layered: &Layered,
    cx: &[f64],
    edges: &[RawEdge],
    back: &[bool],
) -> (Vec<Edge>, Vec<Option<Cubic>>) {
    edges
        .iter()
        .enumerate()
        .map(|(e, raw)| {
            let label_w = label_width(&raw.label);
            let (path, label_at, label_seg) = if raw.from == raw.to {
                let (path, label_at) = self_loop(&nodes[raw.from], label_w);
                (path, label_at, None)
            } else {
                let (path, seg) = chain_path(layered, cx, &layered.chains[e], back[e]);
                // On the edge, in the middle of the gap.
                let label_at = seg.map_or_else(Point::default, |seg| seg.at_y(seg[0].y + RANK_GAP / 2.0));
                (path, label_at, seg)
            };
            let edge = Edge {
                from: raw.from,
                output: raw.output,
                to: raw.to,
                input: raw.input,
                label: raw.label.clone(),
                path,
                label_at,
                label_w,
                back: back[e],
            };
            (edge, label_seg)
        })
        .unzip()
}

/// One cubic Bézier piece: start, two controls, end.
type Cubic = [Point; 4];

trait CubicExt {
    fn at(&self, t: f64) -> Point;
    fn at_y(&self, y: f64) -> Point;
}

impl CubicExt for Cubic {
    /// The point at parameter `t` (0..=1).
    fn at(&self, t: f64) -> Point {
        let u = 1.0 - t;
        let k = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
        let sum = |f: fn(&Point) -> f64| self.iter().zip(k).map(|(p, k)| f(p) * k).sum::<f64>();
        Point { x: sum(|p| p.x), y: sum(|p| p.y) }
    }

    /// The point at height `y`, for a piece whose `y` grows along it (bisection).
    fn at_y(&self, y: f64) -> Point {
        let (mut lo, mut hi) = (0.0, 1.0);
        for _ in 0..32 {
            let mid = (lo + hi) / 2.0;
            if self.at(mid).y < y {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        self.at((lo + hi) / 2.0)
    }
}

/// The path through an edge's segments (reversed for a back edge, so it always runs from the
/// producer to the consumer) and the piece that carries the label: the one next to the producer.
fn chain_path(layered: &Layered, cx: &[f64], chain: &[usize], back: bool) -> (Vec<Point>, Option<Cubic>) {
    let mut points = Vec::new();
    let mut label_seg = None;
    for (k, &s) in chain.iter().enumerate() {
        let seg = &layered.segments[s];
        let (upper, lower) = (&layered.items[seg.upper], &layered.items[seg.lower]);
        let start = Point { x: cx[seg.upper] + (seg.upper_frac - 0.5) * upper.w, y: rank_y(upper.rank) + NODE_H };
        // Arrows stop on the input port's marker.
        let stop = if lower.stage.is_some() && !back { PORT_R } else { 0.0 };
        let end = Point { x: cx[seg.lower] + (seg.lower_frac - 0.5) * lower.w, y: rank_y(lower.rank) - stop };
        // Through a dummy: straight down across its rank.
        push_line(&mut points, start);
        // Vertical tangents at both ends; the middle is at the middle of the gap.
        let bend = RANK_GAP / 2.0;
        let c1 = Point { x: start.x, y: start.y + bend };
        let c2 = Point { x: end.x, y: end.y + stop - bend };
        points.extend([c1, c2, end]);
        let next_to_producer = if back { k + 1 == chain.len() } else { k == 0 };
        if next_to_producer {
            label_seg = Some([start, c1, c2, end]);
        }
    }
    if back {
        points.reverse();
    }
    (points, label_seg)
}

/// Appends a straight piece (a cubic with its controls on the line) to `to`, or starts the path.
fn push_line(points: &mut Vec<Point>, to: Point) {
    match points.last().copied() {
        None => points.push(to),
        Some(from) if from == to => {}
        Some(from) => points.extend([from, to, to]),
    }
}

/// A loop on the box's right side, leaving low and coming back high (ports are not used).
fn self_loop(node: &Node, label_w: f64) -> (Vec<Point>, Point) {
    let right = node.x + node.w;
    let start = Point { x: right, y: node.y + node.h * 0.7 };
    let end = Point { x: right, y: node.y + node.h * 0.3 };
    let c1 = Point { x: right + LOOP_REACH, y: start.y + 16.0 };
    let c2 = Point { x: right + LOOP_REACH, y: end.y - 16.0 };
    // The curve's rightmost point is at t = 1/2.
    let mid_x = 0.25 * right + 0.75 * (right + LOOP_REACH);
    let label_at = Point { x: mid_x + LABEL_GAP / 2.0 + label_w / 2.0, y: node.y + node.h / 2.0 };
    (vec![start, c1, c2, end], label_at)
}

fn label_width(label: &str) -> f64 {
    (chars(label) as f64 * LABEL_CHAR_W + 2.0 * LABEL_PAD_X).ceil()
}

/// Places the labels that share a gap between two ranks. They start on their edge in the middle
/// of the gap; when neighbours would overlap, some move to a second row lower down (still on
/// their edge), and what still overlaps is pushed apart horizontally, keeping the order.
fn spread_labels(edges: &mut [Edge], label_segs: &[Option<Cubic>]) {
    let mut gaps: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (e, seg) in label_segs.iter().enumerate() {
        if let Some(seg) = seg {
            gaps.entry((seg[0].y * 10.0).round() as i64).or_default().push(e);
        }
    }
    for mut members in gaps.into_values() {
        sort_by_x(edges, &mut members);
        let rows = assign_rows(edges, &members);
        if rows.contains(&1) {
            for (&e, &row) in members.iter().zip(&rows) {
                let dy = if row == 0 { -LABEL_ROW_DY } else { LABEL_ROW_DY };
                if let Some(seg) = &label_segs[e] {
                    edges[e].label_at = seg.at_y(edges[e].label_at.y + dy);
                }
            }
        }
        for row in [0, 1] {
            let mut in_row: Vec<usize> =
                members.iter().zip(&rows).filter(|(_, r)| **r == row).map(|(e, _)| *e).collect();
            sort_by_x(edges, &mut in_row);
            push_apart(edges, &in_row);
        }
    }
}

fn sort_by_x(edges: &[Edge], members: &mut [usize]) {
    members.sort_by(|&a, &b| edges[a].label_at.x.total_cmp(&edges[b].label_at.x).then(a.cmp(&b)));
}

/// Row 0 or 1 for each label (sorted by x): the first row where it fits after the labels
/// already placed, else the row that ends further left.
fn assign_rows(edges: &[Edge], members: &[usize]) -> Vec<usize> {
    let mut row_end = [f64::NEG_INFINITY; 2];
    members
        .iter()
        .map(|&e| {
            let (w, left) = (edges[e].label_w, edges[e].label_at.x - edges[e].label_w / 2.0);
            let fits = |row: usize| left >= row_end[row] + LABEL_GAP;
            let row = if fits(0) {
                0
            } else if fits(1) || row_end[1] < row_end[0] {
                1
            } else {
                0
            };
            row_end[row] = left.max(row_end[row] + LABEL_GAP) + w;
            row
        })
        .collect()
}

/// Pushes apart the labels of one row (sorted by x) so they do not overlap.
fn push_apart(edges: &mut [Edge], members: &[usize]) {
    let desired: Vec<f64> = members.iter().map(|&e| edges[e].label_at.x).collect();
    let seps: Vec<f64> =
        members.windows(2).map(|w| (edges[w[0]].label_w + edges[w[1]].label_w) / 2.0 + LABEL_GAP).collect();
    for (&e, x) in members.iter().zip(place_in_order(&desired, &seps, &[])) {
        edges[e].label_at.x = x;
    }
}

/// Moves everything so the drawing starts at the margin and computes the size.
fn finish(mut nodes: Vec<Node>, mut edges: Vec<Edge>) -> Layout {
    let mut min = Point { x: f64::INFINITY, y: f64::INFINITY };
    let mut max = Point { x: f64::NEG_INFINITY, y: f64::NEG_INFINITY };
    let mut include = |x: f64, y: f64| {
        min = Point { x: min.x.min(x), y: min.y.min(y) };
        max = Point { x: max.x.max(x), y: max.y.max(y) };
    };
    for node in &nodes {
        include(node.x, node.y);
        include(node.x + node.w, node.y + node.h);
    }
    for edge in &edges {
        for p in &edge.path {
            include(p.x, p.y);
        }
        include(edge.label_at.x - edge.label_w / 2.0, edge.label_at.y - LABEL_H / 2.0);
        include(edge.label_at.x + edge.label_w / 2.0, edge.label_at.y + LABEL_H / 2.0);
    }
    if nodes.is_empty() {
        return Layout { width: 0.0, height: 0.0, nodes, edges };
    }
    let dx = (MARGIN - min.x).round();
    let dy = (MARGIN - min.y).round();
    let shift = |p: &mut Point| {
        p.x += dx;
        p.y += dy;
    };
    for node in &mut nodes {
        node.x += dx;
        node.y += dy;
        node.inputs.iter_mut().chain(node.outputs.iter_mut()).for_each(|port| shift(&mut port.at));
    }
    for edge in &mut edges {
        edge.path.iter_mut().for_each(shift);
        shift(&mut edge.label_at);
    }
    let width = (max.x + dx + MARGIN).ceil();
    let height = (max.y + dy + MARGIN).ceil();
    Layout { width, height, nodes, edges }
}

// ---------------------------------------------------------------------------------------------
// SVG

const STYLE: &str = "
.pipeline-graph{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,'Liberation Mono','DejaVu Sans Mono',monospace}
.pipeline-graph .stage{cursor:pointer}
.pipeline-graph .stage:focus{outline:none}
.pipeline-graph .box{stroke-width:1.5}
.pipeline-graph .capability .box{fill:#d3f0da;stroke:#2f855a}
.pipeline-graph .model .box{fill:#e9ddfb;stroke:#7c4dce}
.pipeline-graph .proc-block .box{fill:#fde3c3;stroke:#c0701c}
.pipeline-graph .out .box{fill:#fbd9d9;stroke:#c53b3b}
.pipeline-graph .stage:hover .box{stroke-width:2.5}
.pipeline-graph .stage.error .box{stroke:#d1242f;stroke-width:3}
.pipeline-graph .stage:focus-visible .box{stroke:#0969da;stroke-width:3}
.pipeline-graph .name{font-size:13px;font-weight:700;fill:#1f2328}
.pipeline-graph .detail{font-size:12px;fill:#1f2328}
.pipeline-graph .kind{fill:#4d5661}
.pipeline-graph .warn{font-size:14px;font-weight:700;fill:#d1242f}
.pipeline-graph .port{fill:#fff;stroke:#4d5661;stroke-width:1.2}
.pipeline-graph .port.unconnected{stroke:#d1242f;fill:#ffebe9}
.pipeline-graph .edge{fill:none;stroke:#6e7781;stroke-width:1.5}
.pipeline-graph .edge.back{stroke:#d1242f;stroke-dasharray:6 4}
.pipeline-graph .edge:hover{stroke:#0969da;stroke-width:2.5}
.pipeline-graph .arrow{fill:#6e7781}
.pipeline-graph .edge-label rect{fill:#fff;stroke:#d0d7de;stroke-width:1}
.pipeline-graph .edge-label text{font-size:11px;fill:#3d444d}
.pipeline-graph .empty{font-size:14px;fill:#59636e}
";

impl Layout {
    /// Renders the layout as a standalone SVG document (with embedded CSS).
    pub fn to_svg(&self) -> String {
        if self.nodes.is_empty() {
            return empty_svg();
        }
        let mut out = String::new();
        let (w, h) = (num(self.width), num(self.height));
        let _ = writeln!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
             class=\"pipeline-graph\" role=\"group\" aria-label=\"Pipeline graph\">"
        );
        let _ = writeln!(out, "<style>{STYLE}</style>");
        let _ = writeln!(
            out,
            "<defs><marker id=\"{ARROW_ID}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" \
             markerHeight=\"8\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path class=\"arrow\" d=\"M0 0L10 5L0 10z\"/></marker></defs>"
        );
        out.push_str("<g class=\"edges\">\n");
        for edge in &self.edges {
            self.write_edge(&mut out, edge);
        }
        out.push_str("</g>\n<g class=\"edge-labels\">\n");
        for edge in &self.edges {
            write_label(&mut out, edge);
        }
        out.push_str("</g>\n<g class=\"nodes\">\n");
        for node in &self.nodes {
            write_node(&mut out, node);
        }
        out.push_str("</g>\n</svg>\n");
        out
    }

    fn node_name(&self, index: usize) -> &str {
        self.nodes.get(index).map_or("", |n| n.name.as_str())
    }

    fn write_edge(&self, out: &mut String, edge: &Edge) {
        let (from, to) = (self.node_name(edge.from), self.node_name(edge.to));
        let class = if edge.back { "edge back" } else { "edge" };
        let _ = writeln!(
            out,
            "<path class=\"{class}\" data-from=\"{}\" data-to=\"{}\" d=\"{}\" marker-end=\"url(#{ARROW_ID})\">\
             <title>{} → {} (input {}): {}</title></path>",
            xml(from),
            xml(to),
            edge.path_data(),
            xml(&format!("{from}.{}", edge.output)),
            xml(to),
            edge.input,
            xml(&edge.label),
        );
    }
}

fn write_label(out: &mut String, edge: &Edge) {
    let Point { x, y } = edge.label_at;
    let _ = writeln!(
        out,
        "<g class=\"edge-label\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
        num(x - edge.label_w / 2.0),
        num(y - LABEL_H / 2.0),
        num(edge.label_w),
        num(LABEL_H),
        num(x),
        num(y + 4.0),
        xml(&edge.label)
    );
}

fn write_node(out: &mut String, node: &Node) {
    let error = if node.has_errors { " error" } else { "" };
    let aria = format!(
        "{} stage {}: {}{}",
        node.kind,
        node.name,
        node.qualifier,
        if node.has_errors { " (has errors)" } else { "" }
    );
    let _ = writeln!(
        out,
        "<g class=\"stage {}{error}\" data-stage=\"{}\" data-span-start=\"{}\" data-span-end=\"{}\" \
         tabindex=\"0\" role=\"button\" aria-label=\"{}\">",
        node.kind,
        xml(&node.name),
        node.span.start,
        node.span.end,
        xml(&aria)
    );
    let _ = writeln!(out, "<title>{}</title>", xml(&format!("{} — {}: {}", node.name, node.kind, node.qualifier)));
    let _ = writeln!(
        out,
        "<rect class=\"box\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\"/>",
        num(node.x),
        num(node.y),
        num(node.w),
        num(node.h)
    );
    let cx = num(node.x + node.w / 2.0);
    let _ = writeln!(
        out,
        "<text class=\"name\" x=\"{cx}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        num(node.y + 22.0),
        xml(&node.name_line)
    );
    let prefix = format!("{}:", node.kind);
    let rest = node.detail_line.strip_prefix(&prefix).unwrap_or(&node.detail_line);
    let _ = writeln!(
        out,
        "<text class=\"detail\" x=\"{cx}\" y=\"{}\" text-anchor=\"middle\"><tspan class=\"kind\">{}</tspan>{}</text>",
        num(node.y + 40.0),
        xml(&prefix),
        xml(rest)
    );
    if node.has_errors {
        let _ = writeln!(
            out,
            "<text class=\"warn\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" aria-hidden=\"true\">⚠</text>",
            num(node.x + node.w - 14.0),
            num(node.y + 20.0)
        );
    }
    for (class, ports) in [("input", &node.inputs), ("output", &node.outputs)] {
        for port in ports.iter() {
            let state = if port.connected || class == "output" { "" } else { " unconnected" };
            let _ = writeln!(
                out,
                "<circle class=\"port {class}{state}\" cx=\"{}\" cy=\"{}\" r=\"{}\"/>",
                num(port.at.x),
                num(port.at.y),
                num(PORT_R)
            );
        }
    }
    out.push_str("</g>\n");
}

fn empty_svg() -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 240 80\" width=\"240\" height=\"80\" \
         class=\"pipeline-graph\" role=\"img\" aria-label=\"Pipeline graph\">\n<style>{STYLE}</style>\n\
         <text class=\"empty\" x=\"120\" y=\"45\" text-anchor=\"middle\">Empty pipeline</text>\n</svg>\n"
    )
}

// ---------------------------------------------------------------------------------------------
// Text helpers

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// `text` cut to at most `max` characters, ending with `…` when cut.
fn truncate_end(text: &str, max: usize) -> String {
    if chars(text) <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `text` cut to at most `max` characters by replacing its middle with `…` (keeps the end of
/// paths such as `…#label` or `…/model.tflite` visible).
fn truncate_middle(text: &str, max: usize) -> String {
    let count = chars(text);
    if count <= max {
        return text.to_string();
    }
    let keep = max.saturating_sub(1);
    let tail = keep / 2;
    let head = keep - tail;
    let mut out: String = text.chars().take(head).collect();
    out.push('…');
    out.extend(text.chars().skip(count - tail));
    out
}

/// Escapes text for XML content and attribute values.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate rounded to 0.1, without a trailing `.0` and without `-0`.
fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 || !r.is_finite() {
        "0".to_string()
    } else if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

#[cfg(test)]
mod tests {
    use runtime::{CapabilityKind, ElementType, OutKind, TensorType};

    use super::*;
    use crate::dot::fixtures::*;

    fn ty(element: ElementType, dims: &[usize]) -> Option<TensorType> {
        Some(TensorType::new(element, dims.to_vec()))
    }

    const PB: &str = "hotg-ai/proc-blocks@v0.11.3#";

    /// Microspeech, plus a diamond (model → {most_confident → label, softmax} → serial) and a
    /// long edge (fft → debug).
    fn microspeech() -> Graph {
        use ElementType::*;
        let pb = |name: &str| proc_block(&format!("{PB}{name}"));
        graph(vec![
            ("audio", capability(CapabilityKind::Sound), &[], vec![ty(I16, &[16000])]),
            ("fft", pb("fft"), &["audio"], vec![ty(I8, &[1960])]),
            ("noise_filtering", pb("noise-filtering"), &["fft"], vec![ty(I8, &[1, 1960])]),
            ("model", model("./model.tflite"), &["noise_filtering"], vec![ty(I8, &[1, 4])]),
            ("most_confident", pb("most_confident_indices"), &["model"], vec![ty(U32, &[1])]),
            ("label", pb("label"), &["most_confident"], vec![ty(Utf8, &[1])]),
            ("softmax", pb("softmax"), &["model"], vec![ty(F32, &[1, 4])]),
            ("serial", out(OutKind::Serial), &["label", "softmax"], vec![]),
            ("debug", out(OutKind::Tensor), &["fft", "model"], vec![]),
        ])
    }

    /// A broken Runefile: a cycle, a self-loop, an unresolved input, errors, odd names.
    fn broken() -> Graph {
        let mut g = graph(vec![
            ("image", capability(CapabilityKind::Image), &[], vec![ty(ElementType::U8, &[1, 96, 96, 1])]),
            ("a", proc_block(&format!("{PB}image-normalization")), &["image", "c"], vec![f32s(&[1, 96, 96, 1])]),
            ("b", model("./person_detection.tflite"), &["a"], vec![None]),
            ("c", proc_block(&format!("{PB}identity")), &["b"], vec![f32s(&[2])]),
            ("loop", proc_block("x<y>&z"), &["loop", "nowhere"], vec![f32s(&[1])]),
            ("serial", out(OutKind::Serial), &["c", "missing.3"], vec![]),
        ]);
        g.stages[2].has_errors = true;
        g.stages[4].has_errors = true;
        g
    }

    fn raw(graph: &Graph) -> (Vec<RawEdge>, Vec<bool>, Vec<usize>) {
        let edges = collect_edges(graph);
        let back = back_edges(graph.stages.len(), &edges);
        let ranks = assign_ranks(graph.stages.len(), &edges, &back);
        (edges, back, ranks)
    }

    /// Several sources, a model with three outputs, a wide fan-in and a stage on its own.
    fn multi() -> Graph {
        use ElementType::*;
        graph(vec![
            ("image", capability(CapabilityKind::Image), &[], vec![ty(U8, &[1, 320, 320, 3])]),
            ("accel", capability(CapabilityKind::Accelerometer), &[], vec![f32s(&[128, 3])]),
            ("normalize", proc_block("image-normalization"), &["image"], vec![f32s(&[1, 320, 320, 3])]),
            (
                "detector",
                model("./ssd_mobilenet.tflite"),
                &["normalize"],
                vec![f32s(&[1, 10, 4]), f32s(&[1, 10]), f32s(&[1, 10]), f32s(&[1])],
            ),
            ("gesture", model("./gesture.tflite"), &["accel"], vec![f32s(&[1, 4])]),
            ("filter", proc_block("object_filter"), &["detector.0", "detector.1", "detector.2"], vec![f32s(&[10, 6])]),
            ("serial", out(OutKind::Serial), &["filter", "detector.3", "gesture", "accel"], vec![]),
            ("lonely", capability(CapabilityKind::Random), &[], vec![f32s(&[1])]),
        ])
    }

    fn diamond() -> Graph {
        graph(vec![
            ("a", capability(CapabilityKind::Raw), &[], vec![f32s(&[1])]),
            ("b", proc_block("b"), &["a"], vec![f32s(&[1])]),
            ("c", proc_block("c"), &["a"], vec![f32s(&[1])]),
            ("d", out(OutKind::Serial), &["b", "c", "a"], vec![]),
        ])
    }

    #[test]
    fn diamond_ranks_are_longest_paths() {
        let (edges, back, ranks) = raw(&diamond());
        assert_eq!(edges.len(), 5);
        assert!(back.iter().all(|b| !b));
        assert_eq!(ranks, [0, 1, 1, 2]);
        // The skip edge a → d gets a dummy in rank 1 and runs beside b and c.
        let l = layout(&diamond());
        let skip = &l.edges[4];
        assert_eq!((skip.from, skip.to), (0, 3));
        assert_eq!(skip.path.len(), 1 + 3 * 3);
        let (b, c) = (&l.nodes[1], &l.nodes[2]);
        let dummy = skip.path[3];
        assert_eq!(dummy.y, b.y);
        assert!(dummy.x < b.x.min(c.x) - 1.0 || dummy.x > (b.x + b.w).max(c.x + c.w) + 1.0, "{dummy:?}");
    }

    #[test]
    fn cycles_terminate_and_are_broken_at_back_edges() {
        let g = broken();
        let (edges, back, ranks) = raw(&g);
        let pairs: Vec<(usize, usize, bool)> = edges.iter().zip(&back).map(|(e, &b)| (e.from, e.to, b)).collect();
        // image→a, c→a (back: a → b → c → a), a→b, b→c, loop→loop (self), c→serial
        assert_eq!(pairs, [(0, 1, false), (3, 1, true), (1, 2, false), (2, 3, false), (4, 4, true), (3, 5, false)]);
        assert_eq!(ranks, [0, 1, 2, 3, 0, 4]);
        // A cycle without an entry point.
        let ring = graph(vec![
            ("x", proc_block("x"), &["z"], vec![f32s(&[1])]),
            ("y", proc_block("y"), &["x"], vec![f32s(&[1])]),
            ("z", proc_block("z"), &["y"], vec![f32s(&[1])]),
        ]);
        let (_, back, ranks) = raw(&ring);
        assert_eq!(back, [true, false, false]);
        assert_eq!(ranks, [0, 1, 2]);
        let l = layout(&ring);
        assert!(l.edges[0].back);
        // The back edge runs from z's top up to x's bottom, near their right ends.
        assert_eq!(l.edges[0].path.first().map(|p| p.y), Some(l.nodes[2].y));
        assert_eq!(l.edges[0].path.last().map(|p| p.y), Some(l.nodes[0].y + NODE_H));
        assert_eq!(l.edges[0].path.last().map(|p| p.x), Some(l.nodes[0].x + BACK_FRAC * l.nodes[0].w));
        let svg = to_svg(&g);
        assert_eq!(check_xml(&svg), Ok(()));
        assert!(svg.contains("class=\"edge back\""));
    }

    #[test]
    fn barycenter_sweeps_remove_crossings() {
        // Declaration order puts c (fed by b) left of d (fed by a): one crossing.
        let g = graph(vec![
            ("a", capability(CapabilityKind::Raw), &[], vec![f32s(&[1])]),
            ("b", capability(CapabilityKind::Random), &[], vec![f32s(&[1])]),
            ("c", out(OutKind::Serial), &["b"], vec![]),
            ("d", out(OutKind::Serial), &["a"], vec![]),
        ]);
        let nodes: Vec<Node> = g.stages.iter().enumerate().map(|(i, s)| new_node(i, s)).collect();
        let (edges, back, ranks) = raw(&g);
        let mut layered = Layered::new(&nodes, &ranks, &edges, &back);
        assert_eq!(layered.crossings(), 1);
        layered.order();
        assert_eq!(layered.crossings(), 0);
        // The samples: microspeech keeps one unavoidable crossing (fft → debug.0 and
        // model → debug.1 swap sides just above `debug`).
        for (g, expected) in [(microspeech(), 1), (multi(), 0), (diamond(), 0)] {
            let nodes: Vec<Node> = g.stages.iter().enumerate().map(|(i, s)| new_node(i, s)).collect();
            let (edges, back, ranks) = raw(&g);
            let mut layered = Layered::new(&nodes, &ranks, &edges, &back);
            layered.order();
            assert_eq!(layered.crossings(), expected, "{}", g.stages[0].name.value);
        }
        let l = layout(&g);
        assert_eq!(l.nodes.iter().map(|n| (n.rank, n.order)).collect::<Vec<_>>(), [(0, 0), (0, 1), (1, 1), (1, 0)]);
        // Straight edges: each consumer sits under its producer.
        assert_eq!(l.nodes[3].x + l.nodes[3].w / 2.0, l.nodes[0].x + l.nodes[0].w / 2.0);
    }

    #[test]
    fn every_stage_and_resolved_edge_is_drawn() {
        for g in [microspeech(), broken(), diamond(), sine()] {
            let svg = to_svg(&g);
            assert_eq!(check_xml(&svg), Ok(()));
            assert_eq!(svg.matches("<g class=\"stage ").count(), g.stages.len());
            for (i, stage) in g.stages.iter().enumerate() {
                let name = xml(&stage.name.value);
                assert!(
                    svg.contains(&format!(
                        "data-stage=\"{name}\" data-span-start=\"{}\" data-span-end=\"{}\"",
                        100 * i,
                        100 * i + stage.name.value.len()
                    )),
                    "{name}"
                );
            }
            let resolved = g.stages.iter().flat_map(|s| &s.inputs).filter(|i| i.resolved.is_some()).count();
            assert_eq!(svg.matches("<path class=\"edge").count(), resolved);
            assert_eq!(svg.matches("<g class=\"edge-label\">").count(), resolved);
        }
        let svg = to_svg(&broken());
        assert!(svg.contains("class=\"stage model error\""));
        assert!(svg.contains(">⚠</text>"));
        assert!(svg.contains("class=\"port input unconnected\""));
    }

    #[test]
    fn nodes_and_labels_do_not_overlap() {
        for g in [microspeech(), broken(), diamond()] {
            let l = layout(&g);
            let mut boxes: Vec<(f64, f64, f64, f64)> = l.nodes.iter().map(|n| (n.x, n.y, n.w, n.h)).collect();
            boxes.extend(
                l.edges
                    .iter()
                    .map(|e| (e.label_at.x - e.label_w / 2.0, e.label_at.y - LABEL_H / 2.0, e.label_w, LABEL_H)),
            );
            for (i, a) in boxes.iter().enumerate() {
                assert!(a.0 >= 0.0 && a.1 >= 0.0 && a.0 + a.2 <= l.width && a.1 + a.3 <= l.height);
                for b in &boxes[i + 1..] {
                    let apart = a.0 + a.2 <= b.0 || b.0 + b.2 <= a.0 || a.1 + a.3 <= b.1 || b.1 + b.3 <= a.1;
                    assert!(apart, "{a:?} overlaps {b:?}");
                }
            }
        }
    }

    #[test]
    fn indexed_inputs_use_their_output_port() {
        let g = graph(vec![
            ("a", capability(CapabilityKind::Raw), &[], vec![f32s(&[1])]),
            ("split", proc_block("split"), &["a"], vec![f32s(&[1]), f32s(&[3])]),
            ("both", out(OutKind::Tensor), &["split.1", "split"], vec![]),
        ]);
        let l = layout(&g);
        let (split, both) = (&l.nodes[1], &l.nodes[2]);
        let first = &l.edges[1];
        assert_eq!((first.output, first.input, first.label.as_str()), (1, 0, "f32[3]"));
        assert_eq!(first.path.first(), Some(&split.outputs[1].at));
        let end = both.inputs[0].at;
        assert_eq!(first.path.last(), Some(&Point { x: end.x, y: end.y - PORT_R }));
        assert_eq!(l.edges[2].path.first(), Some(&split.outputs[0].at));
        assert!(split.outputs[0].at.x < split.outputs[1].at.x);
    }

    #[test]
    fn text_is_escaped_and_shortened() {
        let mut g = graph(vec![
            ("a<b>&\"c'", capability(CapabilityKind::Raw), &[], vec![f32s(&[1])]),
            ("m", model("./models/<very>/long/path/to/some/deeply/nested/&model.tflite"), &[], vec![]),
        ]);
        g.stages[0].has_errors = true;
        let svg = to_svg(&g);
        assert_eq!(check_xml(&svg), Ok(()));
        assert!(svg.contains("data-stage=\"a&lt;b&gt;&amp;&quot;c&apos;\""));
        assert!(!svg.contains("a<b"));
        let l = layout(&g);
        let detail = &l.nodes[1].detail_line;
        assert_eq!(chars(detail), MAX_DETAIL_CHARS);
        assert!(detail.starts_with("model: ./models/") && detail.ends_with("/&model.tflite"), "{detail}");
        assert!(detail.contains('…'));
        // The tooltip keeps the full qualifier.
        assert!(svg.contains(
            "<title>m — model: ./models/&lt;very&gt;/long/path/to/some/deeply/nested/&amp;model.tflite</title>"
        ));
        assert_eq!(truncate_middle("abcdefgh", 5), "ab…gh");
        assert_eq!(truncate_end("abcdefgh", 5), "abcd…");
        assert_eq!(xml("\u{1}"), "\u{FFFD}");
    }

    #[test]
    fn output_is_deterministic() {
        for g in [microspeech(), broken()] {
            assert_eq!(to_svg(&g), to_svg(&g.clone()));
            assert_eq!(layout(&g), layout(&g));
        }
    }

    #[test]
    fn empty_pipeline() {
        let svg = to_svg(&graph(vec![]));
        assert_eq!(check_xml(&svg), Ok(()));
        assert!(svg.contains(">Empty pipeline</text>"));
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 240 80\""));
    }

    #[test]
    fn root_element_and_accessibility_attributes() {
        let svg = to_svg(&sine());
        let root = svg.lines().next().unwrap_or_default();
        assert!(root.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "));
        assert!(root.ends_with("class=\"pipeline-graph\" role=\"group\" aria-label=\"Pipeline graph\">"));
        assert!(svg.contains(
            "<g class=\"stage model\" data-stage=\"sine\" data-span-start=\"100\" data-span-end=\"104\" \
             tabindex=\"0\" role=\"button\" aria-label=\"model stage sine: ./sine.tflite\">"
        ));
        assert!(svg.contains("<style>"));
        assert!(svg.contains("marker-end=\"url(#pipeline-graph-arrow)\""));
    }

    #[test]
    fn isotonic_placement_keeps_order_and_separation() {
        assert_eq!(place_in_order(&[0.0, 0.0, 0.0], &[10.0, 10.0], &[]), [-10.0, 0.0, 10.0]);
        assert_eq!(place_in_order(&[0.0, 100.0], &[10.0], &[]), [0.0, 100.0]);
        assert_eq!(place_in_order(&[5.0, 0.0], &[10.0], &[]), [-2.5, 7.5]);
        assert_eq!(fill_free(&[None, Some(5.0), None], &[1.0, 2.0]), Some(vec![4.0, 5.0, 7.0]));
        assert_eq!(fill_free(&[None, None], &[1.0]), None);
        // A heavy item stays, a light one makes way.
        assert_eq!(place_in_order(&[0.0, 0.0], &[10.0], &[3.0, 1.0]), [-2.5, 7.5]);
        assert_eq!(num(-0.04), "0");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.25), "12.3");
    }

    /// Writes sample drawings when `RUNE_SVG_SAMPLES` names a folder (for looking at them).
    #[test]
    fn sample_drawings() {
        let Some(dir) = std::env::var_os("RUNE_SVG_SAMPLES") else {
            return;
        };
        let dir = std::path::PathBuf::from(dir);
        for (name, g) in [("multi", multi()), ("graph", microspeech()), ("broken", broken()), ("diamond", diamond())] {
            std::fs::write(dir.join(format!("{name}.svg")), to_svg(&g)).expect("write a sample");
        }
    }

    /// A small well-formedness check: balanced tags, one root, quoted attributes without `<`,
    /// unique attribute names, and only the predefined or numeric entities.
    fn check_xml(doc: &str) -> Result<(), String> {
        let mut stack: Vec<&str> = Vec::new();
        let mut roots = 0;
        let mut rest = doc;
        while let Some(lt) = rest.find('<') {
            let text = &rest[..lt];
            check_entities(text)?;
            if stack.is_empty() && !text.trim().is_empty() {
                return Err(format!("text outside the root: {text:?}"));
            }
            rest = &rest[lt..];
            let end = tag_end(rest)?;
            let tag = &rest[1..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                let open = stack.pop().ok_or_else(|| format!("</{name}> without an opening tag"))?;
                if open != name.trim() {
                    return Err(format!("</{name}> closes <{open}>"));
                }
                continue;
            }
            let self_closing = tag.ends_with('/');
            let body = tag.trim_end_matches('/');
            let name = body.split_whitespace().next().ok_or("empty tag")?;
            check_attributes(&body[name.len()..])?;
            if stack.is_empty() {
                roots += 1;
            }
            if !self_closing {
                stack.push(name);
            }
        }
        if !rest.trim().is_empty() || !stack.is_empty() || roots != 1 {
            return Err(format!("unbalanced document: open {stack:?}, {roots} roots"));
        }
        Ok(())
    }

    fn tag_end(tag: &str) -> Result<usize, String> {
        let mut quote = None;
        for (i, c) in tag.char_indices().skip(1) {
            match (quote, c) {
                (None, '"') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (_, '<') => return Err(format!("`<` inside a tag: {tag:.60}")),
                (None, '>') => return Ok(i),
                _ => {}
            }
        }
        Err("unclosed tag".into())
    }

    fn check_attributes(mut attrs: &str) -> Result<(), String> {
        let mut names = Vec::new();
        loop {
            attrs = attrs.trim_start();
            if attrs.is_empty() {
                return Ok(());
            }
            let (name, after) = attrs.split_once("=\"").ok_or_else(|| format!("bad attribute: {attrs:.40}"))?;
            let (value, after) = after.split_once('"').ok_or("unterminated attribute")?;
            if name.is_empty() || name.contains(char::is_whitespace) || names.contains(&name) {
                return Err(format!("bad or repeated attribute name {name:?}"));
            }
            check_entities(value)?;
            names.push(name);
            attrs = after;
        }
    }

    fn check_entities(text: &str) -> Result<(), String> {
        for (i, _) in text.match_indices('&') {
            let entity = text[i + 1..].split(';').next().unwrap_or_default();
            let numeric =
                entity.strip_prefix('#').is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
            let named = ["amp", "lt", "gt", "quot", "apos"].contains(&entity);
            if !(numeric || named) || !text[i + 1..].contains(';') {
                return Err(format!("bad entity at {:.20}", &text[i..]));
            }
        }
        if text.contains('>') && text.contains("]]>") {
            return Err("]]> in text".into());
        }
        Ok(())
    }

    #[test]
    fn the_xml_check_catches_mistakes() {
        assert!(check_xml("<a><b/></a>").is_ok());
        assert!(check_xml("<a><b></a>").is_err());
        assert!(check_xml("<a>x & y</a>").is_err());
        assert!(check_xml("<a x=\"1\" x=\"2\"/>").is_err());
        assert!(check_xml("<a/><b/>").is_err());
        assert!(check_xml("<a x=\"<\"/>").is_err());
    }
}
