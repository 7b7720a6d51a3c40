// Issue 22, items 3 and 4, as a person does them: "Add frames from a list" → "Template with
// variable rows" (a template and a CSV typed key by key, with quoted commas and a quoted line
// break; the preview; the errors), and on the board: checkboxes, Shift-click for a range,
// "Select all", then "Edit selected" — one directed edit per selected frame, each from that
// frame's active image (the fake's journal proves it), priced in its plan before anything is
// sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  serverAndBrowser, newPage, createSeries, journal, clearJournal, planWithoutAnchor, waitForStatus,
} from './harness.mjs';

const shared = serverAndBrowser(['--fake-latency-ms', '30']);

const usd = (text) => Number(text.match(/\$([0-9.,]+)/)[1].replace(/,/g, ''));

test('a CSV of 4 rows with two variables makes 4 frames with the values substituted', async () => {
  const { page, context, errors } = await newPage(shared.browser);
  await page.goto(shared.server.url);
  await page.getByTestId('no-projects').waitFor();
  await createSeries(page, { template: 'custom', name: 'Rows', frames: 1 });
  const cards = page.getByTestId('frame-card');
  await cards.first().waitFor();
  assert.equal(await cards.count(), 1);

  await page.getByTestId('list-import').locator('summary').click();
  await page.getByRole('radio', { name: 'Template with variable rows' }).check();
  const csv = page.getByTestId('rows-csv');
  // Quoted commas, a quoted line break, a doubled quote; typed as a person types it.
  await csv.pressSequentially('product,colour\n"Tea, green",red\n"Mug\nwith lid",blue\nCake,"say ""hi"""\nJam,"pale, yellow"', { delay: 2 });
  const template = page.getByTestId('rows-template');
  // A placeholder no column has: named, with the columns there are; nothing can be added.
  await template.pressSequentially('{product} in {size}', { delay: 2 });
  await page.getByTestId('rows-error').filter({ hasText: 'The template uses {size}, but no column is called size (columns: product, colour).' }).waitFor();
  assert.equal(await page.getByTestId('rows-add').count(), 0);
  await template.fill('');
  await template.pressSequentially('{product} on a {colour} table', { delay: 2 });
  await page.getByTestId('rows-preview').waitFor();
  const expected = [
    'Tea, green on a red table',
    'Mug\nwith lid on a blue table',
    'Cake on a say "hi" table',
    'Jam on a pale, yellow table',
  ];
  assert.deepEqual(await page.getByTestId('rows-frame').allTextContents(), expected, 'the preview before anything is created');
  assert.equal(await cards.count(), 1, 'nothing is created by the preview');
  await page.getByTestId('rows-add').filter({ hasText: 'Add 4 frames' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=frame-card]').length === 5);
  const prompts = await cards.locator('[data-testid=frame-prompt]').evaluateAll((fs) => fs.map((f) => f.value));
  assert.deepEqual(prompts.slice(1), expected, 'one frame per row, values substituted as they are');

  // A CSV that cannot be read says where.
  await csv.pressSequentially('product,colour\n"never closed,red', { delay: 2 });
  await page.getByTestId('rows-error').filter({ hasText: /^Line 2: / }).waitFor();

  // Typed rows: the template's placeholders are the grid's columns.
  await csv.fill('');
  await page.getByRole('radio', { name: 'Type rows' }).check();
  await page.getByRole('textbox', { name: 'Row 1 product' }).pressSequentially('Kettle', { delay: 2 });
  await page.getByRole('textbox', { name: 'Row 1 colour' }).pressSequentially('green, dark', { delay: 2 });
  await page.getByTestId('rows-add-row').click();
  await page.getByRole('textbox', { name: 'Row 2 product' }).pressSequentially('Tray', { delay: 2 });
  // Row 2 has no colour: named.
  await page.getByTestId('rows-error').filter({ hasText: 'Row 2 has no value for {colour}.' }).waitFor();
  await page.getByRole('textbox', { name: 'Row 2 colour' }).pressSequentially('白', { delay: 2 });
  assert.deepEqual(await page.getByTestId('rows-frame').allTextContents(), ['Kettle on a green, dark table', 'Tray on a 白 table']);
  await page.getByTestId('rows-add').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=frame-card]').length === 7);
  assert.deepEqual(errors, []);
  await context.close();
});

