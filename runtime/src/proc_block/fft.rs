use crate::ElementType::{I16, U32};
use crate::TensorType;
use crate::catalog::{ArgSpec, ArgType, Inputs, OutPort, Outputs, Port, ProcBlockSignature};

pub(crate) const SIGNATURE: ProcBlockSignature = ProcBlockSignature {
    name: "fft",
    type_name: "Fft",
    description: "Short-time Fourier transform to a 49 x 40 mel spectrogram, scaled to 0..65536 (microspeech front end).",
    args: &[
        ArgSpec {
            name: "sample_rate",
            ty: ArgType::U32,
            default: Some("16000"),
            doc: "sample rate (no effect on the output)",
        },
        ArgSpec { name: "bins", ty: ArgType::Usize, default: Some("480"), doc: "window length" },
        ArgSpec {
            name: "window_overlap",
            ty: ArgType::F32,
            default: Some("0.6666667"),
            doc: "overlap between windows",
        },
    ],
    inputs: Inputs::Fixed(&[Port { name: "samples", types: &[I16] }]),
    outputs: Outputs::Fixed(&[OutPort::Fixed(U32)]),
    check_shapes: Some(check),
};

fn check(inputs: &[TensorType], outputs: &[TensorType], _args: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(out) = outputs.first()
        && out.element_count() != Some(1960)
    {
        problems.push(format!(
            "fft always produces 1960 values (49 frames x 40 mel bands), but the output is declared as {out}"
        ));
    }
    if let Some(input) = inputs.first()
        && input.element_count().is_some_and(|n| n < 16000)
    {
        problems.push(format!("fft needs at least 16000 samples for its 49 frames, but its input is {input}"));
    }
    problems
}
