// The zoo's MobileNetV2 (uint8) in the browser against `rune run` on the same Runefile and images:
// the playground's SERIAL output must equal the CLI's; and the zoo's microspeech (int8) and person
// detection (uint8) examples the same way, with the model's raw output added to what SERIAL prints
// (their first layers run on other kernels in the browser's wasm SIMD engine than natively).
// Runs when ../shared/zoo exists (CI has it) and prints a notice otherwise. Env: BASE_URL,
// RUNE_BIN (scripts/e2e.sh sets them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { BASE_URL, SCREENSHOTS, launch, openPage, runAndWait } from './helpers.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ZOO = join(ROOT, '..', 'shared', 'zoo', 'image');
const available = existsSync(join(ZOO, 'mobilenet', 'mobilenet_v2_quant.tflite')) && process.env.RUNE_BIN;
if (!available) console.log('SKIPPED: the zoo mobilenet in the browser (needs ../shared/zoo and RUNE_BIN)');

let browser;
before(async () => { if (available) browser = await launch(); });
after(async () => { await browser?.close(); });

/** The link fragment that puts `text` in the editor (app/src/share.rs: raw deflate, base64url). */
const shareFragment = (text) => `#runefile=${deflateRawSync(Buffer.from(text, 'utf8'), { level: 9 }).toString('base64url')}`;

test('the zoo mobilenet names the sample images in the browser exactly as rune run does', { skip: !available, timeout: 300000 }, async () => {
  // The tutorial's pipeline on the zoo's MobileNetV2, as tests/tests/tutorial.rs builds it.
  const runefile = (await readFile(join(ROOT, 'tests/runefiles/compile-pass/tutorial-food.yml'), 'utf8'))
    .replaceAll('192', '224')
    .replaceAll('./food.tflite', './mobilenet_v2_quant.tflite')
    .replaceAll('2024', '1001')
    .replaceAll('./aiy_food_V1_labelmap.csv', './label.txt');
  const dir = join(await mkdtemp(join(tmpdir(), 'rune-zoo-')), 'mobilenet');
  execFileSync('mkdir', ['-p', dir]);
  await writeFile(join(dir, 'Runefile.yml'), runefile);
  await copyFile(join(ZOO, 'mobilenet/mobilenet_v2_quant.tflite'), join(dir, 'mobilenet_v2_quant.tflite'));
  await copyFile(join(ZOO, 'mobilenet/label.txt'), join(dir, 'label.txt'));
  execFileSync(process.env.RUNE_BIN, ['build', join(dir, 'Runefile.yml')]);

  const { context, page, problems } = await openPage(browser, BASE_URL + shareFragment(runefile));
  await page.locator('[data-testid=file-input]').setInputFiles([
    { name: 'mobilenet_v2_quant.tflite', mimeType: 'application/octet-stream', buffer: await readFile(join(dir, 'mobilenet_v2_quant.tflite')) },
    { name: 'label.txt', mimeType: 'text/plain', buffer: await readFile(join(dir, 'label.txt')) },
  ]);
  for (const image of ['mushroom/mushroom.jpeg', 'mobilenet/vase.jpeg', 'mobilenet/handblower.png']) {
    const cli = JSON.parse(execFileSync(process.env.RUNE_BIN, ['run', join(dir, 'mobilenet.rune'), '--image', join(ZOO, image)], { encoding: 'utf8' }));
    const name = image.split('/').pop();
    await page.locator('[data-testid=file-input]').setInputFiles([
      { name, mimeType: name.endsWith('.png') ? 'image/png' : 'image/jpeg', buffer: await readFile(join(ZOO, image)) },
    ]);
    await page.waitForSelector(`[data-testid=upload][data-name="${name}"]`);
    const browserSerial = await runAndWait(page);
    console.log(`${image}: browser ${JSON.stringify(Object.values(browserSerial)[0][0].elements)}, rune run ${JSON.stringify(Object.values(cli)[0][0].elements)}`);
    assert.deepEqual(browserSerial, cli, image);
    await page.screenshot({ path: join(SCREENSHOTS, `zoo-${name}.png`), fullPage: true });
    await page.locator(`[data-testid=upload][data-name="${name}"] [data-testid=remove-upload]`).click();
    await page.waitForSelector(`[data-testid=upload][data-name="${name}"]`, { state: 'detached' });
  }
  assert.deepEqual(problems, []);
  await context.close();
});

