//! Browser tests of opening `.rune` files and of the crash panel (headless Chromium).
use leptos::mount::mount_to;
use leptos::prelude::*;
use leptos::task::tick;
use rune_app::Playground;
use rune_app::state::{AppState, SOURCE_KEY};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().and_then(|w| w.document()).expect("a document")
}

fn mount_with_state(source: &str) -> (HtmlElement, AppState, impl Sized) {
    let doc = document();
    let root: HtmlElement = doc.create_element("section").expect("create <section>").unchecked_into();
    doc.body().expect("a body").append_child(&root).expect("append <section>");
    // Made inside the mount, where the executor its effects need is running.
    let made = std::rc::Rc::new(std::cell::Cell::new(None));
    let (source, slot) = (source.to_string(), made.clone());
    let handle = mount_to(root.clone(), move || {
        let state = AppState::with_source(&source);
        slot.set(Some(state));
        provide_context(state);
        view! { <Playground /> }
    });
    (root, made.get().expect("mounted"), handle)
}

fn find(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).ok().flatten()
}

fn text(root: &Element, selector: &str) -> String {
    find(root, selector).unwrap_or_else(|| panic!("no element matches {selector}")).text_content().unwrap_or_default()
}

/// The stages drawn in the Pipeline panel.
fn stage_names(root: &Element) -> Vec<String> {
    let list = root.query_selector_all("[data-testid=graph] [data-stage]").expect("a valid selector");
    (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<Element>().ok()?.get_attribute("data-stage")).collect()
}

/// The colours example compiled with its generated model: a valid `.rune`.
fn colours_rune() -> Vec<u8> {
    let example = rune_app::examples::find("colours").expect("the colours example");
    let mut files = compiler::MemoryFiles::new();
    for (name, bytes) in example.files() {
        files.insert(name, bytes);
    }
    compiler::compile(example.source, "colours", &files)
        .to_bytes(runtime::BuildInfo::playground(None))
        .expect("the colours example builds")
}

const EDITOR_TEXT: &str = "version: 1\nimage: runicos/base\npipeline: {}\n";

#[wasm_bindgen_test]
async fn an_opened_rune_is_inspected_drawn_and_runnable_and_closing_it_returns_to_the_editor() {
    let (root, state, _handle) = mount_with_state(EDITOR_TEXT);
    tick().await;
    assert!(find(&root, "[data-testid=opened-rune]").is_none());

    state.open_rune("colours.rune", colours_rune()).expect("a valid rune opens");
    tick().await;
    let summary = text(&root, "[data-testid=rune-summary]");
    assert!(summary.starts_with("Name: colours\n"), "{summary}");
    assert!(summary.contains("Compiled by: Rune v"), "{summary}");
    assert!(text(&root, "[data-testid=opened-rune]").contains("Opened colours.rune"));
    // The graph is the Rune's, and the Run panel asks for the Rune's IMAGE input.
    let drawn: Vec<String> = stage_names(&root);
    let declared: Vec<String> = state
        .opened
        .get_untracked()
        .map(|o| o.artifact.manifest.stages.iter().map(|s| s.name.clone()).collect())
        .unwrap_or_default();
    assert!(declared.len() >= 3, "{declared:?}");
    assert_eq!(drawn, declared);
    assert!(text(&root, "[data-testid=needed-inputs]").contains("IMAGE"));
    assert!(text(&root, "[data-testid=run-blocked]").contains("IMAGE"), "{}", text(&root, "[data-testid=run-blocked]"));
    // The editor's text is untouched.
    assert_eq!(state.source.get_untracked(), EDITOR_TEXT);

    let close: HtmlElement = find(&root, "[data-testid=close-rune]").expect("a Close button").unchecked_into();
    close.click();
    tick().await;
    assert!(find(&root, "[data-testid=opened-rune]").is_none());
    assert!(state.opened.get_untracked().is_none());
    assert!(stage_names(&root).is_empty(), "the editor's empty pipeline is drawn again");
    assert_eq!(state.source.get_untracked(), EDITOR_TEXT);
}

