//! Custom operators: `TFLite_Detection_PostProcess` (SSD box decoding and non-max suppression),
//! with its options read from the FlexBuffer map TFLite stores them in.

use tract_core::internal::*;

use super::import::{OpCtx, unsupported, volume};
use super::registry::Builder;

/// The builder of custom operator `name`, when the playground supports it.
pub(crate) fn builder(name: &str) -> Option<Builder> {
    match name {
        "TFLite_Detection_PostProcess" => Some(detection_postprocess),
        _ => None,
    }
}

/// A scalar of a FlexBuffer map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Flex {
    Int(i64),
    UInt(u64),
    Float(f64),
    Bool(bool),
    /// Strings, vectors, maps and other values this reader skips.
    Other,
}

impl Flex {
    fn as_f64(self) -> Option<f64> {
        match self {
            Flex::Int(v) => Some(v as f64),
            Flex::UInt(v) => Some(v as f64),
            Flex::Float(v) => Some(v),
            Flex::Bool(b) => Some(f64::from(u8::from(b))),
            Flex::Other => None,
        }
    }
}

/// Reads `width` bytes at `pos` as an unsigned little-endian integer.
fn read_uint(bytes: &[u8], pos: usize, width: usize) -> Option<u64> {
    let data = bytes.get(pos..pos.checked_add(width)?)?;
    let mut buf = [0u8; 8];
    buf.get_mut(..width)?.copy_from_slice(data);
    Some(u64::from_le_bytes(buf))
}

fn read_int(bytes: &[u8], pos: usize, width: usize) -> Option<i64> {
    let v = read_uint(bytes, pos, width)?;
    let shift = 64 - 8 * width as u32;
    Some(((v << shift) as i64) >> shift)
}

fn read_float(bytes: &[u8], pos: usize, width: usize) -> Option<f64> {
    match width {
        4 => Some(f64::from(f32::from_bits(u32::try_from(read_uint(bytes, pos, 4)?).ok()?))),
        8 => Some(f64::from_bits(read_uint(bytes, pos, 8)?)),
        _ => None,
    }
}

/// Follows the offset stored at `pos` (width `width`) backwards.
fn indirect(bytes: &[u8], pos: usize, width: usize) -> Option<usize> {
    pos.checked_sub(usize::try_from(read_uint(bytes, pos, width)?).ok()?)
}

/// The value of packed type `packed` stored at `pos` with the parent's width `width`.
fn flex_value(bytes: &[u8], pos: usize, width: usize, packed: u8) -> Option<Flex> {
    let own_width = 1usize << (packed & 3);
    Some(match packed >> 2 {
        1 => Flex::Int(read_int(bytes, pos, width)?),
        2 => Flex::UInt(read_uint(bytes, pos, width)?),
        3 => Flex::Float(read_float(bytes, pos, width)?),
        6 => Flex::Int(read_int(bytes, indirect(bytes, pos, width)?, own_width)?),
        7 => Flex::UInt(read_uint(bytes, indirect(bytes, pos, width)?, own_width)?),
        8 => Flex::Float(read_float(bytes, indirect(bytes, pos, width)?, own_width)?),
        26 => Flex::Bool(read_uint(bytes, pos, width)? != 0),
        _ => Flex::Other,
    })
}

/// The NUL-terminated string at `pos`.
fn key(bytes: &[u8], pos: usize) -> Option<String> {
    let rest = bytes.get(pos..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    Some(String::from_utf8_lossy(rest.get(..end)?).into_owned())
}

/// Reads a FlexBuffer whose root is a map, keeping its scalar entries. Every read is bounds
/// checked; a malformed buffer gives `None`.
pub(crate) fn flex_map(bytes: &[u8]) -> Option<Vec<(String, Flex)>> {
    let len = bytes.len();
    let root_width = usize::from(*bytes.last()?);
    let root_packed = *bytes.get(len.checked_sub(2)?)?;
    if !matches!(root_width, 1 | 2 | 4 | 8) || root_packed >> 2 != 9 {
        return None;
    }
    let root_pos = len.checked_sub(2 + root_width)?;
    let map = indirect(bytes, root_pos, root_width)?;
    let width = 1usize << (root_packed & 3);
    let count = usize::try_from(read_uint(bytes, map.checked_sub(width)?, width)?).ok()?;
    let keys_field = map.checked_sub(3 * width)?;
    let keys = indirect(bytes, keys_field, width)?;
    let keys_width = usize::try_from(read_uint(bytes, map.checked_sub(2 * width)?, width)?).ok()?;
    if !matches!(keys_width, 1 | 2 | 4 | 8) || count > bytes.len() {
        return None;
    }
    let types = map.checked_add(count.checked_mul(width)?)?;
    let mut entries = Vec::with_capacity(count);
    for i in 0..count {
        let key_pos = indirect(bytes, keys.checked_add(i * keys_width)?, keys_width)?;
        let packed = *bytes.get(types.checked_add(i)?)?;
        let value = flex_value(bytes, map.checked_add(i * width)?, width, packed)?;
        entries.push((key(bytes, key_pos)?, value));
    }
    Some(entries)
}

/// The options of `TFLite_Detection_PostProcess`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DetectionOptions {
    pub max_detections: usize,
    pub max_classes_per_detection: usize,
    pub detections_per_class: usize,
    pub use_regular_nms: bool,
    pub score_threshold: f32,
    pub iou_threshold: f32,
    pub num_classes: usize,
    /// y, x, h, w.
    pub scales: [f32; 4],
}

