//! Browser tests: each mounts the playground into a fresh `<section>`, drives it through DOM
//! events, waits for the debounce and the reactive system, and asserts on `data-testid` hooks.
//!
//! Run with `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p rune-app --target wasm32-unknown-unknown`
//! or `cd app && CHROMEDRIVER=/usr/bin/chromedriver wasm-pack test --headless --chrome --mode no-install`.
#![cfg(target_arch = "wasm32")]

use leptos::mount::mount_to;
use leptos::prelude::*;
use leptos::task::tick;
use rune_app::state::{AppState, NAME_KEY, RunStatus, SOURCE_KEY};
use rune_app::{App, Playground};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, Event, EventInit, HtmlElement, HtmlTextAreaElement, KeyboardEvent, KeyboardEventInit};

wasm_bindgen_test_configure!(run_in_browser);

/// Random numbers → serial: three stages, no files needed.
const VALID: &str = "\
version: 1
image: runicos/base
pipeline:
  rand:
    capability: RAND
    outputs:
      - type: F32
        dimensions: [1]
  wrap:
    proc-block: \"hotg-ai/proc-blocks@v0.11.3#modulo\"
    inputs: [rand]
    outputs:
      - type: F32
        dimensions: [1]
    args:
      modulus: 360
  serial:
    out: serial
    inputs: [wrap]
";

/// An unknown input after non-ASCII text (2-byte and 4-byte characters, one a surrogate pair).
const BROKEN: &str = "\
# Größe 🦀
version: 1
image: runicos/base
pipeline:
  rand:
    capability: RAND
    outputs:
      - type: F32
        dimensions: [1]
  serial:
    out: serial
    inputs: [asdf]
";

const COMPILE_WAIT_MS: i32 = 400;

fn document() -> web_sys::Document {
    web_sys::window().and_then(|w| w.document()).expect("a document")
}

/// A fresh `<section>` on the page.
fn section() -> HtmlElement {
    let doc = document();
    let el = doc.create_element("section").expect("create <section>");
    doc.body().expect("a body").append_child(&el).expect("append <section>");
    el.unchecked_into()
}

/// Mounts the playground with `source` (not saved to localStorage). Keep the handle alive.
fn mount_playground(source: &str) -> (HtmlElement, impl Sized) {
    let root = section();
    let source = source.to_string();
    let handle = mount_to(root.clone(), move || {
        provide_context(AppState::with_source(&source));
        view! { <Playground /> }
    });
    (root, handle)
}

fn find(root: &Element, selector: &str) -> Element {
    root.query_selector(selector).ok().flatten().unwrap_or_else(|| panic!("no element matches {selector}"))
}

fn find_all(root: &Element, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).expect("a valid selector");
    (0..list.length()).filter_map(|i| list.item(i)?.dyn_into().ok()).collect()
}

fn text(root: &Element, selector: &str) -> String {
    find(root, selector).text_content().unwrap_or_default()
}

fn editor(root: &Element) -> HtmlTextAreaElement {
    find(root, "[data-testid=editor]").unchecked_into()
}

fn bubbling(kind: &str) -> Event {
    let init = EventInit::new();
    init.set_bubbles(true);
    Event::new_with_event_init_dict(kind, &init).expect("an event")
}

/// Replaces the editor's text as typing would (an `input` event).
fn type_text(root: &Element, text: &str) {
    let textarea = editor(root);
    textarea.set_value(text);
    textarea.dispatch_event(&bubbling("input")).expect("dispatch input");
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let window = web_sys::window().expect("a window");
        window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).expect("setTimeout");
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Waits for the debounce, the compilation and the DOM update.
async fn settle() {
    sleep(COMPILE_WAIT_MS).await;
    tick().await;
}

fn utf16_len(text: &str) -> u32 {
    text.encode_utf16().count() as u32
}

