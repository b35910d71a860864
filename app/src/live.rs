//! The pure side of live mode: frames per second over the last second of completed runs, and
//! when to send the next camera frame. The loop itself is in [`crate::components::results`].
//!
//! Back-pressure: at most one frame per worker at a time (the page runs live frames on up to
//! one worker per core, [`crate::runner::live_workers`]). A new frame is grabbed only when a
//! worker is free, so a slow pipeline lowers the frame rate instead of queueing frames: at once
//! when the last grab is a display frame old or more
//! ([`grab_now`]), else at the next animation frame (so a fast pipeline grabs at most one frame
//! per displayed frame).
use std::collections::VecDeque;

/// Completed runs within this window (ms) of the latest one make the average.
pub const WINDOW_MS: f64 = 1000.0;

/// Frames per second from the completion times of live runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FpsMeter {
    /// Completion times (ms, increasing), those within [`WINDOW_MS`] of the last plus one older.
    times: VecDeque<f64>,
}

impl FpsMeter {
    pub fn new() -> Self {
        FpsMeter::default()
    }

    /// Notes a run that completed at `now_ms`. Times that go backwards restart the average.
    pub fn record(&mut self, now_ms: f64) {
        if !now_ms.is_finite() {
            return;
        }
        if self.times.back().is_some_and(|&last| now_ms < last) {
            self.times.clear();
        }
        self.times.push_back(now_ms);
        // Keep two at least, so that runs slower than the window still give a rate.
        while self.times.len() > 2 && self.times.get(1).is_some_and(|&second| now_ms - second >= WINDOW_MS) {
            self.times.pop_front();
        }
    }

    /// The average rate over the kept completions; 0 until two runs have completed.
    pub fn fps(&self) -> f64 {
        match (self.times.front(), self.times.back()) {
            (Some(first), Some(last)) if self.times.len() >= 2 && last > first => {
                (self.times.len() - 1) as f64 * 1000.0 / (last - first)
            }
            _ => 0.0,
        }
    }

    pub fn reset(&mut self) {
        self.times.clear();
    }
}

/// What live mode should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Grab a frame and run the pipeline on it.
    Send,
    /// Every worker has a frame: wait for an answer.
    Wait,
    /// Live mode cannot go on (camera off, or the pipeline cannot run): turn it off.
    Stop,
}

/// The decision after a change: live mode is `on`, the camera streams (`camera`), the pipeline
/// can run (`runnable`: compiles, inputs present) and every worker has a frame (`full`) or not.
pub fn next_step(on: bool, camera: bool, runnable: bool, full: bool) -> Step {
    if !on || !camera || !runnable {
        return if on { Step::Stop } else { Step::Wait };
    }
    if full { Step::Wait } else { Step::Send }
}

/// The shortest time between two grabbed frames (ms): one frame of a 60 Hz display.
pub const MIN_GRAB_INTERVAL_MS: f64 = 1000.0 / 60.0;

/// Whether the next frame may be grabbed right away (`now_ms`), the last one having been grabbed
/// at `last_grab_ms`: yes when a display frame has passed since, so that a slow pipeline does not
/// also wait for the next animation frame; otherwise the loop waits for it.
pub fn grab_now(now_ms: f64, last_grab_ms: f64) -> bool {
    now_ms - last_grab_ms >= MIN_GRAB_INTERVAL_MS
}

/// The FPS reading: `12.3 fps`, or `– fps` before there is a rate.
pub fn fps_text(fps: f64) -> String {
    if fps > 0.0 && fps.is_finite() { format!("{fps:.1} fps") } else { "– fps".to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fps_is_the_rate_of_the_last_second_of_runs() {
        let mut meter = FpsMeter::new();
        assert_eq!(meter.fps(), 0.0);
        meter.record(0.0);
        assert_eq!(meter.fps(), 0.0);
        for i in 1..=30 {
            meter.record(f64::from(i) * 50.0); // 20 fps
        }
        assert!((meter.fps() - 20.0).abs() < 1e-9, "{}", meter.fps());
        // It slows down: the older, faster runs leave the window.
        for i in 1..=5 {
            meter.record(1500.0 + f64::from(i) * 250.0); // 4 fps
        }
        assert!((meter.fps() - 4.0).abs() < 1e-9, "{}", meter.fps());
        // Runs slower than the window still give a rate.
        meter.record(5000.0);
        meter.record(7000.0);
        assert!((meter.fps() - 0.5).abs() < 1e-9, "{}", meter.fps());
        // A clock that goes backwards restarts; NaN is ignored.
        meter.record(10.0);
        meter.record(f64::NAN);
        assert_eq!(meter.fps(), 0.0);
        meter.reset();
        assert_eq!(meter, FpsMeter::new());
        assert_eq!(fps_text(0.0), "– fps");
        assert_eq!(fps_text(12.345), "12.3 fps");
        assert_eq!(fps_text(f64::INFINITY), "– fps");
    }

    #[test]
    fn a_frame_is_sent_while_a_worker_is_free() {
        assert_eq!(next_step(true, true, true, false), Step::Send);
        assert_eq!(next_step(true, true, true, true), Step::Wait);
        assert_eq!(next_step(true, false, true, false), Step::Stop);
        assert_eq!(next_step(true, true, false, true), Step::Stop);
        assert_eq!(next_step(false, true, true, false), Step::Wait);
    }

    #[test]
    fn a_slow_pipeline_grabs_at_once_a_fast_one_waits_for_the_display() {
        // The first frame: nothing grabbed yet.
        assert!(grab_now(0.0, f64::NEG_INFINITY));
        // MobileNetV2: the answer comes 80 ms after the grab.
        assert!(grab_now(1080.0, 1000.0));
        // The colour classifier: 3 ms.
        assert!(!grab_now(1003.0, 1000.0));
        assert!(grab_now(1017.0, 1000.0));
    }
}
