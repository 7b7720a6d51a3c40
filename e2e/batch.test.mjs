// Batch mode (issue 21): the anchor is made now, the other frames go through the Batch API at
// half price. Against the fake's Files and Batches (`--fake-batch-seconds`), as a user would:
// the plan's "Batch: half price, within 24 h" radio, the series' "Batch running" line, the tab
// closed before the batch ends and the series opened again, an expired batch, a cancel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, newPage, journal, createSeries, waitForStatus, generateAndApproveAnchor, openSettings, closeSettings } from './harness.mjs';

const shared = serverAndBrowser(['--fake-latency-ms', '20', '--fake-batch-seconds', '8']);

/** The dollars of the series' spend line ("$0.106 spent · …"). */
async function spent(page) {
  const text = await page.getByTestId('series-spend').textContent();
  return Number(text.match(/^\$(\d+\.\d+) spent/)[1]);
}

/** Every version record of the page's database (Blobs left out). */
async function versions(page) {
  return page.evaluate(async () => {
    const db = await new Promise((ok, err) => { const r = indexedDB.open('continuity'); r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
    const all = await new Promise((ok, err) => {
      const q = db.transaction('versions').objectStore('versions').getAll(); q.onsuccess = () => ok(q.result); q.onerror = () => err(q.error); });
    db.close();
    return all.map((r) => JSON.parse(r.json));
  });
}

/** Lines of the fake's journal that ran inside a batch. */
async function batchLinesRun(url) {
  return (await journal(url)).filter((e) => /batch=batch_/.test(e.content_type || ''));
}

/**
 * A 12-panel storyboard with its anchor made now and approved, then the plan of the other 11
 * frames started in batch mode. `prompt2` is typed into frame 2 first (a fault marker).
 * Returns what the page sent and received on the Files and Batches routes.
 */
async function startBatch(page, name, prompt2) {
  const sent = { batches: [], files: [], created: [] };
  page.on('request', (r) => {
    if (r.method() === 'POST' && /\/v1\/batches$/.test(r.url())) sent.batches.push(JSON.parse(r.postData()));
  });
  page.on('response', async (r) => {
    if (r.request().method() === 'POST' && /\/v1\/files$/.test(r.url())) sent.files.push(await r.json());
    if (r.request().method() === 'POST' && /\/v1\/batches$/.test(r.url())) sent.created.push(await r.json());
  });
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'storyboard', name });
  if (prompt2) await page.getByTestId('frame-prompt').nth(1).pressSequentially(prompt2, { delay: 2 });
  await generateAndApproveAnchor(page);
  const spentOnAnchor = await spent(page);
  await page.getByTestId('generate-all').click();
  await page.getByTestId('plan-summary').filter({ hasText: '11 requests' }).waitFor();
  const now = page.getByRole('radio', { name: 'Now', exact: true });
  const batch = page.getByRole('radio', { name: 'Batch: half price, within 24 h', exact: true });
  assert.equal(await now.isChecked(), true, '"Now" is the default');
  const priceNow = Number((await page.getByTestId('price-now').textContent()).match(/\$(\d+\.\d+)/)[1]);
  const priceBatch = await page.getByTestId('price-batch').textContent();
  assert.match(priceBatch, /estimated/, 'the batch price is labelled an estimate');
  assert.ok(Math.abs(Number(priceBatch.match(/\$(\d+\.\d+)/)[1]) - priceNow / 2) < 0.002, `${priceBatch} vs ${priceNow}`);
  await batch.check();
  await page.getByTestId('start-plan').and(page.locator(':enabled')).waitFor();
  await page.getByTestId('start-plan').click();
  await page.getByTestId('batch-status').filter({ hasText: /^Batch running.* · submitted \d\d:\d\d · \d+ \/ 11$/ }).waitFor({ timeout: 20000 });
  // Said once the batch is stored with the series.
  await page.getByTestId('notice').locator('p').filter({ hasText: /^Batch sent: 11 requests at half price.*You may close this tab/ }).waitFor();
  return { sent, spentOnAnchor };
}