#[wasm_bindgen_test]
async fn typing_a_broken_runefile_shows_the_problem_after_the_debounce() {
    let (root, _handle) = mount_playground(VALID);
    tick().await;
    assert_eq!(text(&root, "[data-testid=problems-summary]"), "No problems");

    type_text(&root, BROKEN);
    tick().await;
    // Still the old compilation: compiling waits until typing pauses.
    assert_eq!(text(&root, "[data-testid=problems-summary]"), "No problems");

    settle().await;
    assert_eq!(text(&root, "[data-testid=problems-summary]"), "1 error");
    let messages: Vec<String> =
        find_all(&root, "[data-testid=problem-message]").iter().filter_map(|m| m.text_content()).collect();
    assert_eq!(messages, vec![r#"Unable to find "asdf" to use as an input for "serial""#.to_string()]);
    // Line 12, column 14 counted in UTF-16 units.
    assert_eq!(text(&root, "[data-testid=problem-location]"), "12:14");
    // The gutter marks that line.
    let marked: Vec<String> =
        find_all(&root, "[data-testid=gutter] .error").iter().filter_map(|m| m.text_content()).collect();
    assert_eq!(marked, vec!["12".to_string()]);
    root.remove();
}

#[wasm_bindgen_test]
async fn clicking_a_problem_selects_its_span_in_the_editor() {
    let (root, _handle) = mount_playground(BROKEN);
    tick().await;
    let row: HtmlElement = find(&root, "[data-testid=problem]").unchecked_into();
    row.click();
    tick().await;

    let textarea = editor(&root);
    let start = BROKEN.find("asdf").expect("asdf in the text");
    let from = utf16_len(&BROKEN[..start]);
    assert_eq!(textarea.selection_start().ok().flatten(), Some(from));
    assert_eq!(textarea.selection_end().ok().flatten(), Some(from + 4));
    let active = document().active_element().expect("a focused element");
    assert!(active.is_same_node(Some(&textarea)), "the editor has the focus");
    root.remove();
}

#[wasm_bindgen_test]
async fn a_valid_pipeline_draws_one_node_per_stage_and_can_be_downloaded() {
    let (root, _handle) = mount_playground(VALID);
    tick().await;
    let graph = find(&root, "[data-testid=graph]");
    let svg = find(&graph, "svg");
    assert_eq!(svg.namespace_uri().as_deref(), Some("http://www.w3.org/2000/svg"));
    let stages: Vec<String> =
        find_all(&graph, "[data-stage]").iter().filter_map(|g| g.get_attribute("data-stage")).collect();
    assert_eq!(stages, vec!["rand", "wrap", "serial"]);
    let download: web_sys::HtmlButtonElement = find(&root, "[data-testid=download]").unchecked_into();
    assert!(!download.disabled());
    assert_eq!(text(&root, "[data-testid=download] .file-name"), "playground.rune");

    // An error disables the download, and the graph still shows what it can.
    type_text(&root, BROKEN);
    settle().await;
    assert!(download.disabled());
    assert_eq!(find_all(&graph, "[data-stage]").len(), 2);
    root.remove();
}

#[wasm_bindgen_test]
async fn clicking_a_graph_node_selects_the_stage_name() {
    let (root, _handle) = mount_playground(VALID);
    tick().await;
    let node = find(&root, "[data-testid=graph] [data-stage=wrap] text");
    node.dispatch_event(&bubbling("click")).expect("dispatch click");
    tick().await;

    let textarea = editor(&root);
    let start = utf16_len(&VALID[..VALID.find("wrap:").expect("wrap stage")]);
    assert_eq!(textarea.selection_start().ok().flatten(), Some(start));
    assert_eq!(textarea.selection_end().ok().flatten(), Some(start + 4));
    root.remove();
}

#[wasm_bindgen_test]
async fn tab_inserts_two_spaces_unless_escape_came_first() {
    let (root, _handle) = mount_playground("a\nb");
    tick().await;
    let textarea = editor(&root);
    let _ = textarea.set_selection_range(2, 2);
    let key = |name: &str| {
        let init = KeyboardEventInit::new();
        init.set_key(name);
        init.set_bubbles(true);
        init.set_cancelable(true);
        KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).expect("a keyboard event")
    };
    let handled = !textarea.dispatch_event(&key("Tab")).expect("dispatch Tab");
    tick().await;
    assert!(handled, "the default (moving the focus) is prevented");
    assert_eq!(textarea.value(), "a\n  b");
    assert_eq!(textarea.selection_start().ok().flatten(), Some(4));

    let _ = textarea.dispatch_event(&key("Escape"));
    let prevented = !textarea.dispatch_event(&key("Tab")).expect("dispatch Tab");
    assert!(!prevented, "after Esc, Tab moves the focus on");
    assert_eq!(textarea.value(), "a\n  b");
    root.remove();
}

#[wasm_bindgen_test]
async fn the_examples_menu_replaces_the_text_and_the_name() {
    let (root, _handle) = mount_playground(VALID);
    tick().await;
    let select: web_sys::HtmlSelectElement = find(&root, "[data-testid=examples]").unchecked_into();
    select.set_value("broken");
    select.dispatch_event(&bubbling("change")).expect("dispatch change");
    settle().await;

    let source = rune_app::examples::find("broken").map(|e| e.source).unwrap_or_default();
    assert_eq!(editor(&root).value(), source);
    let name: web_sys::HtmlInputElement = find(&root, "[data-testid=rune-name]").unchecked_into();
    assert_eq!(name.value(), "broken");
    assert!(find_all(&root, "[data-testid=problem]").len() >= 3);
    assert!(text(&root, "[data-testid=problems-summary]").contains("error"));
    assert_eq!(select.value(), "broken");

    // Once the text is the user's own, the menu no longer claims the example (the name stays),
    // and picking the example again brings its text back.
    type_text(&root, VALID);
    tick().await;
    assert_eq!(select.value(), "", "an edited example is no longer selected");
    assert_eq!(name.value(), "broken");
    select.set_value("broken");
    select.dispatch_event(&bubbling("change")).expect("dispatch change");
    settle().await;
    assert_eq!(editor(&root).value(), source);
    assert_eq!(select.value(), "broken");
    root.remove();
}

#[wasm_bindgen_test]
async fn the_text_is_restored_from_and_saved_to_local_storage() {
    let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten()).expect("localStorage");
    storage.set_item(SOURCE_KEY, VALID).expect("setItem");
    let root = section();
    let handle = mount_to(root.clone(), App);
    tick().await;
    assert_eq!(editor(&root).value(), VALID);

    type_text(&root, BROKEN);
    let name: web_sys::HtmlInputElement = find(&root, "[data-testid=rune-name]").unchecked_into();
    name.set_value("my-rune");
    name.dispatch_event(&bubbling("input")).expect("dispatch input");
    tick().await;
    assert_eq!(storage.get_item(SOURCE_KEY).ok().flatten().as_deref(), Some(BROKEN));
    assert_eq!(storage.get_item(NAME_KEY).ok().flatten().as_deref(), Some("my-rune"));
    drop(handle);
    root.remove();

    // The name comes back with the text.
    let root = section();
    let handle = mount_to(root.clone(), App);
    tick().await;
    let name: web_sys::HtmlInputElement = find(&root, "[data-testid=rune-name]").unchecked_into();
    assert_eq!(name.value(), "my-rune");
    assert_eq!(editor(&root).value(), BROKEN);
    drop(handle);
    root.remove();
    let _ = storage.remove_item(SOURCE_KEY);
    let _ = storage.remove_item(NAME_KEY);
}

