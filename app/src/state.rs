//! The app's shared state: one `Copy` struct of signals, provided as context by [`crate::App`].
//!
//! Data flows one way: the editor writes [`AppState::source`]; a debounce turns it into
//! [`AppState::debounced_source`]; the [`AppState::compiled`] memo compiles that; the panels
//! read the memo. Effects only push state outwards (localStorage, the DOM).
use std::sync::Arc;
use std::time::Duration;

use compiler::{Compilation, MemoryFiles, Span};
use leptos::html::Textarea;
use leptos::prelude::*;

use crate::editor_marks;
use crate::examples::{self, Example};
use crate::hooks::{use_debounced, use_local_storage};
use crate::protocol::{FrameSize, RunFailure, RunResult};
use crate::uploads::{self, Role, Upload};

/// The `localStorage` key of the editor's text.
pub const SOURCE_KEY: &str = "rune-playground.source";
/// How long typing must pause before the text is compiled.
pub const COMPILE_DELAY: Duration = Duration::from_millis(150);
/// The Rune's name when the name field is empty.
pub const DEFAULT_NAME: &str = "playground";
/// The file name diagnostics are rendered with.
pub const FILE_NAME: &str = "Runefile.yml";
/// The editor's line height in CSS pixels when the browser does not say (`--editor-line-height`
/// in `style.css`).
pub const EDITOR_LINE_HEIGHT: f64 = 20.0;

/// A compilation with the text and name it was made from. Its spans index `source`, which can
/// lag behind the editor by one debounce.
#[derive(Debug)]
pub struct Compiled {
    pub source: String,
    pub name: String,
    pub compilation: Compilation,
}

/// Everything the panels share. Cheap to copy; provided with `provide_context`.
#[derive(Clone, Copy)]
pub struct AppState {
    /// The editor's text, updated on every keystroke.
    pub source: RwSignal<String>,
    /// `source` once typing has paused for [`COMPILE_DELAY`]: what gets compiled.
    pub debounced_source: Signal<String>,
    /// The Rune's name, as typed (the download is `<name>.rune`).
    pub name: RwSignal<String>,
    /// Files the Runefile may read (models, resources): the [`Role::File`] uploads.
    pub files: RwSignal<MemoryFiles>,
    /// The compilation of `debounced_source`.
    pub compiled: Memo<Arc<Compiled>>,
    /// The id of the example last picked from the menu.
    pub example: RwSignal<Option<&'static str>>,
    /// The editor element, so that other panels can move its selection.
    pub editor: NodeRef<Textarea>,
    /// Every file added in the Inputs panel (or by an example), in the order added. Those
    /// with [`Role::File`] are also in [`AppState::files`].
    pub uploads: RwSignal<Vec<Upload>>,
    /// The state of the latest run.
    pub run: RwSignal<RunStatus>,
    /// Seeds RAND capabilities.
    pub seed: RwSignal<u64>,
    /// Whether the camera streams (its preview is in the Inputs panel).
    pub camera: RwSignal<bool>,
    /// Whether live mode runs the pipeline on camera frames, one after the other.
    pub live: RwSignal<bool>,
    /// Live mode's frames per second (0 until two frames have come back).
    pub fps: RwSignal<f64>,
}

/// Where the latest run is.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum RunStatus {
    #[default]
    Idle,
    /// The worker reads the `.rune` and loads its models.
    Loading,
    Running,
    Done(Arc<RunResult>),
    Failed(Arc<RunFailure>),
}

impl RunStatus {
    pub fn is_busy(&self) -> bool {
        matches!(self, RunStatus::Loading | RunStatus::Running)
    }
}

/// The seed RAND capabilities start with. RAND fills f32 tensors with random bits, which are
/// mostly tiny or huge numbers; this seed's first f32 is an ordinary one (0.756), so the sine
/// example shows a telling first result.
pub const DEFAULT_SEED: u64 = 4;

impl AppState {
    /// The app's state: the text saved in `localStorage`, else the default example.
    pub fn restore() -> Self {
        let source = use_local_storage(SOURCE_KEY, || examples::default_example().source.to_string());
        let state = AppState::build(source);
        // A saved example comes back with its generated files.
        let saved = source.get_untracked();
        if let Some(example) = examples::EXAMPLES.iter().find(|e| e.source == saved) {
            for (name, bytes) in example.files() {
                let _ = state.add_file(name, bytes);
            }
        }
        state
    }

    /// State that starts from `text` and is not saved (tests, embedding).
    pub fn with_source(text: &str) -> Self {
        AppState::build(RwSignal::new(text.to_string()))
    }

    fn build(source: RwSignal<String>) -> Self {
        let debounced_source: Signal<String> = use_debounced(source.into(), COMPILE_DELAY);
        let name = RwSignal::new(DEFAULT_NAME.to_string());
        let files = RwSignal::new(MemoryFiles::new());
        // Every compilation is new (`Compilation` has no `PartialEq`), so skip the comparison.
        let compiled = Memo::new_with_compare(
            move |_| {
                let source = debounced_source.get();
                let name = rune_name(&name.read());
                let compilation = files.with(|files| compiler::compile(&source, &name, files));
                Arc::new(Compiled { source, name, compilation })
            },
            |_, _| true,
        );
        AppState {
            source,
            debounced_source,
            name,
            files,
            compiled,
            example: RwSignal::new(None),
            editor: NodeRef::new(),
            uploads: RwSignal::new(Vec::new()),
            run: RwSignal::new(RunStatus::Idle),
            seed: RwSignal::new(DEFAULT_SEED),
            camera: RwSignal::new(false),
            live: RwSignal::new(false),
            fps: RwSignal::new(0.0),
        }
    }

