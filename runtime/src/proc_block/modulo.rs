//! `modulo` (v0.11.3): `T::from_f32(f32(x) % modulus)` for every element. `%` is the truncated
//! remainder (the sign follows x); a result that does not convert back (NaN for a zero modulus,
//! out of range) fails like the original's `unwrap`.
use super::{
    Configure, Element, NUMERIC, UNWRAP_NONE, error, parse_arg, shaped, take_inputs, unknown_arg, with_numeric,
};
use crate::catalog::{ArgSpec, ArgType, Inputs, OutPort, Outputs, Port, ProcBlock, ProcBlockError, ProcBlockSignature};
use crate::{Tensor, TensorData, TensorType};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "modulo",
    type_name: "Modulo",
    description: "x % modulus for every element (truncated remainder, sign of x).",
    args: &[ArgSpec { name: "modulus", ty: ArgType::F32, default: Some("1"), doc: "the modulus" }],
    inputs: Inputs::Fixed(&[Port { name: "input", types: NUMERIC }]),
    outputs: Outputs::Fixed(&[OutPort::SameAsInput(0)]),
    check_shapes: None,
    create: super::create::<Modulo>,
};

#[derive(Debug)]
struct Modulo {
    modulus: f32,
}

impl Default for Modulo {
    fn default() -> Self {
        Modulo { modulus: 1.0 }
    }
}

impl Configure for Modulo {
    fn set(&mut self, key: &str, value: &str) -> Result<(), ProcBlockError> {
        match key {
            "modulus" => self.modulus = parse_arg(key, value)?,
            _ => return Err(unknown_arg(key)),
        }
        Ok(())
    }
}

impl ProcBlock for Modulo {
    fn transform(&mut self, inputs: &[Tensor], _outputs: &[TensorType]) -> Result<Vec<Tensor>, ProcBlockError> {
        let [input] = take_inputs::<1>("modulo", inputs)?;
        let data = with_numeric!(input.data(), values => modulo(values, self.modulus)?, _ => {
            return Err(super::unsupported("modulo", input));
        });
        Ok(vec![shaped(input.dimensions().to_vec(), data)?])
    }
}

fn modulo<T: Element>(values: &[T], modulus: f32) -> Result<TensorData, ProcBlockError> {
    let out = values.iter().map(|&x| T::from_f32(x.to_f32() % modulus).ok_or_else(|| error(UNWRAP_NONE)));
    Ok(T::into_data(out.collect::<Result<_, _>>()?))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::TensorData::{self, F32, F64, I8, I64, U8, U64};

    fn modulo(modulus: &str, data: TensorData) -> Result<TensorData, String> {
        Ok(run1("modulo", &[("modulus", modulus)], v(data)).map_err(|e| e.0)?.into_data())
    }

    #[test]
    fn truncated_remainder_per_type() {
        assert_eq!(modulo("360", I64(vec![42 + 360])), Ok(I64(vec![42])));
        assert_eq!(modulo("360", U8(vec![200])), Ok(U8(vec![200])));
        assert_eq!(modulo("3", I8(vec![-5, 5, -128])), Ok(I8(vec![-2, 2, -2])));
        assert_eq!(modulo("2.5", U8(vec![7, 8])), Ok(U8(vec![2, 0])), "fractions are truncated");
        assert_eq!(modulo("1.5", F32(vec![-4.0, 4.25])), Ok(F32(vec![-1.0, 1.25])));
        assert_eq!(modulo("4", F64(vec![10.5])), Ok(F64(vec![2.5])));
        // u64 goes through f32, so large values lose precision, and u64::MAX rounds to 2^64,
        // which does not convert back.
        assert_eq!(modulo("1e30", U64(vec![(1 << 40) + 1])), Ok(U64(vec![1 << 40])));
        assert!(modulo("1e30", U64(vec![u64::MAX])).is_err());
    }

    #[test]
    fn default_modulus_is_one_and_failed_conversions_are_errors() {
        assert_eq!(run1("modulo", &[], v(I64(vec![7]))).unwrap().into_data(), I64(vec![0]));
        assert_eq!(modulo("0", I64(vec![7])).unwrap_err(), "called `Option::unwrap()` on a `None` value");
        assert_eq!(modulo("0", F32(vec![7.0])).map(|d| d.to_f64().unwrap()[0].is_nan()), Ok(true));
        assert!(instance("modulo", &[("modulus", "x")]).is_err());
        assert!(err1("modulo", &[], v(TensorData::Utf8(vec![]))).contains("doesn't support utf8"));
    }
}
