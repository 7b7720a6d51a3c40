// Editing as a person edits (issue 9): open a frame in the inspector, paint a mask by dragging,
// type an instruction key by key, edit, edit again from the result (a chain), compare,
// make the first version active again, delete a version and undo it, reload and find all of
// it; reorder frames by buttons and by drag; undo a deleted frame; make zh-Hans and Arabic
// variants of a frame with text and see them in the locale matrix. The fake's journal proves
// every edit started from the right parent image (its SHA-256).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, newPage, createSeries, journal, clearJournal, paintStroke, editInInspector as edit,
  cardAction, openSeriesSettings, closeSeriesSettings,
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
/** Content hashes of the versions in the tree, in drawing order. */
const treeHashes = (page) => nodes(page).locator('img[data-hash]').evaluateAll((imgs) => imgs.map((i) => i.dataset.hash));

async function waitForNodes(page, n) {
  await page.waitForFunction((k) => document.querySelectorAll('[data-testid=inspector] [data-testid=version-node] img[data-hash]').length === k,
    n, { timeout: 30000 });
}


test('edit twice with a mask, compare, revert, delete and undo, reload; reorder; locale variants', async () => {
  const { page, context, errors } = await newPage(browser);
  await page.goto(server.url);
  await page.getByTestId('no-projects').waitFor();
  await createSeries(page, { template: 'comic', name: 'Edits' });
  const cards = page.getByTestId('frame-card');
  await cards.nth(0).getByTestId('frame-prompt').pressSequentially('A lighthouse at dusk', { delay: 2 });
  await cards.nth(0).getByTestId('generate-frame').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=frame-card]').dataset.status === 'done', null, { timeout: 30000 });

  // Open the frame: click its image.
  await cards.nth(0).getByTestId('open-inspector').click();
  await inspector(page).waitFor();
  await waitForNodes(page, 1);
  const [first] = await treeHashes(page);

  // 1st edit: a painted mask and an instruction.
  await inspector(page).getByRole('button', { name: 'Paint mask' }).click();
  await paintStroke(page);
  await clearJournal(server.url);
  await edit(page, 'Change only the sky to pink');
  await waitForNodes(page, 2);
  let sent = await journal(server.url);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].endpoint, 'edits');
  assert.equal(sent[0].images[0].sha256, first, 'the edit starts from the first version');
  assert.ok(sent[0].mask, 'the mask was sent');
  assert.equal(sent[0].mask.width, sent[0].images[0].width);
  assert.equal(sent[0].mask.height, sent[0].images[0].height);
  // Multipart text travels with CRLF line breaks; the words are the ones shown.
  assert.ok(sent[0].params.prompt.replace(/\r\n/g, '\n').startsWith('EDIT IMAGE 1\nChange only the sky to pink'), sent[0].params.prompt);
  const second = (await treeHashes(page))[1];
  assert.notEqual(second, first);
  assert.equal(await nodes(page).nth(1).getAttribute('data-depth'), '1', 'the edit hangs under its parent');

  // 2nd edit, from the result (the new version is shown): a chain.
  await inspector(page).getByRole('button', { name: 'Paint mask' }).click(); // mask off
  await clearJournal(server.url);
  await edit(page, 'Make the sun bigger');
  await waitForNodes(page, 3);
  sent = await journal(server.url);
  assert.equal(sent[0].images[0].sha256, second, 'the second edit starts from the first edit');
  assert.equal(sent[0].mask, null, 'no mask this time');
  assert.equal(await nodes(page).nth(2).getAttribute('data-depth'), '2');
  assert.deepEqual(await inspector(page).getByTestId('edit-chain').locator('li').allTextContents(),
    ['Change only the sky to pink', 'Make the sun bigger'], 'the chain of instructions, in order');

  // Compare the newest with the first, side by side and with the slider.
  await inspector(page).getByRole('button', { name: 'Compare' }).click();
  await nodes(page).nth(0).getByRole('button').click();
  await inspector(page).getByTestId('compare').waitFor();
  await inspector(page).getByTestId('compare-slider-mode').click();
  await inspector(page).getByTestId('compare-range').fill('25');
  assert.match(await inspector(page).getByTestId('compare-top').getAttribute('style'), /inset\(0(px)? 0(px)? 0(px)? 25%\)/);

  // Make the first version active again.
  await inspector(page).getByRole('button', { name: 'Compare' }).click(); // compare off
  await nodes(page).nth(0).getByRole('button').click();
  await inspector(page).getByRole('button', { name: 'Make active' }).click();
  await page.waitForFunction(() => document.querySelector('[data-testid=inspector] [data-testid=version-node]').dataset.active === 'true');

  // Delete the newest version, then undo.
  await nodes(page).nth(2).getByRole('button').click();
  await inspector(page).getByRole('button', { name: 'Delete version' }).click();
  await inspector(page).getByTestId('confirm-delete-version').click();
  await waitForNodes(page, 2);
  await page.keyboard.press('Escape');
  await inspector(page).waitFor({ state: 'hidden' });
  await page.getByTestId('undo').click();
  await cards.nth(0).getByTestId('open-inspector').click();
  await waitForNodes(page, 3);
  await page.keyboard.press('Escape');

  // Reload: the versions, their tree and the active one are all stored.
  await page.waitForTimeout(700);
  await page.reload();
  await page.getByTestId('series-title').filter({ hasText: 'Edits' }).waitFor();
  await cards.nth(0).getByTestId('open-inspector').click();
  await waitForNodes(page, 3);
  assert.deepEqual(await treeHashes(page), [first, second, (await treeHashes(page))[2]]);
  assert.equal(await nodes(page).nth(0).getAttribute('data-active'), 'true', 'the first version is active');
  await page.keyboard.press('Escape');

  // Reorder: by a button, then by dragging the handle.
  const order = () => cards.evaluateAll((cs) => cs.map((c) => c.dataset.frameId));
  const start = await order();
  await cardAction(cards.nth(1), 'Move later');
  await page.waitForFunction((s) => document.querySelectorAll('[data-testid=frame-card]')[2].dataset.frameId === s, start[1]);
  const afterButton = await order();
  assert.deepEqual(afterButton, [start[0], start[2], start[1], start[3]]);
  const handle = cards.nth(3).getByTestId('drag-handle');
  const target = await cards.nth(0).boundingBox();
  const h = await handle.boundingBox();
  await page.mouse.move(h.x + h.width / 2, h.y + h.height / 2);
  await page.mouse.down();
  await page.mouse.move(target.x + 10, target.y + target.height / 2, { steps: 8 });
  await page.mouse.up();
  await page.waitForFunction((id) => document.querySelector('[data-testid=frame-card]').dataset.frameId === id, afterButton[3]);
  const dragged = await order();
  assert.deepEqual(dragged, [afterButton[3], afterButton[0], afterButton[1], afterButton[2]]);

  // Delete a frame and undo it: it comes back where it was.
  await cardAction(cards.nth(2), 'Delete');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=frame-card]').length === 3);
  await page.getByTestId('undo').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=frame-card]').length === 4);
  assert.deepEqual(await order(), dragged);
  await page.waitForTimeout(700);
  await page.reload();
  await page.getByTestId('series-title').filter({ hasText: 'Edits' }).waitFor();
  assert.deepEqual(await order(), dragged, 'the order is stored');

  // Locale variants of the frame with text.
  const frame0 = page.locator(`[data-testid=frame-card][data-frame-id="${start[0]}"]`);
  await openSeriesSettings(page);
  await page.getByTestId('series-locales').pressSequentially('en, zh-Hans, ar', { delay: 3 });
  await closeSeriesSettings(page);
  await frame0.locator('summary', { hasText: 'Shot, text and entities' }).click();
  await frame0.getByTestId('add-text').click();
  await frame0.getByTestId('text-value').pressSequentially('Spring sale', { delay: 3 });
  await frame0.locator('[data-locale="zh-Hans"] input').pressSequentially('春季特卖', { delay: 3 });
  await frame0.locator('[data-locale="ar"] input').pressSequentially('تخفيضات الربيع', { delay: 3 });
  const matrix = page.getByRole('table', { name: /Locales/ });
  await matrix.waitFor();
  await clearJournal(server.url);
  await page.getByRole('button', { name: 'Make locale variants' }).click();
  await page.waitForFunction((f) => {
    const row = document.querySelector(`[data-testid=locale-matrix] tr[data-frame-id="${f}"]`);
    return row && ['zh-Hans', 'ar'].every((l) => row.querySelector(`td[data-locale="${l}"] img`));
  }, start[0], { timeout: 30000 }).catch(async (e) => {
    const notice = await page.locator('.notice').allTextContents();
    const row = await page.locator(`[data-testid=locale-matrix] tr[data-frame-id="${start[0]}"]`).innerHTML().catch(() => 'no row');
    const sentSoFar = (await journal(server.url)).length;
    throw new Error(`${e.message}; the page says: ${notice.join(' | ')}; requests sent: ${sentSoFar}; the row: ${row}`);
  });
  sent = await journal(server.url);
  assert.equal(sent.length, 2, 'one edit per missing locale');
  const zh = sent.find((r) => r.params.prompt.includes('春季特卖'));
  const ar = sent.find((r) => r.params.prompt.includes('تخفيضات الربيع'));
  assert.ok(zh.params.prompt.includes('Replace "Spring sale" with "春季特卖"'));
  assert.ok(ar.params.prompt.includes('written right to left'));
  assert.equal(zh.images[0].sha256, first, 'made from the frame\'s active version');
  assert.deepEqual(errors, []);
  await context.close();
});
