// The browser benchmark's driver (scripts/bench-browser.sh prepares the files and calls it):
// serves the bench page, the playground's worker, LiteRT.js and the models from 127.0.0.1 with
// the cross-origin isolation headers, drives headless Chromium (playwright-core) through
// bench/bench.mjs, and prints per model the medians of both sides, their ratio and the per-stage
// split; writes the same tables as Markdown. Fails when the two sides disagree on the top-1 label.
//
// Usage: node bench/run.mjs --work DIR --out FILE [--runs N] [--min-runs N] [--budget SECONDS]
//                           [--no-threaded]
//                           [--app DIST] [--live-seconds N]
//   DIR holds index.html, bench.mjs, the worker files (rune-worker*) and models.json, which lists
//   the models: [{name, title, rune, tflite, labels, image, imageType}] (paths relative to DIR).
//   DIST (optional): the built playground; live mode is then measured in it too: each model's
//   `.rune` opened in the app, Chromium's fake camera (320×240 asked, as the app asks) on, Live
//   on, the frames per second it shows read every half second for N seconds (default 10), with
//   one live worker (`?workers=1`, the reference) and with the app's default (one per core).
//        node bench/run.mjs make-png FILE   writes the generated input image of the fallback model.
// Env: CHROMIUM (default /usr/bin/chromium).
import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync, createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { rgbPng } from '../e2e/png.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------------
// The generated input of the fallback model: a 640×480 photo-sized PNG, mostly red with a
// gradient (so that decoding is real work and the colour classifier says "red").

function makePng(width = 640, height = 480) {
  return rgbPng(width, height, (x, y) => [
    160 + ((x * 95) / width) | 0,
    20 + ((y * 40) / height) | 0,
    20 + (((x + y) * 30) / (width + height)) | 0,
  ]);
}

if (process.argv[2] === 'make-png') {
  await writeFile(process.argv[3], makePng());
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Arguments.

const { values: args } = parseArgs({
  options: {
    work: { type: 'string' },
    out: { type: 'string' },
    runs: { type: 'string', default: '30' },
    'min-runs': { type: 'string', default: '10' },
    budget: { type: 'string', default: '25' },
    'no-threaded': { type: 'boolean', default: false },
    app: { type: 'string' },
    'live-seconds': { type: 'string', default: '10' },
  },
});
if (!args.work || !args.out) {
  console.error('usage: node bench/run.mjs --work DIR --out FILE [--runs N] [--min-runs N] [--budget SECONDS] [--no-threaded]');
  process.exit(2);
}
const WORK = resolve(args.work);
const MODELS = JSON.parse(readFileSync(join(WORK, 'models.json'), 'utf8'));
const RUNS = Number(args.runs);
const MIN_RUNS = Math.min(Number(args['min-runs']), RUNS);
const BUDGET_MS = Number(args.budget) * 1000;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// The worker builds of the playground present in DIR: the plain one always, the SIMD one
// (scripts/simd-worker.sh) when the build has it.
const WORKERS = [
  { name: 'plain', url: './rune-worker_loader.js' },
  { name: 'simd', url: './rune-worker-simd_loader.js' },
].filter((w) => existsSync(join(WORK, w.url)));

// ---------------------------------------------------------------------------------------------
// A static server: DIR at /, bench/node_modules at /node_modules/; GET/HEAD only; cross-origin
// isolated (COOP/COEP, as `rune serve` serves the playground; LiteRT.js's threaded build needs
// SharedArrayBuffer).

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json', '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png', '.jpeg': 'image/jpeg', '.jpg': 'image/jpeg', '.map': 'application/json',
  '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml',
};
const ROUTES = [['/node_modules/', join(HERE, 'node_modules')], ['/', WORK]];
// The playground (--app), on a server of its own: Trunk's index.html refers to `/…` paths.
const APP = args.app ? resolve(args.app) : null;

