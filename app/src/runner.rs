//! The page's side of running pipelines: starts the `rune-worker` Web Worker on the first run,
//! posts it the `.rune` and the inputs (transferring their buffers), and turns its replies into
//! [`RunStatus`] changes. See [`crate::protocol`] for the messages.
//!
//! Replies to an older run than the latest are ignored. If the worker dies (a panic aborts it),
//! the run fails with a message and the next run starts a new worker.
use std::cell::{Cell, RefCell};
use std::sync::Arc;

use js_sys::{Array, Uint8Array};
use leptos::prelude::Set;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use crate::protocol::{InputMeta, Phase, Reply, RunFailure, RunRequest};
use crate::state::{AppState, RunStatus};

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
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

thread_local! {
    static WORKER: RefCell<Option<Running>> = const { RefCell::new(None) };
    static LATEST: Cell<u32> = const { Cell::new(0) };
}

/// One input of a run: its kind (`IMAGE`), file name and bytes.
pub type RunInput = (String, String, Arc<Vec<u8>>);

/// Starts a run of `rune` on `inputs`; progress and the result arrive in `state.run`.
pub fn start_run(state: AppState, rune: Vec<u8>, inputs: Vec<RunInput>, seed: u64) {
    let id = LATEST.with(|latest| {
        latest.set(latest.get().wrapping_add(1));
        latest.get()
    });
    state.run.set(RunStatus::Running);
    if let Err(why) = post(state, id, rune, inputs, seed) {
        fail(state, format!("The pipeline could not be started: {why}"));
    }
}

/// Applies a reply of the worker to the state (ignoring replies to older runs).
pub fn apply_reply(state: AppState, reply: Reply) {
    if reply.id() != LATEST.with(Cell::get) {
        return;
    }
    let status = match reply {
        Reply::Ready => return,
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

fn post(state: AppState, id: u32, rune: Vec<u8>, inputs: Vec<RunInput>, seed: u64) -> Result<(), String> {
    let request = RunRequest {
        id,
        seed,
        inputs: inputs.iter().map(|(kind, name, _)| InputMeta { kind: kind.clone(), name: name.clone() }).collect(),
    };
    let header = serde_json::to_string(&request).map_err(|e| e.to_string())?;
    let message = Array::new();
    let transfer = Array::new();
    message.push(&JsValue::from_str(&header));
    for bytes in std::iter::once(rune.as_slice()).chain(inputs.iter().map(|(_, _, bytes)| bytes.as_slice())) {
        let array = Uint8Array::from(bytes);
        transfer.push(&array.buffer());
        message.push(&array);
    }
    WORKER
        .with(|slot| {
            let mut slot = slot.borrow_mut();
            if slot.is_none() {
                *slot = Some(spawn(state)?);
            }
            match slot.as_mut() {
                Some(running) if running.ready => running.worker.post_message_with_transfer(&message, &transfer),
                Some(running) => {
                    running.pending = Some((message, transfer));
                    Ok(())
                }
                None => Err(JsValue::from_str("no worker")),
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
        let text = event.data().as_string().unwrap_or_default();
        match Reply::from_json(&text) {
            Ok(Reply::Ready) => on_ready(state),
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
    Ok(Running { worker, ready: false, pending: None, _on_message: on_message, _on_error: on_error })
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
