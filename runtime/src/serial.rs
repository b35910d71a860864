//! The output format of `rune run` (the original's HEAD format): one JSON object keyed by output
//! host ID, each value the list of tensors that output received. Numeric tensors use the key
//! `element-type`, string tensors `element_type` (the original's inconsistency, which the
//! expected outputs of its test suite depend on); f32 is printed shortest, non-finite as `null`.
use serde_json::{Map, Value, json};

use crate::{Tensor, TensorData};

/// One tensor as JSON.
pub fn tensor_json(tensor: &Tensor) -> Value {
    let dims = tensor.dimensions();
    let number = |v: Option<serde_json::Number>| v.map_or(Value::Null, Value::Number);
    let elements: Vec<Value> = match tensor.data() {
        TensorData::U8(v) => v.iter().map(|x| json!(x)).collect(),
        TensorData::I8(v) => v.iter().map(|x| json!(x)).collect(),
        TensorData::U16(v) => v.iter().map(|x| json!(x)).collect(),
        TensorData::I16(v) => v.iter().map(|x| json!(x)).collect(),
        TensorData::U32(v) => v.iter().map(|x| json!(x)).collect(),
        TensorData::I32(v) => v.iter().map(|x| json!(x)).collect(),
        TensorData::U64(v) => v.iter().map(|x| json!(x)).collect(),
        TensorData::I64(v) => v.iter().map(|x| json!(x)).collect(),
        TensorData::F32(v) => v.iter().map(|x| number(f32_number(*x))).collect(),
        TensorData::F64(v) => v.iter().map(|x| number(serde_json::Number::from_f64(*x))).collect(),
        TensorData::Utf8(v) => {
            return json!({"element_type": "utf8", "dimensions": dims, "elements": v});
        }
    };
    json!({"element-type": tensor.element_type().name(), "dimensions": dims, "elements": elements})
}

/// An f32 as its shortest decimal (`0.69727874`, not the f64 widening `0.697278738...`).
fn f32_number(x: f32) -> Option<serde_json::Number> {
    if !x.is_finite() {
        return None;
    }
    let text = x.to_string();
    serde_json::from_str::<serde_json::Number>(&text).ok().or_else(|| serde_json::Number::from_f64(f64::from(x)))
}

/// The `rune run` line: `{"<id>": [tensors...], ...}` in output order.
pub fn outputs_json(outputs: &[(u32, Vec<Tensor>)]) -> Value {
    let mut map = Map::new();
    for (id, tensors) in outputs {
        map.insert(id.to_string(), Value::Array(tensors.iter().map(tensor_json).collect()));
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_original_format() {
        let sine = Tensor::new(vec![1, 1], TensorData::F32(vec![0.697_278_74])).unwrap();
        assert_eq!(
            outputs_json(&[(3, vec![sine])]).to_string(),
            r#"{"3":[{"element-type":"f32","dimensions":[1,1],"elements":[0.69727874]}]}"#
        );
        let label = Tensor::vector(TensorData::Utf8(vec!["up".into()]));
        assert_eq!(
            outputs_json(&[(3, vec![label])]).to_string(),
            r#"{"3":[{"element_type":"utf8","dimensions":[1],"elements":["up"]}]}"#
        );
        let nan = Tensor::vector(TensorData::F32(vec![f32::NAN, 1.5]));
        assert_eq!(tensor_json(&nan)["elements"].to_string(), "[null,1.5]");
    }
}