// ---------------------------------------------------------------- the CodeMirror glue

/// A stand-in for `window.RuneEditor` (the CodeMirror bundle, which test pages do not load) that
/// records what the app asks of it, to test the Rust side of the API.
const FAKE_EDITOR: &str = r#"
window.RuneEditor = {
  create(parent, text, onChange, options) {
    const el = document.createElement('div');
    for (const [name, value] of Object.entries(options.attributes)) el.setAttribute(name, value);
    el.tabIndex = 0;
    parent.appendChild(el);
    this.view = { el, text: text.replace(/\r\n?/g, '\n'), onChange, diagnostics: null, selection: null, pushes: 0, destroyed: false };
    return this.view;
  },
  text(view) { return view.text; },
  setText(view, text) { if (view.text !== text) { view.text = text; view.pushes += 1; } },
  setDiagnostics(view, diagnostics) { view.diagnostics = diagnostics; },
  select(view, from, to) { view.selection = [from, to]; view.el.focus(); },
  focus(view) { view.el.focus(); },
  destroy(view) { view.destroyed = true; view.el.remove(); },
};
"#;

fn js(code: &str) -> wasm_bindgen::JsValue {
    js_sys::eval(code).unwrap_or_else(|e| panic!("{code}: {e:?}"))
}

fn js_string(code: &str) -> String {
    js(code).as_string().unwrap_or_else(|| panic!("{code} is not a string"))
}