function serve(routes = ROUTES) {
  const server = createServer((req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    };
    let path = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    if (path.endsWith('/')) path += 'index.html';
    const [prefix, root] = routes.find(([p]) => path.startsWith(p));
    const file = resolve(root, `.${path.slice(prefix.length - 1)}`);
    let size = -1;
    try {
      if ((file === root || file.startsWith(root + sep)) && statSync(file).isFile()) size = statSync(file).size;
    } catch { /* not found */ }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, headers).end();
    } else if (size < 0) {
      res.writeHead(404, headers).end(`not found: ${path}`);
    } else {
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': size });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    }
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

// ---------------------------------------------------------------------------------------------
// Statistics and tables.

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x) => (x == null || Number.isNaN(x) ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (a, b) => (a == null || b == null ? '–' : `${(a / b).toFixed(2)}×`);

function summarise(side) {
  const pick = (f) => median(side.samples.map(f));
  return {
    ...side,
    runs: side.samples.length,
    total: pick((s) => s.total),
    roundTrip: side.kind === 'ours' ? pick((s) => s.roundTrip) : null,
    decode: pick((s) => s.stages.decode),
    model: pick((s) => s.stages.model),
    post: pick((s) => s.stages.post),
    // Labels may hold commas ("goldfish, Carassius auratus"): top-1s are compared as they are.
    top1s: [...new Set([side.warmup, ...side.samples].map((s) => s.top[0]))],
    tops: [...new Set([side.warmup, ...side.samples].map((s) => s.top.map((l) => `"${l}"`).join(', ')))],
  };
}

const SIDE_NAMES = {
  'ours-plain': 'ours (rune-worker, wasm)',
  'ours-simd': 'ours (rune-worker-simd, wasm SIMD)',
  litert: 'LiteRT.js 2.5.3 (wasm, 1 thread)',
  'litert-threads': 'LiteRT.js 2.5.3 (threaded wasm)',
};

function tables(results, env) {
  const lines = [];
  const push = (...l) => lines.push(...l);
  push(`Headless Chromium ${env.browser} (${env.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? ''}), ` +
    `crossOriginIsolated ${env.crossOriginIsolated}, navigator.hardwareConcurrency ${env.hardwareConcurrency}; ` +
    `${env.cpu}, ${env.cores} cores, load average at start ${env.load}. Medians over the timed runs ` +
    '(the two sides alternate run by run after one warm-up run each); times in ms.', '');
  push('| model (input image) | top-1 (both sides) | ours: pipeline | LiteRT.js: pipeline (1 thread) | **ours / LiteRT.js** | ours: round trip to the worker | LiteRT.js threaded (threads) | ours: load (first run) | LiteRT.js: load + compile (first run) | runs |');
  push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const { model, sides } of results) {
    const ours = sides.find((s) => s.side === 'ours-plain');
    const lite = sides.find((s) => s.side === 'litert');
    const threaded = sides.find((s) => s.side === 'litert-threads');
    const simd = sides.find((s) => s.side === 'ours-simd');
    const top = (ours ?? lite)?.top1s[0] ?? '–';
    push(`| ${model.title} (${model.image.split('/').pop()}) | ${top} | ${ms(ours?.total)}${simd ? ` (SIMD: ${ms(simd.total)})` : ''} | ${ms(lite?.total)} | **${ratio(ours?.total, lite?.total)}**${simd ? ` (SIMD: ${ratio(simd.total, lite?.total)})` : ''} | ${ms(ours?.roundTrip)} | ${threaded ? `${ms(threaded.total)} (${threaded.numThreads})` : '–'} | ${ms(ours?.warmup.loadMs)} (${ms(ours?.warmup.total)}) | ${ms(lite?.loadMs)} (${ms(lite?.warmup.total)}) | ${ours?.runs ?? lite?.runs} |`);
  }
  push('', 'Per stage (medians of each stage over the same runs; "pipeline" is the whole run):', '');
  push('| model | side | decode + resize | model | post-processing | pipeline |');
  push('|---|---|---:|---:|---:|---:|');
  for (const { model, sides } of results) {
    for (const s of sides) {
      push(`| ${model.name} | ${SIDE_NAMES[s.side] ?? s.side} | ${ms(s.decode)} | ${ms(s.model)} | ${ms(s.post)} | ${ms(s.total)} |`);
    }
    const ours = sides.find((s) => s.side === 'ours-plain');
    const lite = sides.find((s) => s.side === 'litert');
    if (ours && lite) {
      push(`| ${model.name} | *ours / LiteRT.js (1 thread)* | *${ratio(ours.decode, lite.decode)}* | *${ratio(ours.model, lite.model)}* | *${ratio(ours.post, lite.post)}* | *${ratio(ours.total, lite.total)}* |`);
    }
  }
  return lines.join('\n');
}

