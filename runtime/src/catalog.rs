//! The catalogue: signatures of every capability, proc-block and output kind the playground has.
//!
//! Each proc-block's signature lives beside its implementation in `proc_block/<name>.rs`;
//! [`proc_blocks`] lists them. The compiler checks Runefiles against these signatures (argument
//! names and value types, input/output counts and element types), so the check and the behaviour
//! cannot drift apart.
use crate::{CapabilityKind, ElementType, Tensor, TensorType};

pub use crate::proc_block::proc_blocks;

/// The signature of a built-in proc-block.
#[derive(Debug, Clone, Copy)]
pub struct ProcBlockSignature {
    /// Catalogue name: the crate name of the original with `-` as `_` (`image_normalization`).
    pub name: &'static str,
    /// The original Rust type name (`ImageNormalization`).
    pub type_name: &'static str,
    /// One-paragraph description for users.
    pub description: &'static str,
    pub args: &'static [ArgSpec],
    pub inputs: Inputs,
    pub outputs: Outputs,
    /// Extra shape checks; each string is a warning about something that fails at run time.
    pub check_shapes: Option<ShapeCheck>,
    /// Creates a running instance from the stage's args.
    ///
    /// Each arg is `(key, value)`: the key with `-` already mapped to `_`, the value as text (with
    /// `$RESOURCE` already replaced by the resource's text). They are applied in declaration order
    /// over the defaults, like the original's generated setters, so a later duplicate wins. A
    /// value that does not parse (Rust `FromStr` of the original field type) or an unknown key
    /// is an error such as `"count" can't be "x": invalid digit found in string`; the caller adds
    /// the stage name (`Unable to set <stage>'s "<key>" to <value>`).
    pub create: CreateProcBlock,
}

/// The constructor of a proc-block: `args -> instance` (see [`ProcBlockSignature::create`]).
pub type CreateProcBlock = fn(&[(String, String)]) -> Result<Box<dyn ProcBlock>, ProcBlockError>;

/// A running proc-block: one instance per stage for the Rune's lifetime (blocks may keep state).
pub trait ProcBlock: Send {
    /// Transforms the stage's inputs (in `inputs:` order) into its outputs. `outputs` are the
    /// types the Runefile declared (e.g. `parse` produces the declared element type).
    ///
    /// Output dimensions are the block's own (as in the original), not the declared ones. Every
    /// failure the original reported by panicking is an error carrying the original's message.
    fn transform(&mut self, inputs: &[Tensor], outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError>;
}

/// Why a proc-block could not be created or could not transform its inputs. The text is the
/// original's panic message where there was one (`Index out of bounds: there are 2 labels but
/// label 42 was requested`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ProcBlockError(pub String);

/// A shape check: `(input types, declared output types, args) -> warnings`.
pub type ShapeCheck = fn(&[TensorType], &[TensorType], &dyn Fn(&str) -> Option<String>) -> Vec<String>;

/// A named argument of a proc-block or capability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArgSpec {
    /// The name with `_` (Runefiles may write `-`).
    pub name: &'static str,
    pub ty: ArgType,
    /// The default, or `None` when the argument is required.
    pub default: Option<&'static str>,
    pub doc: &'static str,
}

/// How an argument's string value is parsed (Rust `FromStr` of the original field type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    Text,
    Usize,
    U32,
    U64,
    I32,
    F32,
    /// `0|1|2`, `RGB8`, `@PixelFormat::RGB|BGR|GrayScale`.
    PixelFormat,
}

impl ArgType {
    /// A word for messages: "an unsigned integer", ...
    pub fn describe(self) -> &'static str {
        match self {
            ArgType::Text => "text",
            ArgType::Usize | ArgType::U32 | ArgType::U64 => "a non-negative integer",
            ArgType::I32 => "an integer",
            ArgType::F32 => "a number",
            ArgType::PixelFormat => "a pixel format (@PixelFormat::RGB, @PixelFormat::BGR or @PixelFormat::GrayScale)",
        }
    }

    /// Checks a value the way the original setter would parse it.
    pub fn accepts(self, value: &str) -> bool {
        match self {
            ArgType::Text => true,
            ArgType::Usize => value.parse::<usize>().is_ok(),
            ArgType::U32 => value.parse::<u32>().is_ok(),
            ArgType::U64 => value.parse::<u64>().is_ok(),
            ArgType::I32 => value.parse::<i32>().is_ok(),
            ArgType::F32 => value.parse::<f32>().is_ok(),
            ArgType::PixelFormat => parse_pixel_format(value).is_some(),
        }
    }
}

