// Shared e2e harness: starts continuity-server (fake provider) on a free port serving the
// release dist/, and a headless system Chromium driven by playwright-core (no browser download).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..');
const SERVER_BIN = process.env.SERVER_BIN || join(ROOT, 'target', 'server', 'continuity-server');
const DIST_DIR = process.env.DIST_DIR || join(ROOT, 'dist');

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Starts the server; returns { url, stop, log }. `args` are extra CLI flags. */
export async function startServer(args = []) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const env = { ...process.env };
  delete env.OPENAI_API_KEY; // never talk to OpenAI from tests
  const child = spawn(SERVER_BIN, ['--provider', 'fake', '--addr', `127.0.0.1:${port}`, '--dist', DIST_DIR, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const deadline = Date.now() + 15000;
  for (;;) {
    try {
      if ((await fetch(url + 'healthz')).ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`server did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    log: () => log,
    stop: () => new Promise((r) => { child.once('exit', r); child.kill(); }),
  };
}

/** Headless Debian Chromium with the flags this closed network needs. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A new page that records page errors and console errors (a broken wasm shows up here). */
export async function newPage(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // HTTP errors the app handles (e.g. a 400 it shows on a frame) are logged by Chromium too; skip them.
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text()); });
  return { page, context, errors };
}

/** The fake's journal of image requests it received. */
export async function journal(serverUrl) {
  return (await fetch(serverUrl + '_fake/requests')).json();
}

/** Clears the fake's journal. */
export async function clearJournal(serverUrl) {
  await fetch(serverUrl + '_fake/requests', { method: 'DELETE' });
}

/** Creates a series from the projects screen; returns when its frames are shown. */
export async function createSeries(page, { template, name, frames }) {
  await page.locator(`#tpl-${template}`).check();
  if (frames) await page.getByTestId('custom-frames').fill(String(frames));
  await page.getByTestId('new-name').fill(name);
  await page.getByTestId('create-series').click();
  await page.getByTestId('series-title').filter({ hasText: name }).waitFor();
}

/** Count of frame images that are really decoded (not just present). */
export async function loadedImages(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-testid=frame-card] .frame-image img:not(.preview)')]
      .filter((img) => img.complete && img.naturalWidth > 0).length);
}
