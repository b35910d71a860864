//! Timing for the kernel benchmarks (`#[ignore]`d wasm tests that `scripts/bench-kernels.sh`
//! runs in headless Chromium): a kernel against a reference measured in the same run.

/// `performance.now()` (microseconds apart in Chromium; `Date.now()` is whole milliseconds).
fn clock() -> impl Fn() -> f64 {
    let now = js_sys::Function::new_no_args("return performance.now()");
    move || now.call0(&js_sys::global()).ok().and_then(|v| v.as_f64()).unwrap_or_else(js_sys::Date::now)
}

/// Milliseconds per run of side 0 (the kernel) and side 1 (the reference): the fastest of nine
/// trials of 20 runs each (noise only slows runs down), the two sides alternating so that both
/// see the same machine. `run(side, n)` does one run; `n` counts runs, for references that must
/// not be optimised away.
pub(super) fn best_of(mut run: impl FnMut(usize, usize)) -> [f64; 2] {
    let now = clock();
    let mut best = [f64::MAX; 2];
    for trial in 0..9 {
        for (side, best) in best.iter_mut().enumerate() {
            let start = now();
            for n in 0..20 {
                run(side, trial * 20 + n);
            }
            *best = best.min((now() - start) / 20.0);
        }
    }
    best
}
