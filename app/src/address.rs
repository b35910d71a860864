//! What the page's address asks for: `?rune=<path>` opens a `.rune` served next to the app (the
//! link `rune serve` prints and shows as a QR code).
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Response, UrlSearchParams};

use crate::state::AppState;

/// Checks the `rune` parameter: a path on the app's own server (`rune/food.rune`), never
/// another site. Returns the file name to show.
pub fn check_rune_path(path: &str) -> Result<String, String> {
    let path = path.trim();
    let refuse = |why: &str| Err(format!("The link's rune=\"{path}\" is not used: {why}."));
    if path.is_empty() {
        return refuse("it is empty");
    }
    let scheme = path.split_once(':').is_some_and(|(head, _)| {
        head.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && head.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if scheme || path.starts_with("//") || path.contains('\\') {
        return refuse("only files served with the playground can be opened");
    }
    let name = path.split(['?', '#']).next().unwrap_or(path);
    let name = name.rsplit('/').next().unwrap_or(name);
    if name.is_empty() {
        return refuse("it names a folder, not a file");
    }
    Ok(name.to_string())
}

/// The page address's `rune` parameter, when it has one (the link `rune serve` prints).
pub fn rune_parameter() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    UrlSearchParams::new_with_str(&search).ok()?.get("rune")
}

/// Opens the `.rune` the address names, if it names one. Problems land in
/// [`AppState::open_error`].
pub fn open_from_address(state: AppState) {
    let Some(path) = rune_parameter() else { return };
    let name = match check_rune_path(&path) {
        Ok(name) => name,
        Err(why) => {
            state.open_error.set(Some(why));
            return;
        }
    };
    spawn_local(async move {
        match fetch_bytes(&path).await {
            Ok(bytes) => {
                let _ = state.open_rune(&name, bytes);
            }
            Err(why) => state.open_error.set(Some(format!("\"{path}\" could not be loaded: {why}."))),
        }
    });
}

async fn fetch_bytes(path: &str) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("there is no window")?;
    let response = JsFuture::from(window.fetch_with_str(path)).await.map_err(|_| "the server cannot be reached")?;
    let response: Response = response.dyn_into().map_err(|_| "the browser gave no response")?;
    if !response.ok() {
        return Err(format!("the server answered {} {}", response.status(), response.status_text()));
    }
    let buffer = response.array_buffer().map_err(|_| "the response has no body")?;
    let buffer = JsFuture::from(buffer).await.map_err(|_| "the download was interrupted")?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_the_apps_server_are_opened() {
        assert_eq!(check_rune_path("rune/food.rune"), Ok("food.rune".to_string()));
        assert_eq!(check_rune_path("/rune/food.rune?v=2"), Ok("food.rune".to_string()));
        assert_eq!(check_rune_path(" sine.rune "), Ok("sine.rune".to_string()));
        for bad in ["", "https://evil.example/x.rune", "//evil.example/x.rune", "javascript:alert(1)", "a\\b.rune"] {
            assert!(check_rune_path(bad).is_err(), "{bad}");
        }
        assert!(check_rune_path("rune/").is_err_and(|e| e.contains("folder")));
    }
}
