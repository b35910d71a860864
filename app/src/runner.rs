//! The page's side of running pipelines: starts the `rune-worker` Web Worker on the first run,
//! posts it the `.rune` and the inputs (transferring their buffers), and turns its replies into
//! [`RunStatus`] changes. See [`crate::protocol`] for the messages.
//!
//! Which replies reach the screen is [`Admission`]'s call: those of the latest run, and of live
//! frames the newest so far. If a worker dies (a panic aborts it), the run fails with a message
//! and the next run starts new workers.
//!
//! The `.rune` is sent once per worker and pipeline: while the worker has it (the page sent it
//! and no run has failed since), requests carry only its [`rune_key`] (`cached`), so live mode's
//! frames move no model bytes and load nothing. "Quiet" runs (live frames) leave the last result
//! on screen until the next one arrives instead of showing "Running…".
//!
//! Single runs go to worker 0. Live frames go to an idle worker among [`live_workers`] (one per
//! core the browser reports, at most [`MAX_LIVE_WORKERS`]), so that frames overlap: each worker
//! loads the pipeline once, and the rate is up to that many times one worker's.
use std::cell::{Cell, RefCell};
use std::sync::Arc;

use js_sys::{Array, Uint8Array};
use leptos::prelude::{GetUntracked, Set, Update, WithUntracked};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use crate::protocol::{FrameSize, InputMeta, Phase, Reply, RunFailure, RunRequest, rune_key};
use crate::state::{AppState, Compiled, RunStatus};

/// The plain worker's loader script, written by Trunk (`data-loader-shim`), next to `index.html`.
pub const WORKER_URL: &str = "./rune-worker_loader.js";
/// The SIMD worker's loader (`scripts/simd-worker.sh`, release builds).
pub const SIMD_WORKER_URL: &str = "./rune-worker-simd_loader.js";

/// A module whose one function uses `i8x16.splat` and `i8x16.popcnt`: valid exactly where wasm
/// SIMD (128-bit) is supported. The probe of wasm-feature-detect.
pub const SIMD_PROBE: [u8; 31] =
    [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11];

/// Which build of the engine runs pipelines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// tract's wasm SIMD kernels (`+simd128`).
    Simd,
    /// The build without SIMD, for browsers without it (or `?engine=plain`).
    Plain,
}

impl Engine {
    /// The engine this browser gets: SIMD when it validates [`SIMD_PROBE`], unless the address
    /// says `engine=plain`.
    pub fn detect() -> Engine {
        let forced_plain = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .is_some_and(|search| search.contains("engine=plain"));
        let simd = js_sys::WebAssembly::validate(&Uint8Array::from(&SIMD_PROBE[..]).into()).unwrap_or(false);
        if simd && !forced_plain { Engine::Simd } else { Engine::Plain }
    }

    pub fn url(self) -> &'static str {
        match self {
            Engine::Simd => SIMD_WORKER_URL,
            Engine::Plain => WORKER_URL,
        }
    }

    /// A few words for the Run panel.
    pub fn label(self) -> &'static str {
        match self {
            Engine::Simd => "wasm SIMD",
            Engine::Plain => "wasm (no SIMD)",
        }
    }
}

thread_local! {
    static ENGINE: std::cell::OnceCell<Engine> = const { std::cell::OnceCell::new() };
}

/// The engine of this page (detected once).
pub fn engine() -> Engine {
    ENGINE.with(|engine| *engine.get_or_init(Engine::detect))
}

/// Live frames run on at most this many workers at once.
pub const MAX_LIVE_WORKERS: usize = 3;

/// Workers live mode keeps busy: the address's `workers=N`, else `navigator.hardwareConcurrency`;
/// between 1 and [`MAX_LIVE_WORKERS`] ([`worker_count`]).
pub fn live_workers() -> usize {
    let Some(window) = web_sys::window() else { return 1 };
    let asked = window
        .location()
        .search()
        .ok()
        .and_then(|search| web_sys::UrlSearchParams::new_with_str(&search).ok())
        .and_then(|params| params.get("workers"));
    worker_count(asked.as_deref(), window.navigator().hardware_concurrency())
}

