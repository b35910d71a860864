//! Capabilities: turn what the host provides into the tensor a Runefile declared.
//!
//! * IMAGE / FLOAT_IMAGE: decode (PNG, JPEG, WebP, GIF, BMP) or take a camera frame, resize
//!   *exactly* to `width` x `height` with a Catmull-Rom filter (ignoring the aspect ratio, as the
//!   original), convert to RGB, BGR or grayscale; u8 pixels (FLOAT_IMAGE: f32 in 0..1), NHWC.
//! * SOUND: 8/16-bit PCM WAV (or microphone samples), first `hz * sample_duration_ms / 1000`
//!   samples, no resampling; multi-channel WAVs are mixed down to mono (the original kept them
//!   interleaved).
//! * ACCEL: CSV rows of `x,y,z` floats; the first `samples` rows (default: all).
//! * RAW: a file's bytes; the first `length` bytes (default: all).
//! * RAND: random bytes for the whole declared tensor.
//!
//! Bytes are reinterpreted as the declared element type (little-endian), as the original did.
//! When the produced data is shorter or longer than the declared tensor, it is zero-padded or
//! truncated and a warning says so (the behaviour of rune 0.11.3; HEAD failed instead).
use std::io::Cursor;

use indexmap::IndexMap;

use crate::catalog::{PixelFormat, parse_pixel_format};
use crate::host::{Host, Input};
use crate::{CapabilityKind, Tensor, TensorData, TensorType};

