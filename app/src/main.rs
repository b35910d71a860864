fn main() {
    rune_app::mount();
}