/// Pixel formats of the IMAGE capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    Rgb,
    Bgr,
    GrayScale,
}

impl PixelFormat {
    pub fn channels(self) -> usize {
        match self {
            PixelFormat::Rgb | PixelFormat::Bgr => 3,
            PixelFormat::GrayScale => 1,
        }
    }
}

/// Parses the pixel-format spellings the original host accepts.
pub fn parse_pixel_format(value: &str) -> Option<PixelFormat> {
    match value.trim() {
        "0" | "RGB8" | "@PixelFormat::RGB" => Some(PixelFormat::Rgb),
        "1" | "@PixelFormat::BGR" => Some(PixelFormat::Bgr),
        "2" | "@PixelFormat::GrayScale" => Some(PixelFormat::GrayScale),
        _ => None,
    }
}

/// What a proc-block takes.
#[derive(Debug, Clone, Copy)]
pub enum Inputs {
    /// Exactly these inputs, in order.
    Fixed(&'static [Port]),
    /// Any number (at least `min`) of inputs of any element type.
    Variadic { min: usize },
}

/// One input and the element types it accepts.
#[derive(Debug, Clone, Copy)]
pub struct Port {
    pub name: &'static str,
    pub types: &'static [ElementType],
}

/// What a proc-block produces.
#[derive(Debug, Clone, Copy)]
pub enum Outputs {
    Fixed(&'static [OutPort]),
    /// One output per input, each with its input's element type.
    MirrorInputs,
}

/// The element type rule of one output.
#[derive(Debug, Clone, Copy)]
pub enum OutPort {
    /// Always this type.
    Fixed(ElementType),
    /// The element type of input `n`.
    SameAsInput(usize),
    /// Whatever the Runefile declares, from this set (e.g. `parse`).
    OneOf(&'static [ElementType]),
}

/// Looks a proc-block up by catalogue name; `-` and `_` are interchangeable.
pub fn proc_block(name: &str) -> Option<&'static ProcBlockSignature> {
    let wanted = name.replace('-', "_");
    proc_blocks().iter().find(|sig| sig.name == wanted)
}

/// The signature of a capability kind.
#[derive(Debug, Clone, Copy)]
pub struct CapabilitySignature {
    pub kind: CapabilityKind,
    pub description: &'static str,
    pub args: &'static [ArgSpec],
    /// Element types its output may be declared with.
    pub output_types: &'static [ElementType],
}

const SOURCE: ArgSpec = ArgSpec {
    name: "source",
    ty: ArgType::Usize,
    default: Some("0"),
    doc: "which of the host's inputs of this kind to use (0-based)",
};

const NUMERIC: &[ElementType] = &ElementType::NUMERIC;

static CAPABILITIES: [CapabilitySignature; 6] = [
    CapabilitySignature {
        kind: CapabilityKind::Image,
        description: "An image (photo, webcam frame), resized to width x height, as u8 pixels",
        args: IMAGE_ARGS,
        output_types: &[ElementType::U8],
    },
    CapabilitySignature {
        kind: CapabilityKind::FloatImage,
        description: "An image resized to width x height, as f32 pixels in 0..1",
        args: IMAGE_ARGS,
        output_types: &[ElementType::F32],
    },
    CapabilitySignature {
        kind: CapabilityKind::Sound,
        description: "Audio samples (WAV or microphone) as i16, hz x sample_duration_ms / 1000 samples",
        args: &[
            SOURCE,
            ArgSpec { name: "hz", ty: ArgType::U32, default: None, doc: "sample rate" },
            ArgSpec { name: "sample_duration_ms", ty: ArgType::U64, default: None, doc: "duration in milliseconds" },
        ],
        output_types: &[ElementType::I16],
    },
    CapabilitySignature {
        kind: CapabilityKind::Accelerometer,
        description: "Accelerometer samples from CSV rows of x,y,z as f32",
        args: &[
            SOURCE,
            ArgSpec { name: "samples", ty: ArgType::Usize, default: Some("all rows"), doc: "rows to take" },
        ],
        output_types: &[ElementType::F32],
    },
    CapabilitySignature {
        kind: CapabilityKind::Raw,
        description: "Raw bytes from a file, reinterpreted as the declared element type",
        args: &[
            SOURCE,
            ArgSpec { name: "length", ty: ArgType::Usize, default: Some("file size"), doc: "number of bytes" },
        ],
        output_types: NUMERIC,
    },
    CapabilitySignature {
        kind: CapabilityKind::Random,
        description: "Random numbers (seeded with --random SEED), as raw bits of the declared type",
        args: &[
            SOURCE,
            ArgSpec { name: "amount", ty: ArgType::Usize, default: Some("1"), doc: "number of random u32 values" },
        ],
        output_types: NUMERIC,
    },
];

/// Arguments of IMAGE and FLOAT_IMAGE.
const IMAGE_ARGS: &[ArgSpec] = &[
    SOURCE,
    ArgSpec { name: "width", ty: ArgType::U32, default: None, doc: "width to resize to" },
    ArgSpec { name: "height", ty: ArgType::U32, default: None, doc: "height to resize to" },
    ArgSpec {
        name: "pixel_format",
        ty: ArgType::PixelFormat,
        default: Some("@PixelFormat::RGB"),
        doc: "RGB, BGR or GrayScale",
    },
];

/// The signature of a capability kind.
pub fn capability(kind: CapabilityKind) -> &'static CapabilitySignature {
    CAPABILITIES.iter().find(|c| c.kind == kind).unwrap_or(&CAPABILITIES[0])
}

/// Finds an argument by name; `-` and `_` are interchangeable.
pub fn find_arg<'a>(args: &'a [ArgSpec], key: &str) -> Option<&'a ArgSpec> {
    let key = key.replace('-', "_");
    args.iter().find(|a| a.name == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_signature_and_names_are_unique() {
        for kind in CapabilityKind::ALL {
            assert_eq!(capability(kind).kind, kind);
        }
        let mut names: Vec<_> = proc_blocks().iter().map(|p| p.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn lookups_accept_hyphens() {
        assert!(proc_block("image-normalization").is_some());
        assert!(proc_block("noise_filtering").is_some());
        assert!(proc_block("nope").is_none());
        assert!(find_arg(capability(CapabilityKind::Image).args, "pixel-format").is_some());
    }

    #[test]
    fn every_block_accepts_its_documented_defaults_and_rejects_unknown_args() {
        for sig in proc_blocks() {
            assert!((sig.create)(&[]).is_ok(), "{}", sig.name);
            let defaults: Vec<(String, String)> = sig
                .args
                .iter()
                .filter(|a| a.ty != ArgType::Text)
                .filter_map(|a| Some((a.name.to_string(), a.default?.to_string())))
                .collect();
            assert!((sig.create)(&defaults).is_ok(), "{}: {defaults:?}", sig.name);
            let unknown = [("no_such_arg".to_string(), "1".to_string())];
            let err = (sig.create)(&unknown).err().unwrap();
            assert_eq!(err.0, "\"no_such_arg\" is not an argument of this proc-block", "{}", sig.name);
        }
    }

    #[test]
    fn args_apply_in_order_and_the_last_one_wins() {
        let sig = proc_block("most_confident_indices").unwrap();
        let args = [("count".to_string(), "5".to_string()), ("count".to_string(), "1".to_string())];
        let mut block = (sig.create)(&args).unwrap();
        let input = Tensor::vector(crate::TensorData::F32(vec![0.1, 0.9]));
        let out = block.transform(&[input], &[]).unwrap();
        assert_eq!(out[0].data(), &crate::TensorData::U32(vec![1]));
        let bad = [("count".to_string(), "many".to_string())];
        let err = (sig.create)(&bad).err().unwrap();
        assert_eq!(err, ProcBlockError("\"count\" can't be \"many\": invalid digit found in string".into()));
    }

    #[test]
    fn arg_types_parse_like_rust_from_str() {
        assert!(ArgType::F32.accepts("360"));
        assert!(ArgType::Usize.accepts("3"));
        assert!(!ArgType::Usize.accepts("3.0"));
        assert!(!ArgType::I32.accepts("x"));
        assert!(ArgType::PixelFormat.accepts("@PixelFormat::GrayScale"));
        assert!(!ArgType::PixelFormat.accepts("@PixelFormat::Rgb"));
    }
}
