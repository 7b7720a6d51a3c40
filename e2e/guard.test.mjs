// The keep-everything-else guard and the consistency signal (issue 9), against the fake, as a
// person uses them: generate a frame, paint a mask by dragging, edit, read the leak figure and
// see the heat map, click "Keep outside mask", see the composite version (its request field
// says what it is), reload and find it with its leak measured again from the stored mask; an
// edit without a mask shows the changed area. Then a frame whose image differs from the
// anchor's is flagged "Drifted" on its card, with the numbers in the inspector, and the
// "Drifted" filter and "Drifted first" order find it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, newPage, createSeries, journal, clearJournal, paintStroke, editInInspector as edit, cardAction,
} from './harness.mjs';

let server, browser;
before(async () => {
  server = await startServer(['--fake-latency-ms', '30']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const inspector = (page) => page.getByTestId('inspector');
const nodes = (page) => inspector(page).getByTestId('version-node');

// Counts rows, not thumbnails: a row scrolled out of the side panel loads its thumbnail only
// when it is scrolled back into view.
async function waitForNodes(page, n) {
  await page.waitForFunction((k) => document.querySelectorAll('[data-testid=inspector] [data-testid=version-node]').length === k,
    n, { timeout: 30000 });
}


/** The leak figure once measured. */
async function leakFigure(page) {
  const figure = inspector(page).getByTestId('leak-figure');
  await page.waitForFunction(() => /%|could not/.test(document.querySelector('[data-testid=inspector] [data-testid=leak-figure]')?.textContent ?? ''),
    null, { timeout: 30000 });
  return figure.textContent();
}

async function generate(page, card, prompt) {
  await card.getByTestId('frame-prompt').pressSequentially(prompt, { delay: 2 });
  await card.getByTestId('generate-frame').click();
  await page.waitForFunction((id) => document.querySelector(`[data-testid=frame-card][data-frame-id="${id}"]`)?.dataset.status === 'done',
    await card.getAttribute('data-frame-id'), { timeout: 30000 });
}

test('leak figure and heat map after a masked edit; keep outside mask makes a free composite version; reload', async () => {
  const { page, errors } = await newPage(browser);
  await page.goto(server.url);
  await page.getByTestId('no-projects').waitFor();
  await createSeries(page, { template: 'comic', name: 'Guard' });
  const cards = page.getByTestId('frame-card');
  await generate(page, cards.nth(0), 'A lighthouse at dusk');

  await cards.nth(0).getByTestId('open-inspector').click();
  await inspector(page).waitFor();
  await waitForNodes(page, 1);
  // A generation has nothing to measure against.
  assert.equal(await inspector(page).getByTestId('leak-figure').count(), 0);

  await inspector(page).getByRole('button', { name: 'Paint mask' }).click();
  await paintStroke(page);
  await clearJournal(server.url);
  await edit(page, 'Change only the sky to pink');
  await waitForNodes(page, 2);
  const sent = await journal(server.url);
  assert.ok(sent[0].mask, 'the mask was sent');

  // The leak: the fake keeps the pixels its mask leaves opaque; only the brush's soft edge
  // (alpha between 0 and 255, outside the painted area) may have moved.
  const figure = await leakFigure(page);
  assert.match(figure, /^(< )?\d+\.\d% of pixels outside the mask changed \(ΔE > 10\)$/, figure);
  assert.ok(parseFloat(figure.replace('< ', '')) < 5, figure);
  await inspector(page).getByTestId('heat-map').waitFor();
  const heat = inspector(page).getByRole('button', { name: 'Heat map' });
  assert.equal(await heat.getAttribute('aria-pressed'), 'true');
  await heat.click();
  await inspector(page).getByTestId('heat-map').waitFor({ state: 'detached' });
  await heat.click();
  await inspector(page).getByTestId('heat-map').waitFor();

  // Keep outside mask: a new version, a child of the edit, made without a request.
  await inspector(page).getByRole('button', { name: 'Paint mask' }).click(); // painter off
  await clearJournal(server.url);
  await inspector(page).getByRole('button', { name: 'Keep outside mask' }).click();
  await waitForNodes(page, 3);
  assert.equal((await journal(server.url)).length, 0, 'a composite sends nothing');
  const composite = nodes(page).nth(2);
  assert.equal(await composite.getAttribute('data-depth'), '2', 'the composite hangs under the edit');
  assert.equal(await composite.getAttribute('data-active'), 'true', 'and is active');
  const title = (await inspector(page).locator('#inspector-title').textContent()).trim();
  assert.match(await composite.textContent(), new RegExp(`composite of ${title}, version 2 over ${title}, version 1`));
  // Its own guard measures it against the edit's parent with the stored mask: nothing
  // outside the mask differs from the parent, exactly.
  assert.match(await leakFigure(page), /^0\.0% of pixels outside the mask changed/);
  assert.equal(await inspector(page).getByRole('button', { name: 'Keep outside mask' }).count(), 0);

  // An edit without a mask shows the changed area against its parent.
  await edit(page, 'Make the sun bigger');
  await waitForNodes(page, 4);
  const changed = await leakFigure(page);
  assert.match(changed, /% of pixels changed against the parent \(ΔE > 10; no mask\)/, changed);
  assert.ok(parseFloat(changed) > 0, 'an unmasked edit changes pixels');
  assert.equal(await inspector(page).getByRole('button', { name: 'Keep outside mask' }).count(), 0);
  await page.keyboard.press('Escape');

  // Reload: the composite and the edit's mask are stored; the leak is measured again.
  await page.waitForTimeout(700);
  await page.reload();
  await page.getByTestId('series-title').filter({ hasText: 'Guard' }).waitFor();
  await cards.nth(0).getByTestId('open-inspector').click();
  await waitForNodes(page, 4);
  assert.match(await nodes(page).nth(2).textContent(), /composite of .*, version 2 over .*, version 1/);
  await nodes(page).nth(1).getByRole('button').click(); // the masked edit
  assert.match(await leakFigure(page), /outside the mask/);
  assert.equal(await inspector(page).getByRole('button', { name: 'Keep outside mask' }).count(), 1);
  assert.deepEqual(errors, []);
});

test('a frame unlike the anchor is flagged drifted, with its numbers, filter and order', async () => {
  const { page, errors } = await newPage(browser);
  await page.goto(server.url);
  await page.getByTestId('no-projects').waitFor();
  await createSeries(page, { template: 'comic', name: 'Drift' });
  const cards = page.getByTestId('frame-card');
  // Made without an anchor, the two images are unrelated pictures (the fake draws each from
  // its own prompt); the third is made from the anchor.
  await generate(page, cards.nth(0), 'A lighthouse at dusk');
  await generate(page, cards.nth(1), 'Neon jungle at noon, totally different');
  assert.equal(await page.getByTestId('drifted').count(), 0, 'no anchor, nothing to drift from');
  await cardAction(cards.nth(0), 'Make anchor');

  const second = await cards.nth(1).getAttribute('data-frame-id');
  await page.waitForFunction((id) => document.querySelector(`[data-frame-id="${id}"]`)?.dataset.drifted === 'true',
    second, { timeout: 30000 });
  await cards.nth(1).getByTestId('drifted').waitFor();
  assert.equal(await cards.nth(0).getByTestId('drifted').count(), 0, 'the anchor is not scored against itself');

  // The numbers in the inspector.
  await cards.nth(1).getByTestId('open-inspector').click();
  const line = inspector(page).getByTestId('consistency');
  await line.waitFor();
  const text = await line.textContent();
  assert.match(text, /Drifted from the anchor: palette ΔE \d+\.\d.* · structure ΔL \d+\.\d/, text);
  assert.match(text, /heuristic/);
  await page.keyboard.press('Escape');

  // Filter: only drifted frames; order: drifted first.
  await page.getByTestId('status-filter').selectOption('drifted');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=frame-card]')].filter((c) => !c.hidden).length === 1);
  assert.equal(await page.locator('[data-testid=frame-card]:not([hidden])').getAttribute('data-frame-id'), second);
  await page.getByTestId('status-filter').selectOption('all');
  await page.getByTestId('frame-order').selectOption('drifted');
  await page.waitForFunction((id) => document.querySelector('[data-testid=frame-card]').dataset.frameId === id, second);
  await page.getByTestId('frame-order').selectOption('series');
  await page.waitForFunction((id) => document.querySelectorAll('[data-testid=frame-card]')[1].dataset.frameId === id, second);
  assert.deepEqual(errors, []);
});