/// Live workers for the address's `workers` parameter (`asked`) on a browser reporting `cores`:
/// the number asked when it is one, else the cores; between 1 and [`MAX_LIVE_WORKERS`].
pub fn worker_count(asked: Option<&str>, cores: f64) -> usize {
    let from_cores = if cores.is_finite() && cores >= 1.0 { cores as usize } else { 1 };
    asked.and_then(|n| n.trim().parse::<usize>().ok()).unwrap_or(from_cores).clamp(1, MAX_LIVE_WORKERS)
}

/// Which replies are shown. Run ids increase. A single run (not quiet) hides every older run's
/// replies; live frames (quiet runs, which may overlap on several workers and finish out of
/// order) show their `done` only when it is newer than what is on screen, and their `failed`
/// always. Status replies show for single runs only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Admission {
    /// The latest single run's id: nothing older shows.
    floor: u32,
    /// The newest run whose `done` or `failed` is on screen.
    shown: u32,
}

impl Admission {
    /// Run `id` starts.
    pub fn start(&mut self, id: u32, quiet: bool) {
        if !quiet {
            self.floor = id;
        }
    }

    /// Whether run `id` is a live frame of the current live session (started after the latest
    /// single run).
    pub fn is_live_frame(&self, id: u32) -> bool {
        id > self.floor
    }

    /// Whether `reply` is shown (and notes it).
    pub fn admit(&mut self, reply: &Reply) -> bool {
        let id = reply.id();
        if id < self.floor {
            return false;
        }
        match reply {
            Reply::Done { .. } if id > self.shown => {
                self.shown = id;
                true
            }
            Reply::Failed { .. } => {
                self.shown = self.shown.max(id);
                true
            }
            Reply::Status { .. } => id == self.floor,
            _ => false,
        }
    }
}

