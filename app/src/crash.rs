//! The panic hook: a bug must not leave a dead page. The release build aborts on panic
//! (`panic = "abort"`), so nothing in the app runs afterwards; the hook logs the panic and puts
//! a plain-DOM panel over the page that needs no more wasm: what happened, the Runefile as it was
//! last saved (so it can be copied), and a Reload button (plain JavaScript) that brings the
//! playground back with that text.
use wasm_bindgen::JsCast;
use web_sys::{Document, HtmlElement};

use crate::hooks::local_storage;
use crate::state::SOURCE_KEY;

/// The panel's element id.
pub const PANEL_ID: &str = "crash-panel";

/// Installs the hook (the console still gets the panic with its stack).
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let message = match info.payload().downcast_ref::<&str>() {
            Some(text) => (*text).to_string(),
            None => info.payload().downcast_ref::<String>().cloned().unwrap_or_else(|| "unknown panic".to_string()),
        };
        let place = info.location().map(|l| format!(" ({}:{})", l.file(), l.line())).unwrap_or_default();
        show_panel(&format!("{message}{place}"));
    }));
}

/// Shows the recovery panel (once; later calls add nothing). `detail` is the panic message.
pub fn show_panel(detail: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    if document.get_element_by_id(PANEL_ID).is_some() {
        return;
    }
    let saved = local_storage().and_then(|storage| storage.get_item(SOURCE_KEY).ok().flatten());
    let _ = build(&document, detail, saved.as_deref());
}

fn build(document: &Document, detail: &str, saved: Option<&str>) -> Option<()> {
    let element = |tag: &str, class: &str, text: &str| -> Option<HtmlElement> {
        let e: HtmlElement = document.create_element(tag).ok()?.dyn_into().ok()?;
        if !class.is_empty() {
            e.set_class_name(class);
        }
        if !text.is_empty() {
            e.set_text_content(Some(text));
        }
        Some(e)
    };
    let backdrop = element("div", "crash-backdrop", "")?;
    backdrop.set_id(PANEL_ID);
    let panel = element("div", "crash-panel", "")?;
    panel.set_attribute("role", "alertdialog").ok()?;
    panel.set_attribute("aria-labelledby", "crash-title").ok()?;
    panel.set_attribute("data-testid", "crash-panel").ok()?;
    let title = element("h2", "", "The playground stopped because of a bug")?;
    title.set_id("crash-title");
    panel.append_child(&title).ok()?;
    let kept = match saved {
        Some(_) => {
            "Your Runefile is saved in this browser: Reload brings the playground back with it. It is also below, to copy."
        }
        None => {
            "This browser does not let the playground save your Runefile; copy it from the editor before reloading."
        }
    };
    let note = element("p", "", kept)?;
    panel.append_child(&note).ok()?;
    if let Some(text) = saved {
        let area = element("textarea", "crash-source", "")?;
        area.set_attribute("readonly", "").ok()?;
        area.set_attribute("aria-label", "Your saved Runefile").ok()?;
        area.set_attribute("data-testid", "crash-source").ok()?;
        if let Some(area) = area.dyn_ref::<web_sys::HtmlTextAreaElement>() {
            area.set_value(text);
        }
        panel.append_child(&area).ok()?;
    }
    let details = element("details", "", "")?;
    let summary = element("summary", "", "Details for a bug report")?;
    details.append_child(&summary).ok()?;
    let pre = element("pre", "", detail)?;
    details.append_child(&pre).ok()?;
    panel.append_child(&details).ok()?;
    let reload = element("button", "button primary", "Reload")?;
    reload.set_attribute("type", "button").ok()?;
    reload.set_attribute("data-testid", "crash-reload").ok()?;
    // Plain JavaScript: the wasm instance may be gone.
    reload.set_attribute("onclick", "location.reload()").ok()?;
    panel.append_child(&reload).ok()?;
    backdrop.append_child(&panel).ok()?;
    document.body()?.append_child(&backdrop).ok()?;
    let _ = reload.focus();
    Some(())
}
