// "Check every result" (issue 22 item 5), as a person uses it: tick it in the series settings,
// type on-image text key by key, generate two frames — one whose prompt carries the fake's
// `[[typo]]` marker (the fake "draws" its first text row with one character changed, and its
// check call reads that back) — and see the misread frame's card say "Checks n / m" with a
// miss, the other pass; filter "Checks failed"; the inspector names both strings; "Edit to
// fix" drafts an edit that is sent once and names the asked text (the fake's journal).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  serverAndBrowser, newPage, createSeries, journal, clearJournal,
  openSeriesSettings, closeSeriesSettings,
} from './harness.mjs';

const shared = serverAndBrowser(['--fake-latency-ms', '30']);

async function typeFrame(card, prompt, text) {
  await card.getByTestId('frame-prompt').pressSequentially(prompt, { delay: 2 });
  await card.locator('summary', { hasText: 'Shot, text and entities' }).click();
  await card.getByTestId('add-text').click();
  await card.getByTestId('text-row').nth(0).getByTestId('text-value').pressSequentially(text, { delay: 10 });
}

test('every result checked: a misread text is named, filtered and fixed by one edit', async () => {
  const { page, errors } = await newPage(shared.browser);
  await page.goto(shared.server.url);
  await page.getByTestId('no-projects').waitFor();
  await createSeries(page, { template: 'comic', name: 'Checked' });

  await openSeriesSettings(page);
  const box = page.getByRole('checkbox', { name: 'Check every result' });
  assert.equal(await box.isChecked(), false, 'off by default');
  await box.check();
  await closeSeriesSettings(page);

  const cards = page.getByTestId('frame-card');
  await typeFrame(cards.nth(0), 'A sale poster in a shop window [[typo]]', '限时 5 折');
  await typeFrame(cards.nth(1), 'The same poster at night', 'Spring sale');
  await clearJournal(shared.server.url);
  for (const i of [0, 1]) {
    await cards.nth(i).getByTestId('generate-frame').click();
    await cards.nth(i).getByTestId('frame-checks').waitFor({ timeout: 30000 });
  }

  const checks = async (i) => cards.nth(i).getByTestId('frame-checks').textContent();
  const [bad, good] = [await checks(0), await checks(1)];
  const score = (s) => s.match(/^Checks (\d+) \/ (\d+)$/).slice(1).map(Number);
  const [badPassed, badAll] = score(bad);
  const [goodPassed, goodAll] = score(good);
  assert.ok(badPassed < badAll, `the misread frame misses a check: ${bad}`);
  assert.equal(goodPassed, goodAll, `the other frame passes: ${good}`);

  let sent = await journal(shared.server.url);
  const calls = sent.filter((r) => r.endpoint === 'responses');
  assert.equal(calls.length, 2, 'one check call per image');
  assert.equal(sent.filter((r) => r.endpoint !== 'responses').length, 2, 'two images made');

  // The board's filter shows the frame whose checks failed, only.
  await page.getByTestId('status-filter').selectOption({ label: 'Checks failed' });
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=frame-card]')]
    .filter((c) => !c.hidden).length === 1);
  assert.equal(await cards.nth(0).isHidden(), false);
  await page.getByTestId('status-filter').selectOption({ label: 'All frames' });

  // The inspector names both strings.
  await cards.nth(0).getByTestId('open-inspector').click();
  const inspector = page.getByTestId('inspector');
  const misses = inspector.getByTestId('check-misses');
  await misses.waitFor();
  const listed = await misses.locator('li').allTextContents();
  assert.ok(listed.includes('Text differs: asked 限时 5 折, reads 限时 5 抙'), listed.join(' | '));
  assert.ok(listed.every((m) => !m.includes('Spring sale')));

  // "Edit to fix" drafts the edit; the user sends it as any edit: one edit, naming the text.
  await clearJournal(shared.server.url);
  await inspector.getByRole('button', { name: 'Edit to fix' }).click();
  const instruction = await inspector.getByTestId('edit-instruction').inputValue();
  assert.ok(instruction.includes('"限时 5 折"'), instruction);
  await inspector.getByRole('button', { name: 'Edit', exact: true }).click();
  // Polled from here, not from the page: the page's fetch of the journal may be answered from its
  // cache.
  for (let i = 0; i < 300 && !(await journal(shared.server.url)).some((x) => x.endpoint === 'edits'); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  sent = await journal(shared.server.url);
  const edits = sent.filter((r) => r.endpoint === 'edits');
  assert.equal(edits.length, 1, 'one edit');
  assert.ok(edits[0].params.prompt.includes('限时 5 折'), edits[0].params.prompt);
  assert.deepEqual(errors, []);
});
