//! Built-in proc-blocks: one file each, holding the block's signature (and, with the executor,
//! its implementation). Semantics follow `hotg-ai/proc-blocks` tag v0.11.3 (see the spec, §6).
use crate::ElementType;
use crate::catalog::ProcBlockSignature;

mod argmax;
mod audio_float_conversion;
mod binary_classification;
mod control_logic;
mod fft;
mod identity;
mod image_normalization;
mod label;
mod modulo;
mod most_confident_indices;
mod noise_filtering;
mod normalize;
mod object_filter;
mod parse;
mod segment_output;
mod softmax;
mod text_extractor;
mod utf8_decode;
mod zero_indexing;

static ALL: [ProcBlockSignature; 19] = [
    argmax::SIGNATURE,
    audio_float_conversion::SIGNATURE,
    binary_classification::SIGNATURE,
    control_logic::SIGNATURE,
    fft::SIGNATURE,
    identity::SIGNATURE,
    image_normalization::SIGNATURE,
    label::SIGNATURE,
    modulo::SIGNATURE,
    most_confident_indices::SIGNATURE,
    noise_filtering::SIGNATURE,
    normalize::SIGNATURE,
    object_filter::SIGNATURE,
    parse::SIGNATURE,
    segment_output::SIGNATURE,
    softmax::SIGNATURE,
    text_extractor::SIGNATURE,
    utf8_decode::SIGNATURE,
    zero_indexing::SIGNATURE,
];

/// Every built-in proc-block, sorted by name.
pub fn proc_blocks() -> &'static [ProcBlockSignature] {
    &ALL
}

pub(crate) const NUMERIC: &[ElementType] = &ElementType::NUMERIC;
pub(crate) const INTEGER: &[ElementType] = &[
    ElementType::U8,
    ElementType::I8,
    ElementType::U16,
    ElementType::I16,
    ElementType::U32,
    ElementType::I32,
    ElementType::U64,
    ElementType::I64,
];

/// Dimensions with leading and trailing 1s removed (`[1, 1960]` → `[1960]`).
pub(crate) fn squeeze(dimensions: &[usize]) -> &[usize] {
    let start = dimensions.iter().position(|&d| d != 1).unwrap_or(dimensions.len());
    let end = dimensions.iter().rposition(|&d| d != 1).map_or(start, |i| i + 1);
    &dimensions[start..end.max(start)]
}
