//! Tensors: dense, row-major values of one element type.
use std::fmt;

use crate::{ElementType, TensorType};

/// The elements of a tensor.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    U8(Vec<u8>),
    I8(Vec<i8>),
    U16(Vec<u16>),
    I16(Vec<i16>),
    U32(Vec<u32>),
    I32(Vec<i32>),
    F32(Vec<f32>),
    U64(Vec<u64>),
    I64(Vec<i64>),
    F64(Vec<f64>),
    Utf8(Vec<String>),
}

/// A tensor: dimensions and elements. The element count always equals the product of the
/// dimensions (an empty dimension list is a scalar with one element).
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    dimensions: Vec<usize>,
    data: TensorData,
}

/// A tensor whose element count does not match its dimensions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a tensor of dimensions {dimensions:?} needs {expected} elements, but {actual} were given")]
pub struct ShapeMismatch {
    pub dimensions: Vec<usize>,
    pub expected: usize,
    pub actual: usize,
}

macro_rules! for_each_variant {
    ($data:expr, $v:ident => $body:expr) => {
        match $data {
            TensorData::U8($v) => $body,
            TensorData::I8($v) => $body,
            TensorData::U16($v) => $body,
            TensorData::I16($v) => $body,
            TensorData::U32($v) => $body,
            TensorData::I32($v) => $body,
            TensorData::F32($v) => $body,
            TensorData::U64($v) => $body,
            TensorData::I64($v) => $body,
            TensorData::F64($v) => $body,
            TensorData::Utf8($v) => $body,
        }
    };
}

