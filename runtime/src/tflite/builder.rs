//! [`ModelBuilder`]: writes small, valid `.tflite` files from Rust, for tests and examples.
//!
//! ```ignore
//! let mut b = ModelBuilder::new();
//! let w = b.buffer(bytes_of_f32(&[0.5, -1.0]));
//! let bias = b.buffer(bytes_of_f32(&[0.25, 0.0]));
//! let input = b.tensor("input", TensorKind::Float32, &[1, 1], None, None);
//! let weights = b.tensor("weights", TensorKind::Float32, &[2, 1], Some(w), None);
//! let bias = b.tensor("bias", TensorKind::Float32, &[2], Some(bias), None);
//! let output = b.tensor("output", TensorKind::Float32, &[1, 2], None, None);
//! let options = BuiltinOptions::FullyConnected { fused_activation: Activation::Relu };
//! b.operator(builtin::FULLY_CONNECTED, &[input, weights, bias], &[output], Some(options));
//! b.inputs(&[input]).outputs(&[output]);
//! let bytes: Vec<u8> = b.finish();
//! ```
//!
//! The builder follows the TensorFlow Lite converter's conventions: schema version 3, the `TFL3`
//! identifier, an empty sentinel buffer 0, one subgraph named "main", and buffer data aligned to
//! 16 bytes from the start of the file.

use flatbuffers::{FlatBufferBuilder, TableFinishedWIPOffset, WIPOffset};

use super::{Activation, Padding, Quantization, TensorKind, builtin};

/// Alignment of buffer data in the file, as the TensorFlow Lite converter writes it.
const DATA_ALIGNMENT: usize = 16;

/// The options of a builtin operator, for the operators the builder supports. Numeric fields are
/// written as given (the interpreter reads absent ones as 0, except dilations, which default
/// to 1).
#[derive(Debug, Clone, PartialEq)]
pub enum BuiltinOptions {
    /// `CONV_2D`.
    Conv2D {
        padding: Padding,
        stride_w: i32,
        stride_h: i32,
        fused_activation: Activation,
        dilation_w: i32,
        dilation_h: i32,
    },
    /// `DEPTHWISE_CONV_2D`.
    DepthwiseConv2D {
        padding: Padding,
        stride_w: i32,
        stride_h: i32,
        depth_multiplier: i32,
        fused_activation: Activation,
        dilation_w: i32,
        dilation_h: i32,
    },
    /// `AVERAGE_POOL_2D`, `MAX_POOL_2D` and `L2_POOL_2D`.
    Pool2D {
        padding: Padding,
        stride_w: i32,
        stride_h: i32,
        filter_width: i32,
        filter_height: i32,
        fused_activation: Activation,
    },
    /// `FULLY_CONNECTED` (default weights format, `keep_num_dims` false).
    FullyConnected { fused_activation: Activation },
    /// `SOFTMAX`.
    Softmax { beta: f32 },
    /// `CONCATENATION`.
    Concatenation { axis: i32, fused_activation: Activation },
    /// `ADD`.
    Add { fused_activation: Activation },
    /// `SUB`.
    Sub { fused_activation: Activation },
    /// `MUL`.
    Mul { fused_activation: Activation },
    /// `RESHAPE`.
    Reshape { new_shape: Vec<i32> },
    /// `FULLY_CONNECTED` with every option of the default weights format.
    FullyConnectedWith { fused_activation: Activation, keep_num_dims: bool, asymmetric_quantize_inputs: bool },
    /// `DIV`.
    Div { fused_activation: Activation },
    /// `MEAN`, `SUM`, `REDUCE_MAX`, `REDUCE_MIN`, `REDUCE_PROD`, `REDUCE_ANY`.
    Reducer { keep_dims: bool },
    /// `RESIZE_BILINEAR`.
    ResizeBilinear { align_corners: bool, half_pixel_centers: bool },
    /// `RESIZE_NEAREST_NEIGHBOR`.
    ResizeNearestNeighbor { align_corners: bool, half_pixel_centers: bool },
    /// `GATHER`.
    Gather { axis: i32, batch_dims: i32 },
    /// `PACK`.
    Pack { values_count: i32, axis: i32 },
    /// `MIRROR_PAD`: mode 0 is REFLECT, 1 SYMMETRIC.
    MirrorPad { mode: i8 },
    /// `LEAKY_RELU`.
    LeakyRelu { alpha: f32 },
    /// `SQUEEZE`.
    Squeeze { squeeze_dims: Vec<i32> },
    /// `STRIDED_SLICE`.
    StridedSlice { begin_mask: i32, end_mask: i32, shrink_axis_mask: i32 },
    /// `CAST` (types are `TensorKind` codes).
    Cast { in_data_type: i8, out_data_type: i8 },
}

