// End-to-end tests of the built playground (dist/), in Debian's Chromium driven by playwright-core.
// Serve dist/ first (scripts/e2e.sh does it), then: node --test --test-reporter=spec e2e/app.test.mjs
// Env: BASE_URL (default http://127.0.0.1:8099/), CHROMIUM (default /usr/bin/chromium),
//      SCREENSHOTS (default e2e/screenshots), FIXTURES (folder with colours.tflite, written by
//      `cargo run -p rune-tests --example e2e_fixtures -- DIR`; scripts/e2e.sh does it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PHONE, SCREENSHOTS, launch, openPage, runAndWait, solidPng } from './helpers.mjs';

const UNKNOWN_INPUT = `# A stage reads from a stage that does not exist (größe 🦀).
version: 1
image: runicos/base
pipeline:
  rand:
    capability: RAND
    outputs:
      - type: F32
        dimensions: [1]
  serial:
    out: serial
    inputs: [asdf]
`;

const VALID = `version: 1
image: runicos/base
pipeline:
  rand:
    capability: RAND
    outputs:
      - type: F32
        dimensions: [1]
  serial:
    out: serial
    inputs: [rand]
`;

/** The colour classifier example's Runefile, but reading a model the test uploads. */
const COLOURS = `version: 1
image: runicos/base
pipeline:
  image:
    capability: IMAGE
    outputs:
      - type: U8
        dimensions: [1, 32, 32, 3]
    args:
      width: 32
      height: 32
      pixel_format: "@PixelFormat::RGB"
  classify:
    model: ./colours.tflite
    inputs: [image]
    outputs:
      - type: U8
        dimensions: [1, 4]
  top:
    proc-block: "hotg-ai/proc-blocks@v0.11.3#most_confident_indices"
    inputs: [classify]
    outputs:
      - type: U32
        dimensions: [1]
    args:
      count: 1
  label:
    proc-block: "hotg-ai/proc-blocks@v0.11.3#label"
    inputs: [top]
    outputs:
      - type: UTF8
        dimensions: [1]
    args:
      wordlist: $LABELS
  serial:
    out: serial
    inputs: [label]
resources:
  LABELS:
    inline: |
      background
      red
      green
      blue
    type: string
`;

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** A fresh context (own localStorage) and page of the playground in `b` (default: the suite's
 *  browser), with problems collected (helpers.mjs), once CodeMirror is up. */
async function open(options = {}, b = browser) {
  const opened = await openPage(b, undefined, options);
  await opened.page.waitForSelector('.cm-content[data-testid=editor]', { timeout: 20000 });
  return opened;
}

/** The editor's editable element (CodeMirror's `.cm-content`, which carries data-testid=editor). */
const editor = (page) => page.locator('.cm-content[data-testid=editor]');
const summary = (page) => page.locator('[data-testid=problems-summary]');

/** The editor's text, from CodeMirror's state (window.RuneEditor, app/editor/editor.js). */
const editorText = (page) => page.evaluate(() => RuneEditor.text(RuneEditor.fromDOM(document.querySelector('.cm-editor'))));

/** The main selection: its text, offsets (UTF-16) and 1-based line. */
const editorSelection = (page) => page.evaluate(() => {
  const view = RuneEditor.fromDOM(document.querySelector('.cm-editor'));
  const { from, to } = view.state.selection.main;
  return { from, to, text: view.state.sliceDoc(from, to), line: view.state.doc.lineAt(from).number };
});

/** Replaces the editor's text as a paste would (Playwright's fill on the contenteditable). */
async function setText(page, text) {
  await editor(page).fill(text);
  await page.waitForFunction(
    (expected) => RuneEditor.text(RuneEditor.fromDOM(document.querySelector('.cm-editor'))) === expected,
    text,
    { timeout: 5000 },
  );
}

/** Waits until the Problems summary matches `pattern` (a RegExp). */
async function waitForSummary(page, pattern) {
  await page.waitForFunction(
    (source) => new RegExp(source).test(document.querySelector('[data-testid=problems-summary]')?.textContent ?? ''),
    pattern.source,
    { timeout: 5000 },
  );
}

