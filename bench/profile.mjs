// The browser profiler's driver (scripts/profile-browser.sh prepares the files and calls it):
// serves a built playground from 127.0.0.1, opens a `.rune` in it, starts Chromium's fake camera
// and live mode with one worker (`?workers=1`), and records the pipeline worker with the
// DevTools protocol's sampling profiler; prints (and writes as Markdown) the functions with the
// most self time. Function names are only readable when the worker's wasm keeps its name
// section (the script builds such a copy).
//
// Usage: node bench/profile.mjs --app DIST --rune FILE --out FILE [--seconds N] [--top N]
// Env: CHROMIUM (default /usr/bin/chromium).
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: args } = parseArgs({
  options: {
    app: { type: 'string' },
    rune: { type: 'string' },
    out: { type: 'string' },
    seconds: { type: 'string', default: '10' },
    top: { type: 'string', default: '25' },
  },
});
if (!args.app || !args.rune || !args.out) {
  console.error('usage: node bench/profile.mjs --app DIST --rune FILE --out FILE [--seconds N] [--top N]');
  process.exit(2);
}
const APP = resolve(args.app);
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml' };

const server = createServer((req, res) => {
  let path = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
  if (path.endsWith('/')) path += 'index.html';
  const file = resolve(APP, `.${path}`);
  let size = -1;
  try {
    if (file.startsWith(APP + sep) && statSync(file).isFile()) size = statSync(file).size;
  } catch { /* not found */ }
  if (size < 0) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': size,
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cache-Control': 'no-store',
  });
  createReadStream(file).pipe(res);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--use-fake-device-for-media-stream'],
});
let status = 0;
try {
  const context = await browser.newContext({ permissions: ['camera'] });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));

  // The worker's own DevTools session, through the page's (Target.sendMessageToTarget).
  const cdp = await context.newCDPSession(page);
  let worker = null;
  let nextId = 1;
  const pending = new Map();
  cdp.on('Target.attachedToTarget', (e) => {
    if (e.targetInfo.type === 'worker' && !worker) worker = e.sessionId;
  });
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    const m = JSON.parse(e.message);
    if (m.id && pending.has(m.id)) {
      pending.get(m.id)(m);
      pending.delete(m.id);
    }
  });
  const send = (method, params = {}) => new Promise((ok, fail) => {
    const id = nextId++;
    pending.set(id, (m) => (m.error ? fail(new Error(`${method}: ${m.error.message}`)) : ok(m.result)));
    cdp.send('Target.sendMessageToTarget', { sessionId: worker, message: JSON.stringify({ id, method, params }) }).catch(fail);
  });
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });

  await page.goto(`${base}?workers=1`);
  await page.waitForSelector('[data-testid=examples]', { timeout: 30000 });
  await page.locator('[data-testid=open-rune]').setInputFiles(resolve(args.rune));
  await page.waitForSelector('[data-testid=opened-rune]', { timeout: 30000 });
  await page.locator('[data-testid=camera-toggle]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=camera-preview]')?.videoWidth > 0, null, { timeout: 15000 });
  await page.waitForFunction(() => !document.querySelector('[data-testid=live]')?.disabled, null, { timeout: 10000 });
  await page.locator('[data-testid=live]').click();
  await page.waitForFunction(() => parseFloat(document.querySelector('[data-testid=fps]')?.textContent ?? '') > 0, null, { timeout: 120000 });
  await page.waitForTimeout(2000);
  if (!worker) throw new Error('the pipeline worker did not show up in DevTools');

  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 200 });
  await send('Profiler.start');
  await page.waitForTimeout(Number(args.seconds) * 1000);
  const { profile } = await send('Profiler.stop');
  const live = await page.locator('[data-testid=run-status]').textContent();
  if (problems.length) throw new Error(problems.join('; '));

  // Self time per function name (samples whose top frame is the function).
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (const id of profile.samples) {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const name = functionName || `(${url.split('/').pop()}:${lineNumber})`;
    self.set(name, (self.get(name) ?? 0) + 1);
  }
  const total = profile.samples.length;
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top));
  const clean = (name) => name.replace(/::h[0-9a-f]{16}$/, '').replaceAll('|', '\\|');
  const lines = [
    `Pipeline worker, live mode with one worker, ${args.seconds} s, ${total} samples; the app showed "${live}".`,
    '',
    '| self time | function |',
    '|---:|---|',
    ...rows.map(([name, n]) => `| ${(100 * n / total).toFixed(1)} % | \`${clean(name)}\` |`),
  ];
  const markdown = lines.join('\n');
  console.log(`\n${markdown}\n`);
  await mkdir(dirname(resolve(args.out)), { recursive: true });
  await writeFile(args.out, `# Browser profile\n\n${markdown}\n`);
  console.log(`[profile] written to ${args.out}`);
} catch (e) {
  console.error(`error: ${e.message.split('\n')[0]}`);
  status = 1;
} finally {
  await browser.close();
  server.close();
}
process.exit(status);