impl BuiltinOptions {
    /// The `BuiltinOptions` union type these options are stored as.
    pub fn options_type(&self) -> u8 {
        match self {
            BuiltinOptions::Conv2D { .. } => 1,
            BuiltinOptions::DepthwiseConv2D { .. } => 2,
            BuiltinOptions::Pool2D { .. } => 5,
            BuiltinOptions::FullyConnected { .. } => 8,
            BuiltinOptions::Softmax { .. } => 9,
            BuiltinOptions::Concatenation { .. } => 10,
            BuiltinOptions::Add { .. } => 11,
            BuiltinOptions::Reshape { .. } => 17,
            BuiltinOptions::Mul { .. } => 21,
            BuiltinOptions::Sub { .. } => 28,
            BuiltinOptions::FullyConnectedWith { .. } => 8,
            BuiltinOptions::Div { .. } => 29,
            BuiltinOptions::Reducer { .. } => 27,
            BuiltinOptions::ResizeBilinear { .. } => 15,
            BuiltinOptions::ResizeNearestNeighbor { .. } => 74,
            BuiltinOptions::Gather { .. } => 23,
            BuiltinOptions::Pack { .. } => 59,
            BuiltinOptions::MirrorPad { .. } => 77,
            BuiltinOptions::LeakyRelu { .. } => 75,
            BuiltinOptions::Squeeze { .. } => 30,
            BuiltinOptions::StridedSlice { .. } => 32,
            BuiltinOptions::Cast { .. } => 37,
        }
    }

