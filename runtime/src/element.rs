//! Element types and declared tensor types (`u8[1, 96, 96, 1]`).
use std::fmt;

use serde::{Deserialize, Serialize};

/// The element type of a tensor, as written in a Runefile (`u8`, `F32`, `utf8`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ElementType {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    F32,
    U64,
    I64,
    F64,
    Utf8,
}

/// A type name the Runefile used that is not an element type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Unknown element type, \"{0}\"")]
pub struct UnknownElementType(pub String);

impl ElementType {
    /// Every element type, in the order the original documents them.
    pub const ALL: [ElementType; 11] = [
        ElementType::U8,
        ElementType::I8,
        ElementType::U16,
        ElementType::I16,
        ElementType::U32,
        ElementType::I32,
        ElementType::F32,
        ElementType::U64,
        ElementType::I64,
        ElementType::F64,
        ElementType::Utf8,
    ];
    /// Every numeric element type (all but `utf8`).
    pub const NUMERIC: [ElementType; 10] = [
        ElementType::U8,
        ElementType::I8,
        ElementType::U16,
        ElementType::I16,
        ElementType::U32,
        ElementType::I32,
        ElementType::F32,
        ElementType::U64,
        ElementType::I64,
        ElementType::F64,
    ];

    /// Parses a Runefile type name; matching is case-insensitive, as in the original.
    pub fn parse(name: &str) -> Result<ElementType, UnknownElementType> {
        let lower = name.to_ascii_lowercase();
        ElementType::ALL.into_iter().find(|ty| ty.name() == lower).ok_or_else(|| UnknownElementType(name.to_string()))
    }

    /// The lower-case name used in Runefiles and shape strings (`u8`, `utf8`).
    pub fn name(self) -> &'static str {
        match self {
            ElementType::U8 => "u8",
            ElementType::I8 => "i8",
            ElementType::U16 => "u16",
            ElementType::I16 => "i16",
            ElementType::U32 => "u32",
            ElementType::I32 => "i32",
            ElementType::F32 => "f32",
            ElementType::U64 => "u64",
            ElementType::I64 => "i64",
            ElementType::F64 => "f64",
            ElementType::Utf8 => "utf8",
        }
    }

    /// The upper-case name of the original `.rune_graph` section (`U8`, `String`).
    pub fn graph_name(self) -> &'static str {
        match self {
            ElementType::U8 => "U8",
            ElementType::I8 => "I8",
            ElementType::U16 => "U16",
            ElementType::I16 => "I16",
            ElementType::U32 => "U32",
            ElementType::I32 => "I32",
            ElementType::F32 => "F32",
            ElementType::U64 => "U64",
            ElementType::I64 => "I64",
            ElementType::F64 => "F64",
            ElementType::Utf8 => "String",
        }
    }

    /// Parses a `.rune_graph` name (`U8`, `String`); also accepts the Runefile spellings.
    pub fn from_graph_name(name: &str) -> Option<ElementType> {
        match name {
            "String" | "string" => Some(ElementType::Utf8),
            other => ElementType::parse(other).ok(),
        }
    }

    /// Size of one element in bytes; `None` for `utf8`, whose elements vary in size.
    pub fn size(self) -> Option<usize> {
        match self {
            ElementType::U8 | ElementType::I8 => Some(1),
            ElementType::U16 | ElementType::I16 => Some(2),
            ElementType::U32 | ElementType::I32 | ElementType::F32 => Some(4),
            ElementType::U64 | ElementType::I64 | ElementType::F64 => Some(8),
            ElementType::Utf8 => None,
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, ElementType::F32 | ElementType::F64)
    }
}

impl fmt::Display for ElementType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A declared tensor: element type and dimensions. Displays as the original's shape string,
/// `u8[1, 96, 96, 1]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TensorType {
    pub element_type: ElementType,
    pub dimensions: Vec<usize>,
}

impl TensorType {
    pub fn new(element_type: ElementType, dimensions: impl Into<Vec<usize>>) -> Self {
        TensorType { element_type, dimensions: dimensions.into() }
    }

    /// Number of elements (the product of the dimensions; 1 for a scalar `[]`).
    /// `None` when the product overflows `usize`.
    pub fn element_count(&self) -> Option<usize> {
        self.dimensions.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
    }

    /// Size in bytes of a dense buffer of this type; `None` for `utf8` or on overflow.
    pub fn byte_len(&self) -> Option<usize> {
        self.element_count()?.checked_mul(self.element_type.size()?)
    }
}

impl fmt::Display for TensorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[", self.element_type)?;
        for (i, d) in self.dimensions.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{d}")?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_is_case_insensitive_and_keeps_the_spelling_in_errors() {
        assert_eq!(ElementType::parse("UTF8"), Ok(ElementType::Utf8));
        assert_eq!(ElementType::parse("F32"), Ok(ElementType::F32));
        let err = ElementType::parse("Str").unwrap_err();
        assert_eq!(err.to_string(), "Unknown element type, \"Str\"");
        assert!(ElementType::parse("f16").is_err());
    }

    #[test]
    fn shape_strings_match_the_original() {
        let t = TensorType::new(ElementType::U8, vec![1, 96, 96, 1]);
        assert_eq!(t.to_string(), "u8[1, 96, 96, 1]");
        assert_eq!(t.byte_len(), Some(9216));
        assert_eq!(TensorType::new(ElementType::F32, vec![]).to_string(), "f32[]");
        assert_eq!(TensorType::new(ElementType::Utf8, vec![3]).byte_len(), None);
        assert_eq!(TensorType::new(ElementType::U64, vec![usize::MAX, 2]).byte_len(), None);
    }
}
