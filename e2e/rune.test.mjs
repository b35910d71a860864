// End-to-end tests of .rune files in the playground: opening (and refusing) them, the Rune that
// `rune serve` serves, downloads checked by `rune inspect`, and share links.
// Env (scripts/e2e.sh sets them): BASE_URL, FIXTURES (tests/examples/e2e_fixtures.rs), RUNE_BIN
// (the `rune` CLI), SERVE_URL (a `rune serve $FIXTURES/colours.rune` on 127.0.0.1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE_URL, FIXTURES, SCREENSHOTS, SOURCE_KEY, launch, openPage, runAndWait, solidPng } from './helpers.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const savedText = (page) => page.evaluate((key) => localStorage.getItem(key), SOURCE_KEY);
const openRune = (page, name, buffer) =>
  page.locator('[data-testid=open-rune]').setInputFiles([{ name, mimeType: 'application/octet-stream', buffer }]);

test('a .rune opens as rune inspect prints it, runs, and closing it returns to the editor', async () => {
  const { context, page, problems } = await openPage(browser);
  const before = await savedText(page);
  await openRune(page, 'colours.rune', await readFile(join(FIXTURES, 'colours.rune')));
  await page.waitForSelector('[data-testid=opened-rune]');
  const inspect = await readFile(join(FIXTURES, 'colours.inspect.txt'), 'utf8');
  assert.equal(await page.locator('[data-testid=rune-summary]').textContent(), inspect);
  assert.deepEqual(
    await page.locator('[data-testid=graph] [data-stage]').evaluateAll((gs) => gs.map((g) => g.dataset.stage)),
    ['image', 'classify', 'most_confident', 'label', 'serial'],
  );
  // The Rune carries its model: only a photo is needed.
  await page.locator('[data-testid=file-input]').setInputFiles([
    { name: 'blue.png', mimeType: 'image/png', buffer: solidPng(20, 20, [20, 30, 230]) },
  ]);
  const serial = await runAndWait(page);
  assert.deepEqual(Object.values(serial)[0][0].elements, ['blue'], JSON.stringify(serial));
  await page.screenshot({ path: join(SCREENSHOTS, 'opened-rune.png'), fullPage: true });

  await page.locator('[data-testid=close-rune]').click();
  await page.waitForSelector('[data-testid=opened-rune]', { state: 'detached' });
  assert.equal(await savedText(page), before, 'the editor text is untouched');
  assert.deepEqual(problems, []);
  await context.close();
});

test('malformed .rune files give a readable error and leave the opened Rune and the editor alone', async () => {
  const { context, page, problems } = await openPage(browser);
  const before = await savedText(page);
  await openRune(page, 'colours.rune', await readFile(join(FIXTURES, 'colours.rune')));
  await page.waitForSelector('[data-testid=opened-rune]');

  await openRune(page, 'junk.rune', await readFile(join(FIXTURES, 'junk.rune')));
  await page.waitForSelector('[data-testid=open-error]');
  assert.match(await page.locator('[data-testid=open-error]').textContent(), /"junk.rune" cannot be opened: not a Rune/);
  await openRune(page, 'bad-model.rune', await readFile(join(FIXTURES, 'bad-model.rune')));
  await page.waitForFunction(() => /bad-model/.test(document.querySelector('[data-testid=open-error]')?.textContent ?? ''));
  assert.match(
    await page.locator('[data-testid=open-error]').textContent(),
    /"bad-model.rune" cannot be opened: the model of stage "classify" is not a TensorFlow Lite model/,
  );
  // Dropping a .rune on the Inputs panel opens it the same way.
  await page.locator('[data-testid=file-input]').setInputFiles([
    { name: 'cut.rune', mimeType: 'application/octet-stream', buffer: (await readFile(join(FIXTURES, 'colours.rune'))).subarray(0, 100) },
  ]);
  await page.waitForFunction(() => /cut.rune/.test(document.querySelector('[data-testid=open-error]')?.textContent ?? ''));
  await page.screenshot({ path: join(SCREENSHOTS, 'open-error.png') });
  assert.match(await page.locator('[data-testid=opened-rune]').textContent(), /Opened colours.rune/);
  assert.equal(await savedText(page), before);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a downloaded .rune is what rune inspect reads, and opens again in the app', { skip: !process.env.RUNE_BIN }, async () => {
  const { context, page, problems } = await openPage(browser);
  await page.locator('[data-testid=examples]').selectOption('sine');
  await page.waitForFunction(() => !document.querySelector('[data-testid=download]')?.disabled);
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=download]').click()]);
  assert.equal(download.suggestedFilename(), 'sine.rune');
  // `rune inspect` goes by the extension, as the original did.
  const file = join(await mkdtemp(join(tmpdir(), 'rune-e2e-')), 'sine.rune');
  await download.saveAs(file);
  const inspect = execFileSync(process.env.RUNE_BIN, ['inspect', file], { encoding: 'utf8' });
  assert.match(inspect, /^Name: sine\n/);
  assert.match(inspect, /Compiled by: Rune v\d+\.\d+\.\d+ \(rune-playground\)\n$/);
  await openRune(page, 'sine.rune', await readFile(file));
  await page.waitForSelector('[data-testid=opened-rune]');
  assert.equal(await page.locator('[data-testid=rune-summary]').textContent(), inspect);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the Rune that rune serve serves opens from its link, and runs', { skip: !process.env.SERVE_URL }, async () => {
  const url = new URL('?rune=rune/colours.rune', process.env.SERVE_URL).href;
  const { context, page, problems } = await openPage(browser, url);
  await page.waitForSelector('[data-testid=opened-rune]', { timeout: 20000 });
  assert.match(await page.locator('[data-testid=opened-rune]').textContent(), /Opened colours.rune/);
  const inspect = await readFile(join(FIXTURES, 'colours.inspect.txt'), 'utf8');
  assert.equal(await page.locator('[data-testid=rune-summary]').textContent(), inspect);
  // Served with the cross-origin isolation headers the app asks for.
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
  await page.locator('[data-testid=file-input]').setInputFiles([
    { name: 'green.png', mimeType: 'image/png', buffer: solidPng(16, 16, [20, 210, 40]) },
  ]);
  const serial = await runAndWait(page);
  assert.deepEqual(Object.values(serial)[0][0].elements, ['green'], JSON.stringify(serial));
  // The page's Share panel shows the link with a QR code for phones.
  await page.locator('[data-testid=share]').click();
  const link = await page.locator('[data-testid=share-link]').inputValue();
  assert.ok(link.startsWith(url), link);
  assert.equal(await page.locator('[data-testid=share-qr] svg').count(), 1);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(SCREENSHOTS, 'served-rune-phone.png'), fullPage: true });
  // A missing Rune is a message, not a broken page.
  const missing = await openPage(browser, new URL('?rune=rune/nope.rune', process.env.SERVE_URL).href);
  await missing.page.waitForSelector('[data-testid=open-error]');
  assert.match(await missing.page.locator('[data-testid=open-error]').textContent(), /"rune\/nope.rune" could not be loaded: the server answered 404/);
  await missing.context.close();
  assert.deepEqual(problems, []);
  await context.close();
});

