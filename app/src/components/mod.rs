//! The panels, one file each. They read and write [`crate::AppState`] from context.
mod editor;
mod graph_view;
mod problems;
mod toolbar;

pub use editor::Editor;
pub use graph_view::GraphView;
pub use problems::Problems;
pub use toolbar::Toolbar;