/// Images larger than this (in either dimension) are refused before decoding.
pub const MAX_IMAGE_SIDE: u32 = 16_384;
/// Decoders may allocate at most this many bytes.
pub const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// Why a capability could not produce its tensor.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CapabilityError {
    #[error(transparent)]
    Host(#[from] crate::host::HostError),
    #[error("The \"{0}\" argument wasn't set")]
    MissingArg(&'static str),
    #[error("The \"{key}\" argument can't be \"{value}\": {reason}")]
    BadArg { key: String, value: String, reason: String },
    #[error("Unable to decode the image: {0}")]
    Image(String),
    #[error("Unable to read the WAV file: {0}")]
    Wav(String),
    #[error("{0}")]
    Csv(String),
    #[error("Requested {requested} bytes but only {available} were provided")]
    TooFewBytes { requested: usize, available: usize },
    #[error("This input was given {0}, which this capability can't use")]
    WrongInput(&'static str),
    #[error("The declared tensor {0} is too large")]
    TooLarge(TensorType),
}

/// A capability ready to run: its kind, arguments (keys with `_`) and declared output.
#[derive(Debug, Clone)]
pub struct Capability {
    pub kind: CapabilityKind,
    pub args: IndexMap<String, String>,
    pub output: TensorType,
}

impl Capability {
    pub fn new(kind: CapabilityKind, args: &IndexMap<String, String>, output: TensorType) -> Self {
        let args = args.iter().map(|(k, v)| (k.replace('-', "_"), v.trim().to_string())).collect();
        Capability { kind, args, output }
    }

    fn number<T: std::str::FromStr>(&self, key: &'static str) -> Result<Option<T>, CapabilityError> {
        match self.args.get(key) {
            None => Ok(None),
            Some(v) => v.parse::<T>().map(Some).map_err(|_| CapabilityError::BadArg {
                key: key.to_string(),
                value: v.clone(),
                reason: "not a number".to_string(),
            }),
        }
    }

    fn required<T: std::str::FromStr>(&self, key: &'static str) -> Result<T, CapabilityError> {
        self.number(key)?.ok_or(CapabilityError::MissingArg(key))
    }

    /// Which of the host's inputs of this kind to use.
    pub fn source(&self) -> Result<usize, CapabilityError> {
        Ok(self.number("source")?.unwrap_or(0))
    }

    /// Produces the tensor, pushing a warning when the data had to be padded or truncated.
    pub fn produce(&self, host: &mut dyn Host, warnings: &mut Vec<String>) -> Result<Tensor, CapabilityError> {
        let want = self.output.element_count().filter(|n| *n <= crate::MAX_ELEMENTS);
        let want = want.ok_or_else(|| CapabilityError::TooLarge(self.output.clone()))?;
        let kind = self.kind;
        let data = match kind {
            CapabilityKind::Random => {
                let size = self.output.element_type.size().unwrap_or(1);
                let mut bytes = vec![0u8; want * size];
                host.random_bytes(&mut bytes);
                return Ok(self.reinterpret(&bytes, warnings));
            }
            CapabilityKind::Raw => {
                let bytes = self.raw(host.input(kind, self.source()?)?)?;
                return Ok(self.reinterpret(&bytes, warnings));
            }
            CapabilityKind::Image => self.image(host.input(kind, self.source()?)?, false)?,
            CapabilityKind::FloatImage => self.image(host.input(kind, self.source()?)?, true)?,
            CapabilityKind::Sound => self.sound(host.input(kind, self.source()?)?)?,
            CapabilityKind::Accelerometer => self.accel(host.input(kind, self.source()?)?)?,
        };
        Ok(self.fit(data, warnings))
    }

    /// Reinterprets bytes as the declared element type (padding or truncating to the declared size).
    fn reinterpret(&self, bytes: &[u8], warnings: &mut Vec<String>) -> Tensor {
        let size = self.output.element_type.size().unwrap_or(1);
        let want = self.output.element_count().unwrap_or(0) * size;
        let mut buf = bytes.to_vec();
        if buf.len() != want {
            warnings.push(format!(
                "The {} input is {} bytes, but {} is {want} bytes; it was {}",
                self.kind.runefile_name(),
                buf.len(),
                self.output,
                if buf.len() < want { "padded with zeros" } else { "truncated" }
            ));
            buf.resize(want, 0);
        }
        let data = TensorData::from_le_bytes(self.output.element_type, &buf)
            .unwrap_or_else(|| TensorData::zeros(self.output.element_type, self.output.element_count().unwrap_or(0)));
        Tensor::new(self.output.dimensions.clone(), data).unwrap_or_else(|_| Tensor::vector(TensorData::U8(Vec::new())))
    }

    /// Converts typed data to the declared tensor (element type conversion for numbers, then
    /// padding/truncation).
    fn fit(&self, data: TensorData, warnings: &mut Vec<String>) -> Tensor {
        let ty = &self.output;
        let want = ty.element_count().unwrap_or(0);
        let data = if data.element_type() == ty.element_type {
            data
        } else {
            // Same bytes, reinterpreted, as the original host did.
            let bytes = data.to_le_bytes().unwrap_or_default();
            return self.reinterpret(&bytes, warnings);
        };
        let have = data.len();
        let data = if have == want {
            data
        } else {
            warnings.push(format!(
                "The {} input has {have} values, but {ty} has {want}; it was {}",
                self.kind.runefile_name(),
                if have < want { "padded with zeros" } else { "truncated" }
            ));
            resize(data, want)
        };
        Tensor::new(ty.dimensions.clone(), data).unwrap_or_else(|_| Tensor::vector(TensorData::U8(Vec::new())))
    }

    fn image(&self, input: Input, float: bool) -> Result<TensorData, CapabilityError> {
        let width: u32 = self.required("width")?;
        let height: u32 = self.required("height")?;
        if width == 0 || height == 0 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE {
            return Err(CapabilityError::BadArg {
                key: "width/height".into(),
                value: format!("{width}x{height}"),
                reason: format!("must be between 1 and {MAX_IMAGE_SIDE}"),
            });
        }
        let format = match self.args.get("pixel_format") {
            None => PixelFormat::Rgb,
            Some(v) => parse_pixel_format(v).ok_or_else(|| CapabilityError::BadArg {
                key: "pixel_format".into(),
                value: v.clone(),
                reason: "Unknown pixel format".into(),
            })?,
        };
        let rgba = match input {
            Input::Bytes(bytes) => decode_image(&bytes)?,
            Input::Frame { width: w, height: h, rgba } => image::RgbaImage::from_raw(w, h, rgba).ok_or_else(|| {
                CapabilityError::Image(format!("a {w}x{h} frame needs {} bytes", u64::from(w) * u64::from(h) * 4))
            })?,
            Input::Samples { .. } => return Err(CapabilityError::WrongInput("audio samples")),
        };
        let resized = image::imageops::resize(&rgba, width, height, image::imageops::FilterType::CatmullRom);
        let mut pixels = Vec::with_capacity((width * height) as usize * format.channels());
        for p in resized.pixels() {
            let [r, g, b, _] = p.0;
            match format {
                PixelFormat::Rgb => pixels.extend_from_slice(&[r, g, b]),
                PixelFormat::Bgr => pixels.extend_from_slice(&[b, g, r]),
                // Rec. 709 luma weights (0.2126, 0.7152, 0.0722), as image's to_luma8.
                PixelFormat::GrayScale => {
                    let luma = (u32::from(r) * 2126 + u32::from(g) * 7152 + u32::from(b) * 722) / 10_000;
                    pixels.push(luma.min(255) as u8);
                }
            }
        }
        Ok(if float {
            TensorData::F32(pixels.iter().map(|&p| f32::from(p) / 255.0).collect())
        } else {
            TensorData::U8(pixels)
        })
    }

    fn sound(&self, input: Input) -> Result<TensorData, CapabilityError> {
        let hz: u64 = self.required("hz")?;
        let ms: u64 = self.required("sample_duration_ms")?;
        let wanted = usize::try_from(hz.saturating_mul(ms) / 1000).unwrap_or(usize::MAX);
        let mut samples = match input {
            Input::Bytes(bytes) => read_wav(&bytes, wanted)?,
            Input::Samples { samples, .. } => samples,
            Input::Frame { .. } => return Err(CapabilityError::WrongInput("an image")),
        };
        samples.truncate(wanted);
        Ok(TensorData::I16(samples))
    }

    fn accel(&self, input: Input) -> Result<TensorData, CapabilityError> {
        let Input::Bytes(bytes) = input else {
            return Err(CapabilityError::WrongInput("something other than a CSV file"));
        };
        let text = String::from_utf8_lossy(&bytes);
        let mut values = Vec::new();
        let mut rows = 0usize;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split(',').collect();
            if fields.len() != 3 {
                return Err(CapabilityError::Csv(format!(
                    "Line {} should have 3 fields but it actually had {}",
                    i + 1,
                    fields.len()
                )));
            }
            for f in fields {
                let v: f32 = f
                    .trim()
                    .parse()
                    .map_err(|_| CapabilityError::Csv(format!("Unable to parse \"{}\" on line {}", f.trim(), i + 1)))?;
                values.push(v);
            }
            rows += 1;
        }
        if let Some(samples) = self.number::<usize>("samples")? {
            if samples > rows {
                return Err(CapabilityError::Csv(format!(
                    "{samples} samples were requested, but the file has only {rows} rows"
                )));
            }
            values.truncate(samples * 3);
        }
        Ok(TensorData::F32(values))
    }

    fn raw(&self, input: Input) -> Result<Vec<u8>, CapabilityError> {
        let Input::Bytes(mut bytes) = input else {
            return Err(CapabilityError::WrongInput("something other than a file"));
        };
        if let Some(length) = self.number::<usize>("length")? {
            if length > bytes.len() {
                return Err(CapabilityError::TooFewBytes { requested: length, available: bytes.len() });
            }
            bytes.truncate(length);
        }
        Ok(bytes)
    }
}

fn resize(data: TensorData, n: usize) -> TensorData {
    match data {
        TensorData::U8(mut v) => {
            v.resize(n, 0);
            TensorData::U8(v)
        }
        TensorData::I16(mut v) => {
            v.resize(n, 0);
            TensorData::I16(v)
        }
        TensorData::F32(mut v) => {
            v.resize(n, 0.0);
            TensorData::F32(v)
        }
        other => {
            let ty = other.element_type();
            let bytes = other.to_le_bytes().unwrap_or_default();
            let size = ty.size().unwrap_or(1);
            let mut bytes = bytes;
            bytes.resize(n * size, 0);
            TensorData::from_le_bytes(ty, &bytes).unwrap_or_else(|| TensorData::zeros(ty, n))
        }
    }
}

/// The width and height an image file's header claims, read without decoding it (`None` when
/// it is not an image in a supported format, or its header is unreadable).
pub fn image_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().ok()?.into_dimensions().ok()
}

