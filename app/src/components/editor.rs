use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::JsValue;
use web_sys::{HtmlTextAreaElement, KeyboardEvent};

use crate::codemirror::CodeMirror;
use crate::editor_marks;
use crate::state::AppState;

/// What the Tab key inserts in the textarea editor.
const INDENT: &str = "  ";

/// The attributes of the editable element (either editor's).
const LABEL: &str = "Runefile source";
const HINT_ID: &str = "editor-hint";
const TEST_ID: &str = "editor";

/// The Runefile editor: CodeMirror 6 ([`CodeMirror`]) when the page loaded its bundle, else a
/// `<textarea>` with a line-number gutter (wasm-bindgen test pages, or if CodeMirror fails to
/// start).
///
/// Both only talk to the rest of the app through [`AppState::source`] (the text, written on
/// every edit) and [`AppState::editor`] (to move the selection). In both, Tab indents and Esc
/// then Tab (or Shift+Tab) moves the focus on, so the keyboard is never trapped.
#[component]
pub fn Editor() -> impl IntoView {
    let use_code = RwSignal::new(CodeMirror::available());
    view! {
        <section class="panel editor-panel" aria-labelledby="editor-title">
            <header class="panel-header">
                <h2 id="editor-title" class="panel-title">"Runefile.yml"</h2>
                <span class="panel-hint" id=HINT_ID>"Tab indents · Esc, Tab moves on"</span>
            </header>
            {move || {
                if use_code.get() {
                    view! { <CodeEditor on_failure=move || use_code.set(false) /> }.into_any()
                } else {
                    view! { <TextEditor /> }.into_any()
                }
            }}
        </section>
    }
}

/// CodeMirror: YAML highlighting, line numbers, undo, and the compilation's diagnostics
/// underlined (message on hover, marker in the gutter).
///
/// Text flows both ways without loops: CodeMirror's edits write [`AppState::source`]; a source
/// changed elsewhere (an example) is pushed into CodeMirror only when it differs from its text,
/// and that push does not report back.
#[component]
fn CodeEditor(on_failure: impl Fn() + 'static) -> impl IntoView {
    let state = expect_context::<AppState>();
    let host = NodeRef::<Div>::new();

    host.on_load(move |host| {
        let attributes = [("aria-label", LABEL), ("aria-describedby", HINT_ID), ("data-testid", TEST_ID)];
        let text = state.source.get_untracked();
        match CodeMirror::create(&host, &text, &attributes, move |text| state.source.set(text)) {
            Ok(editor) => {
                // CodeMirror keeps "\n" line breaks only; the compiled text must be the editor's,
                // or the diagnostics' offsets would not match it.
                if let Some(normalised) = editor.text().filter(|normalised| *normalised != text) {
                    state.source.set(normalised);
                }
                state.editor.code.set(Some(editor));
            }
            Err(why) => {
                leptos::logging::error!("the code editor did not start ({why:?}); using the plain one");
                on_failure();
            }
        }
    });
    on_cleanup(move || {
        // Dropping the editor destroys it.
        state.editor.code.try_set(None);
    });

    // A source set from elsewhere (an example, a restore) → CodeMirror.
    Effect::new(move |_| {
        state.source.with(|text| {
            state.editor.code.with(|code| {
                if let Some(code) = code {
                    code.set_text(text);
                }
            });
        });
    });
    // The latest compilation's diagnostics → lint marks. Its spans index the text it compiled,
    // which lags the editor by one debounce: skip it when the texts differ (the marks already
    // shown follow the edits, and the next compilation replaces them).
    Effect::new(move |_| {
        let compiled = state.compiled.get();
        state.editor.code.with(|code| {
            let Some(code) = code else { return };
            if state.source.with_untracked(|text| *text != compiled.source) {
                return;
            }
            code.set_diagnostics(&editor_marks::lint_marks(&compiled.source, &compiled.compilation.diagnostics.0));
        });
    });

    view! { <div class="editor code-editor" node_ref=host></div> }
}

/// The plain editor: a `<textarea>` with a gutter of line numbers scrolled together with it
/// (it does not wrap lines, so one text line is one gutter row). Lines with problems are marked
/// in the gutter. Tab inserts two spaces; Esc then Tab (or Shift+Tab) moves the focus on.
#[component]
fn TextEditor() -> impl IntoView {
    let state = expect_context::<AppState>();
    let gutter = NodeRef::<Div>::new();
    // Set by Esc: the next Tab leaves the editor instead of indenting.
    let tab_leaves = StoredValue::new(false);

    let line_count = Memo::new(move |_| state.source.with(|text| text.split('\n').count()));
    let marks = Memo::new(move |_| {
        state
            .compiled
            .with(|compiled| editor_marks::line_severities(&compiled.source, &compiled.compilation.diagnostics.0))
    });
    let gutter_rows = move || {
        marks.with(|marks| {
            (1..=line_count.get())
                .map(|line| {
                    let class = match marks.get(&u32::try_from(line).unwrap_or(u32::MAX)) {
                        Some(compiler::Severity::Error) => "line-number error",
                        Some(compiler::Severity::Warning) => "line-number warning",
                        None => "line-number",
                    };
                    view! { <span class=class>{line}</span> }
                })
                .collect_view()
        })
    };

    let sync_gutter = move || {
        if let (Some(gutter), Some(textarea)) = (gutter.get_untracked(), state.editor.textarea.get_untracked()) {
            gutter.set_scroll_top(textarea.scroll_top());
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        state.source.set(event_target_value(&ev));
        sync_gutter();
    };
    let on_keydown = move |ev: KeyboardEvent| {
        let plain = !(ev.shift_key() || ev.ctrl_key() || ev.alt_key() || ev.meta_key());
        match ev.key().as_str() {
            "Escape" => tab_leaves.set_value(true),
            "Tab" if plain && !tab_leaves.get_value() => {
                ev.prevent_default();
                let textarea: HtmlTextAreaElement = event_target(&ev);
                if insert_indent(&textarea).is_ok() {
                    state.source.set(textarea.value());
                }
            }
            _ => tab_leaves.set_value(false),
        }
    };

    view! {
        <div class="editor">
            <div class="gutter" node_ref=gutter aria-hidden="true" data-testid="gutter">
                {gutter_rows}
            </div>
            <textarea
                node_ref=state.editor.textarea
                class="source-text"
                data-testid=TEST_ID
                aria-label=LABEL
                aria-describedby=HINT_ID
                spellcheck="false"
                autocomplete="off"
                autocapitalize="off"
                wrap="off"
                prop:value=move || state.source.get()
                on:input=on_input
                on:scroll=move |_| sync_gutter()
                on:keydown=on_keydown
            ></textarea>
        </div>
    }
}

/// Replaces the selection with [`INDENT`] and puts the cursor after it.
fn insert_indent(textarea: &HtmlTextAreaElement) -> Result<(), JsValue> {
    let start = textarea.selection_start()?.unwrap_or(0);
    let end = textarea.selection_end()?.unwrap_or(start);
    textarea.set_range_text_with_start_and_end_and_mode(INDENT, start, end, "end")
}
