use leptos::prelude::*;

/// A text signal kept in `localStorage` under `key`.
///
/// Starts from the stored text, or from `default` when there is none. Every change is written
/// back. When storage is unavailable (private mode, blocked cookies, quota), the signal works
/// as a plain signal and nothing is saved.
pub fn use_local_storage(key: &'static str, default: impl FnOnce() -> String) -> RwSignal<String> {
    let stored = local_storage().and_then(|storage| storage.get_item(key).ok().flatten());
    let value = RwSignal::new(stored.unwrap_or_else(default));
    Effect::new(move |_| {
        value.with(|text| {
            if let Some(storage) = local_storage() {
                // A failed write (quota) only means the text is not saved.
                let _ = storage.set_item(key, text);
            }
        });
    });
    value
}

/// The window's `localStorage`, if the browser lets us use it.
pub fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}
