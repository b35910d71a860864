//! `parse` (v0.11.3): splits strings on whitespace and parses every token as the element type
//! the Runefile declares for the output (Rust `FromStr`, so `"5.0"` is not a valid integer).
//! Each string is first cut at its first NUL. The output is 1-D, one element per token.
use std::any::type_name;
use std::fmt::Debug;
use std::str::FromStr;

use super::{Configure, NUMERIC, error, take_inputs, unsupported};
use crate::ElementType::{self, Utf8};
use crate::catalog::{Inputs, OutPort, Outputs, Port, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorData, TensorType};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "parse",
    type_name: "Parse",
    description: "Splits strings on whitespace and parses each token as the declared output type.",
    args: &[],
    inputs: Inputs::Fixed(&[Port { name: "text", types: &[Utf8] }]),
    outputs: Outputs::Fixed(&[OutPort::OneOf(NUMERIC)]),
    check_shapes: None,
    create: super::create::<Parse>,
};

#[derive(Debug, Default)]
struct Parse;

impl Configure for Parse {}

impl ProcBlock for Parse {
    fn transform(&mut self, inputs: &[Tensor], outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        let [input] = take_inputs::<1>("parse", inputs)?;
        let TensorData::Utf8(strings) = input.data() else { return Err(unsupported("parse", input)) };
        let Some(output) = outputs.first() else {
            return Err(error("parse needs the declared type of its output to know what to parse"));
        };
        let tokens: Vec<&str> =
            strings.iter().flat_map(|s| s.split('\0').next().unwrap_or_default().split_whitespace()).collect();
        let data = match output.element_type {
            ElementType::U8 => TensorData::U8(parse_all(&tokens)?),
            ElementType::I8 => TensorData::I8(parse_all(&tokens)?),
            ElementType::U16 => TensorData::U16(parse_all(&tokens)?),
            ElementType::I16 => TensorData::I16(parse_all(&tokens)?),
            ElementType::U32 => TensorData::U32(parse_all(&tokens)?),
            ElementType::I32 => TensorData::I32(parse_all(&tokens)?),
            ElementType::F32 => TensorData::F32(parse_all(&tokens)?),
            ElementType::U64 => TensorData::U64(parse_all(&tokens)?),
            ElementType::I64 => TensorData::I64(parse_all(&tokens)?),
            ElementType::F64 => TensorData::F64(parse_all(&tokens)?),
            ElementType::Utf8 => return Err(error("parse can't produce utf8; declare a numeric output type")),
        };
        Ok(vec![Tensor::vector(data)])
    }
}

/// Parses every token, failing with the original's message at the first bad one.
fn parse_all<T>(tokens: &[&str]) -> Result<Vec<T>, ProcBlockError>
where
    T: FromStr,
    T::Err: Debug,
{
    tokens
        .iter()
        .map(|token| {
            token.parse().map_err(|e| error(format!("Unable to parse {token:?} as a {}: {e:?}", type_name::<T>())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::ElementType;
    use crate::TensorData::{self, F32, F64, I32, U8, U32, Utf8};

    fn parse(strings: &[&str], ty: ElementType) -> Result<TensorData, String> {
        let input = v(Utf8(strings.iter().map(|s| s.to_string()).collect()));
        let mut out = run_declared("parse", &[], vec![input], &[ty_of(ty)]).map_err(|e| e.0)?;
        Ok(out.remove(0).into_data())
    }

    fn ty_of(element_type: ElementType) -> crate::TensorType {
        ty(element_type, &[0])
    }

    #[test]
    fn tokens_of_every_string_flattened() {
        assert_eq!(parse(&["5\n6\n7"], ElementType::I32), Ok(I32(vec![5, 6, 7])));
        assert_eq!(parse(&["5", "6", "7"], ElementType::U8), Ok(U8(vec![5, 6, 7])));
        assert_eq!(parse(&["2", "3", "4", "5\n6\n7"], ElementType::U32), Ok(U32(vec![2, 3, 4, 5, 6, 7])));
        assert_eq!(parse(&["5\n6\n7\u{0}8 9"], ElementType::I32), Ok(I32(vec![5, 6, 7])), "cut at NUL");
        assert_eq!(parse(&["  1.5\t-2e3 "], ElementType::F32), Ok(F32(vec![1.5, -2000.0])));
        assert_eq!(parse(&["", " "], ElementType::F64), Ok(F64(vec![])));
    }

    #[test]
    fn parse_errors_name_the_token_and_type() {
        assert_eq!(
            parse(&["1.0\na"], ElementType::F64).unwrap_err(),
            "Unable to parse \"a\" as a f64: ParseFloatError { kind: Invalid }"
        );
        assert_eq!(
            parse(&["5.0"], ElementType::I32).unwrap_err(),
            "Unable to parse \"5.0\" as a i32: ParseIntError { kind: InvalidDigit }"
        );
        assert_eq!(
            parse(&["300"], ElementType::U8).unwrap_err(),
            "Unable to parse \"300\" as a u8: ParseIntError { kind: PosOverflow }"
        );
        assert!(parse(&["1"], ElementType::Utf8).is_err());
        assert!(run("parse", &[], vec![v(Utf8(vec!["1".into()]))]).is_err(), "no declared output");
    }
}
