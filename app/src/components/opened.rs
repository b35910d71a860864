use leptos::prelude::*;

use crate::state::AppState;

/// The opened `.rune`, when there is one: its name, a Close button and what `rune inspect`
/// prints for it. While it is open the Pipeline panel draws it and Run runs it; the editor's
/// text is untouched and comes back into play on Close.
#[component]
pub fn OpenedRunePanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    move || {
        state.opened.get().map(|opened| {
            let title = format!("Opened {}", opened.file_name);
            let stages = opened.artifact.manifest.stages.len();
            view! {
                <section class="panel opened-panel" aria-labelledby="opened-title" data-testid="opened-rune">
                    <header class="panel-header">
                        <h2 id="opened-title" class="panel-title">{title}</h2>
                        <span class="panel-hint">
                            {format!("{stages} stages · the Pipeline and Run panels use this Rune")}
                        </span>
                        <button
                            type="button"
                            class="button"
                            data-testid="close-rune"
                            title="Close the Rune and go back to the editor's Runefile"
                            on:click=move |_| state.close_rune()
                        >
                            "Close"
                        </button>
                    </header>
                    <details class="opened-summary" open=true>
                        <summary>"What it holds (as rune inspect prints it)"</summary>
                        <pre data-testid="rune-summary">{opened.summary.clone()}</pre>
                    </details>
                </section>
            }
        })
    }
}