const EXAMPLES = join(ROOT, '..', 'shared', 'zoo', 'examples');

/**
 * The zoo's `examples/<example>/Runefile.yml` with the model stage `model` also sent to the serial
 * sink, built with `rune build`, then run on each of `inputs` (`[zoo-relative path, rune run flag,
 * MIME type]`) by `rune run` and in the browser: the serial outputs must be equal.
 */
async function sameAsCli(example, model, inputs) {
  const original = await readFile(join(EXAMPLES, example, 'Runefile.yml'), 'utf8');
  const runefile = original.replace(/(\n    inputs:\n      - label\n)/, `$1      - ${model}\n`);
  assert.notEqual(runefile, original, `${example}: the serial stage reads the label`);
  const dir = join(await mkdtemp(join(tmpdir(), 'rune-zoo-')), example);
  execFileSync('mkdir', ['-p', dir]);
  await writeFile(join(dir, 'Runefile.yml'), runefile);
  await copyFile(join(EXAMPLES, example, 'model.tflite'), join(dir, 'model.tflite'));
  execFileSync(process.env.RUNE_BIN, ['build', join(dir, 'Runefile.yml')]);

  for (const [input, flag, mimeType] of inputs) {
    const file = join(EXAMPLES, example, input);
    const cli = JSON.parse(execFileSync(process.env.RUNE_BIN, ['run', join(dir, `${example}.rune`), flag, file], { encoding: 'utf8' }));
    // A page per input: stages keep state from run to run (microspeech's noise filter does), and
    // each `rune run` starts afresh.
    const { context, page, problems } = await openPage(browser, BASE_URL + shareFragment(runefile));
    const name = input.split('/').pop();
    await page.locator('[data-testid=file-input]').setInputFiles([
      { name: 'model.tflite', mimeType: 'application/octet-stream', buffer: await readFile(join(dir, 'model.tflite')) },
      { name, mimeType, buffer: await readFile(file) },
    ]);
    await page.waitForSelector(`[data-testid=upload][data-name="${name}"]`);
    const browserSerial = await runAndWait(page);
    const [label, scores] = Object.values(browserSerial)[0];
    console.log(`${example}/${input}: browser ${JSON.stringify(label.elements)} ${JSON.stringify(scores.elements)}`);
    assert.deepEqual(browserSerial, cli, `${example}/${input}`);
    assert.deepEqual(problems, []);
    await context.close();
  }
}

const examples = available && existsSync(join(EXAMPLES, 'microspeech', 'model.tflite')) && existsSync(join(EXAMPLES, 'person_detection', 'model.tflite'));
if (available && !examples) console.log('SKIPPED: the zoo speech and person detection examples in the browser (not in ../shared/zoo)');

test('the zoo microspeech gives the same words and scores in the browser as rune run', { skip: !examples, timeout: 120000 }, async () => {
  const words = ['down/cd85758f_nohash_0.wav', 'left/a6f2fd71_nohash_2.wav', 'right/fb7eb481_nohash_0.wav', 'up/84d1e469_nohash_0.wav'];
  await sameAsCli('microspeech', 'model', words.map((w) => [`data/${w}`, '--sound', 'audio/wav']));
});

test('the zoo person detection gives the same scores in the browser as rune run', { skip: !examples, timeout: 120000 }, async () => {
  await sameAsCli('person_detection', 'person_detection', [['image.png', '--image', 'image/png'], ['image_grayscale.png', '--image', 'image/png']]);
});
