// The journey a new user takes (issue 2): create a carousel, describe two slides, generate all,
// see nine images, reload, still see them; and one failing frame shows its own readable error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { allThumbnailsShown, startServer, launchBrowser, newPage, journal, clearJournal, createSeries, loadedImages, openBible, closeBible,
  planWithoutAnchor } from './harness.mjs';

let server, browser;
before(async () => {
  server = await startServer(['--fake-latency-ms', '150']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a 9-slide carousel is generated, stored and survives a reload', async () => {
  const { page, context, errors } = await newPage(browser);
  await page.goto(server.url);
  await page.getByTestId('no-projects').waitFor();
  await createSeries(page, { template: 'carousel', name: 'Spring launch' });
  const prompts = page.getByTestId('frame-prompt');
  assert.equal(await prompts.count(), 9);
  await openBible(page);
  await page.getByTestId('series-style').pressSequentially('Flat vector illustration, teal and coral palette');
  await closeBible(page);
  await prompts.nth(0).fill('A fox courier in a yellow raincoat waves from a tram stop');
  await prompts.nth(1).fill('The fox hands a parcel to a smiling baker');
  await clearJournal(server.url);

  // Nine slides, each made on its own from its prompt (no anchor).
  await planWithoutAnchor(page);
  // The plan preview says what will be spent before anything is sent.
  assert.match(await page.getByTestId('plan-summary').textContent(), /^9 requests · estimated \$0\.\d{3}/);
  await page.getByTestId('start-plan').click();
  await page.waitForFunction(
    () => document.querySelectorAll('[data-testid=frame-card][data-status=done]').length === 9,
    null, { timeout: 60000 });
  await allThumbnailsShown(page, 9);
  assert.equal(await loadedImages(page), 9);
  assert.match(await page.getByTestId('batch-summary').textContent(), /^9 \/ 9 done/);

  // What the fake received: nine generations, style first, the two prompts verbatim, a valid size.
  const sent = (await journal(server.url)).filter((r) => r.endpoint === 'generations');
  assert.equal(sent.length, 9);
  for (const r of sent) {
    assert.equal(r.params.model, 'gpt-image-2');
    assert.equal(r.params.size, '1024x1280');
    assert.ok(r.params.prompt.startsWith('Flat vector illustration, teal and coral palette\n\n'), r.params.prompt);
    assert.equal(r.status, 200);
  }
  assert.ok(sent.some((r) => r.params.prompt.endsWith('A fox courier in a yellow raincoat waves from a tram stop')));
  assert.ok(sent.some((r) => r.params.prompt.endsWith('The fox hands a parcel to a smiling baker')));

  // Reload: the images come back from IndexedDB, not from the network.
  await clearJournal(server.url);
  await page.reload();
  await page.getByTestId('series-title').filter({ hasText: 'Spring launch' }).waitFor();
  await allThumbnailsShown(page, 9);
  assert.equal(await page.getByTestId('frame-prompt').nth(1).inputValue(), 'The fox hands a parcel to a smiling baker');
  assert.equal((await journal(server.url)).length, 0, 'a reload sends no image requests');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a rejected prompt fails only its own frame, with a readable message', async () => {
  const { page, context, errors } = await newPage(browser);
  await page.goto(server.url);
  await createSeries(page, { template: 'custom', name: 'Moderation check', frames: 3 });
  const prompts = page.getByTestId('frame-prompt');
  await prompts.nth(0).fill('A quiet harbour at dawn');
  await prompts.nth(1).fill('Something the safety system rejects [[fault:moderation]]');
  await prompts.nth(2).fill('A lighthouse keeper drinking tea');
  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  await page.waitForFunction(() => {
    const s = [...document.querySelectorAll('[data-testid=frame-card]')].map((c) => c.dataset.status);
    return s.length === 3 && s.every((x) => x === 'done' || x === 'failed');
  }, null, { timeout: 60000 });
  const cards = page.getByTestId('frame-card');
  assert.equal(await cards.nth(0).getAttribute('data-status'), 'done');
  assert.equal(await cards.nth(1).getAttribute('data-status'), 'failed');
  assert.equal(await cards.nth(2).getAttribute('data-status'), 'done');
  const message = await cards.nth(1).getByTestId('frame-error').textContent();
  assert.match(message, /safety system/i);
  assert.match(message, /reword|rephrase|change/i);
  assert.equal(await cards.nth(0).getByTestId('frame-error').count(), 0);
  assert.equal(await cards.nth(2).getByTestId('frame-error').count(), 0);
  // Exactly one attempt for the rejected frame: moderation blocks are never retried.
  const attempts = (await journal(server.url)).filter((r) => r.params.prompt?.includes('[[fault:moderation]]'));
  assert.equal(attempts.length, 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a reload mid-batch keeps finished frames, flags the interrupted ones and resumes only those', async () => {
  const { page, context, errors } = await newPage(browser);
  await page.goto(server.url);
  await createSeries(page, { template: 'custom', name: 'Reload midway', frames: 4 });
  const prompts = page.getByTestId('frame-prompt');
  await prompts.nth(0).fill('Frame one, finishes');
  // The fake holds the first attempt of these two until the client goes away.
  await prompts.nth(1).fill('Frame two, in flight at the reload [[fault:stall:1]]');
  await prompts.nth(2).fill('Frame three, in flight at the reload [[fault:stall:1]]');
  await prompts.nth(3).fill('Frame four, finishes');
  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  await page.waitForFunction(() => {
    const s = [...document.querySelectorAll('[data-testid=frame-card]')].map((c) => c.dataset.status);
    return s[0] === 'done' && s[3] === 'done' && s[1] === 'running' && s[2] === 'running';
  }, null, { timeout: 30000 });

  await page.reload();
  await page.getByTestId('series-title').filter({ hasText: 'Reload midway' }).waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=frame-card]')]
    .map((c) => c.dataset.status).join() === 'done,failed,failed,done', null, { timeout: 15000 });
  const cards = page.getByTestId('frame-card');
  for (const i of [1, 2]) {
    const message = await cards.nth(i).getByTestId('frame-error').textContent();
    // The request dies with the page (through the server its job is then asked for; the
    // fake holds these two, so they stay flagged).
    assert.match(message, /closed or reloaded|connection .*(dropped|closed)/);
    assert.match(message, /may have been billed/);
  }
  assert.equal(await page.getByTestId('generate-all').textContent(), 'Generate 2 missing');

  await page.getByTestId('generate-all').click();
  assert.match(await page.getByTestId('plan-summary').textContent(), /^2 requests/);
  await page.getByTestId('start-plan').click();
  await page.waitForFunction(() =>
    document.querySelectorAll('[data-testid=frame-card][data-status=done]').length === 4, null, { timeout: 30000 });
  const sent = await journal(server.url);
  const count = (needle) => sent.filter((r) => r.params.prompt?.includes(needle)).length;
  assert.equal(count('Frame one, finishes'), 1, 'finished frames are not sent again');
  assert.equal(count('Frame two, in flight'), 2, 'the interrupted frame was sent once more');
  assert.deepEqual(errors, []);
  await context.close();
});

test('keyboard only: dialogs take focus and close with Escape; controls are labelled', async () => {
  const { page, context, errors } = await newPage(browser);
  await page.goto(server.url);
  await page.getByTestId('no-projects').or(page.getByTestId('project-list')).first().waitFor();
  // Settings opens from the keyboard and takes focus, so Escape closes it at once.
  await page.getByRole('button', { name: 'Settings' }).focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('settings').waitFor();
  // A native modal dialog: focus is inside it (on its first control).
  assert.equal(await page.evaluate(() => !!document.activeElement?.closest('[data-testid=settings]')), true);
  await page.keyboard.press('Escape');
  await page.getByTestId('settings').waitFor({ state: 'detached' });
  // Every form control on the projects screen has an accessible name.
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, textarea, select, button')]
    .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim()))
    .map((el) => el.outerHTML));
  assert.deepEqual(unlabelled, []);
  assert.deepEqual(errors, []);
  await context.close();
});
