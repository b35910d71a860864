//! Operator codes: the names of TFLite's builtin operators and builtin-options tables, and
//! [`OpCode`], the operator an [`OperatorCode`](super::OperatorCode) entry resolves to.

use std::borrow::Cow;
use std::fmt;

/// Declares the builtin operator constants and their names from one list, and checks at compile
/// time that the codes are `0, 1, 2, ...` so that a code indexes the name table directly.
macro_rules! builtin_operators {
    ($($code:literal $name:ident,)*) => {
        /// The `BuiltinOperator` codes of `schema.fbs`, as stored in
        /// [`OperatorCode::builtin_code`](super::OperatorCode::builtin_code).
        pub mod builtin {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                pub const $name: i32 = $code;
            )*
        }

        /// Names of the builtin operators, indexed by code.
        const BUILTIN_NAMES: &[&str] = &[$(stringify!($name)),*];

        const _: () = {
            let codes: &[i32] = &[$($code),*];
            let mut i = 0;
            while i < codes.len() {
                assert!(codes[i] as usize == i, "builtin operator codes must be consecutive");
                i += 1;
            }
        };
    };
}

builtin_operators! {
    0 ADD,
    1 AVERAGE_POOL_2D,
    2 CONCATENATION,
    3 CONV_2D,
    4 DEPTHWISE_CONV_2D,
    5 DEPTH_TO_SPACE,
    6 DEQUANTIZE,
    7 EMBEDDING_LOOKUP,
    8 FLOOR,
    9 FULLY_CONNECTED,
    10 HASHTABLE_LOOKUP,
    11 L2_NORMALIZATION,
    12 L2_POOL_2D,
    13 LOCAL_RESPONSE_NORMALIZATION,
    14 LOGISTIC,
    15 LSH_PROJECTION,
    16 LSTM,
    17 MAX_POOL_2D,
    18 MUL,
    19 RELU,
    20 RELU_N1_TO_1,
    21 RELU6,
    22 RESHAPE,
    23 RESIZE_BILINEAR,
    24 RNN,
    25 SOFTMAX,
    26 SPACE_TO_DEPTH,
    27 SVDF,
    28 TANH,
    29 CONCAT_EMBEDDINGS,
    30 SKIP_GRAM,
    31 CALL,
    32 CUSTOM,
    33 EMBEDDING_LOOKUP_SPARSE,
    34 PAD,
    35 UNIDIRECTIONAL_SEQUENCE_RNN,
    36 GATHER,
    37 BATCH_TO_SPACE_ND,
    38 SPACE_TO_BATCH_ND,
    39 TRANSPOSE,
    40 MEAN,
    41 SUB,
    42 DIV,
    43 SQUEEZE,
    44 UNIDIRECTIONAL_SEQUENCE_LSTM,
    45 STRIDED_SLICE,
    46 BIDIRECTIONAL_SEQUENCE_RNN,
    47 EXP,
    48 TOPK_V2,
    49 SPLIT,
    50 LOG_SOFTMAX,
    51 DELEGATE,
    52 BIDIRECTIONAL_SEQUENCE_LSTM,
    53 CAST,
    54 PRELU,
    55 MAXIMUM,
    56 ARG_MAX,
    57 MINIMUM,
    58 LESS,
    59 NEG,
    60 PADV2,
    61 GREATER,
    62 GREATER_EQUAL,
    63 LESS_EQUAL,
    64 SELECT,
    65 SLICE,
    66 SIN,
    67 TRANSPOSE_CONV,
    68 SPARSE_TO_DENSE,
    69 TILE,
    70 EXPAND_DIMS,
    71 EQUAL,
    72 NOT_EQUAL,
    73 LOG,
    74 SUM,
    75 SQRT,
    76 RSQRT,
    77 SHAPE,
    78 POW,
    79 ARG_MIN,
    80 FAKE_QUANT,
    81 REDUCE_PROD,
    82 REDUCE_MAX,
    83 PACK,
    84 LOGICAL_OR,
    85 ONE_HOT,
    86 LOGICAL_AND,
    87 LOGICAL_NOT,
    88 UNPACK,
    89 REDUCE_MIN,
    90 FLOOR_DIV,
    91 REDUCE_ANY,
    92 SQUARE,
    93 ZEROS_LIKE,
    94 FILL,
    95 FLOOR_MOD,
    96 RANGE,
    97 RESIZE_NEAREST_NEIGHBOR,
    98 LEAKY_RELU,
    99 SQUARED_DIFFERENCE,
    100 MIRROR_PAD,
    101 ABS,
    102 SPLIT_V,
    103 UNIQUE,
    104 CEIL,
    105 REVERSE_V2,
    106 ADD_N,
    107 GATHER_ND,
    108 COS,
    109 WHERE,
    110 RANK,
    111 ELU,
    112 REVERSE_SEQUENCE,
    113 MATRIX_DIAG,
    114 QUANTIZE,
    115 MATRIX_SET_DIAG,
    116 ROUND,
    117 HARD_SWISH,
    118 IF,
    119 WHILE,
    120 NON_MAX_SUPPRESSION_V4,
    121 NON_MAX_SUPPRESSION_V5,
    122 SCATTER_ND,
    123 SELECT_V2,
    124 DENSIFY,
    125 SEGMENT_SUM,
    126 BATCH_MATMUL,
    127 PLACEHOLDER_FOR_GREATER_OP_CODES,
    128 CUMSUM,
    129 CALL_ONCE,
    130 BROADCAST_TO,
    131 RFFT2D,
    132 CONV_3D,
    133 IMAG,
    134 REAL,
    135 COMPLEX_ABS,
    136 HASHTABLE,
    137 HASHTABLE_FIND,
    138 HASHTABLE_IMPORT,
    139 HASHTABLE_SIZE,
    140 REDUCE_ALL,
    141 CONV_3D_TRANSPOSE,
    142 VAR_HANDLE,
    143 READ_VARIABLE,
    144 ASSIGN_VARIABLE,
    145 BROADCAST_ARGS,
    146 RANDOM_STANDARD_NORMAL,
    147 BUCKETIZE,
    148 RANDOM_UNIFORM,
    149 MULTINOMIAL,
    150 GELU,
    151 DYNAMIC_UPDATE_SLICE,
    152 RELU_0_TO_1,
    153 UNSORTED_SEGMENT_PROD,
    154 UNSORTED_SEGMENT_MAX,
    155 UNSORTED_SEGMENT_SUM,
    156 ATAN2,
    157 UNSORTED_SEGMENT_MIN,
    158 SIGN,
    159 BITCAST,
    160 BITWISE_XOR,
    161 RIGHT_SHIFT,
}

