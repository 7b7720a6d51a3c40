// A change is stored once the user has seen it (issue 17): "Make active" and then a reload at
// once, a word typed and the page closed at once, Start and a reload at once — nothing the
// user saw is lost, and every request that reached the fake is recovered or flagged after the reload.
// And a full disk that recovers (issue 23): images stored after the quota comes back are
// simply done, never "Failed", never offered for a paid retry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, serverAndBrowser, newPage, createSeries, journal, clearJournal, waitForStatus, planWithoutAnchor } from './harness.mjs';

const shared = serverAndBrowser(['--fake-latency-ms', '30']);

const statuses = (page) => page.evaluate(() =>
  [...document.querySelectorAll('[data-testid=frame-card]')].map((c) => c.dataset.status));

test('"Make active" on an older version, then a reload at once: it is still active', async () => {
  const { page, context, errors } = await newPage(shared.browser);
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'comic', name: 'Older version' });
  const card = page.getByTestId('frame-card').nth(0);
  await card.getByTestId('frame-prompt').pressSequentially('A quiet harbour', { delay: 2 });
  for (let made = 1; made <= 2; made++) {
    await card.getByTestId('generate-frame').click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=frame-card]')[0]
      .querySelectorAll('[data-testid=variant]').length === (n > 1 ? n : 0)
      && document.querySelector('[data-testid=frame-card]').dataset.status === 'done', made, { timeout: 30000 });
  }
  const inspector = page.getByTestId('inspector');
  await card.getByTestId('open-inspector').click();
  await inspector.waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=inspector] [data-testid=version-node] img[data-hash]').length === 2);
  // The older version: the one not active since the second generation.
  const target = inspector.locator('[data-testid=version-node][data-active=false]');
  const targetHash = await target.locator('img[data-hash]').getAttribute('data-hash');
  await target.locator('.version-pick').click();
  await inspector.getByRole('button', { name: 'Make active' }).click();
  await page.reload(); // at once

  await page.getByTestId('series-title').filter({ hasText: 'Older version' }).waitFor();
  const after = page.getByTestId('frame-card').nth(0);
  await page.waitForFunction(() => document.querySelector('[data-testid=frame-card] .frame-image img[data-hash]'));
  assert.equal(await after.locator('.frame-image img[data-hash]').getAttribute('data-hash'), targetHash,
    'the version made active just before the reload is still the one shown');

  // Harder than a reload (whose old page lives until the new one arrives): the other version
  // made active, then the tab closed at once.
  const url = page.url();
  await after.getByTestId('open-inspector').click();
  await inspector.waitFor();
  const other = inspector.locator('[data-testid=version-node][data-active=false]');
  const otherHash = await other.locator('img[data-hash]').getAttribute('data-hash');
  await other.locator('.version-pick').click();
  await inspector.getByRole('button', { name: 'Make active' }).click();
  await page.close({ runBeforeUnload: true }); // at once
  const reopened = await context.newPage();
  await reopened.goto(url);
  await reopened.waitForFunction(() => document.querySelector('[data-testid=frame-card] .frame-image img[data-hash]'));
  assert.equal(await reopened.getByTestId('frame-card').nth(0).locator('.frame-image img[data-hash]').getAttribute('data-hash'),
    otherHash, 'the version made active just before the tab closed is the one shown');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a word typed into a prompt, then the page closed at once: every key is there', async () => {
  const { page, context, errors } = await newPage(shared.browser);
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'comic', name: 'Closed at once' });
  const url = page.url();
  await page.getByTestId('frame-prompt').nth(2).pressSequentially('lighthouse', { delay: 10 });
  await page.close({ runBeforeUnload: true });

  const reopened = await context.newPage();
  await reopened.goto(url);
  await reopened.getByTestId('series-title').filter({ hasText: 'Closed at once' }).waitFor();
  assert.equal(await reopened.getByTestId('frame-prompt').nth(2).inputValue(), 'lighthouse');
  assert.deepEqual(errors, []);
  await context.close();
});