function liveTable(live) {
  const lines = ['Live mode in the playground (the SIMD engine this Chromium gets; Chromium\'s fake camera; ' +
    'the app\'s frames-per-second reading, over the last second of completed runs, read every 0.5 s; ' +
    '"ms per run" is the worker\'s `run_ms` shown beside it):', ''];
  lines.push('| model | live workers | camera frame | live fps (median) | fps (min – max) | **fps / 1 worker\'s** | ms per run (median) | frame time (1000 / fps) | readings |');
  lines.push('|---|---|---|---:|---:|---:|---:|---:|---:|');
  for (const l of live) {
    if (l.error) {
      lines.push(`| ${l.model.name} | ${l.workers} | – | not measured: ${l.error} | | | | | |`);
      continue;
    }
    const fps = median(l.fps);
    const one = live.find((r) => r.model === l.model && r.workers === '1' && !r.error);
    const workers = l.workers === '1' ? '1 (`?workers=1`)' : `one per core (${Math.min(l.cores, 3)})`;
    lines.push(`| ${l.model.name} | ${workers} | ${l.frame} | **${fps.toFixed(1)}** | ${Math.min(...l.fps).toFixed(1)} – ${Math.max(...l.fps).toFixed(1)} | **${one ? `${(fps / median(one.fps)).toFixed(2)}×` : '–'}** | ${ms(median(l.runMs))} | ${ms(1000 / fps)} | ${l.fps.length} |`);
  }
  return lines.join('\n');
}

const LIVE_SECONDS = Number(args['live-seconds']);

