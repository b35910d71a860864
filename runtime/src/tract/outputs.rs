//! Output tensors reused from run to run by the integer kernels ([`output`]).
//!
//! tract's safe way to make an output, `Tensor::zero`, writes every value once before the kernel
//! writes it again; on MobileNetV2 that is megabytes of extra memory traffic per run (and an
//! allocation per operator). A kernel that writes its whole output instead takes a tensor of
//! the same shape that an earlier kernel of the same tract session made and nothing else holds
//! any more (its consumers have run): no zeroing, no allocation. Like an allocator with one size
//! class per shape, the pool holds about what is alive at once, not every layer's output. The
//! tensors are kept per session (`EvalContext`'s key for such scratch) and released with it
//! ([`forget`], from `EvalOp::drop_session`). The pools are per thread: a model dropped on
//! another thread than the one that ran it would leave its pool there until that thread ends
//! (the worker and the CLI run and drop each model on one thread).

use std::cell::RefCell;
use std::collections::HashMap;

use tract_core::internal::*;

thread_local! {
    /// The outputs made in each session, in use or free again.
    static POOLS: RefCell<HashMap<SessionId, Vec<TValue>>> = RefCell::new(HashMap::new());
}

/// An f32 output of shape `shape`, filled by `fill`, which must write every value: a tensor of
/// that shape from `ctx`'s session that nothing else holds any more (its values are an earlier
/// output's, not zeros), else a new one.
pub(crate) fn output(ctx: &EvalContext, shape: &[usize], fill: impl FnOnce(&mut [f32])) -> TractResult<TValue> {
    // Outside a plan (constant folding) there is no session to keep anything for.
    let pooled = ctx.session != SessionId::NONE;
    let free = pooled
        .then(|| {
            POOLS.with_borrow_mut(|pools| {
                let pool = pools.entry(ctx.session).or_default();
                let i = pool
                    .iter()
                    .position(|v| v.is_exclusive() && v.shape() == shape && v.datum_type() == f32::datum_type())?;
                Some(pool.swap_remove(i))
            })
        })
        .flatten();
    let mut tensor = match free {
        Some(value) => {
            #[cfg(test)]
            REUSED.set(REUSED.get() + 1);
            value.into_tensor()
        }
        None => Tensor::zero::<f32>(shape)?,
    };
    fill(tensor.try_as_plain_ram_mut()?.as_slice_mut::<f32>()?);
    let value = tensor.into_tvalue();
    if pooled {
        POOLS.with_borrow_mut(|pools| pools.entry(ctx.session).or_default().push(value.clone()));
    }
    Ok(value)
}

#[cfg(test)]
thread_local! {
    static REUSED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How many outputs this thread has reused.
#[cfg(test)]
pub(crate) fn reused() -> usize {
    REUSED.get()
}

/// How many outputs this thread keeps.
#[cfg(test)]
pub(crate) fn kept() -> usize {
    POOLS.with_borrow(|pools| pools.values().map(Vec::len).sum())
}

/// Releases what [`output`] keeps for `session` (`EvalOp::drop_session` calls it for each of the
/// session's nodes; the first call does it).
pub(crate) fn forget(session: SessionId) {
    // Also called while the thread's storage is being torn down: then there is nothing to do.
    let _ = POOLS.try_with(|pools| pools.borrow_mut().remove(&session));
}