    /// Adds a file after checking it (see [`uploads::classify`]). A file with the same name
    /// replaces the earlier one. Returns why the file cannot be used.
    pub fn add_file(self, name: &str, bytes: Vec<u8>) -> Result<Role, String> {
        let (role, note) = uploads::classify(name, &bytes)?;
        let bytes = Arc::new(bytes);
        if role == Role::File {
            let copy = bytes.to_vec();
            self.files.update(|files| files.insert(name, copy));
        }
        let replaced = self.uploads.with_untracked(|list| list.iter().any(|u| u.name == name && u.role != role));
        if replaced {
            self.remove_named(name);
        }
        self.uploads.update(|list| {
            let id = list.iter().map(|u| u.id + 1).max().unwrap_or(1);
            let upload = Upload { id, name: name.to_string(), role, bytes, note, frame: None };
            match list.iter_mut().find(|u| u.name == name) {
                Some(existing) => *existing = Upload { id: existing.id, ..upload },
                None => list.push(upload),
            }
        });
        Ok(role)
    }

    /// Adds a camera picture (an RGBA8 frame) as the next IMAGE input, named `camera-N`.
    /// Returns its name, or why it cannot be used.
    pub fn add_frame(self, size: FrameSize, rgba: Vec<u8>) -> Result<String, String> {
        if size.width == 0 || size.height == 0 || size.bytes() != rgba.len() as u64 {
            return Err(format!(
                "The camera gave a {}×{} picture of {} bytes, which is not an RGBA frame.",
                size.width,
                size.height,
                rgba.len()
            ));
        }
        let name = self.uploads.with_untracked(|list| {
            (1..).map(|n| format!("camera-{n}")).find(|name| list.iter().all(|u| &u.name != name)).unwrap_or_default()
        });
        self.uploads.update(|list| {
            let id = list.iter().map(|u| u.id + 1).max().unwrap_or(1);
            list.push(Upload {
                id,
                name: name.clone(),
                role: Role::Input(runtime::CapabilityKind::Image),
                bytes: Arc::new(rgba),
                note: Some(format!("{}×{} camera picture", size.width, size.height)),
                frame: Some(size),
            });
        });
        Ok(name)
    }

    /// Removes an added file.
    pub fn remove_upload(self, id: u64) {
        let removed = self.uploads.with_untracked(|list| list.iter().find(|u| u.id == id).cloned());
        if let Some(upload) = removed {
            self.remove_named(&upload.name);
        }
    }

    fn remove_named(self, name: &str) {
        let had_file = self.uploads.with_untracked(|list| list.iter().any(|u| u.name == name && u.role == Role::File));
        self.uploads.update(|list| list.retain(|u| u.name != name));
        if had_file {
            self.files.update(|files| {
                files.remove(name);
            });
        }
    }

    /// The number of inputs added for a capability kind.
    pub fn input_count(self, kind: runtime::CapabilityKind) -> usize {
        self.uploads.with(|list| list.iter().filter(|u| u.role == Role::Input(kind)).count())
    }

    /// Replaces the editor's text and the name with an example's.
    /// Files that come with the example (generated models) are added too.
    pub fn load_example(self, example: &'static Example) {
        self.example.set(Some(example.id));
        self.name.set(example.rune_name.to_string());
        for (name, bytes) in example.files() {
            if let Err(why) = self.add_file(name, bytes) {
                leptos::logging::error!("example file {name}: {why}");
            }
        }
        self.source.set(example.source.to_string());
    }

    /// Selects `span` (bytes of the compiled text) in the editor, scrolls to it and focuses it.
    pub fn select_span(self, span: Span) {
        let Some(textarea) = self.editor.get_untracked() else { return };
        let (range, line) = self.compiled.with_untracked(|compiled| {
            let text = compiled.source.as_str();
            (editor_marks::utf16_range(text, span), editor_marks::line_column(text, span.start).line)
        });
        let _ = textarea.focus();
        let _ = textarea.set_selection_range(range.from, range.to);
        let viewport = f64::from(textarea.client_height());
        let top = editor_marks::scroll_top_for_line(line, line_height(&textarea), viewport);
        textarea.set_scroll_top(top.round() as i32);
    }
}

/// The textarea's computed line height in pixels.
fn line_height(textarea: &web_sys::Element) -> f64 {
    web_sys::window()
        .and_then(|window| window.get_computed_style(textarea).ok().flatten())
        .and_then(|style| style.get_property_value("line-height").ok())
        .and_then(|value| value.strip_suffix("px").and_then(|px| px.parse::<f64>().ok()))
        .filter(|px| px.is_finite() && *px > 0.0)
        .unwrap_or(EDITOR_LINE_HEIGHT)
}

/// The Rune's name from the name field: trimmed, [`DEFAULT_NAME`] when empty.
pub fn rune_name(typed: &str) -> String {
    match typed.trim() {
        "" => DEFAULT_NAME.to_string(),
        name => name.to_string(),
    }
}

/// The download's file name: `<name>.rune`, with characters that file systems dislike replaced.
pub fn rune_file_name(typed: &str) -> String {
    let safe: String = rune_name(typed)
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' })
        .collect();
    let safe = safe.trim_matches('.');
    format!("{}.rune", if safe.is_empty() { DEFAULT_NAME } else { safe })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_default_and_file_names_are_safe() {
        assert_eq!(rune_name("  "), "playground");
        assert_eq!(rune_name(" sine "), "sine");
        assert_eq!(rune_file_name(""), "playground.rune");
        assert_eq!(rune_file_name("my rune/../x"), "my-rune-..-x.rune");
        assert_eq!(rune_file_name("..."), "playground.rune");
        assert_eq!(rune_file_name("größe"), "größe.rune");
    }
}
