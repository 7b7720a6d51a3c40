// A full disk (security-reliability.md §3.6 STO-01): with the origin's quota squeezed through
// the DevTools protocol (`Storage.overrideQuotaForOrigin`), paid images cannot be written. The
// app says so in words, keeps the images in the tab (shown, counted as not saved yet), and
// writes them once there is room again — nothing is lost, nothing is marked done unsaved.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, createSeries, journal, clearJournal } from './harness.mjs';

let server, browser;
before(async () => {
  server = await startServer(['--fake-latency-ms', '30']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('STO-01: images that cannot be stored stay in the tab, are retried and are saved when room returns', async () => {
  const { page, context } = await newPage(browser);
  await page.goto(server.url);
  await page.getByTestId('no-projects').waitFor();
  await createSeries(page, { template: 'custom', name: 'Quota', frames: 3 });
  await page.waitForTimeout(500);
  const origin = new URL(server.url).origin;
  const cdp = await context.newCDPSession(page);
  const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage);
  // Room for a few small records, not for an image.
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 4096 });

  await clearJournal(server.url);
  await page.getByTestId('generate-all').click();
  await page.getByTestId('start-plan').click();
  const error = page.getByTestId('frame-error').first();
  await error.waitFor({ timeout: 30000 });
  assert.match(await error.textContent(), /could not be saved yet: The browser has no room left to save/);
  const unsaved = page.getByTestId('unsaved');
  await unsaved.waitFor();
  assert.match(await unsaved.textContent(), /not saved yet/);
  // The batch stops at the first failed write: the paid image is not thrown away, and no
  // more money is spent into a full disk.
  const sent = (await journal(server.url)).length;
  assert.ok(sent >= 1 && sent < 3, `${sent} requests`);
  // The image made is shown from memory.
  await page.waitForFunction(() =>
    [...document.querySelectorAll('[data-testid=frame-card] .frame-image img')].some((i) => i.complete && i.naturalWidth > 0));

  // Room again: the retry writes what was waiting.
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  await unsaved.waitFor({ state: 'detached', timeout: 60000 });
  const shown = await page.locator('[data-testid=frame-card] .frame-image img').first().getAttribute('data-hash');
  await page.reload();
  await page.getByTestId('series-title').filter({ hasText: 'Quota' }).waitFor();
  await page.waitForFunction((h) => !!document.querySelector(`[data-testid=frame-card] img[data-hash="${h}"]`), shown, { timeout: 20000 });
  await cdp.detach().catch(() => {});
  await context.close();
});