fn js_number(code: &str) -> f64 {
    js(code).as_f64().unwrap_or_else(|| panic!("{code} is not a number"))
}

#[wasm_bindgen_test]
async fn with_codemirror_the_text_diagnostics_and_selection_go_through_rune_editor() {
    js(FAKE_EDITOR);
    // Windows line breaks: CodeMirror normalises them, and the source follows.
    let windows = BROKEN.replace('\n', "\r\n");
    let (root, state, handle) = mount_with_state(&windows);
    settle().await;
    assert!(find_all(&root, "textarea").is_empty(), "no textarea when RuneEditor exists");
    assert_eq!(state.source.get_untracked(), BROKEN);
    assert_eq!(js_string("RuneEditor.view.el.dataset.testid"), "editor");
    assert_eq!(js_string("RuneEditor.view.el.getAttribute('aria-label')"), "Runefile source");

    // The compilation's diagnostic, in UTF-16 units, with its message.
    settle().await;
    let from = utf16_len(&BROKEN[..BROKEN.find("asdf").expect("asdf")]);
    assert_eq!(js_number("RuneEditor.view.diagnostics.length"), 1.0);
    assert_eq!(js_number("RuneEditor.view.diagnostics[0].from"), f64::from(from));
    assert_eq!(js_number("RuneEditor.view.diagnostics[0].to"), f64::from(from + 4));
    assert_eq!(js_string("RuneEditor.view.diagnostics[0].severity"), "error");
    assert!(js_string("RuneEditor.view.diagnostics[0].message").starts_with(r#"Unable to find "asdf""#));

    // A problem's row selects its span and focuses the editor.
    let row: HtmlElement = find(&root, "[data-testid=problem]").unchecked_into();
    row.click();
    tick().await;
    assert_eq!(js_number("RuneEditor.view.selection[0]"), f64::from(from));
    assert_eq!(js_number("RuneEditor.view.selection[1]"), f64::from(from + 4));
    let active = document().active_element().expect("a focused element");
    assert_eq!(active.get_attribute("data-testid").as_deref(), Some("editor"));

    // Typing in the editor writes the source; nothing is pushed back; the marks are cleared.
    js(&format!(
        "RuneEditor.view.text = {0}; RuneEditor.view.onChange({0})",
        serde_json::to_string(VALID).unwrap_or_default()
    ));
    settle().await;
    assert_eq!(state.source.get_untracked(), VALID);
    assert_eq!(js_number("RuneEditor.view.pushes"), 0.0);
    assert_eq!(js_number("RuneEditor.view.diagnostics.length"), 0.0);
    assert_eq!(text(&root, "[data-testid=problems-summary]"), "No problems");

    // An example is pushed into the editor.
    let example = rune_app::examples::find("broken").expect("the broken example");
    state.load_example(example);
    settle().await;
    assert_eq!(js_string("RuneEditor.view.text"), example.source);
    assert_eq!(js_number("RuneEditor.view.pushes"), 1.0);

    // Unmounting destroys the editor. (The fake goes first, so that the other tests get the
    // textarea whatever happens here.)
    drop(handle);
    tick().await;
    let destroyed = js("RuneEditor.view.destroyed").as_bool();
    js("delete window.RuneEditor");
    root.remove();
    assert_eq!(destroyed, Some(true));
}

// ---------------------------------------------------------------- inputs and results

/// Mounts the playground with `source` and returns its state too.
fn mount_with_state(source: &str) -> (HtmlElement, AppState, impl Sized) {
    // The state is made inside the mount, after `mount_to` has started the executor its effects
    // need (this may be the first test to run).
    let root = section();
    let made = std::rc::Rc::new(std::cell::Cell::new(None));
    let source = source.to_string();
    let handle = mount_to(root.clone(), {
        let made = made.clone();
        move || {
            let state = AppState::with_source(&source);
            made.set(Some(state));
            provide_context(state);
            view! { <Playground /> }
        }
    });
    let state = made.get().expect("the state was made by the mount");
    (root, state, handle)
}

fn colours_example() -> &'static rune_app::examples::Example {
    rune_app::examples::find("colours").expect("the colours example")
}

#[wasm_bindgen_test]
async fn added_files_are_listed_compiled_against_and_removable() {
    let example = colours_example();
    let (root, state, _handle) = mount_with_state(example.source);
    tick().await;
    // The model is missing: an error, and the Run button says why it is disabled.
    assert!(text(&root, "[data-testid=problems-summary]").contains("error"));
    let run: web_sys::HtmlButtonElement = find(&root, "[data-testid=run]").unchecked_into();
    assert!(run.disabled());
    assert!(text(&root, "[data-testid=run-blocked]").contains("Fix the errors"));

    for (name, bytes) in example.files() {
        state.add_file(name, bytes).expect("the example's model is valid");
    }
    settle().await;
    assert_eq!(text(&root, "[data-testid=problems-summary]"), "No problems");
    let rows = find_all(&root, "[data-testid=upload]");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get_attribute("data-name").as_deref(), Some("colours.tflite"));
    assert!(text(&root, "[data-testid=uploads]").contains("UInt8[1, 32, 32, 3]"));
    // Still no photo: the reason names the capability and the stage.
    assert!(run.disabled());
    let blocked = text(&root, "[data-testid=run-blocked]");
    assert!(blocked.contains("\"IMAGE\" input of \"image\""), "{blocked}");
    assert!(text(&root, "[data-testid=needed-inputs]").contains("reads an image"));

    // A photo: listed as IMAGE source 0, and the Run button is enabled.
    let png = b"\x89PNG\r\n\x1a\n-not-decoded-until-the-run".to_vec();
    assert_eq!(state.add_file("red.png", png), Ok(rune_app::uploads::Role::Input(runtime::CapabilityKind::Image)));
    tick().await;
    assert!(!run.disabled());
    assert!(text(&root, "[data-testid=uploads]").contains("source 0"));
    // A bad file is refused with a message, and nothing is added.
    assert!(state.add_file("x.wav", b"nope".to_vec()).is_err_and(|e| e.contains("not a WAV")));

    // Removing the model brings the error back.
    let remove: HtmlElement =
        find(&root, "[data-testid=upload][data-name='colours.tflite'] [data-testid=remove-upload]").unchecked_into();
    remove.click();
    settle().await;
    assert_eq!(find_all(&root, "[data-testid=upload]").len(), 1);
    assert!(text(&root, "[data-testid=problems-summary]").contains("error"));
    root.remove();
}

