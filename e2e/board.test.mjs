// The board is the product (issue 19), and what a tester found on it (issue 23, items 2 and 3):
// pictures first at 1440 × 900 and 390 × 844; one-row card toolbars; no page that scrolls
// sideways from 360 to 1920 px; the guided flow that holds (choosing the anchor sends nothing,
// generating it shows its plan, no fan-out before approval, regenerating it makes the others
// Stale and resets the approval, the guide ends at step 5); refusals said where the click was;
// the drift flag's precision and recall with the fake's [[drift]] marker; keyboard reorder that
// keeps the focus and says where the frame went; every form control named by its label only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  serverAndBrowser, newPage, createSeries, journal, clearJournal, waitForStatus, cardAction, openBible,
  closeBible, openSeriesSettings, closeSeriesSettings, openSettings, closeSettings, editInInspector,
} from './harness.mjs';

const shared = serverAndBrowser(['--fake-latency-ms', '20']);

/** A page of `width` × `height` (light), with the page-error recorder. */
async function pageAt(width, height) {
  const { page, context, errors } = await newPage(shared.browser, { viewport: { width, height } });
  return { page, context, errors };
}

/** The primary button ("Generate the anchor", "Approve the anchor", "Generate 11 frames …"). */
const primary = (page) => page.getByTestId('generate-all');

/** Generates the anchor (plan, Start), approves it and fans the series out; waits for all. */
async function walkTheFlow(page, frames) {
  await primary(page).filter({ hasText: 'Generate the anchor' }).click();
  await page.getByTestId('start-plan').click();
  await primary(page).filter({ hasText: 'Approve the anchor' }).click({ timeout: 30000 });
  await primary(page).filter({ hasText: `Generate ${frames - 1} frames from the anchor` }).click();
  await page.getByTestId('start-plan').click();
  await waitForStatus(page, 'done', frames, 60000);
}

/** Whether the page (or an open dialog) scrolls sideways: the overflowing widths, if any. */
async function sideways(page) {
  return page.evaluate(() => {
    const out = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth) out.push(`page ${root.scrollWidth} > ${root.clientWidth}`);
    for (const d of document.querySelectorAll('dialog[open]')) {
      if (d.scrollWidth > d.clientWidth + 1) out.push(`${d.dataset.testid || d.className} ${d.scrollWidth} > ${d.clientWidth}`);
    }
    return out;
  });
}

