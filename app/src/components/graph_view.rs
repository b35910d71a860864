use compiler::Span;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, KeyboardEvent};

use crate::state::AppState;

/// The pipeline drawn by [`compiler::svg::to_svg`], redrawn on every compilation.
///
/// The SVG's stage groups carry `data-span-start`/`data-span-end` (bytes of the stage name);
/// clicking one, or pressing Enter or Space on it, selects that name in the editor. One
/// listener on the container handles every stage (the SVG is replaced as a whole).
#[component]
pub fn GraphView() -> impl IntoView {
    let state = expect_context::<AppState>();
    // An opened `.rune` is drawn instead of the editor's Runefile (its stages have no spans).
    let svg = Memo::new(move |_| match state.opened.get() {
        Some(opened) => opened.svg.clone(),
        None => state.compiled.with(|compiled| compiler::svg::to_svg(&compiled.compilation.graph)),
    });
    let stage_count = move || match state.opened.get() {
        Some(opened) => opened.artifact.manifest.stages.len(),
        None => state.compiled.with(|compiled| compiled.compilation.graph.stages.len()),
    };

    let on_click = move |ev: leptos::ev::MouseEvent| {
        if let Some(span) = stage_span(&ev) {
            state.select_span(span);
        }
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if matches!(ev.key().as_str(), "Enter" | " ")
            && let Some(span) = stage_span(&ev)
        {
            ev.prevent_default();
            state.select_span(span);
        }
    };

    view! {
        <section class="panel graph-panel" aria-labelledby="graph-title">
            <header class="panel-header">
                <h2 id="graph-title" class="panel-title">"Pipeline"</h2>
                <span class="panel-hint">
                    {move || match stage_count() {
                        1 => "1 stage".to_string(),
                        n => format!("{n} stages"),
                    }}
                </span>
            </header>
            <div class="graph-canvas" data-testid="graph" on:click=on_click on:keydown=on_keydown inner_html=move || svg.get()></div>
            <ul class="legend" aria-label="Stage kinds">
                <li class="capability">"capability"</li>
                <li class="proc-block">"proc-block"</li>
                <li class="model">"model"</li>
                <li class="out">"out"</li>
            </ul>
        </section>
    }
}

/// The span of the stage the event happened in, read from the nearest `[data-span-start]`.
fn stage_span(ev: &Event) -> Option<Span> {
    let target: Element = ev.target()?.dyn_into().ok()?;
    let stage = target.closest("[data-span-start]").ok()??;
    let number = |name: &str| stage.get_attribute(name)?.parse::<usize>().ok();
    Some(Span::new(number("data-span-start")?, number("data-span-end")?))
}
