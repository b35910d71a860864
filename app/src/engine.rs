//! What the worker does with a [`RunRequest`], without the browser: read the `.rune`, load its
//! pipeline (kept while the `.rune` bytes stay the same), run it on the given inputs and turn
//! the result into a [`Reply`].
//!
//! The browser glue (`worker.rs`) only moves bytes in and out and supplies the clock
//! (`performance.now()`) and the model backend (tract); tests use fixed clocks and `NoModels`.
use runtime::host::{Host, HostError, Input, SeededRandom};
use runtime::model::ModelBackend;
use runtime::pipeline::Pipeline;
use runtime::{Artifact, CapabilityKind, Manifest};

use crate::protocol::{self, Phase, Reply, RunFailure, RunRequest};

/// The inputs of one run, with seeded randomness and the host's clock.
pub struct PlaygroundHost<'a> {
    /// (kind, file name, input), in the order the user added them.
    pub inputs: Vec<(CapabilityKind, String, Input)>,
    pub random: SeededRandom,
    pub clock: &'a dyn Fn() -> f64,
}

impl Host for PlaygroundHost<'_> {
    fn input(&mut self, kind: CapabilityKind, source: usize) -> Result<Input, HostError> {
        // FLOAT_IMAGE reads the IMAGE inputs.
        let kind = if kind == CapabilityKind::FloatImage { CapabilityKind::Image } else { kind };
        runtime::host::pick_source(self.inputs.iter().map(|(k, _, i)| (*k, i)), kind, source)
    }

    fn random_bytes(&mut self, buf: &mut [u8]) {
        self.random.fill(buf);
    }

    fn now_ms(&self) -> f64 {
        (self.clock)()
    }
}

struct Loaded {
    rune: Vec<u8>,
    /// [`protocol::rune_key`] of `rune`.
    key: u64,
    manifest: Manifest,
    pipeline: Pipeline,
}

/// The worker's state: the pipeline of the last `.rune` it ran.
#[derive(Default)]
pub struct Session {
    loaded: Option<Loaded>,
}

impl Session {
    pub fn new() -> Self {
        Session::default()
    }

    /// Whether the pipeline of exactly these bytes is loaded.
    pub fn is_loaded(&self, rune: &[u8]) -> bool {
        self.loaded.as_ref().is_some_and(|l| l.rune == rune)
    }

    /// The [`protocol::rune_key`] of the loaded `.rune`.
    pub fn loaded_key(&self) -> Option<u64> {
        self.loaded.as_ref().map(|l| l.key)
    }

