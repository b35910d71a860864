use std::sync::Arc;

use leptos::html::Canvas;
use leptos::prelude::*;
use runtime::CapabilityKind;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData};

use crate::devices;
use crate::live::{self, FpsMeter, Step};
use crate::protocol::{self, Rgba, RunFailure, RunResult, StageResult, TensorView, Values};
use crate::runner::{self, RunInput};
use crate::state::{AppState, RunStatus};
use crate::uploads::Role;

/// Rows of a numeric tensor shown at most; larger tensors show their largest values.
pub const MAX_ROWS: usize = 32;
/// How many of the largest values are highlighted.
pub const TOP: usize = 3;
/// Bars of the histogram at most.
pub const MAX_BARS: usize = 96;

/// Why the pipeline cannot run now, if it cannot: errors, missing inputs. With `camera`, the
/// camera's frame counts as one more IMAGE input (live mode's `source: 0`). The pipeline is the
/// opened `.rune`'s, else the editor's ([`AppState::with_manifest`]).
pub fn blocked_reasons(state: AppState, camera: bool) -> Vec<String> {
    state.with_manifest(|manifest| match manifest {
        Ok(manifest) => protocol::missing_inputs(manifest, |kind| {
            state.input_count(kind) + usize::from(camera && kind == CapabilityKind::Image)
        }),
        Err(why) => vec![why],
    })
}

/// The added inputs, in order (for [`runner::start_run`]).
fn upload_inputs(state: AppState) -> Vec<RunInput> {
    state.uploads.with_untracked(|list| {
        list.iter()
            .filter_map(|u| match u.role {
                Role::Input(kind) => Some(RunInput {
                    kind: kind.runefile_name().to_string(),
                    name: u.name.clone(),
                    frame: u.frame,
                    bytes: u.bytes.clone(),
                }),
                Role::File => None,
            })
            .collect()
    })
}

/// Starts a run in the worker of the opened `.rune`, else of the compiled editor text.
fn run_now(state: AppState) {
    match runner::build(state) {
        Ok(rune) => runner::start_run(state, &rune, upload_inputs(state), state.seed.get_untracked(), false),
        Err(why) => state.run.set(RunStatus::Failed(Arc::new(RunFailure::new(None, why)))),
    }
}

