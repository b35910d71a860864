//! The page's side of running pipelines: starts the `rune-worker` Web Worker on the first run,
//! posts it the `.rune` and the inputs (transferring their buffers), and turns its replies into
//! [`RunStatus`] changes. See [`crate::protocol`] for the messages.
//!
//! Replies to an older run than the latest are ignored. If the worker dies (a panic aborts it),
//! the run fails with a message and the next run starts a new worker.
//!
//! The `.rune` is sent once per worker and pipeline: while the worker has it (the page sent it
//! and no run has failed since), requests carry only its [`rune_key`] (`cached`), so live mode's
//! frames move no model bytes and load nothing. "Quiet" runs (live frames) leave the last result
//! on screen until the next one arrives instead of showing "Running…".
use std::cell::{Cell, RefCell};
use std::sync::Arc;

use js_sys::{Array, Uint8Array};
use leptos::prelude::{GetUntracked, Set, WithUntracked};
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

struct Running {
    worker: Worker,
    /// Whether the worker has said [`Reply::Ready`]; until then the latest request waits here.
    ready: bool,
    pending: Option<(Array, Array)>,
    /// The key of the `.rune` the worker holds, as far as the page knows.
    has: Option<u64>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

thread_local! {
    static WORKER: RefCell<Option<Running>> = const { RefCell::new(None) };
    static LATEST: Cell<u32> = const { Cell::new(0) };
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
    if !quiet {
        state.run.set(RunStatus::Running);
    }
    if let Err(why) = post(state, id, rune, inputs, seed) {
        fail(state, format!("The pipeline could not be started: {why}"));
    }
}

/// Applies a reply of the worker to the state (ignoring replies to older runs).
pub fn apply_reply(state: AppState, reply: Reply) {
    if matches!(reply, Reply::Failed { .. }) {
        // The worker may have dropped its pipeline: send the `.rune` with the next request.
        WORKER.with(|slot| {
            if let Some(running) = slot.borrow_mut().as_mut() {
                running.has = None;
            }
        });
    }
    if reply.id() != LATEST.with(Cell::get) {
        return;
    }
    if QUIET.with(Cell::get) && matches!(reply, Reply::Status { .. }) {
        return;
    }
    let status = match reply {
        Reply::Ready | Reply::Fetching { .. } | Reply::Unavailable { .. } => return,
        Reply::Status { phase: Phase::Loading, .. } => RunStatus::Loading,
        Reply::Status { phase: Phase::Running, .. } => RunStatus::Running,
        Reply::Done { result, .. } => RunStatus::Done(Arc::new(result)),
        Reply::Failed { failure, .. } => RunStatus::Failed(Arc::new(failure)),
    };
    state.run.set(status);
}

fn fail(state: AppState, message: String) {
    state.run.set(RunStatus::Failed(Arc::new(RunFailure::new(None, message))));
}

fn post(state: AppState, id: u32, rune: &BuiltRune, inputs: Vec<RunInput>, seed: u64) -> Result<(), String> {
    let metas: Vec<InputMeta> = inputs
        .iter()
        .map(|input| InputMeta { kind: input.kind.clone(), name: input.name.clone(), frame: input.frame })
        .collect();
    WORKER
        .with(|slot| {
            let mut slot = slot.borrow_mut();
            if slot.is_none() {
                *slot = Some(spawn(state)?);
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
                running.worker.post_message_with_transfer(&message, &transfer)
            } else {
                running.pending = Some((message, transfer));
                Ok(())
            }
        })
        .map_err(describe)
}

/// The worker listens: send the request that waited for it.
fn on_ready(state: AppState) {
    let sent = WORKER.with(|slot| {
        let mut slot = slot.borrow_mut();
        let running = slot.as_mut()?;
        running.ready = true;
        let (message, transfer) = running.pending.take()?;
        Some(running.worker.post_message_with_transfer(&message, &transfer))
    });
    if let Some(Err(e)) = sent {
        fail(state, format!("The pipeline could not be started: {}", describe(e)));
    }
}

fn spawn(state: AppState) -> Result<Running, JsValue> {
    let worker = Worker::new(engine().url())?;
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        match read_reply(&event.data()) {
            Ok(Reply::Ready) => on_ready(state),
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
            Ok(reply) => apply_reply(state, reply),
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
    Ok(Running { worker, ready: false, pending: None, has: None, _on_message: on_message, _on_error: on_error })
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

/// Stops the worker (the next run starts a new one).
pub fn terminate() {
    if let Some(running) = WORKER.with(|slot| slot.borrow_mut().take()) {
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
    use super::SIMD_PROBE;
    use wasmparser::{Validator, WasmFeatures};

    #[test]
    fn the_simd_probe_is_valid_exactly_with_simd() {
        assert!(Validator::new_with_features(WasmFeatures::default()).validate_all(&SIMD_PROBE).is_ok());
        let mut without = WasmFeatures::default();
        without.remove(WasmFeatures::SIMD);
        without.remove(WasmFeatures::RELAXED_SIMD);
        assert!(Validator::new_with_features(without).validate_all(&SIMD_PROBE).is_err());
    }
}