/// Names of the `BuiltinOptions` union members, indexed by union type (0 is `NONE`).
const BUILTIN_OPTIONS_NAMES: &[&str] = &[
    "NONE",
    "Conv2DOptions",
    "DepthwiseConv2DOptions",
    "ConcatEmbeddingsOptions",
    "LSHProjectionOptions",
    "Pool2DOptions",
    "SVDFOptions",
    "RNNOptions",
    "FullyConnectedOptions",
    "SoftmaxOptions",
    "ConcatenationOptions",
    "AddOptions",
    "L2NormOptions",
    "LocalResponseNormalizationOptions",
    "LSTMOptions",
    "ResizeBilinearOptions",
    "CallOptions",
    "ReshapeOptions",
    "SkipGramOptions",
    "SpaceToDepthOptions",
    "EmbeddingLookupSparseOptions",
    "MulOptions",
    "PadOptions",
    "GatherOptions",
    "BatchToSpaceNDOptions",
    "SpaceToBatchNDOptions",
    "TransposeOptions",
    "ReducerOptions",
    "SubOptions",
    "DivOptions",
    "SqueezeOptions",
    "SequenceRNNOptions",
    "StridedSliceOptions",
    "ExpOptions",
    "TopKV2Options",
    "SplitOptions",
    "LogSoftmaxOptions",
    "CastOptions",
    "DequantizeOptions",
    "MaximumMinimumOptions",
    "ArgMaxOptions",
    "LessOptions",
    "NegOptions",
    "PadV2Options",
    "GreaterOptions",
    "GreaterEqualOptions",
    "LessEqualOptions",
    "SelectOptions",
    "SliceOptions",
    "TransposeConvOptions",
    "SparseToDenseOptions",
    "TileOptions",
    "ExpandDimsOptions",
    "EqualOptions",
    "NotEqualOptions",
    "ShapeOptions",
    "PowOptions",
    "ArgMinOptions",
    "FakeQuantOptions",
    "PackOptions",
    "LogicalOrOptions",
    "OneHotOptions",
    "LogicalAndOptions",
    "LogicalNotOptions",
    "UnpackOptions",
    "FloorDivOptions",
    "SquareOptions",
    "ZerosLikeOptions",
    "FillOptions",
    "BidirectionalSequenceLSTMOptions",
    "BidirectionalSequenceRNNOptions",
    "UnidirectionalSequenceLSTMOptions",
    "FloorModOptions",
    "RangeOptions",
    "ResizeNearestNeighborOptions",
    "LeakyReluOptions",
    "SquaredDifferenceOptions",
    "MirrorPadOptions",
    "AbsOptions",
    "SplitVOptions",
    "UniqueOptions",
    "ReverseV2Options",
    "AddNOptions",
    "GatherNdOptions",
    "CosOptions",
    "WhereOptions",
    "RankOptions",
    "ReverseSequenceOptions",
    "MatrixDiagOptions",
    "QuantizeOptions",
    "MatrixSetDiagOptions",
    "HardSwishOptions",
    "IfOptions",
    "WhileOptions",
    "DepthToSpaceOptions",
    "NonMaxSuppressionV4Options",
    "NonMaxSuppressionV5Options",
    "ScatterNdOptions",
    "SelectV2Options",
    "DensifyOptions",
    "SegmentSumOptions",
    "BatchMatMulOptions",
    "CumsumOptions",
    "CallOnceOptions",
    "BroadcastToOptions",
    "Rfft2dOptions",
    "Conv3DOptions",
    "HashtableOptions",
    "HashtableFindOptions",
    "HashtableImportOptions",
    "HashtableSizeOptions",
    "VarHandleOptions",
    "ReadVariableOptions",
    "AssignVariableOptions",
    "RandomOptions",
    "BucketizeOptions",
    "GeluOptions",
    "DynamicUpdateSliceOptions",
    "UnsortedSegmentProdOptions",
    "UnsortedSegmentMaxOptions",
    "UnsortedSegmentMinOptions",
    "UnsortedSegmentSumOptions",
    "ATan2Options",
    "SignOptions",
    "BitcastOptions",
    "BitwiseXorOptions",
    "RightShiftOptions",
];