impl DetectionOptions {
    fn read(bytes: &[u8]) -> TractResult<DetectionOptions> {
        let Some(map) = flex_map(bytes) else { bail!("its options are not a readable FlexBuffer map") };
        let get = |name: &str| map.iter().find(|(k, _)| k == name).and_then(|(_, v)| v.as_f64());
        let count = |name: &str, default: Option<usize>| -> TractResult<usize> {
            match get(name) {
                Some(v) if (0.0..=1e6).contains(&v) => Ok(v as usize),
                Some(v) => bail!("option {name} is {v}"),
                None => default.ok_or_else(|| format_err!("option {name} is missing")),
            }
        };
        let float = |name: &str| -> TractResult<f32> {
            let v = get(name).ok_or_else(|| format_err!("option {name} is missing"))? as f32;
            ensure!(v.is_finite(), "option {name} is not a finite number");
            Ok(v)
        };
        let options = DetectionOptions {
            max_detections: count("max_detections", None)?,
            max_classes_per_detection: count("max_classes_per_detection", Some(1))?,
            detections_per_class: count("detections_per_class", Some(100))?,
            use_regular_nms: get("use_regular_nms").is_some_and(|v| v != 0.0),
            score_threshold: float("nms_score_threshold")?,
            iou_threshold: float("nms_iou_threshold")?,
            num_classes: count("num_classes", None)?,
            scales: [float("y_scale")?, float("x_scale")?, float("h_scale")?, float("w_scale")?],
        };
        ensure!(options.iou_threshold > 0.0 && options.iou_threshold <= 1.0, "the IoU threshold must be in (0, 1]");
        ensure!(options.max_classes_per_detection > 0 && options.num_classes > 0, "class counts must be positive");
        ensure!(options.scales.iter().all(|&s| s != 0.0), "box scales must not be 0");
        Ok(options)
    }
}

/// `TFLite_Detection_PostProcess` on float (dequantized) box encodings `[1, boxes, ≥4]`, class
/// scores `[1, boxes, classes (+1 background)]` and anchors `[boxes, 4]`: decodes the boxes,
/// runs fast (per-anchor best classes) or regular (per-class) non-max suppression, and outputs
/// boxes `[1, n, 4]` (ymin, xmin, ymax, xmax), classes `[1, n]`, scores `[1, n]` and the count
/// `[1]`, all f32, with `n = max_detections · max_classes_per_detection`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DetectionPostProcess {
    pub options: DetectionOptions,
    pub boxes: usize,
    pub encoding: usize,
    pub classes_with_background: usize,
}

impl Eq for DetectionPostProcess {}

/// (ymin, xmin, ymax, xmax).
type Corners = [f32; 4];

fn iou(a: &Corners, b: &Corners) -> f32 {
    let area_a = (a[2] - a[0]) * (a[3] - a[1]);
    let area_b = (b[2] - b[0]) * (b[3] - b[1]);
    if area_a <= 0.0 || area_b <= 0.0 {
        return 0.0;
    }
    let h = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let w = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = h * w;
    inter / (area_a + area_b - inter)
}

/// Indices of `values` sorted by decreasing value, stable.
fn decreasing(values: &[f32], indices: &mut Vec<usize>) {
    indices.clear();
    indices.extend(0..values.len());
    indices.sort_by(|&i, &j| values[j].partial_cmp(&values[i]).unwrap_or(std::cmp::Ordering::Equal));
}

impl DetectionPostProcess {
    fn outputs(&self) -> usize {
        self.options.max_detections * self.options.max_classes_per_detection
    }

    fn label_offset(&self) -> usize {
        self.classes_with_background - self.options.num_classes
    }