test('Edit selected on 3 of 9 frames sends exactly 3 edits, each from that frame\'s active image; Select all is priced for all', async () => {
  const { page, context, errors } = await newPage(shared.browser);
  await page.goto(shared.server.url);
  await page.getByTestId('no-projects').waitFor();
  await createSeries(page, { template: 'custom', name: 'Selection', frames: 9 });
  const cards = page.getByTestId('frame-card');
  await planWithoutAnchor(page);
  await page.getByTestId('start-plan').click();
  await waitForStatus(page, 'done', 9);
  // The board reads a thumbnail only once its card nears the viewport: scroll to each card, as a
  // person would, and read which stored image it shows.
  const hashes = async () => {
    const out = [];
    for (let i = 0; i < await cards.count(); i++) {
      await cards.nth(i).scrollIntoViewIfNeeded();
      out.push(await cards.nth(i).locator('.frame-image img:not(.preview)').getAttribute('data-hash'));
    }
    return out;
  };
  const before = await hashes();
  assert.ok(before.every(Boolean) && new Set(before).size === 9, 'nine different images');

  // Frame 3, then Shift-click frame 5: frames 3, 4 and 5.
  const box = (i) => cards.nth(i).getByTestId('select-frame');
  await box(2).click();
  await box(4).click({ modifiers: ['Shift'] });
  await page.getByTestId('selected-count').filter({ hasText: '3 frames selected' }).waitFor();
  const checked = await cards.evaluateAll((cs) => cs.map((c) => c.querySelector('[data-testid=select-frame]').checked));
  assert.deepEqual(checked, [false, false, true, true, true, false, false, false, false]);

  await clearJournal(shared.server.url);
  await page.getByRole('button', { name: 'Edit selected' }).click();
  const dialog = page.getByTestId('edit-selected-dialog');
  await dialog.waitFor();
  await dialog.getByTestId('bulk-instruction').pressSequentially('Change only the logo to a blue circle', { delay: 3 });
  await dialog.getByTestId('bulk-summary').filter({ hasText: /^3 edits · estimated \$/ }).waitFor();
  assert.equal(await dialog.getByTestId('plan-row').count(), 3);
  await dialog.getByTestId('start-bulk-edit').click();
  await page.waitForFunction((b) => {
    const cs = [...document.querySelectorAll('[data-testid=frame-card]')];
    return [2, 3, 4].every((i) => {
      const img = cs[i].querySelector('.frame-image img:not(.preview)');
      return cs[i].dataset.status === 'done' && img && img.dataset.hash !== b[i];
    });
  }, before, { timeout: 60000 });
  const sent = await journal(shared.server.url);
  assert.equal(sent.length, 3, 'exactly one edit per selected frame');
  assert.ok(sent.every((r) => r.endpoint === 'edits'));
  assert.deepEqual(sent.map((r) => r.images[0].sha256).sort(), [before[2], before[3], before[4]].sort(),
    'each edit starts from its frame\'s active image');
  assert.ok(sent.every((r) => r.mask === null), 'no region: no mask');
  assert.ok(sent.every((r) => r.params.prompt.replace(/\r\n/g, '\n').startsWith('EDIT IMAGE 1\nChange only the logo to a blue circle')));
  const after = await hashes();
  assert.deepEqual([0, 1, 5, 6, 7, 8].map((i) => after[i]), [0, 1, 5, 6, 7, 8].map((i) => before[i]), 'the others are untouched');

  // Each edited frame gains a version under the one it was made from.
  await cards.nth(3).getByTestId('open-inspector').click();
  const nodes = page.getByTestId('inspector').getByTestId('version-node');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=inspector] [data-testid=version-node]').length === 2);
  assert.equal(await nodes.nth(1).getAttribute('data-depth'), '1');
  await page.keyboard.press('Escape');
  await page.getByTestId('inspector').waitFor({ state: 'hidden' });

  // A region in percent of each image: every edit carries a mask of its own image's size.
  await page.getByTestId('clear-selection').click();
  await box(0).click();
  await box(8).click();
  await clearJournal(shared.server.url);
  await page.getByRole('button', { name: 'Edit selected' }).click();
  await dialog.getByTestId('bulk-instruction').pressSequentially('Make the corner red', { delay: 3 });
  await dialog.getByTestId('bulk-use-region').check();
  await dialog.getByTestId('region-left').fill('');
  await dialog.getByTestId('region-left').pressSequentially('60', { delay: 3 });
  await dialog.getByTestId('region-error').filter({ hasText: 'goes past the image\'s edge' }).waitFor();
  await dialog.getByTestId('region-width').fill('');
  await dialog.getByTestId('region-width').pressSequentially('40', { delay: 3 });
  await dialog.getByTestId('region-error').waitFor({ state: 'detached' });
  await dialog.getByTestId('bulk-summary').filter({ hasText: /^2 edits/ }).waitFor();
  await dialog.getByTestId('start-bulk-edit').click();
  await page.waitForFunction((b) => {
    const cs = [...document.querySelectorAll('[data-testid=frame-card]')];
    return [0, 8].every((i) => cs[i].dataset.status === 'done' && cs[i].querySelector('.frame-image img:not(.preview)')?.dataset.hash !== b[i]);
  }, before, { timeout: 60000 });
  const masked = await journal(shared.server.url);
  assert.equal(masked.length, 2);
  for (const r of masked) {
    assert.ok(r.mask, 'the region went as a mask');
    assert.equal(r.mask.width, r.images[0].width);
    assert.equal(r.mask.height, r.images[0].height);
  }

  // Select all, then Edit selected: the plan prices an edit for every frame; nothing is sent.
  await clearJournal(shared.server.url);
  await page.getByRole('button', { name: 'Select all' }).click();
  await page.getByTestId('selected-count').filter({ hasText: '9 frames selected' }).waitFor();
  await page.getByRole('button', { name: 'Edit selected' }).click();
  await dialog.getByTestId('bulk-instruction').pressSequentially('Add the new logo', { delay: 3 });
  const summary = dialog.getByTestId('bulk-summary').filter({ hasText: /^9 edits · estimated \$/ });
  await summary.waitFor();
  const rows = await dialog.getByTestId('plan-row').locator('.plan-cost').allTextContents();
  assert.equal(rows.length, 9, 'one priced request per frame');
  const total = usd(await summary.textContent());
  const sum = rows.map(usd).reduce((a, b) => a + b, 0);
  assert.ok(total > 0 && Math.abs(total - sum) <= 0.01 * 9, `the total ${total} is the sum of the rows ${sum}`);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.equal((await journal(shared.server.url)).length, 0, 'a plan sends nothing');
  assert.deepEqual(errors, []);
  await context.close();
});
