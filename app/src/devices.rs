//! The camera and the microphone, through `getUserMedia`.
//!
//! * The camera streams into a `<video>` element the Inputs panel owns; [`grab_frame`] copies
//!   its current picture into RGBA bytes (through a reused canvas), for "Capture" and for live
//!   mode. [`stop_camera`] stops the tracks (the browser's camera light goes off).
//! * The microphone is recorded as PCM through an `AudioContext` at the rate the Runefile's
//!   SOUND capability asks for (a `ScriptProcessorNode` collects the samples; no compressed
//!   `MediaRecorder` audio), then encoded as a 16-bit WAV by [`media::encode_wav`].
//!
//! Every refusal becomes a sentence from [`media::error_message`].
use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AudioContext, AudioContextOptions, AudioProcessingEvent, CanvasRenderingContext2d, ContextAttributes2d,
    DomException, HtmlCanvasElement, HtmlVideoElement, MediaDevices, MediaStream, MediaStreamConstraints,
    MediaStreamTrack,
};

use crate::media::{self, Device, RecordingPlan};
use crate::protocol::FrameSize;

/// The camera resolution asked for (an ideal: the browser picks the nearest it has). Small
/// frames are enough for the models the playground runs and keep live mode quick.
pub const IDEAL_WIDTH: u32 = 320;
pub const IDEAL_HEIGHT: u32 = 240;

struct Camera {
    stream: MediaStream,
    video: HtmlVideoElement,
}

thread_local! {
    static CAMERA: RefCell<Option<Camera>> = const { RefCell::new(None) };
    static CANVAS: RefCell<Option<(HtmlCanvasElement, CanvasRenderingContext2d)>> = const { RefCell::new(None) };
}

/// The sentence for a rejected `getUserMedia` (or a failed step after it).
pub fn describe_error(device: Device, error: &JsValue) -> String {
    if let Some(exception) = error.dyn_ref::<DomException>() {
        return media::error_message(device, Some(&exception.name()), &exception.message());
    }
    if let Some(error) = error.dyn_ref::<js_sys::Error>() {
        let name = String::from(error.name());
        return media::error_message(device, Some(&name), &String::from(error.message()));
    }
    let detail = error.as_string().unwrap_or_default();
    media::error_message(device, Some("Error"), &detail)
}

/// `navigator.mediaDevices`, which browsers only offer in secure contexts (https, localhost).
fn media_devices(device: Device) -> Result<MediaDevices, String> {
    let navigator = web_sys::window().map(|w| w.navigator());
    let devices = navigator.and_then(|n| {
        // Absent (undefined) on insecure pages: check before web-sys casts it.
        let value = Reflect::get(&n, &JsValue::from_str("mediaDevices")).ok()?;
        value.dyn_into::<MediaDevices>().ok()
    });
    devices.ok_or_else(|| media::error_message(device, None, ""))
}

async fn user_media(device: Device, constraints: &MediaStreamConstraints) -> Result<MediaStream, String> {
    let devices = media_devices(device)?;
    let promise = devices.get_user_media_with_constraints(constraints).map_err(|e| describe_error(device, &e))?;
    let stream = JsFuture::from(promise).await.map_err(|e| describe_error(device, &e))?;
    stream.dyn_into::<MediaStream>().map_err(|_| media::error_message(device, Some("TypeError"), "no stream"))
}

fn stop_tracks(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// Starts the camera and shows it in `video`. Errors are sentences for the user.
pub async fn start_camera(video: &HtmlVideoElement) -> Result<(), String> {
    stop_camera();
    let constraints = MediaStreamConstraints::new();
    let video_constraints = Object::new();
    let ideal = |value: u32| {
        let object = Object::new();
        let _ = Reflect::set(&object, &"ideal".into(), &value.into());
        object
    };
    let _ = Reflect::set(&video_constraints, &"width".into(), &ideal(IDEAL_WIDTH));
    let _ = Reflect::set(&video_constraints, &"height".into(), &ideal(IDEAL_HEIGHT));
    constraints.set_video(&video_constraints);
    constraints.set_audio_bool(false);
    let stream = user_media(Device::Camera, &constraints).await?;
    video.set_muted(true);
    video.set_src_object(Some(&stream));
    if let Ok(promise) = video.play() {
        // Fails only when interrupted (e.g. the camera was stopped meanwhile).
        if let Err(e) = JsFuture::from(promise).await {
            stop_tracks(&stream);
            video.set_src_object(None);
            return Err(describe_error(Device::Camera, &e));
        }
    }
    CAMERA.with(|camera| *camera.borrow_mut() = Some(Camera { stream, video: video.clone() }));
    Ok(())
}

/// Stops the camera's tracks and empties the preview. Harmless when it is off.
pub fn stop_camera() {
    if let Some(camera) = CAMERA.with(|camera| camera.borrow_mut().take()) {
        stop_tracks(&camera.stream);
        camera.video.set_src_object(None);
    }
}

/// Whether the camera streams.
pub fn camera_on() -> bool {
    CAMERA.with(|camera| camera.borrow().as_ref().is_some_and(|c| c.stream.active()))
}

/// The camera's current picture as RGBA bytes; `None` while it has no picture yet.
pub fn grab_frame() -> Option<(FrameSize, Vec<u8>)> {
    let video = CAMERA.with(|camera| camera.borrow().as_ref().map(|c| c.video.clone()))?;
    let (width, height) = (video.video_width(), video.video_height());
    // HAVE_CURRENT_DATA = 2
    if width == 0 || height == 0 || video.ready_state() < 2 {
        return None;
    }
    CANVAS.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            let canvas: HtmlCanvasElement =
                web_sys::window()?.document()?.create_element("canvas").ok()?.dyn_into().ok()?;
            let options = ContextAttributes2d::new();
            options.set_will_read_frequently(true);
            let context: CanvasRenderingContext2d =
                canvas.get_context_with_context_options("2d", &options).ok()??.dyn_into().ok()?;
            *slot = Some((canvas, context));
        }
        let (canvas, context) = slot.as_ref()?;
        if canvas.width() != width || canvas.height() != height {
            canvas.set_width(width);
            canvas.set_height(height);
        }
        context.draw_image_with_html_video_element(&video, 0.0, 0.0).ok()?;
        let image = context.get_image_data(0.0, 0.0, f64::from(width), f64::from(height)).ok()?;
        Some((FrameSize { width, height }, image.data().0))
    })
}