    /// Writes the options table.
    fn write(&self, fbb: &mut FlatBufferBuilder<'_>) -> WIPOffset<TableFinishedWIPOffset> {
        // Vectors must be written before the table that refers to them.
        let new_shape = match self {
            BuiltinOptions::Reshape { new_shape } => Some(fbb.create_vector(new_shape)),
            BuiltinOptions::Squeeze { squeeze_dims } => Some(fbb.create_vector(squeeze_dims)),
            _ => None,
        };
        let table = fbb.start_table();
        match *self {
            BuiltinOptions::Conv2D { padding, stride_w, stride_h, fused_activation, dilation_w, dilation_h } => {
                fbb.push_slot(slot(0), padding.code(), 0);
                fbb.push_slot(slot(1), stride_w, 0);
                fbb.push_slot(slot(2), stride_h, 0);
                fbb.push_slot(slot(3), fused_activation.code(), 0);
                fbb.push_slot(slot(4), dilation_w, 1);
                fbb.push_slot(slot(5), dilation_h, 1);
            }
            BuiltinOptions::DepthwiseConv2D {
                padding,
                stride_w,
                stride_h,
                depth_multiplier,
                fused_activation,
                dilation_w,
                dilation_h,
            } => {
                fbb.push_slot(slot(0), padding.code(), 0);
                fbb.push_slot(slot(1), stride_w, 0);
                fbb.push_slot(slot(2), stride_h, 0);
                fbb.push_slot(slot(3), depth_multiplier, 0);
                fbb.push_slot(slot(4), fused_activation.code(), 0);
                fbb.push_slot(slot(5), dilation_w, 1);
                fbb.push_slot(slot(6), dilation_h, 1);
            }
            BuiltinOptions::Pool2D { padding, stride_w, stride_h, filter_width, filter_height, fused_activation } => {
                fbb.push_slot(slot(0), padding.code(), 0);
                fbb.push_slot(slot(1), stride_w, 0);
                fbb.push_slot(slot(2), stride_h, 0);
                fbb.push_slot(slot(3), filter_width, 0);
                fbb.push_slot(slot(4), filter_height, 0);
                fbb.push_slot(slot(5), fused_activation.code(), 0);
            }
            BuiltinOptions::FullyConnected { fused_activation } => {
                fbb.push_slot(slot(0), fused_activation.code(), 0);
            }
            BuiltinOptions::Softmax { beta } => fbb.push_slot(slot(0), beta, 0.0),
            BuiltinOptions::Concatenation { axis, fused_activation } => {
                fbb.push_slot(slot(0), axis, 0);
                fbb.push_slot(slot(1), fused_activation.code(), 0);
            }
            BuiltinOptions::Add { fused_activation }
            | BuiltinOptions::Sub { fused_activation }
            | BuiltinOptions::Mul { fused_activation } => {
                fbb.push_slot(slot(0), fused_activation.code(), 0);
            }
            BuiltinOptions::Reshape { .. } | BuiltinOptions::Squeeze { .. } => {}
            BuiltinOptions::FullyConnectedWith { fused_activation, keep_num_dims, asymmetric_quantize_inputs } => {
                fbb.push_slot(slot(0), fused_activation.code(), 0);
                fbb.push_slot(slot(2), keep_num_dims, false);
                fbb.push_slot(slot(3), asymmetric_quantize_inputs, false);
            }
            BuiltinOptions::Div { fused_activation } => fbb.push_slot(slot(0), fused_activation.code(), 0),
            BuiltinOptions::Reducer { keep_dims } => fbb.push_slot(slot(0), keep_dims, false),
            BuiltinOptions::ResizeBilinear { align_corners, half_pixel_centers } => {
                fbb.push_slot(slot(2), align_corners, false);
                fbb.push_slot(slot(3), half_pixel_centers, false);
            }
            BuiltinOptions::ResizeNearestNeighbor { align_corners, half_pixel_centers } => {
                fbb.push_slot(slot(0), align_corners, false);
                fbb.push_slot(slot(1), half_pixel_centers, false);
            }
            BuiltinOptions::Gather { axis, batch_dims } => {
                fbb.push_slot(slot(0), axis, 0);
                fbb.push_slot(slot(1), batch_dims, 0);
            }
            BuiltinOptions::Pack { values_count, axis } => {
                fbb.push_slot(slot(0), values_count, 0);
                fbb.push_slot(slot(1), axis, 0);
            }
            BuiltinOptions::MirrorPad { mode } => fbb.push_slot(slot(0), mode, 0),
            BuiltinOptions::LeakyRelu { alpha } => fbb.push_slot(slot(0), alpha, 0.0),
            BuiltinOptions::StridedSlice { begin_mask, end_mask, shrink_axis_mask } => {
                fbb.push_slot(slot(0), begin_mask, 0);
                fbb.push_slot(slot(1), end_mask, 0);
                fbb.push_slot(slot(4), shrink_axis_mask, 0);
            }
            BuiltinOptions::Cast { in_data_type, out_data_type } => {
                fbb.push_slot(slot(0), in_data_type, 0);
                fbb.push_slot(slot(1), out_data_type, 0);
            }
        }
        if let Some(new_shape) = new_shape {
            fbb.push_slot_always(slot(0), new_shape);
        }
        fbb.end_table(table)
    }
}

/// The vtable offset of field `index`.
const fn slot(index: u16) -> u16 {
    4 + 2 * index
}

