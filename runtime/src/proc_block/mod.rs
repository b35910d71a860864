//! Built-in proc-blocks: one file each, holding the block's signature and its implementation.
//! Semantics follow `hotg-ai/proc-blocks` tag v0.11.3 (see the spec, §6), including the quirks;
//! where the original panicked, the block returns a [`ProcBlockError`] with the panic message.
//!
//! Integer arithmetic follows the original's release build (the Runes were compiled with
//! `--release`): overflowing `+`, `-`, `*` and shifts wrap instead of panicking.
use std::fmt::Display;
use std::str::FromStr;

use crate::catalog::{ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{ElementType, Tensor, TensorData};

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

/// The setters of a block's properties (the original's generated `set_<field>(&str)`).
pub(crate) trait Configure: ProcBlock + Default + 'static {
    /// Parses `value` into the property `key`. Blocks without properties keep the default,
    /// which rejects every key.
    fn set(&mut self, key: &str, value: &str) -> Result<(), ProcBlockError> {
        let _ = value;
        Err(unknown_arg(key))
    }
}

/// The `create` of every built-in: the defaults, then each arg in declaration order.
pub(crate) fn create<T: Configure>(args: &[(String, String)]) -> Result<Box<dyn ProcBlock>, ProcBlockError> {
    let mut block = T::default();
    for (key, value) in args {
        block.set(key, value)?;
    }
    Ok(Box::new(block))
}

/// Parses an arg with Rust's `FromStr`, like the original setter.
pub(crate) fn parse_arg<T>(key: &str, value: &str) -> Result<T, ProcBlockError>
where
    T: FromStr,
    T::Err: Display,
{
    value.parse().map_err(|e| ProcBlockError(format!("\"{key}\" can't be {value:?}: {e}")))
}

/// The error for an arg the block does not have.
pub(crate) fn unknown_arg(key: &str) -> ProcBlockError {
    ProcBlockError(format!("\"{key}\" is not an argument of this proc-block"))
}

/// Shorthand for an error with a message.
pub(crate) fn error(message: impl Into<String>) -> ProcBlockError {
    ProcBlockError(message.into())
}

/// The `N` inputs of a block that takes exactly `N`.
pub(crate) fn take_inputs<'a, const N: usize>(
    block: &str,
    inputs: &'a [Tensor],
) -> Result<[&'a Tensor; N], ProcBlockError> {
    let found = inputs.len();
    let refs: Vec<&Tensor> = inputs.iter().collect();
    refs.try_into().map_err(|_| {
        let s = if N == 1 { "" } else { "s" };
        error(format!("{block} takes {N} input{s}, but it was given {found}"))
    })
}

/// A tensor of the given dimensions (an error if the element count does not match).
pub(crate) fn shaped(dimensions: Vec<usize>, data: TensorData) -> Result<Tensor, ProcBlockError> {
    Tensor::new(dimensions, data).map_err(|e| error(e.to_string()))
}

/// The error for an input of an element type the block has no implementation for (the
/// original would not have compiled).
pub(crate) fn unsupported(block: &str, tensor: &Tensor) -> ProcBlockError {
    error(format!("{block} doesn't support {} inputs", tensor.element_type()))
}

/// The panic message of `Option::unwrap` on `None`, which several originals hit.
pub(crate) const UNWRAP_NONE: &str = "called `Option::unwrap()` on a `None` value";

/// The message of an out-of-bounds index, as Rust words it.
pub(crate) fn index_out_of_bounds(index: usize, len: usize) -> ProcBlockError {
    error(format!("index out of bounds: the len is {len} but the index is {index}"))
}

/// A numeric element type, with the conversions the originals used (`num-traits` semantics).
pub(crate) trait Element: Copy + PartialOrd + Send + 'static {
    /// `T::min_value()` / `T::max_value()` as f32 (`as` rounding).
    const MIN_F32: f32;
    const MAX_F32: f32;
    /// `ToPrimitive::to_f32`: an `as` cast (never fails for these types).
    fn to_f32(self) -> f32;
    /// `FromPrimitive::from_f32`: truncates toward zero; `None` for NaN or when the truncated
    /// value does not fit (floats: always `Some`, with `as` rounding).
    fn from_f32(value: f32) -> Option<Self>;
    /// `self - other` in the type's own arithmetic (integers wrap, as in a release build).
    fn sub(self, other: Self) -> Self;
    /// `self / other` in the type's own arithmetic; `None` where Rust panics even in release
    /// (division by zero and `MIN / -1` for integers).
    fn div(self, other: Self) -> Option<Self>;
    /// NaN check (always false for integers).
    fn is_nan(self) -> bool;
    /// Wraps a vector of elements.
    fn into_data(values: Vec<Self>) -> TensorData;
}

