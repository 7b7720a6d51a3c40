// A first-time user (issue 11), pressing keys and typing as a person does: the guided flow walked
// with the keyboard only; search by Chinese on-image text typed through an IME; the "Failed"
// filter; the shortcut sheet; a quota failure named on the batch line; and the first run on a
// static host on a sub-path (no continuity-server behind the page).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile, readdir } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import {
  startServer, launchBrowser, newPage, createSeries, journal, clearJournal, openBible, closeBible,
  waitForFramesSettled, planWithoutAnchor, compose,
} from './harness.mjs';

let server, browser;
before(async () => {
  server = await startServer(['--fake-latency-ms', '20']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Presses Tab (at most `max` times) until `locator` has the focus; fails if it never does. */
async function tabTo(page, locator, max = 250) {
  for (let i = 0; i < max; i++) {
    if (await locator.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached ${locator}`);
}

test('the guided flow, keyboard only: bible, anchor, approve, generate the series, review, export a ZIP', async () => {
  const { context, page } = await newPage(browser);
  await page.goto(server.url);
  await createSeries(page, { template: 'comic', name: 'Keys only' });
  const token = `kb${Date.now()}`;
  await clearJournal(server.url);

  const guide = page.getByTestId('guide');
  const primary = page.getByTestId('generate-all');
  assert.equal(await guide.getAttribute('data-step'), '1', 'a new series starts at the bible');
  // 1 Write the bible: the title bar's "Bible" opens its drawer with Enter, the overall style is
  // typed, Escape closes the drawer.
  await tabTo(page, page.getByRole('button', { name: 'Bible', exact: true }));
  await page.keyboard.press('Enter');
  await tabTo(page, page.getByTestId('series-style'));
  await page.keyboard.type(`Ink and wash, muted greens ${token}`, { delay: 2 });
  await page.keyboard.press('Escape');
  await page.getByTestId('bible-drawer').waitFor({ state: 'hidden' });
  assert.equal(await guide.getAttribute('data-step'), '2');
  // 2 The anchor: frame 1, through its plan (its estimate, then Start).
  await tabTo(page, primary);
  assert.equal(await primary.textContent(), 'Generate the anchor');
  await page.keyboard.press('Enter');
  assert.match(await page.getByTestId('plan-summary').textContent(), /^1 request/);
  await tabTo(page, page.getByTestId('start-plan'));
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid=frame-card]').dataset.status === 'done', null, { timeout: 30000 });
  // 3 Approve it: the same button now says so.
  await primary.filter({ hasText: 'Approve the anchor' }).waitFor();
  await tabTo(page, primary);
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('li[data-step="3"]').getAttribute('class').then((c) => c.includes('done')), true);
  // 4 Ctrl+Enter opens the plan of what the one button says; the plan starts from the keyboard.
  const label = await page.getByTestId('generate-all').textContent();
  assert.match(label, /Generate 3 frames from the anchor/);
  await page.keyboard.press('Control+Enter');
  await page.getByTestId('plan-summary').waitFor();
  await tabTo(page, page.getByTestId('start-plan'));
  await page.keyboard.press('Enter');
  await waitForFramesSettled(page, 4);
  const statuses = await page.$$eval('[data-testid=frame-card]', (c) => c.map((x) => x.dataset.status));
  assert.deepEqual(statuses, ['done', 'done', 'done', 'done']);
  const sent = (await journal(server.url)).filter((r) => r.params.prompt?.includes(token));
  assert.equal(sent.length, 4, 'the anchor once, then the three other frames');
  assert.equal(await guide.getAttribute('data-step'), '5', 'the series is done: the guide is at step 5');
  // 5 Review: the first frame opens in the inspector; → goes to its neighbour; Escape closes.
  await tabTo(page, page.getByRole('button', { name: 'Open the first frame' }));
  await page.keyboard.press('Enter');
  const inspector = page.getByTestId('inspector');
  await inspector.waitFor();
  const title = () => inspector.locator('#inspector-title').textContent();
  const before1 = await title();
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((t) => document.querySelector('#inspector-title').textContent !== t, before1);
  await page.keyboard.press('Escape');
  await inspector.waitFor({ state: 'hidden' });
  // … and export: the Export menu opens with Enter, ZIP is chosen with Tab and Enter.
  await tabTo(page, page.getByTestId('export'));
  await page.keyboard.press('Enter');
  await tabTo(page, page.getByRole('menuitem', { name: 'ZIP' }));
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.keyboard.press('Enter')]);
  assert.match(download.suggestedFilename(), /\.zip$/);
  const zip = await readFile(await download.path());
  assert.equal(zip.subarray(0, 4).toString('hex'), '504b0304', 'a ZIP archive');
  assert.ok(zip.includes('manifest.json'), 'with its manifest');
  await context.close();
});

test('search finds a frame by its Chinese on-image text; the Failed filter shows only failed frames; ? lists the shortcuts', async () => {
  const { context, page } = await newPage(browser);
  await page.goto(server.url);
  await createSeries(page, { template: 'comic', name: 'Find me' });
  const cards = page.getByTestId('frame-card');
  // Frame 3 carries Chinese text, typed through an IME.
  const third = cards.nth(2);
  await third.locator('summary', { hasText: 'Shot, text and entities' }).click();
  await third.getByTestId('add-text').click();
  await third.getByTestId('text-value').click();
  await compose(page, ['c', 'chun', 'chunjie', '春节'], '春节快乐');
  // Frame 2 will be refused by moderation.
  await cards.nth(1).getByTestId('frame-prompt').pressSequentially('A lantern festival [[fault:moderation]]', { delay: 2 });

  const search = page.getByRole('searchbox');
  await search.click();
  await compose(page, ['c', 'chun', '春'], '春节');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=frame-card]:not([hidden])').length === 1);
  const shown = await page.$$eval('[data-testid=frame-card]:not([hidden])', (c) => c.map((x) => x.dataset.frameId));
  assert.deepEqual(shown, [await third.getAttribute('data-frame-id')]);
  // Clearing the search brings every frame back.
  await search.press('Control+A');
  await search.press('Backspace');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=frame-card]:not([hidden])').length === 4);

  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  await waitForFramesSettled(page, 4);
  await page.getByTestId('status-filter').selectOption('failed');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=frame-card]:not([hidden])').length === 1);
  const failed = await page.$$eval('[data-testid=frame-card]:not([hidden])', (c) => c.map((x) => x.dataset.status));
  assert.deepEqual(failed, ['failed']);

  // ? (Shift+/) outside a field opens the sheet, which names Ctrl/⌘+Enter.
  await page.locator('h1, .series-title, body').first().click({ position: { x: 1, y: 1 } }).catch(() => {});
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('Shift+Slash');
  const sheet = page.getByTestId('shortcuts');
  await sheet.waitFor();
  assert.match(await sheet.textContent(), /Ctrl\/⌘\+Enter/);
  await page.keyboard.press('Escape');
  await sheet.waitFor({ state: 'hidden' });
  // Typing ? in a field types it and opens nothing.
  await search.click();
  await page.keyboard.press('Shift+Slash');
  assert.equal(await search.inputValue(), '?');
  assert.equal(await sheet.isVisible(), false);
  await context.close();
});

test('a quota failure is named on the batch line', async () => {
  const { context, page } = await newPage(browser);
  await page.goto(server.url);
  await createSeries(page, { template: 'comic', name: 'No credit' });
  await openBible(page);
  await page.getByTestId('series-style').pressSequentially('Ink [[fault:insufficient_quota]]', { delay: 2 });
  await closeBible(page);
  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  const line = page.getByTestId('batch-stopped');
  await line.waitFor({ timeout: 30000 });
  assert.match(await line.textContent(), /quota/i);
  assert.doesNotMatch(await line.textContent(), /see the failed frame/);
  await context.close();
});

/** A plain static file server for `dist/` under `prefix` (e.g. "/app/"), as a static host
 * would serve a build made with `--public-url /app/`: the page's absolute asset paths are
 * re-rooted under the prefix. Nothing else is there — no `api/config`, no `v1/images`. */
async function staticHost(dist, prefix) {
  const files = await readdir(dist);
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.webmanifest': 'application/manifest+json', '.png': 'image/png' };
  const seen = [];
  const http = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    seen.push(path);
    if (!path.startsWith(prefix)) { res.writeHead(404).end('not found'); return; }
    let rel = normalize(path.slice(prefix.length)) || 'index.html';
    if (rel === '.' || rel.endsWith('/')) rel = 'index.html';
    if (rel.startsWith('..')) { res.writeHead(404).end(); return; }
    try {
      let body = await readFile(join(dist, rel));
      if (rel === 'index.html') {
        let html = body.toString();
        html = html.replace(/<base href=["']?\/["']?>/, `<base href=${prefix}>`);
        for (const f of files) html = html.split(`/${f}`).join(`${prefix}${f}`);
        body = html;
      }
      res.writeHead(200, { 'content-type': types[extname(rel)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${http.address().port}${prefix}`, seen, close: () => new Promise((r) => http.close(r)) };
}

test('first run on a static host on a sub-path: no server, the key is asked for before anything is sent', async () => {
  const host = await staticHost(process.env.DIST_DIR, '/app/');
  const { context, page } = await newPage(browser);
  const imageRequests = [];
  page.on('request', (r) => { if (/\/v1\/images\//.test(r.url())) imageRequests.push(r.url()); });
  // The user's key goes to api.openai.com; here the fake answers in its place.
  await page.route('https://api.openai.com/**', async (route) => {
    const url = new URL(route.request().url());
    const response = await route.fetch({ url: `${server.url}${url.pathname.slice(1)}` });
    await route.fulfill({ response, headers: { ...response.headers(), 'access-control-allow-origin': '*' } });
  });
  await page.goto(host.url);
  await page.getByTestId('first-run').waitFor();
  assert.match(await page.getByTestId('first-run').textContent(), /without a server/);
  assert.match(await page.getByTestId('connection').textContent(), /no key yet/);
  await createSeries(page, { template: 'comic', name: 'Static' });
  await planWithoutAnchor(page);
  // The plan shows what it would cost; starting it without a key opens the settings instead.
  await page.getByTestId('start-plan').click();
  await page.getByTestId('settings').waitFor();
  assert.match(await page.locator('.notice').textContent(), /key/i);
  assert.deepEqual(imageRequests, [], 'nothing was sent without a key');
  await page.getByTestId('api-key').pressSequentially('sk-proj-static-host-test-key-000', { delay: 1 });
  await page.getByTestId('save-key').click();
  await page.getByTestId('close-settings').click();
  assert.match(await page.getByTestId('connection').textContent(), /OpenAI directly/);
  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  await waitForFramesSettled(page, 4);
  assert.ok(imageRequests.length >= 4 && imageRequests.every((u) => u.startsWith('https://api.openai.com/v1/images/')), imageRequests.join('\n'));
  assert.ok(host.seen.every((p) => p.startsWith('/app/')), `everything the page loaded is under the sub-path: ${host.seen.join(', ')}`);
  await context.close();
  await host.close();
});