/// Live mode's next frame: the camera's picture as IMAGE `source: 0`, then the added inputs.
/// Returns false when the camera has no picture yet.
fn run_frame(state: AppState) -> bool {
    let Some((size, rgba)) = devices::grab_frame() else { return false };
    match runner::build(state) {
        Ok(rune) => {
            let frame = RunInput {
                kind: CapabilityKind::Image.runefile_name().to_string(),
                name: "camera".to_string(),
                frame: Some(size),
                bytes: Arc::new(rgba),
            };
            let inputs = std::iter::once(frame).chain(upload_inputs(state)).collect();
            runner::start_run(state, &rune, inputs, state.seed.get_untracked(), true);
        }
        Err(why) => state.run.set(RunStatus::Failed(Arc::new(RunFailure::new(None, why)))),
    }
    true
}

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Live mode: while it is on and the camera streams, runs the pipeline on camera frames, at most
/// one frame per worker of [`runner::live_workers`] at a time (a new frame is grabbed when a
/// worker is free), and keeps `state.fps` up to date. Turns itself off when the camera stops,
/// the Runefile cannot run, or a run fails.
fn use_live_loop(state: AppState, runnable: Memo<bool>) {
    // A frame is being grabbed: decided, not yet posted.
    let grabbing = StoredValue::new(false);
    // Frames posted so far (wakes the loop to fill the other workers).
    let posted = RwSignal::new(0u64);
    let meter = StoredValue::new(FpsMeter::new());
    // When the last frame was grabbed (performance.now() ms).
    let last_grab = StoredValue::new(f64::NEG_INFINITY);
    let step = move || {
        if grabbing.get_value() {
            return;
        }
        let on = state.live.get_untracked();
        let full = runner::frames_in_flight() >= runner::live_workers();
        match live::next_step(on, state.camera.get_untracked(), runnable.get_untracked(), full) {
            Step::Wait => {}
            Step::Stop => state.live.set(false),
            Step::Send => {
                grabbing.set_value(true);
                fn send(state: AppState, grabbing: StoredValue<bool>, posted: RwSignal<u64>, last: StoredValue<f64>) {
                    if !state.live.get_untracked() || !state.camera.get_untracked() {
                        grabbing.set_value(false);
                        return;
                    }
                    if run_frame(state) {
                        last.set_value(now_ms());
                        grabbing.set_value(false);
                        posted.update(|n| *n += 1);
                    } else {
                        // No picture yet (the camera is starting): try again at the next frame.
                        request_animation_frame(move || send(state, grabbing, posted, last));
                    }
                }
                // A pipeline slower than the display grabs the next frame at once (before the
                // page draws the answer that woke the loop); a faster one waits for the next
                // animation frame (no more grabs than the display shows).
                if live::grab_now(now_ms(), last_grab.get_value()) {
                    send(state, grabbing, posted, last_grab);
                } else {
                    request_animation_frame(move || send(state, grabbing, posted, last_grab));
                }
            }
        }
    };
    // Answers to live frames (shown or not): count them.
    Effect::new(move |before: Option<u64>| {
        let answers = state.live_answers.get();
        if before.is_some_and(|b| b != answers) && state.live.get_untracked() {
            meter.update_value(|m| m.record(now_ms()));
            state.fps.set(meter.with_value(FpsMeter::fps));
        }
        answers
    });
    // A failure while live (a frame's, a worker's) turns live off; its message stays.
    Effect::new(move |_| {
        if state.run.with(|run| matches!(run, RunStatus::Failed(_))) && state.live.get_untracked() {
            state.live.set(false);
        }
    });
    // Live mode turned on or off, the camera, the Runefile, an answer, a posted frame: send
    // frames while workers are free.
    Effect::new(move |was_on: Option<bool>| {
        let on = state.live.get();
        let _ = (state.camera.get(), runnable.get(), state.live_answers.get(), posted.get());
        if on != was_on.unwrap_or(false) {
            meter.update_value(FpsMeter::reset);
            state.fps.set(0.0);
        }
        step();
        on
    });
}

