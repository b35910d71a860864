use compiler::{Severity, Span};
use leptos::prelude::*;

use crate::editor_marks::{self, LineColumn};
use crate::state::{AppState, Compiled, FILE_NAME};

/// One row of the Problems panel.
#[derive(Debug, Clone, PartialEq)]
struct ProblemRow {
    severity: Severity,
    code: &'static str,
    message: String,
    notes: Vec<String>,
    /// The primary span and where it starts, when the diagnostic has one.
    at: Option<(Span, LineColumn)>,
}

fn rows(compiled: &Compiled) -> Vec<ProblemRow> {
    compiled
        .compilation
        .diagnostics
        .iter()
        .map(|diagnostic| ProblemRow {
            severity: diagnostic.severity,
            code: diagnostic.code,
            message: diagnostic.message.clone(),
            notes: diagnostic.notes.clone(),
            at: diagnostic.primary_span().map(|span| (span, editor_marks::line_column(&compiled.source, span.start))),
        })
        .collect()
}

/// The list of diagnostics of the latest compilation, with a summary and the rendered text.
/// Each row is a button that selects the problem's text in the editor.
#[component]
pub fn Problems() -> impl IntoView {
    let state = expect_context::<AppState>();
    let rows = Memo::new(move |_| state.compiled.with(|compiled| rows(compiled)));
    let summary = move || state.compiled.with(|compiled| editor_marks::summary(&compiled.compilation.diagnostics.0));
    let status = move || {
        state.compiled.with(|compiled| match &compiled.compilation.diagnostics {
            d if d.has_errors() => "problems-summary errors",
            d if !d.is_empty() => "problems-summary warnings",
            _ => "problems-summary clean",
        })
    };
    let (show_rendered, set_show_rendered) = signal(false);
    // Rendering is only worth doing while someone looks at it.
    let rendered = move || {
        show_rendered.get().then(|| {
            state.compiled.with(|compiled| {
                let text = compiler::render::render(&compiled.compilation.diagnostics.0, FILE_NAME, &compiled.source);
                if text.is_empty() { "No problems.".to_string() } else { text }
            })
        })
    };

    view! {
        <section class="panel problems-panel" aria-labelledby="problems-title" data-testid="problems">
            <header class="panel-header">
                <h2 id="problems-title" class="panel-title">"Problems"</h2>
                <span class=status role="status" data-testid="problems-summary">
                    {summary}
                </span>
            </header>
            <ul class="problem-list">
                {move || rows.get().into_iter().map(|row| view! { <Problem row=row /> }).collect_view()}
            </ul>
            {move || {
                rows.with(Vec::is_empty)
                    .then(|| view! { <p class="no-problems">"The Runefile compiles cleanly."</p> })
            }}
            <details class="rendered" on:toggle=move |ev| set_show_rendered.set(event_target::<web_sys::HtmlDetailsElement>(&ev).open())>
                <summary>"Compiler output"</summary>
                <pre class="rendered-text" data-testid="rendered">{rendered}</pre>
            </details>
        </section>
    }
}

#[component]
fn Problem(row: ProblemRow) -> impl IntoView {
    let state = expect_context::<AppState>();
    let (word, icon) = match row.severity {
        Severity::Error => ("error", "✕"),
        Severity::Warning => ("warning", "!"),
    };
    let span = row.at.map(|(span, _)| span);
    let location = row.at.map_or_else(|| "–".to_string(), |(_, at)| at.to_string());
    let on_click = move |_| {
        if let Some(span) = span {
            state.select_span(span);
        } else {
            state.editor.focus();
        }
    };
    view! {
        <li>
            <button type="button" class=format!("problem {word}") data-testid="problem" on:click=on_click>
                <span class="severity" aria-hidden="true">{icon}</span>
                <span class="visually-hidden">{word}</span>
                <span class="location" data-testid="problem-location">{location}</span>
                <span class="body">
                    <span class="message" data-testid="problem-message">{row.message}</span>
                    <span class="code">{row.code}</span>
                    {row.notes.into_iter().map(|note| view! { <span class="note">{note}</span> }).collect_view()}
                </span>
            </button>
        </li>
    }
}
