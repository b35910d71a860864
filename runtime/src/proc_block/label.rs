//! `label` (v0.11.3): replaces each index with the label on that line of the wordlist.
//!
//! Wordlist parsing follows the original: the text is trimmed as a whole, then split on `\n` or
//! `\r\n`; empty inner lines are labels too and lines are not trimmed individually (so `- up`
//! stays `- up`). An empty wordlist has no labels.
//!
//! **Extension (not in the original):** a label-map CSV such as the tutorial's
//! `aiy_food_V1_labelmap.csv` is accepted too. When the first line is exactly `id,name`
//! (case-insensitive, spaces around the words allowed), the other lines are `id,name` rows and
//! an index is looked up by id (ids need not be in line order; the name is everything after the
//! first comma, CSV quotes removed; rows whose id is not a number are skipped; the first row of
//! a repeated id wins). A missing id gives the same out-of-bounds
//! error as a wordlist, with the number of rows as the label count.
//!
//! Index conversion: integers must fit a wasm32 `usize` (the original ran as 32-bit wasm), so
//! negative values and values above `u32::MAX` fail with the original's `UNSUPPORTED` message.
//! f32 indices must be finite, non-negative, at most 2^24 and whole numbers.
use std::collections::HashMap;

use super::{Configure, error, take_inputs, unknown_arg, unsupported};
use crate::ElementType::{F32, I8, I16, I32, I64, U8, U16, U32, U64, Utf8};
use crate::catalog::{ArgSpec, ArgType, Inputs, OutPort, Outputs, Port, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorData, TensorType};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "label",
    type_name: "Label",
    description: "Replaces each index with the label on that line of the wordlist (or the name of that id in an `id,name` label-map CSV).",
    args: &[ArgSpec {
        name: "wordlist",
        ty: ArgType::Text,
        default: Some(""),
        doc: "one label per line, or a label-map CSV",
    }],
    inputs: Inputs::Fixed(&[Port { name: "indices", types: &[U8, I8, U16, I16, U32, I32, U64, I64, F32] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(Utf8)]),
    check_shapes: None,
    create: super::create::<Label>,
};

const UNSUPPORTED: &str = "UNSUPPORTED: Can't be converted to usize. It only supports u8, u16, u32, u64, i32, i64 ( with positive numbers) f32 (with their fractional part zero E.g. 2.0, 4.0, etc)";

/// The labels, by index.
#[derive(Debug, Clone, PartialEq)]
enum Labels {
    /// One label per line (the original).
    Lines(Vec<String>),
    /// A label-map CSV: name by id, and the number of rows.
    Map { names: HashMap<usize, String>, rows: usize },
}

impl Labels {
    fn parse(text: &str) -> Labels {
        let text = text.trim();
        let mut lines = split_lines(text);
        if lines.first().is_some_and(|header| is_label_map_header(header)) {
            lines.remove(0);
            let mut names = HashMap::new();
            let mut rows = 0;
            for line in lines {
                let Some((id, name)) = line.split_once(',') else { continue };
                let Ok(id) = id.trim().parse::<usize>() else { continue };
                rows += 1;
                names.entry(id).or_insert_with(|| unquote(name.trim()));
            }
            return Labels::Map { names, rows };
        }
        Labels::Lines(lines.into_iter().map(str::to_string).collect())
    }

    fn len(&self) -> usize {
        match self {
            Labels::Lines(lines) => lines.len(),
            Labels::Map { rows, .. } => *rows,
        }
    }

    fn get(&self, index: usize) -> Result<&str, ProcBlockError> {
        let label = match self {
            Labels::Lines(lines) => lines.get(index),
            Labels::Map { names, .. } => names.get(&index),
        };
        label.map(String::as_str).ok_or_else(|| {
            error(format!("Index out of bounds: there are {} labels but label {index} was requested", self.len()))
        })
    }
}

/// Lines as the `line-span` crate splits them: on `\n`, with a `\r` before it dropped. An
/// empty text has no lines.
fn split_lines(text: &str) -> Vec<&str> {
    if text.is_empty() {
        return Vec::new();
    }
    text.split('\n').map(|line| line.strip_suffix('\r').unwrap_or(line)).collect()
}

fn is_label_map_header(line: &str) -> bool {
    line.split_once(',')
        .is_some_and(|(id, name)| id.trim().eq_ignore_ascii_case("id") && name.trim().eq_ignore_ascii_case("name"))
}

/// A CSV field: surrounding double quotes removed and `""` unescaped.
fn unquote(s: &str) -> String {
    match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => s.to_string(),
    }
}

#[derive(Debug)]
struct Label {
    wordlist: Labels,
}

impl Default for Label {
    fn default() -> Self {
        Label { wordlist: Labels::parse("") }
    }
}

impl Configure for Label {
    fn set(&mut self, key: &str, value: &str) -> Result<(), ProcBlockError> {
        match key {
            "wordlist" => self.wordlist = Labels::parse(value),
            _ => return Err(unknown_arg(key)),
        }
        Ok(())
    }
}

impl ProcBlock for Label {
    fn transform(&mut self, inputs: &[Tensor], _outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        let [input] = take_inputs::<1>("label", inputs)?;
        let words = &self.wordlist;
        // The original converts and looks up element by element, so the first bad element
        // decides which error is reported.
        let labels = match input.data() {
            TensorData::U8(v) => lookup(words, v, int_index)?,
            TensorData::I8(v) => lookup(words, v, int_index)?,
            TensorData::U16(v) => lookup(words, v, int_index)?,
            TensorData::I16(v) => lookup(words, v, int_index)?,
            TensorData::U32(v) => lookup(words, v, int_index)?,
            TensorData::I32(v) => lookup(words, v, int_index)?,
            TensorData::U64(v) => lookup(words, v, int_index)?,
            TensorData::I64(v) => lookup(words, v, int_index)?,
            TensorData::F32(v) => lookup(words, v, float_index)?,
            _ => return Err(unsupported("label", input)),
        };
        Ok(vec![Tensor::vector(TensorData::Utf8(labels))])
    }
}

