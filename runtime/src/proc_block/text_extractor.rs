//! `text_extractor` (v0.11.3): decodes the text as UTF-8, splits it into lines (Rust `lines()`),
//! takes lines `start[0]..=end[0]` and joins them: a token starting with `##` is glued to the
//! previous one (prefix removed), other tokens are separated by one space.
use super::{Configure, error, index_out_of_bounds, take_inputs, unsupported};
use crate::ElementType::{U8, U32, Utf8};
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorData, TensorType};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "text_extractor",
    type_name: "TextExtractor",
    description: "Joins the word-piece lines start..=end of a UTF-8 text into one string.",
    args: &[],
    inputs: Inputs::Fixed(&[
        Port { name: "text", types: &[U8] },
        Port { name: "start", types: &[U32] },
        Port { name: "end", types: &[U32] },
    ]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(Utf8)]),
    check_shapes: None,
    create: super::create::<TextExtractor>,
};

#[derive(Debug, Default)]
struct TextExtractor;

impl Configure for TextExtractor {}

impl ProcBlock for TextExtractor {
    fn transform(&mut self, inputs: &[Tensor], _outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        let [text, start, end] = take_inputs::<3>("text_extractor", inputs)?;
        let TensorData::U8(bytes) = text.data() else { return Err(unsupported("text_extractor", text)) };
        let TensorData::U32(start) = start.data() else { return Err(unsupported("text_extractor", start)) };
        let TensorData::U32(end) = end.data() else { return Err(unsupported("text_extractor", end)) };
        let text = std::str::from_utf8(bytes).map_err(|_| error("Input tensor should be valid UTF8"))?;
        let lines: Vec<&str> = text.lines().collect();
        let s = *start.first().ok_or_else(|| index_out_of_bounds(0, 0))?;
        let e = *end.first().ok_or_else(|| index_out_of_bounds(0, 0))?;
        if e <= s {
            return Err(error(format!("Start index: {s} is greater than or equal to end index: {e}")));
        }
        let tokens = lines.get(s as usize..=e as usize).ok_or_else(|| {
            error(format!("range end index {} out of range for slice of length {}", u64::from(e) + 1, lines.len()))
        })?;
        let mut joined = String::new();
        for token in tokens {
            if let Some(rest) = token.strip_prefix("##") {
                joined.push_str(rest);
            } else {
                if !joined.is_empty() {
                    joined.push(' ');
                }
                joined.push_str(token);
            }
        }
        Ok(vec![Tensor::vector(TensorData::Utf8(vec![joined]))])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::TensorData::{U8, U32, Utf8};

    fn extract(text: &str, start: u32, end: u32) -> Result<String, String> {
        let inputs = vec![v(U8(text.as_bytes().to_vec())), v(U32(vec![start])), v(U32(vec![end]))];
        let mut out = run("text_extractor", &[], inputs).map_err(|e| e.0)?;
        match out.remove(0).into_data() {
            Utf8(mut v) if v.len() == 1 => Ok(v.remove(0)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn word_pieces_are_glued() {
        let text = "[UNK]\n[UNK]\nuna\n##ffa\n##ble\nworld\n!";
        assert_eq!(extract(text, 2, 4).as_deref(), Ok("unaffable"));
        assert_eq!(extract(text, 2, 6).as_deref(), Ok("unaffable world !"));
        assert_eq!(extract("a\r\nb\r\n##c", 0, 2).as_deref(), Ok("a bc"), "\\r\\n line ends");
    }

    #[test]
    fn index_errors() {
        let text = "a\nb\nc";
        assert_eq!(extract(text, 2, 2).unwrap_err(), "Start index: 2 is greater than or equal to end index: 2");
        assert_eq!(extract(text, 2, 1).unwrap_err(), "Start index: 2 is greater than or equal to end index: 1");
        assert_eq!(extract(text, 1, 3).unwrap_err(), "range end index 4 out of range for slice of length 3");
        let inputs = vec![v(U8(b"a\nb".to_vec())), v(U32(vec![])), v(U32(vec![1]))];
        assert!(run("text_extractor", &[], inputs).unwrap_err().0.contains("index out of bounds"));
        let inputs = vec![v(U8(vec![0xff])), v(U32(vec![0])), v(U32(vec![1]))];
        assert_eq!(run("text_extractor", &[], inputs).unwrap_err().0, "Input tensor should be valid UTF8");
    }
}