impl TensorData {
    pub fn len(&self) -> usize {
        for_each_variant!(self, v => v.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn element_type(&self) -> ElementType {
        match self {
            TensorData::U8(_) => ElementType::U8,
            TensorData::I8(_) => ElementType::I8,
            TensorData::U16(_) => ElementType::U16,
            TensorData::I16(_) => ElementType::I16,
            TensorData::U32(_) => ElementType::U32,
            TensorData::I32(_) => ElementType::I32,
            TensorData::F32(_) => ElementType::F32,
            TensorData::U64(_) => ElementType::U64,
            TensorData::I64(_) => ElementType::I64,
            TensorData::F64(_) => ElementType::F64,
            TensorData::Utf8(_) => ElementType::Utf8,
        }
    }

    /// `n` zeros (empty strings for utf8).
    pub fn zeros(element_type: ElementType, n: usize) -> TensorData {
        match element_type {
            ElementType::U8 => TensorData::U8(vec![0; n]),
            ElementType::I8 => TensorData::I8(vec![0; n]),
            ElementType::U16 => TensorData::U16(vec![0; n]),
            ElementType::I16 => TensorData::I16(vec![0; n]),
            ElementType::U32 => TensorData::U32(vec![0; n]),
            ElementType::I32 => TensorData::I32(vec![0; n]),
            ElementType::F32 => TensorData::F32(vec![0.0; n]),
            ElementType::U64 => TensorData::U64(vec![0; n]),
            ElementType::I64 => TensorData::I64(vec![0; n]),
            ElementType::F64 => TensorData::F64(vec![0.0; n]),
            ElementType::Utf8 => TensorData::Utf8(vec![String::new(); n]),
        }
    }

    /// Reinterprets little-endian bytes as elements (`None` for utf8 or a length that does not
    /// divide into whole elements).
    pub fn from_le_bytes(element_type: ElementType, bytes: &[u8]) -> Option<TensorData> {
        let size = element_type.size()?;
        if !bytes.len().is_multiple_of(size) {
            return None;
        }
        macro_rules! decode {
            ($variant:ident, $t:ty) => {
                TensorData::$variant(
                    bytes.chunks_exact(size).map(|c| <$t>::from_le_bytes(c.try_into().unwrap_or_default())).collect(),
                )
            };
        }
        Some(match element_type {
            ElementType::U8 => TensorData::U8(bytes.to_vec()),
            ElementType::I8 => TensorData::I8(bytes.iter().map(|&b| b as i8).collect()),
            ElementType::U16 => decode!(U16, u16),
            ElementType::I16 => decode!(I16, i16),
            ElementType::U32 => decode!(U32, u32),
            ElementType::I32 => decode!(I32, i32),
            ElementType::F32 => decode!(F32, f32),
            ElementType::U64 => decode!(U64, u64),
            ElementType::I64 => decode!(I64, i64),
            ElementType::F64 => decode!(F64, f64),
            ElementType::Utf8 => return None,
        })
    }

    /// Little-endian bytes of the elements (`None` for utf8).
    pub fn to_le_bytes(&self) -> Option<Vec<u8>> {
        Some(match self {
            TensorData::U8(v) => v.clone(),
            TensorData::I8(v) => v.iter().map(|&x| x as u8).collect(),
            TensorData::U16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::I16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::U32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::U64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::Utf8(_) => return None,
        })
    }

    /// Every element as f64 (`None` for utf8).
    pub fn to_f64(&self) -> Option<Vec<f64>> {
        Some(match self {
            TensorData::U8(v) => v.iter().map(|&x| f64::from(x)).collect(),
            TensorData::I8(v) => v.iter().map(|&x| f64::from(x)).collect(),
            TensorData::U16(v) => v.iter().map(|&x| f64::from(x)).collect(),
            TensorData::I16(v) => v.iter().map(|&x| f64::from(x)).collect(),
            TensorData::U32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            TensorData::I32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            TensorData::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            TensorData::U64(v) => v.iter().map(|&x| x as f64).collect(),
            TensorData::I64(v) => v.iter().map(|&x| x as f64).collect(),
            TensorData::F64(v) => v.clone(),
            TensorData::Utf8(_) => return None,
        })
    }
}

impl Tensor {
    /// A tensor; fails when the element count does not match the dimensions.
    pub fn new(dimensions: Vec<usize>, data: TensorData) -> Result<Tensor, ShapeMismatch> {
        let expected = dimensions.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).unwrap_or(usize::MAX);
        if expected != data.len() {
            return Err(ShapeMismatch { dimensions, expected, actual: data.len() });
        }
        Ok(Tensor { dimensions, data })
    }

    /// A 1-D tensor of the given elements.
    pub fn vector(data: TensorData) -> Tensor {
        Tensor { dimensions: vec![data.len()], data }
    }

    /// A zero-filled tensor of a declared type (`None` when it would be unreasonably large).
    pub fn zeros(ty: &TensorType) -> Option<Tensor> {
        let n = ty.element_count()?;
        (n <= MAX_ELEMENTS)
            .then(|| Tensor { dimensions: ty.dimensions.clone(), data: TensorData::zeros(ty.element_type, n) })
    }

    pub fn dimensions(&self) -> &[usize] {
        &self.dimensions
    }

    pub fn data(&self) -> &TensorData {
        &self.data
    }

    pub fn into_data(self) -> TensorData {
        self.data
    }

    pub fn element_type(&self) -> ElementType {
        self.data.element_type()
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn tensor_type(&self) -> TensorType {
        TensorType::new(self.element_type(), self.dimensions.clone())
    }

    /// The same elements with other dimensions (same element count).
    pub fn reshaped(self, dimensions: Vec<usize>) -> Result<Tensor, ShapeMismatch> {
        Tensor::new(dimensions, self.data)
    }
}

/// The largest tensor the runtime creates (elements): 256 Mi.
pub const MAX_ELEMENTS: usize = 256 * 1024 * 1024;

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.tensor_type())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_checked_and_bytes_round_trip() {
        assert!(Tensor::new(vec![2, 2], TensorData::F32(vec![0.0; 3])).is_err());
        let t = Tensor::new(vec![], TensorData::I32(vec![7])).unwrap();
        assert_eq!(t.tensor_type().to_string(), "i32[]");
        let data = TensorData::from_le_bytes(ElementType::F32, &0.8f32.to_le_bytes()).unwrap();
        assert_eq!(data, TensorData::F32(vec![0.8]));
        assert_eq!(data.to_le_bytes().unwrap(), 0.8f32.to_le_bytes().to_vec());
        assert!(TensorData::from_le_bytes(ElementType::I32, &[1, 2, 3]).is_none());
    }
}
