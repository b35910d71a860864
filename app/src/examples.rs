//! The Runefiles of the Examples menu, embedded at build time from `app/examples/*.yml`.

/// One entry of the Examples menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Example {
    /// Stable id (the `<option>` value).
    pub id: &'static str,
    /// The menu label.
    pub title: &'static str,
    /// The Rune's name the example suggests (the download is `<name>.rune`).
    pub rune_name: &'static str,
    pub source: &'static str,
    /// The example reads model or resource files, which the browser does not have yet.
    pub needs_files: bool,
}

/// Every example, in menu order. The first one is the text a new visitor sees.
pub const EXAMPLES: &[Example] = &[
    Example {
        id: "random",
        title: "Random numbers",
        rune_name: "random",
        source: include_str!("../examples/random.yml"),
        needs_files: false,
    },
    Example {
        id: "sine",
        title: "Sine",
        rune_name: "sine",
        source: include_str!("../examples/sine.yml"),
        needs_files: true,
    },
    Example {
        id: "microspeech",
        title: "Microspeech",
        rune_name: "microspeech",
        source: include_str!("../examples/microspeech.yml"),
        needs_files: true,
    },
    Example {
        id: "food",
        title: "Tutorial: food classifier",
        rune_name: "food",
        source: include_str!("../examples/food.yml"),
        needs_files: true,
    },
    Example {
        id: "broken",
        title: "Broken on purpose",
        rune_name: "broken",
        source: include_str!("../examples/broken.yml"),
        needs_files: false,
    },
];

/// The example shown when nothing was saved yet.
pub fn default_example() -> &'static Example {
    &EXAMPLES[0]
}

/// Finds an example by id.
pub fn find(id: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|example| example.id == id)
}

impl Example {
    /// The label in the menu, saying when the example cannot compile cleanly yet.
    pub fn label(&self) -> String {
        if self.needs_files { format!("{} (needs model file)", self.title) } else { self.title.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use compiler::{MemoryFiles, Severity, compile};

    use super::*;

    fn codes(example: &Example) -> Vec<(Severity, &'static str)> {
        let compilation = compile(example.source, example.rune_name, &MemoryFiles::new());
        compilation.diagnostics.iter().map(|d| (d.severity, d.code)).collect()
    }

    #[test]
    fn the_default_example_compiles_cleanly() {
        assert_eq!(codes(default_example()), vec![]);
        assert!(find("random").is_some_and(|e| !e.needs_files));
        assert!(find("nope").is_none());
    }

    #[test]
    fn examples_that_need_files_only_miss_their_files() {
        for example in EXAMPLES.iter().filter(|e| e.needs_files) {
            let codes = codes(example);
            assert!(!codes.is_empty(), "{}", example.id);
            assert!(codes.iter().all(|(_, code)| *code == "unreadable-file"), "{}: {codes:?}", example.id);
            assert!(example.label().ends_with("(needs model file)"));
        }
    }

    /// What the app does with every text the editor can hold: compile, draw, render, mark.
    fn everything_the_panels_do(text: &str) {
        let compilation = compile(text, "typing", &MemoryFiles::new());
        let svg = compiler::svg::to_svg(&compilation.graph);
        assert!(svg.starts_with("<svg"));
        let _ = compiler::render::render(&compilation.diagnostics.0, "Runefile.yml", text);
        let _ = crate::editor_marks::line_severities(text, &compilation.diagnostics.0);
        for diagnostic in compilation.diagnostics.iter() {
            for label in &diagnostic.labels {
                let range = crate::editor_marks::utf16_range(text, label.span);
                assert!(range.to as usize <= text.encode_utf16().count());
            }
        }
    }

    #[test]
    fn typing_any_example_character_by_character_never_panics() {
        for example in EXAMPLES {
            let text = example.source;
            for (end, _) in text.char_indices().chain([(text.len(), ' ')]) {
                everything_the_panels_do(&text[..end]);
            }
            // Each line deleted in turn, too.
            let lines: Vec<&str> = text.lines().collect();
            for skip in 0..lines.len() {
                let without: Vec<&str> =
                    lines.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, l)| *l).collect();
                everything_the_panels_do(&without.join("\n"));
            }
        }
    }

    #[test]
    fn the_broken_example_shows_several_kinds_of_problem() {
        let broken = find("broken").map(codes).unwrap_or_default();
        let mut kinds: Vec<_> = broken.iter().map(|(_, code)| *code).collect();
        kinds.dedup();
        assert!(kinds.len() >= 3, "{broken:?}");
        assert!(broken.iter().any(|(_, code)| *code == "unknown-input"), "{broken:?}");
    }
}