struct Running {
    worker: Worker,
    /// Whether the worker has said [`Reply::Ready`]; until then the latest request waits here.
    ready: bool,
    pending: Option<(Array, Array)>,
    /// The key of the `.rune` the worker holds, as far as the page knows.
    has: Option<u64>,
    /// The run it is working on (posted, or waiting for `ready`), until its `done` or `failed`.
    busy: Option<u32>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

thread_local! {
    /// Worker 0 runs single runs and live frames; the others live frames only.
    static WORKERS: RefCell<Vec<Option<Running>>> = const { RefCell::new(Vec::new()) };
    static LATEST: Cell<u32> = const { Cell::new(0) };
    static ADMISSION: Cell<Admission> = const { Cell::new(Admission { floor: 0, shown: 0 }) };
    /// Whether the latest run is quiet (a live frame).
    static QUIET: Cell<bool> = const { Cell::new(false) };
    /// The last `.rune` built, for the compilation it was built from.
    static BUILT: RefCell<Option<(Arc<Compiled>, BuiltRune)>> = const { RefCell::new(None) };
}

/// One input of a run.
#[derive(Debug, Clone)]
pub struct RunInput {
    /// The capability kind (`IMAGE`).
    pub kind: String,
    /// The file name (for messages).
    pub name: String,
    /// Set when `bytes` are an RGBA8 frame of this size.
    pub frame: Option<FrameSize>,
    pub bytes: Arc<Vec<u8>>,
}

/// A compiled `.rune` and its [`rune_key`].
#[derive(Debug, Clone)]
pub struct BuiltRune {
    pub bytes: Arc<Vec<u8>>,
    pub key: u64,
}

/// The `.rune` that runs: the opened one, else the current compilation's, built once per
/// compilation (live mode asks per frame).
pub fn build(state: AppState) -> Result<BuiltRune, String> {
    if let Some(opened) = state.opened.get_untracked() {
        return Ok(BuiltRune { key: opened.key, bytes: opened.bytes.clone() });
    }
    let compiled = state.compiled.get_untracked();
    let cached = BUILT
        .with(|built| built.borrow().as_ref().filter(|(c, _)| Arc::ptr_eq(c, &compiled)).map(|(_, rune)| rune.clone()));
    if let Some(rune) = cached {
        return Ok(rune);
    }
    let bytes = compiled.compilation.to_bytes(runtime::BuildInfo::playground(None)).map_err(|e| e.to_string())?;
    let rune = BuiltRune { key: rune_key(&bytes), bytes: Arc::new(bytes) };
    BUILT.with(|built| *built.borrow_mut() = Some((compiled, rune.clone())));
    Ok(rune)
}

/// Starts a run of `rune` on `inputs`; progress and the result arrive in `state.run`. A `quiet`
/// run keeps the last result on screen until its own arrives.
pub fn start_run(state: AppState, rune: &BuiltRune, inputs: Vec<RunInput>, seed: u64, quiet: bool) {
    let id = LATEST.with(|latest| {
        latest.set(latest.get().wrapping_add(1));
        latest.get()
    });
    QUIET.with(|q| q.set(quiet));
    ADMISSION.with(|admission| {
        let mut a = admission.get();
        a.start(id, quiet);
        admission.set(a);
    });
    if !quiet {
        state.run.set(RunStatus::Running);
    }
    if let Err(why) = post(state, id, rune, inputs, seed, quiet) {
        fail(state, format!("The pipeline could not be started: {why}"));
    }
}

/// Live frames posted whose answer has not come back.
pub fn frames_in_flight() -> usize {
    WORKERS.with(|slots| slots.borrow().iter().flatten().filter(|running| running.busy.is_some()).count())
}

/// Applies a reply of worker `index` to the state (if [`Admission`] shows it).
pub fn apply_reply(state: AppState, index: usize, reply: Reply) {
    if matches!(reply, Reply::Done { .. } | Reply::Failed { .. }) {
        let failed = matches!(reply, Reply::Failed { .. });
        WORKERS.with(|slots| {
            if let Some(Some(running)) = slots.borrow_mut().get_mut(index) {
                if running.busy == Some(reply.id()) {
                    running.busy = None;
                }
                if failed {
                    // The worker may have dropped its pipeline: send the `.rune` with the next request.
                    running.has = None;
                }
            }
        });
    }
    let (shown, live_frame) = ADMISSION.with(|admission| {
        let mut a = admission.get();
        let shown = a.admit(&reply);
        admission.set(a);
        (shown, a.is_live_frame(reply.id()))
    });
    let settles = matches!(reply, Reply::Done { .. } | Reply::Failed { .. });
    // The live loop first (its effect is queued before the Results panel's): the next frame goes
    // to the worker before the page draws this one, so drawing overlaps the next run.
    if settles && live_frame {
        state.live_answers.update(|n| *n += 1);
    }
    if shown {
        apply_shown(state, reply);
    }
}

fn apply_shown(state: AppState, reply: Reply) {
    let status = match reply {
        Reply::Ready | Reply::Fetching { .. } | Reply::Unavailable { .. } => return,
        Reply::Status { phase: Phase::Loading, .. } => RunStatus::Loading,
        Reply::Status { phase: Phase::Running, .. } => RunStatus::Running,
        Reply::Done { result, .. } => RunStatus::Done(Arc::new(result)),
        Reply::Failed { failure, .. } => RunStatus::Failed(Arc::new(failure)),
    };
    state.run.set(status);
}

/// A failure of the page's side (a worker that stopped, a request not sent): no worker is
/// counted as busy any more (live mode stops on it).
fn fail(state: AppState, message: String) {
    WORKERS.with(|slots| {
        for running in slots.borrow_mut().iter_mut().flatten() {
            running.busy = None;
        }
    });
    state.run.set(RunStatus::Failed(Arc::new(RunFailure::new(None, message))));
}

/// The worker for a run: 0 for single runs; for live frames the first `idle` one of the
/// `count` live workers (a worker not started yet is idle), else 0.
pub fn pick_worker(quiet: bool, count: usize, idle: impl Fn(usize) -> bool) -> usize {
    if !quiet {
        return 0;
    }
    (0..count.max(1)).find(|&i| idle(i)).unwrap_or(0)
}

fn post(
    state: AppState,
    id: u32,
    rune: &BuiltRune,
    inputs: Vec<RunInput>,
    seed: u64,
    quiet: bool,
) -> Result<(), String> {
    let metas: Vec<InputMeta> = inputs
        .iter()
        .map(|input| InputMeta { kind: input.kind.clone(), name: input.name.clone(), frame: input.frame })
        .collect();
    WORKERS
        .with(|slots| {
            let mut slots = slots.borrow_mut();
            let index = pick_worker(quiet, live_workers(), |i| {
                slots.get(i).is_none_or(|slot| slot.as_ref().is_none_or(|running| running.busy.is_none()))
            });
            if slots.len() <= index {
                slots.resize_with(index + 1, || None);
            }
            let slot = &mut slots[index];
            if slot.is_none() {
                *slot = Some(spawn(state, index)?);
            }
            let Some(running) = slot.as_mut() else { return Err(JsValue::from_str("no worker")) };
            // Only a listening worker can have the `.rune` (a waiting request may be replaced).
            let cached = (running.ready && running.has == Some(rune.key)).then_some(rune.key);
            let request = RunRequest { id, seed, inputs: metas, cached };
            let header = serde_json::to_string(&request).map_err(|e| JsValue::from_str(&e.to_string()))?;
            let message = Array::new();
            let transfer = Array::new();
            message.push(&JsValue::from_str(&header));
            let rune_bytes: &[u8] = if cached.is_some() { &[] } else { rune.bytes.as_slice() };
            for bytes in std::iter::once(rune_bytes).chain(inputs.iter().map(|input| input.bytes.as_slice())) {
                let array = Uint8Array::from(bytes);
                transfer.push(&array.buffer());
                message.push(&array);
            }
            running.has = Some(rune.key);
            if running.ready {
                running.worker.post_message_with_transfer(&message, &transfer)?;
            } else {
                running.pending = Some((message, transfer));
            }
            running.busy = Some(id);
            Ok(())
        })
        .map_err(describe)
}

/// Worker `index` listens: send the request that waited for it.
fn on_ready(state: AppState, index: usize) {
    let sent = WORKERS.with(|slots| {
        let mut slots = slots.borrow_mut();
        let running = slots.get_mut(index)?.as_mut()?;
        running.ready = true;
        let (message, transfer) = running.pending.take()?;
        Some(running.worker.post_message_with_transfer(&message, &transfer))
    });
    if let Some(Err(e)) = sent {
        fail(state, format!("The pipeline could not be started: {}", describe(e)));
    }
}

fn spawn(state: AppState, index: usize) -> Result<Running, JsValue> {
    let worker = Worker::new(engine().url())?;
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        match read_reply(&event.data()) {
            Ok(Reply::Ready) => on_ready(state, index),
            // The engine's download, before the worker listens: it is for the pending request.
            Ok(Reply::Fetching { loaded, total }) => {
                if !QUIET.with(Cell::get) && state.run.with_untracked(RunStatus::is_busy) {
                    state.run.set(RunStatus::Fetching { loaded, total });
                }
            }
            Ok(Reply::Unavailable { message }) => {
                fail(state, format!("{message}. The next run tries again."));
                leptos::task::spawn_local(async { terminate() });
            }
            Ok(reply) => apply_reply(state, index, reply),
            Err(why) => fail(state, why),
        }
    });
    let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
        event.prevent_default();
        let detail = event.message();
        let detail = if detail.is_empty() { "it could not be loaded".to_string() } else { detail };
        fail(state, format!("The pipeline's worker stopped ({detail}). The next run starts a new one."));
        // Drop it after this handler has returned.
        leptos::task::spawn_local(async { terminate() });
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Running {
        worker,
        ready: false,
        pending: None,
        has: None,
        busy: None,
        _on_message: on_message,
        _on_error: on_error,
    })
}

