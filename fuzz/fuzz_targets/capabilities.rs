//! The IMAGE, SOUND and ACCEL capabilities on arbitrary file bytes: decoding, resizing and
//! conversion never panic and respect the size limits.
#![no_main]
use indexmap::IndexMap;
use libfuzzer_sys::fuzz_target;
use runtime::capability::Capability;
use runtime::host::{FixedHost, Input};
use runtime::{CapabilityKind, ElementType, TensorType};

fuzz_target!(|data: &[u8]| {
    let cases: [(CapabilityKind, &[(&str, &str)], TensorType); 4] = [
        (
            CapabilityKind::Image,
            &[("width", "16"), ("height", "12"), ("pixel_format", "@PixelFormat::RGB")],
            TensorType::new(ElementType::U8, vec![1, 12, 16, 3]),
        ),
        (
            CapabilityKind::Image,
            &[("width", "8"), ("height", "8"), ("pixel_format", "@PixelFormat::GrayScale")],
            TensorType::new(ElementType::U8, vec![1, 8, 8, 1]),
        ),
        (
            CapabilityKind::Sound,
            &[("hz", "16000"), ("sample_duration_ms", "100")],
            TensorType::new(ElementType::I16, vec![1, 1600]),
        ),
        (CapabilityKind::Accelerometer, &[("samples", "4")], TensorType::new(ElementType::F32, vec![1, 4, 3])),
    ];
    for (kind, args, output) in cases {
        let args: IndexMap<String, String> = args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let capability = Capability::new(kind, &args, output.clone());
        let mut host = FixedHost::new(0).with(kind, Input::Bytes(data.to_vec()));
        if let Ok(tensor) = capability.produce(&mut host, &mut Vec::new()) {
            assert_eq!(tensor.tensor_type().element_count(), output.element_count());
        }
    }
});
