//! Timing for the kernel benchmarks (`#[ignore]`d wasm tests that `scripts/bench-kernels.sh`
//! runs in headless Chromium): a kernel against a reference measured in the same run.

use std::sync::Arc;

use tract_core::internal::*;
use tract_core::ops::cnn::Conv;

use super::qint::{Q8, Requant};

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

/// `op` alone as an optimised tract plan on an f32 input of shape `input`.
pub(super) fn plan_of(input: [usize; 4], op: impl Into<Box<dyn TypedOp>>) -> Arc<TypedRunnableModel> {
    let mut model = TypedModel::default();
    let src = model.add_source("x", f32::fact(input)).unwrap();
    let y = model.wire_node("op", op, &[src]).unwrap();
    model.select_output_outlets(&y).unwrap();
    model.into_optimized().unwrap().into_runnable().unwrap()
}

/// What the integer convolutions replace, as an optimised tract plan on an f32 input of shape
/// `input`: tract's f32 convolution `conv` (weights of shape `w_shape`, the bias in its sums),
/// then `Requant`'s f32 path with one multiplier `m` to centred values of `out` in `[lo, hi]`.
pub(super) fn tract_conv_requant(
    input: [usize; 4],
    conv: Conv,
    (w_shape, weights): (&[usize], &[f32]),
    bias: &[f32],
    (m, out, lo, hi): ((i32, i32), Q8, i32, i32),
) -> Arc<TypedRunnableModel> {
    let mut model = TypedModel::default();
    let src = model.add_source("x", f32::fact(input)).unwrap();
    let w = model.add_const("w", Tensor::from_shape(w_shape, weights).unwrap()).unwrap();
    let b = model.add_const("b", Tensor::from_shape(&[bias.len()], bias).unwrap()).unwrap();
    let y = model.wire_node("conv", conv, &[src, w, b]).unwrap();
    let requant =
        Requant { multipliers: vec![m], bias: vec![], out, min: lo, max: hi, centred: true, small_accs: true };
    let y = model.wire_node("requant", requant, &y).unwrap();
    model.select_output_outlets(&y).unwrap();
    model.into_optimized().unwrap().into_runnable().unwrap()
}

/// Both plans give the same f32 values on `x`: a kernel is timed against what it replaces only
/// once they agree.
pub(super) fn assert_same_values(
    ours: &Arc<TypedRunnableModel>,
    theirs: &Arc<TypedRunnableModel>,
    x: &Tensor,
    what: &str,
) {
    let a = ours.run(tvec!(x.clone().into_tvalue())).unwrap();
    let b = theirs.run(tvec!(x.clone().into_tvalue())).unwrap();
    let values = |t: &TValue| t.try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec();
    assert_eq!(values(&a[0]), values(&b[0]), "{what}");
}
