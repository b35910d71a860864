//! The FlatBuffers wire format, read with checked arithmetic.
//!
//! Everything here borrows the file's bytes and checks each position before reading it, so a
//! hostile file produces a [`TfliteError`] naming the field at fault, never a panic or an
//! allocation proportional to a length field. Scalars are read little-endian from unaligned
//! positions, so misaligned files are accepted.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use super::TfliteError;

/// What a table is, for error messages ("tensor 3", "operator code 2"). Copying it costs nothing,
/// so every table carries one and errors are only formatted when they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    Model,
    OperatorCode(usize),
    SubGraph(usize),
    Tensor {
        subgraph: usize,
        index: usize,
    },
    Quantization {
        subgraph: usize,
        tensor: usize,
    },
    Operator {
        subgraph: usize,
        index: usize,
    },
    BuiltinOptions {
        subgraph: usize,
        operator: usize,
    },
    Buffer(usize),
    Metadata(usize),
    /// A table reached through the raw [`Table`] API, by its position in the file.
    Table(usize),
}

/// " of subgraph N", except for the main subgraph, whose tensors and operators are the ones
/// people talk about.
struct InSubgraph(usize);

impl fmt::Display for InSubgraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 { Ok(()) } else { write!(f, " of subgraph {}", self.0) }
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Owner::Model => f.write_str("the model"),
            Owner::OperatorCode(i) => write!(f, "operator code {i}"),
            Owner::SubGraph(i) => write!(f, "subgraph {i}"),
            Owner::Tensor { subgraph, index } => {
                write!(f, "tensor {index}{}", InSubgraph(subgraph))
            }
            Owner::Quantization { subgraph, tensor } => {
                write!(f, "tensor {tensor}{}'s quantization", InSubgraph(subgraph))
            }
            Owner::Operator { subgraph, index } => {
                write!(f, "operator {index}{}", InSubgraph(subgraph))
            }
            Owner::BuiltinOptions { subgraph, operator } => {
                write!(f, "operator {operator}{}'s builtin options", InSubgraph(subgraph))
            }
            Owner::Buffer(i) => write!(f, "buffer {i}"),
            Owner::Metadata(i) => write!(f, "metadata entry {i}"),
            Owner::Table(pos) => write!(f, "the table at offset {pos}"),
        }
    }
}

impl Owner {
    /// Describes one of this table's fields: "tensor 3's shape vector", or, for owners that are
    /// already a possessive phrase, "tensor 3's quantization scale vector".
    pub(crate) fn field(self, field: FieldName) -> String {
        match self {
            Owner::Quantization { .. } | Owner::BuiltinOptions { .. } => format!("{self} {field}"),
            _ => format!("{self}'s {field}"),
        }
    }
}

/// A field of a table, named for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldName {
    /// A schema field this reader knows ("shape vector").
    Named(&'static str),
    /// A field read through the raw [`Table`] API, by slot.
    Slot(u16),
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldName::Named(name) => f.write_str(name),
            FieldName::Slot(slot) => write!(f, "field {slot}"),
        }
    }
}

/// Reads `N` bytes at `pos`, or `None` when they are not all inside `bytes`.
fn read_array<const N: usize>(bytes: &[u8], pos: usize) -> Option<[u8; N]> {
    let end = pos.checked_add(N)?;
    bytes.get(pos..end)?.try_into().ok()
}

pub(crate) fn read_u16(bytes: &[u8], pos: usize) -> Option<u16> {
    read_array(bytes, pos).map(u16::from_le_bytes)
}

pub(crate) fn read_u32(bytes: &[u8], pos: usize) -> Option<u32> {
    read_array(bytes, pos).map(u32::from_le_bytes)
}

fn read_i32(bytes: &[u8], pos: usize) -> Option<i32> {
    read_array(bytes, pos).map(i32::from_le_bytes)
}

/// `u32` to `usize` without a cast that could truncate (on targets narrower than 32 bits it
/// saturates, which every bounds check then rejects).
pub(crate) fn to_usize(value: u32) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// A signed position for error messages (positions can be negative after a vtable's
/// subtraction, or past `usize` on narrow targets).
fn signed(pos: usize) -> i64 {
    i64::try_from(pos).unwrap_or(i64::MAX)
}

/// The error for a position outside the file.
pub(crate) fn out_of_bounds(what: String, offset: i64, bytes: &[u8]) -> TfliteError {
    TfliteError::OutOfBounds { what, offset, len: bytes.len() }
}

mod sealed {
    pub trait Sealed {}
}

