use leptos::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::share;
use crate::state::AppState;

/// The Share button and its panel: a link that carries the Runefile (and the served `.rune`,
/// when the page was opened with `?rune=`), a Copy button, and the link's QR code for phones.
#[component]
pub fn ShareButton() -> impl IntoView {
    let state = expect_context::<AppState>();
    let open = RwSignal::new(false);
    let copied = RwSignal::new(None::<String>);
    let link = Memo::new(move |_| {
        if !open.get() {
            return String::new();
        }
        let page = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
        state.source.with(|source| share::link(&page, source))
    });
    let qr = Memo::new(move |_| link.with(|link| (!link.is_empty()).then(|| share::qr_svg(link))));
    let opened_locally = move || {
        let served = crate::address::rune_parameter().is_some();
        state.opened.with(|opened| opened.as_ref().map(|o| o.file_name.clone())).filter(|_| !served)
    };
    let copy = move |_| {
        let text = link.get_untracked();
        let Some(window) = web_sys::window() else { return };
        let promise = window.navigator().clipboard().write_text(&text);
        leptos::task::spawn_local(async move {
            let outcome = match JsFuture::from(promise).await {
                Ok(_) => "Copied.".to_string(),
                Err(_) => "The browser did not allow copying; select the link and copy it.".to_string(),
            };
            copied.set(Some(outcome));
        });
    };

    let select_all = move |ev: leptos::ev::FocusEvent| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        input.select();
    };

    view! {
        <button
            type="button"
            class="button"
            data-testid="share"
            aria-expanded=move || open.get().to_string()
            aria-controls="share-panel"
            on:click=move |_| {
                copied.set(None);
                open.update(|o| *o = !*o);
            }
        >
            "Share"
        </button>
        {move || {
            open.get()
                .then(|| {
                    view! {
                        <div id="share-panel" class="share-panel" role="dialog" aria-label="Share this Runefile" data-testid="share-panel">
                            <p class="share-note">
                                "The link carries the editor's Runefile (nothing is uploaded). Open it on a phone by scanning the code."
                            </p>
                            {move || {
                                opened_locally()
                                    .map(|name| {
                                        view! {
                                            <p class="share-note warning">
                                                {format!("{name} was opened from a file, so the link does not include it; `rune serve {name}` shares it.")}
                                            </p>
                                        }
                                    })
                            }}
                            <div class="share-link">
                                <input
                                    type="text"
                                    readonly=true
                                    aria-label="Share link"
                                    data-testid="share-link"
                                    prop:value=move || link.get()
                                    on:focus=select_all
                                />
                                <button type="button" class="button" data-testid="copy-link" on:click=copy>"Copy"</button>
                            </div>
                            {move || copied.get().map(|c| view! { <p class="share-note" role="status">{c}</p> })}
                            {move || match qr.get() {
                                Some(Ok(svg)) => {
                                    let svg = svg.find("<svg").map(|i| svg[i..].to_string()).unwrap_or(svg);
                                    view! { <div class="share-qr" data-testid="share-qr" role="img" aria-label="QR code of the link" inner_html=svg></div> }.into_any()
                                }
                                Some(Err(why)) => view! { <p class="share-note warning" data-testid="share-qr-missing">{why}</p> }.into_any(),
                                None => ().into_any(),
                            }}
                            <button type="button" class="button" on:click=move |_| open.set(false)>"Close"</button>
                        </div>
                    }
                })
        }}
    }
}