test('Start, then a reload at once: every frame whose request reached the fake is recovered or flagged', async () => {
  // Slow answers, so requests are still in flight when the page goes.
  const slow = await startServer(['--fake-latency-ms', '4000']);
  try {
    const { page, context } = await newPage(shared.browser);
    await page.goto(slow.url);
    await createSeries(page, { template: 'custom', name: 'Start and reload', frames: 4 });
    const prompts = page.getByTestId('frame-prompt');
    for (let i = 0; i < 4; i++) await prompts.nth(i).fill(`Marker${i} a lighthouse`);
    await clearJournal(slow.url);
    await planWithoutAnchor(page);
    await page.getByTestId('start-plan').click();
    // The moment a request reaches the fake, the page goes.
    while ((await journal(slow.url)).length === 0) await new Promise((r) => setTimeout(r, 10));
    await page.reload();

    await page.getByTestId('series-title').filter({ hasText: 'Start and reload' }).waitFor();
    const sent = (await journal(slow.url)).map((r) => r.params.prompt ?? '');
    assert.ok(sent.length > 0, 'at least one request reached the fake before the reload');
    const cards = page.getByTestId('frame-card');
    for (let i = 0; i < 4; i++) {
      const reached = sent.some((p) => p.includes(`Marker${i} `));
      if (!reached) continue;
      // Through the server its answer is read back by job id (e2e/recovery.test.mjs); until
      // then, or if the server does not have it, the frame says it may have been billed.
      await cards.nth(i).locator('[data-testid=frame-recovered], [data-testid=frame-error]').first().waitFor({ timeout: 10000 });
      if (await cards.nth(i).getByTestId('frame-recovered').count()) continue;
      const message = await cards.nth(i).getByTestId('frame-error').textContent();
      // The page's own request dies with it: either wording says it may have been billed.
      assert.match(message, /(closed or reloaded|connection .*(dropped|closed)).*may have been billed/s, `frame ${i + 1}'s request reached the fake`);
    }
    await context.close();
  } finally {
    await slow.stop();
  }
});

test('images stored after the quota comes back are done: never "Failed", no paid retry (issue 23)', async () => {
  // Fill the quota (DevTools protocol). Chromium 156 applies an origin's quota override when
  // its IndexedDB is first opened (an override set on a page that has it open already is not
  // seen), so it is set before the app loads: room for the database and the series, not for
  // four images. No service worker, whose cache would take the room first.
  const { page, context, errors } = await newPage(shared.browser, { serviceWorkers: 'block' });
  const cdp = await context.newCDPSession(page);
  const origin = new URL(shared.server.url).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 180_000 });
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'custom', name: 'Quota', frames: 4 });
  const prompts = page.getByTestId('frame-prompt');
  for (let i = 0; i < 4; i++) await prompts.nth(i).fill(`Quota frame ${i + 1}, a red kite`);
  await clearJournal(shared.server.url);
  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  await page.getByTestId('unsaved').filter({ hasText: /no room left/ }).waitFor({ timeout: 30000 });
  // Room again: the saver's retry stores everything; the line and the notice go.
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  await page.getByTestId('unsaved').waitFor({ state: 'detached', timeout: 60000 });
  await page.waitForFunction(() => !document.querySelector('[data-testid=saving]'), null, { timeout: 10000 });
  assert.deepEqual(await statuses(page), ['done', 'done', 'done', 'done'], 'done before the reload');
  assert.equal(await page.getByTestId('notice').count(), 0, 'the "no room left" notice went with the problem');
  assert.equal((await journal(shared.server.url)).length, 4);

  await page.reload();
  await page.getByTestId('series-title').filter({ hasText: 'Quota' }).waitFor();
  await waitForStatus(page, 'done', 4, 15000);
  assert.deepEqual(await statuses(page), ['done', 'done', 'done', 'done']);
  assert.equal(await page.getByTestId('frame-error').count(), 0, 'no frame says it failed');
  assert.equal(await page.getByTestId('retry-failed').count(), 0, 'no retry is offered');
  await page.getByTestId('generate-all').click();
  await page.waitForTimeout(1000);
  assert.equal((await journal(shared.server.url)).length, 4, 'the primary action does not pay again');
  assert.deepEqual(errors, []);
  await context.close();
});