/// A scalar that can be stored in a table field or a vector: the integer types, `f32`, `f64` and
/// `bool`. Sealed: it is only implemented here.
pub trait Scalar: Copy + 'static + sealed::Sealed {
    /// Size in bytes.
    const SIZE: usize;
    /// Reads a little-endian value from the start of `bytes`; `None` when `bytes` is too short.
    fn read(bytes: &[u8]) -> Option<Self>;
}

macro_rules! scalar {
    ($($ty:ty),*) => {$(
        impl sealed::Sealed for $ty {}
        impl Scalar for $ty {
            const SIZE: usize = std::mem::size_of::<$ty>();
            fn read(bytes: &[u8]) -> Option<Self> {
                bytes.first_chunk().map(|b| <$ty>::from_le_bytes(*b))
            }
        }
    )*};
}

scalar!(u8, i8, u16, i16, u32, i32, u64, i64, f32, f64);

impl sealed::Sealed for bool {}
impl Scalar for bool {
    const SIZE: usize = 1;
    fn read(bytes: &[u8]) -> Option<Self> {
        bytes.first().map(|b| *b != 0)
    }
}

/// A vector of scalars inside the file. Its bytes were checked when it was found, so reading its
/// elements cannot fail.
#[derive(Clone, Copy)]
pub struct Vector<'a, T> {
    data: &'a [u8],
    element: PhantomData<T>,
}

impl<'a, T: Scalar> Vector<'a, T> {
    /// The vector over `data`, whose length must be a multiple of `T::SIZE`.
    fn new(data: &'a [u8]) -> Self {
        Vector { data, element: PhantomData }
    }

    /// An empty vector, for absent fields that default to one.
    pub fn empty() -> Self {
        Vector::new(&[])
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len() / T::SIZE
    }

    /// Whether the vector has no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Element `index`, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<T> {
        let start = index.checked_mul(T::SIZE)?;
        T::read(self.data.get(start..)?)
    }

    /// The elements, in order.
    pub fn iter(&self) -> impl Iterator<Item = T> + 'a {
        // Every chunk has exactly `T::SIZE` bytes, so `read` never skips one.
        self.data.chunks_exact(T::SIZE).filter_map(T::read)
    }

    /// The elements, copied into a `Vec`.
    pub fn to_vec(&self) -> Vec<T> {
        self.iter().collect()
    }

    /// The raw little-endian bytes of the elements.
    pub fn bytes(&self) -> &'a [u8] {
        self.data
    }
}

impl<T: Scalar> Default for Vector<'_, T> {
    fn default() -> Self {
        Vector::empty()
    }
}

impl<T: Scalar + fmt::Debug> fmt::Debug for Vector<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A vector of tables (offsets to tables) inside the file. The offsets were checked to be inside
/// the file when the vector was found; each table is checked when it is read.
#[derive(Debug, Clone, Copy)]
pub struct TableVector<'a> {
    bytes: &'a [u8],
    /// Position of the first offset.
    start: usize,
    len: usize,
}

impl<'a> TableVector<'a> {
    pub(crate) fn empty(bytes: &'a [u8]) -> Self {
        TableVector { bytes, start: 0, len: 0 }
    }

    /// Number of tables.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the vector has no tables.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Table `index`, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<Result<Table<'a>, TfliteError>> {
        let pos = self.position(index)?;
        let what = || format!("the table offset at {pos}");
        Some(follow(self.bytes, pos, what).and_then(|target| Table::at(self.bytes, target, Owner::Table(target))))
    }

    /// Position of offset `index`, or `None` past the end.
    fn position(&self, index: usize) -> Option<usize> {
        if index >= self.len {
            return None;
        }
        index.checked_mul(4)?.checked_add(self.start)
    }

    /// Table `index`, labelled `owner` in errors; `None` past the end.
    pub(crate) fn get_as(&self, index: usize, owner: Owner) -> Option<Result<Table<'a>, TfliteError>> {
        let pos = self.position(index)?;
        Some(follow(self.bytes, pos, || owner.to_string()).and_then(|target| Table::at(self.bytes, target, owner)))
    }
}

/// Follows the `uoffset` stored at `pos` (which must be inside the file) to its target, checking
/// that the target leaves room for the 4 bytes every table, vector and string starts with.
/// `what` names the offset for the error.
pub(crate) fn follow(bytes: &[u8], pos: usize, what: impl FnOnce() -> String) -> Result<usize, TfliteError> {
    let Some(rel) = read_u32(bytes, pos) else {
        return Err(out_of_bounds(what(), signed(pos), bytes));
    };
    let target = pos.saturating_add(to_usize(rel));
    if target.checked_add(4).is_none_or(|end| end > bytes.len()) {
        return Err(out_of_bounds(what(), signed(pos).saturating_add(i64::from(rel)), bytes));
    }
    Ok(target)
}

