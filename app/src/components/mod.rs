//! The panels, one file each. They read and write [`crate::AppState`] from context.
mod editor;
mod graph_view;
mod inputs;
mod opened;
mod problems;
pub mod results;
mod share_dialog;
mod toolbar;

pub use editor::Editor;
pub use graph_view::GraphView;
pub use inputs::Inputs;
pub use opened::OpenedRunePanel;
pub use problems::Problems;
pub use results::Results;
pub use share_dialog::ShareButton;
pub use toolbar::Toolbar;