/// A reply as the worker (JSON text, or `[json, buffer₀, …]`) or its loader (JSON text) posts it.
pub fn read_reply(data: &JsValue) -> Result<Reply, String> {
    if let Some(text) = data.as_string() {
        return Reply::from_json(&text);
    }
    let Some(parts) = data.dyn_ref::<Array>() else {
        return Err("The worker sent an answer that is neither text nor a list.".to_string());
    };
    let json = parts.get(0).as_string().unwrap_or_default();
    let buffers = parts
        .iter()
        .skip(1)
        .map(|part| part.dyn_into::<Uint8Array>().map(|array| array.to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| "The worker sent an answer with a part that is not bytes.".to_string())?;
    Reply::from_message(&json, buffers)
}

/// Stops the workers (the next run starts new ones).
pub fn terminate() {
    let stopped: Vec<Running> = WORKERS.with(|slots| slots.borrow_mut().drain(..).flatten().collect());
    for running in stopped {
        running.worker.terminate();
    }
}

fn describe(error: JsValue) -> String {
    error
        .as_string()
        .or_else(|| error.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())))
        .unwrap_or_else(|| "the browser refused".to_string())
}

#[cfg(test)]
mod tests {
    use super::{Admission, SIMD_PROBE, pick_worker, worker_count};
    use crate::protocol::{Phase, Reply, RunFailure, RunResult};
    use wasmparser::{Validator, WasmFeatures};