/// The name of builtin operator `code` (`"CONV_2D"`), or `None` for a code this reader does not
/// know (it knows `ADD` = 0 to `RIGHT_SHIFT` = 161).
pub fn builtin_name(code: i32) -> Option<&'static str> {
    usize::try_from(code).ok().and_then(|i| BUILTIN_NAMES.get(i)).copied()
}

/// The name of builtin operator `code`: `"CONV_2D"` for known codes, `"BUILTIN_<n>"` otherwise.
pub fn op_name(code: i32) -> Cow<'static, str> {
    match builtin_name(code) {
        Some(name) => Cow::Borrowed(name),
        None => Cow::Owned(format!("BUILTIN_{code}")),
    }
}

/// The name of a `BuiltinOptions` union type (`8` is `"FullyConnectedOptions"`); `0` is `"NONE"`.
pub fn builtin_options_name(options_type: u8) -> Option<&'static str> {
    BUILTIN_OPTIONS_NAMES.get(usize::from(options_type)).copied()
}

/// The operator an operator code stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// A builtin operator, by its `BuiltinOperator` code (see [`builtin`]).
    Builtin(i32),
    /// A custom operator (builtin code `CUSTOM`), by its custom code.
    Custom(String),
}

impl OpCode {
    /// The builtin code, or `None` for a custom operator.
    pub fn builtin(&self) -> Option<i32> {
        match self {
            OpCode::Builtin(code) => Some(*code),
            OpCode::Custom(_) => None,
        }
    }
}

impl fmt::Display for OpCode {
    /// `CONV_2D`, `BUILTIN_200` or `CUSTOM:TFLite_Detection_PostProcess`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpCode::Builtin(code) => f.write_str(&op_name(*code)),
            OpCode::Custom(name) => write!(f, "CUSTOM:{name}"),
        }
    }
}

/// The fused activation of an operator (`ActivationFunctionType`, an option field of many
/// builtin operators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Activation {
    #[default]
    None,
    Relu,
    ReluN1To1,
    Relu6,
    Tanh,
    SignBit,
}

impl Activation {
    /// The activation stored as `code`, or `None` for an unknown code.
    pub fn from_code(code: i8) -> Option<Activation> {
        Some(match code {
            0 => Activation::None,
            1 => Activation::Relu,
            2 => Activation::ReluN1To1,
            3 => Activation::Relu6,
            4 => Activation::Tanh,
            5 => Activation::SignBit,
            _ => return None,
        })
    }

    /// The code stored in the flatbuffer.
    pub fn code(self) -> i8 {
        match self {
            Activation::None => 0,
            Activation::Relu => 1,
            Activation::ReluN1To1 => 2,
            Activation::Relu6 => 3,
            Activation::Tanh => 4,
            Activation::SignBit => 5,
        }
    }
}

/// The padding of convolutions and pools (`Padding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Padding {
    #[default]
    Same,
    Valid,
}

impl Padding {
    /// The padding stored as `code`, or `None` for an unknown code.
    pub fn from_code(code: i8) -> Option<Padding> {
        match code {
            0 => Some(Padding::Same),
            1 => Some(Padding::Valid),
            _ => None,
        }
    }

    /// The code stored in the flatbuffer.
    pub fn code(self) -> i8 {
        match self {
            Padding::Same => 0,
            Padding::Valid => 1,
        }
    }
}