macro_rules! int_element {
    ($($t:ident => $variant:ident, $max_p1:expr;)*) => {$(
        impl Element for $t {
            const MIN_F32: f32 = $t::MIN as f32;
            const MAX_F32: f32 = $t::MAX as f32;
            fn to_f32(self) -> f32 {
                self as f32
            }
            fn from_f32(value: f32) -> Option<Self> {
                // `MIN` is a power of two (or 0) and `MAX + 1` is a power of two, so both bounds
                // are exact in f64.
                let t = f64::from(value).trunc();
                (t >= $t::MIN as f64 && t < $max_p1).then(|| t as $t)
            }
            fn sub(self, other: Self) -> Self {
                self.wrapping_sub(other)
            }
            fn div(self, other: Self) -> Option<Self> {
                self.checked_div(other)
            }
            fn is_nan(self) -> bool {
                false
            }
            fn into_data(values: Vec<Self>) -> TensorData {
                TensorData::$variant(values)
            }
        }
    )*};
}

int_element! {
    u8 => U8, 256.0;
    i8 => I8, 128.0;
    u16 => U16, 65_536.0;
    i16 => I16, 32_768.0;
    u32 => U32, 4_294_967_296.0;
    i32 => I32, 2_147_483_648.0;
    u64 => U64, 18_446_744_073_709_551_616.0;
    i64 => I64, 9_223_372_036_854_775_808.0;
}

macro_rules! float_element {
    ($($t:ident => $variant:ident;)*) => {$(
        impl Element for $t {
            const MIN_F32: f32 = $t::MIN as f32;
            const MAX_F32: f32 = $t::MAX as f32;
            fn to_f32(self) -> f32 {
                self as f32
            }
            fn from_f32(value: f32) -> Option<Self> {
                Some(value as $t)
            }
            fn sub(self, other: Self) -> Self {
                self - other
            }
            fn div(self, other: Self) -> Option<Self> {
                Some(self / other)
            }
            fn is_nan(self) -> bool {
                self.is_nan()
            }
            fn into_data(values: Vec<Self>) -> TensorData {
                TensorData::$variant(values)
            }
        }
    )*};
}

float_element! {
    f32 => F32;
    f64 => F64;
}

/// Runs `$body` with `$v` bound to the elements of any numeric variant; `$other` for utf8.
macro_rules! with_numeric {
    ($data:expr, $v:ident => $body:expr, $other:pat => $fallback:expr) => {
        match $data {
            $crate::TensorData::U8($v) => $body,
            $crate::TensorData::I8($v) => $body,
            $crate::TensorData::U16($v) => $body,
            $crate::TensorData::I16($v) => $body,
            $crate::TensorData::U32($v) => $body,
            $crate::TensorData::I32($v) => $body,
            $crate::TensorData::F32($v) => $body,
            $crate::TensorData::U64($v) => $body,
            $crate::TensorData::I64($v) => $body,
            $crate::TensorData::F64($v) => $body,
            $other => $fallback,
        }
    };
}
pub(crate) use with_numeric;

/// Dimensions with leading and trailing 1s removed (`[1, 1960]` → `[1960]`).
pub(crate) fn squeeze(dimensions: &[usize]) -> &[usize] {
    let start = dimensions.iter().position(|&d| d != 1).unwrap_or(dimensions.len());
    let end = dimensions.iter().rposition(|&d| d != 1).map_or(start, |i| i + 1);
    &dimensions[start..end.max(start)]
}

#[cfg(test)]
pub(crate) mod testing {
    use crate::catalog::{ProcBlock, ProcBlockError, proc_block};
    use crate::{ElementType, Tensor, TensorData, TensorType};

    /// A fresh instance of a built-in, created from `args`.
    pub(crate) fn instance(name: &str, args: &[(&str, &str)]) -> Result<Box<dyn ProcBlock>, ProcBlockError> {
        let sig = proc_block(name).unwrap();
        let args: Vec<(String, String)> = args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        (sig.create)(&args)
    }

