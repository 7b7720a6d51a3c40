// Anchor-first fan-out (issue 4, the flow of issue 19): a 12-panel storyboard with a character
// that has two reference images; generate the anchor (through its plan), approve it, generate
// the series — the fake must get 11 edits whose first image[] is the anchor (then the
// character's references); then regenerate the anchor and see the 11 frames marked stale and
// the approval reset.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, journal, clearJournal, createSeries, makePng, sha256,
  shownImageSha256, waitForStatus, openBible, closeBible, cardAction } from './harness.mjs';

let server, browser;
before(async () => {
  server = await startServer(['--fake-latency-ms', '120']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('storyboard: anchor first, 11 edits from it, stale after regenerating the anchor', async () => {
  const { page, context, errors } = await newPage(browser);
  await page.goto(server.url);
  await createSeries(page, { template: 'storyboard', name: 'Lighthouse' });
  const cards = page.getByTestId('frame-card');
  assert.equal(await cards.count(), 12);

  // The bible: one character with two reference images (identity first).
  await openBible(page);
  await page.getByTestId('add-character').click();
  const entity = page.getByTestId('entity');
  await entity.getByTestId('entity-name').fill('Mira');
  await entity.getByTestId('entity-description').fill('A lighthouse keeper, 40s, short grey hair, yellow raincoat');
  const refA = await makePng(640, 640, [200, 40, 40]);
  const refB = await makePng(512, 768, [40, 120, 200]);
  await entity.getByTestId('reference-input').setInputFiles([
    { name: 'mira-front.png', mimeType: 'image/png', buffer: refA },
    { name: 'mira-side.png', mimeType: 'image/png', buffer: refB },
  ]);
  await page.waitForFunction(() =>
    [...document.querySelectorAll('[data-testid=reference] img')].filter((i) => i.complete && i.naturalWidth > 0).length === 2);
  await closeBible(page);

  // Panel 1 is the anchor: generate it alone (its plan first), then approve it.
  await cardAction(cards.nth(0), 'Make anchor');
  await cards.nth(0).getByTestId('frame-prompt').fill('Establishing shot: the lighthouse on its cliff at dusk, Mira at the door');
  await clearJournal(server.url);
  const primary = page.getByTestId('generate-all');
  assert.equal(await primary.textContent(), 'Generate the anchor');
  await primary.click();
  assert.match(await page.getByTestId('plan-summary').textContent(), /^1 request · estimated \$/);
  assert.deepEqual(await journal(server.url), [], 'nothing is sent before Start');
  await page.getByTestId('start-plan').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=frame-card]').dataset.status === 'done', null, { timeout: 30000 });
  await primary.filter({ hasText: 'Approve the anchor' }).click();
  await cards.nth(0).getByTestId('anchor-tag').filter({ hasText: 'approved' }).waitFor();
  const anchorSha = await shownImageSha256(cards.nth(0));
  const first = await journal(server.url);
  assert.equal(first.length, 1);
  assert.equal(first[0].endpoint, 'edits', 'the anchor frame shows Mira, so it is made from her references');
  assert.deepEqual(first[0].images.map((i) => i.sha256), [await sha256(refA), await sha256(refB)]);

  // The plan: 11 requests, none waiting (the anchor is approved), each an edit with 3 images.
  await clearJournal(server.url);
  await page.getByTestId('generate-all').click();
  await page.getByTestId('plan-summary').waitFor();
  assert.match(await page.getByTestId('plan-summary').textContent(), /^11 requests · estimated \$/);
  assert.equal(await page.getByTestId('plan-row').count(), 11);
  assert.match(await page.getByTestId('plan-row').first().textContent(), /made from the anchor and 2 reference images/);
  await page.getByTestId('start-plan').click();
  await waitForStatus(page, 'done', 12);

  const sent = await journal(server.url);
  assert.equal(sent.length, 11);
  const [shaA, shaB] = [await sha256(refA), await sha256(refB)];
  for (const r of sent) {
    assert.equal(r.endpoint, 'edits');
    assert.equal(r.status, 200);
    assert.deepEqual(r.images.map((i) => i.sha256), [anchorSha, shaA, shaB], 'image[] = [anchor, Mira 1, Mira 2]');
    assert.ok(r.params.prompt.includes('A lighthouse keeper, 40s, short grey hair, yellow raincoat'), 'canonical description verbatim');
    assert.equal(r.params.size, '1536x864');
  }
  // What the card said would be sent is what was sent (frame 5).
  await cards.nth(4).getByTestId('sent-details').locator('summary').click();
  const previewPrompt = await cards.nth(4).getByTestId('sent-prompt').textContent();
  // Browsers send line breaks in multipart text fields as CRLF (HTML form encoding); the
  // text is otherwise byte-identical.
  const lf = (t) => t.replace(/\r\n/g, '\n');
  assert.ok(sent.some((r) => lf(r.params.prompt) === previewPrompt), 'preview prompt equals a sent prompt');
  assert.equal(await page.locator('[data-testid=frame-card][data-stale=true]').count(), 0);

  // Regenerate the anchor (at night now): the 11 frames made from the old one become stale, and
  // the new image waits for its approval before anything is remade from it.
  await cards.nth(0).getByTestId('frame-prompt').fill('Establishing shot: the lighthouse on its cliff at night, Mira at the door');
  await cards.nth(0).getByTestId('generate-frame').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=frame-card][data-stale=true]').length === 11,
    null, { timeout: 30000 });
  assert.notEqual(await shownImageSha256(cards.nth(0)), anchorSha, 'the anchor image changed');
  assert.equal(await cards.nth(0).getByTestId('anchor-tag').textContent(), 'Anchor', 'the approval was reset');
  assert.equal(await primary.textContent(), 'Approve the anchor');
  await primary.click();
  await primary.filter({ hasText: 'Regenerate 11 stale' }).waitFor();
  assert.equal(await cards.nth(0).getAttribute('data-stale'), 'false');
  assert.deepEqual(errors, []);
  await context.close();
});