fn lookup<T: Copy>(
    labels: &Labels,
    values: &[T],
    index: fn(T) -> Result<usize, ProcBlockError>,
) -> Result<Vec<String>, ProcBlockError> {
    values.iter().map(|&v| labels.get(index(v)?).map(str::to_string)).collect()
}

/// An integer index: it must fit a 32-bit `usize`.
fn int_index<T: TryInto<u32>>(value: T) -> Result<usize, ProcBlockError> {
    value.try_into().map(|v| v as usize).map_err(|_| error(UNSUPPORTED))
}

/// An f32 index, with the original's checks in order.
fn float_index(value: f32) -> Result<usize, ProcBlockError> {
    const MAX_VALUE: f32 = (1u64 << f32::MANTISSA_DIGITS) as f32;
    if value.is_nan() {
        return Err(error("The index can't be NAN"));
    }
    if value.is_infinite() {
        return Err(error("The index can't be infinite"));
    }
    if value < 0.0 {
        return Err(error("The index must be a positive number"));
    }
    if value > MAX_VALUE {
        return Err(error("The index is larger than the largest number that can safely represent an integer"));
    }
    if value - value.floor() != 0.0 {
        return Err(error("The index wasn't an integer"));
    }
    Ok(value as u32 as usize)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::TensorData::{self, F32, I32, I64, U8, U32, U64, Utf8};

    fn label(wordlist: &str, indices: TensorData) -> Result<Vec<String>, String> {
        match run1("label", &[("wordlist", wordlist)], v(indices)).map_err(|e| e.0)?.into_data() {
            Utf8(v) => Ok(v),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lines_of_the_wordlist() {
        let words = "zero\none\ntwo\nthree";
        assert_eq!(label(words, U32(vec![2, 0, 1])).unwrap(), ["two", "zero", "one"]);
        assert_eq!(label("\nzero\none\ntwo\nthree", U8(vec![3, 1, 2])).unwrap(), ["three", "one", "two"]);
        assert_eq!(label(words, F32(vec![3.0])).unwrap(), ["three"]);
    }

    #[test]
    fn trimmed_as_a_whole_not_per_line() {
        let words = "  \n- up\r\n\n down \n";
        assert_eq!(label(words, U8(vec![0, 1, 2])).unwrap(), ["- up", "", " down"]);
        assert_eq!(label("a\r\nb", U8(vec![1])).unwrap(), ["b"]);
    }

    #[test]
    fn out_of_range_indices() {
        let err = label("first\nsecond", U64(vec![0, 42])).unwrap_err();
        assert_eq!(err, "Index out of bounds: there are 2 labels but label 42 was requested");
        let err = label("", U8(vec![0])).unwrap_err();
        assert_eq!(err, "Index out of bounds: there are 0 labels but label 0 was requested");
    }

    #[test]
    fn index_conversion_errors() {
        let unsupported = label("a", I32(vec![-3, -1])).unwrap_err();
        assert!(unsupported.starts_with("UNSUPPORTED: Can't be converted to usize."), "{unsupported}");
        assert!(label("a", I64(vec![1 << 40])).unwrap_err().starts_with("UNSUPPORTED"));
        assert_eq!(label("a", F32(vec![f32::NAN])).unwrap_err(), "The index can't be NAN");
        assert_eq!(label("a", F32(vec![f32::INFINITY])).unwrap_err(), "The index can't be infinite");
        assert_eq!(label("a", F32(vec![-3.0])).unwrap_err(), "The index must be a positive number");
        assert_eq!(
            label("a", F32(vec![16_777_216_456_673_784.0])).unwrap_err(),
            "The index is larger than the largest number that can safely represent an integer"
        );
        assert_eq!(label("a", F32(vec![4.3])).unwrap_err(), "The index wasn't an integer");
        assert_eq!(label("a", F32(vec![-0.0])).unwrap(), ["a"]);
        // Element by element: the out-of-range 5 comes before the negative index.
        let err = label("a", I32(vec![5, -1])).unwrap_err();
        assert_eq!(err, "Index out of bounds: there are 1 labels but label 5 was requested");
    }

    #[test]
    fn output_is_1d_and_f64_is_rejected() {
        let out = run1("label", &[("wordlist", "a\nb")], t(&[1, 2], U8(vec![1, 0]))).unwrap();
        assert_eq!(out.dimensions(), [2]);
        assert!(err1("label", &[], v(TensorData::F64(vec![0.0]))).contains("doesn't support f64"));
    }

    #[test]
    fn label_map_csv_by_id() {
        let csv = "id,name\n2,banana\n0,__background__\n1,\"apple, \"\"red\"\"\"\n";
        assert_eq!(label(csv, U8(vec![1, 2, 0])).unwrap(), ["apple, \"red\"", "banana", "__background__"]);
        assert_eq!(
            label(csv, U8(vec![5])).unwrap_err(),
            "Index out of bounds: there are 3 labels but label 5 was requested"
        );
        assert_eq!(label(" ID , Name \r\n7,seven", U32(vec![7])).unwrap(), ["seven"]);
        // Not a header: an ordinary wordlist whose first label is "id,names".
        assert_eq!(label("id,names\nx", U8(vec![0])).unwrap(), ["id,names"]);
    }
}