#[wasm_bindgen_test]
async fn loading_the_sine_example_adds_its_model_and_enables_run() {
    let (root, state, _handle) = mount_with_state(VALID);
    tick().await;
    let select: web_sys::HtmlSelectElement = find(&root, "[data-testid=examples]").unchecked_into();
    select.set_value("sine");
    select.dispatch_event(&bubbling("change")).expect("dispatch change");
    settle().await;
    assert_eq!(text(&root, "[data-testid=problems-summary]"), "No problems");
    assert_eq!(state.uploads.with_untracked(|u| u.len()), 1);
    let run: web_sys::HtmlButtonElement = find(&root, "[data-testid=run]").unchecked_into();
    assert!(!run.disabled());
    // RAND capabilities get a seed field.
    assert_eq!(find_all(&root, "[data-testid=seed]").len(), 1);
    root.remove();
}

/// Random numbers → modulo → serial, run by the worker's engine (here on the page, no models).
fn run_random(seed: u64) -> rune_app::protocol::Reply {
    let compilation = compiler::compile(VALID, "random", &compiler::MemoryFiles::new());
    let rune = compilation.to_bytes(runtime::BuildInfo::playground(None)).expect("compiles");
    let request = rune_app::protocol::RunRequest { id: 1, seed, inputs: vec![], cached: None };
    let clock = || web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now());
    rune_app::engine::Session::new().run(&request, &rune, vec![], &runtime::model::NoModels, &clock, &mut |_| {})
}