    fn done(id: u32) -> Reply {
        Reply::Done {
            id,
            result: RunResult { stages: vec![], warnings: vec![], serial: String::new(), load_ms: None, run_ms: 1.0 },
        }
    }

    fn failed(id: u32) -> Reply {
        Reply::Failed { id, failure: RunFailure::new(None, "boom") }
    }

    fn status(id: u32) -> Reply {
        Reply::Status { id, phase: Phase::Running }
    }

    #[test]
    fn a_single_run_shows_its_own_replies_only() {
        let mut a = Admission::default();
        a.start(1, false);
        a.start(2, false);
        assert!(!a.admit(&status(1)) && !a.admit(&done(1)) && !a.admit(&failed(1)));
        assert!(a.admit(&status(2)));
        assert!(a.admit(&done(2)));
        assert!(!a.is_live_frame(2));
    }

    #[test]
    fn live_frames_show_the_newest_answer_and_every_failure() {
        let mut a = Admission::default();
        a.start(1, false);
        for id in 2..=5 {
            a.start(id, true);
            assert!(a.is_live_frame(id));
        }
        // Frames 2 and 3 overlap on two workers; 3 finishes first.
        assert!(!a.admit(&status(3)), "live frames show no status");
        assert!(a.admit(&done(3)));
        assert!(!a.admit(&done(2)), "an older frame does not replace a newer one");
        assert!(a.admit(&done(5)));
        assert!(a.admit(&failed(4)), "a failure shows even when a newer frame is on screen");
        // The single run before them is over.
        assert!(!a.admit(&done(1)));
        // A new single run hides the frames still out.
        a.start(6, false);
        assert!(!a.admit(&done(5)) && !a.admit(&failed(5)));
        assert!(a.admit(&done(6)));
    }

    #[test]
    fn live_workers_follow_the_cores_or_the_address() {
        assert_eq!(worker_count(None, 2.0), 2);
        assert_eq!(worker_count(None, 16.0), 3);
        assert_eq!(worker_count(None, 0.0), 1);
        assert_eq!(worker_count(None, f64::NAN), 1);
        assert_eq!(worker_count(Some("1"), 8.0), 1);
        assert_eq!(worker_count(Some("0"), 8.0), 1);
        assert_eq!(worker_count(Some("9"), 2.0), 3);
        assert_eq!(worker_count(Some("many"), 2.0), 2);
    }

    #[test]
    fn single_runs_use_worker_0_live_frames_an_idle_one() {
        assert_eq!(pick_worker(false, 3, |_| true), 0);
        assert_eq!(pick_worker(true, 2, |_| true), 0);
        assert_eq!(pick_worker(true, 2, |i| i == 1), 1);
        // Nothing idle (the loop does not send then): worker 0 queues it.
        assert_eq!(pick_worker(true, 2, |_| false), 0);
        // Beyond the count, workers are not used.
        assert_eq!(pick_worker(true, 2, |i| i == 2), 0);
        assert_eq!(pick_worker(true, 0, |i| i == 0), 0);
    }

    #[test]
    fn the_simd_probe_is_valid_exactly_with_simd() {
        assert!(Validator::new_with_features(WasmFeatures::default()).validate_all(&SIMD_PROBE).is_ok());
        let mut without = WasmFeatures::default();
        without.remove(WasmFeatures::SIMD);
        without.remove(WasmFeatures::RELAXED_SIMD);
        assert!(Validator::new_with_features(without).validate_all(&SIMD_PROBE).is_err());
    }
}
