// The browser benchmark's page logic: the playground's pipeline worker (ours) and LiteRT.js on the
// same model and image, timed in the same page. bench/run.mjs calls `window.bench.*` through
// Playwright and does the statistics; this file only measures and returns raw samples.
//
// Ours: the `rune-worker` Web Worker of the built playground (ARCHITECTURE.md, "Worker protocol"):
// wait for {"type":"ready"}, post [header, .rune bytes, image bytes], read the "done" reply's
// RunResult: `run_ms` (the pipeline run, measured in the worker), `load_ms` (first run only), and
// each stage's `elapsed_ms`.
// LiteRT.js: @litertjs/core on its CPU backend (accelerator "wasm", XNNPACK), in the page, with
// the same pipeline written in JavaScript: decode (createImageBitmap on a Blob of the same bytes),
// resize (OffscreenCanvas drawImage), RGBA → u8 HWC (RGB, or luma for a one-channel input), run, top-3 (stable, like
// most_confident_indices) and label lookup.
import { getGlobalLiteRt, loadAndCompile, loadLiteRt, Tensor } from '@litertjs/core';

const now = () => performance.now();
const log = (text) => {
  document.getElementById('log').textContent += `${text}\n`;
  console.log(text);
};

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The indices of the `count` largest scores, largest first; ties keep the lower index (as the
 *  most_confident_indices proc-block: a stable sort by value, descending). */
function topIndices(scores, count) {
  const order = Array.from(scores.keys());
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, count);
}

// ---------------------------------------------------------------------------------------------
// Ours: the playground's worker.

class RuneWorker {
  /** Starts the worker at `url` and resolves once it has said "ready". */
  static async start(url) {
    const started = now();
    const runner = new RuneWorker(new Worker(url));
    await new Promise((resolve, reject) => {
      runner.waiting = { resolve, reject, ready: true };
    });
    runner.startMs = now() - started;
    return runner;
  }

  constructor(worker) {
    this.worker = worker;
    this.nextId = 1;
    this.waiting = null;
    worker.onmessage = (event) => this.onMessage(event);
    worker.onerror = (event) => {
      event.preventDefault();
      this.waiting?.reject(new Error(`the worker stopped: ${event.message || 'it could not be loaded'}`));
      this.waiting = null;
    };
  }

  onMessage(event) {
    let reply;
    try {
      // JSON text, or [json, buffer…] when the reply carries tensors (app/src/protocol.rs).
      reply = JSON.parse(Array.isArray(event.data) ? event.data[0] : event.data);
    } catch (e) {
      this.waiting?.reject(new Error(`unreadable reply from the worker: ${e.message}`));
      return;
    }
    const waiting = this.waiting;
    if (!waiting) return;
    if (reply.type === 'ready' && waiting.ready) {
      this.waiting = null;
      waiting.resolve();
    } else if (reply.type === 'done' && reply.id === waiting.id) {
      this.waiting = null;
      waiting.resolve({ result: reply.result, received: now() });
    } else if (reply.type === 'failed' && reply.id === waiting.id) {
      this.waiting = null;
      const f = reply.failure;
      waiting.reject(new Error(`the run failed${f.stage ? ` in "${f.stage}"` : ''}: ${f.message} ${f.causes.join(': ')}`));
    }
  }

  /** One run, as the playground's page posts it (app/src/runner.rs): the buffers are copies
   *  (they are transferred). Resolves to the RunResult and the page's round-trip time. */
  async run(rune, image, imageName) {
    const id = this.nextId++;
    const header = JSON.stringify({ id, seed: 0, inputs: [{ kind: 'IMAGE', name: imageName }] });
    const runeCopy = rune.slice();
    const imageCopy = image.slice();
    const done = new Promise((resolve, reject) => {
      this.waiting = { resolve, reject, id };
    });
    const posted = now();
    this.worker.postMessage([header, runeCopy, imageCopy], [runeCopy.buffer, imageCopy.buffer]);
    const { result, received } = await done;
    return { result, roundTripMs: received - posted };
  }

  terminate() {
    this.worker.terminate();
  }
}

/** The labels in the SERIAL output (the first output's first tensor). */
function serialLabels(serial) {
  const outputs = Object.values(JSON.parse(serial));
  return outputs[0]?.[0]?.elements ?? [];
}

function oursSample({ result, roundTripMs }) {
  const stages = { decode: 0, model: 0, post: 0 };
  const detail = [];
  for (const stage of result.stages) {
    const group = stage.kind === 'capability' ? 'decode' : stage.kind === 'model' ? 'model' : 'post';
    stages[group] += stage.elapsed_ms;
    detail.push({ name: stage.name, kind: stage.kind, ms: stage.elapsed_ms });
  }
  return {
    total: result.run_ms,
    roundTrip: roundTripMs,
    stages,
    detail,
    loadMs: result.load_ms ?? null,
    top: serialLabels(result.serial),
  };
}

// ---------------------------------------------------------------------------------------------
// LiteRT.js.

let litert = null;

/** Loads LiteRT.js's wasm (the threaded build when `threads`). */
async function initLiteRt({ threads }) {
  const started = now();
  await loadLiteRt('./node_modules/@litertjs/core/wasm/', threads ? { threads: true } : {});
  // Which of its builds LiteRT.js picked (relaxed SIMD or compat, threaded or not).
  const wasm = performance.getEntriesByType('resource').map((e) => e.name.split('/').pop())
    .filter((name) => /^litert_wasm.*\.wasm$/.test(name));
  litert = { threads, loadMs: now() - started, wasmThreads: getGlobalLiteRt().liteRtWasm.getThreadCount(), wasm };
  return litert;
}

