use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlInputElement;

use crate::components::ShareButton;
use crate::download::download_bytes;
use crate::examples::{self, EXAMPLES};
use crate::state::{AppState, rune_file_name};

/// The Examples menu, the Rune's name and the Download button.
#[component]
pub fn Toolbar() -> impl IntoView {
    let state = expect_context::<AppState>();
    let has_errors = move || state.compiled.with(|compiled| compiled.compilation.has_errors());
    let file_name = move || rune_file_name(&state.name.read());
    let (download_error, set_download_error) = signal(None::<String>);

    let on_example = move |ev: leptos::ev::Event| {
        if let Some(example) = examples::find(&event_target_value(&ev)) {
            state.load_example(example);
        }
    };
    let on_download = move |_| {
        let file_name = file_name();
        let result = state.compiled.with_untracked(|compiled| {
            compiled.compilation.to_bytes(runtime::BuildInfo::playground(None)).map_err(|e| e.to_string())
        });
        let outcome = result.and_then(|bytes| {
            download_bytes(&file_name, &bytes)
                .map_err(|e| e.as_string().unwrap_or_else(|| "the browser refused".into()))
        });
        set_download_error.set(outcome.err().map(|why| format!("Download failed: {why}")));
    };

    let on_open = move |ev: leptos::ev::Event| {
        let input: HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
        // Opening the same file again must fire `change` again.
        input.set_value("");
        spawn_local(async move {
            let name = file.name();
            match JsFuture::from(file.array_buffer()).await {
                Ok(buffer) => {
                    let _ = state.open_rune(&name, js_sys::Uint8Array::new(&buffer).to_vec());
                }
                Err(_) => state.open_error.set(Some(format!("\"{name}\" could not be read."))),
            }
        });
    };

    view! {
        <div class="toolbar" role="toolbar" aria-label="Playground actions">
            <label class="field">
                <span class="field-label">"Example"</span>
                <select data-testid="examples" on:change=on_example prop:value=move || state.current_example().unwrap_or("")>
                    <option value="" disabled=true selected=true>"Choose an example…"</option>
                    {EXAMPLES
                        .iter()
                        .map(|example| view! { <option value=example.id>{example.label()}</option> })
                        .collect_view()}
                </select>
            </label>
            <label class="field">
                <span class="field-label">"Name"</span>
                <input
                    type="text"
                    class="name-input"
                    data-testid="rune-name"
                    spellcheck="false"
                    autocomplete="off"
                    placeholder="playground"
                    prop:value=move || state.name.get()
                    on:input=move |ev| state.name.set(event_target_value(&ev))
                />
            </label>
            <label class="button" title="Open a compiled .rune to inspect and run it">
                "Open .rune…"
                <input type="file" accept=".rune,.wasm" class="visually-hidden" data-testid="open-rune" on:change=on_open />
            </label>
            <button
                type="button"
                class="button primary"
                data-testid="download"
                disabled=has_errors
                title=move || if has_errors() { "Fix the errors to download".to_string() } else { format!("Download {}", file_name()) }
                on:click=on_download
            >
                <svg class="icon" viewBox="0 0 16 16" aria-hidden="true">
                    <path d="M8 1.5v8.5M4.5 6.5 8 10l3.5-3.5M2.5 12.5v2h11v-2" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" />
                </svg>
                <span>"Download "<span class="file-name">{file_name}</span></span>
            </button>
            <ShareButton />
            {move || download_error.get().map(|message| view! { <span class="toolbar-error" role="alert">{message}</span> })}
            {move || {
                state
                    .open_error
                    .get()
                    .map(|message| {
                        view! {
                            <span class="toolbar-error" role="alert" data-testid="open-error">
                                {message}
                                <button
                                    type="button"
                                    class="icon-button"
                                    aria-label="Dismiss"
                                    on:click=move |_| state.open_error.set(None)
                                >
                                    "✕"
                                </button>
                            </span>
                        }
                    })
            }}
        </div>
    }
}
