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
use runtime::Artifact;

use crate::codemirror::CodeMirror;
use crate::editor_marks::{self, EditorRange};
use crate::examples::{self, Example};
use crate::hooks::{use_debounced, use_local_storage};
use crate::protocol::{FrameSize, RunFailure, RunResult};
use crate::share;
use crate::uploads::{self, Role, Upload};

/// The `localStorage` key of the editor's text.
pub const SOURCE_KEY: &str = "rune-playground.source";
/// The `localStorage` key of the Rune's name.
pub const NAME_KEY: &str = "rune-playground.name";
/// How long typing must pause before the text is compiled.
pub const COMPILE_DELAY: Duration = Duration::from_millis(150);
/// The Rune's name when the name field is empty.
pub const DEFAULT_NAME: &str = "playground";
/// The file name diagnostics are rendered with.
pub const FILE_NAME: &str = "Runefile.yml";
/// The textarea editor's line height in CSS pixels when the browser does not say
/// (`--editor-line-height` in `style.css`).
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
    /// The editor (CodeMirror or the textarea), so that other panels can move its selection.
    pub editor: EditorRef,
    /// Every file added in the Inputs panel (or by an example), in the order added. Those
    /// with [`Role::File`] are also in [`AppState::files`].
    pub uploads: RwSignal<Vec<Upload>>,
    /// The state of the latest run.
    pub run: RwSignal<RunStatus>,
    /// Seeds RAND capabilities.
    pub seed: RwSignal<u64>,
    /// A `.rune` the user opened (a file, or `?rune=` from `rune serve`). While one is open, the
    /// graph and the Run button use it instead of the editor's Runefile; the editor keeps its text.
    pub opened: RwSignal<Option<Arc<OpenedRune>>>,
    /// Why the latest `.rune` or share link could not be opened (shown until dismissed or the
    /// next success).
    pub open_error: RwSignal<Option<String>>,
    /// Whether the camera streams (its preview is in the Inputs panel).
    pub camera: RwSignal<bool>,
    /// Whether live mode runs the pipeline on camera frames, one after the other.
    pub live: RwSignal<bool>,
    /// Live mode's frames per second (0 until two frames have come back).
    pub fps: RwSignal<f64>,
    /// Answers to live frames so far, shown or not (live frames overlap on several workers and
    /// an older frame's answer may come after a newer one's): wakes the live loop.
    pub live_answers: RwSignal<u64>,
}

/// A `.rune` opened in the playground, read and checked.
#[derive(Debug, PartialEq)]
pub struct OpenedRune {
    pub file_name: String,
    /// The file as opened: what a run sends to the worker.
    pub bytes: Arc<Vec<u8>>,
    /// [`crate::protocol::rune_key`] of `bytes` (the worker caches pipelines by it).
    pub key: u64,
    pub artifact: Artifact,
    /// What `rune inspect` prints for it.
    pub summary: String,
    /// Its pipeline drawn as SVG.
    pub svg: String,
}

impl OpenedRune {
    /// Reads a `.rune` and checks its models, or says why it cannot be opened.
    pub fn read(file_name: &str, bytes: Vec<u8>) -> Result<OpenedRune, String> {
        let cannot = |why: String| format!("\"{file_name}\" cannot be opened: {why}");
        let artifact = Artifact::from_bytes(&bytes).map_err(|e| cannot(e.to_string()))?;
        for (stage, model) in &artifact.models {
            runtime::tflite::read_info(model)
                .map_err(|e| cannot(format!("the model of stage \"{stage}\" is not a TensorFlow Lite model: {e}")))?;
        }
        let summary = artifact.describe();
        let svg = compiler::svg::to_svg(&compiler::graph::Graph::from_manifest(&artifact.manifest));
        let key = crate::protocol::rune_key(&bytes);
        Ok(OpenedRune { file_name: file_name.to_string(), bytes: Arc::new(bytes), key, artifact, summary, svg })
    }
}

/// Where the latest run is.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum RunStatus {
    #[default]
    Idle,
    /// The engine (the worker's wasm) is downloading: `loaded` of `total` bytes (0: unknown).
    Fetching {
        loaded: u64,
        total: u64,
    },
    /// The worker reads the `.rune` and loads its models.
    Loading,
    Running,
    Done(Arc<RunResult>),
    Failed(Arc<RunFailure>),
}

impl RunStatus {
    pub fn is_busy(&self) -> bool {
        matches!(self, RunStatus::Fetching { .. } | RunStatus::Loading | RunStatus::Running)
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
        let name = use_local_storage(NAME_KEY, || examples::default_example().rune_name.to_string());
        let state = AppState::build(source, name);
        // A share link's Runefile replaces the saved text (and is saved in turn).
        if let Some(shared) = take_shared_fragment() {
            match shared {
                Ok(text) => source.set(text),
                Err(why) => state.open_error.set(Some(why)),
            }
        }
        // A saved example comes back with its generated files.
        let saved = source.get_untracked();
        if let Some(example) = examples::EXAMPLES.iter().find(|e| e.source == saved) {
            // The name stays as the user last set it (it is saved too).
            for (name, bytes) in example.files() {
                let _ = state.add_file(name, bytes);
            }
        }
        state
    }

    /// State that starts from `text` and is not saved (tests, embedding).
    pub fn with_source(text: &str) -> Self {
        AppState::build(RwSignal::new(text.to_string()), RwSignal::new(DEFAULT_NAME.to_string()))
    }