/** The 1-based line and UTF-16 column of `needle` in `text` (JS strings are UTF-16). */
function lineColumn(text, needle) {
  const at = text.indexOf(needle);
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = at - (before.lastIndexOf('\n') + 1) + 1;
  return `${line}:${column}`;
}

test('the page loads without console errors and shows the default example', async () => {
  const { context, page, problems } = await open();
  await page.waitForSelector('[data-testid=graph] svg [data-stage]');
  await page.waitForTimeout(300);
  assert.equal(await page.title(), 'Rune Playground');
  assert.match(await editorText(page), /^# Random numbers/);
  assert.equal(await summary(page).textContent(), 'No problems');
  // CodeMirror, not the textarea fallback: line numbers and YAML highlighting.
  assert.equal(await page.locator('.editor-panel textarea').count(), 0);
  assert.equal(await page.locator('.cm-lineNumbers .cm-gutterElement', { hasText: /^1$/ }).count(), 1);
  const colours = await page.evaluate(() => {
    const line = [...document.querySelectorAll('.cm-line')].find((l) => l.textContent.startsWith('version:'));
    const key = [...line.querySelectorAll('span')].find((s) => s.textContent === 'version');
    const comment = document.querySelector('.cm-line:first-child span');
    return {
      line: getComputedStyle(line).color,
      key: key && getComputedStyle(key).color,
      comment: comment?.textContent.startsWith('#') && getComputedStyle(comment).color,
    };
  });
  assert.ok(colours.key && colours.key !== colours.line, `the key is highlighted: ${JSON.stringify(colours)}`);
  assert.ok(colours.comment && ![colours.line, colours.key].includes(colours.comment), `the comment is highlighted: ${JSON.stringify(colours)}`);
  await page.screenshot({ path: join(SCREENSHOTS, 'desktop.png') });
  assert.deepEqual(problems, []);
  await context.close();
});

test('an unknown input is reported in the Problems panel with its line:column', async () => {
  const { context, page, problems } = await open();
  await setText(page, UNKNOWN_INPUT);
  await waitForSummary(page, /^1 error$/);
  const message = await page.locator('[data-testid=problem-message]').textContent();
  assert.ok(message.includes('Unable to find "asdf" to use as an input for'), message);
  assert.equal(message, 'Unable to find "asdf" to use as an input for "serial"');
  const location = await page.locator('[data-testid=problem-location]').textContent();
  assert.equal(location, lineColumn(UNKNOWN_INPUT, 'asdf'));
  assert.equal(await page.locator('[data-testid=download]').isDisabled(), true);

  // The span is underlined in the editor, and hovering it shows the message.
  const underline = page.locator('.cm-lintRange-error');
  await underline.first().waitFor({ timeout: 5000 });
  assert.equal(await underline.count(), 1);
  assert.equal(await underline.textContent(), 'asdf');
  await underline.hover();
  const tooltip = page.locator('.cm-tooltip-lint');
  await tooltip.waitFor({ timeout: 5000 });
  assert.ok((await tooltip.textContent()).includes(message), await tooltip.textContent());
  // The gutter marks the line.
  assert.equal(await page.locator('.cm-lint-marker-error').count(), 1);
  await page.screenshot({ path: join(SCREENSHOTS, 'desktop-hover.png') });

  // Clicking the row moves the cursor to the problem (selecting its span) and focuses the editor.
  await editor(page).click();
  await page.keyboard.press('Control+Home');
  assert.equal((await editorSelection(page)).line, 1);
  await page.locator('[data-testid=problem]').click();
  const selection = await editorSelection(page);
  assert.equal(selection.text, 'asdf');
  assert.equal(`${selection.line}`, lineColumn(UNKNOWN_INPUT, 'asdf').split(':')[0]);
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'editor');
  await page.screenshot({ path: join(SCREENSHOTS, 'desktop-selection.png') });
  assert.deepEqual(problems, []);
  await context.close();
});

