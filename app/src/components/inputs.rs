use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DragEvent, File, FileList, HtmlInputElement};

use crate::protocol;
use crate::state::AppState;
use crate::uploads::{Role, Upload, human_size};

/// The Inputs panel: add files by picking or dropping them; models and other files the
/// Runefile reads by name, images / WAV / `.bin` / accelerometer CSV as capability inputs.
/// Lists them with sizes and a remove button, and says which inputs the pipeline still needs.
#[component]
pub fn Inputs() -> impl IntoView {
    let state = expect_context::<AppState>();
    let errors = RwSignal::new(Vec::<String>::new());
    let dragging = RwSignal::new(false);
    let needed =
        Memo::new(move |_| state.with_manifest(|manifest| manifest.map(protocol::needed_inputs).unwrap_or_default()));

    let add = move |files: FileList| {
        errors.set(Vec::new());
        let files: Vec<File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
        for file in files {
            spawn_local(async move {
                let name = file.name();
                let outcome = match JsFuture::from(file.array_buffer()).await {
                    Ok(buffer) => {
                        let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                        if is_rune_file(&name) {
                            state.open_rune(&name, bytes)
                        } else {
                            state.add_file(&name, bytes).map(|_| ())
                        }
                    }
                    Err(_) => Err(format!("\"{name}\" could not be read.")),
                };
                if let Err(why) = outcome {
                    errors.update(|list| list.push(why));
                }
            });
        }
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input: HtmlInputElement = event_target(&ev);
        if let Some(files) = input.files() {
            add(files);
        }
        // Picking the same file again must fire `change` again.
        input.set_value("");
    };
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(files) = ev.data_transfer().and_then(|dt| dt.files()) {
            add(files);
        }
    };
    let on_dragover = move |ev: DragEvent| {
        ev.prevent_default();
        dragging.set(true);
    };

    view! {
        <section class="panel inputs-panel" aria-labelledby="inputs-title" data-testid="inputs">
            <header class="panel-header">
                <h2 id="inputs-title" class="panel-title">"Inputs"</h2>
                <span class="panel-hint">"Models, label files, images, WAV, .bin, CSV"</span>
            </header>
            <div
                class=move || if dragging.get() { "drop-zone dragging" } else { "drop-zone" }
                data-testid="drop-zone"
                on:dragover=on_dragover
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop
            >
                <label class="button">
                    "Add files…"
                    <input type="file" multiple=true class="visually-hidden" data-testid="file-input" on:change=on_pick />
                </label>
                <span>" or drop them here"</span>
            </div>
            {move || {
                let list = errors.get();
                (!list.is_empty())
                    .then(|| {
                        view! {
                            <ul class="input-errors" role="alert" data-testid="input-errors">
                                {list.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}
                            </ul>
                        }
                    })
            }}
            <ul class="upload-list" data-testid="uploads">
                <For each=move || state.uploads.get() key=|u| (u.id, u.name.clone(), u.size()) let:upload>
                    <UploadRow upload=upload />
                </For>
            </ul>
            {move || {
                state.uploads.with(Vec::is_empty).then(|| view! { <p class="no-uploads">"No files added."</p> })
            }}
            {move || {
                let needs = needed.get();
                (!needs.is_empty())
                    .then(|| {
                        view! {
                            <ul class="needed-inputs" aria-label="Inputs the pipeline reads" data-testid="needed-inputs">
                                {needs
                                    .into_iter()
                                    .map(|need| {
                                        let have = move || state.input_count(need.kind) > need.source;
                                        let text = format!(
                                            "\"{}\" ({} source {}) reads {}",
                                            need.stage,
                                            need.capability,
                                            need.source,
                                            protocol::accepted_files(need.kind).unwrap_or("an input"),
                                        );
                                        view! {
                                            <li class=move || if have() { "have" } else { "missing" }>
                                                <span aria-hidden="true">{move || if have() { "✓ " } else { "○ " }}</span>
                                                {text}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                    })
            }}
        </section>
    }
}

#[component]
fn UploadRow(upload: Upload) -> impl IntoView {
    let state = expect_context::<AppState>();
    let id = upload.id;
    let role = upload.role.label(&upload.name);
    let role_class = match upload.role {
        Role::File => "role file",
        Role::Input(_) => "role input",
    };
    let position = move || match upload.role {
        Role::Input(kind) => state.uploads.with(|list| {
            let index = list.iter().filter(|u| u.role == Role::Input(kind)).position(|u| u.id == id);
            index.map(|i| format!("source {i}"))
        }),
        Role::File => None,
    };
    let remove_label = format!("Remove {}", upload.name);
    view! {
        <li class="upload" data-testid="upload" data-name=upload.name.clone()>
            <span class=role_class>{role}</span>
            <span class="upload-name">{upload.name.clone()}</span>
            <span class="upload-size">{human_size(upload.size())}</span>
            {move || position().map(|p| view! { <span class="upload-source">{p}</span> })}
            {upload.note.clone().map(|note| view! { <span class="upload-note">{note}</span> })}
            <button
                type="button"
                class="icon-button"
                data-testid="remove-upload"
                aria-label=remove_label.clone()
                title=remove_label
                on:click=move |_| state.remove_upload(id)
            >
                "✕"
            </button>
        </li>
    }
}

/// Whether a file is opened as a compiled Rune rather than added as an input.
pub fn is_rune_file(name: &str) -> bool {
    crate::uploads::extension(name) == "rune"
}
