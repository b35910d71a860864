use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::JsValue;
use web_sys::{HtmlTextAreaElement, KeyboardEvent};

use crate::editor_marks;
use crate::state::AppState;

/// What the Tab key inserts.
const INDENT: &str = "  ";

/// The Runefile editor.
///
/// **Placeholder: CodeMirror replaces this `<textarea>` (and its gutter) in a later issue.**
/// The rest of the app only relies on [`AppState::source`] (the text, written on every input)
/// and [`AppState::editor`] (to move the selection), so the swap stays inside this file.
///
/// The gutter is a column of line numbers scrolled together with the textarea (which does not
/// wrap lines, so one text line is one gutter row). Lines with problems are marked in it.
/// Tab inserts two spaces; Esc then Tab (or Shift+Tab) moves the focus on, so the keyboard is
/// never trapped.
#[component]
pub fn Editor() -> impl IntoView {
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
        if let (Some(gutter), Some(textarea)) = (gutter.get_untracked(), state.editor.get_untracked()) {
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
        <section class="panel editor-panel" aria-labelledby="editor-title">
            <header class="panel-header">
                <h2 id="editor-title" class="panel-title">"Runefile.yml"</h2>
                <span class="panel-hint" id="editor-hint">"Tab indents · Esc, Tab moves on"</span>
            </header>
            <div class="editor">
                <div class="gutter" node_ref=gutter aria-hidden="true" data-testid="gutter">
                    {gutter_rows}
                </div>
                <textarea
                    node_ref=state.editor
                    class="source-text"
                    data-testid="editor"
                    aria-label="Runefile source"
                    aria-describedby="editor-hint"
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
        </section>
    }
}

/// Replaces the selection with [`INDENT`] and puts the cursor after it.
fn insert_indent(textarea: &HtmlTextAreaElement) -> Result<(), JsValue> {
    let start = textarea.selection_start()?.unwrap_or(0);
    let end = textarea.selection_end()?.unwrap_or(start);
    textarea.set_range_text_with_start_and_end_and_mode(INDENT, start, end, "end")
}