test('a valid pipeline draws two nodes and downloads a .rune that is a wasm module', async () => {
  const { context, page, problems } = await open();
  await setText(page, VALID);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=graph] svg [data-stage]').length === 2);
  assert.deepEqual(
    await page.locator('[data-testid=graph] [data-stage]').evaluateAll((gs) => gs.map((g) => g.dataset.stage)),
    ['rand', 'serial'],
  );
  assert.equal(await summary(page).textContent(), 'No problems');
  const button = page.locator('[data-testid=download]');
  assert.equal(await button.isEnabled(), true);

  // The first visit shows the default example (random numbers), whose name the Rune takes.
  assert.equal(await page.locator('[data-testid=rune-name]').inputValue(), 'random');
  await page.locator('[data-testid=rune-name]').fill('');
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  assert.equal(download.suggestedFilename(), 'playground.rune', 'an empty name is the default one');
  const bytes = await readFile(await download.path());
  assert.ok(bytes.length > 8, `${bytes.length} bytes`);
  assert.deepEqual([...bytes.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d]); // "\0asm"
  assert.deepEqual(problems, []);
  await context.close();
});

test('the text and the name survive a reload; an edited example is no longer selected', async () => {
  const { context, page } = await open();
  assert.equal(await page.locator('[data-testid=examples]').inputValue(), 'random');
  const text = `${VALID}# saved at ${Date.now()}\n`;
  await setText(page, text);
  assert.equal(await page.locator('[data-testid=examples]').inputValue(), '', 'the text is no longer the example');
  await page.locator('[data-testid=rune-name]').fill('my-rune');
  // And what is typed, too.
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('# typed');
  await page.waitForTimeout(100);
  await page.reload();
  await page.waitForSelector('.cm-content[data-testid=editor]');
  assert.equal(await editorText(page), `${text}# typed`);
  assert.equal(await page.locator('[data-testid=rune-name]').inputValue(), 'my-rune');
  assert.equal(await page.locator('[data-testid=examples]').inputValue(), '');
  await context.close();
});

test('a typed error is underlined with its message on hover, and Ctrl+Z undoes the typing', async () => {
  const { context, page, problems } = await open();
  await setText(page, VALID);
  await waitForSummary(page, /^No problems$/);
  // Type a reference to a stage that does not exist, key by key.
  await page.locator('.cm-line', { hasText: 'inputs: [rand]' }).click();
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.type(', nope');
  assert.ok((await editorText(page)).includes('inputs: [rand, nope]'), await editorText(page));
  await waitForSummary(page, /^1 error$/);
  const message = await page.locator('[data-testid=problem-message]').textContent();
  assert.match(message, /nope/);
  const underline = page.locator('.cm-lintRange-error');
  await underline.first().waitFor({ timeout: 5000 });
  assert.equal(await underline.textContent(), 'nope');
  await underline.hover();
  await page.locator('.cm-tooltip-lint').waitFor({ timeout: 5000 });
  assert.ok((await page.locator('.cm-tooltip-lint').textContent()).includes(message));
  await page.screenshot({ path: join(SCREENSHOTS, 'desktop-typed-error.png') });

  // Undo brings the text (and the clean compilation) back.
  await editor(page).click();
  await page.keyboard.press('Control+z');
  await page.waitForFunction(
    (expected) => RuneEditor.text(RuneEditor.fromDOM(document.querySelector('.cm-editor'))) === expected,
    VALID,
    { timeout: 5000 },
  );
  await waitForSummary(page, /^No problems$/);
  await page.waitForFunction(() => document.querySelectorAll('.cm-lintRange-error').length === 0, null, { timeout: 5000 });
  assert.deepEqual(problems, []);
  await context.close();
});

test('Tab indents in the editor; Esc then Tab moves the focus on', async () => {
  const { context, page, problems } = await open();
  await setText(page, VALID);
  await page.locator('.cm-line', { hasText: 'image: runicos/base' }).click();
  await page.keyboard.press('Tab');
  assert.ok((await editorText(page)).includes('\n  image: runicos/base'), await editorText(page));
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'editor');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await editorText(page), VALID);
  await page.keyboard.press('Escape');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => !!document.activeElement?.closest('.cm-editor')), false);
  assert.equal(await editorText(page), VALID);
  assert.deepEqual(problems, []);
  await context.close();
});