test('a share link carries the Runefile to a fresh browser', async () => {
  const { context, page, problems } = await openPage(browser);
  await page.locator('[data-testid=examples]').selectOption('colours');
  await page.waitForFunction((key) => /classify/.test(localStorage.getItem(key) ?? ''), SOURCE_KEY);
  const text = await savedText(page);
  await page.locator('[data-testid=share]').click();
  const link = await page.locator('[data-testid=share-link]').inputValue();
  assert.ok(link.startsWith(BASE_URL) && link.includes('#runefile='), link);
  await context.close();

  const other = await openPage(browser, link);
  await other.page.waitForFunction((key) => localStorage.getItem(key) !== null, SOURCE_KEY);
  assert.equal(await savedText(other.page), text);
  assert.equal(await other.page.evaluate(() => location.hash), '', 'the fragment is removed after reading');
  assert.deepEqual([...problems, ...other.problems], []);
  await other.context.close();
});

test('runs use the wasm SIMD engine, and ?engine=plain the build without SIMD', async () => {
  for (const [query, label] of [['', 'wasm SIMD'], ['?engine=plain', 'wasm (no SIMD)']]) {
    const { context, page, problems } = await openPage(browser, BASE_URL + query);
    const fetched = [];
    page.on('request', (r) => { if (/rune-worker/.test(r.url())) fetched.push(new URL(r.url()).pathname); });
    await page.locator('[data-testid=examples]').selectOption('sine');
    await runAndWait(page);
    const status = await page.locator('[data-testid=run-status]').textContent();
    assert.ok(status.endsWith(`· ${label}`), status);
    const wasm = label === 'wasm SIMD' ? '/rune-worker-simd_bg.wasm' : '/rune-worker_bg.wasm';
    assert.ok(fetched.includes(wasm), `fetched ${fetched.join(', ')}`);
    assert.equal(fetched.filter((p) => p.endsWith('.wasm')).length, 1, `one engine: ${fetched.join(', ')}`);
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('a Rune project as a .zip or a folder fills the editor, adds its files and runs', async () => {
  const source = await readFile(join(ROOT, 'app/examples/colours.yml'), 'utf8');
  for (const [how, add] of [
    ['zip', (page) => page.locator('[data-testid=file-input]').setInputFiles(join(FIXTURES, 'colours-project.zip'))],
    ['folder', (page) => page.locator('[data-testid=folder-input]').setInputFiles(join(FIXTURES, 'colours-project'))],
  ]) {
    const { context, page, problems } = await openPage(browser);
    await add(page);
    await page.waitForSelector('[data-testid=upload][data-name="colours.tflite"]');
    await page.waitForFunction((key) => /classify/.test(localStorage.getItem(key) ?? ''), SOURCE_KEY);
    assert.equal(await savedText(page), source, how);
    assert.equal(await page.locator('[data-testid=rune-name]').inputValue(), 'colours', how);
    // Compiled (after the debounce): the graph shows the project's pipeline.
    await page.waitForSelector('[data-testid=graph] [data-stage=classify]');
    await page.locator('[data-testid=file-input]').setInputFiles([
      { name: 'green.png', mimeType: 'image/png', buffer: solidPng(16, 16, [20, 210, 40]) },
    ]);
    const serial = await runAndWait(page);
    assert.deepEqual(Object.values(serial)[0][0].elements, ['green'], `${how}: ${JSON.stringify(serial)}`);
    assert.deepEqual(problems, [], how);
    await context.close();
  }
  // A zip without a Runefile is refused with a sentence.
  const { context, page } = await openPage(browser);
  await page.locator('[data-testid=file-input]').setInputFiles([
    { name: 'empty.zip', mimeType: 'application/zip', buffer: Buffer.from('PK\x05\x06' + '\0'.repeat(18), 'binary') },
  ]);
  await page.waitForSelector('[data-testid=input-errors]');
  assert.match(await page.locator('[data-testid=input-errors]').textContent(), /"empty.zip" has no Runefile/);
  await context.close();
});
