// The playground's Runefile editor: CodeMirror 6 with YAML highlighting, line numbers, undo,
// Tab indentation (Esc then Tab moves the focus on) and the compiler's diagnostics as lint marks.
//
// Bundled by esbuild (scripts/build-editor.sh) into dist/rune-editor.js, an IIFE that sets
// `window.RuneEditor`. The Rust side (app/src/codemirror.rs) calls it through wasm-bindgen and
// falls back to a <textarea> when it is absent. Positions are UTF-16 code units (JS strings).
import { EditorView, basicSetup } from 'codemirror';
import { Annotation, EditorSelection } from '@codemirror/state';
import { keymap } from '@codemirror/view';
import { indentWithTab } from '@codemirror/commands';
import { indentUnit } from '@codemirror/language';
import { yaml } from '@codemirror/lang-yaml';
import { lintGutter, setDiagnostics as lintDiagnostics } from '@codemirror/lint';

/** Marks the transactions of `setText`, so that they do not call `onChange` back. */
const external = Annotation.define();

const theme = EditorView.theme({
  '&': { height: '100%', backgroundColor: 'var(--surface, #fff)' },
  '&.cm-focused': { outline: 'none' },
  // The page's .editor sets the monospace font, its size and the line height.
  '.cm-scroller': { fontFamily: 'inherit', lineHeight: 'inherit' },
  '.cm-content': { caretColor: 'var(--accent, #4338ca)' },
  '.cm-gutters': { backgroundColor: 'var(--surface-muted, #f6f8fa)', borderRight: '1px solid var(--border, #d8dee4)' },
  '.cm-tooltip-lint': { maxWidth: 'min(32rem, 90vw)', whiteSpace: 'pre-wrap' },
});

const clamp = (value, max) => Math.max(0, Math.min(Number(value) || 0, max));

/**
 * Creates an editor in `parent` holding `text`. `onChange(text)` is called with the whole text
 * after every edit by the user (not after `setText`). `options.attributes` are set on the
 * editable element (aria-label, data-testid, ...). Returns the handle the other functions take.
 */
function create(parent, text, onChange, options = {}) {
  const view = new EditorView({
    doc: text,
    parent,
    extensions: [
      basicSetup,
      keymap.of([indentWithTab]),
      indentUnit.of('  '),
      yaml(),
      lintGutter(),
      theme,
      EditorView.contentAttributes.of({
        spellcheck: 'false',
        autocorrect: 'off',
        autocapitalize: 'off',
        ...(options.attributes ?? {}),
      }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged && !update.transactions.some((tr) => tr.annotation(external))) {
          onChange(update.state.doc.toString());
        }
      }),
    ],
  });
  return view;
}

/** The editor's text (line breaks normalised to "\n"). */
function text(view) {
  return view.state.doc.toString();
}

/** Replaces the text when it differs (loading an example); undoable, without calling onChange. */
function setText(view, value) {
  if (view.state.doc.toString() === value) return;
  view.dispatch({
    changes: { from: 0, to: view.state.doc.length, insert: value },
    annotations: external.of(true),
  });
}

/** Shows `diagnostics` ([{from, to, severity: "error"|"warning", message}]) as lint marks. */
function setDiagnostics(view, diagnostics) {
  const length = view.state.doc.length;
  const list = Array.from(diagnostics ?? [], (d) => {
    const from = clamp(d.from, length);
    return {
      from,
      to: Math.max(from, clamp(d.to, length)),
      severity: d.severity === 'warning' ? 'warning' : 'error',
      message: String(d.message ?? ''),
    };
  });
  view.dispatch(lintDiagnostics(view.state, list));
}

/** Selects from..to, scrolls it to the middle of the editor and focuses the editor. */
function select(view, from, to) {
  const length = view.state.doc.length;
  const anchor = clamp(from, length);
  const head = Math.max(anchor, clamp(to, length));
  view.dispatch({
    selection: EditorSelection.single(anchor, head),
    effects: EditorView.scrollIntoView(EditorSelection.range(anchor, head), { y: 'center' }),
  });
  view.focus();
}

/** The main selection, {from, to}. */
function selection(view) {
  const { from, to } = view.state.selection.main;
  return { from, to };
}

function focus(view) {
  view.focus();
}

function destroy(view) {
  view.destroy();
}

/** The editor a DOM node belongs to (for tests and the console), or null. */
function fromDOM(node) {
  return EditorView.findFromDOM(node);
}

window.RuneEditor = Object.freeze({ create, text, setText, setDiagnostics, select, selection, focus, destroy, fromDOM });
