// Shared helpers of the end-to-end tests: the browser, pages that collect problems, PNG fixtures
// (png.mjs).
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const BASE_URL = process.env.BASE_URL ?? 'http://127.0.0.1:8099/';
export const SCREENSHOTS = process.env.SCREENSHOTS ?? join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
export const FIXTURES = process.env.FIXTURES ?? '';
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
/** The localStorage key of the editor's text (app/src/state.rs). */
export const SOURCE_KEY = 'rune-playground.source';

/** Debian's Chromium, headless, with extra command-line `args`. */
export async function launch(args = []) {
  await mkdir(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', ...args],
  });
}

/** A fresh context (own localStorage) and a page at `url`, with console errors, page errors and
 *  failed requests collected in `problems`. Waits until the app has mounted. */
export async function openPage(browser, url = BASE_URL, options = {}) {
  const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true, ...options });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(url);
  await page.waitForSelector('[data-testid=examples]', { timeout: 20000 });
  return { context, page, problems };
}

export { solidPng } from './png.mjs';

/** Clicks Run once it is enabled and waits for the result; returns the SERIAL output as JSON. */
export async function runAndWait(page) {
  const run = page.locator('[data-testid=run]');
  await page.waitForFunction(() => !document.querySelector('[data-testid=run]')?.disabled, null, { timeout: 5000 });
  await run.click();
  await page.waitForSelector('[data-testid=serial], [data-testid=run-error]', { timeout: 60000 });
  const error = page.locator('[data-testid=run-error]');
  if (await error.count()) throw new Error(`the run failed: ${await error.textContent()}`);
  return JSON.parse(await page.locator('[data-testid=serial]').textContent());
}
