//! Output tensors reused from run to run by the integer kernels ([`output`]).
//!
//! tract's safe way to make an output, `Tensor::zero`, writes every value once before the kernel
//! writes it again; on MobileNetV2 that is megabytes of extra memory traffic per run (and an
//! allocation per operator). A kernel that writes its whole output instead takes last run's
//! tensor of the same node back, when nothing else holds it any more: no zeroing, no allocation.
//! The tensors are kept per tract session and node (`EvalContext`'s keys for such scratch) and
//! released with the session ([`forget`], from `EvalOp::drop_session`).

use std::cell::RefCell;
use std::collections::HashMap;

use tract_core::internal::*;

thread_local! {
    /// Last run's output of each (session, node).
    static OUTPUTS: RefCell<HashMap<(SessionId, usize), TValue>> = RefCell::new(HashMap::new());
}

/// The f32 output of shape `shape` of node `ctx.node_id`, filled by `fill`, which must write
/// every value: last run's tensor when it has that shape and no other holder (its values are
/// last run's, not zeros), else a new one.
pub(crate) fn output(
    ctx: &EvalContext,
    shape: &[usize],
    fill: impl FnOnce(&mut [f32]) -> TractResult<()>,
) -> TractResult<TValue> {
    // Outside a plan (constant folding) there is no session to keep anything for.
    if ctx.session == SessionId::NONE {
        let mut tensor = Tensor::zero::<f32>(shape)?;
        fill(tensor.try_as_plain_ram_mut()?.as_slice_mut::<f32>()?)?;
        return Ok(tensor.into_tvalue());
    }
    let key = (ctx.session, ctx.node_id);
    let last = OUTPUTS.with_borrow_mut(|outputs| outputs.remove(&key));
    let mut tensor = match last {
        Some(value) if value.is_exclusive() && value.shape() == shape && value.datum_type() == f32::datum_type() => {
            #[cfg(test)]
            REUSED.set(REUSED.get() + 1);
            value.into_tensor()
        }
        _ => Tensor::zero::<f32>(shape)?,
    };
    fill(tensor.try_as_plain_ram_mut()?.as_slice_mut::<f32>()?)?;
    let value = tensor.into_tvalue();
    OUTPUTS.with_borrow_mut(|outputs| outputs.insert(key, value.clone()));
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
    OUTPUTS.with_borrow(|outputs| outputs.len())
}

/// Releases what [`output`] keeps for `session`'s node `node_id`.
pub(crate) fn forget(session: SessionId, node_id: usize) {
    // Also called while the thread's storage is being torn down: then there is nothing to do.
    let _ = OUTPUTS.try_with(|outputs| outputs.borrow_mut().remove(&(session, node_id)));
}