test('clicking a graph node selects the stage name in the editor', async () => {
  const { context, page } = await open();
  await setText(page, VALID);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=graph] svg [data-stage]').length === 2);
  await page.locator('[data-testid=graph] [data-stage=serial]').click();
  const selection = await editorSelection(page);
  assert.equal(selection.text, 'serial');
  assert.equal(selection.from, VALID.indexOf('serial:'));
  // Keyboard: Enter on a focused node does the same.
  await page.locator('[data-testid=graph] [data-stage=rand]').focus();
  await page.keyboard.press('Enter');
  assert.equal((await editorSelection(page)).text, 'rand');
  await context.close();
});

test('the broken example shows several problems (screenshot)', async () => {
  const { context, page } = await open();
  await page.locator('[data-testid=examples]').selectOption('broken');
  await waitForSummary(page, /error/);
  assert.ok(await page.locator('[data-testid=problem]').count() >= 3);
  assert.equal(await page.locator('[data-testid=rune-name]').inputValue(), 'broken');
  // The example's text went into CodeMirror, with its problems underlined.
  assert.match(await editorText(page), /^# /);
  await page.waitForFunction(() => document.querySelectorAll('.cm-lintRange-error').length >= 1, null, { timeout: 5000 });
  await page.locator('.rendered summary').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=rendered]')?.textContent.includes('error'));
  await page.screenshot({ path: join(SCREENSHOTS, 'desktop-broken.png'), fullPage: true });
  await context.close();
});

