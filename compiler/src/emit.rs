//! Emission: a checked [`Graph`] → [`Manifest`] → `.rune` bytes (format owned by `runtime::artifact`).
use indexmap::IndexMap;
use runtime::{Artifact, BuildInfo, Manifest, Resource, ResourceDefault, Stage, StageKind};

use crate::graph::{self, Graph};

/// The graph as the runtime sees it. `None` when something did not resolve (the graph has errors).
pub fn to_manifest(graph: &Graph) -> Option<Manifest> {
    let stages = graph.stages.iter().map(stage).collect::<Option<Vec<_>>>()?;
    let resources = graph
        .resources
        .iter()
        .map(|r| Resource {
            name: r.name.value.clone(),
            ty: r.ty,
            default: r.default.as_ref().map(|d| match d {
                graph::ResourceDefault::Inline(text) => ResourceDefault::Inline(text.value.clone()),
                graph::ResourceDefault::FromDisk { path, .. } => ResourceDefault::FromDisk(path.value.clone()),
            }),
        })
        .collect();
    Some(Manifest {
        name: graph.name.clone(),
        image: graph.image.as_ref().map_or_else(|| "runicos/base".to_string(), |i| i.value.clone()),
        stages,
        resources,
    })
}

fn stage(s: &graph::Stage) -> Option<Stage> {
    let kind = match &s.kind {
        graph::StageKind::Capability { kind, .. } => StageKind::Capability((*kind)?),
        graph::StageKind::Out { kind, .. } => StageKind::Out((*kind)?),
        graph::StageKind::Model { file, format, .. } => StageKind::Model { file: file.value.clone(), format: *format },
        graph::StageKind::ProcBlock { path, block } => {
            StageKind::ProcBlock { path: path.value.clone(), block: (*block)?.name.to_string() }
        }
    };
    Some(Stage {
        name: s.name.value.clone(),
        kind,
        args: s.args.iter().map(|(k, a)| (k.clone(), a.value.value.clone())).collect(),
        inputs: s.inputs.iter().map(|i| i.resolved.clone()).collect::<Option<Vec<_>>>()?,
        outputs: s.outputs.iter().map(|o| o.ty.clone()).collect::<Option<Vec<_>>>()?,
    })
}

/// The artifact of a graph. `None` when the graph does not resolve.
pub fn to_artifact(graph: &Graph, build: BuildInfo) -> Option<Artifact> {
    let manifest = to_manifest(graph)?;
    let mut resources = IndexMap::new();
    for r in &graph.resources {
        match &r.default {
            Some(graph::ResourceDefault::Inline(text)) => {
                resources.insert(r.name.value.clone(), text.value.clone().into_bytes());
            }
            Some(graph::ResourceDefault::FromDisk { bytes: Some(bytes), .. }) => {
                resources.insert(r.name.value.clone(), bytes.clone());
            }
            _ => {}
        }
    }
    let mut models = IndexMap::new();
    for s in &graph.stages {
        if let graph::StageKind::Model { data: Some(data), .. } = &s.kind
            && !data.from_resource
        {
            models.insert(s.name.value.clone(), data.bytes.clone());
        }
    }
    Some(Artifact { build: Some(build), manifest, resources, models })
}
