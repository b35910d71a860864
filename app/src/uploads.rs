//! Files the user adds in the Inputs panel: what each one is for, checked before use.
//!
//! A file is either a **file** the Runefile reads by name (`model: ./food.tflite`, a resource's
//! `path:`), kept in [`compiler::MemoryFiles`], or an **input** of a capability kind (IMAGE,
//! SOUND, ACCEL, RAW), numbered in the order added (`source: 0`, `1`, …). Everything here is
//! pure and never panics; problems are sentences for the user.
use std::sync::Arc;

use runtime::CapabilityKind;

use crate::protocol::FrameSize;

/// Files larger than this are refused (the browser would struggle long before the runtime).
pub const MAX_FILE_BYTES: usize = 256 * 1024 * 1024;

/// What an added file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Read by the compiler by name (models, label lists, other resources).
    File,
    /// Fed to capabilities of this kind.
    Input(CapabilityKind),
}

impl Role {
    /// A short word for the list: `model`, `file`, `IMAGE`, …
    pub fn label(self, name: &str) -> &'static str {
        match self {
            Role::File if extension(name) == "tflite" => "model",
            Role::File => "file",
            Role::Input(kind) => kind.runefile_name(),
        }
    }
}

/// An added file.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    /// Unique for the page's lifetime (list keys, removal).
    pub id: u64,
    pub name: String,
    pub role: Role,
    pub bytes: Arc<Vec<u8>>,
    /// A note shown next to the file (e.g. what the model expects).
    pub note: Option<String>,
    /// Set for camera pictures: `bytes` are a decoded RGBA8 frame of this size, not a file.
    pub frame: Option<FrameSize>,
}

impl Upload {
    pub fn size(&self) -> usize {
        self.bytes.len()
    }
}

/// The lowercase extension of a file name (`""` when none).
pub fn extension(name: &str) -> String {
    name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default()
}

/// Decides what a file is for and checks that it can be used that way. Returns the role and an
/// optional note, or why the file cannot be used.
pub fn classify(name: &str, bytes: &[u8]) -> Result<(Role, Option<String>), String> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(format!(
            "\"{name}\" is {}, larger than the {} the playground accepts.",
            human_size(bytes.len()),
            human_size(MAX_FILE_BYTES)
        ));
    }
    match extension(name).as_str() {
        "tflite" => {
            let info = runtime::tflite::read_info(bytes)
                .map_err(|e| format!("\"{name}\" is not a TensorFlow Lite model: {e}"))?;
            let describe = |ports: &[runtime::tflite::TensorInfo]| {
                ports.iter().map(|p| p.describe()).collect::<Vec<_>>().join(", ")
            };
            Ok((Role::File, Some(format!("{} → {}", describe(&info.inputs), describe(&info.outputs)))))
        }
        "png" | "jpg" | "jpeg" | "gif" | "webp" | "bmp" => match image_format(bytes) {
            Some(_) => Ok((Role::Input(CapabilityKind::Image), None)),
            None => Err(format!("\"{name}\" is not a PNG, JPEG, GIF, WebP or BMP image.")),
        },
        "wav" | "wave" => {
            let riff = bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE";
            if riff {
                Ok((Role::Input(CapabilityKind::Sound), None))
            } else {
                Err(format!("\"{name}\" is not a WAV file (it does not start with a RIFF/WAVE header)."))
            }
        }
        "bin" | "raw" => {
            if bytes.is_empty() {
                Err(format!("\"{name}\" is empty."))
            } else {
                Ok((Role::Input(CapabilityKind::Raw), None))
            }
        }
        "csv" => match accelerometer_rows(bytes) {
            Some(rows) => Ok((Role::Input(CapabilityKind::Accelerometer), Some(format!("{rows} x,y,z rows")))),
            // Not x,y,z numbers: a file for the Runefile (e.g. a label map).
            None => Ok((Role::File, None)),
        },
        _ => Ok((Role::File, None)),
    }
}

/// The image format by its magic bytes.
pub fn image_format(bytes: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"\x89PNG\r\n\x1a\n") {
        Some("PNG")
    } else if starts(&[0xFF, 0xD8, 0xFF]) {
        Some("JPEG")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("GIF")
    } else if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("WebP")
    } else if starts(b"BM") {
        Some("BMP")
    } else {
        None
    }
}

/// The number of rows when the text is CSV of `x,y,z` numbers (blank lines ignored).
pub fn accelerometer_rows(bytes: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut rows = 0;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != 3 || fields.iter().any(|f| f.parse::<f32>().is_err()) {
            return None;
        }
        rows += 1;
    }
    (rows > 0).then_some(rows)
}

/// `1.5 KiB`, `12 B`, `3.2 MiB`.
pub fn human_size(bytes: usize) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KIB {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else {
        format!("{:.1} MiB", b / (KIB * KIB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_classified_by_name_and_checked_by_content() {
        let model = runtime::samples::sine_model();
        let (role, note) = classify("sine.tflite", &model).expect("a model");
        assert_eq!(role, Role::File);
        assert_eq!(role.label("sine.tflite"), "model");
        assert_eq!(note.as_deref(), Some("Float32[1, 1] → Float32[1, 1]"));
        assert!(classify("bad.tflite", b"nope").is_err_and(|e| e.contains("not a TensorFlow Lite model")));

        assert_eq!(classify("a.PNG", b"\x89PNG\r\n\x1a\n....").map(|r| r.0), Ok(Role::Input(CapabilityKind::Image)));
        assert!(classify("a.jpg", b"hello").is_err_and(|e| e.contains("not a PNG")));
        assert_eq!(classify("a.wav", b"RIFF\0\0\0\0WAVEfmt ").map(|r| r.0), Ok(Role::Input(CapabilityKind::Sound)));
        assert!(classify("a.wav", b"RIFF").is_err());
        assert_eq!(classify("x.bin", &[1, 2]).map(|r| r.0), Ok(Role::Input(CapabilityKind::Raw)));
        assert!(classify("x.bin", &[]).is_err());
        assert_eq!(
            classify("walk.csv", b"1,2,3\n0.5, -1, 2e3\n\n").map(|r| (r.0, r.1)),
            Ok((Role::Input(CapabilityKind::Accelerometer), Some("2 x,y,z rows".to_string())))
        );
        assert_eq!(classify("labels.csv", b"id,name\n0,apple\n").map(|r| r.0), Ok(Role::File));
        assert_eq!(classify("labels.txt", b"cat\ndog").map(|r| r.0), Ok(Role::File));
        assert_eq!(human_size(12), "12 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(3 * 1024 * 1024), "3.0 MiB");
    }
}
