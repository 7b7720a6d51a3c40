// Money is counted once and never given back: a paid frame deleted keeps its cost in what the
// series has spent — on screen, after a reload, and in the budget check, which must still refuse
// a request that would cross the budget counting what the deleted frame cost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, newPage, journal, clearJournal, createSeries, waitForStatus, cardAction } from './harness.mjs';

const shared = serverAndBrowser(['--fake-latency-ms', '20']);

/** The dollars of the series' spend line ("$0.106 spent · no budget …"). */
async function spent(page) {
  const text = await page.getByTestId('series-spend').textContent();
  return { text, usd: Number(text.match(/^\$(\d+\.\d+) spent/)[1]) };
}

test('a deleted paid frame stays in "spent", after a reload too, and the budget still counts it', async () => {
  const { page, context, errors } = await newPage(shared.browser);
  await page.goto(shared.server.url);
  await createSeries(page, { template: 'comic', name: 'Paid is paid' });
  const cards = page.getByTestId('frame-card');

  // Two frames made one by one: two requests of the same estimate.
  await cards.nth(1).getByTestId('generate-frame').click();
  await waitForStatus(page, 'done', 1, 30000);
  await cards.nth(2).getByTestId('generate-frame').click();
  await waitForStatus(page, 'done', 2, 30000);
  const paid = await spent(page);
  assert.ok(paid.usd > 0, paid.text);
  const each = paid.usd / 2;

  // Delete the second paid frame: what was spent does not move, and says where it went.
  const doomed = await cards.nth(2).getAttribute('data-frame-id');
  await cardAction(cards.nth(2), 'Delete');
  await page.waitForFunction((id) => !document.querySelector(`[data-testid=frame-card][data-frame-id="${id}"]`), doomed);
  const after = await spent(page);
  assert.equal(after.usd, paid.usd, after.text);
  assert.match(after.text, / of it on deleted frames or versions$/);

  // Stored: a reload reads the same.
  await page.waitForTimeout(700);
  await page.reload();
  await page.getByTestId('series-title').filter({ hasText: 'Paid is paid' }).waitFor();
  assert.equal((await spent(page)).text, after.text);

  // A budget that one more frame would cross only if the deleted frame still counts:
  // (1 frame kept + 1 new) ≤ budget < (2 paid + 1 new).
  const budget = (paid.usd + each / 2).toFixed(3);
  await page.getByTestId('generate-all').click();
  await page.getByTestId('budget').pressSequentially(budget, { delay: 5 });
  await page.getByTestId('budget').press('Tab');
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await clearJournal(shared.server.url);
  await cards.nth(0).getByTestId('generate-frame').click();
  await page.getByText(/Not sent: the series budget is/).first().waitFor();
  assert.deepEqual(await journal(shared.server.url), [], 'nothing was sent');
  assert.deepEqual(errors, []);
  await context.close();
});
