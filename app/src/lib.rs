//! Rune Playground: the browser app (Leptos, client-side rendered).
//!
//! # Structure
//! - [`state`]: [`AppState`], one `Copy` struct of signals provided as context: the editor's
//!   text, its debounced copy, and the compilation memo every panel reads.
//! - [`components`]: one file per panel: [`Toolbar`], [`Editor`], [`GraphView`], [`Problems`],
//!   [`Inputs`] (files and capability inputs), [`Results`] (the Run button and every stage's output).
//! - [`uploads`]: what an added file is for, checked before use.
//! - [`runner`] (page) ↔ `worker` (the `rune-worker` Web Worker, feature `worker`): runs the
//!   compiled `.rune` off the page's thread; [`protocol`] is their message format and
//!   [`engine`] the browser-free part of the worker (pipeline cache, host, result conversion).
//! - [`hooks`]: browser side effects as `use_*` functions (debounce, `localStorage`).
//! - [`codemirror`]: the CodeMirror 6 editor (`window.RuneEditor`, bundled from `app/editor/`)
//!   seen from Rust; the `<textarea>` editor stands in when it is absent.
//! - [`editor_marks`]: pure conversions from the compiler's byte spans to UTF-16 offsets and
//!   `line:column`.
//! - [`examples`]: the Runefiles of the Examples menu.
//! - [`devices`]: the camera and the microphone (`getUserMedia`); [`media`] and [`live`] are
//!   their pure parts (error sentences, WAV encoding, frames per second, live-mode decisions).
//!
//! The compiler does all the work ([`compiler::compile`], [`compiler::svg::to_svg`],
//! [`compiler::render::render`]); components stay mostly `view!`.
pub mod address;
pub mod codemirror;
pub mod components;
pub mod crash;
pub mod devices;
mod download;
pub mod editor_marks;
pub mod engine;
pub mod examples;
pub mod hooks;
pub mod live;
pub mod media;
pub mod project;
pub mod protocol;
pub mod runner;
pub mod share;
pub mod state;
pub mod uploads;
#[cfg(feature = "worker")]
pub mod worker;

pub use components::{Editor, GraphView, Inputs, OpenedRunePanel, Problems, Results, Toolbar};
pub use state::AppState;

use leptos::prelude::*;

/// The whole playground, with its state restored from `localStorage`.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState::restore();
    provide_context(state);
    address::open_from_address(state);
    view! { <Playground /> }
}

/// The page layout. Expects an [`AppState`] in context.
#[component]
pub fn Playground() -> impl IntoView {
    view! {
        <div class="app">
            <header class="app-header">
                <div class="brand">
                    <svg class="logo" viewBox="0 0 32 32" aria-hidden="true">
                        <rect width="32" height="32" rx="8" fill="currentColor" />
                        <path d="M11.5 7v18M11.5 7l8.5 4.75-8.5 4.75 9 8.5" fill="none" stroke="#fff" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round" />
                    </svg>
                    <div>
                        <h1>"Rune Playground"</h1>
                        <p class="tagline">"Compile and run Runefiles in your browser."</p>
                    </div>
                </div>
                <Toolbar />
            </header>
            <OpenedRunePanel />
            <main class="workspace">
                <Editor />
                <GraphView />
                <Problems />
                <Inputs />
                <Results />
            </main>
        </div>
    }
}

/// Mounts [`App`] on the page's `<body>`. A panic is logged to the console and shows the
/// recovery panel of [`crash`].
pub fn mount() {
    crash::install();
    leptos::mount::mount_to_body(App);
}
