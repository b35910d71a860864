//! Which TFLite operators the importer supports, and the builder of each.

use tract_core::internal::*;

use super::import::OpCtx;
use super::{activation, conv, custom, math, nn, pool, quant, reduce, shape};
use crate::tflite::{OpCode, builtin};

/// Wires one operator and returns one outlet per output tensor.
pub(crate) type Builder = fn(&mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>>;

/// The builder of `code`, or `None` when the playground cannot run it.
pub(crate) fn builder(code: &OpCode) -> Option<Builder> {
    let code = match code {
        OpCode::Custom(name) => return custom::builder(name),
        OpCode::Builtin(code) => *code,
    };
    Some(match code {
        builtin::ADD => math::add,
        builtin::SUB => math::sub,
        builtin::MUL => math::mul,
        builtin::DIV => math::div,
        builtin::FLOOR_DIV => math::floor_div,
        builtin::MAXIMUM => math::maximum,
        builtin::MINIMUM => math::minimum,
        builtin::POW => math::pow,
        builtin::SQUARED_DIFFERENCE => math::squared_difference,
        builtin::EQUAL => math::equal,
        builtin::NOT_EQUAL => math::not_equal,
        builtin::LESS => math::less,
        builtin::LESS_EQUAL => math::less_equal,
        builtin::GREATER => math::greater,
        builtin::GREATER_EQUAL => math::greater_equal,
        builtin::LOGICAL_AND => math::logical_and,
        builtin::LOGICAL_OR => math::logical_or,
        builtin::LOGICAL_NOT => math::logical_not,
        builtin::SELECT | builtin::SELECT_V2 => math::select,
        builtin::RSQRT => math::rsqrt,
        builtin::SQRT => math::sqrt,
        builtin::EXP => math::exp,
        builtin::LOG => math::log,
        builtin::SIN => math::sin,
        builtin::COS => math::cos,
        builtin::FLOOR => math::floor,
        builtin::CEIL => math::ceil,
        builtin::ROUND => math::round,
        builtin::SQUARE => math::square,
        builtin::ABS => math::abs,
        builtin::NEG => math::neg,

        builtin::RELU => activation::relu,
        builtin::RELU6 => activation::relu6,
        builtin::RELU_N1_TO_1 => activation::relu_n1_to_1,
        builtin::RELU_0_TO_1 => activation::relu_0_to_1,
        builtin::LOGISTIC => activation::logistic,
        builtin::TANH => activation::tanh,
        builtin::LEAKY_RELU => activation::leaky_relu,
        builtin::HARD_SWISH => activation::hard_swish,
        builtin::PRELU => activation::prelu,

        builtin::CONV_2D => conv::conv_2d,
        builtin::DEPTHWISE_CONV_2D => conv::depthwise_conv_2d,
        builtin::AVERAGE_POOL_2D => pool::average_pool_2d,
        builtin::MAX_POOL_2D => pool::max_pool_2d,
        builtin::L2_POOL_2D => pool::l2_pool_2d,

        builtin::FULLY_CONNECTED => nn::fully_connected,
        builtin::BATCH_MATMUL => nn::batch_matmul,
        builtin::SOFTMAX => nn::softmax,
        builtin::LOG_SOFTMAX => nn::log_softmax,
        builtin::L2_NORMALIZATION => nn::l2_normalization,
        builtin::RESIZE_BILINEAR => nn::resize_bilinear,
        builtin::RESIZE_NEAREST_NEIGHBOR => nn::resize_nearest_neighbor,

        builtin::QUANTIZE => quant::quantize,
        builtin::DEQUANTIZE => quant::dequantize,

        builtin::MEAN => reduce::mean,
        builtin::SUM => reduce::sum,
        builtin::REDUCE_MAX => reduce::reduce_max,
        builtin::REDUCE_MIN => reduce::reduce_min,
        builtin::REDUCE_PROD => reduce::reduce_prod,
        builtin::REDUCE_ANY => reduce::reduce_any,
        builtin::REDUCE_ALL => reduce::reduce_all,
        builtin::ARG_MAX => reduce::arg_max,
        builtin::ARG_MIN => reduce::arg_min,
        builtin::TOPK_V2 => reduce::topk_v2,

        builtin::RESHAPE => shape::reshape_op,
        builtin::SQUEEZE => shape::squeeze,
        builtin::EXPAND_DIMS => shape::expand_dims,
        builtin::TRANSPOSE => shape::transpose,
        builtin::CONCATENATION => shape::concatenation,
        builtin::PACK => shape::pack,
        builtin::UNPACK => shape::unpack,
        builtin::SPLIT => shape::split,
        builtin::SPLIT_V => shape::split_v,
        builtin::GATHER => shape::gather,
        builtin::SLICE => shape::slice_op,
        builtin::STRIDED_SLICE => shape::strided_slice,
        builtin::PAD | builtin::PADV2 => shape::pad,
        builtin::MIRROR_PAD => shape::mirror_pad,
        builtin::SPACE_TO_BATCH_ND => shape::space_to_batch_nd,
        builtin::BATCH_TO_SPACE_ND => shape::batch_to_space_nd,
        builtin::DEPTH_TO_SPACE => shape::depth_to_space,
        builtin::SPACE_TO_DEPTH => shape::space_to_depth,
        builtin::TILE => shape::tile,
        builtin::SHAPE => shape::shape_op,
        builtin::BROADCAST_TO => shape::broadcast_to,
        builtin::BROADCAST_ARGS => shape::broadcast_args,
        builtin::ZEROS_LIKE => shape::zeros_like,
        builtin::FILL => shape::fill,
        builtin::CAST => shape::cast,
        _ => return None,
    })
}

/// The names of the operators the importer supports, for documentation and error messages.
pub fn supported_builtins() -> Vec<&'static str> {
    (0..=builtin::RIGHT_SHIFT)
        .filter(|&code| builder(&OpCode::Builtin(code)).is_some())
        .filter_map(crate::tflite::builtin_name)
        .collect()
}