test('pictures first: the first row of a generated storyboard is in view at 1440 × 900, toolbars are one row, the guide ends at 5', async () => {
  const { page, context, errors } = await pageAt(1440, 900);
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'storyboard', name: 'First row' });
  await walkTheFlow(page, 12);
  await page.evaluate(() => window.scrollTo(0, 0));
  const guide = page.getByTestId('guide');
  assert.equal(await guide.getAttribute('data-step'), '5', 'the series is done: step 5');
  assert.equal(await guide.locator('[aria-current=step]').getAttribute('data-step'), '5');
  // The whole first row of images is on the first screen.
  const images = page.locator('[data-testid=frame-card] .frame-image');
  const first = await images.nth(0).boundingBox();
  const row = [];
  for (let i = 0; i < 12; i++) {
    const box = await images.nth(i).boundingBox();
    if (Math.abs(box.y - first.y) < 2) row.push(box);
  }
  assert.ok(row.length >= 3, `a row of several panels (${row.length})`);
  for (const box of row) {
    assert.ok(box.y >= 0 && box.y + box.height <= 900, `an image of the first row is in view: ${JSON.stringify(box)}`);
  }
  // A 16:9 panel shows at 16:9.
  assert.ok(Math.abs(first.width / first.height - 16 / 9) < 0.02, `16:9 (${first.width} × ${first.height})`);
  // Each card's toolbar is one row high, at 1440 and at 1024.
  for (const width of [1440, 1024]) {
    await page.setViewportSize({ width, height: 900 });
    const heights = await page.$$eval('[data-testid=frame-card] .frame-toolbar', (bars) => bars.map((b) => {
      const button = b.querySelector('.btn').getBoundingClientRect().height;
      return b.getBoundingClientRect().height / button;
    }));
    assert.equal(heights.length, 12);
    assert.ok(heights.every((h) => h < 1.3), `one row each at ${width}px: ${heights.map((h) => h.toFixed(2))}`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('pictures first on a phone: the first image is on the first screen at 390 × 844', async () => {
  const { page, context, errors } = await pageAt(390, 844);
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'storyboard', name: 'Phone' });
  await walkTheFlow(page, 12);
  await page.evaluate(() => window.scrollTo(0, 0));
  const box = await page.locator('[data-testid=frame-card] .frame-image').first().boundingBox();
  assert.ok(box.y >= 0 && box.y + box.height <= 844, `the first image is in view: ${JSON.stringify(box)}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the flow holds: choosing the anchor sends nothing, its generation shows the plan, no fan-out before approval, a regenerated anchor makes the others Stale', async () => {
  const { page, context, errors } = await pageAt(1280, 900);
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'custom', name: 'Holds', frames: 4 });
  const cards = page.getByTestId('frame-card');
  for (let i = 0; i < 4; i++) await cards.nth(i).getByTestId('frame-prompt').pressSequentially(`Frame ${i + 1}: a lighthouse keeper`);
  await clearJournal(shared.server.url);
  // Frame 1 is the anchor of a new series; choosing frame 2 instead is an edit only.
  assert.equal(await cards.nth(0).getByTestId('anchor-tag').textContent(), 'Anchor');
  await cardAction(cards.nth(1), 'Make anchor');
  await cards.nth(1).getByTestId('anchor-tag').waitFor();
  assert.equal(await cards.nth(0).getByTestId('anchor-tag').count(), 0);
  await page.waitForTimeout(300);
  assert.deepEqual(await journal(shared.server.url), [], 'choosing the anchor sends 0 requests');
  // Generating it shows its plan (one request, its estimate) and sends nothing before Start.
  assert.equal(await primary(page).textContent(), 'Generate the anchor');
  await primary(page).click();
  assert.match(await page.getByTestId('plan-summary').textContent(), /^1 request · estimated \$\d/);
  assert.match(await page.getByTestId('plan-row').textContent(), /Frame 2/);
  assert.deepEqual(await journal(shared.server.url), [], 'nothing is sent before Start');
  await page.getByTestId('start-plan').click();
  await primary(page).filter({ hasText: 'Approve the anchor' }).waitFor({ timeout: 30000 });
  assert.equal((await journal(shared.server.url)).length, 1);
  // Before approval no fan-out is offered: not by the button, not anywhere on the page.
  assert.equal(await page.getByTestId('guide').getAttribute('data-step'), '3');
  assert.equal(await page.getByRole('button', { name: /from the anchor|missing/ }).count(), 0);
  await primary(page).click();
  await primary(page).filter({ hasText: 'Generate 3 frames from the anchor' }).waitFor();
  await primary(page).click();
  assert.match(await page.getByTestId('plan-summary').textContent(), /^3 requests/);
  await page.getByTestId('start-plan').click();
  await waitForStatus(page, 'done', 4, 60000);
  assert.equal(await page.getByTestId('guide').getAttribute('data-step'), '5');
  // Regenerate the anchor with the very same request: the fake, like the model, draws another
  // image; the three frames made from the old one read Stale and the approval is reset.
  const before = await cards.nth(1).locator('.frame-image img:not(.preview)').getAttribute('data-hash');
  await cards.nth(1).getByTestId('generate-frame').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=frame-card][data-stale=true]').length === 3,
    null, { timeout: 30000 });
  const after = await cards.nth(1).locator('.frame-image img:not(.preview)').getAttribute('data-hash');
  assert.notEqual(after, before, 'the same request drew another image');
  for (const i of [0, 2, 3]) assert.equal(await cards.nth(i).getByTestId('frame-status').textContent(), 'Stale');
  assert.equal(await cards.nth(1).getByTestId('anchor-tag').textContent(), 'Anchor', 'the approval was reset');
  assert.equal(await primary(page).textContent(), 'Approve the anchor');
  assert.equal(await page.getByTestId('guide').getAttribute('data-step'), '3');
  assert.deepEqual(errors, []);
  await context.close();
});

test('drift that means something: a fan-out of 12 with two [[drift]] prompts flags exactly those two', async (t) => {
  const { page, context, errors } = await pageAt(1280, 900);
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'storyboard', name: 'Drift precision' });
  const cards = page.getByTestId('frame-card');
  const drifting = [4, 9];
  for (let i = 0; i < 12; i++) {
    const marker = drifting.includes(i) ? ' [[drift]]' : '';
    await cards.nth(i).getByTestId('frame-prompt').pressSequentially(`Panel ${i + 1}: the keeper walks the cliff path${marker}`);
  }
  await walkTheFlow(page, 12);
  // Every frame but the anchor is scored (the attribute appears once the worker has scored it).
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=frame-card]')]
    .filter((c) => c.hasAttribute('data-drifted')).length === 11, null, { timeout: 60000 });
  const flagged = await cards.evaluateAll((cs) => cs.map((c, i) => [i, c.dataset.drifted]).filter(([, d]) => d === 'true').map(([i]) => i));
  const truePositives = flagged.filter((i) => drifting.includes(i)).length;
  const precision = flagged.length ? truePositives / flagged.length : 0;
  const recall = truePositives / drifting.length;
  t.diagnostic(`flagged ${JSON.stringify(flagged)}; precision ${precision.toFixed(2)}, recall ${recall.toFixed(2)}`);
  assert.equal(precision, 1, `precision: ${flagged}`);
  assert.equal(recall, 1, `recall: ${flagged}`);
  for (const i of drifting) assert.equal(await cards.nth(i).getByTestId('drifted').textContent(), 'Drifted');
  // The numbers and the threshold behind the badge, in the inspector.
  await cards.nth(drifting[0]).getByTestId('open-inspector').click();
  const line = page.getByTestId('inspector').getByTestId('consistency');
  await line.waitFor();
  assert.match(await line.textContent(), /palette ΔE \d+\.\d.*15/);
  await page.keyboard.press('Escape');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a budget refusal is said where the click was: on the card, and inside the inspector', async () => {
  const { page, context, errors } = await pageAt(1280, 800);
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'storyboard', name: 'Budget here' });
  const cards = page.getByTestId('frame-card');
  await cards.nth(0).getByTestId('generate-frame').click();
  await waitForStatus(page, 'done', 1, 30000);
  // A budget below what is spent already: every further request is refused before it is sent.
  await primary(page).click();
  await page.getByTestId('budget').click();
  await page.keyboard.press('Control+A');
  await page.getByTestId('budget').pressSequentially('0.01');
  await page.getByTestId('budget').press('Tab');
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await clearJournal(shared.server.url);
  // A card's Generate, far down the board.
  const card = cards.nth(10);
  await card.scrollIntoViewIfNeeded();
  await card.getByTestId('generate-frame').click();
  const said = card.getByTestId('said');
  await said.waitFor();
  assert.match(await said.textContent(), /budget/i);
  const box = await said.boundingBox();
  assert.ok(box && box.y >= 0 && box.y + box.height <= 800, `said on the card, in view: ${JSON.stringify(box)}`);
  assert.equal(await card.locator('[role=alert]').filter({ hasText: /budget/i }).count(), 1, 'announced (role=alert)');
  // The inspector's Edit.
  await cards.nth(0).getByTestId('open-inspector').click();
  const inspector = page.getByTestId('inspector');
  await inspector.getByTestId('version-node').first().waitFor();
  await editInInspector(page, 'Make the sky violet');
  const inside = inspector.getByTestId('said');
  await inside.waitFor();
  assert.match(await inside.textContent(), /budget/i);
  await inside.scrollIntoViewIfNeeded();
  const box2 = await inside.boundingBox();
  assert.ok(box2 && box2.y >= 0 && box2.y + box2.height <= 800, `said inside the inspector, in view: ${JSON.stringify(box2)}`);
  assert.deepEqual(await journal(shared.server.url), [], 'nothing was sent');
  await page.keyboard.press('Escape');
  assert.deepEqual(errors, []);
  await context.close();
});

test('no screen scrolls sideways from 360 to 1920 px; nothing is clipped in cards; the inspector does not jump', async () => {
  const { page, context, errors } = await pageAt(1280, 900);
  await page.goto(shared.server.url);
  await page.getByTestId('no-projects').waitFor();
  await createSeries(page, { template: 'carousel', name: 'Every width' });
  const cards = page.getByTestId('frame-card');
  await cards.nth(0).getByTestId('generate-frame').click();
  await waitForStatus(page, 'done', 1, 30000);
  // A text row in a card (the rows that were clipped at 1366 px).
  await cards.nth(0).locator('summary', { hasText: 'Shot, text and entities' }).click();
  await cards.nth(0).getByTestId('add-text').click();
  await cards.nth(0).getByTestId('text-value').pressSequentially('Spring sale, 20% off everything');
  for (const width of [360, 390, 1024, 1280, 1366, 1440, 1920]) {
    await page.setViewportSize({ width, height: 900 });
    const where = `at ${width}px`;
    assert.deepEqual(await sideways(page), [], `series ${where}`);
    if (width >= 1024 && width <= 1440) {
      // Nothing of the card's text row or toolbar sticks out of the card, and no title, cost or
      // button cuts its own text (a typed text longer than its field scrolls inside it, as in
      // any text field: what was clipped were the row's fields, cut by the card's edge).
      const out = await cards.nth(0).evaluate((card) => {
        const edge = card.getBoundingClientRect().right;
        return [...card.querySelectorAll('.text-row > *:not(label), .frame-toolbar > *, h3, .frame-cost')]
          .filter((e) => e.getClientRects().length && (e.getBoundingClientRect().right > edge + 0.5
            || (e.tagName !== 'INPUT' && e.scrollWidth > e.clientWidth + 1)))
          .map((e) => e.outerHTML.slice(0, 80));
      });
      assert.deepEqual(out, [], `nothing clipped in the card ${where}`);
    }
    await openBible(page);
    assert.deepEqual(await sideways(page), [], `bible ${where}`);
    await closeBible(page);
    await openSeriesSettings(page);
    assert.deepEqual(await sideways(page), [], `series settings ${where}`);
    await closeSeriesSettings(page);
    await primary(page).click();
    await page.getByTestId('plan-summary').waitFor();
    assert.deepEqual(await sideways(page), [], `plan ${where}`);
    await page.keyboard.press('Escape');
    await openSettings(page);
    assert.deepEqual(await sideways(page), [], `settings ${where}`);
    await closeSettings(page);
    await cards.nth(0).getByTestId('open-inspector').click();
    const image = page.getByTestId('inspector').locator('.stage-image');
    await image.waitFor();
    const opened = await image.boundingBox();
    await page.waitForTimeout(600);
    const later = await image.boundingBox();
    assert.ok(Math.abs(later.y - opened.y) < 1 && Math.abs(later.x - opened.x) < 1, `the inspector's image stays put ${where}: ${opened.y} → ${later.y}`);
    assert.deepEqual(await sideways(page), [], `inspector ${where}`);
    await page.keyboard.press('Escape');
    await page.getByTestId('inspector').waitFor({ state: 'hidden' });
  }
  await page.getByRole('button', { name: '← All series' }).click();
  await page.getByTestId('project-list').waitFor();
  for (const width of [360, 390, 1024, 1280, 1920]) {
    await page.setViewportSize({ width, height: 900 });
    assert.deepEqual(await sideways(page), [], `projects at ${width}px`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('keyboard reorder: ← three times moves the frame three places, the focus stays on its handle, each move is said', async () => {
  const { page, context, errors } = await pageAt(1280, 900);
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'storyboard', name: 'Reorder' });
  const order = () => page.getByTestId('frame-card').evaluateAll((cs) => cs.map((c) => c.dataset.frameId));
  const start = await order();
  const moved = start[4];
  const handle = page.locator(`[data-testid=frame-card][data-frame-id="${moved}"] [data-testid=drag-handle]`);
  await handle.focus();
  for (let place = 4; place >= 2; place--) {
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(([id, at]) =>
      [...document.querySelectorAll('[data-testid=frame-card]')].findIndex((c) => c.dataset.frameId === id) === at, [moved, place - 1]);
    await page.waitForFunction((id) => document.activeElement?.dataset.testid === 'drag-handle'
      && document.activeElement.closest('[data-testid=frame-card]')?.dataset.frameId === id, moved);
    await page.getByTestId('move-announcement').filter({ hasText: new RegExp(`^Panel 5\\b.* moved to place ${place} of 12$`) }).waitFor();
  }
  const end = await order();
  assert.deepEqual(end, [start[0], start[4], start[1], start[2], start[3], ...start.slice(5)]);
  // "Move earlier" from the card's menu keeps the focus on the moved card's handle too.
  const card = page.locator(`[data-testid=frame-card][data-frame-id="${moved}"]`);
  await cardAction(card, 'Move earlier');
  await page.waitForFunction((id) => document.querySelector('[data-testid=frame-card]').dataset.frameId === id, moved);
  await page.waitForFunction((id) => document.activeElement?.dataset.testid === 'drag-handle'
    && document.activeElement.closest('[data-testid=frame-card]')?.dataset.frameId === id, moved);
  await page.getByTestId('move-announcement').filter({ hasText: /moved to place 1 of 12$/ }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

/** Every visible `select`, `input` and `textarea` inside `scope`: `[accessible name, label text]`. */
async function names(page, scope) {
  const controls = page.locator(`${scope} select, ${scope} input, ${scope} textarea`);
  const out = [];
  for (let i = 0; i < await controls.count(); i++) {
    const control = controls.nth(i);
    if (!(await control.isVisible())) continue;
    const label = await control.evaluate((el) => {
      const ids = el.getAttribute('aria-labelledby');
      const text = ids
        ? ids.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ')
        : el.labels?.[0]?.textContent ?? null;
      return text === null ? null : text.replace(/\s+/g, ' ').trim();
    });
    const snapshot = await control.ariaSnapshot();
    const name = (snapshot.split('\n')[0].match(/^- \w+ "((?:[^"\\]|\\.)*)"/) ?? [])[1]?.replace(/\\"/g, '"') ?? '';
    out.push([name.replace(/\s+/g, ' ').trim(), label, await control.evaluate((e) => e.dataset.testid || e.id || e.outerHTML.slice(0, 60))]);
  }
  return out;
}

/** Asserts each control has a label and is named by exactly its text (how the browser joins
 * the label's inline pieces with spaces aside: nothing else, no option or value text). */
function expectLabelled(found, where) {
  assert.ok(found.length > 0, `controls found ${where}`);
  const squeeze = (t) => t.replace(/\s+/g, '');
  for (const [name, label, what] of found) {
    assert.notEqual(label, null, `${what} has a <label for> or aria-labelledby ${where}`);
    assert.equal(squeeze(name), squeeze(label), `${what}: its accessible name "${name}" is its label text "${label}" ${where}`);
  }
}

test('every select and input is named by its label text only: series screen, series settings, settings, plan', async () => {
  const { page, context, errors } = await pageAt(1280, 900);
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'comic', name: 'Names' });
  await openSeriesSettings(page);
  await page.getByTestId('series-locales').pressSequentially('en, zh-Hans', { delay: 2 });
  expectLabelled(await names(page, '[data-testid=settings-drawer]'), 'in the series settings');
  const variants = await names(page, '[data-testid=settings-drawer]');
  assert.ok(variants.some(([name]) => name === 'Variants'), `the "Variants" select is named "Variants": ${JSON.stringify(variants)}`);
  await closeSeriesSettings(page);
  const card = page.getByTestId('frame-card').first();
  await card.locator('summary', { hasText: 'Shot, text and entities' }).click();
  await card.getByTestId('add-text').click();
  expectLabelled(await names(page, 'main'), 'on the series screen');
  await openBible(page);
  expectLabelled(await names(page, '[data-testid=bible-drawer]'), 'in the bible');
  await closeBible(page);
  await primary(page).click();
  await page.getByTestId('plan-summary').waitFor();
  expectLabelled(await names(page, '[data-testid=plan]'), 'in the plan');
  await page.keyboard.press('Escape');
  await openSettings(page);
  await page.locator('#conn-custom').check();
  expectLabelled(await names(page, '[data-testid=settings]'), 'in the settings');
  await closeSettings(page);
  assert.deepEqual(errors, []);
  await context.close();
});
