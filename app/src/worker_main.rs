//! The `rune-worker` Web Worker: runs pipelines off the page's thread (see `rune_app::worker`).
fn main() {
    rune_app::worker::start();
}