    fn decode(&self, encodings: &[f32], anchors: &[f32]) -> TractResult<Vec<Corners>> {
        let [ys, xs, hs, ws] = self.options.scales.map(f64::from);
        let mut boxes = Vec::with_capacity(self.boxes);
        for i in 0..self.boxes {
            let e = encodings.get(i * self.encoding..i * self.encoding + 4).unwrap_or_default();
            let a = anchors.get(i * 4..i * 4 + 4).unwrap_or_default();
            let (&[ey, ex, eh, ew], &[ay, ax, ah, aw]) = (e, a) else { bail!("box {i} is out of range") };
            let [ey, ex, eh, ew, ay, ax, ah, aw] = [ey, ex, eh, ew, ay, ax, ah, aw].map(f64::from);
            let ycenter = (ey / ys * ah + ay) as f32;
            let xcenter = (ex / xs * aw + ax) as f32;
            let half_h = (0.5 * (eh / hs).exp() * ah) as f32;
            let half_w = (0.5 * (ew / ws).exp() * aw) as f32;
            let b = [ycenter - half_h, xcenter - half_w, ycenter + half_h, xcenter + half_w];
            // TFLite rejects inverted boxes (negative anchor sizes).
            ensure!(!(b[0] > b[2] || b[1] > b[3]), "decoded box {i} is inverted");
            boxes.push(b);
        }
        Ok(boxes)
    }

    /// Greedy non-max suppression of `scores`: indices kept, best first, at most `max`.
    fn nms(&self, boxes: &[Corners], scores: &[f32], max: usize) -> Vec<usize> {
        let keep: Vec<usize> = (0..scores.len()).filter(|&i| scores[i] >= self.options.score_threshold).collect();
        let kept_scores: Vec<f32> = keep.iter().map(|&i| scores[i]).collect();
        let mut order = Vec::new();
        decreasing(&kept_scores, &mut order);
        let mut active = vec![true; order.len()];
        let mut selected = Vec::new();
        for i in 0..order.len() {
            if selected.len() >= max {
                break;
            }
            if !active[i] {
                continue;
            }
            let bi = keep[order[i]];
            selected.push(bi);
            active[i] = false;
            for j in i + 1..order.len() {
                if active[j] && iou(&boxes[bi], &boxes[keep[order[j]]]) > self.options.iou_threshold {
                    active[j] = false;
                }
            }
        }
        selected
    }

    /// Rows `(box, class, score)` of the detections.
    fn detect(&self, boxes: &[Corners], scores: &[f32]) -> Vec<(usize, usize, f32)> {
        let (c, n, offset) = (self.options.num_classes, self.classes_with_background, self.label_offset());
        let class_score = |b: usize, k: usize| scores.get(b * n + k + offset).copied().unwrap_or(0.0);
        let mut rows = Vec::new();
        if self.options.use_regular_nms {
            let mut found: Vec<(usize, usize, f32)> = Vec::new();
            for k in 0..c {
                let class_scores: Vec<f32> = (0..self.boxes).map(|b| class_score(b, k)).collect();
                for b in self.nms(boxes, &class_scores, self.options.detections_per_class) {
                    found.push((b, k, class_scores[b]));
                }
                let values: Vec<f32> = found.iter().map(|r| r.2).collect();
                let mut order = Vec::new();
                decreasing(&values, &mut order);
                found = order.iter().take(self.options.max_detections).map(|&i| found[i]).collect();
            }
            rows = found;
        } else {
            let per_anchor = self.options.max_classes_per_detection.min(c);
            let mut best: Vec<Vec<usize>> = Vec::with_capacity(self.boxes);
            let mut max_scores = Vec::with_capacity(self.boxes);
            let mut order = Vec::new();
            for b in 0..self.boxes {
                let row: Vec<f32> = (0..c).map(|k| class_score(b, k)).collect();
                decreasing(&row, &mut order);
                max_scores.push(order.first().map_or(0.0, |&k| row[k]));
                best.push(order.iter().take(per_anchor).copied().collect());
            }
            for b in self.nms(boxes, &max_scores, self.options.max_detections) {
                for &k in &best[b] {
                    rows.push((b, k, class_score(b, k)));
                }
                // Each anchor fills max_classes_per_detection slots.
                while rows.len() % self.options.max_classes_per_detection != 0 {
                    rows.push((usize::MAX, 0, 0.0));
                }
            }
        }
        rows
    }
}

impl Op for DetectionPostProcess {
    fn name(&self) -> StaticName {
        "TFLite_Detection_PostProcess".into()
    }

    op_as_typed_op!();
}