/// The Run button, the seed, and every stage's output and time after a run.
#[component]
pub fn Results() -> impl IntoView {
    let state = expect_context::<AppState>();
    let blocked = Memo::new(move |_| blocked_reasons(state, false));
    let live_runnable = Memo::new(move |_| blocked_reasons(state, true).is_empty());
    use_live_loop(state, live_runnable);
    let live = move || state.live.get();
    let busy = move || state.run.with(RunStatus::is_busy);
    let uses_random = Memo::new(move |_| {
        state.with_manifest(|manifest| {
            manifest.is_ok_and(|m| {
                m.stages.iter().any(|s| matches!(s.kind, runtime::StageKind::Capability(CapabilityKind::Random)))
            })
        })
    });
    let status_text = move || match state.run.get() {
        RunStatus::Done(result) if live() => {
            format!("Live: {} · {:.1} ms per run", live::fps_text(state.fps.get()), result.run_ms)
        }
        _ if live() => format!("Live: {}", live::fps_text(state.fps.get())),
        RunStatus::Idle => String::new(),
        RunStatus::Fetching { loaded, total } => fetching_text(loaded, total),
        RunStatus::Loading => "Loading the model…".to_string(),
        RunStatus::Running => "Running…".to_string(),
        RunStatus::Done(result) => match result.load_ms {
            Some(load) => {
                format!("Done in {:.1} ms (loading {:.1} ms) · {}", result.run_ms, load, runner::engine().label())
            }
            None => format!("Done in {:.1} ms · {}", result.run_ms, runner::engine().label()),
        },
        RunStatus::Failed(_) => "Failed".to_string(),
    };

    view! {
        <section class="panel results-panel" aria-labelledby="results-title" data-testid="results">
            <header class="panel-header">
                <h2 id="results-title" class="panel-title">"Run"</h2>
                <span class="panel-hint panel-status" role="status" data-testid="run-status">{status_text}</span>
            </header>
            <div class="run-bar">
                <button
                    type="button"
                    class="button primary"
                    data-testid="run"
                    disabled=move || busy() || live() || !blocked.with(Vec::is_empty)
                    title=move || blocked.with(|b| b.first().cloned()).unwrap_or_else(|| "Run the pipeline once".into())
                    on:click=move |_| run_now(state)
                >
                    <svg class="icon" viewBox="0 0 16 16" aria-hidden="true">
                        <path d="M4.5 2.5v11l9-5.5z" fill="currentColor" />
                    </svg>
                    <span>{move || if busy() { "Running…" } else { "Run" }}</span>
                </button>
                <button
                    type="button"
                    class=move || if live() { "button live-toggle on" } else { "button live-toggle" }
                    data-testid="live"
                    aria-pressed=move || live().to_string()
                    disabled=move || !(live() || state.camera.get() && live_runnable.get())
                    title=move || {
                        if live() {
                            "Stop running on every camera frame".to_string()
                        } else if !state.camera.get() {
                            "Start the camera in the Inputs panel to run live".to_string()
                        } else {
                            blocked_reasons(state, true)
                                .first()
                                .cloned()
                                .unwrap_or_else(|| "Run the pipeline on every camera frame".into())
                        }
                    }
                    on:click=move |_| state.live.update(|on| *on = !*on)
                >
                    <span class="live-dot" aria-hidden="true"></span>
                    <span>"Live"</span>
                </button>
                {move || {
                    live()
                        .then(|| {
                            view! {
                                <span class="fps" data-testid="fps" aria-live="off">
                                    {move || live::fps_text(state.fps.get())}
                                </span>
                            }
                        })
                }}
                {move || {
                    uses_random
                        .get()
                        .then(|| {
                            view! {
                                <label class="field seed-field">
                                    <span class="field-label">"Seed"</span>
                                    <input
                                        type="number"
                                        min="0"
                                        class="seed-input"
                                        data-testid="seed"
                                        prop:value=move || state.seed.get().to_string()
                                        on:change=move |ev| {
                                            if let Ok(seed) = event_target_value(&ev).trim().parse::<u64>() {
                                                state.seed.set(seed);
                                            }
                                        }
                                    />
                                </label>
                            }
                        })
                }}
                {move || match state.run.get() {
                    RunStatus::Fetching { loaded, total } => {
                        let label = fetching_text(loaded, total);
                        if total > 0 {
                            view! {
                                <progress
                                    class="load-progress"
                                    data-testid="load-progress"
                                    data-phase="engine"
                                    max=total.to_string()
                                    value=loaded.min(total).to_string()
                                    aria-label=label
                                ></progress>
                            }
                                .into_any()
                        } else {
                            view! {
                                <progress class="load-progress" data-testid="load-progress" data-phase="engine" aria-label=label></progress>
                            }
                                .into_any()
                        }
                    }
                    RunStatus::Loading => {
                        view! {
                            <progress
                                class="load-progress"
                                data-testid="load-progress"
                                data-phase="model"
                                aria-label="Loading the model"
                            ></progress>
                        }
                            .into_any()
                    }
                    RunStatus::Running => view! { <span class="spinner" aria-hidden="true"></span> }.into_any(),
                    _ => ().into_any(),
                }}
            </div>
            {move || {
                // With the camera on, its frames are the IMAGE input (Live): say only what else
                // is missing, not that an image file is.
                let reasons = if state.camera.get() { blocked_reasons(state, true) } else { blocked.get() };
                (!reasons.is_empty())
                    .then(|| {
                        view! {
                            <ul class="run-blocked" data-testid="run-blocked">
                                {reasons.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
                            </ul>
                        }
                    })
            }}
            {move || match state.run.get() {
                RunStatus::Done(result) => view! { <RunOutput result=result /> }.into_any(),
                RunStatus::Failed(failure) => view! { <RunError failure=failure /> }.into_any(),
                RunStatus::Idle => {
                    view! { <p class="run-idle">"Press Run to run the pipeline on the inputs."</p> }.into_any()
                }
                _ => ().into_any(),
            }}
        </section>
    }
}

#[component]
fn RunError(failure: Arc<RunFailure>) -> impl IntoView {
    let failure = (*failure).clone();
    view! {
        <div class="run-error" role="alert" data-testid="run-error">
            <p class="run-error-message">
                {failure.stage.map(|stage| view! { <span class="stage-chip">{stage}</span> })}
                {failure.message}
            </p>
            {failure.causes.into_iter().map(|c| view! { <p class="run-error-cause">"Caused by: "{c}</p> }).collect_view()}
            {failure.hint.map(|h| view! { <p class="run-error-hint">{h}</p> })}
        </div>
    }
}

#[component]
fn RunOutput(result: Arc<RunResult>) -> impl IntoView {
    let result = (*result).clone();
    // The picture the pipeline read (its first capability stage's, when it is one): segmentation
    // maps of the same size are laid over it.
    let input: Option<Arc<Rgba>> = result
        .stages
        .iter()
        .filter(|stage| stage.kind == "capability")
        .find_map(|stage| stage.tensors.first().and_then(TensorView::to_rgba))
        .map(Arc::new);
    view! {
        <div class="run-output">
            <h3 class="subheading">"SERIAL"</h3>
            <pre class="serial" data-testid="serial">{result.serial.clone()}</pre>
            {(!result.warnings.is_empty())
                .then(|| {
                    view! {
                        <ul class="run-warnings" data-testid="run-warnings">
                            {result.warnings.iter().map(|w| view! { <li>{w.clone()}</li> }).collect_view()}
                        </ul>
                    }
                })}
            <ol class="stage-results">
                {result
                    .stages
                    .into_iter()
                    .map(|stage| view! { <StageView stage=stage input=input.clone() /> })
                    .collect_view()}
            </ol>
        </div>
    }
}

#[component]
fn StageView(stage: StageResult, input: Option<Arc<Rgba>>) -> impl IntoView {
    let kind_class = format!("stage-kind {}", stage.kind);
    view! {
        <li class="stage-result" data-testid="stage-result" data-stage=stage.name.clone()>
            <header class="stage-result-header">
                <span class=kind_class>{stage.kind.clone()}</span>
                <span class="stage-name">{stage.name.clone()}</span>
                <span class="stage-detail">{stage.detail.clone()}</span>
                <span class="stage-time" data-testid="stage-time">{format!("{:.2} ms", stage.elapsed_ms)}</span>
            </header>
            {stage
                .tensors
                .into_iter()
                .map(|tensor| view! { <TensorBox tensor=tensor input=input.clone() /> })
                .collect_view()}
        </li>
    }
}

/// One tensor: labels as a list, pictures drawn, segmentation maps in colours over the input
/// picture (`input`, when it has their size) with a legend, numbers as a table with bars.
#[component]
pub fn TensorBox(tensor: TensorView, input: Option<Arc<Rgba>>) -> impl IntoView {
    let type_text = tensor.type_text();
    let truncated = tensor.is_truncated().then(|| format!(" (first {} values shown)", values_len(&tensor)));
    if let (Some((w, h, rgba)), Some(classes)) = (tensor.mask_to_rgba(input.as_deref()), tensor.mask_classes()) {
        let over_input = input.as_deref().is_some_and(|(iw, ih, _)| (*iw, *ih) == (w, h));
        return view! {
            <div class="tensor" data-testid="tensor">
                <div class="tensor-type">
                    {type_text}
                    {if over_input { " · classes over the input" } else { " · classes" }}
                </div>
                <div class="mask" data-testid="mask" data-over-input=over_input.to_string()>
                    <Picture width=w height=h rgba=rgba />
                    <ul class="mask-legend" data-testid="mask-legend">
                        {classes
                            .into_iter()
                            .map(|class| {
                                let [r, g, b] = protocol::class_colour(class);
                                let swatch = format!("background: rgb({r}, {g}, {b})");
                                view! {
                                    <li data-class=class.to_string()>
                                        <span class="swatch" style=swatch aria-hidden="true"></span>
                                        {if class == 0 && over_input { "0 (not tinted)".to_string() } else { class.to_string() }}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </div>
            </div>
        }
        .into_any();
    }
    let body = match (&tensor.values, tensor.to_rgba()) {
        (_, Some((w, h, rgba))) => view! { <Picture width=w height=h rgba=rgba /> }.into_any(),
        (Values::Text(labels), _) => view! {
            <ol class="labels" data-testid="labels" start="0">
                {labels.iter().map(|l| view! { <li>{l.clone()}</li> }).collect_view()}
            </ol>
        }
        .into_any(),
        (Values::Numbers(numbers), _) => number_table(&tensor, numbers).into_any(),
    };
    view! {
        <div class="tensor" data-testid="tensor">
            <div class="tensor-type">{type_text}{truncated}</div>
            {body}
        </div>
    }
    .into_any()
}

fn values_len(tensor: &TensorView) -> usize {
    match &tensor.values {
        Values::Numbers(v) => v.len(),
        Values::Text(v) => v.len(),
    }
}

/// The rows a numeric tensor shows: all when few, else the largest; and which are the top ones.
pub fn table_rows(numbers: &[Option<f64>]) -> (Vec<usize>, Vec<usize>) {
    let mut by_value: Vec<usize> = (0..numbers.len()).collect();
    by_value.sort_by(|&a, &b| {
        let key = |i: usize| numbers.get(i).copied().flatten().unwrap_or(f64::NEG_INFINITY);
        key(b).total_cmp(&key(a)).then(a.cmp(&b))
    });
    let top: Vec<usize> = if numbers.len() > 1 { by_value.iter().copied().take(TOP).collect() } else { Vec::new() };
    let rows = if numbers.len() <= MAX_ROWS { (0..numbers.len()).collect() } else { by_value[..MAX_ROWS].to_vec() };
    (rows, top)
}

/// The index of element `flat` in a tensor of `dimensions`, leading 1s dropped: `3` or `1, 2`.
pub fn index_text(dimensions: &[usize], flat: usize) -> String {
    let dims: Vec<usize> = dimensions.iter().copied().skip_while(|d| *d == 1).collect();
    if dims.len() <= 1 {
        return flat.to_string();
    }
    let mut rest = flat;
    let mut parts = vec![0; dims.len()];
    for (i, d) in dims.iter().enumerate().rev() {
        let d = (*d).max(1);
        parts[i] = rest % d;
        rest /= d;
    }
    parts.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

fn number_text(value: Option<f64>) -> String {
    match value {
        None => "NaN/∞".to_string(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Some(v) if v.abs() < 1e-4 || v.abs() >= 1e9 => format!("{v:.3e}"),
        Some(v) => {
            let text = format!("{v:.6}");
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    }
}

fn number_table(tensor: &TensorView, numbers: &[Option<f64>]) -> impl IntoView + use<> {
    let (rows, top) = table_rows(numbers);
    let finite: Vec<f64> = numbers.iter().flatten().copied().collect();
    let max_abs = finite.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let scale = |v: Option<f64>| v.map_or(0.0, |v| if max_abs > 0.0 { v.abs() / max_abs * 100.0 } else { 0.0 });
    let largest = numbers.len() > MAX_ROWS;
    let caption = largest.then(|| format!("The {MAX_ROWS} largest of {} values", numbers.len()));
    // The strip shows every value when the table cannot; a table of all values has its own bars.
    let histogram = largest.then(|| histogram(numbers, max_abs));
    let dims = tensor.dimensions.clone();
    view! {
        {histogram}
        <table class="numbers" data-testid="numbers">
            {caption.map(|c| view! { <caption>{c}</caption> })}
            <tbody>
                {rows
                    .into_iter()
                    .map(|i| {
                        let value = numbers.get(i).copied().flatten();
                        let class = if top.contains(&i) { "top" } else { "" };
                        view! {
                            <tr class=class>
                                <th scope="row">{index_text(&dims, i)}</th>
                                <td class="value">{number_text(value)}</td>
                                <td class="bar-cell">
                                    <span class="bar" style=format!("width: {:.1}%", scale(value))></span>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// All values as a strip of bars (each bar the largest magnitude of its bucket).
fn histogram(numbers: &[Option<f64>], max_abs: f64) -> impl IntoView + use<> {
    let buckets = numbers.len().min(MAX_BARS);
    let per = numbers.len().div_ceil(buckets.max(1));
    let heights: Vec<f64> = numbers
        .chunks(per.max(1))
        .map(|chunk| {
            let m = chunk.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
            if max_abs > 0.0 { m / max_abs * 24.0 } else { 0.0 }
        })
        .collect();
    let width = heights.len() as f64 * 3.0;
    let bars: String = heights
        .iter()
        .enumerate()
        .map(|(i, h)| format!(r#"<rect x="{}" y="{:.2}" width="2" height="{:.2}"/>"#, i * 3, 24.0 - h, h.max(0.5)))
        .collect();
    let svg = format!(
        r#"<svg class="histogram" viewBox="0 0 {width} 24" width="{width}" height="24" preserveAspectRatio="none" aria-hidden="true">{bars}</svg>"#
    );
    view! { <div class="histogram-box" inner_html=svg></div> }
}

/// A picture drawn on a canvas from RGBA bytes.
#[component]
fn Picture(width: u32, height: u32, rgba: Vec<u8>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let rgba = StoredValue::new(rgba);
    Effect::new(move |_| {
        let Some(canvas) = canvas.get() else { return };
        let context =
            canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok());
        let Some(context) = context else { return };
        rgba.with_value(|rgba| {
            if let Ok(image) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), width, height) {
                let _ = context.put_image_data(&image, 0.0, 0.0);
            }
        });
    });
    // Small pictures are scaled up (pixelated) so they can be seen.
    let shown = f64::from(width.max(height).max(1)).clamp(96.0, 256.0);
    let scale = shown / f64::from(width.max(height).max(1));
    let style = format!("width: {:.0}px; height: {:.0}px", f64::from(width) * scale, f64::from(height) * scale);
    view! {
        <canvas
            node_ref=canvas
            class="picture"
            data-testid="picture"
            width=width
            height=height
            style=style
            role="img"
            aria-label=format!("{width}×{height} image")
        ></canvas>
    }
}

/// "Downloading the engine… 45% of 2.4 MB" (the size unknown: what has arrived).
fn fetching_text(loaded: u64, total: u64) -> String {
    let mb = |bytes: u64| bytes as f64 / 1_000_000.0;
    match (loaded.min(total) * 100).checked_div(total) {
        Some(percent) => format!("Downloading the engine… {percent}% of {:.1} MB", mb(total)),
        None => format!("Downloading the engine… {:.1} MB", mb(loaded)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_show_all_small_tensors_and_the_largest_of_big_ones() {
        let numbers = vec![Some(1.0), Some(5.0), None, Some(3.0)];
        assert_eq!(table_rows(&numbers), (vec![0, 1, 2, 3], vec![1, 3, 0]));
        let big: Vec<Option<f64>> = (0..100).map(|i| Some(f64::from(i % 50))).collect();
        let (rows, top) = table_rows(&big);
        assert_eq!(rows.len(), MAX_ROWS);
        assert_eq!(&rows[..3], &[49, 99, 48]);
        assert_eq!(top, vec![49, 99, 48]);
        assert_eq!(table_rows(&[Some(1.0)]), (vec![0], vec![]));
        assert_eq!(index_text(&[1, 4], 3), "3");
        assert_eq!(index_text(&[2, 3], 4), "1, 1");
        assert_eq!(number_text(Some(2.0)), "2");
        assert_eq!(number_text(Some(0.25)), "0.25");
        assert_eq!(number_text(None), "NaN/∞");
        assert_eq!(number_text(Some(-2.5e-10)), "-2.500e-10");
        assert_eq!(number_text(Some(359.5)), "359.5");
    }

    #[test]
    fn download_progress_reads_as_a_percentage_of_megabytes() {
        assert_eq!(fetching_text(0, 2_400_000), "Downloading the engine… 0% of 2.4 MB");
        assert_eq!(fetching_text(1_200_000, 2_400_000), "Downloading the engine… 50% of 2.4 MB");
        assert_eq!(fetching_text(3_000_000, 2_400_000), "Downloading the engine… 100% of 2.4 MB");
        assert_eq!(fetching_text(1_500_000, 0), "Downloading the engine… 1.5 MB");
    }
}