test('the phone layout stacks the panels without horizontal overflow', async () => {
  const { context, page, problems } = await open({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await page.waitForSelector('[data-testid=graph] svg [data-stage]');
  // On a mobile viewport the layout viewport widens to fit overflowing content, so compare
  // with the device width rather than with innerWidth.
  const layout = await page.evaluate(() => ({
    innerWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    outside: [...document.querySelectorAll('body *')]
      .filter((el) => el.getClientRects().length > 0 && !el.closest('svg, .panel'))
      .filter((el) => el.getBoundingClientRect().right > 390.5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}`),
  }));
  assert.equal(layout.innerWidth, PHONE.width, JSON.stringify(layout));
  assert.ok(layout.scrollWidth <= PHONE.width, JSON.stringify(layout));
  assert.deepEqual(layout.outside, []);
  const boxes = await page.evaluate(() => ['.editor-panel', '.graph-panel', '.problems-panel']
    .map((s) => document.querySelector(s).getBoundingClientRect())
    .map((r) => ({ top: r.top, left: r.left, right: r.right })));
  assert.ok(boxes[0].top < boxes[1].top && boxes[1].top < boxes[2].top, JSON.stringify(boxes));
  for (const box of boxes) assert.ok(box.left >= 0 && box.right <= PHONE.width, JSON.stringify(box));
  await page.screenshot({ path: join(SCREENSHOTS, 'phone.png'), fullPage: true });

  // The Run panel's status line stays on phones (its times, live frames per second).
  await runAndWait(page);
  assert.equal(await page.locator('[data-testid=run-status]').isVisible(), true);
  assert.match(await page.locator('[data-testid=run-status]').textContent(), /^Done in/);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= PHONE.width);

  await page.locator('[data-testid=examples]').selectOption('broken');
  await waitForSummary(page, /error/);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= PHONE.width);
  await page.locator('.problems-panel').screenshot({ path: join(SCREENSHOTS, 'phone-problems.png') });
  assert.deepEqual(problems, []);
  await context.close();
});

test('the sine example runs in the worker with no upload and prints a number', async () => {
  const { context, page, problems } = await open();
  await page.locator('[data-testid=examples]').selectOption('sine');
  await page.waitForSelector('[data-testid=graph] [data-stage=sine]');
  await waitForSummary(page, /^No problems$/);
  assert.deepEqual(
    await page.locator('[data-testid=upload]').evaluateAll((rows) => rows.map((r) => r.dataset.name)),
    ['sine.tflite'],
  );
  // Record the loading progress the Run panel shows on the first run (a fresh page, so the
  // engine's wasm downloads): the download's bar, then the model's.
  await page.evaluate(() => {
    window.progressSeen = { bars: [], statuses: [] };
    new MutationObserver(() => {
      const bar = document.querySelector('[data-testid=load-progress]');
      if (bar) window.progressSeen.bars.push({ phase: bar.dataset.phase, value: bar.getAttribute('value'), max: bar.getAttribute('max') });
      const status = document.querySelector('[data-testid=run-status]')?.textContent;
      if (status && window.progressSeen.statuses.at(-1) !== status) window.progressSeen.statuses.push(status);
    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
  const serial = await runAndWait(page);
  const seen = await page.evaluate(() => window.progressSeen);
  const engine = seen.bars.filter((p) => p.phase === 'engine');
  assert.ok(engine.length > 0, `the engine's download was shown: ${JSON.stringify(seen)}`);
  const last = engine.at(-1);
  assert.ok(Number(last.max) > 1_000_000 && Number(last.value) <= Number(last.max), JSON.stringify(last));
  assert.ok(seen.statuses.some((s) => /^Downloading the engine… \d+% of \d+\.\d MB$/.test(s)), JSON.stringify(seen.statuses));
  assert.ok(seen.bars.some((p) => p.phase === 'model'), JSON.stringify(seen.bars));
  assert.ok(seen.statuses.includes('Loading the model…'), JSON.stringify(seen.statuses));
  assert.equal(await page.locator('[data-testid=load-progress]').count(), 0, 'no bar once done');
  // {"4": [{"element-type": "f32", "dimensions": [1, 1], "elements": [x]}]}
  const [tensors] = Object.values(serial);
  assert.equal(tensors[0]['element-type'], 'f32');
  assert.deepEqual(tensors[0].dimensions, [1, 1]);
  assert.equal(typeof tensors[0].elements[0], 'number', JSON.stringify(serial));
  assert.deepEqual(
    await page.locator('[data-testid=stage-result]').evaluateAll((rows) => rows.map((r) => r.dataset.stage)),
    ['rand', 'mod360', 'sine', 'serial'],
  );
  assert.match(await page.locator('[data-testid=run-status]').textContent(), /^Done in/);
  // The same .rune again: the worker keeps the loaded model.
  await runAndWait(page);
  assert.doesNotMatch(await page.locator('[data-testid=run-status]').textContent(), /loading/);
  await page.locator('.results-panel').screenshot({ path: join(SCREENSHOTS, 'run-sine.png') });
  assert.deepEqual(problems, []);
  await context.close();
});

test('an uploaded model and a red photo are classified as "red"', async () => {
  const { context, page, problems } = await open();
  await setText(page, COLOURS);
  await waitForSummary(page, /error/);
  assert.equal(await page.locator('[data-testid=run]').isDisabled(), true);

  const model = await readFile(join(process.env.FIXTURES ?? '', 'colours.tflite'));
  await page.locator('[data-testid=file-input]').setInputFiles([
    { name: 'colours.tflite', mimeType: 'application/octet-stream', buffer: model },
  ]);
  await waitForSummary(page, /^No problems$/);
  // No photo yet: the Run button says which input is missing.
  assert.equal(await page.locator('[data-testid=run]').isDisabled(), true);
  assert.match(await page.locator('[data-testid=run-blocked]').textContent(), /"IMAGE" input of "image"/);

  await page.locator('[data-testid=file-input]').setInputFiles([
    { name: 'red.png', mimeType: 'image/png', buffer: solidPng(40, 30, [220, 20, 30]) },
  ]);
  await page.waitForSelector('[data-testid=upload][data-name="red.png"]');
  const serial = await runAndWait(page);
  const [tensors] = Object.values(serial);
  assert.deepEqual(tensors[0].elements, ['red'], JSON.stringify(serial));
  assert.equal(await page.locator('[data-stage=label] [data-testid=labels]').textContent(), 'red');
  // The IMAGE stage's tensor is drawn as a picture.
  assert.equal(await page.locator('[data-stage=image] [data-testid=picture]').count(), 1);
  await page.locator('.results-panel').screenshot({ path: join(SCREENSHOTS, 'run-colours.png') });
  await page.screenshot({ path: join(SCREENSHOTS, 'desktop-run.png'), fullPage: true });

  // A file that is not what its name says is refused with a message.
  await page.locator('[data-testid=file-input]').setInputFiles([
    { name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('not a png') },
  ]);
  await page.waitForSelector('[data-testid=input-errors]');
  assert.match(await page.locator('[data-testid=input-errors]').textContent(), /"fake.png" is not a PNG/);
  // Removing the photo blocks the run again.
  await page.locator('[data-testid=upload][data-name="red.png"] [data-testid=remove-upload]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=run]')?.disabled);
  assert.deepEqual(problems, []);
  await context.close();
});

/** A browser whose camera is Chromium's fake device playing `FIXTURES/red.y4m` (solid red).
 *  Contexts get the camera with `permissions: ['camera']`; without it the prompt is denied. */
function launchWithFakeCamera() {
  return launch(['--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${join(process.env.FIXTURES ?? '', 'red.y4m')}`]);
}

const openIn = (b, options = {}) => open(options, b);

test('live mode classifies the (fake) webcam as "red" and shows frames per second', async () => {
  const camBrowser = await launchWithFakeCamera();
  try {
    const { context, page, problems } = await openIn(camBrowser, { permissions: ['camera'] });
    await page.locator('[data-testid=examples]').selectOption('colours');
    // The colour classifier has compiled (the default example has no problems either).
    await page.waitForSelector('[data-testid=graph] [data-stage=classify]');
    await waitForSummary(page, /^No problems$/);
    const live = page.locator('[data-testid=live]');
    assert.equal(await live.isDisabled(), true, 'Live needs the camera');

    // Keyboard: the camera button is reachable and works with Enter.
    await page.locator('[data-testid=camera-toggle]').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid=camera-toggle]')?.getAttribute('aria-pressed') === 'true', null, { timeout: 10000 });
    await page.waitForFunction(() => document.querySelector('[data-testid=camera-preview]')?.videoWidth > 0, null, { timeout: 10000 });
    assert.equal(await page.locator('[data-testid=camera-error]').count(), 0);

    // Live: runs on frame after frame; the FPS reading becomes a number.
    await page.waitForFunction(() => !document.querySelector('[data-testid=live]')?.disabled, null, { timeout: 5000 });
    await live.click();
    assert.equal(await live.getAttribute('aria-pressed'), 'true');
    await page.waitForFunction(() => /^\d+(\.\d)? fps$/.test(document.querySelector('[data-testid=fps]')?.textContent ?? '')
      && parseFloat(document.querySelector('[data-testid=fps]').textContent) > 0, null, { timeout: 30000 });
    const serial = JSON.parse(await page.locator('[data-testid=serial]').textContent());
    assert.deepEqual(Object.values(serial)[0][0].elements, ['red'], JSON.stringify(serial));
    assert.equal(await page.locator('[data-stage=label] [data-testid=labels]').textContent(), 'red');
    // Every stage shows its time; the status line says it is live.
    assert.ok(await page.locator('[data-testid=stage-time]').count() >= 4);
    assert.match(await page.locator('[data-testid=run-status]').textContent(), /^Live: \d+(\.\d)? fps · [\d.]+ ms per run$/);
    // The camera is the IMAGE input: no "add an image" notice while it streams.
    assert.equal(await page.locator('[data-testid=run-blocked]').count(), 0);
    // The page stays responsive while live: typing in the editor is immediate.
    const before = await page.evaluate(() => performance.now());
    await page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
    assert.ok(await page.evaluate(() => performance.now()) - before < 500);
    const fps = parseFloat(await page.locator('[data-testid=fps]').textContent());
    await page.locator('.results-panel').screenshot({ path: join(SCREENSHOTS, 'live-camera.png') });
    await page.screenshot({ path: join(SCREENSHOTS, 'desktop-live.png'), fullPage: true });

    // Capture adds the picture as an IMAGE input.
    await page.locator('[data-testid=capture]').click();
    await page.waitForSelector('[data-testid=upload][data-name="camera-1"]');

    // A Runefile that does not compile stops live mode.
    await editor(page).fill(UNKNOWN_INPUT);
    await page.waitForFunction(() => document.querySelector('[data-testid=live]')?.getAttribute('aria-pressed') === 'false', null, { timeout: 5000 });
    // Stopping the camera stops its tracks.
    await page.locator('[data-testid=camera-toggle]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=camera-toggle]')?.getAttribute('aria-pressed') === 'false');
    assert.equal(await page.evaluate(() => document.querySelector('[data-testid=camera-preview]').srcObject), null);
    assert.ok(fps > 0);
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    await camBrowser.close();
  }
});

test('a denied camera says so and the page keeps working', async () => {
  const camBrowser = await launchWithFakeCamera();
  try {
    const { context, page, problems } = await openIn(camBrowser);
    await page.locator('[data-testid=examples]').selectOption('colours');
    await page.waitForSelector('[data-testid=graph] [data-stage=classify]');
    await waitForSummary(page, /^No problems$/);
    await page.locator('[data-testid=camera-toggle]').click();
    await page.waitForSelector('[data-testid=camera-error]', { timeout: 10000 });
    assert.match(await page.locator('[data-testid=camera-error]').textContent(), /^Camera permission was denied\./);
    assert.equal(await page.locator('[data-testid=camera-toggle]').textContent(), 'Use camera');
    assert.equal(await page.locator('[data-testid=live]').isDisabled(), true);
    // A photo still works.
    await page.locator('[data-testid=file-input]').setInputFiles([
      { name: 'blue.png', mimeType: 'image/png', buffer: solidPng(16, 16, [20, 30, 230]) },
    ]);
    const serial = await runAndWait(page);
    assert.deepEqual(Object.values(serial)[0][0].elements, ['blue'], JSON.stringify(serial));
    await page.locator('.inputs-panel').screenshot({ path: join(SCREENSHOTS, 'camera-denied.png') });
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    await camBrowser.close();
  }
});

const SOUND = `version: 1
image: runicos/base
pipeline:
  audio:
    capability: SOUND
    outputs:
      - type: I16
        dimensions: [1, 1600]
    args:
      hz: 16000
      sample_duration_ms: 100
  serial:
    out: serial
    inputs: [audio]
`;

test('Record adds the (fake) microphone as a WAV that a SOUND pipeline runs on', async () => {
  const micBrowser = await launchWithFakeCamera();
  try {
    const { context, page, problems } = await openIn(micBrowser, { permissions: ['microphone'] });
    await editor(page).fill(SOUND);
    // Compiled (the default example has no problems either): the recording follows its args.
    await page.waitForFunction(() => /0\.1 s of microphone sound at 16000 Hz/.test(document.querySelector('[data-testid=microphone]')?.textContent ?? ''), null, { timeout: 5000 });
    await waitForSummary(page, /^No problems$/);
    await page.locator('[data-testid=record]').click();
    await page.waitForSelector('[data-testid=upload][data-name="microphone-1.wav"], [data-testid=microphone-error]', { timeout: 15000 });
    if (await page.locator('[data-testid=microphone-error]').count()) {
      assert.fail(await page.locator('[data-testid=microphone-error]').textContent());
    }
    // 44-byte header + 1600 16-bit samples.
    assert.equal(await page.locator('[data-testid=upload][data-name="microphone-1.wav"] .upload-size').textContent(), '3.2 KiB');
    const serial = await runAndWait(page);
    const [tensor] = Object.values(serial)[0];
    assert.equal(tensor['element-type'], 'i16');
    assert.deepEqual(tensor.dimensions, [1, 1600]);
    assert.equal(tensor.elements.length, 1600);
    assert.deepEqual(problems, []);
    await context.close();

    // Without permission: a sentence, and the button works again.
    const denied = await openIn(micBrowser);
    await editor(denied.page).fill(SOUND);
    await denied.page.waitForSelector('[data-testid=record]');
    await waitForSummary(denied.page, /^No problems$/);
    await denied.page.locator('[data-testid=record]').click();
    await denied.page.waitForSelector('[data-testid=microphone-error]', { timeout: 10000 });
    assert.match(await denied.page.locator('[data-testid=microphone-error]').textContent(), /^Microphone permission was denied\./);
    assert.equal(await denied.page.locator('[data-testid=record]').isDisabled(), false);
    assert.deepEqual(denied.problems, []);
    await denied.context.close();
  } finally {
    await micBrowser.close();
  }
});