test('a storyboard in batch mode: anchor now, 11 edits in one batch, the tab closed, all 11 arrive at half price', async () => {
  const { page, context, errors } = await newPage(shared.browser);
  const { sent, spentOnAnchor } = await startBatch(page, 'Batch board');
  const url = page.url();
  const anchorHash = await page.getByTestId('frame-card').nth(0).locator('.frame-image img[data-hash]').getAttribute('data-hash');
  // Closed before the batch ends (it takes 8 s).
  await page.close({ runBeforeUnload: true });

  // One batch, of 11 edits, each starting from the anchor uploaded once as a file.
  assert.equal(sent.batches.length, 1, JSON.stringify(sent.batches));
  assert.equal(sent.batches[0].endpoint, '/v1/images/edits');
  assert.equal(sent.batches[0].completion_window, '24h');
  const images = sent.files.filter((f) => f.purpose === 'vision');
  assert.equal(images.length, 1, 'the anchor is uploaded once');
  const anchorFile = images[0].id;
  const uploaded = Buffer.from(await (await fetch(`${shared.server.url}v1/files/${anchorFile}/content`)).arrayBuffer());
  const { createHash } = await import('node:crypto');
  assert.equal(createHash('sha256').update(uploaded).digest('hex'), anchorHash, 'the uploaded file is the anchor image');
  const input = await (await fetch(`${shared.server.url}v1/files/${sent.batches[0].input_file_id}/content`)).text();
  const lines = input.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 11);
  assert.equal(new Set(lines.map((l) => l.custom_id)).size, 11, 'custom_ids are unique');
  for (const line of lines) {
    assert.equal(line.method, 'POST');
    assert.equal(line.url, '/v1/images/edits');
    assert.deepEqual(line.body.images[0], { file_id: anchorFile });
    assert.equal(line.body.model, 'gpt-image-2');
    assert.ok(line.body.prompt.length > 0);
    assert.equal(line.body.stream, undefined);
  }

  // A new page of the same browser picks the batch up and stores its 11 images.
  const reopened = await context.newPage();
  reopened.on('pageerror', (e) => errors.push(String(e)));
  await reopened.goto(url);
  await reopened.getByTestId('series-title').filter({ hasText: 'Batch board' }).waitFor();
  await waitForStatus(reopened, 'done', 12, 60000);
  await reopened.getByTestId('batch-status').waitFor({ state: 'detached' });
  await reopened.getByTestId('notice').filter({ hasText: 'Batch done: 11 of 11 frames made.' }).waitFor();
  // The fake ran each line once, and no frame but the anchor was sent live.
  const ran = (await batchLinesRun(shared.server.url)).filter((e) => e.content_type.includes(`batch=${sent.created[0].id}`));
  assert.equal(ran.length, 11);
  assert.ok(ran.every((e) => e.status === 200));
  assert.equal((await journal(shared.server.url)).filter((e) => !/batch=/.test(e.content_type || '')).length, 1, 'only the anchor was sent live');

  // Cost at the batch rate: each version costs half of what its usage costs interactively,
  // and the spend line adds exactly those halves to the anchor's cost.
  const all = await versions(reopened);
  const fromBatch = all.filter((v) => v.frame_id !== all.find((a) => a.image.hash === anchorHash).frame_id);
  assert.equal(fromBatch.length, 11);
  const batchSum = fromBatch.reduce((s, v) => s + v.cost_usd, 0);
  assert.ok(fromBatch.every((v) => v.cost_usd > 0 && v.usage && v.request.images[0] === anchorHash));
  await reopened.waitForTimeout(500);
  assert.ok(Math.abs(await spent(reopened) - (spentOnAnchor + batchSum)) < 0.0015, 'spend counts each batch image once');

  // The same frame made now costs twice its batch price (full rate; without
  // streamed previews, whose partial images add tokens).
  await openSettings(reopened);
  await reopened.getByTestId('stream-previews').uncheck();
  await closeSettings(reopened);
  const second = reopened.getByTestId('frame-card').nth(1);
  const secondId = await second.getAttribute('data-frame-id');
  await second.getByTestId('generate-frame').click();
  for (let i = 0; (await versions(reopened)).filter((v) => v.frame_id === secondId).length < 2; i++) {
    assert.ok(i < 300, 'the regenerated image is stored');
    await reopened.waitForTimeout(100);
  }
  const both = (await versions(reopened)).filter((v) => v.frame_id === secondId).sort((a, b) => a.created_ms - b.created_ms);
  // The same images and output; the prompt may differ by a word or two (a couple of text
  // tokens at $5 per million), so the live price is twice the batch price within 0.1 %.
  assert.equal(both[0].usage.output_tokens, both[1].usage.output_tokens);
  assert.equal(both[0].usage.input_tokens_details.image_tokens, both[1].usage.input_tokens_details.image_tokens);
  assert.ok(Math.abs(both[1].cost_usd - 2 * both[0].cost_usd) / both[1].cost_usd < 0.001, `${both[1].cost_usd} vs ${both[0].cost_usd}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('an expired batch with 5 of 11 lines done keeps the 5 and offers the 6', async () => {
  const { page, context, errors } = await newPage(shared.browser);
  await startBatch(page, 'Expiring board', 'A lighthouse at dusk [[fault:batch_expired,done=5]]');
  await waitForStatus(page, 'done', 6, 60000);
  await page.getByTestId('notice').filter({ hasText: 'Batch expired: 5 of 11 frames made; 6 can be generated again.' }).waitFor();
  await waitForStatus(page, 'failed', 6, 10000);
  const reasons = await page.getByTestId('frame-error').allTextContents();
  assert.equal(reasons.filter((r) => /24 h window closed/.test(r)).length, 6, reasons.join('\n'));
  // The 6 are offered again, now or in a new batch.
  const primary = page.getByTestId('generate-all');
  await primary.filter({ hasText: /^Generate 6 (frames from the anchor|missing)$/ }).waitFor();
  await primary.click();
  await page.getByTestId('plan-summary').filter({ hasText: /^6 requests/ }).waitFor();
  await page.getByRole('radio', { name: 'Batch: half price, within 24 h', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  assert.deepEqual(errors, []);
  await context.close();
});

test('cancel stops a running batch and says so', async () => {
  const { page, context, errors } = await newPage(shared.browser);
  await startBatch(page, 'Cancelled board');
  await page.getByTestId('cancel-batch').click();
  const notice = page.getByTestId('notice').locator('p').filter({ hasText: /^Batch cancelled: \d+ of 11 frames made; \d+ not made\.$/ });
  await notice.waitFor({ timeout: 30000 });
  const [, made, notMade] = (await notice.textContent()).match(/(\d+) of 11 frames made; (\d+) not made/).map(Number);
  assert.equal(made + notMade, 11);
  assert.ok(notMade > 0, 'the cancel stopped requests that had not run');
  await page.getByTestId('batch-status').waitFor({ state: 'detached' });
  await waitForStatus(page, 'done', 1 + made, 10000);
  const reasons = await page.getByTestId('frame-error').allTextContents();
  assert.equal(reasons.filter((r) => /the batch was cancelled/.test(r)).length, notMade, reasons.join('\n'));
  // Stopped: no more lines run after the cancel.
  const ran = (await batchLinesRun(shared.server.url)).length;
  await page.waitForTimeout(2000);
  assert.equal((await batchLinesRun(shared.server.url)).length, ran);
  assert.deepEqual(errors, []);
  await context.close();
});