#[wasm_bindgen_test]
async fn a_finished_run_shows_serial_stages_times_and_tensors() {
    let (root, state, _handle) = mount_with_state(VALID);
    tick().await;
    assert!(text(&root, "[data-testid=results]").contains("Press Run"));
    let reply = run_random(1);
    let rune_app::protocol::Reply::Done { result, .. } = reply else { panic!("{reply:?}") };
    assert!(
        result.serial.starts_with(r#"{"2":[{"element-type":"f32","dimensions":[1],"elements":["#),
        "{}",
        result.serial
    );
    state.run.set(RunStatus::Done(std::sync::Arc::new(result.clone())));
    tick().await;
    assert_eq!(text(&root, "[data-testid=serial]"), result.serial);
    let stages: Vec<String> =
        find_all(&root, "[data-testid=stage-result]").iter().filter_map(|s| s.get_attribute("data-stage")).collect();
    assert_eq!(stages, vec!["rand", "wrap", "serial"]);
    assert!(text(&root, "[data-stage=wrap] [data-testid=stage-time]").ends_with(" ms"));
    assert!(text(&root, "[data-testid=run-status]").starts_with("Done in"));

    // A failure names the stage.
    let failure = rune_app::protocol::RunFailure::new(Some("wrap".into()), "The \"wrap\" proc-block failed: boom");
    state.run.set(RunStatus::Failed(std::sync::Arc::new(failure)));
    tick().await;
    assert!(text(&root, "[data-testid=run-error]").contains("wrap"));
    assert_eq!(find_all(&root, "[data-testid=serial]").len(), 0);
    root.remove();
}

#[wasm_bindgen_test]
fn a_reply_with_its_tensors_in_transferred_buffers_reads_back_as_posted() {
    use js_sys::{Array, Uint8Array};
    use rune_app::runner::read_reply;

    let reply = run_random(7);
    let rune_app::protocol::Reply::Done { .. } = &reply else { panic!("{reply:?}") };
    // As the worker posts it: [json, Uint8Array…] (the e2e tests run the real transfer).
    let (json, buffers) = reply.clone().to_message();
    assert!(!buffers.is_empty());
    let message = Array::of1(&json.as_str().into());
    for bytes in &buffers {
        message.push(&Uint8Array::from(bytes.as_slice()));
    }
    // Times are printed and parsed as JSON (to the last bit or one off): compare without them.
    let timeless = |reply: rune_app::protocol::Reply| match reply {
        rune_app::protocol::Reply::Done { id, mut result } => {
            result.run_ms = 0.0;
            result.load_ms = None;
            for stage in &mut result.stages {
                stage.elapsed_ms = 0.0;
            }
            rune_app::protocol::Reply::Done { id, result }
        }
        other => other,
    };
    assert_eq!(read_reply(&message).map(timeless), Ok(timeless(reply)));
    // Text replies (status, failures, the loader's) read as before.
    let status = rune_app::protocol::Reply::Status { id: 7, phase: rune_app::protocol::Phase::Running };
    assert_eq!(read_reply(&status.to_json().into()), Ok(status));
    // Anything else is an error, not a panic.
    assert!(read_reply(&wasm_bindgen::JsValue::from_f64(3.0)).is_err());
    let bad = Array::of2(&json.as_str().into(), &"not bytes".into());
    assert_eq!(read_reply(&bad), Err("The worker sent an answer with a part that is not bytes.".into()));
}

#[wasm_bindgen_test]
async fn tensors_show_as_labels_pictures_and_tables() {
    use rune_app::components::results::TensorBox;
    use rune_app::protocol::TensorView;
    use runtime::{Tensor, TensorData};

    let labels = TensorView::from_tensor(&Tensor::vector(TensorData::Utf8(vec!["red".into(), "blue".into()])));
    let picture = TensorView::from_tensor(
        &Tensor::new(vec![1, 8, 8, 3], TensorData::U8([200, 10, 10].repeat(64))).expect("an image"),
    );
    let scores = TensorView::from_tensor(
        &Tensor::new(vec![1, 5], TensorData::F32(vec![0.1, 0.7, 0.05, 0.1, 0.05])).expect("scores"),
    );
    let many = TensorView::from_tensor(&Tensor::vector(TensorData::F32((0..100).map(|i| i as f32).collect())));
    // An 8×8 segmentation map (what segment_output gives): class 15 in the right half.
    let map = TensorView::from_tensor(
        &Tensor::new(vec![8, 8], TensorData::U32((0..64).map(|i| if i % 8 >= 4 { 15 } else { 0 }).collect()))
            .expect("a class map"),
    );
    let input = picture.to_rgba().map(std::sync::Arc::new);
    let root = section();
    let handle = mount_to(root.clone(), move || {
        view! {
            <div class="labels-box"><TensorBox tensor=labels.clone() input=None /></div>
            <div class="picture-box"><TensorBox tensor=picture.clone() input=None /></div>
            <div class="scores-box"><TensorBox tensor=scores.clone() input=None /></div>
            <div class="many-box"><TensorBox tensor=many.clone() input=None /></div>
            <div class="mask-box"><TensorBox tensor=map.clone() input=input.clone() /></div>
            <div class="bare-mask-box"><TensorBox tensor=map.clone() input=None /></div>
        }
    });
    tick().await;
    let items: Vec<String> = find_all(&root, ".labels-box li").iter().filter_map(|l| l.text_content()).collect();
    assert_eq!(items, vec!["red", "blue"]);

    let canvas: web_sys::HtmlCanvasElement = find(&root, ".picture-box [data-testid=picture]").unchecked_into();
    assert_eq!((canvas.width(), canvas.height()), (8, 8));
    let context: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d").ok().flatten().expect("a 2d context").unchecked_into();
    let pixel = context.get_image_data(0.0, 0.0, 1.0, 1.0).expect("pixels").data().0;
    assert_eq!(pixel, vec![200, 10, 10, 255]);

    let rows = find_all(&root, ".scores-box [data-testid=numbers] tr");
    assert_eq!(rows.len(), 5);
    let top: Vec<String> = find_all(&root, ".scores-box tr.top th").iter().filter_map(|th| th.text_content()).collect();
    assert_eq!(top, vec!["0", "1", "3"], "highlighted in index order");
    // Every value is in the table with its bar: no strip above it.
    assert!(find_all(&root, ".scores-box .histogram-box").is_empty());
    // 100 values: the table shows the 32 largest, the strip all of them (2 per bar).
    let rows = find_all(&root, ".many-box [data-testid=numbers] tr");
    assert_eq!(rows.len(), rune_app::components::results::MAX_ROWS);
    assert_eq!(find_all(&root, ".many-box .histogram-box svg rect").len(), 50);

    // The map over the input: background pixels are the input's, class 15 tints it; a legend.
    let pixel_at = |selector: &str, x: f64| {
        let canvas: web_sys::HtmlCanvasElement = find(&root, selector).unchecked_into();
        let context: web_sys::CanvasRenderingContext2d =
            canvas.get_context("2d").ok().flatten().expect("a 2d context").unchecked_into();
        context.get_image_data(x, 0.0, 1.0, 1.0).expect("pixels").data().0
    };
    assert_eq!(find(&root, ".mask-box [data-testid=mask]").get_attribute("data-over-input").as_deref(), Some("true"));
    assert_eq!(pixel_at(".mask-box [data-testid=picture]", 0.0), vec![200, 10, 10, 255]);
    assert_eq!(pixel_at(".mask-box [data-testid=picture]", 7.0), vec![195, 80, 80, 255]);
    let legend: Vec<String> =
        find_all(&root, ".mask-box [data-testid=mask-legend] li").iter().filter_map(|l| l.text_content()).collect();
    assert_eq!(legend, vec!["0 (not tinted)", "15"]);
    // Without an input: the palette alone.
    assert_eq!(pixel_at(".bare-mask-box [data-testid=picture]", 0.0), vec![0, 0, 0, 255]);
    assert_eq!(pixel_at(".bare-mask-box [data-testid=picture]", 7.0), vec![192, 128, 128, 255]);
    drop(handle);
    root.remove();
}

#[wasm_bindgen_test]
fn refused_devices_become_sentences() {
    use rune_app::devices::describe_error;
    use rune_app::media::Device;
    let denied = web_sys::DomException::new_with_message_and_name("Permission denied", "NotAllowedError")
        .expect("a DOMException");
    assert!(describe_error(Device::Camera, &denied).starts_with("Camera permission was denied."));
    let missing = web_sys::DomException::new_with_message_and_name("Requested device not found", "NotFoundError")
        .expect("a DOMException");
    assert!(describe_error(Device::Microphone, &missing).starts_with("No microphone was found."));
    let other = js_sys::Error::new("boom");
    assert_eq!(describe_error(Device::Camera, &other), "The camera could not be started (Error: boom).");
}

/// An IMAGE pipeline offers the camera; Live waits for it; a SOUND one offers Record.
#[wasm_bindgen_test]
async fn image_pipelines_offer_the_camera_and_sound_ones_the_microphone() {
    let image = "version: 1\nimage: runicos/base\npipeline:\n  image:\n    capability: IMAGE\n    outputs:\n      - type: U8\n        dimensions: [1, 8, 8, 3]\n    args:\n      width: 8\n      height: 8\n  serial:\n    out: serial\n    inputs: [image]\n";
    let (root, _state, _handle) = mount_with_state(image);
    settle().await;
    let camera: HtmlElement = find(&root, "[data-testid=camera]").unchecked_into();
    assert_eq!(camera.style().get_property_value("display").expect("style"), "");
    assert_eq!(text(&root, "[data-testid=camera-toggle]"), "Use camera");
    let capture: web_sys::HtmlButtonElement = find(&root, "[data-testid=capture]").unchecked_into();
    assert!(capture.disabled());
    let live: web_sys::HtmlButtonElement = find(&root, "[data-testid=live]").unchecked_into();
    assert!(live.disabled());
    assert_eq!(live.get_attribute("aria-pressed").as_deref(), Some("false"));
    let microphone: HtmlElement = find(&root, "[data-testid=microphone]").unchecked_into();
    assert_eq!(microphone.style().get_property_value("display").expect("style"), "none");
    root.remove();
}