    /// Runs `rune` once (or, when `request.cached` is set, the loaded pipeline, which must be
    /// that `.rune`'s). `status` hears about the phases; the answer is the final reply.
    pub fn run(
        &mut self,
        request: &RunRequest,
        rune: &[u8],
        inputs: Vec<Vec<u8>>,
        backend: &dyn ModelBackend,
        clock: &dyn Fn() -> f64,
        status: &mut dyn FnMut(Reply),
    ) -> Reply {
        let id = request.id;
        let failed = |failure: RunFailure| Reply::Failed { id, failure };
        let mut load_ms = None;
        if let Some(key) = request.cached {
            if self.loaded_key() != Some(key) {
                return failed(RunFailure::new(
                    None,
                    "The worker no longer has this pipeline loaded (it was restarted or loaded another one). \
                     Run it again.",
                ));
            }
        } else if !self.is_loaded(rune) {
            status(Reply::Status { id, phase: Phase::Loading });
            // Drop the old pipeline first: models can be large.
            self.loaded = None;
            let started = clock();
            let artifact = match Artifact::from_bytes(rune) {
                Ok(artifact) => artifact,
                Err(e) => return failed(RunFailure::new(None, format!("The .rune could not be read: {e}"))),
            };
            let pipeline = match Pipeline::new(&artifact, backend) {
                Ok(pipeline) => pipeline,
                Err(e) => return failed(RunFailure::from_runtime(&e)),
            };
            load_ms = Some(clock() - started);
            let key = protocol::rune_key(rune);
            self.loaded = Some(Loaded { rune: rune.to_vec(), key, manifest: artifact.manifest, pipeline });
        }
        let Some(loaded) = self.loaded.as_mut() else {
            return failed(RunFailure::new(None, "The pipeline is not loaded."));
        };
        let mut host_inputs = Vec::with_capacity(inputs.len());
        for (meta, bytes) in request.inputs.iter().zip(inputs) {
            let Some(kind) = CapabilityKind::parse(&meta.kind) else {
                return failed(RunFailure::new(None, format!("\"{}\" is not a capability kind", meta.kind)));
            };
            let input = match meta.frame {
                None => Input::Bytes(bytes),
                Some(size) if size.bytes() == bytes.len() as u64 => {
                    Input::Frame { width: size.width, height: size.height, rgba: bytes }
                }
                Some(size) => {
                    return failed(RunFailure::new(
                        None,
                        format!(
                            "The frame \"{}\" has {} bytes; a {}×{} RGBA frame has {}.",
                            meta.name,
                            bytes.len(),
                            size.width,
                            size.height,
                            size.bytes()
                        ),
                    ));
                }
            };
            host_inputs.push((kind, meta.name.clone(), input));
        }
        status(Reply::Status { id, phase: Phase::Running });
        let mut host = PlaygroundHost { inputs: host_inputs, random: SeededRandom::new(request.seed), clock };
        let started = clock();
        match loaded.pipeline.run(&mut host) {
            Ok(run) => {
                let run_ms = clock() - started;
                Reply::Done { id, result: protocol::run_result(&run, &loaded.manifest, load_ms, run_ms) }
            }
            Err(e) => failed(RunFailure::from_runtime(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use runtime::BuildInfo;
    use runtime::model::NoModels;

    use super::*;
    use crate::protocol::{InputMeta, Values};

    const RAW_MODULO: &str = "\
version: 1
image: runicos/base
pipeline:
  raw:
    capability: RAW
    outputs:
      - type: F32
        dimensions: [1]
  wrap:
    proc-block: \"hotg-ai/proc-blocks@v0.11.3#modulo\"
    inputs: [raw]
    outputs:
      - type: F32
        dimensions: [1]
    args:
      modulus: 360
  serial:
    out: serial
    inputs: [wrap]
";

    fn rune(source: &str) -> Vec<u8> {
        let compilation = compiler::compile(source, "test", &compiler::MemoryFiles::new());
        compilation.to_bytes(BuildInfo::playground(None)).expect("compiles")
    }

    #[test]
    fn runs_and_keeps_the_pipeline_while_the_rune_is_unchanged() {
        let bytes = rune(RAW_MODULO);
        let mut session = Session::new();
        let ticks = Cell::new(0.0);
        let clock = || {
            ticks.set(ticks.get() + 1.0);
            ticks.get()
        };
        let request = RunRequest {
            id: 1,
            seed: 7,
            inputs: vec![InputMeta { kind: "RAW".into(), name: "x.bin".into(), frame: None }],
            cached: None,
        };
        let mut phases = Vec::new();
        let reply = session
            .run(&request, &bytes, vec![400f32.to_le_bytes().to_vec()], &NoModels, &clock, &mut |r| phases.push(r));
        let Reply::Done { id: 1, result } = reply else { panic!("{reply:?}") };
        assert_eq!(phases.len(), 2, "loading, running");
        assert!(result.load_ms.is_some());
        assert_eq!(result.serial, r#"{"2":[{"element-type":"f32","dimensions":[1],"elements":[40]}]}"#);
        let names: Vec<(&str, &str, &str)> =
            result.stages.iter().map(|s| (s.name.as_str(), s.kind.as_str(), s.detail.as_str())).collect();
        assert_eq!(
            names,
            vec![("raw", "capability", "RAW"), ("wrap", "proc-block", "modulo"), ("serial", "out", "serial")]
        );
        assert_eq!(result.stages[2].tensors[0].values, Values::Numbers(vec![Some(40.0)]));
        assert!(result.stages.iter().all(|s| s.elapsed_ms >= 0.0));

        // Same bytes: no loading.
        phases.clear();
        let reply = session
            .run(&request, &bytes, vec![10f32.to_le_bytes().to_vec()], &NoModels, &clock, &mut |r| phases.push(r));
        assert!(matches!(reply, Reply::Done { result: protocol::RunResult { load_ms: None, .. }, .. }));
        assert_eq!(phases, vec![Reply::Status { id: 1, phase: Phase::Running }]);
    }

    #[test]
    fn errors_name_the_stage_and_say_what_to_add() {
        let bytes = rune(RAW_MODULO);
        let mut session = Session::new();
        let request = RunRequest { id: 2, seed: 0, inputs: vec![], cached: None };
        let reply = session.run(&request, &bytes, vec![], &NoModels, &|| 0.0, &mut |_| {});
        let Reply::Failed { failure, .. } = reply else { panic!("{reply:?}") };
        assert_eq!(failure.stage.as_deref(), Some("raw"));
        assert_eq!(failure.message, "Unable to load the \"RAW\" input");
        assert!(failure.hint.is_some_and(|h| h.contains("a .bin file")));

        let reply = session.run(&request, b"not a rune", vec![], &NoModels, &|| 0.0, &mut |_| {});
        assert!(matches!(reply, Reply::Failed { failure: RunFailure { stage: None, .. }, .. }));
    }

    const IMAGE_AND_SOUND: &str = "\
version: 1
image: runicos/base
pipeline:
  image:
    capability: IMAGE
    outputs:
      - type: U8
        dimensions: [1, 2, 2, 3]
    args:
      width: 2
      height: 2
      pixel_format: \"@PixelFormat::RGB\"
  audio:
    capability: SOUND
    outputs:
      - type: I16
        dimensions: [1, 4]
    args:
      hz: 4000
      sample_duration_ms: 1
  serial:
    out: serial
    inputs: [image, audio]
";

    #[test]
    fn camera_frames_and_recordings_are_inputs_and_cached_runs_skip_the_rune() {
        let bytes = rune(IMAGE_AND_SOUND);
        let mut session = Session::new();
        let frame = [10u8, 20, 30, 255].repeat(4 * 4);
        let wav = crate::media::encode_wav(4000, &[1, -2, 3, -4, 5]);
        let meta = |frame: Option<protocol::FrameSize>| {
            vec![
                InputMeta { kind: "IMAGE".into(), name: "camera".into(), frame },
                InputMeta { kind: "SOUND".into(), name: "mic.wav".into(), frame: None },
            ]
        };
        let size = protocol::FrameSize { width: 4, height: 4 };
        let request = RunRequest { id: 1, seed: 0, inputs: meta(Some(size)), cached: None };
        let reply = session.run(&request, &bytes, vec![frame.clone(), wav.clone()], &NoModels, &|| 0.0, &mut |_| {});
        let Reply::Done { result, .. } = reply else { panic!("{reply:?}") };
        assert_eq!(
            result.serial,
            r#"{"3":[{"element-type":"u8","dimensions":[1,2,2,3],"elements":[10,20,30,10,20,30,10,20,30,10,20,30]},{"element-type":"i16","dimensions":[1,4],"elements":[1,-2,3,-4]}]}"#
        );

        // The same pipeline by key, without the bytes: nothing is loaded again.
        let key = protocol::rune_key(&bytes);
        assert_eq!(session.loaded_key(), Some(key));
        let cached = RunRequest { id: 2, seed: 0, inputs: meta(Some(size)), cached: Some(key) };
        let mut phases = Vec::new();
        let reply =
            session.run(&cached, &[], vec![frame.clone(), wav.clone()], &NoModels, &|| 0.0, &mut |r| phases.push(r));
        assert!(matches!(reply, Reply::Done { id: 2, .. }), "{reply:?}");
        assert_eq!(phases, vec![Reply::Status { id: 2, phase: Phase::Running }]);

        // A key the worker does not have, and a frame of the wrong size, fail with a message.
        let stale = RunRequest { cached: Some(key ^ 1), ..cached.clone() };
        let reply = session.run(&stale, &[], vec![frame.clone(), wav.clone()], &NoModels, &|| 0.0, &mut |_| {});
        assert!(
            matches!(&reply, Reply::Failed { failure, .. } if failure.message.contains("no longer has")),
            "{reply:?}"
        );
        let reply = session.run(&cached, &[], vec![frame[..10].to_vec(), wav], &NoModels, &|| 0.0, &mut |_| {});
        assert!(
            matches!(&reply, Reply::Failed { failure, .. } if failure.message.contains("4×4 RGBA frame has 64")),
            "{reply:?}"
        );
    }
}