async function litertModel(tflite, labels, imageType) {
  const started = now();
  const model = await loadAndCompile(tflite.slice(), { accelerator: 'wasm' });
  const loadMs = now() - started;
  const [input] = model.getInputDetails();
  const outputs = model.getOutputDetails();
  const shape = Array.from(input.shape);
  if (input.dtype !== 'uint8' || shape.length !== 4 || shape[0] !== 1 || (shape[3] !== 3 && shape[3] !== 1)) {
    throw new Error(`LiteRT.js side: expected a u8[1, h, w, 3] or u8[1, h, w, 1] input, the model has ${input.dtype}[${shape}]`);
  }
  const grey = shape[3] === 1;
  if (outputs.length !== 1) throw new Error(`LiteRT.js side: expected one output, the model has ${outputs.length}`);
  const [, height, width] = shape;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';

  /** The whole pipeline once; returns its times and top-3 labels. */
  const run = async (imageBytes) => {
    const t0 = now();
    const bitmap = await createImageBitmap(new Blob([imageBytes], { type: imageType }), {
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
    });
    context.drawImage(bitmap, 0, 0, width, height);
    bitmap.close();
    const rgba = context.getImageData(0, 0, width, height).data;
    const hwc = new Uint8Array(width * height * (grey ? 1 : 3));
    if (grey) {
      // The luma ours computes (runtime/src/capability.rs, as the image crate's to_luma8).
      for (let i = 0, j = 0; i < rgba.length; i += 4, j += 1) {
        hwc[j] = Math.min(255, Math.floor((rgba[i] * 2126 + rgba[i + 1] * 7152 + rgba[i + 2] * 722) / 10000));
      }
    } else {
      for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
        hwc[j] = rgba[i];
        hwc[j + 1] = rgba[i + 1];
        hwc[j + 2] = rgba[i + 2];
      }
    }
    const t1 = now();
    const tensor = new Tensor(hwc, shape);
    const [output] = await model.run([tensor]);
    const scores = output.toTypedArray().slice();
    tensor.delete();
    output.delete();
    const t2 = now();
    const top = topIndices(scores, 3).map((i) => labels[i] ?? `#${i}`);
    const t3 = now();
    return { total: t3 - t0, stages: { decode: t1 - t0, model: t2 - t1, post: t3 - t2 }, top };
  };
  return {
    run,
    loadMs,
    input: `${input.dtype}[${shape.join(', ')}]`,
    numThreads: model.options?.cpuOptions?.numThreads ?? null,
    delete: () => model.delete(),
  };
}

// ---------------------------------------------------------------------------------------------
// One model: both sides, warm-up, then interleaved timed runs.

/**
 * cfg: {name, rune, tflite, labels, image, imageType, workers: [{name, url}], litert: bool,
 *       runs, budgetMs}. Returns raw samples per side.
 */
async function runModel(cfg) {
  const [rune, tflite, image, labelText] = await Promise.all([
    fetchBytes(cfg.rune), fetchBytes(cfg.tflite), fetchBytes(cfg.image), fetch(cfg.labels).then((r) => r.text()),
  ]);
  const labels = labelText.split(/\r?\n/);
  if (labels.at(-1) === '') labels.pop();
  const imageName = cfg.image.split('/').pop();
  const sides = [];

  for (const { name, url } of cfg.workers) {
    const worker = await RuneWorker.start(url);
    const warm = oursSample(await worker.run(rune, image, imageName));
    log(`${cfg.name}: ours (${name}) worker ready in ${worker.startMs.toFixed(0)} ms, first run ${warm.total.toFixed(1)} ms + load ${warm.loadMs?.toFixed(1)} ms → ${warm.top[0]}`);
    sides.push({
      side: `ours-${name}`, kind: 'ours', workerStartMs: worker.startMs, warmup: warm,
      samples: [], once: () => worker.run(rune, image, imageName).then(oursSample), close: () => worker.terminate(),
    });
  }
  if (cfg.litert) {
    const model = await litertModel(tflite, labels, cfg.imageType);
    const warm = await model.run(image);
    log(`${cfg.name}: LiteRT.js (${litert.threads ? 'threaded' : 'single-threaded'} build, numThreads ${model.numThreads}) loaded in ${model.loadMs.toFixed(1)} ms, first run ${warm.total.toFixed(1)} ms → ${warm.top[0]}`);
    sides.push({
      side: litert.threads ? 'litert-threads' : 'litert', kind: 'litert', loadMs: model.loadMs, input: model.input,
      numThreads: model.numThreads, wasmThreads: litert.wasmThreads, warmup: warm, samples: [],
      once: () => model.run(image), close: () => model.delete(),
    });
  }

  const started = now();
  for (let i = 0; i < cfg.runs && (i < cfg.minRuns || now() - started < cfg.budgetMs); i++) {
    for (const side of sides) side.samples.push(await side.once());
  }
  log(`${cfg.name}: ${sides[0]?.samples.length ?? 0} timed runs per side in ${((now() - started) / 1000).toFixed(1)} s`);
  for (const side of sides) side.close();
  return sides.map(({ once, close, ...rest }) => rest);
}

window.bench = {
  info: () => ({
    crossOriginIsolated: self.crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    userAgent: navigator.userAgent,
  }),
  initLiteRt,
  runModel,
};
window.benchReady = true;
