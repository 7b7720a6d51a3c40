// The first screen in its own small module, the rest loaded on first use (issue 18): the static
// first paint and its replacement, every lazy part opened with no CSP violation and no page
// error, the same offline on a second visit, and a part whose module cannot be fetched says
// so and loads on "Retry".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startServer, launchBrowser, newPage, createSeries, openSettings, closeSettings, openBible,
  waitForFramesSettled,
  closeBible, openSeriesSettings, closeSeriesSettings, planWithoutAnchor,
} from './harness.mjs';
import { recordViolations, violations, controlled, DIST_DIR } from './delivery.mjs';

let server, browser;
before(async () => {
  server = await startServer(['--fake-latency-ms', '30']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The lazily loaded modules a page fetched, by part name (`split_workspace`, `chunk_3`, …). */
function recordModules(page) {
  const fetched = [];
  page.on('request', (r) => {
    const m = new URL(r.url()).pathname.match(/\/((?:split|chunk)_[a-z0-9_]+)-[0-9a-f]{16}\.wasm$/);
    if (m) fetched.push(m[1]);
  });
  return fetched;
}

/** Generates every frame of the open series through the plan (Start), and waits for them. */
async function generateAll(page, count) {
  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  await waitForFramesSettled(page, count);
}

test('the first paint is the static copy of the first screen, replaced by the live one with the same words', async () => {
  const { page, context, errors } = await newPage(browser, { serviceWorkers: 'block' });
  try {
    // Hold the main wasm back: what the visitor sees meanwhile is index.html's own shell.
    let release;
    const held = new Promise((r) => { release = r; });
    await page.route(/continuity-[0-9a-f]{16}_bg\.wasm$/, async (route) => { await held; await route.continue(); });
    await page.goto(server.url);
    const shell = page.locator('#first-paint');
    await shell.waitFor();
    assert.equal(await shell.locator('h1').textContent(), 'Your series');
    const shellTemplates = await shell.locator('.template-option').allTextContents();
    assert.equal(shellTemplates.length, 6);
    assert.equal(await shell.evaluate((e) => e.inert), true, 'the shell takes no clicks');
    release();
    await page.getByTestId('no-projects').waitFor();
    assert.equal(await shell.count(), 0, 'the shell is gone once the app is mounted');
    assert.equal(await page.getByRole('heading', { name: 'Your series' }).count(), 1);
    // The shell's words are the app's words (index.html is kept in step with the templates).
    assert.deepEqual(await page.locator('.template-option').allTextContents(), shellTemplates);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('the first screen waits for its own module only; every lazy part opens on first use with no CSP violation or page error', async () => {
  const { page, context, errors } = await newPage(browser);
  await recordViolations(context);
  const fetched = recordModules(page);
  try {
    await page.goto(server.url);
    await page.getByTestId('no-projects').waitFor();
    // Interactive before any lazy module arrived is not guaranteed (prefetch starts when idle),
    // but the first screen never *needed* one: the button works with none loaded.
    const html = readFileSync(join(DIST_DIR, 'index.html'), 'utf8');
    assert.doesNotMatch(html, /split_|chunk_/, 'index.html preloads no lazy module');

    // Series workspace (and the plan dialog, through Start).
    await createSeries(page, { template: 'custom', name: 'Every part', frames: 2 });
    await page.getByTestId('frame-prompt').nth(0).pressSequentially('A lighthouse at dusk');
    await page.getByTestId('frame-prompt').nth(1).pressSequentially('A keeper climbs');
    await generateAll(page, 2);
    // The bible and the series settings (drawers, each its own module), and the locale matrix.
    await openBible(page);
    await page.getByTestId('add-character').click();
    await closeBible(page);
    await openSeriesSettings(page);
    await page.getByTestId('series-locales').pressSequentially('en, zh-Hans');
    await page.getByTestId('series-locales').press('Tab');
    await closeSeriesSettings(page);
    await page.getByTestId('locale-matrix').waitFor();
    // Inspector: a second version (Regenerate) for Compare, then the mask painter.
    await page.getByTestId('generate-frame').first().click();
    const start = page.getByTestId('start-plan');
    if (await start.isVisible().catch(() => false)) await start.click();
    await page.getByTestId('frame-card').first().getByTestId('open-inspector').click();
    const inspector = page.getByTestId('inspector');
    await inspector.waitFor();
    await inspector.getByTestId('version-node').nth(1).waitFor({ timeout: 30000 });
    await inspector.getByRole('button', { name: 'Paint mask' }).click();
    await inspector.getByTestId('mask-canvas').waitFor();
    await inspector.getByRole('button', { name: 'Paint mask' }).click(); // painter off
    await inspector.getByRole('button', { name: 'Compare' }).click();
    await inspector.getByTestId('version-node').nth(0).getByRole('button').click();
    await inspector.getByTestId('compare').waitFor();
    await page.keyboard.press('Escape');
    await inspector.waitFor({ state: 'hidden' });
    // Export menu, settings, the shortcut sheet.
    await page.getByTestId('export').click();
    await page.getByRole('menuitem', { name: /ZIP/ }).first().waitFor();
    await page.keyboard.press('Escape');
    await openSettings(page);
    await closeSettings(page);
    await page.locator('body').press('?');
    await page.getByRole('dialog', { name: /shortcuts/i }).waitFor();
    await page.keyboard.press('Escape');
    // Import (on the series list): a file that is not an export is refused, by the import part.
    await page.getByRole('button', { name: 'Continuity: all series' }).click();
    await page.getByTestId('import-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await page.getByTestId('import-error').waitFor();

    for (const part of ['split_workspace', 'split_inspector', 'split_plan', 'split_bible', 'split_series_settings', 'split_export', 'split_settings', 'split_shortcuts', 'split_import']) {
      assert.ok(fetched.includes(part), `${part} was loaded (fetched: ${fetched.join(' ')})`);
    }
    assert.deepEqual(await violations(page), []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('offline on a second visit, a series and its inspector open from the service worker cache', async () => {
  const { page, context, errors } = await newPage(browser);
  await recordViolations(context);
  try {
    await page.goto(server.url);
    await page.getByTestId('no-projects').waitFor();
    await controlled(page);
    await createSeries(page, { template: 'custom', name: 'Offline parts', frames: 1 });
    await page.getByTestId('frame-prompt').first().pressSequentially('A boat in fog');
    await generateAll(page, 1);

    await context.setOffline(true);
    const fetched = recordModules(page);
    const fromWorker = [];
    page.on('response', (r) => { if (r.fromServiceWorker()) fromWorker.push(new URL(r.url()).pathname); });
    await page.goto(server.url);
    await page.getByTestId('project-list').getByText('Offline parts').click();
    await page.getByTestId('frame-card').first().getByTestId('open-inspector').click();
    await page.getByTestId('inspector').locator('img').first().waitFor();
    await page.getByTestId('inspector').getByRole('button', { name: 'Paint mask' }).click();
    await page.getByTestId('inspector').getByTestId('mask-canvas').waitFor();
    assert.ok(fetched.includes('split_workspace'));
    assert.ok(fromWorker.some((p) => /split_workspace-/.test(p)), `the workspace from the worker: ${fromWorker.join(' ')}`);
    assert.deepEqual(await violations(page), []);
    // A page opened offline learns nothing about its host: the connection chosen stays, now and
    // once the network is back.
    assert.match(await page.getByTestId('connection').textContent(), /^This server/);
    await context.setOffline(false);
    await page.reload();
    await page.getByTestId('connection').filter({ hasText: /^This server/ }).waitFor();
    assert.deepEqual(errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|fetching the script|update a ServiceWorker/.test(e)), []);
  } finally {
    await context.close();
  }
});

test('a part whose module cannot be fetched says so, and "Retry" loads it', async () => {
  // No service worker: it would answer from its cache.
  const { page, context, errors } = await newPage(browser, { serviceWorkers: 'block' });
  try {
    await page.route(/split_settings-[0-9a-f]{16}\.wasm$/, (route) => route.abort('internetdisconnected'));
    await page.goto(server.url);
    await page.getByTestId('no-projects').waitFor();
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    const failed = page.getByTestId('part-failed');
    await failed.waitFor();
    assert.match(await failed.textContent(), /could not be loaded.*Nothing was lost/);
    assert.equal(await failed.getAttribute('role'), 'alert');
    // The page is still alive: the series list works meanwhile.
    await createSeries(page, { template: 'comic', name: 'Still working' });
    await page.unroute(/split_settings-[0-9a-f]{16}\.wasm$/);
    await failed.getByRole('button', { name: 'Retry' }).click();
    await page.getByTestId('settings').waitFor();
    await closeSettings(page);
    // Chromium logs the aborted fetch and the split loader logs why it failed.
    assert.deepEqual(errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|TypeError/.test(e)), []);
  } finally {
    await context.close();
  }
});