/// A vector's elements, found and checked inside the file.
struct RawVector<'a> {
    /// Position of the first element.
    start: usize,
    data: &'a [u8],
}

/// A table: a position in the file and the vtable that says where its fields are.
///
/// Fields are addressed by slot, the field's index in its `table` declaration in `schema.fbs`
/// (the vtable entry at byte `4 + 2 * slot`). Absent fields read as their default; every read
/// checks that the field lies inside the file.
#[derive(Clone, Copy)]
pub struct Table<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// The vtable's field entries (after its two `u16` sizes).
    fields: &'a [u8],
    owner: Owner,
}

impl fmt::Debug for Table<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table").field("offset", &self.pos).field("owner", &self.owner.to_string()).finish()
    }
}

impl<'a> Table<'a> {
    /// The table at `pos`, checking its vtable.
    pub(crate) fn at(bytes: &'a [u8], pos: usize, owner: Owner) -> Result<Table<'a>, TfliteError> {
        let soffset = read_i32(bytes, pos).ok_or_else(|| out_of_bounds(owner.to_string(), signed(pos), bytes))?;
        let vtable_pos = signed(pos).saturating_sub(i64::from(soffset));
        let vtable_error = || out_of_bounds(owner.field(FieldName::Named("vtable")), vtable_pos, bytes);
        let vtable = usize::try_from(vtable_pos).map_err(|_| vtable_error())?;
        let (Some(vtable_len), Some(table_len)) =
            (read_u16(bytes, vtable), vtable.checked_add(2).and_then(|p| read_u16(bytes, p)))
        else {
            return Err(vtable_error());
        };
        if vtable_len < 4 || vtable_len % 2 != 0 {
            return Err(TfliteError::BadVTable {
                what: owner.to_string(),
                offset: vtable,
                reason: "its size is not an even number of at least 4 bytes",
            });
        }
        if table_len < 4 {
            return Err(TfliteError::BadVTable {
                what: owner.to_string(),
                offset: vtable,
                reason: "the table it describes is smaller than its 4-byte header",
            });
        }
        let fields = vtable
            .checked_add(4)
            .zip(vtable.checked_add(usize::from(vtable_len)))
            .and_then(|(start, end)| bytes.get(start..end))
            .ok_or_else(vtable_error)?;
        if pos.checked_add(usize::from(table_len)).is_none_or(|end| end > bytes.len()) {
            return Err(out_of_bounds(owner.to_string(), signed(pos), bytes));
        }
        Ok(Table { bytes, pos, fields, owner })
    }

    /// The whole file the table is in.
    pub(crate) fn file(&self) -> &'a [u8] {
        self.bytes
    }

    /// The table's position in the file.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Whether field `slot` is present (stored rather than defaulted).
    pub fn has(&self, slot: u16) -> bool {
        self.field_offset(slot).is_some()
    }

    /// The field's offset from the table's start, when the vtable has a non-zero entry for it.
    fn field_offset(&self, slot: u16) -> Option<u16> {
        read_u16(self.fields, usize::from(slot).checked_mul(2)?).filter(|&offset| offset != 0)
    }

    /// The position of field `slot`, checked to have `size` bytes inside the file.
    fn field_pos(&self, slot: u16, size: usize, name: FieldName) -> Result<Option<usize>, TfliteError> {
        let Some(offset) = self.field_offset(slot) else {
            return Ok(None);
        };
        let pos = self.pos.saturating_add(usize::from(offset));
        if pos.checked_add(size).is_none_or(|end| end > self.bytes.len()) {
            return Err(out_of_bounds(self.owner.field(name), signed(pos), self.bytes));
        }
        Ok(Some(pos))
    }

    pub(crate) fn scalar_field<T: Scalar>(&self, slot: u16, default: T, name: FieldName) -> Result<T, TfliteError> {
        let Some(pos) = self.field_pos(slot, T::SIZE, name)? else {
            return Ok(default);
        };
        Ok(self.bytes.get(pos..).and_then(T::read).unwrap_or(default))
    }

    /// Follows the offset in field `slot` to the position it points to.
    fn offset_field(&self, slot: u16, name: FieldName) -> Result<Option<usize>, TfliteError> {
        let Some(pos) = self.field_pos(slot, 4, name)? else {
            return Ok(None);
        };
        follow(self.bytes, pos, || self.owner.field(name)).map(Some)
    }

