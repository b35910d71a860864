//! The Rust side of the CodeMirror 6 editor.
//!
//! `app/editor/editor.js` is bundled by esbuild into `rune-editor.js`, which `index.html` loads
//! (a classic script, before the wasm) and which sets `window.RuneEditor`. This module calls it
//! through wasm-bindgen. Pages without it (wasm-bindgen tests, a failed script) get the
//! `<textarea>` editor instead: ask [`CodeMirror::available`] first.
//!
//! Positions are UTF-16 code units ([`EditorRange`]); [`crate::editor_marks`] converts the
//! compiler's byte spans.
use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::editor_marks::{EditorRange, LintMark};

/// The global the bundle defines.
const GLOBAL: &str = "RuneEditor";

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = RuneEditor, js_name = create, catch)]
    fn js_create(
        parent: &web_sys::HtmlElement,
        text: &str,
        on_change: &Function,
        options: &Object,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = RuneEditor, js_name = text, catch)]
    fn js_text(view: &JsValue) -> Result<String, JsValue>;
    #[wasm_bindgen(js_namespace = RuneEditor, js_name = setText, catch)]
    fn js_set_text(view: &JsValue, text: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(js_namespace = RuneEditor, js_name = setDiagnostics, catch)]
    fn js_set_diagnostics(view: &JsValue, diagnostics: &Array) -> Result<(), JsValue>;
    #[wasm_bindgen(js_namespace = RuneEditor, js_name = select, catch)]
    fn js_select(view: &JsValue, from: u32, to: u32) -> Result<(), JsValue>;
    #[wasm_bindgen(js_namespace = RuneEditor, js_name = focus, catch)]
    fn js_focus(view: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(js_namespace = RuneEditor, js_name = destroy, catch)]
    fn js_destroy(view: &JsValue) -> Result<(), JsValue>;
}

/// A CodeMirror editor on the page. Dropping it destroys the editor (and its DOM).
pub struct CodeMirror {
    view: JsValue,
    /// Called by CodeMirror after each edit; kept alive as long as the editor.
    _on_change: Closure<dyn Fn(String)>,
}

impl CodeMirror {
    /// Whether the page loaded the editor bundle (`window.RuneEditor`).
    pub fn available() -> bool {
        web_sys::window()
            .and_then(|window| Reflect::get(&window, &JsValue::from_str(GLOBAL)).ok())
            .is_some_and(|editor| editor.is_object())
    }

    /// Creates an editor holding `text` in `parent`. `attributes` go on the editable element;
    /// `on_change` receives the whole text after every edit made in the editor (not after
    /// [`CodeMirror::set_text`]).
    pub fn create(
        parent: &web_sys::HtmlElement,
        text: &str,
        attributes: &[(&str, &str)],
        on_change: impl Fn(String) + 'static,
    ) -> Result<Self, JsValue> {
        let on_change = Closure::<dyn Fn(String)>::new(on_change);
        let attrs = Object::new();
        for (name, value) in attributes {
            Reflect::set(&attrs, &JsValue::from_str(name), &JsValue::from_str(value))?;
        }
        let options = Object::new();
        Reflect::set(&options, &JsValue::from_str("attributes"), &attrs)?;
        let view = js_create(parent, text, on_change.as_ref().unchecked_ref(), &options)?;
        Ok(CodeMirror { view, _on_change: on_change })
    }

    /// The editor's text (CodeMirror normalises line breaks to `\n`).
    pub fn text(&self) -> Option<String> {
        js_text(&self.view).map_err(report("text")).ok()
    }

    /// Replaces the text if it differs (undoable; `on_change` is not called).
    pub fn set_text(&self, text: &str) {
        let _ = js_set_text(&self.view, text).map_err(report("setText"));
    }

    /// Underlines `marks` (replacing the previous ones); hovering one shows its message.
    pub fn set_diagnostics(&self, marks: &[LintMark]) {
        let list = Array::new();
        for mark in marks {
            let item = Object::new();
            let fields = [
                ("from", JsValue::from(mark.range.from)),
                ("to", JsValue::from(mark.range.to)),
                ("severity", JsValue::from_str(mark.severity_name())),
                ("message", JsValue::from_str(&mark.message)),
            ];
            for (name, value) in fields {
                let _ = Reflect::set(&item, &JsValue::from_str(name), &value);
            }
            list.push(&item);
        }
        let _ = js_set_diagnostics(&self.view, &list).map_err(report("setDiagnostics"));
    }

    /// Selects `range`, scrolls it into view and focuses the editor.
    pub fn select(&self, range: EditorRange) {
        let _ = js_select(&self.view, range.from, range.to).map_err(report("select"));
    }

    pub fn focus(&self) {
        let _ = js_focus(&self.view).map_err(report("focus"));
    }
}

impl Drop for CodeMirror {
    fn drop(&mut self) {
        let _ = js_destroy(&self.view).map_err(report("destroy"));
    }
}

/// Logs a failed call (the bundle replaced by something else, or a bug in it) to the console.
fn report(call: &'static str) -> impl Fn(JsValue) {
    move |why| leptos::logging::error!("RuneEditor.{call} failed: {why:?}")
}
