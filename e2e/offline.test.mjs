// The offline app shell: a second visit opens from the service worker's cache with no network
// (generation then says it cannot connect), and a new deployment is picked up on the next load
// after a "reload to update" notice, never mixed with the old one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, createSeries, openSettings, closeSettings } from './harness.mjs';
import { copyDist, edit, buildVersion, controlled, DIST_DIR } from './delivery.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** The caches of the page's origin, by name. */
const cacheNames = (page) => page.evaluate(() => caches.keys());

test('a second visit opens from the cache with the network off', async () => {
  const server = await startServer(['--fake-latency-ms', '50']);
  const { page, context, errors } = await newPage(browser);
  try {
    await page.goto(server.url);
    await page.getByTestId('no-projects').waitFor();
    assert.equal(await controlled(page), server.url);
    const version = buildVersion(DIST_DIR);
    assert.deepEqual(await cacheNames(page), [`continuity:/:${version}`]);
    // Images from an endpoint by URL (this server's /v1 as a custom endpoint): offline, the
    // request itself fails. (With "This server", the app already learns at start that no server
    // answers, and says so instead.)
    await openSettings(page);
    await page.locator('#conn-custom').check();
    await page.getByTestId('custom-base-url').fill(`${server.url}v1`);
    await page.getByTestId('custom-base-url').press('Tab');
    await page.getByTestId('api-key').fill('sk-test-offline-0123456789abcdef');
    await page.getByTestId('save-key').click();
    await closeSettings(page);
    await createSeries(page, { template: 'custom', name: 'Offline trip', frames: 1 });

    await context.setOffline(true);
    const fromWorker = [];
    page.on('response', (r) => { if (r.fromServiceWorker()) fromWorker.push(new URL(r.url()).pathname); });
    await page.goto(server.url);
    await page.getByTestId('project-list').getByText('Offline trip').waitFor();
    for (const kind of [/_bg\.wasm$/, /^\/continuity-[0-9a-f]{16}\.js$/, /\.css$/, /^\/boot\.js$/, /^\/$/]) {
      assert.ok(fromWorker.some((p) => kind.test(p)), `${kind} from the worker: ${fromWorker.join(' ')}`);
    }
    // Generation needs the network, and says so.
    await page.getByTestId('project-list').getByText('Offline trip').click();
    await page.getByTestId('frame-prompt').first().pressSequentially('A train in the snow');
    await page.getByTestId('generate-all').click();
    const start = page.getByTestId('start-plan');
    await start.or(page.getByTestId('batch-progress')).first().waitFor();
    if (await start.isVisible()) await start.click();
    await page.getByTestId('frame-error').filter({ hasText: /Could not reach/ }).waitFor({ timeout: 30000 });
    await context.setOffline(false);
    // Chromium logs the failed requests and the worker's failed update check while offline.
    assert.deepEqual(errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|fetching the script|update a ServiceWorker/.test(e)), []);
  } finally {
    await context.close();
    await server.stop();
  }
});

test('a new deployment shows "reload to update" and the reload switches to it whole', async () => {
  const copy = copyDist();
  const server = await startServer([], { dist: copy.dir });
  const { page, context, errors } = await newPage(browser);
  try {
    await page.goto(server.url);
    await page.getByTestId('no-projects').waitFor();
    await controlled(page);
    const v1 = buildVersion(copy.dir);

    // Deploy "another build": a new version of the page and of the worker's file list.
    const v2 = [...v1].reverse().join('');
    edit(copy.dir, 'index.html', (html) => html.replace(`content="${v1}"`, `content="${v2}"`));
    edit(copy.dir, 'sw.js', (js) => js.replace(`"version":"${v1}"`, `"version":"${v2}"`));

    // The next load still runs v1, whole (from its cache), and offers the update.
    await page.reload();
    const notice = page.getByTestId('notice').filter({ hasText: 'reload the page to update' });
    await notice.waitFor({ timeout: 15000 });
    const shown = () => page.evaluate(() => document.querySelector('meta[name=continuity-build]')?.content);
    assert.equal(await shown(), v1);

    // The reload runs v2, and only v2's cache is left.
    await page.reload();
    try {
      await page.waitForFunction((v) => document.querySelector('meta[name=continuity-build]')?.content === v, v2);
    } catch (e) {
      const st = await page.evaluate(async () => { const r = await navigator.serviceWorker.getRegistration(); return { meta: document.querySelector('meta[name=continuity-build]')?.content, url: location.href, body: document.body?.innerText.slice(0, 200), active: r?.active?.state, waiting: r?.waiting?.state, installing: r?.installing?.state, ctrl: !!navigator.serviceWorker.controller, keys: await caches.keys() }; });
      // What the page and its workers show, to tell a late handover from a wrong build.
      console.log('after the reload', JSON.stringify(st), 'v1', v1, 'v2', v2);
      throw e;
    }
    await page.getByTestId('no-projects').waitFor();
    await page.waitForFunction((name) => caches.keys().then((k) => k.length === 1 && k[0] === name), `continuity:/:${v2}`);
    assert.equal(await notice.count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.stop();
    copy.remove();
  }
});
