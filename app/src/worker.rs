//! The Web Worker's browser glue (`rune-worker` binary, feature `worker`): receives
//! `[header, rune, inputs…]` messages, runs them with [`engine::Session`] on the tract engine
//! and posts [`Reply`]s back (JSON text, with the numeric tensors' values in transferred
//! buffers: [`Reply::to_message`]). See [`crate::protocol`] for the message format.
use std::cell::RefCell;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::engine::Session;
use crate::protocol::{Reply, RunFailure, RunRequest};

thread_local! {
    static SESSION: RefCell<Session> = RefCell::new(Session::new());
}

/// Installs the message handler. Call once, from the worker's `main`.
pub fn start() {
    console_error_panic_hook::set_once();
    let Ok(scope) = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>() else {
        web_sys::console::error_1(&"rune-worker must run in a dedicated worker".into());
        return;
    };
    let reply_scope = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let post = |reply: Reply| post_reply(&reply_scope, reply);
        handle(&event.data(), &post);
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    let _ = scope.post_message(&JsValue::from_str(&Reply::Ready.to_json()));
}

/// Posts `reply`: JSON text alone, or `[json, buffer₀, …]` with the buffers transferred.
fn post_reply(scope: &DedicatedWorkerGlobalScope, reply: Reply) {
    let (json, buffers) = reply.to_message();
    if buffers.is_empty() {
        let _ = scope.post_message(&JsValue::from_str(&json));
        return;
    }
    let message = Array::of1(&JsValue::from_str(&json));
    let transfer = Array::new();
    for bytes in &buffers {
        let array = Uint8Array::from(bytes.as_slice());
        transfer.push(&array.buffer());
        message.push(&array);
    }
    let _ = scope.post_message_with_transfer(&message, &transfer);
}

fn handle(data: &JsValue, post: &dyn Fn(Reply)) {
    let Ok(parts) = data.clone().dyn_into::<Array>() else {
        post(Reply::Failed {
            id: 0,
            failure: RunFailure::new(None, "The worker got a message it does not understand."),
        });
        return;
    };
    let header = parts.get(0).as_string().unwrap_or_default();
    let request: RunRequest = match serde_json::from_str(&header) {
        Ok(request) => request,
        Err(e) => {
            let failure = RunFailure::new(None, format!("The worker got an unreadable request: {e}"));
            post(Reply::Failed { id: 0, failure });
            return;
        }
    };
    let bytes = |i: u32| parts.get(i).dyn_into::<Uint8Array>().map(|a| a.to_vec()).unwrap_or_default();
    let rune = bytes(1);
    let inputs: Vec<Vec<u8>> = (0..request.inputs.len() as u32).map(|i| bytes(i + 2)).collect();
    let clock = now_ms;
    let reply = SESSION.with(|session| {
        let mut session = session.borrow_mut();
        session.run(&request, &rune, inputs, &runtime::tract::TractBackend, &clock, &mut |status| post(status))
    });
    post(reply);
}

/// `performance.now()` in the worker (0 when unavailable).
fn now_ms() -> f64 {
    js_sys::global()
        .dyn_into::<web_sys::WorkerGlobalScope>()
        .ok()
        .and_then(|scope| scope.performance())
        .map_or(0.0, |performance| performance.now())
}