impl EvalOp for DetectionPostProcess {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let (Some(enc), Some(cls), Some(anc)) = (inputs.first(), inputs.get(1), inputs.get(2)) else {
            bail!("TFLite_Detection_PostProcess expects three inputs");
        };
        let (enc, cls, anc) = (enc.try_as_plain_ram()?, cls.try_as_plain_ram()?, anc.try_as_plain_ram()?);
        let boxes = self.decode(enc.as_slice::<f32>()?, anc.as_slice::<f32>()?)?;
        let rows = self.detect(&boxes, cls.as_slice::<f32>()?);
        let n = self.outputs();
        let mut out_boxes = vec![0f32; n * 4];
        let mut out_classes = vec![0f32; n];
        let mut out_scores = vec![0f32; n];
        let mut count = 0usize;
        for (slot, &(b, k, score)) in rows.iter().take(n).enumerate() {
            if let Some(corners) = boxes.get(b) {
                if let Some(dst) = out_boxes.get_mut(slot * 4..slot * 4 + 4) {
                    dst.copy_from_slice(corners);
                }
                out_classes[slot] = k as f32;
                out_scores[slot] = score;
            }
        }
        // The count is of anchors (fast NMS) or of detections (regular NMS), as in TFLite.
        if self.options.use_regular_nms {
            count += rows.len().min(n);
        } else {
            count += rows.len().min(n) / self.options.max_classes_per_detection.max(1);
        }
        Ok(tvec!(
            Tensor::from_shape(&[1, n, 4], &out_boxes)?.into_tvalue(),
            Tensor::from_shape(&[1, n], &out_classes)?.into_tvalue(),
            Tensor::from_shape(&[1, n], &out_scores)?.into_tvalue(),
            Tensor::from_shape(&[1], &[count as f32])?.into_tvalue(),
        ))
    }
}

impl TypedOp for DetectionPostProcess {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        ensure!(inputs.len() == 3, "TFLite_Detection_PostProcess expects three inputs");
        let n = self.outputs();
        Ok(tvec!(
            DatumType::F32.fact([1, n, 4]),
            DatumType::F32.fact([1, n]),
            DatumType::F32.fact([1, n]),
            DatumType::F32.fact([1]),
        ))
    }

    as_op!();
}

/// `TFLite_Detection_PostProcess`: inputs box encodings, class predictions, anchors.
fn detection_postprocess(ctx: &mut OpCtx<'_, '_>) -> TractResult<TVec<OutletId>> {
    ctx.expect_io(3..=3, 4)?;
    let Some(bytes) = ctx.custom_options() else { bail!("the operator has no options") };
    let options = DetectionOptions::read(bytes)?;
    let enc = ctx.float_input(0)?;
    let cls = ctx.float_input(1)?;
    let anc = ctx.float_input(2)?;
    let (es, cs, as_) = (ctx.shape(enc)?, ctx.shape(cls)?, ctx.shape(anc)?);
    let (&[1, boxes, encoding], &[1, cboxes, classes_with_background]) = (es.as_slice(), cs.as_slice()) else {
        unsupported!("TFLite_Detection_PostProcess with shapes {es:?} and {cs:?} (batch 1 only)");
    };
    ensure!(encoding >= 4, "box encodings have {encoding} values, fewer than 4");
    ensure!(cboxes == boxes, "{boxes} boxes but {cboxes} rows of class scores");
    ensure!(as_ == [boxes, 4], "anchors have shape {as_:?}, not [{boxes}, 4]");
    ensure!(
        classes_with_background >= options.num_classes && classes_with_background - options.num_classes <= 1,
        "{classes_with_background} class scores for {} classes",
        options.num_classes
    );
    volume(&[options.max_detections, options.max_classes_per_detection, 4])?;
    let op = DetectionPostProcess { options, boxes, encoding, classes_with_background };
    ctx.wire(op, &[enc, cls, anc])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flexbuffer_maps_are_read_and_garbage_is_rejected() {
        let bytes = crate::tflite::ModelBuilder::flex_map(
            &[("max_detections", 10)],
            &[("nms_iou_threshold", 0.6)],
            &[("use_regular_nms", true)],
        );
        let map = flex_map(&bytes).unwrap();
        assert_eq!(map.len(), 3);
        assert!(map.contains(&("max_detections".into(), Flex::Int(10))));
        assert!(map.contains(&("use_regular_nms".into(), Flex::Bool(true))));
        assert!(map.iter().any(|(k, v)| k == "nms_iou_threshold" && (v.as_f64().unwrap() - 0.6).abs() < 1e-9));
        for cut in 0..bytes.len() {
            let _ = flex_map(&bytes[..cut]);
            let mut flipped = bytes.clone();
            flipped[cut] ^= 0xa5;
            let _ = flex_map(&flipped);
        }
        assert!(flex_map(&[]).is_none());
    }
}