/** Live mode in the built playground at `appBase` on `model`'s `.rune`, with a fake camera. */
async function measureLive(appBase, model, query) {
  const camBrowser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...BROWSER_ARGS, '--use-fake-device-for-media-stream'],
  });
  const pageProblems = [];
  try {
    const context = await camBrowser.newContext({ permissions: ['camera'], viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.on('pageerror', (e) => pageProblems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') pageProblems.push(`console: ${m.text()}`); });
    await page.goto(appBase + query);
    await page.waitForSelector('[data-testid=examples]', { timeout: 30000 });
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    await page.locator('[data-testid=open-rune]').setInputFiles(join(WORK, model.rune));
    await page.waitForSelector('[data-testid=opened-rune]', { timeout: 30000 });
    await page.locator('[data-testid=camera-toggle]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=camera-preview]')?.videoWidth > 0, null, { timeout: 15000 });
    const frame = await page.evaluate(() => {
      const video = document.querySelector('[data-testid=camera-preview]');
      return `${video.videoWidth}×${video.videoHeight}`;
    });
    await page.waitForFunction(() => !document.querySelector('[data-testid=live]')?.disabled, null, { timeout: 10000 });
    await page.locator('[data-testid=live]').click();
    // The first frame starts the worker and loads the model; then one more window of the meter.
    await page.waitForFunction(() => parseFloat(document.querySelector('[data-testid=fps]')?.textContent ?? '') > 0, null, { timeout: 120000 });
    await page.waitForTimeout(2000);
    const fps = [];
    const runMs = [];
    const end = Date.now() + LIVE_SECONDS * 1000;
    while (Date.now() < end) {
      await page.waitForTimeout(500);
      const status = await page.locator('[data-testid=run-status]').textContent();
      const m = status.match(/^Live: ([\d.]+) fps · ([\d.]+) ms per run$/);
      if (m) {
        fps.push(Number(m[1]));
        runMs.push(Number(m[2]));
      }
    }
    if (await page.locator('[data-testid=live]').getAttribute('aria-pressed') !== 'true') {
      const error = await page.locator('[data-testid=run-error]').textContent().catch(() => '');
      throw new Error(`live mode stopped${error ? `: ${error}` : ''}`);
    }
    if (!fps.length) throw new Error('no frames-per-second reading');
    if (pageProblems.length) throw new Error(pageProblems.join('; '));
    await context.close();
    return { model, frame, fps, runMs, cores };
  } finally {
    await camBrowser.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The run.

const server = await serve();
const base = `http://127.0.0.1:${server.address().port}/`;
const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: BROWSER_ARGS });
const appServer = APP ? await serve([['/', APP]]) : null;
const problems = [];
const litertLog = new Set();

async function openPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('console', (m) => {
    // LiteRT.js's wasm logs its INFO/WARNING lines (environment, accelerators) to stderr.
    if (m.type() === 'error' && /^(INFO|WARNING): /.test(m.text())) litertLog.add(m.text());
    else if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    else if (m.type() === 'log') console.log(`  [page] ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(base);
  await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30000 }).catch(() => {
    throw new Error(`the bench page did not start: ${problems.join('; ') || 'no error reported'}`);
  });
  return { context, page };
}

let status = 0;
try {
  const started = Date.now();
  const { context, page } = await openPage();
  const info = await page.evaluate(() => window.bench.info());
  const env = {
    ...info,
    browser: browser.version(),
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    cores: cpus().length,
    load: loadavg().map((x) => x.toFixed(1)).join(' '),
  };
  console.log(`[bench] Chromium ${env.browser}, crossOriginIsolated ${env.crossOriginIsolated}, workers: ${WORKERS.map((w) => w.name).join(', ')}`);
  const lite = await page.evaluate(() => window.bench.initLiteRt({ threads: false }));
  console.log(`[bench] LiteRT.js (single-threaded build: ${lite.wasm.join(', ')}) loaded in ${lite.loadMs.toFixed(0)} ms`);

  const results = [];
  for (const model of MODELS) {
    const cfg = { ...model, workers: WORKERS, litert: true, runs: RUNS, minRuns: MIN_RUNS, budgetMs: BUDGET_MS };
    console.log(`[bench] ${model.name}: ours and LiteRT.js (1 thread), up to ${RUNS} runs each`);
    const sides = await page.evaluate((c) => window.bench.runModel(c), cfg);
    results.push({ model, sides });
  }
  await context.close();

  if (!args['no-threaded']) {
    // LiteRT.js's threaded build, in a page of its own (LiteRT.js loads one build per page).
    const { context: threadedContext, page: threadedPage } = await openPage();
    try {
      const t = await threadedPage.evaluate(() => window.bench.initLiteRt({ threads: true }));
      console.log(`[bench] LiteRT.js (threaded build: ${t.wasm.join(', ')}, ${t.wasmThreads} threads) loaded in ${t.loadMs.toFixed(0)} ms`);
      for (const r of results) {
        const cfg = { ...r.model, workers: [], litert: true, runs: RUNS, minRuns: MIN_RUNS, budgetMs: BUDGET_MS };
        r.sides.push(...await threadedPage.evaluate((c) => window.bench.runModel(c), cfg));
      }
    } catch (e) {
      console.log(`[bench] LiteRT.js threaded build not measured: ${e.message.split('\n')[0]}`);
    }
    await threadedContext.close();
  }

  const live = [];
  if (appServer) {
    const appBase = `http://127.0.0.1:${appServer.address().port}/`;
    for (const model of MODELS) {
      // One worker (the reference: one frame at a time), then the app's default.
      for (const [workers, query] of [['1', '?workers=1'], ['one per core', '']]) {
        console.log(`[bench] ${model.name}: live mode in the playground, ${workers} worker(s), for ${LIVE_SECONDS} s`);
        try {
          live.push({ ...await measureLive(appBase, model, query), workers });
        } catch (e) {
          console.error(`error: ${model.name}: live mode: ${e.message.split('\n')[0]}`);
          live.push({ model, workers, error: e.message.split('\n')[0].replaceAll('|', '/') });
          status = 1;
        }
      }
    }
  }

  const summary = results.map(({ model, sides }) => ({ model, sides: sides.map(summarise) }));
  for (const { model, sides } of summary) {
    const tops = new Set(sides.flatMap((s) => s.top1s));
    const line = sides.map((s) => `${SIDE_NAMES[s.side] ?? s.side}: ${s.tops.join(' | ')}`).join('; ');
    console.log(`[bench] ${model.name} top-3: ${line}`);
    if (tops.size !== 1) {
      console.error(`error: ${model.name}: the sides disagree on the top-1 label (${[...tops].join(' vs ')}); not a valid benchmark`);
      status = 1;
    }
  }
  const markdown = tables(summary, env) + (live.length ? `\n\n${liveTable(live)}` : '');
  console.log(`\n${markdown}\n`);
  await mkdir(dirname(resolve(args.out)), { recursive: true });
  await writeFile(args.out, `# Browser benchmark: ours against LiteRT.js\n\n${markdown}\n`);
  console.log(`[bench] written to ${args.out}; measuring took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (problems.length) {
    console.error(`error: the page reported problems:\n  ${problems.join('\n  ')}`);
    status = 1;
  }
} catch (e) {
  console.error(`error: ${e.message}${problems.length ? `\n  page problems:\n  ${problems.join('\n  ')}` : ''}`);
  status = 1;
} finally {
  await browser.close();
  server.close();
  appServer?.close();
}
process.exit(status);