    fn build(source: RwSignal<String>, name: RwSignal<String>) -> Self {
        let debounced_source: Signal<String> = use_debounced(source.into(), COMPILE_DELAY);
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
            editor: EditorRef::new(),
            uploads: RwSignal::new(Vec::new()),
            run: RwSignal::new(RunStatus::Idle),
            seed: RwSignal::new(DEFAULT_SEED),
            opened: RwSignal::new(None),
            open_error: RwSignal::new(None),
            camera: RwSignal::new(false),
            live: RwSignal::new(false),
            fps: RwSignal::new(0.0),
            live_answers: RwSignal::new(0),
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

    /// Opens a `.rune`: on success it replaces the opened one (the editor's text stays); on
    /// failure [`AppState::open_error`] says why and everything else is left as it was.
    pub fn open_rune(self, file_name: &str, bytes: Vec<u8>) -> Result<(), String> {
        match OpenedRune::read(file_name, bytes) {
            Ok(opened) => {
                self.open_error.set(None);
                self.opened.set(Some(Arc::new(opened)));
                self.run.set(RunStatus::Idle);
                Ok(())
            }
            Err(why) => {
                self.open_error.set(Some(why.clone()));
                Err(why)
            }
        }
    }

    /// Opens a Rune project (a zip or a folder): its Runefile replaces the editor's text (and an
    /// opened `.rune` is closed), its name the Rune's name, and its files are added by path.
    /// Returns why some files were refused (the rest are added).
    pub fn open_project(self, project: crate::project::Project) -> Vec<String> {
        self.close_rune();
        if let Some(name) = project.name {
            self.name.set(name);
        }
        let refused = project.files.into_iter().filter_map(|(path, bytes)| self.add_file(&path, bytes).err()).collect();
        self.source.set(project.runefile);
        refused
    }

    /// Closes the opened `.rune`: the editor's Runefile is what runs again.
    pub fn close_rune(self) {
        if self.opened.with_untracked(Option::is_some) {
            self.opened.set(None);
            self.run.set(RunStatus::Idle);
        }
    }

    /// The pipeline that runs, with what reading it: the opened `.rune`'s, else the editor's.
    /// Tracks both.
    pub fn with_manifest<T>(self, f: impl FnOnce(Result<&runtime::Manifest, String>) -> T) -> T {
        if let Some(opened) = self.opened.get() {
            return f(Ok(&opened.artifact.manifest));
        }
        self.compiled.with(|compiled| {
            if compiled.compilation.has_errors() {
                return f(Err("Fix the errors in the Runefile to run it.".to_string()));
            }
            match compiled.compilation.manifest() {
                Ok(manifest) => f(Ok(&manifest)),
                Err(e) => f(Err(format!("The Runefile cannot be built: {e}"))),
            }
        })
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

    /// The example the editor holds unchanged: once the text is edited the menu shows
    /// "Choose an example…" again (picking the example then restores its text).
    pub fn current_example(self) -> Option<&'static str> {
        self.source.with(|text| examples::EXAMPLES.iter().find(|e| e.source == *text).map(|e| e.id))
    }

    /// Replaces the editor's text and the name with an example's.
    /// Files that come with the example (generated models) are added too.
    pub fn load_example(self, example: &'static Example) {
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
        let (range, line) = self.compiled.with_untracked(|compiled| {
            let text = compiled.source.as_str();
            (editor_marks::utf16_range(text, span), editor_marks::line_column(text, span.start).line)
        });
        self.editor.select(range, line);
    }
}

/// The Runefile editor, whichever one is mounted: CodeMirror when the page loaded its bundle,
/// else the `<textarea>` (see [`crate::components::Editor`]).
#[derive(Clone, Copy)]
pub struct EditorRef {
    /// The textarea editor's element.
    pub textarea: NodeRef<Textarea>,
    /// The CodeMirror editor, once created (its handle is a JS value: local to the thread).
    pub code: RwSignal<Option<CodeMirror>, LocalStorage>,
}

impl EditorRef {
    fn new() -> Self {
        EditorRef { textarea: NodeRef::new(), code: RwSignal::new_local(None) }
    }

    /// Selects `range` (on 1-based `line`), scrolls it into view and focuses the editor.
    pub fn select(self, range: EditorRange, line: u32) {
        let done = self.code.try_with_untracked(|code| code.as_ref().map(|code| code.select(range))).flatten();
        if done.is_some() {
            return;
        }
        let Some(textarea) = self.textarea.get_untracked() else { return };
        let _ = textarea.focus();
        let _ = textarea.set_selection_range(range.from, range.to);
        let viewport = f64::from(textarea.client_height());
        let top = editor_marks::scroll_top_for_line(line, line_height(&textarea), viewport);
        textarea.set_scroll_top(top.round() as i32);
    }

    /// Moves the focus into the editor.
    pub fn focus(self) {
        let done = self.code.try_with_untracked(|code| code.as_ref().map(CodeMirror::focus)).flatten();
        if done.is_none()
            && let Some(textarea) = self.textarea.get_untracked()
        {
            let _ = textarea.focus();
        }
    }
}

/// Reads a share link's Runefile from the address and removes the fragment, so that a reload
/// keeps later edits instead of going back to the link's text.
fn take_shared_fragment() -> Option<Result<String, String>> {
    let window = web_sys::window()?;
    let location = window.location();
    let shared = share::decode(&location.hash().ok()?)?;
    let rest = format!("{}{}", location.pathname().unwrap_or_default(), location.search().unwrap_or_default());
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&rest));
    }
    Some(shared)
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
