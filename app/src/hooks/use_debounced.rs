use std::time::Duration;

use leptos::prelude::*;

/// A signal that follows `value` once it has stopped changing for `delay`.
///
/// Each change restarts a `setTimeout`; the pending timeout is cleared when the owner is
/// disposed. The returned signal starts at `value`'s current value.
pub fn use_debounced<T>(value: Signal<T>, delay: Duration) -> Signal<T>
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    let debounced = RwSignal::new(value.get_untracked());
    let pending = StoredValue::new(None::<TimeoutHandle>);
    let cancel = move || {
        if let Some(handle) = pending.try_update_value(Option::take).flatten() {
            handle.clear();
        }
    };
    Effect::new(move |_| {
        let next = value.get();
        cancel();
        if debounced.with_untracked(|current| *current == next) {
            return;
        }
        // `try_set`: the timeout may fire after the owner is gone.
        let apply = move || {
            let _ = debounced.try_set(next);
        };
        match set_timeout_with_handle(apply, delay) {
            Ok(handle) => pending.set_value(Some(handle)),
            Err(_) => debounced.set(value.get_untracked()),
        }
    });
    on_cleanup(cancel);
    debounced.into()
}
