//! Saving bytes as a file: a `Blob`, an object URL and a temporary `<a download>`.
use std::time::Duration;

use js_sys::{Array, Uint8Array};
use leptos::prelude::set_timeout;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

/// Offers `bytes` to the user as a download called `file_name`.
pub fn download_bytes(file_name: &str, bytes: &[u8]) -> Result<(), JsValue> {
    let document =
        web_sys::window().and_then(|window| window.document()).ok_or_else(|| JsValue::from_str("no document"))?;
    let parts = Array::of1(&Uint8Array::from(bytes));
    let options = BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &options)?;
    let url = Url::create_object_url_with_blob(&blob)?;
    let anchor: HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    anchor.set_href(&url);
    anchor.set_download(file_name);
    anchor.set_hidden(true);
    let body = document.body().ok_or_else(|| JsValue::from_str("no body"))?;
    body.append_child(&anchor)?;
    anchor.click();
    anchor.remove();
    // The browser reads the blob asynchronously; keep the URL alive for a moment.
    let revoke = move || {
        let _ = Url::revoke_object_url(&url);
    };
    set_timeout(revoke, Duration::from_secs(10));
    Ok(())
}