    /// Creates a block and runs it once with no declared outputs (see [`run_declared`]).
    pub(crate) fn run(name: &str, args: &[(&str, &str)], inputs: Vec<Tensor>) -> Result<Vec<Tensor>, ProcBlockError> {
        instance(name, args)?.transform(&inputs, &[])
    }

    /// Like [`run`], with declared output types.
    pub(crate) fn run_declared(
        name: &str,
        args: &[(&str, &str)],
        inputs: Vec<Tensor>,
        outputs: &[TensorType],
    ) -> Result<Vec<Tensor>, ProcBlockError> {
        instance(name, args)?.transform(&inputs, outputs)
    }

    /// Runs a one-output block and returns that output.
    pub(crate) fn run1(name: &str, args: &[(&str, &str)], input: Tensor) -> Result<Tensor, ProcBlockError> {
        let mut out = run(name, args, vec![input])?;
        assert_eq!(out.len(), 1, "{name} should produce one output");
        Ok(out.remove(0))
    }

    /// The error text of a failing run.
    pub(crate) fn err1(name: &str, args: &[(&str, &str)], input: Tensor) -> String {
        run1(name, args, input).unwrap_err().0
    }

    pub(crate) fn t(dims: &[usize], data: TensorData) -> Tensor {
        Tensor::new(dims.to_vec(), data).unwrap()
    }

    pub(crate) fn v(data: TensorData) -> Tensor {
        Tensor::vector(data)
    }

    pub(crate) fn ty(element_type: ElementType, dims: &[usize]) -> TensorType {
        TensorType::new(element_type, dims.to_vec())
    }

    /// The golden vectors of the original noise-filtering `smoke_test`
    /// (`testdata/noise_filtering_smoke.txt`): 1960 fft values and the expected 1960 i8.
    pub(crate) fn smoke_vectors() -> (Vec<u32>, Vec<i8>) {
        let text = include_str!("testdata/noise_filtering_smoke.txt");
        let (mut input, mut expected) = (Vec::new(), Vec::new());
        let mut section = "";
        for line in text.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
            match line {
                "[input]" | "[expected]" => section = line,
                numbers if section == "[input]" => {
                    input.extend(numbers.split_whitespace().map(|n| n.parse::<u32>().unwrap()))
                }
                numbers => expected.extend(numbers.split_whitespace().map(|n| n.parse::<i8>().unwrap())),
            }
        }
        assert_eq!((input.len(), expected.len()), (1960, 1960));
        (input, expected)
    }

    /// The microspeech sample WAVs of the shared zoo (`../shared/zoo/examples/microspeech/data`),
    /// as `(word, 16-bit mono samples)`, sorted by word; empty (with a notice) when absent.
    pub(crate) fn microspeech_wavs() -> Vec<(String, Vec<i16>)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/zoo/examples/microspeech/data");
        let Ok(words) = std::fs::read_dir(&root) else {
            println!("skipped: no microspeech WAVs at {}", root.display());
            return Vec::new();
        };
        let mut wavs = Vec::new();
        for word in words.flatten() {
            let Ok(files) = std::fs::read_dir(word.path()) else { continue };
            for file in files.flatten() {
                if file.path().extension().is_some_and(|e| e == "wav") {
                    let bytes = std::fs::read(file.path()).unwrap();
                    let samples = read_wav_i16(&bytes).unwrap_or_else(|| panic!("{}", file.path().display()));
                    wavs.push((word.file_name().to_string_lossy().into_owned(), samples));
                }
            }
        }
        wavs.sort();
        wavs
    }

    /// A minimal WAV reader for tests: the `data` chunk of a 16-bit PCM mono file.
    fn read_wav_i16(bytes: &[u8]) -> Option<Vec<i16>> {
        if bytes.get(0..4)? != b"RIFF" || bytes.get(8..12)? != b"WAVE" {
            return None;
        }
        let mut at = 12;
        let mut format_ok = false;
        while at + 8 <= bytes.len() {
            let id = &bytes[at..at + 4];
            let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().ok()?) as usize;
            let body = bytes.get(at + 8..at + 8 + len)?;
            if id == b"fmt " {
                let channels = u16::from_le_bytes(body.get(2..4)?.try_into().ok()?);
                let bits = u16::from_le_bytes(body.get(14..16)?.try_into().ok()?);
                format_ok = channels == 1 && bits == 16;
            } else if id == b"data" {
                if !format_ok {
                    return None;
                }
                return Some(body.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect());
            }
            at += 8 + len + (len & 1);
        }
        None
    }
}
