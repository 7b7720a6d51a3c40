// Shared e2e harness: starts continuity-server (fake provider) on a free port serving the
// release dist/, and a headless system Chromium driven by playwright-core (no browser download).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { before, after } from 'node:test';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..');
export const SERVER_BIN = process.env.SERVER_BIN || join(ROOT, 'target', 'server', 'continuity-server');
const DIST_DIR = process.env.DIST_DIR || join(ROOT, 'dist');

/** A free TCP port on 127.0.0.1. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * Starts the server; returns { url, stop, log }. `args` are extra CLI flags. Options:
 * `provider` (default 'fake'; 'openai' is forward mode, then pass `--upstream` in `args`) and
 * `env` (added to the environment; OPENAI_API_KEY is removed unless given here) and `dist`
 * (default: DIST_DIR or dist/).
 */
export async function startServer(args = [], { provider = 'fake', env: extraEnv = {}, dist = DIST_DIR } = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const env = { ...process.env };
  delete env.OPENAI_API_KEY; // never talk to OpenAI from tests
  delete env.CONTINUITY_REDIS_URL;
  delete env.CONTINUITY_TOKENS;
  delete env.CONTINUITY_TOKEN_SECRET;
  Object.assign(env, extraEnv);
  // Tests put custom endpoints (a recorder, a second server) on other loopback ports: the
  // Content-Security-Policy's connect-src must allow them, as a deployment's --connect-src would.
  const child = spawn(SERVER_BIN, ['--provider', provider, '--addr', `127.0.0.1:${port}`, '--dist', dist,
    '--connect-src', 'http://127.0.0.1:*', ...args], {
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

/**
 * For a test file: a fake server (extra CLI `args`) and a browser, started before its tests
 * and stopped after them. Returns an object whose `server` and `browser` are set by then.
 */
export function serverAndBrowser(args = []) {
  const shared = { server: null, browser: null };
  before(async () => {
    shared.server = await startServer(args);
    shared.browser = await launchBrowser();
  });
  after(async () => {
    await shared.browser?.close();
    await shared.server?.stop();
  });
  return shared;
}

/** Commits `text` through an IME, as a Chinese or Japanese keyboard does: composition updates
 * (`steps`: pinyin, then candidates), then the insert (DevTools protocol input events). */
export async function compose(page, steps, text) {
  const cdp = await page.context().newCDPSession(page);
  for (const s of steps) {
    await cdp.send('Input.imeSetComposition', { text: s, selectionStart: s.length, selectionEnd: s.length });
  }
  await cdp.send('Input.insertText', { text });
  await cdp.detach();
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

/** A new page that records page errors and console errors (a broken wasm shows up here).
 * `options` go to `browser.newContext` (e.g. `{ serviceWorkers: 'block' }` where a test routes
 * the app's own files: what the service worker serves from its cache bypasses routes). */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext(options);
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

/** A small valid RGB PNG (solid colour with a stripe) as a Buffer, for reference uploads. */
export async function makePng(width, height, [r, g, b]) {
  const { deflateSync, crc32 } = await import('node:zlib');
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const o = y * (width * 3 + 1) + 1 + x * 3;
      const stripe = (x + y) % 32 < 8;
      raw[o] = stripe ? 255 - r : r; raw[o + 1] = stripe ? 255 - g : g; raw[o + 2] = stripe ? 255 - b : b;
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** SHA-256 hex of a Buffer. */
export async function sha256(buffer) {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(buffer).digest('hex');
}

/** SHA-256 of the image a frame card currently shows (its stored Blob, via the object URL). */
export async function shownImageSha256(card) {
  // The grid shows thumbnails. The image's `data-hash` names the stored image (images are
  // keyed by the SHA-256 of their bytes); check that the bytes on screen are exactly the
  // stored thumbnail of that image, and that the stored image really has that hash.
  return card.locator('.frame-image img:not(.preview)').evaluate(async (img) => {
    const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
    const hash = img.dataset.hash;
    const shown = await (await fetch(img.src)).arrayBuffer();
    const db = await new Promise((ok, err) => { const r = indexedDB.open('continuity'); r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
    const read = (store) => new Promise((ok, err) => {
      const q = db.transaction(store).objectStore(store).get(hash); q.onsuccess = () => ok(q.result); q.onerror = () => err(q.error); });
    const [thumb, image] = [await read('thumbs'), await read('images')];
    db.close();
    if (!thumb || !image) throw new Error(`no stored image or thumbnail for ${hash}`);
    if (hex(await crypto.subtle.digest('SHA-256', shown)) !== hex(await crypto.subtle.digest('SHA-256', await thumb.arrayBuffer())))
      throw new Error('the card does not show the stored thumbnail of its image');
    const sha = hex(await crypto.subtle.digest('SHA-256', await image.arrayBuffer()));
    if (sha !== hash) throw new Error(`the stored image ${hash} hashes to ${sha}`);
    return sha;
  });
}

/**
 * Scrolls through the grid as a person would (thumbnails load lazily, near the viewport) until
 * `count` frame images have loaded and decoded.
 */
export async function allThumbnailsShown(page, count, timeout = 30000) {
  await page.waitForFunction((n) => {
    const shown = (card) => {
      const i = card.querySelector('.frame-image img:not(.preview)');
      return i && i.complete && i.naturalWidth > 0;
    };
    const cards = [...document.querySelectorAll('[data-testid=frame-card]')];
    const pending = cards.find((c) => !shown(c));
    if (pending) pending.scrollIntoView();
    return cards.filter(shown).length === n;
  }, count, { timeout });
}

/** Waits until `count` frame cards have the given data-status. */
export async function waitForStatus(page, status, count, timeout = 60000) {
  await page.waitForFunction(([s, n]) =>
    document.querySelectorAll(`[data-testid=frame-card][data-status=${s}]`).length === n, [status, count], { timeout });
}

/**
 * Records every request the page makes (as Playwright `Request`s, in order). Call before
 * `page.goto`. `await requestLog(records)` later turns them into plain objects with the full
 * header set Chromium sent (`allHeaders()`, which includes `authorization`), the body as text
 * (latin1, so binary multipart parts keep their bytes) and the URL.
 */
export function recordRequests(page) {
  const records = [];
  page.on('request', (r) => records.push(r));
  return records;
}

/** Resolves recorded requests into `{ url, method, headers, body }` objects. */
export async function requestLog(records) {
  return Promise.all(records.map(async (r) => {
    let headers;
    try { headers = await r.allHeaders(); } catch { headers = r.headers(); }
    const buf = r.postDataBuffer();
    return { url: r.url(), method: r.method(), headers, body: buf ? buf.toString('latin1') : '' };
  }));
}

/** Opens the Settings dialog from the top bar. */
export async function openSettings(page) {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByTestId('settings').waitFor();
}

/** Closes the Settings dialog with its Done button. */
export async function closeSettings(page) {
  await page.getByTestId('close-settings').click();
  await page.getByTestId('settings').waitFor({ state: 'detached' });
}

/** Every `localStorage` and `sessionStorage` entry of the page, as `{ local, session }`. */
export async function webStorage(page) {
  return page.evaluate(() => {
    const dump = (s) => Object.fromEntries([...Array(s.length).keys()].map((i) => [s.key(i), s.getItem(s.key(i))]));
    return { local: dump(localStorage), session: dump(sessionStorage) };
  });
}

/** Every record of every IndexedDB store of the page, JSON-serialised (Blobs show as `{}`). */
export async function indexedDbText(page) {
  return page.evaluate(async () => {
    const out = [];
    for (const { name } of await indexedDB.databases()) {
      const db = await new Promise((ok, err) => { const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
      for (const store of db.objectStoreNames) {
        const all = await new Promise((ok, err) => {
          const r = db.transaction(store).objectStore(store).getAll();
          r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error);
        });
        out.push(JSON.stringify(all));
      }
      db.close();
    }
    return out.join('\n');
  });
}

/** Waits until every frame card of the open series is done or failed. */
export async function waitForFramesSettled(page, count, timeout = 60000) {
  await page.waitForFunction((n) => {
    const s = [...document.querySelectorAll('[data-testid=frame-card]')].map((c) => c.dataset.status);
    return s.length === n && s.every((x) => x === 'done' || x === 'failed');
  }, count, { timeout });
}

/** Opens the "Bible" drawer from the series' title bar, as a person would (no-op when open). */
export async function openBible(page) {
  if (await page.getByTestId('bible-drawer').evaluate((d) => d.open)) return;
  await page.getByRole('button', { name: 'Bible', exact: true }).click();
  await page.getByTestId('bible').waitFor();
}

/** Closes the "Bible" drawer with its Close button (the board behind it is inert while open). */
export async function closeBible(page) {
  await page.getByTestId('close-bible').click();
  await page.getByTestId('bible-drawer').waitFor({ state: 'hidden' });
}

/** Opens the "Series settings" drawer (locales, model, quality, format, variants, storage). */
export async function openSeriesSettings(page) {
  if (await page.getByTestId('settings-drawer').evaluate((d) => d.open)) return;
  await page.getByRole('button', { name: 'Series settings', exact: true }).click();
  await page.getByTestId('series-settings').waitFor();
}

/** Closes the "Series settings" drawer with its Close button. */
export async function closeSeriesSettings(page) {
  await page.getByTestId('close-series-settings').click();
  await page.getByTestId('settings-drawer').waitFor({ state: 'hidden' });
}

/** Chooses `item` ("Duplicate", "Make anchor", "Move later"…) in a frame card's "More actions" menu. */
export async function cardAction(card, item) {
  await card.getByRole('button', { name: 'More actions', exact: true }).click();
  await card.getByRole('menuitem', { name: item, exact: true }).click();
}

/**
 * Opens the plan of every frame made on its own, as a user who wants no anchor says so: the
 * series' More menu → "Generate without an anchor". Returns when the plan shows.
 */
export async function planWithoutAnchor(page) {
  await page.getByRole('button', { name: 'More series actions' }).click();
  await page.getByRole('menuitem', { name: 'Generate without an anchor' }).click();
  await page.getByTestId('plan-summary').waitFor();
}

/**
 * Walks the guided flow's first steps with the primary button: "Generate the anchor" (its plan,
 * then Start), waits for the anchor's image, then "Approve the anchor". Returns when the button
 * offers the series.
 */
export async function generateAndApproveAnchor(page) {
  const primary = page.getByTestId('generate-all');
  await primary.filter({ hasText: 'Generate the anchor' }).click();
  await page.getByTestId('plan-summary').waitFor();
  await page.getByTestId('start-plan').click();
  await primary.filter({ hasText: 'Approve the anchor' }).waitFor({ timeout: 30000 });
  await primary.click();
  await primary.filter({ hasText: /^Generate \d+ frames? from the anchor$/ }).waitFor();
}

/** Paints one mask stroke across the inspector's mask canvas with the mouse, as a person drags. */
export async function paintStroke(page) {
  const canvas = page.getByTestId('inspector').getByTestId('mask-canvas');
  await canvas.waitFor();
  const box = await canvas.boundingBox();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.4);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.45, { steps: 5 });
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5, { steps: 5 });
  await page.mouse.up();
}

/** Types `instruction` key by key into the inspector's edit field and presses "Edit". */
export async function editInInspector(page, instruction) {
  const inspector = page.getByTestId('inspector');
  const field = inspector.getByTestId('edit-instruction');
  await field.fill('');
  await field.pressSequentially(instruction, { delay: 5 });
  await inspector.getByRole('button', { name: 'Edit', exact: true }).click();
}
