//! Writes fuzzing seeds into `<dir>/artifact`, `<dir>/tflite` and `<dir>/capabilities`: the
//! artifacts of the passing fixtures, the generated fixture models, and small image/WAV/CSV files.
#![allow(clippy::unwrap_used)]

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: fuzz_seeds DIR"));
    std::fs::create_dir_all(dir.join("artifact")).unwrap();
    std::fs::create_dir_all(dir.join("tflite")).unwrap();
    std::fs::create_dir_all(dir.join("capabilities")).unwrap();
    // Capability inputs: a PNG, a JPEG, a WAV and an accelerometer CSV.
    let img = image::RgbImage::from_fn(20, 10, |x, y| image::Rgb([x as u8 * 12, y as u8 * 25, 128]));
    for (format, name) in [(image::ImageFormat::Png, "image.png"), (image::ImageFormat::Jpeg, "image.jpg")] {
        let mut bytes = std::io::Cursor::new(Vec::new());
        img.write_to(&mut bytes, format).unwrap();
        std::fs::write(dir.join("capabilities").join(name), bytes.into_inner()).unwrap();
    }
    // A 16-bit mono PCM WAV at 16 kHz: RIFF header, fmt chunk, data chunk.
    let samples: Vec<u8> = (0..200i16).flat_map(|i| i.wrapping_mul(97).to_le_bytes()).collect();
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + samples.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    for field in [16u32.to_le_bytes().as_slice(), &1u16.to_le_bytes(), &1u16.to_le_bytes(), &16000u32.to_le_bytes()] {
        wav.extend_from_slice(field);
    }
    wav.extend_from_slice(&32000u32.to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    wav.extend_from_slice(&samples);
    std::fs::write(dir.join("capabilities/sound.wav"), wav).unwrap();
    std::fs::write(dir.join("capabilities/accel.csv"), "0.1,0.2,9.8\n0.0,-0.1,9.7\n").unwrap();
    let files = rune_tests::models::fixture_files();
    for path in files.paths().filter(|p| p.ends_with(".tflite")) {
        std::fs::write(dir.join("tflite").join(path.replace('/', "_")), files.get(path).unwrap()).unwrap();
    }
    let fixtures = rune_tests::workspace_root().join("tests/runefiles/compile-pass");
    for entry in std::fs::read_dir(fixtures).unwrap() {
        let path = entry.unwrap().path();
        let source = std::fs::read_to_string(&path).unwrap();
        let compilation = compiler::compile(&source, "seed", &files);
        if let Ok(bytes) = compilation.to_bytes(runtime::BuildInfo::playground(None)) {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            std::fs::write(dir.join("artifact").join(format!("{name}.rune")), bytes).unwrap();
        }
    }
}