#[wasm_bindgen_test]
async fn a_malformed_rune_gives_a_readable_error_and_keeps_what_was_open() {
    let (root, state, _handle) = mount_with_state(EDITOR_TEXT);
    state.open_rune("colours.rune", colours_rune()).expect("a valid rune opens");
    tick().await;

    let error = state.open_rune("junk.rune", b"this is not a rune".to_vec()).expect_err("junk is refused");
    tick().await;
    assert!(error.contains("\"junk.rune\" cannot be opened: not a Rune"), "{error}");
    assert_eq!(text(&root, "[data-testid=open-error]").trim_end_matches('✕'), error);
    assert_eq!(state.opened.get_untracked().map(|o| o.file_name.clone()).as_deref(), Some("colours.rune"));
    assert_eq!(state.source.get_untracked(), EDITOR_TEXT);

    // A truncated file and a Rune whose model is corrupt are refused with their reason.
    let rune = colours_rune();
    let truncated = state.open_rune("cut.rune", rune[..rune.len() / 2].to_vec()).expect_err("truncated");
    assert!(truncated.contains("\"cut.rune\" cannot be opened: "), "{truncated}");
    let mut artifact = runtime::Artifact::from_bytes(&rune).expect("readable");
    for model in artifact.models.values_mut() {
        *model = b"TFL3 but not really a model".to_vec();
    }
    let corrupt = state.open_rune("corrupt.rune", artifact.to_bytes()).expect_err("a corrupt model");
    assert!(corrupt.contains("the model of stage"), "{corrupt}");
    assert!(corrupt.contains("is not a TensorFlow Lite model"), "{corrupt}");
    assert_eq!(state.opened.get_untracked().map(|o| o.file_name.clone()).as_deref(), Some("colours.rune"));
}

#[wasm_bindgen_test]
async fn the_crash_panel_shows_the_saved_runefile_and_a_reload_button_once() {
    let storage = rune_app::hooks::local_storage().expect("localStorage");
    storage.set_item(SOURCE_KEY, "version: 1\n# my work\n").expect("saved");
    rune_app::crash::show_panel("boom at app/src/x.rs:1");
    rune_app::crash::show_panel("a second panic");
    let doc = document();
    let panels = doc.query_selector_all("[data-testid=crash-panel]").expect("selector");
    assert_eq!(panels.length(), 1);
    let body = doc.body().expect("a body");
    let source: web_sys::HtmlTextAreaElement =
        find(&body, "[data-testid=crash-source]").expect("the saved text").unchecked_into();
    assert_eq!(source.value(), "version: 1\n# my work\n");
    assert!(text(&body, "[data-testid=crash-panel] pre").contains("boom at app/src/x.rs:1"));
    let reload = find(&body, "[data-testid=crash-reload]").expect("a Reload button");
    assert_eq!(reload.get_attribute("onclick").as_deref(), Some("location.reload()"));
    if let Some(panel) = doc.get_element_by_id(rune_app::crash::PANEL_ID) {
        panel.remove();
    }
    storage.remove_item(SOURCE_KEY).expect("removed");
}

#[wasm_bindgen_test]
async fn the_share_panel_links_to_the_runefile_with_a_qr_code() {
    let (root, state, _handle) = mount_with_state(EDITOR_TEXT);
    tick().await;
    let share: HtmlElement = find(&root, "[data-testid=share]").expect("a Share button").unchecked_into();
    share.click();
    tick().await;
    tick().await;
    let link: web_sys::HtmlInputElement = find(&root, "[data-testid=share-link]").expect("the link").unchecked_into();
    let link = link.value();
    let fragment = link.split_once('#').map(|(_, f)| f).unwrap_or_default();
    assert_eq!(rune_app::share::decode(fragment), Some(Ok(EDITOR_TEXT.to_string())), "{link}");
    assert!(find(&root, "[data-testid=share-qr] svg").is_some(), "a QR code is drawn");

    // The link follows the text.
    state.source.set("version: 1\n".to_string());
    tick().await;
    tick().await;
    let link: web_sys::HtmlInputElement = find(&root, "[data-testid=share-link]").expect("the link").unchecked_into();
    let fragment = link.value().split_once('#').map(|(_, f)| f.to_string()).unwrap_or_default();
    assert_eq!(rune_app::share::decode(&fragment), Some(Ok("version: 1\n".to_string())));
    share.click();
    tick().await;
    assert!(find(&root, "[data-testid=share-panel]").is_none());
    root.remove();
}

#[wasm_bindgen_test]
async fn a_share_link_replaces_the_saved_text_and_leaves_the_address() {
    let window = web_sys::window().expect("a window");
    let history = window.history().expect("history");
    let page = window.location().pathname().expect("a path");
    let shared = "version: 1\n# shared with me\n";
    history
        .replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{page}#{}", rune_app::share::encode(shared))),
        )
        .expect("set the fragment");
    let storage = rune_app::hooks::local_storage().expect("localStorage");
    storage.set_item(SOURCE_KEY, "version: 1\n# my older text\n").expect("saved");

    let doc = document();
    let root: HtmlElement = doc.create_element("section").expect("create <section>").unchecked_into();
    doc.body().expect("a body").append_child(&root).expect("append <section>");
    let _handle = mount_to(root.clone(), rune_app::App);
    tick().await;
    assert_eq!(window.location().hash().expect("a hash"), "", "the fragment is removed");
    assert_eq!(storage.get_item(SOURCE_KEY).ok().flatten().as_deref(), Some(shared), "the shared text is saved");
    storage.remove_item(SOURCE_KEY).expect("removed");
    root.remove();
}