/// Decodes an image with size limits (no panics, bounded memory).
pub fn decode_image(bytes: &[u8]) -> Result<image::RgbaImage, CapabilityError> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| CapabilityError::Image(e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    if reader.format().is_none() {
        return Err(CapabilityError::Image(
            "the file is not an image in a supported format (PNG, JPEG, WebP, GIF, BMP)".into(),
        ));
    }
    let image = reader.decode().map_err(|e| CapabilityError::Image(e.to_string()))?;
    Ok(image.to_rgba8())
}

/// Reads up to `max` mono i16 samples from an 8- or 16-bit PCM WAV (channels averaged).
pub fn read_wav(bytes: &[u8], max: usize) -> Result<Vec<i16>, CapabilityError> {
    let reader = hound::WavReader::new(Cursor::new(bytes)).map_err(|e| CapabilityError::Wav(e.to_string()))?;
    let spec = reader.spec();
    if spec.sample_format != hound::SampleFormat::Int || spec.bits_per_sample > 16 {
        return Err(CapabilityError::Wav(format!(
            "{}-bit {} samples are not supported; use 8- or 16-bit integer PCM",
            spec.bits_per_sample,
            if spec.sample_format == hound::SampleFormat::Float { "float" } else { "integer" }
        )));
    }
    let channels = usize::from(spec.channels.max(1));
    let mut out = Vec::with_capacity(max.min(1 << 24));
    let mut frame = Vec::with_capacity(channels);
    for sample in reader.into_samples::<i16>() {
        let s = sample.map_err(|e| CapabilityError::Wav(e.to_string()))?;
        let s = if spec.bits_per_sample == 8 { s.saturating_mul(256) } else { s };
        frame.push(i32::from(s));
        if frame.len() == channels {
            out.push((frame.iter().sum::<i32>() / channels as i32) as i16);
            frame.clear();
            if out.len() >= max {
                break;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ElementType;
    use crate::host::FixedHost;

    fn args(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(width, height, image::Rgb(rgb));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn wav(samples: &[i16], channels: u16) -> Vec<u8> {
        let spec = hound::WavSpec {
            channels,
            sample_rate: 16000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut out = Cursor::new(Vec::new());
        let mut w = hound::WavWriter::new(&mut out, spec).unwrap();
        for s in samples {
            w.write_sample(*s).unwrap();
        }
        w.finalize().unwrap();
        out.into_inner()
    }

    #[test]
    fn images_are_resized_and_converted() {
        let cap = Capability::new(
            CapabilityKind::Image,
            &args(&[("width", "4"), ("height", "2"), ("pixel-format", "@PixelFormat::BGR")]),
            TensorType::new(ElementType::U8, vec![1, 2, 4, 3]),
        );
        let mut host = FixedHost::new(1).with(CapabilityKind::Image, Input::Bytes(png(40, 30, [200, 100, 10])));
        let mut warnings = Vec::new();
        let t = cap.produce(&mut host, &mut warnings).unwrap();
        assert_eq!(t.dimensions(), &[1, 2, 4, 3]);
        assert_eq!(&t.data().to_le_bytes().unwrap()[..3], &[10, 100, 200]);
        assert!(warnings.is_empty());
        let gray = Capability::new(
            CapabilityKind::Image,
            &args(&[("width", "2"), ("height", "2"), ("pixel_format", "2")]),
            TensorType::new(ElementType::U8, vec![1, 2, 2, 1]),
        );
        let t = gray.produce(&mut host, &mut warnings).unwrap();
        assert_eq!(t.len(), 4);
    }

    #[test]
    fn bad_images_are_errors_not_panics() {
        let cap = Capability::new(
            CapabilityKind::Image,
            &args(&[("width", "4"), ("height", "4")]),
            TensorType::new(ElementType::U8, vec![1, 4, 4, 3]),
        );
        let mut warnings = Vec::new();
        for bytes in [b"not an image".to_vec(), png(8, 8, [1, 2, 3])[..40].to_vec(), Vec::new()] {
            let mut host = FixedHost::new(1).with(CapabilityKind::Image, Input::Bytes(bytes));
            assert!(matches!(cap.produce(&mut host, &mut warnings), Err(CapabilityError::Image(_))));
        }
        let mut host = FixedHost::new(1);
        let err = cap.produce(&mut host, &mut warnings).unwrap_err();
        assert_eq!(err.to_string(), "The user asked for source 0, but no sources were provided");
    }

    #[test]
    fn sound_raw_accel_and_random() {
        let mut warnings = Vec::new();
        let sound = Capability::new(
            CapabilityKind::Sound,
            &args(&[("hz", "16000"), ("sample-duration-ms", "1")]),
            TensorType::new(ElementType::I16, vec![1, 16]),
        );
        let mut host = FixedHost::new(1).with(CapabilityKind::Sound, Input::Bytes(wav(&[1, 3, 5, 7].repeat(10), 2)));
        let t = sound.produce(&mut host, &mut warnings).unwrap();
        assert_eq!(t.data(), &TensorData::I16([2, 6].repeat(8)));

        let raw = Capability::new(
            CapabilityKind::Raw,
            &args(&[("length", "4")]),
            TensorType::new(ElementType::F32, vec![1, 1]),
        );
        let mut host = FixedHost::new(1).with(CapabilityKind::Raw, Input::Bytes(0.8f32.to_le_bytes().repeat(2)));
        assert_eq!(raw.produce(&mut host, &mut warnings).unwrap().data(), &TensorData::F32(vec![0.8]));
        let mut host = FixedHost::new(1).with(CapabilityKind::Raw, Input::Bytes(vec![1, 2]));
        assert_eq!(
            raw.produce(&mut host, &mut warnings).unwrap_err().to_string(),
            "Requested 4 bytes but only 2 were provided"
        );

        let accel = Capability::new(
            CapabilityKind::Accelerometer,
            &IndexMap::new(),
            TensorType::new(ElementType::F32, vec![1, 2, 3, 1]),
        );
        let mut host = FixedHost::new(1).with(CapabilityKind::Accelerometer, Input::Bytes(b"1,2,3\n4,5,6\n".to_vec()));
        assert_eq!(
            accel.produce(&mut host, &mut warnings).unwrap().data(),
            &TensorData::F32(vec![1., 2., 3., 4., 5., 6.])
        );
        let mut host = FixedHost::new(1).with(CapabilityKind::Accelerometer, Input::Bytes(b"1,2\n".to_vec()));
        assert_eq!(
            accel.produce(&mut host, &mut warnings).unwrap_err().to_string(),
            "Line 1 should have 3 fields but it actually had 2"
        );

        let rand =
            Capability::new(CapabilityKind::Random, &IndexMap::new(), TensorType::new(ElementType::I32, vec![4]));
        let a = rand.produce(&mut FixedHost::new(7), &mut warnings).unwrap();
        let b = rand.produce(&mut FixedHost::new(7), &mut warnings).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 4);
    }

    #[test]
    fn short_inputs_are_padded_with_a_warning() {
        let raw = Capability::new(CapabilityKind::Raw, &IndexMap::new(), TensorType::new(ElementType::U8, vec![4]));
        let mut host = FixedHost::new(1).with(CapabilityKind::Raw, Input::Bytes(vec![9, 9]));
        let mut warnings = Vec::new();
        assert_eq!(raw.produce(&mut host, &mut warnings).unwrap().data(), &TensorData::U8(vec![9, 9, 0, 0]));
        assert_eq!(warnings.len(), 1);
    }
}