/// Records the microphone as `plan` says and returns a 16-bit mono WAV file.
pub async fn record_wav(plan: RecordingPlan) -> Result<Vec<u8>, String> {
    let device = Device::Microphone;
    let constraints = MediaStreamConstraints::new();
    constraints.set_audio_bool(true);
    constraints.set_video_bool(false);
    let stream = user_media(device, &constraints).await?;
    let outcome = record_stream(&stream, plan).await;
    stop_tracks(&stream);
    let samples = outcome?;
    Ok(media::encode_wav(plan.rate, &media::to_pcm16(&samples)))
}

/// How long a recording may take beyond its length before it is given up.
const RECORD_GRACE_MS: u32 = 5_000;

async fn record_stream(stream: &MediaStream, plan: RecordingPlan) -> Result<Vec<f32>, String> {
    let device = Device::Microphone;
    let fail = |e: JsValue| describe_error(device, &e);
    let options = AudioContextOptions::new();
    options.set_sample_rate(plan.rate as f32);
    // Browsers that cannot record at that rate record at theirs; the samples are resampled.
    let context = AudioContext::new_with_context_options(&options).or_else(|_| AudioContext::new()).map_err(fail)?;
    let rate = context.sample_rate();
    let wanted = (f64::from(plan.ms) * f64::from(rate) / 1000.0).ceil() as usize;
    let source = context.create_media_stream_source(stream).map_err(fail)?;
    let processor = context
        .create_script_processor_with_buffer_size_and_number_of_input_channels_and_number_of_output_channels(4096, 1, 1)
        .map_err(fail)?;
    let samples = Rc::new(RefCell::new(Vec::<f32>::with_capacity(wanted)));
    let done: Rc<RefCell<Option<js_sys::Function>>> = Rc::new(RefCell::new(None));
    let finished = {
        let done = done.clone();
        Promise::new(&mut |resolve, _reject| {
            *done.borrow_mut() = Some(resolve);
        })
    };
    let on_audio = {
        let samples = samples.clone();
        let done = done.clone();
        Closure::<dyn FnMut(AudioProcessingEvent)>::new(move |event: AudioProcessingEvent| {
            let Ok(buffer) = event.input_buffer() else { return };
            let Ok(chunk) = buffer.get_channel_data(0) else { return };
            let mut samples = samples.borrow_mut();
            if samples.len() < wanted {
                let take = chunk.len().min(wanted - samples.len());
                samples.extend_from_slice(&chunk[..take]);
                if samples.len() >= wanted
                    && let Some(resolve) = done.borrow_mut().take()
                {
                    let _ = resolve.call1(&JsValue::NULL, &JsValue::TRUE);
                }
            }
        })
    };
    processor.set_onaudioprocess(Some(on_audio.as_ref().unchecked_ref()));
    let connected = source
        .connect_with_audio_node(&processor)
        .and_then(|_| processor.connect_with_audio_node(&context.destination()));
    if let Err(e) = connected {
        let _ = context.close();
        return Err(fail(e));
    }
    if let Ok(resume) = context.resume() {
        let _ = JsFuture::from(resume).await;
    }
    let timeout = Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                (plan.ms + RECORD_GRACE_MS).min(i32::MAX as u32) as i32,
            );
        }
    });
    let _ = JsFuture::from(Promise::race(&js_sys::Array::of2(&finished, &timeout))).await;
    processor.set_onaudioprocess(None);
    let _ = source.disconnect();
    let _ = processor.disconnect();
    if let Ok(close) = context.close() {
        let _ = JsFuture::from(close).await;
    }
    drop(on_audio);
    let samples = std::mem::take(&mut *samples.borrow_mut());
    if samples.len() < wanted {
        return Err(format!(
            "The microphone gave no sound for {:.1} s (it may be muted or in use). Try again.",
            f64::from(plan.ms + RECORD_GRACE_MS) / 1000.0
        ));
    }
    let rate = rate.round() as u32;
    Ok(if rate == plan.rate { samples } else { media::resample(&samples, rate, plan.rate) })
}
