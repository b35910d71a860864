use leptos::html::Video;
use leptos::prelude::*;
use leptos::task::spawn_local;
use runtime::CapabilityKind;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DragEvent, File, FileList, HtmlInputElement};

use crate::state::AppState;
use crate::uploads::{Role, Upload, human_size};
use crate::{devices, media, protocol};

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
                        } else if crate::uploads::extension(&name) == "zip" {
                            crate::project::from_zip(&name, &bytes).map(|project| {
                                let refused = state.open_project(project);
                                errors.update(|list| list.extend(refused));
                            })
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
    // A folder (input with `webkitdirectory`): every file with its path in the folder.
    let on_pick_folder = move |ev: leptos::ev::Event| {
        errors.set(Vec::new());
        let input: HtmlInputElement = event_target(&ev);
        let files: Vec<File> =
            input.files().map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect()).unwrap_or_default();
        input.set_value("");
        spawn_local(async move {
            let mut entries = Vec::new();
            let mut total = 0u64;
            for file in files {
                let path = js_sys::Reflect::get(&file, &"webkitRelativePath".into())
                    .ok()
                    .and_then(|p| p.as_string())
                    .filter(|p| !p.is_empty())
                    .unwrap_or_else(|| file.name());
                total += file.size() as u64;
                if entries.len() >= crate::project::MAX_ENTRIES || total > crate::project::MAX_TOTAL_BYTES {
                    errors.update(|list| {
                        list.push(format!(
                            "The folder is larger than a project may be ({} files, {} MiB).",
                            crate::project::MAX_ENTRIES,
                            crate::project::MAX_TOTAL_BYTES / (1024 * 1024)
                        ))
                    });
                    return;
                }
                match JsFuture::from(file.array_buffer()).await {
                    Ok(buffer) => entries.push((path, js_sys::Uint8Array::new(&buffer).to_vec())),
                    Err(_) => errors.update(|list| list.push(format!("\"{path}\" could not be read."))),
                }
            }
            match crate::project::from_entries("The folder", entries) {
                Ok(project) => {
                    let refused = state.open_project(project);
                    errors.update(|list| list.extend(refused));
                }
                Err(why) => errors.update(|list| list.push(why)),
            }
        });
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

    let needs = move |kind: CapabilityKind| needed.with(|list| list.iter().any(|n| n.kind == kind));

    view! {
        <section class="panel inputs-panel" aria-labelledby="inputs-title" data-testid="inputs">
            <header class="panel-header">
                <h2 id="inputs-title" class="panel-title">"Inputs"</h2>
                <span class="panel-hint">"Models, label files, images, WAV, .bin, CSV"</span>
            </header>
            <CameraBox shown=Signal::derive(move || needs(CapabilityKind::Image) || state.camera.get()) />
            <MicrophoneBox shown=Signal::derive(move || needs(CapabilityKind::Sound)) />
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
                <label class="button" title="A Rune project's folder: its Runefile goes into the editor, its files are added">
                    "Add folder…"
                    <input
                        type="file"
                        prop:webkitdirectory=true
                        class="visually-hidden"
                        data-testid="folder-input"
                        on:change=on_pick_folder
                    />
                </label>
                <span>" or drop files (or a project's .zip) here"</span>
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

/// "Use camera": a preview, "Capture" (adds the picture as the next IMAGE input) and the
/// camera live mode reads. The camera stops when turned off, when the page is hidden and when
/// the panel goes away.
#[component]
fn CameraBox(shown: Signal<bool>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let video = NodeRef::<Video>::new();
    let starting = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let note = RwSignal::new(None::<String>);

    let stop = move || {
        devices::stop_camera();
        let _ = state.camera.try_set(false);
    };
    let toggle = move |_| {
        if state.camera.get_untracked() {
            stop();
            return;
        }
        let Some(video) = video.get_untracked() else { return };
        error.set(None);
        note.set(None);
        starting.set(true);
        spawn_local(async move {
            let outcome = devices::start_camera(&video).await;
            starting.set(false);
            match outcome {
                Ok(()) => state.camera.set(true),
                Err(why) => {
                    state.camera.set(false);
                    error.set(Some(why));
                }
            }
        });
    };
    let capture = move |_| {
        note.set(None);
        match devices::grab_frame() {
            Some((size, rgba)) => match state.add_frame(size, rgba) {
                Ok(name) => note.set(Some(format!("Added {name} ({}×{}).", size.width, size.height))),
                Err(why) => error.set(Some(why)),
            },
            None => error.set(Some("The camera has no picture yet. Wait a moment and try again.".into())),
        }
    };
    // A hidden page stops the camera (and with it live mode).
    let on_visibility = window_event_listener(leptos::ev::visibilitychange, move |_| {
        let hidden = document().visibility_state() == web_sys::VisibilityState::Hidden;
        if hidden && state.camera.get_untracked() {
            stop();
            note.set(Some("The camera stopped while the page was hidden.".into()));
        }
    });
    on_cleanup(move || {
        on_visibility.remove();
        stop();
    });

    view! {
        <div class="device-box" data-testid="camera" style:display=move || if shown.get() { "" } else { "none" }>
            <div class="device-buttons">
                <button
                    type="button"
                    class="button"
                    data-testid="camera-toggle"
                    aria-pressed=move || state.camera.get().to_string()
                    disabled=move || starting.get()
                    on:click=toggle
                >
                    {move || {
                        if starting.get() {
                            "Starting the camera…"
                        } else if state.camera.get() {
                            "Stop camera"
                        } else {
                            "Use camera"
                        }
                    }}
                </button>
                <button
                    type="button"
                    class="button"
                    data-testid="capture"
                    disabled=move || !state.camera.get()
                    title="Add the camera's picture as an IMAGE input"
                    on:click=capture
                >
                    "Capture"
                </button>
            </div>
            <video
                node_ref=video
                class="camera-preview"
                data-testid="camera-preview"
                aria-label="Camera preview"
                muted=true
                playsinline=true
                style:display=move || if state.camera.get() { "" } else { "none" }
            ></video>
            {move || error.get().map(|e| view! { <p class="device-error" role="alert" data-testid="camera-error">{e}</p> })}
            {move || note.get().map(|n| view! { <p class="device-note" role="status" data-testid="camera-note">{n}</p> })}
        </div>
    }
}

/// "Record": records the microphone for as long as the SOUND capability reads, at its rate,
/// and adds the recording as the next SOUND input (a 16-bit WAV).
#[component]
fn MicrophoneBox(shown: Signal<bool>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let recording = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let note = RwSignal::new(None::<String>);
    let plan = Memo::new(move |_| {
        state.compiled.with(|c| c.compilation.manifest().map(|m| media::recording_plan(&m)).unwrap_or_default())
    });
    let record = move |_| {
        let plan = plan.get_untracked();
        error.set(None);
        note.set(None);
        recording.set(true);
        spawn_local(async move {
            let outcome = devices::record_wav(plan).await;
            recording.set(false);
            let added = outcome.and_then(|wav| {
                let name = state.uploads.with_untracked(|list| {
                    (1..)
                        .map(|n| format!("microphone-{n}.wav"))
                        .find(|name| list.iter().all(|u| &u.name != name))
                        .unwrap_or_default()
                });
                state.add_file(&name, wav).map(|_| name)
            });
            match added {
                Ok(name) => note.set(Some(format!("Added {name}."))),
                Err(why) => error.set(Some(why)),
            }
        });
    };
    view! {
        <div class="device-box" data-testid="microphone" style:display=move || if shown.get() { "" } else { "none" }>
            <div class="device-buttons">
                <button
                    type="button"
                    class="button"
                    data-testid="record"
                    disabled=move || recording.get()
                    on:click=record
                >
                    {move || if recording.get() { "Recording…" } else { "Record" }}
                </button>
                <span class="device-hint">
                    {move || {
                        let plan = plan.get();
                        format!("{:.1} s of microphone sound at {} Hz", f64::from(plan.ms) / 1000.0, plan.rate)
                    }}
                </span>
            </div>
            {move || error.get().map(|e| view! { <p class="device-error" role="alert" data-testid="microphone-error">{e}</p> })}
            {move || note.get().map(|n| view! { <p class="device-note" role="status" data-testid="microphone-note">{n}</p> })}
        </div>
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