    /// The vector in field `slot`, whose elements are `size` bytes each.
    fn vector_bytes(&self, slot: u16, size: usize, name: FieldName) -> Result<Option<RawVector<'a>>, TfliteError> {
        let Some(pos) = self.offset_field(slot, name)? else {
            return Ok(None);
        };
        // `offset_field` checked that the 4-byte length is inside the file.
        let count = read_u32(self.bytes, pos).unwrap_or(0);
        let start = pos.saturating_add(4);
        let data = to_usize(count)
            .checked_mul(size)
            .and_then(|len| start.checked_add(len))
            .and_then(|end| self.bytes.get(start..end));
        match data {
            Some(data) => Ok(Some(RawVector { start, data })),
            None => Err(TfliteError::VectorTooLong {
                what: self.owner.field(name),
                count,
                offset: pos,
                len: self.bytes.len(),
            }),
        }
    }

    pub(crate) fn vector_field<T: Scalar>(
        &self,
        slot: u16,
        name: FieldName,
    ) -> Result<Option<Vector<'a, T>>, TfliteError> {
        Ok(self.vector_bytes(slot, T::SIZE, name)?.map(|raw| Vector::new(raw.data)))
    }

    /// The raw bytes of the string in field `slot`, checked but not decoded.
    pub(crate) fn string_bytes_field(&self, slot: u16, name: FieldName) -> Result<Option<&'a [u8]>, TfliteError> {
        self.bytes_field(slot, name)
    }

    pub(crate) fn bytes_field(&self, slot: u16, name: FieldName) -> Result<Option<&'a [u8]>, TfliteError> {
        Ok(self.vector_bytes(slot, 1, name)?.map(|raw| raw.data))
    }

    pub(crate) fn string_field(&self, slot: u16, name: FieldName) -> Result<Option<Cow<'a, str>>, TfliteError> {
        Ok(self.vector_bytes(slot, 1, name)?.map(|raw| String::from_utf8_lossy(raw.data)))
    }

    pub(crate) fn table_field(
        &self,
        slot: u16,
        name: FieldName,
        owner: Owner,
    ) -> Result<Option<Table<'a>>, TfliteError> {
        match self.offset_field(slot, name)? {
            Some(pos) => Table::at(self.bytes, pos, owner).map(Some),
            None => Ok(None),
        }
    }

    pub(crate) fn tables_field(&self, slot: u16, name: FieldName) -> Result<Option<TableVector<'a>>, TfliteError> {
        Ok(self.vector_bytes(slot, 4, name)?.map(|raw| TableVector {
            bytes: self.bytes,
            start: raw.start,
            len: raw.data.len() / 4,
        }))
    }

    /// Field `slot` as a scalar of type `T`, or `default` when absent. Example:
    /// `options.scalar(0, 0i8)` is a fused activation code.
    pub fn scalar<T: Scalar>(&self, slot: u16, default: T) -> Result<T, TfliteError> {
        self.scalar_field(slot, default, FieldName::Slot(slot))
    }

    /// Field `slot` as a vector of scalars (`[int]`, `[float]`, ...), or `None` when absent.
    pub fn vector<T: Scalar>(&self, slot: u16) -> Result<Option<Vector<'a, T>>, TfliteError> {
        self.vector_field(slot, FieldName::Slot(slot))
    }

    /// Field `slot` as a `[ubyte]` vector's bytes, or `None` when absent.
    pub fn bytes(&self, slot: u16) -> Result<Option<&'a [u8]>, TfliteError> {
        self.bytes_field(slot, FieldName::Slot(slot))
    }

    /// Field `slot` as a string (invalid UTF-8 replaced by U+FFFD), or `None` when absent.
    pub fn string(&self, slot: u16) -> Result<Option<Cow<'a, str>>, TfliteError> {
        self.string_field(slot, FieldName::Slot(slot))
    }

    /// Field `slot` as a nested table, or `None` when absent.
    pub fn table(&self, slot: u16) -> Result<Option<Table<'a>>, TfliteError> {
        let name = FieldName::Slot(slot);
        match self.offset_field(slot, name)? {
            Some(pos) => Table::at(self.bytes, pos, Owner::Table(pos)).map(Some),
            None => Ok(None),
        }
    }

    /// Field `slot` as a vector of tables, or `None` when absent.
    pub fn tables(&self, slot: u16) -> Result<Option<TableVector<'a>>, TfliteError> {
        self.tables_field(slot, FieldName::Slot(slot))
    }
}