/// Little-endian bytes of `f32` values, for [`ModelBuilder::buffer`].
pub fn bytes_of_f32(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Little-endian bytes of `i32` values, for [`ModelBuilder::buffer`].
pub fn bytes_of_i32(values: &[i32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Little-endian bytes of `i64` values, for [`ModelBuilder::buffer`].
pub fn bytes_of_i64(values: &[i64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Little-endian bytes of `i16` values, for [`ModelBuilder::buffer`].
pub fn bytes_of_i16(values: &[i16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Bytes of `i8` values, for [`ModelBuilder::buffer`].
pub fn bytes_of_i8(values: &[i8]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[derive(Debug, Clone)]
struct TensorSpec {
    name: String,
    kind: TensorKind,
    /// `None` writes no `shape` field (some converters leave it out).
    shape: Option<Vec<i32>>,
    buffer: u32,
    quantization: Option<Quantization>,
}

#[derive(Debug, Clone)]
struct OperatorSpec {
    opcode_index: u32,
    inputs: Vec<i32>,
    outputs: Vec<i32>,
    options: Option<BuiltinOptions>,
    custom_options: Option<Vec<u8>>,
}

/// An operator code: builtin code and, for custom operators, the custom code.
#[derive(Debug, Clone, PartialEq)]
struct CodeSpec {
    builtin: i32,
    custom: Option<String>,
}

/// Builds a single-subgraph TensorFlow Lite model; see the [module documentation](self).
///
/// Indices are not checked: referring to a tensor or buffer that does not exist makes a model
/// the reader rejects.
#[derive(Debug, Clone)]
pub struct ModelBuilder {
    description: Option<String>,
    buffers: Vec<Vec<u8>>,
    tensors: Vec<TensorSpec>,
    codes: Vec<CodeSpec>,
    operators: Vec<OperatorSpec>,
    inputs: Vec<i32>,
    outputs: Vec<i32>,
}

impl Default for ModelBuilder {
    fn default() -> Self {
        ModelBuilder::new()
    }
}

impl ModelBuilder {
    /// An empty model, with the sentinel buffer 0.
    pub fn new() -> Self {
        ModelBuilder {
            description: None,
            buffers: vec![Vec::new()],
            tensors: Vec::new(),
            codes: Vec::new(),
            operators: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
        }
    }

    /// Sets the model's description.
    pub fn description(&mut self, text: &str) -> &mut Self {
        self.description = Some(text.to_string());
        self
    }

    /// Adds a buffer of constant data (little-endian elements; see [`bytes_of_f32`] and friends)
    /// and returns its index, for [`tensor`](Self::tensor).
    pub fn buffer(&mut self, data: impl Into<Vec<u8>>) -> u32 {
        self.buffers.push(data.into());
        index_u32(self.buffers.len() - 1)
    }

    /// Adds a tensor and returns its index. `buffer` holds the data of a constant tensor; `None`
    /// for tensors computed at run time.
    pub fn tensor(
        &mut self,
        name: &str,
        kind: TensorKind,
        shape: &[i32],
        buffer: Option<u32>,
        quantization: Option<Quantization>,
    ) -> i32 {
        self.tensors.push(TensorSpec {
            name: name.to_string(),
            kind,
            shape: Some(shape.to_vec()),
            buffer: buffer.unwrap_or(0),
            quantization,
        });
        index_i32(self.tensors.len() - 1)
    }

    /// Leaves the `shape` field of `tensor` out of the file, as some converters do for scalars
    /// and computed tensors.
    pub fn omit_shape(&mut self, tensor: i32) -> &mut Self {
        if let Some(spec) = usize::try_from(tensor).ok().and_then(|i| self.tensors.get_mut(i)) {
            spec.shape = None;
        }
        self
    }

    /// The index of the operator code, added if new.
    fn code(&mut self, code: CodeSpec) -> u32 {
        let index = match self.codes.iter().position(|c| *c == code) {
            Some(index) => index,
            None => {
                self.codes.push(code);
                self.codes.len() - 1
            }
        };
        index_u32(index)
    }

    /// Adds a builtin operator (a code from [`builtin`]) and returns its index. Operators run in
    /// the order they are added.
    pub fn operator(&mut self, code: i32, inputs: &[i32], outputs: &[i32], options: Option<BuiltinOptions>) -> usize {
        let opcode_index = self.code(CodeSpec { builtin: code, custom: None });
        self.operators.push(OperatorSpec {
            opcode_index,
            inputs: inputs.to_vec(),
            outputs: outputs.to_vec(),
            options,
            custom_options: None,
        });
        self.operators.len() - 1
    }

    /// Adds a custom operator named `custom_code`, with opaque `custom_options` (empty for none),
    /// and returns its index.
    pub fn custom_operator(
        &mut self,
        custom_code: &str,
        inputs: &[i32],
        outputs: &[i32],
        custom_options: &[u8],
    ) -> usize {
        let opcode_index = self.code(CodeSpec { builtin: builtin::CUSTOM, custom: Some(custom_code.to_string()) });
        self.operators.push(OperatorSpec {
            opcode_index,
            inputs: inputs.to_vec(),
            outputs: outputs.to_vec(),
            options: None,
            custom_options: (!custom_options.is_empty()).then(|| custom_options.to_vec()),
        });
        self.operators.len() - 1
    }

    /// Encodes custom operator options as a FlexBuffer map (the format TFLite's custom operators
    /// read), with integer, float and boolean entries, for [`custom_operator`](Self::custom_operator).
    pub fn flex_map(ints: &[(&str, i64)], floats: &[(&str, f64)], bools: &[(&str, bool)]) -> Vec<u8> {
        // (key, FlexBuffer type, 8-byte value); every width is 8 bytes.
        let mut entries: Vec<(&str, u8, [u8; 8])> = Vec::new();
        entries.extend(ints.iter().map(|&(k, v)| (k, 1, v.to_le_bytes())));
        entries.extend(floats.iter().map(|&(k, v)| (k, 3, v.to_le_bytes())));
        entries.extend(bools.iter().map(|&(k, v)| (k, 26, u64::from(v).to_le_bytes())));
        // Readers look keys up by binary search.
        entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let offset = |from: usize, to: usize| (from.saturating_sub(to) as u64).to_le_bytes();
        let mut buf = Vec::new();
        let mut key_positions = Vec::new();
        for (key, _, _) in &entries {
            key_positions.push(buf.len());
            buf.extend_from_slice(key.as_bytes());
            buf.push(0);
        }
        buf.resize(buf.len().div_ceil(8) * 8, 0);
        buf.extend_from_slice(&(entries.len() as u64).to_le_bytes());
        let keys = buf.len();
        for &position in &key_positions {
            let here = buf.len();
            buf.extend_from_slice(&offset(here, position));
        }
        let here = buf.len();
        buf.extend_from_slice(&offset(here, keys));
        buf.extend_from_slice(&8u64.to_le_bytes());
        buf.extend_from_slice(&(entries.len() as u64).to_le_bytes());
        let map = buf.len();
        for (_, _, value) in &entries {
            buf.extend_from_slice(value);
        }
        for (_, kind, _) in &entries {
            buf.push(kind << 2 | 3);
        }
        let here = buf.len();
        buf.extend_from_slice(&offset(here, map));
        buf.push(9 << 2 | 3);
        buf.push(8);
        buf
    }

    /// Sets the model's input tensors.
    pub fn inputs(&mut self, tensors: &[i32]) -> &mut Self {
        self.inputs = tensors.to_vec();
        self
    }

    /// Sets the model's output tensors.
    pub fn outputs(&mut self, tensors: &[i32]) -> &mut Self {
        self.outputs = tensors.to_vec();
        self
    }

    /// Writes the model.
    pub fn finish(&self) -> Vec<u8> {
        let mut fbb = FlatBufferBuilder::new();
        // FlatBuffers are written back to front: writing the buffers first puts their data at the
        // end of the file, after the tables, as the converter does.
        let buffers: Vec<_> = self.buffers.iter().map(|data| write_buffer(&mut fbb, data)).collect();
        let tensors: Vec<_> = self.tensors.iter().map(|tensor| write_tensor(&mut fbb, tensor)).collect();
        let operators: Vec<_> = self.operators.iter().map(|operator| write_operator(&mut fbb, operator)).collect();
        let codes: Vec<_> = self.codes.iter().map(|code| write_code(&mut fbb, code)).collect();

        let tensors = fbb.create_vector(&tensors);
        let inputs = fbb.create_vector(&self.inputs);
        let outputs = fbb.create_vector(&self.outputs);
        let operators = fbb.create_vector(&operators);
        let name = fbb.create_string("main");
        let subgraph = fbb.start_table();
        fbb.push_slot_always(slot(0), tensors);
        fbb.push_slot_always(slot(1), inputs);
        fbb.push_slot_always(slot(2), outputs);
        fbb.push_slot_always(slot(3), operators);
        fbb.push_slot_always(slot(4), name);
        let subgraph = fbb.end_table(subgraph);

        let codes = fbb.create_vector(&codes);
        let subgraphs = fbb.create_vector(&[subgraph]);
        let description = self.description.as_deref().map(|text| fbb.create_string(text));
        let buffers = fbb.create_vector(&buffers);
        let model = fbb.start_table();
        fbb.push_slot_always(slot(0), 3u32);
        fbb.push_slot_always(slot(1), codes);
        fbb.push_slot_always(slot(2), subgraphs);
        if let Some(description) = description {
            fbb.push_slot_always(slot(3), description);
        }
        fbb.push_slot_always(slot(4), buffers);
        let model = fbb.end_table(model);
        fbb.finish(model, Some("TFL3"));
        align_file(fbb.finished_data())
    }
}

fn index_u32(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

fn index_i32(index: usize) -> i32 {
    i32::try_from(index).unwrap_or(i32::MAX)
}

/// Writes a `Buffer` table, with its data aligned to [`DATA_ALIGNMENT`] bytes from the end of the
/// file ([`align_file`] makes that the same as from the start).
fn write_buffer(fbb: &mut FlatBufferBuilder<'_>, data: &[u8]) -> WIPOffset<TableFinishedWIPOffset> {
    let data = (!data.is_empty()).then(|| {
        // Alignment is relative to the end of the buffer, which is all that exists so far. The
        // data's first byte will be `used + data.len()` bytes from the end.
        let used = fbb.unfinished_data().len();
        let padding = (DATA_ALIGNMENT - (used + data.len()) % DATA_ALIGNMENT) % DATA_ALIGNMENT;
        for _ in 0..padding {
            fbb.push(0u8);
        }
        fbb.create_vector(data)
    });
    let table = fbb.start_table();
    if let Some(data) = data {
        fbb.push_slot_always(slot(0), data);
    }
    fbb.end_table(table)
}

fn write_tensor(fbb: &mut FlatBufferBuilder<'_>, tensor: &TensorSpec) -> WIPOffset<TableFinishedWIPOffset> {
    let shape = tensor.shape.as_ref().map(|shape| fbb.create_vector(shape));
    let name = fbb.create_string(&tensor.name);
    let quantization = tensor.quantization.as_ref().map(|q| {
        let scale = fbb.create_vector(&q.scale);
        let zero_point = fbb.create_vector(&q.zero_point);
        let table = fbb.start_table();
        fbb.push_slot_always(slot(2), scale);
        fbb.push_slot_always(slot(3), zero_point);
        fbb.push_slot(slot(6), q.quantized_dimension, 0);
        fbb.end_table(table)
    });
    let table = fbb.start_table();
    if let Some(shape) = shape {
        fbb.push_slot_always(slot(0), shape);
    }
    fbb.push_slot(slot(1), tensor.kind.code(), 0);
    fbb.push_slot(slot(2), tensor.buffer, 0);
    fbb.push_slot_always(slot(3), name);
    if let Some(quantization) = quantization {
        fbb.push_slot_always(slot(4), quantization);
    }
    fbb.end_table(table)
}

fn write_operator(fbb: &mut FlatBufferBuilder<'_>, operator: &OperatorSpec) -> WIPOffset<TableFinishedWIPOffset> {
    let inputs = fbb.create_vector(&operator.inputs);
    let outputs = fbb.create_vector(&operator.outputs);
    let options = operator.options.as_ref().map(|options| (options.options_type(), options.write(fbb)));
    let custom_options = operator.custom_options.as_ref().map(|bytes| fbb.create_vector(bytes));
    let table = fbb.start_table();
    fbb.push_slot(slot(0), operator.opcode_index, 0);
    fbb.push_slot_always(slot(1), inputs);
    fbb.push_slot_always(slot(2), outputs);
    if let Some((options_type, options)) = options {
        fbb.push_slot_always(slot(3), options_type);
        fbb.push_slot_always(slot(4), options);
    }
    if let Some(custom_options) = custom_options {
        fbb.push_slot_always(slot(5), custom_options);
    }
    fbb.end_table(table)
}

fn write_code(fbb: &mut FlatBufferBuilder<'_>, code: &CodeSpec) -> WIPOffset<TableFinishedWIPOffset> {
    let custom = code.custom.as_deref().map(|name| fbb.create_string(name));
    // Readers older than builtin code 127 only know the byte-sized field, which holds
    // PLACEHOLDER_FOR_GREATER_OP_CODES for larger codes.
    let deprecated = i8::try_from(code.builtin.min(builtin::PLACEHOLDER_FOR_GREATER_OP_CODES)).unwrap_or(0);
    let table = fbb.start_table();
    fbb.push_slot(slot(0), deprecated, 0);
    if let Some(custom) = custom {
        fbb.push_slot_always(slot(1), custom);
    }
    fbb.push_slot_always(slot(2), 1i32);
    fbb.push_slot(slot(3), code.builtin, 0);
    fbb.end_table(table)
}

/// Pads a finished flatbuffer to a multiple of [`DATA_ALIGNMENT`] bytes, so that what was aligned
/// from its end is aligned from its start. The padding goes between the 8-byte header and the
/// rest; only the root offset, the one offset that crosses it, changes.
fn align_file(finished: &[u8]) -> Vec<u8> {
    let padding = (DATA_ALIGNMENT - finished.len() % DATA_ALIGNMENT) % DATA_ALIGNMENT;
    let (header, rest) = finished.split_at(finished.len().min(8));
    let mut root = [0u8; 4];
    root.copy_from_slice(header.get(..4).unwrap_or(&[0; 4]));
    let root = u32::from_le_bytes(root).saturating_add(index_u32(padding));
    let mut file = Vec::with_capacity(finished.len() + padding);
    file.extend_from_slice(&root.to_le_bytes());
    file.extend_from_slice(header.get(4..).unwrap_or_default());
    file.resize(file.len() + padding, 0);
    file.extend_from_slice(rest);
    file
}
